/* Band keys for the store's index (why 32-bit bands: fingerprint.h). */
#include "fp_internal.h"

void dc_fp_band_keys(const dc_fp_hash *h, dc_fp_key keys[DC_FP_BANDS]) {
    for (int b = 0; b < DC_FP_BANDS; b++) {
        uint64_t bits = (h->w[b / 2] >> (32 * (b % 2))) & 0xffffffffull;
        keys[b] = ((uint64_t)b << 32) | bits;
    }
}
