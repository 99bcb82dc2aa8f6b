/* Conformal prediction: the finite-sample threshold, the refusal when n is too small,
 * empirical coverage >= 1 - alpha on 10 000 synthetic draws for LAC and APS (with a model
 * that is over-confident, so coverage is not free), file round trip, and the calibrate
 * inputs (labels CSV + NDJSON records). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "dashclaim/claim.h"

static unsigned long long rng_state;
static double uniform(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double gamma1(double shape) { /* shape >= 1 via Marsaglia-Tsang; shape < 1 boosted */
    if (shape < 1) return gamma1(shape + 1) * pow(uniform(), 1.0 / shape);
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    while (true) {
        double x, v;
        do {
            double u1 = uniform(), u2 = uniform();
            x = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = uniform();
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
    }
}

/* One synthetic claim: a true distribution over severities (Dirichlet), a label drawn from
 * it, and the model's reported distribution: the truth sharpened (over-confident). */
static void draw(double model[4], dc_severity *label) {
    double truth[4], sum = 0;
    for (int k = 0; k < 4; k++) sum += truth[k] = gamma1(0.6);
    for (int k = 0; k < 4; k++) truth[k] /= sum;
    double u = uniform(), c = 0;
    *label = DC_SEVERITY_HIGH;
    for (int k = 0; k < 4; k++) {
        c += truth[k];
        if (u <= c) {
            *label = (dc_severity)k;
            break;
        }
    }
    double ms = 0;
    for (int k = 0; k < 4; k++) ms += model[k] = pow(truth[k], 2.5);
    for (int k = 0; k < 4; k++) model[k] /= ms;
}

static void coverage_for(dc_conformal_method m, double alpha) {
    enum { N_CAL = 5000, N_TEST = 10000 };
    static double probs[N_CAL][4];
    static dc_severity labels[N_CAL];
    rng_state = 0x2545F4914F6CDD1Dull ^ (unsigned long long)m;
    for (int i = 0; i < N_CAL; i++) draw(probs[i], &labels[i]);
    dc_calibration cal;
    dc_status st;
    assert_int_equal(
        dc_calibration_fit((const double(*)[4])probs, labels, N_CAL, alpha, m, &cal, &st), DC_OK);
    int covered = 0, covered_uncal = 0;
    double size = 0;
    for (int i = 0; i < N_TEST; i++) {
        double p[4];
        dc_severity y;
        draw(p, &y);
        unsigned set = dc_prediction_set_calibrated(p, &cal);
        covered += (set >> y) & 1u;
        size += dc_prediction_set_size(set);
        covered_uncal += (dc_prediction_set_uncalibrated(p, alpha) >> y) & 1u;
    }
    double cov = covered / (double)N_TEST, cov_uncal = covered_uncal / (double)N_TEST;
    /* 3 standard errors: the test draws' binomial error plus the calibration set's (the
     * guarantee holds on average over calibration sets, one set wobbles around it) */
    double se = sqrt(alpha * (1 - alpha) / N_TEST + alpha * (1 - alpha) / N_CAL);
    printf("%s alpha %.2f: qhat %.4f coverage %.4f (uncalibrated %.4f) mean set size %.2f\n",
           dc_conformal_method_name(m), alpha, cal.qhat, cov, cov_uncal, size / N_TEST);
    assert_true(cov >= 1 - alpha - 3 * se);
    /* the over-confident model's own sets under-cover: calibration is doing the work */
    assert_true(cov_uncal < 1 - alpha - 3 * se);
    assert_true(size / N_TEST < 4.0);
}

static void test_coverage_lac(void **state) {
    (void)state;
    coverage_for(DC_CONFORMAL_LAC, 0.1);
    coverage_for(DC_CONFORMAL_LAC, 0.2);
}

static void test_coverage_aps(void **state) {
    (void)state;
    coverage_for(DC_CONFORMAL_APS, 0.1);
}

static void test_finite_sample_threshold(void **state) {
    (void)state;
    /* 19 examples, alpha 0.1: rank ceil(20 * 0.9) = 18 of 19 */
    double probs[19][4];
    dc_severity labels[19];
    for (int i = 0; i < 19; i++) {
        double p = (i + 1) / 20.0; /* true-label probability 0.05 .. 0.95 */
        probs[i][0] = p, probs[i][1] = (1 - p) / 3, probs[i][2] = (1 - p) / 3,
        probs[i][3] = (1 - p) / 3;
        labels[i] = DC_SEVERITY_NONE;
    }
    dc_calibration cal;
    dc_status st;
    assert_int_equal(
        dc_calibration_fit((const double(*)[4])probs, labels, 19, 0.1, DC_CONFORMAL_LAC, &cal, &st),
        DC_OK);
    /* scores 1 - p sorted: 0.05, 0.10, ... ; the 18th is 0.90 */
    assert_true(fabs(cal.qhat - 0.90) < 1e-9);
    assert_int_equal(cal.n, 19);
    /* 8 examples are too few for alpha 0.1 (ceil(9 * 0.9) = 9 > 8) */
    assert_int_equal(
        dc_calibration_fit((const double(*)[4])probs, labels, 8, 0.1, DC_CONFORMAL_LAC, &cal, &st),
        DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "too few"));
    assert_non_null(strstr(st.message, "at least 9"));
    /* ... and 9 are enough */
    assert_int_equal(
        dc_calibration_fit((const double(*)[4])probs, labels, 9, 0.1, DC_CONFORMAL_LAC, &cal, &st),
        DC_OK);
    assert_int_equal(
        dc_calibration_fit((const double(*)[4])probs, labels, 9, 1.5, DC_CONFORMAL_LAC, &cal, &st),
        DC_ERR_INPUT);
    labels[3] = DC_SEVERITY_UNSET;
    assert_int_equal(
        dc_calibration_fit((const double(*)[4])probs, labels, 19, 0.1, DC_CONFORMAL_LAC, &cal, &st),
        DC_ERR_INPUT);
}

static void test_sets(void **state) {
    (void)state;
    double p[4] = {0.02, 0.03, 0.15, 0.80};
    assert_int_equal(dc_prediction_set_uncalibrated(p, 0.1), (1u << 3) | (1u << 2));
    assert_int_equal(dc_prediction_set_uncalibrated(p, 0.25), 1u << 3);
    dc_calibration cal = {.method = DC_CONFORMAL_LAC, .alpha = 0.1, .qhat = 0.5, .n = 100};
    assert_int_equal(dc_prediction_set_calibrated(p, &cal), 1u << 3);
    cal.qhat = 0.9;
    assert_int_equal(dc_prediction_set_calibrated(p, &cal), (1u << 3) | (1u << 2));
    cal.qhat = 0.01; /* nothing qualifies: the most likely label is kept */
    assert_int_equal(dc_prediction_set_calibrated(p, &cal), 1u << 3);
    cal.method = DC_CONFORMAL_APS;
    cal.qhat = 0.95; /* cumulative: HIGH 0.80, MEDIUM 0.95 */
    assert_int_equal(dc_prediction_set_calibrated(p, &cal), (1u << 3) | (1u << 2));
    assert_true(fabs(dc_conformal_score(DC_CONFORMAL_APS, p, DC_SEVERITY_LOW) - 0.98) < 1e-12);

    /* decide uses the calibration and says so */
    dc_assessment a;
    dc_assessment_init(&a);
    a.severity = DC_SEVERITY_HIGH;
    memcpy(a.severity_probs, p, sizeof p);
    cal.method = DC_CONFORMAL_LAC;
    cal.qhat = 0.5;
    dc_claim_decide(&a, NULL, &cal);
    assert_true(a.calibrated);
    assert_int_equal(a.prediction_set, 1u << 3);
    dc_claim_decide(&a, NULL, NULL);
    assert_false(a.calibrated);
    assert_int_equal(a.prediction_set, (1u << 3) | (1u << 2));
}

static const char *tmpdir(void) {
    const char *t = getenv("DC_TEST_TMP");
    if (!t) t = "/tmp";
    mkdir(t, 0755);
    return t;
}

static void test_save_load(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/claim-calib.json", tmpdir());
    dc_calibration c = {
        .method = DC_CONFORMAL_APS, .alpha = 0.05, .qhat = 0.123456789012345, .n = 321};
    snprintf(c.prompt_version, sizeof c.prompt_version, DC_PROMPT_VERSION);
    dc_status st;
    assert_int_equal(dc_calibration_save(path, &c, &st), DC_OK);
    dc_calibration d;
    assert_int_equal(dc_calibration_load(path, &d, &st), DC_OK);
    assert_int_equal(d.method, DC_CONFORMAL_APS);
    assert_true(d.qhat == c.qhat && d.alpha == c.alpha && d.n == 321);
    FILE *f = fopen(path, "w");
    fputs("{\"schema\":\"dashclaim.calibration/1\",\"method\":\"lac\",\"alpha\":0.1,\"qhat\":0.5}",
          f);
    fclose(f);
    assert_int_equal(dc_calibration_load(path, &d, &st), DC_ERR_INPUT);
    assert_non_null(strstr(st.message, path));
    assert_non_null(strstr(st.message, "n must be"));
    assert_int_equal(dc_calibration_load("/nonexistent/calib.json", &d, &st), DC_ERR_INPUT);
}

/* A save that cannot finish (here the file size limit cuts the write short, as a full disk
 * would) leaves the previous calibration whole and loadable: it is never written in place. */
static void test_save_failure_keeps_old_file(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/claim-calib-kept.json", tmpdir());
    dc_calibration c = {.method = DC_CONFORMAL_LAC, .alpha = 0.1, .qhat = 0.25, .n = 100};
    snprintf(c.prompt_version, sizeof c.prompt_version, DC_PROMPT_VERSION);
    dc_status st;
    assert_int_equal(dc_calibration_save(path, &c, &st), DC_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    struct rlimit old_limit, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    small = (struct rlimit){.rlim_cur = (rlim_t)sb.st_size / 2, .rlim_max = old_limit.rlim_max};
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    dc_calibration d = c;
    d.qhat = 0.75;
    dc_error_class rc = dc_calibration_save(path, &d, &st);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, DC_ERR_RESOURCE);
    assert_non_null(strstr(st.message, path));
    dc_calibration back;
    assert_int_equal(dc_calibration_load(path, &back, &st), DC_OK);
    assert_true(back.qhat == 0.25);
}

static void test_fit_files(void **state) {
    (void)state;
    char labels[1024], records[1024];
    snprintf(labels, sizeof labels, "%s/claim-labels.csv", tmpdir());
    snprintf(records, sizeof records, "%s/claim-records.ndjson", tmpdir());
    FILE *lf = fopen(labels, "w"), *rf = fopen(records, "w");
    fputs("claim_id,severity\n# a comment\n", lf);
    rng_state = 99;
    for (int i = 0; i < 60; i++) {
        double p[4];
        dc_severity y;
        draw(p, &y);
        fprintf(lf, "c%d,%s\n", i, dc_severity_name(y));
        dc_assessment a;
        dc_assessment_init(&a);
        snprintf(a.claim_id, sizeof a.claim_id, "c%d", i);
        a.severity = DC_SEVERITY_LOW;
        memcpy(a.severity_probs, p, sizeof p);
        if (i == 7) {
            dc_status fst = {.code = DC_ERR_MODEL};
            snprintf(fst.message, sizeof fst.message, "nothing usable");
            dc_assessment_fail(&a, &fst);
        }
        dc_claim_decide(&a, NULL, NULL);
        char *j = dc_assessment_to_json(&a, 0);
        fprintf(rf, "%s\n", j);
        free(j);
    }
    fputs("{\"schema\":\"dashclaim.assessment/"
          "1\",\"claim_id\":\"nolabel\",\"status\":\"ok\",\"severity\":\"LOW\","
          "\"severity_probs\":{\"NONE\":0.5,\"LOW\":0.5,\"MEDIUM\":0,\"HIGH\":0}}\n",
          rf);
    fclose(lf);
    fclose(rf);
    dc_calibration cal;
    dc_calibration_report rep;
    dc_status st;
    assert_int_equal(
        dc_calibration_fit_files(labels, records, 0.1, DC_CONFORMAL_LAC, &cal, &rep, &st), DC_OK);
    assert_int_equal(rep.labels, 60);
    assert_int_equal(rep.assessments, 61);
    assert_int_equal(rep.paired, 59);
    assert_int_equal(rep.skipped_failed, 1);
    assert_int_equal(rep.unlabelled, 1);
    assert_int_equal(cal.n, 59);
    /* alpha 0.01 needs 99 */
    assert_int_equal(
        dc_calibration_fit_files(labels, records, 0.01, DC_CONFORMAL_LAC, &cal, &rep, &st),
        DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "too few"));
    /* a bad label names the file and line */
    lf = fopen(labels, "a");
    fputs("c99,SEVERE\n", lf);
    fclose(lf);
    assert_int_equal(
        dc_calibration_fit_files(labels, records, 0.1, DC_CONFORMAL_LAC, &cal, &rep, &st),
        DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "claim-labels.csv:63"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coverage_lac),
        cmocka_unit_test(test_coverage_aps),
        cmocka_unit_test(test_finite_sample_threshold),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_save_failure_keeps_old_file),
        cmocka_unit_test(test_fit_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
