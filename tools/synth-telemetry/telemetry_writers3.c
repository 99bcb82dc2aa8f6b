/* Writers for the third set of telemetry formats (see telemetry_writers3.h). */
#include "telemetry_writers3.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KNOTS_TO_KMH 1.852
#define LIGO_SCALE 1.524855137
#define LIGO_SPEED 1.85407333

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}
static void put_le_double(uint8_t *p, double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    put_le32(p, (uint32_t)u), put_le32(p + 4, (uint32_t)(u >> 32));
}
static int be32(tw_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return tw_put(b, x, 4);
}
static int box(tw_buf *b, const char *type, const void *body, size_t n) {
    return be32(b, (uint32_t)(8 + n)) || tw_put(b, type, 4) || tw_put(b, body, n);
}
static void utc_tm(int64_t ms, struct tm *tm) {
    time_t sec = (time_t)(ms / 1000);
    gmtime_r(&sec, tm);
}
static double ddmm_signed(double deg) {
    double a = fabs(deg), d = floor(a);
    return copysign(d * 100 + (a - d) * 60, deg);
}

/* ---- ssmd ---------------------------------------------------------------------------------- */

void tw3_rove_record(const tw_scene *s, int k, bool no_fix, const double stuck[2], bool with_status,
                     uint8_t r[32]) {
    tw_fix f = tw_fix_at(s, k);
    struct tm tm;
    utc_tm(f.utc_ms, &tm);
    memset(r, 0, 32);
    double lat = ddmm_signed(f.lat), lon = ddmm_signed(f.lon);
    if (no_fix || stuck) {
        lat = stuck ? ddmm_signed(stuck[0]) : 4294967295.0;
        lon = stuck ? ddmm_signed(stuck[1]) : 4294967295.0;
    }
    put_le_double(r, lat), put_le_double(r + 8, lon);
    unsigned knots = no_fix || stuck ? 0 : (unsigned)lround(f.speed_kmh / KNOTS_TO_KMH);
    r[20] = (uint8_t)knots, r[21] = (uint8_t)(knots >> 8);
    r[22] = (uint8_t)(tm.tm_year - 100), r[23] = (uint8_t)(tm.tm_mon + 1),
    r[24] = (uint8_t)tm.tm_mday, r[25] = (uint8_t)tm.tm_hour, r[26] = (uint8_t)tm.tm_min,
    r[27] = (uint8_t)tm.tm_sec;
    if (with_status) {
        static const uint8_t fix[4] = {0xff, 0x01, 0x01, 0x00}, none[4] = {0xff, 0x00, 0xff, 0xff};
        memcpy(r + 28, no_fix ? none : fix, 4);
    }
}

int tw3_mp4_add_ssmd(const tw_scene *s, tw3_ssmd_kind kind, int accel_hz, const char *in,
                     const char *out) {
    int secs = (int)s->duration_sec, per = kind == TW3_SSMD_ROVE ? 1 + accel_hz : 1;
    int n = secs * per, i = 0, rc = 0;
    tw_buf *samples = calloc((size_t)n, sizeof *samples);
    uint32_t *dur = calloc((size_t)n, sizeof *dur);
    if (!samples || !dur) rc = -1;
    tw_fix f0 = tw_fix_at(s, 0);
    double stuck[2] = {f0.lat, f0.lon};
    for (int k = 0; k < secs && !rc; k++) {
        uint8_t r[32];
        if (kind == TW3_SSMD_LIGO) {
            rc |= tw3_ligogps_payload(s, k, 1, false, &samples[i]);
            dur[i++] = 1000;
            continue;
        }
        tw3_rove_record(s, k, kind != TW3_SSMD_ROVE, kind == TW3_SSMD_ROVE ? NULL : stuck,
                        kind != TW3_SSMD_STUCK, r);
        rc |= tw_put(&samples[i], r, 32);
        dur[i++] = kind == TW3_SSMD_ROVE && accel_hz ? 0 : 1000;
        for (int j = 0; kind == TW3_SSMD_ROVE && j < accel_hz; j++) {
            double x, y, z;
            tw_accel_at(s, k + (double)j / accel_hz, &x, &y, &z);
            float v[3] = {(float)x, (float)y, (float)z};
            uint8_t a[12];
            for (int c = 0; c < 3; c++) {
                uint32_t u;
                memcpy(&u, &v[c], 4);
                put_le32(a + (size_t)4 * c, u);
            }
            rc |= tw_put(&samples[i], a, 12);
            dur[i++] = (uint32_t)(1000 / accel_hz);
        }
    }
    if (!rc) rc = tw2_mp4_add_track(in, out, "meta", "ssmd", samples, dur, i);
    for (int k = 0; samples && k < n; k++) tw_buf_free(&samples[k]);
    free(samples), free(dur);
    return rc ? -1 : 0;
}

/* ---- LigoGPS --------------------------------------------------------------------------------- */

/* Encrypts text with 0xc0 steering bytes (four data bytes each, XOR 0x20; the text is padded
 * with spaces to a multiple of four) into a "####" record of 0x84 bytes. */
static int ligo_record(const char *text, tw_buf *out) {
    uint8_t rec[0x84] = {'#', '#', '#', '#'};
    size_t n = strlen(text), o = 8;
    for (size_t i = 0; i < n; i += 4) {
        if (o + 5 > sizeof rec) return -1;
        rec[o++] = 0xc0;
        for (size_t j = 0; j < 4; j++) rec[o++] = (uint8_t)((i + j < n ? text[i + j] : ' ') ^ 0x20);
    }
    put_le32(rec + 4, (uint32_t)(o - 8));
    return tw_put(out, rec, sizeof rec);
}

int tw3_ligogps_payload(const tw_scene *s, int from, int count, bool plain, tw_buf *out) {
    uint8_t head[0x14] = "LIGOGPSINFO";
    head[15] = plain ? 0x14 : 0x05;
    int rc = tw_put(out, head, sizeof head);
    for (int k = from; k < from + count && !rc; k++) {
        tw_fix f = tw_fix_at(s, k);
        struct tm tm;
        utc_tm(f.utc_ms, &tm);
        double lat = fabs(f.lat), lon = fabs(f.lon), speed = f.speed_kmh / KNOTS_TO_KMH;
        if (!plain) { /* the inverse of the readers' unscrambling */
            double la = floor(lat / 10) * 10, lo = floor(lon / 10) * 10;
            double a = la + (lon - lo) / LIGO_SCALE, b = lo + (lat - la) / LIGO_SCALE;
            lat = a, lon = b, speed = f.speed_kmh / LIGO_SPEED;
        }
        double x, y, z;
        tw_accel_at(s, k, &x, &y, &z);
        char text[160];
        snprintf(text, sizeof text,
                 "%c%c%c%c%04d/%02d/%02d %02d:%02d:%02d %c:%.6f %c:%.6f %.2f km/h A:%.1f "
                 "x:%.3f y:%.3f z:%.3f",
                 (char)(k & 0x7f), 0, 0, 0, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, f.lat < 0 ? 'S' : 'N', lat,
                 f.lon < 0 ? 'W' : 'E', lon, speed, f.heading_deg, x, y, z);
        /* the counter bytes may be 0: encrypt from a copy that keeps its length */
        char enc[160];
        size_t len = 4 + strlen(text + 4);
        memcpy(enc, text, len + 1);
        for (size_t i = 0; i < 4; i++)
            if (!enc[i]) enc[i] = ' ';
        rc = ligo_record(enc, out);
    }
    return rc ? -1 : 0;
}

int tw3_add_ligogps_trailer(const tw_scene *s, const char *in, const char *out) {
    tw_buf payload = {0}, dst = {0};
    FILE *f = fopen(in, "rb");
    int rc = f ? 0 : -1;
    uint8_t chunk[65536];
    size_t got;
    while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0) rc |= tw_put(&dst, chunk, got);
    if (f) fclose(f);
    rc = rc || tw3_ligogps_payload(s, 0, (int)s->duration_sec, false, &payload);
    uint32_t size = (uint32_t)(payload.n + 16);
    rc = rc || be32(&dst, size) || tw_put(&dst, "skip", 4) || tw_put(&dst, payload.p, payload.n) ||
         tw_put(&dst, "&&&&", 4) || be32(&dst, size) || tw_write_file(out, dst.p, dst.n);
    tw_buf_free(&payload), tw_buf_free(&dst);
    return rc ? -1 : 0;
}

/* ---- ATC -------------------------------------------------------------------------------------- */

enum { ATC_SLOTS = 30, ATC_RECORD = 52 };

/* The plain record of second k, encrypted with keys from k */
static void atc_record(const tw_scene *s, int k, uint8_t e[ATC_RECORD]) {
    tw_fix f = tw_fix_at(s, k);
    struct tm tm;
    utc_tm(f.utc_ms, &tm);
    uint8_t d[ATC_RECORD] = {0};
    d[0] = 1, d[1] = (uint8_t)k, d[2] = (uint8_t)(k % ATC_SLOTS);
    d[0x0d] = (uint8_t)(tm.tm_hour - 1), d[0x0e] = (uint8_t)tm.tm_min, d[0x0f] = (uint8_t)tm.tm_sec;
    put_le32(d + 0x10, (uint32_t)(int32_t)llround(f.lat * 1e7));
    tw_put_chars(d + 0x15, "ATC", 3);
    put_le32(d + 0x18, (uint32_t)(int32_t)llround(f.lon * 1e7));
    tw_put_chars(d + 0x1d, "001", 3);
    put_le32(d + 0x20, (uint32_t)(int32_t)llround(f.speed_kmh / 3.6 * 100));
    double h = f.heading_deg > 180 ? f.heading_deg - 360 : f.heading_deg;
    int16_t hv = (int16_t)lround(h * 100);
    d[0x24] = (uint8_t)hv, d[0x25] = (uint8_t)((uint16_t)hv >> 8);
    int year = tm.tm_year + 1900;
    d[0x2c] = (uint8_t)year, d[0x2d] = (uint8_t)(year >> 8);
    d[0x2e] = (uint8_t)(tm.tm_mon + 1), d[0x2f] = (uint8_t)tm.tm_mday;
    uint8_t k1 = (uint8_t)(0x5a + k * 7), k2 = (uint8_t)(0xa5 + k * 13);
    memcpy(e, d, ATC_RECORD);
    for (int i = 0x00; i <= 0x14; i++) e[i] ^= k1;
    for (int i = 0x18; i <= 0x1b; i++) e[i] ^= k1;
    e[0x1c] ^= k2;
    for (int i = 0x20; i <= 0x32; i++) e[i] ^= k2;
}

int tw3_atc_block(const tw_scene *s, int k, tw_buf *out) {
    enum { SIZE = 0x30 + ATC_SLOTS * ATC_RECORD + 4 };
    uint8_t b[SIZE] = {0};
    b[0] = SIZE >> 24, b[1] = (uint8_t)(SIZE >> 16), b[2] = (uint8_t)(SIZE >> 8),
    b[3] = (uint8_t)SIZE;
    tw_put_chars(b + 4, "freeGPS ", 8);
    put_le32(b + 12, SIZE - 16);
    tw_put_chars(b + 16, "IQS20130306B", 12);
    tw_put_chars(b + 32, "May 15 2015, 19:", 16);
    /* slot j holds the latest second j, j + 30, ... up to k: seconds before 0 are the
     * camera's history from before the recording */
    for (int j = 0; j < ATC_SLOTS; j++) {
        int sec = k - ((k - j) % ATC_SLOTS + ATC_SLOTS) % ATC_SLOTS;
        atc_record(s, sec, b + 0x30 + (size_t)j * ATC_RECORD);
    }
    *out = (tw_buf){0};
    return tw_put(out, b, SIZE);
}

int tw3_mp4_add_atc(const tw_scene *s, const char *in, const char *out) {
    int n = (int)s->duration_sec, rc = 0;
    tw_buf *blocks = calloc((size_t)n, sizeof *blocks);
    if (!blocks) return -1;
    for (int k = 0; k < n && !rc; k++) rc = tw3_atc_block(s, k, &blocks[k]);
    if (!rc) rc = tw_mp4_add_novatek(in, out, blocks, n);
    for (int k = 0; k < n; k++) tw_buf_free(&blocks[k]);
    free(blocks);
    return rc ? -1 : 0;
}

/* ---- BlackVue free box ------------------------------------------------------------------------ */

int tw3_mp4_add_blackvue_box(const tw_scene *s, const char *in, const char *out) {
    tw_buf gps = {0}, g3 = {0}, body = {0}, boxes = {0};
    static const char cprt[] = "Pittasoft Co., Ltd.;DR750S-2CH;1.012;English;";
    int rc = tw_nmea_text(s, 1, true, &gps) || tw_3gf(s, 10, &g3) ||
             box(&body, "cprt", cprt, sizeof cprt - 1) || box(&body, "gps ", gps.p, gps.n) ||
             box(&body, "3gf ", g3.p, g3.n) || box(&boxes, "free", body.p, body.n) ||
             tw2_mp4_add_before_moov(in, out, &boxes);
    tw_buf_free(&gps), tw_buf_free(&g3), tw_buf_free(&body), tw_buf_free(&boxes);
    return rc ? -1 : 0;
}

/* ---- GPX and NMEA with $GSENSOR -------------------------------------------------------------- */

int tw3_gpx(const tw_scene *s, tw_buf *out) {
    char line[512];
    const char *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<gpx version=\"1.1\" creator=\"dashclaim synth\" "
                       "xmlns=\"http://www.topografix.com/GPX/1/1\" "
                       "xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v2\">\n"
                       "<trk><name>drive &amp; crash</name><trkseg>\n";
    int rc = tw_put(out, head, strlen(head));
    for (int k = 0; k < (int)s->duration_sec && !rc; k++) {
        tw_fix f = tw_fix_at(s, k);
        struct tm tm;
        utc_tm(f.utc_ms, &tm);
        int n = snprintf(line, sizeof line,
                         "<trkpt lat=\"%.7f\" lon='%.7f'><ele>410.0</ele>"
                         "<time>%04d-%02d-%02dT%02d:%02d:%02d.%03dZ</time>"
                         "<extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>%.4f</gpxtpx:speed>"
                         "<gpxtpx:course>%.2f</gpxtpx:course></gpxtpx:TrackPointExtension>"
                         "</extensions></trkpt>\n",
                         f.lat, f.lon, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                         tm.tm_min, tm.tm_sec, (int)(f.utc_ms % 1000), f.speed_kmh / 3.6,
                         f.heading_deg);
        rc = tw_put(out, line, (size_t)n);
    }
    const char *tail = "</trkseg></trk>\n</gpx>\n";
    return rc || tw_put(out, tail, strlen(tail)) ? -1 : 0;
}

int tw3_nmea_gsensor(const tw_scene *s, int accel_hz, tw_buf *out) {
    tw_buf plain = {0};
    if (tw_nmea_text(s, 1, false, &plain)) return -1;
    /* after each second's sentences (one RMC and one GGA a line each), its G-sensor lines */
    int rc = 0, k = 0;
    size_t at = 0;
    while (at < plain.n && !rc) {
        size_t e = at;
        while (e < plain.n && plain.p[e] != '\n') e++;
        rc |= tw_put(out, plain.p + at, e - at + (e < plain.n));
        bool gga = e - at > 6 && !memcmp(plain.p + at + 3, "GGA", 3);
        at = e + 1;
        for (int j = 0; gga && j < accel_hz; j++) {
            double x, y, z;
            tw_accel_at(s, k, &x, &y, &z);
            char body[96], line[128];
            snprintf(body, sizeof body, "GSENSOR,%.3f,%.3f,%.3f", x, y, z);
            unsigned sum = 0;
            for (char *c = body; *c; c++) sum ^= (unsigned char)*c;
            int n = snprintf(line, sizeof line, "$%s*%02X\r\n", body, sum);
            rc |= tw_put(out, line, (size_t)n);
        }
        k += gga;
    }
    tw_buf_free(&plain);
    return rc ? -1 : 0;
}
