#include "synth_qwen3vl.h"

#include <stdio.h>

#include "synth_vocab.h"

/* As synth_qwen25vl.c: small enough that every layer of random weights keeps activations
 * finite, large enough that logits differ. */
#define WEIGHT_STD 0.02f

/* llama_ftype values written as general.file_type */
enum { FTYPE_ALL_F32 = 0, FTYPE_MOSTLY_F16 = 1, FTYPE_MOSTLY_Q4_K_M = 15 };

#define ADD(name, type, nd, fill, ...)                                                             \
    do {                                                                                           \
        const int64_t ne_[] = {__VA_ARGS__};                                                       \
        if (!synth_gguf_add(g, name, type, nd, ne_, fill, WEIGHT_STD)) goto oom;                   \
    } while (0)

bool synth_qwen3vl_text_plan(const synth_preset *p, const char *vocab_path, synth_gguf *g,
                             char *err, size_t err_size) {
    struct gguf_context *kv = g->gguf;
    int64_t n_vocab = 0;
    if (!synth_vocab_copy(vocab_path, kv, p->vocab_pad_to, p->family, &n_vocab, err, err_size))
        return false;

    gguf_set_val_str(kv, "general.architecture", "qwen3vl");
    /* the name a conversion of the released model carries: it tells a fine-tune that answers
     * differently (Cosmos-Reason2 reasons first) from its base */
    gguf_set_val_str(kv, "general.name", p->general_name ? p->general_name : p->name);
    gguf_set_val_str(kv, "general.description",
                     "dashclaim synth-model: random weights, real Qwen2 tokenizer");
    gguf_set_val_u32(kv, "general.file_type", p->quantized ? FTYPE_MOSTLY_Q4_K_M : FTYPE_ALL_F32);
    gguf_set_val_u32(kv, "qwen3vl.context_length", (uint32_t)p->n_ctx_train);
    gguf_set_val_u32(kv, "qwen3vl.embedding_length", (uint32_t)p->n_embd);
    gguf_set_val_u32(kv, "qwen3vl.block_count", (uint32_t)p->n_layer);
    gguf_set_val_u32(kv, "qwen3vl.feed_forward_length", (uint32_t)p->n_ff);
    gguf_set_val_u32(kv, "qwen3vl.attention.head_count", (uint32_t)p->n_head);
    gguf_set_val_u32(kv, "qwen3vl.attention.head_count_kv", (uint32_t)p->n_head_kv);
    gguf_set_val_u32(kv, "qwen3vl.attention.key_length", (uint32_t)p->head_dim);
    gguf_set_val_u32(kv, "qwen3vl.attention.value_length", (uint32_t)p->head_dim);
    gguf_set_val_f32(kv, "qwen3vl.rope.freq_base", p->rope_freq_base);
    gguf_set_val_f32(kv, "qwen3vl.attention.layer_norm_rms_epsilon", 1e-6f);
    gguf_set_arr_data(kv, "qwen3vl.rope.dimension_sections", GGUF_TYPE_INT32, p->rope_sections, 4);
    /* the text model's input width is n_embd * (1 + this): the merger's output and one slice
     * per deepstack layer of the projector */
    gguf_set_val_u32(kv, "qwen3vl.n_deepstack_layers", (uint32_t)p->v_deepstack_count);

    const int64_t E = p->n_embd, F = p->n_ff;
    const int64_t E_q = (int64_t)p->head_dim * p->n_head,
                  E_kv = (int64_t)p->head_dim * p->n_head_kv;
    const enum ggml_type f32 = GGML_TYPE_F32;
    const enum ggml_type mat = p->quantized ? GGML_TYPE_Q4_K : GGML_TYPE_F32;
    const enum ggml_type hi = p->quantized ? GGML_TYPE_Q6_K : GGML_TYPE_F32;
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
        LAYER("attn_q.weight", mat, 2, SYNTH_FILL_RANDOM, E, E_q);
        LAYER("attn_k.weight", mat, 2, SYNTH_FILL_RANDOM, E, E_kv);
        LAYER("attn_v.weight", more, 2, SYNTH_FILL_RANDOM, E, E_kv);
        LAYER("attn_q_norm.weight", f32, 1, SYNTH_FILL_ONES, p->head_dim);
        LAYER("attn_k_norm.weight", f32, 1, SYNTH_FILL_ONES, p->head_dim);
        LAYER("attn_output.weight", mat, 2, SYNTH_FILL_RANDOM, E_q, E);
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

static bool is_deepstack(const synth_preset *p, int layer) {
    for (int k = 0; k < p->v_deepstack_count; k++)
        if (p->v_deepstack[k] == layer) return true;
    return false;
}

bool synth_qwen3vl_mmproj_plan(const synth_preset *p, synth_gguf *g, char *err, size_t err_size) {
    struct gguf_context *kv = g->gguf;
    /* Qwen3-VL's preprocessor_config.json normalises to [-1, 1] */
    static const float image_mean[3] = {0.5f, 0.5f, 0.5f};
    static const float image_std[3] = {0.5f, 0.5f, 0.5f};

    gguf_set_val_str(kv, "general.architecture", "clip");
    gguf_set_val_str(kv, "general.name", p->name);
    gguf_set_val_str(kv, "general.description", "dashclaim synth-model: random-weight mmproj");
    gguf_set_val_u32(kv, "general.file_type", p->quantized ? FTYPE_MOSTLY_F16 : FTYPE_ALL_F32);
    gguf_set_val_bool(kv, "clip.has_vision_encoder", true);
    gguf_set_val_str(kv, "clip.projector_type", "qwen3vl_merger");
    gguf_set_val_bool(kv, "clip.use_gelu", true);
    gguf_set_val_u32(kv, "clip.vision.embedding_length", (uint32_t)p->v_embd);
    gguf_set_val_u32(kv, "clip.vision.feed_forward_length", (uint32_t)p->v_ff);
    gguf_set_val_u32(kv, "clip.vision.block_count", (uint32_t)p->v_layer);
    gguf_set_val_u32(kv, "clip.vision.projection_dim", (uint32_t)p->n_embd);
    gguf_set_val_u32(kv, "clip.vision.attention.head_count", (uint32_t)p->v_head);
    gguf_set_val_f32(kv, "clip.vision.attention.layer_norm_epsilon", 1e-6f);
    gguf_set_val_u32(kv, "clip.vision.image_size", (uint32_t)p->v_image_size);
    gguf_set_val_u32(kv, "clip.vision.patch_size", (uint32_t)p->v_patch);
    gguf_set_val_u32(kv, "clip.vision.spatial_merge_size", 2);
    gguf_set_arr_data(kv, "clip.vision.image_mean", GGUF_TYPE_FLOAT32, image_mean, 3);
    gguf_set_arr_data(kv, "clip.vision.image_std", GGUF_TYPE_FLOAT32, image_std, 3);

    const int64_t V = p->v_embd, F = p->v_ff, P = p->v_patch, M = 4 * (int64_t)p->v_embd;
    const int64_t side = p->v_image_size / p->v_patch; /* learned positions: side x side */
    const enum ggml_type f32 = GGML_TYPE_F32, f16 = p->quantized ? GGML_TYPE_F16 : GGML_TYPE_F32;
    /* the Conv3d over 2 frames as two 2-D kernels, one per frame, and its bias */
    ADD("v.patch_embd.weight", f16, 4, SYNTH_FILL_RANDOM, P, P, 3, V);
    ADD("v.patch_embd.weight.1", f16, 4, SYNTH_FILL_RANDOM, P, P, 3, V);
    ADD("v.patch_embd.bias", f32, 1, SYNTH_FILL_RANDOM, V);
    /* F32 whatever the rest, as the converter writes it: clip resizes it with ggml_interpolate,
     * which takes F32 only */
    ADD("v.position_embd.weight", f32, 2, SYNTH_FILL_RANDOM, V, side * side);
    char name[96];
    for (int i = 0; i < p->v_layer; i++) {
#define VLAYER(suffix, type, nd, fill, ...)                                                        \
    do {                                                                                           \
        snprintf(name, sizeof(name), "v.blk.%d.%s", i, suffix);                                    \
        ADD(name, type, nd, fill, __VA_ARGS__);                                                    \
    } while (0)
        VLAYER("ln1.weight", f32, 1, SYNTH_FILL_ONES, V);
        VLAYER("ln1.bias", f32, 1, SYNTH_FILL_RANDOM, V);
        VLAYER("attn_qkv.weight", f16, 2, SYNTH_FILL_RANDOM, V, 3 * V);
        VLAYER("attn_qkv.bias", f32, 1, SYNTH_FILL_RANDOM, 3 * V);
        VLAYER("attn_out.weight", f16, 2, SYNTH_FILL_RANDOM, V, V);
        VLAYER("attn_out.bias", f32, 1, SYNTH_FILL_RANDOM, V);
        VLAYER("ln2.weight", f32, 1, SYNTH_FILL_ONES, V);
        VLAYER("ln2.bias", f32, 1, SYNTH_FILL_RANDOM, V);
        VLAYER("ffn_up.weight", f16, 2, SYNTH_FILL_RANDOM, V, F);
        VLAYER("ffn_up.bias", f32, 1, SYNTH_FILL_RANDOM, F);
        VLAYER("ffn_down.weight", f16, 2, SYNTH_FILL_RANDOM, F, V);
        VLAYER("ffn_down.bias", f32, 1, SYNTH_FILL_RANDOM, V);
#undef VLAYER
        if (!is_deepstack(p, i)) continue;
            /* a deepstack merger: this layer's 2x2-merged features to the text model's width */
#define DEEPSTACK(suffix, type, nd, fill, ...)                                                     \
    do {                                                                                           \
        snprintf(name, sizeof(name), "v.deepstack.%d.%s", i, suffix);                              \
        ADD(name, type, nd, fill, __VA_ARGS__);                                                    \
    } while (0)
        DEEPSTACK("norm.weight", f32, 1, SYNTH_FILL_ONES, M);
        DEEPSTACK("norm.bias", f32, 1, SYNTH_FILL_RANDOM, M);
        DEEPSTACK("fc1.weight", f16, 2, SYNTH_FILL_RANDOM, M, M);
        DEEPSTACK("fc1.bias", f32, 1, SYNTH_FILL_RANDOM, M);
        DEEPSTACK("fc2.weight", f16, 2, SYNTH_FILL_RANDOM, M, (int64_t)p->n_embd);
        DEEPSTACK("fc2.bias", f32, 1, SYNTH_FILL_RANDOM, (int64_t)p->n_embd);
#undef DEEPSTACK
    }
    ADD("v.post_ln.weight", f32, 1, SYNTH_FILL_ONES, V);
    ADD("v.post_ln.bias", f32, 1, SYNTH_FILL_RANDOM, V);
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
