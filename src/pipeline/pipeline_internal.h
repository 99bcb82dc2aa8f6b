/* The pipeline's own files and what each gives the others (private to src/pipeline).
 *
 *   pipeline.c      one claim end to end: the stages in order, the deadline, the record
 *   claim_parts.c   the claim's videos: each opened, its telemetry read and mined on its own;
 *                   their mining joined on the claim's timeline; their telemetry joined; a
 *                   claim time mapped to the video (and channel) it falls in
 *   claim_frames.c  frames of a window on the claim's timeline: from every file it crosses
 *                   and from every channel at the same instants, one size, labelled
 *   claim_hash.c    each video's SHA-256 on a thread of its own within the claim's deadline
 *   telemetry_use.c the telemetry in the record; model_check.c the model's numbers checked
 *
 * Calls go down this list's dependencies only: pipeline.c calls the others; claim_frames.c
 * calls claim_parts.c's lookups; none calls pipeline.c. */
#ifndef DC_PIPELINE_INTERNAL_H
#define DC_PIPELINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dashclaim/claim.h"
#include "dashclaim/deadline.h"
#include "dashclaim/engine.h"
#include "dashclaim/frame.h"
#include "dashclaim/hash.h"
#include "dashclaim/media.h"
#include "dashclaim/mine.h"
#include "dashclaim/pipeline.h"
#include "dashclaim/telemetry.h"

/* ---- claim_hash.c ------------------------------------------------------------------------ */

/* A video's hash: given by the caller, or computed on a thread of its own while the video is
 * opened and mined. A claim that fails stops it (it wants no hash); a claim that succeeds
 * waits for it at the end, at most until the deadline. */
typedef struct {
    dc_sha256_job *job;
    bool given, wanted;
    dc_hash_end end;
    uint64_t hashed;
} claim_hash;

/* Takes the given hash (64 hex digits) into out, or starts hashing path. */
void pipeline_hash_begin(claim_hash *h, const char *path, const char *given, dc_deadline dl,
                         char out[65]);
/* Ends the hash (stop: the claim failed). Only a whole file's hash stays in out. */
void pipeline_hash_end(claim_hash *h, const char *path, bool stop, dc_deadline dl, char out[65]);
/* What became of a hash that is not in the record, for its message. */
void pipeline_hash_note(const claim_hash *h, const char *path, char *out, size_t size);

/* ---- claim_parts.c ----------------------------------------------------------------------- */

/* One video of the claim while it is assessed. */
typedef struct {
    dc_claim_video *video; /* its entry in the record (a->videos[i]) */
    int index;             /* i */
    dc_media *m;           /* NULL when it could not be opened */
    dc_telemetry telemetry;
    dc_mine_result mine;
    bool mined;
    bool pictures; /* its frames decode (mining saw its pictures) */
    claim_hash hash;
    char telemetry_note[sizeof(((dc_status *)0)->message) + 64];
    dc_status failure; /* why it gave nothing (when m is NULL or !mined) */
} claim_part;

typedef struct {
    int count;
    claim_part parts[DC_MAX_CLAIM_VIDEOS];
    int first_usable; /* the claim's main video: the first usable front one, else the first
                         usable one; -1 when none */
} claim_parts;

/* Copies the input into the record's videos (sorted by offset, then role) and checks it:
 * DC_ERR_INPUT for an empty or oversized input, a path too long, an offset that is not a
 * finite number >= 0. */
dc_error_class pipeline_parts_init(const dc_claim_input *in, dc_assessment *a, claim_parts *cp,
                                   dc_status *st);
/* Opens each video (its telemetry beside it). A video that cannot be opened is noted in its
 * record entry; returns DC_OK when at least one opened, else the first failure. */
dc_error_class pipeline_parts_open(claim_parts *cp, const dc_pipeline_options *opts, dc_deadline dl,
                                   dc_assessment *a, dc_status *st);
/* Mines each opened video and joins them on the claim's timeline into *out. A video that
 * cannot be mined is noted (its entry's error); returns DC_OK when at least one was. A
 * timeout is the claim's. */
dc_error_class pipeline_parts_mine(claim_parts *cp, const dc_mine_options *mo, dc_deadline dl,
                                   dc_mine_result *out, dc_status *st);
/* The claim's telemetry: the first channel (front first) whose videos have any, its segments
 * joined with their times moved onto the claim's timeline. *note gets a reason when a
 * segment's telemetry was damaged (else ""). DC_ERR_RESOURCE when out of memory. */
dc_error_class pipeline_parts_telemetry(const claim_parts *cp, dc_telemetry *out, char *note,
                                        size_t note_size);
/* The usable video of the given role that covers claim time t (the nearest one of that role
 * when none covers it; -1 when the role has no usable video). */
int pipeline_parts_video_at(const claim_parts *cp, dc_video_role role, double t);
/* The video a claim time belongs to: the main video's channel, else any that covers it. */
int pipeline_parts_main_video_at(const claim_parts *cp, double t);
/* The channels (roles) with a usable video covering part of [from, to), main channel first,
 * then front, rear, interior, left, right, unknown; returns how many. */
int pipeline_parts_channels(const claim_parts *cp, double from, double to,
                            dc_video_role out[DC_ROLE_COUNT]);
/* Fills each window's, evidence row's and hazard row's video and time within it. An evidence
 * row that cites a frame of `shown` takes that frame's video. */
void pipeline_parts_place_rows(const claim_parts *cp, const dc_frame_set *shown, dc_assessment *a);
/* Moves each video's fingerprint (made while mining) into out->fingerprints, indexed as the
 * record's videos (a one-video claim's is in *joined). false when out of memory. */
bool pipeline_parts_take_fingerprints(claim_parts *cp, dc_mine_result *joined,
                                      dc_claim_result *out);
/* Hashes ended, media closed, mining and telemetry freed. */
void pipeline_parts_close(claim_parts *cp);

/* ---- claim_frames.c ---------------------------------------------------------------------- */

/* The frames of [from, to) on the claim's timeline as req asks (count, size): spread over
 * the window as one file would give them, taken from each file the window crosses; with
 * several channels the count is shared among them (pairs of frames, at the same instants in
 * each channel), main channel first. Frames carry claim times and their video's index, all of
 * the size of the main channel's. */
dc_error_class pipeline_frames_sample(claim_parts *cp, const dc_sample_request *req, double from,
                                      double to, dc_deadline dl, dc_frame_set *out, dc_status *st);
/* One frame per channel at claim time t (for the report's evidence row), appended to *kept;
 * returns how many were kept, *main_index the kept index of the main channel's (-1 none). */
int pipeline_frames_at(claim_parts *cp, double t, int longest_side, int decode_workers,
                       dc_deadline dl, dc_frame_set *kept, int capacity, int *main_index,
                       dc_status *st);

/* ---- pipeline.c: one claim as a run of steps ----------------------------------------------
 *
 * dc_pipeline_assess_claim is run_begin, then for each window the VLM looks at run_engine
 * (or dc_vlm_batch in pipeline_batch.c, several claims at once), then run_finish. run_begin
 * probes, mines, and either finishes the engine's part itself (the signals engine, a claim
 * that failed) or samples each window's frames (and sound) for the VLM. */

#define RUN_MAX_WINDOWS (DC_MAX_WINDOWS + 1)

/* One window the VLM looks at: what it is shown, and what it answered. */
typedef struct {
    dc_frame_set frames;
    dc_pcm pcm;
    dc_engine_context ctx;
    dc_status sample_error; /* sampling or sound failed (code != DC_OK) */
    const char *sample_stage;
    bool sampled;  /* frames ready for the engine */
    bool assessed; /* the engine ran on it */
    dc_error_class engine_rc;
    dc_status engine_st;
    dc_assessment trial; /* the engine's record for this window */
    int prompt_tokens;
    double engine_ms;
} run_window;

typedef struct {
    dc_claim_result *out;
    const dc_pipeline_options *opts;
    claim_parts *cp;
    dc_mine_result mine;
    dc_deadline dl;
    const char *stage; /* the stage running, named when the claim runs out of time */
    double t_claim;
    bool vlm_pending; /* windows wait for the engine */
    bool timeline_kept, fingerprints_kept, telemetry_kept, mining_degraded;
    dc_status mining_status;
    char telemetry_note[sizeof(((dc_status *)0)->message) + 1100];
    int window_count; /* windows sampled (or tried) for the VLM */
    run_window windows[RUN_MAX_WINDOWS];
    double sample_ms;
} claim_run;

/* Probe and mine, then the signals engine or the VLM windows' frames. *run is set up by it
 * (free it with run_finish whatever happens). Returns true when windows wait for the engine. */
bool run_begin(claim_run *run, const dc_claim_input *in, const char *claim_id,
               const dc_pipeline_options *opts, dc_claim_result *out);
/* The VLM on window w, alone (dc_vlm_assess). Returns false when no later window should run
 * (the deadline passed). */
bool run_engine(claim_run *run, int w);
/* The engine's answer for window w, from wherever it ran (alone or in a batch). */
void run_engine_done(claim_run *run, int w, dc_error_class rc, const dc_status *st,
                     int prompt_tokens, double engine_ms);
/* The best window's answer, the checks, the notes, the footage, the decision; frees the run
 * (not the result). */
void run_finish(claim_run *run);

#endif
