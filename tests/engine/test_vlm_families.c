/* Every model family the engine knows loads from a synth-model pair, is recognised by its
 * GGUF metadata, sizes frames by its own pixel unit, gives frame times its own way, assesses a
 * short clip under the grammar and yields a schema-valid record whose severity probabilities
 * sum to 1; a reasoning family thinks first within its budget; wrong-family pairs and unknown
 * families are refused at open with a message naming architecture and projector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gguf.h>
#include <mtmd.h>

#include "dashclaim/pipeline.h"
#include "vlm_fixture.h"

typedef struct {
    const char *preset, *family;
    int unit; /* pixels per visual token side */
    bool thinks;
} family_case;

static const family_case cases[] = {
    {"tiny", "qwen2.5-vl", 28, false},
    {"qwen3-vl-tiny", "qwen3-vl", 32, false},
    {"cosmos-reason2-tiny", "cosmos-reason2", 32, true},
    {"qwen2.5-omni-tiny", "qwen2.5-omni", 28, false},
};
enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

/* DIR/<preset>/model.gguf + mmproj.gguf, made once per test program. */
static void pair_paths(const char *preset, char *model, char *mmproj, size_t size) {
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s/%s", fx.dir, preset);
    snprintf(model, size, "%s/model.gguf", dir);
    snprintf(mmproj, size, "%s/mmproj.gguf", dir);
    if (access(model, R_OK) == 0 && access(mmproj, R_OK) == 0) return;
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "\"%s/synth-model\" --preset %s -o \"%s\" >/dev/null 2>&1",
             getenv("DC_BIN"), preset, dir);
    assert_int_equal(system(cmd), 0);
}

static dc_vlm *open_pair(const char *model, const char *mmproj, const dc_vlm_options *tweak,
                         dc_status *st) {
    dc_vlm_options o;
    test_options(&o, model, mmproj);
    if (tweak) {
        o.max_think_tokens = tweak->max_think_tokens;
        o.no_temporal_merge = tweak->no_temporal_merge;
    }
    return dc_vlm_open(&o, st);
}

/* The clip's window [3, 7) s sampled at the engine's frame request. */
static void sample(dc_vlm *v, dc_frame_set *frames, dc_frame_plan *plan, dc_sample_request *req) {
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(fx.clip, (dc_deadline){0}, &st);
    assert_non_null(m);
    const dc_media_info *info = dc_media_get_info(m);
    assert_int_equal(dc_vlm_frame_request(v, 3.0, 7.0, info->width, info->height, req, plan, &st),
                     DC_OK);
    assert_int_equal(dc_frames_sample(m, req, (dc_deadline){0}, frames, &st), DC_OK);
    dc_media_close(m);
}

static void assert_record_round_trips(const dc_assessment *a) {
    char *json = dc_assessment_to_json(a, 0);
    assert_non_null(json);
    dc_assessment back;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_assessment_from_json(json, &back, &st), DC_OK);
    assert_int_equal(back.severity, a->severity);
    assert_int_equal(back.engine.thinking_tokens, a->engine.thinking_tokens);
    assert_int_equal(back.engine.modality_count, a->engine.modality_count);
    assert_non_null(strstr(json, "\"modalities\":[\"video\""));
    free(json);
}

/* The preset's engine (test options, and the tweak's thinking budget and merge) and the
 * clip's window sampled at its frame request. */
static dc_vlm *open_and_sample(const char *preset, const dc_vlm_options *tweak,
                               dc_frame_set *frames, dc_frame_plan *plan, dc_sample_request *req) {
    char model[1300], mmproj[1300];
    pair_paths(preset, model, mmproj, sizeof(model));
    dc_status st = DC_STATUS_OK;
    dc_vlm *v = open_pair(model, mmproj, tweak, &st);
    if (!v) fail_msg("%s: %s", preset, st.message);
    sample(v, frames, plan, req);
    return v;
}

/* ---- every family: load, frame size, times, a claim ---------------------------------------- */

static void test_every_family_assesses_a_clip(void **state) {
    (void)state;
    for (int k = 0; k < N_CASES; k++) {
        const family_case *c = &cases[k];
        dc_frame_set frames = {0};
        dc_frame_plan plan;
        dc_sample_request req;
        dc_vlm *v = open_and_sample(c->preset, NULL, &frames, &plan, &req);
        dc_status st = DC_STATUS_OK;
        assert_string_equal(dc_vlm_family(v), c->family);
        assert_int_equal(dc_vlm_thinks(v), c->thinks);
        /* frames are sized by the family's unit: 14- or 16-pixel patches merged 2x2 */
        assert_int_equal(req.unit, c->unit);
        assert_int_equal(plan.width % c->unit, 0);
        assert_int_equal(plan.height % c->unit, 0);
        assert_int_equal(frames.frames[0].width, plan.width);
        assert_int_equal(plan.tokens_per_pair, (plan.width / c->unit) * (plan.height / c->unit));

        dc_assessment a;
        dc_assessment_init(&a);
        dc_engine_context ctx = {.claim_id = "family", .duration_sec = 10.0};
        dc_error_class rc = dc_vlm_assess(v, &frames, &ctx, (dc_deadline){0}, &a, &st);
        if (rc != DC_OK) fail_msg("%s: %s", c->preset, st.message);
        assert_int_equal(a.status, DC_CLAIM_OK);
        const dc_vlm_claim_stats *s = dc_vlm_last_stats(v);
        assert_true(s->json_valid); /* the grammar alone made the answer valid */
        assert_probabilities(&a);
        /* the pairs cost what the plan said: the pixel unit is the one libmtmd uses */
        assert_int_equal(s->image_tokens, plan.visual_tokens);
        assert_int_equal(a.engine.modality_count, 1);
        assert_string_equal(a.engine.modalities[0], "video");
        assert_record_round_trips(&a);

        /* each pair's time, as the family's processor gives it */
        const char *prompt = dc_vlm_last_prompt(v), *mk = mtmd_default_marker();
        char want[256];
        const dc_frame *f = frames.frames;
        if (c->unit == 32)
            snprintf(want, sizeof(want), "<%.1f seconds>%s%s<%.1f seconds>%s%s\n",
                     (f[0].t_sec + f[1].t_sec) / 2, mk, mk, (f[2].t_sec + f[3].t_sec) / 2, mk, mk);
        else
            snprintf(want, sizeof(want), "frames 0-1 at %.1f s and %.1f s: %s%s\n", f[0].t_sec,
                     f[1].t_sec, mk, mk);
        if (!strstr(prompt, want)) fail_msg("%s: no \"%s\" in\n%s", c->preset, want, prompt);

        const char *out = dc_vlm_last_output(v);
        if (c->thinks) {
            /* the format was asked for, the thinking came first and was closed, the JSON
             * followed; a random model never closes it, so it ran to the budget */
            assert_non_null(strstr(prompt, "immediately after the </think> tag."));
            assert_true(strncmp(out, "<think>\n", 8) == 0);
            assert_true(s->thinking_tokens > 0 && s->thinking_tokens <= 24);
            assert_int_equal(a.engine.thinking_tokens, s->thinking_tokens);
            const char *close = strstr(out, "</think>\n\n" DC_MODEL_OUTPUT_PREFIX);
            if (!close) fail_msg("%s: output %s", c->preset, out);
        } else {
            assert_null(strstr(prompt, "</think>"));
            assert_true(strncmp(out, DC_MODEL_OUTPUT_PREFIX, strlen(DC_MODEL_OUTPUT_PREFIX)) == 0);
            assert_int_equal(s->thinking_tokens, 0);
            assert_int_equal(a.engine.thinking_tokens, 0);
        }
        dc_frame_set_free(&frames);
        dc_vlm_close(v);
    }
}

/* Qwen3-VL without the temporal merge: a time tag before every frame. */
static void test_qwen3vl_tags_every_frame_without_the_merge(void **state) {
    (void)state;
    dc_vlm_options tweak;
    dc_vlm_options_init(&tweak);
    tweak.no_temporal_merge = true;
    dc_frame_set frames = {0};
    dc_frame_plan plan;
    dc_sample_request req;
    dc_vlm *v = open_and_sample("qwen3-vl-tiny", &tweak, &frames, &plan, &req);
    dc_status st = DC_STATUS_OK;
    dc_assessment a;
    dc_assessment_init(&a);
    assert_int_equal(dc_vlm_assess(v, &frames, NULL, (dc_deadline){0}, &a, &st), DC_OK);
    const char *prompt = dc_vlm_last_prompt(v), *mk = mtmd_default_marker();
    for (int i = 0; i < frames.count; i++) {
        char want[96];
        snprintf(want, sizeof(want), "<%.1f seconds>%s", frames.frames[i].t_sec, mk);
        assert_non_null(strstr(prompt, want));
    }
    assert_int_equal(dc_vlm_last_stats(v)->image_chunks, frames.count);
    dc_frame_set_free(&frames);
    dc_vlm_close(v);
}

/* The thinking budget: 0 gives an empty think block, a budget is never exceeded. */
static void test_thinking_budget(void **state) {
    (void)state;
    const int budgets[] = {0, 5};
    for (size_t i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++) {
        dc_vlm_options tweak;
        dc_vlm_options_init(&tweak);
        tweak.max_think_tokens = budgets[i];
        dc_frame_set frames = {0};
        dc_frame_plan plan;
        dc_sample_request req;
        dc_vlm *v = open_and_sample("cosmos-reason2-tiny", &tweak, &frames, &plan, &req);
        dc_status st = DC_STATUS_OK;
        dc_assessment a;
        dc_assessment_init(&a);
        assert_int_equal(dc_vlm_assess(v, &frames, NULL, (dc_deadline){0}, &a, &st), DC_OK);
        const char *out = dc_vlm_last_output(v);
        const dc_vlm_claim_stats *s = dc_vlm_last_stats(v);
        if (budgets[i] == 0) {
            assert_true(strncmp(out, "<think>\n\n</think>\n\n" DC_MODEL_OUTPUT_PREFIX,
                                strlen("<think>\n\n</think>\n\n" DC_MODEL_OUTPUT_PREFIX)) == 0);
            assert_int_equal(s->thinking_tokens, 0);
        } else {
            assert_true(s->thinking_tokens > 0 && s->thinking_tokens <= budgets[i]);
            assert_non_null(strstr(out, "</think>\n\n" DC_MODEL_OUTPUT_PREFIX));
        }
        assert_probabilities(&a);
        assert_int_equal(a.engine.thinking_tokens, s->thinking_tokens);
        dc_frame_set_free(&frames);
        dc_vlm_close(v);
    }
}

/* ---- a model that hears ------------------------------------------------------------------ */

static void omni_claim(dc_vlm *v, const dc_frame_set *frames, const dc_pcm *audio,
                       dc_assessment *a) {
    dc_assessment_init(a);
    dc_engine_context ctx = {.claim_id = "hears", .duration_sec = 10.0, .audio = audio};
    dc_status st = DC_STATUS_OK;
    dc_error_class rc = dc_vlm_assess(v, frames, &ctx, (dc_deadline){0}, a, &st);
    if (rc != DC_OK) fail_msg("omni: %s", st.message);
    assert_probabilities(a);
    assert_record_round_trips(a);
}

/* Qwen2.5-Omni: the window's sound goes to the audio encoder with the frames. The prompt's
 * token count includes the audio chunk (one Whisper window: 750 tokens), the prompt says what
 * it is, the record says the model heard, and what it heard changes its answer. */
static void test_omni_hears_the_window(void **state) {
    (void)state;
    dc_frame_set frames = {0};
    dc_frame_plan plan;
    dc_sample_request req;
    dc_vlm *v = open_and_sample("qwen2.5-omni-tiny", NULL, &frames, &plan, &req);
    dc_status st = DC_STATUS_OK;
    assert_true(dc_vlm_hears(v));
    assert_int_equal(dc_vlm_audio_rate(v), 16000);
    dc_media *m = dc_media_open(fx.clip, (dc_deadline){0}, &st);
    assert_non_null(m);
    dc_pcm pcm = {0};
    assert_int_equal(dc_media_audio(m, 3.0, 7.0, dc_vlm_audio_rate(v), (dc_deadline){0}, &pcm, &st),
                     DC_OK);
    dc_media_close(m);
    assert_true(pcm.count > 3 * 16000);

    /* no sound: the frames only, and the prompt says there is none */
    dc_assessment silent_video, heard, silence;
    omni_claim(v, &frames, NULL, &silent_video);
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(v);
    assert_int_equal(s->audio_chunks, 0);
    assert_int_equal(s->audio_tokens, 0);
    const int without = s->prompt_tokens;
    assert_int_equal(silent_video.engine.modality_count, 1);
    assert_non_null(strstr(dc_vlm_last_prompt(v), "The video has no sound.\n"));

    /* the window's sound */
    omni_claim(v, &frames, &pcm, &heard);
    s = dc_vlm_last_stats(v);
    assert_int_equal(s->audio_chunks, 1);
    assert_int_equal(s->audio_tokens, 750);
    assert_int_equal(s->prompt_tokens, s->text_tokens + s->image_tokens + s->audio_tokens);
    assert_true(s->prompt_tokens >= without + 750);
    assert_int_equal(heard.engine.prompt_tokens, s->prompt_tokens);
    assert_int_equal(heard.engine.modality_count, 2);
    assert_string_equal(heard.engine.modalities[0], "video");
    assert_string_equal(heard.engine.modalities[1], "audio");
    char want[128];
    snprintf(want, sizeof(want), "The sound of the same moments, %.1f s to %.1f s: %s\n",
             pcm.start_sec, pcm.start_sec + (double)pcm.count / 16000, mtmd_default_marker());
    if (!strstr(dc_vlm_last_prompt(v), want)) fail_msg("no \"%s\"", want);

    /* the same length of silence: the same tokens, but what the model heard differs */
    float *saved = pcm.samples;
    float *zeros = calloc(pcm.count, sizeof(float));
    assert_non_null(zeros);
    pcm.samples = zeros;
    omni_claim(v, &frames, &pcm, &silence);
    pcm.samples = saved;
    free(zeros);
    assert_int_equal(dc_vlm_last_stats(v)->audio_tokens, 750);
    bool differ = false;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        differ |= heard.severity_probs[i] != silence.severity_probs[i];
    assert_true(differ);

    /* a rate other than the encoder's is refused, not resampled behind the caller's back */
    pcm.rate = 44100;
    dc_assessment bad;
    dc_assessment_init(&bad);
    dc_engine_context ctx = {.audio = &pcm};
    assert_int_equal(dc_vlm_assess(v, &frames, &ctx, (dc_deadline){0}, &bad, &st), DC_ERR_INPUT);
    dc_pcm_free(&pcm);
    dc_frame_set_free(&frames);
    dc_vlm_close(v);
}

/* The pipeline gives a model that hears the sound of the window it looks at; other models
 * get the frames only. */
static void test_pipeline_gives_the_sound_to_a_model_that_hears(void **state) {
    (void)state;
    const char *presets[] = {"qwen2.5-omni-tiny", "qwen3-vl-tiny"};
    for (int k = 0; k < 2; k++) {
        char model[1300], mmproj[1300];
        pair_paths(presets[k], model, mmproj, sizeof(model));
        dc_status st = DC_STATUS_OK;
        dc_vlm *v = open_pair(model, mmproj, NULL, &st);
        assert_non_null(v);
        dc_pipeline_options po;
        dc_pipeline_options_init(&po);
        po.vlm = v;
        dc_claim_result r;
        memset(&r, 0, sizeof(r));
        dc_pipeline_assess(fx.clip, "pipeline-sound", &po, &r);
        const dc_assessment *a = &r.assessment;
        if (a->status == DC_CLAIM_FAILED) fail_msg("%s: %s", presets[k], a->error_message);
        assert_int_equal(a->engine.modality_count, k == 0 ? 2 : 1);
        assert_string_equal(a->engine.modalities[0], "video");
        if (k == 0) {
            assert_string_equal(a->engine.modalities[1], "audio");
            assert_int_equal(dc_vlm_last_stats(v)->audio_tokens, 750);
        }
        dc_claim_result_free(&r);
        dc_vlm_close(v);
    }
}

/* ---- refusals ------------------------------------------------------------------------------ */

/* A copy of `from` with another projector type (an mmproj of a family the engine does not
 * know: its tensors are never read, the metadata decides). */
static void write_projector_variant(const char *from, const char *to, const char *type) {
    struct gguf_init_params p = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *src = gguf_init_from_file(from, p);
    assert_non_null(src);
    struct gguf_context *g = gguf_init_empty();
    gguf_set_kv(g, src);
    gguf_set_val_str(g, "clip.projector_type", type);
    assert_true(gguf_write_to_file(g, to, true));
    gguf_free(g);
    gguf_free(src);
}

static void test_wrong_and_unknown_families_are_refused(void **state) {
    (void)state;
    char q3_model[1300], q3_mmproj[1300], q25_model[1300], q25_mmproj[1300], unknown[1300];
    pair_paths("qwen3-vl-tiny", q3_model, q3_mmproj, sizeof(q3_model));
    pair_paths("tiny", q25_model, q25_mmproj, sizeof(q25_model));
    snprintf(unknown, sizeof(unknown), "%s/mmproj-gemma3.gguf", fx.dir);
    write_projector_variant(q25_mmproj, unknown, "gemma3");
    const struct {
        const char *model, *mmproj, *what, *arch, *projector;
    } rows[] = {
        /* a Qwen2.5-VL projector with a Qwen3-VL text model, and the other way round */
        {q3_model, q25_mmproj, "mismatched pair", "architecture qwen3vl",
         "projector qwen2.5vl_merger"},
        {q25_model, q3_mmproj, "mismatched pair", "architecture qwen2vl",
         "projector qwen3vl_merger"},
        /* a projector of a family the engine does not know */
        {q25_model, unknown, "model family not supported", "architecture qwen2vl",
         "projector gemma3"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        dc_status st = DC_STATUS_OK;
        assert_null(open_pair(rows[i].model, rows[i].mmproj, NULL, &st));
        assert_int_equal(st.code, DC_ERR_MODEL);
        if (!strstr(st.message, rows[i].what) || !strstr(st.message, rows[i].arch) ||
            !strstr(st.message, rows[i].projector))
            fail_msg("row %zu: %s", i, st.message);
    }
}

static int setup_families(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return -1;
    snprintf(fx.dir, sizeof(fx.dir), "%s/%s", tmp, program_invocation_short_name);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "rm -rf \"%s\" && mkdir -p \"%s\"", fx.dir, fx.dir);
    if (system(cmd) != 0) return -1;
    snprintf(fx.clip, sizeof(fx.clip), "%s/clip.mp4", fx.dir);
    snprintf(cmd, sizeof(cmd),
             "\"%s/synth-video\" --duration 10 --size 640x360 -o \"%s\" >/dev/null 2>&1", bin,
             fx.clip);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_family_assesses_a_clip),
        cmocka_unit_test(test_qwen3vl_tags_every_frame_without_the_merge),
        cmocka_unit_test(test_thinking_budget),
        cmocka_unit_test(test_omni_hears_the_window),
        cmocka_unit_test(test_pipeline_gives_the_sound_to_a_model_that_hears),
        cmocka_unit_test(test_wrong_and_unknown_families_are_refused),
    };
    return cmocka_run_group_tests(tests, setup_families, NULL);
}
