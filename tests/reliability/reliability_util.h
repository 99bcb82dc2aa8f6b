/* Shared by the reliability tests: inputs made by the project's own tools (synth-video,
 * synth-model --preset tiny) in one scratch folder per test program, the tiny model opened
 * with small budgets, and "same answer" comparisons between two assessments. */
#ifndef DC_TEST_RELIABILITY_UTIL_H
#define DC_TEST_RELIABILITY_UTIL_H

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"
#include "dashclaim/engine.h"

/* AddressSanitizer builds run the same checks on fewer points (they are 3-10x slower). */
#if defined(__SANITIZE_ADDRESS__)
#define REL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REL_ASAN 1
#endif
#endif
#ifndef REL_ASAN
#define REL_ASAN 0
#endif

static char rel_dir[2048];

/* Runs a shell command built from fmt; returns its exit status (-1 when it did not exit). */
static inline int rel_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int rel_sh(const char *fmt, ...) {
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : (rc & 0x7f) ? -1 : (rc >> 8) & 0xff;
}

/* DC_TEST_TMP/<program>/: one folder per test program (ctest runs them in parallel, and a
 * model file rewritten under another program's mmap kills that program with SIGBUS). */
static inline const char *rel_setup_dir(void) {
    const char *tmp = getenv("DC_TEST_TMP");
    if (!tmp || !getenv("DC_BIN")) {
        fprintf(stderr, "DC_TEST_TMP and DC_BIN must be set (run through ctest)\n");
        return NULL;
    }
    snprintf(rel_dir, sizeof rel_dir, "%s/%s", tmp, program_invocation_short_name);
    if (rel_sh("rm -rf '%s' && mkdir -p '%s'", rel_dir, rel_dir) != 0) return NULL;
    return rel_dir;
}

/* rel_dir/<name> made by `synth-video <args>`; out receives the path. */
static inline bool rel_video(char *out, size_t size, const char *name, const char *args) {
    snprintf(out, size, "%s/%s", rel_dir, name);
    return rel_sh("'%s/synth-video' %s -o '%s' >/dev/null 2>&1", getenv("DC_BIN"), args, out) == 0;
}

/* rel_dir/model-<seed>/{model,mmproj}.gguf made by synth-model --preset tiny. */
static inline bool rel_tiny_model(int seed, char *model, char *mmproj, size_t size) {
    char dir[2300];
    snprintf(dir, sizeof dir, "%s/model-%d", rel_dir, seed);
    snprintf(model, size, "%s/model.gguf", dir);
    snprintf(mmproj, size, "%s/mmproj.gguf", dir);
    return rel_sh("'%s/synth-model' --preset tiny --seed %d -o '%s' >/dev/null 2>&1",
                  getenv("DC_BIN"), seed, dir) == 0;
}

/* The engine tests' small budgets: a claim stays well under a second on two cores, and every
 * code path (vision encode, prefill, grammar-constrained decode, logit read-out) is the real one. */
static inline void rel_vlm_options(dc_vlm_options *o, const char *model, const char *mmproj) {
    dc_vlm_options_init(o);
    o->model_path = model;
    o->mmproj_path = mmproj;
    o->n_threads = 1; /* ggml's spinning thread pool crawls on a shared, oversubscribed machine */
    o->visual_tokens = 64;
    o->max_frames = 4;
    o->max_new_tokens = 448;
    o->closing_reserve = 448;
    o->retry_backoff_sec = 0.01;
}

/* Why two assessments do not give the same answer ("" when they do): what the engine observed
 * and what the rules decided from it. Timings, memory, created_at and messages may differ. */
static inline const char *rel_answer_differs(const dc_assessment *a, const dc_assessment *b) {
    static char why[256];
    why[0] = 0;
    if (a->severity != b->severity) return "severity";
    /* Probabilities within 2e-3: two identical claims on the tiny model already differ by
     * about 1e-4 (measured: 0.215470 vs 0.215418; ggml's CPU reductions and the reuse of the
     * fixed prompt's KV cells change the last digits), while a wrong answer moves them far more. */
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        if (fabs(a->severity_probs[i] - b->severity_probs[i]) > 2e-3) {
            snprintf(why, sizeof why, "severity_probs[%d] %.9f vs %.9f", i, a->severity_probs[i],
                     b->severity_probs[i]);
            return why;
        }
    if (a->scenario != b->scenario) return "scenario";
    if (a->window_count != b->window_count) return "window_count";
    for (int i = 0; i < a->window_count; i++)
        if (fabs(a->windows[i].start_sec - b->windows[i].start_sec) > 1e-9 ||
            fabs(a->windows[i].end_sec - b->windows[i].end_sec) > 1e-9 ||
            fabs(a->windows[i].danger - b->windows[i].danger) > 1e-9)
            return "windows";
    if (a->evidence_count != b->evidence_count) return "evidence_count";
    for (int i = 0; i < a->evidence_count; i++)
        if (fabs(a->evidence[i].t_sec - b->evidence[i].t_sec) > 1e-9 ||
            strcmp(a->evidence[i].description, b->evidence[i].description) != 0)
            return "evidence";
    if (a->hazard_count != b->hazard_count) return "hazard_count";
    if (memcmp(&a->facts, &b->facts, sizeof a->facts) != 0) return "facts";
    if (strcmp(a->reasoning, b->reasoning) != 0) return "reasoning";
    if (a->prediction_set != b->prediction_set) return "prediction_set";
    if (a->fault_has_ratio != b->fault_has_ratio || a->fault_ratio != b->fault_ratio)
        return "fault_ratio";
    if (fabs(a->fraud_score - b->fraud_score) > 2e-3) return "fraud_score";
    if (a->review_priority != b->review_priority) return "review_priority";
    if (a->recommended_action != b->recommended_action) return "recommended_action";
    return why;
}

#endif
