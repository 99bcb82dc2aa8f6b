/* Seeded, fast pseudo-random numbers for synthetic weights (xoshiro256**, splitmix64 seeding).
 * Speed matters: the real-size presets draw billions of values. */
#ifndef SYNTH_RNG_H
#define SYNTH_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} synth_rng;

static inline uint64_t synth_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Every tensor gets its own stream derived from (seed, stream) so that the values of one
 * tensor do not depend on how the others were written. */
static inline void synth_rng_init(synth_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++) r->s[i] = synth_splitmix64(&x);
}

static inline uint64_t synth_rng_next(synth_rng *r) {
    uint64_t *s = r->s;
    uint64_t v = s[1] * 5;
    uint64_t result = ((v << 7) | (v >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [-1, 1). */
static inline float synth_rng_symmetric(synth_rng *r) {
    return (float)((int64_t)synth_rng_next(r) >> 11) * (1.0f / 4503599627370496.0f);
}

#endif
