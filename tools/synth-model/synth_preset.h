/* Model shapes the synthetic pairs can take: the Qwen2.5-VL family (text arch qwen2vl,
 * projector qwen2.5vl_merger), the Qwen3-VL family (text arch qwen3vl with deepstack inputs,
 * projector qwen3vl_merger) and Qwen2.5-Omni (text arch qwen2vl, projector qwen2.5o: the
 * Qwen2.5-VL vision tower and a Whisper-style audio tower in one mmproj). */
#ifndef SYNTH_PRESET_H
#define SYNTH_PRESET_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { SYNTH_QWEN25VL, SYNTH_QWEN3VL, SYNTH_QWEN25OMNI } synth_family;

typedef struct {
    const char *name;
    const char *general_name; /* general.name of the text model; NULL = name */
    synth_family family;
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
    /* Qwen3-VL only */
    int head_dim;          /* attention.key_length (Qwen3 decouples it from n_embd / n_head) */
    int v_deepstack[4];    /* vision layers whose features feed the text model's first layers */
    int v_deepstack_count; /* = the text model's n_deepstack_layers */
    /* Qwen2.5-Omni only: the audio tower (Whisper encoder: 2 convolutions, layers, average
     * pooling by 2, a linear projection to the text model's width) */
    int a_embd, a_layer, a_head, a_ff, a_mel;
} synth_preset;

/* NULL when the name is unknown. */
const synth_preset *synth_preset_find(const char *name);
/* The preset names, for messages. */
const char *synth_preset_names(void);
/* llama.cpp's Q4_K_M gives more bits to attn_v and ffn_down in the first and last eighth of the
 * layers and in every third layer between them: true for layer i of n that gets them. */
bool synth_q4_k_m_more_bits(int i, int n);

#endif
