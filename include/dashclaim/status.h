/* Errors as values. Every library call that can fail returns a dc_status: a class that
 * says whose problem it is (and becomes the assessment's error.class) and a message a
 * person can act on, naming the file and the problem. */
#ifndef DASHCLAIM_STATUS_H
#define DASHCLAIM_STATUS_H

#include <stdbool.h>

typedef enum {
    DC_OK = 0,
    DC_ERR_INPUT,    /* the user's file or request is bad */
    DC_ERR_RESOURCE, /* memory, disk, device: retry elsewhere may work */
    DC_ERR_TIMEOUT,  /* a deadline passed */
    DC_ERR_MODEL,    /* the model could not load or produced nothing usable */
    DC_ERR_INTERNAL, /* a bug in dashclaim */
} dc_error_class;

typedef struct {
    dc_error_class code;
    /* Set on success when the result is usable but incomplete (e.g. a truncated video
     * decoded up to its last good frame); message then says what is missing. */
    bool degraded;
    char message[512];
} dc_status;

#define DC_STATUS_OK ((dc_status){.code = DC_OK})

/* Fills *st (which may be NULL) and returns code, so `return dc_fail(st, ...)` reads well. */
dc_error_class dc_fail(dc_status *st, dc_error_class code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Marks *st degraded with a message (keeps code DC_OK). */
void dc_degrade(dc_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "input", "resource", "timeout", "model", "internal" ("ok" for DC_OK). */
const char *dc_error_class_name(dc_error_class code);

#endif
