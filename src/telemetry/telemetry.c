/* The formats table and the one output every reader fills.
 *
 * Each row says how to tell that a video (or a file beside it) holds the format and how to
 * read it. The first row whose detect says yes reads; the order puts what is inside the file
 * before sidecars (a GoPro clip copied next to an old .nmea log is still read from its track).
 *
 * Every value passes through the sink (tm_add_fix / tm_add_accel): the checks that telemetry.h
 * promises live there once, not in each reader, so a new reader cannot forget them. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dashclaim/calendar.h"
#include "tm_internal.h"
#include "tm_more.h"

static const tm_format formats[] = {
    {.name = "gpmf",
     .what = "GoPro GPMF track (gpmd): GPS5/GPS9, ACCL",
     .detect = tm_gpmf_detect,
     .read = tm_gpmf_read},
    /* before novatek: the same 'gps ' list, blocks whose first one holds text */
    {.name = "novatek-text",
     .what = "Novatek freeGPS blocks holding text (XOR-0xAA, RMC+16, NMEA with the camera clock)",
     .detect = tm_novatek_text_detect,
     .read = tm_novatek_text_read},
    /* before novatek: the same 'gps ' list, blocks holding the ATC ring buffer */
    {.name = "atc",
     .what = "Novatek ATC blocks (a ring buffer of 52-byte records XOR-ed with keys)",
     .detect = tm_atc_detect,
     .read = tm_atc_read},
    {.name = "novatek",
     .what = "Novatek freeGPS blocks listed by moov/'gps ' (float, a119v3, double layouts)",
     .detect = tm_novatek_detect,
     .read = tm_novatek_read},
    {.name = "novatek-ts",
     .what = "Novatek records in MPEG-TS (PID 0x300, not in the PMT: VIOFO TS mode)",
     .detect = tm_novatek_ts_detect,
     .read = tm_novatek_ts_read},
    {.name = "text-track",
     .what = "text track (tx3g/text) with NMEA RMC, Thinkware gsensori, Garmin PNDM",
     .detect = tm_text_track_detect,
     .read = tm_text_track_read},
    {.name = "70mai",
     .what = "70mai top-level 'GPS ' box (36-byte records)",
     .detect = tm_mai70_detect,
     .read = tm_mai70_read},
    {.name = "camm",
     .what = "Google camm track (GPS, position, accelerometer)",
     .detect = tm_camm_detect,
     .read = tm_camm_read},
    {.name = "vueroid",
     .what = "Vueroid tvxt track (72-byte records: position, speed, accelerometer)",
     .detect = tm_vueroid_detect,
     .read = tm_vueroid_read},
    {.name = "ssmd",
     .what = "SigmaStar ssmd track (Rove GPS records, accelerometer, LigoGPS)",
     .detect = tm_ssmd_detect,
     .read = tm_ssmd_read},
    {.name = "ligogps",
     .what = "LigoGPS trailer at the file's end (decrypted, coordinates unscrambled)",
     .detect = tm_ligogps_detect,
     .read = tm_ligogps_read},
    {.name = "blackvue",
     .what = "BlackVue free box or sidecars: gps ([ms] + NMEA) and 3gf (accelerometer)",
     .detect = tm_blackvue_detect,
     .read = tm_blackvue_read},
    {.name = "nmea",
     .what = "NMEA sidecar NAME.nmea / NAME.NMEA ($GPRMC, $GNRMC, $GPGGA)",
     .detect = tm_nmea_detect,
     .read = tm_nmea_read},
    {.name = "gpx",
     .what = "GPX sidecar NAME.gpx (trkpt, time, speed)",
     .detect = tm_gpx_detect,
     .read = tm_gpx_read},
};
enum { N_FORMATS = sizeof formats / sizeof formats[0] };

int dc_telemetry_format_count(void) { return N_FORMATS; }
const char *dc_telemetry_format_name(int i) {
    return i >= 0 && i < N_FORMATS ? formats[i].name : NULL;
}

/* ---- the sink -------------------------------------------------------------------------------- */

void tm_damage(tm_sink *s, const char *fmt, ...) {
    dc_telemetry *t = s->out;
    if (t->degraded && t->reason[0]) return;
    t->degraded = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->reason, sizeof t->reason, fmt, ap);
    va_end(ap);
}

bool tm_out_of_time(tm_sink *s) {
    if (s->stopped) return true;
    if (!dc_deadline_passed(s->dl)) return false;
    s->stopped = true;
    tm_damage(s, "the deadline passed while reading telemetry: %d fixes and %d samples read",
              s->out->gps_count, s->out->accel_count);
    return true;
}

/* Grows *list to hold one more entry of `size` bytes; false when memory ran out. */
static bool grow(void **list, int count, int *alloc, size_t size, int cap) {
    if (count < *alloc) return true;
    int n = *alloc ? *alloc * 2 : 256;
    if (n > cap) n = cap;
    void *p = realloc(*list, (size_t)n * size);
    if (!p) return false;
    *list = p;
    *alloc = n;
    return true;
}

bool tm_add_fix(tm_sink *s, dc_gps_fix f) {
    dc_telemetry *t = s->out;
    if (tm_out_of_time(s)) return false;
    if (!isfinite(f.t_sec) || f.t_sec < 0) {
        t->dropped_bad_value++;
        return true;
    }
    if (f.valid) {
        bool bad = !isfinite(f.lat) || !isfinite(f.lon) || fabs(f.lat) > 90 || fabs(f.lon) > 180 ||
                   isnan(f.speed_kmh) || isnan(f.heading_deg) ||
                   f.speed_kmh > DC_TELEMETRY_MAX_SPEED_KMH;
        if (bad) {
            t->dropped_bad_value++;
            return true;
        }
        if (f.speed_kmh < 0) f.speed_kmh = -1;
        if (!isfinite(f.heading_deg) || f.heading_deg < 0) f.heading_deg = -1;
        else f.heading_deg = fmod(f.heading_deg, 360.0);
    } else {
        f.lat = f.lon = 0;
        f.speed_kmh = f.heading_deg = -1;
    }
    if (t->gps_count > 0 && f.t_sec < t->gps[t->gps_count - 1].t_sec) {
        t->dropped_backwards++;
        return true;
    }
    if (t->gps_count >= DC_TELEMETRY_MAX_FIXES) {
        t->dropped_over_cap++;
        return true;
    }
    if (!grow((void **)&t->gps, t->gps_count, &s->gps_alloc, sizeof *t->gps,
              DC_TELEMETRY_MAX_FIXES)) {
        s->oom = s->stopped = true;
        return false;
    }
    t->gps[t->gps_count++] = f;
    return true;
}

bool tm_add_accel(tm_sink *s, double t_sec, double x, double y, double z) {
    dc_telemetry *t = s->out;
    /* the deadline is looked at every 256 samples: a clock read per sample would cost more
     * than the sample */
    if ((t->accel_count & 255) == 0 && tm_out_of_time(s)) return false;
    if (s->stopped) return false;
    if (!isfinite(t_sec) || t_sec < 0 || !isfinite(x) || !isfinite(y) || !isfinite(z) ||
        fabs(x) > DC_TELEMETRY_MAX_G || fabs(y) > DC_TELEMETRY_MAX_G ||
        fabs(z) > DC_TELEMETRY_MAX_G) {
        t->dropped_bad_value++;
        return true;
    }
    if (t->accel_count > 0 && t_sec < t->accel[t->accel_count - 1].t_sec) {
        t->dropped_backwards++;
        return true;
    }
    if (t->accel_count >= DC_TELEMETRY_MAX_SAMPLES) {
        t->dropped_over_cap++;
        return true;
    }
    if (!grow((void **)&t->accel, t->accel_count, &s->accel_alloc, sizeof *t->accel,
              DC_TELEMETRY_MAX_SAMPLES)) {
        s->oom = s->stopped = true;
        return false;
    }
    t->accel[t->accel_count++] = (dc_accel_sample){t_sec, (float)x, (float)y, (float)z};
    return true;
}

bool tm_add_gyro(tm_sink *s, double t_sec, double x, double y, double z) {
    dc_telemetry *t = s->out;
    if ((t->gyro_count & 255) == 0 && tm_out_of_time(s)) return false;
    if (s->stopped) return false;
    if (!isfinite(t_sec) || t_sec < 0 || !isfinite(x) || !isfinite(y) || !isfinite(z) ||
        fabs(x) > DC_TELEMETRY_MAX_RAD_S || fabs(y) > DC_TELEMETRY_MAX_RAD_S ||
        fabs(z) > DC_TELEMETRY_MAX_RAD_S) {
        t->dropped_bad_value++;
        return true;
    }
    if (t->gyro_count > 0 && t_sec < t->gyro[t->gyro_count - 1].t_sec) {
        t->dropped_backwards++;
        return true;
    }
    if (t->gyro_count >= DC_TELEMETRY_MAX_SAMPLES) {
        t->dropped_over_cap++;
        return true;
    }
    if (!grow((void **)&t->gyro, t->gyro_count, &s->gyro_alloc, sizeof *t->gyro,
              DC_TELEMETRY_MAX_SAMPLES)) {
        s->oom = s->stopped = true;
        return false;
    }
    t->gyro[t->gyro_count++] = (dc_gyro_sample){t_sec, (float)x, (float)y, (float)z};
    return true;
}

void tm_set_variant(tm_sink *s, const char *variant) {
    if (!s->out->variant) s->out->variant = variant;
}

int64_t tm_utc_ms(int year, int month, int day, int hour, int minute, double second) {
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 2000 || year > 2099 || month < 1 || month > 12 || day < 1 ||
        day > mdays[month - 1] || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
        !(second >= 0 && second < 61))
        return DC_TELEMETRY_NO_UTC;
    int64_t days = dc_days_from_civil(year, month, day);
    return ((days * 24 + hour) * 60 + minute) * 60000 + (int64_t)llround(second * 1000);
}

float tm_le_float(const uint8_t *p) {
    uint32_t u = tm_le32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

double tm_le_double(const uint8_t *p) {
    uint64_t u = (uint64_t)tm_le32(p + 4) << 32 | tm_le32(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- sidecars -------------------------------------------------------------------------------- */

static bool regular_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool tm_find_sidecar(tm_ctx *ctx, const char *ext) {
    const char *path = ctx->video_path;
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    if (stem + strlen(ext) + 1 > sizeof ctx->side) return false;
    snprintf(ctx->side, sizeof ctx->side, "%.*s%s", (int)stem, path, ext);
    if (regular_file(ctx->side)) return true;
    /* BlackVue: 20190612_143500_NF.mp4 and _NR.mp4 share 20190612_143500_N.gps */
    if (stem >= 3 && path[stem - 3] == '_' && (path[stem - 1] == 'F' || path[stem - 1] == 'R')) {
        snprintf(ctx->side, sizeof ctx->side, "%.*s%s", (int)stem - 1, path, ext);
        if (regular_file(ctx->side)) return true;
    }
    return false;
}

uint8_t *tm_read_sidecar(tm_sink *s, const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        tm_damage(s, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
        if (n == cap) {
            if (cap >= TM_MAX_SIDECAR) {
                tm_damage(s, "%s: longer than %d MiB; the rest is not read", path,
                          TM_MAX_SIDECAR >> 20);
                break;
            }
            uint8_t *grown = realloc(buf, cap * 2 + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        s->oom = s->stopped = true;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* ---- the public calls ------------------------------------------------------------------------ */

void dc_telemetry_free(dc_telemetry *t) {
    if (!t) return;
    free(t->gps);
    free(t->accel);
    free(t->gyro);
    memset(t, 0, sizeof *t);
}

/* Sums up what the sink dropped, after the first damage (which keeps its place). */
static void note_drops(dc_telemetry *t) {
    int dropped = t->dropped_bad_value + t->dropped_backwards + t->dropped_over_cap;
    if (!dropped) return;
    char drops[200];
    snprintf(drops, sizeof drops,
             "%d values dropped (%d NaN/out of range, %d going back in time, %d past the cap)",
             dropped, t->dropped_bad_value, t->dropped_backwards, t->dropped_over_cap);
    if (!t->degraded) {
        t->degraded = true;
        snprintf(t->reason, sizeof t->reason, "%s", drops);
    } else {
        size_t used = strlen(t->reason);
        if (used + 3 < sizeof t->reason)
            snprintf(t->reason + used, sizeof t->reason - used, "; %s", drops);
    }
}

dc_error_class dc_telemetry_read(const char *video_path, dc_deadline dl, dc_telemetry *out,
                                 dc_status *st) {
    memset(out, 0, sizeof *out);
    tm_ctx ctx = {.video_path = video_path, .file = {.fd = -1, .path = video_path}};
    ctx.sink = (tm_sink){.out = out, .dl = dl};
    dc_error_class rc = DC_OK;
    ctx.file.fd = open(video_path, O_RDONLY | O_CLOEXEC);
    if (ctx.file.fd < 0) {
        rc = dc_fail(st, DC_ERR_INPUT, "%s: cannot open: %s", video_path, strerror(errno));
        goto done;
    }
    struct stat sb;
    if (fstat(ctx.file.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = dc_fail(st, DC_ERR_INPUT, "%s: not a regular file", video_path);
        goto done;
    }
    ctx.file.size = (uint64_t)sb.st_size;
    bool oom = false;
    ctx.mp4 = tm_mp4_open(&ctx.file, &ctx.sink, &oom);
    if (oom) ctx.sink.oom = true;
    for (int i = 0; i < N_FORMATS && !ctx.sink.stopped; i++) {
        if (!formats[i].detect(&ctx)) continue;
        out->source = formats[i].name;
        formats[i].read(&ctx);
        break;
    }
    if (ctx.sink.oom) {
        dc_telemetry_free(out);
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory reading telemetry", video_path);
        goto done;
    }
    note_drops(out);
    if (out->degraded && st) dc_degrade(st, "telemetry: %s", out->reason);
done:
    tm_mp4_free(ctx.mp4);
    if (ctx.file.fd >= 0) close(ctx.file.fd);
    return rc;
}
