/* Places for X-REPEAT-LOCATION (include/dashclaim/footage_store.h): each claim's incident place
 * and time, and the other claims near a place within 24 hours. Written once for both backends:
 * a backend reads one (UTC day, latitude) range of its index per day the window touches; the
 * great-circle distance, the time window and the order are decided here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_footage_internal.h"

#define MS_PER_DAY 86400000LL
#define MS_PER_HOUR 3600000.0
#define EARTH_RADIUS_M 6371008.8 /* mean radius (IUGG) */
#define PI 3.14159265358979323846

int64_t fp_place_day(int64_t utc_ms) {
    int64_t d = utc_ms / MS_PER_DAY;
    return (utc_ms % MS_PER_DAY < 0) ? d - 1 : d; /* floor, also before 1970 */
}

static bool valid_place(const dc_footage_place *p) {
    return p && isfinite(p->lat) && isfinite(p->lon) && p->lat >= -90 && p->lat <= 90 &&
           p->lon >= -180 && p->lon <= 180;
}

static double radians(double deg) { return deg * PI / 180.0; }

/* Haversine: stable for the short distances this is for (metres apart). */
static double distance_m(double lat1, double lon1, double lat2, double lon2) {
    double dlat = radians(lat2 - lat1), dlon = radians(lon2 - lon1);
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) * sin(dlon / 2);
    if (a > 1) a = 1;
    return 2 * EARTH_RADIUS_M * asin(sqrt(a));
}

dc_error_class dc_footage_db_put_place(dc_footage_db *db, const char *claim_id,
                                       const dc_footage_place *p, dc_status *st) {
    if (!db || !claim_id || !claim_id[0] || strlen(claim_id) > 127)
        return dc_fail(st, DC_ERR_INPUT, "footage index: a place needs a claim id (1..127 bytes)");
    if (!valid_place(p))
        return dc_fail(st, DC_ERR_INPUT,
                       "footage index: a place needs a latitude in -90..90 and a longitude in "
                       "-180..180 degrees");
    void *self;
    const fp_backend *ops = fp_db_ops(db, &self);
    return ops->put_place(self, claim_id, fp_place_day(p->utc_ms), p, st);
}

typedef struct {
    const char *exclude;
    const dc_footage_place *at;
    double radius_m;
    dc_footage_near *rows;
    int count, cap;
} near_ctx;

static bool near_row(void *arg, const char *claim_id, const dc_footage_place *p, dc_status *st) {
    near_ctx *c = arg;
    if (c->exclude && !strcmp(claim_id, c->exclude)) return true;
    double apart = fabs((double)(p->utc_ms - c->at->utc_ms)) / MS_PER_HOUR;
    if (apart > 24.0) return true;
    double d = distance_m(c->at->lat, c->at->lon, p->lat, p->lon);
    if (d > c->radius_m) return true;
    if (c->count == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        dc_footage_near *r = realloc(c->rows, (size_t)cap * sizeof *r);
        if (!r) {
            dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
            return false;
        }
        c->rows = r;
        c->cap = cap;
    }
    dc_footage_near *n = &c->rows[c->count++];
    snprintf(n->claim_id, sizeof n->claim_id, "%s", claim_id);
    n->distance_m = d;
    n->hours_apart = apart;
    return true;
}

static int near_cmp(const void *a, const void *b) {
    const dc_footage_near *x = a, *y = b;
    if (x->distance_m != y->distance_m) return x->distance_m < y->distance_m ? -1 : 1;
    if (x->hours_apart != y->hours_apart) return x->hours_apart < y->hours_apart ? -1 : 1;
    return strcmp(x->claim_id, y->claim_id);
}

dc_error_class dc_footage_db_near(dc_footage_db *db, const char *exclude_claim_id,
                                  const dc_footage_place *p, double radius_m, dc_footage_near *out,
                                  int max, int *count, dc_status *st) {
    if (count) *count = 0;
    if (!db || !count || max < 0 || (max > 0 && !out) || !(radius_m > 0) ||
        radius_m > DC_FOOTAGE_NEAR_MAX_RADIUS_M)
        return dc_fail(st, DC_ERR_INPUT, "footage index: bad arguments to near (radius 0..%.0f m)",
                       DC_FOOTAGE_NEAR_MAX_RADIUS_M);
    if (!valid_place(p))
        return dc_fail(st, DC_ERR_INPUT, "footage index: the place searched is off the globe");
    /* The latitude strip that holds every point within radius_m: a degree of latitude is at
     * least 110 574 m (at the equator), so this strip is never too narrow. Longitude is not in
     * the index (its degree shrinks towards the poles): the strip's rows are few and the
     * distance below filters them. */
    double dlat = radius_m / 110574.0;
    int64_t day = fp_place_day(p->utc_ms);
    int64_t days[3] = {day - 1, day, day + 1};
    near_ctx c = {.exclude = exclude_claim_id && exclude_claim_id[0] ? exclude_claim_id : NULL,
                  .at = p,
                  .radius_m = radius_m};
    void *self;
    const fp_backend *ops = fp_db_ops(db, &self);
    dc_error_class rc = ops->places(self, days, p->lat - dlat, p->lat + dlat, near_row, &c, st);
    if (rc == DC_OK && c.count > 0) {
        qsort(c.rows, (size_t)c.count, sizeof *c.rows, near_cmp);
        int n = c.count < max ? c.count : max;
        if (n > 0) memcpy(out, c.rows, (size_t)n * sizeof *out);
        *count = n;
    }
    free(c.rows);
    return rc;
}
