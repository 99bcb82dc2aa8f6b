/* Declares the mmproj of a Qwen2.5-Omni thinker: the Qwen2.5-VL vision tower and a
 * Whisper-style audio tower in one file, as clip's qwen2.5o projector loads it (the text model
 * is a qwen2vl one: synth_text_model_plan). */
#ifndef SYNTH_QWEN25OMNI_H
#define SYNTH_QWEN25OMNI_H

#include <stdbool.h>
#include <stddef.h>

#include "synth_gguf_writer.h"
#include "synth_preset.h"

bool synth_omni_mmproj_plan(const synth_preset *p, synth_gguf *g, char *err, size_t err_size);

#endif
