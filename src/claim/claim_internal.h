/* Private to src/claim/: the one definition of the model-facing schema, and helpers the
 * module's files share. */
#ifndef DASHCLAIM_CLAIM_INTERNAL_H
#define DASHCLAIM_CLAIM_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dashclaim/claim.h"
#include "dashclaim/str.h"

/* An enumeration as the model and the JSON see it. names[i] is written for value i
 * (severity: value i = DC_SEVERITY_NONE + i). The model is offered names[offer_from..];
 * names before offer_from ("unknown") exist only in records. */
typedef struct {
    const char *rule; /* GBNF rule name */
    const char *const *names;
    int count;
    int offer_from;
    int unknown_value; /* stored when the spelling is not one of names */
    int fallback;      /* value written in model output when the stored value is unknown */
} claim_enum_desc;

typedef enum {
    CLAIM_FIELD_ENUM,         /* int-sized C enum */
    CLAIM_FIELD_ENUM_ARRAY,   /* enum elements + int count */
    CLAIM_FIELD_STRING,       /* char[capacity] */
    CLAIM_FIELD_NUMBER,       /* double */
    CLAIM_FIELD_INT,          /* int */
    CLAIM_FIELD_INT_OR_NULL,  /* int, -1 = null */
    CLAIM_FIELD_OBJECT,       /* nested struct */
    CLAIM_FIELD_OBJECT_ARRAY, /* struct elements + int count */
} claim_field_kind;

typedef struct claim_field {
    const char *name;
    claim_field_kind kind;
    size_t offset;       /* of the value, or the first element, in the parent struct */
    size_t count_offset; /* arrays: offset of the int count */
    size_t elem_size;    /* arrays: element size */
    int capacity;        /* arrays: elements stored; strings: bytes incl. NUL */
    int max_items;       /* arrays: most the model may write; strings: most characters */
    const claim_enum_desc *enumd;
    const struct claim_field *children;
    int child_count;
    double min, max;  /* numbers: clamp range */
    const char *hint; /* one line for the prompt */
} claim_field;

/* The model-facing fields of dc_assessment, in output order (severity first). */
extern const claim_field claim_model_fields[];
extern const int claim_model_field_count;

extern const claim_enum_desc claim_enum_severity, claim_enum_scenario, claim_enum_tristate,
    claim_enum_action, claim_enum_position, claim_enum_signal, claim_enum_actor, claim_enum_road,
    claim_enum_weather, claim_enum_light, claim_enum_visibility, claim_enum_hazard;

/* Name of value v (unknown_value or out of range -> names[0] or NULL for severity). */
const char *claim_enum_name(const claim_enum_desc *e, int v);
/* Case-insensitive, treating ' ', '-' as '_'; returns unknown_value if no match and sets
 * *matched (may be NULL). */
int claim_enum_parse(const claim_enum_desc *e, const char *s, bool *matched);

/* The model-facing part of *base (an object with the fields' parent struct layout) as a
 * jansson object (for the full record). Returns a new reference. */
json_t *claim_fields_to_json(const claim_field *fields, int count, const void *base);
/* Fills *base from obj. Field names match case-insensitively. Problems (unknown enum
 * spellings, clamped numbers, truncated strings or arrays) are described in note[] (may be
 * NULL) and counted in the return value. */
int claim_fields_from_json(const claim_field *fields, int count, const json_t *obj, void *base,
                           char *note, size_t note_size);

/* Lenient parse into a jansson value (new reference) or NULL when nothing JSON-like. */
json_t *claim_lenient_parse(const char *text, size_t len, int *repairs);

/* Copies src into dst[cap] truncated at a UTF-8 character boundary. Returns true when
 * something was cut. */
bool claim_copy_utf8(char *dst, size_t cap, const char *src);
/* A JSON string of s; bytes that are not valid UTF-8 become '?'. Never NULL. */
json_t *claim_json_text(const char *s);
/* Case-insensitive lookup of key in obj. */
json_t *claim_json_get_ci(const json_t *obj, const char *key);
/* Current UTC time as ISO 8601 into out[32]. */
void claim_utc_now(char out[32]);

#endif
