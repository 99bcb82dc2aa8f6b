/* The record's JSON in and out, by walking claim_record_fields (record_schema.c). Writing is
 * exact; reading is forgiving (an old or damaged record still loads): absent fields keep
 * dc_assessment_init's values, wrong types are skipped, unknown spellings become unknown. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "claim_internal.h"

static bool record_write(json_t *obj, const record_field *fields, int count, const void *base);
static void record_read(const json_t *obj, const record_field *fields, int count, void *base);

static const void *at(const void *base, size_t off) { return (const char *)base + off; }
static void *at_mut(void *base, size_t off) { return (char *)base + off; }

static int count_at(const void *base, const record_field *f) {
    int n = *(const int *)at(base, f->count_offset);
    return n < 0 ? 0 : n > f->capacity ? f->capacity : n;
}

static json_t *value_of(const record_field *f, const void *base) {
    const void *p = at(base, f->offset);
    switch (f->kind) {
    case RECORD_STRING: return claim_json_text(p);
    case RECORD_STRING_OR_NULL: return *(const char *)p ? claim_json_text(p) : json_null();
    case RECORD_NUMBER: {
        double d = *(const double *)p;
        return isfinite(d) ? json_real(d) : json_null();
    }
    case RECORD_NUMBER_OR_NULL: {
        double d = *(const double *)p;
        return d >= 0 && isfinite(d) ? json_real(d) : json_null();
    }
    case RECORD_INT: return json_integer(*(const int *)p);
    case RECORD_BYTES: {
        uint64_t b = *(const uint64_t *)p;
        return json_integer(b > INT64_MAX ? INT64_MAX : (json_int_t)b);
    }
    case RECORD_ENUM: {
        const char *name = claim_enum_name(f->enumd, *(const int *)p);
        return name ? json_string(name) : json_null();
    }
    case RECORD_STRING_ARRAY: {
        json_t *arr = json_array();
        for (int k = 0; arr && k < count_at(base, f); k++) {
            if (json_array_append_new(arr, claim_json_text(at(p, (size_t)k * f->elem_size)))) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case RECORD_OBJECT: {
        json_t *obj = json_object();
        if (obj && !record_write(obj, f->children, f->child_count, p)) {
            json_decref(obj);
            return NULL;
        }
        return obj;
    }
    case RECORD_OBJECT_ARRAY: {
        json_t *arr = json_array();
        for (int k = 0; arr && k < count_at(base, f); k++) {
            json_t *obj = json_object();
            if (!obj ||
                !record_write(obj, f->children, f->child_count, at(p, (size_t)k * f->elem_size))) {
                json_decref(obj);
                json_decref(arr);
                return NULL;
            }
            if (json_array_append_new(arr, obj) != 0) { /* obj went with the failure */
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case RECORD_MODEL:
    case RECORD_CUSTOM: break; /* they add their own keys */
    }
    return NULL;
}

/* Writes the fields of base into obj (false when out of memory). */
static bool record_write(json_t *obj, const record_field *fields, int count, const void *base) {
    for (int i = 0; i < count; i++) {
        const record_field *f = &fields[i];
        if (f->kind == RECORD_CUSTOM) {
            if (!f->write(obj, f->name, base)) return false;
        } else if (f->kind == RECORD_MODEL) {
            json_t *observed = claim_fields_to_json(f->model, f->model_count, base);
            if (!observed || json_object_update(obj, observed) != 0) {
                json_decref(observed);
                return false;
            }
            json_decref(observed);
        } else {
            json_t *v = value_of(f, base);
            if (!v || json_object_set_new(obj, f->name, v) != 0) return false;
        }
    }
    return true;
}

static void read_field(const record_field *f, const json_t *v, void *base) {
    void *p = at_mut(base, f->offset);
    switch (f->kind) {
    case RECORD_STRING:
    case RECORD_STRING_OR_NULL:
        if (json_is_string(v)) claim_copy_utf8(p, (size_t)f->capacity, json_string_value(v));
        else if (json_is_null(v)) *(char *)p = '\0';
        break;
    case RECORD_NUMBER:
        if (json_is_number(v)) *(double *)p = json_number_value(v);
        break;
    case RECORD_NUMBER_OR_NULL:
        *(double *)p = json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v) : -1;
        break;
    case RECORD_INT:
        if (json_is_number(v) && fabs(json_number_value(v)) < 2e9)
            *(int *)p = (int)json_number_value(v);
        break;
    case RECORD_BYTES:
        if (json_is_integer(v) && json_integer_value(v) >= 0)
            *(uint64_t *)p = (uint64_t)json_integer_value(v);
        else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1.8e19)
            *(uint64_t *)p = (uint64_t)json_real_value(v);
        break;
    case RECORD_ENUM:
        if (json_is_string(v)) *(int *)p = claim_enum_parse(f->enumd, json_string_value(v), NULL);
        break;
    case RECORD_STRING_ARRAY: {
        int n = 0;
        size_t k;
        const json_t *item;
        json_array_foreach(v, k, item) {
            if (n >= f->capacity) break;
            if (json_is_string(item))
                claim_copy_utf8(at_mut(p, (size_t)n++ * f->elem_size), f->elem_size,
                                json_string_value(item));
        }
        *(int *)at_mut(base, f->count_offset) = n;
        break;
    }
    case RECORD_OBJECT:
        if (json_is_object(v)) record_read(v, f->children, f->child_count, p);
        break;
    case RECORD_OBJECT_ARRAY: {
        int n = 0;
        size_t k;
        const json_t *item;
        json_array_foreach(v, k, item) {
            if (n >= f->capacity) break;
            if (!json_is_object(item)) continue;
            void *elem = at_mut(p, (size_t)n++ * f->elem_size);
            memset(elem, 0, f->elem_size);
            record_read(item, f->children, f->child_count, elem);
        }
        *(int *)at_mut(base, f->count_offset) = n;
        break;
    }
    case RECORD_MODEL:
    case RECORD_CUSTOM: break;
    }
}

/* Reads the fields present in obj into base; absent ones keep base's values. */
static void record_read(const json_t *obj, const record_field *fields, int count, void *base) {
    for (int i = 0; i < count; i++) {
        const record_field *f = &fields[i];
        if (f->kind == RECORD_CUSTOM) {
            f->read(obj, f->name, base);
        } else if (f->kind == RECORD_MODEL) {
            claim_fields_from_json(f->model, f->model_count, obj, base, NULL, 0);
        } else {
            /* a group (an object at offset 0) reads its children from its own key too */
            const json_t *v = json_object_get(obj, f->name);
            if (v) read_field(f, v, base);
        }
    }
}

char *dc_assessment_to_json(const dc_assessment *a, int indent) {
    json_t *o = json_object();
    if (!o || !record_write(o, claim_record_fields, claim_record_field_count, a)) {
        json_decref(o);
        return NULL;
    }
    size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    flags |= indent > 0 ? JSON_INDENT(indent > 31 ? 31 : indent) : JSON_COMPACT;
    char *s = json_dumps(o, flags);
    json_decref(o);
    return s;
}

dc_error_class dc_assessment_from_json(const char *text, dc_assessment *a, dc_status *st) {
    if (!text) return dc_fail(st, DC_ERR_INPUT, "assessment JSON: no text");
    int repairs = 0;
    json_t *o = claim_lenient_parse(text, strlen(text), &repairs);
    if (!json_is_object(o)) {
        json_decref(o);
        return dc_fail(st, DC_ERR_INPUT, "assessment JSON: no JSON object found");
    }
    json_t *schema = json_object_get(o, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), DC_ASSESSMENT_SCHEMA) != 0) {
        dc_error_class rc = dc_fail(
            st, DC_ERR_INPUT, "assessment JSON: schema is '%.64s', expected '%s'",
            json_is_string(schema) ? json_string_value(schema) : "(missing)", DC_ASSESSMENT_SCHEMA);
        json_decref(o);
        return rc;
    }
    dc_assessment_init(a);
    a->created_at[0] = '\0'; /* a record without one was not made now */
    record_read(o, claim_record_fields, claim_record_field_count, a);
    json_decref(o);
    if (st) *st = DC_STATUS_OK;
    if (repairs) dc_degrade(st, "assessment JSON: %d repair(s) were needed", repairs);
    return DC_OK;
}
