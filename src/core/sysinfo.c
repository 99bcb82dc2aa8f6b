#include "dashclaim/sysinfo.h"

#include <libavutil/mem.h>
#include <libavutil/sha.h>
#include <stdio.h>
#include <unistd.h>

uint64_t dc_rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2) return 0;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* SHA-256 from libavutil, which the media layer links anyway: no extra dependency. */
int dc_sha256_file(const char *path, char out[65]) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    struct AVSHA *sha = av_sha_alloc();
    if (!sha || av_sha_init(sha, 256) < 0) {
        av_free(sha);
        fclose(f);
        return -1;
    }
    static _Thread_local unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) av_sha_update(sha, buf, n);
    int err = ferror(f);
    fclose(f);
    unsigned char digest[32];
    av_sha_final(sha, digest);
    av_free(sha);
    if (err) return -1;
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
    return 0;
}
