/* The video hash: OpenSSL EVP SHA-256, inline and on a thread of its own, on a file larger
 * than one read block and against a value computed by another implementation (sha256sum). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dashclaim/sysinfo.h"

static void make_file(char *path, size_t bytes) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    uint32_t x = 12345;
    for (size_t i = 0; i < bytes; i++) {
        x = x * 1103515245u + 12345u;
        fputc((int)(x >> 24), f);
    }
    assert_int_equal(fclose(f), 0);
}

static void reference_hash(const char *path, char out[65]) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sha256sum %s", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%64s", out), 1);
    pclose(p);
}

static void test_inline_and_threaded_agree(void **state) {
    (void)state;
    char path[] = "/tmp/dc-hash-XXXXXX";
    make_file(path, (3u << 20) + 12345u); /* three 1-MiB blocks and a partial one */
    char want[65], inline_hex[65], threaded[65];
    reference_hash(path, want);
    assert_int_equal(dc_sha256_file(path, inline_hex), 0);
    assert_string_equal(inline_hex, want);
    dc_sha256_job *job = dc_sha256_start(path);
    assert_non_null(job);
    assert_int_equal(dc_sha256_finish(job, threaded), 0);
    assert_string_equal(threaded, want);
    remove(path);
}

static void test_missing_file(void **state) {
    (void)state;
    char hex[65] = "untouched";
    assert_int_equal(dc_sha256_file("/nonexistent/video.mp4", hex), -1);
    assert_string_equal(hex, "untouched");
    dc_sha256_job *job = dc_sha256_start("/nonexistent/video.mp4");
    assert_non_null(job);
    assert_int_equal(dc_sha256_finish(job, hex), -1);
    assert_string_equal(hex, "untouched");
    assert_int_equal(dc_sha256_finish(NULL, hex), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_and_threaded_agree),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
