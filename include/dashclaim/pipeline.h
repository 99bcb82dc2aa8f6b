/* One claim, end to end: probe -> mine -> sample -> engine -> decide -> record.
 * dc_pipeline_assess never fails: whatever goes wrong ends up in the assessment's status
 * and error, so a batch never stops because one video is bad. */
#ifndef DASHCLAIM_PIPELINE_H
#define DASHCLAIM_PIPELINE_H

#include <stdbool.h>

#include "dashclaim/claim.h"
#include "dashclaim/fingerprint.h"
#include "dashclaim/frame.h"
#include "dashclaim/telemetry.h"

typedef struct dc_vlm dc_vlm;

/* Footage seen before: the caller's lookup (the service's worker passes one backed by its
 * store; the pipeline never calls the store). Called once per claim, after mining and before
 * the decision, with the claim's videos (their SHA-256s where known), each one's fingerprint
 * (fingerprints[i] for videos[i]; count 0 = none could be made) and the claim's telemetry
 * summary (the incident's GPS position and UTC time when the dashcam recorded them). It fills
 * check->matches and check->near (other claims only: never the claim being assessed) and sets
 * check->checked; a lookup that could not finish says so in check->note and returns false (the
 * claim is then degraded, naming it). */
typedef bool (*dc_footage_lookup_fn)(void *ctx, const char *claim_id, const dc_claim_video *videos,
                                     const dc_fingerprint *fingerprints, int count,
                                     const dc_telemetry_summary *incident, dc_footage_check *check);

typedef struct {
    int windows;         /* incident windows mined and reported (default 3) */
    int vlm_windows;     /* of those, how many the VLM looks at, best first (default 1; one
                           more when mining was unsure: no sound, or weak danger) */
    double timeout_sec;  /* deadline for the whole claim; <= 0 = none */
    bool mining_context; /* tell the VLM where mining saw danger */
    const dc_calibration *calibration; /* NULL = uncalibrated prediction set */
    const dc_claim_metadata *metadata; /* NULL = no claim metadata */
    dc_vlm *vlm;                       /* NULL = the model-free signals engine */
    bool keep_evidence;                /* keep the sampled frames (for the HTML report) */
    int decode_workers;                /* the sample requests' decode_workers (0 = one per core) */
    /* The video's SHA-256 when the caller already has it (64 hex digits, e.g. the service,
     * which hashed the upload while storing it): the record takes it and the file is not read
     * a second time for it. NULL = the pipeline hashes the file on a thread of its own, within
     * the claim's deadline (a claim that fails or runs out of time stops it: no hash then). */
    const char *video_sha256;
    /* Footage seen in earlier claims (see dc_footage_lookup_fn); NULL = the check does not
     * run and the record says so (footage.checked false, with a note). */
    dc_footage_lookup_fn footage_lookup;
    void *footage_lookup_ctx;
} dc_pipeline_options;

void dc_pipeline_options_init(dc_pipeline_options *o);

typedef struct {
    dc_assessment assessment;
    /* The fused danger timeline of the whole video (for the report); NULL when mining failed. */
    float *danger;
    int danger_count;
    double danger_hz;
    /* Frames the engine looked at (only with keep_evidence). */
    dc_frame_set evidence_frames;
    int prompt_tokens; /* tokens the VLM claim cost (0 for the signals engine) */
    /* The dashcam's own data, read once beside the probe (source NULL = none): mining, the
     * engine, the model check, the rules (through the record's summary) and the report read it. */
    dc_telemetry telemetry;
    /* Each video's fingerprint (fingerprints[i] for assessment.videos[i]; empty when mining
     * did not reach it), for the caller to store with the claim. Owned; NULL when none. */
    dc_fingerprint *fingerprints;
    int fingerprint_count;
} dc_claim_result;

/* claim_id may be NULL (then derived from the file name). Every stage honours
 * opts->timeout_sec (probe, hash, mining, sampling, audio, engine): the call returns within
 * about 10 % + 100 ms of it. A claim that runs out of time is failed with class timeout, and
 * its message names the stage that ran out ("deadline passed in <stage>") and what became of the
 * video's hash; assessment.video.sha256 only ever holds the hash of the whole file, or "".
 * Telemetry that cannot be read, is damaged or runs out of time never fails the claim: the
 * record is degraded with the reason and the claim goes on without it (or with what was read). */
void dc_pipeline_assess(const char *video_path, const char *claim_id,
                        const dc_pipeline_options *opts, dc_claim_result *out);

/* A claim of one or more videos (in->count >= 1; the front and rear channels of one moment,
 * consecutive segments, laid out on the claim's timeline by in->videos[i].offset_sec, which
 * dc_group_videos fills). Each video is opened and mined on its own; the cues of every channel
 * count on the claim's timeline (a jolt or an impact only the rear camera saw), a window may
 * cross a file boundary (its frames come from both files), and the VLM sees the front window
 * and the same instants from the other channels within the same frame budget. A video that
 * cannot be opened or decoded while another can makes the claim degraded, naming it; the
 * claim fails only when none can. The hashes given in in->videos[i].sha256 are kept
 * (opts->video_sha256 is for dc_pipeline_assess only). dc_pipeline_assess is this call with
 * one video. */
void dc_pipeline_assess_claim(const dc_claim_input *in, const char *claim_id,
                              const dc_pipeline_options *opts, dc_claim_result *out);
void dc_claim_result_free(dc_claim_result *r);

/* Many claims on one model (continuous batching): assesses inputs[0 .. n) (claim_ids may be
 * NULL, or hold NULLs: then derived from the file names) with opts, the VLM running up to
 * `batch` claims together in its one context (dc_vlm_batch; open the engine with
 * max_batch >= batch). One thread prepares the next claims (probe, mining, each window's
 * frames) while this one steps the model, so media work overlaps the model's; at most `batch`
 * prepared claims wait. Each claim's record is what dc_pipeline_assess_claim gives it alone
 * (greedy decoding gives the same answer in a batch; deadlines, failures and the CPU fallback
 * stay with their claim), its engine.batch says how many claims shared its steps at most.
 * done(done_ctx, i, &result) is called from this thread once per claim, in the order they
 * finish; the result is freed when it returns. Without a VLM, or with batch <= 1, the claims
 * run one after another. A batch that cannot be opened runs them one after another too. */
typedef void (*dc_pipeline_done_fn)(void *ctx, int index, dc_claim_result *result);
void dc_pipeline_assess_batch(const dc_claim_input *const *inputs, const char *const *claim_ids,
                              int n, const dc_pipeline_options *opts, int batch,
                              dc_pipeline_done_fn done, void *done_ctx);

/* The same for claims that arrive while others run (the service's worker): a stream.
 *
 * next(ctx, &claim) gives the next claim: it returns true with *claim filled, or false when no
 * claim will come any more (the stream then finishes the claims it holds and returns). It is
 * called on the preparer thread, only when a prepared place is free (so at most `batch` claims
 * are prepared and `batch` in the model: 2 x batch given and not yet done), and may block until
 * a claim arrives; a caller that wants to stop makes it return false. Each claim has its own
 * options (metadata, deadline, footage lookup); a claim whose opts->vlm is not `vlm` runs alone.
 * done(ctx, &claim, &result) is called on the calling thread once per claim given, in the order
 * they finish (the result is freed when it returns); everything the claim points to must stay
 * valid until then. With vlm NULL or batch <= 1 the claims run one after another, as do all
 * when the batch cannot be opened. dc_pipeline_assess_batch is this over its arrays. */
typedef struct {
    const dc_claim_input *input;
    const char *claim_id;            /* NULL: derived from the file name */
    const dc_pipeline_options *opts; /* this claim's options */
    void *user;                      /* the caller's, given back to done */
} dc_pipeline_claim;
typedef bool (*dc_pipeline_next_fn)(void *ctx, dc_pipeline_claim *claim);
typedef void (*dc_pipeline_claim_done_fn)(void *ctx, const dc_pipeline_claim *claim,
                                          dc_claim_result *result);
void dc_pipeline_assess_stream(dc_vlm *vlm, int batch, dc_pipeline_next_fn next,
                               dc_pipeline_claim_done_fn done, void *ctx);

/* Checks the numbers a model wrote against the video (src/pipeline/model_check.c): evidence
 * and hazard times outside [0, duration_sec] are dropped, those outside the frames shown
 * (shown may be NULL: then the whole video) clamped to them; frame indexes beyond the frames
 * shown cleared; impossible speeds and broken severity distributions repaired. Each change
 * marks *a degraded with the reason. Returns how many numbers were changed. */
int dc_pipeline_check_record(dc_assessment *a, double duration_sec, const dc_frame_set *shown);

/* The video's telemetry in the record (src/pipeline/telemetry_use.c): a->telemetry summed up
 * around the incident (the strongest window's peak), facts.speed_kmh from the GPS with
 * speed_source "telemetry", and an evidence row citing it. Nothing when t has no source. */
void dc_pipeline_use_telemetry(const dc_telemetry *t, dc_assessment *a);
/* The model's speed readout (facts.speed_kmh) against the GPS speeds over the frames shown
 * (+-1 s): a readout off by more than 10 km/h and 15 % marks *a degraded. Returns 1 then. */
int dc_pipeline_check_speed(dc_assessment *a, const dc_telemetry *t, const dc_frame_set *shown);

#endif
