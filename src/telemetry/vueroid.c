/* Vueroid (S1 4K Infinite and its firmware family): a track whose handler is 'tvxt' and whose
 * sample entry is 'mp4s', every sample 72 bytes, about 20 a second. No maker's description is
 * public; the layout is a public project's reading of two real clips (a TypeScript GPS
 * extractor's internal/vueroid-txet-extract.ts, found through a code search; exiftool 13.x
 * does not read these files). Little-endian:
 *   0x00..0x28  zero in the clips seen
 *   0x28, 0x2c, 0x30  float: three accelerometer axes; the resting magnitude reads 0.6-0.67,
 *               so the unit is not confirmed as g: stored as they are (unconfirmed)
 *   0x34  u8: 1 = north, 0 = south; 0x35  u8: 1 = east, 0 = west (both read from one
 *               hemisphere's clips only: unconfirmed)
 *   0x36  u16 altitude (m, not kept)
 *   0x38  float speed, km/h
 *   0x3c, 0x40  float latitude / longitude, DDMM.MMMM, unsigned
 *   0x44  u32 the camera's local clock as seconds since 1970 (local time written as UTC), 1 Hz
 * A record whose latitude and longitude are both 0 has no fix (the clips end with one such
 * record): read as an invalid fix. A hemisphere byte other than 0 or 1, minutes of 60 or more,
 * or a position off the globe: a damaged record, counted and noted, not read.
 * Times: a record is at its sample's time (stts). UTC: the clock of the first record that has
 * one in 2000-2099, plus the sample time since that record (the clock itself only counts whole
 * seconds); DC_TELEMETRY_NO_UTC when no record has one. Position and the clock step once a
 * second; speed and acceleration change at the sample rate, so every record is kept. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tm_more.h"

enum { RECORD = 72 };
#define MIN_CLOCK 946684800.0  /* 2000-01-01 */
#define MAX_CLOCK 4102444800.0 /* 2100-01-01 */

static const tm_track *vueroid_track(const tm_ctx *ctx) {
    return ctx->mp4 ? tm_find_track(ctx->mp4, TM_FOURCC('t', 'v', 'x', 't'),
                                    TM_FOURCC('m', 'p', '4', 's'))
                    : NULL;
}

static double ddmm(double v) {
    double deg = floor(v / 100);
    return deg + (v - deg * 100) / 60;
}

/* One record at video time t; *anchor_utc / *anchor_t: the first clock and its time. false:
 * a damaged record (not read). */
bool tm_vueroid_record(tm_sink *s, const uint8_t *r, double t, int64_t *anchor_utc,
                       double *anchor_t) {
    double lat = tm_le_float(r + 0x3c), lon = tm_le_float(r + 0x40);
    dc_gps_fix f = {.t_sec = t, .utc_ms = DC_TELEMETRY_NO_UTC, .speed_kmh = -1, .heading_deg = -1};
    double clock = tm_le32(r + 0x44);
    if (*anchor_utc == DC_TELEMETRY_NO_UTC && clock >= MIN_CLOCK && clock < MAX_CLOCK)
        *anchor_utc = (int64_t)clock * 1000, *anchor_t = t;
    if (*anchor_utc != DC_TELEMETRY_NO_UTC)
        f.utc_ms = *anchor_utc + (int64_t)llround((t - *anchor_t) * 1000);
    if (lat == 0 && lon == 0) { /* no fix yet, or the closing record */
        tm_add_fix(s, f);
        return true;
    }
    uint8_t north = r[0x34], east = r[0x35];
    if (north > 1 || east > 1 || !(lat > 0) || !(lon > 0) || fmod(lat, 100) >= 60 ||
        fmod(lon, 100) >= 60 || ddmm(lat) > 90 || ddmm(lon) > 180)
        return false;
    f.valid = true;
    f.lat = ddmm(lat) * (north ? 1 : -1);
    f.lon = ddmm(lon) * (east ? 1 : -1);
    f.speed_kmh = tm_le_float(r + 0x38); /* NaN or absurd: the sink drops the fix */
    if (tm_add_fix(s, f))
        tm_add_accel(s, t, tm_le_float(r + 0x28), tm_le_float(r + 0x2c), tm_le_float(r + 0x30));
    return true;
}

bool tm_vueroid_detect(tm_ctx *ctx) { return vueroid_track(ctx) != NULL; }

void tm_vueroid_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    int n = 0;
    tm_sample *samples = tm_track_samples(vueroid_track(ctx), &ctx->file, s, &n);
    if (!samples) return;
    tm_set_variant(s, "tvxt");
    int64_t anchor = DC_TELEMETRY_NO_UTC;
    double anchor_t = 0;
    int bad_size = 0, damaged = 0;
    for (int i = 0; i < n && !tm_out_of_time(s); i++) {
        if (samples[i].size != RECORD) {
            bad_size++;
            continue;
        }
        size_t got = 0;
        bool oom = false;
        uint8_t *b = tm_file_read(&ctx->file, samples[i].offset, RECORD, &got, &oom);
        if (oom) s->oom = s->stopped = true;
        if (!b || got < RECORD) bad_size++;
        else if (!tm_vueroid_record(s, b, samples[i].t_sec, &anchor, &anchor_t)) damaged++;
        free(b);
    }
    if (bad_size)
        tm_damage(s, "%s: %d tvxt samples not of %d bytes or cut", ctx->video_path, bad_size,
                  RECORD);
    if (damaged)
        tm_damage(s, "%s: %d tvxt records with a hemisphere byte, minutes or position out of range",
                  ctx->video_path, damaged);
    free(samples);
}
