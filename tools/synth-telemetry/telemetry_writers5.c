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
    bool as_drawn = key & TW5_CIPHER_AS_DRAWN;
    key &= ~TW5_CIPHER_AS_DRAWN;
    for (int i = 0; i < 48; i++) table[i] = (uint8_t)(0x30 + i);
    uint32_t x = key * 2654435761u + 12345u;
    for (int i = 47; i > 0; i--) {
        x = x * 1103515245u + 12345u;
        int j = (int)((x >> 16) % (uint32_t)(i + 1));
        uint8_t t = table[i];
        table[i] = table[j], table[j] = t;
    }
    /* the record's first byte (the year's '2') in 0x30..0x3f: read as the encryption's steering
     * byte it is invalid, so a reader (exiftool 13.x too) cannot take the record for an
     * encrypted one; otherwise it may decrypt into garbage */
    for (int j = 0; !as_drawn && table['2' - 0x30] >= 0x40 && j < 48; j++)
        if (table[j] < 0x40) {
            uint8_t t = table[j];
            table[j] = table['2' - 0x30], table['2' - 0x30] = t;
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
    tw_put_chars(b + 4, "freeGPS ", 8);
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

/* ---- GPMF with ORIN and GYRO ---------------------------------------------------------------- */

#define GRAVITY 9.80665

void tw5_gyro_at(const tw_scene *s, double t, double *x, double *y, double *z) {
    double u = (t - s->impact_sec) / 0.05;
    *x = 0.3 * sin(2 * t);
    *y = -0.1;
    *z = 1.5 * exp(-u * u);
}

static int put_be16(tw_buf *b, int v) {
    uint8_t p[2] = {(uint8_t)((unsigned)v >> 8), (uint8_t)v};
    return tw_put(b, p, 2);
}

static int klv(tw_buf *b, const char *key, char type, int ssize, int repeat, const void *data) {
    static const uint8_t pad[4] = {0};
    size_t len = (size_t)ssize * (size_t)repeat;
    uint8_t head[8] = {(uint8_t)key[0], (uint8_t)key[1], (uint8_t)key[2],        (uint8_t)key[3],
                       (uint8_t)type,   (uint8_t)ssize,  (uint8_t)(repeat >> 8), (uint8_t)repeat};
    return tw_put(b, head, 8) || tw_put(b, data, len) || tw_put(b, pad, (4 - len % 4) % 4) ? -1 : 0;
}

/* Channel c of `order` from the camera-frame values v (X, Y, Z). */
static double channel(const char *order, int c, const double v[3]) {
    char l = order[c];
    int axis = (l | 0x20) - 'x';
    return (l >= 'a' ? -1 : 1) * v[axis];
}

static int axes_stream(const tw_scene *s, int k, int hz, const char *order, bool write_orin,
                       bool gyro, tw_buf *strm) {
    int16_t scale = gyro ? 939 : 418;
    uint8_t sc[2] = {(uint8_t)(scale >> 8), (uint8_t)scale};
    int rc = gyro ? klv(strm, "STNM", 'c', 1, 9, "Gyroscope")
                  : klv(strm, "STNM", 'c', 1, 13, "Accelerometer");
    if (write_orin) rc |= klv(strm, "ORIN", 'c', 1, 3, order);
    rc |= gyro ? klv(strm, "SIUN", 'c', 5, 1, "rad/s") : klv(strm, "SIUN", 'c', 4, 1, "m/s\xb2");
    rc |= klv(strm, "SCAL", 's', 2, 1, sc);
    tw_buf data = {0};
    for (int i = 0; i < hz; i++) {
        double t = k + (double)i / hz, v[3];
        if (gyro) {
            tw5_gyro_at(s, t, &v[0], &v[1], &v[2]);
        } else {
            tw_accel_at(s, t, &v[0], &v[1], &v[2]);
            for (int a = 0; a < 3; a++) v[a] *= GRAVITY;
        }
        for (int c = 0; c < 3; c++)
            rc |= put_be16(&data, (int)lround(channel(order, c, v) * scale));
    }
    rc |= klv(strm, gyro ? "GYRO" : "ACCL", 's', 6, hz, data.p);
    tw_buf_free(&data);
    return rc;
}

int tw5_gpmf_oriented_payload(const tw_scene *s, int k, int accel_hz, const char *order,
                              bool write_orin, const char *device, tw_buf *out) {
    tw_buf devc = {0}, accl = {0}, gyro = {0};
    uint8_t id[4] = {0, 0, 0, 1};
    int rc = klv(&devc, "DVID", 'L', 4, 1, id) ||
             klv(&devc, "DVNM", 'c', 1, (int)strlen(device), device) ||
             axes_stream(s, k, accel_hz, order, write_orin, false, &accl) ||
             axes_stream(s, k, accel_hz, order, write_orin, true, &gyro) ||
             klv(&devc, "STRM", 0, 1, (int)accl.n, accl.p) ||
             klv(&devc, "STRM", 0, 1, (int)gyro.n, gyro.p) ||
             klv(out, "DEVC", 0, 1, (int)devc.n, devc.p);
    tw_buf_free(&devc), tw_buf_free(&accl), tw_buf_free(&gyro);
    return rc ? -1 : 0;
}

int tw5_mp4_add_gpmf_oriented(const tw_scene *s, const char *order, bool write_orin,
                              const char *device, const char *in, const char *out) {
    int n = (int)s->duration_sec, rc = 0;
    tw_buf *p = calloc((size_t)n, sizeof *p);
    if (!p) return -1;
    for (int k = 0; k < n && !rc; k++)
        rc = tw5_gpmf_oriented_payload(s, k, 200, order, write_orin, device, &p[k]);
    if (!rc) rc = tw_mp4_add_gpmd(in, out, p, n);
    for (int k = 0; k < n; k++) tw_buf_free(&p[k]);
    free(p);
    return rc ? -1 : 0;
}

/* ---- Vueroid tvxt ------------------------------------------------------------------------ */

static void le_float_at(uint8_t *p, double v) {
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static double to_ddmm(double deg) {
    double a = fabs(deg), d = floor(a);
    return d * 100 + (a - d) * 60;
}

int tw5_vueroid_record(const tw_scene *s, double t, bool no_fix, uint8_t r[72]) {
    memset(r, 0, 72);
    if (no_fix) return 0;
    double x, y, z;
    tw_accel_at(s, t, &x, &y, &z);
    le_float_at(r + 0x28, x), le_float_at(r + 0x2c, y), le_float_at(r + 0x30, z);
    tw_fix whole = tw_fix_at(s, floor(t)), now = tw_fix_at(s, t);
    r[0x34] = whole.lat >= 0, r[0x35] = whole.lon >= 0;
    r[0x36] = 55;
    le_float_at(r + 0x38, now.speed_kmh);
    le_float_at(r + 0x3c, to_ddmm(whole.lat));
    le_float_at(r + 0x40, to_ddmm(whole.lon));
    uint32_t clock = (uint32_t)(whole.utc_ms / 1000);
    for (int i = 0; i < 4; i++) r[0x44 + i] = (uint8_t)(clock >> (8 * i));
    return 0;
}

int tw5_mp4_add_vueroid(const tw_scene *s, int hz, int cold, const char *in, const char *out) {
    int n = (int)s->duration_sec * hz + 1, rc = 0;
    tw_buf *samples = calloc((size_t)n, sizeof *samples);
    uint32_t *dur = calloc((size_t)n, sizeof *dur);
    if (!samples || !dur) rc = -1;
    for (int i = 0; i < n && !rc; i++) {
        double t = (double)i / hz;
        uint8_t r[72];
        rc = tw5_vueroid_record(s, t, t < cold || i == n - 1, r) || tw_put(&samples[i], r, 72);
        dur[i] = (uint32_t)(1000 / hz);
    }
    if (!rc) rc = tw2_mp4_add_track(in, out, "tvxt", "mp4s", samples, dur, n);
    for (int i = 0; samples && i < n; i++) tw_buf_free(&samples[i]);
    free(samples), free(dur);
    return rc ? -1 : 0;
}
