/* GoPro GPMF: the 'gpmd' track's payloads, each a list of KLV items.
 *
 * An item is a 4-character key, a 1-byte type, a 1-byte structure size and a 2-byte repeat
 * (big-endian), then size * repeat bytes of data padded to 4. Type 0 nests a list (DEVC holds
 * a device's streams, STRM one stream). Within a STRM, the items before the data say how to
 * read it: SCAL (divide each element by it: one value for all, or one per element), SIUN or
 * UNIT (units), TYPE (the element types of a '?' structure), GPSF (fix: 0 none, 2 2D, 3 3D),
 * GPSU (UTC "yymmddhhmmss.sss" of the payload's first fix).
 *
 * Read: GPS5 ('l' x 5: lat, lon deg*SCAL, alt, 2D speed, 3D speed m/s*SCAL), GPS9 ('?' of
 * TYPE lllllllSS: the five of GPS5, days since 2000-01-01, seconds since midnight, DOP, fix),
 * ACCL (3 axes, m/s^2 unless the units say g) and GYRO (3 axes, rad/s). Everything else is
 * skipped by its length.
 *
 * Axes (GoPro's GPMF documentation): a STRM's ORIN names, per stored channel, the camera axis
 * it holds, lower case for that axis negated ("YxZ": channel 0 is Y, channel 1 is -X, channel
 * 2 is Z). ACCL and GYRO are put back in X, Y, Z order with it. Cameras from before ORIN: the
 * HERO5 (DVNM "Camera" or "HERO5...") stored Z, X, Y and the HERO6 and HERO7 Y, -X, Z (DVNM
 * "Hero6 Black", ...).
 *
 * Every item's length is checked against what its parent has left before it is read; a
 * structure size that does not match its type is skipped (noted), never read past. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tm_internal.h"

#define GRAVITY 9.80665
#define MAX_ELEMENTS 16

typedef struct {
    double scal[MAX_ELEMENTS];
    int n_scal;
    bool units_g;                /* SIUN/UNIT says g rather than m/s^2 */
    char type[MAX_ELEMENTS + 1]; /* TYPE of a '?' structure */
    int fix;                     /* GPSF; -1 when absent */
    int64_t gpsu_ms;             /* GPSU; DC_TELEMETRY_NO_UTC when absent */
    char orin[4];                /* ORIN; "" when absent */
} strm_state;

typedef struct {
    tm_sink *s;
    double t0, dur;
    bool damaged;  /* noted once per payload */
    bool has_gps9; /* HERO11+ write GPS9 and GPS5 of the same fixes: GPS5 is then skipped */
} payload_ctx;

static int type_size(char c) {
    switch (c) {
    case 'b':
    case 'B':
    case 'c': return 1;
    case 's':
    case 'S': return 2;
    case 'l':
    case 'L':
    case 'f':
    case 'q':
    case 'F': return 4;
    case 'd':
    case 'j':
    case 'J':
    case 'Q': return 8;
    default: return 0;
    }
}

static double read_num(char c, const uint8_t *p) {
    switch (c) {
    case 'b': return (int8_t)p[0];
    case 'B': return p[0];
    case 's': return (int16_t)tm_be16(p);
    case 'S': return tm_be16(p);
    case 'l': return (int32_t)tm_be32(p);
    case 'L': return tm_be32(p);
    case 'q': return (int32_t)tm_be32(p) / 65536.0;
    case 'j': return (double)(int64_t)tm_be64(p);
    case 'J': return (double)tm_be64(p);
    case 'Q': return (double)(int64_t)tm_be64(p) / 4294967296.0;
    case 'f': {
        uint32_t u = tm_be32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    case 'd': {
        uint64_t u = tm_be64(p);
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    default: return NAN;
    }
}

/* The element types of one structure of `ssize` bytes: all `type` for a plain type, the TYPE
 * string for '?'. Returns the element count, 0 when they do not add up to ssize. */
static int elements(char type, int ssize, const strm_state *st, char *types) {
    if (type == '?') {
        int n = 0, bytes = 0;
        for (const char *c = st->type; *c && n < MAX_ELEMENTS; c++) {
            int size = type_size(*c);
            if (!size) return 0;
            types[n++] = *c;
            bytes += size;
        }
        return bytes == ssize ? n : 0;
    }
    int size = type_size(type);
    if (!size || ssize % size) return 0;
    int n = ssize / size;
    if (n > MAX_ELEMENTS) return 0;
    memset(types, type, (size_t)n);
    return n;
}

/* Element e of a structure scaled by SCAL; NaN when the scale is 0 (dropped by the sink). */
static double scaled(const strm_state *st, const char *types, const uint8_t *p, int e) {
    int at = 0;
    for (int i = 0; i < e; i++) at += type_size(types[i]);
    double v = read_num(types[e], p + at);
    double k = st->n_scal == 0   ? 1
               : st->n_scal == 1 ? st->scal[0]
               : e < st->n_scal  ? st->scal[e]
                                 : 1;
    return k != 0 ? v / k : NAN;
}

/* A fix code (GPSF, GPS9's last field) as an int; anything but a small number is no fix. */
static int fix_code(double v) { return v >= 0 && v <= 9 ? (int)v : 0; }

static void damage(payload_ctx *pc, const char *what) {
    if (pc->damaged) return;
    pc->damaged = true;
    tm_damage(pc->s, "GPMF payload at %.3f s: %s", pc->t0, what);
}

/* "yymmddhhmmss.sss" */
static int64_t parse_gpsu(const uint8_t *p, size_t n) {
    char text[17] = {0};
    if (n < 16) return DC_TELEMETRY_NO_UTC;
    memcpy(text, p, 16);
    int yy, mo, dd, hh, mi;
    double ss;
    if (sscanf(text, "%2d%2d%2d%2d%2d%lf", &yy, &mo, &dd, &hh, &mi, &ss) != 6)
        return DC_TELEMETRY_NO_UTC;
    return tm_utc_ms(2000 + yy, mo, dd, hh, mi, ss);
}

static void read_gps(payload_ctx *pc, strm_state *st, char type, int ssize, int repeat,
                     const uint8_t *data, bool gps9) {
    char types[MAX_ELEMENTS];
    int n_el = elements(type, ssize, st, types);
    if (n_el < (gps9 ? 9 : 5)) {
        damage(pc,
               gps9 ? "GPS9 with a structure that is not lllllllSS" : "GPS5 that is not 5 values");
        return;
    }
    tm_set_variant(pc->s, gps9 ? "gps9" : "gps5");
    for (int i = 0; i < repeat; i++) {
        const uint8_t *p = data + (size_t)i * ssize;
        double t = pc->t0 + pc->dur * i / repeat;
        dc_gps_fix f = {.t_sec = t, .utc_ms = DC_TELEMETRY_NO_UTC, .heading_deg = -1};
        f.lat = scaled(st, types, p, 0);
        f.lon = scaled(st, types, p, 1);
        f.speed_kmh = scaled(st, types, p, 3) * 3.6;
        if (gps9) {
            double days = scaled(st, types, p, 5), secs = scaled(st, types, p, 6);
            int fix = fix_code(scaled(st, types, p, 8));
            f.valid = fix >= 2;
            /* 2000-01-01T00:00:00Z is 946684800 s after the epoch */
            if (days >= 0 && days < 36600 && secs >= 0 && secs < 86401)
                f.utc_ms = 946684800000LL + (int64_t)days * 86400000LL + llround(secs * 1000);
        } else {
            f.valid = st->fix < 0 || st->fix >= 2;
            if (st->gpsu_ms != DC_TELEMETRY_NO_UTC)
                f.utc_ms = st->gpsu_ms + llround(pc->dur * 1000 * i / repeat);
        }
        if (!tm_add_fix(pc->s, f)) return;
    }
}

/* The channel and sign of each camera axis: axis a (X, Y, Z) = sign[a] * channel chan[a].
 * From ORIN, else from the model's known order; false (as stored) when neither says. */
static bool orientation(const char *orin, int chan[3], int sign[3]) {
    int seen = 0;
    for (int c = 0; c < 3; c++) {
        char l = orin[c];
        int a = l == 'X' || l == 'x' ? 0 : l == 'Y' || l == 'y' ? 1 : l == 'Z' || l == 'z' ? 2 : -1;
        if (a < 0 || seen >> a & 1) return false;
        seen |= 1 << a;
        chan[a] = c;
        sign[a] = l >= 'a' ? -1 : 1;
    }
    return orin[3] == 0;
}

static const char *model_orin(const char *device) {
    /* DVNM spells it "Hero6 Black" or "HERO6 Black"; a HERO5 calls itself "Camera" (the public
     * hero5 and Karma samples), later models write ORIN */
    if (!strncasecmp(device, "HERO5", 5) || !strcmp(device, "Camera")) return "ZXY";
    if (!strncasecmp(device, "HERO6", 5) || !strncasecmp(device, "HERO7", 5)) return "YxZ";
    return NULL;
}

/* ACCL (gyro false: to g) or GYRO (rad/s as stored), in the camera's X, Y, Z. */
static void read_axes(payload_ctx *pc, strm_state *st, char type, int ssize, int repeat,
                      const uint8_t *data, bool gyro) {
    char types[MAX_ELEMENTS];
    if (elements(type, ssize, st, types) < 3) {
        damage(pc, gyro ? "GYRO that is not 3 axes" : "ACCL that is not 3 axes");
        return;
    }
    int chan[3] = {0, 1, 2}, sign[3] = {1, 1, 1};
    const char *model = model_orin(pc->s->out->device);
    if (st->orin[0]) {
        if (!orientation(st->orin, chan, sign)) {
            damage(pc, "an ORIN that is not the axes X, Y, Z once each: axes as stored");
            chan[0] = 0, chan[1] = 1, chan[2] = 2, sign[0] = sign[1] = sign[2] = 1;
        }
    } else if (model) {
        orientation(model, chan, sign);
    }
    double k = gyro || st->units_g ? 1.0 : 1.0 / GRAVITY;
    for (int i = 0; i < repeat; i++) {
        const uint8_t *p = data + (size_t)i * ssize;
        double t = pc->t0 + pc->dur * i / repeat, v[3];
        for (int a = 0; a < 3; a++) v[a] = sign[a] * scaled(st, types, p, chan[a]) * k;
        if (!(gyro ? tm_add_gyro : tm_add_accel)(pc->s, t, v[0], v[1], v[2])) return;
    }
}

static void walk(payload_ctx *pc, tm_bytes in, int depth, strm_state *st);

/* One item; st is the enclosing STRM's state (NULL outside a STRM). */
static void item(payload_ctx *pc, uint32_t key, char type, int ssize, int repeat, tm_bytes data,
                 int depth, strm_state *st) {
    if (type == 0) { /* nested list */
        if (depth >= 4) {
            damage(pc, "nested deeper than a GPMF device/stream");
            return;
        }
        if (key == TM_FOURCC('S', 'T', 'R', 'M')) {
            strm_state fresh = {.fix = -1, .gpsu_ms = DC_TELEMETRY_NO_UTC};
            walk(pc, data, depth + 1, &fresh);
        } else {
            walk(pc, data, depth + 1, st);
        }
        return;
    }
    if (key == TM_FOURCC('D', 'V', 'N', 'M') && type == 'c') {
        char *dev = pc->s->out->device;
        if (!dev[0]) {
            size_t n = 0;
            for (size_t i = 0; i < data.n && n + 1 < sizeof pc->s->out->device; i++) {
                if (!data.p[i]) break;
                dev[n++] = data.p[i] >= 32 && data.p[i] < 127 ? (char)data.p[i] : '?';
            }
            dev[n] = 0;
        }
        return;
    }
    if (!st) return;
    int size = type_size(type);
    switch (key) {
    case TM_FOURCC('S', 'C', 'A', 'L'):
        st->n_scal = 0;
        if (!size || ssize % size) return;
        for (size_t at = 0; at + (size_t)size <= data.n && st->n_scal < MAX_ELEMENTS;
             at += (size_t)size)
            st->scal[st->n_scal++] = read_num(type, data.p + at);
        return;
    case TM_FOURCC('S', 'I', 'U', 'N'):
    case TM_FOURCC('U', 'N', 'I', 'T'):
        /* "g" alone means g; "m/s\xb2" (and anything else) is taken as m/s^2 */
        st->units_g = type == 'c' && data.n >= 1 && data.p[0] == 'g' &&
                      (data.n == 1 || data.p[1] == 0 || (size_t)ssize == 1);
        return;
    case TM_FOURCC('T', 'Y', 'P', 'E'):
        if (type == 'c') {
            size_t n = data.n < MAX_ELEMENTS ? data.n : MAX_ELEMENTS;
            memcpy(st->type, data.p, n);
            st->type[n] = 0;
        }
        return;
    case TM_FOURCC('O', 'R', 'I', 'N'):
        /* three letters; anything longer is kept whole enough to be refused */
        memset(st->orin, 0, sizeof st->orin);
        if (type == 'c') memcpy(st->orin, data.p, data.n < 3 ? data.n : 3);
        if (type == 'c' && data.n > 3 && data.p[3]) st->orin[0] = '!';
        if (type != 'c' || data.n < 3) st->orin[0] = '!';
        return;
    case TM_FOURCC('G', 'P', 'S', 'F'):
        if (size && data.n >= (size_t)size) st->fix = fix_code(read_num(type, data.p));
        return;
    case TM_FOURCC('G', 'P', 'S', 'U'): st->gpsu_ms = parse_gpsu(data.p, data.n); return;
    case TM_FOURCC('G', 'P', 'S', '5'):
        if (!pc->has_gps9) read_gps(pc, st, type, ssize, repeat, data.p, false);
        return;
    case TM_FOURCC('G', 'P', 'S', '9'): read_gps(pc, st, type, ssize, repeat, data.p, true); return;
    case TM_FOURCC('A', 'C', 'C', 'L'):
        read_axes(pc, st, type, ssize, repeat, data.p, false);
        return;
    case TM_FOURCC('G', 'Y', 'R', 'O'):
        read_axes(pc, st, type, ssize, repeat, data.p, true);
        return;
    default: return;
    }
}

static void walk(payload_ctx *pc, tm_bytes in, int depth, strm_state *st) {
    const uint8_t *p = in.p;
    size_t left = in.n;
    while (left >= 8 && !pc->s->stopped) {
        uint32_t key = tm_be32(p);
        if (key == 0) return; /* zero padding at the end of a payload */
        char type = (char)p[4];
        int ssize = p[5], repeat = tm_be16(p + 6);
        size_t len = (size_t)ssize * (size_t)repeat, padded = (len + 3) & ~(size_t)3;
        if (len > left - 8) {
            damage(pc, "an item claims more bytes than its payload has");
            return;
        }
        item(pc, key, type, ssize, repeat, (tm_bytes){p + 8, len}, depth, st);
        if (padded > left - 8) padded = left - 8;
        p += 8 + padded;
        left -= 8 + padded;
    }
}

/* Whether a GPS9 item is in the list, nested at most 4 deep (bounded like walk). */
static bool contains_gps9(tm_bytes in, int depth) {
    const uint8_t *p = in.p;
    size_t left = in.n;
    while (left >= 8) {
        uint32_t key = tm_be32(p);
        size_t len = (size_t)p[5] * tm_be16(p + 6), padded = (len + 3) & ~(size_t)3;
        if (!key || len > left - 8) return false;
        if (key == TM_FOURCC('G', 'P', 'S', '9')) return true;
        if (p[4] == 0 && depth < 4 && contains_gps9((tm_bytes){p + 8, len}, depth + 1)) return true;
        if (padded > left - 8) padded = left - 8;
        p += 8 + padded;
        left -= 8 + padded;
    }
    return false;
}

void tm_gpmf_payload(tm_sink *s, tm_bytes payload, double t_sec, double dur_sec) {
    payload_ctx pc = {.s = s, .t0 = t_sec, .dur = dur_sec > 0 && isfinite(dur_sec) ? dur_sec : 0};
    pc.has_gps9 = contains_gps9(payload, 0);
    walk(&pc, payload, 0, NULL);
}

static const tm_track *gpmd_track(const tm_ctx *ctx) {
    if (!ctx->mp4) return NULL;
    for (int i = 0; i < ctx->mp4->track_count; i++)
        if (ctx->mp4->tracks[i].format == TM_FOURCC('g', 'p', 'm', 'd'))
            return &ctx->mp4->tracks[i];
    return NULL;
}

bool tm_gpmf_detect(tm_ctx *ctx) { return gpmd_track(ctx) != NULL; }

void tm_gpmf_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    int n = 0;
    tm_sample *samples = tm_track_samples(gpmd_track(ctx), &ctx->file, s, &n);
    bool cut_noted = false;
    for (int i = 0; i < n && !tm_out_of_time(s); i++) {
        if (samples[i].size > TM_MAX_BLOCK || samples[i].offset >= ctx->file.size ||
            samples[i].size > ctx->file.size - samples[i].offset) {
            if (!cut_noted)
                tm_damage(s,
                          "%s: gpmd sample %d claims %u bytes at %llu, past the file's end or "
                          "the %d MiB limit",
                          ctx->video_path, i, samples[i].size,
                          (unsigned long long)samples[i].offset, TM_MAX_BLOCK >> 20);
            cut_noted = true;
            continue;
        }
        size_t got = 0;
        bool oom = false;
        uint8_t *buf = tm_file_read(&ctx->file, samples[i].offset, samples[i].size, &got, &oom);
        if (oom) s->oom = s->stopped = true;
        if (buf) tm_gpmf_payload(s, (tm_bytes){buf, got}, samples[i].t_sec, samples[i].dur_sec);
        free(buf);
    }
    free(samples);
}
