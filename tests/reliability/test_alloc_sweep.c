/* Allocation-failure sweep, in the spirit of SQLite's fault simulator: a whole
 * dc_pipeline_assess runs once to count its allocations, then again and again with the n-th
 * allocation failing. Every run must end as ok with the same answer as the clean run,
 * degraded with a reason, or failed with class resource; never a crash, never a different
 * answer passed off as ok, and (in the sanitizer build, checked by LeakSanitizer at exit)
 * never a leak.
 *
 * Counted: the library modules' own allocations and jansson's (src/core/alloc_fault.h says
 * why FFmpeg's and llama.cpp's are not; FFmpeg's are limited separately with av_max_alloc).
 *
 * The sweep is bounded for CI (plan_for): every n up to `head`, every n of the last `tail`
 * (the engine, the evidence frames and the decision come last), `strided` more evenly spaced
 * between them, and `random` more drawn with a fixed seed. The signals engine's claim has
 * about 150 counted allocations, so it is swept whole; the tiny model's claim costs seconds,
 * so CI tries about 25 of its allocations (make soak: about 100). The sanitizer build runs
 * fewer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <libavutil/mem.h>

#include "alloc_fault.h"
#include "dashclaim/deadline.h"
#include <libavutil/log.h>
#include "dashclaim/pipeline.h"
#include "reliability_util.h"

static char clip[4096], model[4096], mmproj[4096];

typedef struct {
    int head, tail, strided, random;
} sweep_plan;

/* DC_SWEEP_FULL=1 (make soak) sweeps the tiny model's claim 3x more densely. */
static sweep_plan plan_for(bool vlm) {
    bool full = getenv("DC_SWEEP_FULL") != NULL;
    if (REL_ASAN) return vlm ? (sweep_plan){3, 6, 3, 2} : (sweep_plan){40, 40, 30, 10};
    if (vlm) return full ? (sweep_plan){20, 40, 30, 10} : (sweep_plan){5, 10, 6, 3};
    return (sweep_plan){150, 150, 120, 10};
}

typedef struct {
    int runs, fired, ok, degraded, failed;
} sweep_tally;

static dc_vlm *open_tiny(void) {
    dc_vlm_options o;
    rel_vlm_options(&o, model, mmproj);
    dc_status st = DC_STATUS_OK;
    dc_vlm *vlm = dc_vlm_open(&o, &st);
    if (!vlm) fprintf(stderr, "open: %s\n", st.message);
    return vlm;
}

static void options_for(dc_pipeline_options *o, dc_vlm *vlm) {
    dc_pipeline_options_init(o);
    o->vlm = vlm;
    o->keep_evidence = true; /* the report's frames are part of the claim's allocations */
    o->timeout_sec =
        900; /* not a deadline test: a loaded shared machine stretched a claim past 120 s */
}

/* What a claim handed to the report besides its record: an ok claim must hand over all of it. */
typedef struct {
    int danger_count, evidence_frames;
} report_inputs;
static report_inputs clean_inputs, last_inputs;

/* One claim with allocation n failing (0: none). Returns the number counted. */
static long run_with_failure(const dc_pipeline_options *o, long n, dc_assessment *out,
                             bool *fired) {
    dc_claim_result r;
    core_alloc_fault_arm(n);
    dc_pipeline_assess(clip, "sweep", o, &r);
    last_inputs = (report_inputs){r.danger_count, r.evidence_frames.count};
    dc_claim_result_free(&r);
    core_alloc_fault_disarm();
    *out = r.assessment;
    if (fired) *fired = core_alloc_fault_fired();
    return core_alloc_fault_count();
}

/* The checks every run must pass. */
static void check_run(long n, bool fired, const dc_assessment *a, const dc_assessment *clean,
                      sweep_tally *t) {
    t->runs++;
    t->fired += fired;
    switch (a->status) {
    case DC_CLAIM_OK: {
        t->ok++;
        if (fired) printf("allocation %ld failed, claim ok with the clean answer\n", n);
        const char *why = rel_answer_differs(a, clean);
        if (why[0]) fprintf(stderr, "allocation %ld failed, status ok, but %s differs\n", n, why);
        assert_string_equal(why, "");
        assert_int_equal(a->error_class, DC_OK);
        /* nothing dropped silently: the report gets its timeline and frames */
        if (last_inputs.danger_count != clean_inputs.danger_count ||
            last_inputs.evidence_frames != clean_inputs.evidence_frames)
            fprintf(stderr, "allocation %ld failed, status ok, but the report lost data\n", n);
        assert_int_equal(last_inputs.danger_count, clean_inputs.danger_count);
        assert_int_equal(last_inputs.evidence_frames, clean_inputs.evidence_frames);
        break;
    }
    case DC_CLAIM_DEGRADED:
        t->degraded++;
        if (!a->error_message[0]) fprintf(stderr, "allocation %ld: degraded without a reason\n", n);
        assert_true(a->error_message[0] != 0);
        break;
    case DC_CLAIM_FAILED:
        t->failed++;
        if (a->error_class != DC_ERR_RESOURCE)
            fprintf(stderr, "allocation %ld: failed with class %s: %s\n", n,
                    dc_error_class_name(a->error_class), a->error_message);
        assert_int_equal(a->error_class, DC_ERR_RESOURCE);
        assert_true(a->error_message[0] != 0);
        assert_int_equal(a->severity, DC_SEVERITY_UNSET);
        break;
    }
    /* an unfired run is a clean run */
    if (!fired) assert_string_equal(rel_answer_differs(a, clean), "");
}

static uint64_t rng = 15;
static long draw(long below) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (long)((rng >> 33) % (uint64_t)below);
}

static void sweep(dc_vlm *vlm, const char *label) {
    dc_pipeline_options o;
    options_for(&o, vlm);
    dc_assessment clean, again;
    double t0 = dc_now();
    /* a first claim warms the engine (the VLM computes its fixed prompt's cells once) */
    run_with_failure(&o, 0, &clean, NULL);
    long total = run_with_failure(&o, 0, &clean, NULL);
    clean_inputs = last_inputs;
    assert_int_not_equal(clean.status, DC_CLAIM_FAILED);
    assert_true(total > 0);
    /* the clean answer is repeatable, or "same answer" would mean nothing */
    run_with_failure(&o, 0, &again, NULL);
    assert_string_equal(rel_answer_differs(&again, &clean), "");

    sweep_plan p = plan_for(vlm != NULL);
    sweep_tally t = {0};
    long stride_from = p.head + 1, stride_to = total - p.tail;
    long stride =
        stride_to > stride_from && p.strided > 0 ? (stride_to - stride_from) / p.strided + 1 : 1;
    for (long n = 1; n <= total; n++) {
        bool in_head = n <= p.head, in_tail = n > total - p.tail;
        bool strided = n > p.head && n <= stride_to && (n - stride_from) % stride == 0;
        if (!in_head && !in_tail && !strided) continue;
        bool fired;
        dc_assessment a;
        run_with_failure(&o, n, &a, &fired);
        check_run(n, fired, &a, &clean, &t);
    }
    for (int i = 0; i < p.random; i++) {
        long n = 1 + draw(total);
        bool fired;
        dc_assessment a;
        run_with_failure(&o, n, &a, &fired);
        check_run(n, fired, &a, &clean, &t);
    }
    /* the engine and the process are still sound after all of that */
    run_with_failure(&o, 0, &again, NULL);
    assert_string_equal(rel_answer_differs(&again, &clean), "");
    printf("sweep %s: %ld allocations per claim; %d runs (%d with the failure hit): "
           "%d ok with the clean answer, %d degraded, %d failed (resource) [%.0f s]\n",
           label, total, t.runs, t.fired, t.ok, t.degraded, t.failed, dc_now() - t0);
    /* the sweep really failed allocations and the failures really surfaced */
    assert_true(t.fired > t.runs / 2);
    assert_true(t.degraded + t.failed > 0);
}

static void test_sweep_signals_engine(void **state) {
    (void)state;
    sweep(NULL, "signals");
}

static void test_sweep_tiny_model(void **state) {
    (void)state;
    dc_vlm *vlm = open_tiny();
    assert_non_null(vlm);
    sweep(vlm, "vlm-tiny");
    dc_vlm_close(vlm);
}

/* Opening the model is once per process, but a worker that cannot open it must say so with
 * class resource and leave nothing behind; every one of its counted allocations is tried. */
static void test_sweep_model_open(void **state) {
    (void)state;
    core_alloc_fault_arm(0);
    dc_vlm *vlm = open_tiny();
    core_alloc_fault_disarm();
    long total = core_alloc_fault_count();
    assert_non_null(vlm);
    dc_vlm_close(vlm);
    int failed = 0, step = REL_ASAN && total > 8 ? (int)(total / 8) : 1;
    for (long n = 1; n <= total; n += step) {
        dc_vlm_options o;
        rel_vlm_options(&o, model, mmproj);
        dc_status st = DC_STATUS_OK;
        core_alloc_fault_arm(n);
        vlm = dc_vlm_open(&o, &st);
        core_alloc_fault_disarm();
        if (vlm) {
            dc_vlm_close(vlm);
            continue;
        }
        failed++;
        if (st.code != DC_ERR_RESOURCE)
            fprintf(stderr, "open with allocation %ld failing: %s: %s\n", n,
                    dc_error_class_name(st.code), st.message);
        assert_int_equal(st.code, DC_ERR_RESOURCE);
    }
    printf("sweep vlm open: %ld allocations, %d opens failed (resource)\n", total, failed);
}

/* FFmpeg's allocations are not counted, but av_max_alloc caps each of them: at a series of
 * caps the decoders' and demuxers' own allocations fail inside FFmpeg, and our callers must
 * still turn what FFmpeg returns into a record. */
static void test_ffmpeg_allocation_caps(void **state) {
    (void)state;
    dc_pipeline_options o;
    options_for(&o, NULL);
    dc_assessment clean;
    bool fired;
    run_with_failure(&o, 0, &clean, &fired);
    int outcomes[3] = {0};
    for (size_t cap = 1u << 10; cap <= (1u << 22); cap <<= 2) {
        av_max_alloc(cap);
        dc_claim_result r;
        dc_pipeline_assess(clip, "cap", &o, &r);
        av_max_alloc(INT32_MAX);
        const dc_assessment *a = &r.assessment;
        outcomes[a->status]++;
        printf("av_max_alloc %8zu: %s %s %s\n", cap, dc_claim_status_name(a->status),
               a->error_class ? dc_error_class_name(a->error_class) : "", a->error_message);
        if (a->status == DC_CLAIM_OK) assert_string_equal(rel_answer_differs(a, &clean), "");
        if (a->status == DC_CLAIM_FAILED) {
            assert_true(a->error_class == DC_ERR_RESOURCE || a->error_class == DC_ERR_INPUT);
            assert_true(a->error_message[0] != 0);
        }
        dc_claim_result_free(&r);
    }
    /* the smallest cap must have stopped something */
    assert_true(outcomes[DC_CLAIM_FAILED] + outcomes[DC_CLAIM_DEGRADED] > 0);
}

static int setup(void **state) {
    (void)state;
    if (!rel_setup_dir()) return -1;
    /* short, small, with audio and an incident: every stage has work to do */
    if (!rel_video(
            clip, sizeof clip, "clip.mp4",
            "--scene collision --duration 4 --incident-at 2 --size 320x180 --fps 15 --seed 3"))
        return -1;
    if (!rel_tiny_model(1, model, mmproj, sizeof model)) return -1;
    /* jansson's allocations are the claim module's too (model output, records) */
    json_set_alloc_funcs(core_test_malloc, core_test_free);
    av_log_set_level(AV_LOG_QUIET); /* FFmpeg's own lines about the damage it meets */
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_signals_engine),
        cmocka_unit_test(test_sweep_tiny_model),
        cmocka_unit_test(test_sweep_model_open),
        cmocka_unit_test(test_ffmpeg_allocation_caps),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
