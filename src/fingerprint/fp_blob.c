/* The stored form of a fingerprint (layout: fingerprint.h) and its parser. The parser reads
 * bytes from a database or a request: the exact length follows from the count, which is
 * bounded before anything is multiplied; the checksum is checked before any entry is kept;
 * every entry's second, time and quality are range-checked and seconds must increase. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fp_internal.h"

/* CRC-32 (reflected 0xEDB88320) a byte at a time: crc_table[b] is b shifted through the
 * polynomial 8 times, built once. One lookup a byte instead of 8 shift-and-xor steps: every
 * stored video's blob is checksummed when it is written (a 60-s blob, 8.6 kB: ~220 us -> ~22
 * us; about 200 s of CPU over a million-video load). */
static uint32_t crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void crc_table_build(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        crc_table[b] = c;
    }
}

uint32_t fp_crc32(const uint8_t *p, size_t n) {
    pthread_once(&crc_table_once, crc_table_build);
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = (c >> 8) ^ crc_table[(c ^ p[i]) & 0xffu];
    return ~c;
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put_hash(uint8_t *p, const dc_fp_hash *h) {
    for (int w = 0; w < DC_FP_WORDS; w++)
        for (int i = 0; i < 8; i++) p[8 * w + i] = (uint8_t)(h->w[w] >> (8 * i));
}
static void get_hash(const uint8_t *p, dc_fp_hash *h) {
    for (int w = 0; w < DC_FP_WORDS; w++) {
        h->w[w] = 0;
        for (int i = 0; i < 8; i++) h->w[w] |= (uint64_t)p[8 * w + i] << (8 * i);
    }
}

/* Version 2 when the fingerprint has the stored views, else version 1 (a version-1 blob read
 * and written again stays what it was). */
static bool has_views(const dc_fingerprint *fp) { return fp->zooms >= DC_FP_ZOOMS_STORED; }

static size_t entry_size(int version) {
    return version >= 2 ? DC_FP_BLOB_ENTRY : DC_FP_BLOB_ENTRY_V1;
}

size_t dc_fingerprint_blob_size(const dc_fingerprint *fp) {
    return DC_FP_BLOB_HEADER + entry_size(has_views(fp) ? 2 : 1) * (size_t)fp->count + 4;
}

dc_error_class dc_fingerprint_serialize(const dc_fingerprint *fp, uint8_t **blob, size_t *len,
                                        dc_status *st) {
    *blob = NULL;
    *len = 0;
    if (!fp || fp->count < 0 || (fp->count > 0 && !fp->seconds))
        return dc_fail(st, DC_ERR_INTERNAL, "fingerprint serialise: no fingerprint");
    size_t n = dc_fingerprint_blob_size(fp);
    uint8_t *b = malloc(n);
    if (!b) return dc_fail(st, DC_ERR_RESOURCE, "fingerprint serialise: out of memory");
    memcpy(b, "DCFP", 4);
    int version = has_views(fp) ? DC_FP_BLOB_VERSION : 1;
    size_t entry = entry_size(version);
    b[4] = (uint8_t)version;
    b[5] = 0;
    b[6] = b[7] = 0;
    put32(b + 8, (uint32_t)fp->duration_sec);
    put32(b + 12, (uint32_t)fp->count);
    uint8_t *p = b + DC_FP_BLOB_HEADER;
    for (int i = 0; i < fp->count; i++, p += entry) {
        const dc_fp_second *e = &fp->seconds[i];
        put32(p, (uint32_t)e->second);
        put32(p + 4, (uint32_t)e->t_ms);
        p[8] = e->quality;
        put_hash(p + 9, &e->hash);
        put_hash(p + 41, &e->mirrored);
        for (int z = 0; version >= 2 && z < DC_FP_ZOOMS_STORED; z++)
            put_hash(p + DC_FP_BLOB_ENTRY_V1 + 32 * z, &e->zoom[z]);
    }
    put32(p, fp_crc32(b, n - 4));
    *blob = b;
    *len = n;
    return DC_OK;
}

dc_error_class dc_fingerprint_parse(const uint8_t *blob, size_t len, dc_fingerprint *out,
                                    dc_status *st) {
    memset(out, 0, sizeof *out);
    if (!blob || len < DC_FP_BLOB_HEADER + 4)
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: %zu bytes, too short", len);
    if (memcmp(blob, "DCFP", 4) != 0)
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: not a fingerprint (bad magic)");
    int version = blob[4];
    if (version < 1 || version > DC_FP_BLOB_VERSION)
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: version %u, this build reads 1..%d",
                       blob[4], DC_FP_BLOB_VERSION);
    size_t entry = entry_size(version);
    if (blob[5] != 0 || blob[6] != 0 || blob[7] != 0)
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: unknown flags");
    uint32_t duration = get32(blob + 8), count = get32(blob + 12);
    if (duration > DC_FP_MAX_SECONDS)
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: duration %u s beyond %d", duration,
                       DC_FP_MAX_SECONDS);
    if (count > duration)
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: %u seconds in a %u-s video", count,
                       duration);
    size_t want = DC_FP_BLOB_HEADER + entry * (size_t)count + 4;
    if (len != want)
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: %zu bytes, %zu expected for %u seconds",
                       len, want, count);
    if (get32(blob + len - 4) != fp_crc32(blob, len - 4))
        return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: checksum mismatch (damaged)");
    dc_fp_second *secs = count ? calloc(count, sizeof *secs) : NULL;
    if (count && !secs) return dc_fail(st, DC_ERR_RESOURCE, "fingerprint blob: out of memory");
    const uint8_t *p = blob + DC_FP_BLOB_HEADER;
    int64_t prev = -1;
    for (uint32_t i = 0; i < count; i++, p += entry) {
        uint32_t s = get32(p);
        int64_t t = (int32_t)get32(p + 4);
        const char *bad = NULL;
        if ((int64_t)s <= prev || s >= duration) bad = "second out of order or range";
        else if (t < (int64_t)s * 1000 - 500 || t > (int64_t)s * 1000 + 500)
            bad = "frame time more than 0.5 s from its second";
        else if (p[8] > 100) bad = "quality above 100";
        if (bad) {
            free(secs);
            return dc_fail(st, DC_ERR_INPUT, "fingerprint blob: entry %u: %s", i, bad);
        }
        prev = s;
        secs[i].second = (int32_t)s;
        secs[i].t_ms = (int32_t)t;
        secs[i].quality = p[8];
        get_hash(p + 9, &secs[i].hash);
        get_hash(p + 41, &secs[i].mirrored);
        for (int z = 0; version >= 2 && z < DC_FP_ZOOMS_STORED; z++)
            get_hash(p + DC_FP_BLOB_ENTRY_V1 + 32 * z, &secs[i].zoom[z]);
    }
    out->zooms = version >= 2 ? DC_FP_ZOOMS_STORED : 0;
    out->seconds = secs;
    out->count = (int)count;
    out->duration_sec = (int)duration;
    return DC_OK;
}
