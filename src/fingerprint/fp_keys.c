/* Band keys for the store's index (why 32-bit bands: fingerprint.h). Band b takes every 8th
 * bit of the hash from bit b on, so each band mixes low and high frequencies: contiguous
 * bands of the lowest frequencies (road, sky, horizon) are the same in most dashcam
 * footage and would make every video a candidate of every other. */
#include "fp_internal.h"

/* Bits b, b + 8, ..., b + 56 of w packed into one byte (bit i of the byte is bit 8i + b of w):
 * the masked bits sit 8 apart, and the multiplier moves bit 8i to 56 + i, every partial
 * product landing on a bit of its own (no carries), so the top byte is the gathered one.
 * Portable (no BMI2 pext), ~4 instructions a byte instead of a loop over 8 bits. */
static inline uint64_t gather_byte(uint64_t w, int b) {
    return (((w >> b) & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56;
}

void dc_fp_band_keys(const dc_fp_hash *h, dc_fp_key keys[DC_FP_BANDS]) {
    /* band bit i is hash bit DC_FP_BANDS * i + b: word i / 8, bit 8 (i % 8) + b of it */
    _Static_assert(DC_FP_BANDS == 8 && DC_FP_BAND_BITS == 8 * DC_FP_WORDS,
                   "the gather below assumes 8 bands of one byte a 64-bit word");
    for (int b = 0; b < DC_FP_BANDS; b++) {
        uint64_t bits = 0;
        for (int w = 0; w < DC_FP_WORDS; w++) bits |= gather_byte(h->w[w], b) << (8 * w);
        keys[b] = ((uint64_t)b << 32) | bits;
    }
}
