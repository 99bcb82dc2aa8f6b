/* The VLM engine's life cycle: options, open (the model family checked, the fixed prompt
 * prepared, model, vision encoder and context created once), the frame budget and close. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ggml-backend.h>
#include <mtmd-helper.h>

#include "vlm_internal.h"

/* Text around each frame pair ("frames 2-3 at 12.5 s and 13.0 s: " or "<12.8 seconds>", plus
 * vision start/end): measured at about 20 tokens; rounded up for safety when sizing the
 * context. */
enum { PAIR_TEXT_TOKENS = 24 };
/* Chat-template tokens and the answer prefix. */
enum { PROMPT_SLACK_TOKENS = 64 };
/* A model that hears: one Whisper window (30 s of 10 ms mel frames, halved by a strided
 * convolution and by average pooling: 750 tokens) and the line that introduces it. */
enum { AUDIO_TOKENS = 750 + 24 };

void dc_vlm_options_init(dc_vlm_options *o) {
    memset(o, 0, sizeof(*o));
    o->n_gpu_layers = -1;
    o->flash_attn = -1;
    o->visual_tokens = 1536;
    o->max_frames = 16;
    o->max_fps = 0.0; /* the family's */
    o->max_longest_side = 896;
    o->max_new_tokens = 1024;
    o->closing_reserve = 256;
    o->temperature = 0.0f;
    o->seed = 42;
    o->retries = 3;
    o->retry_backoff_sec = 0.05;
    o->max_think_tokens = 512;
    o->max_batch = 1;
}

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
    (void)level, (void)text, (void)user;
}

/* Backends are registered once per process, however many engines are opened. */
static pthread_once_t backends_once = PTHREAD_ONCE_INIT;
static void load_backends(void) {
    ggml_backend_load_all();
    llama_backend_init();
}

static bool gpu_backend_present(void) {
    for (size_t i = 0; i < ggml_backend_dev_count(); i++)
        if (ggml_backend_dev_type(ggml_backend_dev_get(i)) == GGML_BACKEND_DEVICE_TYPE_GPU)
            return true;
    return false;
}

static int count_tokens(const struct llama_vocab *vocab, const char *text) {
    int32_t n = llama_tokenize(vocab, text, (int32_t)strlen(text), NULL, 0, false, true);
    return n < 0 ? -n : n;
}

/* The fixed prompt (vlm_prompt_prepare) and the tokens of the system prompt and the longest
 * claim line (mining context for the most windows), from the vocabulary alone: the context
 * is sized before it is created. */
static dc_error_class prepare_prompt(dc_vlm *e, dc_status *st) {
    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    struct llama_model *vm = llama_model_load_from_file(e->model_path, mp);
    if (!vm)
        return dc_fail(st, DC_ERR_MODEL,
                       "%s: llama.cpp could not read this model (not a GGUF text model of a "
                       "supported architecture)",
                       e->model_path);
    dc_error_class rc = vlm_family_check(e, vm, st);
    if (rc == DC_OK) rc = vlm_prompt_prepare(e, vm, st);
    if (rc != DC_OK) goto done;
    dc_window windows[DC_MAX_WINDOWS];
    memset(windows, 0, sizeof(windows));
    for (int i = 0; i < DC_MAX_WINDOWS; i++) {
        windows[i].start_sec = 1000.0 * i;
        windows[i].end_sec = windows[i].start_sec + 999.99;
        windows[i].peak_sec = windows[i].start_sec + 500.0;
        windows[i].danger = 0.99;
        windows[i].signal_count = DC_MAX_WINDOW_SIGNALS;
        for (int k = 0; k < DC_MAX_WINDOW_SIGNALS; k++)
            snprintf(windows[i].signals[k], sizeof(windows[i].signals[k]), "signal_name_%d", k);
    }
    dc_prompt_options po = {.mining_context = true,
                            .windows = windows,
                            .window_count = DC_MAX_WINDOWS,
                            .duration_sec = 99999.0,
                            .frame_count = e->opts.max_frames};
    char *claim = dc_prompt_claim(&po);
    if (!claim) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory building the claim prompt");
        goto done;
    }
    const struct llama_vocab *vocab = llama_model_get_vocab(vm);
    e->system_claim_tokens = count_tokens(vocab, e->system_text) +
                             count_tokens(vocab, e->frames_header) + count_tokens(vocab, claim);
    if (e->family->think_instruction)
        e->system_claim_tokens += count_tokens(vocab, e->family->think_instruction);
    free(claim);
done:
    llama_model_free(vm);
    return rc;
}

static int max_pairs(const dc_vlm_options *o) {
    return o->max_frames / 2 > 0 ? o->max_frames / 2 : 1;
}

dc_vlm *dc_vlm_open(const dc_vlm_options *opts, dc_status *st) {
    if (!opts || !opts->model_path || !opts->mmproj_path) {
        dc_fail(st, DC_ERR_INPUT, "engine: the vlm engine needs --model and --mmproj");
        return NULL;
    }
    const char *paths[2] = {opts->model_path, opts->mmproj_path};
    for (int i = 0; i < 2; i++) {
        if (access(paths[i], R_OK) != 0) {
            dc_fail(st, DC_ERR_INPUT, "%s: cannot read the file", paths[i]);
            return NULL;
        }
    }
    dc_vlm *e = calloc(1, sizeof(*e));
    if (!e) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory");
        return NULL;
    }
    e->opts = *opts;
    snprintf(e->model_path, sizeof(e->model_path), "%s", opts->model_path);
    snprintf(e->mmproj_path, sizeof(e->mmproj_path), "%s", opts->mmproj_path);
    e->opts.model_path = e->model_path;
    e->opts.mmproj_path = e->mmproj_path;
    dc_vlm_options *o = &e->opts;
    if (o->max_frames < 2) o->max_frames = 2;
    o->max_frames -= o->max_frames % 2;
    if (o->visual_tokens < 8) o->visual_tokens = 8;
    if (o->max_new_tokens < 16) o->max_new_tokens = 16;
    if (o->closing_reserve < 0) o->closing_reserve = 0;
    if (o->retries < 0) o->retries = 0;
    if (o->max_batch < 1) o->max_batch = 1;
    if (o->max_batch > DC_VLM_MAX_BATCH) o->max_batch = DC_VLM_MAX_BATCH;
    if (o->batch_rows < 0) o->batch_rows = 0;

    if (!o->verbose) {
        llama_log_set(quiet_log, NULL);
        mtmd_helper_log_set(quiet_log, NULL);
    }
    pthread_once(&backends_once, load_backends);
    e->has_gpu = gpu_backend_present();
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    e->n_threads = o->n_threads > 0 ? o->n_threads : (cpus > 0 ? (int)cpus : 1);

    e->grammar = dc_model_output_grammar();
    if (!e->grammar) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the output grammar");
        goto fail;
    }
    if (prepare_prompt(e, st) != DC_OK) goto fail;
    /* the family's rules (vlm_family_check, in prepare_prompt) */
    if (o->max_fps <= 0) o->max_fps = e->family->max_fps;
    if (o->max_longest_side < e->pixel_unit) o->max_longest_side = e->pixel_unit;
    if (o->max_think_tokens < 0) o->max_think_tokens = 0;
    /* KV cells, not positions: M-RoPE gives a frame pair fewer positions than tokens, but
     * every token takes a cell. */
    int need = e->system_claim_tokens + PROMPT_SLACK_TOKENS + max_pairs(o) * PAIR_TEXT_TOKENS +
               o->visual_tokens + (e->family->hears ? AUDIO_TOKENS : 0) + o->max_new_tokens +
               vlm_think_cells(e);
    e->n_ctx = o->n_ctx > 0 ? o->n_ctx : (need + 255) / 256 * 256;
    /* a batch's engine: a stream of n_ctx cells per claim and one for the fixed prompt (llama.cpp
     * gives each stream a multiple of 256 cells) */
    if (o->max_batch > 1) e->n_ctx = (e->n_ctx + 255) / 256 * 256;
    e->n_ctx_total = o->max_batch == 1 ? e->n_ctx : e->n_ctx * (o->max_batch + 1);
    /* one frame pair's embeddings go to llama_decode in a single batch when possible (and a
     * batch's decode step, max_batch tokens, always does) */
    e->n_batch = e->n_ctx < 2048 ? e->n_ctx : 2048;

    e->batch = llama_batch_init(e->n_batch, 0, 1);
    if (!e->batch.token || !e->batch.pos || !e->batch.seq_id || !e->batch.logits) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for a batch of %d tokens", e->n_batch);
        goto fail;
    }

    if (vlm_runtime_load(e, &e->primary, false, st) != DC_OK) goto fail;
    e->rt = &e->primary;
    if (e->family->hears) {
        e->audio_rate = mtmd_get_audio_sample_rate(e->primary.mctx);
        if (e->audio_rate <= 0) {
            dc_fail(st, DC_ERR_MODEL, "%s: projector %s without an audio encoder", e->mmproj_path,
                    e->family->projector);
            goto fail;
        }
    }
    if (!vlm_vocab_classify(e, llama_model_get_vocab(e->primary.model))) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory classifying the vocabulary");
        goto fail;
    }
    return e;
fail:
    dc_vlm_close(e);
    return NULL;
}

void dc_vlm_close(dc_vlm *e) {
    if (!e) return;
    vlm_runtime_free(&e->fallback);
    vlm_runtime_free(&e->primary);
    free(e->grammar);
    vlm_prompt_free(e);
    vlm_vocab_free(e);
    llama_batch_free(e->batch);
    vlm_output_free(e);
    free(e);
}

dc_error_class dc_vlm_frame_request(const dc_vlm *e, double window_start, double window_end,
                                    int video_width, int video_height, dc_sample_request *req,
                                    dc_frame_plan *plan, dc_status *st) {
    const dc_vlm_options *o = &e->opts;
    const int unit = e->pixel_unit;
    double duration = window_end - window_start;
    if (!(duration > 0) || window_start < 0)
        return dc_fail(st, DC_ERR_INPUT, "engine: empty window [%.3f, %.3f) s", window_start,
                       window_end);
    /* the family's video training assumed at most max_fps frames per second (2 for Qwen) */
    int frames = (int)(duration * o->max_fps);
    if (frames > o->max_frames) frames = o->max_frames;
    /* whole temporal patches (of 2 frames for every family known; the prompt's pairs too) */
    const int tp = e->family->temporal_patch;
    frames -= frames % tp;
    if (frames < tp) frames = tp;
    int pairs = frames / tp;
    /* a pair must be worth at least 8 tokens (clip's minimum image size) */
    while (pairs > 1 && o->visual_tokens / pairs < 8) pairs--;
    frames = tp * pairs;
    /* without the temporal merge every frame is an image of its own and costs its tokens */
    int images = o->no_temporal_merge ? frames : pairs;
    int per_pair = o->visual_tokens / images;
    int w = video_width > 0 ? video_width : 16, h = video_height > 0 ? video_height : 9;
    int long_px = w > h ? w : h, short_px = w > h ? h : w;
    /* never upscale past the video (rounded up to one unit), never beyond the side limit */
    int max_long = (long_px + unit - 1) / unit;
    if (video_width <= 0 || video_height <= 0) max_long = o->max_longest_side / unit;
    if (max_long > o->max_longest_side / unit) max_long = o->max_longest_side / unit;
    int best_long = 1, best_short = 1;
    for (int lt = max_long; lt >= 1; lt--) {
        int stoks = (int)((double)lt * short_px / long_px + 0.5);
        if (stoks < 1) stoks = 1;
        if (lt * stoks <= per_pair) {
            best_long = lt;
            best_short = stoks;
            break;
        }
    }
    memset(req, 0, sizeof(*req));
    req->start_sec = window_start;
    req->end_sec = window_end;
    req->count = frames;
    req->longest_side = best_long * unit;
    req->unit = unit;
    req->mode = DC_SAMPLE_EXACT;
    if (plan) {
        plan->frames = frames;
        plan->width = (w >= h ? best_long : best_short) * unit;
        plan->height = (w >= h ? best_short : best_long) * unit;
        plan->tokens_per_pair = best_long * best_short;
        plan->visual_tokens = images * plan->tokens_per_pair;
        plan->prompt_tokens = e->system_claim_tokens + PROMPT_SLACK_TOKENS +
                              pairs * PAIR_TEXT_TOKENS + plan->visual_tokens +
                              (e->family->hears ? AUDIO_TOKENS : 0);
        plan->kv_cells = plan->prompt_tokens + vlm_think_cells(e) + o->max_new_tokens;
    }
    return DC_OK;
}

const dc_vlm_claim_stats *dc_vlm_last_stats(const dc_vlm *e) { return &e->stats; }
const char *dc_vlm_device_name(const dc_vlm *e) { return e->rt ? e->rt->device : "none"; }
int dc_vlm_context_size(const dc_vlm *e) { return e->n_ctx; }
int dc_vlm_batch_rows(const dc_vlm *e) {
    return e->rt && e->rt->decode_rows > 0 ? e->rt->decode_rows : e->opts.max_batch;
}
int dc_vlm_audio_rate(const dc_vlm *e) { return e->audio_rate; }
