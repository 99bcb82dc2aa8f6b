/* Private to src/fingerprint: its files are
 *   fp_hash.c    one picture -> hash, mirrored hash, quality
 *   fp_sample.c  thumbnails -> one hash per second (the fingerprint), free
 *   fp_match.c   Hamming distance, runs of matching seconds at one offset
 *   fp_blob.c    the stored byte form and its checked parser
 *   fp_keys.c    band keys for the store's index */
#ifndef DC_FP_INTERNAL_H
#define DC_FP_INTERNAL_H

#include "dashclaim/fingerprint.h"

/* CRC-32 (IEEE, reflected 0xEDB88320) of n bytes. */
uint32_t fp_crc32(const uint8_t *p, size_t n);

#endif
