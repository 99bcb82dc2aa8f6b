/* Video time: seconds from the start of the video <-> the video stream's time base. */
#include <math.h>

#include "media_internal.h"

double media_pts_to_sec(const dc_media *m, int64_t pts) {
    AVRational tb = m->fmt->streams[m->video_index]->time_base;
    return (double)(pts - m->origin_pts) * av_q2d(tb);
}

int64_t media_sec_to_pts(const dc_media *m, double sec) {
    AVRational tb = m->fmt->streams[m->video_index]->time_base;
    return m->origin_pts + (int64_t)llround(sec / av_q2d(tb));
}

bool media_resolve_range(const dc_media *m, double start, double end, double *out_start,
                         double *out_end) {
    double duration = m->info.duration_sec;
    if (!(start > 0)) start = 0; /* also catches NaN */
    if (!(end > 0) || (duration > 0 && end > duration)) end = duration;
    *out_start = start;
    *out_end = end;
    return end > start;
}
