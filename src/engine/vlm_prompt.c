/* The chat prompt of one claim: system prompt, then the frames in temporal pairs, each pair
 * preceded by its timestamps so that the model can cite times, then the claim prompt; all
 * formatted with the model's own chat template. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlm_internal.h"

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(strbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf ? b->buf + b->len : NULL, b->buf ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->buf && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
        char *p = realloc(b->buf, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->buf = p;
        b->cap = cap;
    }
}

char *vlm_prompt_build(const dc_vlm *e, const dc_frame_set *frames, int n_frames,
                       const dc_engine_context *ctx, dc_status *st) {
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
    if (!claim) {
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory building the claim prompt");
        return NULL;
    }

    strbuf user = {0};
    sb_printf(&user, "The video frames, in pairs, each pair after its times in seconds from the "
                     "start of the video (frame numbers from 0):\n");
    for (int i = 0; e->opts.no_temporal_merge && i < n_frames; i++)
        sb_printf(&user, "frame %d at %.2f s: %s\n", i, frames->frames[i].t_sec, marker);
    for (int i = 0; !e->opts.no_temporal_merge && i < n_frames; i += 2) {
        /* an odd count was completed by repeating the last frame */
        const dc_frame *a = &frames->frames[i < frames->count ? i : frames->count - 1];
        const dc_frame *b = &frames->frames[i + 1 < frames->count ? i + 1 : frames->count - 1];
        sb_printf(&user, "frames %d-%d at %.2f s and %.2f s: %s%s\n", i, i + 1, a->t_sec, b->t_sec,
                  marker, marker);
    }
    sb_printf(&user, "%s", claim);
    free(claim);
    if (user.oom) {
        free(user.buf);
        dc_fail(st, DC_ERR_RESOURCE, "engine: out of memory building the prompt");
        return NULL;
    }

    const char *tmpl = llama_model_chat_template(e->rt->model, NULL);
    if (!tmpl) tmpl = "chatml"; /* the Qwen family's format, for a GGUF that lacks its template */
    struct llama_chat_message msgs[2] = {
        {.role = "system", .content = dc_prompt_system()},
        {.role = "user", .content = user.buf},
    };
    int32_t cap = (int32_t)(2 * (strlen(msgs[0].content) + user.len) + 256);
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
    free(user.buf);
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
