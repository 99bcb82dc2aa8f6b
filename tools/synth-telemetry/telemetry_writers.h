/* Writers of dashcam telemetry for tests and benchmarks: a scene (a drive at a steady speed,
 * a jolt at the impact, the speed falling to 0 in the second after it) and the bytes each
 * format stores it as, written from the formats' public descriptions, independently of the
 * readers in src/telemetry (a reader's mistake is not repeated here).
 *
 * Into an MP4 made by synth-video (whose moov comes first): tw_mp4_add_gpmd adds a 'gpmd'
 * track (one payload a second in an mdat appended at the end), tw_mp4_add_novatek appends
 * one 'free' box per second and lists them in a moov/'gps ' box. Either shifts the existing
 * tracks' chunk offsets by what the moov grew. Sidecars are written beside the video.
 * Functions return 0 on success, -1 on failure (message on stderr). */
#ifndef TELEMETRY_WRITERS_H
#define TELEMETRY_WRITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    double duration_sec; /* whole seconds are written (default 6) */
    double impact_sec;   /* the jolt; the speed falls to 0 over the next second (default 3) */
    double speed_kmh;    /* before the impact (default 54) */
    double lat0, lon0;   /* position at t = 0, degrees (default 47.3769, 8.5417) */
    double heading_deg;  /* direction of travel (default 30) */
    int64_t utc0_ms;     /* UTC at t = 0 (default 2026-03-14T09:26:53Z) */
    double jolt_g;       /* peak of the jolt on the x axis (default 2.5) */
} tw_scene;

void tw_scene_default(tw_scene *s);

/* The truth at video time t. */
typedef struct {
    double lat, lon, speed_kmh, heading_deg;
    int64_t utc_ms;
} tw_fix;
tw_fix tw_fix_at(const tw_scene *s, double t);
void tw_accel_at(const tw_scene *s, double t, double *x, double *y, double *z);

typedef struct {
    uint8_t *p;
    size_t n, cap;
} tw_buf;
int tw_put(tw_buf *b, const void *data, size_t n);
/* Copies the first n characters of text (a tag or a fixed-width field, no NUL) to dst. */
static inline void tw_put_chars(uint8_t *dst, const char *text, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)text[i];
}
void tw_buf_free(tw_buf *b);

/* GPMF payloads, one per second: DEVC (DVID, DVNM device) with a GPS STRM (GPS5 at gps_hz
 * with GPSF 3, GPSU, SCAL; or GPS9 when gps9) and an ACCL STRM at accel_hz (m/s^2, SCAL).
 * payloads[k] for k < whole seconds; the caller frees each. Returns the count or -1. */
int tw_gpmf_payloads(const tw_scene *s, int gps_hz, int accel_hz, bool gps9, const char *device,
                     tw_buf *payloads, int max);

typedef enum { TW_NOVATEK_FLOAT, TW_NOVATEK_A119V3, TW_NOVATEK_DOUBLE } tw_novatek_layout;
/* One freeGPS block (a whole 'free' box) for second k; no_fix writes status 'V'. */
int tw_novatek_block(const tw_scene *s, tw_novatek_layout layout, int k, bool no_fix, tw_buf *out);

/* NMEA text: $GPRMC + $GPGGA per fix at hz; with blackvue, every line starts with
 * "[epoch ms]". */
int tw_nmea_text(const tw_scene *s, int hz, bool blackvue, tw_buf *out);
/* BlackVue .3gf records at hz (128 per g). */
int tw_3gf(const tw_scene *s, int hz, tw_buf *out);

/* Copies the MP4 at in to out with telemetry added (see the top of this file). */
int tw_mp4_add_gpmd(const char *in, const char *out, const tw_buf *payloads, int n);
int tw_mp4_add_novatek(const char *in, const char *out, const tw_buf *blocks, int n);

int tw_write_file(const char *path, const void *data, size_t n);

#endif
