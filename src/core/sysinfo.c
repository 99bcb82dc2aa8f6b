#include "dashclaim/sysinfo.h"

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

/* dc_sha256_file: file_hash.c (OpenSSL EVP, optionally on its own thread). */
