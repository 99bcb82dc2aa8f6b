/* Putting a finished page on disk, whole (see report_internal.h). */
#include "dashclaim/files.h"
#include "report_internal.h"

dc_error_class report_page_write_file(const dc_str *p, const char *path, dc_status *st) {
    if (!path || !*path) return dc_fail(st, DC_ERR_INPUT, "report: no output path given");
    if (p->failed || !p->data)
        return dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory while building the page", path);
    return dc_file_write_atomic(path, p->data, p->len, st);
}
