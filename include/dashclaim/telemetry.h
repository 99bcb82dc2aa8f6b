/* Telemetry: the dashcam's own data, read from the video file and the files beside it: GPS
 * fixes (position, speed, heading, UTC time) and acceleration in g, on the video's clock.
 *
 * Usage:
 *   dc_telemetry t;
 *   dc_telemetry_read("clip.mp4", dc_deadline_in(5), &t, &st);   DC_OK unless the video
 *                                                                cannot be opened or memory ran out
 *   ... t.source, t.gps[0 .. t.gps_count), t.accel[0 .. t.accel_count), t.degraded, t.reason ...
 *   dc_telemetry_free(&t);
 *
 * One output for every format. dc_telemetry_read asks each format of the table below, in its
 * order, whether the video (or a file beside it) holds its data; the first that says yes reads
 * it, and its name becomes t.source. A video without telemetry gives DC_OK, source NULL and
 * no fixes or samples.
 *
 * Formats (src/telemetry/telemetry.c holds the table, one row each, tried in the order gpmf,
 * novatek-text, atc, novatek, novatek-ts, text-track, 70mai, camm, vueroid, ssmd, ligogps,
 * blackvue, nmea, gpx):
 *   gpmf      GoPro GPMF in an MP4/MOV track whose sample entry is 'gpmd' (HERO5 and later,
 *             Max, and dashcams that copy the format). Reads GPS5 (lat, lon, alt, 2D and 3D
 *             speed; GPSF fix, GPSU UTC per payload) and GPS9 (HERO11+: per-fix days since 2000,
 *             seconds since midnight and fix), ACCL with its SCAL and SIUN/UNIT (m/s^2 or g);
 *             device = DVNM. Times: each gpmd sample (payload, usually 1 s) covers
 *             [its time, its time + its duration) from the track's stts; the n values of a
 *             stream in one payload are spread evenly over it. GPS5 UTC is GPSU plus that
 *             offset; GPS9 UTC is its own. A payload with GPS9 (HERO11+ also write the same
 *             fixes as GPS5) is read from GPS9 alone. Heading is not recorded (-1).
 *             Axes: ACCL and GYRO come out in the camera's frame (x, y, z = the camera's X,
 *             Y, Z as GPMF names them), whatever order the model stores them in: the
 *             stream's ORIN (one letter per stored channel, the axis it holds; lower case
 *             = that axis negated, e.g. HERO6's "YxZ": Y, -X, Z) is applied; without ORIN,
 *             DVNM "HERO5..." or "Camera" (what a HERO5 calls itself) is taken as "ZXY" and
 *             "HERO6..."/"HERO7..." (any case) as "YxZ" (GoPro's GPMF documentation; the
 *             public hero5/hero6/hero11 samples then agree on gravity along +Z); any other
 *             device without ORIN, or an ORIN that is not
 *             a permutation of X, Y, Z, as stored (an invalid ORIN is noted). GYRO (rad/s,
 *             its SCAL) goes to t.gyro.
 *   novatek   Novatek 'freeGPS ' blocks: a 'gps ' box in moov lists (offset, size) of 'free'
 *             boxes each holding one record, one per second. Layouts (detected per block):
 *               float     (VIOFO A119S, Transcend and most Novatek cameras): time and date as
 *                         six u32 at 0x30, 'A'/'V' + N/S + E/W at 0x48, floats lat, lon
 *                         (DDMM.MMMM), speed (knots), heading at 0x4c.
 *               a119v3    (VIOFO A119 V3, Kenwood): the same fields from 0x10 / 0x28 / 0x2c,
 *                         and three int32 of acceleration at 0x3c (1/256 g, unconfirmed).
 *               double    (Vantrue N4 and others): time at 0x10, 'A' at 0x1c, doubles lat,
 *                         lon, knots, heading at 0x20 .. 0x48 with N/S at 0x28 and E/W at
 *                         0x38, date at 0x50, three int32 of acceleration at 0x5c (1/1000 g).
 *               a810      (70mai A810): 'A' at 30, int32 lat / lon at 31 / 35 (DDMM.MMMMM
 *                         * 1e5, signed), int32 km/h at 43 (unconfirmed), "VV" at 51; no time
 *                         (utc_ms = DC_TELEMETRY_NO_UTC), no heading.
 *             A block with status 'V' (no fix, e.g. a cold start; a810: 'V' at 30 with "VV"
 *             at 51, unconfirmed) is an invalid fix. Times:
 *             the k-th listed block is at t = k s (the camera writes one per second). The
 *             camera's clock is written as UTC; some cameras write local time there.
 *             Not read by this row: the scrambled and text blocks (the novatek-text row),
 *             the same records in MPEG-TS (novatek-ts), ATC, NextBase/INNOVV/Akaso binary
 *             layouts, and freeGPS blocks that no 'gps ' box lists.
 *   blackvue  BlackVue in the file: a top-level 'free' box whose children 'gps ' and '3gf ' hold
 *             the same bytes as the sidecars below (variant free-box, read before sidecars).
 *             BlackVue sidecars beside the video: NAME.gps (NMEA, each line "[ms]$GPRMC..."
 *             with the camera's epoch milliseconds) and NAME.3gf (10-byte big-endian records:
 *             u32 ms since the recording started, s16 x, y, z at 128 per g (unconfirmed)).
 *             NAME is the video's name less its extension, or, as BlackVue names a
 *             recording's front and rear clips 20190612_143500_NF.mp4 / _NR.mp4 and their
 *             shared sidecars 20190612_143500_N.gps / .3gf, that name less its last letter.
 *             Times: a .3gf record is at its ms / 1000; a .gps fix at its [ms] minus the
 *             first line's [ms] (the log starts with the recording).
 *   nmea      Plain NMEA 0183 sidecars NAME.nmea or NAME.NMEA: $GPRMC/$GNRMC (time, date,
 *             status, position, knots, course) and $GPGGA/$GNGGA (time, position, fix
 *             quality), one fix per distinct time; "$GSENSOR,x,y,z" lines (g) where present,
 *             at the time of the fix they follow. Times: t = UTC - the first sentence's UTC
 *             (the log starts with the video).
 *   gpx       GPX sidecar NAME.gpx / NAME.GPX: trkpt lat/lon, time, speed (m/s: <speed> or an
 *             extension's *:speed) and course; XML read by hand, no entity expanded. Times:
 *             t = UTC - the first point's UTC.
 *   atc       Novatek ATC: freeGPS blocks listed by moov/'gps ' holding the camera's ring
 *             buffer of 52-byte records XOR-ed with keys inside each record (int32 lat/lon
 *             * 1e7, m/s * 100, heading * 100, UTC); the newest record of block k is at t = k s.
 *   ssmd      SigmaStar 'ssmd' track (Rove R2-4K): 32-byte GPS records (DDMM.MMMM doubles,
 *             whole knots, UTC, a status: ff 00 or the 4294967295 value = no fix), 12-byte
 *             accelerometer samples (g), or LigoGPS records; at the sample's time. A track
 *             of one position repeated with no fix (or, without status bytes, one position
 *             throughout while the clock runs) reads as fixes without a position.
 *   ligogps   LigoGPS records as a file trailer ('skip' box ending "&&&&" + its length):
 *             decrypted, the coordinate scrambling undone (scale 1.524855137), knots or the
 *             scrambled speed unit; t = UTC - the first record's UTC. Variant ts (no
 *             trailer): LigoGPS in MPEG-TS, a PES on PID 0x300, 0x1e4, 0xe1b or 0xe1a (not in
 *             the PMT) whose payload is "skip" + 4 bytes + the same header and records, never
 *             scrambled; times as the trailer's. Variant ligogps-cipher: the records in a
 *             digit-substitution cipher, its table learnt from the seconds digit over the
 *             records (11 or more a file; fewer are reported, not read): ligogps.c.
 *   vueroid   Vueroid's 'tvxt' track (sample entry 'mp4s', 72-byte records about 20 a second:
 *             accelerometer floats as stored (unit unconfirmed), hemisphere bytes, speed km/h,
 *             DDMM.MMMM floats, the camera's local clock as seconds since 1970 (local time
 *             written as UTC)); a record at its sample's time; zero position = no fix. From a
 *             public project's reading of real clips (src/telemetry/vueroid.c), unconfirmed.
 *   novatek-text, novatek-ts, text-track, 70mai, camm (and the readers above from atc on):
 *             the second and third sets of readers; their
 *             layouts, variants and times are described in src/telemetry/tm_more.h and at the
 *             top of each reader's file.
 *   For every NMEA sentence the checksum ("*HH") must be present and right; other sentences
 *   ($GPGSA, $GSENSOR, ...) are skipped.
 *
 * Values: position in degrees WGS84, speed in km/h (knots * 1.852, m/s * 3.6), heading in
 * degrees clockwise from true north in [0, 360), acceleration in g (m/s^2 / 9.80665). A fix's
 * UTC is epoch milliseconds (utc_ms), DC_TELEMETRY_NO_UTC when the file does not say.
 *
 * Untrusted bytes: every length and count is checked against the bytes that hold it; a box or
 * block that claims more than the file has is cut at the file's end (and noted). What is not
 * kept, counted in the result and named in t.reason (t.degraded is then true):
 *   - a fix whose position is NaN or off the globe (|lat| > 90, |lon| > 180), whose speed is
 *     NaN or over DC_TELEMETRY_MAX_SPEED_KMH, or a sample with a NaN or an axis over
 *     DC_TELEMETRY_MAX_G (gyroscope: DC_TELEMETRY_MAX_RAD_S);
 *   - a fix or sample whose time goes backwards (earlier than the one kept before it, in the
 *     same list): dropped, so that both lists stay in time order;
 *   - fixes and samples past the caps.
 * A fix without a position (no lock) is kept with valid = false, lat = lon = 0 and speed and
 * heading -1: it says the receiver was on and had no fix at that time.
 *
 * Memory: at most DC_TELEMETRY_MAX_FIXES fixes and DC_TELEMETRY_MAX_SAMPLES samples (about
 * 3 + 25 MB at most; gyroscope samples as many as accelerometer ones), a moov box of at most 64 MiB, a gpmd payload or Novatek block of at most
 * 1 MiB, a sidecar of at most 64 MiB.
 *
 * Errors: dc_telemetry_read returns DC_ERR_INPUT only when the video itself cannot be opened,
 * DC_ERR_RESOURCE when memory runs out (then t holds nothing). Damaged telemetry never fails:
 * it is reported as t.degraded with t.reason, and what was read before the damage is kept.
 * A deadline that passes stops the reading the same way (degraded, reason says so).
 * Thread safety: no shared state; one dc_telemetry per call. */
#ifndef DASHCLAIM_TELEMETRY_H
#define DASHCLAIM_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/deadline.h"
#include "dashclaim/status.h"

#define DC_TELEMETRY_MAX_FIXES 65536     /* 1 h at 18 Hz (GoPro), 18 h at 1 Hz */
#define DC_TELEMETRY_MAX_SAMPLES 1048576 /* 87 min at 200 Hz (GoPro ACCL) */
#define DC_TELEMETRY_MAX_SPEED_KMH 400.0
#define DC_TELEMETRY_MAX_G 100.0
#define DC_TELEMETRY_MAX_RAD_S 100.0 /* gyroscope: ~5700 deg/s, past any camera's range */
#define DC_TELEMETRY_NO_UTC INT64_MIN

typedef struct {
    double t_sec;       /* video time, seconds from the video's start */
    int64_t utc_ms;     /* UTC, milliseconds since 1970-01-01; DC_TELEMETRY_NO_UTC = unknown */
    double lat, lon;    /* degrees; 0 when !valid */
    double speed_kmh;   /* -1 = not recorded */
    double heading_deg; /* [0, 360); -1 = not recorded */
    bool valid;         /* the receiver had a fix */
} dc_gps_fix;

typedef struct {
    double t_sec;  /* video time */
    float x, y, z; /* g, axes as the device stores them */
} dc_accel_sample;

typedef struct {
    double t_sec;  /* video time */
    float x, y, z; /* rad/s about the axes of dc_accel_sample */
} dc_gyro_sample;

typedef struct {
    const char *source;  /* the format's name ("gpmf", "novatek", ...), static; NULL = none */
    const char *variant; /* the layout within it ("float", "gps5", ...), static; NULL = none */
    char device[64];     /* the device as the file names it, "" when it does not */
    dc_gps_fix *gps;     /* owned; gps_count entries in time order */
    int gps_count;
    dc_accel_sample *accel; /* owned; accel_count entries in time order */
    int accel_count;
    dc_gyro_sample *gyro; /* owned; gyro_count entries in time order (gpmf only, for now) */
    int gyro_count;
    /* what was dropped, by reason */
    int dropped_bad_value; /* NaN, off the globe, over the speed or g limit */
    int dropped_backwards; /* time earlier than the previous kept entry */
    int dropped_over_cap;  /* past DC_TELEMETRY_MAX_FIXES / _SAMPLES */
    bool degraded;         /* damaged or cut; reason says what */
    char reason[256];
} dc_telemetry;

/* Reads the telemetry of video_path (and its sidecars). *out is always initialised (free it
 * with dc_telemetry_free, also after a failure). See the top of this file for the errors. */
dc_error_class dc_telemetry_read(const char *video_path, dc_deadline dl, dc_telemetry *out,
                                 dc_status *st);

/* Frees the lists and zeroes *t; safe on a zeroed or already freed value. */
void dc_telemetry_free(dc_telemetry *t);

/* The formats in detection order, for --help and reports: names[i] for i < count. */
int dc_telemetry_format_count(void);
const char *dc_telemetry_format_name(int i);

#endif
