/* The real Qwen2 tokenizer and chat template, copied from llama.cpp's models/ggml-vocab-qwen2.gguf,
 * extended with the Qwen2.5-VL special tokens that vocabulary lacks. */
#ifndef SYNTH_VOCAB_H
#define SYNTH_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"
#include "synth_preset.h"

/* Copies every tokenizer.* key of vocab_path into dst, appends the vision tokens (and, for
 * Qwen3-VL, Qwen3's <tool_response>, </tool_response>, <think> and </think> at their released
 * ids 151665-151668; for Qwen2.5-Omni its audio bracket tokens) and pads the token list with [PADn] entries up to pad_to (0 = no
 * padding). *n_vocab receives the final token count (the embedding's row count). */
bool synth_vocab_copy(const char *vocab_path, struct gguf_context *dst, int64_t pad_to,
                      synth_family family, int64_t *n_vocab, char *err, size_t err_size);

#endif
