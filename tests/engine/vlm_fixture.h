/* Shared fixture of the VLM engine tests: a synth-model tiny pair (seed 1), a 10 s synth-video
 * clip and the frames of its window [3, 7) s at the test frame budget, one open engine.
 * VLM_FIXTURE_PRESET names another synth-model preset (a test program built once per model
 * family runs the same tests on each). */
#ifndef DC_TEST_VLM_FIXTURE_H
#define DC_TEST_VLM_FIXTURE_H

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashclaim/claim.h"
#include "dashclaim/engine.h"
#include "dashclaim/media.h"
#include "dashclaim/sysinfo.h"

typedef struct {
    char dir[1024];
    char model[1200], mmproj[1200], clip[1200];
    dc_frame_set frames; /* of window [3, 7) s at the test frame budget */
    dc_vlm *vlm;         /* seed-1 model, test options */
} fixture;

static fixture fx;

#ifndef VLM_FIXTURE_PRESET
#define VLM_FIXTURE_PRESET "tiny"
#endif

static inline void synth_model(const char *out, int seed) {
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "\"%s/synth-model\" --preset %s --seed %d -o \"%s\" 2>/dev/null",
             getenv("DC_BIN"), VLM_FIXTURE_PRESET, seed, out);
    assert_int_equal(system(cmd), 0);
}

/* Small budgets keep a claim well under a second on two cores; every code path is the same. */
static inline void test_options(dc_vlm_options *o, const char *model, const char *mmproj) {
    dc_vlm_options_init(o);
    o->model_path = model;
    o->mmproj_path = mmproj;
    /* one thread: ggml's spinning thread pool crawls on a shared, oversubscribed machine */
    o->n_threads = 1;
    o->visual_tokens = 64;
    o->max_frames = 4;
    /* the schema's shortest complete answer is about 300 tokens (every facts field is
     * required); from the start the closing pressure keeps a random model's answer short */
    o->max_new_tokens = 448;
    o->closing_reserve = 448;
    o->retry_backoff_sec = 0.01;
    /* a reasoning family's thinking: a random model never closes it, so the budget is spent */
    o->max_think_tokens = 24;
}

static inline int setup(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return -1;
    /* One folder per test program: ctest runs them in parallel, and a model file rewritten
     * under another program's mmap kills it with SIGBUS. */
    snprintf(fx.dir, sizeof(fx.dir), "%s/%s", tmp, program_invocation_short_name);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "mkdir -p \"%s\"", fx.dir);
    if (system(cmd) != 0) return -1;
    char mdir[1100];
    snprintf(mdir, sizeof(mdir), "%s/seed1", fx.dir);
    snprintf(cmd, sizeof(cmd), "\"%s/synth-model\" --preset %s --seed 1 -o \"%s\" 2>/dev/null", bin,
             VLM_FIXTURE_PRESET, mdir);
    if (system(cmd) != 0) return -1;
    snprintf(fx.model, sizeof(fx.model), "%s/model.gguf", mdir);
    snprintf(fx.mmproj, sizeof(fx.mmproj), "%s/mmproj.gguf", mdir);
    snprintf(fx.clip, sizeof(fx.clip), "%s/clip.mp4", fx.dir);
    snprintf(cmd, sizeof(cmd),
             "\"%s/synth-video\" --duration 10 --size 640x360 -o \"%s\" >/dev/null 2>&1", bin,
             fx.clip);
    if (system(cmd) != 0) return -1;

    dc_status st = DC_STATUS_OK;
    dc_vlm_options o;
    test_options(&o, fx.model, fx.mmproj);
    fx.vlm = dc_vlm_open(&o, &st);
    if (!fx.vlm) {
        fprintf(stderr, "open: %s\n", st.message);
        return -1;
    }
    dc_media *m = dc_media_open(fx.clip, (dc_deadline){0}, &st);
    if (!m) {
        fprintf(stderr, "media: %s\n", st.message);
        return -1;
    }
    const dc_media_info *info = dc_media_get_info(m);
    dc_sample_request req;
    dc_frame_plan plan;
    if (dc_vlm_frame_request(fx.vlm, 3.0, 7.0, info->width, info->height, &req, &plan, &st) !=
            DC_OK ||
        dc_frames_sample(m, &req, (dc_deadline){0}, &fx.frames, &st) != DC_OK) {
        fprintf(stderr, "frames: %s\n", st.message);
        dc_media_close(m);
        return -1;
    }
    dc_media_close(m);
    return 0;
}

static inline int teardown(void **state) {
    (void)state;
    dc_frame_set_free(&fx.frames);
    dc_vlm_close(fx.vlm);
    return 0;
}

static inline dc_error_class claim(dc_vlm *vlm, dc_deadline dl, dc_assessment *a, dc_status *st) {
    dc_assessment_init(a);
    dc_engine_context ctx = {.claim_id = "test-claim", .duration_sec = 10.0};
    return dc_vlm_assess(vlm, &fx.frames, &ctx, dl, a, st);
}

static inline void assert_probabilities(const dc_assessment *a) {
    double sum = 0;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++) {
        assert_true(a->severity_probs[i] >= 0.0 && a->severity_probs[i] <= 1.0);
        sum += a->severity_probs[i];
    }
    assert_true(fabs(sum - 1.0) < 1e-9);
}

#endif
