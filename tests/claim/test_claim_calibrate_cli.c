/* `dashclaim calibrate` end to end: labelled records in, a calibration file out that the
 * library loads; usage errors exit 2, data errors exit 1 with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dashclaim/claim.h"

static char tmp[900], bin[900];

static int run(const char *args, char *err, size_t errsize) {
    char cmd[4096], errpath[1000];
    snprintf(errpath, sizeof errpath, "%s/calibrate-cli.err", tmp);
    snprintf(cmd, sizeof cmd, "'%s/dashclaim' calibrate %s >/dev/null 2>'%s'", bin, args, errpath);
    int status = system(cmd);
    FILE *f = fopen(errpath, "r");
    size_t n = f ? fread(err, 1, errsize - 1, f) : 0;
    err[n] = '\0';
    if (f) fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_inputs(int n) {
    char path[1000];
    snprintf(path, sizeof path, "%s/cli-labels.csv", tmp);
    FILE *lf = fopen(path, "w");
    snprintf(path, sizeof path, "%s/cli-records.ndjson", tmp);
    FILE *rf = fopen(path, "w");
    assert_non_null(lf);
    assert_non_null(rf);
    for (int i = 0; i < n; i++) {
        dc_severity y = (dc_severity)(i % 4);
        fprintf(lf, "id-%d,%s\n", i, dc_severity_name(y));
        dc_assessment a;
        dc_assessment_init(&a);
        snprintf(a.claim_id, sizeof a.claim_id, "id-%d", i);
        a.severity = y;
        for (int k = 0; k < 4; k++) a.severity_probs[k] = k == (int)y ? 0.4 + (i % 5) * 0.1 : 0.1;
        dc_claim_decide(&a, NULL, NULL);
        char *j = dc_assessment_to_json(&a, 0);
        fprintf(rf, "%s\n", j);
        free(j);
    }
    fclose(lf);
    fclose(rf);
}

static void test_calibrate_cli(void **state) {
    (void)state;
    char err[4096], args[4096];
    write_inputs(40);
    snprintf(args, sizeof args,
             "--labels '%s/cli-labels.csv' --assessments '%s/cli-records.ndjson' --alpha 0.1 -o "
             "'%s/cli-calib.json'",
             tmp, tmp, tmp);
    assert_int_equal(run(args, err, sizeof err), 0);
    assert_non_null(strstr(err, "40 paired"));
    char path[1000];
    snprintf(path, sizeof path, "%s/cli-calib.json", tmp);
    dc_calibration cal;
    dc_status st;
    assert_int_equal(dc_calibration_load(path, &cal, &st), DC_OK);
    assert_int_equal(cal.n, 40);
    assert_int_equal(cal.method, DC_CONFORMAL_LAC);

    snprintf(args, sizeof args,
             "--labels '%s/cli-labels.csv' --assessments '%s/cli-records.ndjson' --method aps -o "
             "'%s/cli-calib.json'",
             tmp, tmp, tmp);
    assert_int_equal(run(args, err, sizeof err), 0);
    assert_int_equal(dc_calibration_load(path, &cal, &st), DC_OK);
    assert_int_equal(cal.method, DC_CONFORMAL_APS);

    /* too few for alpha 0.01: a data error with the reason */
    snprintf(args, sizeof args,
             "--labels '%s/cli-labels.csv' --assessments '%s/cli-records.ndjson' --alpha 0.01 -o "
             "'%s/cli-calib.json'",
             tmp, tmp, tmp);
    assert_int_equal(run(args, err, sizeof err), 1);
    assert_non_null(strstr(err, "too few"));
    /* usage errors */
    assert_int_equal(run("--labels x.csv", err, sizeof err), 2);
    assert_int_equal(run("--labels a --assessments b -o c --alpha 2", err, sizeof err), 2);
    assert_int_equal(run("--labels a --assessments b -o c --method xyz", err, sizeof err), 2);
    assert_int_equal(run("--help", err, sizeof err), 0);
    /* a missing file names itself */
    snprintf(args, sizeof args, "--labels '%s/none.csv' --assessments x -o '%s/c.json'", tmp, tmp);
    assert_int_equal(run(args, err, sizeof err), 1);
    assert_non_null(strstr(err, "none.csv"));
}

int main(void) {
    const char *t = getenv("DC_TEST_TMP"), *b = getenv("DC_BIN");
    if (!t || !b) {
        fprintf(stderr, "DC_TEST_TMP and DC_BIN must be set (run through ctest)\n");
        return 1;
    }
    snprintf(tmp, sizeof tmp, "%s", t);
    snprintf(bin, sizeof bin, "%s", b);
    mkdir(tmp, 0755);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_calibrate_cli)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
