/* The table of camera naming conventions (src/group/conventions.c): every row reads real
 * cameras' names (role, segment, local time, kind, key) and refuses near misses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/group.h"

typedef struct {
    const char *path;
    const char *convention;
    dc_video_role role;
    int segment;
    const char *time; /* "YYYY-MM-DD hh:mm:ss" */
    dc_recording_kind kind;
} name_case;

static void check(const name_case *c) {
    dc_name_info n;
    if (!dc_group_parse_name(c->path, &n)) fail_msg("%s: no row matched", c->path);
    if (strcmp(n.convention, c->convention))
        fail_msg("%s: row %s, expected %s", c->path, n.convention, c->convention);
    if (n.role != c->role)
        fail_msg("%s: role %s, expected %s", c->path, dc_video_role_name(n.role),
                 dc_video_role_name(c->role));
    if (n.segment != c->segment)
        fail_msg("%s: segment %d, expected %d", c->path, n.segment, c->segment);
    char t[32];
    snprintf(t, sizeof t, "%04d-%02d-%02d %02d:%02d:%02d", n.year, n.month, n.day, n.hour, n.minute,
             n.second);
    if (strcmp(t, c->time)) fail_msg("%s: time %s, expected %s", c->path, t, c->time);
    if (n.kind != c->kind)
        fail_msg("%s: kind %s, expected %s", c->path, dc_recording_kind_name(n.kind),
                 dc_recording_kind_name(c->kind));
}

static void test_every_row_reads_its_names(void **state) {
    (void)state;
    static const name_case cases[] = {
        /* BlackVue: N/E/P/M, F/R/I */
        {"/sd/Record/20190612_143500_NF.mp4", "blackvue", DC_ROLE_FRONT, -1, "2019-06-12 14:35:00",
         DC_RECORDING_NORMAL},
        {"20190612_143500_NR.mp4", "blackvue", DC_ROLE_REAR, -1, "2019-06-12 14:35:00",
         DC_RECORDING_NORMAL},
        {"20190612_143601_EI.MP4", "blackvue", DC_ROLE_INTERIOR, -1, "2019-06-12 14:36:01",
         DC_RECORDING_EVENT},
        {"20240229_235959_PF.mp4", "blackvue", DC_ROLE_FRONT, -1, "2024-02-29 23:59:59",
         DC_RECORDING_PARKING},
        {"20240101_000000_MR.mp4", "blackvue", DC_ROLE_REAR, -1, "2024-01-01 00:00:00",
         DC_RECORDING_MANUAL},
        /* VIOFO (A129 and older): NNN, optional P/E, F/R/I, none = a one-camera model */
        {"DCIM/Movie/2020_0101_000003_001F.MP4", "viofo", DC_ROLE_FRONT, 1, "2020-01-01 00:00:03",
         DC_RECORDING_NORMAL},
        {"2020_0101_000003_002R.MP4", "viofo", DC_ROLE_REAR, 2, "2020-01-01 00:00:03",
         DC_RECORDING_NORMAL},
        {"2021_0715_183012_117PF.MP4", "viofo", DC_ROLE_FRONT, 117, "2021-07-15 18:30:12",
         DC_RECORDING_PARKING},
        {"2021_0715_183012_118ER.MP4", "viofo", DC_ROLE_REAR, 118, "2021-07-15 18:30:12",
         DC_RECORDING_EVENT},
        {"2019_0612_143500_009.MP4", "viofo", DC_ROLE_FRONT, 9, "2019-06-12 14:35:00",
         DC_RECORDING_NORMAL},
        /* VIOFO newer */
        {"20230615123456_000123.MP4", "viofo-new", DC_ROLE_FRONT, 123, "2023-06-15 12:34:56",
         DC_RECORDING_NORMAL},
        {"20230615123456_000124R.MP4", "viofo-new", DC_ROLE_REAR, 124, "2023-06-15 12:34:56",
         DC_RECORDING_NORMAL},
        {"20230615123456_000125EI.MP4", "viofo-new", DC_ROLE_INTERIOR, 125, "2023-06-15 12:34:56",
         DC_RECORDING_EVENT},
        /* 70mai: prefixes, letters, and the folders Normal/Front, Normal/Back, Normal/Interior */
        {"NO20220101-120000-000123F.MP4", "70mai", DC_ROLE_FRONT, 123, "2022-01-01 12:00:00",
         DC_RECORDING_NORMAL},
        {"NO20220101-120000-000123B.MP4", "70mai", DC_ROLE_REAR, 123, "2022-01-01 12:00:00",
         DC_RECORDING_NORMAL},
        {"EV20220101-120100-000007I.MP4", "70mai", DC_ROLE_INTERIOR, 7, "2022-01-01 12:01:00",
         DC_RECORDING_EVENT},
        {"PA20220101-230000-000001F.MP4", "70mai", DC_ROLE_FRONT, 1, "2022-01-01 23:00:00",
         DC_RECORDING_PARKING},
        {"LA20220101-230000-000002F.MP4", "70mai", DC_ROLE_FRONT, 2, "2022-01-01 23:00:00",
         DC_RECORDING_PARKING},
        {"/card/Normal/Back/NO20220101-120000-000123.MP4", "70mai", DC_ROLE_REAR, 123,
         "2022-01-01 12:00:00", DC_RECORDING_NORMAL},
        {"/card/Normal/Interior/NO20220101-120000-000123.MP4", "70mai", DC_ROLE_INTERIOR, 123,
         "2022-01-01 12:00:00", DC_RECORDING_NORMAL},
        {"/card/Normal/Front/NO20220101-120000-000123.MP4", "70mai", DC_ROLE_FRONT, 123,
         "2022-01-01 12:00:00", DC_RECORDING_NORMAL},
        /* Nextbase: yyMMdd, NNN, F/R/B, H/L; Protected = event */
        {"240315_092653_001_FH.MP4", "nextbase", DC_ROLE_FRONT, 1, "2024-03-15 09:26:53",
         DC_RECORDING_NORMAL},
        {"240315_092653_001_RH.MP4", "nextbase", DC_ROLE_REAR, 1, "2024-03-15 09:26:53",
         DC_RECORDING_NORMAL},
        {"240315_092653_001_BL.MP4", "nextbase", DC_ROLE_INTERIOR, 1, "2024-03-15 09:26:53",
         DC_RECORDING_NORMAL},
        {"DCIM/Protected/240315_092753_002_F.MP4", "nextbase", DC_ROLE_FRONT, 2,
         "2024-03-15 09:27:53", DC_RECORDING_EVENT},
        /* Vantrue: A/B/C */
        {"20200101_120000_00001_0_A.MP4", "vantrue", DC_ROLE_FRONT, 1, "2020-01-01 12:00:00",
         DC_RECORDING_NORMAL},
        {"20200101_120000_00001_0_B.MP4", "vantrue", DC_ROLE_REAR, 1, "2020-01-01 12:00:00",
         DC_RECORDING_NORMAL},
        {"Event/20200101_120300_00004_1_C.MP4", "vantrue", DC_ROLE_INTERIOR, 4,
         "2020-01-01 12:03:00", DC_RECORDING_EVENT},
        /* Thinkware: REC/EVT/PARK/MAN, F/R */
        {"REC_2019_06_12_14_35_00_F.MP4", "thinkware", DC_ROLE_FRONT, -1, "2019-06-12 14:35:00",
         DC_RECORDING_NORMAL},
        {"EVT_2019_06_12_14_36_00_R.MP4", "thinkware", DC_ROLE_REAR, -1, "2019-06-12 14:36:00",
         DC_RECORDING_EVENT},
        {"PARK_2019_06_12_22_00_00_F.MP4", "thinkware", DC_ROLE_FRONT, -1, "2019-06-12 22:00:00",
         DC_RECORDING_PARKING},
        {"MAN_2019_06_12_14_37_00_R.MP4", "thinkware", DC_ROLE_REAR, -1, "2019-06-12 14:37:00",
         DC_RECORDING_MANUAL},
        /* Tesla: words; RecentClips / SavedClips / SentryClips two folders up */
        {"TeslaCam/RecentClips/2023-05-01_10-15-30-front.mp4", "tesla", DC_ROLE_FRONT, -1,
         "2023-05-01 10:15:30", DC_RECORDING_NORMAL},
        {"TeslaCam/RecentClips/2023-05-01_10-15-30-back.mp4", "tesla", DC_ROLE_REAR, -1,
         "2023-05-01 10:15:30", DC_RECORDING_NORMAL},
        {"TeslaCam/SavedClips/2023-05-01_10-20-00/2023-05-01_10-15-30-left_repeater.mp4", "tesla",
         DC_ROLE_LEFT, -1, "2023-05-01 10:15:30", DC_RECORDING_MANUAL},
        {"TeslaCam/SentryClips/2023-05-01_22-00-00/2023-05-01_21-59-00-right_repeater.mp4", "tesla",
         DC_ROLE_RIGHT, -1, "2023-05-01 21:59:00", DC_RECORDING_PARKING},
        {"2023-05-01_10-15-30-left_pillar.mp4", "tesla", DC_ROLE_LEFT, -1, "2023-05-01 10:15:30",
         DC_RECORDING_NORMAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check(&cases[i]);
    /* every row of the table has at least one case above */
    for (int r = 0; r < dc_group_convention_count(); r++) {
        bool seen = false;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            seen |= !strcmp(cases[i].convention, dc_group_convention_name(r));
        if (!seen) fail_msg("row %s has no test", dc_group_convention_name(r));
    }
}

static void test_near_misses_match_no_row(void **state) {
    (void)state;
    static const char *const misses[] = {
        "",
        "clip.mp4",
        "VID_20240315_092653.mp4",       /* a phone */
        "20190612_143500_NX.mp4",        /* BlackVue: no role X */
        "20190612_143500_XF.mp4",        /* BlackVue: no kind X */
        "20190612_143500_NF1.mp4",       /* trailing byte */
        "2019061_143500_NF.mp4",         /* 7-digit date */
        "20191312_143500_NF.mp4",        /* month 13 */
        "20190230_143500_NF.mp4",        /* 30 February */
        "20230229_120000_NF.mp4",        /* 29 February, not a leap year */
        "20190612_243500_NF.mp4",        /* hour 24 */
        "20190612_146000_NF.mp4",        /* minute 60 */
        "2020_0101_000003_01F.MP4",      /* VIOFO: two-digit segment */
        "2020_0101_000003_001X.MP4",     /* VIOFO: role X */
        "20230615123456_00012.MP4",      /* VIOFO new: five digits */
        "XX20220101-120000-000123F.MP4", /* 70mai: no such prefix */
        "NO20220101-120000-00012F.MP4",  /* 70mai: five digits */
        "240315_092653_001_FX.MP4",      /* Nextbase: resolution X */
        "240315_092653_001_X.MP4",       /* Nextbase: role X */
        "20200101_120000_00001_0_D.MP4", /* Vantrue: channel D */
        "20200101_120000_0001_0_A.MP4",  /* Vantrue: four digits */
        "REC_2019_06_12_14_35_00_I.MP4", /* Thinkware has no I */
        "ABC_2019_06_12_14_35_00_F.MP4", /* Thinkware: no such prefix */
        "2023-05-01_10-15-30-top.mp4",   /* Tesla: no camera 'top' */
        "2023-05-01_10-15-30-front_x.mp4",
        "2023-05-01_10-15-3-front.mp4",
        "/dir/",
        "20190612_143500_NF", /* no extension is read as the stem: matches; checked below */
    };
    for (size_t i = 0; i + 1 < sizeof misses / sizeof misses[0]; i++) {
        dc_name_info n;
        if (dc_group_parse_name(misses[i], &n))
            fail_msg("'%s' matched row %s", misses[i], n.convention);
        assert_int_equal(n.segment, -1);
        assert_int_equal(n.role, DC_ROLE_UNKNOWN);
    }
    dc_name_info n;
    assert_true(dc_group_parse_name("20190612_143500_NF", &n));
    assert_false(dc_group_parse_name(NULL, &n));
    /* a name longer than any camera's is refused without being read past its end */
    char longname[600];
    memset(longname, '1', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_false(dc_group_parse_name(longname, &n));
}

static void test_channels_share_a_key_segments_do_not(void **state) {
    (void)state;
    dc_name_info f, r, next, event;
    assert_true(dc_group_parse_name("2020_0101_000003_001F.MP4", &f));
    assert_true(dc_group_parse_name("2020_0101_000003_002R.MP4", &r));
    assert_true(dc_group_parse_name("2020_0101_000103_003F.MP4", &next));
    assert_true(dc_group_parse_name("2020_0101_000003_004EF.MP4", &event));
    assert_string_equal(f.key, r.key); /* VIOFO numbers each file: the key has no number */
    assert_string_not_equal(f.key, next.key);
    assert_string_not_equal(f.key, event.key);
    assert_int_equal(next.local_sec - f.local_sec, 60);
    /* local_sec is the calendar read as if UTC */
    assert_true(dc_group_parse_name("19700101_000010_NF.mp4", &f));
    assert_int_equal(f.local_sec, 10);
    assert_true(dc_group_parse_name("20000301_000000_NF.mp4", &f));
    assert_int_equal(f.local_sec, 951868800);
}

static void test_mode_names(void **state) {
    (void)state;
    dc_group_mode m;
    assert_true(dc_group_mode_from_name("auto", &m));
    assert_int_equal(m, DC_GROUP_AUTO);
    assert_true(dc_group_mode_from_name("all", &m));
    assert_int_equal(m, DC_GROUP_ALL);
    assert_true(dc_group_mode_from_name("none", &m));
    assert_int_equal(m, DC_GROUP_NONE);
    assert_false(dc_group_mode_from_name("AUTO", &m));
    assert_false(dc_group_mode_from_name(NULL, &m));
    assert_string_equal(dc_group_mode_name(DC_GROUP_ALL), "all");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_reads_its_names),
        cmocka_unit_test(test_near_misses_match_no_row),
        cmocka_unit_test(test_channels_share_a_key_segments_do_not),
        cmocka_unit_test(test_mode_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
