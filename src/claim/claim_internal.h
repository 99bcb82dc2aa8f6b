/* Private to src/claim/: the one definition of the model-facing schema, and helpers the
 * module's files share. */
#ifndef DASHCLAIM_CLAIM_INTERNAL_H
#define DASHCLAIM_CLAIM_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dashclaim/claim.h"

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
} dc_enum_desc;

typedef enum {
    DC_FIELD_ENUM,         /* int-sized C enum */
    DC_FIELD_ENUM_ARRAY,   /* enum elements + int count */
    DC_FIELD_STRING,       /* char[capacity] */
    DC_FIELD_NUMBER,       /* double */
    DC_FIELD_INT,          /* int */
    DC_FIELD_INT_OR_NULL,  /* int, -1 = null */
    DC_FIELD_OBJECT,       /* nested struct */
    DC_FIELD_OBJECT_ARRAY, /* struct elements + int count */
} dc_field_kind;

typedef struct dc_field {
    const char *name;
    dc_field_kind kind;
    size_t offset;       /* of the value, or the first element, in the parent struct */
    size_t count_offset; /* arrays: offset of the int count */
    size_t elem_size;    /* arrays: element size */
    int capacity;        /* arrays: elements stored; strings: bytes incl. NUL */
    int max_items;       /* arrays: most the model may write; strings: most characters */
    const dc_enum_desc *enumd;
    const struct dc_field *children;
    int child_count;
    double min, max;  /* numbers: clamp range */
    const char *hint; /* one line for the prompt */
} dc_field;

/* The model-facing fields of dc_assessment, in output order (severity first). */
extern const dc_field dc_model_fields[];
extern const int dc_model_field_count;

extern const dc_enum_desc dc_enum_severity, dc_enum_scenario, dc_enum_tristate, dc_enum_action,
    dc_enum_position, dc_enum_signal, dc_enum_actor, dc_enum_road, dc_enum_weather, dc_enum_light,
    dc_enum_visibility, dc_enum_hazard;

/* Name of value v (unknown_value or out of range -> names[0] or NULL for severity). */
const char *dc_enum_name(const dc_enum_desc *e, int v);
/* Case-insensitive, treating ' ', '-' as '_'; returns unknown_value if no match and sets
 * *matched (may be NULL). */
int dc_enum_parse(const dc_enum_desc *e, const char *s, bool *matched);

/* The model-facing part of *base (an object with the fields' parent struct layout) as a
 * jansson object (for the full record). Returns a new reference. */
json_t *dc_fields_to_json(const dc_field *fields, int count, const void *base);
/* Fills *base from obj. Field names match case-insensitively. Problems (unknown enum
 * spellings, clamped numbers, truncated strings or arrays) are described in note[] (may be
 * NULL) and counted in the return value. */
int dc_fields_from_json(const dc_field *fields, int count, const json_t *obj, void *base,
                        char *note, size_t note_size);

/* Lenient parse into a jansson value (new reference) or NULL when nothing JSON-like. */
json_t *dc_lenient_parse(const char *text, size_t len, int *repairs);

/* Copies src into dst[cap] truncated at a UTF-8 character boundary. Returns true when
 * something was cut. */
bool dc_copy_utf8(char *dst, size_t cap, const char *src);
/* A JSON string of s; bytes that are not valid UTF-8 become '?'. Never NULL. */
json_t *dc_json_text(const char *s);
/* Case-insensitive lookup of key in obj. */
json_t *dc_json_get_ci(const json_t *obj, const char *key);
/* Current UTC time as ISO 8601 into out[32]. */
void dc_utc_now(char out[32]);

/* Growable string for writers. */
typedef struct {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory: later appends are ignored */
} dc_strbuf;
void dc_sb_append(dc_strbuf *sb, const char *s);
void dc_sb_appendn(dc_strbuf *sb, const char *s, size_t n);
void dc_sb_printf(dc_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string (caller frees) or NULL if anything failed. */
char *dc_sb_finish(dc_strbuf *sb);

#endif
