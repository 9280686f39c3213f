/* rng.c -- the per-game generator: splitmix64 with unbiased bounded ints.
 *
 * splitmix64: Steele, Lea & Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014.  Bounded integers: Lemire, "Fast random integer
 * generation in an interval", ACM TOMACS 2019 (multiply-shift with the
 * rejection step that removes the modulo bias).
 */
#include <math.h>

#include "beasty.h"

void bb_rng_seed(bb_rng *rng, uint64_t seed) { rng->state = seed; }

uint64_t bb_rng_next(bb_rng *rng) {
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t bb_rng_bounded(bb_rng *rng, uint32_t n) {
    uint32_t x = (uint32_t)(bb_rng_next(rng) >> 32);
    uint64_t m = (uint64_t)x * (uint64_t)n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n; /* 2^32 mod n */
        while (low < threshold) {
            x = (uint32_t)(bb_rng_next(rng) >> 32);
            m = (uint64_t)x * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double bb_rng_double(bb_rng *rng) {
    return (double)(bb_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double bb_rng_normal(bb_rng *rng) {
    double u, v, s;
    do {
        u = 2.0 * bb_rng_double(rng) - 1.0;
        v = 2.0 * bb_rng_double(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}
