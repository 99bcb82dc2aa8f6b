/* The raw model text of the current claim, kept for the parser, for debugging and for the
 * public accessor dc_vlm_last_output. */
#include <stdlib.h>
#include <string.h>

#include "vlm_internal.h"

void vlm_output_reset(dc_vlm *e) {
    e->output_len = 0;
    if (e->output) e->output[0] = '\0';
}

bool vlm_output_append(dc_vlm *e, const char *text, size_t len) {
    if (e->output_len + len + 1 > e->output_cap) {
        size_t cap = e->output_cap ? e->output_cap : 4096;
        while (cap < e->output_len + len + 1) cap *= 2;
        char *p = realloc(e->output, cap);
        if (!p) return false;
        e->output = p;
        e->output_cap = cap;
    }
    memcpy(e->output + e->output_len, text, len);
    e->output_len += len;
    e->output[e->output_len] = '\0';
    return true;
}

void vlm_output_free(dc_vlm *e) {
    free(e->output);
    e->output = NULL;
    e->output_len = e->output_cap = 0;
}

const char *dc_vlm_last_output(const dc_vlm *e) { return e->output ? e->output : ""; }
