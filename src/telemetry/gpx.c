/* GPX sidecars NAME.gpx (GPX 1.0/1.1, written by dashcam players and some cameras): each
 * <trkpt lat=".." lon=".."> with its <time> (ISO 8601 UTC, "YYYY-MM-DDThh:mm:ss[.sss]Z") and,
 * where present, a speed in m/s: <speed> (GPX 1.0) or an extension element whose name ends
 * in "speed" (gpxtpx:speed), and <course>. The XML is read by hand, bounded by the sidecar's
 * cap: no DTD, no entity is expanded (a value holding '&' is not a number and is dropped),
 * tags are matched by name only. A trkpt without a readable time is dropped (counted).
 * Times: t = the point's UTC - the first point's UTC. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_more.h"

/* memmem for what is left of [p, end) */
static const char *find(const char *p, const char *end, const char *what) {
    size_t n = strlen(what);
    for (; p && p + n <= end; p++)
        if (*p == what[0] && !memcmp(p, what, n)) return p;
    return NULL;
}

/* A decimal number that fills [p, e) exactly (spaces around allowed) */
static bool number(const char *p, const char *e, double *v) {
    while (p < e && isspace((unsigned char)*p)) p++;
    while (e > p && isspace((unsigned char)e[-1])) e--;
    if (p == e || e - p > 40) return false;
    char buf[48];
    memcpy(buf, p, (size_t)(e - p));
    buf[e - p] = 0;
    for (char *c = buf; *c; c++)
        if (!isdigit((unsigned char)*c) && *c != '.' && *c != '-' && *c != '+' && *c != 'e' &&
            *c != 'E')
            return false;
    char *end;
    *v = strtod(buf, &end);
    return *end == 0;
}

/* attribute name="value" or name='value' inside the tag [p, e) */
static bool attribute(const char *p, const char *e, const char *name, double *v) {
    size_t n = strlen(name);
    for (const char *a = find(p, e, name); a; a = find(a + 1, e, name)) {
        if (a > p && !isspace((unsigned char)a[-1])) continue;
        const char *q = a + n;
        while (q < e && isspace((unsigned char)*q)) q++;
        if (q >= e || *q != '=') continue;
        q++;
        while (q < e && isspace((unsigned char)*q)) q++;
        if (q >= e || (*q != '"' && *q != '\'')) continue;
        const char *close = memchr(q + 1, *q, (size_t)(e - q - 1));
        return close && number(q + 1, close, v);
    }
    return false;
}

/* the text of the first element in [p, e) whose name is `name` or ends in ":name" */
static bool element(const char *p, const char *e, const char *name, const char **vs,
                    const char **ve) {
    size_t n = strlen(name);
    for (const char *lt = find(p, e, "<"); lt; lt = find(lt + 1, e, "<")) {
        const char *nm = lt + 1, *gt = find(nm, e, ">");
        if (!gt) return false;
        const char *ne = nm;
        while (ne < gt && !isspace((unsigned char)*ne) && *ne != '/') ne++;
        if ((size_t)(ne - nm) < n || memcmp(ne - n, name, n) != 0) continue;
        if ((size_t)(ne - nm) > n && ne[-(ptrdiff_t)n - 1] != ':') continue;
        if (gt[-1] == '/') return false; /* <speed/> */
        const char *close = find(gt + 1, e, "</");
        if (!close) return false;
        *vs = gt + 1, *ve = close;
        return true;
    }
    return false;
}

static int64_t iso_utc(const char *p, const char *e) {
    while (p < e && isspace((unsigned char)*p)) p++;
    int Y, M, D, h, m, used = 0;
    double sec;
    char buf[40];
    size_t n = (size_t)(e - p) < sizeof buf - 1 ? (size_t)(e - p) : sizeof buf - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%lf%n", &Y, &M, &D, &h, &m, &sec, &used) != 6)
        return DC_TELEMETRY_NO_UTC;
    const char *z = buf + used;
    if (*z != 'Z' && *z && !isspace((unsigned char)*z)) return DC_TELEMETRY_NO_UTC;
    return tm_utc_ms(Y, M, D, h, m, sec);
}

void tm_gpx_text(tm_sink *s, tm_bytes text) {
    const char *p = (const char *)text.p, *end = p + text.n;
    int64_t first = DC_TELEMETRY_NO_UTC;
    int no_time = 0;
    for (const char *at = find(p, end, "<trkpt"); at && !tm_out_of_time(s);
         at = find(at + 1, end, "<trkpt")) {
        const char *gt = find(at, end, ">");
        if (!gt) break;
        const char *close = find(gt, end, "</trkpt>");
        const char *body_end = close ? close : end;
        double lat = NAN, lon = NAN, v;
        bool has_lat = attribute(at + 6, gt, "lat", &lat),
             has_lon = attribute(at + 6, gt, "lon", &lon);
        const char *vs, *ve;
        int64_t utc =
            element(gt, body_end, "time", &vs, &ve) ? iso_utc(vs, ve) : DC_TELEMETRY_NO_UTC;
        if (utc == DC_TELEMETRY_NO_UTC) {
            no_time++;
            continue;
        }
        if (first == DC_TELEMETRY_NO_UTC) first = utc;
        dc_gps_fix f = {.t_sec = (double)(utc - first) / 1000.0,
                        .utc_ms = utc,
                        .valid = true,
                        .lat = has_lat ? lat : NAN,
                        .lon = has_lon ? lon : NAN,
                        .speed_kmh = -1,
                        .heading_deg = -1};
        if (element(gt, body_end, "speed", &vs, &ve))
            f.speed_kmh = number(vs, ve, &v) ? v * 3.6 : NAN;
        if (element(gt, body_end, "course", &vs, &ve) && number(vs, ve, &v)) f.heading_deg = v;
        tm_add_fix(s, f);
    }
    if (no_time) tm_damage(s, "GPX: %d track points without a readable time", no_time);
}

bool tm_gpx_detect(tm_ctx *ctx) {
    return tm_find_sidecar(ctx, ".gpx") || tm_find_sidecar(ctx, ".GPX");
}

void tm_gpx_read(tm_ctx *ctx) {
    size_t len = 0;
    uint8_t *text = tm_read_sidecar(&ctx->sink, ctx->side, &len);
    if (!text) return;
    tm_set_variant(&ctx->sink, "sidecar");
    tm_gpx_text(&ctx->sink, (tm_bytes){text, len});
    free(text);
}
