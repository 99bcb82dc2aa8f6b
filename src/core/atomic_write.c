/* Putting a result on disk whole: temporary file in the same folder, write, fsync, close,
 * rename, fsync the folder (see dashclaim/files.h). Every error path goes through one exit
 * that closes the descriptor and removes the temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashclaim/files.h"
#include "dashclaim/str.h"

/* Makes temporary names unique between threads; the pid makes them unique between
 * processes. */
static atomic_uint tmp_serial;

#ifdef DC_TEST_HOOKS
static _Thread_local dc_file_fault fault_step;
static _Thread_local int fault_errno;

void dc_file_test_inject(dc_file_fault step, int err) {
    fault_step = step;
    fault_errno = err;
}

/* True (errno set) when the test asked this step to fail; the request is then used up. */
static bool fault(dc_file_fault step) {
    if (fault_step != step) return false;
    fault_step = DC_FILE_FAULT_NONE;
    errno = fault_errno;
    return true;
}
#else
/* The step's name is dropped unread: production builds have no fault table. */
#define fault(step) false
#endif

static bool write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        if (fault(DC_FILE_FAULT_WRITE)) return false;
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Makes the rename durable. A filesystem that cannot sync a folder says EINVAL (or ENOTSUP);
 * there is nothing more to do on it. */
static dc_error_class sync_folder(const char *path, dc_status *st) {
    const char *slash = strrchr(path, '/');
    dc_str dir = {0};
    if (!slash) dc_str_append(&dir, ".");
    else dc_str_appendn(&dir, path, slash == path ? 1 : (size_t)(slash - path));
    dc_error_class rc = DC_OK;
    if (dir.failed) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", path);
        goto out;
    }
    int fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE,
                     "%s: written, but its folder %s cannot be opened to sync: %s", path, dir.data,
                     strerror(errno));
        goto out;
    }
    if ((fault(DC_FILE_FAULT_DIR_SYNC) || fsync(fd) != 0) && errno != EINVAL && errno != ENOTSUP)
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: written, but its folder %s did not sync: %s", path,
                     dir.data, strerror(errno));
    close(fd);
out:
    dc_str_free(&dir);
    return rc;
}

dc_error_class dc_file_write_atomic(const char *path, const void *data, size_t len, dc_status *st) {
    if (!path || !*path) return dc_fail(st, DC_ERR_INPUT, "no output path given");
    dc_error_class rc = DC_OK;
    dc_str tmp = {0};
    int fd = -1;
    bool tmp_exists = false;
    /* O_EXCL: never truncate a file someone else is writing (a name left by a killed
     * process with the same pid is skipped). */
    for (int attempt = 0; attempt < 64 && fd < 0; attempt++) {
        dc_str_reset(&tmp);
        dc_str_appendf(&tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
                       atomic_fetch_add(&tmp_serial, 1));
        if (tmp.failed) {
            rc = dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", path);
            goto out;
        }
        fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot create the temporary file %s: %s", path,
                     tmp.data, strerror(errno));
        goto out;
    }
    tmp_exists = true;
    if (!write_all(fd, data, len)) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot write (temporary file %s): %s", path,
                     tmp.data, strerror(errno));
        goto out;
    }
    if (fault(DC_FILE_FAULT_FSYNC) || fsync(fd) != 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot sync (temporary file %s): %s", path, tmp.data,
                     strerror(errno));
        goto out;
    }
    /* close() releases the descriptor even when it reports an error: never close twice. */
    int closing = fd;
    fd = -1;
    bool close_failed = fault(DC_FILE_FAULT_CLOSE);
    if (close_failed) close(closing);
    else close_failed = close(closing) != 0;
    if (close_failed) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot close (temporary file %s): %s", path,
                     tmp.data, strerror(errno));
        goto out;
    }
    if (fault(DC_FILE_FAULT_RENAME) || rename(tmp.data, path) != 0) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot move %s into place: %s", path, tmp.data,
                     strerror(errno));
        goto out;
    }
    tmp_exists = false;
    rc = sync_folder(path, st);
out:
    if (fd >= 0) close(fd);
    if (tmp_exists) unlink(tmp.data);
    dc_str_free(&tmp);
    return rc;
}
