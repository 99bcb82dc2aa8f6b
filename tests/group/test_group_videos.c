/* dc_group_videos on real clips: synth-video writes a 3-s and a 2-s clip once; the tests copy
 * them under cameras' names (each copy made distinct by a trailing MP4 'free' box, as two
 * recordings are), set container creation times with ffmpeg, write NMEA sidecars with a UTC,
 * and check the claims, roles, offsets, notes and errors that come back. */
#include <math.h>
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

#include "dashclaim/group.h"
#include "telemetry_writers.h"

static char dir[1024]; /* this process's scratch folder */
static char clip3[1100], clip2[1100];
static int made; /* distinct copies so far */

static int run(const char *cmd) {
    int rc = system(cmd);
    if (rc != 0) fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    return rc;
}

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) {
        fprintf(stderr, "DC_TEST_TMP and DC_BIN must be set (run through ctest)\n");
        return -1;
    }
    snprintf(dir, sizeof dir, "%s/group-%d", tmp, (int)getpid());
    char cmd[12000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (run(cmd)) return -1;
    snprintf(clip3, sizeof clip3, "%s/base3.mp4", dir);
    snprintf(clip2, sizeof clip2, "%s/base2.mp4", dir);
    const char *clips[2] = {clip3, clip2};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd,
                 "'%s/synth-video' --scene plain --duration %d --size 64x36 --fps 10 -o '%s' "
                 ">/dev/null 2>&1",
                 bin, 3 - i, clips[i]);
        if (run(cmd)) return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return run(cmd) ? -1 : 0;
}

/* dir/<sub>/<name>: a copy of base with a 'free' box of a number appended (a recording of
 * its own: the copy check compares bytes). Returns the path (static ring). */
static const char *place(const char *base, const char *sub, const char *name) {
    static char paths[64][4096];
    static int next;
    char *p = paths[next++ % 64];
    char folder[2048];
    snprintf(folder, sizeof folder, "%s/%s", dir, sub);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", folder);
    assert_int_equal(run(cmd), 0);
    snprintf(p, 4096, "%s/%s", folder, name);
    FILE *in = fopen(base, "rb"), *out = fopen(p, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    uint32_t mark = (uint32_t)++made;
    const uint8_t box[16] = {0,
                             0,
                             0,
                             16,
                             'f',
                             'r',
                             'e',
                             'e',
                             0,
                             0,
                             0,
                             0,
                             (uint8_t)(mark >> 24),
                             (uint8_t)(mark >> 16),
                             (uint8_t)(mark >> 8),
                             (uint8_t)mark};
    assert_int_equal(fwrite(box, 1, sizeof box, out), sizeof box);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    return p;
}

/* The same with the container's creation_time set (ffmpeg, streams copied). */
static const char *place_created(const char *base, const char *sub, const char *name,
                                 const char *creation_time) {
    const char *tmp = place(base, sub, "tmp-created.mp4");
    static char paths[16][4096];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 4096, "%.1023s/%.1000s/%.1000s", dir, sub, name);
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -v error -y -i '%s' -c copy -metadata creation_time=%s '%s' && rm '%s'", tmp,
             creation_time, p, tmp);
    assert_int_equal(run(cmd), 0);
    return p;
}

static dc_group_set group(const char *const *paths, int n, dc_group_mode mode) {
    dc_group_set set;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_group_videos(paths, n, mode, dc_deadline_in(60), &set, &st), DC_OK);
    return set;
}

static const dc_claim_video *video(const dc_group_set *s, int g, int i) {
    assert_true(g < s->count);
    assert_true(i < s->groups[g].count);
    return &s->videos[s->groups[g].first + i];
}

static void print_set(const dc_group_set *s) {
    for (int g = 0; g < s->count; g++) {
        const dc_group *grp = &s->groups[g];
        fprintf(stderr, "claim %s: %s%s%s\n", grp->claim_id, grp->note,
                grp->error[0] ? " ERROR " : "", grp->error);
        for (int i = 0; i < grp->count && i < 6; i++) {
            const dc_claim_video *v = video(s, g, i);
            fprintf(stderr, "  %-8s seg %3d  +%6.2f s  %5.2f s  %s (%s)  %s\n",
                    dc_video_role_name(v->role), v->segment, v->offset_sec, v->duration_sec,
                    v->start_time, v->start_source, strrchr(v->path, '/') + 1);
        }
    }
}

static void test_front_and_rear_of_one_moment_are_one_claim(void **state) {
    (void)state;
    const char *paths[] = {place(clip3, "bv", "20190612_143500_NR.mp4"),
                           place(clip3, "bv", "20190612_143500_NF.mp4")};
    dc_group_set s = group(paths, 2, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.groups[0].count, 2);
    assert_int_equal(video(&s, 0, 0)->role, DC_ROLE_FRONT); /* front first */
    assert_int_equal(video(&s, 0, 1)->role, DC_ROLE_REAR);
    assert_true(video(&s, 0, 1)->offset_sec == 0 && video(&s, 0, 0)->offset_sec == 0);
    assert_string_equal(s.groups[0].claim_id, "20190612_143500_NF.mp4");
    assert_string_equal(video(&s, 0, 0)->start_time, "2019-06-12T14:35:00");
    assert_string_equal(video(&s, 0, 0)->start_source, "file-name");
    assert_true(video(&s, 0, 0)->duration_sec > 2.9 && video(&s, 0, 0)->duration_sec < 3.1);
    assert_non_null(strstr(s.groups[0].note, "blackvue"));
    dc_claim_input in;
    dc_group_claim_input(&s, 0, &in);
    assert_int_equal(in.count, 2);
    assert_string_equal(in.videos[1].path, paths[0]);
    dc_group_set_free(&s);
    /* none: one claim per file, as before grouping */
    s = group(paths, 2, DC_GROUP_NONE);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.groups[0].count, 1);
    assert_string_equal(video(&s, 0, 0)->path, paths[0]);
    dc_group_set_free(&s);
}

static void test_consecutive_segments_are_one_claim_on_one_timeline(void **state) {
    (void)state;
    /* VIOFO, front and rear numbered apart; durations 3, 3, 2 s: the last segment shorter */
    const char *paths[] = {
        place(clip3, "viofo", "2020_0101_120000_001F.MP4"),
        place(clip3, "viofo", "2020_0101_120000_002R.MP4"),
        place(clip3, "viofo", "2020_0101_120003_003F.MP4"),
        place(clip3, "viofo", "2020_0101_120003_004R.MP4"),
        place(clip2, "viofo", "2020_0101_120006_005F.MP4"),
        place(clip3, "viofo", "2020_0101_120006_006R.MP4"), /* channels of different lengths */
    };
    dc_group_set s = group(paths, 6, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.groups[0].count, 6);
    double d1 = video(&s, 0, 0)->duration_sec, d2 = video(&s, 0, 2)->duration_sec;
    const double want[6] = {0, 0, d1, d1, d1 + d2, d1 + d2};
    for (int i = 0; i < 6; i++) {
        assert_true(fabs(video(&s, 0, i)->offset_sec - want[i]) < 1e-6);
        assert_int_equal(video(&s, 0, i)->role, i % 2 ? DC_ROLE_REAR : DC_ROLE_FRONT);
        assert_int_equal(video(&s, 0, i)->segment, i + 1);
    }
    assert_true(fabs(video(&s, 0, 4)->duration_sec - 2.0) < 0.1);
    assert_true(fabs(video(&s, 0, 5)->duration_sec - 3.0) < 0.1);
    assert_string_equal(s.groups[0].claim_id, "2020_0101_120000_001F.MP4");
    dc_group_set_free(&s);
}

static void test_a_ten_minute_gap_starts_a_new_claim(void **state) {
    (void)state;
    const char *paths[] = {
        place(clip3, "gap", "20240315_092653_NF.mp4"),
        place(clip3, "gap", "20240315_092656_NF.mp4"),
        place(clip3, "gap", "20240315_093659_NF.mp4"), /* 10 min after the second ends */
        place(clip3, "gap", "20240315_093702_NF.mp4"),
    };
    dc_group_set s = group(paths, 4, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.groups[0].count, 2);
    assert_int_equal(s.groups[1].count, 2);
    assert_true(fabs(video(&s, 1, 1)->offset_sec - 3.0) < 1e-6);
    assert_non_null(strstr(s.groups[1].note, "a new trip: starts 600.0 s after"));
    dc_group_set_free(&s);
    /* all: the four are one claim whatever the gap, which stays on the timeline */
    s = group(paths, 4, DC_GROUP_ALL);
    print_set(&s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.groups[0].count, 4);
    assert_true(fabs(video(&s, 0, 2)->offset_sec - 606.0) < 1e-6);
    dc_group_set_free(&s);
}

static void test_unknown_names_fall_back_to_creation_times(void **state) {
    (void)state;
    const char *paths[] = {
        place_created(clip3, "created", "b.mp4", "2026-03-14T09:27:00Z"),
        place_created(clip3, "created", "a.mp4", "2026-03-14T09:26:57Z"),
        place_created(clip2, "created", "c.mp4", "2026-03-14T09:27:00Z"), /* b's other channel */
        place_created(clip3, "created", "later.mp4", "2026-03-14T11:00:00Z"),
    };
    dc_group_set s = group(paths, 4, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.groups[0].count, 3);
    assert_string_equal(strrchr(video(&s, 0, 0)->path, '/'), "/a.mp4");
    assert_true(video(&s, 0, 0)->offset_sec == 0);
    assert_true(fabs(video(&s, 0, 1)->offset_sec - 3.0) < 1e-6);
    assert_true(fabs(video(&s, 0, 2)->offset_sec - 3.0) < 1e-6);
    assert_string_equal(video(&s, 0, 0)->start_source, "container");
    assert_string_equal(video(&s, 0, 0)->start_time, "2026-03-14T09:26:57Z");
    assert_int_equal(video(&s, 0, 0)->role, DC_ROLE_UNKNOWN);
    assert_non_null(strstr(s.groups[0].note, "container creation times"));
    assert_int_equal(s.groups[1].count, 1);
    dc_group_set_free(&s);
}

static void test_unknown_names_without_times_are_one_claim_each(void **state) {
    (void)state;
    const char *paths[] = {place(clip3, "plain", "crash.mp4"), place(clip3, "plain", "other.mp4"),
                           "/no/such/file.mp4"};
    dc_group_set s = group(paths, 3, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 3);
    for (int g = 0; g < 3; g++) assert_int_equal(s.groups[g].count, 1);
    assert_non_null(strstr(s.groups[0].note, "no time to group by"));
    /* a file that cannot be read is still a claim (the pipeline records why it failed) */
    assert_string_equal(video(&s, 2, 0)->path, "/no/such/file.mp4");
    assert_non_null(strstr(s.groups[2].note, "cannot be probed"));
    assert_int_equal(s.groups[2].error_class, DC_OK);
    dc_group_set_free(&s);
}

static void test_two_copies_of_one_file_keep_one(void **state) {
    (void)state;
    const char *f = place(clip3, "copies", "20240315_092653_NF.mp4");
    const char *r = place(clip3, "copies", "20240315_092653_NR.mp4");
    char copy[4200], cmd[9000];
    snprintf(copy, sizeof copy, "%s/copies/backup/20240315_092653_NF.mp4", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/copies/backup' && cp '%s' '%s'", dir, f, copy);
    assert_int_equal(run(cmd), 0);
    const char *paths[] = {f, r, copy, f /* the same path twice */};
    dc_group_set s = group(paths, 4, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.groups[0].count, 2);
    assert_int_equal(s.dropped_copies, 2);
    assert_non_null(strstr(s.groups[0].note, "copy left out"));
    assert_non_null(strstr(s.groups[0].note, "backup/20240315_092653_NF.mp4"));
    dc_group_set_free(&s);
}

static void test_clock_jumps_start_a_new_trip(void **state) {
    (void)state;
    /* segment 3's clock went back two hours; segment 6 starts five hours on */
    const char *paths[] = {
        place(clip3, "jump", "2020_0101_120000_001F.MP4"),
        place(clip3, "jump", "2020_0101_120003_002F.MP4"),
        place(clip3, "jump", "2020_0101_100006_003F.MP4"),
        place(clip3, "jump", "2020_0101_100009_004F.MP4"),
        place(clip3, "jump", "2020_0101_100012_005F.MP4"),
        place(clip3, "jump", "2020_0101_150015_006F.MP4"),
    };
    dc_group_set s = group(paths, 6, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.groups[0].count, 2); /* 001, 002 (first in the input) */
    assert_int_equal(video(&s, 0, 0)->segment, 1);
    assert_int_equal(s.groups[1].count, 3); /* 003 .. 005 */
    assert_int_equal(video(&s, 1, 0)->segment, 3);
    assert_int_equal(s.groups[2].count, 1);
    assert_non_null(strstr(s.groups[0].note, "clock jump"));
    assert_non_null(strstr(s.groups[1].note, "clock jump"));
    assert_non_null(strstr(s.groups[1].note, "starts 7197 s before"));
    assert_non_null(strstr(s.groups[2].note, "clock jump"));
    dc_group_set_free(&s);
}

static void test_telemetry_utc_places_the_video(void **state) {
    (void)state;
    /* two unnamed files whose NMEA sidecars say 09:26:53.000Z and 09:26:56.400Z UTC */
    const char *a = place(clip3, "utc", "one.mp4"), *b = place(clip3, "utc", "two.mp4");
    const char *videos[2] = {a, b};
    const int64_t starts[2] = {1773480413000LL, 1773480416400LL};
    for (int i = 0; i < 2; i++) {
        tw_scene sc;
        tw_scene_default(&sc);
        sc.duration_sec = 3;
        sc.utc0_ms = starts[i];
        tw_buf text = {0};
        assert_int_equal(tw_nmea_text(&sc, 1, false, &text), 0);
        char side[4200];
        snprintf(side, sizeof side, "%.*s.nmea", (int)(strrchr(videos[i], '.') - videos[i]),
                 videos[i]);
        assert_int_equal(tw_write_file(side, text.p, text.n), 0);
        tw_buf_free(&text);
    }
    dc_group_set s = group(videos, 2, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 1);
    assert_string_equal(video(&s, 0, 0)->start_source, "telemetry");
    assert_string_equal(video(&s, 0, 0)->start_time, "2026-03-14T09:26:53Z");
    /* own start from UTC (milliseconds), not right after the first */
    assert_true(fabs(video(&s, 0, 1)->offset_sec - 3.4) < 1e-6);
    assert_non_null(strstr(s.groups[0].note, "telemetry UTC"));
    dc_group_set_free(&s);
}

static void test_folders_are_read_recursively(void **state) {
    (void)state;
    place(clip3, "card/Normal/Front", "NO20220101-120000-000123.MP4");
    place(clip3, "card/Normal/Back", "NO20220101-120000-000123.MP4");
    place(clip3, "card/Normal/Front", "NO20220101-120003-000124.MP4");
    place(clip3, "card/Normal/Back", "NO20220101-120003-000124.MP4");
    place(clip3, "card/Normal/Back", "notes.txt");
    char card[4200];
    snprintf(card, sizeof card, "%s/card", dir);
    const char *paths[] = {card};
    char **list;
    int n;
    dc_status st;
    assert_int_equal(dc_group_expand_paths(paths, 1, &list, &n, &st), DC_OK);
    assert_int_equal(n, 4);
    assert_non_null(strstr(list[0], "Normal/Back/NO20220101-120000-000123.MP4")); /* sorted */
    dc_group_paths_free(list, n);
    dc_group_set s = group(paths, 1, DC_GROUP_AUTO);
    print_set(&s);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.groups[0].count, 4);
    assert_int_equal(video(&s, 0, 0)->role, DC_ROLE_FRONT);
    assert_int_equal(video(&s, 0, 1)->role, DC_ROLE_REAR);
    assert_true(fabs(video(&s, 0, 3)->offset_sec - 3.0) < 1e-6);
    assert_non_null(strstr(s.groups[0].claim_id, "NO20220101-120000-000123.MP4"));
    assert_non_null(strstr(video(&s, 0, 0)->path, "Front/"));
    dc_group_set_free(&s);
}

static void test_two_hundred_files_and_the_limit_per_claim(void **state) {
    (void)state;
    /* 40 BlackVue moments front + rear back to back (80 files: one trip, past the limit),
     * 6 VIOFO trips of 10 segments, and 60 files no camera named */
    char name[128];
    for (int k = 0; k < 40; k++)
        for (int ch = 0; ch < 2; ch++) {
            int sec = 3 * k;
            snprintf(name, sizeof name, "20240315_10%02d%02d_N%c.mp4", sec / 60, sec % 60,
                     ch ? 'R' : 'F');
            place(clip3, "many/blackvue", name);
        }
    for (int trip = 0; trip < 6; trip++)
        for (int k = 0; k < 10; k++) {
            int sec = 3 * k;
            snprintf(name, sizeof name, "2024_0316_%02d00%02d_%03dF.MP4", 10 + trip, sec,
                     trip * 10 + k + 1);
            place(clip3, "many/viofo", name);
        }
    for (int k = 0; k < 60; k++) {
        snprintf(name, sizeof name, "upload-%02d.mp4", k);
        place(clip3, "many/zz-other", name);
    }
    char many[4200];
    snprintf(many, sizeof many, "%s/many", dir);
    const char *paths[] = {many};
    dc_group_set s = group(paths, 1, DC_GROUP_AUTO);
    assert_int_equal(s.video_count, 200);
    assert_int_equal(s.count, 1 + 6 + 60);
    const dc_group *big = &s.groups[0]; /* many/blackvue comes first */
    fprintf(stderr, "%s\n", big->error);
    assert_int_equal(big->count, 80);
    assert_int_equal(big->error_class, DC_ERR_INPUT);
    assert_non_null(strstr(big->error, "'20240315_100000_NF.mp4'"));
    assert_non_null(strstr(big->error, "80 videos"));
    assert_non_null(strstr(big->error, "32"));
    dc_claim_input in;
    dc_group_claim_input(&s, 0, &in);
    assert_int_equal(in.count, 0);
    for (int g = 1; g <= 6; g++) {
        assert_int_equal(s.groups[g].error_class, DC_OK);
        assert_int_equal(s.groups[g].count, 10);
        dc_group_claim_input(&s, g, &in);
        assert_int_equal(in.count, 10);
        assert_true(fabs(in.videos[9].offset_sec - 27.0) < 1e-6);
    }
    for (int g = 7; g < s.count; g++) assert_int_equal(s.groups[g].count, 1);
    dc_group_set_free(&s);
}

static void test_a_passed_deadline_leaves_each_file_its_own_claim(void **state) {
    (void)state;
    const char *paths[] = {place(clip3, "late", "20240315_092653_NF.mp4"),
                           place(clip3, "late", "20240315_092653_NR.mp4")};
    dc_group_set s;
    dc_status st = DC_STATUS_OK;
    dc_deadline gone = dc_deadline_in(1e-9);
    usleep(1000);
    assert_int_equal(dc_group_videos(paths, 2, DC_GROUP_AUTO, gone, &s, &st), DC_OK);
    assert_true(st.degraded);
    assert_non_null(strstr(st.message, "2 of 2 files not probed"));
    assert_int_equal(s.count, 2);
    assert_non_null(strstr(s.groups[0].note, "deadline"));
    dc_group_set_free(&s);
    /* no input at all is the caller's mistake */
    assert_int_equal(dc_group_videos(NULL, 0, DC_GROUP_AUTO, gone, &s, &st), DC_ERR_INPUT);
    assert_int_equal(s.count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_front_and_rear_of_one_moment_are_one_claim),
        cmocka_unit_test(test_consecutive_segments_are_one_claim_on_one_timeline),
        cmocka_unit_test(test_a_ten_minute_gap_starts_a_new_claim),
        cmocka_unit_test(test_unknown_names_fall_back_to_creation_times),
        cmocka_unit_test(test_unknown_names_without_times_are_one_claim_each),
        cmocka_unit_test(test_two_copies_of_one_file_keep_one),
        cmocka_unit_test(test_clock_jumps_start_a_new_trip),
        cmocka_unit_test(test_telemetry_utc_places_the_video),
        cmocka_unit_test(test_folders_are_read_recursively),
        cmocka_unit_test(test_two_hundred_files_and_the_limit_per_claim),
        cmocka_unit_test(test_a_passed_deadline_leaves_each_file_its_own_claim),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
