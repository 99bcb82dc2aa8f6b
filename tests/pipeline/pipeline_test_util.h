/* What the pipeline's tests share: a shell step, and a real tiny synth-model opened with small
 * budgets (a window's claim about a second on two shared cores). Header-only, static. */
#ifndef DC_PIPELINE_TEST_UTIL_H
#define DC_PIPELINE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "dashclaim/engine.h"

static inline int pt_run(const char *cmd) {
    int rc = system(cmd);
    if (rc != 0) fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}

/* Makes DIR/model (synth-model's tiny preset, seed 1; DIR exists) and opens it; NULL (said on
 * stderr) when either fails. */
static inline dc_vlm *pt_tiny_vlm(const char *dir, int max_frames, int max_new_tokens,
                                  int max_batch) {
    char cmd[4096], model[1200], mmproj[1200];
    snprintf(cmd, sizeof cmd,
             "\"%s/synth-model\" --preset tiny --seed 1 -o \"%s/model\" >/dev/null 2>&1",
             getenv("DC_BIN"), dir);
    if (pt_run(cmd) != 0) return NULL;
    snprintf(model, sizeof model, "%s/model/model.gguf", dir);
    snprintf(mmproj, sizeof mmproj, "%s/model/mmproj.gguf", dir);
    dc_vlm_options o;
    dc_vlm_options_init(&o);
    o.model_path = model;
    o.mmproj_path = mmproj;
    o.n_threads = 1;
    o.visual_tokens = 64;
    o.max_frames = max_frames;
    o.max_new_tokens = max_new_tokens;
    o.closing_reserve = max_new_tokens;
    o.retry_backoff_sec = 0.01;
    o.max_batch = max_batch;
    dc_status st = DC_STATUS_OK;
    dc_vlm *vlm = dc_vlm_open(&o, &st);
    if (!vlm) fprintf(stderr, "open: %s\n", st.message);
    return vlm;
}

#endif
