/* The SHA-256 module (include/dashclaim/hash.h): published vectors (FIPS 180-2 / NIST), the
 * incremental hash against the one-shot one whatever the split, hex encoding; and the video
 * hash: inline and on a thread of its own, on a file larger than one read block, against a
 * value computed by another implementation (sha256sum), and giving up on a deadline or a stop
 * with no hash written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dashclaim/hash.h"

/* Published SHA-256 test vectors. */
static const struct {
    const char *text;
    const char *hex;
} vectors[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnop"
     "qrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

static void test_known_vectors(void **state) {
    (void)state;
    dc_sha256 *h = dc_sha256_new();
    assert_non_null(h);
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t n = strlen(vectors[i].text);
        char hex[65];
        dc_sha256_hex(vectors[i].text, n, hex);
        assert_string_equal(hex, vectors[i].hex);
        /* the same context, reset, for every vector: reuse after final works */
        dc_sha256_reset(h);
        dc_sha256_update(h, vectors[i].text, n);
        uint8_t d[32];
        dc_sha256_final(h, d);
        dc_hex_encode(d, sizeof d, hex);
        assert_string_equal(hex, vectors[i].hex);
    }
    dc_sha256_free(h);
}

/* One million 'a': the long-message vector, fed in uneven pieces. */
static void test_million_a_incremental(void **state) {
    (void)state;
    enum { N = 1000000 };
    char *a = malloc(N);
    assert_non_null(a);
    memset(a, 'a', N);
    dc_sha256 *h = dc_sha256_new();
    assert_non_null(h);
    size_t off = 0, step = 1;
    while (off < N) {
        size_t k = step < N - off ? step : N - off;
        dc_sha256_update(h, a + off, k);
        off += k;
        step = step * 3 + 1;
    }
    uint8_t d[32], one[32];
    dc_sha256_final(h, d);
    dc_sha256_digest(a, N, one);
    assert_memory_equal(d, one, 32);
    char hex[65];
    dc_hex_encode(d, 32, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    dc_sha256_free(h);
    dc_sha256_free(NULL);
    free(a);
}

/* Every split of a message into two updates gives the one-shot digest. */
static void test_incremental_equals_one_shot(void **state) {
    (void)state;
    uint8_t msg[200];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 37 + 11);
    dc_sha256 *h = dc_sha256_new();
    assert_non_null(h);
    for (size_t len = 0; len <= sizeof msg; len += 7) {
        uint8_t want[32];
        dc_sha256_digest(msg, len, want);
        for (size_t cut = 0; cut <= len; cut++) {
            uint8_t got[32];
            dc_sha256_reset(h);
            dc_sha256_update(h, msg, cut);
            dc_sha256_update(h, msg + cut, len - cut);
            dc_sha256_final(h, got);
            assert_memory_equal(got, want, 32);
        }
    }
    dc_sha256_free(h);
}

static void test_hex_encode(void **state) {
    (void)state;
    const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof bytes + 2];
    memset(out, 'x', sizeof out);
    dc_hex_encode(bytes, sizeof bytes, out);
    assert_string_equal(out, "00017f80abff");
    assert_int_equal(out[2 * sizeof bytes + 1], 'x'); /* writes 2n+1 bytes, no more */
    dc_hex_encode(bytes, 0, out);
    assert_string_equal(out, "");
}

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
    const size_t size = (3u << 20) + 12345u; /* three 1-MiB blocks and a partial one */
    make_file(path, size);
    char want[65], inline_hex[65], threaded[65], until[65];
    reference_hash(path, want);
    assert_int_equal(dc_sha256_file(path, inline_hex), 0);
    assert_string_equal(inline_hex, want);
    uint64_t hashed = 0;
    assert_int_equal(dc_sha256_file_until(path, dc_deadline_in(60), NULL, until, &hashed),
                     DC_HASH_DONE);
    assert_string_equal(until, want);
    assert_int_equal(hashed, size);
    dc_sha256_job *job = dc_sha256_start(path, dc_deadline_in(60));
    assert_non_null(job);
    assert_int_equal(dc_sha256_finish(job, threaded, &hashed), DC_HASH_DONE);
    assert_string_equal(threaded, want);
    assert_int_equal(hashed, size);
    remove(path);
}

/* A deadline already passed, or a stop asked before the first block, ends the hash with nothing
 * read and nothing written: a partial hash is never handed out as the file's. */
static void test_deadline_and_stop(void **state) {
    (void)state;
    char path[] = "/tmp/dc-hash-XXXXXX";
    make_file(path, (2u << 20) + 1);
    char hex[65] = "untouched";
    uint64_t hashed = 99;
    dc_deadline passed = {.at = dc_now() - 1};
    assert_int_equal(dc_sha256_file_until(path, passed, NULL, hex, &hashed), DC_HASH_TIMED_OUT);
    assert_string_equal(hex, "untouched");
    assert_int_equal(hashed, 0);
    atomic_bool stop;
    atomic_init(&stop, true);
    assert_int_equal(dc_sha256_file_until(path, dc_deadline_in(60), &stop, hex, &hashed),
                     DC_HASH_STOPPED);
    assert_string_equal(hex, "untouched");
    dc_sha256_job *job = dc_sha256_start(path, passed);
    assert_non_null(job);
    assert_int_equal(dc_sha256_finish(job, hex, &hashed), DC_HASH_TIMED_OUT);
    assert_string_equal(hex, "untouched");
    assert_string_equal(dc_hash_end_name(DC_HASH_TIMED_OUT), "timed out");
    remove(path);
}

/* A big sparse file (reads cost no disk) hashed on its thread: a stop asked 50 ms in ends it
 * long before the end, with part of the file read and no hash. */
static void test_stop_ends_a_long_hash(void **state) {
    (void)state;
    char path[] = "/tmp/dc-hash-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const uint64_t size = 64ull << 30; /* tens of seconds to hash, sparse: no disk used */
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    close(fd);
    char hex[65] = "untouched";
    uint64_t hashed = 0;
    double t0 = dc_now();
    dc_sha256_job *job = dc_sha256_start(path, dc_deadline_in(600));
    assert_non_null(job);
    usleep(50 * 1000);
    dc_sha256_stop(job);
    assert_int_equal(dc_sha256_finish(job, hex, &hashed), DC_HASH_STOPPED);
    double took = dc_now() - t0;
    assert_true(took < 1.0);
    assert_true(hashed < size);
    assert_string_equal(hex, "untouched");
    /* and a deadline 100 ms away ends the same hash about then */
    t0 = dc_now();
    assert_int_equal(dc_sha256_file_until(path, dc_deadline_in(0.1), NULL, hex, &hashed),
                     DC_HASH_TIMED_OUT);
    took = dc_now() - t0;
    assert_true(took >= 0.1 && took < 1.0);
    assert_string_equal(hex, "untouched");
    remove(path);
}

/* A FIFO (dashclaim assess /dev/stdin, a pipe): not opened for a blocking read (that waits for
 * a writer) nor read (that would take the decoder's bytes): ended at once, without a hash. */
static void test_fifo_is_not_read(void **state) {
    (void)state;
    char dir[] = "/tmp/dc-hash-fifo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s/in", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char hex[65] = "untouched";
    double t0 = dc_now();
    assert_int_equal(dc_sha256_file_until(fifo, dc_deadline_in(60), NULL, hex, NULL),
                     DC_HASH_NOT_FILE);
    assert_int_equal(dc_sha256_file(fifo, hex), -1);
    dc_sha256_job *job = dc_sha256_start(fifo, (dc_deadline){0});
    assert_non_null(job);
    assert_int_equal(dc_sha256_finish(job, hex, NULL), DC_HASH_NOT_FILE);
    assert_true(dc_now() - t0 < 1.0);
    assert_string_equal(hex, "untouched");
    unlink(fifo);
    rmdir(dir);
}

static void test_missing_file(void **state) {
    (void)state;
    char hex[65] = "untouched";
    assert_int_equal(dc_sha256_file("/nonexistent/video.mp4", hex), -1);
    assert_string_equal(hex, "untouched");
    dc_sha256_job *job = dc_sha256_start("/nonexistent/video.mp4", (dc_deadline){0});
    assert_non_null(job);
    assert_int_equal(dc_sha256_finish(job, hex, NULL), DC_HASH_FAILED);
    assert_string_equal(hex, "untouched");
    assert_int_equal(dc_sha256_finish(NULL, hex, NULL), DC_HASH_FAILED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_million_a_incremental),
        cmocka_unit_test(test_incremental_equals_one_shot),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_inline_and_threaded_agree),
        cmocka_unit_test(test_deadline_and_stop),
        cmocka_unit_test(test_stop_ends_a_long_hash),
        cmocka_unit_test(test_fifo_is_not_read),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
