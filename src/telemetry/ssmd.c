/* SigmaStar 'ssmd' tracks (Rove R2-4K and other SigmaStar cameras): a timed-metadata track
 * whose sample entry is 'ssmd'. A sample is one of
 *   32 bytes: a GPS record, little-endian: double latitude and double longitude as DDMM.MMMM
 *             (signed: south and west negative), 4 bytes not known, u16 speed in whole knots
 *             at 20, the UTC date and time as six bytes (year - 2000, month, day, hour, minute,
 *             second) at 22, and 4 status bytes at 28: ff 01 .. .. with a fix, ff 00 .. .. without
 *             (then the position is the last one repeated, or 4294967295 before any fix);
 *   12 bytes: three floats of acceleration in g;
 *   "LIGOGPSINFO\0...": LigoGPS records (ligogps.c);
 *   a JPEG (a preview; skipped).
 * A fix-less record keeps no position, whatever its bytes say: a track whose "fixes" are one
 * position repeated with the no-fix status reads as fixes without a position. When the status
 * bytes are neither form, a track whose every record repeats the same position while its clock
 * runs is taken as fabricated the same way (reported).
 * Times: each sample at its time in the track (stts). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tm_more.h"

enum { GPS_RECORD = 32, ACCEL_RECORD = 12, MAX_SAMPLE = 1 << 20 };
#define NO_GPS 4294967295.0
#define KNOTS_TO_KMH 1.852

static double ddmm(double v) {
    double a = fabs(v), deg = floor(a / 100);
    return copysign(deg + (a - deg * 100) / 60, v);
}

/* One 32-byte record; *status: 1 fix, 0 no fix, -1 not said */
static dc_gps_fix rove_record(const uint8_t *r, double t_sec, int *status) {
    dc_gps_fix f = {.t_sec = t_sec, .heading_deg = -1};
    double lat = tm_le_double(r), lon = tm_le_double(r + 8);
    f.utc_ms = tm_utc_ms(2000 + r[22], r[23], r[24], r[25], r[26], r[27]);
    *status = r[28] == 0xff && r[29] == 1 ? 1 : r[28] == 0xff && r[29] == 0 ? 0 : -1;
    f.valid = *status != 0 && lat != NO_GPS && lon != NO_GPS;
    if (f.valid) {
        f.lat = ddmm(lat), f.lon = ddmm(lon);
        f.speed_kmh = (r[20] | r[21] << 8) * KNOTS_TO_KMH;
    }
    return f;
}

/* One sample; ligo: what the file's LigoGPS samples share (the cipher's table). */
static void sample(tm_sink *s, tm_bytes b, double t_sec, tm_ligo_state *ligo) {
    int status;
    if (b.n == GPS_RECORD) {
        tm_add_fix(s, rove_record(b.p, t_sec, &status));
    } else if (b.n == ACCEL_RECORD) {
        tm_add_accel(s, t_sec, tm_le_float(b.p), tm_le_float(b.p + 4), tm_le_float(b.p + 8));
    } else if (b.n >= 12 && !memcmp(b.p, "LIGOGPSINFO\0", 12)) {
        tm_ligogps_payload(s, b, t_sec, ligo);
    }
}

void tm_ssmd_sample(tm_sink *s, tm_bytes b, double t_sec) {
    tm_ligo_state ligo;
    tm_ligo_state_init(&ligo);
    sample(s, b, t_sec, &ligo);
    tm_ligo_state_end(s, &ligo);
}

static const tm_track *ssmd_track(const tm_ctx *ctx) {
    return ctx->mp4 ? tm_find_track(ctx->mp4, 0, TM_FOURCC('s', 's', 'm', 'd')) : NULL;
}

bool tm_ssmd_detect(tm_ctx *ctx) { return ssmd_track(ctx) != NULL; }

void tm_ssmd_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    const tm_track *t = ssmd_track(ctx);
    int n = 0;
    tm_sample *samples = tm_track_samples(t, &ctx->file, s, &n);
    if (!samples) return;
    /* the fixes are held back until the whole track is seen: whether they are real depends on
     * all of them (at most TM_MAX_TRACK_SAMPLES) */
    dc_gps_fix *fixes = malloc((size_t)(n ? n : 1) * sizeof *fixes);
    if (!fixes) {
        s->oom = s->stopped = true;
        free(samples);
        return;
    }
    int nf = 0, said = 0, same = 0, bad_size = 0;
    tm_ligo_state ligo;
    tm_ligo_state_init(&ligo);
    uint8_t first_pos[16];
    for (int i = 0; i < n && !tm_out_of_time(s); i++) {
        uint32_t size = samples[i].size;
        if (size > MAX_SAMPLE) {
            bad_size++;
            continue;
        }
        size_t got = 0;
        bool oom = false;
        uint8_t *b = tm_file_read(&ctx->file, samples[i].offset, size, &got, &oom);
        if (oom) s->oom = s->stopped = true;
        if (!b || got < size) {
            bad_size++;
        } else if (got == GPS_RECORD) {
            int status;
            dc_gps_fix f = rove_record(b, samples[i].t_sec, &status);
            said += status >= 0;
            if (nf == 0) memcpy(first_pos, b, 16);
            same += !memcmp(first_pos, b, 16);
            fixes[nf++] = f;
        } else {
            sample(s, (tm_bytes){b, got}, samples[i].t_sec, &ligo);
        }
        free(b);
    }
    tm_ligo_state_end(s, &ligo);
    tm_set_variant(s, "rove"); /* unless LigoGPS samples named theirs */
    /* no status bytes and one position throughout while the clock runs: fabricated */
    bool fabricated = nf >= 3 && !said && same == nf && fixes[0].utc_ms != fixes[nf - 1].utc_ms;
    if (fabricated)
        tm_damage(s, "%s: ssmd track repeats one position in all %d records: read as no fix",
                  ctx->video_path, nf);
    for (int i = 0; i < nf && !s->stopped; i++) {
        if (fabricated) fixes[i].valid = false;
        tm_add_fix(s, fixes[i]);
    }
    if (bad_size)
        tm_damage(s, "%s: %d ssmd samples cut or over %d MiB", ctx->video_path, bad_size,
                  MAX_SAMPLE >> 20);
    free(fixes);
    free(samples);
}
