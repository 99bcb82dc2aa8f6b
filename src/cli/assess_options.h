/* The options `assess` and `bench` share, and what they set up from them: the engine (VLM
 * or signals), calibration, claim metadata and the per-claim pipeline options. */
#ifndef DASHCLAIM_CLI_ASSESS_OPTIONS_H
#define DASHCLAIM_CLI_ASSESS_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dashclaim/claim.h"
#include "dashclaim/group.h"
#include "dashclaim/pipeline.h"

typedef struct {
    const char *model, *mmproj; /* --model/--mmproj or DASHCLAIM_MODEL/DASHCLAIM_MMPROJ */
    const char *engine;         /* "signals" | "vlm" | NULL (vlm when a model is given) */
    int windows, vlm_windows, frames, visual_tokens, gpu_layers, threads, retries, ctx_size;
    double timeout_sec;
    const char *calibration_path, *metadata_path, *html_dir;
    bool mining_context;
    int seed;
    int think_tokens;    /* --think-tokens: a reasoning model's budget (-1 = the engine's) */
    int decode_workers;  /* DASHCLAIM_DECODE_WORKERS (0 = one per core) */
    dc_group_mode group; /* --group none|all|auto: which files make one claim (default none) */
    int batch;           /* --batch N: claims the VLM runs together (1 = one at a time) */
    int batch_rows;      /* --batch-rows N: claims' tokens a llama_decode (0 = the engine's) */
} cli_assess;

/* What cli_assess_setup builds; freed by cli_assess_teardown. */
typedef struct {
    dc_calibration calibration;
    dc_claim_metadata metadata;
    dc_pipeline_options pipeline;
    dc_vlm *vlm;
} cli_assess_env;

void cli_assess_init(cli_assess *o);
/* getopt_long table entries of the shared options, terminated by a zero entry. Option values
 * >= 1000 are the shared ones; cli_assess_option handles them and returns false for others. */
extern const struct option cli_assess_long_options[];
#define CLI_ASSESS_OPTION_COUNT 21
bool cli_assess_option(cli_assess *o, int opt, const char *arg, int *usage_error);
/* The shared options followed by a command's own (extra[0..n)) and the terminating entry, in
 * out[CLI_ASSESS_OPTION_COUNT + n + 1]. */
void cli_assess_long_options_with(const struct option *extra, int n, struct option *out);
void cli_assess_help(FILE *out);
/* Loads calibration/metadata and opens the engine. Returns 0, or the exit code (2 for a
 * usage problem such as a missing model file) after printing the reason. */
int cli_assess_setup(const cli_assess *o, cli_assess_env *env);
void cli_assess_teardown(cli_assess_env *env);

/* The files and folders of the command line grouped into claims by o->group (group.h), within
 * timeout_sec (<= 0: none). Returns 0, or the exit code after printing the reason (out of
 * memory). A folder without videos is said on stderr; the set may be empty. */
int cli_assess_group(const cli_assess *o, const char *const *inputs, int n, double timeout_sec,
                     dc_group_set *set);
/* The records the set gives: one per group, and one per video of a group that is refused (more
 * videos than a claim holds), so that no file is dropped silently. */
int cli_assess_record_count(const dc_group_set *set);
/* Record k of the set (k < cli_assess_record_count): its group and, for a refused group, the
 * video (else -1). */
void cli_assess_record_at(const dc_group_set *set, int k, int *group, int *video);
/* The claim input of record (g) (a group refused for its size has none: false). claim_id is
 * the group's, or NULL for a file of its own under --group none (named after the file). */
bool cli_assess_record_input(const dc_group_set *set, int g, dc_group_mode mode, dc_claim_input *in,
                             const char **claim_id);
/* The failed record of video v of a refused group. */
void cli_assess_refused_record(const dc_group_set *set, int g, int v, dc_claim_result *r);
/* Runs record (group g, video v) of the set: a refused group's video gets a failed record
 * with the group's error; a group in mode none is dc_pipeline_assess of its one file (as
 * before grouping existed); any other group is dc_pipeline_assess_claim with its claim id. */
void cli_assess_run_record(const dc_group_set *set, int g, int v, dc_group_mode mode,
                           const dc_pipeline_options *po, dc_claim_result *r);
/* The file that names a record's outputs (its JSON file, its HTML page): the video its claim
 * id comes from, or the refused video. */
const char *cli_assess_record_path(const dc_group_set *set, int g, int v);
/* Writes the claim's HTML page into o->html_dir (when set) and puts the page's file name in
 * page ("" when none was written). A page that could not be written (its name does not fit,
 * the disk is full) returns the error with *st filled; the caller records it in the claim. */
dc_error_class cli_assess_write_html(const cli_assess *o, const dc_claim_result *r,
                                     const char *video_path, char *page, size_t page_size,
                                     dc_status *st);

#endif
