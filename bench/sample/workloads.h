/* The sampling workloads of bench/sample (issue "Media ingest", item 8). */
#ifndef BENCH_SAMPLE_WORKLOADS_H
#define BENCH_SAMPLE_WORKLOADS_H

#include "dashclaim/media.h"

typedef struct {
    const char *name;
    const char *what;
    dc_sample_request req; /* model size: longest side 840, unit 28 -> 840x476 at 16:9 */
} bench_workload;

/* W3's range is the whole video (end 0). */
static const bench_workload bench_workloads[] = {
    {"W1",
     "20 frames at 2 fps over 10 s at minute 7",
     {.start_sec = 420,
      .end_sec = 430,
      .fps = 2,
      .max_count = 20,
      .longest_side = 840,
      .unit = 28}},
    {"W2",
     "48 frames uniform over the first 60 s",
     {.start_sec = 0, .end_sec = 60, .count = 48, .longest_side = 840, .unit = 28}},
    {"W3",
     "48 frames uniform over the whole video, exact",
     {.count = 48, .longest_side = 840, .unit = 28}},
    {"W3K",
     "48 frames uniform over the whole video, nearest keyframe",
     {.count = 48, .longest_side = 840, .unit = 28, .mode = DC_SAMPLE_KEYFRAME}},
};

#define BENCH_WORKLOAD_COUNT (int)(sizeof bench_workloads / sizeof bench_workloads[0])

#endif
