/* Reading a whole file into memory (see dashclaim/files.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/files.h"
#include "dashclaim/str.h"

char *dc_file_read(const char *path, size_t *len, dc_status *st) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        dc_fail(st, DC_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    dc_str text = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) dc_str_appendn(&text, buf, n);
    int read_error = ferror(f) ? errno : 0;
    fclose(f);
    size_t size = text.len;
    char *data = dc_str_finish(&text);
    if (read_error) {
        free(data);
        dc_fail(st, DC_ERR_INPUT, "%s: cannot read: %s", path, strerror(read_error));
        return NULL;
    }
    if (!data) {
        dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory reading the file", path);
        return NULL;
    }
    if (len) *len = size;
    return data;
}
