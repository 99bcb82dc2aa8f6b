#include "synth_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* llama.cpp token types (llama_token_type) */
enum {
    TOKEN_TYPE_NORMAL = 1,
    TOKEN_TYPE_CONTROL = 3,
    TOKEN_TYPE_USER_DEFINED = 4,
    TOKEN_TYPE_UNUSED = 5
};

/* Qwen2.5-VL's added tokens in their id order; `special` ones are control tokens. */
static const struct {
    const char *text;
    bool special;
} qwen_vl_added[] = {
    {"<|endoftext|>", true},        {"<|im_start|>", true},       {"<|im_end|>", true},
    {"<|object_ref_start|>", true}, {"<|object_ref_end|>", true}, {"<|box_start|>", true},
    {"<|box_end|>", true},          {"<|quad_start|>", true},     {"<|quad_end|>", true},
    {"<|vision_start|>", true},     {"<|vision_end|>", true},     {"<|vision_pad|>", true},
    {"<|image_pad|>", true},        {"<|video_pad|>", true},      {"<tool_call>", false},
    {"</tool_call>", false},        {"<|fim_prefix|>", false},    {"<|fim_middle|>", false},
    {"<|fim_suffix|>", false},      {"<|fim_pad|>", false},       {"<|repo_name|>", false},
    {"<|file_sep|>", false},
};
/* Qwen3 (and so Qwen3-VL and its fine-tunes) adds these four after them, at ids 151665-151668 */
static const struct {
    const char *text;
    bool special;
} qwen3_added[] = {
    {"<tool_response>", false},
    {"</tool_response>", false},
    {"<think>", false},
    {"</think>", false},
};
/* Qwen2.5-Omni's audio bracket tokens, which libmtmd puts around an audio chunk (the released
 * vocabulary has them among its own added tokens; here they follow the Qwen2.5-VL ones) */
static const struct {
    const char *text;
    bool special;
} omni_added[] = {
    {"<|audio_bos|>", true},
    {"<|audio_eos|>", true},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void copy_scalar(struct gguf_context *dst, const struct gguf_context *src, int64_t id,
                        const char *key) {
    switch (gguf_get_kv_type(src, id)) {
    case GGUF_TYPE_UINT8: gguf_set_val_u8(dst, key, gguf_get_val_u8(src, id)); break;
    case GGUF_TYPE_INT8: gguf_set_val_i8(dst, key, gguf_get_val_i8(src, id)); break;
    case GGUF_TYPE_UINT16: gguf_set_val_u16(dst, key, gguf_get_val_u16(src, id)); break;
    case GGUF_TYPE_INT16: gguf_set_val_i16(dst, key, gguf_get_val_i16(src, id)); break;
    case GGUF_TYPE_UINT32: gguf_set_val_u32(dst, key, gguf_get_val_u32(src, id)); break;
    case GGUF_TYPE_INT32: gguf_set_val_i32(dst, key, gguf_get_val_i32(src, id)); break;
    case GGUF_TYPE_FLOAT32: gguf_set_val_f32(dst, key, gguf_get_val_f32(src, id)); break;
    case GGUF_TYPE_UINT64: gguf_set_val_u64(dst, key, gguf_get_val_u64(src, id)); break;
    case GGUF_TYPE_INT64: gguf_set_val_i64(dst, key, gguf_get_val_i64(src, id)); break;
    case GGUF_TYPE_FLOAT64: gguf_set_val_f64(dst, key, gguf_get_val_f64(src, id)); break;
    case GGUF_TYPE_BOOL: gguf_set_val_bool(dst, key, gguf_get_val_bool(src, id)); break;
    case GGUF_TYPE_STRING: gguf_set_val_str(dst, key, gguf_get_val_str(src, id)); break;
    default: break;
    }
}

static bool copy_array(struct gguf_context *dst, const struct gguf_context *src, int64_t id,
                       const char *key) {
    size_t n = gguf_get_arr_n(src, id);
    enum gguf_type at = gguf_get_arr_type(src, id);
    if (at != GGUF_TYPE_STRING) {
        gguf_set_arr_data(dst, key, at, gguf_get_arr_data(src, id), n);
        return true;
    }
    const char **strs = malloc((n ? n : 1) * sizeof(*strs));
    if (!strs) return false;
    for (size_t i = 0; i < n; i++) strs[i] = gguf_get_arr_str(src, id, i);
    gguf_set_arr_str(dst, key, strs, n);
    free(strs);
    return true;
}

static int64_t find_token(const struct gguf_context *src, int64_t tokens_id, size_t n,
                          const char *text) {
    /* the added tokens sit at the end of the list: search backwards */
    for (size_t i = n; i-- > 0;)
        if (strcmp(gguf_get_arr_str(src, tokens_id, i), text) == 0) return (int64_t)i;
    return -1;
}

bool synth_vocab_copy(const char *vocab_path, struct gguf_context *dst, int64_t pad_to,
                      synth_family family, int64_t *n_vocab, char *err, size_t err_size) {
    struct gguf_init_params p = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *src = gguf_init_from_file(vocab_path, p);
    if (!src) {
        snprintf(err, err_size, "%s: cannot read the vocabulary GGUF", vocab_path);
        return false;
    }
    bool ok = false;
    const char **tokens = NULL;
    int32_t *types = NULL;
    char(*pads)[24] = NULL;

    for (int64_t i = 0; i < gguf_get_n_kv(src); i++) {
        const char *key = gguf_get_key(src, i);
        if (strncmp(key, "tokenizer.", 10) != 0) continue;
        if (gguf_get_kv_type(src, i) == GGUF_TYPE_ARRAY) {
            if (!copy_array(dst, src, i, key)) goto oom;
        } else {
            copy_scalar(dst, src, i, key);
        }
    }

    int64_t tok_id = gguf_find_key(src, "tokenizer.ggml.tokens");
    int64_t type_id = gguf_find_key(src, "tokenizer.ggml.token_type");
    if (tok_id < 0 || type_id < 0 || gguf_get_arr_type(src, type_id) != GGUF_TYPE_INT32) {
        snprintf(err, err_size, "%s: no tokenizer.ggml.tokens / token_type arrays", vocab_path);
        goto done;
    }
    size_t n = gguf_get_arr_n(src, tok_id);
    /* the added tokens of this family, in id order */
    const char *added[COUNT(qwen_vl_added) + COUNT(qwen3_added) + COUNT(omni_added)];
    bool added_special[COUNT(added)];
    size_t n_added = 0;
    for (size_t k = 0; k < COUNT(qwen_vl_added); k++, n_added++) {
        added[n_added] = qwen_vl_added[k].text;
        added_special[n_added] = qwen_vl_added[k].special;
    }
    for (size_t k = 0; family == SYNTH_QWEN3VL && k < COUNT(qwen3_added); k++, n_added++) {
        added[n_added] = qwen3_added[k].text;
        added_special[n_added] = qwen3_added[k].special;
    }
    for (size_t k = 0; family == SYNTH_QWEN25OMNI && k < COUNT(omni_added); k++, n_added++) {
        added[n_added] = omni_added[k].text;
        added_special[n_added] = omni_added[k].special;
    }
    size_t cap = n + n_added + (pad_to > 0 ? (size_t)pad_to : 0);
    tokens = calloc(cap, sizeof(*tokens));
    types = calloc(cap, sizeof(*types));
    if (!tokens || !types) goto oom;
    const int32_t *src_types = gguf_get_arr_data(src, type_id);
    for (size_t i = 0; i < n; i++) {
        tokens[i] = gguf_get_arr_str(src, tok_id, i);
        types[i] = src_types[i];
    }
    /* The vocabulary reserves [PADn] slots after <|endoftext|>; Qwen2.5-VL's added tokens take
     * those slots in order, so their ids match the released checkpoints (<|vision_start|> is
     * 151652). Tokens that find no free slot are appended. */
    size_t count = n;
    int64_t base = find_token(src, tok_id, n, added[0]);
    for (size_t k = 0; k < n_added; k++) {
        const char *text = added[k];
        int32_t type = added_special[k] ? TOKEN_TYPE_CONTROL : TOKEN_TYPE_USER_DEFINED;
        size_t slot = base >= 0 ? (size_t)base + k : n;
        if (slot < n && strcmp(tokens[slot], text) == 0) continue;
        if (slot < n && strncmp(tokens[slot], "[PAD", 4) == 0) {
            tokens[slot] = text;
            types[slot] = type;
        } else if (find_token(src, tok_id, n, text) < 0) {
            tokens[count] = text;
            types[count] = type;
            count++;
        }
    }
    /* the released checkpoints pad the embedding to a multiple of 128 rows with unused tokens */
    size_t n_pad = pad_to > (int64_t)count ? (size_t)pad_to - count : 0;
    if (n_pad) {
        pads = malloc(n_pad * sizeof(*pads));
        if (!pads) goto oom;
        for (size_t k = 0; k < n_pad; k++) {
            snprintf(pads[k], sizeof(pads[k]), "[PAD%zu]", count);
            tokens[count] = pads[k];
            types[count] = TOKEN_TYPE_UNUSED;
            count++;
        }
    }
    gguf_set_arr_str(dst, "tokenizer.ggml.tokens", tokens, count);
    gguf_set_arr_data(dst, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, count);

    /* an instruct model ends its turn with <|im_end|>, as Qwen2.5-VL-Instruct's GGUF says */
    int64_t im_end = -1;
    for (size_t i = n; i-- > 0 && im_end < 0;)
        if (strcmp(tokens[i], "<|im_end|>") == 0) im_end = (int64_t)i;
    for (size_t i = n; i < count && im_end < 0; i++)
        if (strcmp(tokens[i], "<|im_end|>") == 0) im_end = (int64_t)i;
    if (im_end >= 0) gguf_set_val_u32(dst, "tokenizer.ggml.eos_token_id", (uint32_t)im_end);
    gguf_set_val_bool(dst, "tokenizer.ggml.add_bos_token", false);

    *n_vocab = (int64_t)count;
    ok = true;
    goto done;
oom:
    snprintf(err, err_size, "%s: out of memory copying the vocabulary", vocab_path);
done:
    free(pads);
    free(tokens);
    free(types);
    gguf_free(src);
    return ok;
}
