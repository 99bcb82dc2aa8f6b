#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dashclaim/deadline.h"
#include "dashclaim/status.h"
#include "dashclaim/hash.h"
#include "dashclaim/sysinfo.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_fail_fills_status(void **state) {
    (void)state;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_fail(&st, DC_ERR_INPUT, "%s: not a media file", "a.mp4"), DC_ERR_INPUT);
    assert_string_equal(st.message, "a.mp4: not a media file");
    assert_string_equal(dc_error_class_name(st.code), "input");
    assert_string_equal(dc_error_class_name(DC_ERR_TIMEOUT), "timeout");
}

static void test_deadline(void **state) {
    (void)state;
    assert_false(dc_deadline_passed(dc_deadline_in(0)));
    dc_deadline d = dc_deadline_in(0.02);
    assert_false(dc_deadline_passed(d));
    double t0 = dc_now();
    while (!dc_deadline_passed(d)) {
    }
    assert_true(dc_now() - t0 >= 0.015);
    assert_true(dc_deadline_left(d) == 0);
}

static void test_sha256_and_rss(void **state) {
    (void)state;
    char path[] = "/tmp/dc-sha-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("abc", f);
    fclose(f);
    char hex[65];
    assert_int_equal(dc_sha256_file(path, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    remove(path);
    assert_int_equal(dc_sha256_file("/nonexistent", hex), -1);
    uint64_t rss = dc_rss_bytes();
    /* volatile: the compiler may otherwise drop a buffer that is written and never read. */
    volatile char *big = malloc(64 << 20);
    assert_non_null(big);
    for (size_t i = 0; i < (64u << 20); i += 4096) big[i] = 1;
    assert_true(dc_rss_bytes() >= rss + (60u << 20));
    free((void *)big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_fills_status),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_sha256_and_rss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
