/* Writers for the second set of telemetry formats (see telemetry_writers2.h). */
#include "telemetry_writers2.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GRAVITY 9.80665
#define KNOTS_TO_KMH 1.852
#define MPH_TO_KMH 1.609344

double tw2_round_to(double v, double step) { return round(v / step) * step; }

/* ---- bytes -------------------------------------------------------------------------------- */

static int be16(tw_buf *b, uint32_t v) {
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return tw_put(b, x, 2);
}
static int be32(tw_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return tw_put(b, x, 4);
}
static int le16(tw_buf *b, uint32_t v) {
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return tw_put(b, x, 2);
}
static int le32(tw_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return tw_put(b, x, 4);
}
static int lef(tw_buf *b, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return le32(b, u);
}
static int led(tw_buf *b, double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    return le32(b, (uint32_t)u) || le32(b, (uint32_t)(u >> 32));
}
static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}
static void put_lef(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put_le32(p, u);
}
static uint32_t get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void set_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static int box(tw_buf *b, const char *type, const tw_buf *body) {
    return be32(b, (uint32_t)(8 + body->n)) || tw_put(b, type, 4) || tw_put(b, body->p, body->n);
}
static int full_box(tw_buf *b, const char *type, uint32_t vf, const tw_buf *body) {
    tw_buf f = {0};
    int rc = be32(&f, vf) || tw_put(&f, body->p, body->n) || box(b, type, &f);
    tw_buf_free(&f);
    return rc ? -1 : 0;
}

static void utc_tm(int64_t ms, struct tm *tm) {
    time_t sec = (time_t)(ms / 1000);
    gmtime_r(&sec, tm);
}

static double ddmm(double deg, char pos, char neg, char *hemi) {
    *hemi = deg < 0 ? neg : pos;
    double a = fabs(deg), d = floor(a);
    return d * 100 + (a - d) * 60;
}

static int read_all(const char *path, tw_buf *b) {
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

/* ---- MP4: the old moov becomes 'free', the telemetry and a new moov go at the end ---------- */

typedef int (*extra_fn)(void *arg, uint64_t tail_at, uint32_t track_id, tw_buf *boxes);

static int rewrite(const char *in, const char *out, const tw_buf *tail, extra_fn extra, void *arg) {
    tw_buf src = {0}, moov = {0}, boxes = {0}, dst = {0};
    int rc = -1;
    if (read_all(in, &src)) goto done;
    size_t at = 0, moov_at = 0, moov_size = 0;
    while (at + 8 <= src.n) {
        uint32_t size = get_be32(src.p + at);
        if (size < 8 || size > src.n - at) break;
        if (!memcmp(src.p + at + 4, "moov", 4)) moov_at = at, moov_size = size;
        at += size;
    }
    if (!moov_size) {
        fprintf(stderr, "%s: no moov box\n", in);
        goto done;
    }
    const uint8_t *body = src.p + moov_at + 8;
    size_t body_n = moov_size - 8, mvhd_n = 0;
    uint32_t next_track = 2;
    if (body_n >= 8 + 100 && !memcmp(body + 4, "mvhd", 4) && body[8] == 0) {
        mvhd_n = get_be32(body);
        next_track = get_be32(body + 8 + 96);
    }
    if (extra(arg, src.n, next_track, &boxes)) goto done;
    /* mvhd, the new boxes (a Novatek 'gps ' box sits right after mvhd), the old boxes */
    if (tw_put(&moov, body, mvhd_n) || tw_put(&moov, boxes.p, boxes.n) ||
        tw_put(&moov, body + mvhd_n, body_n - mvhd_n))
        goto done;
    if (mvhd_n) set_be32(moov.p + 8 + 96, next_track + 1);
    memcpy(src.p + moov_at + 4, "free", 4);
    if (tw_put(&dst, src.p, src.n) || tw_put(&dst, tail->p, tail->n) || box(&dst, "moov", &moov))
        goto done;
    rc = tw_write_file(out, dst.p, dst.n);
done:
    tw_buf_free(&src), tw_buf_free(&moov), tw_buf_free(&boxes), tw_buf_free(&dst);
    return rc;
}

typedef struct {
    const char *handler, *format;
    const tw_buf *samples;
    const uint32_t *durations; /* ms */
    int n;
} track_arg;

/* A track: tkhd, mdhd (1000 per second), hdlr, minf with one sample per chunk at the
 * appended mdat (tail_at + 8 on). */
static int make_track(void *varg, uint64_t tail_at, uint32_t track_id, tw_buf *out) {
    const track_arg *a = varg;
    static const uint8_t zeros[80] = {0};
    static const uint32_t matrix[9] = {0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000};
    tw_buf tkhd = {0}, mdhd = {0}, hdlr = {0}, nmhd = {0}, url = {0}, dref = {0}, dinf = {0},
           stsd = {0}, stts = {0}, stsc = {0}, stsz = {0}, stco = {0}, stbl = {0}, minf = {0},
           mdia = {0}, trak = {0};
    uint32_t total = 0;
    for (int i = 0; i < a->n; i++) total += a->durations[i];
    int rc = tw_put(&tkhd, zeros, 8) || be32(&tkhd, track_id) || tw_put(&tkhd, zeros, 4) ||
             be32(&tkhd, total) || tw_put(&tkhd, zeros, 16);
    for (int i = 0; i < 9; i++) rc |= be32(&tkhd, matrix[i]);
    rc |= tw_put(&tkhd, zeros, 8);
    rc |= tw_put(&mdhd, zeros, 8) || be32(&mdhd, 1000) || be32(&mdhd, total) ||
          be16(&mdhd, 0x55c4) || be16(&mdhd, 0);
    rc |= tw_put(&hdlr, zeros, 4) || tw_put(&hdlr, a->handler, 4) || tw_put(&hdlr, zeros, 12) ||
          tw_put(&hdlr, "dashclaim telemetry", 20);
    rc |= full_box(&url, "url ", 1, &(tw_buf){0});
    rc |= be32(&dref, 1) || tw_put(&dref, url.p, url.n);
    rc |= full_box(&dinf, "dref", 0, &dref);
    rc |= be32(&stsd, 1) || be32(&stsd, 16) || tw_put(&stsd, a->format, 4) ||
          tw_put(&stsd, zeros, 6) || be16(&stsd, 1);
    /* stts: runs of equal durations */
    tw_buf runs = {0};
    uint32_t n_runs = 0;
    for (int i = 0; i < a->n;) {
        int j = i;
        while (j < a->n && a->durations[j] == a->durations[i]) j++;
        rc |= be32(&runs, (uint32_t)(j - i)) || be32(&runs, a->durations[i]);
        n_runs++;
        i = j;
    }
    rc |= be32(&stts, n_runs) || tw_put(&stts, runs.p, runs.n);
    tw_buf_free(&runs);
    rc |= be32(&stsc, 1) || be32(&stsc, 1) || be32(&stsc, 1) || be32(&stsc, 1);
    rc |= be32(&stsz, 0) || be32(&stsz, (uint32_t)a->n) || be32(&stco, (uint32_t)a->n);
    uint64_t off = tail_at + 8;
    for (int i = 0; i < a->n; i++) {
        rc |= be32(&stsz, (uint32_t)a->samples[i].n) || be32(&stco, (uint32_t)off);
        off += a->samples[i].n;
    }
    rc |= full_box(&stbl, "stsd", 0, &stsd) || full_box(&stbl, "stts", 0, &stts) ||
          full_box(&stbl, "stsc", 0, &stsc) || full_box(&stbl, "stsz", 0, &stsz) ||
          full_box(&stbl, "stco", 0, &stco);
    rc |=
        full_box(&minf, "nmhd", 0, &nmhd) || box(&minf, "dinf", &dinf) || box(&minf, "stbl", &stbl);
    rc |= full_box(&mdia, "mdhd", 0, &mdhd) || full_box(&mdia, "hdlr", 0, &hdlr) ||
          box(&mdia, "minf", &minf);
    rc |= full_box(&trak, "tkhd", 3, &tkhd) || box(&trak, "mdia", &mdia);
    rc |= box(out, "trak", &trak);
    tw_buf *all[] = {&tkhd, &mdhd, &hdlr, &nmhd, &url,  &dref, &dinf, &stsd,
                     &stts, &stsc, &stsz, &stco, &stbl, &minf, &mdia, &trak};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) tw_buf_free(all[i]);
    return rc ? -1 : 0;
}

static int no_boxes(void *arg, uint64_t tail_at, uint32_t track_id, tw_buf *out);

static int add_track(const char *in, const char *out, track_arg *a) {
    tw_buf mdat = {0}, tail = {0};
    int rc = 0;
    for (int i = 0; i < a->n; i++) rc |= tw_put(&mdat, a->samples[i].p, a->samples[i].n);
    rc |= box(&tail, "mdat", &mdat);
    if (!rc) rc = rewrite(in, out, &tail, make_track, a);
    tw_buf_free(&mdat), tw_buf_free(&tail);
    return rc ? -1 : 0;
}

int tw2_mp4_add_track(const char *in, const char *out, const char *handler, const char *format,
                      const tw_buf *samples, const uint32_t *durations_ms, int n) {
    track_arg a = {handler, format, samples, durations_ms, n};
    return add_track(in, out, &a);
}

int tw2_mp4_add_before_moov(const char *in, const char *out, const tw_buf *boxes) {
    return rewrite(in, out, boxes, no_boxes, NULL);
}

/* ---- text tracks ------------------------------------------------------------------------- */

static int nmea_body(char *out, size_t cap, const char *prefix, const char *body, const char *end) {
    unsigned sum = 0;
    for (const char *c = body; *c; c++) sum ^= (unsigned char)*c;
    int n = snprintf(out, cap, "%s%s*%02X%s", prefix, body, sum, end);
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* "XXRMC,hhmmss.ss,A,ddmm.mmmmm,N,dddmm.mmmmm,E,knots,course,ddmmyy,,,A" for second k */
static void rmc_body(const tw_scene *s, double t, const char *talker, bool fix, char *out,
                     size_t cap) {
    tw_fix f = tw_fix_at(s, t);
    struct tm tm;
    utc_tm(f.utc_ms, &tm);
    char ns, ew;
    double lat = ddmm(f.lat, 'N', 'S', &ns), lon = ddmm(f.lon, 'E', 'W', &ew);
    int cs = (int)(f.utc_ms % 1000) / 10;
    if (fix)
        snprintf(
            out, cap, "%sRMC,%02d%02d%02d.%02d,A,%010.5f,%c,%011.5f,%c,%.3f,%.2f,%02d%02d%02d,,,A",
            talker, tm.tm_hour, tm.tm_min, tm.tm_sec, cs, lat, ns, lon, ew,
            f.speed_kmh / KNOTS_TO_KMH, f.heading_deg, tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100);
    else
        snprintf(out, cap, "%sRMC,%02d%02d%02d.%02d,V,,,,,,,%02d%02d%02d,,,N", talker, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, cs, tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100);
}

static int text_sample(const tw_scene *s, tw2_text_kind kind, int k, tw_buf *out) {
    char body[256], line[512], text[1024];
    int n = 0;
    *out = (tw_buf){0};
    if (kind == TW2_TEXT_PNDM) {
        tw_fix f = tw_fix_at(s, k);
        tw_buf r = {0};
        int rc = tw_put(&r, "PNDM", 4) || be32(&r, 0) ||
                 be16(&r, (uint32_t)lround(f.speed_kmh / MPH_TO_KMH)) || be16(&r, 0) ||
                 be32(&r, (uint32_t)(int32_t)llround(f.lat / 180.0 * 2147483648.0)) ||
                 be32(&r, (uint32_t)(int32_t)llround(f.lon / 180.0 * 2147483648.0));
        rc |= be16(out, (uint32_t)r.n) || tw_put(out, r.p, r.n);
        tw_buf_free(&r);
        return rc ? -1 : 0;
    }
    if (kind == TW2_TEXT_NMEA) {
        rmc_body(s, k, "GP", true, body, sizeof body);
        int a = nmea_body(line, sizeof line, "$", body, "\r\n");
        if (a < 0) return -1;
        memcpy(text, line, (size_t)a);
        n = a;
        tw_fix f = tw_fix_at(s, k);
        struct tm tm;
        utc_tm(f.utc_ms, &tm);
        char ns, ew;
        double lat = ddmm(f.lat, 'N', 'S', &ns), lon = ddmm(f.lon, 'E', 'W', &ew);
        snprintf(body, sizeof body,
                 "GPGGA,%02d%02d%02d.%02d,%010.5f,%c,%011.5f,%c,1,09,0.9,410.0,M,48.0,M,,",
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(f.utc_ms % 1000) / 10, lat, ns, lon, ew);
        int b = nmea_body(line, sizeof line, "$", body, "\r\n");
        if (b < 0) return -1;
        memcpy(text + n, line, (size_t)b);
        n += b;
    } else {
        double x, y, z;
        tw_accel_at(s, k, &x, &y, &z);
        rmc_body(s, k, "GN", true, body, sizeof body);
        char rmc[300];
        if (nmea_body(rmc, sizeof rmc, "", body, "") < 0) return -1;
        n = snprintf(text, sizeof text,
                     "gsensori,4,512,%ld,%ld,%ld;%s;CAR,0,0,0,0.0,0,0,0,0,0,0,0,0", lround(x * 512),
                     lround(y * 512), lround(z * 512), rmc);
    }
    return be16(out, (uint32_t)n) || tw_put(out, text, (size_t)n) ? -1 : 0;
}

int tw2_mp4_add_text_track(const tw_scene *s, tw2_text_kind kind, const char *in, const char *out) {
    int n = (int)s->duration_sec, rc = 0;
    tw_buf *samples = calloc((size_t)n, sizeof *samples);
    uint32_t *dur = calloc((size_t)n, sizeof *dur);
    if (!samples || !dur) rc = -1;
    for (int k = 0; k < n && !rc; k++) rc = text_sample(s, kind, k, &samples[k]), dur[k] = 1000;
    track_arg a = {"text", "tx3g", samples, dur, n};
    if (!rc) rc = add_track(in, out, &a);
    for (int k = 0; samples && k < n; k++) tw_buf_free(&samples[k]);
    free(samples), free(dur);
    return rc;
}

/* ---- camm -------------------------------------------------------------------------------- */

int tw2_mp4_add_camm(const tw_scene *s, int accel_hz, double no_fix_until, const char *in,
                     const char *out) {
    int secs = (int)s->duration_sec, n = secs * (1 + accel_hz), i = 0, rc = 0;
    tw_buf *samples = calloc((size_t)n, sizeof *samples);
    uint32_t *dur = calloc((size_t)n, sizeof *dur);
    if (!samples || !dur || 1000 % accel_hz) rc = -1;
    for (int k = 0; k < secs && !rc; k++) {
        tw_fix f = tw_fix_at(s, k);
        double h = f.heading_deg * M_PI / 180, v = f.speed_kmh / 3.6;
        tw_buf *b = &samples[i];
        /* GPS time: Unix time less the GPS epoch, plus the 18 leap seconds */
        double gps_time = f.utc_ms / 1000.0 - 315964800.0 + 18.0;
        rc |= le16(b, 0) || le16(b, 6) || led(b, gps_time) || le32(b, k < no_fix_until ? 0 : 3) ||
              led(b, f.lat) || led(b, f.lon) || lef(b, 410) || lef(b, 3) || lef(b, 5) ||
              lef(b, (float)(v * sin(h))) || lef(b, (float)(v * cos(h))) || lef(b, 0) ||
              lef(b, 0.5f);
        dur[i++] = 0;
        for (int j = 0; j < accel_hz; j++) {
            double x, y, z;
            tw_accel_at(s, k + (double)j / accel_hz, &x, &y, &z);
            b = &samples[i];
            rc |= le16(b, 0) || le16(b, 3) || lef(b, (float)(x * GRAVITY)) ||
                  lef(b, (float)(y * GRAVITY)) || lef(b, (float)(z * GRAVITY));
            dur[i++] = (uint32_t)(1000 / accel_hz);
        }
    }
    track_arg a = {"meta", "camm", samples, dur, n};
    if (!rc) rc = add_track(in, out, &a);
    for (int k = 0; samples && k < n; k++) tw_buf_free(&samples[k]);
    free(samples), free(dur);
    return rc ? -1 : 0;
}

/* ---- 70mai --------------------------------------------------------------------------------- */

static int no_boxes(void *arg, uint64_t tail_at, uint32_t track_id, tw_buf *out) {
    (void)arg, (void)tail_at, (void)track_id, (void)out;
    return 0;
}

int tw2_mp4_add_70mai(const tw_scene *s, const char *in, const char *out) {
    tw_buf src = {0}, body = {0};
    int rc = 0;
    for (int k = 0; k < (int)s->duration_sec && !rc; k++) {
        tw_fix f = tw_fix_at(s, k);
        char ns, ew;
        double lat = ddmm(f.lat, 'N', 'S', &ns), lon = ddmm(f.lon, 'E', 'W', &ew);
        static const uint8_t zeros[10] = {0};
        rc |= le32(&body, 1) || le32(&body, 1) || le32(&body, (uint32_t)k) ||
              le32(&body, (uint32_t)lround(f.speed_kmh * 1000)) || tw_put(&body, &ns, 1) ||
              le32(&body, (uint32_t)lround(lat * 1000)) || tw_put(&body, &ew, 1) ||
              le32(&body, (uint32_t)lround(lon * 1000)) || tw_put(&body, zeros, 10);
    }
    tw_buf tail = {0};
    /* before the (new) moov: exiftool reads a top-level 'GPS ' box only before the tracks */
    rc = rc || box(&tail, "GPS ", &body) || rewrite(in, out, &tail, no_boxes, NULL);
    tw_buf_free(&src), tw_buf_free(&body), tw_buf_free(&tail);
    return rc ? -1 : 0;
}

/* ---- Novatek text blocks --------------------------------------------------------------------- */

int tw2_novatek_text_block(const tw_scene *s, tw2_novatek_text kind, int k, bool no_fix,
                           tw_buf *out) {
    enum { SIZE = 0x200 };
    uint8_t b[SIZE] = {0};
    set_be32(b, SIZE);
    tw_put_chars(b + 4, "freeGPS ", 8);
    put_le32(b + 12, 0x100);
    tw_fix f = tw_fix_at(s, k);
    struct tm tm;
    utc_tm(f.utc_ms, &tm);
    char ns, ew, text[256], body[200];
    double lat = ddmm(f.lat, 'N', 'S', &ns), lon = ddmm(f.lon, 'E', 'W', &ew), x, y, z;
    tw_accel_at(s, k, &x, &y, &z);
    if (kind == TW2_NVT_XOR) {
        uint8_t d[0x101] = {0};
        tw_put_chars(d, "\0\0XKZD\xfe\xfe", 8);
        char t14[64];
        snprintf(t14, sizeof t14, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        memcpy(d + 8, t14, 14);
        d[22] = 0x0c;
        tw_put_chars(d + 23, "DASHCLAIM      ", 15);
        if (!no_fix) {
            char pos[40];
            snprintf(pos, sizeof pos, "%c%08ld%c%09ld%08ld", ns, lround(lat * 1e4), ew,
                     lround(lon * 1e4), lround(f.speed_kmh));
            memcpy(d + 38, pos, 27);
        }
        char acc[16];
        snprintf(acc, sizeof acc, "%+04ld%+04ld%+04ld", lround(x * 100), lround(y * 100),
                 lround(z * 100));
        memcpy(d + 65, acc, 12);
        for (int i = 0; i < 0x101; i++) b[18 + i] = d[i] ^ 0xaa;
    } else {
        rmc_body(s, k, "GP", !no_fix, body, sizeof body);
        int n = nmea_body(text, sizeof text, "$", body, "\r\n");
        if (n < 0) return -1;
        if (kind == TW2_NVT_RMC16) {
            tw_put_chars(b + 16, "ZXSBNXYS", 8);
            if (n > 80) n = 80; /* the block holds 80 bytes of it: the sentence ends early */
            for (int i = 0; i < n; i++) b[60 + i] = (uint8_t)(text[i] + 16);
        } else {
            char t14[64];
            snprintf(t14, sizeof t14, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
            memcpy(b + 52, t14, 14);
            put_le32(b + 68, (uint32_t)(int32_t)lround(x * 256));
            put_le32(b + 72, (uint32_t)(int32_t)lround(y * 256));
            put_le32(b + 76, (uint32_t)(int32_t)lround(z * 256));
            b[80] = ' ';
            memcpy(b + 81, text, (size_t)n);
        }
    }
    *out = (tw_buf){0};
    return tw_put(out, b, SIZE);
}

typedef struct {
    const tw_buf *blocks;
    int n;
} blocks_arg;

static int gps_list(void *varg, uint64_t tail_at, uint32_t track_id, tw_buf *out) {
    (void)track_id;
    const blocks_arg *a = varg;
    tw_buf body = {0};
    int rc = be32(&body, 0x101) || be32(&body, (uint32_t)a->n);
    uint64_t off = tail_at;
    for (int i = 0; i < a->n; i++) {
        rc |= be32(&body, (uint32_t)off) || be32(&body, (uint32_t)a->blocks[i].n);
        off += a->blocks[i].n;
    }
    rc |= box(out, "gps ", &body);
    tw_buf_free(&body);
    return rc ? -1 : 0;
}

int tw2_mp4_add_novatek_text(const tw_scene *s, tw2_novatek_text kind, double no_fix_until,
                             const char *in, const char *out) {
    int n = (int)s->duration_sec, rc = 0;
    tw_buf *blocks = calloc((size_t)n, sizeof *blocks), tail = {0};
    if (!blocks) return -1;
    for (int k = 0; k < n && !rc; k++)
        rc = tw2_novatek_text_block(s, kind, k, k < no_fix_until, &blocks[k]) ||
             tw_put(&tail, blocks[k].p, blocks[k].n);
    blocks_arg a = {blocks, n};
    if (!rc) rc = rewrite(in, out, &tail, gps_list, &a);
    for (int k = 0; k < n; k++) tw_buf_free(&blocks[k]);
    free(blocks), tw_buf_free(&tail);
    return rc ? -1 : 0;
}

/* ---- Novatek TS --------------------------------------------------------------------------- */

void tw2_novatek_ts_record(const tw_scene *s, int k, uint8_t rec[56]) {
    tw_fix f = tw_fix_at(s, k);
    struct tm tm;
    utc_tm(f.utc_ms, &tm);
    char ns, ew;
    double lat = ddmm(f.lat, 'N', 'S', &ns), lon = ddmm(f.lon, 'E', 'W', &ew), x, y, z;
    tw_accel_at(s, k, &x, &y, &z);
    uint32_t t6[6] = {(uint32_t)tm.tm_hour,         (uint32_t)tm.tm_min,     (uint32_t)tm.tm_sec,
                      (uint32_t)(tm.tm_year - 100), (uint32_t)tm.tm_mon + 1, (uint32_t)tm.tm_mday};
    memset(rec, 0, 56);
    for (int i = 0; i < 6; i++) put_le32(rec + (size_t)4 * i, t6[i]);
    rec[24] = 'A', rec[25] = (uint8_t)ns, rec[26] = (uint8_t)ew;
    put_lef(rec + 28, (float)lat), put_lef(rec + 32, (float)lon);
    put_lef(rec + 36, (float)(f.speed_kmh / KNOTS_TO_KMH)), put_lef(rec + 40, (float)f.heading_deg);
    put_le32(rec + 44, (uint32_t)(int32_t)lround(x * 256));
    put_le32(rec + 48, (uint32_t)(int32_t)lround(y * 256));
    put_le32(rec + 52, (uint32_t)(int32_t)lround(z * 256));
}

/* A 188-byte packet on PID 0x300: the PES (private stream 1, PTS) padded by adaptation field
 * stuffing. */
static void gps_packet(uint64_t pts, const uint8_t rec[56], int cc, uint8_t p[188]) {
    uint8_t pes[14 + 56];
    pes[0] = 0, pes[1] = 0, pes[2] = 1, pes[3] = 0xbd;
    pes[4] = 0, pes[5] = 3 + 5 + 56; /* bytes after the length field */
    pes[6] = 0x80, pes[7] = 0x80, pes[8] = 5;
    pes[9] = (uint8_t)(0x21 | (pts >> 29 & 0x0e));
    pes[10] = (uint8_t)(pts >> 22), pes[11] = (uint8_t)(pts >> 14 | 1);
    pes[12] = (uint8_t)(pts >> 7), pes[13] = (uint8_t)(pts << 1 | 1);
    memcpy(pes + 14, rec, 56);
    size_t af = 184 - 1 - sizeof pes; /* adaptation field length byte + its body */
    p[0] = 0x47, p[1] = 0x40 | 0x03, p[2] = 0x00, p[3] = (uint8_t)(0x30 | (cc & 15));
    p[4] = (uint8_t)af, p[5] = 0x00;
    memset(p + 6, 0xff, af - 1);
    memcpy(p + 5 + af, pes, sizeof pes);
}

int tw2_ts_add_novatek(const tw_scene *s, const char *in, const char *out) {
    tw_buf src = {0}, dst = {0};
    if (read_all(in, &src)) return -1;
    int rc = -1;
    size_t packets = src.n / 188;
    uint64_t first = 0;
    bool have = false;
    for (size_t i = 0; i < packets && !have; i++) {
        const uint8_t *p = src.p + i * 188;
        if (p[0] != 0x47 || !(p[1] & 0x40)) continue;
        size_t at = 4;
        if ((p[3] >> 4 & 3) == 3) at += 1 + (size_t)p[4];
        const uint8_t *e = p + at;
        if (at + 14 <= 188 && !e[0] && !e[1] && e[2] == 1 && (e[7] & 0x80)) {
            first = (uint64_t)(e[9] >> 1 & 7) << 30 | (uint64_t)e[10] << 22 |
                    (uint64_t)(e[11] >> 1) << 15 | (uint64_t)e[12] << 7 | e[13] >> 1;
            have = true;
        }
    }
    if (!have || packets == 0) {
        fprintf(stderr, "%s: not an MPEG-TS with a PTS\n", in);
        goto done;
    }
    int n = (int)s->duration_sec, k = 0;
    for (size_t i = 0; i <= packets; i++) {
        /* record k goes after packet i where i / packets reaches k / n (after the first PES) */
        while (k < n && i >= 1 && (double)i / (double)packets >= (double)k / n) {
            uint8_t rec[56], p[188];
            tw2_novatek_ts_record(s, k, rec);
            gps_packet(first + (uint64_t)k * 90000, rec, k, p);
            if (tw_put(&dst, p, 188)) goto done;
            k++;
        }
        if (i < packets && tw_put(&dst, src.p + i * 188, 188)) goto done;
    }
    rc = tw_write_file(out, dst.p, dst.n);
done:
    tw_buf_free(&src), tw_buf_free(&dst);
    return rc;
}
