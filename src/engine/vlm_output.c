/* The raw model text of the current claim, kept for the parser, for debugging and for the
 * public accessor dc_vlm_last_output; and the claim's prompt text (dc_vlm_last_prompt). */
#include "vlm_internal.h"

void vlm_output_reset(dc_vlm *e) {
    dc_str_reset(&e->output);
    e->answer_at = 0;
}

void vlm_output_keep_prompt(dc_vlm *e, const char *prompt) {
    dc_str_reset(&e->prompt);
    dc_str_append(&e->prompt, prompt);
}

bool vlm_output_append(dc_vlm *e, const char *text, size_t len) {
    dc_str_appendn(&e->output, text, len);
    return !e->output.failed;
}

void vlm_output_free(dc_vlm *e) {
    dc_str_free(&e->output);
    dc_str_free(&e->prompt);
}

const char *dc_vlm_last_output(const dc_vlm *e) { return dc_str_text(&e->output); }

const char *dc_vlm_last_prompt(const dc_vlm *e) { return dc_str_text(&e->prompt); }
