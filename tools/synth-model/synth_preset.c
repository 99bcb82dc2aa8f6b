#include "synth_preset.h"

#include <string.h>

/* Real dimensions are those of the Qwen2.5-VL-{3B,7B}-Instruct config.json files. The tiny
 * preset keeps every structural feature (GQA, biases, M-RoPE sections, window attention with a
 * full-attention layer, gated SiLU vision MLP, 2x2 merger) at sizes that run in milliseconds. */
static const synth_preset presets[] = {
    {
        .name = "tiny",
        .family = SYNTH_QWEN25VL,
        .n_embd = 64,
        .n_layer = 2,
        .n_head = 2,
        .n_head_kv = 1,
        .n_ff = 128,
        .n_ctx_train = 32768,
        .rope_freq_base = 1000000.0f,
        .rope_sections = {4, 6, 6, 0},
        .tied_output = true,
        .quantized = false,
        .vocab_pad_to = 0,
        .v_embd = 64,
        .v_layer = 2,
        .v_head = 4,
        .v_ff = 128,
        .v_patch = 14,
        .v_image_size = 560,
        .v_wa_pattern = 2,
        .v_window = 112,
    },
    /* The tiny model's tower with the narrowest text model llama.cpp's Q4_K_M mix allows
     * (rows of 256): quantized weights that the CPU backend repacks, in milliseconds a token
     * (tests/engine/test_vlm_batch: a claim in a batch computes what it computes alone). */
    {
        .name = "tiny-q4k",
        .family = SYNTH_QWEN25VL,
        .n_embd = 256,
        .n_layer = 2,
        .n_head = 2,
        .n_head_kv = 1,
        .n_ff = 512,
        .n_ctx_train = 32768,
        .rope_freq_base = 1000000.0f,
        .rope_sections = {16, 24, 24, 0},
        .tied_output = true,
        .quantized = true,
        .vocab_pad_to = 0,
        .v_embd = 64,
        .v_layer = 2,
        .v_head = 4,
        .v_ff = 128,
        .v_patch = 14,
        .v_image_size = 560,
        .v_wa_pattern = 2,
        .v_window = 112,
    },
    {
        .name = "qwen2.5-vl-3b",
        .family = SYNTH_QWEN25VL,
        .n_embd = 2048,
        .n_layer = 36,
        .n_head = 16,
        .n_head_kv = 2,
        .n_ff = 11008,
        .n_ctx_train = 128000,
        .rope_freq_base = 1000000.0f,
        .rope_sections = {16, 24, 24, 0},
        .tied_output = true,
        .quantized = true,
        .vocab_pad_to = 151936,
        .v_embd = 1280,
        .v_layer = 32,
        .v_head = 16,
        .v_ff = 3420,
        .v_patch = 14,
        .v_image_size = 560,
        .v_wa_pattern = 8,
        .v_window = 112,
    },
    {
        .name = "qwen2.5-vl-7b",
        .family = SYNTH_QWEN25VL,
        .n_embd = 3584,
        .n_layer = 28,
        .n_head = 28,
        .n_head_kv = 4,
        .n_ff = 18944,
        .n_ctx_train = 128000,
        .rope_freq_base = 1000000.0f,
        .rope_sections = {16, 24, 24, 0},
        .tied_output = false,
        .quantized = true,
        .vocab_pad_to = 152064,
        .v_embd = 1280,
        .v_layer = 32,
        .v_head = 16,
        .v_ff = 3420,
        .v_patch = 14,
        .v_image_size = 560,
        .v_wa_pattern = 8,
        .v_window = 112,
    },
    /* Qwen3-VL-{2B,8B}-Instruct config.json: Qwen3 text layers (q/k norms, no biases, head
     * dim 128, M-RoPE sections 24/20/20), a vision tower of 16-pixel patches with learned
     * position embeddings, a 2x2 merger and three "deepstack" layers whose features are added
     * to the text model's first layers. */
    {
        .name = "qwen3-vl-tiny",
        .family = SYNTH_QWEN3VL,
        .n_embd = 64,
        /* more layers than deepstack inputs, as every released size: llama.cpp's qwen3vl graph
         * adds a deepstack slice for every token of a layer, and the last layer keeps only the
         * output rows (a deepstack last layer aborts a batch with fewer outputs than tokens) */
        .n_layer = 3,
        .n_head = 2,
        .n_head_kv = 1,
        .head_dim = 32,
        .n_ff = 128,
        .n_ctx_train = 262144,
        .rope_freq_base = 5000000.0f,
        .rope_sections = {6, 5, 5, 0},
        .tied_output = true,
        .quantized = false,
        .vocab_pad_to = 0,
        .v_embd = 64,
        .v_layer = 3,
        .v_head = 4,
        .v_ff = 128,
        .v_patch = 16,
        .v_image_size = 768,
        .v_deepstack = {0, 1},
        .v_deepstack_count = 2,
    },
    {
        .name = "qwen3-vl-2b",
        .family = SYNTH_QWEN3VL,
        .n_embd = 2048,
        .n_layer = 28,
        .n_head = 16,
        .n_head_kv = 8,
        .head_dim = 128,
        .n_ff = 6144,
        .n_ctx_train = 262144,
        .rope_freq_base = 5000000.0f,
        .rope_sections = {24, 20, 20, 0},
        .tied_output = true,
        .quantized = true,
        .vocab_pad_to = 151936,
        .v_embd = 1024,
        .v_layer = 24,
        .v_head = 16,
        .v_ff = 4096,
        .v_patch = 16,
        .v_image_size = 768,
        .v_deepstack = {5, 11, 17},
        .v_deepstack_count = 3,
    },
    {
        .name = "qwen3-vl-8b",
        .family = SYNTH_QWEN3VL,
        .n_embd = 4096,
        .n_layer = 36,
        .n_head = 32,
        .n_head_kv = 8,
        .head_dim = 128,
        .n_ff = 12288,
        .n_ctx_train = 262144,
        .rope_freq_base = 5000000.0f,
        .rope_sections = {24, 20, 20, 0},
        .tied_output = false,
        .quantized = true,
        .vocab_pad_to = 151936,
        .v_embd = 1152,
        .v_layer = 27,
        .v_head = 16,
        .v_ff = 4304,
        .v_patch = 16,
        .v_image_size = 768,
        .v_deepstack = {8, 16, 24},
        .v_deepstack_count = 3,
    },
};

/* Presets that are another preset's shapes under a new name or with a tower added:
 * NVIDIA Cosmos-Reason2-{2B,8B} are Qwen3-VL-{2B,8B}-Instruct post-trained to reason in
 * <think>...</think> first, told apart by their name (general.name); Qwen2.5-Omni-{3B,7B}'s
 * thinker is Qwen2.5-VL-{3B,7B}'s text model and vision tower plus the audio tower of
 * Whisper-large-v3 (1280 wide, 32 layers, 20 heads, 128 mel bins), from their config.json. */
static const struct {
    const char *name, *base, *general_name;
    synth_family family;
    int a_embd, a_layer, a_head, a_ff, a_mel;
} derived[] = {
    {"cosmos-reason2-tiny", "qwen3-vl-tiny", "Cosmos-Reason2 tiny (dashclaim synth-model)",
     SYNTH_QWEN3VL, 0, 0, 0, 0, 0},
    {"cosmos-reason2-2b", "qwen3-vl-2b", "Cosmos-Reason2-2B", SYNTH_QWEN3VL, 0, 0, 0, 0, 0},
    {"cosmos-reason2-8b", "qwen3-vl-8b", "Cosmos-Reason2-8B", SYNTH_QWEN3VL, 0, 0, 0, 0, 0},
    {"qwen2.5-omni-tiny", "tiny", NULL, SYNTH_QWEN25OMNI, 64, 2, 4, 128, 128},
    {"qwen2.5-omni-3b", "qwen2.5-vl-3b", "Qwen2.5-Omni-3B", SYNTH_QWEN25OMNI, 1280, 32, 20, 5120,
     128},
    {"qwen2.5-omni-7b", "qwen2.5-vl-7b", "Qwen2.5-Omni-7B", SYNTH_QWEN25OMNI, 1280, 32, 20, 5120,
     128},
};

const synth_preset *synth_preset_find(const char *name) {
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    static synth_preset copy; /* one preset per run of the tool */
    for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
        if (strcmp(derived[i].name, name) != 0) continue;
        const synth_preset *base = synth_preset_find(derived[i].base);
        if (!base) return NULL;
        copy = *base;
        copy.name = derived[i].name;
        copy.general_name = derived[i].general_name;
        copy.family = derived[i].family;
        copy.a_embd = derived[i].a_embd;
        copy.a_layer = derived[i].a_layer;
        copy.a_head = derived[i].a_head;
        copy.a_ff = derived[i].a_ff;
        copy.a_mel = derived[i].a_mel;
        return &copy;
    }
    return NULL;
}

const char *synth_preset_names(void) {
    return "tiny, tiny-q4k, qwen2.5-vl-3b, qwen2.5-vl-7b, qwen3-vl-tiny, qwen3-vl-2b, qwen3-vl-8b, "
           "cosmos-reason2-tiny, cosmos-reason2-2b, cosmos-reason2-8b, qwen2.5-omni-tiny, "
           "qwen2.5-omni-3b, qwen2.5-omni-7b";
}

bool synth_q4_k_m_more_bits(int i, int n) {
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}
