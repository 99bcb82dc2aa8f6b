/* Model shapes the synthetic Qwen2.5-VL pair can take. */
#ifndef SYNTH_PRESET_H
#define SYNTH_PRESET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *name;
    /* text model (llama.cpp arch qwen2vl) */
    int n_embd, n_layer, n_head, n_head_kv, n_ff;
    int n_ctx_train;
    float rope_freq_base;
    int rope_sections[4]; /* M-RoPE split of head_dim/2 over (t, h, w, unused) */
    bool tied_output;     /* lm_head shares token_embd (3B) or has its own output.weight (7B) */
    bool quantized;       /* Q4_K_M-like mix + F16 mmproj; otherwise F32 everywhere (a CPU
                             build for baseline x86-64 has no fast F16 dot product, and the
                             tiny preset must run in milliseconds) */
    int64_t vocab_pad_to; /* embedding rows of the released checkpoint; 0 = token count */
    /* vision tower + merger (clip projector qwen2.5vl_merger) */
    int v_embd, v_layer, v_head, v_ff;
    int v_patch, v_image_size, v_wa_pattern, v_window;
} synth_preset;

/* NULL when the name is unknown. */
const synth_preset *synth_preset_find(const char *name);
/* "tiny, qwen2.5-vl-3b, qwen2.5-vl-7b" for messages. */
const char *synth_preset_names(void);

#endif
