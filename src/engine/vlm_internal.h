/* Internals of the VLM engine, shared by its files.
 *
 * Files, and who may call whom (no file calls back into one that calls it):
 *
 *   vlm_engine.c    options, open/close, frame budget, read-only getters
 *                   -> family, runtime, prompt, vocab, output
 *   vlm_batch.c     several claims in one context: admission, a prefill chunk and one decode
 *                   step for all at a time (in calls of decode_rows), failures kept to their
 *                   claim
 *                   -> assess, generate, decode, recovery, runtime, prefix, output
 *   vlm_assess.c    one claim: frames, prompt chunks, prefill, the attempt loop
 *                   -> runtime, prompt, prefix, decode, recovery, generate, output, abort, fault
 *   vlm_generate.c  grammar-constrained generation and the severity read-out
 *                   -> decode, vocab, output, abort, fault
 *   vlm_prefix.c    the fixed prompt's KV cells: computed once per runtime, shared by each claim
 *                   -> decode
 *   vlm_prompt.c    the fixed prompt (text and tokens, at open) and each claim's full prompt
 *   vlm_decode.c    every text batch the engine gives llama_decode -> recovery, fault
 *   vlm_recovery.c  what a failed step means: llama_decode's return codes, and the retry /
 *                   CPU fallback policy that acts on them
 *   vlm_runtime.c   one placement (model + context + vision encoder) -> abort, batch_rows
 *   vlm_batch_rows.c  how many claims' rows one llama_decode of a batch step gets there (so
 *                   that each row is computed as alone)
 *   vlm_family.c    the model families the engine knows (GGUF metadata), refusing others
 *   vlm_vocab.c     the per-token tables built once from the vocabulary
 *   vlm_output.c    the raw model text of the current claim, and its public accessor
 *   vlm_abort.c     deadline checks inside llama.cpp and the vision encoder -> fault
 *   vlm_fault.c     test-only fault injection (DC_TEST_HOOKS)
 */
#ifndef VLM_INTERNAL_H
#define VLM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llama.h>
#include <mtmd.h>

#include "dashclaim/engine.h"
#include "dashclaim/str.h"

/* How a family gives each frame pair's time in the prompt (vlm_prompt.c). */
typedef enum {
    VLM_TIMES_PAIR_LINES,   /* Qwen2.5-VL: a text line with the frame numbers and times before
                               each pair (its M-RoPE has no absolute time) */
    VLM_TIMES_SECONDS_TAGS, /* Qwen3-VL: "<12.3 seconds>" right before each temporal patch, the
                               mean time of its two frames, as its processor writes them */
} vlm_time_style;

/* The rules of one model family (vlm_family.c), learnt at open from the GGUF metadata. */
typedef struct {
    const char *name;      /* "qwen2.5-vl", "qwen3-vl", "cosmos-reason2", "qwen2.5-omni" */
    const char *models;    /* for messages: "Qwen2.5-VL, Cosmos-Reason1" */
    const char *arch;      /* general.architecture of the text model */
    const char *projector; /* clip.projector_type of the mmproj */
    const char *name_key;  /* NULL, or what general.name / general.basename must contain, in
                              lower case without punctuation ("cosmosreason2") */
    int patch_size;        /* clip.vision.patch_size */
    int temporal_patch;    /* consecutive frames merged into one temporal patch */
    double max_fps;        /* the frame rate its video training assumed (at most) */
    vlm_time_style times;
    bool thinks;                   /* answers <think>...</think> first */
    const char *think_instruction; /* appended to the user turn to ask for it; NULL = none */
    bool hears;                    /* the mmproj has an audio encoder used with the frames */
} vlm_family;

/* The fixed prompt's cells live in sequence 0, which each claim shares; a claim alone is
 * sequence 1 (llama_memory_seq_cp adds sequence 1 to the prefix's cells; nothing is copied),
 * a batch's claim in slot k sequence 1 + k. The claims' ids follow each other because
 * llama.cpp puts a step's rows of separate KV streams into one ubatch only for consecutive
 * sequence ids (llama_batch_allocr::split_equal); a gap splits the step. */
enum { VLM_SEQ_PREFIX = 0, VLM_SEQ_CLAIM = 1 };

/* Why a step of a claim failed, which decides what happens next (vlm_recovery.c). */
typedef enum {
    VLM_STEP_OK = 0,
    VLM_STEP_TIMEOUT,   /* the deadline passed: the claim fails, no retry */
    VLM_STEP_TRANSIENT, /* retry with backoff */
    VLM_STEP_DEVICE,    /* the GPU failed: reload on the CPU for this claim */
    VLM_STEP_FATAL,     /* this claim cannot succeed (too long, our bug): no retry */
} vlm_step;

/* Model + vision encoder + context, on one placement (GPU as configured, or CPU only). */
typedef struct {
    struct llama_model *model;
    struct llama_context *lctx;
    mtmd_context *mctx;
    bool on_gpu;     /* some layers or the mmproj are on a GPU device */
    char device[64]; /* "cpu", "CUDA0", ... */
    /* most rows a batch's decode step gives one llama_decode on this placement
     * (vlm_batch_rows.c) */
    int decode_rows;
    /* KV cells of sequence VLM_SEQ_PREFIX holding e->prefix_tokens[0 .. prefix_cells) at
     * positions 0.. on this placement; 0 = not computed here yet (vlm_prefix.c) */
    int prefix_cells;
    unsigned prefix_claim; /* e->claim_serial of the claim that computed them */
} vlm_runtime;

/* Every field has one writer: the file named before it. Other files only read it. */
struct dc_vlm {
    /* vlm_engine.c, at open; constant afterwards */
    dc_vlm_options opts;
    const vlm_family *family; /* vlm_family_check */
    int pixel_unit;           /* pixels per visual token side: patch size x spatial merge */
    bool thinks;              /* the claim's answer starts with <think>...</think> */
    int audio_rate;           /* Hz of the audio encoder; 0 = the model does not hear */
    char model_path[1024], mmproj_path[1024];
    bool has_gpu;    /* a GPU backend device is registered */
    int n_ctx;       /* KV cells one claim may use (the fixed prompt's included) */
    int n_ctx_total; /* KV cells of the context: n_ctx, or n_ctx per stream of a batch */
    int n_batch;
    int n_threads;
    int system_claim_tokens; /* measured prompt text at open, for the context size */
    char *grammar;           /* dc_model_output_grammar() */

    /* vlm_prompt.c, at open: the fixed part of every prompt */
    char *system_text;          /* dc_prompt_fixed(): the system message */
    char *frames_header;        /* the user turn's first line, before the frames */
    llama_token *prefix_tokens; /* the chat-formatted system message + that line, tokenized */
    int n_prefix_tokens;        /* 0 = no reusable prefix (then every claim computes it all) */

    /* vlm_engine.c (open) and vlm_assess.c (reload for a claim, CPU fallback): placements */
    vlm_runtime primary;  /* as configured; reloaded lazily after a CPU fallback */
    vlm_runtime fallback; /* CPU only, loaded for one claim after a device failure */
    vlm_runtime *rt;      /* the one a claim runs on */
    /* vlm_prefix.c: prefix_cells / prefix_claim of the runtimes above */

    /* vlm_vocab.c, at open: per-token tables */
    int n_vocab;
    uint8_t *token_flags;         /* per token: VLM_TOKEN_* */
    llama_token_data *candidates; /* n_vocab, reused for every sampling step (vlm_generate.c) */
    /* tokens grouped by the first byte of their text, so that a grammar step only filters the
     * tokens whose first byte the grammar can accept (see vlm_generate.c) */
    llama_token *by_first_byte;  /* n_vocab ids, bucket b at [bucket_start[b], bucket_start[b+1]) */
    int bucket_start[258];       /* bucket 256: tokens without text (EOG / control) */
    llama_token byte_token[256]; /* a token whose text is exactly that byte; -1 = none */

    /* vlm_decode.c: the text batch (n_batch tokens), made at open by vlm_engine.c */
    struct llama_batch batch;

    /* vlm_assess.c sets these per claim; vlm_abort.c sets aborted and eval_nodes */
    dc_deadline deadline;
    bool aborted;          /* a callback stopped a computation because the deadline passed */
    int eval_nodes;        /* node counter of the vision-encoder eval callback */
    unsigned claim_serial; /* the claim's number, so a runtime knows which claim built its prefix */
    unsigned claims_begun; /* claims started on this engine (vlm_claim_begin numbers them) */
    char fallback_from[64]; /* vlm_assess.c: the device a CPU fallback replaced */

    /* vlm_assess.c resets per claim; vlm_generate.c, vlm_prefix.c add their figures */
    dc_vlm_claim_stats stats;

    /* vlm_output.c */
    dc_str output; /* raw text of the last claim */
    dc_str prompt; /* prompt text of the last claim */
    /* vlm_generate.c: where the JSON answer starts in output (after a model's thinking) */
    size_t answer_at;

#ifdef DC_TEST_HOOKS
    /* vlm_fault.c */
    dc_vlm_fault fault;
    int fault_count;
    int32_t fault_code; /* DC_VLM_FAULT_DECODE_RETURN: what llama_decode "returns" */
#endif
};

/* ---- vlm_vocab.c ------------------------------------------------------------------------ */
/* token_flags bits */
enum {
    VLM_TOKEN_STRING_CLOSE = 1,   /* '"' then only ']', '}' or '"': ends a string value */
    VLM_TOKEN_STRUCT_CLOSE = 2,   /* only ']' and '}': ends arrays / objects */
    VLM_TOKEN_COMMA = 4,          /* ',' then only '"': ends a number before the next field */
    VLM_TOKEN_SEVERITY_SHIFT = 3, /* bits 3..5: 1 + severity whose label starts like this */
};
/* Classifies every token once per engine (see VLM_TOKEN_*). False when out of memory. */
bool vlm_vocab_classify(dc_vlm *e, const struct llama_vocab *vocab);
void vlm_vocab_free(dc_vlm *e);
/* The severity a token's text starts like, -1 for none. */
int vlm_token_severity(const dc_vlm *e, llama_token t);

/* ---- vlm_family.c ----------------------------------------------------------------------- */
/* Finds the family of the text model (`model`, a vocab-only load is enough) and
 * e->mmproj_path in the table and sets e->family, e->pixel_unit and e->thinks; DC_ERR_MODEL
 * naming the architecture and projector of both files when the pair is not a known family
 * (or a text model with another family's mmproj). */
dc_error_class vlm_family_check(dc_vlm *e, const struct llama_model *model, dc_status *st);

/* ---- vlm_runtime.c ---------------------------------------------------------------------- */
dc_error_class vlm_runtime_load(dc_vlm *e, vlm_runtime *rt, bool cpu_only, dc_status *st);
/* vlm_batch_rows.c: the most rows one llama_decode of a batch's decode step gets on a
 * placement (a GPU's text layers or the CPU) */
int vlm_batch_decode_rows(const dc_vlm *e, bool gpu);
void vlm_runtime_free(vlm_runtime *rt);
/* Bytes in use on the GPU devices (0 when there are none). */
uint64_t vlm_device_memory_used(void);

/* ---- vlm_abort.c: deadline checks installed in llama (abort callback) and clip (eval) --- */
bool vlm_abort_callback(void *user);
bool vlm_clip_eval_callback(struct ggml_tensor *t, bool ask, void *user);
bool vlm_deadline_passed(dc_vlm *e);

/* ---- vlm_prompt.c ----------------------------------------------------------------------- */
/* At open: the fixed system message, the frames header, and the chat-formatted text up to
 * the first frame tokenized into e->prefix_tokens with `model`'s template and vocabulary (a
 * vocab-only load is enough). */
dc_error_class vlm_prompt_prepare(dc_vlm *e, const struct llama_model *model, dc_status *st);
void vlm_prompt_free(dc_vlm *e);
/* The chat-formatted prompt of one claim: the fixed part, then one media marker per frame
 * (with the times as the family gives them), then for a model that hears one marker for
 * audio_sec seconds of ctx->audio (0 = none), then the claim line. It starts with the same
 * text that e->prefix_tokens was made from. Caller frees. NULL with *st on failure. */
/* The telemetry lines of the prompt (vlm_telemetry.c): one per step frames (2 = a pair),
 * appended to s; nothing when t is NULL or holds no data. */
void vlm_prompt_telemetry(dc_str *s, const dc_telemetry *t, const dc_frame_set *frames,
                          int n_frames, int step);
char *vlm_prompt_build(const dc_vlm *e, const dc_frame_set *frames, int n_frames,
                       const dc_engine_context *ctx, double audio_sec, dc_status *st);

/* ---- vlm_recovery.c --------------------------------------------------------------------- */
/* What llama_decode's return code `ret` (not 0) means for the claim; fills *st. `what`
 * names the step ("the prompt prefill"). The table is in vlm_recovery.c. */
vlm_step vlm_decode_failed(dc_vlm *e, int32_t ret, const char *what, dc_status *st);
typedef enum { VLM_NEXT_FINISH, VLM_NEXT_RETRY, VLM_NEXT_CPU_FALLBACK } vlm_next;
/* The recovery policy: after a failed attempt, finish (the claim fails), retry on the same
 * placement after `backoff` seconds (the caller sleeps and doubles it), or reload on the CPU
 * for this claim. */
vlm_next vlm_recovery_next(const dc_vlm *e, vlm_step s, int *retries_left, double backoff);

/* ---- vlm_decode.c ----------------------------------------------------------------------- */
/* Decodes n text tokens into sequence seq from position *n_past, in batches of n_batch, the
 * logits of the last one kept when logits_last. Advances *n_past. */
vlm_step vlm_decode_text(dc_vlm *e, const llama_token *toks, int n, llama_seq_id seq,
                         llama_pos *n_past, bool logits_last, const char *what, dc_status *st);
/* One decode step of a batch: token i of sequence seqs[i] at pos[i], logits of every token
 * kept (llama_get_logits_ith(ctx, i)); n <= n_batch. */
vlm_step vlm_decode_step(dc_vlm *e, int n, const llama_token *toks, const llama_pos *pos,
                         const llama_seq_id *seqs, dc_status *st);

/* ---- vlm_prefix.c ----------------------------------------------------------------------- */
/* How many of the claim's first-chunk tokens `toks` are the fixed prompt's (the longest
 * common prefix with e->prefix_tokens): the claim decodes them as a batch of their own, or
 * takes their cells from the cache. */
size_t vlm_prefix_match(const dc_vlm *e, const llama_token *toks, size_t n);
/* Starts a claim's KV state on e->rt: its sequence `seq` emptied and, unless the cache
 * is off, the fixed prompt's cells computed on this runtime if they are not yet and their
 * first `match` (vlm_prefix_match) shared into the claim's sequence. *reused: how many of
 * the claim's tokens need not be decoded (0 or match). */
vlm_step vlm_prefix_attach(dc_vlm *e, llama_seq_id seq, size_t match, size_t *reused,
                           dc_status *st);
/* Forgets the prefix of e->rt (its cells are freed); the next claim recomputes it. */
void vlm_prefix_drop(dc_vlm *e);

/* ---- vlm_generate.c --------------------------------------------------------------------- */
typedef struct {
    double probs[DC_SEVERITY_COUNT];
    bool have_probs;
} vlm_severity_readout;

/* One claim's generation, a token at a time, so that a batch (vlm_batch.c) can decode the
 * next token of several claims in one llama_decode. Each claim has its own grammar and
 * sampler chain. The caller decodes g->next into g->seq at g->n_past (logits kept), counts
 * it in stats.decode_tokens, advances n_past, and calls vlm_gen_pick with that token's
 * logits; when the pick sets force_pending (a reasoning model's thinking ended) it calls
 * vlm_gen_force, which decodes the forced closing tag and the answer prefix as batches of
 * their own (so it overwrites llama.cpp's logits: a batch calls it after every claim of the
 * step has picked). Forced text always goes in batches of its own, as a claim alone does. */
typedef struct {
    struct llama_sampler *grammar, *chain;
    llama_seq_id seq;
    llama_pos n_past;
    bool thinking;      /* in the <think> block */
    bool closed;        /* the model wrote </think> */
    bool force_pending; /* the thinking ends: vlm_gen_force next */
    bool done;          /* the answer is complete or the budget spent */
    int think_i, answer_i;
    int max_new; /* the claim's token budget for the answer */
    size_t think_start;
    llama_token next; /* the chosen token, to decode next */
    vlm_severity_readout sev;
    double t0;
} vlm_gen;
/* Makes the samplers, decodes the forced start ("<think>\n", or the answer prefix) in a
 * batch of its own and picks the first token from its logits. */
vlm_step vlm_gen_begin(dc_vlm *e, vlm_gen *g, llama_seq_id seq, llama_pos n_past, int max_new,
                       dc_status *st);
/* Chooses the next token from the logits of the last one (or sets done / force_pending);
 * appends text to e->output. */
vlm_step vlm_gen_pick(dc_vlm *e, vlm_gen *g, const float *logits, dc_status *st);
vlm_step vlm_gen_force(dc_vlm *e, vlm_gen *g, dc_status *st);
/* Frees the samplers, adds the time since begin to stats.decode_ms. */
void vlm_gen_end(dc_vlm *e, vlm_gen *g);
/* A claim alone: begin, then decode and pick a token at a time until done. */
vlm_step vlm_generate(dc_vlm *e, llama_seq_id seq, llama_pos *n_past, int max_new,
                      vlm_severity_readout *sev, dc_status *st);

/* KV cells a claim's thinking may take: its budget and the forced tags; 0 when the model does
 * not think. */
int vlm_think_cells(const dc_vlm *e);

/* ---- vlm_assess.c: one claim, in steps a batch can interleave ---------------------------- */
/* The engine's per-claim fields (stats, output, prompt, answer_at, deadline, aborted,
 * claim_serial) of a claim that is not the one being worked on: vlm_batch.c swaps them with
 * the engine's around each piece of a claim's work (vlm_claim_swap), so that every function
 * of a claim alone runs unchanged for a claim in a batch. */
typedef struct {
    dc_vlm_claim_stats stats;
    dc_str output, prompt;
    size_t answer_at;
    dc_deadline deadline;
    bool aborted;
    unsigned claim_serial;
} vlm_claim_fields;

/* One claim: what the caller gave, what survives retries (bitmaps, prompt, its chunks for the
 * runtime they were made with, the vision embeddings of each image chunk) and the attempt in
 * progress. */
typedef struct {
    const dc_frame_set *frames;
    const dc_engine_context *ctx;
    dc_assessment *out;
    llama_seq_id seq; /* VLM_SEQ_CLAIM alone; its slot's sequence in a batch */
    mtmd_bitmap **bitmaps;
    int n_bitmaps;
    char *prompt;
    mtmd_input_chunks *chunks;
    const vlm_runtime *chunks_rt;
    float **embd; /* per chunk index; NULL = not encoded yet */
    size_t n_chunks;
    int max_new;       /* its answer's token budget (opts.max_new_tokens, or less in a batch) */
    size_t next_chunk; /* the attempt's next prompt chunk */
    llama_pos n_past;
    vlm_severity_readout sev;
    int retries_left;
    double backoff;
    double t_start;
    char fallback_reason[512], primary_device[64];
    vlm_claim_fields saved; /* vlm_batch.c */
} vlm_claim;

/* Starts a claim: the engine's per-claim fields reset, the record's engine header filled. */
void vlm_claim_begin(dc_vlm *e, vlm_claim *c, const dc_frame_set *frames,
                     const dc_engine_context *ctx, dc_deadline dl, dc_assessment *out);
/* The configured placement for the next claims (a CPU fallback's context freed, the primary
 * reloaded if a fallback freed it). */
dc_error_class vlm_use_primary(dc_vlm *e, dc_status *st);
/* Frames to bitmaps, the window's sound, the prompt text. */
dc_error_class vlm_claim_prepare(dc_vlm *e, vlm_claim *c, dc_status *st);
/* A new attempt: the prompt tokenized for e->rt, counted and checked against the context. */
vlm_step vlm_attempt_begin(dc_vlm *e, vlm_claim *c, dc_status *st);
/* The next prompt chunk into the claim's sequence (the first on the prefix's cells). */
vlm_step vlm_attempt_prefill(dc_vlm *e, vlm_claim *c, dc_status *st);
bool vlm_attempt_prefilled(const vlm_claim *c);
/* KV cells a claim of prompt_tokens needs at most (prompt, thinking, answer prefix, budget). */
int vlm_claim_cells(const dc_vlm *e, int prompt_tokens, int max_new);
/* The attempt loop of a claim alone, from e->rt: retries, CPU fallback. */
vlm_step vlm_claim_attempts(dc_vlm *e, vlm_claim *c, dc_status *st);
/* Frees the device placement (once) and puts this claim on the CPU-only one (loaded once),
 * recorded as a fallback for `reason`. */
dc_error_class vlm_cpu_fallback(dc_vlm *e, vlm_claim *c, const char *reason, dc_status *st);
/* The answer parsed and checked (when *st is OK), the record's engine fields, the claim's
 * cells freed, the memory and time figures. */
void vlm_claim_finish(dc_vlm *e, vlm_claim *c, dc_status *st);
void vlm_sleep_sec(double s);

/* ---- vlm_output.c ----------------------------------------------------------------------- */
void vlm_output_reset(dc_vlm *e);
/* Keeps a copy of the claim's prompt text (a failed copy leaves it empty: debugging only). */
void vlm_output_keep_prompt(dc_vlm *e, const char *prompt);
bool vlm_output_append(dc_vlm *e, const char *text, size_t len);
void vlm_output_free(dc_vlm *e);

/* ---- vlm_fault.c ------------------------------------------------------------------------ */
#ifdef DC_TEST_HOOKS
/* True when the injected fault `f` fires now (consumes one count). */
bool vlm_fault_fires(dc_vlm *e, dc_vlm_fault f);
#else
#define vlm_fault_fires(e, f) false
#endif

#endif
