/* The claim page of a real claim of several videos: synth-video records a collision with a
 * front and a rear camera in two 6-s loop segments (BlackVue names), laid out as one claim as
 * dc_group_videos lays such names out, dc_pipeline_assess_claim assesses it (signals engine, frames
 * kept) and the page is rendered from the result. The page must show, at every evidence time,
 * the front and the rear camera's frames side by side (each labelled with its file and its
 * time there, and each a different picture), the four files in the list with the start time
 * read from their names, and the segment boundary at 6 s on the timeline. This is the shape
 * the pipeline really gives (each channel's first frame at or after the evidence time), not
 * one made up for the report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "dashclaim/pipeline.h"
#include "dashclaim/report.h"
#include "report_test_util.h"

static void real_claim_page_shows_both_cameras_at_each_evidence_time(void **state) {
    (void)state;
    const char *bin = getenv("DC_BIN");
    assert_non_null(bin);
    char *dir = test_tmp_dir("report-claim-pipeline");
    assert_non_null(dir);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s/rec' && '%s/synth-video' --pair collision --segments 2 --segment-sec 6 "
             "--incident-at 6.5 --size 320x180 --seed 3 --out '%s/rec' >/dev/null",
             dir, bin, dir);
    assert_int_equal(system(cmd), 0);

    /* laid out as dc_group_videos lays out BlackVue names: the channels of one moment at the
     * same offset, the next segment where the name's clock says it starts */
    static const struct {
        const char *name;
        dc_video_role role;
        int segment;
        const char *start;
        double offset;
    } files[] = {{"20260314_120300_NF.mp4", DC_ROLE_FRONT, 0, "2026-03-14T12:03:00", 0},
                 {"20260314_120300_NR.mp4", DC_ROLE_REAR, 0, "2026-03-14T12:03:00", 0},
                 {"20260314_120306_NF.mp4", DC_ROLE_FRONT, 1, "2026-03-14T12:03:06", 6},
                 {"20260314_120306_NR.mp4", DC_ROLE_REAR, 1, "2026-03-14T12:03:06", 6}};
    static dc_claim_input in;
    memset(&in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        dc_claim_video *v = &in.videos[in.count++];
        snprintf(v->path, sizeof v->path, "%s/rec/%s", dir, files[i].name);
        v->role = files[i].role;
        v->segment = files[i].segment;
        snprintf(v->start_time, sizeof v->start_time, "%s", files[i].start);
        snprintf(v->start_source, sizeof v->start_source, "file-name");
        v->offset_sec = files[i].offset;
    }

    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.timeout_sec = 120;
    o.keep_evidence = true;
    static dc_claim_result r;
    dc_pipeline_assess_claim(&in, "two-cameras", &o, &r);
    const dc_assessment *a = &r.assessment;
    assert_int_not_equal(a->status, DC_CLAIM_FAILED);
    assert_int_equal(a->video_count, 4);
    assert_true(a->evidence_count >= 1);
    assert_true(r.evidence_frames.count >= 2 * a->evidence_count);

    dc_report_inputs ri = {.danger = r.danger,
                           .danger_count = r.danger_count,
                           .danger_hz = r.danger_hz,
                           .frames = &r.evidence_frames,
                           .telemetry = &r.telemetry};
    dc_str page = {0};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_report_render_claim_html(a, &ri, &page, &st), DC_OK);
    assert_false(st.degraded);
    const char *html = page.data;

    /* every evidence time: the front and the rear camera side by side, different pictures */
    int moments = test_count(html, "<figure class=\"moment multi\" data-channels=\"2\">");
    print_message("%d evidence rows, %d shown with both cameras, %d frames kept\n",
                  a->evidence_count, moments, r.evidence_frames.count);
    assert_int_equal(moments, a->evidence_count);
    assert_int_equal(test_count(html, "<div class=\"ch\">front camera, "), a->evidence_count);
    assert_int_equal(test_count(html, "<div class=\"ch\">rear camera, "), a->evidence_count);
    for (const char *m = strstr(html, "<figure class=\"moment multi\""); m;
         m = strstr(m + 1, "<figure class=\"moment multi\"")) {
        static const char marker[] = "<img src=\"data:image/jpeg;base64,";
        const char *i1 = strstr(m, marker), *i2 = i1 ? strstr(i1 + 1, marker) : NULL;
        assert_true(i1 && i2);
        size_t n1 = strcspn(i1 + sizeof marker - 1, "\""),
               n2 = strcspn(i2 + sizeof marker - 1, "\"");
        assert_false(n1 == n2 && memcmp(i1, i2, sizeof marker - 1 + n1) == 0);
    }
    for (int i = 0; i < a->video_count; i++)
        print_message("file %d: %s %s segment %d, %.3f + %.3f s\n", i + 1,
                      dc_video_role_name(a->videos[i].role), a->videos[i].start_time,
                      a->videos[i].segment, a->videos[i].offset_sec, a->videos[i].duration_sec);
    /* the files, their start times from their names, the boundary at 6 s */
    assert_int_equal(test_count(html, "<tr class=\"video-row\""), 4);
    assert_int_equal(test_count(html, "camera clock, from the file name"), 4);
    assert_int_equal(test_count(html, "<g class=\"file\""), 4);
    for (const char *b = strstr(html, "<g class=\"file-boundary\">"); b;
         b = strstr(b + 1, "<g class=\"file-boundary\">"))
        print_message("boundary %.*s\n", (int)strcspn(strstr(b, "<title>"), "\n"),
                      strstr(b, "<title>"));
    /* the segment boundary, and (where the danger timeline runs on past the files) their end */
    assert_non_null(strstr(html, "<title>at 0:06.0: file 1 ends, file 2 ends, file 3 starts, "
                                 "file 4 starts</title>"));
    int boundaries = test_count(html, "<g class=\"file-boundary\">");
    assert_true(boundaries == 1 ||
                (boundaries == 2 && strstr(html, "<title>at 0:12.0: file 3 ends, file 4 ends")));
    assert_int_equal(test_count(html, "http"), test_count(html, "http://www.w3.org/2000/svg"));
    assert_null(strstr(html, "<script"));
    /* kept for a person to look at: DC_TEST_TMP/report-claim-pipeline/claim.html */
    char *path = test_path(dir, "claim.html");
    assert_non_null(path);
    assert_int_equal(dc_report_write_claim_html(path, a, &ri, &st), DC_OK);
    free(path);
    dc_str_free(&page);
    dc_claim_result_free(&r);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_claim_page_shows_both_cameras_at_each_evidence_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
