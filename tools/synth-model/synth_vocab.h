/* The real Qwen2 tokenizer and chat template, copied from llama.cpp's models/ggml-vocab-qwen2.gguf,
 * extended with the Qwen2.5-VL special tokens that vocabulary lacks. */
#ifndef SYNTH_VOCAB_H
#define SYNTH_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

/* Copies every tokenizer.* key of vocab_path into dst, appends the vision tokens and pads the
 * token list with [PADn] entries up to pad_to (0 = no padding). *n_vocab receives the final
 * token count (the embedding's row count). */
bool synth_vocab_copy(const char *vocab_path, struct gguf_context *dst, int64_t pad_to,
                      int64_t *n_vocab, char *err, size_t err_size);

#endif
