/* What every telemetry harness checks after a read, whatever the bytes: the lists are within
 * their caps and in time order, and every value kept is one telemetry.h promises (finite, on
 * the globe, at most 400 km/h, at most 100 g, at most 100 rad/s); a degraded result says why. */
#ifndef DC_FUZZ_TELEMETRY_H
#define DC_FUZZ_TELEMETRY_H

#include <math.h>
#include <stdlib.h>

#include "dashclaim/telemetry.h"

static inline void fuzz_telemetry_check(const dc_telemetry *t) {
    if (t->gps_count < 0 || t->gps_count > DC_TELEMETRY_MAX_FIXES || t->accel_count < 0 ||
        t->accel_count > DC_TELEMETRY_MAX_SAMPLES || t->gyro_count < 0 ||
        t->gyro_count > DC_TELEMETRY_MAX_SAMPLES || (t->degraded && !t->reason[0]))
        abort();
    for (int i = 0; i < t->gps_count; i++) {
        const dc_gps_fix *f = &t->gps[i];
        if (!isfinite(f->t_sec) || f->t_sec < 0 || (i && f->t_sec < t->gps[i - 1].t_sec)) abort();
        if (!isfinite(f->lat) || !isfinite(f->lon) || fabs(f->lat) > 90 || fabs(f->lon) > 180)
            abort();
        if (!(f->speed_kmh == -1 ||
              (f->speed_kmh >= 0 && f->speed_kmh <= DC_TELEMETRY_MAX_SPEED_KMH)))
            abort();
        if (!(f->heading_deg == -1 || (f->heading_deg >= 0 && f->heading_deg < 360))) abort();
    }
    for (int i = 0; i < t->accel_count; i++) {
        const dc_accel_sample *a = &t->accel[i];
        if (!isfinite(a->t_sec) || a->t_sec < 0 || (i && a->t_sec < t->accel[i - 1].t_sec)) abort();
        if (!(fabsf(a->x) <= DC_TELEMETRY_MAX_G && fabsf(a->y) <= DC_TELEMETRY_MAX_G &&
              fabsf(a->z) <= DC_TELEMETRY_MAX_G))
            abort();
    }
    for (int i = 0; i < t->gyro_count; i++) {
        const dc_gyro_sample *g = &t->gyro[i];
        if (!isfinite(g->t_sec) || g->t_sec < 0 || (i && g->t_sec < t->gyro[i - 1].t_sec)) abort();
        if (!(fabsf(g->x) <= DC_TELEMETRY_MAX_RAD_S && fabsf(g->y) <= DC_TELEMETRY_MAX_RAD_S &&
              fabsf(g->z) <= DC_TELEMETRY_MAX_RAD_S))
            abort();
    }
}

#endif
