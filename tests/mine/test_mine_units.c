/* Each mining piece on its own synthetic input: the noise floor, the audio cues on made-up
 * sound, the motion cues on made-up thumbnails, fusion and windows on made-up tracks, and the
 * signals engine on made-up windows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/mine.h"
#include "../src/mine/mine_internal.h"

static uint32_t lcg_state = 12345;
static double lcg(void) { /* [0, 1) */
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (lcg_state >> 8) * (1.0 / 16777216.0);
}
static double noise(void) { return lcg() + lcg() + lcg() - 1.5; } /* roughly normal, sd 0.5 */

/* ---- noise floor ---------------------------------------------------------------------- */

static void test_floor_spike_scores_and_scale_invariance(void **state) {
    (void)state;
    enum { N = 1000 };
    float raw[N], big[N], s1[N], s2[N];
    for (int i = 0; i < N; i++) raw[i] = (float)(5 + noise());
    raw[500] = 5 + 10; /* ~20 noise sd above the floor */
    for (int i = 0; i < N; i++) big[i] = raw[i] * 100;
    dc_mine_noise_floor_score(raw, N, 0.01f, s1);
    dc_mine_noise_floor_score(big, N, 1.0f, s2);
    assert_true(s1[500] > 0.9f);
    int loud = 0;
    for (int i = 0; i < N; i++) {
        if (i != 500 && s1[i] > 0.2f) loud++;
        assert_true(fabsf(s1[i] - s2[i]) < 1e-3f); /* a score means the same at any scale */
    }
    assert_true(loud <= 2);
}

static void test_floor_calm_series_stays_low(void **state) {
    (void)state;
    /* the busiest moment of a calm video is not an event: no max-normalisation */
    enum { N = 2000 };
    float raw[N], s[N];
    for (int i = 0; i < N; i++) raw[i] = (float)(2 + noise());
    dc_mine_noise_floor_score(raw, N, 0.01f, s);
    float mx = 0;
    for (int i = 0; i < N; i++) mx = s[i] > mx ? s[i] : mx;
    assert_true(mx < 0.15f);
}

static void test_floor_repeating_cue_is_floor(void **state) {
    (void)state;
    /* a drum onset every fourth tick is the floor of a music video, not a stream of events */
    enum { N = 1000 };
    float raw[N], s[N];
    for (int i = 0; i < N; i++) raw[i] = (float)(noise() + (i % 4 == 0 ? 8 : 0));
    raw[777] = 40; /* a crash stands out even over the beat */
    dc_mine_noise_floor_score(raw, N, 0.01f, s);
    for (int i = 0; i < N; i++)
        if (i % 4 == 0) assert_true(s[i] < 0.15f);
    assert_true(s[777] > 0.9f);
    /* but a long event (a 3-s squeal in a 30-s clip: 10 %) is still an event */
    for (int i = 0; i < N; i++) raw[i] = (float)(noise() + (i >= 300 && i < 400 ? 8 : 0));
    dc_mine_noise_floor_score(raw, N, 0.01f, s);
    for (int i = 300; i < 400; i++) assert_true(s[i] > 0.5f);
}

/* A 12-s clip whose collision fills half of it (bench/mining set (c)): the crash and the
 * wreck moving for seconds after it lift the median, the frozen picture after the stop
 * lowers the lower quartile, and the spread they give hid the crash (burst 0.28, judged
 * NONE). The short-run spread is capped at an absolute level: the crash scores high, a calm
 * clip of the same length stays quiet. */
static void test_floor_short_run_incident_fills_half(void **state) {
    (void)state;
    enum { N = 60 };
    float raw[N], s[N];
    for (int i = 0; i < 15; i++) raw[i] = (float)(1.2 + 0.2 * noise()); /* driving */
    for (int i = 15; i < 45; i++) raw[i] = (float)(1.5 + 6.0 * exp(-(i - 15) / 8.0));
    for (int i = 45; i < N; i++) raw[i] = (float)(0.3 + 0.05 * noise()); /* stopped */
    mine_floor_score(raw, N, 0.3f, false, s);
    assert_true(s[15] > 0.7f);
    for (int i = 0; i < N; i++) raw[i] = (float)(1.2 + 0.2 * noise());
    mine_floor_score(raw, N, 0.3f, false, s);
    for (int i = 0; i < N; i++) assert_true(s[i] < 0.15f);
}

static void test_floor_nan_ignored(void **state) {
    (void)state;
    float raw[6] = {NAN, 1, 1, 1, NAN, 1}, s[6];
    dc_mine_noise_floor_score(raw, 6, 0.1f, s);
    for (int i = 0; i < 6; i++) assert_true(s[i] == 0.0f);
}

/* ---- audio ---------------------------------------------------------------------------- */

#define RATE 16000
#define AUDIO_SEC 20

static void add_tone(float *x, double t0, double t1, double f, double amp, int harmonics) {
    for (long i = (long)(t0 * RATE); i < (long)(t1 * RATE); i++) {
        double t = (double)i / RATE, v = 0;
        for (int h = 1; h <= harmonics; h++) v += sin(2 * M_PI * f * h * t) / h;
        x[i] += (float)(amp * v);
    }
}

static dc_pcm make_scene_audio(void) {
    dc_pcm pcm = {.count = RATE * AUDIO_SEC, .rate = RATE};
    pcm.samples = calloc(pcm.count, sizeof(float));
    assert_non_null(pcm.samples);
    for (size_t i = 0; i < pcm.count; i++)
        pcm.samples[i] = (float)(0.02 * noise() + 0.05 * sin(2 * M_PI * 60 * i / RATE));
    /* crash at 12 s: loud broadband burst, fast decay */
    for (long i = 12 * RATE; i < 13 * RATE; i++)
        pcm.samples[i] += (float)(1.6 * noise() * exp(-(i - 12.0 * RATE) / (0.2 * RATE)));
    add_tone(pcm.samples, 5.0, 5.8, 420, 0.3, 4);    /* horn: harmonic, stable */
    add_tone(pcm.samples, 8.0, 10.0, 2800, 0.3, 1);  /* squeal: sustained, high */
    add_tone(pcm.samples, 15.0, 15.2, 3000, 0.3, 1); /* a short high blip: not a squeal */
    return pcm;
}

static int argmax(const float *x, int a, int b) {
    int best = a;
    for (int i = a; i < b; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static float maxf(const float *x, int a, int b) { return x[argmax(x, a, b)]; }

static void test_audio_cues_each_on_its_own(void **state) {
    (void)state;
    dc_pcm pcm = make_scene_audio();
    enum { N = AUDIO_SEC * 10 };
    float imp[N], sq[N], hn[N], si[N], ss[N], sh[N];
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_mine_audio_features(&pcm, 10.0, N, imp, sq, hn, &st), DC_OK);
    dc_mine_noise_floor_score(imp, N, 1.0f, si);
    dc_mine_noise_floor_score(sq, N, 1.5f, ss);
    dc_mine_noise_floor_score(hn, N, 1.5f, sh);
    /* impact: at the crash, within a tick; not at the horn or squeal onsets */
    int at = argmax(si, 0, N);
    assert_true(at >= 119 && at <= 121);
    assert_true(si[at] > 0.8f);
    assert_true(maxf(si, 48, 53) < 0.3f);
    assert_true(maxf(si, 78, 83) < 0.3f);
    /* horn: during the horn only */
    assert_true(maxf(sh, 50, 58) > 0.5f);
    assert_true(maxf(sh, 75, 105) < 0.3f);
    /* squeal: the sustained tone, not the short blip nor the horn */
    assert_true(maxf(ss, 81, 99) > 0.5f);
    assert_true(maxf(ss, 148, 155) < 0.2f);
    assert_true(maxf(ss, 48, 60) < 0.2f);
    free(pcm.samples);
}

static void test_audio_missing_is_nan(void **state) {
    (void)state;
    float a[10], b[10], c[10];
    dc_pcm none = {0};
    assert_int_equal(dc_mine_audio_features(&none, 10.0, 10, a, b, c, NULL), DC_OK);
    for (int i = 0; i < 10; i++) assert_true(isnan(a[i]) && isnan(b[i]) && isnan(c[i]));
}

/* ---- motion --------------------------------------------------------------------------- */

#define TW 160
#define TH 90

static uint8_t base_image[TW * TH];

static void make_base_image(void) {
    /* blocky texture: 4x4 cells of random grey */
    uint8_t cells[(TW / 4) * (TH / 4 + 1)];
    for (size_t i = 0; i < sizeof cells; i++) cells[i] = (uint8_t)(40 + 180 * lcg());
    for (int y = 0; y < TH; y++)
        for (int x = 0; x < TW; x++) base_image[y * TW + x] = cells[(y / 4) * (TW / 4) + x / 4];
}

/* frame = base shifted by (sx, sy) and scaled by s about the centre */
static uint8_t *render(double sx, double sy, double s) {
    uint8_t *g = malloc(TW * TH);
    assert_non_null(g);
    for (int y = 0; y < TH; y++)
        for (int x = 0; x < TW; x++) {
            int u = (int)lround(TW / 2.0 + (x - sx - TW / 2.0) / s);
            int v = (int)lround(TH / 2.0 + (y - sy - TH / 2.0) / s);
            u = u < 0 ? 0 : u >= TW ? TW - 1 : u;
            v = v < 0 ? 0 : v >= TH ? TH - 1 : v;
            g[y * TW + x] = base_image[v * TW + u];
        }
    return g;
}

static dc_thumb_set make_set(int n) {
    dc_thumb_set set = {.count = n, .width = TW, .height = TH};
    set.thumbs = calloc((size_t)n, sizeof(dc_thumb));
    assert_non_null(set.thumbs);
    for (int i = 0; i < n; i++) set.thumbs[i].t_sec = i * 0.1;
    return set;
}

typedef struct {
    float motion[40], shake[40], loom[40], flow[40];
} motion_out;

static void test_motion_shake_from_a_jolt(void **state) {
    (void)state;
    make_base_image();
    static const double jolt[5] = {4, -3, 2, -1, 0};
    dc_thumb_set set = make_set(40);
    for (int i = 0; i < 40; i++)
        set.thumbs[i].gray = render(i >= 20 && i < 25 ? jolt[i - 20] : 0, 0, 1.0);
    motion_out o;
    dc_mine_motion_features(&set, o.motion, o.shake, o.loom, o.flow);
    assert_true(isnan(o.shake[0]));
    for (int i = 1; i < 19; i++) assert_true(o.shake[i] < 0.5f);
    for (int i = 20; i < 24; i++) assert_true(o.shake[i] >= 2.0f);
    for (int i = 1; i < 40; i++) assert_true(fabsf(o.loom[i]) < 0.2f); /* a shift is no approach */
    dc_thumb_set_free(&set);
}

static void test_motion_looming_from_expansion(void **state) {
    (void)state;
    make_base_image();
    dc_thumb_set set = make_set(40);
    for (int i = 0; i < 40; i++)
        set.thumbs[i].gray = render(0, 0, i < 20 ? 1.0 : pow(1.05, i - 19));
    motion_out o;
    dc_mine_motion_features(&set, o.motion, o.shake, o.loom, o.flow);
    for (int i = 1; i < 19; i++) assert_true(fabsf(o.loom[i]) < 0.1f);
    /* expected: log(1.05) per 0.1 s = 0.49 per second */
    for (int i = 21; i < 35; i++) assert_true(o.loom[i] > 0.3f && o.loom[i] < 0.7f);
    dc_thumb_set_free(&set);
}

static void test_motion_duplicate_and_black_frames(void **state) {
    (void)state;
    make_base_image();
    dc_thumb_set set = make_set(30);
    for (int i = 0; i < 30; i++) {
        if (i == 10) { /* a duplicated frame in a moving picture */
            set.thumbs[i].gray = malloc(TW * TH);
            memcpy(set.thumbs[i].gray, set.thumbs[9].gray, TW * TH);
        } else if (i >= 20) { /* black frames */
            set.thumbs[i].gray = calloc(TW * TH, 1);
        } else {
            set.thumbs[i].gray = render(i * 2.0, 0, 1.0);
        }
    }
    motion_out o;
    dc_mine_motion_features(&set, o.motion, o.shake, o.loom, o.flow);
    assert_true(isnan(o.motion[10]) && isnan(o.shake[10]) && isnan(o.loom[10]));
    assert_true(o.motion[9] > 0.05f);
    for (int i = 22; i < 30; i++) {
        assert_true(o.motion[i] == 0.0f && o.flow[i] == 0.0f);
        assert_true(o.shake[i] == 0.0f && o.loom[i] == 0.0f);
    }
    dc_thumb_set_free(&set);
}

/* ---- fusion and windows --------------------------------------------------------------- */

static dc_mine_result make_result(double seconds) {
    dc_mine_result r = {.duration_sec = seconds, .hz = DC_MINE_HZ};
    r.count = (int)(seconds * DC_MINE_HZ) + 1;
    r.danger = calloc((size_t)r.count, sizeof(float));
    assert_non_null(r.danger);
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) {
        r.signal[s] = calloc((size_t)r.count, sizeof(float));
        assert_non_null(r.signal[s]);
    }
    r.has_audio = r.has_video = true;
    return r;
}

static void put_collision(dc_mine_result *r, double t) {
    int i = (int)lround(t * r->hz);
    r->signal[DC_MINE_IMPACT][i] = 1;
    for (int k = 1; k <= 10; k++) r->signal[DC_MINE_SHAKE][i + k] = 0.8f;
    for (int k = -15; k < 0; k++) r->signal[DC_MINE_LOOMING][i + k] = 0.6f;
    for (int k = 5; k < 20; k++) r->signal[DC_MINE_STOP][i + k] = 0.7f;
}

static void test_windows_around_peak(void **state) {
    (void)state;
    dc_mine_result r = make_result(60);
    put_collision(&r, 30);
    r.signal[DC_MINE_HORN][450] = 0.5f; /* a lesser moment elsewhere */
    assert_int_equal(dc_mine_fuse(&r, NULL, NULL), DC_OK);
    assert_true(r.window_count >= 2);
    dc_mine_window *w = &r.windows[0];
    assert_true(fabs(w->peak_sec - 30.0) <= 0.2);
    assert_true(fabs(w->start_sec - (w->peak_sec - 7)) < 1e-9);
    assert_true(fabs(w->end_sec - (w->peak_sec + 3)) < 1e-9);
    assert_true(w->danger > 0.55); /* 0.28 + 0.14 * (0.8 + 0.6 + 0.7) */
    assert_true(w->fired & (1u << DC_MINE_IMPACT));
    assert_true(w->fired & (1u << DC_MINE_SHAKE));
    assert_false(w->fired & (1u << DC_MINE_HORN));
    for (int i = 1; i < r.window_count; i++)
        assert_true(r.windows[i - 1].danger >= r.windows[i].danger);
    assert_true(fabs(r.windows[1].peak_sec - 45.0) <= 0.2);
    dc_mine_result_free(&r);
}

static void test_windows_clamped_and_merged(void **state) {
    (void)state;
    dc_mine_result r = make_result(40);
    put_collision(&r, 2.0);
    put_collision(&r, 30.0);
    put_collision(&r, 36.5); /* overlaps the window at 30 s */
    r.signal[DC_MINE_IMPACT][(int)(36.5 * 10)] = 0.7f;
    assert_int_equal(dc_mine_fuse(&r, NULL, NULL), DC_OK);
    bool saw_start = false;
    int covering_30 = 0;
    for (int i = 0; i < r.window_count; i++) {
        dc_mine_window *w = &r.windows[i];
        assert_true(w->start_sec >= 0 && w->end_sec <= 40);
        assert_true(w->end_sec - w->start_sec <= 12 + 1e-9);
        if (fabs(w->peak_sec - 2.0) < 0.3) {
            saw_start = true;
            assert_true(w->start_sec == 0.0);
        }
        if (w->start_sec <= 30 && w->end_sec >= 30) covering_30++;
    }
    assert_true(saw_start);
    assert_int_equal(covering_30, 1); /* merged, not two overlapping windows */
    dc_mine_result_free(&r);
}

/* A video no longer than the largest window is one window covering all of it, wherever the
 * peak sits (a 5-s clip with its crash at 4.5 s used to get the window 0-3.5 s). */
static void test_short_video_is_one_whole_window(void **state) {
    (void)state;
    dc_mine_result r = make_result(5);
    r.signal[DC_MINE_LOOMING][5] = 0.9f; /* an early cue: the peak sits at 0.5 s */
    r.signal[DC_MINE_HORN][30] = 0.4f;
    assert_int_equal(dc_mine_fuse(&r, NULL, NULL), DC_OK);
    assert_int_equal(r.window_count, 1);
    assert_true(r.windows[0].start_sec == 0.0 && r.windows[0].end_sec == 5.0);
    dc_mine_result_free(&r);
}

/* Unsure mining (no sound, or weak danger) widens the windows: before + 2 s, after + 3 s. */
static void test_unsure_windows_widen(void **state) {
    (void)state;
    dc_mine_result r = make_result(60);
    r.has_audio = false;
    r.signal[DC_MINE_STOP][300] = 1.0f;
    assert_int_equal(dc_mine_fuse(&r, NULL, NULL), DC_OK);
    assert_true(r.unsure);
    const dc_mine_window *w = &r.windows[0];
    assert_true(fabs(w->start_sec - (w->peak_sec - 9)) < 1e-9);
    assert_true(fabs(w->end_sec - (w->peak_sec + 6)) < 1e-9);
    dc_mine_result_free(&r);
}

/* The first second of a video is unreliable for the picture's cues (no previous frame, the
 * encoder's first keyframe, exposure settling): a flicker of looming at 0.1 s must not
 * outrank a hard brake whose only cue is a weak, sustained flow collapse (bench/mining set
 * (a): the brake at 74 s came second to a window at 0 s). The sound is not discounted. */
static void test_first_second_does_not_outrank(void **state) {
    (void)state;
    dc_mine_result r = make_result(89);
    r.has_audio = false;
    r.signal[DC_MINE_LOOMING][1] = 0.36f;
    r.signal[DC_MINE_LOOMING][2] = 0.23f;
    for (int i = 748; i < 760; i++) r.signal[DC_MINE_STOP][i] = 0.12f;
    assert_int_equal(dc_mine_fuse(&r, NULL, NULL), DC_OK);
    assert_true(r.windows[0].start_sec <= 74.3 && r.windows[0].end_sec >= 74.3);
    dc_mine_result_free(&r);
    r = make_result(89);
    r.signal[DC_MINE_IMPACT][3] = 0.5f; /* a bang in the first second still counts */
    for (int i = 748; i < 760; i++) r.signal[DC_MINE_STOP][i] = 0.12f;
    assert_int_equal(dc_mine_fuse(&r, NULL, NULL), DC_OK);
    assert_true(r.windows[0].start_sec == 0.0);
    dc_mine_result_free(&r);
}

#ifdef DC_TEST_HOOKS
#include "../src/core/alloc_fault.h"
/* Every allocation of the fusion failing in turn: each run either chooses its windows or
 * says DC_ERR_RESOURCE with none (it used to return nothing, and mining went on with no
 * windows: the signals engine then reported NONE with status ok). */
static void test_fuse_allocation_failures(void **state) {
    (void)state;
    int failures = 0;
    for (long n = 1; n < 20; n++) {
        dc_mine_result r = make_result(60);
        put_collision(&r, 30);
        dc_status st = DC_STATUS_OK;
        core_alloc_fault_arm(n);
        dc_error_class e = dc_mine_fuse(&r, NULL, &st);
        bool fired = core_alloc_fault_fired();
        core_alloc_fault_disarm();
        if (fired) {
            assert_int_equal(e, DC_ERR_RESOURCE);
            assert_int_equal(st.code, DC_ERR_RESOURCE);
            assert_int_equal(r.window_count, 0);
            failures++;
        } else {
            assert_int_equal(e, DC_OK);
            assert_true(r.window_count >= 1);
        }
        dc_mine_result_free(&r);
    }
    assert_true(failures >= 3); /* the three buffers of the fusion and the peak list */
}
#endif

static void test_windows_to_claim(void **state) {
    (void)state;
    dc_mine_result r = make_result(60);
    put_collision(&r, 20);
    assert_int_equal(dc_mine_fuse(&r, NULL, NULL), DC_OK);
    dc_window out[DC_MAX_WINDOWS];
    int n = dc_mine_windows_to_claim(&r, out, DC_MAX_WINDOWS);
    assert_int_equal(n, r.window_count);
    bool impact = false;
    for (int s = 0; s < out[0].signal_count; s++)
        impact |= strcmp(out[0].signals[s], "impact") == 0;
    assert_true(impact);
    dc_mine_result_free(&r);
}

/* ---- the signals engine --------------------------------------------------------------- */

static dc_mine_result engine_case(bool audio, double impact, double shake, double stop, double loom,
                                  double squeal, double horn) {
    dc_mine_result r = {.has_audio = audio, .has_video = true, .window_count = 1, .hz = 10};
    dc_mine_window *w = &r.windows[0];
    w->start_sec = 10;
    w->end_sec = 20;
    w->peak_sec = 17;
    w->danger = 0.5;
    w->signal_near_peak[DC_MINE_IMPACT] = impact;
    w->signal_near_peak[DC_MINE_SHAKE] = shake;
    w->signal_near_peak[DC_MINE_STOP] = stop;
    w->signal_near_peak[DC_MINE_LOOMING] = loom;
    w->signal_near_peak[DC_MINE_SQUEAL] = squeal;
    w->signal_near_peak[DC_MINE_HORN] = horn;
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++)
        if (w->signal_near_peak[s] >= DC_MINE_FIRE_SCORE) w->fired |= 1u << s;
    return r;
}

static dc_severity assess(dc_mine_result r, dc_assessment *a) {
    dc_assessment_init(a);
    dc_status st;
    assert_int_equal(dc_signals_assess(&r, a, &st), DC_OK);
    assert_string_equal(a->engine.name, "signals");
    double sum = 0;
    for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
        sum += a->severity_probs[s];
        assert_true(a->severity_probs[s] <= a->severity_probs[a->severity] + 1e-12);
    }
    assert_true(fabs(sum - 1) < 1e-9);
    assert_int_equal(a->window_count, 1);
    assert_true(a->evidence_count >= 1);
    return a->severity;
}

static void test_engine_decisions(void **state) {
    (void)state;
    dc_assessment *a = malloc(sizeof *a);
    assert_non_null(a);
    assert_int_equal(assess(engine_case(true, 1, 0.8, 0.6, 0.5, 0.6, 0), a), DC_SEVERITY_HIGH);
    assert_int_equal(a->facts.contact, DC_TRI_YES);
    assert_int_equal(assess(engine_case(true, 0, 0, 0.2, 0, 0.8, 0), a), DC_SEVERITY_MEDIUM);
    assert_int_equal(a->facts.contact, DC_TRI_NO);
    assert_int_equal(a->facts.ego_action, DC_ACTION_BRAKING_HARD);
    assert_int_equal(assess(engine_case(true, 0, 0, 0, 0.8, 0, 0.6), a), DC_SEVERITY_MEDIUM);
    assert_int_equal(assess(engine_case(true, 0, 0, 0, 1.0, 0, 0), a), DC_SEVERITY_MEDIUM);
    assert_int_equal(assess(engine_case(true, 0, 0, 0, 0.5, 0, 0), a), DC_SEVERITY_NONE);
    assert_int_equal(assess(engine_case(true, 0, 0, 0, 0, 0, 0), a), DC_SEVERITY_NONE);
    /* a bump: a jolt without impact or approach; someone else's horn: nothing else */
    assert_int_equal(assess(engine_case(true, 0, 0.9, 0, 0.2, 0, 0), a), DC_SEVERITY_NONE);
    assert_int_equal(assess(engine_case(true, 0, 0, 0, 0, 0, 0.9), a), DC_SEVERITY_NONE);
    /* a local burst with a steady camera: a crash between others ahead, no ego contact */
    dc_mine_result ahead = engine_case(false, 0, 0.05, 0, 0, 0, 0);
    ahead.windows[0].signal_near_peak[DC_MINE_BURST] = 0.8;
    assert_int_equal(assess(ahead, a), DC_SEVERITY_MEDIUM);
    assert_int_equal(a->scenario, DC_SCENARIO_OTHER);
    assert_int_equal(a->facts.contact, DC_TRI_NO);
    /* a loud bang heard with a steady camera and nothing else: a crash ahead, not a knock */
    assert_int_equal(assess(engine_case(true, 0.9, 0.05, 0, 0, 0, 0), a), DC_SEVERITY_MEDIUM);
    assert_int_equal(a->facts.contact, DC_TRI_NO);
    /* the same burst with a jolt is not a crash ahead */
    ahead.windows[0].signal_near_peak[DC_MINE_SHAKE] = 0.9;
    assess(ahead, a);
    assert_int_not_equal(a->facts.contact, DC_TRI_NO);
    /* without sound, a sudden stop right after a strong approach is not ordinary driving */
    assert_int_not_equal(assess(engine_case(false, 0, 0.05, 1.0, 0.6, 0, 0), a), DC_SEVERITY_NONE);
    /* without sound, an evasive swerve with braking (the nose-dive jolt) and something
     * close ahead is a near-miss (bench/mining set (a): such near-misses were judged NONE) */
    dc_mine_result evade = engine_case(false, 0, 0.41, 0, 0, 0, 0);
    evade.windows[0].signal_near_peak[DC_MINE_BURST] = 0.44;
    evade.windows[0].signal_near_peak[DC_MINE_SWERVE] = 0.48;
    assert_int_equal(assess(evade, a), DC_SEVERITY_MEDIUM);
    /* ... and a swerve below the fire level (a bend, a lane change) is not */
    evade.windows[0].signal_near_peak[DC_MINE_SWERVE] = 0.2;
    assert_int_equal(assess(evade, a), DC_SEVERITY_NONE);
    /* without sound, a weak burst alone is everyday traffic, not a crash ahead */
    dc_mine_result faint = engine_case(false, 0, 0.04, 0, 0, 0, 0);
    faint.windows[0].signal_near_peak[DC_MINE_BURST] = 0.28;
    assert_int_equal(assess(faint, a), DC_SEVERITY_NONE);
    /* a bang with a steady camera and a faint approach: the collision reading takes part of
     * the evidence from the crash-ahead reading, but "nothing happened" must not win
     * (set (e): judged NONE at 0.51 against MEDIUM 0.49 and HIGH 0.41) */
    dc_mine_result bang = engine_case(true, 1.0, 0.04, 0, 0.32, 0, 0);
    bang.windows[0].signal_near_peak[DC_MINE_BURST] = 0.14;
    assert_int_not_equal(assess(bang, a), DC_SEVERITY_NONE);
    /* without sound: braking (a stop) with the nose-dive jolt is at least a near-miss */
    assert_int_not_equal(assess(engine_case(false, 0, 0.41, 0.32, 0, 0, 0), a), DC_SEVERITY_NONE);
    /* without sound, the ego's braking 3 s after the peak (a crash seen ahead, then the stop)
     * is read from the whole window; with sound the bang places the moment */
    dc_mine_result late = engine_case(false, 0, 0.19, 0, 0.66, 0, 0);
    late.windows[0].signal_max[DC_MINE_STOP] = 0.33;
    assert_int_equal(assess(late, a), DC_SEVERITY_MEDIUM);
    late.windows[0].signal_max[DC_MINE_STOP] = 0;
    assert_int_equal(assess(late, a), DC_SEVERITY_NONE);
    /* without audio: a jolt that ends in a stop is a collision, contact unclear */
    assert_int_equal(assess(engine_case(false, 0, 0.9, 0.9, 0.6, 0, 0), a), DC_SEVERITY_HIGH);
    assert_int_equal(a->facts.contact, DC_TRI_UNCLEAR);
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_floor_spike_scores_and_scale_invariance),
        cmocka_unit_test(test_floor_calm_series_stays_low),
        cmocka_unit_test(test_floor_repeating_cue_is_floor),
        cmocka_unit_test(test_floor_short_run_incident_fills_half),
        cmocka_unit_test(test_floor_nan_ignored),
        cmocka_unit_test(test_audio_cues_each_on_its_own),
        cmocka_unit_test(test_audio_missing_is_nan),
        cmocka_unit_test(test_motion_shake_from_a_jolt),
        cmocka_unit_test(test_motion_looming_from_expansion),
        cmocka_unit_test(test_motion_duplicate_and_black_frames),
        cmocka_unit_test(test_windows_around_peak),
        cmocka_unit_test(test_windows_clamped_and_merged),
        cmocka_unit_test(test_short_video_is_one_whole_window),
        cmocka_unit_test(test_unsure_windows_widen),
        cmocka_unit_test(test_first_second_does_not_outrank),
#ifdef DC_TEST_HOOKS
        cmocka_unit_test(test_fuse_allocation_failures),
#endif
        cmocka_unit_test(test_windows_to_claim),
        cmocka_unit_test(test_engine_decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
