/* Dashcam file names per brand (camera_names.h). Each brand is one function from the segment's
 * wall-clock fields, its counter and the channel to a path; the channel letters are the ones
 * public samples show (issue 26's table). */
#define _DEFAULT_SOURCE /* timegm, gmtime_r */
#include "camera_names.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const role_names[SV_CAMERA_COUNT] = {"front", "rear", "interior", "left",
                                                        "right"};

const char *sv_camera_role_name(sv_camera c) {
    return c >= 0 && c < SV_CAMERA_COUNT ? role_names[c] : "unknown";
}

bool sv_camera_from_role_name(const char *name, sv_camera *out) {
    for (int i = 0; i < SV_CAMERA_COUNT; i++) {
        if (!strcmp(name, role_names[i])) {
            *out = (sv_camera)i;
            return true;
        }
    }
    return false;
}

/* The wall clock's fields. */
typedef struct {
    int year, mon, day, hour, min, sec;
} wall;

static wall wall_of(int64_t when) {
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    return (wall){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
}

/* snprintf that reports truncation as failure. */
#define PUT(...) (n = snprintf(buf, size, __VA_ARGS__), n > 0 && (size_t)n < size)

/* BlackVue: 20260314_120300_NF.mp4 (N normal; F, R, I). */
static bool blackvue(wall w, sv_camera c, int number, wall start, char *buf, size_t size) {
    (void)number, (void)start;
    static const char ch[] = {'F', 'R', 'I'};
    if (c > SV_CAMERA_INTERIOR) return false;
    int n;
    return PUT("%04d%02d%02d_%02d%02d%02d_N%c.mp4", w.year, w.mon, w.day, w.hour, w.min, w.sec,
               ch[c]);
}

/* VIOFO: 2026_0314_120300_001F.MP4 (F, R, I). */
static bool viofo(wall w, sv_camera c, int number, wall start, char *buf, size_t size) {
    (void)start;
    static const char ch[] = {'F', 'R', 'I'};
    if (c > SV_CAMERA_INTERIOR) return false;
    int n;
    return PUT("%04d_%02d%02d_%02d%02d%02d_%03d%c.MP4", w.year, w.mon, w.day, w.hour, w.min, w.sec,
               number % 1000, ch[c]);
}

/* 70mai: Normal/Front/NO20260314-120300-000001F.MP4 (Back ...B, Interior ...I). */
static bool seventy_mai(wall w, sv_camera c, int number, wall start, char *buf, size_t size) {
    (void)start;
    static const char *const dir[] = {"Front", "Back", "Interior"};
    static const char ch[] = {'F', 'B', 'I'};
    if (c > SV_CAMERA_INTERIOR) return false;
    int n;
    return PUT("Normal/%s/NO%04d%02d%02d-%02d%02d%02d-%06d%c.MP4", dir[c], w.year, w.mon, w.day,
               w.hour, w.min, w.sec, number % 1000000, ch[c]);
}

/* Nextbase: 260314_120300_001_FH.MP4 (F, R, B for the cabin; H: the high-resolution file). */
static bool nextbase(wall w, sv_camera c, int number, wall start, char *buf, size_t size) {
    (void)start;
    static const char ch[] = {'F', 'R', 'B'};
    if (c > SV_CAMERA_INTERIOR) return false;
    int n;
    return PUT("%02d%02d%02d_%02d%02d%02d_%03d_%cH.MP4", w.year % 100, w.mon, w.day, w.hour, w.min,
               w.sec, number % 1000, ch[c]);
}

/* Vantrue: 20260314_120300_00001_0_A.MP4 (A front, B rear, C cabin). */
static bool vantrue(wall w, sv_camera c, int number, wall start, char *buf, size_t size) {
    (void)start;
    static const char ch[] = {'A', 'B', 'C'};
    if (c > SV_CAMERA_INTERIOR) return false;
    int n;
    return PUT("%04d%02d%02d_%02d%02d%02d_%05d_0_%c.MP4", w.year, w.mon, w.day, w.hour, w.min,
               w.sec, number % 100000, ch[c]);
}

/* Thinkware: REC_2026_03_14_12_03_00_F.MP4 (F, R; no cabin channel). */
static bool thinkware(wall w, sv_camera c, int number, wall start, char *buf, size_t size) {
    (void)number, (void)start;
    if (c > SV_CAMERA_REAR) return false;
    int n;
    return PUT("REC_%04d_%02d_%02d_%02d_%02d_%02d_%c.MP4", w.year, w.mon, w.day, w.hour, w.min,
               w.sec, c == SV_CAMERA_FRONT ? 'F' : 'R');
}

/* Tesla: TeslaCam/SavedClips/<event start>/2026-03-14_12-03-00-front.mp4 (back,
 * left_repeater, right_repeater; no cabin channel). */
static bool tesla(wall w, sv_camera c, int number, wall s, char *buf, size_t size) {
    (void)number;
    static const char *const ch[] = {"front", "back", NULL, "left_repeater", "right_repeater"};
    if (!ch[c]) return false;
    int n;
    return PUT("TeslaCam/SavedClips/%04d-%02d-%02d_%02d-%02d-%02d/"
               "%04d-%02d-%02d_%02d-%02d-%02d-%s.mp4",
               s.year, s.mon, s.day, s.hour, s.min, s.sec, w.year, w.mon, w.day, w.hour, w.min,
               w.sec, ch[c]);
}

typedef bool (*namer)(wall w, sv_camera c, int number, wall start, char *buf, size_t size);

static const struct {
    const char *brand;
    namer name;
} brands[] = {{"blackvue", blackvue}, {"viofo", viofo},     {"70mai", seventy_mai},
              {"nextbase", nextbase}, {"vantrue", vantrue}, {"thinkware", thinkware},
              {"tesla", tesla}};

#define BRAND_COUNT (int)(sizeof brands / sizeof brands[0])

const char *sv_camera_brand_at(int i) { return i >= 0 && i < BRAND_COUNT ? brands[i].brand : NULL; }

bool sv_camera_brand_known(const char *brand) {
    for (int i = 0; i < BRAND_COUNT; i++)
        if (!strcmp(brand, brands[i].brand)) return true;
    return false;
}

bool sv_camera_file_name(const char *brand, sv_camera cam, int64_t when, int number,
                         int64_t series_start, char *buf, size_t size) {
    if (cam < 0 || cam >= SV_CAMERA_COUNT || number < 0) return false;
    for (int i = 0; i < BRAND_COUNT; i++)
        if (!strcmp(brand, brands[i].brand))
            return brands[i].name(wall_of(when), cam, number, wall_of(series_start), buf, size);
    return false;
}

bool sv_parse_wall_clock(const char *text, int64_t *out) {
    struct tm tm = {0};
    int consumed = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
        text[consumed] != '\0')
        return false;
    if (tm.tm_year < 1970 || tm.tm_year > 2999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return true;
}

void sv_format_wall_clock(int64_t when, char *buf, size_t size) {
    wall w = wall_of(when);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", w.year, w.mon, w.day, w.hour, w.min,
             w.sec);
}
