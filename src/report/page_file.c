/* Putting a finished page on disk: temporary file in the same directory, then rename, so a
 * reader (or a browser refreshing the index of a running batch) never sees half a page. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_internal.h"

static dc_error_class write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return DC_ERR_RESOURCE;
        }
        data += n;
        len -= (size_t)n;
    }
    return DC_OK;
}

dc_error_class report_page_write_file(const report_page *p, const char *path, dc_status *st) {
    if (!path || !*path) return dc_fail(st, DC_ERR_INPUT, "report: no output path given");
    if (p->failed || !p->data)
        return dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory while building the page", path);

    size_t tmp_size = strlen(path) + 32;
    char *tmp = malloc(tmp_size);
    if (!tmp) return dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", path);
    snprintf(tmp, tmp_size, "%s.tmp.%ld", path, (long)getpid());

    dc_error_class rc = DC_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot create the page (temporary file %s): %s",
                     path, tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    int err = 0;
    if (write_all(fd, p->data, p->len) != DC_OK || fsync(fd) != 0) err = errno;
    if (close(fd) != 0 && !err) err = errno;
    if (err) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot write the page (temporary file %s): %s",
                     path, tmp, strerror(err));
    } else if (rename(tmp, path) != 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot move %s into place: %s", path, tmp,
                     strerror(errno));
    }
    if (rc != DC_OK) unlink(tmp);
    free(tmp);
    return rc;
}
