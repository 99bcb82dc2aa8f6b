/* synth-video's recordings (synth-video --out DIR): what the grouping and the multi-video
 * pipeline get as input must be what real cameras leave on a card.
 *  - names: every brand's front, rear and cabin (or side) channel of two segments, against
 *    the names public samples show (written out here, not computed), and the grouping
 *    (dc_group_parse_name) reads each back as that brand, channel and time;
 *  - creation_time: each file's container tag is the camera clock at its first frame, across
 *    midnight and through a clock jump;
 *  - continuity: the plain scene's burned-in clock runs on from the last frame of a segment to
 *    the first of the next (no gap, no repeat) and its sound does too;
 *  - variants: a silent rear channel that starts late and stops early, an undecodable cabin
 *    channel;
 *  - the rear-end pair: the impact is in the rear file at the labelled time (0.5 s after the
 *    segment boundary): the rear picture jolts and the bang sounds there; the front picture
 *    barely moves. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libavformat/avformat.h>

#include "dashclaim/group.h"
#include "dashclaim/media.h"
#include "scene_plain.h"

/* Writes DC_TEST_TMP/synth/<name> with `synth-video <args> --out ...`; its path in dir. */
static void make_recording(const char *name, const char *args, char *dir, size_t size) {
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    if (!tmp || !bin) fail_msg("DC_TEST_TMP and DC_BIN must be set (run through ctest)");
    snprintf(dir, size, "%s/synth/%s", tmp, name);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s/synth' && '%s/synth-video' %s --out '%s' >/dev/null", dir,
             tmp, bin, args, dir);
    if (system(cmd) != 0) fail_msg("synth-video failed: %s", cmd);
}

static void path_in(const char *dir, const char *rel, char *out, size_t size) {
    snprintf(out, size, "%s/%s", dir, rel);
}

static bool exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void assert_contains(const char *text, const char *needle) {
    if (!strstr(text, needle)) fail_msg("missing %s in %s", needle, text);
}

/* The container's creation_time tag, as FFmpeg reads it back ("" when none). */
static void creation_time(const char *path, char *out, size_t size) {
    AVFormatContext *fmt = NULL;
    out[0] = '\0';
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0) fail_msg("cannot open %s", path);
    const AVDictionaryEntry *e = av_dict_get(fmt->metadata, "creation_time", NULL, 0);
    if (e) snprintf(out, size, "%s", e->value);
    avformat_close_input(&fmt);
}

static dc_media *open_media(const char *path) {
    dc_status st;
    dc_media *m = dc_media_open(path, dc_deadline_in(60), &st);
    if (!m) fail_msg("open %s: %s", path, st.message);
    return m;
}

/* ---- names ---------------------------------------------------------------------------- */

static const struct {
    const char *brand, *channels;
    const char *files[8]; /* segment 0 and 1 of each channel */
} conventions[] = {
    {"blackvue",
     "front,rear,interior",
     {"20260314_120300_NF.mp4", "20260314_120301_NF.mp4", "20260314_120300_NR.mp4",
      "20260314_120301_NR.mp4", "20260314_120300_NI.mp4", "20260314_120301_NI.mp4"}},
    {"viofo",
     "front,rear,interior",
     {"2026_0314_120300_001F.MP4", "2026_0314_120301_002F.MP4", "2026_0314_120300_001R.MP4",
      "2026_0314_120301_002R.MP4", "2026_0314_120300_001I.MP4", "2026_0314_120301_002I.MP4"}},
    {"70mai",
     "front,rear,interior",
     {"Normal/Front/NO20260314-120300-000001F.MP4", "Normal/Front/NO20260314-120301-000002F.MP4",
      "Normal/Back/NO20260314-120300-000001B.MP4", "Normal/Back/NO20260314-120301-000002B.MP4",
      "Normal/Interior/NO20260314-120300-000001I.MP4",
      "Normal/Interior/NO20260314-120301-000002I.MP4"}},
    {"nextbase",
     "front,rear,interior",
     {"260314_120300_001_FH.MP4", "260314_120301_002_FH.MP4", "260314_120300_001_RH.MP4",
      "260314_120301_002_RH.MP4", "260314_120300_001_BH.MP4", "260314_120301_002_BH.MP4"}},
    {"vantrue",
     "front,rear,interior",
     {"20260314_120300_00001_0_A.MP4", "20260314_120301_00002_0_A.MP4",
      "20260314_120300_00001_0_B.MP4", "20260314_120301_00002_0_B.MP4",
      "20260314_120300_00001_0_C.MP4", "20260314_120301_00002_0_C.MP4"}},
    {"thinkware",
     "front,rear",
     {"REC_2026_03_14_12_03_00_F.MP4", "REC_2026_03_14_12_03_01_F.MP4",
      "REC_2026_03_14_12_03_00_R.MP4", "REC_2026_03_14_12_03_01_R.MP4"}},
    {"tesla",
     "front,rear,left,right",
     {"TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-00-front.mp4",
      "TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-01-front.mp4",
      "TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-00-back.mp4",
      "TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-01-back.mp4",
      "TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-00-left_repeater.mp4",
      "TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-01-left_repeater.mp4",
      "TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-00-right_repeater.mp4",
      "TeslaCam/SavedClips/2026-03-14_12-03-00/2026-03-14_12-03-01-right_repeater.mp4"}},
};

static void names_of_every_brand(void **state) {
    (void)state;
    for (size_t b = 0; b < sizeof conventions / sizeof conventions[0]; b++) {
        char dir[4096], args[512], path[8192];
        snprintf(args, sizeof args,
                 "--scene normal --camera %s --channels %s --size 64x36 --fps 10 --segments 2 "
                 "--segment-sec 1 --start 2026-03-14T12:03:00",
                 conventions[b].brand, conventions[b].channels);
        make_recording(conventions[b].brand, args, dir, sizeof dir);
        char channels[64], *role[4] = {0}, *save = NULL;
        snprintf(channels, sizeof channels, "%s", conventions[b].channels);
        role[0] = strtok_r(channels, ",", &save);
        for (int c = 1; c < 4 && role[c - 1]; c++) role[c] = strtok_r(NULL, ",", &save);
        int files = 0;
        for (int i = 0; i < 8 && conventions[b].files[i]; i++, files++) {
            path_in(dir, conventions[b].files[i], path, sizeof path);
            if (!exists(path)) fail_msg("%s: no %s", conventions[b].brand, conventions[b].files[i]);
            /* and the grouping reads each name back: brand, channel, the segment's time */
            dc_name_info n;
            if (!dc_group_parse_name(path, &n))
                fail_msg("the grouping does not read %s", conventions[b].files[i]);
            assert_string_equal(n.convention, conventions[b].brand);
            assert_string_equal(dc_video_role_name(n.role), role[i / 2]);
            assert_int_equal(n.hour * 3600 + n.minute * 60 + n.second, 12 * 3600 + 3 * 60 + i % 2);
        }
        /* every file is listed in the recording's label, and only those */
        path_in(dir, "recording.label.json", path, sizeof path);
        char *label = slurp(path);
        int listed = 0;
        for (const char *p = label; (p = strstr(p, "\"creation_time\"")); p++) listed++;
        assert_int_equal(listed, files);
        free(label);
    }
    /* a channel the camera does not have is refused */
    const char *tmp = getenv("DC_TEST_TMP"), *bin = getenv("DC_BIN");
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s/synth-video' --scene normal --camera thinkware --channels front,interior "
             "--size 64x36 --duration 1 --out '%s/synth/refused' 2>/dev/null",
             bin, tmp);
    assert_int_not_equal(system(cmd), 0);
}

/* ---- creation times -------------------------------------------------------------------- */

static void creation_times_follow_the_camera_clock(void **state) {
    (void)state;
    char dir[4096], path[8192], ct[64];
    /* across midnight, and the camera sets its clock an hour ahead from the third segment on */
    make_recording("clock",
                   "--scene normal --size 64x36 --fps 10 --segments 3 --segment-sec 2 "
                   "--start 2026-03-14T23:59:58 --clock-jump 2=3600",
                   dir, sizeof dir);
    static const struct {
        const char *file, *tag;
    } want[] = {
        {"20260314_235958_NF.mp4", "2026-03-14T23:59:58"},
        {"20260315_000000_NF.mp4", "2026-03-15T00:00:00"},
        {"20260315_010002_NF.mp4", "2026-03-15T01:00:02"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        path_in(dir, want[i].file, path, sizeof path);
        creation_time(path, ct, sizeof ct);
        if (strncmp(ct, want[i].tag, strlen(want[i].tag)) != 0)
            fail_msg("%s: creation_time '%s', want %s", want[i].file, ct, want[i].tag);
    }
}

/* ---- continuity across segment boundaries ---------------------------------------------- */

#define CONT_FPS 25
#define CONT_SEG 1.5 /* 37.5 frames: the boundary falls between frames */

/* Goertzel power of f Hz over [a, b) of the pcm (seconds of the file). */
static double tone_power(const dc_pcm *pcm, double f, double a, double b) {
    size_t i0 = (size_t)((a - pcm->start_sec) * pcm->rate),
           i1 = (size_t)((b - pcm->start_sec) * pcm->rate);
    if (i1 > pcm->count) i1 = pcm->count;
    double w = 2 * M_PI * f / pcm->rate, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = i0; i < i1; i++) {
        double s0 = pcm->samples[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double n = (double)(i1 > i0 ? i1 - i0 : 1);
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n);
}

static void segments_continue_each_other(void **state) {
    (void)state;
    char dir[4096], path[8192];
    make_recording("continuity",
                   "--scene plain --size 160x120 --fps 25 --segments 3 --segment-sec 1.5 "
                   "--channels front,rear --camera viofo",
                   dir, sizeof dir);
    static const char *const channel_files[2][3] = {
        {"2026_0314_120300_001F.MP4", "2026_0314_120301_002F.MP4", "2026_0314_120303_003F.MP4"},
        {"2026_0314_120300_001R.MP4", "2026_0314_120301_002R.MP4", "2026_0314_120303_003R.MP4"}};
    for (int c = 0; c < 2; c++) {
        long next_cs = 0; /* the clock the next frame must show: frame g shows 4 g cs */
        int total = 0;
        for (int k = 0; k < 3; k++) {
            path_in(dir, channel_files[c][k], path, sizeof path);
            dc_media *m = open_media(path);
            dc_sample_request req = {.fps = CONT_FPS, .mode = DC_SAMPLE_EXACT};
            dc_frame_set fs;
            dc_status st;
            assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(60), &fs, &st), DC_OK);
            assert_true(fs.count > 30);
            assert_true(fs.frames[0].t_sec < 0.5 / CONT_FPS); /* each file starts at 0 */
            for (int i = 0; i < fs.count; i++) {
                const dc_frame *f = &fs.frames[i];
                long cs = sv_plain_read_clock(f->rgb, f->width, f->height, f->stride);
                if (cs != next_cs)
                    fail_msg("%s frame %d shows %ld cs, want %ld (the previous one + 1/%d s)",
                             channel_files[c][k], i, cs, next_cs, CONT_FPS);
                next_cs += 100 / CONT_FPS;
            }
            total += fs.count;
            dc_frame_set_free(&fs);
            dc_media_close(m);
        }
        /* 4.5 s at 25 fps: 112.5 frames, the last one starting before 4.5 s */
        assert_int_equal(total, 113);
    }
    /* the sound runs on the same clock: the plain scene beeps (1 kHz) in the first quarter of
     * every even second of its clock. Segment 2 starts at frame 38 (1.52 s): its beep is at
     * 0.48-0.73 s of the file; segment 3 starts at frame 75 (3.0 s): at 1.0-1.25 s. */
    static const struct {
        int k;
        double beep_at;
    } beeps[] = {{1, 0.48}, {2, 1.0}};
    for (size_t i = 0; i < 2; i++) {
        path_in(dir, channel_files[0][beeps[i].k], path, sizeof path);
        dc_media *m = open_media(path);
        dc_pcm pcm;
        dc_status st;
        assert_int_equal(dc_media_audio(m, 0, 0, 16000, dc_deadline_in(60), &pcm, &st), DC_OK);
        double b = beeps[i].beep_at;
        double on = tone_power(&pcm, 1000, b + 0.05, b + 0.2);
        double off = tone_power(&pcm, 1000, b - 0.4, b - 0.1);
        print_message("segment %d: 1 kHz power %.3g at its beep, %.3g before\n", beeps[i].k + 1, on,
                      off);
        if (!(on > 20 * off))
            fail_msg("segment %d: 1 kHz power %.3g at its beep, %.3g before", beeps[i].k + 1, on,
                     off);
        dc_pcm_free(&pcm);
        dc_media_close(m);
    }
}

/* ---- variants ----------------------------------------------------------------------------- */

static void silent_shorter_and_undecodable_channels(void **state) {
    (void)state;
    char dir[4096], path[8192];
    make_recording("variants",
                   "--pair rear-end --channels front,rear,interior --size 96x54 --fps 10 "
                   "--segments 2 --segment-sec 2 --silent rear --shorter rear=1.5 --late rear=1.2 "
                   "--undecodable interior",
                   dir, sizeof dir);
    dc_media_info info;
    dc_status st;
    path_in(dir, "20260314_120302_NF.mp4", path, sizeof path);
    assert_int_equal(dc_media_probe(path, dc_deadline_in(30), &info, &st), DC_OK);
    assert_true(info.has_audio);
    assert_true(fabs(info.duration_sec - 2.0) < 0.15);
    /* the rear: no sound, and its second file stops 1.5 s early */
    path_in(dir, "20260314_120302_NR.mp4", path, sizeof path);
    assert_int_equal(dc_media_probe(path, dc_deadline_in(30), &info, &st), DC_OK);
    assert_false(info.has_audio);
    if (!(fabs(info.duration_sec - 0.5) < 0.15))
        fail_msg("shorter rear file lasts %.3f s, want 0.5", info.duration_sec);
    /* and starts 1.2 s late: its first file runs from 1.2 s to the boundary at 2 s, named by
     * the second it starts in; there is no rear file of 12:03:00 */
    path_in(dir, "20260314_120301_NR.mp4", path, sizeof path);
    assert_int_equal(dc_media_probe(path, dc_deadline_in(30), &info, &st), DC_OK);
    if (!(fabs(info.duration_sec - 0.8) < 0.15))
        fail_msg("late rear file lasts %.3f s, want 0.8", info.duration_sec);
    path_in(dir, "20260314_120300_NR.mp4", path, sizeof path);
    assert_false(exists(path));
    /* the cabin: opens and names its codec and size, but no frame decodes */
    path_in(dir, "20260314_120300_NI.mp4", path, sizeof path);
    dc_media *m = open_media(path);
    assert_string_equal(dc_media_get_info(m)->video_codec, "h264");
    assert_int_equal(dc_media_get_info(m)->width, 96);
    dc_sample_request req = {.count = 5};
    dc_frame_set fs = {0};
    dc_error_class ec = dc_frames_sample(m, &req, dc_deadline_in(30), &fs, &st);
    if (ec == DC_OK) {
        assert_int_equal(fs.count, 0);
        dc_frame_set_free(&fs);
    }
    dc_media_close(m);
    /* the label says so */
    path_in(dir, "recording.label.json", path, sizeof path);
    char *label = slurp(path);
    assert_contains(label, "{\"file\": \"20260314_120302_NR.mp4\", \"channel\": \"rear\", "
                           "\"segment\": 1, \"number\": 2, \"offset_sec\": 2.000, "
                           "\"duration_sec\": 0.500, \"creation_time\": \"2026-03-14T12:03:02Z\", "
                           "\"audio\": false, \"decodes\": true}");
    assert_contains(label, "\"channel\": \"interior\", \"segment\": 0, \"number\": 1, "
                           "\"offset_sec\": 0.000, \"duration_sec\": 2.000, \"creation_time\": "
                           "\"2026-03-14T12:03:00Z\", \"audio\": true, \"decodes\": false}");
    assert_contains(label, "{\"file\": \"20260314_120301_NR.mp4\", \"channel\": \"rear\", "
                           "\"segment\": 0, \"number\": 1, \"offset_sec\": 1.200, "
                           "\"duration_sec\": 0.800, \"creation_time\": \"2026-03-14T12:03:01Z\"");
    free(label);
}

/* ---- the rear-end pair -------------------------------------------------------------------- */

/* Mean absolute difference between consecutive thumbnails; diff[i] is between i - 1 and i. */
static double *motion(const char *path, dc_thumb_set *ts) {
    dc_media *m = open_media(path);
    dc_thumb_request req = {.width = 80, .height = 45, .every_kth = 1};
    dc_status st;
    assert_int_equal(dc_media_thumbnails(m, &req, dc_deadline_in(60), ts, &st), DC_OK);
    dc_media_close(m);
    double *diff = calloc((size_t)ts->count, sizeof *diff);
    assert_non_null(diff);
    int n = ts->width * ts->height;
    for (int i = 1; i < ts->count; i++) {
        long sum = 0;
        for (int p = 0; p < n; p++)
            sum += labs((long)ts->thumbs[i].gray[p] - (long)ts->thumbs[i - 1].gray[p]);
        diff[i] = (double)sum / n;
    }
    return diff;
}

static double rms(const dc_pcm *pcm, double a, double b) {
    size_t i0 = (size_t)((a - pcm->start_sec) * pcm->rate),
           i1 = (size_t)((b - pcm->start_sec) * pcm->rate);
    if (i1 > pcm->count) i1 = pcm->count;
    double acc = 0;
    for (size_t i = i0; i < i1; i++) acc += (double)pcm->samples[i] * pcm->samples[i];
    return sqrt(acc / (double)(i1 > i0 ? i1 - i0 : 1));
}

static void rear_end_is_in_the_rear_file(void **state) {
    (void)state;
    char dir[4096], path[8192];
    /* the impact 0.5 s after the boundary between the two segments */
    make_recording("rear-end",
                   "--pair rear-end --size 160x90 --segments 2 --segment-sec 4 --incident-at 4.5",
                   dir, sizeof dir);
    path_in(dir, "recording.label.json", path, sizeof path);
    char *label = slurp(path);
    assert_contains(label, "\"type\": \"collision\"");
    assert_contains(label, "\"incident_sec\": 4.500");
    assert_contains(label, "\"scenario\": \"rear_end\"");
    assert_contains(label, "\"seen_by\": \"rear\"");
    assert_contains(label, "{\"channel\": \"rear\", \"file\": \"20260314_120304_NR.mp4\", "
                           "\"segment\": 1, \"sec_in_file\": 0.500, \"seen\": true}");
    free(label);
    /* each file's own label places it too; the first segment shows ordinary driving */
    path_in(dir, "20260314_120304_NR.mp4.label.json", path, sizeof path);
    label = slurp(path);
    assert_contains(label, "\"incident_sec\": 0.500");
    assert_contains(label, "\"channel\": \"rear\"");
    free(label);
    path_in(dir, "20260314_120300_NR.mp4.label.json", path, sizeof path);
    label = slurp(path);
    assert_contains(label, "\"type\": \"normal\", \"severity\": \"NONE\", \"incident_sec\": null");
    assert_contains(label, "\"incident_elsewhere\": \"collision\"");
    free(label);

    /* the rear picture moves most at the impact; the front one barely moves then */
    dc_thumb_set rear_ts, front_ts;
    path_in(dir, "20260314_120304_NR.mp4", path, sizeof path);
    double *rear = motion(path, &rear_ts);
    path_in(dir, "20260314_120304_NF.mp4", path, sizeof path);
    double *front = motion(path, &front_ts);
    int peak = 1;
    for (int i = 1; i < rear_ts.count; i++)
        if (rear[i] > rear[peak]) peak = i;
    double t_peak = rear_ts.thumbs[peak].t_sec;
    if (!(t_peak > 0.3 && t_peak < 0.9))
        fail_msg("the rear picture moves most at %.3f s of its file, the impact is at 0.5", t_peak);
    double front_max = 0;
    for (int i = 1; i < front_ts.count; i++)
        if (fabs(front_ts.thumbs[i].t_sec - 0.5) < 0.5 && front[i] > front_max)
            front_max = front[i];
    print_message("rear moves most at %.3f s (%.2f); front at most %.2f near the impact\n", t_peak,
                  rear[peak], front_max);
    if (!(front_max < 0.5 * rear[peak]))
        fail_msg("front moves %.2f at the impact, rear %.2f: the front should barely see it",
                 front_max, rear[peak]);
    free(rear);
    free(front);
    dc_thumb_set_free(&rear_ts);
    dc_thumb_set_free(&front_ts);

    /* the bang on the rear file's sound track at the impact, far louder than the rear file
     * before it (2.5-3 s of the first segment: before any tyre squeal) */
    double levels[2];
    static const char *const files[2] = {"20260314_120300_NR.mp4", "20260314_120304_NR.mp4"};
    static const double from[2] = {2.5, 0.5}, to[2] = {3.0, 0.7};
    for (int i = 0; i < 2; i++) {
        path_in(dir, files[i], path, sizeof path);
        dc_media *m = open_media(path);
        dc_pcm pcm;
        dc_status st;
        assert_int_equal(dc_media_audio(m, 0, 0, 16000, dc_deadline_in(60), &pcm, &st), DC_OK);
        levels[i] = rms(&pcm, from[i], to[i]);
        dc_pcm_free(&pcm);
        dc_media_close(m);
    }
    print_message("rear sound %.4f at the impact, %.4f before\n", levels[1], levels[0]);
    if (!(levels[1] > 3 * levels[0]))
        fail_msg("rear sound: %.4f at the impact, %.4f before", levels[1], levels[0]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_of_every_brand),
        cmocka_unit_test(creation_times_follow_the_camera_clock),
        cmocka_unit_test(segments_continue_each_other),
        cmocka_unit_test(silent_shorter_and_undecodable_channels),
        cmocka_unit_test(rear_end_is_in_the_rear_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
