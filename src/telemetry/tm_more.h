/* The second set of telemetry readers (one file each, rows in telemetry.c's table) and the
 * pieces they share. Kept apart from tm_internal.h so that the two sets can grow without
 * editing each other's declarations.
 *
 *   novatek_ts.c    Novatek records in MPEG-TS private streams (VIOFO's TS mode, PID 0x300,
 *                   not listed in the PMT); video time from the PES PTS. Also walks the
 *                   packets of LigoGPS in MPEG-TS for the ligogps row.
 *   novatek_text.c  freeGPS blocks listed by moov/'gps ' that hold text, not numbers: the
 *                   XOR-0xAA digits (Azdome, EEEkit), "$GPRMC" + 16 (ZXSBNXYS cameras) and
 *                   plain NMEA with the camera's clock (Nextbase 512G).
 *   text_track.c    text tracks (hdlr 'text', tx3g/text samples) holding NMEA RMC/GGA, with
 *                   Thinkware's "gsensori" accelerometer, and Garmin's binary PNDM records.
 *   mai70.c         70mai's top-level 'GPS ' box (36-byte records, one a second).
 *   camm.c          Google's camm track (types 2 gyro, 3 accelerometer, 5 position, 6 GPS).
 *   ssmd.c          SigmaStar 'ssmd' tracks (Rove 32-byte GPS records, 12-byte accelerometer,
 *                   LigoGPS records in a sample).
 *   ligogps.c       LigoGPS records (decryption, coordinate scrambling) and their file trailer.
 *   atc.c           Novatek ATC blocks: a ring buffer of 52-byte records XOR-ed with keys inside.
 *   gpx.c           GPX sidecars (NAME.gpx: trkpt, time, speed).
 *   vueroid.c       Vueroid's 'tvxt' track (72-byte records: position, speed, accelerometer). */
#ifndef DC_TM_MORE_H
#define DC_TM_MORE_H

#include "tm_internal.h"

bool tm_novatek_ts_detect(tm_ctx *ctx);
void tm_novatek_ts_read(tm_ctx *ctx);
bool tm_novatek_text_detect(tm_ctx *ctx);
void tm_novatek_text_read(tm_ctx *ctx);
bool tm_text_track_detect(tm_ctx *ctx);
void tm_text_track_read(tm_ctx *ctx);
bool tm_mai70_detect(tm_ctx *ctx);
void tm_mai70_read(tm_ctx *ctx);
bool tm_camm_detect(tm_ctx *ctx);
void tm_camm_read(tm_ctx *ctx);
bool tm_ssmd_detect(tm_ctx *ctx);
void tm_ssmd_read(tm_ctx *ctx);
bool tm_ligogps_detect(tm_ctx *ctx);
void tm_ligogps_read(tm_ctx *ctx);
bool tm_atc_detect(tm_ctx *ctx);
void tm_atc_read(tm_ctx *ctx);
bool tm_gpx_detect(tm_ctx *ctx);
void tm_gpx_read(tm_ctx *ctx);
bool tm_vueroid_detect(tm_ctx *ctx);
void tm_vueroid_read(tm_ctx *ctx);

/* The layers below the readers, for the fuzz harnesses and tests: */
/* One Novatek TS record (a PES payload) at video time t. */
void tm_novatek_ts_record(tm_sink *s, tm_bytes payload, double t_sec);
/* MPEG-TS bytes (whole 188-byte packets): the records of PID 0x300. */
void tm_novatek_ts_packets(tm_sink *s, tm_bytes ts);
/* One text-holding freeGPS block at video time t; false when no text layout matches. */
bool tm_novatek_text_block(tm_sink *s, tm_bytes block, double t_sec);
/* One text-track sample (with its 2-byte length prefix) at [t, t + dur). */
void tm_text_sample(tm_sink *s, tm_bytes sample, double t_sec);
/* The body of a 70mai 'GPS ' box. */
void tm_mai70_records(tm_sink *s, tm_bytes body);
/* One camm sample (one or more packets) at video time t. */
void tm_camm_sample(tm_sink *s, tm_bytes sample, double t_sec);

/* One ssmd sample (a 32-byte GPS record, a 12-byte accelerometer one, LigoGPS) at video time t. */
void tm_ssmd_sample(tm_sink *s, tm_bytes sample, double t_sec);
/* What the LigoGPS records of one file share across payloads: the first record's UTC (the
 * video clock when records carry no time of their own) and the digit cipher's table, learnt from
 * many records (ligogps.c). Records in the cipher wait in `pending` until the table is known. */
typedef struct {
    uint8_t rec[0x84];
    double t_sec;
    bool fuzzed;
} tm_ligo_pending;
typedef struct {
    int64_t first_utc;        /* DC_TELEMETRY_NO_UTC until the first record */
    bool table_known;         /* the cipher's table is learnt */
    char table[48];           /* plain character of each enciphered byte 0x30..0x5f */
    uint64_t next[48];        /* bit j of next[i]: seconds digit 0x30+i was followed by 0x30+j */
    int last_digit;           /* the previous cipher record's seconds digit (index), -1 none */
    tm_ligo_pending *pending; /* owned; records waiting for the table */
    int pending_n, pending_cap;
    int pending_dropped; /* cipher records past TM_LIGO_MAX_PENDING */
} tm_ligo_state;
enum { TM_LIGO_MAX_PENDING = 3600 }; /* an hour of records at 1 Hz (475 KB) */
void tm_ligo_state_init(tm_ligo_state *st);
/* Notes the cipher records never read (too few to learn the table) and frees st. */
void tm_ligo_state_end(tm_sink *s, tm_ligo_state *st);

/* LigoGPS header + records; t_sec < 0: video time from the UTC less st->first_utc (set from the
 * first record). Returns the records read by this call (cipher records waiting for their
 * table count when they are read). */
int tm_ligogps_payload(tm_sink *s, tm_bytes payload, double t_sec, tm_ligo_state *st);
/* The same with the scrambling test skipped when never_fuzzed (LigoGPS in MPEG-TS). */
int tm_ligogps_records(tm_sink *s, tm_bytes payload, double t_sec, tm_ligo_state *st,
                       bool never_fuzzed);
/* LigoGPS in MPEG-TS (novatek_ts.c: the same packet walker): a PES on one of the GPS PIDs
 * exiftool looks at (0x300, 0x1e4, 0xe1b, 0xe1a) whose payload starts "skip" + 4 bytes +
 * "LIGOGPSINFO\0". The ligogps row reads it when the file has no trailer. */
bool tm_ligogps_ts_detect(tm_ctx *ctx);
void tm_ligogps_ts_read(tm_ctx *ctx);
/* MPEG-TS bytes (whole 188-byte packets): the LigoGPS records of the first GPS PID. */
void tm_ligogps_ts_packets(tm_sink *s, tm_bytes ts);
/* One ATC freeGPS block (with its box header): the newest record later than *last (six
 * values Y, m, d, H, M, S; updated) at video time t. */
void tm_atc_block(tm_sink *s, tm_bytes block, double t_sec, int last[6]);
/* One 72-byte Vueroid record at video time t; *anchor_utc (DC_TELEMETRY_NO_UTC at first) and
 * *anchor_t: the first camera clock read and its time. false: a damaged record, not read. */
bool tm_vueroid_record(tm_sink *s, const uint8_t *rec, double t_sec, int64_t *anchor_utc,
                       double *anchor_t);
/* GPX text. */
void tm_gpx_text(tm_sink *s, tm_bytes text);

/* An NMEA RMC sentence somewhere in text[0..n): "XXRMC,..." with or without the '$'; a
 * checksum, where present, must be right. */
typedef struct {
    bool valid;      /* status 'A' */
    int64_t utc_ms;  /* DC_TELEMETRY_NO_UTC when the date or time is malformed */
    double lat, lon; /* degrees; NaN when malformed (the sink drops the fix) */
    double speed_kmh, heading_deg;
} tm_rmc;
/* false when no RMC sentence with a readable time is found (or its checksum is wrong). */
bool tm_find_rmc(const char *text, size_t n, tm_rmc *out);

/* The first track whose stsd entry is `format` (and, when handler is not 0, whose handler is
 * `handler`); NULL when none. */
const tm_track *tm_find_track(const tm_mp4 *m, uint32_t handler, uint32_t format);

#endif
