/* Injected faults (hooks compiled into test builds only): model attempts that fail, a device
 * failure in the middle of a batch, a decoder too slow for the deadline, a disk that fills
 * while outputs are written. What must hold:
 *   - retries recover: >= 99 % of claims succeed when one attempt in three fails, with the
 *     same answer as a claim that never failed;
 *   - the CPU fallback is taken for the failing claim only, and recorded in it;
 *   - a claim ends within its deadline + 10 % + 100 ms, failed with class timeout;
 *   - no partial output file is ever left, and the CLI says what it could not write.
 * DC_FAULT_CLAIMS sets the claims of the retry runs (make soak uses more); DC_FIGURES_FILE,
 * when set, receives the measured figures as key=value lines for RELIABILITY.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "dashclaim/deadline.h"
#include "dashclaim/media.h"
#include "dashclaim/pipeline.h"
#include "reliability_util.h"

static char clip[4096], clip2[4096], long_clip[4096], model[4096], mmproj[4096];
static dc_frame_set frames; /* the clip's window [1, 3) s at the tiny model's frame budget */
static dc_assessment clean; /* a claim on those frames with no fault */

static void figure(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void figure(const char *key, const char *fmt, ...) {
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    printf("figure %s=%s\n", key, value);
    const char *path = getenv("DC_FIGURES_FILE");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (!f) return;
    fprintf(f, "%s=%s\n", key, value);
    fclose(f);
}

static int claims_for_retry_runs(void) {
    const char *n = getenv("DC_FAULT_CLAIMS");
    if (n && atoi(n) > 0) return atoi(n);
    return REL_ASAN ? 9 : 30;
}

static dc_vlm *open_tiny(int retries) {
    dc_vlm_options o;
    rel_vlm_options(&o, model, mmproj);
    o.retries = retries;
    dc_status st = DC_STATUS_OK;
    dc_vlm *vlm = dc_vlm_open(&o, &st);
    if (!vlm) fprintf(stderr, "open: %s\n", st.message);
    return vlm;
}

static dc_error_class claim(dc_vlm *vlm, dc_assessment *a) {
    dc_assessment_init(a);
    dc_engine_context ctx = {.claim_id = "fault", .duration_sec = 4.0};
    dc_status st = DC_STATUS_OK;
    /* generous: these claims are not about deadlines, and a shared, loaded machine (load 40 on
     * 2 cores was seen) can stretch a tiny-model claim past two minutes */
    return dc_vlm_assess(vlm, &frames, &ctx, dc_deadline_in(900), a, &st);
}

/* Attempts 1..k fail transiently: with k <= retries the claim succeeds on attempt k + 1 with
 * the clean answer; with k = retries + 1 it fails with class resource, and the next claim is
 * clean again. */
static void test_attempts_fail(void **state) {
    (void)state;
    const int retries = 3;
    dc_vlm *vlm = open_tiny(retries);
    assert_non_null(vlm);
    for (int k = 0; k <= retries + 1; k++) {
        dc_assessment a;
        if (k) dc_vlm_test_inject(vlm, DC_VLM_FAULT_TRANSIENT_PREFILL, k);
        dc_error_class rc = claim(vlm, &a);
        int attempts = dc_vlm_last_stats(vlm)->attempts;
        printf("attempts 1..%d fail: %s after %d attempts\n", k, dc_claim_status_name(a.status),
               attempts);
        if (k <= retries) {
            assert_int_equal(rc, DC_OK);
            assert_int_equal(a.status, DC_CLAIM_OK);
            assert_int_equal(attempts, k + 1);
            assert_string_equal(rel_answer_differs(&a, &clean), "");
        } else {
            assert_int_equal(a.status, DC_CLAIM_FAILED);
            assert_int_equal(a.error_class, DC_ERR_RESOURCE);
            assert_int_equal(attempts, retries + 1);
            assert_true(a.error_message[0] != 0);
        }
    }
    dc_assessment a;
    assert_int_equal(claim(vlm, &a), DC_OK);
    assert_string_equal(rel_answer_differs(&a, &clean), "");
    dc_vlm_close(vlm);
}

static uint64_t rng = 3;
static double uniform01(void) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* One attempt in three fails. "Every third attempt" (the rate the issue names, as a steady
 * pattern) must leave >= 99 % of claims successful; failures drawn independently with
 * probability 1/3 per attempt are reported too: with 3 retries a claim is lost only when four
 * attempts in a row fail, (1/3)^4 = 1.2 % of claims. */
static void test_one_attempt_in_three_fails(void **state) {
    (void)state;
    dc_vlm *vlm = open_tiny(3);
    assert_non_null(vlm);
    int n = claims_for_retry_runs();
    for (int mode = 0; mode < 2; mode++) {
        long attempt = 0; /* attempts made so far in this run */
        int ok = 0, same = 0, failing_attempts = 0, attempts_total = 0;
        for (int i = 0; i < n; i++) {
            int fail_first = 0;
            if (mode == 0) {
                fail_first = (attempt + 1) % 3 == 0; /* every third attempt, at most one in a row */
            } else {
                while (fail_first < 8 && uniform01() < 1.0 / 3) fail_first++;
            }
            if (fail_first) dc_vlm_test_inject(vlm, DC_VLM_FAULT_TRANSIENT_PREFILL, fail_first);
            dc_assessment a;
            claim(vlm, &a);
            dc_vlm_test_inject(vlm, DC_VLM_FAULT_NONE, 0);
            int made = dc_vlm_last_stats(vlm)->attempts;
            attempt += made;
            attempts_total += made;
            failing_attempts += fail_first < made ? fail_first : made;
            if (a.status != DC_CLAIM_FAILED) ok++;
            if (a.status == DC_CLAIM_OK && !rel_answer_differs(&a, &clean)[0]) same++;
            if (a.status == DC_CLAIM_FAILED && a.error_class != DC_ERR_RESOURCE)
                fprintf(stderr, "claim %d (%d failing attempts, %d made): %s: %s\n", i, fail_first,
                        made, dc_error_class_name(a.error_class), a.error_message);
            if (a.status == DC_CLAIM_FAILED) assert_int_equal(a.error_class, DC_ERR_RESOURCE);
        }
        const char *name = mode == 0 ? "every_third_attempt" : "iid_one_in_three";
        printf("%s: %d claims, %d/%d attempts failed, %d succeeded (%d with the clean answer)\n",
               name, n, failing_attempts, attempts_total, ok, same);
        figure(mode == 0 ? "retry_every_third" : "retry_iid_third",
               "%d/%d claims ok (%.1f %%), %d of %d attempts failed", ok, n, 100.0 * ok / n,
               failing_attempts, attempts_total);
        if (mode == 0) {
            assert_true(ok * 100 >= 99 * n);
            assert_int_equal(same, ok); /* a retried claim answers as a clean one */
            assert_true(failing_attempts * 4 >= attempts_total); /* the rate really was ~1/3 */
        }
    }
    dc_vlm_close(vlm);
}

/* A device failure in claim 4 of 8: that claim finishes on the CPU and says so; the claims
 * before and after run on the engine's own placement, without a fallback, with the clean
 * answer. */
static void test_device_failure_mid_batch(void **state) {
    (void)state;
    dc_vlm *vlm = open_tiny(3);
    assert_non_null(vlm);
    char device[64];
    snprintf(device, sizeof device, "%s", dc_vlm_device_name(vlm));
    int fallbacks = 0;
    for (int i = 0; i < 8; i++) {
        if (i == 3) dc_vlm_test_inject(vlm, DC_VLM_FAULT_DEVICE_DECODE, 1);
        dc_assessment a;
        dc_error_class rc = claim(vlm, &a);
        const dc_vlm_claim_stats *s = dc_vlm_last_stats(vlm);
        printf("claim %d: %s, device %s, fallback %d\n", i, dc_claim_status_name(a.status),
               a.engine.device, s->cpu_fallback);
        assert_int_equal(rc, DC_OK);
        if (i == 3) {
            assert_true(s->cpu_fallback);
            assert_int_equal(a.status, DC_CLAIM_DEGRADED); /* recorded in the claim */
            assert_non_null(strstr(a.engine.device, "cpu"));
            assert_true(a.error_message[0] != 0);
            fallbacks++;
        } else {
            assert_false(s->cpu_fallback);
            assert_int_equal(a.status, DC_CLAIM_OK);
            assert_string_equal(a.engine.device, clean.engine.device);
            assert_string_equal(dc_vlm_device_name(vlm), device);
        }
        assert_string_equal(rel_answer_differs(&a, &clean), "");
    }
    figure("device_failure_batch",
           "8 claims, failure in claim 4: %d fallback (that claim, degraded), 7 ok on %s",
           fallbacks, device);
    dc_vlm_close(vlm);
}

/* A decoder too slow for the deadline: the whole claim (probe, mining, sampling, engine)
 * ends within deadline + 10 % + 100 ms, failed with class timeout. */
static void check_deadline(dc_vlm *vlm, double deadline, double per_packet, double *worst) {
    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.vlm = vlm;
    o.timeout_sec = deadline;
    o.decode_workers = 2;
    dc_media_test_slow_decode(per_packet);
    double t0 = dc_now();
    dc_claim_result r;
    dc_pipeline_assess(long_clip, "slow", &o, &r);
    double took = dc_now() - t0;
    dc_media_test_slow_decode(0);
    const dc_assessment *a = &r.assessment;
    printf("%s, deadline %.2f s, %.0f ms per packet: %s %s after %.3f s (%s)\n",
           vlm ? "vlm" : "signals", deadline, per_packet * 1000, dc_claim_status_name(a->status),
           a->error_class ? dc_error_class_name(a->error_class) : "", took, a->error_message);
    assert_int_equal(a->status, DC_CLAIM_FAILED);
    assert_int_equal(a->error_class, DC_ERR_TIMEOUT);
    assert_true(took <= deadline * 1.1 + 0.1);
    if (took - deadline > *worst) *worst = took - deadline;
    dc_claim_result_free(&r);
}

static void test_slow_decoder_trips_deadline(void **state) {
    (void)state;
    double worst = -1;
    static const double deadlines[] = {0.5, 1.0, 2.0};
    for (size_t i = 0; i < sizeof deadlines / sizeof deadlines[0]; i++)
        check_deadline(NULL, deadlines[i], 0.06, &worst);
    dc_vlm *vlm = open_tiny(3);
    assert_non_null(vlm);
    check_deadline(vlm, 1.5, 0.06, &worst);
    dc_vlm_close(vlm);
    figure("deadline_overshoot", "worst %.0f ms past the deadline (bound: 10 %% + 100 ms)",
           worst * 1000);
}

/* ---- disk full ------------------------------------------------------------------------- */

/* Runs `dashclaim assess ARGS...` with its file size limited to limit_bytes (0 = no limit;
 * SIGXFSZ ignored so that write() fails with EFBIG as on a full disk); returns its exit code. */
static int run_cli(long limit_bytes, const char *log, char *const extra[]) {
    char exe[4200];
    snprintf(exe, sizeof exe, "%s/dashclaim", getenv("DC_BIN"));
    char *argv[32] = {exe, "assess", "--timeout", "60", "-q"};
    int argc = 5;
    for (int i = 0; extra[i] && argc < 31; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 2), dup2(fd, 1);
        signal(SIGXFSZ, SIG_IGN);
        if (limit_bytes > 0) {
            struct rlimit rl = {(rlim_t)limit_bytes, (rlim_t)limit_bytes};
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        execv(exe, argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status)); /* never a signal */
    return WEXITSTATUS(status);
}

/* Every file in dir: none is a temporary, each *.json parses and each *.html ends its page. */
static int check_outputs(const char *dir, int *json_files, int *html_files) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int bad = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (strstr(e->d_name, ".tmp")) {
            fprintf(stderr, "partial file left: %s\n", path);
            bad++;
        } else if (n > 5 && !strcmp(e->d_name + n - 5, ".json")) {
            json_error_t err;
            json_t *j = json_load_file(path, 0, &err);
            if (!j) fprintf(stderr, "%s: not whole JSON: %s\n", path, err.text), bad++;
            json_decref(j);
            (*json_files)++;
        } else if (n > 5 && !strcmp(e->d_name + n - 5, ".html")) {
            FILE *f = fopen(path, "rb");
            char tail[16] = "";
            if (f && fseek(f, -8, SEEK_END) == 0) tail[fread(tail, 1, 8, f)] = 0;
            if (f) fclose(f);
            if (!strstr(tail, "</html>")) fprintf(stderr, "%s: half a page\n", path), bad++;
            (*html_files)++;
        }
    }
    closedir(d);
    return bad;
}

static json_t *load_record(const char *path) {
    json_error_t err;
    return json_load_file(path, 0, &err);
}

/* The disk fills at limit bytes per file. */
static void disk_full_case(const char *root, long limit, int *json_out, int *html_out,
                           char *log_text, size_t log_size, int *exit_code) {
    char out[4200], html[4200], log[4200];
    snprintf(out, sizeof out, "%s/out", root);
    snprintf(html, sizeof html, "%s/html", root);
    snprintf(log, sizeof log, "%s/log.txt", root);
    assert_int_equal(rel_sh("rm -rf '%s' '%s' && mkdir -p '%s' '%s'", out, html, out, html), 0);
    char outarg[4300];
    snprintf(outarg, sizeof outarg, "%s/", out);
    char *extra[] = {"-o", outarg, "--html", html, clip, clip2, NULL};
    *exit_code = run_cli(limit, log, extra);
    *json_out = *html_out = 0;
    assert_int_equal(check_outputs(out, json_out, html_out), 0);
    assert_int_equal(check_outputs(html, json_out, html_out), 0);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(log_text, 1, log_size - 1, f) : 0;
    log_text[n] = 0;
    if (f) fclose(f);
}

static void test_disk_full_outputs(void **state) {
    (void)state;
    char root[2200], log[16384];
    int json_files, html_files, code;
    snprintf(root, sizeof root, "%s/diskfull", rel_dir);
    assert_int_equal(rel_sh("mkdir -p '%s'", root), 0);

    /* room for the records (about 3 KB), not for the HTML pages (about 23 KB with their
     * thumbnails): the
     * records are whole and say that their page was not written; no half page is left */
    disk_full_case(root, 12 << 10, &json_files, &html_files, log, sizeof log, &code);
    printf("limit 12 KiB: exit %d, %d records, %d pages\n%s", code, json_files, html_files, log);
    assert_int_equal(code, 0);
    assert_int_equal(json_files, 2);
    char rec[4400];
    snprintf(rec, sizeof rec, "%s/out/%s.json", root, strrchr(clip, '/') + 1);
    json_t *j = load_record(rec);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "degraded");
    const char *msg = json_string_value(json_object_get(j, "degraded_reason"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, "HTML report not written"));
    json_decref(j);

    /* no room even for a record: exit 3 (output not written), the reason on stderr, and no
     * partial record or temporary file */
    disk_full_case(root, 512, &json_files, &html_files, log, sizeof log, &code);
    printf("limit 512 B: exit %d, %d records, %d pages\n%s", code, json_files, html_files, log);
    assert_int_equal(code, 3);
    assert_int_equal(json_files, 0);
    assert_non_null(strstr(log, "File too large")); /* the reason, from the CLI's message */

    /* one NDJSON file for the batch: all or nothing */
    char one[4300], logp[4300];
    snprintf(one, sizeof one, "%s/batch.ndjson", root);
    snprintf(logp, sizeof logp, "%s/log1.txt", root);
    char *extra[] = {"-o", one, clip, clip2, NULL};
    code = run_cli(512, logp, extra);
    assert_int_equal(code, 3);
    assert_int_equal(access(one, F_OK), -1);
    json_files = html_files = 0;
    assert_int_equal(check_outputs(root, &json_files, &html_files), 0);

    /* a real full file system (ENOSPC, not a size limit): a 256 KiB tmpfs, where the
     * privilege to mount one exists (root); CI runs without it and skips this part */
    char mnt[2300];
    snprintf(mnt, sizeof mnt, "%s/tmpfs", root);
    mkdir(mnt, 0755);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k") == 0) {
        disk_full_case(mnt, 0, &json_files, &html_files, log, sizeof log, &code);
        printf("256 KiB tmpfs: exit %d, %d records, %d pages\n%s", code, json_files, html_files,
               log);
        umount2(mnt, MNT_DETACH);
        assert_true(code == 0 || code == 3);
        figure("disk_full", "RLIMIT_FSIZE 12 KiB / 512 B and a 256 KiB tmpfs: 0 partial files; "
                            "records degraded with the reason or exit 3");
    } else {
        printf("tmpfs not mountable here (%s): ENOSPC case skipped\n", strerror(errno));
        figure("disk_full", "RLIMIT_FSIZE 12 KiB / 512 B: 0 partial files; records degraded "
                            "with the reason or exit 3 (tmpfs case skipped: no privilege)");
    }
}

static int setup(void **state) {
    (void)state;
    if (!rel_setup_dir()) return -1;
    if (!rel_video(
            clip, sizeof clip, "clip.mp4",
            "--scene collision --duration 4 --incident-at 2 --size 320x180 --fps 15 --seed 5"))
        return -1;
    if (!rel_video(clip2, sizeof clip2, "clip2.mkv",
                   "--scene near-miss --duration 4 --size 320x180 --fps 15 --seed 8"))
        return -1;
    /* long enough that a slow decoder (60 ms a packet) cannot finish even its keyframes (one
     * a second) within any deadline tried */
    if (!rel_video(
            long_clip, sizeof long_clip, "long.mp4",
            "--scene collision --duration 40 --incident-at 30 --size 320x180 --fps 15 --seed 6"))
        return -1;
    if (!rel_tiny_model(1, model, mmproj, sizeof model)) return -1;
    dc_vlm *vlm = open_tiny(3);
    if (!vlm) return -1;
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(clip, (dc_deadline){0}, &st);
    const dc_media_info *info = m ? dc_media_get_info(m) : NULL;
    dc_sample_request req;
    int rc = -1;
    if (info &&
        dc_vlm_frame_request(vlm, 1.0, 3.0, info->width, info->height, &req, NULL, &st) == DC_OK &&
        dc_frames_sample(m, &req, (dc_deadline){0}, &frames, &st) == DC_OK &&
        claim(vlm, &clean) == DC_OK && clean.status == DC_CLAIM_OK)
        rc = 0;
    if (rc) fprintf(stderr, "setup: %s\n", st.message);
    dc_media_close(m);
    dc_vlm_close(vlm);
    return rc;
}

static int teardown(void **state) {
    (void)state;
    dc_frame_set_free(&frames);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attempts_fail),
        cmocka_unit_test(test_one_attempt_in_three_fails),
        cmocka_unit_test(test_device_failure_mid_batch),
        cmocka_unit_test(test_slow_decoder_trips_deadline),
        cmocka_unit_test(test_disk_full_outputs),
    };
    /* DC_TEST_FILTER=test_disk* runs only the matching tests */
    if (getenv("DC_TEST_FILTER")) cmocka_set_test_filter(getenv("DC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
