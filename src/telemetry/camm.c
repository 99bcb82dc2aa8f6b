/* Google's Camera Motion Metadata (camm) track: a 'meta' track whose sample entry is 'camm'
 * (Street View Publish API's specification; Insta360 and phone apps write it). Each sample holds
 * one or more packets: a little-endian u16 reserved, u16 type, then the type's fields:
 *   0 angle axis (3 float), 1 exposure (2 int32), 2 gyroscope (3 float, rad/s),
 *   3 accelerometer (3 float, m/s^2), 4 position (3 float), 7 magnetic field (3 float),
 *   5 position: double latitude, longitude (degrees), altitude;
 *   6 GPS: double time_gps_epoch (seconds since 1980-01-06 in GPS time), u32 fix type (0 none,
 *     2 2D, 3 3D), double latitude, longitude, float altitude, horizontal and vertical
 *     accuracy, velocity east, north, up (m/s), speed accuracy.
 * Read: 2 (t.gyro), 3 (as g), 5 and 6 (speed = the horizontal velocity, heading = its
 * direction). Others are
 * stepped over by their size; an unknown type ends the sample (its size is not known).
 * Times: a packet is at its sample's time. UTC of a type 6 packet is its GPS time less the 18
 * leap seconds GPS time has been ahead of UTC since 2017, as the specification says (some
 * writers are said to put Unix time there; the two ranges overlap, so nothing guesses which:
 * such a file reads 10 years off). Type 5 has no time: UTC unknown. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tm_more.h"

#define GRAVITY 9.80665
#define GPS_EPOCH_UNIX 315964800.0 /* 1980-01-06T00:00:00Z */
#define GPS_LEAP_SECONDS 18.0
#define MAX_SAMPLE (1 << 16)

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static double dbl(const uint8_t *p) { return tm_le_double(p); }
static float flt(const uint8_t *p) { return tm_le_float(p); }

/* packet size including its 4-byte header, by type; 0 = unknown */
static const uint8_t packet_size[8] = {16, 12, 16, 16, 16, 28, 60, 16};

static void gps6(tm_sink *s, const uint8_t *p, double t_sec) {
    double gps_time = dbl(p + 4);
    uint32_t fix_type = tm_le32(p + 12);
    dc_gps_fix f = {.t_sec = t_sec, .utc_ms = DC_TELEMETRY_NO_UTC, .valid = fix_type >= 2};
    if (isfinite(gps_time) && gps_time > 0) {
        double unix_s = gps_time + GPS_EPOCH_UNIX - GPS_LEAP_SECONDS;
        if (unix_s < 4102444800.0) f.utc_ms = (int64_t)llround(unix_s * 1000);
    }
    f.lat = dbl(p + 16), f.lon = dbl(p + 24);
    double east = flt(p + 44), north = flt(p + 48);
    f.speed_kmh = hypot(east, north) * 3.6;
    f.heading_deg = f.speed_kmh > 0 ? fmod(atan2(east, north) * 180 / M_PI + 360, 360) : -1;
    tm_add_fix(s, f);
}

void tm_camm_sample(tm_sink *s, tm_bytes sample, double t_sec) {
    const uint8_t *p = sample.p, *end = sample.p + sample.n;
    while (end - p >= 4 && !s->stopped) {
        uint16_t type = le16(p + 2);
        if (type >= 8 || !packet_size[type]) {
            tm_damage(s, "camm sample at %.3f s: unknown packet type %u", t_sec, type);
            return;
        }
        if (end - p < packet_size[type]) {
            tm_damage(s, "camm sample at %.3f s: packet type %u cut", t_sec, type);
            return;
        }
        if (type == 2) {
            tm_add_gyro(s, t_sec, flt(p + 4), flt(p + 8), flt(p + 12));
        } else if (type == 3) {
            tm_add_accel(s, t_sec, flt(p + 4) / GRAVITY, flt(p + 8) / GRAVITY,
                         flt(p + 12) / GRAVITY);
        } else if (type == 5) {
            dc_gps_fix f = {.t_sec = t_sec,
                            .utc_ms = DC_TELEMETRY_NO_UTC,
                            .valid = true,
                            .lat = dbl(p + 4),
                            .lon = dbl(p + 12),
                            .speed_kmh = -1,
                            .heading_deg = -1};
            tm_add_fix(s, f);
        } else if (type == 6) {
            gps6(s, p, t_sec);
        }
        p += packet_size[type];
    }
}

bool tm_camm_detect(tm_ctx *ctx) {
    return tm_find_track(ctx->mp4, 0, TM_FOURCC('c', 'a', 'm', 'm')) != NULL;
}

void tm_camm_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    const tm_track *t = tm_find_track(ctx->mp4, 0, TM_FOURCC('c', 'a', 'm', 'm'));
    tm_set_variant(s, "camm");
    int count = 0;
    tm_sample *samples = tm_track_samples(t, &ctx->file, s, &count);
    for (int i = 0; samples && i < count && !tm_out_of_time(s); i++) {
        if (samples[i].size > MAX_SAMPLE) {
            tm_damage(s, "%s: camm sample %d claims %u bytes", ctx->video_path, i, samples[i].size);
            continue;
        }
        size_t got = 0;
        bool oom = false;
        uint8_t *b = tm_file_read(&ctx->file, samples[i].offset, samples[i].size, &got, &oom);
        if (oom) s->oom = s->stopped = true;
        if (b) tm_camm_sample(s, (tm_bytes){b, got}, samples[i].t_sec);
        free(b);
    }
    free(samples);
}
