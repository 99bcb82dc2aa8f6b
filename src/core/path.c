/* Naming files: one base-name rule for every module (see dashclaim/files.h). */
#include <string.h>

#include "dashclaim/files.h"

const char *dc_path_base(const char *path) {
    if (!path) return "";
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
