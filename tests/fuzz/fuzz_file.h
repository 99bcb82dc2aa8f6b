/* The readers under fuzz take a path: each input is written to a file in a private scratch
 * folder (in /dev/shm when there is one, so that no disk is touched) and read back by path. */
#ifndef DC_FUZZ_FILE_H
#define DC_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* <scratch>/<name> holding data[0..size); NULL when it cannot be written (the input is then
 * skipped: a full /dev/shm is not a finding). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size) {
    static char dir[256], path[512];
    if (!dir[0]) {
        struct stat sb;
        const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/dc-fuzz-%d", base, (int)getpid());
        mkdir(dir, 0700);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    size_t n = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || n != size) return NULL;
    return path;
}

#endif
