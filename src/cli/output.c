#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

bool cli_is_directory(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

dc_error_class cli_mkdir_p(const char *path, dc_status *st) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return dc_fail(st, DC_ERR_INPUT, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char saved = *p;
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return dc_fail(st, DC_ERR_RESOURCE, "%s: cannot create directory: %s", buf,
                               strerror(errno));
            *p = saved;
            if (!saved) break;
        }
    }
    if (!cli_is_directory(path)) return dc_fail(st, DC_ERR_RESOURCE, "%s: not a directory", path);
    return DC_OK;
}
