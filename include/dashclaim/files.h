/* Files and paths: putting a result on disk whole, reading one back, naming a file.
 *
 * Errors: functions that can fail return a dc_error_class and fill *st (which may be NULL)
 * with a message that names the path and the step that failed (create, write, sync, rename).
 * Ownership: pointers returned by dc_path_base point into the caller's string; dc_file_read
 * returns memory the caller frees. */
#ifndef DASHCLAIM_FILES_H
#define DASHCLAIM_FILES_H

#include <stddef.h>

#include "dashclaim/status.h"

/* Puts data[0..len) at path so that a reader - another process, or this one after a crash
 * or power loss - finds either the old file or the whole new one, never a part: writes a
 * temporary file in the same folder, fsyncs it, closes it, renames it over path and fsyncs
 * the folder. The new file gets mode 0644 less the umask.
 * DC_ERR_INPUT for an empty path; DC_ERR_RESOURCE for any failing step (folder missing, disk
 * full, I/O error, path is a folder). On failure the temporary file is removed, no descriptor
 * stays open and path is as it was - except a failure to sync the folder after the rename,
 * which leaves the new file in place but perhaps not yet durable. Safe from several threads
 * at once (each call has its own temporary name). */
dc_error_class dc_file_write_atomic(const char *path, const void *data, size_t len, dc_status *st);

#ifdef DC_TEST_HOOKS
/* Test builds only: the calling thread's next dc_file_write_atomic fails at `step` with errno
 * `err`, as if the system call had (steps no disk fails on demand: sync, close). */
typedef enum {
    DC_FILE_FAULT_NONE = 0,
    DC_FILE_FAULT_WRITE,
    DC_FILE_FAULT_FSYNC,
    DC_FILE_FAULT_CLOSE,
    DC_FILE_FAULT_RENAME,
    DC_FILE_FAULT_DIR_SYNC,
} dc_file_fault;
void dc_file_test_inject(dc_file_fault step, int err);
#endif

/* Reads the whole file into a NUL-terminated buffer the caller frees; *len (may be NULL)
 * gets its size. NULL on failure with *st filled: DC_ERR_INPUT when the file cannot be
 * opened or read, DC_ERR_RESOURCE when out of memory. */
char *dc_file_read(const char *path, size_t *len, dc_status *st);

/* The file name of a path: what follows the last '/' ("clip.mp4" for "in/clip.mp4", the
 * whole path when it has no '/', "" when it ends in '/'; "" for NULL). Points into path. */
const char *dc_path_base(const char *path);

#endif
