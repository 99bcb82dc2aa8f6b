/* Writing results so that a reader never sees half a file: write to a temporary name in the
 * same directory, flush, rename into place. */
#ifndef DASHCLAIM_CLI_OUTPUT_H
#define DASHCLAIM_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "dashclaim/status.h"

dc_error_class cli_write_file_atomic(const char *path, const char *data, size_t len, dc_status *st);
/* Creates a directory and its parents (like mkdir -p). */
dc_error_class cli_mkdir_p(const char *path, dc_status *st);
bool cli_is_directory(const char *path);
/* Reads a whole file (NUL-terminated; *len may be NULL). Caller frees. NULL on error. */
char *cli_read_file(const char *path, size_t *len);

#endif
