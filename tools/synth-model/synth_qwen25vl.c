#include "synth_qwen25vl.h"

#include <stdio.h>

#include "synth_vocab.h"

/* Standard deviation of every random matrix and bias: small enough that 36 residual layers of
 * random weights keep activations finite, large enough that logits are not all equal. */
#define WEIGHT_STD 0.02f

/* llama_ftype values written as general.file_type */
enum { FTYPE_ALL_F32 = 0, FTYPE_MOSTLY_F16 = 1, FTYPE_MOSTLY_Q4_K_M = 15 };

#define ADD(name, type, nd, fill, ...)                                                             \
    do {                                                                                           \
        const int64_t ne_[] = {__VA_ARGS__};                                                       \
        if (!synth_gguf_add(g, name, type, nd, ne_, fill, WEIGHT_STD)) goto oom;                   \
    } while (0)

bool synth_text_model_plan(const synth_preset *p, const char *vocab_path, synth_gguf *g, char *err,
                           size_t err_size) {
    struct gguf_context *kv = g->gguf;
    int64_t n_vocab = 0;
    if (!synth_vocab_copy(vocab_path, kv, p->vocab_pad_to, p->family, &n_vocab, err, err_size))
        return false;

    gguf_set_val_str(kv, "general.architecture", "qwen2vl");
    gguf_set_val_str(kv, "general.name", p->general_name ? p->general_name : p->name);
    gguf_set_val_str(kv, "general.description",
                     "dashclaim synth-model: random weights, real Qwen2 tokenizer");
    gguf_set_val_u32(kv, "general.file_type", p->quantized ? FTYPE_MOSTLY_Q4_K_M : FTYPE_ALL_F32);
    gguf_set_val_u32(kv, "qwen2vl.context_length", (uint32_t)p->n_ctx_train);
    gguf_set_val_u32(kv, "qwen2vl.embedding_length", (uint32_t)p->n_embd);
    gguf_set_val_u32(kv, "qwen2vl.block_count", (uint32_t)p->n_layer);
    gguf_set_val_u32(kv, "qwen2vl.feed_forward_length", (uint32_t)p->n_ff);
    gguf_set_val_u32(kv, "qwen2vl.attention.head_count", (uint32_t)p->n_head);
    gguf_set_val_u32(kv, "qwen2vl.attention.head_count_kv", (uint32_t)p->n_head_kv);
    gguf_set_val_f32(kv, "qwen2vl.rope.freq_base", p->rope_freq_base);
    gguf_set_val_f32(kv, "qwen2vl.attention.layer_norm_rms_epsilon", 1e-6f);
    gguf_set_arr_data(kv, "qwen2vl.rope.dimension_sections", GGUF_TYPE_INT32, p->rope_sections, 4);

    const int64_t E = p->n_embd, F = p->n_ff;
    const int64_t E_kv = (int64_t)p->n_embd / p->n_head * p->n_head_kv;
    const enum ggml_type f32 = GGML_TYPE_F32;
    const enum ggml_type mat = p->quantized ? GGML_TYPE_Q4_K : GGML_TYPE_F32;
    const enum ggml_type hi = p->quantized ? GGML_TYPE_Q6_K : GGML_TYPE_F32;
    /* a tied embedding doubles as lm_head, which Q4_K_M keeps at Q6_K */
    ADD("token_embd.weight", p->tied_output ? hi : mat, 2, SYNTH_FILL_RANDOM, E, n_vocab);
    ADD("output_norm.weight", f32, 1, SYNTH_FILL_ONES, E);
    if (!p->tied_output) ADD("output.weight", hi, 2, SYNTH_FILL_RANDOM, E, n_vocab);

    char name[96];
    for (int i = 0; i < p->n_layer; i++) {
        const enum ggml_type more = synth_q4_k_m_more_bits(i, p->n_layer) ? hi : mat;
#define LAYER(suffix, type, nd, fill, ...)                                                         \
    do {                                                                                           \
        snprintf(name, sizeof(name), "blk.%d.%s", i, suffix);                                      \
        ADD(name, type, nd, fill, __VA_ARGS__);                                                    \
    } while (0)
        LAYER("attn_norm.weight", f32, 1, SYNTH_FILL_ONES, E);
        LAYER("attn_q.weight", mat, 2, SYNTH_FILL_RANDOM, E, E);
        LAYER("attn_q.bias", f32, 1, SYNTH_FILL_RANDOM, E);
        LAYER("attn_k.weight", mat, 2, SYNTH_FILL_RANDOM, E, E_kv);
        LAYER("attn_k.bias", f32, 1, SYNTH_FILL_RANDOM, E_kv);
        LAYER("attn_v.weight", more, 2, SYNTH_FILL_RANDOM, E, E_kv);
        LAYER("attn_v.bias", f32, 1, SYNTH_FILL_RANDOM, E_kv);
        LAYER("attn_output.weight", mat, 2, SYNTH_FILL_RANDOM, E, E);
        LAYER("ffn_norm.weight", f32, 1, SYNTH_FILL_ONES, E);
        LAYER("ffn_gate.weight", mat, 2, SYNTH_FILL_RANDOM, E, F);
        LAYER("ffn_up.weight", mat, 2, SYNTH_FILL_RANDOM, E, F);
        LAYER("ffn_down.weight", more, 2, SYNTH_FILL_RANDOM, F, E);
#undef LAYER
    }
    return true;
oom:
    snprintf(err, err_size, "out of memory declaring the text model tensors");
    return false;
}

bool synth_mmproj_plan(const synth_preset *p, synth_gguf *g, char *err, size_t err_size) {
    struct gguf_context *kv = g->gguf;
    /* CLIP's defaults, which Qwen2.5-VL's preprocessor_config.json uses */
    static const float image_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
    static const float image_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};

    gguf_set_val_str(kv, "general.architecture", "clip");
    gguf_set_val_str(kv, "general.name", p->name);
    gguf_set_val_str(kv, "general.description", "dashclaim synth-model: random-weight mmproj");
    gguf_set_val_u32(kv, "general.file_type", p->quantized ? FTYPE_MOSTLY_F16 : FTYPE_ALL_F32);
    gguf_set_val_bool(kv, "clip.has_vision_encoder", true);
    gguf_set_val_str(kv, "clip.projector_type", "qwen2.5vl_merger");
    gguf_set_val_bool(kv, "clip.use_silu", true);
    gguf_set_val_u32(kv, "clip.vision.embedding_length", (uint32_t)p->v_embd);
    gguf_set_val_u32(kv, "clip.vision.feed_forward_length", (uint32_t)p->v_ff);
    gguf_set_val_u32(kv, "clip.vision.block_count", (uint32_t)p->v_layer);
    gguf_set_val_u32(kv, "clip.vision.projection_dim", (uint32_t)p->n_embd);
    gguf_set_val_u32(kv, "clip.vision.attention.head_count", (uint32_t)p->v_head);
    gguf_set_val_f32(kv, "clip.vision.attention.layer_norm_epsilon", 1e-6f);
    gguf_set_val_u32(kv, "clip.vision.image_size", (uint32_t)p->v_image_size);
    gguf_set_val_u32(kv, "clip.vision.patch_size", (uint32_t)p->v_patch);
    gguf_set_val_u32(kv, "clip.vision.spatial_merge_size", 2);
    gguf_set_val_u32(kv, "clip.vision.n_wa_pattern", (uint32_t)p->v_wa_pattern);
    gguf_set_val_u32(kv, "clip.vision.window_size", (uint32_t)p->v_window);
    gguf_set_arr_data(kv, "clip.vision.image_mean", GGUF_TYPE_FLOAT32, image_mean, 3);
    gguf_set_arr_data(kv, "clip.vision.image_std", GGUF_TYPE_FLOAT32, image_std, 3);

    const int64_t V = p->v_embd, F = p->v_ff, P = p->v_patch, M = 4 * (int64_t)p->v_embd;
    const enum ggml_type f32 = GGML_TYPE_F32, f16 = p->quantized ? GGML_TYPE_F16 : GGML_TYPE_F32;
    /* Qwen2.5-VL's Conv3d over 2 frames is stored as two 2-D kernels, one per frame */
    ADD("v.patch_embd.weight", f16, 4, SYNTH_FILL_RANDOM, P, P, 3, V);
    ADD("v.patch_embd.weight.1", f16, 4, SYNTH_FILL_RANDOM, P, P, 3, V);
    char name[96];
    for (int i = 0; i < p->v_layer; i++) {
#define VLAYER(suffix, type, nd, fill, ...)                                                        \
    do {                                                                                           \
        snprintf(name, sizeof(name), "v.blk.%d.%s", i, suffix);                                    \
        ADD(name, type, nd, fill, __VA_ARGS__);                                                    \
    } while (0)
        VLAYER("ln1.weight", f32, 1, SYNTH_FILL_ONES, V);
        VLAYER("attn_q.weight", f16, 2, SYNTH_FILL_RANDOM, V, V);
        VLAYER("attn_q.bias", f32, 1, SYNTH_FILL_RANDOM, V);
        VLAYER("attn_k.weight", f16, 2, SYNTH_FILL_RANDOM, V, V);
        VLAYER("attn_k.bias", f32, 1, SYNTH_FILL_RANDOM, V);
        VLAYER("attn_v.weight", f16, 2, SYNTH_FILL_RANDOM, V, V);
        VLAYER("attn_v.bias", f32, 1, SYNTH_FILL_RANDOM, V);
        VLAYER("attn_out.weight", f16, 2, SYNTH_FILL_RANDOM, V, V);
        VLAYER("attn_out.bias", f32, 1, SYNTH_FILL_RANDOM, V);
        VLAYER("ln2.weight", f32, 1, SYNTH_FILL_ONES, V);
        VLAYER("ffn_gate.weight", f16, 2, SYNTH_FILL_RANDOM, V, F);
        VLAYER("ffn_gate.bias", f32, 1, SYNTH_FILL_RANDOM, F);
        VLAYER("ffn_up.weight", f16, 2, SYNTH_FILL_RANDOM, V, F);
        VLAYER("ffn_up.bias", f32, 1, SYNTH_FILL_RANDOM, F);
        VLAYER("ffn_down.weight", f16, 2, SYNTH_FILL_RANDOM, F, V);
        VLAYER("ffn_down.bias", f32, 1, SYNTH_FILL_RANDOM, V);
#undef VLAYER
    }
    ADD("v.post_ln.weight", f32, 1, SYNTH_FILL_ONES, V);
    /* the merger: 2x2 patches concatenated, MLP to the text model's width */
    ADD("mm.0.weight", f16, 2, SYNTH_FILL_RANDOM, M, M);
    ADD("mm.0.bias", f32, 1, SYNTH_FILL_RANDOM, M);
    ADD("mm.2.weight", f16, 2, SYNTH_FILL_RANDOM, M, (int64_t)p->n_embd);
    ADD("mm.2.bias", f32, 1, SYNTH_FILL_RANDOM, (int64_t)p->n_embd);
    return true;
oom:
    snprintf(err, err_size, "out of memory declaring the mmproj tensors");
    return false;
}
