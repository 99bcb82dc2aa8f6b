/* Engines: the frames of one incident window (+ optional context) in, observed facts and a
 * probability for each severity out, as the model-facing fields of a dc_assessment.
 *
 * Two engines fill it: "vlm" (this header: llama.cpp + libmtmd, a GGUF text model and its
 * mmproj) and "signals" (dc_signals_assess in mine.h: mining signals, no model, no frames).
 *
 * Model families the VLM engine knows, recognised at open from the GGUF metadata (the text
 * model's general.architecture and name, the mmproj's clip.projector_type), never from file
 * names; any other pair, or a text model with another family's mmproj, is refused at open
 * (DC_ERR_MODEL, naming the architecture and projector of both files):
 *   qwen2.5-vl      qwen2vl + qwen2.5vl_merger: Qwen2.5-VL 3B/7B, Cosmos-Reason1. 28x28 pixels
 *                   per visual token; each frame pair after a line with its frame numbers and
 *                   times.
 *   qwen3-vl        qwen3vl + qwen3vl_merger: Qwen3-VL 2B/8B. 32x32 pixels per visual token;
 *                   "<t seconds>" before each frame pair (t its mean time), as Qwen3-VL's
 *                   processor gives a video.
 *   cosmos-reason2  qwen3vl + qwen3vl_merger named Cosmos-Reason2: as qwen3-vl, and it reasons
 *                   first: the prompt asks for its format, the answer starts with a forced
 *                   "<think>\n", the model thinks for at most max_think_tokens, a forced
 *                   "</think>" closes it and the grammar-constrained JSON follows.
 *   qwen2.5-omni    qwen2vl + qwen2.5o: Qwen2.5-Omni 3B/7B (its thinker). As qwen2.5-vl, and
 *                   it hears: the window's sound (engine context `audio`) goes to its audio
 *                   encoder with the frames, and the prompt says so.
 * A model whose own chat template opens <think> (a "Thinking" variant) reasons the same way.
 * Every family merges two consecutive frames into one temporal patch and assumes at most 2
 * frames per second.
 * They take different inputs, so they have no common interface: the pipeline picks one.
 *
 * VLM engine, in the order a caller uses it:
 *   dc_vlm_options o; dc_vlm_options_init(&o); o.model_path = ...; o.mmproj_path = ...;
 *   dc_vlm *vlm = dc_vlm_open(&o, &st);                       once per process
 *   per claim:
 *     dc_vlm_frame_request(vlm, win_start, win_end, info->width, info->height, &req, &plan, &st);
 *     dc_frames_sample(media, &req, dl, &frames, &st);       (media.h)
 *     dc_vlm_assess(vlm, &frames, &ctx, dl, &assessment, &st);
 *     dc_frame_set_free(&frames);
 *   dc_vlm_close(vlm);
 *
 * The prompt's fixed part (system message with the guidance and the answer's field list, the
 * frames header: about 1 300 tokens) is the same for every claim. The engine computes its KV
 * cells once, on the first claim, and every later claim starts from them and computes only
 * its frames and its short claim line; with greedy decoding the answer (text and severity
 * probabilities) is bit for bit the one a claim computed in full gives (no_prefix_cache).
 * After a CPU fallback the new placement computes the prefix once.
 *
 * dc_vlm_assess never leaves the engine unusable: a timeout, a model error or a device
 * failure is recorded in the assessment (status failed / degraded, error class, message) and
 * the next claim starts from a clean context (the cached prefix and nothing else). The engine
 * is not thread-safe: one claim at a time per dc_vlm (open one per worker thread if needed),
 * or several claims together in one context from one thread with dc_vlm_batch (below). */
#ifndef DASHCLAIM_ENGINE_H
#define DASHCLAIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "dashclaim/claim.h"
#include "dashclaim/deadline.h"
#include "dashclaim/frame.h"
#include "dashclaim/media.h"
#include "dashclaim/status.h"
#include "dashclaim/telemetry.h"

/* ---- what the engine is told about the claim besides the frames ------------------------ */

typedef struct {
    const char *claim_id;     /* copied into the assessment when not NULL */
    double duration_sec;      /* video length, 0 = unknown (stated in the prompt when known) */
    bool mining_context;      /* add a neutral note of where mining saw danger (off by default) */
    const dc_window *windows; /* mining windows, used with mining_context */
    int window_count;
    /* The window's sound, mono at dc_vlm_audio_rate() Hz, for a model that hears
     * (dc_vlm_hears); NULL or empty = none (a video without sound). The first
     * DC_VLM_MAX_AUDIO_SEC seconds go to the model with the frames. Ignored by other models. */
    const dc_pcm *audio;
    /* The video's telemetry (GPS speed and G-sensor at the frames shown: a line per frame
     * pair in the prompt); NULL or without data = none, and the prompt is as without it. */
    const dc_telemetry *telemetry;
    /* The claim's videos (several cameras or segments): each frame's .video indexes them, and
     * when the frames come from more than one camera each frame pair is labelled with its
     * camera in the prompt ("rear camera"). NULL or one camera = the prompt is as for one. */
    const dc_claim_video *videos;
    int video_count;
} dc_engine_context;

/* One Whisper window is 30 s; the sound of a claim stays within it (one audio chunk). */
#define DC_VLM_MAX_AUDIO_SEC 29.0

/* How many frames of a window to sample, and at what size (filled by frame_request). */
typedef struct {
    int frames;          /* even: the Qwen families merge frames in temporal pairs */
    int width, height;   /* multiples of the pixel unit: 28 (14-pixel patches, 2x2 merge) for
                            Qwen2.5-VL, 32 (16-pixel patches) for Qwen3-VL */
    int tokens_per_pair; /* visual tokens one merged pair costs */
    int visual_tokens;   /* frames / 2 * tokens_per_pair */
    int prompt_tokens;   /* estimate of the whole prompt: text + visual */
    int kv_cells;        /* KV cells a claim needs at most: prompt + thinking + max_new_tokens */
} dc_frame_plan;

/* ---- the VLM engine -------------------------------------------------------------------- */

typedef struct dc_vlm dc_vlm;

typedef struct {
    const char *model_path;   /* text GGUF (required) */
    const char *mmproj_path;  /* mmproj GGUF (required) */
    int n_gpu_layers;         /* -1 = all layers when a GPU backend exists (default) */
    bool mmproj_on_cpu;       /* keep the vision encoder on the CPU even when a GPU exists */
    int n_threads;            /* 0 = number of online CPUs */
    int n_ctx;                /* 0 = derived from the frame budget (KV cells, not positions) */
    int flash_attn;           /* -1 auto (default), 0 off, 1 on */
    int visual_tokens;        /* visual-token budget per claim (default 1536) */
    int max_frames;           /* most frames per claim, even (default 16) */
    double max_fps;           /* most frames per second of video (0 = the family's: 2.0) */
    int max_longest_side;     /* largest frame side in pixels (default 896) */
    int max_new_tokens;       /* generation budget (default 1024) */
    int closing_reserve;      /* when this many tokens are left, prefer tokens that close
                                 strings/arrays so the JSON always completes (default 256) */
    float temperature;        /* 0 = greedy (default) */
    uint32_t seed;            /* sampling seed for temperature > 0 (default 42) */
    int retries;              /* extra attempts after a transient failure (default 3) */
    double retry_backoff_sec; /* first backoff, doubled each retry (default 0.05) */
    bool no_temporal_merge;   /* send every frame as its own image (for models without Qwen's
                                 two-frame merge, and for benchmarks against llama-mtmd-cli) */
    bool no_prefix_cache;     /* compute every prompt token of every claim instead of reusing
                                 the fixed part's KV cells (in the same batches; for
                                 comparisons; slower) */
    bool allow_thinking;      /* reason in <think>...</think> first even when the family does
                                 not (a reasoning family always does) */
    int max_think_tokens;     /* most tokens a reasoning model thinks before "</think>" is
                                 forced (default 512; 0 = an empty think block) */
    int max_batch;            /* most claims one context runs together (dc_vlm_batch, below;
                                 default 1, at most DC_VLM_MAX_BATCH): the KV cache is sized for
                                 that many claims sharing the fixed prompt's cells */
    int batch_rows;           /* most claims' tokens one llama_decode of a batch's decode step
                                 holds; 0 = the engine's choice (default): on the CPU the most
                                 its kernels compute as for a claim alone (3, or 1 for a model
                                 with float weight matrices), so a claim answers to the bit as
                                 alone; on a GPU the whole step. More is faster on the CPU and
                                 may change the last bits of a claim's numbers */
    bool verbose;             /* llama.cpp / mtmd logs on stderr */
    bool print_tokens;        /* print the tokens each claim costs on stderr */
} dc_vlm_options;

void dc_vlm_options_init(dc_vlm_options *o);

/* Loads the model and the mmproj, creates the context (KV cache) once. NULL on failure with
 * *st filled: DC_ERR_INPUT for a missing/unreadable file, DC_ERR_MODEL for a file llama.cpp
 * rejects, DC_ERR_RESOURCE when memory runs out. */
dc_vlm *dc_vlm_open(const dc_vlm_options *opts, dc_status *st);
void dc_vlm_close(dc_vlm *vlm);

/* Frame budget for a window: at most max_fps frames per second of the window and max_frames,
 * an even count (>= 2), and the largest size of the video's aspect ratio in multiples of the
 * family's pixel unit (28 Qwen2.5-VL, 32 Qwen3-VL) whose tokens fit the visual-token budget.
 * Fills a sampler request (exact mode, that unit) and, if plan is not NULL, what the claim
 * will cost. */
dc_error_class dc_vlm_frame_request(const dc_vlm *vlm, double window_start, double window_end,
                                    int video_width, int video_height, dc_sample_request *req,
                                    dc_frame_plan *plan, dc_status *st);

/* Runs one claim: frames (RGB24, same size; an odd count is completed by repeating the last
 * frame) with their timestamps, the system and claim prompts of claim.h, grammar-constrained
 * decoding, severity probabilities from the logits. Fills the observed fields, engine info,
 * memory (RSS and device memory before/after) and timings_ms.engine of *out; status failed
 * with class timeout when dl passes, degraded when the GPU failed and the claim finished on
 * the CPU. ctx may be NULL. */
dc_error_class dc_vlm_assess(dc_vlm *vlm, const dc_frame_set *frames, const dc_engine_context *ctx,
                             dc_deadline dl, dc_assessment *out, dc_status *st);

/* What the last claim cost and did (for tests, benchmarks and --verbose output). */
typedef struct {
    int frames;                                   /* frames sent (after completing an odd count) */
    int image_chunks;                             /* merged frame pairs */
    int text_tokens, image_tokens, prompt_tokens; /* prompt_tokens = text + image + audio */
    int audio_chunks, audio_tokens;               /* the window's sound (a model that hears) */
    int cached_prompt_tokens;   /* prompt tokens whose KV cells an earlier claim computed */
    int prefix_tokens_computed; /* fixed-prompt tokens this claim computed (the first claim
                                   of a placement, a CPU fallback), part of prefill_tokens */
    int kv_cells_used;          /* prompt + generated */
    int generated_tokens;
    int thinking_tokens;  /* tokens the model chose while thinking (forced tags not counted) */
    int attempts;         /* 1 + retries used */
    int encodes;          /* vision encodes run; retries reuse embeddings */
    bool cpu_fallback;    /* the claim finished on the CPU after a device failure */
    bool budget_pressure; /* the closing reserve was reached */
    bool json_valid;      /* the output parsed as the schema without repair */
    double encode_ms, prefill_ms, decode_ms, total_ms;
    int prefill_tokens, decode_tokens; /* tokens run through llama_decode in each phase */
    int grammar_full_passes;           /* sampling steps that filtered the whole vocabulary */
    double grammar_ms;                 /* time spent in the grammar sampler */
    double answer_logit_sum; /* the sum of the logits of the answer tokens chosen, as computed:
                                the same to the bit exactly when the claim's numbers are (a
                                claim in a batch against alone: tests, bench/engine) */
    uint64_t rss_before, rss_after, device_before, device_after;
    /* a claim in a batch (dc_vlm_batch): the most claims that shared one of its decode steps
     * (1 alone), and how long it waited for a place after it was submitted */
    int batch_peak;
    double wait_ms;
} dc_vlm_claim_stats;

const dc_vlm_claim_stats *dc_vlm_last_stats(const dc_vlm *vlm);
/* The model's raw text of the last claim (prefix included), "" when none. */
const char *dc_vlm_last_output(const dc_vlm *vlm);
/* The family the model was recognised as: "qwen2.5-vl", "qwen3-vl", "cosmos-reason2", ... */
const char *dc_vlm_family(const dc_vlm *vlm);
/* Whether the model reasons in <think>...</think> before its answer. */
bool dc_vlm_thinks(const dc_vlm *vlm);
/* Whether the model hears: the caller then passes the window's sound (dc_media_audio at
 * dc_vlm_audio_rate()) in the engine context. */
bool dc_vlm_hears(const dc_vlm *vlm);
/* The sample rate the model's audio encoder takes (16000 for Qwen2.5-Omni); 0 when it does not
 * hear. */
int dc_vlm_audio_rate(const dc_vlm *vlm);
/* The chat-formatted prompt text of the last claim (media markers where the frames go), ""
 * when none. */
const char *dc_vlm_last_prompt(const dc_vlm *vlm);
/* "cpu", "cuda:0", ... where the text model runs. */
const char *dc_vlm_device_name(const dc_vlm *vlm);
/* The context size chosen at open (KV cells). */
int dc_vlm_context_size(const dc_vlm *vlm);
/* The most claims' tokens one llama_decode of a batch's decode step holds on the current
 * placement (dc_vlm_options.batch_rows resolved): a step of more claims is that many calls. */
int dc_vlm_batch_rows(const dc_vlm *vlm);

/* ---- several claims in one context: continuous batching ------------------------------------
 *
 * An engine opened with max_batch = N runs up to N claims together in its one context:
 *
 *   o.max_batch = 8; dc_vlm *vlm = dc_vlm_open(&o, &st);   KV cache sized for 8 claims
 *   dc_vlm_batch *b = dc_vlm_batch_open(vlm, 8, &st);
 *   for each prepared claim (frames sampled with dc_vlm_frame_request as for dc_vlm_assess):
 *     dc_vlm_job job = {.frames = &frames[i], .ctx = &ctx[i], .deadline = dl[i],
 *                       .out = &assessment[i], .user = tag};
 *     dc_vlm_batch_submit(b, &job, &st);                   queued, never blocks
 *   while (dc_vlm_batch_step(b) > 0 or more claims to submit) {
 *     submit more as they are prepared (from this thread);
 *     dc_vlm_done d[8]; int n = dc_vlm_batch_collect(b, d, 8);
 *     for each d[k]: *d[k].out is final; d[k].code / d[k].status as dc_vlm_assess returns;
 *                    free(d[k].output); the frames and ctx of that job may now be freed
 *   }
 *   dc_vlm_batch_close(b);                                   waiting claims are never run
 * or, for an array of jobs at once, dc_vlm_assess_many(vlm, jobs, n, 8, &st).
 *
 * What is shared: the model, the vision encoder, the context and its KV cache, and the fixed
 * prompt's cells (each claim's sequence starts from them with llama_memory_seq_cp). What each
 * claim has of its own: its sequence and cells, its frames' embeddings, its grammar and
 * sampler, its severity read-out, its deadline, its token budget, its stats and raw output
 * (dc_vlm_done), and its record.
 *
 * The KV cache: a stream of dc_vlm_context_size() cells per claim (what dc_frame_plan.kv_cells
 * of the frame budget needs) and one for the fixed prompt, max_batch + 1 in all; KV memory
 * grows with max_batch. A step: waiting claims take the free places in submission order; the
 * oldest claim still reading its prompt gets one chunk (the cached prefix and its claim line,
 * a frame pair encoded and decoded, or text) in batches of its own; then the next token of
 * every claim that is generating goes to llama_decode, in calls of at most batch_rows claims
 * (dc_vlm_batch_rows). A claim that ends frees its cells and its place, and the next waiting
 * claim joins in the next step (continuous batching: a short claim's place is taken while a
 * long one goes on).
 *
 * With greedy decoding a claim's answer is the one it gives alone in the same engine: its
 * prompt goes through the same batches into the same cells (each claim has a KV stream of its
 * own, the prefix copied into it); only its decode rows share llama_decode calls with other
 * claims', and on the CPU a call holds at most as many rows as ggml's kernels compute as they
 * compute one (batch_rows above), so the text, severity and probabilities are the same to the
 * bit (tests/engine/test_vlm_batch.c; src/engine/README.md has the kernels' table). A one-claim
 * engine (max_batch 1) uses flash attention and may differ from a batch engine in the last
 * bits. bench-batch compares every claim of its batch table with the same claim alone.
 *
 * Failures stay with their claim: a timeout (each claim's deadline is checked before each of
 * its tokens and inside its prefill; a shared decode is aborted only when every claim in it is
 * out of time), a grammar dead end, an answer that does not parse or a failed prefill of its
 * own ends that claim, recorded as dc_vlm_assess records it (a transient failure is retried
 * from the cached prefix). A device failure, in a claim's prefill or in a shared step, ends
 * the batch's use of the device: the claims in flight finish on a CPU-only context one after
 * another, each recorded degraded, and the next claims admitted try the device again.
 *
 * The batch and its engine are used from one thread; dc_vlm_assess must not be called while a
 * batch holds claims. */
#define DC_VLM_MAX_BATCH 64

typedef struct dc_vlm_batch dc_vlm_batch;

typedef struct {
    const dc_frame_set *frames;   /* kept alive by the caller until the claim is collected */
    const dc_engine_context *ctx; /* may be NULL; kept alive until collected */
    dc_deadline deadline;
    dc_assessment *out; /* dc_assessment_init'ed by the caller; final when collected */
    void *user;         /* the caller's tag, given back by collect */
    int max_new_tokens; /* this claim's answer budget; 0 = the engine's (never more) */
} dc_vlm_job;

typedef struct {
    void *user;
    dc_assessment *out;
    dc_error_class code; /* what dc_vlm_assess would return */
    dc_status status;
    dc_vlm_claim_stats stats;
    char *output; /* the model's raw text (prefix included); caller frees; NULL if none */
} dc_vlm_done;

/* A batch of at most max_claims claims at once (<= the engine's max_batch). NULL with *st on
 * failure. One batch per engine at a time. */
dc_vlm_batch *dc_vlm_batch_open(dc_vlm *vlm, int max_claims, dc_status *st);
/* Queues a claim; it starts in a later step. DC_ERR_INPUT for a job without frames or out,
 * DC_ERR_RESOURCE when out of memory. */
dc_error_class dc_vlm_batch_submit(dc_vlm_batch *b, const dc_vlm_job *job, dc_status *st);
/* One step (see above). Returns the claims submitted and not yet finished (in flight and
 * waiting): 0 when everything submitted has finished. */
int dc_vlm_batch_step(dc_vlm_batch *b);
/* Moves up to max finished claims, in the order they finished, into done[]. */
int dc_vlm_batch_collect(dc_vlm_batch *b, dc_vlm_done *done, int max);
/* Claims in flight right now. */
int dc_vlm_batch_running(const dc_vlm_batch *b);
/* Decode steps so far that carried `width` claims' tokens, and their milliseconds (*ms, may be
 * NULL; llama_decode and every claim's token choice): width * steps / ms is the batch's
 * decode rate at that width (bench/engine compares it with llama-batched-bench). */
int dc_vlm_batch_decode_steps(const dc_vlm_batch *b, int width, double *ms);
/* Claims not run are dropped (their records untouched); finished ones not collected are freed. */
void dc_vlm_batch_close(dc_vlm_batch *b);
/* Runs n jobs, at most max_claims at once, to the end; each job's record filled. Returns DC_OK
 * when every claim succeeded, else the class of the first to fail (its status in *st);
 * stats[i] and outputs[i] (caller frees each) of job i when not NULL. */
dc_error_class dc_vlm_assess_many(dc_vlm *vlm, const dc_vlm_job *jobs, int n, int max_claims,
                                  dc_vlm_claim_stats *stats, char **outputs, dc_status *st);

#ifdef DC_TEST_HOOKS
/* Test-only fault injection. Each fault fires `count` times, at the named point of a claim. */
typedef enum {
    DC_VLM_FAULT_NONE = 0,
    DC_VLM_FAULT_DEVICE_ENCODE,          /* vision encode fails as a device (GPU) error */
    DC_VLM_FAULT_DEVICE_DECODE,          /* llama_decode fails as a device error */
    DC_VLM_FAULT_TRANSIENT_PREFILL,      /* the prefill after vision encoding fails transiently */
    DC_VLM_FAULT_DEADLINE_ENCODE,        /* the deadline passes during vision encoding */
    DC_VLM_FAULT_DEADLINE_DECODE,        /* the deadline passes while generating */
    DC_VLM_FAULT_DECODE_RETURN,          /* a text llama_decode returns a given code (below) */
    DC_VLM_FAULT_DEADLINE_FALLBACK_LOAD, /* inject with count 2: vision encode fails as a
                                            device error, then the deadline passes while the CPU
                                            fallback loads its model */
} dc_vlm_fault;
void dc_vlm_test_inject(dc_vlm *vlm, dc_vlm_fault fault, int count);
/* The next `count` text batches get `code` from llama_decode instead of running it: 1 (no KV
 * slot), 2 (aborted), -1 (invalid batch), -2 / -3 (allocation / compute failure). */
void dc_vlm_test_inject_decode_return(dc_vlm *vlm, int32_t code, int count);
#endif

#endif
