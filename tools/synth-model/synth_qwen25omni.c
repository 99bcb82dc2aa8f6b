#include "synth_qwen25omni.h"

#include <stdio.h>

#include "synth_qwen25vl.h"

/* As synth_qwen25vl.c: random weights that keep every layer's activations finite. */
#define WEIGHT_STD 0.02f
/* Whisper's positions: 30 s of 10 ms mel frames, halved by the second convolution */
enum { AUDIO_POSITIONS = 1500 };

#define ADD(name, type, nd, fill, ...)                                                             \
    do {                                                                                           \
        const int64_t ne_[] = {__VA_ARGS__};                                                       \
        if (!synth_gguf_add(g, name, type, nd, ne_, fill, WEIGHT_STD)) goto oom;                   \
    } while (0)

bool synth_omni_mmproj_plan(const synth_preset *p, synth_gguf *g, char *err, size_t err_size) {
    /* the vision tower is Qwen2.5-VL's; the projector type names both towers */
    if (!synth_mmproj_plan(p, g, err, err_size)) return false;
    struct gguf_context *kv = g->gguf;
    gguf_set_val_str(kv, "clip.projector_type", "qwen2.5o");
    gguf_set_val_bool(kv, "clip.has_audio_encoder", true);
    gguf_set_val_u32(kv, "clip.audio.embedding_length", (uint32_t)p->a_embd);
    gguf_set_val_u32(kv, "clip.audio.feed_forward_length", (uint32_t)p->a_ff);
    gguf_set_val_u32(kv, "clip.audio.block_count", (uint32_t)p->a_layer);
    gguf_set_val_u32(kv, "clip.audio.projection_dim", (uint32_t)p->n_embd);
    gguf_set_val_u32(kv, "clip.audio.attention.head_count", (uint32_t)p->a_head);
    gguf_set_val_f32(kv, "clip.audio.attention.layer_norm_epsilon", 1e-5f);
    gguf_set_val_u32(kv, "clip.audio.num_mel_bins", (uint32_t)p->a_mel);

    const int64_t A = p->a_embd, F = p->a_ff, E = p->n_embd;
    const enum ggml_type f32 = GGML_TYPE_F32, f16 = p->quantized ? GGML_TYPE_F16 : GGML_TYPE_F32;
    /* the converter keeps the convolutions in F16 whatever the rest; biases are [1, channels] */
    ADD("a.conv1d.1.weight", GGML_TYPE_F16, 3, SYNTH_FILL_RANDOM, 3, (int64_t)p->a_mel, A);
    ADD("a.conv1d.1.bias", f32, 2, SYNTH_FILL_RANDOM, 1, A);
    ADD("a.conv1d.2.weight", GGML_TYPE_F16, 3, SYNTH_FILL_RANDOM, 3, A, A);
    ADD("a.conv1d.2.bias", f32, 2, SYNTH_FILL_RANDOM, 1, A);
    ADD("a.position_embd.weight", f32, 2, SYNTH_FILL_RANDOM, A, (int64_t)AUDIO_POSITIONS);
    char name[96];
    for (int i = 0; i < p->a_layer; i++) {
#define ALAYER(suffix, type, nd, fill, ...)                                                        \
    do {                                                                                           \
        snprintf(name, sizeof(name), "a.blk.%d.%s", i, suffix);                                    \
        ADD(name, type, nd, fill, __VA_ARGS__);                                                    \
    } while (0)
        ALAYER("ln1.weight", f32, 1, SYNTH_FILL_ONES, A);
        ALAYER("ln1.bias", f32, 1, SYNTH_FILL_RANDOM, A);
        ALAYER("attn_q.weight", f16, 2, SYNTH_FILL_RANDOM, A, A);
        ALAYER("attn_q.bias", f32, 1, SYNTH_FILL_RANDOM, A);
        ALAYER("attn_k.weight", f16, 2, SYNTH_FILL_RANDOM, A, A); /* Whisper's k has no bias */
        ALAYER("attn_v.weight", f16, 2, SYNTH_FILL_RANDOM, A, A);
        ALAYER("attn_v.bias", f32, 1, SYNTH_FILL_RANDOM, A);
        ALAYER("attn_out.weight", f16, 2, SYNTH_FILL_RANDOM, A, A);
        ALAYER("attn_out.bias", f32, 1, SYNTH_FILL_RANDOM, A);
        ALAYER("ln2.weight", f32, 1, SYNTH_FILL_ONES, A);
        ALAYER("ln2.bias", f32, 1, SYNTH_FILL_RANDOM, A);
        ALAYER("ffn_up.weight", f16, 2, SYNTH_FILL_RANDOM, A, F);
        ALAYER("ffn_up.bias", f32, 1, SYNTH_FILL_RANDOM, F);
        ALAYER("ffn_down.weight", f16, 2, SYNTH_FILL_RANDOM, F, A);
        ALAYER("ffn_down.bias", f32, 1, SYNTH_FILL_RANDOM, A);
#undef ALAYER
    }
    ADD("a.post_ln.weight", f32, 1, SYNTH_FILL_ONES, A);
    ADD("a.post_ln.bias", f32, 1, SYNTH_FILL_RANDOM, A);
    /* after the average pooling by 2: one linear layer to the text model's width */
    ADD("mm.a.fc.weight", f16, 2, SYNTH_FILL_RANDOM, A, E);
    ADD("mm.a.fc.bias", f32, 1, SYNTH_FILL_RANDOM, E);
    return true;
oom:
    snprintf(err, err_size, "out of memory declaring the audio tower tensors");
    return false;
}
