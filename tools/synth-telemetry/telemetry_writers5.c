/* See telemetry_writers5.h. */
#include "telemetry_writers5.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KNOTS_TO_KMH 1.852

static int be32(tw_buf *b, uint32_t v) {
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return tw_put(b, p, 4);
}

static int read_file(const char *path, tw_buf *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "synth-telemetry: cannot open %s\n", path);
        return -1;
    }
    uint8_t chunk[65536];
    size_t got;
    int rc = 0;
    while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0) rc = tw_put(out, chunk, got);
    fclose(f);
    return rc;
}

/* ---- LigoGPS digit cipher ---------------------------------------------------------------- */

/* A permutation of the 48 bytes 0x30..0x5f from key (Fisher-Yates on a small LCG). */
static void cipher_table(unsigned key, uint8_t table[48]) {
    for (int i = 0; i < 48; i++) table[i] = (uint8_t)(0x30 + i);
    uint32_t x = key * 2654435761u + 12345u;
    for (int i = 47; i > 0; i--) {
        x = x * 1103515245u + 12345u;
        int j = (int)((x >> 16) % (uint32_t)(i + 1));
        uint8_t t = table[i];
        table[i] = table[j], table[j] = t;
    }
}

int tw5_ligogps_cipher_payload(const tw_scene *s, int from, int count, int skip, unsigned key,
                               tw_buf *out) {
    uint8_t head[0x14] = "LIGOGPSINFO";
    head[15] = 0x14;
    uint8_t table[48];
    cipher_table(key, table);
    int rc = tw_put(out, head, sizeof head);
    for (int k = from; k < from + count && !rc; k++) {
        if (k == skip) continue;
        tw_fix f = tw_fix_at(s, k);
        time_t secs = (time_t)(f.utc_ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        double x, y, z;
        tw_accel_at(s, k, &x, &y, &z);
        char text[0x84];
        int n = snprintf(text, sizeof text,
                         "%04d/%02d/%02d %02d:%02d:%02d N:%.6f E:%.6f %.2f km/h x:%.3f y:%.3f "
                         "z:%.3f",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, f.lat, f.lon, f.speed_kmh / KNOTS_TO_KMH, x, y, z);
        if (n < 0 || n > 0x84 - 8) return -1;
        uint8_t rec[0x84] = {'#', '#', '#', '#', (uint8_t)k, (uint8_t)(k >> 8)};
        for (int i = 0; i < n; i++) {
            uint8_t c = (uint8_t)text[i];
            rec[8 + i] = c >= 0x30 && c <= 0x5f ? table[c - 0x30] : c;
        }
        rc = tw_put(out, rec, sizeof rec);
    }
    return rc ? -1 : 0;
}

int tw5_add_ligogps_cipher_trailer(const tw_scene *s, const char *in, const char *out) {
    tw_buf payload = {0}, dst = {0};
    int rc = read_file(in, &dst) ||
             tw5_ligogps_cipher_payload(s, 0, (int)s->duration_sec, -1, 7, &payload);
    uint32_t size = (uint32_t)(payload.n + 16);
    rc = rc || be32(&dst, size) || tw_put(&dst, "skip", 4) || tw_put(&dst, payload.p, payload.n) ||
         tw_put(&dst, "&&&&", 4) || be32(&dst, size) || tw_write_file(out, dst.p, dst.n);
    tw_buf_free(&payload), tw_buf_free(&dst);
    return rc ? -1 : 0;
}

/* ---- 70mai A810 without a fix ------------------------------------------------------------ */

int tw5_a810_block_no_fix(tw_buf *out) {
    uint8_t b[0x200] = {0};
    b[2] = 0x02; /* box size 0x200, big-endian */
    memcpy(b + 4, "freeGPS ", 8);
    b[30] = 'V';
    b[51] = b[52] = 'V';
    return tw_put(out, b, sizeof b);
}

int tw5_mp4_add_a810_cold(const tw_scene *s, int cold, const char *in, const char *out) {
    int n = (int)s->duration_sec, rc = 0;
    tw_buf *blocks = calloc((size_t)n, sizeof *blocks);
    if (!blocks) return -1;
    for (int k = 0; k < n && !rc; k++)
        rc = k < cold ? tw5_a810_block_no_fix(&blocks[k]) : tw4_a810_block(s, k, &blocks[k]);
    if (!rc) rc = tw_mp4_add_novatek(in, out, blocks, n);
    for (int k = 0; k < n; k++) tw_buf_free(&blocks[k]);
    free(blocks);
    return rc ? -1 : 0;
}
