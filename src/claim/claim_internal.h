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
#define CLAIM_MODEL_FIELD_COUNT 6
extern const claim_field claim_model_fields[CLAIM_MODEL_FIELD_COUNT];
extern const int claim_model_field_count;

extern const claim_enum_desc claim_enum_severity, claim_enum_scenario, claim_enum_tristate,
    claim_enum_action, claim_enum_position, claim_enum_signal, claim_enum_actor, claim_enum_road,
    claim_enum_weather, claim_enum_light, claim_enum_visibility, claim_enum_hazard;

/* The record-only enumerations (not offered to the model). */
extern const claim_enum_desc claim_enum_status, claim_enum_priority, claim_enum_recommendation;

/* Name of value v (out of range -> names[unknown_value], or NULL for severity). */
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

/* ---- the whole record ("dashclaim.assessment/1") ---------------------------------------
 * One table (record_schema.c) says how every field of dc_assessment is written and read
 * (record_json.c); the model-facing fields come in through the table above. */
typedef enum {
    RECORD_STRING,         /* char[capacity] */
    RECORD_STRING_OR_NULL, /* char[capacity]; "" is written as null */
    RECORD_NUMBER,         /* double */
    RECORD_NUMBER_OR_NULL, /* double; negative (not measured) is written as null */
    RECORD_INT,            /* int */
    RECORD_BYTES,          /* uint64_t */
    RECORD_ENUM,           /* int-sized enum spelled by enumd */
    RECORD_STRING_ARRAY,   /* char[capacity][elem_size] + int count */
    RECORD_OBJECT,         /* a JSON object of children at offset (0: fields of this struct) */
    RECORD_OBJECT_ARRAY,   /* elements of elem_size + int count, each a JSON object */
    RECORD_MODEL,          /* the model-facing fields model[0..model_count), at this level */
    RECORD_CUSTOM,         /* written and read by write/read (rules that span fields) */
} record_kind;

typedef struct record_field {
    const char *name;
    record_kind kind;
    size_t offset;       /* of the value, or the first element, in the parent struct */
    size_t count_offset; /* arrays: offset of the int count */
    size_t elem_size;    /* arrays: element size */
    int capacity;        /* arrays: elements; strings: bytes incl. NUL */
    const claim_enum_desc *enumd;
    const struct record_field *children;
    int child_count;
    const claim_field *model;
    int model_count;
    /* RECORD_CUSTOM: adds name (and whatever goes with it) to obj / reads it back. */
    bool (*write)(json_t *obj, const char *name, const void *base);
    void (*read)(const json_t *obj, const char *name, void *base);
} record_field;

extern const record_field claim_record_fields[];
extern const int claim_record_field_count;

/* Lenient parse into a jansson value (new reference) or NULL when nothing JSON-like. */
json_t *claim_lenient_parse(const char *text, size_t len, int *repairs);
/* The same, and *oom (may be NULL) says whether NULL came from running out of memory: the
 * answer was not read, which is no fault of the model's. */
json_t *claim_lenient_parse_checked(const char *text, size_t len, int *repairs, bool *oom);

/* Copies src into dst[cap] truncated at a UTF-8 character boundary. Returns true when
 * something was cut. */
bool claim_copy_utf8(char *dst, size_t cap, const char *src);
/* A JSON string of s; bytes that are not valid UTF-8 become '?'. Never NULL. */
json_t *claim_json_text(const char *s);
/* Case-insensitive lookup of key in obj. */
json_t *claim_json_get_ci(const json_t *obj, const char *key);
/* Current UTC time as ISO 8601 into out[32]. */
void claim_utc_now(char out[32]);

/* Adds "video" and "video_t_sec" to each evidence and hazard row the model-facing table
 * wrote, and reads them back (claim_videos.c); name is unused. */
bool claim_write_row_videos(json_t *obj, const char *name, const void *base);
void claim_read_row_videos(const json_t *obj, const char *name, void *base);

/* The record's "footage" entry (footage_record.c). */
bool claim_write_footage(json_t *obj, const char *name, const void *base);
void claim_read_footage(const json_t *obj, const char *name, void *base);

/* The record's "telemetry" and "speed_source" entries (telemetry_record.c). */
bool claim_write_telemetry(json_t *obj, const char *name, const void *base);
void claim_read_telemetry(const json_t *obj, const char *name, void *base);
bool claim_write_speed_source(json_t *obj, const char *name, const void *base);
void claim_read_speed_source(const json_t *obj, const char *name, void *base);

#endif
