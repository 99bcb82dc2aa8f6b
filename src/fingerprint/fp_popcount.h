/* Hamming distance of two 256-bit hashes, fast on every build. The project builds for baseline
 * x86-64, which has no POPCNT instruction, so __builtin_popcountll there is a call into libgcc
 * (__popcountdi2, a byte-table loop: 17 % of a footage lookup's CPU before the chance
 * candidates were set aside). Here:
 *   - x86 without -mpopcnt (GCC, Clang): POPCNT where the CPU has it (every x86-64 CPU since
 *     2008), chosen at run time by __builtin_cpu_supports, else the portable count below;
 *   - a build whose target has a popcount instruction (-mpopcnt, AArch64's CNT): the builtin;
 *   - anything else: the portable count (SWAR: bits summed in 2-, 4-, 8-bit fields, then
 *     the bytes by one multiply; ~12 operations a word, no table, no branch).
 * Private to src/fingerprint (fp_match.c's dc_fp_distance). */
#ifndef DC_FP_POPCOUNT_H
#define DC_FP_POPCOUNT_H

#include <stdint.h>

static inline int fp_popcount64_swar(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

static inline int fp_hamming256_swar(const uint64_t a[4], const uint64_t b[4]) {
    return fp_popcount64_swar(a[0] ^ b[0]) + fp_popcount64_swar(a[1] ^ b[1]) +
           fp_popcount64_swar(a[2] ^ b[2]) + fp_popcount64_swar(a[3] ^ b[3]);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(__POPCNT__)
/* Compiled with POPCNT enabled for this function only; called only when the CPU has it. */
__attribute__((target("popcnt"))) static inline int fp_hamming256_popcnt(const uint64_t a[4],
                                                                         const uint64_t b[4]) {
    return __builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1]) +
           __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]);
}

static inline int fp_hamming256(const uint64_t a[4], const uint64_t b[4]) {
    return __builtin_cpu_supports("popcnt") ? fp_hamming256_popcnt(a, b) : fp_hamming256_swar(a, b);
}
#elif defined(__GNUC__) && (defined(__POPCNT__) || defined(__aarch64__))
static inline int fp_hamming256(const uint64_t a[4], const uint64_t b[4]) {
    return __builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1]) +
           __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]);
}
#else
static inline int fp_hamming256(const uint64_t a[4], const uint64_t b[4]) {
    return fp_hamming256_swar(a, b);
}
#endif

#endif
