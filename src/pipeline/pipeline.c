#include "dashclaim/pipeline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashclaim/deadline.h"
#include "dashclaim/engine.h"
#include "dashclaim/files.h"
#include "dashclaim/hash.h"
#include "dashclaim/media.h"
#include "dashclaim/mine.h"
#include "dashclaim/sysinfo.h"
#include "dashclaim/telemetry.h"
#include "pipeline_internal.h"

/* Frames the signals engine keeps for the report are this size (longest side). */
#define SIGNALS_EVIDENCE_SIDE 480

void dc_pipeline_options_init(dc_pipeline_options *o) {
    memset(o, 0, sizeof *o);
    o->windows = 3;
    o->vlm_windows = 1;
    o->timeout_sec = 600;
}

static double ms_since(double t0) { return (dc_now() - t0) * 1000.0; }

static void set_identity(dc_assessment *a, const char *path, const char *claim_id) {
    snprintf(a->video.path, sizeof a->video.path, "%s", path);
    snprintf(a->claim_id, sizeof a->claim_id, "%s", claim_id ? claim_id : dc_path_base(path));
}

static void set_video_info(dc_assessment *a, const dc_media_info *info) {
    a->video.duration_sec = info->duration_sec;
    bool sideways = info->rotation == 90 || info->rotation == 270;
    a->video.width = sideways ? info->height : info->width;
    a->video.height = sideways ? info->width : info->height;
    a->video.fps = info->avg_fps;
    snprintf(a->video.encoder, sizeof a->video.encoder, "%s", info->encoder);
    snprintf(a->video.device, sizeof a->video.device, "%s", info->device);
}

/* The record's video is the claim's main one; its duration is the claim's timeline's. */
static void set_main_video(dc_assessment *a, const claim_parts *cp, double timeline_sec) {
    int i = cp->first_usable >= 0 ? cp->first_usable : 0;
    const claim_part *p = &cp->parts[i];
    snprintf(a->video.path, sizeof a->video.path, "%s", p->video->path);
    if (p->m) set_video_info(a, dc_media_get_info(p->m));
    if (cp->count > 1) a->video.duration_sec = timeline_sec;
}

/* Severity expected under the engine's distribution: how windows are ranked when the VLM
 * looks at several (the most serious one decides the claim). */
static double expected_severity(const dc_assessment *a) {
    double e = 0, total = 0;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++)
        e += i * a->severity_probs[i], total += a->severity_probs[i];
    return total > 0 ? e / total : (double)a->severity;
}

/* The report's copy of the danger timeline. A copy that cannot be made is work dropped: the
 * claim says so (degraded) instead of a report that silently lacks its timeline. */
static bool keep_timeline(dc_claim_result *out, const dc_mine_result *mine) {
    if (!mine->danger || mine->count <= 0) return true;
    out->danger = malloc((size_t)mine->count * sizeof *out->danger);
    if (!out->danger) return false;
    memcpy(out->danger, mine->danger, (size_t)mine->count * sizeof *out->danger);
    out->danger_count = mine->count;
    out->danger_hz = mine->hz;
    return true;
}

/* The signals engine needs no frames; the report still wants to show each moment it cites.
 * One frame per evidence time and channel (the sampler seeks to the keyframe before it and
 * decodes forward), in evidence order; evidence[i].frame indexes the main channel's. */
static void keep_signals_evidence(claim_parts *cp, const dc_pipeline_options *opts, dc_deadline dl,
                                  dc_claim_result *out) {
    dc_assessment *a = &out->assessment;
    dc_frame_set *kept = &out->evidence_frames;
    double t0 = dc_now();
    int capacity = DC_MAX_EVIDENCE * DC_ROLE_COUNT;
    kept->frames = calloc((size_t)capacity, sizeof *kept->frames);
    if (!kept->frames) {
        dc_assessment_degrade(a, "evidence frames not kept for the report: out of memory");
        return;
    }
    kept->requested = a->evidence_count;
    int missing = 0;
    dc_status first_miss = DC_STATUS_OK;
    for (int i = 0; i < a->evidence_count && kept->count < capacity; i++) {
        dc_status st = DC_STATUS_OK;
        int main_index;
        pipeline_frames_at(cp, a->evidence[i].t_sec, SIGNALS_EVIDENCE_SIDE, opts->decode_workers,
                           dl, kept, capacity, &main_index, &st);
        if (main_index >= 0) {
            a->evidence[i].frame = main_index;
            continue;
        }
        /* out of time: the frames left are missing too, without trying each */
        if (st.code == DC_ERR_TIMEOUT) {
            if (!missing) first_miss = st;
            missing += a->evidence_count - i;
            break;
        }
        if (!missing++) {
            first_miss = st;
            if (first_miss.code == DC_OK && !first_miss.degraded)
                snprintf(first_miss.message, sizeof first_miss.message,
                         "no frame decoded at %.2f s", a->evidence[i].t_sec);
        }
    }
    if (missing) {
        char why[sizeof first_miss.message + 96];
        snprintf(why, sizeof why, "%d of %d evidence frames not kept for the report (first: %s)",
                 missing, a->evidence_count, first_miss.message);
        dc_assessment_degrade(a, why);
    }
    a->timings_ms.sample = ms_since(t0);
}

/* Footage seen in earlier claims, before the decision: the caller's lookup (the pipeline never
 * calls a store). Without one the record says the check did not run: that is not "no match". */
static void check_footage(dc_assessment *a, const dc_pipeline_options *opts,
                          const dc_claim_result *out, bool fingerprints_kept) {
    dc_footage_check *c = &a->footage;
    memset(c, 0, sizeof *c);
    if (!opts->footage_lookup) {
        snprintf(c->note, sizeof c->note,
                 "no claim store given: footage seen in other claims was not looked for");
        return;
    }
    dc_fingerprint none = {0};
    const dc_fingerprint *fps = fingerprints_kept ? out->fingerprints : &none;
    if (!opts->footage_lookup(opts->footage_lookup_ctx, a->claim_id, a->videos, fps,
                              fingerprints_kept ? out->fingerprint_count : 0, &a->telemetry, c)) {
        char why[sizeof c->note + 64];
        snprintf(why, sizeof why, "footage in other claims not fully checked: %s",
                 c->note[0] ? c->note : "the lookup failed");
        dc_assessment_degrade(a, why);
    }
    if (c->match_count > DC_MAX_FOOTAGE_MATCHES) c->match_count = DC_MAX_FOOTAGE_MATCHES;
    if (c->match_count < 0) c->match_count = 0;
    if (c->near_count > DC_MAX_FOOTAGE_NEAR) c->near_count = DC_MAX_FOOTAGE_NEAR;
    if (c->near_count < 0) c->near_count = 0;
}

/* A failed claim's record: a timeout names the stage that ran out; a claim without its
 * main video's hash says what became of the hash. */
static void explain_failure(dc_assessment *a, const char *stage, const claim_parts *cp) {
    if (a->status != DC_CLAIM_FAILED) return;
    char note[160] = "";
    const claim_part *p =
        cp->count ? &cp->parts[cp->first_usable >= 0 ? cp->first_usable : 0] : NULL;
    if (p && !p->hash.given && p->hash.end != DC_HASH_DONE)
        pipeline_hash_note(&p->hash, p->video->path, note, sizeof note);
    dc_status st = {.code = a->error_class};
    int n; /* a message too long keeps its head: the stage and the hash come first */
    if (a->error_class == DC_ERR_TIMEOUT)
        n = snprintf(st.message, sizeof st.message, "deadline passed in stage %s%s%s: %s",
                     stage ? stage : "?", note[0] ? "; " : "", note, a->error_message);
    else if (note[0]) n = snprintf(st.message, sizeof st.message, "%s; %s", a->error_message, note);
    else return;
    if (n < 0) return;
    dc_assessment_fail(a, &st);
}

/* The record's notes for a claim of several videos: a video that added nothing, a video's
 * hash that is missing. One video: its hash note as before. */
static void note_videos(dc_assessment *a, claim_parts *cp, dc_deadline dl) {
    for (int i = 0; i < cp->count; i++) {
        claim_part *p = &cp->parts[i];
        pipeline_hash_end(&p->hash, p->video->path, false, dl, p->video->sha256);
        if (p->video->error[0]) {
            char why[sizeof p->video->error + 96];
            snprintf(why, sizeof why, "%s video %s added nothing: %s",
                     dc_video_role_name(p->video->role), dc_path_base(p->video->path),
                     p->video->error);
            dc_assessment_degrade(a, why);
        }
        if (p->hash.end != DC_HASH_DONE && (p->m || cp->count == 1)) {
            char note[160], why[sizeof note + 1100];
            pipeline_hash_note(&p->hash, p->video->path, note, sizeof note);
            if (cp->count == 1) snprintf(why, sizeof why, "%s", note);
            else snprintf(why, sizeof why, "%s: %s", dc_path_base(p->video->path), note);
            dc_assessment_degrade(a, why);
        }
    }
    int main = cp->first_usable >= 0 ? cp->first_usable : 0;
    snprintf(a->video.sha256, sizeof a->video.sha256, "%s", cp->parts[main].video->sha256);
}

/* ---- the VLM's windows ------------------------------------------------------------------
 *
 * The VLM looks at the best windows; the most serious answer becomes the claim's. When mining
 * was unsure (no sound, or weak danger) it looks at one window more than asked: the VLM sees
 * more of the video, not less. Without any window it sees the whole claim. A window of a claim
 * of several videos is taken from every file it crosses and from every channel
 * (claim_frames.c). Each window's frames (and sound, for a model that hears) are sampled
 * first (run_begin), the engine answers each (alone, run_engine; or in a batch), and
 * run_finish picks the answer; errors are taken in window order, sampling before answering,
 * as one window after the other would meet them. */

/* The sound of window w's peak for a model that hears (at most one Whisper window, from the
 * video of the main channel the peak is in). false when the deadline passed in it. */
static bool sample_sound(claim_run *run, const dc_window *win, run_window *rw) {
    dc_vlm *vlm = run->opts->vlm;
    int av = pipeline_parts_main_video_at(run->cp, win->peak_sec);
    const claim_part *ap = &run->cp->parts[av];
    if (!dc_vlm_hears(vlm) || !ap->m || !dc_media_get_info(ap->m)->has_audio) return true;
    double from = win->peak_sec - DC_VLM_MAX_AUDIO_SEC / 2;
    if (from < win->start_sec || win->peak_sec <= 0) from = win->start_sec;
    double to =
        from + DC_VLM_MAX_AUDIO_SEC < win->end_sec ? from + DC_VLM_MAX_AUDIO_SEC : win->end_sec;
    double off = ap->video->offset_sec;
    dc_status ast = DC_STATUS_OK;
    dc_error_class arc = dc_media_audio(ap->m, from - off, to - off, dc_vlm_audio_rate(vlm),
                                        run->dl, &rw->pcm, &ast);
    if (arc == DC_OK) {
        rw->pcm.start_sec += off;
        rw->ctx.audio = &rw->pcm;
    }
    /* out of time in the sound: the engine would fail at once, naming itself; a video
     * whose sound does not decode is assessed on its frames (engine.modalities says so) */
    if (arc == DC_ERR_TIMEOUT) {
        rw->sample_error = ast;
        rw->sample_stage = "audio";
        return false;
    }
    return true;
}

/* Samples the windows the VLM looks at; stops at a deadline. */
static void sample_windows(claim_run *run, bool unsure) {
    dc_assessment *a = &run->out->assessment;
    const dc_pipeline_options *opts = run->opts;
    double timeline = run->mine.duration_sec;
    dc_window whole = {.start_sec = 0, .end_sec = timeline, .peak_sec = 0};
    const dc_window *windows = a->window_count ? a->windows : &whole;
    int nwin = a->window_count ? a->window_count : 1;
    int want = opts->vlm_windows + (unsure ? 1 : 0);
    if (nwin > want) nwin = want;
    if (nwin > RUN_MAX_WINDOWS) nwin = RUN_MAX_WINDOWS;
    /* A claim that fails before the engine runs still says which engine it was for. */
    snprintf(a->engine.name, sizeof a->engine.name, "vlm");
    double t0 = dc_now();
    for (int w = 0; w < nwin; w++) {
        run_window *rw = &run->windows[run->window_count++];
        rw->sample_stage = "sample";
        rw->ctx = (dc_engine_context){.claim_id = a->claim_id,
                                      .duration_sec = timeline,
                                      .mining_context = opts->mining_context,
                                      .windows = a->windows,
                                      .window_count = a->window_count,
                                      .telemetry = &run->out->telemetry,
                                      .videos = a->videos,
                                      .video_count = a->video_count};
        dc_sample_request req;
        dc_frame_plan plan;
        if (dc_vlm_frame_request(opts->vlm, windows[w].start_sec, windows[w].end_sec,
                                 a->video.width, a->video.height, &req, &plan,
                                 &rw->sample_error) != DC_OK)
            continue;
        req.decode_workers = opts->decode_workers;
        dc_error_class rc =
            pipeline_frames_sample(run->cp, &req, windows[w].start_sec, windows[w].end_sec, run->dl,
                                   &rw->frames, &rw->sample_error);
        if (rc != DC_OK || rw->frames.count == 0) {
            if (rc == DC_OK)
                dc_fail(&rw->sample_error, DC_ERR_INPUT, "%s: no frames decoded in %.1f-%.1f s",
                        a->video.path, windows[w].start_sec, windows[w].end_sec);
            dc_frame_set_free(&rw->frames);
            if (rc == DC_ERR_TIMEOUT) break; /* no time left for other windows */
            continue;
        }
        rw->sample_error = DC_STATUS_OK; /* a degraded sample (fewer frames) is no error */
        if (!sample_sound(run, &windows[w], rw)) {
            dc_frame_set_free(&rw->frames);
            break;
        }
        rw->sampled = true;
        rw->trial = *a;
    }
    run->sample_ms = ms_since(t0);
}

bool run_engine(claim_run *run, int w) {
    run_window *rw = &run->windows[w];
    if (!rw->sampled) return true;
    dc_status st = DC_STATUS_OK;
    double t0 = dc_now();
    dc_error_class rc =
        dc_vlm_assess(run->opts->vlm, &rw->frames, &rw->ctx, run->dl, &rw->trial, &st);
    rw->trial.engine.batch = 1; /* alone */
    run_engine_done(run, w, rc, &st, dc_vlm_last_stats(run->opts->vlm)->prompt_tokens,
                    ms_since(t0));
    return rc != DC_ERR_TIMEOUT; /* no time left for other windows */
}

void run_engine_done(claim_run *run, int w, dc_error_class rc, const dc_status *st,
                     int prompt_tokens, double engine_ms) {
    run_window *rw = &run->windows[w];
    rw->assessed = true;
    rw->engine_rc = rc;
    rw->engine_st = *st;
    rw->prompt_tokens = prompt_tokens;
    rw->engine_ms = engine_ms;
    rw->ctx.audio = NULL;
    dc_pcm_free(&rw->pcm);
}

/* The most serious answer becomes the claim's; the first error (in window order) degrades it
 * or, without any answer, fails it. Returns the stage that failed, NULL when one answered. */
static const char *pick_answer(claim_run *run, dc_frame_set *shown) {
    dc_assessment *a = &run->out->assessment;
    double timeline = run->mine.duration_sec;
    const run_window *best = NULL, *first_failure = NULL;
    dc_status first_error = DC_STATUS_OK;
    const char *first_error_stage = "sample";
    double engine_ms = 0;
    for (int w = 0; w < run->window_count; w++) {
        run_window *rw = &run->windows[w];
        if (rw->sample_error.code != DC_OK && first_error.code == DC_OK)
            first_error = rw->sample_error, first_error_stage = rw->sample_stage;
        if (!rw->assessed) continue;
        engine_ms += rw->engine_ms;
        run->out->prompt_tokens += rw->prompt_tokens;
        if (rw->engine_rc != DC_OK) {
            if (first_error.code == DC_OK)
                first_error = rw->engine_st, first_error_stage = "engine";
            if (!first_failure) first_failure = rw;
            continue;
        }
        /* the model's times and numbers, checked against the claim and the frames it saw */
        dc_pipeline_check_record(&rw->trial, timeline, &rw->frames);
        dc_pipeline_check_speed(&rw->trial, &run->out->telemetry, &rw->frames);
        if (!best || expected_severity(&rw->trial) > expected_severity(&best->trial)) best = rw;
    }
    dc_timings timings = a->timings_ms;
    uint64_t rss_before = a->memory.rss_before;
    if (best) {
        *a = best->trial;
        if (first_error.code != DC_OK) dc_assessment_degrade(a, first_error.message);
        *shown = best->frames;
        ((run_window *)best)->frames = (dc_frame_set){0};
    } else if (first_failure) {
        *a = first_failure->trial; /* the engine's own record: model, device, memory */
    } else {
        if (first_error.code == DC_OK)
            dc_fail(&first_error, DC_ERR_INTERNAL, "%s: no window assessed", a->video.path);
        dc_assessment_fail(a, &first_error);
    }
    a->timings_ms = timings;
    a->timings_ms.sample = run->sample_ms;
    a->timings_ms.engine = engine_ms;
    a->memory.rss_before = rss_before;
    return a->status == DC_CLAIM_FAILED ? (first_failure ? "engine" : first_error_stage) : NULL;
}

bool run_begin(claim_run *run, const dc_claim_input *in, const char *claim_id,
               const dc_pipeline_options *opts, dc_claim_result *out) {
    memset(out, 0, sizeof *out);
    memset(run, 0, sizeof *run);
    run->out = out;
    run->opts = opts;
    run->stage = "probe";
    dc_assessment *a = &out->assessment;
    dc_assessment_init(a);
    set_identity(a, in && in->count > 0 ? in->videos[0].path : "", claim_id);
    run->t_claim = dc_now();
    a->memory.rss_before = dc_rss_bytes();
    run->dl = dc_deadline_in(opts->timeout_sec);
    dc_status st = DC_STATUS_OK;
    /* the parts live on the heap: 32 videos' state is too large for a worker thread's stack */
    run->cp = calloc(1, sizeof *run->cp);
    if (!run->cp) {
        dc_fail(&st, DC_ERR_RESOURCE, "out of memory starting the claim");
        dc_assessment_fail(a, &st);
        return false;
    }
    double t0 = dc_now();
    if (pipeline_parts_init(in, a, run->cp, &st) != DC_OK ||
        pipeline_parts_open(run->cp, opts, run->dl, a, &st) != DC_OK) {
        a->timings_ms.probe = ms_since(t0);
        dc_assessment_fail(a, &st);
        return false;
    }
    a->timings_ms.probe = ms_since(t0);

    dc_mine_options mo;
    dc_mine_options_init(&mo);
    mo.k = opts->windows < DC_MINE_MAX_WINDOWS ? opts->windows : DC_MINE_MAX_WINDOWS;
    run->stage = "mine";
    t0 = dc_now();
    dc_error_class rc = pipeline_parts_mine(run->cp, &mo, run->dl, &run->mine, &st);
    a->timings_ms.mine = ms_since(t0);
    set_main_video(a, run->cp, run->mine.duration_sec);
    if (rc != DC_OK) {
        dc_assessment_fail(a, &st);
        return false;
    }
    run->timeline_kept = keep_timeline(out, &run->mine);
    run->fingerprints_kept = pipeline_parts_take_fingerprints(run->cp, &run->mine, out);
    run->mining_degraded = st.degraded;
    run->mining_status = st;
    /* the dashcam's own data on the claim's timeline, for the engine, the checks, the record */
    t0 = dc_now();
    run->telemetry_kept = pipeline_parts_telemetry(run->cp, &out->telemetry, run->telemetry_note,
                                                   sizeof run->telemetry_note) == DC_OK;
    a->timings_ms.probe += ms_since(t0);

    if (opts->vlm) {
        a->window_count = dc_mine_windows_to_claim(&run->mine, a->windows, DC_MAX_WINDOWS);
        sample_windows(run, run->mine.unsure);
        run->stage = "sample";
        for (int w = 0; w < run->window_count; w++) run->vlm_pending |= run->windows[w].sampled;
        return run->vlm_pending;
    }
    run->stage = "engine";
    t0 = dc_now();
    st = DC_STATUS_OK;
    rc = dc_signals_assess(&run->mine, a, &st);
    a->timings_ms.engine = ms_since(t0);
    if (rc != DC_OK) {
        dc_assessment_fail(a, &st);
        return false;
    }
    if (st.degraded) dc_assessment_degrade(a, st.message);
    dc_pipeline_use_telemetry(&out->telemetry, a);
    if (opts->keep_evidence) keep_signals_evidence(run->cp, opts, run->dl, out);
    pipeline_parts_place_rows(run->cp, opts->keep_evidence ? &out->evidence_frames : NULL, a);
    run->stage = NULL; /* the engine's part is done */
    return false;
}

void run_finish(claim_run *run) {
    dc_claim_result *out = run->out;
    dc_assessment *a = &out->assessment;
    const dc_pipeline_options *opts = run->opts;
    claim_parts *cp = run->cp;
    dc_frame_set shown = {0};
    if (opts->vlm && a->status != DC_CLAIM_FAILED && run->window_count > 0) {
        run->stage = pick_answer(run, &shown);
        if (a->status != DC_CLAIM_FAILED) {
            dc_pipeline_use_telemetry(&out->telemetry, a);
            pipeline_parts_place_rows(cp, &shown, a);
            if (opts->keep_evidence) {
                out->evidence_frames = shown;
                shown = (dc_frame_set){0};
            }
        }
    }
    if (a->status != DC_CLAIM_FAILED) {
        check_footage(a, opts, out, run->fingerprints_kept);
        if (run->mining_degraded) dc_assessment_degrade(a, run->mining_status.message);
        if (run->telemetry_note[0]) dc_assessment_degrade(a, run->telemetry_note);
        if (!run->telemetry_kept)
            dc_assessment_degrade(a, "the claim's telemetry not joined: out of memory");
        /* Work dropped before the engine ran is recorded now, once the engine has written the
         * record (the VLM path replaces it with the best window's). */
        if (!run->timeline_kept)
            dc_assessment_degrade(a, "danger timeline not kept for the report: out of memory");
        /* the hashes tie the record to the bytes assessed (audit): a record without one says
         * why; what they still need after the claim's work counts as probing */
        double t0 = dc_now();
        note_videos(a, cp, run->dl);
        a->timings_ms.probe += ms_since(t0);
    }
    /* a claim that failed wants no hash: the threads stop within one block */
    if (cp) {
        for (int i = 0; i < cp->count; i++)
            pipeline_hash_end(&cp->parts[i].hash, cp->parts[i].video->path, true, run->dl,
                              cp->parts[i].video->sha256);
        if (a->status == DC_CLAIM_FAILED && cp->count)
            snprintf(a->video.sha256, sizeof a->video.sha256, "%s",
                     cp->parts[cp->first_usable >= 0 ? cp->first_usable : 0].video->sha256);
        explain_failure(a, run->stage, cp);
    }
    double t0 = dc_now();
    dc_claim_decide(a, opts->metadata, opts->calibration);
    a->timings_ms.decide = ms_since(t0);
    dc_frame_set_free(&shown);
    for (int w = 0; w < run->window_count; w++) {
        dc_frame_set_free(&run->windows[w].frames);
        dc_pcm_free(&run->windows[w].pcm);
    }
    dc_mine_result_free(&run->mine);
    if (cp) pipeline_parts_close(cp);
    free(cp);
    run->cp = NULL;
    dc_release_free_memory();
    a->memory.rss_after = dc_rss_bytes();
    a->timings_ms.total = ms_since(run->t_claim);
}

void dc_pipeline_assess_claim(const dc_claim_input *in, const char *claim_id,
                              const dc_pipeline_options *opts, dc_claim_result *out) {
    claim_run *run = malloc(sizeof *run); /* a run holds a record per window: the heap */
    if (!run) {
        memset(out, 0, sizeof *out);
        dc_assessment_init(&out->assessment);
        set_identity(&out->assessment, in && in->count > 0 ? in->videos[0].path : "", claim_id);
        dc_status st;
        dc_fail(&st, DC_ERR_RESOURCE, "out of memory starting the claim");
        dc_assessment_fail(&out->assessment, &st);
        dc_claim_decide(&out->assessment, opts->metadata, opts->calibration);
        return;
    }
    if (run_begin(run, in, claim_id, opts, out))
        for (int w = 0; w < run->window_count; w++)
            if (!run_engine(run, w)) break;
    run_finish(run);
    free(run);
}

void dc_pipeline_assess(const char *video_path, const char *claim_id,
                        const dc_pipeline_options *opts, dc_claim_result *out) {
    /* one video: the same code with one entry (the input is large: on the heap) */
    dc_claim_input *in = calloc(1, sizeof *in);
    if (!in) {
        memset(out, 0, sizeof *out);
        dc_assessment_init(&out->assessment);
        set_identity(&out->assessment, video_path, claim_id);
        dc_status st;
        dc_fail(&st, DC_ERR_RESOURCE, "%s: out of memory starting the claim", video_path);
        dc_assessment_fail(&out->assessment, &st);
        dc_claim_decide(&out->assessment, opts->metadata, opts->calibration);
        return;
    }
    in->count = 1;
    snprintf(in->videos[0].path, sizeof in->videos[0].path, "%s", video_path);
    in->videos[0].segment = -1;
    if (opts->video_sha256)
        snprintf(in->videos[0].sha256, sizeof in->videos[0].sha256, "%s", opts->video_sha256);
    dc_pipeline_assess_claim(in, claim_id, opts, out);
    free(in);
}

void dc_claim_result_free(dc_claim_result *r) {
    if (!r) return;
    for (int i = 0; i < r->fingerprint_count; i++) dc_fingerprint_free(&r->fingerprints[i]);
    free(r->fingerprints);
    r->fingerprints = NULL;
    r->fingerprint_count = 0;
    free(r->danger);
    r->danger = NULL;
    dc_frame_set_free(&r->evidence_frames);
    dc_telemetry_free(&r->telemetry);
}
