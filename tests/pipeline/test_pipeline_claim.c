/* A claim of several videos: loop-recorded segments and the front and rear cameras of one
 * moment, assessed as one claim (dc_pipeline_assess_claim). Inputs are made by synth-video's
 * recording writer (real cameras' names, a scene that runs on across files, labels on the
 * claim's timeline):
 *   - an impact 0.5 s after a segment boundary is found where the unsplit file has it;
 *   - a rear-end that only the rear camera sees is a collision for the signals engine, and
 *     not from the front camera alone;
 *   - a channel that does not decode makes the claim degraded, naming it, not failed;
 *   - the VLM (a real tiny synth-model) is shown both channels at the same instants, one size;
 *   - the record's videos and each row's video survive JSON. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/engine.h"
#include "dashclaim/pipeline.h"
#include "pipeline_test_util.h"

static char dir[512];

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) return -1;
    snprintf(dir, sizeof dir, "%s/test_pipeline_claim", tmp);
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf \"%s\" && mkdir -p \"%s\"", dir, dir);
    return pt_run(cmd);
}

/* synth-video with args (a recording into DIR/name, or a file with -o). */
static void synth(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd \"%s\" && \"%s/synth-video\" --size 320x180 --seed 5 %s >/dev/null", dir,
             getenv("DC_BIN"), args);
    assert_int_equal(pt_run(cmd), 0);
}

static void add_video(dc_claim_input *in, const char *rel, dc_video_role role, int segment,
                      double offset) {
    dc_claim_video *v = &in->videos[in->count++];
    memset(v, 0, sizeof *v);
    snprintf(v->path, sizeof v->path, "%s/%s", dir, rel);
    v->role = role;
    v->segment = segment;
    v->offset_sec = offset;
}

static dc_assessment *assess(const dc_claim_input *in, dc_vlm *vlm, bool keep, dc_claim_result *r) {
    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.timeout_sec = 300;
    o.vlm = vlm;
    o.keep_evidence = keep;
    dc_pipeline_assess_claim(in, "claim", &o, r);
    return &r->assessment;
}

static void test_boundary_as_unsplit(void **state) {
    (void)state;
    synth("--scene collision --duration 20 --incident-at 10.5 -o whole.mp4");
    synth("--scene collision --out seg --segments 2 --segment-sec 10 --incident-at 10.5");
    static dc_claim_input in;
    memset(&in, 0, sizeof in);
    add_video(&in, "whole.mp4", DC_ROLE_FRONT, -1, 0);
    dc_claim_result whole, split;
    dc_assessment *w = assess(&in, NULL, false, &whole);
    memset(&in, 0, sizeof in);
    /* given out of order: the record lists them on the timeline */
    add_video(&in, "seg/20260314_120310_NF.mp4", DC_ROLE_FRONT, 1, 10);
    add_video(&in, "seg/20260314_120300_NF.mp4", DC_ROLE_FRONT, 0, 0);
    dc_assessment *s = assess(&in, NULL, false, &split);
    assert_int_not_equal(w->status, DC_CLAIM_FAILED);
    assert_int_not_equal(s->status, DC_CLAIM_FAILED);
    assert_true(w->window_count > 0 && s->window_count > 0);
    fprintf(stderr, "peak: unsplit %.2f s, split %.2f s (video %d at %.2f s)\n",
            w->windows[0].peak_sec, s->windows[0].peak_sec, s->windows[0].video,
            s->windows[0].video_peak_sec);
    assert_true(fabs(w->windows[0].peak_sec - s->windows[0].peak_sec) <= 0.5);
    assert_true(fabs(s->windows[0].peak_sec - 10.5) <= 0.5);
    /* the window is placed in the second file, at its own time */
    assert_int_equal(s->video_count, 2);
    assert_true(s->videos[0].offset_sec == 0 && s->videos[1].offset_sec == 10);
    assert_int_equal(s->videos[1].segment, 1);
    assert_int_equal(s->windows[0].video, 1);
    assert_true(fabs(s->windows[0].video_peak_sec - (s->windows[0].peak_sec - 10)) < 1e-9);
    assert_true(fabs(s->video.duration_sec - 20) < 0.2);
    assert_int_equal(s->severity, w->severity);
    /* both files were hashed, each on its own */
    assert_int_equal(strlen(s->videos[0].sha256), 64);
    assert_int_equal(strlen(s->videos[1].sha256), 64);
    assert_string_not_equal(s->videos[0].sha256, s->videos[1].sha256);
    assert_string_equal(s->video.sha256, s->videos[0].sha256);
    dc_claim_result_free(&whole);
    dc_claim_result_free(&split);
}

static void test_rear_end_seen_by_rear_only(void **state) {
    (void)state;
    /* no sound in either channel: the front camera's microphone would hear the bang */
    synth("--pair rear-end --duration 12 --incident-at 7 --silent front --silent rear --out "
          "rear_end");
    static dc_claim_input in;
    memset(&in, 0, sizeof in);
    add_video(&in, "rear_end/20260314_120300_NF.mp4", DC_ROLE_FRONT, 0, 0);
    dc_claim_result front_only, both;
    dc_assessment *f = assess(&in, NULL, false, &front_only);
    add_video(&in, "rear_end/20260314_120300_NR.mp4", DC_ROLE_REAR, 0, 0);
    dc_assessment *b = assess(&in, NULL, false, &both);
    fprintf(stderr, "front alone: %s; front + rear: %s, contact %d, window video %d\n",
            dc_severity_name(f->severity) ? dc_severity_name(f->severity) : "-",
            dc_severity_name(b->severity) ? dc_severity_name(b->severity) : "-", b->facts.contact,
            b->window_count ? b->windows[0].video : -1);
    assert_int_not_equal(b->status, DC_CLAIM_FAILED);
    assert_int_equal(b->severity, DC_SEVERITY_HIGH);
    /* (without sound the signals engine leaves contact unclear: a jolt is not a bang) */
    assert_int_not_equal(b->facts.contact, DC_TRI_NO);
    assert_int_not_equal(f->severity, DC_SEVERITY_HIGH);
    /* the incident's window is the rear camera's */
    assert_true(b->window_count > 0);
    assert_int_equal(b->videos[b->windows[0].video].role, DC_ROLE_REAR);
    assert_true(fabs(b->windows[0].peak_sec - 7) <= 0.5);
    dc_claim_result_free(&front_only);
    dc_claim_result_free(&both);
}

static void test_undecodable_channel_degrades(void **state) {
    (void)state;
    synth("--pair collision --duration 8 --undecodable rear --out broken");
    static dc_claim_input in;
    memset(&in, 0, sizeof in);
    add_video(&in, "broken/20260314_120300_NF.mp4", DC_ROLE_FRONT, 0, 0);
    add_video(&in, "broken/20260314_120300_NR.mp4", DC_ROLE_REAR, 0, 0);
    dc_claim_result r;
    dc_assessment *a = assess(&in, NULL, true, &r);
    fprintf(stderr, "%s: %s\n", dc_claim_status_name(a->status), a->error_message);
    assert_int_equal(a->status, DC_CLAIM_DEGRADED);
    assert_int_equal(a->videos[1].role, DC_ROLE_REAR);
    assert_true(a->videos[1].error[0] != 0);
    assert_non_null(strstr(a->error_message, "rear video 20260314_120300_NR.mp4 added nothing"));
    assert_int_equal(a->videos[0].error[0], 0);
    /* the front camera's evidence is still kept, and only the front's */
    assert_true(r.evidence_frames.count > 0);
    for (int i = 0; i < r.evidence_frames.count; i++)
        assert_int_equal(r.evidence_frames.frames[i].video, 0);
    dc_claim_result_free(&r);
}

static void test_vlm_sees_both_channels(void **state) {
    (void)state;
    synth("--pair collision --duration 10 --incident-at 6 --out vlm_pair");
    dc_vlm *vlm = pt_tiny_vlm(dir, 8, 448, 1);
    assert_non_null(vlm);
    static dc_claim_input in;
    memset(&in, 0, sizeof in);
    add_video(&in, "vlm_pair/20260314_120300_NF.mp4", DC_ROLE_FRONT, 0, 0);
    add_video(&in, "vlm_pair/20260314_120300_NR.mp4", DC_ROLE_REAR, 0, 0);
    dc_claim_result r;
    dc_assessment *a = assess(&in, vlm, true, &r);
    fprintf(stderr, "vlm claim: %s %s\n", dc_claim_status_name(a->status), a->error_message);
    assert_int_not_equal(a->status, DC_CLAIM_FAILED);
    const dc_frame_set *shown = &r.evidence_frames;
    int per_video[2] = {0, 0};
    for (int i = 0; i < shown->count; i++) {
        const dc_frame *f = &shown->frames[i];
        assert_true(f->video == 0 || f->video == 1);
        per_video[f->video]++;
        /* one size for the engine, whatever each camera records */
        assert_int_equal(f->width, shown->frames[0].width);
        assert_int_equal(f->height, shown->frames[0].height);
    }
    /* the frame budget is shared: as many frames as one camera would have had, in pairs */
    assert_true(per_video[0] >= 2 && per_video[1] >= 2);
    assert_true(per_video[0] % 2 == 0 && per_video[1] % 2 == 0);
    assert_true(shown->count <= 8);
    /* the same instants from each channel, the front first */
    assert_int_equal(shown->frames[0].video, 0);
    for (int i = 0; i < per_video[1] && i < per_video[0]; i++)
        assert_true(fabs(shown->frames[i].t_sec - shown->frames[per_video[0] + i].t_sec) < 0.2);
    dc_claim_result_free(&r);
    dc_vlm_close(vlm);
}

static void test_record_keeps_videos(void **state) {
    (void)state;
    static dc_assessment a, b;
    dc_assessment_init(&a);
    a.video_count = 2;
    snprintf(a.videos[0].path, sizeof a.videos[0].path, "f.mp4");
    snprintf(a.videos[1].path, sizeof a.videos[1].path, "r.mp4");
    a.videos[1].role = DC_ROLE_REAR;
    a.videos[1].segment = 3;
    a.videos[1].offset_sec = 180;
    snprintf(a.videos[1].start_time, sizeof a.videos[1].start_time, "2026-03-14T12:06:00");
    snprintf(a.videos[1].start_source, sizeof a.videos[1].start_source, "file-name");
    a.severity = DC_SEVERITY_LOW;
    a.evidence_count = 1;
    a.evidence[0] = (dc_evidence){.t_sec = 181.5, .frame = 2, .video = 1, .video_t_sec = 1.5};
    snprintf(a.evidence[0].description, sizeof a.evidence[0].description, "a car behind");
    char *json = dc_assessment_to_json(&a, 0);
    assert_non_null(json);
    dc_status st;
    assert_int_equal(dc_assessment_from_json(json, &b, &st), DC_OK);
    assert_int_equal(b.video_count, 2);
    assert_int_equal(b.videos[1].role, DC_ROLE_REAR);
    assert_int_equal(b.videos[1].segment, 3);
    assert_true(b.videos[1].offset_sec == 180);
    assert_string_equal(b.videos[1].start_source, "file-name");
    assert_int_equal(b.evidence[0].video, 1);
    assert_true(b.evidence[0].video_t_sec == 1.5);
    assert_non_null(strstr(json, "\"role\":\"rear\""));
    free(json);
    /* a record written before claims had several videos reads as a claim of its one video */
    const char *old = "{\"schema\":\"dashclaim.assessment/1\",\"claim_id\":\"c\",\"video\":"
                      "{\"path\":\"a.mp4\",\"sha256\":null,\"duration_sec\":12.5},"
                      "\"status\":\"ok\",\"severity\":\"LOW\",\"evidence\":[{\"t_sec\":3,"
                      "\"description\":\"x\",\"frame\":null}]}";
    assert_int_equal(dc_assessment_from_json(old, &b, &st), DC_OK);
    assert_int_equal(b.video_count, 1);
    assert_string_equal(b.videos[0].path, "a.mp4");
    assert_true(b.videos[0].duration_sec == 12.5 && b.videos[0].offset_sec == 0);
    assert_int_equal(b.evidence[0].video, 0);
    assert_true(b.evidence[0].video_t_sec == 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_keeps_videos),
        cmocka_unit_test(test_boundary_as_unsplit),
        cmocka_unit_test(test_rear_end_seen_by_rear_only),
        cmocka_unit_test(test_undecodable_channel_degrades),
        cmocka_unit_test(test_vlm_sees_both_channels),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
