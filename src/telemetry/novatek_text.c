/* freeGPS blocks (listed by moov/'gps ', as novatek.c reads them) that hold the fix as text:
 *   xor-aa  (Azdome GS63H, EEEkit): from byte 18 on, every byte XOR 0xAA; the plain text is
 *           "\0\0XKZD\xfe\xfe", "YYYYMMDDhhmmss", one byte, a 15-byte label, then N/S and 8
 *           digits of DDMM.MMMM * 1e4, E/W and 9 digits of DDDMM.MMMM * 1e4, 8 digits of km/h,
 *           and from plain byte 65 accelerometer triples "+ddd" in 1/100 g. No position
 *           letters: no fix (the time is still the camera's).
 *   rmc+16  (ZXSBNXYS cameras): 80 bytes from byte 60 are "$GPRMC,..." with 16 added to each.
 *   nmea    (Nextbase 512G): the camera's clock as 14 digits at 52, three int32 at 68 of
 *           acceleration in 1/256 g, and a "$GPRMC" sentence further on.
 * The date and time in the RMC (or the XOR text) are taken as UTC. Times: the k-th listed
 * block is at t = k s, as in novatek.c. The ATC ring buffer (52-byte records XOR-ed with keys
 * in the record, one new record per block) is not read yet. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tm_more.h"

static const uint8_t xor_magic[8] = {0xaa, 0xaa, 0xf2, 0xe1, 0xf0, 0xee, 0x54, 0x54};
static const uint8_t rmc16_magic[7] = {'4', 'W', '`', 'b', ']', 'S', '<'}; /* "$GPRMC," + 16 */

static bool all_digits(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit(p[i])) return false;
    return true;
}
static int num(const uint8_t *p, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
    return v;
}
static double ddmm(double v) {
    double deg = floor(v / 100);
    return deg + (v - deg * 100) / 60;
}

static void xor_block(tm_sink *s, const uint8_t *b, size_t n, double t_sec) {
    uint8_t d[0x101 + 1] = {0};
    size_t m = n - 18 > 0x101 ? 0x101 : n - 18;
    for (size_t i = 0; i < m; i++) d[i] = b[18 + i] ^ 0xaa;
    tm_set_variant(s, "xor-aa");
    if (m < 22 || !all_digits(d + 8, 14)) {
        tm_damage(s, "Novatek XOR block at %.0f s: no date and time", t_sec);
        return;
    }
    dc_gps_fix f = {.t_sec = t_sec};
    f.utc_ms = tm_utc_ms(num(d + 8, 4), num(d + 12, 2), num(d + 14, 2), num(d + 16, 2),
                         num(d + 18, 2), num(d + 20, 2));
    f.valid = m >= 65 && (d[38] == 'N' || d[38] == 'S') && all_digits(d + 39, 8) &&
              (d[47] == 'E' || d[47] == 'W') && all_digits(d + 48, 9);
    if (f.valid) {
        f.lat = ddmm(num(d + 39, 8) / 1e4) * (d[38] == 'S' ? -1 : 1);
        f.lon = ddmm(num(d + 48, 9) / 1e4) * (d[47] == 'W' ? -1 : 1);
        f.speed_kmh = all_digits(d + 57, 8) ? num(d + 57, 8) : -1;
        f.heading_deg = -1;
    }
    if (!tm_add_fix(s, f)) return;
    /* "+ddd-ddd+ddd": the first triple */
    const uint8_t *a = d + 65;
    if (m >= 65 + 12) {
        double v[3];
        for (int k = 0; k < 3; k++) {
            const uint8_t *q = a + (size_t)4 * k;
            if ((q[0] != '+' && q[0] != '-') || !all_digits(q + 1, 3)) return;
            v[k] = num(q + 1, 3) / 100.0 * (q[0] == '-' ? -1 : 1);
        }
        tm_add_accel(s, t_sec, v[0], v[1], v[2]);
    }
}

static void rmc_fix(tm_sink *s, const char *text, size_t n, double t_sec, const char *what) {
    tm_rmc r;
    if (!tm_find_rmc(text, n, &r)) {
        tm_damage(s, "Novatek %s block at %.0f s: no readable RMC sentence", what, t_sec);
        return;
    }
    tm_add_fix(s, (dc_gps_fix){.t_sec = t_sec,
                               .utc_ms = r.utc_ms,
                               .valid = r.valid,
                               .lat = r.lat,
                               .lon = r.lon,
                               .speed_kmh = r.speed_kmh,
                               .heading_deg = r.heading_deg});
}

bool tm_novatek_text_block(tm_sink *s, tm_bytes block, double t_sec) {
    const uint8_t *b = block.p;
    size_t n = block.n;
    if (n < 82 || memcmp(b + 4, "freeGPS ", 8) != 0) return false;
    if (n >= 26 + 65 && !memcmp(b + 18, xor_magic, 8)) {
        xor_block(s, b, n, t_sec);
        return true;
    }
    if (n >= 140 && !memcmp(b + 60, rmc16_magic, 7)) {
        char text[81];
        for (int i = 0; i < 80; i++) text[i] = (char)(b[60 + i] >= 16 ? b[60 + i] - 16 : 0);
        text[80] = 0;
        tm_set_variant(s, "rmc+16");
        rmc_fix(s, text, 80, t_sec, "RMC+16");
        return true;
    }
    if (n >= 80 && all_digits(b + 52, 14)) {
        tm_set_variant(s, "nmea");
        size_t before = (size_t)s->out->gps_count;
        rmc_fix(s, (const char *)b + 80, n - 80, t_sec, "NMEA");
        if ((size_t)s->out->gps_count > before && s->out->gps[before].valid)
            tm_add_accel(s, t_sec, (int32_t)tm_le32(b + 68) / 256.0,
                         (int32_t)tm_le32(b + 72) / 256.0, (int32_t)tm_le32(b + 76) / 256.0);
        return true;
    }
    return false;
}

/* Reads block i of the 'gps ' list; NULL when it is unusable (noted once through *noted). */
static uint8_t *read_block(tm_ctx *ctx, uint32_t i, size_t *got, bool *noted) {
    tm_bytes gps = ctx->mp4->gps;
    uint64_t off = tm_be32(gps.p + 8 + (size_t)i * 8);
    uint32_t size = tm_be32(gps.p + 12 + (size_t)i * 8);
    *got = 0;
    if (size == 0 && off == 0) return NULL;
    if (size > TM_MAX_BLOCK || off >= ctx->file.size || size > ctx->file.size - off) {
        if (!*noted)
            tm_damage(&ctx->sink, "%s: freeGPS block %u claims %u bytes at %llu", ctx->video_path,
                      i, size, (unsigned long long)off);
        *noted = true;
        return NULL;
    }
    bool oom = false;
    uint8_t *b = tm_file_read(&ctx->file, off, size, got, &oom);
    if (oom) ctx->sink.oom = ctx->sink.stopped = true;
    return b;
}

static uint32_t block_count(tm_ctx *ctx) {
    tm_bytes gps = ctx->mp4->gps;
    uint32_t count = tm_be32(gps.p + 4), room = (uint32_t)((gps.n - 8) / 8);
    return count < room ? count : room;
}

bool tm_novatek_text_detect(tm_ctx *ctx) {
    if (!ctx->mp4 || ctx->mp4->gps.n < 16) return false;
    /* the first readable block decides (a quiet sink: detection notes nothing) */
    dc_telemetry scratch = {0};
    tm_sink quiet = {.out = &scratch, .dl = ctx->sink.dl};
    bool noted = true, yes = false;
    uint32_t count = block_count(ctx);
    for (uint32_t i = 0; i < count && i < 4 && !yes; i++) {
        size_t got = 0;
        uint8_t *b = read_block(ctx, i, &got, &noted);
        if (b) yes = tm_novatek_text_block(&quiet, (tm_bytes){b, got}, i);
        free(b);
        if (b) break;
    }
    dc_telemetry_free(&scratch);
    return yes;
}

void tm_novatek_text_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    uint32_t count = block_count(ctx);
    if (tm_be32(ctx->mp4->gps.p + 4) > count)
        tm_damage(s, "%s: 'gps ' box claims %u blocks and holds %u", ctx->video_path,
                  tm_be32(ctx->mp4->gps.p + 4), count);
    bool noted = false;
    for (uint32_t i = 0; i < count && !tm_out_of_time(s); i++) {
        size_t got = 0;
        uint8_t *b = read_block(ctx, i, &got, &noted);
        if (b && !tm_novatek_text_block(s, (tm_bytes){b, got}, i))
            tm_damage(s, "Novatek block at %u s: not a text layout", i);
        free(b);
    }
}
