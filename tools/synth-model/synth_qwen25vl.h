/* Declares the tensors and hyper-parameters of a Qwen2.5-VL text model and its mmproj, exactly as
 * llama.cpp's qwen2vl architecture and clip's qwen2.5vl_merger projector load them. */
#ifndef SYNTH_QWEN25VL_H
#define SYNTH_QWEN25VL_H

#include <stdbool.h>
#include <stddef.h>

#include "synth_gguf_writer.h"
#include "synth_preset.h"

bool synth_text_model_plan(const synth_preset *p, const char *vocab_path, synth_gguf *g, char *err,
                           size_t err_size);
bool synth_mmproj_plan(const synth_preset *p, synth_gguf *g, char *err, size_t err_size);

#endif
