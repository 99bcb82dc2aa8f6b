/* What a failed step of a claim means, and what the claim does next.
 *
 * The recovery policy (vlm_recovery_next, applied by dc_vlm_assess after each attempt):
 *
 *   step       error class         next
 *   TIMEOUT    timeout             finish: the claim fails, never retried (the time is gone)
 *   FATAL      resource/internal/  finish: the claim fails; retrying cannot help (the claim
 *              model               does not fit the context, or the engine has a bug)
 *   TRANSIENT  resource            retry on the same placement after a backoff (doubling from
 *                                  opts.retry_backoff_sec; dc_vlm_assess sleeps), at most
 *                                  opts.retries times and only while the deadline leaves
 *                                  more than the backoff
 *   DEVICE     resource            the first time in a claim: free the GPU placement and
 *                                  finish this claim on a CPU-only one (recorded, degraded);
 *                                  after that, like TRANSIENT
 *
 * Every attempt starts from an empty claim sequence on top of the fixed prompt's cells
 * (vlm_prefix.c), so a retry and the CPU fallback start from a correct prefix: a failed
 * llama_decode only ever leaves cells of the claim's sequence behind, and the fallback's
 * fresh context computes the prefix once.
 *
 * llama_decode's return codes (llama.h at the pinned commit, and llama-context.cpp) mapped
 * onto that policy: decode_codes below. The same codes come back through
 * mtmd_helper_eval_chunk_single and mtmd_helper_decode_image_chunk, which return
 * llama_decode's code unchanged (and -1 for a chunk of the wrong kind: also our bug). */
#include <stddef.h>

#include "vlm_internal.h"

typedef struct {
    int32_t code;
    vlm_step on_cpu, on_gpu;
    dc_error_class cls;
    const char *meaning; /* for the message */
} decode_code_row;

static const decode_code_row decode_codes[] = {
    /* "could not find a KV slot for the batch"; the memory is restored. The context was sized
     * for the claim and the claim's size was checked against it, so more cells will not
     * appear by retrying: the claim fails. */
    {1, VLM_STEP_FATAL, VLM_STEP_FATAL, DC_ERR_RESOURCE,
     "no KV cells left for the batch (the context is full)"},
    /* "aborted": only our abort callback stops a decode, and only when the claim's deadline
     * passed. Processed ubatches stay in the claim's sequence, which the next attempt or
     * claim empties. */
    {2, VLM_STEP_TIMEOUT, VLM_STEP_TIMEOUT, DC_ERR_TIMEOUT, "aborted: the deadline passed"},
    /* "invalid input batch" (bad token id, position or sequence, empty batch): the batch is
     * ours, so this is a bug in dashclaim. The same batch would fail again on any device:
     * not retried, no CPU reload. */
    {-1, VLM_STEP_FATAL, VLM_STEP_FATAL, DC_ERR_INTERNAL,
     "invalid input batch (a bug in dashclaim's engine)"},
    /* memory slot preparation or a compute buffer allocation failed: on a GPU the device is
     * out of memory (finish on the CPU); on the CPU, retry (memory may come back) */
    {-2, VLM_STEP_TRANSIENT, VLM_STEP_DEVICE, DC_ERR_RESOURCE, "allocation failed (out of memory)"},
    /* the graph computation failed (ggml backend error) */
    {-3, VLM_STEP_TRANSIENT, VLM_STEP_DEVICE, DC_ERR_RESOURCE, "computation failed"},
};

/* Codes llama.h does not list: "< -1 fatal error" like -3; a positive code is "a warning"
 * with the memory restored, retried like a transient failure. */
static const decode_code_row unknown_fatal = {0, VLM_STEP_TRANSIENT, VLM_STEP_DEVICE,
                                              DC_ERR_RESOURCE, "fatal error"};
static const decode_code_row unknown_warning = {0, VLM_STEP_TRANSIENT, VLM_STEP_TRANSIENT,
                                                DC_ERR_RESOURCE, "unexpected warning"};

vlm_step vlm_decode_failed(dc_vlm *e, int32_t ret, const char *what, dc_status *st) {
    /* our abort callback fired: whatever the code, the deadline is why */
    if (e->aborted) {
        dc_fail(st, DC_ERR_TIMEOUT, "engine: deadline passed during %s", what);
        return VLM_STEP_TIMEOUT;
    }
    const decode_code_row *row = ret < 0 ? &unknown_fatal : &unknown_warning;
    for (size_t i = 0; i < sizeof(decode_codes) / sizeof(decode_codes[0]); i++)
        if (decode_codes[i].code == ret) row = &decode_codes[i];
    const bool on_gpu = e->rt && e->rt->on_gpu;
    const char *device = e->rt ? e->rt->device : "none";
    if (ret == 1)
        dc_fail(st, row->cls,
                "engine: llama_decode returned 1 during %s on %s: %s; %d KV cells; lower the "
                "frame budget or raise n_ctx",
                what, device, row->meaning, e->n_ctx);
    else
        dc_fail(st, row->cls, "engine: llama_decode returned %d during %s on %s: %s", (int)ret,
                what, device, row->meaning);
    return on_gpu ? row->on_gpu : row->on_cpu;
}

vlm_next vlm_recovery_next(const dc_vlm *e, vlm_step s, int *retries_left, double backoff) {
    if (s == VLM_STEP_DEVICE && !e->stats.cpu_fallback) return VLM_NEXT_CPU_FALLBACK;
    if ((s == VLM_STEP_TRANSIENT || s == VLM_STEP_DEVICE) && *retries_left > 0 &&
        dc_deadline_left(e->deadline) > backoff) {
        (*retries_left)--;
        return VLM_NEXT_RETRY;
    }
    return VLM_NEXT_FINISH;
}
