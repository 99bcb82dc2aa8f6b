/* Grammar-constrained generation of the model's answer and the severity read-out.
 *
 * The answer always starts with DC_MODEL_OUTPUT_PREFIX (`{"severity":"`), which is decoded as
 * part of the prompt, so the first generated token is the severity label's first token. At
 * that step the grammar leaves only tokens that begin one of NONE / LOW / MEDIUM / HIGH, and
 * the four labels start with four different letters: the softmax mass of the allowed tokens
 * grouped by first letter, renormalised, is the model's severity distribution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlm_internal.h"

/* Added to the logits of closing tokens once the token budget runs low: the grammar still
 * decides what is allowed, this only makes "end this value now" win where allowed. Ending a
 * string outranks ']' / '}' (inside a string they would only be more text), which outrank ','
 * (which would start another array element, but after a number starts the next field). */
#define STRING_CLOSE_BIAS 3000.0f
#define STRUCT_CLOSE_BIAS 2000.0f
#define COMMA_BIAS 1000.0f

static float biased_logit(const dc_vlm *e, const float *logits, llama_token t, bool pressure) {
    float l = logits[t];
    if (pressure && (e->token_flags[t] & VLM_TOKEN_STRING_CLOSE)) l += STRING_CLOSE_BIAS;
    else if (pressure && (e->token_flags[t] & VLM_TOKEN_STRUCT_CLOSE)) l += STRUCT_CLOSE_BIAS;
    else if (pressure && (e->token_flags[t] & VLM_TOKEN_COMMA)) l += COMMA_BIAS;
    return l;
}

static void fill_candidates(dc_vlm *e, const float *logits, bool pressure,
                            llama_token_data_array *arr) {
    for (int t = 0; t < e->n_vocab; t++)
        e->candidates[t] = (llama_token_data){t, biased_logit(e, logits, t, pressure), 0.0f};
    *arr = (llama_token_data_array){e->candidates, (size_t)e->n_vocab, -1, false};
}

/* The candidates the grammar can accept, filtered exactly by the grammar, but only among the
 * tokens whose first byte it accepts: llama.cpp's grammar check costs microseconds per token,
 * and filtering all 150k tokens of the Qwen vocabulary at every step would dominate a claim.
 * Which first bytes are acceptable is found by asking the grammar about the single-byte
 * tokens (byte-level BPE has one for every byte); a partial UTF-8 byte is accepted when some
 * completion could match, so this pre-filter never drops an acceptable token. */
static void fill_grammar_candidates(dc_vlm *e, struct llama_sampler *grammar, const float *logits,
                                    bool pressure, llama_token_data_array *arr) {
    llama_token_data probe[256];
    int byte_of[256], n_probe = 0;
    bool allowed[257];
    for (int b = 0; b < 256; b++) {
        allowed[b] = e->byte_token[b] < 0; /* no probe: keep the bucket */
        if (e->byte_token[b] >= 0 && e->bucket_start[b + 1] > e->bucket_start[b]) {
            probe[n_probe] = (llama_token_data){e->byte_token[b], 0.0f, 0.0f};
            byte_of[n_probe++] = b;
        }
    }
    allowed[256] = true; /* end-of-generation tokens: the grammar decides */
    llama_token_data_array parr = {probe, (size_t)n_probe, -1, false};
    llama_sampler_apply(grammar, &parr);
    for (int i = 0; i < n_probe; i++) allowed[byte_of[i]] = isfinite(probe[i].logit);
    size_t n = 0;
    for (int b = 0; b < 257; b++) {
        if (!allowed[b]) continue;
        for (int k = e->bucket_start[b]; k < e->bucket_start[b + 1]; k++) {
            llama_token t = e->by_first_byte[k];
            e->candidates[n++] = (llama_token_data){t, biased_logit(e, logits, t, pressure), 0.0f};
        }
    }
    *arr = (llama_token_data_array){e->candidates, n, -1, false};
    llama_sampler_apply(grammar, arr);
}

static llama_token pick(struct llama_sampler *chain, llama_token_data_array *arr) {
    llama_sampler_apply(chain, arr);
    if (arr->selected < 0 || arr->selected >= (int64_t)arr->size) return LLAMA_TOKEN_NULL;
    return arr->data[arr->selected].id;
}

/* Softmax over the tokens the grammar allows, grouped by the severity their text starts. */
static void read_severity(const dc_vlm *e, const llama_token_data_array *arr,
                          vlm_severity_readout *sev) {
    float max_l = -INFINITY;
    for (size_t i = 0; i < arr->size; i++)
        if (arr->data[i].logit > max_l) max_l = arr->data[i].logit;
    double mass[DC_SEVERITY_COUNT] = {0};
    double total = 0;
    if (isfinite(max_l)) {
        for (size_t i = 0; i < arr->size; i++) {
            float l = arr->data[i].logit;
            int s = vlm_token_severity(e, arr->data[i].id);
            if (!isfinite(l) || s < 0) continue;
            double p = exp((double)(l - max_l));
            mass[s] += p;
            total += p;
        }
    }
    sev->have_probs = total > 0;
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) sev->probs[s] = total > 0 ? mass[s] / total : 0.0;
}

static bool append_piece(dc_vlm *e, const struct llama_vocab *vocab, llama_token t) {
    char piece[256];
    int len = llama_token_to_piece(vocab, t, piece, (int32_t)sizeof(piece), 0, false);
    return len <= 0 || vlm_output_append(e, piece, (size_t)len);
}

/* The forced "<think>\n" and "\n</think>\n\n" around a reasoning model's thinking. */
enum { THINK_TAG_TOKENS = 16 };

int vlm_think_cells(const dc_vlm *e) {
    return e->thinks ? e->opts.max_think_tokens + THINK_TAG_TOKENS : 0;
}

/* Text the answer format requires at this point (the think tags), decoded as a batch of its
 * own and appended to the output as if the model had written it. Special tokens are parsed: a
 * vocabulary that has <think> as one token gets that token, as the model writes it. */
static vlm_step force_text(dc_vlm *e, vlm_gen *g, const struct llama_vocab *vocab, const char *text,
                           dc_status *st) {
    llama_token toks[THINK_TAG_TOKENS];
    int n = llama_tokenize(vocab, text, (int32_t)strlen(text), toks, THINK_TAG_TOKENS, false, true);
    if (n <= 0) {
        dc_fail(st, DC_ERR_MODEL, "%s: cannot tokenize \"%s\"", e->model_path, text);
        return VLM_STEP_FATAL;
    }
    vlm_step s = vlm_decode_text(e, toks, n, g->seq, &g->n_past, true, "the thinking tags", st);
    if (s != VLM_STEP_OK) return s;
    e->stats.decode_tokens += n;
    if (!vlm_output_append(e, text, strlen(text))) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the model output");
        return VLM_STEP_FATAL;
    }
    return VLM_STEP_OK;
}

/* The fixed answer prefix: decoded like prompt text (a batch of its own), and fed to the
 * grammar; the JSON answer starts here (after a reasoning model's thinking). */
static vlm_step start_answer(dc_vlm *e, vlm_gen *g, const struct llama_vocab *vocab,
                             dc_status *st) {
    g->thinking = false;
    e->answer_at = e->output.len;
    llama_token prefix[64];
    int n_prefix =
        llama_tokenize(vocab, DC_MODEL_OUTPUT_PREFIX, (int32_t)strlen(DC_MODEL_OUTPUT_PREFIX),
                       prefix, 64, false, false);
    if (n_prefix <= 0) {
        dc_fail(st, DC_ERR_MODEL, "%s: cannot tokenize the answer prefix", e->model_path);
        return VLM_STEP_FATAL;
    }
    vlm_step s =
        vlm_decode_text(e, prefix, n_prefix, g->seq, &g->n_past, true, "the answer prefix", st);
    if (s != VLM_STEP_OK) return s;
    e->stats.decode_tokens += n_prefix;
    for (int i = 0; i < n_prefix; i++) llama_sampler_accept(g->grammar, prefix[i]);
    vlm_output_append(e, DC_MODEL_OUTPUT_PREFIX, strlen(DC_MODEL_OUTPUT_PREFIX));
    return VLM_STEP_OK;
}

/* A reasoning model thinks freely (no grammar) until it writes </think>, ends its turn or
 * spends max_think_tokens; then the closing is forced, so that the grammar-constrained JSON
 * always follows within a known number of tokens. */
static vlm_step pick_thought(dc_vlm *e, vlm_gen *g, const struct llama_vocab *vocab,
                             const float *logits, dc_status *st) {
    if (g->think_i >= e->opts.max_think_tokens || g->closed) {
        g->force_pending = true;
        return VLM_STEP_OK;
    }
    if (vlm_deadline_passed(e)) {
        dc_fail(st, DC_ERR_TIMEOUT, "engine: deadline passed while the model was thinking");
        return VLM_STEP_TIMEOUT;
    }
    llama_token_data_array arr;
    fill_candidates(e, logits, false, &arr);
    llama_token t = pick(g->chain, &arr);
    if (t == LLAMA_TOKEN_NULL || llama_vocab_is_eog(vocab, t)) {
        g->force_pending = true;
        return VLM_STEP_OK;
    }
    llama_sampler_accept(g->chain, t);
    size_t before = e->output.len;
    if (!append_piece(e, vocab, t)) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the model output");
        return VLM_STEP_FATAL;
    }
    g->think_i++;
    e->stats.thinking_tokens++;
    /* the tag may end in this piece and start in the pieces before it */
    size_t from = before > g->think_start + 8 ? before - 8 : g->think_start;
    g->closed = strstr(dc_str_text(&e->output) + from, "</think>") != NULL;
    g->next = t;
    return VLM_STEP_OK;
}

static vlm_step pick_answer(dc_vlm *e, vlm_gen *g, const struct llama_vocab *vocab,
                            const float *logits, dc_status *st) {
    const int max_new = g->max_new;
    const int i = g->answer_i;
    if (i >= max_new) {
        g->done = true;
        return VLM_STEP_OK;
    }
    if (vlm_deadline_passed(e)) {
        dc_fail(st, DC_ERR_TIMEOUT, "engine: deadline passed while generating");
        return VLM_STEP_TIMEOUT;
    }
    const bool pressure = max_new - i <= e->opts.closing_reserve;
    e->stats.budget_pressure |= pressure;
    llama_token_data_array arr;
    llama_token t = LLAMA_TOKEN_NULL;
    if (i > 0) {
        /* fast path: the unconstrained choice, if the grammar accepts it; checking one token
         * is far cheaper than filtering the whole vocabulary */
        fill_candidates(e, logits, pressure, &arr);
        t = pick(g->chain, &arr);
        if (t != LLAMA_TOKEN_NULL) {
            llama_token_data one = {t, 0.0f, 0.0f};
            llama_token_data_array single = {&one, 1, -1, false};
            double g0 = dc_now();
            llama_sampler_apply(g->grammar, &single);
            e->stats.grammar_ms += (dc_now() - g0) * 1000.0;
            if (!isfinite(one.logit)) t = LLAMA_TOKEN_NULL;
        }
    }
    if (t == LLAMA_TOKEN_NULL) {
        double g0 = dc_now();
        fill_grammar_candidates(e, g->grammar, logits, pressure, &arr);
        e->stats.grammar_ms += (dc_now() - g0) * 1000.0;
        e->stats.grammar_full_passes++;
        if (i == 0) read_severity(e, &arr, &g->sev);
        t = pick(g->chain, &arr);
        if (t == LLAMA_TOKEN_NULL || !isfinite(arr.data[arr.selected].logit)) {
            dc_fail(st, DC_ERR_MODEL, "engine: no token satisfies the output grammar");
            return VLM_STEP_FATAL;
        }
    }
    e->stats.answer_logit_sum += logits[t];
    if (llama_vocab_is_eog(vocab, t)) {
        g->done = true; /* the grammar only allows end-of-generation once the JSON is complete */
        return VLM_STEP_OK;
    }
    double g0 = dc_now();
    llama_sampler_accept(g->grammar, t);
    e->stats.grammar_ms += (dc_now() - g0) * 1000.0;
    llama_sampler_accept(g->chain, t);
    if (!append_piece(e, vocab, t)) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the model output");
        return VLM_STEP_FATAL;
    }
    e->stats.generated_tokens++;
    g->answer_i++;
#ifdef DC_TEST_HOOKS
    if (vlm_fault_fires(e, DC_VLM_FAULT_DEADLINE_DECODE))
        e->deadline.at = dc_now() - 1.0; /* passes now, inside the next llama_decode */
#endif
    g->next = t;
    return VLM_STEP_OK;
}

vlm_step vlm_gen_pick(dc_vlm *e, vlm_gen *g, const float *logits, dc_status *st) {
    const struct llama_vocab *vocab = llama_model_get_vocab(e->rt->model);
    g->next = LLAMA_TOKEN_NULL;
    return g->thinking ? pick_thought(e, g, vocab, logits, st)
                       : pick_answer(e, g, vocab, logits, st);
}

vlm_step vlm_gen_force(dc_vlm *e, vlm_gen *g, dc_status *st) {
    const struct llama_vocab *vocab = llama_model_get_vocab(e->rt->model);
    g->force_pending = false;
    vlm_step s = force_text(e, g, vocab, g->closed ? "\n\n" : "\n</think>\n\n", st);
    if (s == VLM_STEP_OK) s = start_answer(e, g, vocab, st);
    if (s == VLM_STEP_OK) s = vlm_gen_pick(e, g, llama_get_logits_ith(e->rt->lctx, -1), st);
    return s;
}

vlm_step vlm_gen_begin(dc_vlm *e, vlm_gen *g, llama_seq_id seq, llama_pos n_past, int max_new,
                       dc_status *st) {
    const struct llama_vocab *vocab = llama_model_get_vocab(e->rt->model);
    memset(g, 0, sizeof(*g));
    g->seq = seq;
    g->n_past = n_past;
    g->max_new = max_new;
    g->next = LLAMA_TOKEN_NULL;
    g->t0 = dc_now();
    g->grammar = llama_sampler_init_grammar(vocab, e->grammar, DC_MODEL_OUTPUT_GRAMMAR_ROOT);
    g->chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
    if (!g->grammar || !g->chain) {
        dc_fail(st, DC_ERR_INTERNAL, "engine: llama.cpp rejected the output grammar");
        return VLM_STEP_FATAL;
    }
    if (e->opts.temperature > 0) {
        llama_sampler_chain_add(g->chain, llama_sampler_init_temp(e->opts.temperature));
        llama_sampler_chain_add(g->chain, llama_sampler_init_dist(e->opts.seed));
    } else {
        llama_sampler_chain_add(g->chain, llama_sampler_init_greedy());
    }
    vlm_step s;
    if (e->thinks) {
        s = force_text(e, g, vocab, "<think>\n", st);
        g->thinking = true;
        g->think_start = e->output.len;
    } else {
        s = start_answer(e, g, vocab, st);
    }
    if (s == VLM_STEP_OK) s = vlm_gen_pick(e, g, llama_get_logits_ith(e->rt->lctx, -1), st);
    if (s == VLM_STEP_OK && g->force_pending) s = vlm_gen_force(e, g, st);
    return s;
}

void vlm_gen_end(dc_vlm *e, vlm_gen *g) {
    if (g->t0 > 0) e->stats.decode_ms += (dc_now() - g->t0) * 1000.0;
    if (g->chain) llama_sampler_free(g->chain);
    if (g->grammar) llama_sampler_free(g->grammar);
    memset(g, 0, sizeof(*g));
}

vlm_step vlm_generate(dc_vlm *e, llama_seq_id seq, llama_pos *n_past, int max_new,
                      vlm_severity_readout *sev, dc_status *st) {
    vlm_gen g;
    vlm_step s = vlm_gen_begin(e, &g, seq, *n_past, max_new, st);
    while (s == VLM_STEP_OK && !g.done) {
        const char *what = g.thinking ? "thinking" : "generation";
        s = vlm_decode_text(e, &g.next, 1, seq, &g.n_past, true, what, st);
        if (s != VLM_STEP_OK) break;
        e->stats.decode_tokens++;
        s = vlm_gen_pick(e, &g, llama_get_logits_ith(e->rt->lctx, -1), st);
        if (s == VLM_STEP_OK && g.force_pending) s = vlm_gen_force(e, &g, st);
    }
    *n_past = g.n_past;
    *sev = g.sev;
    vlm_gen_end(e, &g);
    return s;
}
