/* NMEA 0183 text: plain sidecars (.nmea, with "$GSENSOR,x,y,z" lines of acceleration in g
 * where the camera writes them, at the time of the fix they follow) and BlackVue's .gps, whose lines start with the
 * camera's epoch milliseconds in brackets ("[1597243845123]$GPRMC,...").
 *
 * A sentence counts only with its checksum: '$', the body, '*', two hex digits of the XOR of
 * the body's bytes. RMC gives time, date, status, position, speed (knots) and course; GGA
 * gives time, position and fix quality. Sentences with the same time of day make one fix (RMC
 * wins where both say something). Other sentences are skipped.
 *
 * Video time: with [ms] prefixes, the line's ms less the first line's; without, the time of
 * day less the first sentence's (a time of day more than 12 h before the previous one is the
 * next day; any other step back is time going backwards, which the sink drops). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_internal.h"

#define KNOTS_TO_KMH 1.852
#define MAX_FIELDS 24

typedef struct {
    bool open;  /* a fix is being gathered */
    double tod; /* its time of day, seconds */
    double t_sec;
    bool has_rmc, has_gga;
    int year, month, day;
    bool valid;
    double lat, lon, speed_kmh, heading;
} pending;

typedef struct {
    tm_sink *s;
    bool have_first;
    bool by_ms; /* the first line had a [ms] prefix */
    int64_t first_ms, last_ms;
    double first_tod, last_tod;
    int wraps;                  /* midnights passed */
    int date_y, date_m, date_d; /* the last RMC's date, 0 when none */
    double date_tod;
    pending fix;
    int bad_checksum, bad_sentence;
} nmea_state;

/* A field that is a decimal number (digits, one '.', a leading '-'); NaN otherwise, "" = absent. */
static double number(const char *f, bool *present) {
    *present = f[0] != 0;
    if (!*present) return NAN;
    const char *p = f;
    if (*p == '-') p++;
    int dots = 0, digits = 0;
    for (; *p; p++) {
        if (*p == '.') dots++;
        else if (isdigit((unsigned char)*p)) digits++;
        else return NAN;
    }
    if (dots > 1 || !digits) return NAN;
    return strtod(f, NULL);
}

/* "hhmmss.sss" -> seconds of day; -1 when malformed */
static double time_of_day(const char *f) {
    if (strlen(f) < 6) return -1;
    for (int i = 0; i < 6; i++)
        if (!isdigit((unsigned char)f[i])) return -1;
    bool present;
    double frac = f[6] == '.' ? number(f + 6, &present) : (f[6] ? NAN : 0);
    if (!(frac >= 0 && frac < 1)) return -1;
    int h = (f[0] - '0') * 10 + f[1] - '0', m = (f[2] - '0') * 10 + f[3] - '0',
        s = (f[4] - '0') * 10 + f[5] - '0';
    if (h > 23 || m > 59 || s > 60) return -1;
    return h * 3600 + m * 60 + s + frac;
}

/* "ddmm.mmmm" + hemisphere -> degrees; NaN when malformed (the sink drops it) */
static double coordinate(const char *v, const char *hemi, char pos, char neg) {
    bool present;
    double x = number(v, &present);
    if (!present || !(x >= 0) || (hemi[0] != pos && hemi[0] != neg) || hemi[1]) return NAN;
    double deg = floor(x / 100);
    double d = deg + (x - deg * 100) / 60;
    return hemi[0] == neg ? -d : d;
}

static void flush(nmea_state *st) {
    pending *p = &st->fix;
    if (!p->open) return;
    p->open = false;
    dc_gps_fix f = {.t_sec = p->t_sec,
                    .utc_ms = DC_TELEMETRY_NO_UTC,
                    .valid = p->valid,
                    .lat = p->lat,
                    .lon = p->lon,
                    .speed_kmh = p->speed_kmh,
                    .heading_deg = p->heading};
    int h = (int)(p->tod / 3600), m = (int)(fmod(p->tod, 3600) / 60);
    double sec = fmod(p->tod, 60);
    if (p->year) f.utc_ms = tm_utc_ms(p->year, p->month, p->day, h, m, sec);
    tm_add_fix(st->s, f);
}

/* Starts or continues the fix at time of day tod (line's [ms] is ms, -1 when none). */
static pending *fix_at(nmea_state *st, double tod, int64_t ms) {
    if (st->fix.open && st->fix.tod == tod) return &st->fix;
    flush(st);
    if (st->have_first && tod < st->last_tod - 43200) st->wraps++;
    if (!st->have_first) {
        st->have_first = true;
        st->first_tod = tod;
    }
    st->last_tod = tod;
    pending *p = &st->fix;
    memset(p, 0, sizeof *p);
    p->open = true;
    p->tod = tod;
    p->speed_kmh = p->heading = -1;
    if (st->by_ms && ms >= 0) p->t_sec = (double)(ms - st->first_ms) / 1000.0;
    else p->t_sec = tod + 86400.0 * st->wraps - st->first_tod;
    /* a GGA-only fix takes the last RMC's date while the day has not turned */
    if (st->date_y && tod >= st->date_tod)
        p->year = st->date_y, p->month = st->date_m, p->day = st->date_d;
    return p;
}

/* "$GSENSOR,x,y,z*HH": acceleration in g at the time of the fix being gathered (the line
 * after a fix's sentences belongs to it), or of the last one kept; 0 before any */
static void gsensor(nmea_state *st, char **fields, int n) {
    bool px, py, pz;
    double x = n >= 4 ? number(fields[1], &px) : NAN, y = n >= 4 ? number(fields[2], &py) : NAN,
           z = n >= 4 ? number(fields[3], &pz) : NAN;
    if (n < 4) {
        st->bad_sentence++;
        return;
    }
    dc_telemetry *t = st->s->out;
    double at = st->fix.open ? st->fix.t_sec : t->gps_count ? t->gps[t->gps_count - 1].t_sec : 0;
    tm_add_accel(st->s, at, x, y, z);
}

static void sentence(nmea_state *st, char *body, int64_t ms) {
    char *fields[MAX_FIELDS];
    int n = 0;
    for (char *f = body; n < MAX_FIELDS;) {
        fields[n++] = f;
        char *comma = strchr(f, ',');
        if (!comma) break;
        *comma = 0;
        f = comma + 1;
    }
    const char *id = fields[0];
    if (!strcmp(id, "GSENSOR")) {
        gsensor(st, fields, n);
        return;
    }
    if (strlen(id) != 5) return;
    bool rmc = !strcmp(id + 2, "RMC"), gga = !strcmp(id + 2, "GGA");
    if (!rmc && !gga) return;
    if ((rmc && n < 10) || (gga && n < 7)) {
        st->bad_sentence++;
        return;
    }
    double tod = time_of_day(fields[1]);
    if (tod < 0) {
        st->bad_sentence++;
        return;
    }
    pending *p = fix_at(st, tod, ms);
    bool present;
    if (rmc) {
        /* 1 time, 2 status, 3-4 lat, 5-6 lon, 7 knots, 8 course, 9 date ddmmyy */
        const char *date = fields[9];
        if (strlen(date) == 6) {
            int d = atoi((char[]){date[0], date[1], 0}), m = atoi((char[]){date[2], date[3], 0}),
                y = 2000 + atoi((char[]){date[4], date[5], 0});
            if (tm_utc_ms(y, m, d, 0, 0, 0) != DC_TELEMETRY_NO_UTC) {
                p->year = st->date_y = y, p->month = st->date_m = m, p->day = st->date_d = d;
                st->date_tod = tod;
            }
        }
        p->has_rmc = true;
        p->valid = fields[2][0] == 'A';
        if (p->valid) {
            p->lat = coordinate(fields[3], fields[4], 'N', 'S');
            p->lon = coordinate(fields[5], fields[6], 'E', 'W');
            double knots = number(fields[7], &present);
            p->speed_kmh = present ? knots * KNOTS_TO_KMH : -1;
            double course = number(fields[8], &present);
            p->heading = present ? course : -1;
        }
    } else if (!p->has_rmc) {
        /* 1 time, 2-3 lat, 4-5 lon, 6 quality */
        p->has_gga = true;
        p->valid = atoi(fields[6]) > 0;
        if (p->valid) {
            p->lat = coordinate(fields[2], fields[3], 'N', 'S');
            p->lon = coordinate(fields[4], fields[5], 'E', 'W');
        }
    }
}

static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)toupper((unsigned char)c);
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void line(nmea_state *st, char *text) {
    int64_t ms = -1;
    char *p = text;
    if (*p == '[') {
        char *end;
        long long v = strtoll(p + 1, &end, 10);
        if (*end == ']' && end > p + 1 && v >= 0) {
            ms = v;
            p = end + 1;
        }
    }
    if (ms >= 0 && !st->by_ms && !st->have_first) {
        st->by_ms = true;
        st->first_ms = ms;
    }
    /* a line without its prefix in a prefixed log is at the last prefix seen */
    if (st->by_ms) ms = ms >= 0 ? (st->last_ms = ms) : st->last_ms;
    char *dollar = strchr(p, '$');
    if (!dollar) return;
    char *star = strchr(dollar, '*');
    int hi = star ? hex(star[1]) : -1, lo = hi >= 0 ? hex(star[2]) : -1;
    if (hi < 0 || lo < 0) {
        st->bad_checksum++;
        return;
    }
    unsigned sum = 0;
    for (char *c = dollar + 1; c < star; c++) sum ^= (unsigned char)*c;
    if (sum != ((unsigned)hi << 4 | (unsigned)lo)) {
        st->bad_checksum++;
        return;
    }
    *star = 0;
    sentence(st, dollar + 1, ms);
}

void tm_nmea_text(tm_sink *s, tm_bytes text) {
    nmea_state st = {.s = s};
    char buf[512];
    size_t i = 0;
    while (i < text.n && !tm_out_of_time(s)) {
        size_t end = i;
        while (end < text.n && text.p[end] != '\n' && text.p[end] != '\r') end++;
        size_t len = end - i;
        if (len > 0 && len < sizeof buf) {
            memcpy(buf, text.p + i, len);
            buf[len] = 0;
            /* a NUL inside a line ends it: what follows is not text */
            line(&st, buf);
        } else if (len >= sizeof buf) {
            st.bad_sentence++;
        }
        i = end + 1;
    }
    flush(&st);
    if (st.bad_checksum || st.bad_sentence)
        tm_damage(s, "NMEA: %d sentences with a missing or wrong checksum, %d malformed",
                  st.bad_checksum, st.bad_sentence);
}

bool tm_nmea_detect(tm_ctx *ctx) {
    return tm_find_sidecar(ctx, ".nmea") || tm_find_sidecar(ctx, ".NMEA");
}

void tm_nmea_read(tm_ctx *ctx) {
    size_t len = 0;
    uint8_t *text = tm_read_sidecar(&ctx->sink, ctx->side, &len);
    if (!text) return;
    tm_set_variant(&ctx->sink, "sidecar");
    tm_nmea_text(&ctx->sink, (tm_bytes){text, len});
    free(text);
}
