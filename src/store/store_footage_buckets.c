/* The footage index's bucket layout, shared by both backends (store_footage_internal.h says
 * what a bucket is and why): collecting postings, grouping them into bucket appends, and
 * reading a bucket's entries back. */
#include <stdlib.h>
#include <string.h>

#include "store_footage_internal.h"

/* A posting packed into one word: key << FP_VIDEO_BITS | video. Sorting the words sorts by key
 * (and so by bucket); 8 bytes a posting keeps a bulk load of 64 million postings in 512 MB. */
#define FP_VIDEO_BITS 30

struct fp_postings_buf {
    uint64_t *p, *tmp;
    size_t n, cap;
    fp_bucket_add *adds;
    uint8_t *bytes;
};

fp_postings_buf *fp_buf_new(void) { return calloc(1, sizeof(fp_postings_buf)); }

void fp_buf_clear(fp_postings_buf *b) {
    if (b) b->n = 0;
}

void fp_buf_free(fp_postings_buf *b) {
    if (!b) return;
    free(b->p);
    free(b->tmp);
    free(b->adds);
    free(b->bytes);
    free(b);
}

void fp_buf_truncate(fp_postings_buf *b, size_t n) {
    if (b && n < b->n) b->n = n;
}

size_t fp_buf_count(const fp_postings_buf *b) { return b ? b->n : 0; }

dc_error_class fp_buf_add(fp_postings_buf *b, int64_t video, const dc_fp_key *keys, int n,
                          dc_status *st) {
    if (video <= 0 || video >= (int64_t)1 << FP_VIDEO_BITS)
        return dc_fail(st, DC_ERR_RESOURCE,
                       "footage index: video id %lld outside the index's 30-bit range",
                       (long long)video);
    if (b->n + (size_t)n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + (size_t)n) cap *= 2;
        uint64_t *p = realloc(b->p, cap * sizeof *p);
        if (!p) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
        b->p = p;
        b->cap = cap;
    }
    for (int i = 0; i < n; i++) b->p[b->n++] = (uint64_t)keys[i] << FP_VIDEO_BITS | (uint64_t)video;
    return DC_OK;
}

uint32_t fp_bucket_of(dc_fp_key key) { return (uint32_t)(key >> FP_BUCKET_SHIFT); }

/* Sorts by bucket only (the order inside a bucket does not matter to a reader): two passes of
 * a 12-bit radix sort over the bucket's 24 bits, linear in the postings. */
static bool sort_by_bucket(fp_postings_buf *b) {
    free(b->tmp);
    b->tmp = malloc((b->n ? b->n : 1) * sizeof *b->tmp);
    if (!b->tmp) return false;
    const int shift0 = FP_VIDEO_BITS + FP_BUCKET_SHIFT;
    uint64_t *src = b->p, *dst = b->tmp;
    for (int pass = 0; pass < 2; pass++) {
        int shift = shift0 + 12 * pass;
        size_t count[4097] = {0};
        for (size_t i = 0; i < b->n; i++) count[((src[i] >> shift) & 4095) + 1]++;
        for (int d = 0; d < 4096; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < b->n; i++) dst[count[(src[i] >> shift) & 4095]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    b->p = src; /* after two passes the sorted words are back in the first array */
    b->tmp = dst;
    free(b->tmp);
    b->tmp = NULL;
    return true;
}

dc_error_class fp_buf_groups(fp_postings_buf *b, const fp_bucket_add **adds, size_t *n,
                             dc_status *st) {
    *adds = NULL;
    *n = 0;
    if (b->n == 0) return DC_OK;
    if (!sort_by_bucket(b)) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    free(b->adds);
    free(b->bytes);
    size_t groups = 1;
    for (size_t i = 1; i < b->n; i++)
        groups += (b->p[i] >> (FP_VIDEO_BITS + FP_BUCKET_SHIFT)) !=
                  (b->p[i - 1] >> (FP_VIDEO_BITS + FP_BUCKET_SHIFT));
    b->adds = malloc(groups * sizeof *b->adds);
    b->bytes = malloc(b->n * FP_ENTRY_BYTES);
    if (!b->adds || !b->bytes) return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    size_t g = 0;
    uint8_t *at = b->bytes;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t w = b->p[i];
        uint32_t bucket = (uint32_t)(w >> (FP_VIDEO_BITS + FP_BUCKET_SHIFT));
        if (i == 0 || bucket != b->adds[g - 1].bucket)
            b->adds[g++] = (fp_bucket_add){bucket, 0, at};
        uint32_t rest = (uint32_t)(w >> FP_VIDEO_BITS) & ((1u << FP_BUCKET_SHIFT) - 1);
        uint32_t video = (uint32_t)(w & ((1u << FP_VIDEO_BITS) - 1));
        at[0] = (uint8_t)rest;
        at[1] = (uint8_t)(rest >> 8);
        for (int k = 0; k < 4; k++) at[2 + k] = (uint8_t)(video >> (8 * k));
        at += FP_ENTRY_BYTES;
        b->adds[g - 1].len += FP_ENTRY_BYTES;
    }
    *adds = b->adds;
    *n = g;
    return DC_OK;
}

bool fp_bucket_scan(dc_fp_key key, const uint8_t *entries, size_t len, fp_hit_fn fn, void *arg,
                    dc_status *st) {
    uint32_t rest = (uint32_t)(key & ((1u << FP_BUCKET_SHIFT) - 1));
    for (size_t at = 0; at + FP_ENTRY_BYTES <= len; at += FP_ENTRY_BYTES) {
        const uint8_t *e = entries + at;
        if ((uint32_t)(e[0] | e[1] << 8) != rest) continue;
        uint32_t video =
            (uint32_t)e[2] | (uint32_t)e[3] << 8 | (uint32_t)e[4] << 16 | (uint32_t)e[5] << 24;
        if (!fn(arg, (int64_t)video, st)) return false;
    }
    return true;
}
