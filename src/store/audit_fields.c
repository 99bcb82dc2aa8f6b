/* The audit row's fields, once: STORE_AUDIT_FIELDS (store_internal.h) names each column in table
 * order, and this table says where each lives in dc_audit_row and how it is written. From them
 * come both backends' column lists, INSERT parameters and SELECT readers, the hash input
 * (store_audit.c) and the one JSON writer (dc_audit_row_to_json) that the CLI and the API print.
 * A field added to dc_audit_row stops the build at the size check below until it has an entry
 * (and a schema migration on both backends: the CREATE TABLEs are migration history and stay as
 * they were written; tests/store/test_audit_tamper.c checks that the tables have these columns). */
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

_Static_assert(sizeof(dc_audit_row) == 4824,
               "dc_audit_row changed: give the new field an entry in STORE_AUDIT_FIELDS");

#define MEMBER_SIZE(m) sizeof(((dc_audit_row *)0)->m)
#define ENTRY(i, m, k) {#m, STORE_AUDIT_##k, offsetof(dc_audit_row, m), MEMBER_SIZE(m)},

const store_audit_field store_audit_fields[STORE_AUDIT_NFIELDS] = {
    STORE_AUDIT_FIELDS(ENTRY, ENTRY)};

/* The numbers in STORE_AUDIT_FIELDS are the PostgreSQL parameter numbers: they must be 1, 2, ...
 * in some order with none missing or twice, which the count, sum and sum of squares check at
 * compile time (the list itself keeps them in order, readably). */
#define COUNT(i, m, k) +1
#define SUM(i, m, k) +(i)
#define SQUARES(i, m, k) +(i) * (i)
enum {
    FIELD_COUNT = 0 STORE_AUDIT_FIELDS(COUNT, COUNT),
    FIELD_SUM = 0 STORE_AUDIT_FIELDS(SUM, SUM),
    FIELD_SQUARES = 0 STORE_AUDIT_FIELDS(SQUARES, SQUARES),
};
_Static_assert(FIELD_COUNT == STORE_AUDIT_NFIELDS &&
                   FIELD_SUM == STORE_AUDIT_NFIELDS * (STORE_AUDIT_NFIELDS + 1) / 2 &&
                   FIELD_SQUARES == STORE_AUDIT_NFIELDS * (STORE_AUDIT_NFIELDS + 1) *
                                        (2 * STORE_AUDIT_NFIELDS + 1) / 6,
               "STORE_AUDIT_FIELDS: the parameter numbers must be 1..STORE_AUDIT_NFIELDS");

const char *store_audit_field_text(const dc_audit_row *row, int i, char buf[24]) {
    const store_audit_field *f = &store_audit_fields[i];
    const char *p = (const char *)row + f->offset;
    if (f->kind == STORE_AUDIT_INT) {
        int64_t v;
        memcpy(&v, p, sizeof v);
        snprintf(buf, 24, "%" PRId64, v);
        return buf;
    }
    return p;
}

void store_row_audit(const store_row *r, dc_audit_row *a) {
    memset(a, 0, sizeof *a);
    for (int i = 0; i < STORE_AUDIT_NFIELDS; i++) {
        const store_audit_field *f = &store_audit_fields[i];
        char *p = (char *)a + f->offset;
        if (f->kind == STORE_AUDIT_INT) {
            int64_t v = r->i64(r, i);
            memcpy(p, &v, sizeof v);
        } else {
            r->text(r, i, p, f->size);
        }
    }
}

json_t *dc_audit_row_to_json(const dc_audit_row *row) {
    json_t *o = json_object();
    if (!o) return NULL;
    for (int i = 0; i < STORE_AUDIT_NFIELDS; i++) {
        const store_audit_field *f = &store_audit_fields[i];
        const char *p = (const char *)row + f->offset;
        json_t *v;
        if (f->kind == STORE_AUDIT_INT) {
            int64_t n;
            memcpy(&n, p, sizeof n);
            v = json_integer(n);
        } else if (!*p) {
            v = json_null(); /* an empty text is "none" in the row */
        } else if (f->kind == STORE_AUDIT_JSON) {
            /* before/after are JSON objects as text: shown as values, or as the text itself
             * should a row hold something that does not parse (it is shown, not hidden). */
            v = json_loads(p, JSON_DECODE_ANY, NULL);
            if (!v) v = json_string(p);
        } else {
            v = json_string(p);
        }
        if (!v || json_object_set_new(o, f->name, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
