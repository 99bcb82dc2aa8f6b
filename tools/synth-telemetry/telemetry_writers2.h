/* Writers for the second set of telemetry readers (src/telemetry/tm_more.h), written from the
 * formats' public descriptions independently of the readers, for tests and benchmarks. Same
 * scene as telemetry_writers.h (tw_scene, tw_fix_at, tw_accel_at).
 *
 * MP4 formats are added to a copy of a synth-video MP4 without moving its media: the original
 * moov box is turned into a 'free' box of the same size (so every chunk offset stays right),
 * the telemetry is appended, then a new moov (the old one plus what the format adds) at the
 * end. Functions return 0 on success, -1 on failure (message on stderr). */
#ifndef TELEMETRY_WRITERS2_H
#define TELEMETRY_WRITERS2_H

#include "telemetry_writers.h"

typedef enum {
    TW2_TEXT_NMEA,      /* "$GPRMC..\r\n$GPGGA..\r\n" (Nextbase and others) */
    TW2_TEXT_THINKWARE, /* "gsensori,4,512,X,Y,Z;GNRMC,...*CS;CAR,..." */
    TW2_TEXT_PNDM       /* Garmin: binary PNDM record (speed in whole mph) */
} tw2_text_kind;
/* A text track (hdlr 'text', 'tx3g' samples with their 2-byte length), one sample a second. */
int tw2_mp4_add_text_track(const tw_scene *s, tw2_text_kind kind, const char *in, const char *out);

/* A camm track (hdlr 'meta'): each second one type-6 GPS packet then accel_hz type-3
 * accelerometer packets (one packet a sample). no_fix_until: seconds written with fix type 0. */
int tw2_mp4_add_camm(const tw_scene *s, int accel_hz, double no_fix_until, const char *in,
                     const char *out);

/* 70mai: a top-level 'GPS ' box after the media, before the moov (speed in km/h * 1000). */
int tw2_mp4_add_70mai(const tw_scene *s, const char *in, const char *out);

typedef enum { TW2_NVT_XOR, TW2_NVT_RMC16, TW2_NVT_NMEA } tw2_novatek_text;
/* Text-holding freeGPS blocks (one a second) listed by moov/'gps '. no_fix_until: seconds
 * without a fix (XOR: no position; RMC: status 'V'). */
int tw2_mp4_add_novatek_text(const tw_scene *s, tw2_novatek_text kind, double no_fix_until,
                             const char *in, const char *out);
/* One such block for second k (0x200 bytes), for tests that damage it. */
int tw2_novatek_text_block(const tw_scene *s, tw2_novatek_text kind, int k, bool no_fix,
                           tw_buf *out);

/* Novatek TS: one PES packet a second on PID 0x300 (not added to the PMT), PTS = the video's
 * first PTS + k s, into a copy of a synth-video .ts. */
int tw2_ts_add_novatek(const tw_scene *s, const char *in, const char *out);
/* The 56-byte record for second k. */
void tw2_novatek_ts_record(const tw_scene *s, int k, uint8_t rec[56]);

/* A track of n samples (hdlr `handler`, sample entry `format`), for other writers. */
int tw2_mp4_add_track(const char *in, const char *out, const char *handler, const char *format,
                      const tw_buf *samples, const uint32_t *durations_ms, int n);
/* Top-level boxes (whole, with headers) after the media and before the moov. */
int tw2_mp4_add_before_moov(const char *in, const char *out, const tw_buf *boxes);

/* The values a format stores, for comparing what is read with what was written: the scene's
 * truth rounded as the format rounds it. */
double tw2_round_to(double v, double step);

#endif
