/* dc_str: one growable string for every writer in the project (see dashclaim/str.h). */
#include "dashclaim/str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `extra` more bytes and the NUL. False (and s failed) when that cannot be had. */
static bool reserve(dc_str *s, size_t extra) {
    if (s->failed) return false;
    if (extra > SIZE_MAX - 1 - s->len) return s->failed = true, false;
    size_t need = s->len + extra + 1;
    if (need <= s->cap) return true;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *data = realloc(s->data, cap);
    if (!data) return s->failed = true, false;
    s->data = data;
    s->cap = cap;
    return true;
}

void dc_str_appendn(dc_str *s, const char *text, size_t n) {
    if (!text || !reserve(s, n)) return;
    memcpy(s->data + s->len, text, n);
    s->len += n;
    s->data[s->len] = '\0';
}

void dc_str_append(dc_str *s, const char *text) {
    if (text) dc_str_appendn(s, text, strlen(text));
}

void dc_str_vappendf(dc_str *s, const char *fmt, va_list ap) {
    if (s->failed) return;
    va_list again;
    va_copy(again, ap);
    /* Try the room there is; only a longer result needs a second formatting pass. */
    size_t room = s->data ? s->cap - s->len : 0;
    int n = vsnprintf(s->data ? s->data + s->len : NULL, room, fmt, ap);
    if (n < 0) {
        s->failed = true;
    } else if ((size_t)n < room) {
        s->len += (size_t)n;
    } else if (reserve(s, (size_t)n)) {
        vsnprintf(s->data + s->len, (size_t)n + 1, fmt, again);
        s->len += (size_t)n;
    }
    /* A failed or partial pass may have written into the spare room: the text ends where it
     * did before. */
    if (s->data) s->data[s->len] = '\0';
    va_end(again);
}

void dc_str_appendf(dc_str *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dc_str_vappendf(s, fmt, ap);
    va_end(ap);
}

const char *dc_str_text(const dc_str *s) { return s->data ? s->data : ""; }

void dc_str_truncate(dc_str *s, size_t len) {
    if (len >= s->len) return;
    s->len = len;
    s->data[len] = '\0';
}

void dc_str_reset(dc_str *s) {
    s->len = 0;
    s->failed = false;
    if (s->data) s->data[0] = '\0';
}

char *dc_str_finish(dc_str *s) {
    if (s->failed) {
        dc_str_free(s);
        return NULL;
    }
    char *text = s->data ? s->data : calloc(1, 1);
    *s = (dc_str){0};
    return text;
}

void dc_str_free(dc_str *s) {
    free(s->data);
    *s = (dc_str){0};
}
