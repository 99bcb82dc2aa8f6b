/* Band keys for the store's index (why 32-bit bands: fingerprint.h). Band b takes every 8th
 * bit of the hash from bit b on, so each band mixes low and high frequencies: contiguous
 * bands of the lowest frequencies (road, sky, horizon) are the same in most dashcam
 * footage and would make every video a candidate of every other. */
#include "fp_internal.h"

void dc_fp_band_keys(const dc_fp_hash *h, dc_fp_key keys[DC_FP_BANDS]) {
    for (int b = 0; b < DC_FP_BANDS; b++) {
        uint64_t bits = 0;
        for (int i = 0; i < DC_FP_BAND_BITS; i++) {
            int bit = DC_FP_BANDS * i + b;
            bits |= ((h->w[bit / 64] >> (bit % 64)) & 1u) << i;
        }
        keys[b] = ((uint64_t)b << 32) | bits;
    }
}
