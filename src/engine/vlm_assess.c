/* One claim on the VLM engine: frames to bitmaps (once), prompt, vision encoding (embeddings
 * kept for retries), prefill on top of the cached fixed prompt (vlm_prefix.c), generation,
 * parsing; the attempt loop that applies the recovery policy of vlm_recovery.c (retries with
 * backoff, CPU fallback after a device failure), deadline, memory figures. The steps are
 * functions of their own (vlm_internal.h) so that a batch (vlm_batch.c) runs the same ones,
 * a prefill chunk at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mtmd-helper.h>

#include "dashclaim/files.h"
#include "dashclaim/sysinfo.h"
#include "vlm_internal.h"

static void claim_state_free(vlm_claim *c) {
    for (int i = 0; i < c->n_bitmaps; i++) mtmd_bitmap_free(c->bitmaps[i]);
    free(c->bitmaps);
    free(c->prompt);
    if (c->chunks) mtmd_input_chunks_free(c->chunks);
    for (size_t i = 0; i < c->n_chunks; i++) free(c->embd[i]);
    free(c->embd);
    c->bitmaps = NULL;
    c->n_bitmaps = 0;
    c->prompt = NULL;
    c->chunks = NULL;
    c->chunks_rt = NULL;
    c->embd = NULL;
    c->n_chunks = 0;
}

static dc_error_class check_frames(const dc_frame_set *frames, dc_status *st) {
    if (!frames || frames->count <= 0 || !frames->frames)
        return dc_fail(st, DC_ERR_INPUT, "engine: no frames to assess");
    const dc_frame *f0 = &frames->frames[0];
    for (int i = 0; i < frames->count; i++) {
        const dc_frame *f = &frames->frames[i];
        if (!f->rgb || f->width <= 0 || f->height <= 0 || f->stride < 3 * f->width)
            return dc_fail(st, DC_ERR_INPUT, "engine: frame %d has no pixels or a bad stride", i);
        if (f->width != f0->width || f->height != f0->height)
            return dc_fail(st, DC_ERR_INPUT,
                           "engine: frame %d is %dx%d but frame 0 is %dx%d (all frames of a "
                           "claim must have one size)",
                           i, f->width, f->height, f0->width, f0->height);
    }
    return DC_OK;
}

/* Frames in memory become mtmd bitmaps marked mergeable, so that libmtmd pairs consecutive
 * frames into Qwen2.5-VL's temporal patches; an odd count gets its last frame repeated. */
static dc_error_class make_bitmaps(const dc_frame_set *frames, bool merge_off, vlm_claim *c,
                                   dc_status *st) {
    int n = merge_off ? frames->count : frames->count + frames->count % 2;
    /* one more slot for the window's sound (add_audio) */
    c->bitmaps = calloc((size_t)n + 1, sizeof(*c->bitmaps));
    if (!c->bitmaps) return dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for %d frames", n);
    const dc_frame *f0 = &frames->frames[0];
    size_t row = (size_t)f0->width * 3;
    uint8_t *packed = NULL;
    if (f0->stride != (int)row) {
        packed = malloc(row * (size_t)f0->height);
        if (!packed) return dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory repacking a frame");
    }
    for (int i = 0; i < n; i++) {
        const dc_frame *f = &frames->frames[i < frames->count ? i : frames->count - 1];
        const uint8_t *px = f->rgb;
        if (packed) {
            for (int y = 0; y < f->height; y++)
                memcpy(packed + row * (size_t)y, f->rgb + (size_t)f->stride * (size_t)y, row);
            px = packed;
        }
        c->bitmaps[i] = mtmd_bitmap_init((uint32_t)f->width, (uint32_t)f->height, px);
        if (!c->bitmaps[i]) {
            free(packed);
            return dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for frame %d", i);
        }
        mtmd_bitmap_set_mergeable(c->bitmaps[i], !merge_off);
        c->n_bitmaps++;
    }
    free(packed);
    return DC_OK;
}

/* The samples of the window's sound the model hears: the first DC_VLM_MAX_AUDIO_SEC seconds
 * (one Whisper window), none for a model that does not hear or under 0.1 s of sound. */
static size_t audio_samples(const dc_vlm *e, const dc_engine_context *ctx) {
    if (!e->family->hears || !ctx || !ctx->audio || !ctx->audio->samples) return 0;
    size_t most = (size_t)(DC_VLM_MAX_AUDIO_SEC * e->audio_rate);
    size_t n = ctx->audio->count < most ? ctx->audio->count : most;
    /* Whisper's mel needs more than a window's worth of samples; a tenth of a second of sound
     * tells the model nothing anyway */
    return n >= (size_t)(e->audio_rate / 10) ? n : 0;
}

/* The sound goes after the frames, as one audio bitmap (its marker follows the frames' in the
 * prompt). */
static dc_error_class add_audio(const dc_vlm *e, const dc_engine_context *ctx, size_t n,
                                vlm_claim *c, dc_status *st) {
    if (n == 0) return DC_OK;
    if (ctx->audio->rate != e->audio_rate)
        return dc_fail(st, DC_ERR_INPUT, "engine: the sound is at %d Hz; the model takes %d Hz",
                       ctx->audio->rate, e->audio_rate);
    c->bitmaps[c->n_bitmaps] = mtmd_bitmap_init_from_audio(n, ctx->audio->samples);
    if (!c->bitmaps[c->n_bitmaps])
        return dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the sound");
    c->n_bitmaps++;
    return DC_OK;
}

static dc_error_class tokenize_prompt(dc_vlm *e, vlm_claim *c, dc_status *st) {
    if (c->chunks && c->chunks_rt == e->rt) return DC_OK;
    if (c->chunks) mtmd_input_chunks_free(c->chunks);
    c->chunks = mtmd_input_chunks_init();
    if (!c->chunks)
        return dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the prompt chunks");
    mtmd_input_text text = {c->prompt, strlen(c->prompt), true, true};
    int32_t r = mtmd_tokenize(e->rt->mctx, c->chunks, &text, (const mtmd_bitmap **)c->bitmaps,
                              (size_t)c->n_bitmaps);
    if (r != 0)
        return dc_fail(st, DC_ERR_MODEL, "%s: libmtmd could not tokenize the prompt (%d)",
                       e->mmproj_path, r);
    c->chunks_rt = e->rt;
    size_t n = mtmd_input_chunks_size(c->chunks);
    if (!c->embd) {
        c->embd = calloc(n ? n : 1, sizeof(*c->embd));
        if (!c->embd) return dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory");
        c->n_chunks = n;
    } else if (n != c->n_chunks) {
        return dc_fail(st, DC_ERR_INTERNAL, "engine: the prompt tokenized differently on %s",
                       e->rt->device);
    }
    return DC_OK;
}

/* The vision encoder failed (mtmd's codes are not llama_decode's). */
static vlm_step encode_failed(dc_vlm *e, dc_status *st, int32_t ret) {
    if (e->aborted) {
        dc_fail(st, DC_ERR_TIMEOUT, "engine: deadline passed during vision encoding");
        return VLM_STEP_TIMEOUT;
    }
    dc_fail(st, DC_ERR_RESOURCE, "engine: vision encoding failed (%d) on %s", ret, e->rt->device);
    return e->rt->on_gpu ? VLM_STEP_DEVICE : VLM_STEP_TRANSIENT;
}

/* Decodes toks[from, to) of the claim's first text chunk into its sequence. */
static vlm_step prefill_text(dc_vlm *e, llama_seq_id seq, const llama_token *toks, size_t from,
                             size_t to, llama_pos *n_past, dc_status *st) {
    if (to <= from) return VLM_STEP_OK;
    double t0 = dc_now();
    vlm_step s = vlm_decode_text(e, toks + from, (int)(to - from), seq, n_past, false,
                                 "the prompt prefill", st);
    e->stats.prefill_ms += (dc_now() - t0) * 1000.0;
    if (s == VLM_STEP_OK) e->stats.prefill_tokens += (int)(to - from);
    return s;
}

/* The claim's first text chunk: the fixed prompt's tokens from the cache (or, with the cache
 * off, decoded as a batch of their own: the same batches either way, see vlm_prefix.c), then
 * the rest. */
static vlm_step prefill_first_text(dc_vlm *e, llama_seq_id seq, const mtmd_input_chunk *ch,
                                   llama_pos *n_past, dc_status *st) {
    size_t n = 0, reused = 0;
    const llama_token *toks = mtmd_input_chunk_get_tokens_text(ch, &n);
    const size_t match = vlm_prefix_match(e, toks, n);
    vlm_step s = vlm_prefix_attach(e, seq, match, &reused, st);
    if (s != VLM_STEP_OK) return s;
    *n_past = (llama_pos)reused;
    s = prefill_text(e, seq, toks, reused, match, n_past, st);
    return s != VLM_STEP_OK ? s : prefill_text(e, seq, toks, match, n, n_past, st);
}

/* An attempt starts from the fixed prompt's cells (or an empty cache); embeddings computed by
 * an earlier attempt are reused. Counts the prompt and checks that it fits the context. */
vlm_step vlm_attempt_begin(dc_vlm *e, vlm_claim *c, dc_status *st) {
    if (tokenize_prompt(e, c, st) != DC_OK) return VLM_STEP_FATAL;
    vlm_output_reset(e);
    e->stats.generated_tokens = 0;
    e->stats.thinking_tokens = 0;
    e->stats.budget_pressure = false;
    c->next_chunk = 0;
    c->n_past = 0;
    memset(&c->sev, 0, sizeof(c->sev));

    const size_t n_chunks = mtmd_input_chunks_size(c->chunks);
    size_t text_tokens = 0, image_tokens = 0, audio_tokens = 0;
    int image_chunks = 0, audio_chunks = 0;
    for (size_t i = 0; i < n_chunks; i++) {
        const mtmd_input_chunk *ch = mtmd_input_chunks_get(c->chunks, i);
        size_t nt = mtmd_input_chunk_get_n_tokens(ch);
        switch (mtmd_input_chunk_get_type(ch)) {
        case MTMD_INPUT_CHUNK_TYPE_TEXT: text_tokens += nt; break;
        case MTMD_INPUT_CHUNK_TYPE_AUDIO:
            audio_tokens += nt;
            audio_chunks++;
            break;
        default:
            image_tokens += nt;
            image_chunks++;
            break;
        }
    }
    e->stats.image_chunks = image_chunks;
    e->stats.audio_chunks = audio_chunks;
    e->stats.text_tokens = (int)text_tokens;
    e->stats.image_tokens = (int)image_tokens;
    e->stats.audio_tokens = (int)audio_tokens;
    e->stats.prompt_tokens = (int)(text_tokens + image_tokens + audio_tokens);
    /* the prompt, the thinking, the answer prefix and the whole generation budget must fit
     * the KV cache */
    if (vlm_claim_cells(e, e->stats.prompt_tokens, c->max_new) > e->n_ctx) {
        dc_fail(st, DC_ERR_RESOURCE,
                "engine: the claim needs %d prompt tokens + %d new tokens but the context has "
                "%d KV cells; lower the frame budget or raise n_ctx",
                e->stats.prompt_tokens, vlm_think_cells(e) + c->max_new, e->n_ctx);
        return VLM_STEP_FATAL;
    }
    return VLM_STEP_OK;
}

int vlm_claim_cells(const dc_vlm *e, int prompt_tokens, int max_new) {
    return prompt_tokens + 16 + vlm_think_cells(e) + max_new;
}

bool vlm_attempt_prefilled(const vlm_claim *c) {
    return c->chunks && c->next_chunk >= mtmd_input_chunks_size(c->chunks);
}

/* The next chunk of the prompt into the claim's sequence: the first text chunk on the prefix's
 * cells, an image chunk encoded (once per claim) and decoded, or text. */
vlm_step vlm_attempt_prefill(dc_vlm *e, vlm_claim *c, dc_status *st) {
    const size_t i = c->next_chunk;
    if (vlm_deadline_passed(e)) {
        dc_fail(st, DC_ERR_TIMEOUT, "engine: deadline passed during the prefill");
        return VLM_STEP_TIMEOUT;
    }
    const mtmd_input_chunk *ch = mtmd_input_chunks_get(c->chunks, i);
    const bool text = mtmd_input_chunk_get_type(ch) == MTMD_INPUT_CHUNK_TYPE_TEXT;
    const int n_embd = llama_model_n_embd_inp(e->rt->model);
    if (i == 0) {
        /* the claim's sequence starts empty, on the prefix's cells when the prompt starts
         * with the fixed text (it always does: vlm_prompt_build) */
        vlm_step s = text ? prefill_first_text(e, c->seq, ch, &c->n_past, st)
                          : vlm_prefix_attach(e, c->seq, 0, &(size_t){0}, st);
        if (s != VLM_STEP_OK) return s;
        if (text) {
            c->next_chunk++;
            return VLM_STEP_OK;
        }
    }
    if (text) {
        double t0 = dc_now();
        int32_t r = mtmd_helper_eval_chunk_single(e->rt->mctx, e->rt->lctx, ch, c->n_past, c->seq,
                                                  e->n_batch, false, &c->n_past);
        e->stats.prefill_ms += (dc_now() - t0) * 1000.0;
        if (r != 0) return vlm_decode_failed(e, r, "the prompt prefill", st);
        e->stats.prefill_tokens += (int)mtmd_input_chunk_get_n_tokens(ch);
        c->next_chunk++;
        return VLM_STEP_OK;
    }
    if (!c->embd[i]) {
        if (vlm_fault_fires(e, DC_VLM_FAULT_DEVICE_ENCODE) ||
            vlm_fault_fires(e, DC_VLM_FAULT_DEADLINE_FALLBACK_LOAD)) {
            dc_fail(st, DC_ERR_RESOURCE, "engine: injected device failure in vision encoding");
            return VLM_STEP_DEVICE;
        }
        double t0 = dc_now();
        e->eval_nodes = 0;
        int32_t r = mtmd_encode_chunk(e->rt->mctx, ch);
        e->stats.encode_ms += (dc_now() - t0) * 1000.0;
        e->stats.encodes++;
        if (r != 0 || e->aborted) return encode_failed(e, st, r);
        size_t n = mtmd_input_chunk_get_n_tokens(ch) * (size_t)n_embd;
        c->embd[i] = malloc(n * sizeof(float));
        if (!c->embd[i]) {
            dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for image embeddings");
            return VLM_STEP_FATAL;
        }
        memcpy(c->embd[i], mtmd_get_output_embd(e->rt->mctx), n * sizeof(float));
    }
    if (vlm_fault_fires(e, DC_VLM_FAULT_TRANSIENT_PREFILL)) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: injected transient failure after encoding");
        return VLM_STEP_TRANSIENT;
    }
    double t0 = dc_now();
    int32_t r = mtmd_helper_decode_image_chunk(e->rt->mctx, e->rt->lctx, ch, c->embd[i], c->n_past,
                                               c->seq, e->n_batch, &c->n_past, NULL, NULL);
    e->stats.prefill_ms += (dc_now() - t0) * 1000.0;
    /* mtmd's helpers return llama_decode's code */
    if (r != 0) return vlm_decode_failed(e, r, "the image prefill", st);
    e->stats.prefill_tokens += (int)mtmd_input_chunk_get_n_tokens(ch);
    c->next_chunk++;
    return VLM_STEP_OK;
}

/* One attempt of a claim alone: the whole prefill, then generation a token at a time. */
static vlm_step run_attempt(dc_vlm *e, vlm_claim *c, dc_status *st) {
    vlm_step s = vlm_attempt_begin(e, c, st);
    while (s == VLM_STEP_OK && !vlm_attempt_prefilled(c)) s = vlm_attempt_prefill(e, c, st);
    if (s != VLM_STEP_OK) return s;
    s = vlm_generate(e, c->seq, &c->n_past, c->max_new, &c->sev, st);
    e->stats.kv_cells_used = e->stats.prompt_tokens + e->stats.decode_tokens;
    return s;
}

void vlm_sleep_sec(double s) {
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Truncating copy (fixed-size record fields). */
static void copy_str(char *dst, size_t size, const char *src) {
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void vlm_claim_begin(dc_vlm *e, vlm_claim *c, const dc_frame_set *frames,
                     const dc_engine_context *ctx, dc_deadline dl, dc_assessment *out) {
    c->t_start = dc_now();
    c->frames = frames;
    c->ctx = ctx;
    c->out = out;
    memset(&e->stats, 0, sizeof(e->stats));
    vlm_output_reset(e);
    e->stats.rss_before = dc_rss_bytes();
    e->stats.device_before = vlm_device_memory_used();
    e->deadline = dl;
    e->aborted = false;
    e->claim_serial = ++e->claims_begun;
    c->max_new = e->opts.max_new_tokens;
    c->retries_left = e->opts.retries;
    c->backoff = e->opts.retry_backoff_sec;
    c->fallback_reason[0] = c->primary_device[0] = '\0';

    if (ctx && ctx->claim_id) copy_str(out->claim_id, sizeof(out->claim_id), ctx->claim_id);
    snprintf(out->engine.name, sizeof(out->engine.name), "vlm");
    copy_str(out->engine.model, sizeof(out->engine.model), dc_path_base(e->model_path));
    snprintf(out->engine.prompt_version, sizeof(out->engine.prompt_version), "%s",
             DC_PROMPT_VERSION);
    out->engine.prompt_tokens = 0;
    out->engine.cached_prompt_tokens = 0;
    out->engine.thinking_tokens = 0;
    out->engine.modality_count = 0;
}

dc_error_class vlm_use_primary(dc_vlm *e, dc_status *st) {
    vlm_runtime_free(&e->fallback);
    if (!e->primary.model && vlm_runtime_load(e, &e->primary, false, st) != DC_OK) {
        e->rt = NULL;
        return st->code;
    }
    e->rt = &e->primary;
    return DC_OK;
}

dc_error_class vlm_claim_prepare(dc_vlm *e, vlm_claim *c, dc_status *st) {
    const size_t n_audio = audio_samples(e, c->ctx);
    if (check_frames(c->frames, st) != DC_OK ||
        make_bitmaps(c->frames, e->opts.no_temporal_merge, c, st) != DC_OK)
        return st->code;
    e->stats.frames = c->n_bitmaps;
    if (add_audio(e, c->ctx, n_audio, c, st) != DC_OK) return st->code;
    c->prompt = vlm_prompt_build(e, c->frames, e->stats.frames, c->ctx,
                                 (double)n_audio / (e->audio_rate > 0 ? e->audio_rate : 1), st);
    if (!c->prompt) return st->code;
    vlm_output_keep_prompt(e, c->prompt);
    return DC_OK;
}

dc_error_class vlm_cpu_fallback(dc_vlm *e, vlm_claim *c, const char *reason, dc_status *st) {
    copy_str(c->fallback_reason, sizeof(c->fallback_reason), reason);
    copy_str(c->primary_device, sizeof(c->primary_device),
             e->primary.model ? e->primary.device : e->fallback_from);
    if (e->primary.model) {
        copy_str(e->fallback_from, sizeof(e->fallback_from), e->primary.device);
        vlm_runtime_free(&e->primary);
    }
    e->stats.cpu_fallback = true;
    if (!e->fallback.model) {
        e->rt = NULL;
        if (vlm_runtime_load(e, &e->fallback, true, st) != DC_OK) return st->code;
    }
    e->rt = &e->fallback;
    return DC_OK;
}

vlm_step vlm_claim_attempts(dc_vlm *e, vlm_claim *c, dc_status *st) {
    for (;;) {
        e->stats.attempts++;
        *st = DC_STATUS_OK;
        vlm_step s = run_attempt(e, c, st);
        if (s == VLM_STEP_OK) return s;
        vlm_next next = vlm_recovery_next(e, s, &c->retries_left, c->backoff);
        if (next == VLM_NEXT_CPU_FALLBACK) {
            /* Free the device placement and finish this claim on the CPU; the next claim
             * tries the device again (a permanent switch hid the failure from later claims). */
            char reason[sizeof(st->message)];
            copy_str(reason, sizeof(reason), st->message);
            if (vlm_cpu_fallback(e, c, reason, st) != DC_OK) return VLM_STEP_FATAL;
            continue;
        }
        if (next == VLM_NEXT_RETRY) {
            vlm_sleep_sec(c->backoff);
            c->backoff *= 2;
            continue;
        }
        return s;
    }
}

void vlm_claim_finish(dc_vlm *e, vlm_claim *c, dc_status *st) {
    dc_assessment *out = c->out;
    /* validate the answer ourselves even though the grammar constrained it */
    if (st->code == DC_OK) {
        dc_status pst = DC_STATUS_OK;
        if (dc_model_output_apply(dc_vlm_last_output(e) + e->answer_at, out, &pst) != DC_OK) {
            *st = pst;
        } else {
            e->stats.json_valid = !pst.degraded;
            if (c->sev.have_probs)
                for (int i = 0; i < DC_SEVERITY_COUNT; i++)
                    out->severity_probs[i] = c->sev.probs[i];
            if (pst.degraded) dc_assessment_degrade(out, pst.message);
        }
    }
    if (e->stats.cpu_fallback)
        snprintf(out->engine.device, sizeof(out->engine.device), "%.40s->cpu fallback",
                 c->primary_device);
    else copy_str(out->engine.device, sizeof(out->engine.device), e->rt ? e->rt->device : "none");
    if (st->code != DC_OK) {
        dc_assessment_fail(out, st);
    } else if (e->stats.cpu_fallback) {
        char msg[700];
        snprintf(msg, sizeof(msg), "device failure (%s); the claim finished on the CPU",
                 c->fallback_reason);
        dc_assessment_degrade(out, msg);
        dc_degrade(st, "%s", msg);
    }
    out->engine.prompt_tokens = e->stats.prompt_tokens;
    out->engine.cached_prompt_tokens = e->stats.cached_prompt_tokens;
    out->engine.thinking_tokens = e->stats.thinking_tokens;
    /* what reached the model: the frames, and the sound when an audio chunk was in the prompt */
    if (e->stats.image_chunks > 0)
        snprintf(out->engine.modalities[out->engine.modality_count++],
                 sizeof(out->engine.modalities[0]), "video");
    if (e->stats.audio_chunks > 0)
        snprintf(out->engine.modalities[out->engine.modality_count++],
                 sizeof(out->engine.modalities[0]), "audio");
    claim_state_free(c);
    /* the claim's cells go; the fixed prompt's stay for the next claim */
    if (e->rt) llama_memory_seq_rm(llama_get_memory(e->rt->lctx), c->seq, -1, -1);
    e->stats.kv_cells_used = e->stats.prompt_tokens + e->stats.decode_tokens;
    e->stats.total_ms = (dc_now() - c->t_start) * 1000.0;
    e->stats.rss_after = dc_rss_bytes();
    e->stats.device_after = vlm_device_memory_used();
    out->memory.rss_before = e->stats.rss_before;
    out->memory.rss_after = e->stats.rss_after;
    out->memory.device_before = e->stats.device_before;
    out->memory.device_after = e->stats.device_after;
    out->timings_ms.engine = e->stats.total_ms;
    if (e->opts.print_tokens)
        fprintf(stderr,
                "dashclaim vlm: %d frames -> %d image tokens + %d audio tokens + %d text "
                "tokens = %d prompt "
                "tokens (%d from the cache, %d run), %d thinking + %d generated (%d KV cells "
                "of %d)\n",
                e->stats.frames, e->stats.image_tokens, e->stats.audio_tokens, e->stats.text_tokens,
                e->stats.prompt_tokens, e->stats.cached_prompt_tokens, e->stats.prefill_tokens,
                e->stats.thinking_tokens, e->stats.generated_tokens, e->stats.kv_cells_used,
                e->n_ctx);
}

dc_error_class dc_vlm_assess(dc_vlm *e, const dc_frame_set *frames, const dc_engine_context *ctx,
                             dc_deadline dl, dc_assessment *out, dc_status *st) {
    dc_status local = DC_STATUS_OK;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    vlm_claim c = {.seq = VLM_SEQ_CLAIM};
    vlm_claim_begin(e, &c, frames, ctx, dl, out);
    e->stats.batch_peak = 1;
    /* a CPU fallback of the previous claim is over: this claim tries the configured placement */
    if (vlm_use_primary(e, st) == DC_OK && vlm_claim_prepare(e, &c, st) == DC_OK)
        vlm_claim_attempts(e, &c, st);
    vlm_claim_finish(e, &c, st);
    return st->code;
}
