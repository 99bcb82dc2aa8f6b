#ifndef BENCH_SAMPLE_FLOOR_DECODE_H
#define BENCH_SAMPLE_FLOOR_DECODE_H

#include <stdbool.h>
#include <time.h>

typedef struct {
    double seconds;
    int frames_decoded;
} floor_result;

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Opens the MP4 and decodes, from each needed keyframe, exactly the frames up to each target
 * (keyframes: only the keyframe nearest each target). threads: 1, or 0 for all. */
int floor_decode(const char *path, const double *targets_sec, int n, bool keyframes, int threads,
                 floor_result *out);

#endif
