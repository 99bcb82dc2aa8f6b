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

/* The VLM looks at the best windows; the most serious answer becomes the claim's. When
 * mining was unsure (no sound, or weak danger) it looks at one window more than asked: the
 * VLM sees more of the video, not less. Without any window it sees the whole claim. A window
 * of a claim of several videos is taken from every file it crosses and from every channel
 * (claim_frames.c). */
static const char *assess_with_vlm(claim_parts *cp, const dc_pipeline_options *opts, bool unsure,
                                   double timeline_sec, dc_deadline dl, dc_claim_result *out,
                                   dc_frame_set *shown_best) {
    dc_assessment *a = &out->assessment;
    dc_window whole = {.start_sec = 0, .end_sec = timeline_sec, .peak_sec = 0};
    const dc_window *windows = a->window_count ? a->windows : &whole;
    int nwin = a->window_count ? a->window_count : 1;
    int want = opts->vlm_windows + (unsure ? 1 : 0);
    if (nwin > want) nwin = want;
    dc_engine_context ctx = {.claim_id = a->claim_id,
                             .duration_sec = timeline_sec,
                             .mining_context = opts->mining_context,
                             .windows = a->windows,
                             .window_count = a->window_count,
                             .telemetry = &out->telemetry,
                             .videos = a->videos,
                             .video_count = a->video_count};
    /* A claim that fails before the engine runs still says which engine it was for. */
    snprintf(a->engine.name, sizeof a->engine.name, "vlm");
    dc_assessment best, trial, first_failure;
    bool have_best = false, have_failure = false;
    dc_status first_error = DC_STATUS_OK;
    const char *first_error_stage = "sample";
    double sample_ms = 0, engine_ms = 0;
    for (int w = 0; w < nwin; w++) {
        dc_status st = DC_STATUS_OK;
        dc_sample_request req;
        dc_frame_plan plan;
        if (dc_vlm_frame_request(opts->vlm, windows[w].start_sec, windows[w].end_sec,
                                 a->video.width, a->video.height, &req, &plan, &st) != DC_OK) {
            if (first_error.code == DC_OK) first_error = st;
            continue;
        }
        req.decode_workers = opts->decode_workers;
        dc_frame_set frames = {0};
        double t0 = dc_now();
        dc_error_class rc = pipeline_frames_sample(cp, &req, windows[w].start_sec,
                                                   windows[w].end_sec, dl, &frames, &st);
        sample_ms += ms_since(t0);
        if (rc != DC_OK || frames.count == 0) {
            if (rc == DC_OK)
                dc_fail(&st, DC_ERR_INPUT, "%s: no frames decoded in %.1f-%.1f s", a->video.path,
                        windows[w].start_sec, windows[w].end_sec);
            if (first_error.code == DC_OK) first_error = st, first_error_stage = "sample";
            dc_frame_set_free(&frames);
            if (rc == DC_ERR_TIMEOUT) break; /* no time left for other windows */
            continue;
        }
        /* a model that hears gets the window's sound (at most one Whisper window, around the
         * peak) from the video of the main channel the peak is in; a video without sound, or
         * whose sound does not decode, is assessed on its frames, and the record's
         * engine.modalities says which */
        dc_pcm pcm = {0};
        const dc_window *win = &windows[w];
        int av = pipeline_parts_main_video_at(cp, win->peak_sec);
        const claim_part *ap = &cp->parts[av];
        if (dc_vlm_hears(opts->vlm) && ap->m && dc_media_get_info(ap->m)->has_audio) {
            double from = win->peak_sec - DC_VLM_MAX_AUDIO_SEC / 2;
            if (from < win->start_sec || win->peak_sec <= 0) from = win->start_sec;
            double to = from + DC_VLM_MAX_AUDIO_SEC < win->end_sec ? from + DC_VLM_MAX_AUDIO_SEC
                                                                   : win->end_sec;
            double off = ap->video->offset_sec;
            dc_status ast = DC_STATUS_OK;
            dc_error_class arc = dc_media_audio(ap->m, from - off, to - off,
                                                dc_vlm_audio_rate(opts->vlm), dl, &pcm, &ast);
            if (arc == DC_OK) {
                pcm.start_sec += off;
                ctx.audio = &pcm;
            }
            /* out of time in the sound: the engine would fail at once, naming itself */
            if (arc == DC_ERR_TIMEOUT) {
                if (first_error.code == DC_OK) first_error = ast, first_error_stage = "audio";
                dc_frame_set_free(&frames);
                break;
            }
        }
        trial = *a;
        t0 = dc_now();
        rc = dc_vlm_assess(opts->vlm, &frames, &ctx, dl, &trial, &st);
        engine_ms += ms_since(t0);
        ctx.audio = NULL;
        dc_pcm_free(&pcm);
        out->prompt_tokens += dc_vlm_last_stats(opts->vlm)->prompt_tokens;
        /* the model's times and numbers, checked against the claim and the frames it saw */
        if (rc == DC_OK) {
            dc_pipeline_check_record(&trial, timeline_sec, &frames);
            dc_pipeline_check_speed(&trial, &out->telemetry, &frames);
        }
        if (rc != DC_OK) {
            if (first_error.code == DC_OK) first_error = st, first_error_stage = "engine";
            if (!have_failure) first_failure = trial, have_failure = true;
            dc_frame_set_free(&frames);
            if (rc == DC_ERR_TIMEOUT) break; /* no time left for other windows */
            continue;
        }
        if (!have_best || expected_severity(&trial) > expected_severity(&best)) {
            best = trial;
            have_best = true;
            dc_frame_set_free(shown_best);
            *shown_best = frames;
            frames = (dc_frame_set){0};
        }
        dc_frame_set_free(&frames);
    }
    dc_timings timings = a->timings_ms;
    uint64_t rss_before = a->memory.rss_before;
    if (have_best) {
        *a = best;
        if (first_error.code != DC_OK) dc_assessment_degrade(a, first_error.message);
    } else if (have_failure) {
        *a = first_failure; /* the engine's own record of the failure: model, device, memory */
    } else {
        if (first_error.code == DC_OK)
            dc_fail(&first_error, DC_ERR_INTERNAL, "%s: no window assessed", a->video.path);
        dc_assessment_fail(a, &first_error);
    }
    a->timings_ms = timings;
    a->timings_ms.sample = sample_ms;
    a->timings_ms.engine = engine_ms;
    a->memory.rss_before = rss_before;
    return a->status == DC_CLAIM_FAILED ? (have_failure ? "engine" : first_error_stage) : NULL;
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
                              fingerprints_kept ? out->fingerprint_count : 0, c)) {
        char why[sizeof c->note + 64];
        snprintf(why, sizeof why, "footage in other claims not fully checked: %s",
                 c->note[0] ? c->note : "the lookup failed");
        dc_assessment_degrade(a, why);
    }
    if (c->match_count > DC_MAX_FOOTAGE_MATCHES) c->match_count = DC_MAX_FOOTAGE_MATCHES;
    if (c->match_count < 0) c->match_count = 0;
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

void dc_pipeline_assess_claim(const dc_claim_input *in, const char *claim_id,
                              const dc_pipeline_options *opts, dc_claim_result *out) {
    memset(out, 0, sizeof *out);
    dc_assessment *a = &out->assessment;
    dc_assessment_init(a);
    set_identity(a, in && in->count > 0 ? in->videos[0].path : "", claim_id);
    double t_claim = dc_now();
    a->memory.rss_before = dc_rss_bytes();
    dc_deadline dl = dc_deadline_in(opts->timeout_sec);
    dc_status st = DC_STATUS_OK;
    dc_mine_result mine;
    memset(&mine, 0, sizeof mine);
    dc_frame_set shown = {0};
    const char *stage = "probe"; /* the stage running, named when the claim runs out of time */
    /* the parts live on the heap: 32 videos' state is too large for a worker thread's stack */
    claim_parts *cp = calloc(1, sizeof *cp);
    if (!cp) {
        dc_fail(&st, DC_ERR_RESOURCE, "out of memory starting the claim");
        dc_assessment_fail(a, &st);
        goto decide;
    }

    double t0 = dc_now();
    if (pipeline_parts_init(in, a, cp, &st) != DC_OK ||
        pipeline_parts_open(cp, opts, dl, a, &st) != DC_OK) {
        a->timings_ms.probe = ms_since(t0);
        dc_assessment_fail(a, &st);
        goto done;
    }
    a->timings_ms.probe = ms_since(t0);

    dc_mine_options mo;
    dc_mine_options_init(&mo);
    mo.k = opts->windows < DC_MINE_MAX_WINDOWS ? opts->windows : DC_MINE_MAX_WINDOWS;
    stage = "mine";
    t0 = dc_now();
    dc_error_class rc = pipeline_parts_mine(cp, &mo, dl, &mine, &st);
    a->timings_ms.mine = ms_since(t0);
    set_main_video(a, cp, mine.duration_sec);
    if (rc != DC_OK) {
        dc_assessment_fail(a, &st);
        goto done;
    }
    bool timeline_kept = keep_timeline(out, &mine);
    bool fingerprints_kept = pipeline_parts_take_fingerprints(cp, &mine, out);
    bool mining_degraded = st.degraded;
    dc_status mining_status = st;
    /* the dashcam's own data on the claim's timeline, for the engine, the checks, the record */
    t0 = dc_now();
    char telemetry_note[sizeof st.message + 1100];
    bool telemetry_kept = pipeline_parts_telemetry(cp, &out->telemetry, telemetry_note,
                                                   sizeof telemetry_note) == DC_OK;
    a->timings_ms.probe += ms_since(t0);

    if (opts->vlm) {
        a->window_count = dc_mine_windows_to_claim(&mine, a->windows, DC_MAX_WINDOWS);
        stage = assess_with_vlm(cp, opts, mine.unsure, mine.duration_sec, dl, out, &shown);
        if (a->status == DC_CLAIM_FAILED) goto done;
        dc_pipeline_use_telemetry(&out->telemetry, a);
        pipeline_parts_place_rows(cp, &shown, a);
        if (opts->keep_evidence) {
            out->evidence_frames = shown;
            shown = (dc_frame_set){0};
        }
    } else {
        stage = "engine";
        t0 = dc_now();
        st = DC_STATUS_OK;
        rc = dc_signals_assess(&mine, a, &st);
        a->timings_ms.engine = ms_since(t0);
        if (rc != DC_OK) {
            dc_assessment_fail(a, &st);
            goto done;
        }
        if (st.degraded) dc_assessment_degrade(a, st.message);
        dc_pipeline_use_telemetry(&out->telemetry, a);
        if (opts->keep_evidence) keep_signals_evidence(cp, opts, dl, out);
        pipeline_parts_place_rows(cp, opts->keep_evidence ? &out->evidence_frames : NULL, a);
    }
    check_footage(a, opts, out, fingerprints_kept);
    if (mining_degraded) dc_assessment_degrade(a, mining_status.message);
    if (telemetry_note[0]) dc_assessment_degrade(a, telemetry_note);
    if (!telemetry_kept)
        dc_assessment_degrade(a, "the claim's telemetry not joined: out of memory");
    /* Work dropped before the engine ran is recorded now, once the engine has written the
     * record (the VLM path replaces it with the best window's). */
    if (!timeline_kept)
        dc_assessment_degrade(a, "danger timeline not kept for the report: out of memory");
    /* the hashes tie the record to the bytes assessed (audit): a record without one says why;
     * what they still need after the claim's work counts as probing */
    t0 = dc_now();
    note_videos(a, cp, dl);
    a->timings_ms.probe += ms_since(t0);

done:
    /* a claim that failed wants no hash: the threads stop within one block */
    if (cp) {
        for (int i = 0; i < cp->count; i++)
            pipeline_hash_end(&cp->parts[i].hash, cp->parts[i].video->path, true, dl,
                              cp->parts[i].video->sha256);
        if (a->status == DC_CLAIM_FAILED && cp->count)
            snprintf(a->video.sha256, sizeof a->video.sha256, "%s",
                     cp->parts[cp->first_usable >= 0 ? cp->first_usable : 0].video->sha256);
        explain_failure(a, stage, cp);
    }
decide:
    t0 = dc_now();
    dc_claim_decide(a, opts->metadata, opts->calibration);
    a->timings_ms.decide = ms_since(t0);
    dc_frame_set_free(&shown);
    dc_mine_result_free(&mine);
    if (cp) pipeline_parts_close(cp);
    free(cp);
    dc_release_free_memory();
    a->memory.rss_after = dc_rss_bytes();
    a->timings_ms.total = ms_since(t_claim);
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
