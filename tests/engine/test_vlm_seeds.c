/* A full claim on a synth-video clip is schema-valid, with probabilities summing to 1, for 20
 * different model seeds (6 under the sanitizers: the same engine path each time, and the
 * slowest test of that suite with 20); different weights give different answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vlm_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
enum { N_SEEDS = 6 };
#else
enum { N_SEEDS = 20 };
#endif

static void test_claim_is_schema_valid_for_every_seed(void **state) {
    (void)state;
    char dir[1100], model[1200], mmproj[1200];
    snprintf(dir, sizeof(dir), "%s/seeds", fx.dir);
    snprintf(model, sizeof(model), "%s/model.gguf", dir);
    snprintf(mmproj, sizeof(mmproj), "%s/mmproj.gguf", dir);
    int distinct_outputs = 0;
    char first[4096] = "";
    for (int seed = 1; seed <= N_SEEDS; seed++) {
        synth_model(dir, seed);
        dc_vlm_options o;
        test_options(&o, model, mmproj);
        dc_status st = DC_STATUS_OK;
        dc_vlm *v = dc_vlm_open(&o, &st);
        assert_non_null(v);
        dc_assessment a;
        dc_error_class rc = claim(v, (dc_deadline){0}, &a, &st);
        if (rc != DC_OK) fprintf(stderr, "seed %d: %s\n", seed, st.message);
        assert_int_equal(rc, DC_OK);
        assert_int_not_equal(a.status, DC_CLAIM_FAILED);
        assert_true(a.severity >= DC_SEVERITY_NONE && a.severity <= DC_SEVERITY_HIGH);
        assert_probabilities(&a);
        const dc_vlm_claim_stats *s = dc_vlm_last_stats(v);
        /* the grammar alone made it valid: no repair by the lenient parser */
        if (!s->json_valid) fprintf(stderr, "seed %d output: %s\n", seed, dc_vlm_last_output(v));
        assert_true(s->json_valid);
        assert_true(strncmp(dc_vlm_last_output(v), DC_MODEL_OUTPUT_PREFIX,
                            strlen(DC_MODEL_OUTPUT_PREFIX)) == 0);
        /* the record round-trips through the assessment schema */
        char *json = dc_assessment_to_json(&a, 0);
        assert_non_null(json);
        dc_assessment back;
        dc_status pst = DC_STATUS_OK;
        assert_int_equal(dc_assessment_from_json(json, &back, &pst), DC_OK);
        assert_int_equal(back.severity, a.severity);
        assert_string_equal(back.engine.name, "vlm");
        free(json);
        if (seed == 1) snprintf(first, sizeof(first), "%s", dc_vlm_last_output(v));
        else if (strcmp(first, dc_vlm_last_output(v)) != 0) distinct_outputs++;
        dc_vlm_close(v);
    }
    /* different weights answer differently: the output really comes from the model */
    assert_true(distinct_outputs >= N_SEEDS / 2); /* of N_SEEDS - 1 compared with the first */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_is_schema_valid_for_every_seed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
