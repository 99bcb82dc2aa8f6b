/* Small helpers shared by the claim module: enum spellings, UTF-8-safe copies, timestamps. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "claim_internal.h"

const char *claim_enum_name(const claim_enum_desc *e, int v) {
    if (v < 0 || v >= e->count) return e->unknown_value < 0 ? NULL : e->names[e->unknown_value];
    return e->names[v];
}

/* Compares a spelling with a name ignoring case and treating ' ' and '-' as '_', so
 * "Rear End" and "rear-end" read as rear_end. */
static bool spelling_matches(const char *s, const char *name) {
    while (*s == ' ') s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') n--;
    size_t i = 0;
    for (; i < n && name[i]; i++) {
        char c = s[i];
        if (c == ' ' || c == '-') c = '_';
        if (tolower((unsigned char)c) != tolower((unsigned char)name[i])) return false;
    }
    return i == n && name[i] == '\0';
}

int claim_enum_parse(const claim_enum_desc *e, const char *s, bool *matched) {
    if (matched) *matched = false;
    if (!s) return e->unknown_value;
    for (int i = 0; i < e->count; i++) {
        if (spelling_matches(s, e->names[i])) {
            if (matched) *matched = true;
            return i;
        }
    }
    return e->unknown_value;
}

bool claim_copy_utf8(char *dst, size_t cap, const char *src) {
    if (cap == 0) return src && *src;
    size_t n = src ? strlen(src) : 0;
    bool cut = false;
    if (n >= cap) {
        n = cap - 1;
        /* back up over continuation bytes so no character is split */
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
        cut = true;
    }
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
    return cut;
}

json_t *claim_json_get_ci(const json_t *obj, const char *key) {
    if (!json_is_object(obj)) return NULL;
    json_t *v = json_object_get(obj, key);
    if (v) return v;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)obj, k, val) {
        if (spelling_matches(k, key)) return val;
    }
    return NULL;
}

void claim_utc_now(char out[32]) {
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm)) {
        snprintf(out, 32, "1970-01-01T00:00:00Z");
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* User-supplied text (paths, ids) may not be UTF-8; JSON must be. Invalid bytes become '?'. */
json_t *claim_json_text(const char *s) {
    json_t *v = json_string(s);
    if (v) return v;
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy) return json_null();
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int len = p[i] < 0x80             ? 1
                  : (p[i] & 0xE0) == 0xC0 ? 2
                  : (p[i] & 0xF0) == 0xE0 ? 3
                  : (p[i] & 0xF8) == 0xF0 ? 4
                                          : 0;
        bool ok = len > 0 && i + (size_t)len <= n;
        for (int k = 1; ok && k < len; k++) ok = (p[i + (size_t)k] & 0xC0) == 0x80;
        if (ok && len > 1) {
            json_t *probe = json_stringn((const char *)p + i, (size_t)len);
            ok = probe != NULL;
            json_decref(probe);
        }
        if (!ok) {
            copy[o++] = '?';
            i++;
        } else {
            memcpy(copy + o, p + i, (size_t)len);
            o += (size_t)len;
            i += (size_t)len;
        }
    }
    copy[o] = '\0';
    v = json_string(copy);
    free(copy);
    return v ? v : json_null();
}

/* ---- public names ---- */

const char *dc_severity_name(dc_severity s) {
    return claim_enum_name(&claim_enum_severity, (int)s);
}

dc_severity dc_severity_from_name(const char *name) {
    return (dc_severity)claim_enum_parse(&claim_enum_severity, name, NULL);
}

const char *dc_claim_status_name(dc_claim_status s) {
    return claim_enum_name(&claim_enum_status, (int)s);
}

const char *dc_scenario_name(dc_scenario s) {
    return claim_enum_name(&claim_enum_scenario, (int)s);
}

const char *dc_review_priority_name(dc_review_priority p) {
    return claim_enum_name(&claim_enum_priority, (int)p);
}

const char *dc_recommended_action_name(dc_recommended_action a) {
    return claim_enum_name(&claim_enum_recommendation, (int)a);
}

const char *dc_conformal_method_name(dc_conformal_method m) {
    return m == DC_CONFORMAL_APS ? "aps" : "lac";
}
