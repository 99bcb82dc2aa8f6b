/* Text tokens into llama_decode: the fixed prompt, the rest of a claim's first text chunk,
 * the answer prefix and each generated token all go through here, in batches of at most
 * n_batch tokens, with one batch made at open; and a batch's decode step, one token of each
 * generating claim in one llama_decode. A non-zero return is mapped by
 * vlm_decode_failed (vlm_recovery.c). */
#include "vlm_internal.h"

static int32_t decode(dc_vlm *e, struct llama_batch *batch) {
#ifdef DC_TEST_HOOKS
    /* llama_decode's documented failures, as if it had returned them (tests of the table) */
    if (vlm_fault_fires(e, DC_VLM_FAULT_DECODE_RETURN)) {
        if (e->fault_code == 2) e->aborted = true; /* only our abort callback aborts */
        return e->fault_code;
    }
#endif
    return llama_decode(e->rt->lctx, *batch);
}

vlm_step vlm_decode_text(dc_vlm *e, const llama_token *toks, int n, llama_seq_id seq,
                         llama_pos *n_past, bool logits_last, const char *what, dc_status *st) {
    struct llama_batch *batch = &e->batch;
    for (int done = 0; done < n;) {
        int m = n - done < e->n_batch ? n - done : e->n_batch;
        batch->n_tokens = m;
        for (int i = 0; i < m; i++) {
            batch->token[i] = toks[done + i];
            batch->pos[i] = *n_past + i;
            batch->n_seq_id[i] = 1;
            batch->seq_id[i][0] = seq;
            batch->logits[i] = logits_last && done + i == n - 1;
        }
        if (vlm_fault_fires(e, DC_VLM_FAULT_DEVICE_DECODE)) {
            dc_fail(st, DC_ERR_RESOURCE, "engine: injected device failure in llama_decode");
            return VLM_STEP_DEVICE;
        }
        int32_t ret = decode(e, batch);
        if (ret != 0) return vlm_decode_failed(e, ret, what, st);
        *n_past += m;
        done += m;
    }
    return VLM_STEP_OK;
}

vlm_step vlm_decode_step(dc_vlm *e, int n, const llama_token *toks, const llama_pos *pos,
                         const llama_seq_id *seqs, dc_status *st) {
    struct llama_batch *batch = &e->batch;
    batch->n_tokens = n;
    for (int i = 0; i < n; i++) {
        batch->token[i] = toks[i];
        batch->pos[i] = pos[i];
        batch->n_seq_id[i] = 1;
        batch->seq_id[i][0] = seqs[i];
        batch->logits[i] = true;
    }
    if (vlm_fault_fires(e, DC_VLM_FAULT_DEVICE_DECODE)) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: injected device failure in llama_decode");
        return VLM_STEP_DEVICE;
    }
    int32_t ret = decode(e, batch);
    return ret == 0 ? VLM_STEP_OK : vlm_decode_failed(e, ret, "a decode step of the batch", st);
}
