/* The fixed prompt's KV cells, computed once per placement and shared by every claim.
 *
 * The system message, the guidance, the answer's field list and the frames header are the
 * same text for every claim: about 1 300 of a claim's tokens with the Qwen tokenizer, most of
 * its prefill. They are decoded once into sequence VLM_SEQ_PREFIX. A claim empties its own
 * sequence VLM_SEQ_CLAIM and adds it to the prefix's cells (llama_memory_seq_cp on a unified
 * KV cache tags the cells with both sequences; no data moves), then decodes only what follows
 * from the first position after the prefix. The claim's tokens are removed at the end of the
 * claim (llama_memory_seq_rm of its sequence), which leaves the prefix's cells to the next.
 *
 * Why the answer stays the same, to the bit: the claim's sequence sees the same cells at the
 * same positions with the same values as if it had computed them itself, and its own tokens
 * go to the cells right after them, in the same batches. "The same batches" matters: ggml's
 * CPU kernels pick their method by the rows of a batch (flash attention is tiled from 64
 * query rows on and a vector loop below; the repacked Q4_K kernels take rows 4 at a time and
 * the rest one by one), and two methods round differently. So a claim computed in full
 * (no_prefix_cache) decodes the fixed prompt's tokens as one batch and the rest of its first
 * text chunk as the next, exactly the batches of a claim on the cache. (Decoding the whole
 * chunk as one batch instead gives the same text on the tiny model, with severity
 * probabilities about 1e-6 apart: float rounding, not a different answer.)
 *
 * When the prefix is computed: on the first claim of a placement (so the first claim of an
 * engine pays for it, inside its deadline), and again only on a new placement: the CPU
 * fallback's context computes it once for the claim that fell back, the reloaded GPU
 * placement once for the next claim. A failed decode of the claim's sequence only removes
 * cells of that sequence (llama.h), so a retry reuses the prefix; a failure while computing
 * the prefix itself drops it, and the next attempt computes it again. */
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

vlm_step vlm_prefix_attach(dc_vlm *e, size_t match, size_t *reused, dc_status *st) {
    llama_memory_t mem = llama_get_memory(e->rt->lctx);
    *reused = 0;
    llama_memory_seq_rm(mem, VLM_SEQ_CLAIM, -1, -1);
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
    llama_memory_seq_cp(mem, VLM_SEQ_PREFIX, VLM_SEQ_CLAIM, 0, (llama_pos)match);
    *reused = match;
    /* tokens computed earlier in this same claim (the first claim, a fallback) are not
     * "cached": the claim paid for them */
    if (rt->prefix_claim != e->claim_serial) e->stats.cached_prompt_tokens = (int)match;
    return VLM_STEP_OK;
}
