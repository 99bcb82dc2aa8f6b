/* Novatek 'freeGPS ' blocks.
 *
 * The camera writes one record a second into a 'free' box between the media data and lists
 * them in a 'gps ' box in moov: a 4-byte version, a 4-byte count, then (offset, size) pairs,
 * big-endian, each offset the start of a box whose bytes 4..11 read "freeGPS ". Within a block
 * the record's layout differs by camera; each layout below is one row (how to recognise it,
 * how to read it), tried in order; a block that none recognises is skipped and noted.
 * Offsets are from the block's start (its size field). Numbers in the blocks are
 * little-endian; positions are NMEA-style DDMM.MMMM with the hemisphere as a letter. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tm_internal.h"

#define KNOTS_TO_KMH 1.852

typedef struct {
    int hour, minute, second, year, month, day;
    char status, ns, ew;
    double lat, lon, knots, heading; /* DDMM.MMMM, unsigned */
    bool has_accel;
    double ax, ay, az; /* g */
} record;

static int u32(const uint8_t *b, size_t at) { return (int)tm_le32(b + at); }
static int s32(const uint8_t *b, size_t at) { return (int32_t)tm_le32(b + at); }

static bool is_ns(uint8_t c) { return c == 'N' || c == 'S'; }
static bool is_ew(uint8_t c) { return c == 'E' || c == 'W'; }

/* float: time at 0x30, status and hemispheres at 0x48, floats from 0x4c */
static bool float_match(const uint8_t *b, size_t n) {
    return n >= 0x5c && (b[0x48] == 'A' || b[0x48] == 'V');
}
static void float_read(const uint8_t *b, size_t n, record *r) {
    (void)n;
    r->hour = u32(b, 0x30), r->minute = u32(b, 0x34), r->second = u32(b, 0x38);
    r->year = u32(b, 0x3c), r->month = u32(b, 0x40), r->day = u32(b, 0x44);
    r->status = (char)b[0x48], r->ns = (char)b[0x49], r->ew = (char)b[0x4a];
    r->lat = tm_le_float(b + 0x4c), r->lon = tm_le_float(b + 0x50);
    r->knots = tm_le_float(b + 0x54), r->heading = tm_le_float(b + 0x58);
}

/* a119v3: time at 0x10, three zero bytes then status at 0x28, floats from 0x2c, accel at 0x3c */
static bool a119v3_match(const uint8_t *b, size_t n) {
    return n >= 0x48 && !b[0x25] && !b[0x26] && !b[0x27] && (b[0x28] == 'A' || b[0x28] == 'V');
}
static void a119v3_read(const uint8_t *b, size_t n, record *r) {
    (void)n;
    r->hour = u32(b, 0x10), r->minute = u32(b, 0x14), r->second = u32(b, 0x18);
    r->year = u32(b, 0x1c), r->month = u32(b, 0x20), r->day = u32(b, 0x24);
    r->status = (char)b[0x28], r->ns = (char)b[0x29], r->ew = (char)b[0x2a];
    r->lat = tm_le_float(b + 0x2c), r->lon = tm_le_float(b + 0x30);
    r->knots = tm_le_float(b + 0x34), r->heading = tm_le_float(b + 0x38);
    /* all zeros, or 1..6 as int16, when the camera has no sensor */
    static const uint8_t counting[12] = {1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0};
    static const uint8_t zeros[12] = {0};
    if (memcmp(b + 0x3c, zeros, 12) != 0 && memcmp(b + 0x3c, counting, 12) != 0) {
        r->has_accel = true;
        r->ax = s32(b, 0x3c) / 256.0, r->ay = s32(b, 0x40) / 256.0, r->az = s32(b, 0x44) / 256.0;
    }
}

/* double: time at 0x10, status at 0x1c, doubles lat / lon / knots / heading, date at 0x50 */
static bool double_match(const uint8_t *b, size_t n) {
    return n >= 0x68 && (b[0x1c] == 'A' || b[0x1c] == 'V') && (is_ns(b[0x28]) || !b[0x28]) &&
           (is_ew(b[0x38]) || !b[0x38]);
}
static void double_read(const uint8_t *b, size_t n, record *r) {
    (void)n;
    r->hour = u32(b, 0x10), r->minute = u32(b, 0x14), r->second = u32(b, 0x18);
    r->status = (char)b[0x1c];
    r->lat = tm_le_double(b + 0x20), r->ns = (char)b[0x28];
    r->lon = tm_le_double(b + 0x30), r->ew = (char)b[0x38];
    r->knots = tm_le_double(b + 0x40), r->heading = tm_le_double(b + 0x48);
    r->year = u32(b, 0x50), r->month = u32(b, 0x54), r->day = u32(b, 0x58);
    r->has_accel = true;
    r->ax = s32(b, 0x5c) / 1000.0, r->ay = s32(b, 0x60) / 1000.0, r->az = s32(b, 0x64) / 1000.0;
}

/* a810 (70mai A810): 'A' at 30, signed int32 latitude and longitude at 31 and 35 (DDMM.MMMMM
 * * 1e5; the sign gives the hemisphere), int32 speed at 43 (km/h, unconfirmed), "VV" at 51. No
 * time or date in the block: the fix has no UTC. Byte layout and recognition from exiftool's
 * QuickTimeStream.pl (GPSType 19, 13.x); the bytes between are not described there.
 * Without a fix (a cold start): 'V' at 30 with "VV" at 51, read as an invalid fix. exiftool
 * (13.x) only describes the 'A' form; that 30 holds the status letter, 'A' or 'V' as in every
 * other Novatek layout, is our reading (unconfirmed on a real cold-start file), so the block
 * gives no position, whatever its other bytes hold. */
static bool a810_match(const uint8_t *b, size_t n) {
    return n >= 53 && (b[30] == 'A' || b[30] == 'V') && b[51] == 'V' && b[52] == 'V';
}
static void a810_read(const uint8_t *b, size_t n, record *r) {
    (void)n;
    r->heading = -1;
    if (b[30] != 'A') {
        r->status = 'V';
        return;
    }
    double lat = s32(b, 31) / 1e5, lon = s32(b, 35) / 1e5;
    r->status = 'A';
    r->ns = lat < 0 ? 'S' : 'N', r->ew = lon < 0 ? 'W' : 'E';
    r->lat = fabs(lat), r->lon = fabs(lon);
    r->knots = s32(b, 43) / KNOTS_TO_KMH;
    r->heading = -1;
}

/* Order matters: the double layout's status byte (0x1c) and a119v3's (0x28) sit where the
 * float layout has time fields, so the narrower tests go first. */
static const struct {
    const char *name;
    bool (*match)(const uint8_t *b, size_t n);
    void (*read)(const uint8_t *b, size_t n, record *r);
} layouts[] = {
    /* first: no other layout has 'A' at 30 and "VV" at 51 (there, 0x1e is the high bytes of
     * a u32 and 0x33 of the hour) */
    {"a810", a810_match, a810_read},
    {"double", double_match, double_read},
    {"a119v3", a119v3_match, a119v3_read},
    {"float", float_match, float_read},
};

/* DDMM.MMMM -> degrees */
static double ddmm(double v) {
    double deg = floor(v / 100);
    return deg + (v - deg * 100) / 60;
}

void tm_novatek_block(tm_sink *s, tm_bytes block, double t_sec) {
    const uint8_t *b = block.p;
    size_t n = block.n;
    if (n < 16 || memcmp(b + 4, "freeGPS ", 8) != 0) {
        tm_damage(s, "Novatek block at %.0f s: no freeGPS header", t_sec);
        return;
    }
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        if (!layouts[i].match(b, n)) continue;
        record r = {0};
        layouts[i].read(b, n, &r);
        tm_set_variant(s, layouts[i].name);
        dc_gps_fix f = {.t_sec = t_sec, .utc_ms = DC_TELEMETRY_NO_UTC, .heading_deg = -1};
        int year = r.year < 2000 ? r.year + 2000 : r.year;
        f.utc_ms = tm_utc_ms(year, r.month, r.day, r.hour, r.minute, r.second);
        f.valid = r.status == 'A';
        if (f.valid) {
            if (!is_ns((uint8_t)r.ns) || !is_ew((uint8_t)r.ew)) {
                tm_damage(s, "Novatek block at %.0f s: a fix without N/S or E/W", t_sec);
                return;
            }
            /* NaN and absurd values pass through to the sink, which drops them */
            f.lat = ddmm(r.lat) * (r.ns == 'S' ? -1 : 1);
            f.lon = ddmm(r.lon) * (r.ew == 'W' ? -1 : 1);
            if (r.lat < 0 || r.lon < 0) f.lat = NAN;
            f.speed_kmh = r.knots * KNOTS_TO_KMH;
            f.heading_deg = r.heading;
        }
        if (tm_add_fix(s, f) && r.has_accel) tm_add_accel(s, t_sec, r.ax, r.ay, r.az);
        return;
    }
    tm_damage(s, "Novatek block at %.0f s: a layout this version does not read", t_sec);
}

bool tm_novatek_detect(tm_ctx *ctx) { return ctx->mp4 && ctx->mp4->gps.n >= 8; }

void tm_novatek_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    tm_bytes gps = ctx->mp4->gps;
    uint32_t count = tm_be32(gps.p + 4);
    size_t room = (gps.n - 8) / 8;
    if (count > room) {
        tm_damage(s, "%s: 'gps ' box claims %u blocks and holds %zu", ctx->video_path, count, room);
        count = (uint32_t)room;
    }
    bool noted = false;
    for (uint32_t i = 0; i < count && !tm_out_of_time(s); i++) {
        uint64_t off = tm_be32(gps.p + 8 + (size_t)i * 8);
        uint32_t size = tm_be32(gps.p + 12 + (size_t)i * 8);
        if (size == 0 && off == 0) continue; /* an unused slot */
        if (size > TM_MAX_BLOCK || off >= ctx->file.size || size > ctx->file.size - off) {
            if (!noted)
                tm_damage(s,
                          "%s: Novatek block %u claims %u bytes at %llu, past the file's end "
                          "or the %d MiB limit",
                          ctx->video_path, i, size, (unsigned long long)off, TM_MAX_BLOCK >> 20);
            noted = true;
            continue;
        }
        size_t got = 0;
        bool oom = false;
        uint8_t *buf = tm_file_read(&ctx->file, off, size, &got, &oom);
        if (oom) s->oom = s->stopped = true;
        if (buf) tm_novatek_block(s, (tm_bytes){buf, got}, (double)i);
        free(buf);
    }
}
