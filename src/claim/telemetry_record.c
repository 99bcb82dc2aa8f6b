/* The record's "telemetry" and "speed_source", and the place and time helpers the rules use
 * to hold the claimant's word against the video's GPS.
 *
 * "telemetry" is null for a video without telemetry (and for a record written before the
 * field existed: reading one leaves the summary "none"), otherwise
 *   {"source", "variant", "device", "gps_fixes", "valid_fixes", "accel_samples",
 *    "incident_sec", "speed_before_kmh", "speed_after_kmh", "speed_max_before_kmh", "brake_g",
 *    "peak_g", "peak_sec",
 *    "position": {"lat", "lon"} | null, "utc": "2026-03-14T09:26:56.000Z" | null}
 * with null for every number that was not measured. Written by hand, not by the table's
 * entries: a latitude may be negative, which R_NUMBER_OR_NULL would write as null. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashclaim/calendar.h"
#include "claim_internal.h"

/* ---- UTC and places ------------------------------------------------------------------- */

void dc_utc_format(int64_t utc_ms, char out[32]) {
    out[0] = 0;
    if (utc_ms == DC_NO_UTC) return;
    int64_t sec = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
    int ms = (int)(utc_ms - sec * 1000);
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return;
    char buf[96]; /* a year past 9999 does not fit 32: such a time is not written */
    int n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    if (n > 0 && n < 32) memcpy(out, buf, (size_t)n + 1);
}

bool dc_utc_parse(const char *text, int64_t *utc_ms, bool *date_only) {
    if (!text) return false;
    while (isspace((unsigned char)*text)) text++;
    int y, mo, d, h = 0, mi = 0, n = 0;
    double s = 0;
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return false;
    const char *p = text + n;
    bool has_time = (*p == 'T' || *p == ' ') && isdigit((unsigned char)p[1]);
    if (has_time) {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d:%lf%n", &h, &mi, &s, &k) != 3) {
            if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2) return false;
            s = 0;
        }
        p += 1 + k;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (has_time && (*p == '+' || *p == '-')) {
        int oh, om, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || oh > 14 || om > 59) return false;
        offset_min = (*p == '-' ? -1 : 1) * (oh * 60 + om);
        p += 1 + k;
    }
    while (isspace((unsigned char)*p)) p++;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || !(s >= 0 && s < 61))
        return false;
    int64_t secs = dc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 - offset_min * 60;
    *utc_ms = secs * 1000 + (int64_t)llround(s * 1000);
    if (date_only) *date_only = !has_time;
    return true;
}

bool dc_place_parse(const char *text, double *lat, double *lon) {
    if (!text) return false;
    char *end;
    double a = strtod(text, &end);
    if (end == text) return false;
    while (isspace((unsigned char)*end)) end++;
    if (*end == ',' || *end == ';') end++;
    const char *second = end;
    double b = strtod(second, &end);
    if (end == second) return false;
    while (isspace((unsigned char)*end)) end++;
    if (*end || !isfinite(a) || !isfinite(b) || fabs(a) > 90 || fabs(b) > 180) return false;
    *lat = a;
    *lon = b;
    return true;
}

double dc_distance_km(double lat1, double lon1, double lat2, double lon2) {
    const double r = 6371.0088, rad = M_PI / 180;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

/* ---- the record's entries ------------------------------------------------------------- */

static bool put(json_t *obj, const char *name, json_t *v) {
    return v && json_object_set_new(obj, name, v) == 0;
}

/* a measured number (>= 0), or null */
static json_t *measured(double v) { return isfinite(v) && v >= 0 ? json_real(v) : json_null(); }

bool claim_write_telemetry(json_t *obj, const char *name, const void *base) {
    const dc_telemetry_summary *t = &((const dc_assessment *)base)->telemetry;
    if (!t->source[0]) return put(obj, name, json_null());
    json_t *o = json_object();
    if (!put(obj, name, o)) return false;
    char utc[32];
    dc_utc_format(t->utc_ms, utc);
    json_t *pos = json_null();
    if (t->has_position) {
        pos = json_object();
        if (!put(pos, "lat", json_real(t->lat)) || !put(pos, "lon", json_real(t->lon))) {
            json_decref(pos);
            return false;
        }
    }
    return put(o, "source", claim_json_text(t->source)) &&
           put(o, "variant", t->variant[0] ? claim_json_text(t->variant) : json_null()) &&
           put(o, "device", t->device[0] ? claim_json_text(t->device) : json_null()) &&
           put(o, "gps_fixes", json_integer(t->fix_count)) &&
           put(o, "valid_fixes", json_integer(t->valid_fix_count)) &&
           put(o, "accel_samples", json_integer(t->accel_count)) &&
           put(o, "incident_sec", measured(t->incident_sec)) &&
           put(o, "speed_before_kmh", measured(t->speed_before_kmh)) &&
           put(o, "speed_after_kmh", measured(t->speed_after_kmh)) &&
           put(o, "speed_max_before_kmh", measured(t->speed_max_before_kmh)) &&
           put(o, "brake_g", measured(t->brake_g)) && put(o, "peak_g", measured(t->peak_g)) &&
           put(o, "peak_sec", measured(t->peak_sec)) && put(o, "position", pos) &&
           put(o, "utc", utc[0] ? json_string(utc) : json_null());
}

static double number_or(const json_t *o, const char *key, double none) {
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) && isfinite(json_number_value(v)) ? json_number_value(v) : none;
}

static int count_of(const json_t *o, const char *key) {
    double v = number_or(o, key, 0);
    return v > 0 && v < 1e9 ? (int)v : 0;
}

static void text_of(const json_t *o, const char *key, char *dst, size_t cap) {
    const char *s = json_string_value(json_object_get(o, key));
    dst[0] = 0;
    if (s) claim_copy_utf8(dst, cap, s);
}

void claim_read_telemetry(const json_t *obj, const char *name, void *base) {
    dc_telemetry_summary *t = &((dc_assessment *)base)->telemetry;
    const json_t *o = json_object_get(obj, name);
    if (!json_is_object(o))
        return; /* null or an older record: none, as dc_assessment_init left it */
    text_of(o, "source", t->source, sizeof t->source);
    text_of(o, "variant", t->variant, sizeof t->variant);
    text_of(o, "device", t->device, sizeof t->device);
    t->fix_count = count_of(o, "gps_fixes");
    t->valid_fix_count = count_of(o, "valid_fixes");
    t->accel_count = count_of(o, "accel_samples");
    t->incident_sec = number_or(o, "incident_sec", -1);
    t->speed_before_kmh = number_or(o, "speed_before_kmh", -1);
    t->speed_after_kmh = number_or(o, "speed_after_kmh", -1);
    t->speed_max_before_kmh = number_or(o, "speed_max_before_kmh", -1);
    t->brake_g = number_or(o, "brake_g", -1);
    t->peak_g = number_or(o, "peak_g", -1);
    t->peak_sec = number_or(o, "peak_sec", -1);
    const json_t *pos = json_object_get(o, "position");
    double lat = number_or(pos, "lat", NAN), lon = number_or(pos, "lon", NAN);
    t->has_position = json_is_object(pos) && fabs(lat) <= 90 && fabs(lon) <= 180;
    t->lat = t->has_position ? lat : 0;
    t->lon = t->has_position ? lon : 0;
    int64_t ms;
    t->utc_ms =
        dc_utc_parse(json_string_value(json_object_get(o, "utc")), &ms, NULL) ? ms : DC_NO_UTC;
}

/* "telemetry" when the pipeline took the speed from the file, else what the model's readout
 * says: "on-screen" when it read one, "none" when not. */
static const char *speed_source(const dc_assessment *a) {
    if (a->speed_source[0]) return a->speed_source;
    return a->facts.speed_kmh >= 0 ? "on-screen" : "none";
}

bool claim_write_speed_source(json_t *obj, const char *name, const void *base) {
    return put(obj, name, json_string(speed_source(base)));
}

void claim_read_speed_source(const json_t *obj, const char *name, void *base) {
    dc_assessment *a = base;
    const char *s = json_string_value(json_object_get(obj, name));
    a->speed_source[0] = 0;
    if (s && (!strcmp(s, "telemetry") || !strcmp(s, "on-screen") || !strcmp(s, "none")))
        snprintf(a->speed_source, sizeof a->speed_source, "%s", s);
}
