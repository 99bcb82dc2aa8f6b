/* Memory for output frames. A model-size RGB frame is about a megabyte of memory touched for
 * the first time; in 4 KiB pages that is hundreds of page faults a frame, which on virtual
 * machines costs as much as decoding the frame. Large frames therefore get 2 MiB-aligned
 * memory marked for transparent huge pages: one fault instead of hundreds. The buffer is an
 * ordinary heap block to free(). */
#include <stdlib.h>
#include <sys/mman.h>

#include "media_internal.h"

enum { HUGE_PAGE = 2 << 20, SMALL_FRAME = 512 << 10 };

uint8_t *media_alloc_pixels(size_t size) {
    /* swscale's SIMD writers store whole vectors and can run past the last pixel of the last
     * row (seen with 840-wide RGB24: glibc heap corruption). */
    size += MEDIA_PIXEL_SLACK;
    if (size < SMALL_FRAME) return malloc(size);
    size_t rounded = (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded) != 0) return malloc(size);
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE); /* advice only: fine if the kernel says no */
#endif
    return p;
}
