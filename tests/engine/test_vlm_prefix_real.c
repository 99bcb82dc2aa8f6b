/* The cached fixed prompt on a real-shape model (synth-model qwen2.5-vl-3b: Q4_K_M text model,
 * F16 projector, 36 layers): several claims in a row, one of them failed, each writes byte for
 * byte what a claim computed in full writes. The tiny model's test (test_vlm_prefix) covers
 * every path; this one checks that the kernels of a real-size quantized model give the same
 * numbers whether the fixed prompt's cells were computed in an earlier claim or in this one.
 *
 * Kept small for CI on two cores: one frame pair at the smallest size (8 visual tokens), 12
 * new tokens (the answer is cut, which does not matter for a comparison of the raw text), and
 * the prompt computed in full only once; the fixed prompt itself (about 1 300 tokens) is the
 * cost. Skipped in the sanitizer build (minutes of 3B matrix products under ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vlm_fixture.h"

static char model3b[1200], mmproj3b[1200];

static void options_3b(dc_vlm_options *o) {
    test_options(o, model3b, mmproj3b);
    o->n_threads = 2;
    o->visual_tokens = 8;
    o->max_frames = 2;
    o->max_new_tokens = 12;
    o->closing_reserve = 0;
}

/* A set-up tool failed: says which and shows what it printed (a full disk, say), so that a
 * failed set-up is never silent. */
static int tool_failed(const char *what, const char *log_name) {
    char path[1200], line[512];
    snprintf(path, sizeof(path), "%s/%s", fx.dir, log_name);
    fprintf(stderr, "set-up: %s failed; it printed (%s):\n", what, path);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) fprintf(stderr, "  %s", line);
    if (f) fclose(f);
    return -1;
}

static int setup_3b(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) {
        fprintf(stderr, "set-up: DC_TEST_TMP and DC_BIN are not set (run it through ctest)\n");
        return -1;
    }
    snprintf(fx.dir, sizeof(fx.dir), "%s/%s", tmp, program_invocation_short_name);
    char cmd[4096], mdir[1100];
    snprintf(mdir, sizeof(mdir), "%s/qwen2.5-vl-3b", fx.dir);
    snprintf(model3b, sizeof(model3b), "%s/model.gguf", mdir);
    snprintf(mmproj3b, sizeof(mmproj3b), "%s/mmproj.gguf", mdir);
    FILE *f = fopen(mmproj3b, "rb");
    if (f) {
        fclose(f); /* made whole by an earlier run (synth-model renames a finished file): 3 GiB
                      are not written again */
    } else {
        snprintf(cmd, sizeof(cmd),
                 "mkdir -p \"%s\" && \"%s/synth-model\" --preset qwen2.5-vl-3b -o \"%s\" "
                 ">\"%s/synth-model.log\" 2>&1",
                 fx.dir, bin, mdir, fx.dir);
        if (system(cmd) != 0) return tool_failed("synth-model (3 GiB on disk)", "synth-model.log");
    }
    snprintf(fx.clip, sizeof(fx.clip), "%s/clip.mp4", fx.dir);
    snprintf(cmd, sizeof(cmd),
             "\"%s/synth-video\" --duration 10 --size 640x360 -o \"%s\" >\"%s/synth-video.log\" "
             "2>&1",
             bin, fx.clip, fx.dir);
    if (system(cmd) != 0) return tool_failed("synth-video", "synth-video.log");
    dc_status st = DC_STATUS_OK;
    dc_vlm_options o;
    options_3b(&o);
    fx.vlm = dc_vlm_open(&o, &st);
    if (!fx.vlm) {
        fprintf(stderr, "open: %s\n", st.message);
        return -1;
    }
    dc_media *m = dc_media_open(fx.clip, (dc_deadline){0}, &st);
    if (!m) {
        fprintf(stderr, "set-up: %s\n", st.message);
        return -1;
    }
    const dc_media_info *info = dc_media_get_info(m);
    dc_sample_request req;
    if (dc_vlm_frame_request(fx.vlm, 3.0, 7.0, info->width, info->height, &req, NULL, &st) !=
            DC_OK ||
        dc_frames_sample(m, &req, (dc_deadline){0}, &fx.frames, &st) != DC_OK) {
        fprintf(stderr, "set-up: %s\n", st.message);
        dc_media_close(m);
        return -1;
    }
    dc_media_close(m);
    return 0;
}

static dc_error_class claim_with(dc_vlm *v, double duration, dc_assessment *a, dc_status *st) {
    dc_assessment_init(a);
    dc_engine_context ctx = {.claim_id = "real-shape", .duration_sec = duration};
    return dc_vlm_assess(v, &fx.frames, &ctx, (dc_deadline){0}, a, st);
}

static void test_real_shape_cached_prefix_gives_the_same_answer(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    /* claim 1 computes the prefix, claim 2 (another claim line) reuses it, claim 3 fails,
     * claim 4 repeats claim 1 on the cached prefix */
    claim_with(fx.vlm, 10.0, &a, &st);
    char *first = strdup(dc_vlm_last_output(fx.vlm));
    const int prefix = dc_vlm_last_stats(fx.vlm)->prefix_tokens_computed;
    assert_true(prefix > 500);
    claim_with(fx.vlm, 31.5, &a, &st);
    assert_int_equal(dc_vlm_last_stats(fx.vlm)->cached_prompt_tokens, prefix);
    dc_vlm_test_inject(fx.vlm, DC_VLM_FAULT_DEADLINE_DECODE, 1);
    assert_int_equal(claim_with(fx.vlm, 10.0, &a, &st), DC_ERR_TIMEOUT);
    claim_with(fx.vlm, 10.0, &a, &st);
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(fx.vlm);
    assert_int_equal(s->cached_prompt_tokens, prefix);
    assert_int_equal(s->prefill_tokens, s->prompt_tokens - prefix);
    char *warm = strdup(dc_vlm_last_output(fx.vlm));
    printf("real shape: %d prompt tokens, %d from the cache, %d run warm\n", s->prompt_tokens,
           s->cached_prompt_tokens, s->prefill_tokens);

    /* the same claim computed in full */
    dc_vlm_options o;
    options_3b(&o);
    o.no_prefix_cache = true;
    dc_vlm *full = dc_vlm_open(&o, &st);
    assert_non_null(full);
    claim_with(full, 10.0, &a, &st);
    assert_int_equal(dc_vlm_last_stats(full)->cached_prompt_tokens, 0);
    const char *reference = dc_vlm_last_output(full);
    assert_true(strlen(reference) > strlen(DC_MODEL_OUTPUT_PREFIX));
    assert_string_equal(first, reference);
    assert_string_equal(warm, reference);
    dc_vlm_close(full);
    free(first);
    free(warm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_shape_cached_prefix_gives_the_same_answer),
    };
    return cmocka_run_group_tests(tests, setup_3b, teardown);
}
