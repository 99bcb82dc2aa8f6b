/* The chat prompt of a claim, formatted with the model's own chat template:
 *
 *   system: dc_prompt_fixed()                      the same for every claim
 *   user:   frames header line                     the same for every claim of this engine
 *           the frames with their times, as the family gives them (vlm_family.c):
 *             Qwen2.5-VL: one line per frame pair, its frame numbers and times, then the
 *             pair's media markers (or one line per frame without the temporal merge);
 *             Qwen3-VL: "<t seconds>" then the pair's markers, t the mean time of the pair,
 *             as Qwen3-VL's processor writes a video (or per frame without the merge)
 *           the dashcam's telemetry at those frames, a line per pair (vlm_telemetry.c;
 *             none for a video without telemetry)
 *           a model that hears: a line with the window's sound (its media marker)
 *           dc_prompt_claim(): the short per-claim line
 *           a reasoning family's answer-format instruction (Cosmos-Reason2)
 *   assistant: (generation starts here)
 *
 * Everything up to the end of the header line is the same text for every claim: at open it
 * is tokenized once into e->prefix_tokens, whose KV cells vlm_prefix.c computes once per
 * placement and shares with every claim. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/str.h"
#include "vlm_internal.h"

static const char header_pairs[] =
    "The video frames, in pairs, each pair after its times in seconds from the start of the "
    "video (frame numbers from 0):\n";
static const char header_single[] =
    "The video frames, each after its time in seconds from the start of the video (frame "
    "numbers from 0):\n";
static const char header_tag_pairs[] =
    "The video frames, in pairs, each pair after its time as <t seconds>: the mean time of its "
    "two frames from the start of the video (frame numbers from 0, two per pair):\n";
static const char header_tag_single[] =
    "The video frames, each after its time as <t seconds> from the start of the video (frame "
    "numbers from 0):\n";

static const char *frames_header(const dc_vlm *e) {
    bool tags = e->family->times == VLM_TIMES_SECONDS_TAGS;
    if (e->opts.no_temporal_merge) return tags ? header_tag_single : header_single;
    return tags ? header_tag_pairs : header_pairs;
}

/* The template applied to a system and a user message, with the assistant turn opened.
 * NULL with *st on failure. */
static char *apply_template(const dc_vlm *e, const char *tmpl, const char *system, const char *user,
                            dc_status *st) {
    if (!tmpl) tmpl = "chatml"; /* the Qwen family's format, for a GGUF that lacks its template */
    struct llama_chat_message msgs[2] = {
        {.role = "system", .content = system},
        {.role = "user", .content = user},
    };
    size_t want = 2 * (strlen(system) + strlen(user)) + 256;
    if (want > INT32_MAX / 2) {
        dc_fail(st, DC_ERR_INTERNAL, "engine: prompt of %zu bytes is too long", want);
        return NULL;
    }
    int32_t cap = (int32_t)want;
    char *out = malloc((size_t)cap);
    int32_t n = out ? llama_chat_apply_template(tmpl, msgs, 2, true, out, cap) : -1;
    if (out && n >= cap) {
        char *bigger = realloc(out, (size_t)n + 1);
        if (!bigger) {
            free(out);
            out = NULL;
        } else {
            out = bigger;
            n = llama_chat_apply_template(tmpl, msgs, 2, true, out, n + 1);
        }
    }
    if (!out) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory applying the chat template");
        return NULL;
    }
    if (n < 0) {
        free(out);
        dc_fail(st, DC_ERR_MODEL,
                "%s: llama.cpp does not know this model's chat template (only built-in "
                "templates are supported)",
                e->model_path);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

dc_error_class vlm_prompt_prepare(dc_vlm *e, const struct llama_model *model, dc_status *st) {
    dc_error_class rc = DC_OK;
    char *formatted = NULL;
    e->system_text = dc_prompt_fixed();
    e->frames_header = strdup(frames_header(e));
    if (!e->system_text || !e->frames_header) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the fixed prompt");
        goto done;
    }
    formatted = apply_template(e, llama_model_chat_template(model, NULL), e->system_text,
                               e->frames_header, st);
    if (!formatted) {
        rc = st->code;
        goto done;
    }
    /* The template copies the user's text as it is, so the fixed part ends right after the
     * header. A template that rewrites it leaves no reusable prefix: every claim then
     * computes its whole prompt, which is slower but the same answer. */
    const char *at = strstr(formatted, e->frames_header);
    if (!at) goto done;
    size_t len = (size_t)(at - formatted) + strlen(e->frames_header);
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    /* as mtmd_tokenize does for the prompt's first text chunk: special tokens parsed, BOS
     * added when the model wants one */
    int32_t n = -llama_tokenize(vocab, formatted, (int32_t)len, NULL, 0, true, true);
    if (n <= 0) goto done;
    e->prefix_tokens = malloc((size_t)n * sizeof(*e->prefix_tokens));
    if (!e->prefix_tokens) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory for the fixed prompt's tokens");
        goto done;
    }
    if (llama_tokenize(vocab, formatted, (int32_t)len, e->prefix_tokens, n, true, true) != n) {
        rc = dc_fail(st, DC_ERR_INTERNAL, "engine: the fixed prompt tokenized differently twice");
        goto done;
    }
    e->n_prefix_tokens = n;
done:
    free(formatted);
    return rc;
}

void vlm_prompt_free(dc_vlm *e) {
    free(e->system_text);
    free(e->frames_header);
    free(e->prefix_tokens);
    e->system_text = NULL;
    e->frames_header = NULL;
    e->prefix_tokens = NULL;
    e->n_prefix_tokens = 0;
}

/* The claim's frames come from more than one camera (a claim of several channels). */
static bool several_cameras(const dc_engine_context *ctx, const dc_frame_set *frames) {
    if (!ctx || !ctx->videos || ctx->video_count < 2) return false;
    for (int i = 1; i < frames->count; i++) {
        int a = frames->frames[0].video, b = frames->frames[i].video;
        if (a < 0 || b < 0 || a >= ctx->video_count || b >= ctx->video_count) continue;
        if (ctx->videos[a].role != ctx->videos[b].role) return true;
    }
    return false;
}

static const char *camera_of(const dc_engine_context *ctx, const dc_frame *f) {
    if (f->video < 0 || f->video >= ctx->video_count) return "unknown";
    dc_video_role r = ctx->videos[f->video].role;
    return r == DC_ROLE_UNKNOWN ? "other" : dc_video_role_name(r);
}

char *vlm_prompt_build(const dc_vlm *e, const dc_frame_set *frames, int n_frames,
                       const dc_engine_context *ctx, double audio_sec, dc_status *st) {
    const char *marker = mtmd_default_marker();
    dc_prompt_options po = {0};
    if (ctx) {
        po.mining_context = ctx->mining_context;
        po.windows = ctx->windows;
        po.window_count = ctx->window_count;
        po.duration_sec = ctx->duration_sec;
    }
    po.frame_count = n_frames;
    char *claim = dc_prompt_claim(&po);
    dc_str user = {0};
    dc_str_append(&user, e->frames_header);
    const bool tags = e->family->times == VLM_TIMES_SECONDS_TAGS;
    /* Times to 0.1 s: frames are at least 1 / max_fps apart, and each digit is a token. */
    const bool cameras = several_cameras(ctx, frames);
    for (int i = 0; e->opts.no_temporal_merge && i < n_frames; i++) {
        double t = frames->frames[i].t_sec;
        char camera[32] = "";
        if (cameras)
            snprintf(camera, sizeof camera, "%s camera, ", camera_of(ctx, &frames->frames[i]));
        if (tags) dc_str_appendf(&user, "<%s%.1f seconds>%s", camera, t, marker);
        else if (cameras) dc_str_appendf(&user, "frame %d, %s%.1f s: %s\n", i, camera, t, marker);
        else dc_str_appendf(&user, "frame %d at %.1f s: %s\n", i, t, marker);
    }
    for (int i = 0; !e->opts.no_temporal_merge && i < n_frames; i += 2) {
        /* an odd count was completed by repeating the last frame */
        const dc_frame *a = &frames->frames[i < frames->count ? i : frames->count - 1];
        const dc_frame *b = &frames->frames[i + 1 < frames->count ? i + 1 : frames->count - 1];
        /* frames of several cameras: each pair says whose it is ("rear camera, 12.4 s") */
        char camera[32] = "";
        if (cameras) snprintf(camera, sizeof camera, "%s camera, ", camera_of(ctx, a));
        if (tags)
            dc_str_appendf(&user, "<%s%.1f seconds>%s%s", camera, (a->t_sec + b->t_sec) / 2, marker,
                           marker);
        else if (cameras)
            dc_str_appendf(&user, "frames %d-%d, %s%.1f s and %.1f s: %s%s\n", i, i + 1, camera,
                           a->t_sec, b->t_sec, marker, marker);
        else
            dc_str_appendf(&user, "frames %d-%d at %.1f s and %.1f s: %s%s\n", i, i + 1, a->t_sec,
                           b->t_sec, marker, marker);
    }
    if (tags) dc_str_append(&user, "\n");
    /* the dashcam's GPS speed and G-sensor at those frames, when the file has them */
    vlm_prompt_telemetry(&user, ctx ? ctx->telemetry : NULL, frames, n_frames,
                         e->opts.no_temporal_merge ? 1 : 2);
    /* a model that hears is told what its audio chunk is, or that there is none */
    if (e->family->hears && audio_sec > 0)
        dc_str_appendf(&user, "The sound of the same moments, %.1f s to %.1f s: %s\n",
                       ctx->audio->start_sec, ctx->audio->start_sec + audio_sec, marker);
    else if (e->family->hears) dc_str_append(&user, "The video has no sound.\n");
    dc_str_append(&user, claim);
    if (e->family->think_instruction) dc_str_append(&user, e->family->think_instruction);
    char *text = claim ? dc_str_finish(&user) : NULL;
    dc_str_free(&user);
    free(claim);
    if (!text) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory building the prompt");
        return NULL;
    }
    char *out =
        apply_template(e, llama_model_chat_template(e->rt->model, NULL), e->system_text, text, st);
    free(text);
    return out;
}
