#include "synth_preset.h"

#include <string.h>

/* Real dimensions are those of the Qwen2.5-VL-{3B,7B}-Instruct config.json files. The tiny
 * preset keeps every structural feature (GQA, biases, M-RoPE sections, window attention with a
 * full-attention layer, gated SiLU vision MLP, 2x2 merger) at sizes that run in milliseconds. */
static const synth_preset presets[] = {
    {
        .name = "tiny",
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
    {
        .name = "qwen2.5-vl-3b",
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
};

const synth_preset *synth_preset_find(const char *name) {
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    return NULL;
}

const char *synth_preset_names(void) { return "tiny, qwen2.5-vl-3b, qwen2.5-vl-7b"; }
