/* HTML escaping of untrusted text: model output, user metadata, file names.
 *
 * The five characters with meaning in HTML text and attribute values become entities, so
 * escaped text is safe both between tags and inside a quoted attribute. Invalid UTF-8 is
 * replaced rather than passed on: a browser guessing at broken bytes is how mojibake and,
 * with some legacy encodings, markup injection happen. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static const char replacement_char[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the valid UTF-8 sequence at s[0..left), or 0 when it is not one (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence_length(const unsigned char *s, size_t left) {
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (left < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

static const char *entity_for(unsigned char c) {
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

void report_page_put_escaped(dc_str *out, const char *text) {
    if (!text) return;
    size_t len = strlen(text);
    const unsigned char *s = (const unsigned char *)text;
    size_t run = 0; /* start of the pending run of bytes that need no change */
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        const char *entity = entity_for(c);
        size_t seq = entity ? 1 : utf8_sequence_length(s + i, len - i);
        bool control = c == 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r');
        if (!entity && seq > 0 && !control) {
            i += seq;
            continue;
        }
        if (i > run) dc_str_appendn(out, text + run, i - run);
        if (entity) {
            dc_str_appendn(out, entity, strlen(entity));
        } else {
            dc_str_appendn(out, replacement_char, sizeof replacement_char - 1);
        }
        i += 1; /* an invalid sequence is replaced one byte at a time; resync on the next */
        run = i;
    }
    if (i > run) dc_str_appendn(out, text + run, i - run);
}

char *dc_html_escape(const char *text) {
    dc_str out = {0};
    report_page_put_escaped(&out, text ? text : "");
    return dc_str_finish(&out);
}
