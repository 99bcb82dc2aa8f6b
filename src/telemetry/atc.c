/* Novatek ATC blocks (IQS and other cameras): freeGPS blocks listed by moov/'gps ' (as
 * novatek.c reads them) whose bytes 0x45..0x47 are "ATC". From 0x30 the block holds the
 * camera's whole ring buffer of 52-byte records (about 30); each block adds one new record.
 * A record, little-endian, after decryption: its bytes 0x00..0x14 and 0x18..0x1b are XOR-ed
 * with the key at 0x14, 0x1c and 0x20..0x32 with the key at 0x1c (both keys decrypt to 0);
 * 0x15 "ATC" and 0x1d "001" are plain. Then: 0x0d hour - 1, 0x0e minute, 0x0f second, 0x10
 * int32 latitude * 1e7, 0x18 int32 longitude * 1e7, 0x20 int32 speed in m/s * 100, 0x24 int16
 * heading * 100 (-180..180), 0x28 int32 altitude in mm, 0x2c u16 year, 0x2e month, 0x2f day.
 * A record whose date or time is out of range (an empty slot) is skipped.
 * Times: of each block's records, the newest later than the last one kept is the block's
 * fix, at t = k s for the k-th listed block (older ones are the buffer's history, from before
 * the video for the first block). */
#include <stdlib.h>
#include <string.h>

#include "tm_more.h"

enum { FIRST = 0x30, RECORD = 52 };

static int cmp_time(const int a[6], const int b[6]) {
    for (int i = 0; i < 6; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Decrypts record r into d; false when its date or time is out of range */
static bool record(const uint8_t *r, uint8_t d[RECORD], int when[6]) {
    memcpy(d, r, RECORD);
    uint8_t k1 = r[0x14], k2 = r[0x1c];
    for (int i = 0x00; i <= 0x14; i++) d[i] ^= k1;
    for (int i = 0x18; i <= 0x1b; i++) d[i] ^= k1;
    d[0x1c] ^= k2;
    for (int i = 0x20; i <= 0x32; i++) d[i] ^= k2;
    when[0] = d[0x2c] | d[0x2d] << 8, when[1] = d[0x2e], when[2] = d[0x2f];
    when[3] = (d[0x0d] + 1) & 0xff, when[4] = d[0x0e], when[5] = d[0x0f];
    return tm_utc_ms(when[0], when[1], when[2], when[3], when[4], when[5]) != DC_TELEMETRY_NO_UTC;
}

static int32_t s32(const uint8_t *p) { return (int32_t)tm_le32(p); }

void tm_atc_block(tm_sink *s, tm_bytes b, double t_sec, int last[6]) {
    if (b.n < 0x48 || memcmp(b.p + 0x45, "ATC", 3) != 0) {
        tm_damage(s, "ATC block at %.0f s: not an ATC block", t_sec);
        return;
    }
    uint8_t d[RECORD], best[RECORD];
    int when[6], best_when[6];
    bool found = false;
    for (size_t at = FIRST; at + RECORD <= b.n; at += RECORD) {
        if (!record(b.p + at, d, when) || cmp_time(when, last) <= 0) continue;
        if (found && cmp_time(when, best_when) <= 0) continue;
        memcpy(best, d, RECORD), memcpy(best_when, when, sizeof when);
        found = true;
    }
    if (!found) return; /* nothing new: the camera wrote no fix this second */
    memcpy(last, best_when, sizeof best_when);
    int16_t heading = (int16_t)(best[0x24] | best[0x25] << 8);
    dc_gps_fix f = {.t_sec = t_sec,
                    .utc_ms = tm_utc_ms(best_when[0], best_when[1], best_when[2], best_when[3],
                                        best_when[4], best_when[5]),
                    .valid = true,
                    .lat = s32(best + 0x10) / 1e7,
                    .lon = s32(best + 0x18) / 1e7,
                    .speed_kmh = s32(best + 0x20) / 100.0 * 3.6,
                    .heading_deg = heading < 0 ? heading / 100.0 + 360 : heading / 100.0};
    tm_add_fix(s, f);
}

static uint8_t *read_block(tm_ctx *ctx, uint32_t i, size_t *got, bool *noted) {
    tm_bytes gps = ctx->mp4->gps;
    uint64_t off = tm_be32(gps.p + 8 + (size_t)i * 8);
    uint32_t size = tm_be32(gps.p + 12 + (size_t)i * 8);
    *got = 0;
    if (size == 0 && off == 0) return NULL;
    if (size > TM_MAX_BLOCK || off >= ctx->file.size || size > ctx->file.size - off) {
        if (!*noted)
            tm_damage(&ctx->sink, "%s: ATC block %u claims %u bytes at %llu", ctx->video_path, i,
                      size, (unsigned long long)off);
        *noted = true;
        return NULL;
    }
    bool oom = false;
    uint8_t *b = tm_file_read(&ctx->file, off, size, got, &oom);
    if (oom) ctx->sink.oom = ctx->sink.stopped = true;
    return b;
}

static uint32_t block_count(const tm_ctx *ctx) {
    tm_bytes gps = ctx->mp4->gps;
    uint32_t count = tm_be32(gps.p + 4), room = (uint32_t)((gps.n - 8) / 8);
    return count < room ? count : room;
}

bool tm_atc_detect(tm_ctx *ctx) {
    if (!ctx->mp4 || ctx->mp4->gps.n < 16) return false;
    bool noted = true, yes = false;
    for (uint32_t i = 0; i < block_count(ctx) && i < 4; i++) {
        size_t got = 0;
        uint8_t *b = read_block(ctx, i, &got, &noted);
        yes = b && got >= 0x48 && !memcmp(b + 0x45, "ATC", 3);
        free(b);
        if (b) break;
    }
    return yes;
}

void tm_atc_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    uint32_t count = block_count(ctx);
    if (tm_be32(ctx->mp4->gps.p + 4) > count)
        tm_damage(s, "%s: 'gps ' box claims %u blocks and holds %u", ctx->video_path,
                  tm_be32(ctx->mp4->gps.p + 4), count);
    tm_set_variant(s, "atc");
    bool noted = false;
    int last[6] = {0};
    for (uint32_t i = 0; i < count && !tm_out_of_time(s); i++) {
        size_t got = 0;
        uint8_t *b = read_block(ctx, i, &got, &noted);
        if (b) tm_atc_block(s, (tm_bytes){b, got}, i, last);
        free(b);
    }
}
