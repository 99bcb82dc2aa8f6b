#include "dashclaim/sysinfo.h"

#include <stdio.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

uint64_t dc_rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2) return 0;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* glibc keeps freed heap memory for reuse and gives back only the top of the heap, so a process
 * that runs claim after claim (a worker, a batch) keeps the high-water mark of its mixed
 * allocations resident: the soak measured +24 MB over 50 identical claims with the tiny model
 * while the bytes in use stayed at 60 MB. malloc_trim hands every free page back (madvise), a
 * few milliseconds for a claim's hundreds of MB. */
void dc_release_free_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
