/* Table-driven conversion between the model-facing fields of a struct and jansson values.
 * Reading is forgiving (the text may come from an unconstrained model or an old record):
 * every problem is described, never fatal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_internal.h"

static int *int_at(void *base, size_t off) { return (int *)((char *)base + off); }
static const int *cint_at(const void *base, size_t off) {
    return (const int *)((const char *)base + off);
}

static json_t *enum_value(const claim_enum_desc *e, int v) {
    const char *name = claim_enum_name(e, v);
    return name ? json_string(name) : json_null();
}

json_t *claim_fields_to_json(const claim_field *fields, int count, const void *base) {
    json_t *obj = json_object();
    for (int i = 0; obj && i < count; i++) {
        const claim_field *f = &fields[i];
        const char *p = (const char *)base + f->offset;
        json_t *v = NULL;
        switch (f->kind) {
        case CLAIM_FIELD_ENUM: v = enum_value(f->enumd, *cint_at(base, f->offset)); break;
        case CLAIM_FIELD_ENUM_ARRAY: {
            int n = *cint_at(base, f->count_offset);
            if (n > f->capacity) n = f->capacity;
            v = json_array();
            for (int k = 0; v && k < n; k++)
                json_array_append_new(v, enum_value(f->enumd, ((const int *)p)[k]));
            break;
        }
        case CLAIM_FIELD_STRING: v = claim_json_text(p); break;
        case CLAIM_FIELD_NUMBER: {
            double d = *(const double *)p;
            v = isfinite(d) ? json_real(d) : json_null();
            break;
        }
        case CLAIM_FIELD_INT: v = json_integer(*(const int *)p); break;
        case CLAIM_FIELD_INT_OR_NULL: {
            int n = *(const int *)p;
            v = n < 0 ? json_null() : json_integer(n);
            break;
        }
        case CLAIM_FIELD_OBJECT: v = claim_fields_to_json(f->children, f->child_count, p); break;
        case CLAIM_FIELD_OBJECT_ARRAY: {
            int n = *cint_at(base, f->count_offset);
            if (n > f->capacity) n = f->capacity;
            v = json_array();
            for (int k = 0; v && k < n; k++)
                json_array_append_new(v, claim_fields_to_json(f->children, f->child_count,
                                                              p + (size_t)k * f->elem_size));
            break;
        }
        }
        if (!v || json_object_set_new(obj, f->name, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static void note_add(char *note, size_t size, int *problems, const char *fmt, const char *a,
                     const char *b) {
    (*problems)++;
    if (!note || size == 0) return;
    size_t used = strlen(note);
    if (used + 4 >= size) return;
    char line[200];
    snprintf(line, sizeof line, fmt, a, b);
    snprintf(note + used, size - used, "%s%s", used ? "; " : "", line);
}

/* A number from a JSON value; strings holding a number count too (unconstrained models
 * quote numbers). */
static bool number_of(const json_t *v, double *out) {
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        double d = strtod(s, &end);
        if (end != s && isfinite(d)) {
            *out = d;
            return true;
        }
    }
    return false;
}

static int read_enum(const claim_field *f, const json_t *v, const char *path, char *note,
                     size_t size, int *problems) {
    if (json_is_string(v)) {
        bool matched;
        int val = claim_enum_parse(f->enumd, json_string_value(v), &matched);
        if (!matched)
            note_add(note, size, problems, "%s: '%.60s' is not a known value", path,
                     json_string_value(v));
        return val;
    }
    if (!json_is_null(v)) note_add(note, size, problems, "%s: not a string%s", path, "");
    return f->enumd->unknown_value;
}

static int fields_from(const claim_field *fields, int count, const json_t *obj, void *base,
                       const char *prefix, char *note, size_t size, int *problems);

static void read_field(const claim_field *f, const json_t *v, void *base, const char *path,
                       char *note, size_t size, int *problems) {
    char *p = (char *)base + f->offset;
    switch (f->kind) {
    case CLAIM_FIELD_ENUM: *(int *)p = read_enum(f, v, path, note, size, problems); break;
    case CLAIM_FIELD_ENUM_ARRAY: {
        int n = 0;
        if (json_is_array(v)) {
            size_t k;
            json_t *item;
            json_array_foreach(v, k, item) {
                if (n >= f->capacity) {
                    note_add(note, size, problems, "%s: more items than fit, rest dropped%s", path,
                             "");
                    break;
                }
                ((int *)p)[n++] = read_enum(f, item, path, note, size, problems);
            }
        } else if (json_is_string(v)) { /* a single value where a list was expected */
            ((int *)p)[n++] = read_enum(f, v, path, note, size, problems);
        } else if (!json_is_null(v)) {
            note_add(note, size, problems, "%s: not a list%s", path, "");
        }
        *int_at(base, f->count_offset) = n;
        break;
    }
    case CLAIM_FIELD_STRING: {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (!json_is_string(v) && !json_is_null(v))
            note_add(note, size, problems, "%s: not a string%s", path, "");
        if (claim_copy_utf8(p, (size_t)f->capacity, s))
            note_add(note, size, problems, "%s: too long, cut%s", path, "");
        break;
    }
    case CLAIM_FIELD_NUMBER:
    case CLAIM_FIELD_INT:
    case CLAIM_FIELD_INT_OR_NULL: {
        double d;
        bool have = number_of(v, &d);
        if (!have) {
            if (!json_is_null(v)) note_add(note, size, problems, "%s: not a number%s", path, "");
            /* ints use -1 for "not given"; numbers fall back to 0 */
            if (f->kind == CLAIM_FIELD_NUMBER) *(double *)p = 0;
            else *(int *)p = -1;
            break;
        }
        if (d < f->min || d > f->max) {
            note_add(note, size, problems, "%s: out of range, clamped%s", path, "");
            d = d < f->min ? f->min : f->max;
        }
        if (f->kind == CLAIM_FIELD_NUMBER) *(double *)p = d;
        else *(int *)p = (int)lround(d);
        break;
    }
    case CLAIM_FIELD_OBJECT:
        if (json_is_object(v)) {
            fields_from(f->children, f->child_count, v, p, path, note, size, problems);
        } else if (!json_is_null(v)) {
            note_add(note, size, problems, "%s: not an object%s", path, "");
        }
        break;
    case CLAIM_FIELD_OBJECT_ARRAY: {
        int n = 0;
        if (json_is_array(v)) {
            size_t k;
            json_t *item;
            json_array_foreach(v, k, item) {
                if (n >= f->capacity) {
                    note_add(note, size, problems, "%s: more items than fit, rest dropped%s", path,
                             "");
                    break;
                }
                if (!json_is_object(item)) {
                    note_add(note, size, problems, "%s: an item is not an object%s", path, "");
                    continue;
                }
                char *elem = p + (size_t)n * f->elem_size;
                memset(elem, 0, f->elem_size);
                /* defaults that zero does not express */
                for (int c = 0; c < f->child_count; c++) {
                    const claim_field *cf = &f->children[c];
                    if (cf->kind == CLAIM_FIELD_INT || cf->kind == CLAIM_FIELD_INT_OR_NULL)
                        *(int *)(elem + cf->offset) = -1;
                }
                char sub[160];
                snprintf(sub, sizeof sub, "%.120s[%d]", path, n);
                fields_from(f->children, f->child_count, item, elem, sub, note, size, problems);
                n++;
            }
        } else if (!json_is_null(v)) {
            note_add(note, size, problems, "%s: not a list%s", path, "");
        }
        *int_at(base, f->count_offset) = n;
        break;
    }
    }
}

static int fields_from(const claim_field *fields, int count, const json_t *obj, void *base,
                       const char *prefix, char *note, size_t size, int *problems) {
    for (int i = 0; i < count; i++) {
        const claim_field *f = &fields[i];
        char path[200];
        snprintf(path, sizeof path, "%.150s%s%.40s", prefix, *prefix ? "." : "", f->name);
        json_t *v = claim_json_get_ci(obj, f->name);
        if (!v) continue; /* absent: the caller's default stays */
        read_field(f, v, base, path, note, size, problems);
    }
    return *problems;
}

int claim_fields_from_json(const claim_field *fields, int count, const json_t *obj, void *base,
                           char *note, size_t note_size) {
    int problems = 0;
    if (note && note_size) note[0] = '\0';
    if (!json_is_object(obj)) return 0;
    return fields_from(fields, count, obj, base, "", note, note_size, &problems);
}
