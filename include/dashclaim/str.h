/* A growable string with a sticky error, for building JSON, prompts, grammars and pages.
 *
 *   dc_str s = {0};                         a zeroed dc_str is an empty string
 *   dc_str_append(&s, "x = ");
 *   dc_str_appendf(&s, "%d\n", x);
 *   char *text = dc_str_finish(&s);         caller frees; NULL if anything failed
 *
 * Errors: appends return nothing. The first failure (out of memory, a length that would
 * overflow, a bad format) marks the string failed; later appends do nothing, and
 * dc_str_finish returns NULL. So a writer appends freely and checks once, at the end.
 * Ownership: the dc_str owns data until dc_str_finish hands it over or dc_str_free frees it.
 * Not thread-safe (one writer per dc_str). */
#ifndef DASHCLAIM_STR_H
#define DASHCLAIM_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;  /* NUL-terminated text; NULL until the first append */
    size_t len;  /* bytes of text, not counting the NUL */
    size_t cap;  /* bytes allocated */
    bool failed; /* sticky: an append failed; the text stops at the last good append */
} dc_str;

/* text NULL appends nothing. */
void dc_str_append(dc_str *s, const char *text);
void dc_str_appendn(dc_str *s, const char *text, size_t n);
void dc_str_appendf(dc_str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dc_str_vappendf(dc_str *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* The text so far ("" when empty); valid until the next append or free. */
const char *dc_str_text(const dc_str *s);
/* Cuts the text to its first len bytes (nothing when it is not longer); the error stays. */
void dc_str_truncate(dc_str *s, size_t len);
/* Empties the text and clears the error; keeps the memory for reuse. */
void dc_str_reset(dc_str *s);
/* Hands the text to the caller (free() it) and leaves s empty. NULL when s failed (its memory
 * is freed then); "" (allocated) when nothing was appended. */
char *dc_str_finish(dc_str *s);
/* Frees the text; s is empty afterwards. Safe on a zeroed or finished dc_str. */
void dc_str_free(dc_str *s);

#endif
