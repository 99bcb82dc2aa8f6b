/* Many claims on one model (dc_pipeline_assess_batch): each claim of a batch gets the record it
 * gets alone (same severity, same answer text: greedy decoding; the probabilities within
 * 1e-3), its engine.batch says the claims shared steps, and every claim is reported once,
 * a broken one included. A real tiny synth-model looks at synth-video clips. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/engine.h"
#include "dashclaim/pipeline.h"
#include "pipeline_test_util.h"

enum { N = 5, BATCH = 4 };
static char dir[512];
static dc_vlm *vlm;
static dc_claim_input inputs[N];

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return -1;
    snprintf(dir, sizeof dir, "%s/test_pipeline_batch", tmp);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf \"%s\" && mkdir -p \"%s\"", dir, dir);
    if (pt_run(cmd) != 0) return -1;
    static const char *const scenes[N - 1] = {"collision", "near-miss", "normal", "hard-brake"};
    for (int i = 0; i < N; i++) {
        inputs[i].count = 1;
        snprintf(inputs[i].videos[0].path, sizeof inputs[i].videos[0].path, "%s/c%d.mp4", dir, i);
        inputs[i].videos[0].segment = -1;
        if (i == N - 1) { /* not a video: recorded as failed, in its turn */
            snprintf(cmd, sizeof cmd, "echo 'not a video' > \"%s/c%d.mp4\"", dir, i);
        } else {
            snprintf(cmd, sizeof cmd,
                     "\"%s/synth-video\" --scene %s --duration 8 --size 256x144 --fps 10 --seed "
                     "%d -o \"%s/c%d.mp4\" >/dev/null 2>&1",
                     bin, scenes[i], 11 + i, dir, i);
        }
        if (pt_run(cmd) != 0) return -1;
    }
    vlm = pt_tiny_vlm(dir, 4, 256, BATCH);
    return vlm ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    dc_vlm_close(vlm);
    return 0;
}

typedef struct {
    dc_assessment rec[N];
    int seen[N];
    int order[N], done;
} collected;

static void keep(void *ctx, int i, dc_claim_result *r) {
    collected *c = ctx;
    assert_true(i >= 0 && i < N);
    c->rec[i] = r->assessment;
    c->seen[i]++;
    c->order[c->done++] = i;
}

static void test_batch_answers_as_alone(void **state) {
    (void)state;
    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.vlm = vlm;
    o.timeout_sec = 600;
    static collected alone, together;
    const dc_claim_input *in[N];
    for (int i = 0; i < N; i++) in[i] = &inputs[i];
    dc_pipeline_assess_batch(in, NULL, N, &o, 1, keep, &alone);
    dc_pipeline_assess_batch(in, NULL, N, &o, BATCH, keep, &together);
    int shared = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(alone.seen[i], 1);
        assert_int_equal(together.seen[i], 1);
        const dc_assessment *a = &alone.rec[i], *b = &together.rec[i];
        fprintf(stderr, "claim %d: %s %s alone, %s %s in a batch of %d\n", i,
                dc_claim_status_name(a->status),
                dc_severity_name(a->severity) ? dc_severity_name(a->severity) : "-",
                dc_claim_status_name(b->status),
                dc_severity_name(b->severity) ? dc_severity_name(b->severity) : "-",
                b->engine.batch);
        assert_int_equal(a->status, b->status);
        assert_int_equal(a->severity, b->severity);
        assert_string_equal(a->reasoning, b->reasoning);
        assert_int_equal(a->evidence_count, b->evidence_count);
        for (int k = 0; k < DC_SEVERITY_COUNT; k++)
            assert_true(fabs(a->severity_probs[k] - b->severity_probs[k]) < 1e-3);
        if (a->status != DC_CLAIM_FAILED) {
            assert_int_equal(a->engine.batch, 1);
            if (b->engine.batch > 1) shared++;
        }
    }
    /* the broken file is recorded like any other claim */
    assert_int_equal(together.rec[N - 1].status, DC_CLAIM_FAILED);
    assert_int_equal(together.rec[N - 1].error_class, DC_ERR_INPUT);
    /* the claims really ran together */
    assert_true(shared >= 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_answers_as_alone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
