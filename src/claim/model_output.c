/* The model's answer: read it into an assessment (any text, constrained or not), and write
 * the canonical answer a perfect grammar-constrained model would give. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_internal.h"

dc_error_class dc_model_output_apply(const char *text, dc_assessment *a, dc_status *st) {
    if (!text) return dc_fail(st, DC_ERR_MODEL, "model output: empty");
    int repairs = 0;
    bool oom;
    json_t *root = claim_lenient_parse_checked(text, strlen(text), &repairs, &oom);
    if (oom) return dc_fail(st, DC_ERR_RESOURCE, "model output: out of memory while reading it");
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return dc_fail(st, DC_ERR_MODEL, "model output: no JSON object found in %zu bytes",
                       strlen(text));
    }
    json_t *sev = claim_json_get_ci(root, "severity");
    dc_severity s =
        json_is_string(sev) ? dc_severity_from_name(json_string_value(sev)) : DC_SEVERITY_UNSET;
    if (s == DC_SEVERITY_UNSET) {
        json_decref(root);
        return dc_fail(st, DC_ERR_MODEL, "model output: no valid severity (%s)",
                       sev ? "not NONE, LOW, MEDIUM or HIGH" : "field missing");
    }
    /* The engine's fields from an earlier attempt must not leak into this answer. */
    a->facts = (dc_facts){.speed_kmh = -1};
    a->scenario = DC_SCENARIO_UNKNOWN;
    a->hazard_count = 0;
    a->evidence_count = 0;
    a->reasoning[0] = '\0';
    char note[400];
    int problems = claim_fields_from_json(claim_model_fields, claim_model_field_count, root, a,
                                          note, sizeof note);
    json_decref(root);
    if (st) *st = DC_STATUS_OK;
    if (repairs > 0 || problems > 0) {
        dc_degrade(st, "model output: %d JSON repair(s), %d field problem(s)%s%s", repairs,
                   problems, problems ? ": " : "", problems ? note : "");
    }
    return DC_OK;
}

/* ---- canonical writer ---- */

/* Writes s as a grammar string: no quote, backslash or control character (replaced), valid
 * UTF-8 only, at most max_chars characters. */
static void write_string(dc_str *sb, const char *s, int max_chars) {
    dc_str_append(sb, "\"");
    int chars = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && chars < max_chars) {
        int len = 1;
        if (*p >= 0xC2 && *p <= 0xDF) len = 2;
        else if (*p >= 0xE0 && *p <= 0xEF) len = 3;
        else if (*p >= 0xF0 && *p <= 0xF4) len = 4;
        else if (*p >= 0x80) len = 0; /* stray continuation or invalid lead byte */
        bool valid = len > 0;
        for (int k = 1; valid && k < len; k++)
            if ((p[k] & 0xC0) != 0x80) valid = false;
        if (!valid) {
            dc_str_append(sb, "?");
            p++;
        } else if (len == 1) {
            char c = (char)*p;
            if (c == '"') c = '\'';
            else if (c == '\\') c = '/';
            else if ((unsigned char)c < 0x20) c = ' ';
            dc_str_appendn(sb, &c, 1);
            p++;
        } else {
            dc_str_appendn(sb, (const char *)p, (size_t)len);
            p += len;
        }
        chars++;
    }
    dc_str_append(sb, "\"");
}

static void write_number(dc_str *sb, double d, double lo, double hi) {
    if (!isfinite(d) || d < lo) d = lo;
    if (d > hi) d = hi;
    long long cents = llround(d * 100.0);
    long long whole = cents / 100, frac = cents % 100;
    if (frac == 0) dc_str_appendf(sb, "%lld", whole);
    else if (frac % 10 == 0) dc_str_appendf(sb, "%lld.%lld", whole, frac / 10);
    else dc_str_appendf(sb, "%lld.%02lld", whole, frac);
}

static void write_enum(dc_str *sb, const claim_enum_desc *e, int v) {
    if (v < e->offer_from || v >= e->count) v = e->fallback;
    dc_str_appendf(sb, "\"%s\"", e->names[v]);
}

static void write_fields(dc_str *sb, const claim_field *fields, int count, const void *base) {
    dc_str_append(sb, "{");
    for (int i = 0; i < count; i++) {
        const claim_field *f = &fields[i];
        const char *p = (const char *)base + f->offset;
        dc_str_appendf(sb, "%s\"%s\":", i ? "," : "", f->name);
        switch (f->kind) {
        case CLAIM_FIELD_ENUM: write_enum(sb, f->enumd, *(const int *)p); break;
        case CLAIM_FIELD_ENUM_ARRAY:
        case CLAIM_FIELD_OBJECT_ARRAY: {
            int n = *(const int *)((const char *)base + f->count_offset);
            if (n > f->max_items) n = f->max_items;
            if (n < 0) n = 0;
            dc_str_append(sb, "[");
            for (int k = 0; k < n; k++) {
                if (k) dc_str_append(sb, ",");
                if (f->kind == CLAIM_FIELD_ENUM_ARRAY)
                    write_enum(sb, f->enumd, ((const int *)p)[k]);
                else write_fields(sb, f->children, f->child_count, p + (size_t)k * f->elem_size);
            }
            dc_str_append(sb, "]");
            break;
        }
        case CLAIM_FIELD_STRING: write_string(sb, p, f->max_items); break;
        case CLAIM_FIELD_NUMBER: write_number(sb, *(const double *)p, f->min, f->max); break;
        case CLAIM_FIELD_INT:
        case CLAIM_FIELD_INT_OR_NULL: {
            int v = *(const int *)p;
            if (v < 0 && f->kind == CLAIM_FIELD_INT_OR_NULL) {
                dc_str_append(sb, "null");
                break;
            }
            if (v < f->min) v = (int)f->min;
            if (v > f->max) v = (int)f->max;
            dc_str_appendf(sb, "%d", v);
            break;
        }
        case CLAIM_FIELD_OBJECT: write_fields(sb, f->children, f->child_count, p); break;
        }
    }
    dc_str_append(sb, "}");
}

char *dc_model_output_to_json(const dc_assessment *a) {
    if (a->severity < DC_SEVERITY_NONE || a->severity > DC_SEVERITY_HIGH) return NULL;
    dc_str sb = {0};
    write_fields(&sb, claim_model_fields, claim_model_field_count, a);
    return dc_str_finish(&sb);
}
