/* The growing page every report is built in. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static bool page_reserve(report_page *p, size_t extra) {
    if (p->failed) return false;
    if (p->len + extra + 1 <= p->cap) return true;
    size_t cap = p->cap ? p->cap : 16384;
    while (cap < p->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            p->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *data = realloc(p->data, cap);
    if (!data) {
        p->failed = true;
        return false;
    }
    p->data = data;
    p->cap = cap;
    return true;
}

void report_page_putn(report_page *p, const char *s, size_t n) {
    if (!page_reserve(p, n)) return;
    memcpy(p->data + p->len, s, n);
    p->len += n;
    p->data[p->len] = '\0';
}

void report_page_put(report_page *p, const char *s) {
    if (s) report_page_putn(p, s, strlen(s));
}

void report_page_printf(report_page *p, const char *fmt, ...) {
    if (p->failed) return;
    va_list ap;
    va_start(ap, fmt);
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        p->failed = true;
    } else if (page_reserve(p, (size_t)n)) {
        vsnprintf(p->data + p->len, (size_t)n + 1, fmt, again);
        p->len += (size_t)n;
    }
    va_end(again);
}

static void put_to_page(void *ctx, const char *s, size_t n) { report_page_putn(ctx, s, n); }

void report_page_put_escaped(report_page *p, const char *text) {
    if (text) report_html_escape_to(text, strlen(text), put_to_page, p);
}

void report_page_free(report_page *p) {
    free(p->data);
    *p = (report_page){0};
}
