/* Text tracks: a track whose handler is 'text' (sample entry 'tx3g' or 'text') where the camera
 * writes one sample a second. Three kinds of sample are read:
 *   - NMEA text ("$GPRMC,...", "$GPGGA,..."; Nextbase and other cameras): the RMC gives the fix;
 *     a GGA alone gives position without speed.
 *   - Thinkware: "gsensori,V,S,X,Y,Z;GNRMC,...*CS;CAR,...": the RMC without its '$', and
 *     acceleration as X, Y, Z counts with S counts per g (S = 512 in the samples public tools
 *     quote; the meaning of V is unknown; unconfirmed: the scale to revisit with a real file).
 *   - Garmin PNDM (binary although in a text track): "PNDM" (after an optional 4-byte size),
 *     big-endian u16 speed in mph at 8, s32 latitude and longitude at 12 and 16 in units of
 *     180 / 2^31 degrees. It holds no time of day: UTC is not known (DC_TELEMETRY_NO_UTC).
 * Times: a sample's fix is at the sample's time (stts); an RMC's own date and time give UTC.
 * A sample is a 2-byte big-endian text length and the text (tx3g); a text track without the
 * length word (the length does not match) is read as it is. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tm_more.h"

#define KNOTS_TO_KMH 1.852
#define MPH_TO_KMH 1.609344
#define MAX_SAMPLE (64 << 10) /* one text sample */

const tm_track *tm_find_track(const tm_mp4 *m, uint32_t handler, uint32_t format) {
    for (int i = 0; m && i < m->track_count; i++)
        if (m->tracks[i].format == format && (!handler || m->tracks[i].handler == handler))
            return &m->tracks[i];
    return NULL;
}

/* ---- NMEA fields ------------------------------------------------------------------------- */

/* Field i of a comma list in [p, end): *len = its length; NULL when there are fewer fields. */
static const char *field(const char *p, const char *end, int i, size_t *len) {
    for (; i > 0; i--) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (!c) return NULL;
        p = c + 1;
    }
    const char *c = memchr(p, ',', (size_t)(end - p));
    *len = (size_t)((c ? c : end) - p);
    return p;
}

/* A decimal number of exactly the field's characters; NaN when anything else is there. */
static double number(const char *p, size_t n) {
    char buf[32];
    if (n == 0 || n >= sizeof buf) return NAN;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.') dots++;
        else if (!isdigit((unsigned char)p[i]) && !(i == 0 && p[i] == '-')) return NAN;
    }
    if (dots > 1) return NAN;
    memcpy(buf, p, n);
    buf[n] = 0;
    return strtod(buf, NULL);
}

static int two(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }
static bool digits(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i])) return false;
    return true;
}

/* DDMM.MMMM with its hemisphere letter -> degrees; NaN when malformed */
static double coordinate(const char *v, size_t vn, const char *h, size_t hn, char neg) {
    double x = number(v, vn);
    if (!(x >= 0) || hn != 1) return NAN;
    double deg = floor(x / 100);
    double d = deg + (x - deg * 100) / 60;
    return h[0] == neg ? -d : d;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool tm_find_rmc(const char *text, size_t n, tm_rmc *out) {
    const char *end = text + n;
    for (const char *p = text; p + 6 <= end; p++) {
        if (memcmp(p + 2, "RMC,", 4) != 0 || !isupper((unsigned char)p[0]) ||
            !isupper((unsigned char)p[1]))
            continue;
        /* the sentence ends at '*', a line end, ';' or a NUL */
        const char *e = p;
        while (e < end && *e != '*' && *e != '\r' && *e != '\n' && *e != ';' && *e) e++;
        if (e < end && *e == '*') {
            if (e + 3 > end || hexval(e[1]) < 0 || hexval(e[2]) < 0) return false;
            unsigned sum = 0;
            for (const char *c = p; c < e; c++) sum ^= (unsigned char)*c;
            if (sum != (unsigned)(hexval(e[1]) << 4 | hexval(e[2]))) return false;
        }
        /* 1 time, 2 status, 3-4 lat, 5-6 lon, 7 knots, 8 course, 9 date ddmmyy */
        size_t len[10];
        const char *f[10];
        for (int i = 0; i < 10; i++)
            if (!(f[i] = field(p, e, i, &len[i]))) return false;
        if (len[1] < 6 || !digits(f[1], 6)) return false;
        double frac = len[1] > 6 ? number(f[1] + 6, len[1] - 6) : 0;
        if (!(frac >= 0 && frac < 1)) return false;
        *out = (tm_rmc){.utc_ms = DC_TELEMETRY_NO_UTC, .speed_kmh = -1, .heading_deg = -1};
        if (len[9] == 6 && digits(f[9], 6))
            out->utc_ms = tm_utc_ms(2000 + two(f[9] + 4), two(f[9] + 2), two(f[9]), two(f[1]),
                                    two(f[1] + 2), two(f[1] + 4) + frac);
        out->valid = len[2] == 1 && f[2][0] == 'A';
        if (out->valid) {
            out->lat = coordinate(f[3], len[3], f[4], len[4], 'S');
            out->lon = coordinate(f[5], len[5], f[6], len[6], 'W');
            if (len[4] == 1 && f[4][0] != 'N' && f[4][0] != 'S') out->lat = NAN;
            if (len[6] == 1 && f[6][0] != 'E' && f[6][0] != 'W') out->lon = NAN;
            double knots = number(f[7], len[7]);
            out->speed_kmh = len[7] ? knots * KNOTS_TO_KMH : -1;
            double course = number(f[8], len[8]);
            out->heading_deg = len[8] ? course : -1;
        }
        return true;
    }
    return false;
}

/* ---- samples --------------------------------------------------------------------------------- */

static void pndm(tm_sink *s, const uint8_t *b, size_t n, double t_sec) {
    if (n < 20) {
        tm_damage(s, "PNDM record at %.3f s: %zu bytes, fewer than its 20", t_sec, n);
        return;
    }
    dc_gps_fix f = {.t_sec = t_sec, .utc_ms = DC_TELEMETRY_NO_UTC, .valid = true};
    f.speed_kmh = tm_be16(b + 8) * MPH_TO_KMH;
    f.lat = (int32_t)tm_be32(b + 12) * (180.0 / 2147483648.0);
    f.lon = (int32_t)tm_be32(b + 16) * (180.0 / 2147483648.0);
    f.heading_deg = -1;
    tm_add_fix(s, f);
}

/* "gsensori,V,S,X,Y,Z" -> g */
static void gsensori(tm_sink *s, const char *p, const char *end, double t_sec) {
    const char *e = p;
    while (e < end && *e != ';' && *e != '\r' && *e != '\n' && *e) e++;
    size_t len[6];
    const char *f[6];
    for (int i = 0; i < 6; i++)
        if (!(f[i] = field(p, e, i, &len[i]))) return;
    double scale = number(f[2], len[2]), x = number(f[3], len[3]), y = number(f[4], len[4]),
           z = number(f[5], len[5]);
    if (!(scale > 0)) return;
    tm_add_accel(s, t_sec, x / scale, y / scale, z / scale);
}

void tm_text_sample(tm_sink *s, tm_bytes sample, double t_sec) {
    const uint8_t *b = sample.p;
    size_t n = sample.n;
    if (n >= 2 && tm_be16(b) == n - 2) b += 2, n -= 2;
    if (n >= 8 && !memcmp(b + 4, "PNDM", 4)) b += 4, n -= 4; /* after a 4-byte size */
    if (n >= 4 && !memcmp(b, "PNDM", 4)) {
        tm_set_variant(s, "garmin-pndm");
        pndm(s, b, n, t_sec);
        return;
    }
    const char *text = (const char *)b, *end = text + n;
    const char *g = NULL;
    for (const char *p = text; p + 9 <= end && !g; p++)
        if (!memcmp(p, "gsensori,", 9)) g = p;
    tm_set_variant(s, g ? "thinkware" : "nmea");
    if (g) gsensori(s, g, end, t_sec);
    tm_rmc r;
    if (tm_find_rmc(text, n, &r)) {
        dc_gps_fix f = {.t_sec = t_sec,
                        .utc_ms = r.utc_ms,
                        .valid = r.valid,
                        .lat = r.lat,
                        .lon = r.lon,
                        .speed_kmh = r.speed_kmh,
                        .heading_deg = r.heading_deg};
        tm_add_fix(s, f);
    }
}

/* tx3g or text samples, under any handler ('text', 'sbtl', 'subt'): the content decides */
static const tm_track *text_track(const tm_mp4 *m) {
    const tm_track *t = tm_find_track(m, 0, TM_FOURCC('t', 'x', '3', 'g'));
    return t ? t : tm_find_track(m, 0, TM_FOURCC('t', 'e', 'x', 't'));
}

bool tm_text_track_detect(tm_ctx *ctx) {
    const tm_track *t = text_track(ctx->mp4);
    if (!t) return false;
    /* a chapter or subtitle track is text too: only one whose first sample holds telemetry */
    int count = 0;
    tm_sink quiet = {.out = &(dc_telemetry){0}, .dl = ctx->sink.dl};
    tm_sample *samples = tm_track_samples(t, &ctx->file, &quiet, &count);
    bool yes = false;
    for (int i = 0; i < count && i < 3 && !yes; i++) {
        size_t got = 0;
        bool oom = false;
        uint32_t size = samples[i].size < 512 ? samples[i].size : 512;
        uint8_t *b = tm_file_read(&ctx->file, samples[i].offset, size, &got, &oom);
        for (size_t k = 0; b && k + 4 <= got && !yes; k++)
            yes = !memcmp(b + k, "RMC,", 4) || !memcmp(b + k, "GGA,", 4) ||
                  !memcmp(b + k, "PNDM", 4) || !memcmp(b + k, "gsensori", 4);
        free(b);
    }
    free(samples);
    return yes;
}

void tm_text_track_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    const tm_track *t = text_track(ctx->mp4);
    int count = 0;
    tm_sample *samples = tm_track_samples(t, &ctx->file, s, &count);
    for (int i = 0; samples && i < count && !tm_out_of_time(s); i++) {
        if (samples[i].size > MAX_SAMPLE) {
            tm_damage(s, "%s: text sample %d claims %u bytes", ctx->video_path, i, samples[i].size);
            continue;
        }
        size_t got = 0;
        bool oom = false;
        uint8_t *b = tm_file_read(&ctx->file, samples[i].offset, samples[i].size, &got, &oom);
        if (oom) s->oom = s->stopped = true;
        if (b && got < samples[i].size)
            tm_damage(s, "%s: text sample %d cut at the file's end", ctx->video_path, i);
        if (b) tm_text_sample(s, (tm_bytes){b, got}, samples[i].t_sec);
        free(b);
    }
    free(samples);
}
