/* A forgiving JSON reader for text that was not grammar-constrained: other backends, old
 * records, a model that wandered. It finds the JSON inside prose, <think> blocks and
 * markdown fences and repairs what models get wrong (truncation, single quotes, bare keys and
 * words, missing or extra commas, comments, Python literals, invalid UTF-8). Every byte
 * string is valid input: the reader only moves forward, bounds its nesting, and returns NULL
 * when nothing JSON-like is found. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "claim_internal.h"

#define MAX_DEPTH 64
/* Opening braces tried before giving up; bounds the work on hostile input. */
#define MAX_START_ATTEMPTS 32

typedef struct {
    const char *s;
    size_t pos, len;
    int repairs;
    dc_str buf; /* scratch for strings */
    bool oom;   /* an allocation failed: what was read is incomplete, not the model's fault */
} reader;

static int peek(const reader *r) { return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1; }
static bool at_end(const reader *r) { return r->pos >= r->len; }

static void skip_space(reader *r) {
    while (!at_end(r)) {
        int c = peek(r);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            r->pos++;
        } else if (c == '/' && r->pos + 1 < r->len && r->s[r->pos + 1] == '/') {
            while (!at_end(r) && peek(r) != '\n') r->pos++;
            r->repairs++;
        } else if (c == '/' && r->pos + 1 < r->len && r->s[r->pos + 1] == '*') {
            r->pos += 2;
            while (!at_end(r) &&
                   !(peek(r) == '*' && r->pos + 1 < r->len && r->s[r->pos + 1] == '/'))
                r->pos++;
            r->pos = r->pos + 2 <= r->len ? r->pos + 2 : r->len;
            r->repairs++;
        } else {
            break;
        }
    }
}

/* Appends code point cp as UTF-8 (surrogates and out-of-range become U+FFFD). */
static void put_utf8(dc_str *b, unsigned long cp) {
    char out[4];
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0) cp = cp == 0 ? ' ' : 0xFFFD;
    if (cp < 0x80) {
        out[0] = (char)cp;
        dc_str_appendn(b, out, 1);
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        dc_str_appendn(b, out, 2);
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        dc_str_appendn(b, out, 3);
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        dc_str_appendn(b, out, 4);
    }
}

/* Copies one UTF-8 character from the input, replacing invalid sequences with U+FFFD. */
static void copy_utf8_char(reader *r) {
    const unsigned char *p = (const unsigned char *)r->s + r->pos;
    size_t avail = r->len - r->pos;
    unsigned c = p[0];
    size_t need = 0;
    unsigned long cp = 0, min = 0;
    if (c < 0x80) {
        if (c == 0) {
            /* NUL cannot live in a C string value */
            put_utf8(&r->buf, ' ');
            r->repairs++;
        } else {
            char ch = (char)c;
            dc_str_appendn(&r->buf, &ch, 1);
        }
        r->pos++;
        return;
    } else if ((c & 0xE0) == 0xC0) {
        need = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        need = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        need = 3, cp = c & 0x07, min = 0x10000;
    } else {
        put_utf8(&r->buf, 0xFFFD);
        r->repairs++;
        r->pos++;
        return;
    }
    if (avail < need + 1) {
        put_utf8(&r->buf, 0xFFFD);
        r->repairs++;
        r->pos++;
        return;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            put_utf8(&r->buf, 0xFFFD);
            r->repairs++;
            r->pos++;
            return;
        }
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        put_utf8(&r->buf, 0xFFFD);
        r->repairs++;
    } else {
        dc_str_appendn(&r->buf, (const char *)p, need + 1);
    }
    r->pos += need + 1;
}

static int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at r->pos; returns -1 (consuming nothing) when they are not there. */
static long read_hex4(reader *r) {
    if (r->len - r->pos < 4) return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int d = hex_digit((unsigned char)r->s[r->pos + (size_t)k]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    r->pos += 4;
    return v;
}

/* A quoted string (either quote); an unterminated one ends at the end of input. The result
 * is in r->buf (NUL-terminated). */
static void read_string(reader *r) {
    int quote = peek(r);
    r->pos++;
    dc_str_reset(&r->buf);
    if (quote == '\'') r->repairs++;
    while (true) {
        if (at_end(r)) {
            r->repairs++; /* truncated: close the string */
            return;
        }
        int c = peek(r);
        if (c == quote) {
            r->pos++;
            return;
        }
        if (c != '\\') {
            copy_utf8_char(r);
            continue;
        }
        r->pos++;
        if (at_end(r)) {
            r->repairs++;
            return;
        }
        int e = peek(r);
        r->pos++;
        char ch = 0;
        switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case '\'': ch = '\''; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            long hi = read_hex4(r);
            if (hi < 0) {
                put_utf8(&r->buf, 0xFFFD);
                r->repairs++;
                continue;
            }
            unsigned long cp = (unsigned long)hi;
            if (hi >= 0xD800 && hi <= 0xDBFF && r->len - r->pos >= 6 && r->s[r->pos] == '\\' &&
                r->s[r->pos + 1] == 'u') {
                size_t save = r->pos;
                r->pos += 2;
                long lo = read_hex4(r);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) +
                         ((unsigned long)lo - 0xDC00);
                } else {
                    r->pos = save;
                }
            }
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) r->repairs++;
            put_utf8(&r->buf, cp);
            continue;
        }
        default: /* unknown escape: keep the character */
            r->repairs++;
            r->pos--;
            copy_utf8_char(r);
            continue;
        }
        dc_str_appendn(&r->buf, &ch, 1);
    }
}

static bool is_word_char(int c) {
    return c >= 0 && (isalnum(c) || c == '_' || c == '-' || c == '.' || c == '+' || c >= 0x80);
}

/* A bare word (unquoted key or value): letters, digits, _-.+ and non-ASCII. */
static void read_word(reader *r) {
    dc_str_reset(&r->buf);
    while (!at_end(r) && is_word_char(peek(r))) copy_utf8_char(r);
}

/* Strict JSON number syntax: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *w) {
    if (*w == '-') w++;
    if (*w == '0') w++;
    else if (*w >= '1' && *w <= '9')
        while (*w >= '0' && *w <= '9') w++;
    else return false;
    if (*w == '.') {
        w++;
        if (!(*w >= '0' && *w <= '9')) return false;
        while (*w >= '0' && *w <= '9') w++;
    }
    if (*w == 'e' || *w == 'E') {
        w++;
        if (*w == '+' || *w == '-') w++;
        if (!(*w >= '0' && *w <= '9')) return false;
        while (*w >= '0' && *w <= '9') w++;
    }
    return *w == '\0';
}

/* v, noting in r when a constructor returned NULL (out of memory). */
static json_t *oom_check(reader *r, json_t *v) {
    if (!v) r->oom = true;
    return v;
}

static json_t *word_value(reader *r) {
    if (r->buf.failed) return oom_check(r, NULL); /* out of memory: the word is not all there */
    const char *w = dc_str_text(&r->buf);
    if (!strcmp(w, "true")) return json_true();
    if (!strcmp(w, "false")) return json_false();
    if (!strcmp(w, "null")) return json_null();
    if (!is_json_number(w)) r->repairs++;
    if (!strcmp(w, "True")) return json_true();
    if (!strcmp(w, "False")) return json_false();
    if (!strcmp(w, "None") || !strcmp(w, "undefined") || !strcmp(w, "NaN")) return json_null();
    char *end;
    double d = strtod(w, &end);
    if (*w && *end == '\0' && end != w) {
        if (!isfinite(d)) d = isnan(d) ? 0 : (d > 0 ? DBL_MAX : -DBL_MAX);
        /* integers stay integers when they fit */
        if (d == floor(d) && fabs(d) < 9e15 && !strpbrk(w, ".eE"))
            return oom_check(r, json_integer((json_int_t)d));
        return oom_check(r, json_real(d));
    }
    return oom_check(r, json_string(w)); /* an unquoted enum value such as HIGH */
}

static json_t *read_value(reader *r, int depth);

static bool is_value_start(int c) {
    return c == '{' || c == '[' || c == '"' || c == '\'' || is_word_char(c);
}

static json_t *read_object(reader *r, int depth) {
    r->pos++; /* '{' */
    json_t *obj = oom_check(r, json_object());
    if (!obj) return NULL;
    while (true) {
        skip_space(r);
        if (at_end(r)) {
            r->repairs++;
            return obj;
        }
        int c = peek(r);
        if (c == '}') {
            r->pos++;
            return obj;
        }
        if (c == ']') { /* wrong bracket: a model's typo for '}' */
            r->repairs++;
            r->pos++;
            return obj;
        }
        if (c == ',') {
            r->repairs++; /* extra comma */
            r->pos++;
            continue;
        }
        if (c == '"' || c == '\'') {
            read_string(r);
        } else if (is_word_char(c)) {
            r->repairs++;
            read_word(r);
        } else {
            r->repairs++; /* garbage where a key should be */
            r->pos++;
            continue;
        }
        char *key = r->buf.failed ? NULL : strdup(dc_str_text(&r->buf));
        if (!key) {
            r->oom = true;
            json_decref(obj);
            return NULL;
        }
        skip_space(r);
        json_t *val = NULL;
        if (peek(r) == ':' || peek(r) == '=') {
            if (peek(r) == '=') r->repairs++;
            r->pos++;
            skip_space(r);
            if (at_end(r) || peek(r) == ',' || peek(r) == '}' || peek(r) == ']') {
                r->repairs++;
                val = json_null();
            } else {
                val = read_value(r, depth + 1);
            }
        } else if (!at_end(r) && is_value_start(peek(r))) {
            r->repairs++; /* missing colon */
            val = read_value(r, depth + 1);
        } else {
            r->repairs++; /* key without value */
            val = json_null();
        }
        if (!val) val = json_null();
        if (json_object_set_new(obj, key, val) != 0) r->oom = true;
        free(key);
        if (r->oom) {
            json_decref(obj);
            return NULL;
        }
        skip_space(r);
        if (peek(r) == ',') r->pos++;
        else if (!at_end(r) && peek(r) != '}' && peek(r) != ']') r->repairs++; /* missing comma */
    }
}

static json_t *read_array(reader *r, int depth) {
    r->pos++; /* '[' */
    json_t *arr = oom_check(r, json_array());
    if (!arr) return NULL;
    while (true) {
        skip_space(r);
        if (at_end(r)) {
            r->repairs++;
            return arr;
        }
        int c = peek(r);
        if (c == ']') {
            r->pos++;
            return arr;
        }
        if (c == '}') { /* wrong bracket: a model's typo for ']' */
            r->repairs++;
            r->pos++;
            return arr;
        }
        if (c == ',') {
            r->repairs++;
            r->pos++;
            continue;
        }
        if (!is_value_start(c)) {
            r->repairs++;
            r->pos++;
            continue;
        }
        json_t *val = read_value(r, depth + 1);
        if (json_array_append_new(arr, val ? val : json_null()) != 0) r->oom = true;
        if (r->oom) {
            json_decref(arr);
            return NULL;
        }
        skip_space(r);
        if (peek(r) == ',') r->pos++;
        else if (!at_end(r) && peek(r) != ']' && peek(r) != '}') r->repairs++;
    }
}

/* Skips a whole value without building it (used past the depth bound). */
static void skip_value(reader *r) {
    int depth = 0;
    while (!at_end(r)) {
        int c = peek(r);
        if (c == '"' || c == '\'') {
            read_string(r);
            if (depth == 0) return;
            continue;
        }
        r->pos++;
        if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (--depth <= 0) return;
        } else if (depth == 0 && (c == ',' || isspace(c))) {
            return;
        }
    }
}

static json_t *read_value(reader *r, int depth) {
    skip_space(r);
    if (at_end(r)) {
        r->repairs++;
        return json_null();
    }
    if (depth > MAX_DEPTH) {
        r->repairs++;
        skip_value(r);
        return json_null();
    }
    int c = peek(r);
    if (c == '{') return read_object(r, depth);
    if (c == '[') return read_array(r, depth);
    if (c == '"' || c == '\'') {
        read_string(r);
        if (r->buf.failed) r->oom = true;
        return r->buf.failed ? NULL : oom_check(r, json_string(dc_str_text(&r->buf)));
    }
    if (is_word_char(c)) {
        read_word(r);
        return word_value(r);
    }
    r->repairs++;
    r->pos++;
    return json_null();
}

/* Where the answer starts: after the last </think> if there is one (a reasoning model's
 * thoughts may contain JSON-like drafts). */
static size_t answer_start(const char *text, size_t len) {
    static const char close_tag[] = "</think>";
    size_t start = 0, tag = sizeof close_tag - 1;
    for (size_t i = 0; i + tag <= len; i++)
        if (memcmp(text + i, close_tag, tag) == 0) start = i + tag;
    return start;
}

static bool useful(const json_t *v) {
    return (json_is_object(v) && json_object_size(v) > 0) ||
           (json_is_array(v) && json_array_size(v) > 0);
}

/* A '[' starts a candidate only when it looks like a JSON array of values ("[{", "[[",
 * "[\""), so a citation like "[1]" in prose does not hide the object that follows. */
static bool candidate_start(const char *text, size_t i, size_t len) {
    if (text[i] == '{') return true;
    if (text[i] != '[') return false;
    for (size_t k = i + 1; k < len; k++) {
        char c = text[k];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        return c == '{' || c == '[' || c == '"';
    }
    return false;
}

static json_t *parse_from(const char *text, size_t from, size_t len, int *repairs, bool *oom) {
    json_t *fallback = NULL; /* an empty {} or [] if nothing better turns up */
    int fallback_repairs = 0;
    int attempts = 0;
    for (size_t i = from; i < len && attempts < MAX_START_ATTEMPTS; i++) {
        if (!candidate_start(text, i, len)) continue;
        attempts++;
        reader r = {.s = text, .pos = i, .len = len};
        json_t *v = read_value(&r, 0);
        dc_str_free(&r.buf);
        if (r.oom) {
            /* a later start would find a fragment of this answer and pass it off as the
             * answer: stop, and say why */
            json_decref(v);
            json_decref(fallback);
            *oom = true;
            return NULL;
        }
        if (useful(v)) {
            json_decref(fallback);
            if (repairs) *repairs = r.repairs;
            return v;
        }
        if (v && !fallback && (json_is_object(v) || json_is_array(v))) {
            fallback = v;
            fallback_repairs = r.repairs;
        } else {
            json_decref(v);
        }
    }
    if (fallback && repairs) *repairs = fallback_repairs;
    return fallback;
}

json_t *claim_lenient_parse_checked(const char *text, size_t len, int *repairs, bool *oom) {
    bool local_oom = false;
    if (!oom) oom = &local_oom;
    *oom = false;
    if (repairs) *repairs = 0;
    if (!text) return NULL;
    size_t from = answer_start(text, len);
    json_t *v = parse_from(text, from, len, repairs, oom);
    /* nothing after the thoughts: the answer may have been written inside them */
    if (!v && from > 0 && !*oom) {
        v = parse_from(text, 0, len, repairs, oom);
        if (v && repairs) (*repairs)++;
    }
    return v;
}

json_t *claim_lenient_parse(const char *text, size_t len, int *repairs) {
    return claim_lenient_parse_checked(text, len, repairs, NULL);
}

dc_error_class dc_lenient_json_repair(const char *text, size_t len, char **out_json, int *repairs,
                                      dc_status *st) {
    *out_json = NULL;
    bool oom;
    json_t *v = claim_lenient_parse_checked(text, len, repairs, &oom);
    if (!v && oom) return dc_fail(st, DC_ERR_RESOURCE, "lenient JSON: out of memory");
    if (!v) return dc_fail(st, DC_ERR_INPUT, "lenient JSON: no object or array in %zu bytes", len);
    *out_json = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
    json_decref(v);
    if (!*out_json) return dc_fail(st, DC_ERR_RESOURCE, "lenient JSON: out of memory");
    return DC_OK;
}
