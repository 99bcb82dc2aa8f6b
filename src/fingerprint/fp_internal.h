/* Private to src/fingerprint: its files are
 *   fp_hash.c    one picture -> hash, mirrored hash, quality
 *   fp_sample.c  thumbnails -> one hash per second (the fingerprint), free
 *   fp_match.c   Hamming distance, runs of matching seconds at one offset
 *   fp_blob.c    the stored byte form and its checked parser
 *   fp_keys.c    band keys for the store's index */
#ifndef DC_FP_INTERNAL_H
#define DC_FP_INTERNAL_H

#include "dashclaim/fingerprint.h"

/* The picture's part inside letterbox/pillarbox bars: [x0, x1) x [y0, y1). */
typedef struct {
    int x0, x1, y0, y1;
} fp_rect;

/* fp_hash.c: one picture's dark uniform bars, each side on its own; then the rule that keeps
 * only symmetric bars (both sides the smaller trim where they differ by more than one). */
void fp_find_bars(const uint8_t *g, int w, int h, int stride, fp_rect *r);
void fp_symmetric_bars(fp_rect *r, int w, int h);
/* The hash, mirrored hash, quality and (views) the centre views of the picture's part r. */
void fp_hash_in(const uint8_t *gray, int width, int height, int stride, const fp_rect *r,
                bool views, dc_fp_second *out, int *quality);

/* CRC-32 (IEEE, reflected 0xEDB88320) of n bytes. */
uint32_t fp_crc32(const uint8_t *p, size_t n);

#endif
