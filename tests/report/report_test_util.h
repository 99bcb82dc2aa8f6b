/* Helpers the report tests share: reading pages back, counting markup, decoding the
 * base64 the pages embed (independently of the encoder under test). */
#ifndef DASHCLAIM_REPORT_TEST_UTIL_H
#define DASHCLAIM_REPORT_TEST_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* $DC_TEST_TMP/<sub>, created; caller frees. */
static inline char *test_tmp_dir(const char *sub) {
    const char *root = getenv("DC_TEST_TMP");
    if (!root || !*root) root = "/tmp";
    size_t n = strlen(root) + strlen(sub) + 2;
    char *dir = malloc(n);
    if (!dir) return NULL;
    snprintf(dir, n, "%s/%s", root, sub);
    mkdir(root, 0755);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        free(dir);
        return NULL;
    }
    return dir;
}

static inline char *test_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Whole file as a string; NULL when it cannot be read. */
static inline char *test_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 131072;
            char *d = realloc(data, cap);
            if (!d) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = d;
        }
        size_t got = fread(data + len, 1, 65536, f);
        len += got;
        if (got < 65536) break;
    }
    fclose(f);
    data[len] = '\0';
    return data;
}

static inline int test_count(const char *haystack, const char *needle) {
    int n = 0;
    size_t step = strlen(needle);
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + step, needle)) n++;
    return n;
}

static inline int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes padded base64 text[0..len); NULL on any malformed input. */
static inline uint8_t *test_base64_decode(const char *text, size_t len, size_t *out_len) {
    if (len % 4 != 0) return NULL;
    uint8_t *out = malloc(len / 4 * 3 + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = base64_value(c)) < 0) {
                free(out);
                return NULL;
            }
        }
        uint32_t bits =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (uint8_t)(bits >> 16);
        if (pad < 2) out[o++] = (uint8_t)(bits >> 8);
        if (pad < 1) out[o++] = (uint8_t)bits;
    }
    *out_len = o;
    return out;
}

#endif
