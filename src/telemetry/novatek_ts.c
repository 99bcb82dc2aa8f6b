/* Novatek records in MPEG-TS (VIOFO A119/A129 "TS" recording mode and other Novatek cameras):
 * a private stream on PID 0x300 that the PMT does not list, one PES packet a second whose
 * payload is the record (little-endian):
 *   0   six u32: hour, minute, second, year - 2000, month, day (the camera's clock as UTC)
 *   24  status 'A' / 'V', N/S, E/W, 0
 *   28  floats: latitude and longitude (DDMM.MMMM), speed (knots), heading
 *   44  three int32 of acceleration in 1/256 g (all zeros or 1..6 as int16 when the camera has
 *       no sensor; unconfirmed scale, as novatek.c's a119v3 layout)
 * Some cameras (Blueskysea B4K) put 164 bytes of text before the same record.
 * Times: the PES PTS less the first PTS in the file (90 kHz); a record without a PTS is one
 * second after the one before. Packets are 188 bytes; sync is found again after damage.
 *
 * LigoGPS in MPEG-TS (read for the ligogps row, from exiftool's M2TS.pm): a PES on one of the
 * PIDs exiftool scans for unlisted dashcam GPS (0x300, 0x1e4, 0xe1b, 0xe1a) whose payload is
 * "skip" + 4 bytes + LigoGPS's "LIGOGPSINFO\0" header and records (ligogps.c), never scrambled.
 * exiftool saw a payload holding the same 'skip' atom twice and reads the first: so do we.
 * The first such PID is followed. Times: UTC less the first record's UTC, as the trailer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tm_more.h"

#define KNOTS_TO_KMH 1.852
enum { PACKET = 188, GPS_PID = 0x300, MAX_PES = 4096, CHUNK = PACKET * 5578 /* ~1 MiB */ };
static const unsigned ligo_pids[] = {0x300, 0x1e4, 0xe1b, 0xe1a};

static bool is_ligo_pid(unsigned pid) {
    for (size_t i = 0; i < sizeof ligo_pids / sizeof ligo_pids[0]; i++)
        if (pid == ligo_pids[i]) return true;
    return false;
}
/* "skip" + 4 bytes + "LIGOGPSINFO\0" at p */
static bool is_ligo_start(const uint8_t *p, size_t n) {
    return n >= 20 && !memcmp(p, "skip", 4) && !memcmp(p + 8, "LIGOGPSINFO\0", 12);
}

static double ddmm(double v) {
    double deg = floor(v / 100);
    return deg + (v - deg * 100) / 60;
}
static bool is_status(uint8_t c) { return c == 'A' || c == 'V'; }

void tm_novatek_ts_record(tm_sink *s, tm_bytes payload, double t_sec) {
    const uint8_t *b = payload.p;
    size_t n = payload.n;
    if (n >= 164 + 44 && !is_status(b[24]) && is_status(b[164 + 24])) b += 164, n -= 164;
    if (n < 44 || !is_status(b[24])) {
        tm_damage(s, "Novatek TS record at %.3f s: %zu bytes, not a record", t_sec, n);
        return;
    }
    int v[6];
    for (int i = 0; i < 6; i++) v[i] = (int)tm_le32(b + (size_t)4 * i);
    int year = v[3] < 2000 ? v[3] + 2000 : v[3];
    dc_gps_fix f = {.t_sec = t_sec, .valid = b[24] == 'A'};
    f.utc_ms = tm_utc_ms(year, v[4], v[5], v[0], v[1], v[2]);
    if (f.valid) {
        char ns = (char)b[25], ew = (char)b[26];
        double lat = tm_le_float(b + 28), lon = tm_le_float(b + 32);
        f.lat = ddmm(lat) * (ns == 'S' ? -1 : 1);
        f.lon = ddmm(lon) * (ew == 'W' ? -1 : 1);
        if ((ns != 'N' && ns != 'S') || (ew != 'E' && ew != 'W') || !(lat >= 0) || !(lon >= 0))
            f.lat = NAN; /* the sink drops it */
        f.speed_kmh = tm_le_float(b + 36) * KNOTS_TO_KMH;
        f.heading_deg = tm_le_float(b + 40);
    }
    if (!tm_add_fix(s, f) || n < 56) return;
    static const uint8_t zeros[12] = {0}, counting[12] = {1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0};
    if (memcmp(b + 44, zeros, 12) != 0 && memcmp(b + 44, counting, 12) != 0)
        tm_add_accel(s, t_sec, (int32_t)tm_le32(b + 44) / 256.0, (int32_t)tm_le32(b + 48) / 256.0,
                     (int32_t)tm_le32(b + 52) / 256.0);
}

typedef struct {
    tm_sink *s;
    bool have_origin;
    uint64_t origin; /* the first PTS in the file */
    uint8_t pes[MAX_PES];
    size_t pes_n;
    bool pes_open, pes_has_pts;
    uint64_t pes_pts;
    double last_t;
    int records, lost_sync;
    bool ligo;    /* LigoGPS mode: PES payloads are 'skip' atoms on pid */
    unsigned pid; /* the GPS PID followed (0 until the first PES start in LigoGPS mode) */
    tm_ligo_state ligo_state; /* the LigoGPS records' first UTC and cipher table */
    int not_ligo;             /* PES payloads on pid that were not a LigoGPS atom */
} ts_state;

/* A PES header's PTS (33 bits); false when the payload is not a PES start with a PTS. */
static bool pes_pts(const uint8_t *p, size_t n, uint64_t *pts, size_t *header) {
    if (n < 9 || p[0] || p[1] || p[2] != 1) return false;
    *header = 9 + (size_t)p[8];
    if (*header > n || !(p[7] & 0x80) || n < 14) return false;
    *pts = (uint64_t)(p[9] >> 1 & 7) << 30 | (uint64_t)p[10] << 22 | (uint64_t)(p[11] >> 1) << 15 |
           (uint64_t)p[12] << 7 | p[13] >> 1;
    return true;
}

static void ligo_pes(ts_state *st) {
    const uint8_t *p = st->pes;
    size_t n = st->pes_n, end = n;
    if (!is_ligo_start(p, n)) {
        st->not_ligo++;
        return;
    }
    for (size_t at = 28; at + 20 <= n; at++) /* a second copy of the atom ends the first */
        if (is_ligo_start(p + at, n - at)) {
            end = at;
            break;
        }
    tm_ligogps_records(st->s, (tm_bytes){p + 8, end - 8}, -1, &st->ligo_state, true);
}

static void flush(ts_state *st) {
    if (!st->pes_open) return;
    st->pes_open = false;
    if (st->ligo) {
        ligo_pes(st);
        return;
    }
    double t = st->records ? st->last_t + 1 : 0;
    if (st->pes_has_pts && st->have_origin)
        t = (double)((st->pes_pts - st->origin) & ((1ULL << 33) - 1)) / 90000.0;
    st->last_t = t;
    st->records++;
    tm_novatek_ts_record(st->s, (tm_bytes){st->pes, st->pes_n}, t);
}

static void packet(ts_state *st, const uint8_t *p) {
    unsigned pid = (unsigned)(p[1] & 0x1f) << 8 | p[2];
    bool start = p[1] & 0x40;
    int afc = p[3] >> 4 & 3;
    size_t at = 4;
    if (afc == 0 || afc == 2) return; /* no payload */
    if (afc == 3) at += 1 + (size_t)p[4];
    if (at >= PACKET) return;
    const uint8_t *pay = p + at;
    size_t n = PACKET - at, header = 0;
    uint64_t pts = 0;
    bool has_pts = start && pes_pts(pay, n, &pts, &header);
    if (has_pts && !st->have_origin) st->have_origin = true, st->origin = pts;
    if (st->ligo) {
        if (!is_ligo_pid(pid) || (st->pid && pid != st->pid)) return;
        if (!st->pid && !start) return;
        st->pid = pid;
    } else if (pid != GPS_PID) {
        return;
    }
    if (start) {
        flush(st);
        if (n < 9 || pay[0] || pay[1] || pay[2] != 1) return; /* not a PES */
        size_t skip = 9 + (size_t)pay[8];
        if (skip > n) return;
        st->pes_open = true;
        st->pes_has_pts = has_pts;
        st->pes_pts = pts;
        st->pes_n = 0;
        pay += skip, n -= skip;
    }
    if (!st->pes_open) return;
    size_t room = MAX_PES - st->pes_n;
    if (n > room) n = room;
    memcpy(st->pes + st->pes_n, pay, n);
    st->pes_n += n;
}

/* Feeds whole packets of buf[0..n); returns the bytes used (a partial packet is left). */
static size_t feed(ts_state *st, const uint8_t *buf, size_t n) {
    size_t at = 0;
    while (at + PACKET <= n && !st->s->stopped) {
        if (buf[at] != 0x47) {
            /* find the next place where two packets in a row start with the sync byte */
            st->lost_sync++;
            size_t k = at + 1;
            while (k + PACKET < n && !(buf[k] == 0x47 && buf[k + PACKET] == 0x47)) k++;
            if (k + PACKET >= n) return k; /* retry with more bytes */
            at = k;
            continue;
        }
        packet(st, buf + at);
        at += PACKET;
    }
    return at;
}

static void finish(ts_state *st) {
    flush(st);
    tm_ligo_state_end(st->s, &st->ligo_state);
    if (st->not_ligo)
        tm_damage(st->s, "LigoGPS in MPEG-TS: %d packets on PID 0x%x not a LigoGPS atom",
                  st->not_ligo, st->pid);
    if (st->lost_sync)
        tm_damage(st->s, "MPEG-TS: sync lost %d times (damaged packets skipped)", st->lost_sync);
}

static void packets(tm_sink *s, tm_bytes ts, bool ligo) {
    ts_state *st = calloc(1, sizeof *st);
    if (!st) {
        s->oom = s->stopped = true;
        return;
    }
    st->s = s;
    st->ligo = ligo;
    tm_ligo_state_init(&st->ligo_state);
    feed(st, ts.p, ts.n);
    finish(st);
    free(st);
}
void tm_novatek_ts_packets(tm_sink *s, tm_bytes ts) { packets(s, ts, false); }
void tm_ligogps_ts_packets(tm_sink *s, tm_bytes ts) { packets(s, ts, true); }

static bool looks_like_ts(const tm_file *f) {
    uint8_t h[PACKET * 2 + 1];
    size_t got = 0;
    bool oom = false;
    uint8_t *b = tm_file_read(f, 0, sizeof h, &got, &oom);
    bool yes =
        b && got == sizeof h && b[0] == 0x47 && b[PACKET] == 0x47 && b[(size_t)2 * PACKET] == 0x47;
    free(b);
    return yes;
}

typedef enum { TS_NONE, TS_NOVATEK, TS_LIGO } ts_kind;

/* What the first 4 MiB hold (one GPS packet a second; a second of 4K video is ~3 MiB): the
 * first PES start on a GPS PID that is a LigoGPS atom makes it LigoGPS; otherwise any packet
 * on PID 0x300 makes it Novatek. */
static ts_kind ts_gps_kind(const tm_ctx *ctx) {
    if (ctx->mp4 || ctx->file.fd < 0 || !looks_like_ts(&ctx->file)) return TS_NONE;
    size_t got = 0;
    bool oom = false;
    ts_kind kind = TS_NONE;
    uint8_t *b = tm_file_read(&ctx->file, 0, (size_t)PACKET * 22310, &got, &oom);
    for (size_t at = 0; b && at + PACKET <= got; at += PACKET) {
        const uint8_t *p = b + at;
        unsigned pid = (unsigned)(p[1] & 0x1f) << 8 | p[2];
        if (p[0] != 0x47 || !is_ligo_pid(pid)) continue;
        if (pid == GPS_PID) kind = TS_NOVATEK;
        size_t off = 4 + ((p[3] >> 4 & 3) == 3 ? 1 + (size_t)p[4] : 0);
        if (!(p[1] & 0x40) || !(p[3] & 0x10) || off + 9 > PACKET) continue;
        const uint8_t *e = p + off;
        if (e[0] || e[1] || e[2] != 1) continue;
        size_t skip = off + 9 + (size_t)e[8];
        if (skip <= PACKET && is_ligo_start(p + skip, PACKET - skip)) {
            kind = TS_LIGO;
            break;
        }
    }
    free(b);
    return kind;
}

bool tm_novatek_ts_detect(tm_ctx *ctx) { return ts_gps_kind(ctx) == TS_NOVATEK; }
bool tm_ligogps_ts_detect(tm_ctx *ctx) { return ts_gps_kind(ctx) == TS_LIGO; }

static void read_ts(tm_ctx *ctx, bool ligo) {
    tm_sink *s = &ctx->sink;
    tm_set_variant(s, "ts");
    ts_state *st = calloc(1, sizeof *st);
    uint8_t *buf = malloc(CHUNK);
    if (!st || !buf) {
        s->oom = s->stopped = true;
        free(st), free(buf);
        return;
    }
    st->s = s;
    st->ligo = ligo;
    tm_ligo_state_init(&st->ligo_state);
    uint64_t pos = 0;
    while (pos < ctx->file.size && !tm_out_of_time(s)) {
        ssize_t r = pread(ctx->file.fd, buf, CHUNK, (off_t)pos);
        if (r <= 0) break;
        size_t used = feed(st, buf, (size_t)r);
        if (used == 0) break; /* less than a packet left */
        pos += used;
    }
    finish(st);
    free(st), free(buf);
}

void tm_novatek_ts_read(tm_ctx *ctx) { read_ts(ctx, false); }
void tm_ligogps_ts_read(tm_ctx *ctx) { read_ts(ctx, true); }
