/* The mining pass over one video: audio cues on the whole file, a coarse thumbnail pass at a
 * steady rate (about 5 frames a second when the video is cheap enough to decode whole,
 * keyframes plus packet sizes otherwise), a first fusion to find candidates, a dense decode
 * (about 10 fps) around the strongest candidates for shake, looming and local bursts at full
 * time resolution, and the final fusion. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

/* Smallest spreads used by the noise floor, in each raw feature's units: below these a
 * wobble is not an event even in a perfectly still video. */
#define SPREAD_IMPACT 1.0f  /* dB mean band rise */
#define SPREAD_TONAL 1.5f   /* dB prominence */
#define SPREAD_MOTION 0.02f /* contrast units */
#define SPREAD_SHAKE 0.3f   /* thumbnail pixels per step */
#define SPREAD_LOOM 0.05f   /* log scale per second */
#define SPREAD_STOP 0.1f    /* log flow ratio */
#define SPREAD_BURST 0.3f   /* cell z units (averaged over 5 steps) */
#define SPREAD_PACKET 0.05f /* log packet size */
#define SPREAD_SWERVE 0.03f /* picture widths per second (a lane change in 4 s: ~0.1) */

/* The coarse pass decodes every frame (and keeps about COARSE_HZ of them) when the whole video
 * costs at most this many decoded pixels (a 20-min 256x144 10 fps video, a minute of 720p30):
 * short clips and small videos then get steady cues whatever their GOP. Beyond it keyframes
 * are read, and packet sizes give the steady rate. */
#define COARSE_HZ 5.0
#define STEADY_PIXELS 2.0e9

void dc_mine_result_free(dc_mine_result *r) {
    if (!r) return;
    free(r->danger);
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) free(r->signal[s]);
    dc_fingerprint_free(&r->fingerprint);
    memset(r, 0, sizeof *r);
}

static dc_error_class alloc_result(dc_mine_result *r, double duration, dc_status *st) {
    r->duration_sec = duration;
    r->hz = DC_MINE_HZ;
    r->count = (int)ceil(duration * DC_MINE_HZ) + 1;
    r->danger = calloc((size_t)r->count, sizeof(float));
    bool ok = r->danger != NULL;
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) {
        r->signal[s] = calloc((size_t)r->count, sizeof(float));
        ok = ok && r->signal[s];
    }
    if (!ok)
        return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for a %.0f s timeline",
                       duration);
    return DC_OK;
}

/* Sound is decoded in chunks of this many seconds (plus a second of overlap that warms up the
 * onset history), so a long video never holds its whole soundtrack: 16 kHz floats are
 * 3.8 MB a minute. */
#define AUDIO_CHUNK_SEC 120.0

static dc_error_class mine_audio(dc_media *m, const dc_mine_options *o, dc_deadline dl,
                                 dc_mine_result *r, dc_status *st) {
    int n = r->count;
    float *raw = malloc(sizeof(float) * 3 * (size_t)n);
    if (!raw) return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for audio features");
    float *impact = raw, *squeal = raw + n, *horn = raw + 2 * n;
    for (int i = 0; i < 3 * n; i++) raw[i] = NAN;
    dc_error_class e = DC_OK;
    bool any = false;
    for (double c = 0; c < r->duration_sec && e == DC_OK; c += AUDIO_CHUNK_SEC) {
        bool last = c + AUDIO_CHUNK_SEC >= r->duration_sec;
        dc_pcm pcm = {0};
        dc_status ast = DC_STATUS_OK;
        e = dc_media_audio(m, c > 1 ? c - 1 : 0, last ? 0 : c + AUDIO_CHUNK_SEC, o->audio_rate, dl,
                           &pcm, &ast);
        if (e == DC_ERR_TIMEOUT || e == DC_ERR_RESOURCE) {
            *st = ast;
            break;
        }
        if (e != DC_OK) { /* undecodable sound: mine what we have, say so */
            dc_degrade(st, "%s", ast.message);
            e = DC_OK;
            break;
        }
        int from = (int)ceil(c * r->hz), to = last ? n : (int)ceil((c + AUDIO_CHUNK_SEC) * r->hz);
        e = mine_audio_ticks(&pcm, r->hz, from, to > n ? n : to, impact, squeal, horn, dl, st);
        any = any || pcm.count > 0;
        dc_pcm_free(&pcm);
    }
    if (e == DC_OK && any) {
        bool ok = mine_audio_sustain(squeal, n);
        ok = dc_mine_noise_floor_score(impact, n, SPREAD_IMPACT, r->signal[DC_MINE_IMPACT]) && ok;
        ok = dc_mine_noise_floor_score(squeal, n, SPREAD_TONAL, r->signal[DC_MINE_SQUEAL]) && ok;
        ok = dc_mine_noise_floor_score(horn, n, SPREAD_TONAL, r->signal[DC_MINE_HORN]) && ok;
        if (ok) r->has_audio = true;
        else e = dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory scoring the sound");
    }
    free(raw);
    return e;
}

/* Raw motion features of one or more thumbnail runs, pooled for one noise floor. */
typedef struct {
    int count;
    double *t;
    float *motion, *shake, *looming, *flow, *stop, *burst, *swerve;
} motion_steps;

static void steps_free(motion_steps *s) {
    free(s->t);
    free(s->motion);
    free(s->shake);
    free(s->looming);
    free(s->flow);
    free(s->stop);
    free(s->burst);
    free(s->swerve);
    memset(s, 0, sizeof *s);
}

static bool steps_grow(motion_steps *s, int extra) {
    size_t n = (size_t)(s->count + extra);
    double *t = realloc(s->t, n * sizeof(double));
    if (t) s->t = t;
    float **f[] = {&s->motion, &s->shake, &s->looming, &s->flow, &s->stop, &s->burst, &s->swerve};
    bool ok = t != NULL;
    for (int i = 0; i < 7; i++) {
        float *g = realloc(*f[i], n * sizeof(float));
        if (g) *f[i] = g;
        ok = ok && g;
    }
    return ok;
}

/* Appends the features of one thumbnail run; stop uses windows suited to the run's rate. */
static bool steps_add(motion_steps *s, const dc_thumb_set *set, double before, double gap,
                      double after) {
    if (set->count <= 0) return true;
    if (!steps_grow(s, set->count)) return false;
    int o = s->count;
    bool ok =
        dc_mine_motion_features(set, s->motion + o, s->shake + o, s->looming + o, s->flow + o);
    for (int i = 0; i < set->count; i++) s->t[o + i] = set->thumbs[i].t_sec;
    ok =
        mine_stop_feature(s->flow + o, s->t + o, set->count, before, gap, after, s->stop + o) && ok;
    ok = mine_burst_feature(set, s->burst + o) && ok;
    ok = mine_swerve_feature(set, s->swerve + o) && ok;
    s->count += set->count;
    return ok;
}

/* Scores pooled steps against their noise floor; false when out of memory. */
static bool steps_score(motion_steps *s, float loom_spread) {
    bool ok = mine_floor_score(s->motion, s->count, SPREAD_MOTION, false, s->motion);
    ok = mine_floor_score(s->shake, s->count, SPREAD_SHAKE, false, s->shake) && ok;
    ok = mine_floor_score(s->looming, s->count, loom_spread, false, s->looming) && ok;
    ok = mine_floor_score(s->stop, s->count, SPREAD_STOP, false, s->stop) && ok;
    ok = mine_floor_score(s->swerve, s->count, SPREAD_SWERVE, false, s->swerve) && ok;
    return mine_floor_score(s->burst, s->count, SPREAD_BURST, false, s->burst) && ok;
}

/* Median of three neighbours: a single-step glitch (a keyframe's coding artefact, one odd
 * match) is not a jolt or an approach; those last several steps at the dense rate. */
static void median3(float *x, int n) {
    float prev = n > 0 ? x[0] : 0;
    for (int i = 1; i + 1 < n; i++) {
        float a = prev, b = x[i], c = x[i + 1];
        prev = b;
        if (!isfinite(a) || !isfinite(c)) continue;
        float lo = a < b ? a : b, hi = a < b ? b : a;
        x[i] = c < lo ? lo : c > hi ? hi : c;
    }
}

static void steps_to_ticks(const motion_steps *s, int from, int to, dc_mine_result *r,
                           int tick_from, int tick_to) {
    int n = to - from;
    const double *t = s->t + from;
    mine_steps_to_ticks(s->motion + from, t, n, r->hz, tick_from, tick_to,
                        r->signal[DC_MINE_MOTION]);
    mine_steps_to_ticks(s->shake + from, t, n, r->hz, tick_from, tick_to, r->signal[DC_MINE_SHAKE]);
    mine_steps_to_ticks(s->looming + from, t, n, r->hz, tick_from, tick_to,
                        r->signal[DC_MINE_LOOMING]);
    mine_steps_to_ticks(s->stop + from, t, n, r->hz, tick_from, tick_to, r->signal[DC_MINE_STOP]);
    mine_steps_to_ticks(s->burst + from, t, n, r->hz, tick_from, tick_to, r->signal[DC_MINE_BURST]);
    mine_steps_to_ticks(s->swerve + from, t, n, r->hz, tick_from, tick_to,
                        r->signal[DC_MINE_SWERVE]);
}

/* Mean over +-4 steps (about a second at 10 fps): a vehicle closing in expands step after
 * step, while a single good match on passing texture does not last. */
static bool mean9(float *x, int n) {
    float *copy = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!copy) return false;
    memcpy(copy, x, sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) {
        double s = 0;
        int m = 0;
        for (int j = i - 4; j <= i + 4; j++)
            if (j >= 0 && j < n && isfinite(copy[j])) {
                s += copy[j];
                m++;
            }
        x[i] = m ? (float)(s / m) : NAN;
    }
    free(copy);
    return true;
}

/* 0: keyframes are enough (or all we can afford); k: decode everything, keep every k-th. */
static int coarse_every_kth(const dc_media_info *info, const dc_mine_options *o) {
    double fps = info->avg_fps > 0 ? info->avg_fps : info->real_fps > 0 ? info->real_fps : 30;
    double kint = info->keyframe_interval_sec;
    if (kint > 0 && kint <= 1.0 / COARSE_HZ + 1e-3 && info->keyframe_count >= 4) return 0;
    double pixels = info->duration_sec * fps * (double)info->width * info->height;
    if (o->claim_pixels > pixels) pixels = o->claim_pixels; /* a claim of several videos */
    if (pixels > STEADY_PIXELS) return 0;
    int k = (int)lround(fps / COARSE_HZ);
    return k < 1 ? 1 : k;
}

/* Keyframes only, every n-th of them: a long video with sound and a GOP of a second or so
 * reads every other keyframe (one every ~2 s). Its 1200 intra frames were most of the coarse
 * pass's decoding on a 20-min 1080p file; the sound finds the moments, packet sizes keep the
 * full rate, and the dense pass decodes 10 fps around the candidates. Without sound every
 * keyframe is kept: the picture is all the evidence there is. */
#define STRIDE_MIN_SEC 300.0
static int coarse_key_stride(const dc_media_info *info, const dc_mine_options *o) {
    double kint = info->keyframe_interval_sec;
    bool sound = (o->use_audio && info->has_audio) || o->claim_heard;
    double length = o->claim_sec > info->duration_sec ? o->claim_sec : info->duration_sec;
    if (!sound || length < STRIDE_MIN_SEC || !(kint > 1.0 / COARSE_HZ + 1e-3)) return 1;
    /* a channel the claim's main sound covers: every 4 s (the sound finds the moments, every
     * channel is decoded densely around them, packet sizes keep the full rate) */
    int n = (int)floor((o->claim_heard ? 4.0 : 2.0) / kint + 1e-6);
    return n < 1 ? 1 : n;
}

/* Packet sizes as the motion cue where the coarse pass is sparse: the motion track becomes
 * the larger of the two scores. A container that cannot list them only loses this cue. */
static dc_error_class packet_motion(dc_media *m, dc_deadline dl, dc_mine_result *r, dc_status *st) {
    dc_packet_sizes p = {0};
    dc_status pst = DC_STATUS_OK;
    dc_error_class e = dc_media_packet_sizes(m, dl, &p, &pst);
    if (e == DC_ERR_TIMEOUT || e == DC_ERR_RESOURCE) {
        *st = pst;
        return e;
    }
    if (e != DC_OK) return DC_OK;
    float *raw = malloc(sizeof(float) * (size_t)r->count);
    bool ok = raw && mine_packet_motion(&p, r->hz, r->count, raw);
    if (ok) {
        ok = mine_floor_score(raw, r->count, SPREAD_PACKET, false, raw);
        float *motion = r->signal[DC_MINE_MOTION];
        for (int i = 0; i < r->count; i++)
            if (raw[i] > motion[i]) motion[i] = raw[i];
        r->packets = p.count;
    }
    free(raw);
    dc_packet_sizes_free(&p);
    if (!ok) return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for packet sizes");
    return DC_OK;
}

static dc_error_class mine_coarse(dc_media *m, const dc_mine_options *o, dc_deadline dl,
                                  dc_mine_result *r, dc_status *st) {
    const dc_media_info *info = dc_media_get_info(m);
    dc_thumb_request req = {.width = o->thumb_width, .height = o->thumb_height};
    req.every_kth = coarse_every_kth(info, o);
    req.key_stride = coarse_key_stride(info, o);
    r->coarse_every_kth = req.every_kth;
    dc_thumb_set set = {0};
    dc_status vst = DC_STATUS_OK;
    dc_error_class e = dc_media_thumbnails(m, &req, dl, &set, &vst);
    if (e == DC_ERR_TIMEOUT || e == DC_ERR_RESOURCE) {
        *st = vst;
        return e;
    }
    if (e != DC_OK) {
        dc_degrade(st, "%s", vst.message);
        return DC_OK;
    }
    if (vst.degraded) dc_degrade(st, "%s", vst.message);
    motion_steps steps = {0};
    bool ok = req.every_kth > 0 ? steps_add(&steps, &set, 3.0, 0.5, 1.5)
                                : steps_add(&steps, &set, 4.0, 1.0, 2.0);
    r->keyframes = set.count;
    r->frames_seen = set.count;
    /* the fingerprint from the thumbnails already decoded: no second pass; a video without
     * one is still mined (the cross-claim check then says it had no usable footage) */
    double t_fp = dc_now();
    dc_status fst = DC_STATUS_OK;
    if (dc_fingerprint_from_thumbs(&set, info->duration_sec, &r->fingerprint, &fst) != DC_OK)
        dc_degrade(st, "%s: fingerprint left out: %s", dc_media_path(m), fst.message);
    r->seconds_fingerprint = dc_now() - t_fp;
    dc_thumb_set_free(&set);
    if (!ok) {
        steps_free(&steps);
        return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for motion features");
    }
    if (req.every_kth > 0) { /* a steady pass is smoothed like a dense one */
        median3(steps.shake, steps.count);
        if (!mean9(steps.looming, steps.count)) {
            steps_free(&steps);
            return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for motion features");
        }
    }
    if (!steps_score(&steps, req.every_kth > 0 ? 2 * SPREAD_LOOM : SPREAD_LOOM)) {
        steps_free(&steps);
        return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory scoring motion");
    }
    steps_to_ticks(&steps, 0, steps.count, r, 0, r->count);
    r->has_video = steps.count > 1;
    steps_free(&steps);
    if (req.every_kth == 0) return packet_motion(m, dl, r, st);
    return DC_OK;
}

typedef struct {
    double a, b;
} span;

/* With sound, the coarse danger a candidate other than the strongest needs for a dense span:
 * about one cue at a third of the fire level (a jolt scoring 0.7 alone, a bang of 0.36). */
#define DENSE_MIN_DANGER 0.1

static int by_start(const void *x, const void *y) {
    const span *p = x, *q = y;
    return p->a < q->a ? -1 : p->a > q->a;
}

static dc_error_class mine_dense(dc_media *m, const dc_mine_options *o, double floor_danger,
                                 dc_deadline dl, dc_mine_result *r, dc_status *st) {
    int want = o->dense_candidates;
    if (want <= 0 || !r->has_video) return DC_OK;
    if (want > 16) want = 16;
    dc_error_class fe = dc_mine_fuse(r, o, st);
    if (fe != DC_OK) return fe;
    int peaks[16];
    int np = mine_peaks(r->danger, r->count, (int)lround(8.0 * r->hz), peaks, want);
    if (np < 0) return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory choosing candidates");
    /* without sound the coarse picture is too weak to rule candidates out; with sound, a
     * candidate besides the strongest must also reach DENSE_MIN_DANGER: on a calm video every
     * peak is a wobble (a 20-min 1080p file spent 3 of its 10 s of CPU decoding four 7-s spans
     * at full rate around peaks of danger 0.06) */
    double rel = r->has_audio ? o->dense_relative : 0;
    double least = r->has_audio ? DENSE_MIN_DANGER : 0;
    while (np > 1 && (r->danger[peaks[np - 1]] < rel * r->danger[peaks[0]] ||
                      r->danger[peaks[np - 1]] < least))
        np--;
    /* a video of a claim of several: only the claim's strong moments (see dc_mine_densify) */
    while (np > 0 && r->danger[peaks[np - 1]] < floor_danger) np--;
    span spans[16];
    for (int i = 0; i < np; i++) {
        double t = peaks[i] / r->hz;
        spans[i] =
            (span){fmax(0, t - o->dense_before_sec), fmin(r->duration_sec, t + o->dense_after_sec)};
    }
    qsort(spans, (size_t)np, sizeof *spans, by_start);
    int ns = 0;
    for (int i = 0; i < np; i++) {
        if (ns > 0 && spans[i].a <= spans[ns - 1].b)
            spans[ns - 1].b = fmax(spans[ns - 1].b, spans[i].b);
        else spans[ns++] = spans[i];
    }
    const dc_media_info *info = dc_media_get_info(m);
    double fps = info->avg_fps > 0 ? info->avg_fps : 30;
    int kth = (int)lround(fps / (o->dense_fps > 0 ? o->dense_fps : 10));
    if (kth < 1) kth = 1;
    motion_steps steps = {0};
    int starts[17];
    dc_error_class e = DC_OK;
    for (int i = 0; i < ns && e == DC_OK; i++) {
        starts[i] = steps.count;
        if (spans[i].b - spans[i].a < 0.5) continue;
        dc_thumb_request req = {o->thumb_width, o->thumb_height, spans[i].a, spans[i].b, kth, 1};
        dc_thumb_set set = {0};
        dc_status vst = DC_STATUS_OK;
        e = dc_media_thumbnails(m, &req, dl, &set, &vst);
        if (e == DC_ERR_TIMEOUT || e == DC_ERR_RESOURCE) {
            *st = vst;
            break;
        }
        if (e != DC_OK) { /* a span that does not decode keeps its coarse values */
            e = DC_OK;
            continue;
        }
        r->dense_frames += set.count;
        int before = steps.count;
        bool ok = steps_add(&steps, &set, 3.0, 0.5, 1.5);
        if (ok) {
            median3(steps.shake + before, steps.count - before);
            ok = mean9(steps.looming + before, steps.count - before);
        }
        if (!ok)
            e = dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for dense motion features");
        dc_thumb_set_free(&set);
    }
    starts[ns] = steps.count;
    if (e == DC_OK && steps.count > 0 && !steps_score(&steps, 2 * SPREAD_LOOM))
        e = dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory scoring dense motion");
    if (e == DC_OK && steps.count > 0) {
        for (int i = 0; i < ns; i++) {
            if (starts[i + 1] - starts[i] < 2) continue;
            int tf = (int)ceil(steps.t[starts[i]] * r->hz);
            int tt = (int)floor(steps.t[starts[i + 1] - 1] * r->hz) + 1;
            steps_to_ticks(&steps, starts[i], starts[i + 1], r, tf < 0 ? 0 : tf,
                           tt > r->count ? r->count : tt);
        }
    }
    steps_free(&steps);
    return e;
}

/* The sound is mined on a second handle of the same file in a thread of its own while this
 * thread reads the keyframes: on two cores the two passes overlap (AAC decoding and keyframe
 * decoding cost about the same on a 1080p dashcam file). The thread ends inside the call. */
typedef struct {
    dc_media *m;
    const dc_mine_options *o;
    dc_deadline dl;
    dc_mine_result *r;
    dc_status st;
    dc_error_class e;
    double seconds;
} audio_job;

static void *audio_thread(void *arg) {
    audio_job *j = arg;
    double t0 = dc_now();
    j->st = DC_STATUS_OK;
    j->e = mine_audio(j->m, j->o, j->dl, j->r, &j->st);
    j->seconds = dc_now() - t0;
    return NULL;
}

/* Audio and the coarse video pass, in parallel when a second handle opens. */
static dc_error_class mine_audio_and_coarse(dc_media *m, const dc_mine_options *o, dc_deadline dl,
                                            dc_mine_result *r, dc_status *st) {
    const dc_media_info *info = dc_media_get_info(m);
    bool audio = o->use_audio && info->has_audio, video = o->use_video;
    if (o->use_audio && !info->has_audio)
        dc_degrade(st, "%s: no audio stream; mined from motion only", dc_media_path(m));
    dc_status ost;
    dc_media *m2 = audio && video ? dc_media_open(dc_media_path(m), dl, &ost) : NULL;
    pthread_t thread;
    audio_job job = {.m = m2, .o = o, .dl = dl, .r = r};
    bool threaded = m2 && pthread_create(&thread, NULL, audio_thread, &job) == 0;
    dc_error_class e = DC_OK;
    if (audio && !threaded) {
        double t0 = dc_now();
        e = mine_audio(m, o, dl, r, st);
        r->seconds_audio = dc_now() - t0;
    }
    double t1 = dc_now();
    if (e == DC_OK && video) e = mine_coarse(m, o, dl, r, st);
    r->seconds_coarse = dc_now() - t1;
    if (threaded) {
        pthread_join(thread, NULL);
        r->seconds_audio = job.seconds;
        if (e == DC_OK && job.e != DC_OK) {
            *st = job.st;
            e = job.e;
        } else if (e == DC_OK && job.st.degraded) {
            dc_degrade(st, "%s", job.st.message);
        }
    }
    dc_media_close(m2);
    return e;
}

dc_error_class dc_mine_video(dc_media *m, const dc_mine_options *opts, dc_deadline dl,
                             dc_mine_result *out, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    memset(out, 0, sizeof *out);
    if (!m) return dc_fail(st, DC_ERR_INTERNAL, "dc_mine_video: NULL media");
    dc_mine_options o;
    if (opts) o = *opts;
    else dc_mine_options_init(&o);
    const dc_media_info *info = dc_media_get_info(m);
    const char *path = dc_media_path(m);
    if (!(info->duration_sec > 0))
        return dc_fail(st, DC_ERR_INPUT, "%s: duration unknown or zero; nothing to mine", path);
    double t_start = dc_now();
    dc_error_class e = alloc_result(out, info->duration_sec, st);
    if (e == DC_OK) e = mine_audio_and_coarse(m, &o, dl, out, st);
    double t_dense = dc_now();
    if (e == DC_OK && o.use_video) e = mine_dense(m, &o, 0, dl, out, st);
    out->seconds_dense = dc_now() - t_dense;
    /* a video whose frames decode is mined even when it is too short for motion (one frame):
     * it gets a flat timeline and one window, not a failure */
    if (e == DC_OK && !out->has_audio && out->frames_seen == 0)
        e = dc_fail(st, DC_ERR_INPUT, "%s: neither audio nor frames could be decoded for mining",
                    path);
    if (e == DC_OK && !out->has_audio && !out->has_video)
        dc_degrade(st, "%s: too few frames for motion cues (%d decoded)", path, out->frames_seen);
    if (e == DC_OK && dc_deadline_passed(dl))
        e = dc_fail(st, DC_ERR_TIMEOUT, "%s: mining passed its deadline", path);
    if (e != DC_OK) {
        dc_mine_result_free(out);
        return e;
    }
    /* the dashcam's own data: cheap (linear in its samples), so over the whole video */
    if (!dc_mine_telemetry_features(o.telemetry, out->hz, out->count, out->signal[DC_MINE_JOLT],
                                    out->signal[DC_MINE_SPEED_DROP], &out->has_accel,
                                    &out->has_gps_speed))
        dc_degrade(st, "%s: telemetry cues left out (out of memory)", path);
    e = dc_mine_fuse(out, &o, st);
    if (e != DC_OK) {
        dc_mine_result_free(out);
        return e;
    }
    out->seconds_total = dc_now() - t_start;
    return DC_OK;
}

dc_error_class dc_mine_densify(dc_media *m, const dc_mine_options *opts, double min_danger,
                               dc_deadline dl, dc_mine_result *r, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    dc_mine_options o;
    if (opts) o = *opts;
    else dc_mine_options_init(&o);
    if (!m || !r || !r->danger) return dc_fail(st, DC_ERR_INTERNAL, "dc_mine_densify: no result");
    if (!o.use_video) return DC_OK;
    double t0 = dc_now();
    dc_error_class e = mine_dense(m, &o, min_danger, dl, r, st);
    r->seconds_dense += dc_now() - t0;
    r->seconds_total += dc_now() - t0;
    if (e == DC_OK && dc_deadline_passed(dl))
        e = dc_fail(st, DC_ERR_TIMEOUT, "%s: mining passed its deadline", dc_media_path(m));
    if (e == DC_OK) e = dc_mine_fuse(r, &o, st);
    return e;
}
