/* Ground truth for `dashclaim bench`: from a `<video>.label.json` sidecar (synth-video writes
 * them), a manifest CSV (path,severity,incident_sec,fault_ratio), or — as the prototype did —
 * keywords in the file name (collision/crash/accident -> HIGH, near -> MEDIUM, normal -> NONE). */
#ifndef DASHCLAIM_CLI_GROUND_TRUTH_H
#define DASHCLAIM_CLI_GROUND_TRUTH_H

#include <stdbool.h>

typedef enum {
    CLI_TRUTH_NONE = 0,
    CLI_TRUTH_SIDECAR,
    CLI_TRUTH_MANIFEST,
    CLI_TRUTH_FILENAME
} cli_truth_source;

typedef struct {
    cli_truth_source source;
    int severity;        /* 0 NONE .. 3 HIGH; -1 unknown */
    double incident_sec; /* < 0 when not labelled */
    double fault_ratio;  /* < 0 when not labelled */
    char type[32];       /* scene type from a sidecar, else "" */
} cli_ground_truth;

/* "NONE"/"LOW"/"MEDIUM"/"HIGH" (case-insensitive) -> 0..3, else -1. */
int cli_truth_severity_parse(const char *s);
/* Reads `<video>.label.json` if present, else guesses from the file name. */
void cli_truth_for_video(const char *video_path, cli_ground_truth *out);
/* Parses one manifest CSV line (path,severity,incident_sec,fault_ratio; empty fields allowed).
 * Returns false for a header or malformed line. path_out gets the path field. */
bool cli_truth_parse_manifest_line(const char *line, char *path_out, int path_size,
                                   cli_ground_truth *out);

#endif
