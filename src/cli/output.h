/* Output folders of the commands (results themselves are written with dc_file_write_atomic,
 * dashclaim/files.h). */
#ifndef DASHCLAIM_CLI_OUTPUT_H
#define DASHCLAIM_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "dashclaim/status.h"

/* Creates a directory and its parents (like mkdir -p). */
dc_error_class cli_mkdir_p(const char *path, dc_status *st);
bool cli_is_directory(const char *path);

#endif
