/* Writers of dashcam telemetry (see telemetry_writers.h). */
#include "telemetry_writers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GRAVITY 9.80665
#define KNOTS_TO_KMH 1.852
#define METRES_PER_DEG 111320.0

void tw_scene_default(tw_scene *s) {
    *s = (tw_scene){.duration_sec = 6,
                    .impact_sec = 3,
                    .speed_kmh = 54,
                    .lat0 = 47.3769,
                    .lon0 = 8.5417,
                    .heading_deg = 30,
                    .utc0_ms = 1773480413000LL, /* 2026-03-14T09:26:53Z */
                    .jolt_g = 2.5};
}

static double speed_at(const tw_scene *s, double t) {
    if (t <= s->impact_sec) return s->speed_kmh;
    if (t >= s->impact_sec + 1) return 0;
    return s->speed_kmh * (1 - (t - s->impact_sec));
}

/* metres travelled by t (the speed's integral) */
static double distance_at(const tw_scene *s, double t) {
    double v = s->speed_kmh / 3.6;
    if (t <= s->impact_sec) return v * t;
    double after = t - s->impact_sec < 1 ? t - s->impact_sec : 1;
    return v * s->impact_sec + v * (after - after * after / 2);
}

tw_fix tw_fix_at(const tw_scene *s, double t) {
    double d = distance_at(s, t), h = s->heading_deg * M_PI / 180;
    tw_fix f;
    f.lat = s->lat0 + d * cos(h) / METRES_PER_DEG;
    f.lon = s->lon0 + d * sin(h) / (METRES_PER_DEG * cos(s->lat0 * M_PI / 180));
    f.speed_kmh = speed_at(s, t);
    f.heading_deg = s->heading_deg;
    f.utc_ms = s->utc0_ms + (int64_t)llround(t * 1000);
    return f;
}

void tw_accel_at(const tw_scene *s, double t, double *x, double *y, double *z) {
    double u = (t - s->impact_sec) / 0.03;
    double braking = t > s->impact_sec && t < s->impact_sec + 1 ? s->speed_kmh / 3.6 / GRAVITY : 0;
    *x = -s->jolt_g * exp(-u * u) - braking;
    *y = 0.02 * sin(t * 7);
    *z = 1.0 + 0.01 * cos(t * 5);
}

/* ---- buffers ---------------------------------------------------------------------------- */

int tw_put(tw_buf *b, const void *data, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
    return 0;
}

void tw_buf_free(tw_buf *b) {
    free(b->p);
    *b = (tw_buf){0};
}

static int put_be16(tw_buf *b, uint32_t v) {
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return tw_put(b, x, 2);
}
static int put_be32(tw_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return tw_put(b, x, 4);
}
static void set_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}
static uint32_t get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void set_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}
static void set_le_float(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    set_le32(p, u);
}
static void set_le_double(uint8_t *p, double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    set_le32(p, (uint32_t)u);
    set_le32(p + 4, (uint32_t)(u >> 32));
}

static void utc_fields(int64_t ms, struct tm *tm, int *millis) {
    time_t sec = (time_t)(ms / 1000);
    gmtime_r(&sec, tm);
    *millis = (int)(ms % 1000);
}

/* ---- GPMF ------------------------------------------------------------------------------- */

static int klv(tw_buf *b, const char *key, char type, int ssize, int repeat, const void *data) {
    size_t len = (size_t)ssize * (size_t)repeat;
    static const uint8_t pad[4] = {0};
    if (tw_put(b, key, 4) || tw_put(b, &type, 1)) return -1;
    uint8_t s = (uint8_t)ssize;
    if (tw_put(b, &s, 1) || put_be16(b, (uint32_t)repeat) || tw_put(b, data, len)) return -1;
    return tw_put(b, pad, (4 - len % 4) % 4);
}

static int nest(tw_buf *b, const char *key, const tw_buf *inner) {
    return klv(b, key, 0, 1, (int)inner->n, inner->p);
}

static int be32_array(tw_buf *b, const int32_t *v, int n) {
    for (int i = 0; i < n; i++)
        if (put_be32(b, (uint32_t)v[i])) return -1;
    return 0;
}

static int gps_stream(const tw_scene *s, int k, int hz, bool gps9, tw_buf *strm) {
    tw_buf data = {0};
    int rc = 0;
    const char *name = "GPS (Lat., Long., Alt., 2D speed, 3D speed)";
    rc |= klv(strm, "STNM", 'c', 1, (int)strlen(name), name);
    if (gps9) {
        static const int32_t scal[9] = {10000000, 10000000, 1000, 1000, 100, 1, 1000, 100, 1};
        tw_buf sb = {0};
        rc |= be32_array(&sb, scal, 9);
        rc |= klv(strm, "TYPE", 'c', 1, 9, "lllllllSS");
        rc |= klv(strm, "SCAL", 'l', 4, 9, sb.p);
        tw_buf_free(&sb);
        for (int i = 0; i < hz; i++) {
            tw_fix f = tw_fix_at(s, k + (double)i / hz);
            int64_t days = (f.utc_ms / 1000 - 946684800) / 86400;
            int64_t ms_of_day = f.utc_ms - (946684800LL + days * 86400) * 1000;
            int32_t v[7] = {(int32_t)llround(f.lat * 1e7),
                            (int32_t)llround(f.lon * 1e7),
                            410000,
                            (int32_t)llround(f.speed_kmh / 3.6 * 1000),
                            (int32_t)llround(f.speed_kmh / 3.6 * 100),
                            (int32_t)days,
                            (int32_t)ms_of_day};
            rc |= be32_array(&data, v, 7);
            rc |= put_be16(&data, 150); /* DOP 1.5 */
            rc |= put_be16(&data, 3);   /* 3D fix */
        }
        rc |= klv(strm, "GPS9", '?', 32, hz, data.p);
    } else {
        static const int32_t scal[5] = {10000000, 10000000, 1000, 1000, 100};
        tw_buf sb = {0};
        rc |= be32_array(&sb, scal, 5);
        uint8_t fix[4] = {0, 0, 0, 3};
        rc |= klv(strm, "GPSF", 'L', 4, 1, fix);
        struct tm tm;
        int millis;
        utc_fields(tw_fix_at(s, k).utc_ms, &tm, &millis);
        char gpsu[64];
        snprintf(gpsu, sizeof gpsu, "%02d%02d%02d%02d%02d%02d.%03d", tm.tm_year % 100,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
        rc |= klv(strm, "GPSU", 'U', 16, 1, gpsu);
        rc |= klv(strm, "SCAL", 'l', 4, 5, sb.p);
        tw_buf_free(&sb);
        for (int i = 0; i < hz; i++) {
            tw_fix f = tw_fix_at(s, k + (double)i / hz);
            int32_t v[5] = {(int32_t)llround(f.lat * 1e7), (int32_t)llround(f.lon * 1e7), 410000,
                            (int32_t)llround(f.speed_kmh / 3.6 * 1000),
                            (int32_t)llround(f.speed_kmh / 3.6 * 100)};
            rc |= be32_array(&data, v, 5);
        }
        rc |= klv(strm, "GPS5", 'l', 20, hz, data.p);
    }
    tw_buf_free(&data);
    return rc;
}

static int accl_stream(const tw_scene *s, int k, int hz, tw_buf *strm) {
    const int16_t scale = 418;
    tw_buf data = {0};
    int rc = 0;
    rc |= klv(strm, "STNM", 'c', 1, 13, "Accelerometer");
    rc |= klv(strm, "SIUN", 'c', 4, 1, "m/s\xb2");
    uint8_t sc[2] = {(uint8_t)(scale >> 8), (uint8_t)scale};
    rc |= klv(strm, "SCAL", 's', 2, 1, sc);
    for (int i = 0; i < hz; i++) {
        double x, y, z;
        tw_accel_at(s, k + (double)i / hz, &x, &y, &z);
        rc |= put_be16(&data, (uint16_t)(int16_t)lround(x * GRAVITY * scale));
        rc |= put_be16(&data, (uint16_t)(int16_t)lround(y * GRAVITY * scale));
        rc |= put_be16(&data, (uint16_t)(int16_t)lround(z * GRAVITY * scale));
    }
    rc |= klv(strm, "ACCL", 's', 6, hz, data.p);
    tw_buf_free(&data);
    return rc;
}

int tw_gpmf_payloads(const tw_scene *s, int gps_hz, int accel_hz, bool gps9, const char *device,
                     tw_buf *payloads, int max) {
    int n = (int)s->duration_sec;
    if (n > max) n = max;
    for (int k = 0; k < n; k++) {
        tw_buf devc = {0}, strm = {0};
        uint8_t id[4] = {0, 0, 0, 1};
        int rc = klv(&devc, "DVID", 'L', 4, 1, id);
        rc |= klv(&devc, "DVNM", 'c', 1, (int)strlen(device), device);
        if (gps_hz > 0) {
            rc |= gps_stream(s, k, gps_hz, gps9, &strm);
            rc |= nest(&devc, "STRM", &strm);
            strm.n = 0;
        }
        if (accel_hz > 0) {
            rc |= accl_stream(s, k, accel_hz, &strm);
            rc |= nest(&devc, "STRM", &strm);
        }
        payloads[k] = (tw_buf){0};
        rc |= nest(&payloads[k], "DEVC", &devc);
        tw_buf_free(&devc);
        tw_buf_free(&strm);
        if (rc) return -1;
    }
    return n;
}

/* ---- Novatek ------------------------------------------------------------------------------ */

/* degrees -> unsigned DDMM.MMMM and its hemisphere letter */
static double ddmm(double deg, char pos, char neg, char *hemi) {
    *hemi = deg < 0 ? neg : pos;
    double a = fabs(deg), d = floor(a);
    return d * 100 + (a - d) * 60;
}

int tw_novatek_block(const tw_scene *s, tw_novatek_layout layout, int k, bool no_fix, tw_buf *out) {
    enum { SIZE = 0x100 };
    uint8_t b[SIZE] = {0};
    set_be32(b, SIZE);
    tw_put_chars(b + 4, "freeGPS ", 8);
    set_le32(b + 12, 0x4c);
    tw_fix f = tw_fix_at(s, k);
    struct tm tm;
    int millis;
    utc_fields(f.utc_ms, &tm, &millis);
    char ns, ew;
    double lat = ddmm(f.lat, 'N', 'S', &ns), lon = ddmm(f.lon, 'E', 'W', &ew);
    double knots = f.speed_kmh / KNOTS_TO_KMH, ax, ay, az;
    tw_accel_at(s, k, &ax, &ay, &az);
    char status = no_fix ? 'V' : 'A';
    uint32_t t6[6] = {(uint32_t)tm.tm_hour,    (uint32_t)tm.tm_min,
                      (uint32_t)tm.tm_sec,     (uint32_t)(tm.tm_year + 1900 - 2000),
                      (uint32_t)tm.tm_mon + 1, (uint32_t)tm.tm_mday};
    switch (layout) {
    case TW_NOVATEK_FLOAT:
        tw_put_chars(b + 0x10, "dashclaim", 9);
        for (int i = 0; i < 6; i++) set_le32(b + 0x30 + (size_t)4 * i, t6[i]);
        b[0x48] = (uint8_t)status, b[0x49] = (uint8_t)ns, b[0x4a] = (uint8_t)ew;
        set_le_float(b + 0x4c, (float)lat), set_le_float(b + 0x50, (float)lon);
        set_le_float(b + 0x54, (float)knots), set_le_float(b + 0x58, (float)f.heading_deg);
        break;
    case TW_NOVATEK_A119V3:
        for (int i = 0; i < 6; i++) set_le32(b + 0x10 + (size_t)4 * i, t6[i]);
        b[0x28] = (uint8_t)status, b[0x29] = (uint8_t)ns, b[0x2a] = (uint8_t)ew;
        set_le_float(b + 0x2c, (float)lat), set_le_float(b + 0x30, (float)lon);
        set_le_float(b + 0x34, (float)knots), set_le_float(b + 0x38, (float)f.heading_deg);
        set_le32(b + 0x3c, (uint32_t)(int32_t)lround(ax * 256));
        set_le32(b + 0x40, (uint32_t)(int32_t)lround(ay * 256));
        set_le32(b + 0x44, (uint32_t)(int32_t)lround(az * 256));
        break;
    case TW_NOVATEK_DOUBLE:
        for (int i = 0; i < 3; i++) set_le32(b + 0x10 + (size_t)4 * i, t6[i]);
        set_le32(b + 0x1c, (uint32_t)status);
        set_le_double(b + 0x20, lat), set_le32(b + 0x28, (uint32_t)ns);
        set_le_double(b + 0x30, lon), set_le32(b + 0x38, (uint32_t)ew);
        set_le_double(b + 0x40, knots), set_le_double(b + 0x48, f.heading_deg);
        for (int i = 0; i < 3; i++) set_le32(b + 0x50 + (size_t)4 * i, t6[3 + i]);
        set_le32(b + 0x5c, (uint32_t)(int32_t)lround(ax * 1000));
        set_le32(b + 0x60, (uint32_t)(int32_t)lround(ay * 1000));
        set_le32(b + 0x64, (uint32_t)(int32_t)lround(az * 1000));
        break;
    }
    *out = (tw_buf){0};
    return tw_put(out, b, SIZE);
}

/* ---- NMEA and BlackVue ----------------------------------------------------------------------- */

static int nmea_line(tw_buf *out, const char *prefix, const char *body) {
    unsigned sum = 0;
    for (const char *c = body; *c; c++) sum ^= (unsigned char)*c;
    char line[256];
    int n = snprintf(line, sizeof line, "%s$%s*%02X\r\n", prefix, body, sum);
    return n > 0 && n < (int)sizeof line ? tw_put(out, line, (size_t)n) : -1;
}

int tw_nmea_text(const tw_scene *s, int hz, bool blackvue, tw_buf *out) {
    *out = (tw_buf){0};
    int n = (int)(s->duration_sec * hz);
    for (int i = 0; i < n; i++) {
        double t = (double)i / hz;
        tw_fix f = tw_fix_at(s, t);
        struct tm tm;
        int millis;
        utc_fields(f.utc_ms, &tm, &millis);
        char ns, ew, prefix[32] = "", body[200];
        double lat = ddmm(f.lat, 'N', 'S', &ns), lon = ddmm(f.lon, 'E', 'W', &ew);
        if (blackvue) snprintf(prefix, sizeof prefix, "[%lld]", (long long)f.utc_ms);
        snprintf(body, sizeof body,
                 "GPRMC,%02d%02d%02d.%02d,A,%010.5f,%c,%011.5f,%c,%.3f,%.2f,%02d%02d%02d,,,A",
                 tm.tm_hour, tm.tm_min, tm.tm_sec, millis / 10, lat, ns, lon, ew,
                 f.speed_kmh / KNOTS_TO_KMH, f.heading_deg, tm.tm_mday, tm.tm_mon + 1,
                 tm.tm_year % 100);
        if (nmea_line(out, prefix, body)) return -1;
        snprintf(body, sizeof body,
                 "GPGGA,%02d%02d%02d.%02d,%010.5f,%c,%011.5f,%c,1,09,0.9,410.0,M,48.0,M,,",
                 tm.tm_hour, tm.tm_min, tm.tm_sec, millis / 10, lat, ns, lon, ew);
        if (nmea_line(out, prefix, body)) return -1;
    }
    return 0;
}

int tw_3gf(const tw_scene *s, int hz, tw_buf *out) {
    *out = (tw_buf){0};
    int n = (int)(s->duration_sec * hz);
    for (int i = 0; i < n; i++) {
        double t = (double)i / hz, x, y, z;
        tw_accel_at(s, t, &x, &y, &z);
        if (put_be32(out, (uint32_t)llround(t * 1000)) ||
            put_be16(out, (uint16_t)(int16_t)lround(x * 128)) ||
            put_be16(out, (uint16_t)(int16_t)lround(y * 128)) ||
            put_be16(out, (uint16_t)(int16_t)lround(z * 128)))
            return -1;
    }
    return 0;
}

/* ---- MP4 -------------------------------------------------------------------------------- */

int tw_write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t w = fwrite(data, 1, n, f);
    if (fclose(f) != 0 || w != n) {
        fprintf(stderr, "%s: write failed\n", path);
        return -1;
    }
    return 0;
}

static int read_file(const char *path, tw_buf *b) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    *b = (tw_buf){0};
    uint8_t chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) rc |= tw_put(b, chunk, n);
    fclose(f);
    return rc;
}

/* Adds delta to every chunk offset at or past `after` under a box list
 * (trak/mdia/minf/stbl/stco|co64): the media behind a grown moov moves, media before it not. */
static void shift_offsets(uint8_t *p, size_t n, uint64_t after, int64_t delta, int depth) {
    size_t at = 0;
    while (at + 8 <= n && depth < 6) {
        uint32_t size = get_be32(p + at);
        if (size < 8 || size > n - at) return;
        uint8_t *type = p + at + 4, *body = p + at + 8;
        size_t len = size - 8;
        if (!memcmp(type, "trak", 4) || !memcmp(type, "mdia", 4) || !memcmp(type, "minf", 4) ||
            !memcmp(type, "stbl", 4)) {
            shift_offsets(body, len, after, delta, depth + 1);
        } else if (!memcmp(type, "stco", 4) && len >= 8) {
            uint32_t count = get_be32(body + 4);
            for (uint32_t i = 0; i < count && 8 + 4 * (size_t)i + 4 <= len; i++) {
                uint32_t v = get_be32(body + 8 + (size_t)4 * i);
                if (v >= after) set_be32(body + 8 + (size_t)4 * i, v + (uint32_t)delta);
            }
        } else if (!memcmp(type, "co64", 4) && len >= 8) {
            uint32_t count = get_be32(body + 4);
            for (uint32_t i = 0; i < count && 8 + 8 * (size_t)i + 8 <= len; i++) {
                uint8_t *e = body + 8 + (size_t)8 * i;
                uint64_t v = (uint64_t)get_be32(e) << 32 | get_be32(e + 4);
                if (v >= after) v += (uint64_t)delta;
                set_be32(e, (uint32_t)(v >> 32)), set_be32(e + 4, (uint32_t)v);
            }
        }
        at += size;
    }
}

static int box(tw_buf *b, const char *type, const tw_buf *body) {
    if (put_be32(b, (uint32_t)(8 + body->n)) || tw_put(b, type, 4)) return -1;
    return tw_put(b, body->p, body->n);
}

/* Builds the copy: the boxes before moov, moov + `extra` (a box list built by make_extra once
 * the appended data's offset is known), the boxes after it, then `tail`. */
typedef int (*extra_fn)(void *arg, uint64_t tail_offset, uint32_t next_track, tw_buf *extra);

static int rewrite(const char *in, const char *out, extra_fn make_extra, void *arg,
                   const tw_buf *tail, bool after_mvhd) {
    tw_buf src = {0}, dst = {0}, extra = {0}, moov = {0};
    int rc = -1;
    if (read_file(in, &src)) goto done;
    size_t moov_at = 0, moov_size = 0;
    for (size_t at = 0; at + 8 <= src.n;) {
        uint32_t size = get_be32(src.p + at);
        if (size < 8 || size > src.n - at) break;
        if (!memcmp(src.p + at + 4, "moov", 4)) moov_at = at, moov_size = size;
        at += size;
    }
    if (!moov_size) {
        fprintf(stderr, "%s: no moov box (or a 64-bit box this writer does not handle)\n", in);
        goto done;
    }
    /* next_track_ID is the last field of mvhd (version 0: body byte 96) */
    uint32_t next_track = 2;
    const uint8_t *mv = src.p + moov_at + 8;
    if (moov_size >= 8 + 8 + 100 && !memcmp(mv + 4, "mvhd", 4) && mv[8] == 0)
        next_track = get_be32(mv + 8 + 96);
    /* the extra boxes' size does not depend on the offsets they hold: build once to size */
    if (make_extra(arg, 0, next_track, &extra)) goto done;
    size_t new_moov = moov_size + extra.n;
    uint64_t tail_offset = src.n + extra.n;
    tw_buf_free(&extra);
    if (make_extra(arg, tail_offset, next_track, &extra)) goto done;
    /* at the end of moov, or right after its mvhd (where Novatek cameras put 'gps ', and
     * where exiftool looks for it) */
    size_t split = moov_size - 8;
    if (after_mvhd && moov_size >= 16 && !memcmp(mv + 4, "mvhd", 4) && get_be32(mv) <= split)
        split = get_be32(mv);
    if (tw_put(&moov, mv, split) || tw_put(&moov, extra.p, extra.n) ||
        tw_put(&moov, mv + split, moov_size - 8 - split))
        goto done;
    if (moov.n >= 8 + 100 && !memcmp(moov.p + 4, "mvhd", 4) && moov.p[8] == 0)
        set_be32(moov.p + 8 + 96, next_track + 1);
    /* media after the moov moves by what it grew (the inserted boxes hold final offsets) */
    int64_t delta = (int64_t)(new_moov - moov_size);
    shift_offsets(moov.p, split, moov_at + moov_size, delta, 0);
    shift_offsets(moov.p + split + extra.n, moov_size - 8 - split, moov_at + moov_size, delta, 0);
    if (tw_put(&dst, src.p, moov_at) || box(&dst, "moov", &moov) ||
        tw_put(&dst, src.p + moov_at + moov_size, src.n - moov_at - moov_size) ||
        tw_put(&dst, tail->p, tail->n))
        goto done;
    rc = tw_write_file(out, dst.p, dst.n);
done:
    tw_buf_free(&src), tw_buf_free(&dst), tw_buf_free(&extra), tw_buf_free(&moov);
    return rc;
}

typedef struct {
    const tw_buf *items;
    int n;
} items_arg;

static int full_box(tw_buf *b, const char *type, uint32_t version_flags, const tw_buf *body) {
    tw_buf full = {0};
    int rc =
        put_be32(&full, version_flags) || tw_put(&full, body->p, body->n) || box(b, type, &full);
    tw_buf_free(&full);
    return rc ? -1 : 0;
}

static int gpmd_trak(void *arg, uint64_t tail_offset, uint32_t track_id, tw_buf *extra) {
    const items_arg *a = arg;
    tw_buf tkhd = {0}, mdhd = {0}, hdlr = {0}, nmhd = {0}, url = {0}, dref = {0}, dinf = {0},
           stsd = {0}, stts = {0}, stsc = {0}, stsz = {0}, stco = {0}, stbl = {0}, minf = {0},
           mdia = {0}, trak = {0};
    static const uint8_t zeros[64] = {0};
    static const uint32_t matrix[9] = {0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000};
    int rc = 0;
    /* tkhd: times, id, duration (movie timescale is unknown here: 0), matrix, no size */
    rc |= tw_put(&tkhd, zeros, 8) || put_be32(&tkhd, track_id) || tw_put(&tkhd, zeros, 8) ||
          tw_put(&tkhd, zeros, 16);
    for (int i = 0; i < 9; i++) rc |= put_be32(&tkhd, matrix[i]);
    rc |= tw_put(&tkhd, zeros, 8);
    rc |= tw_put(&mdhd, zeros, 8) || put_be32(&mdhd, 1000) ||
          put_be32(&mdhd, (uint32_t)a->n * 1000) || put_be16(&mdhd, 0x55c4) || put_be16(&mdhd, 0);
    rc |= tw_put(&hdlr, zeros, 4) || tw_put(&hdlr, "meta", 4) || tw_put(&hdlr, zeros, 12) ||
          tw_put(&hdlr, "GoPro MET", 10);
    rc |= full_box(&url, "url ", 1, &(tw_buf){0});
    rc |= put_be32(&dref, 1) || tw_put(&dref, url.p, url.n);
    rc |= full_box(&dinf, "dref", 0, &dref);
    /* stsd: one 'gpmd' sample entry: 6 reserved bytes, data reference 1, 4 bytes */
    rc |= put_be32(&stsd, 1) || put_be32(&stsd, 20) || tw_put(&stsd, "gpmd", 4) ||
          tw_put(&stsd, zeros, 6) || put_be16(&stsd, 1) || put_be32(&stsd, 0);
    rc |= put_be32(&stts, 1) || put_be32(&stts, (uint32_t)a->n) || put_be32(&stts, 1000);
    rc |= put_be32(&stsc, 1) || put_be32(&stsc, 1) || put_be32(&stsc, 1) || put_be32(&stsc, 1);
    rc |= put_be32(&stsz, 0) || put_be32(&stsz, (uint32_t)a->n);
    rc |= put_be32(&stco, (uint32_t)a->n);
    uint64_t off = tail_offset + 8; /* past the appended mdat's header */
    for (int i = 0; i < a->n; i++) {
        rc |= put_be32(&stsz, (uint32_t)a->items[i].n) || put_be32(&stco, (uint32_t)off);
        off += a->items[i].n;
    }
    rc |= full_box(&stbl, "stsd", 0, &stsd) || full_box(&stbl, "stts", 0, &stts) ||
          full_box(&stbl, "stsc", 0, &stsc) || full_box(&stbl, "stsz", 0, &stsz) ||
          full_box(&stbl, "stco", 0, &stco);
    rc |=
        full_box(&minf, "nmhd", 0, &nmhd) || box(&minf, "dinf", &dinf) || box(&minf, "stbl", &stbl);
    rc |= full_box(&mdia, "mdhd", 0, &mdhd) || full_box(&mdia, "hdlr", 0, &hdlr) ||
          box(&mdia, "minf", &minf);
    rc |= full_box(&trak, "tkhd", 3, &tkhd) || box(&trak, "mdia", &mdia);
    rc |= box(extra, "trak", &trak);
    tw_buf *all[] = {&tkhd, &mdhd, &hdlr, &nmhd, &url,  &dref, &dinf, &stsd,
                     &stts, &stsc, &stsz, &stco, &stbl, &minf, &mdia, &trak};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) tw_buf_free(all[i]);
    return rc ? -1 : 0;
}

int tw_mp4_add_gpmd(const char *in, const char *out, const tw_buf *payloads, int n) {
    tw_buf mdat = {0}, tail = {0};
    int rc = 0;
    for (int i = 0; i < n; i++) rc |= tw_put(&mdat, payloads[i].p, payloads[i].n);
    rc |= box(&tail, "mdat", &mdat);
    items_arg a = {payloads, n};
    if (!rc) rc = rewrite(in, out, gpmd_trak, &a, &tail, false);
    tw_buf_free(&mdat), tw_buf_free(&tail);
    return rc ? -1 : 0;
}

static int gps_box(void *arg, uint64_t tail_offset, uint32_t track_id, tw_buf *extra) {
    (void)track_id;
    const items_arg *a = arg;
    tw_buf body = {0};
    int rc = put_be32(&body, 0x101) || put_be32(&body, (uint32_t)a->n);
    uint64_t off = tail_offset;
    for (int i = 0; i < a->n; i++) {
        rc |= put_be32(&body, (uint32_t)off) || put_be32(&body, (uint32_t)a->items[i].n);
        off += a->items[i].n;
    }
    rc |= box(extra, "gps ", &body);
    tw_buf_free(&body);
    return rc ? -1 : 0;
}

int tw_mp4_add_novatek(const char *in, const char *out, const tw_buf *blocks, int n) {
    tw_buf tail = {0};
    int rc = 0;
    for (int i = 0; i < n; i++) rc |= tw_put(&tail, blocks[i].p, blocks[i].n);
    items_arg a = {blocks, n};
    if (!rc) rc = rewrite(in, out, gps_box, &a, &tail, true);
    tw_buf_free(&tail);
    return rc ? -1 : 0;
}
