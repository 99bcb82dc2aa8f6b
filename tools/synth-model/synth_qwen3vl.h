/* Declares the tensors and hyper-parameters of a Qwen3-VL text model and its mmproj, exactly as
 * llama.cpp's qwen3vl architecture and clip's qwen3vl_merger projector load them. */
#ifndef SYNTH_QWEN3VL_H
#define SYNTH_QWEN3VL_H

#include <stdbool.h>
#include <stddef.h>

#include "synth_gguf_writer.h"
#include "synth_preset.h"

bool synth_qwen3vl_text_plan(const synth_preset *p, const char *vocab_path, synth_gguf *g,
                             char *err, size_t err_size);
bool synth_qwen3vl_mmproj_plan(const synth_preset *p, synth_gguf *g, char *err, size_t err_size);

#endif
