/* Incident mining: a cheap whole-video pass that finds where danger peaks, without a model.
 *
 * dc_mine_video() reads the audio (16 kHz mono) and a keyframe thumbnail pass, builds one
 * 10 Hz timeline of signals, decodes densely only around the strongest candidates, fuses the
 * signals into a danger score and returns the top-K incident windows.
 *
 * Every signal is scaled against the video's own noise floor (median and a robust spread),
 * never against its maximum: a score of 0 means "nothing beyond ordinary", 1 means "at least
 * DC_MINE_Z_FULL robust standard deviations above ordinary", in every video alike. A calm video
 * therefore has a flat, low danger timeline; its busiest second does not become 1.0.
 *
 * Motion cues come at a steady rate whatever the GOP: the coarse pass decodes about 5 frames a
 * second when the whole video is cheap enough to decode (short clips, small sizes), keyframes
 * otherwise (every other one in a video of 5 min or more with sound and a ~1-s GOP); and where
 * keyframes are sparse, the size of every video packet (read from the
 * container's index, or by demuxing without decoding) stands in for motion at the full frame
 * rate. Around the candidates, frames are decoded at 10 fps.
 *
 * Fusion (weights sum to 1; each signal first max-filtered over +-1 s so that cues that come
 * a moment apart, such as looming before an impact and a stop after it, add up):
 *   impact 0.28, shake 0.14, stop 0.14, looming 0.14, burst 0.10, squeal 0.09, motion 0.07,
 *   horn 0.04, swerve 0 (lane changes and bends are everyday driving: the signals engine
 *   reads a swerve only as the evasion of a near-miss); with telemetry, jolt 0.40 and speed
 *   drop 0.14 on top (a measured jolt is the surest cue there is; the danger is capped at 1).
 * Impact dominates because a broadband bang is the one cue ordinary driving does not make;
 * the motion cues confirm it and carry the video-only case. */
#ifndef DASHCLAIM_MINE_H
#define DASHCLAIM_MINE_H

#include <stdbool.h>

#include "dashclaim/claim.h"
#include "dashclaim/deadline.h"
#include "dashclaim/fingerprint.h"
#include "dashclaim/media.h"
#include "dashclaim/status.h"
#include "dashclaim/telemetry.h"

#define DC_MINE_HZ 10.0        /* timeline rate */
#define DC_MINE_MAX_WINDOWS 8  /* at most this many windows (DC_MAX_WINDOWS in claim.h) */
#define DC_MINE_Z_LOW 3.0      /* robust z below this scores 0 (noise) */
#define DC_MINE_Z_FULL 12.0    /* robust z at or above this scores 1 */
#define DC_MINE_FIRE_SCORE 0.3 /* a signal "fired" in a window when it reached this score */
/* A window with danger at or above this is an alarm (what false alarms per hour count). */
#define DC_MINE_ALARM_DANGER 0.3

typedef enum {
    DC_MINE_IMPACT = 0, /* audio: broadband transient onset (a crash) */
    DC_MINE_SQUEAL,     /* audio: sustained tonal energy 1.5-5 kHz (tyres, brakes) */
    DC_MINE_HORN,       /* audio: harmonic, pitch-stable energy 250-1100 Hz */
    DC_MINE_MOTION,     /* video: global frame-difference energy (brightness-normalised) */
    DC_MINE_SHAKE,      /* video: high-frequency global translation of the camera */
    DC_MINE_LOOMING,    /* video: expansion around the image centre (1 / time to contact) */
    DC_MINE_STOP,       /* video: collapse of forward flow (sudden stop) */
    DC_MINE_BURST,      /* video: sudden local change in part of the frame (a crash ahead) */
    DC_MINE_SWERVE,     /* video: sustained sideways sweep of the road (an evasive swerve) */
    DC_MINE_JOLT,       /* telemetry: a short jolt of the G-sensor, in g (0 without one) */
    DC_MINE_SPEED_DROP, /* telemetry: the GPS speed falling within 2 s (0 without GPS speed) */
    DC_MINE_SIGNAL_COUNT
} dc_mine_signal;

typedef struct {
    int k;                 /* windows wanted (default 3, at most DC_MINE_MAX_WINDOWS) */
    double before_sec;     /* window start before the peak (default 7) */
    double after_sec;      /* window end after the peak (default 3) */
    double max_window_sec; /* merged windows are cut to this (default 12) */
    int thumb_width;       /* coarse/dense thumbnail size (default 160x90) */
    int thumb_height;
    int audio_rate;       /* default 16000 */
    int dense_candidates; /* candidates refined by denser decoding (default 4; 0 = none) */
    double dense_fps;     /* frame rate of the dense pass (default 10) */
    double dense_before_sec, dense_after_sec; /* dense span around a candidate (4, 3) */
    bool use_audio; /* default true (a video without audio is mined from motion) */
    bool use_video; /* default true */
    /* a candidate after the first is decoded densely only when its coarse danger is at least
     * this share of the strongest one's (default 0.5): one clear incident costs one span.
     * With audio it must also reach a danger of 0.1 (a calm video costs one span). Not
     * applied without audio (motion alone is too weak a first look). */
    double dense_relative;
    /* The video's telemetry (read by the caller, once); NULL or no source = none. Its
     * acceleration and GPS speed become the jolt and speed-drop cues, and with an
     * accelerometer a window's peak sits on the jolt. */
    const dc_telemetry *telemetry;
    /* A video that is one of a claim's several (segments, channels): the claim's decoded size
     * (the sum over its videos of duration x fps x width x height) and its timeline's length,
     * so that the coarse pass is chosen for the claim as a whole (three 1-minute segments are
     * read as one 3-minute file would be, not each as a short clip). 0 = this video alone. */
    double claim_pixels;
    double claim_sec;
    /* The claim's main channel's sound covers this video, which is mined without its own
     * (use_audio false): its keyframes are read as for a video with sound, every other one on
     * long videos, since the sound finds the moments. */
    bool claim_heard;
} dc_mine_options;

void dc_mine_options_init(dc_mine_options *o);

typedef struct {
    double start_sec, end_sec, peak_sec;
    double danger;                                 /* fused danger at the peak, 0..1 */
    unsigned fired;                                /* bit (1u << signal) per signal that fired */
    double signal_max[DC_MINE_SIGNAL_COUNT];       /* each signal's highest score in the window */
    double signal_near_peak[DC_MINE_SIGNAL_COUNT]; /* highest score within 2 s of the peak */
} dc_mine_window;

typedef struct {
    double duration_sec;
    double hz;                           /* DC_MINE_HZ */
    int count;                           /* timeline length: tick i is at t = i / hz */
    float *danger;                       /* fused danger 0..1 per tick (the report draws this) */
    float *signal[DC_MINE_SIGNAL_COUNT]; /* per-signal score 0..1 per tick */
    int window_count;                    /* sorted by danger, highest first */
    dc_mine_window windows[DC_MINE_MAX_WINDOWS];
    bool has_audio;       /* audio signals were computed */
    bool has_video;       /* motion signals were computed */
    bool has_accel;       /* the jolt cue was computed (the telemetry has acceleration) */
    bool has_gps_speed;   /* the speed-drop cue was computed (the telemetry has GPS speeds) */
    int keyframes;        /* thumbnails in the coarse pass */
    int dense_frames;     /* thumbnails decoded in dense passes */
    int frames_seen;      /* thumbnails decoded by the coarse pass */
    int coarse_every_kth; /* 0: the coarse pass read keyframes; k: every k-th frame */
    int packets;          /* packet sizes used as a motion cue (0 when not needed) */
    /* Mining could not tell much: the strongest window's danger is below
     * DC_MINE_ALARM_DANGER, or there was no sound. Its windows are then wider (before + 2 s,
     * after + 3 s), so that whoever looks next sees more of the video, not less. */
    bool unsure;
    double seconds_audio, seconds_coarse, seconds_dense, seconds_total; /* wall time */
    /* The video's fingerprint (fingerprint.h), made from the coarse pass's thumbnails (no
     * decoding of its own): one hash per second from the thumbnail nearest to it within
     * 0.5 s; seconds without one are absent (a keyframe-only pass over a long GOP leaves
     * gaps). Empty when the frames did not decode; owned, freed by dc_mine_result_free. */
    dc_fingerprint fingerprint;
    double seconds_fingerprint; /* wall time of hashing (within seconds_coarse) */
} dc_mine_result;

/* Mines one opened video. A video without audio is mined from motion alone (has_audio false,
 * status degraded with a message saying so); a video whose frames cannot be decoded but whose
 * audio can is mined from audio alone (degraded). Fails (class input) only when neither
 * works; timeout when dl passes. The result is zeroed first; free it with
 * dc_mine_result_free on every path. */
dc_error_class dc_mine_video(dc_media *m, const dc_mine_options *opts, dc_deadline dl,
                             dc_mine_result *out, dc_status *st);
void dc_mine_result_free(dc_mine_result *r);

/* A claim of several videos (channels of one moment, consecutive segments): places each
 * video's mining result on the claim's timeline at offsets[i] seconds (a tick of part i at t
 * lands at offsets[i] + t) and fuses them with opts (NULL = defaults): each signal track is the
 * largest score any video has at that instant, so a cue only the rear camera or only the next
 * segment saw counts. Each part's scores were already made against its own noise floor, so
 * they compare across videos. parts[i] may be NULL (a video that gave nothing). Counters and
 * times are summed, has_* flags joined. The result is zeroed first; free it with
 * dc_mine_result_free. DC_ERR_RESOURCE when out of memory, DC_ERR_INPUT when no part is given
 * or an offset is negative or not finite. */
dc_error_class dc_mine_merge(const dc_mine_result *const *parts, const double *offsets, int n,
                             const dc_mine_options *opts, dc_mine_result *out, dc_status *st);

/* The dense pass on its own, for a claim of several videos: a video mined with
 * dense_candidates = 0 (its sound and coarse pass only) is then decoded densely around its
 * candidates (up to opts->dense_candidates, as dc_mine_video chooses them) whose danger reaches
 * min_danger, and fused again. The caller sets min_danger from the whole claim (a share of its
 * strongest moment), so a segment that only shows ordinary driving is not decoded densely
 * because it is its own file's strongest moment. Errors as dc_mine_video's; the result is
 * kept on failure (free it as usual). */
dc_error_class dc_mine_densify(dc_media *m, const dc_mine_options *opts, double min_danger,
                               dc_deadline dl, dc_mine_result *r, dc_status *st);

/* "impact", "squeal", "horn", "motion", "shake", "looming", "stop". */
const char *dc_mine_signal_name(dc_mine_signal s);
/* The fusion weight of a signal (see the table above). */
double dc_mine_signal_weight(dc_mine_signal s);

/* Copies the windows into claim windows (signal names that fired), highest danger first;
 * returns how many were written (at most max). */
int dc_mine_windows_to_claim(const dc_mine_result *r, dc_window *out, int max);

/* ---- the pieces, usable on their own (tests, tools) --------------------------------- */

/* Raw audio features on a timeline of n ticks at hz starting at t = 0 (pcm->start_sec is
 * honoured): impact (dB rise of 12 bands 0.5-7.5 kHz over the previous 50 ms, the smaller of
 * the low-half and high-half means: broadband onsets only), squeal (tonal prominence in dB,
 * 1.5-5 kHz, loud tones only, kept where it lasts >= 0.5 s), horn (harmonic prominence in dB,
 * 250-1100 Hz, pitch-stable). Ticks without audio get NAN. DC_ERR_RESOURCE when out of
 * memory. */
dc_error_class dc_mine_audio_features(const dc_pcm *pcm, double hz, int n, float *impact,
                                      float *squeal, float *horn, dc_status *st);

/* Raw motion features between consecutive thumbnails, one value per thumbnail i >= 1
 * describing the step from i-1 to i (index 0 gets NAN): motion (brightness-normalised
 * difference), shake (change of the global translation between steps, px; NAN for steps
 * longer than 0.5 s, where a jolt cannot be seen), looming (log scale per second about the
 * centre, 0 when no scale fits clearly), flow (normalised difference of the lower half, the
 * forward-flow proxy). An isolated identical frame in a moving picture (a duplicated frame)
 * gets NAN in every feature. */
bool dc_mine_motion_features(const dc_thumb_set *set, float *motion, float *shake, float *looming,
                             float *flow); /* false: out of memory (all NAN) */

/* Robust noise-floor score: z = (x - median) / spread, where spread is the larger of
 * 1.4826 * MAD and min_spread, widened to (q90 - median) / 3 when more than 15 % of the
 * values stand above the event level (so that a cue present much of the time, like a drum
 * beat, becomes the floor); score = clamp((z - Z_LOW) / (Z_FULL - Z_LOW)).
 * NAN inputs score 0 and are left out of the statistics. */
bool dc_mine_noise_floor_score(const float *raw, int n, float min_spread, float *score);
/* (false when out of memory: every score is then 0) */

/* Telemetry cues on the timeline of n ticks at hz (t = i / hz), from t's samples and fixes:
 *   jolt: each sample's distance from its +-0.5 s moving average (the three axes; gravity and
 *     a sustained braking are the average, a hit is not), the largest per tick (a sample
 *     belongs to its nearest tick), scored on an absolute scale in g against the file's own
 *     noise: 0 up to max(DC_MINE_JOLT_LOW_G, median + the larger of 6 robust deviations of
 *     the ticks and the median itself), 1 at DC_MINE_JOLT_SPAN_G above that;
 *   speed drop: over each valid fix, how far the speed falls within the next 2 s, on the
 *     ticks from the fix to the slowest one: 0 at DC_MINE_DROP_LOW_KMH, 1 at
 *     DC_MINE_DROP_FULL_KMH (a car that stops from 40 km/h in 2 s, about 0.6 g).
 * Either array may be NULL; a track without data stays 0. *has_accel / *has_speed (may be
 * NULL) say which were computed. false when out of memory (tracks then 0). */
#define DC_MINE_JOLT_LOW_G 0.5
#define DC_MINE_JOLT_SPAN_G 1.5
#define DC_MINE_DROP_LOW_KMH 8.0
#define DC_MINE_DROP_FULL_KMH 40.0
bool dc_mine_telemetry_features(const dc_telemetry *t, double hz, int n, float *jolt,
                                float *speed_drop, bool *has_accel, bool *has_speed);

/* Recomputes danger from the signal tracks and selects the windows (opts may be NULL).
 * A video no longer than the largest window (max_window_sec, or before + after when larger)
 * gets exactly one window covering all of it. DC_ERR_RESOURCE (windows cleared) when out of
 * memory. */
dc_error_class dc_mine_fuse(dc_mine_result *r, const dc_mine_options *opts, dc_status *st);

/* ---- the "signals" engine (model-free assessment; lives in src/mine/) ---------------- */

/* Fills the observed part of *a from the mined signals: engine.name "signals", severity and
 * severity_probs (collision <- impact with shake or stop: HIGH; near-miss <- looming, hard
 * braking or a horn backed by motion, without impact: MEDIUM; NONE otherwise), facts it can
 * support (contact yes/no/unclear, ego braking), windows, evidence times and reasoning.
 * Call dc_assessment_init first; identity fields are left alone. */
dc_error_class dc_signals_assess(const dc_mine_result *r, dc_assessment *a, dc_status *st);

#endif
