/* The raw model text of the current claim, kept for the parser, for debugging and for the
 * public accessor dc_vlm_last_output. */
#include "vlm_internal.h"

void vlm_output_reset(dc_vlm *e) { dc_str_reset(&e->output); }

bool vlm_output_append(dc_vlm *e, const char *text, size_t len) {
    dc_str_appendn(&e->output, text, len);
    return !e->output.failed;
}

void vlm_output_free(dc_vlm *e) { dc_str_free(&e->output); }

const char *dc_vlm_last_output(const dc_vlm *e) { return dc_str_text(&e->output); }
