/* Signal names, fusion weights and default options. */
#include <string.h>

#include "mine_internal.h"

static const char *const names[DC_MINE_SIGNAL_COUNT] = {"impact", "squeal",  "horn",      "motion",
                                                        "shake",  "looming", "stop",      "burst",
                                                        "swerve", "jolt",    "speed_drop"};

/* Impact dominates: a broadband bang is the one cue ordinary driving does not make. Shake,
 * stop and looming confirm it and carry the video-only case; a local burst is what a crash
 * between others ahead looks like; squeal marks hard braking; motion and horn are weak on
 * their own (traffic, other people's horns, music). A swerve does not add to the danger at
 * all (lane changes and bends are everyday driving): the signals engine reads it as the
 * evasion of a near-miss next to an approach or braking.
 * The telemetry's cues come on top (they are 0 without telemetry, so a video without it is
 * fused as before): a jolt measured by the G-sensor outweighs the impact sound, which may be
 * someone else's; a GPS speed drop weighs as the picture's stop. */
static const double weights[DC_MINE_SIGNAL_COUNT] = {0.28, 0.09, 0.04, 0.07, 0.14, 0.14,
                                                     0.14, 0.10, 0.00, 0.40, 0.14};

const char *dc_mine_signal_name(dc_mine_signal s) {
    return s >= 0 && s < DC_MINE_SIGNAL_COUNT ? names[s] : "unknown";
}

double dc_mine_signal_weight(dc_mine_signal s) {
    return s >= 0 && s < DC_MINE_SIGNAL_COUNT ? weights[s] : 0;
}

void dc_mine_options_init(dc_mine_options *o) {
    memset(o, 0, sizeof *o);
    o->k = 3;
    o->before_sec = 7;
    o->after_sec = 3;
    o->max_window_sec = 12;
    o->thumb_width = 160;
    o->thumb_height = 90;
    o->audio_rate = 16000;
    o->dense_candidates = 4;
    o->dense_fps = 10;
    o->dense_before_sec = 4;
    o->dense_after_sec = 3;
    o->use_audio = true;
    o->use_video = true;
    o->dense_relative = 0.5;
}

int dc_mine_windows_to_claim(const dc_mine_result *r, dc_window *out, int max) {
    int n = 0;
    for (int i = 0; i < r->window_count && n < max; i++, n++) {
        const dc_mine_window *w = &r->windows[i];
        dc_window *o = &out[n];
        memset(o, 0, sizeof *o);
        o->start_sec = w->start_sec;
        o->end_sec = w->end_sec;
        o->peak_sec = w->peak_sec;
        o->danger = w->danger;
        for (int s = 0; s < DC_MINE_SIGNAL_COUNT && o->signal_count < DC_MAX_WINDOW_SIGNALS; s++)
            if (w->fired & (1u << s)) {
                strncpy(o->signals[o->signal_count], names[s], sizeof o->signals[0] - 1);
                o->signal_count++;
            }
    }
    return n;
}
