/* The fixed prompt's KV cells, computed once per placement and shared by every claim.
 *
 * The system message, guidance, field list and frames header (about 1 300 tokens, most of a
 * claim's prefill) are decoded once into sequence VLM_SEQ_PREFIX; a claim copies the prefix's
 * cells into its own sequence (VLM_SEQ_CLAIM alone, one per claim in a batch; a tag, no data
 * moves), decodes only what follows,
 * and removes its own cells at the end. A claim computed in full (no_prefix_cache) decodes the
 * fixed prompt as one batch and the rest of its first chunk as the next, the same batches as a
 * claim on the cache: ggml's CPU kernels pick their method by a batch's rows, so other batches
 * would round differently. Why the answer stays bit-identical, and when the prefix is
 * (re)computed after a fallback or a failed decode, is in src/engine/README.md. */
#include "vlm_internal.h"

void vlm_prefix_drop(dc_vlm *e) {
    if (!e->rt || !e->rt->lctx) return;
    llama_memory_seq_rm(llama_get_memory(e->rt->lctx), VLM_SEQ_PREFIX, -1, -1);
    e->rt->prefix_cells = 0;
}

static vlm_step compute(dc_vlm *e, dc_status *st) {
    vlm_prefix_drop(e);
    llama_pos n_past = 0;
    double t0 = dc_now();
    vlm_step s = vlm_decode_text(e, e->prefix_tokens, e->n_prefix_tokens, VLM_SEQ_PREFIX, &n_past,
                                 false, "the fixed prompt's prefill", st);
    e->stats.prefill_ms += (dc_now() - t0) * 1000.0;
    if (s != VLM_STEP_OK) {
        vlm_prefix_drop(e); /* a part of it may stay in the cache (abort, compute failure) */
        return s;
    }
    e->stats.prefill_tokens += e->n_prefix_tokens;
    e->stats.prefix_tokens_computed += e->n_prefix_tokens;
    e->rt->prefix_cells = e->n_prefix_tokens;
    e->rt->prefix_claim = e->claim_serial;
    return VLM_STEP_OK;
}

size_t vlm_prefix_match(const dc_vlm *e, const llama_token *toks, size_t n) {
    size_t same = 0;
    while (toks && same < n && same < (size_t)e->n_prefix_tokens &&
           toks[same] == e->prefix_tokens[same])
        same++;
    return same;
}

vlm_step vlm_prefix_attach(dc_vlm *e, llama_seq_id seq, size_t match, size_t *reused,
                           dc_status *st) {
    llama_memory_t mem = llama_get_memory(e->rt->lctx);
    *reused = 0;
    llama_memory_seq_rm(mem, seq, -1, -1);
    e->stats.cached_prompt_tokens = 0;
    if (e->opts.no_prefix_cache || match == 0) return VLM_STEP_OK;

    vlm_runtime *rt = e->rt;
    /* the cells must all still be there (positions 0 .. prefix_cells - 1); if anything
     * removed some, the prefix is computed again rather than trusted */
    if (rt->prefix_cells > 0 &&
        (llama_memory_seq_pos_min(mem, VLM_SEQ_PREFIX) != 0 ||
         llama_memory_seq_pos_max(mem, VLM_SEQ_PREFIX) != rt->prefix_cells - 1))
        vlm_prefix_drop(e);
    if (rt->prefix_cells == 0) {
        vlm_step s = compute(e, st);
        if (s != VLM_STEP_OK) return s;
    }
    /* The claim's first text chunk starts with the fixed text, so normally all of the prefix
     * matches; if a tokenizer merged across the header's end, the matching part is shared and
     * the claim computes the rest (its cells of sequence 1 stay unused). */
    if (e->opts.max_batch == 1) {
        llama_memory_seq_cp(mem, VLM_SEQ_PREFIX, seq, 0, (llama_pos)match);
    } else {
        /* a stream per sequence (a batch's engine, vlm_runtime.c): llama.cpp copies whole
         * streams (at the next llama_decode), into the same cells as in the prefix's stream */
        llama_memory_seq_cp(mem, VLM_SEQ_PREFIX, seq, -1, -1);
        llama_memory_seq_rm(mem, seq, (llama_pos)match, -1);
    }
    *reused = match;
    /* tokens computed earlier in this same claim (the first claim, a fallback) are not
     * "cached": the claim paid for them */
    if (rt->prefix_claim != e->claim_serial) e->stats.cached_prompt_tokens = (int)match;
    return VLM_STEP_OK;
}
