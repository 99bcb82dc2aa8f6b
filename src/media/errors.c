/* Error statuses of the media module: every message names the file and the problem. */
#include <libavutil/error.h>

#include "media_internal.h"

dc_error_class media_fail_timeout(dc_media *m, dc_status *st, const char *what) {
    return dc_fail(st, DC_ERR_TIMEOUT, "%s: deadline passed while %s", m->path, what);
}

dc_error_class media_fail_nomem(dc_media *m, dc_status *st) {
    return dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", m->path);
}

dc_error_class media_fail_av(dc_media *m, dc_status *st, int averr, const char *what) {
    if (m->interrupted || averr == AVERROR_EXIT || media_deadline_hit(m))
        return media_fail_timeout(m, st, what);
    if (averr == AVERROR(ENOMEM)) return media_fail_nomem(m, st);
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(averr, buf, sizeof buf);
    return dc_fail(st, DC_ERR_INPUT, "%s: %s failed: %s", m->path, what, buf);
}
