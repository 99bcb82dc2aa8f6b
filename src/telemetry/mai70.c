/* 70mai: a top-level 'GPS ' box (beside moov and mdat) of 36-byte little-endian records, one a
 * second: u32 (1), u32 (1), u32 seconds since the recording began, u32 speed in km/h * 1000,
 * the latitude's hemisphere letter, u32 latitude as DDMM.MMM * 1000, the longitude's letter,
 * u32 longitude as DDDMM.MMM * 1000, 10 bytes not known. A record of zeros ends the list.
 * A record without hemisphere letters is a fix without a position (no lock).
 * Times: t = the record's seconds. The records hold no date: UTC is not known.
 * The box sits after the media and before the moov: a file cut before its moov still has it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tm_more.h"

enum { RECORD = 36, MAX_BOX = 4 << 20 };

static double ddmm(uint32_t v) {
    double x = v / 1000.0, deg = floor(x / 100);
    return deg + (x - deg * 100) / 60;
}

void tm_mai70_records(tm_sink *s, tm_bytes body) {
    static const uint8_t zeros[RECORD] = {0};
    size_t n = body.n / RECORD;
    for (size_t i = 0; i < n && !s->stopped; i++) {
        const uint8_t *r = body.p + i * RECORD;
        if (!memcmp(r, zeros, RECORD)) return;
        dc_gps_fix f = {.t_sec = tm_le32(r + 8), .utc_ms = DC_TELEMETRY_NO_UTC};
        char ns = (char)r[16], ew = (char)r[21];
        f.valid = (ns == 'N' || ns == 'S') && (ew == 'E' || ew == 'W');
        if (f.valid) {
            f.lat = ddmm(tm_le32(r + 17)) * (ns == 'S' ? -1 : 1);
            f.lon = ddmm(tm_le32(r + 22)) * (ew == 'W' ? -1 : 1);
            f.speed_kmh = tm_le32(r + 12) / 1000.0;
            f.heading_deg = -1;
        }
        tm_add_fix(s, f);
    }
    if (body.n % RECORD)
        tm_damage(s, "70mai GPS box: %zu bytes after the last record", body.n % RECORD);
}

/* The top-level 'GPS ' box's place: the boxes' headers are read one at a time. */
static bool find_gps_box(const tm_file *f, uint64_t *off, uint64_t *len) {
    uint64_t pos = 0, size, header;
    uint32_t type;
    for (int i = 0; i < TM_MAX_TOP_BOXES && tm_top_box_at(f, pos, &type, &size, &header); i++) {
        if (i == 0 && type != TM_FOURCC('f', 't', 'y', 'p')) return false; /* not an MP4 */
        if (type == TM_FOURCC('G', 'P', 'S', ' ')) {
            /* a box cut short (a recording ended by the crash) is read as far as it goes */
            *off = pos + header;
            *len = size - header;
            return true;
        }
        if (size > f->size - pos) return false;
        pos += size;
    }
    return false;
}

bool tm_mai70_detect(tm_ctx *ctx) {
    uint64_t off, len;
    /* no moov needed: a recording cut by the crash still has its 'GPS ' box */
    return find_gps_box(&ctx->file, &off, &len);
}

void tm_mai70_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    uint64_t off = 0, len = 0;
    find_gps_box(&ctx->file, &off, &len);
    tm_set_variant(s, "gps-box");
    if (len > MAX_BOX) {
        tm_damage(s, "%s: 70mai GPS box claims %llu bytes; the first %d MiB read", ctx->video_path,
                  (unsigned long long)len, MAX_BOX >> 20);
        len = MAX_BOX;
    }
    size_t got = 0;
    bool oom = false;
    uint8_t *b = tm_file_read(&ctx->file, off, (size_t)len, &got, &oom);
    if (oom) s->oom = s->stopped = true;
    if (b && got < len) tm_damage(s, "%s: 70mai GPS box cut at the file's end", ctx->video_path);
    if (b) tm_mai70_records(s, (tm_bytes){b, got});
    free(b);
}
