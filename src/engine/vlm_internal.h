/* Internals of the VLM engine, shared by its files. */
#ifndef DC_VLM_INTERNAL_H
#define DC_VLM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llama.h>
#include <mtmd.h>

#include "dashclaim/engine.h"

/* Qwen2.5-VL: 14-pixel patches merged 2x2, so one visual token covers 28x28 pixels. */
#define DC_VLM_PIXEL_UNIT 28

/* Why a step of a claim failed, which decides what happens next. */
typedef enum {
    VLM_STEP_OK = 0,
    VLM_STEP_TIMEOUT,   /* the deadline passed: the claim fails, no retry */
    VLM_STEP_TRANSIENT, /* retry with backoff */
    VLM_STEP_DEVICE,    /* the GPU failed: reload on the CPU for this claim */
    VLM_STEP_FATAL,     /* the model cannot do this claim (e.g. prompt too long) */
} vlm_step;

/* Model + vision encoder + context, on one placement (GPU as configured, or CPU only). */
typedef struct {
    struct llama_model *model;
    struct llama_context *lctx;
    mtmd_context *mctx;
    bool on_gpu;     /* some layers or the mmproj are on a GPU device */
    char device[64]; /* "cpu", "CUDA0", ... */
} vlm_runtime;

struct dc_vlm {
    dc_vlm_options opts;
    char model_path[1024], mmproj_path[1024];
    bool has_gpu; /* a GPU backend device is registered */
    int n_ctx;    /* KV cells */
    int n_batch;
    int n_threads;
    int system_claim_tokens; /* measured prompt text at open, for the context size */
    vlm_runtime primary;     /* as configured; reloaded lazily after a CPU fallback */
    vlm_runtime fallback;    /* CPU only, loaded for one claim after a device failure */
    vlm_runtime *rt;         /* the one a claim runs on */
    char *grammar;           /* dc_model_output_grammar() */
    int n_vocab;
    uint8_t *token_flags;         /* per token: VLM_TOKEN_* */
    llama_token_data *candidates; /* n_vocab, reused for every sampling step */
    /* tokens grouped by the first byte of their text, so that a grammar step only filters the
     * tokens whose first byte the grammar can accept (see vlm_generate.c) */
    llama_token *by_first_byte;  /* n_vocab ids, bucket b at [bucket_start[b], bucket_start[b+1]) */
    int bucket_start[258];       /* bucket 256: tokens without text (EOG / control) */
    llama_token byte_token[256]; /* a token whose text is exactly that byte; -1 = none */

    /* abort state read by the llama and clip callbacks */
    dc_deadline deadline;
    bool aborted;   /* a callback stopped a computation because the deadline passed */
    int eval_nodes; /* node counter of the vision-encoder eval callback */

    dc_vlm_claim_stats stats;
    char *output; /* raw text of the last claim */
    size_t output_len, output_cap;

#ifdef DC_TEST_HOOKS
    dc_vlm_fault fault;
    int fault_count;
#endif
};

/* token_flags bits */
enum {
    VLM_TOKEN_STRING_CLOSE = 1,   /* '"' then only ']', '}' or '"': ends a string value */
    VLM_TOKEN_STRUCT_CLOSE = 2,   /* only ']' and '}': ends arrays / objects */
    VLM_TOKEN_COMMA = 4,          /* ',' then only '"': ends a number before the next field */
    VLM_TOKEN_SEVERITY_SHIFT = 3, /* bits 3..5: 1 + severity whose label starts like this */
};
/* Classifies every token once per engine (see VLM_TOKEN_*). */
bool vlm_token_flags_build(dc_vlm *e, const struct llama_vocab *vocab);

/* vlm_runtime.c */
dc_error_class vlm_runtime_load(dc_vlm *e, vlm_runtime *rt, bool cpu_only, dc_status *st);
void vlm_runtime_free(vlm_runtime *rt);
/* Bytes in use on the GPU devices (0 when there are none). */
uint64_t vlm_device_memory_used(void);

/* vlm_abort.c: deadline checks installed in llama (abort callback) and clip (eval callback) */
bool vlm_abort_callback(void *user);
bool vlm_clip_eval_callback(struct ggml_tensor *t, bool ask, void *user);
bool vlm_deadline_passed(dc_vlm *e);

/* vlm_prompt.c */
/* The chat-formatted prompt with one media marker per frame and a timestamp before each
 * pair. Caller frees. NULL with *st on failure. */
char *vlm_prompt_build(const dc_vlm *e, const dc_frame_set *frames, int n_frames,
                       const dc_engine_context *ctx, dc_status *st);

/* vlm_generate.c */
typedef struct {
    double probs[DC_SEVERITY_COUNT];
    bool have_probs;
} vlm_severity_readout;
/* Decodes the fixed prefix, then generates grammar-constrained tokens from position *n_past
 * until the grammar completes or the budget is spent; appends text to e->output. */
vlm_step vlm_generate(dc_vlm *e, llama_pos *n_past, vlm_severity_readout *sev, dc_status *st);

/* vlm_output.c */
void vlm_output_reset(dc_vlm *e);
bool vlm_output_append(dc_vlm *e, const char *text, size_t len);

#ifdef DC_TEST_HOOKS
/* True when the injected fault `f` fires now (consumes one count). */
bool vlm_fault_fires(dc_vlm *e, dc_vlm_fault f);
#else
#define vlm_fault_fires(e, f) false
#endif

#endif
