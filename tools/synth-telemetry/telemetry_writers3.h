/* Writers for the third set of telemetry readers (ssmd, LigoGPS, ATC, BlackVue's free box,
 * GPX, NMEA with $GSENSOR), written from the formats' public descriptions independently of
 * the readers, for tests and benchmarks. Same scene as telemetry_writers.h. Functions return
 * 0 on success, -1 on failure (message on stderr). */
#ifndef TELEMETRY_WRITERS3_H
#define TELEMETRY_WRITERS3_H

#include "telemetry_writers2.h"

/* The 32-byte Rove ssmd record for second k; no_fix: status ff 00 and the position of
 * `stuck` (a fabricated fix) or 4294967295 when stuck is NULL; with_status false leaves the
 * status bytes zero. */
void tw3_rove_record(const tw_scene *s, int k, bool no_fix, const double stuck[2], bool with_status,
                     uint8_t rec[32]);
typedef enum {
    TW3_SSMD_ROVE,       /* a GPS record a second, then accel_hz accelerometer samples */
    TW3_SSMD_FABRICATED, /* one position repeated with the no-fix status */
    TW3_SSMD_STUCK,      /* one position repeated, status bytes zero */
    TW3_SSMD_LIGO        /* a LigoGPS sample a second */
} tw3_ssmd_kind;
int tw3_mp4_add_ssmd(const tw_scene *s, tw3_ssmd_kind kind, int accel_hz, const char *in,
                     const char *out);

/* LigoGPS: header + one 0x84-byte record per second (encrypted; scrambled unless plain). */
int tw3_ligogps_payload(const tw_scene *s, int from, int count, bool plain, tw_buf *out);
/* A copy of `in` with the LigoGPS 'skip' trailer appended. */
int tw3_add_ligogps_trailer(const tw_scene *s, const char *in, const char *out);

/* ATC: one freeGPS block a second (0x30 + 30 ring slots of 52 bytes), listed by moov/'gps '. */
int tw3_atc_block(const tw_scene *s, int k, tw_buf *out);
int tw3_mp4_add_atc(const tw_scene *s, const char *in, const char *out);

/* BlackVue: a top-level free box holding 'gps ' ([ms] NMEA) and '3gf ' (10 Hz). */
int tw3_mp4_add_blackvue_box(const tw_scene *s, const char *in, const char *out);

/* GPX text (a trkpt a second, speed in m/s under <extensions>). */
int tw3_gpx(const tw_scene *s, tw_buf *out);
/* NMEA text with "$GSENSOR,x,y,z" lines at accel_hz after each second's fix. */
int tw3_nmea_gsensor(const tw_scene *s, int accel_hz, tw_buf *out);

#endif
