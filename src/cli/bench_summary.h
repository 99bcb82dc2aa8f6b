/* The numbers `dashclaim bench` reports, computed from its per-video records (JSON objects
 * as written into report.json's "videos"), so a resumed run summarises old and new alike. */
#ifndef DASHCLAIM_CLI_BENCH_SUMMARY_H
#define DASHCLAIM_CLI_BENCH_SUMMARY_H

#include <jansson.h>
#include <stdio.h>

/* videos: array of records {status, error{class}, severity, ground_truth{severity,
 * incident_sec, fault_ratio}, fault_ratio, windows[{start_sec,end_sec}], timings_ms{total},
 * rss_delta_mb, device_delta_mb, duration_sec}. wall_sec: wall time of the videos assessed in
 * this run (new_count of them), for throughput. Returns a new object. */
json_t *cli_bench_summary(json_t *videos, double wall_sec, int new_count);
/* Human-readable table of a summary. */
void cli_bench_summary_print(FILE *out, json_t *summary);

#endif
