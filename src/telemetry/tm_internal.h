/* Inside the telemetry module: the bounded reads of the file, the ISO-BMFF box walker, the
 * sink every reader puts its fixes and samples into (where the values are checked), and the
 * format table's row type. */
#ifndef DC_TM_INTERNAL_H
#define DC_TM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/telemetry.h"

#define TM_FOURCC(a, b, c, d)                                                                      \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

enum {
    TM_MAX_MOOV = 64 << 20,       /* bytes of moov read into memory */
    TM_MAX_BLOCK = 1 << 20,       /* one gpmd payload, one Novatek block */
    TM_MAX_SIDECAR = 64 << 20,    /* one sidecar file */
    TM_MAX_TRACKS = 32,           /* tracks of moov looked at */
    TM_MAX_TRACK_SAMPLES = 200000 /* samples of one telemetry track (55 h at 1 Hz) */
};

/* ---- bytes -------------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;
} tm_bytes;

static inline uint16_t tm_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t tm_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t tm_be64(const uint8_t *p) {
    return (uint64_t)tm_be32(p) << 32 | tm_be32(p + 4);
}
static inline uint32_t tm_le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
float tm_le_float(const uint8_t *p);
double tm_le_double(const uint8_t *p);

/* ---- the video file: random access, every read bounded by the file's size --------------- */

typedef struct {
    int fd;        /* -1 when closed */
    uint64_t size; /* bytes in the file */
    const char *path;
} tm_file;

/* Reads [off, off + len) into a new buffer (caller frees); len is first cut at the file's end
 * (*got says how much came). NULL when nothing could be read or memory ran out (*oom). */
uint8_t *tm_file_read(const tm_file *f, uint64_t off, size_t len, size_t *got, bool *oom);

/* ---- ISO-BMFF boxes ------------------------------------------------------------------------ */

typedef struct {
    uint32_t type;
    tm_bytes body; /* the box's content after its header */
} tm_box;

/* The next box of *rest (advanced past it). false at the end, or when what is left cannot
 * hold a box header. A box that claims more than is left is cut to what is left and *cut is
 * set (the caller notes the damage once). */
bool tm_box_next(tm_bytes *rest, tm_box *box, bool *cut);
/* The first child of type `type` in bytes; false when none. */
bool tm_box_find(tm_bytes in, uint32_t type, tm_box *box);

/* Top-level boxes are read from the file one header at a time, at most TM_MAX_TOP_BOXES of
 * them. The header of the box at pos: its type, header length (8 or 16) and size as the file
 * says (0 becomes "to the end of the file"; it may reach past the end: the caller decides).
 * false when no header can be read there or the size is smaller than the header. */
#define TM_MAX_TOP_BOXES 4096
bool tm_top_box_at(const tm_file *f, uint64_t pos, uint32_t *type, uint64_t *size,
                   uint64_t *header);

typedef struct {
    uint32_t handler;                /* hdlr handler_type ('vide', 'soun', 'meta', 'text', ...) */
    uint32_t format;                 /* first stsd entry's type ('avc1', 'gpmd', ...) */
    uint32_t timescale;              /* mdhd */
    tm_bytes stts, stsc, stsz, stco; /* bodies as found (stco or co64) */
    bool co64;
} tm_track;

typedef struct {
    uint8_t *moov; /* owned: the moov box's body */
    size_t moov_len;
    tm_track tracks[TM_MAX_TRACKS];
    int track_count;
    tm_bytes gps; /* body of moov/'gps ' (Novatek), n = 0 when none */
} tm_mp4;

/* One sample of a track, on the track's clock in seconds. */
typedef struct {
    uint64_t offset;
    uint32_t size;
    double t_sec, dur_sec;
} tm_sample;

/* ---- the sink: where every reader's values go -------------------------------------------- */

typedef struct {
    dc_telemetry *out;
    dc_deadline dl;
    int gps_alloc, accel_alloc, gyro_alloc;
    bool oom;     /* memory ran out: the read fails with DC_ERR_RESOURCE */
    bool stopped; /* the deadline passed or memory ran out: readers stop */
} tm_sink;

/* Adds a fix after the checks of telemetry.h (dropped ones are counted). false when the
 * reader should stop (deadline, memory). */
bool tm_add_fix(tm_sink *s, dc_gps_fix fix);
bool tm_add_accel(tm_sink *s, double t_sec, double x, double y, double z);
bool tm_add_gyro(tm_sink *s, double t_sec, double x, double y, double z);
/* Marks the result degraded; the first reason is kept (later ones only count). */
void tm_damage(tm_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* true (and the result degraded) once the deadline has passed. */
bool tm_out_of_time(tm_sink *s);

/* Epoch milliseconds of a UTC date and time; DC_TELEMETRY_NO_UTC when out of range (years
 * 2000-2099). */
int64_t tm_utc_ms(int year, int month, int day, int hour, int minute, double second);

/* ---- formats -------------------------------------------------------------------------------- */

typedef struct {
    const char *video_path;
    tm_file file; /* the video (fd -1 when it is not a regular file) */
    tm_mp4 *mp4;  /* its moov, NULL when the file has none */
    tm_sink sink;
    char side[4096]; /* scratch for sidecar paths */
} tm_ctx;

typedef struct {
    const char *name;
    const char *what;            /* one line for --help */
    bool (*detect)(tm_ctx *ctx); /* cheap: the file (or a sidecar) holds this format */
    void (*read)(tm_ctx *ctx);   /* reads into ctx->sink; damage is noted there */
} tm_format;

/* Readers (one file each). */
bool tm_gpmf_detect(tm_ctx *ctx);
void tm_gpmf_read(tm_ctx *ctx);
bool tm_novatek_detect(tm_ctx *ctx);
void tm_novatek_read(tm_ctx *ctx);
bool tm_blackvue_detect(tm_ctx *ctx);
void tm_blackvue_read(tm_ctx *ctx);
bool tm_nmea_detect(tm_ctx *ctx);
void tm_nmea_read(tm_ctx *ctx);

/* The layers below the readers, exposed for the fuzz harnesses and tests: */
/* GPMF: one payload (KLV) at [t, t + dur) on the video clock. */
void tm_gpmf_payload(tm_sink *s, tm_bytes payload, double t_sec, double dur_sec);
/* Novatek: one 'free' block (from its size field) at video time t. */
void tm_novatek_block(tm_sink *s, tm_bytes block, double t_sec);
/* NMEA text (with or without BlackVue's "[ms]" prefixes). */
void tm_nmea_text(tm_sink *s, tm_bytes text);
/* BlackVue .3gf records. */
void tm_3gf_records(tm_sink *s, tm_bytes data);

/* The moov of an MP4 file; NULL (no error) when there is none. *oom on allocation failure. */
tm_mp4 *tm_mp4_open(const tm_file *f, tm_sink *s, bool *oom);
void tm_mp4_free(tm_mp4 *m);
/* The samples of a track, in order, at most TM_MAX_TRACK_SAMPLES (*count); NULL when the
 * track's tables are unusable (noted in s) or memory ran out. Caller frees. */
tm_sample *tm_track_samples(const tm_track *t, const tm_file *f, tm_sink *s, int *count);

/* Reads the sidecar `path` whole (at most TM_MAX_SIDECAR bytes); NULL when it cannot be read
 * (noted in s) or memory ran out. */
uint8_t *tm_read_sidecar(tm_sink *s, const char *path, size_t *len);
/* ctx->side = the video's path less its extension + ext when that file exists (also tried:
 * the name less its last letter, BlackVue's front/rear clips). */
bool tm_find_sidecar(tm_ctx *ctx, const char *ext);

/* Sets out->variant once (the first block's layout names the file's). */
void tm_set_variant(tm_sink *s, const char *variant);

#endif
