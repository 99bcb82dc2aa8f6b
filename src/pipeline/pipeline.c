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
 * VLM sees more of the video, not less. Without any window it sees the whole video. */
static const char *assess_with_vlm(dc_media *m, const dc_pipeline_options *opts, bool unsure,
                                   dc_deadline dl, dc_claim_result *out) {
    dc_assessment *a = &out->assessment;
    const dc_media_info *info = dc_media_get_info(m);
    dc_window whole = {.start_sec = 0, .end_sec = info->duration_sec, .peak_sec = 0};
    const dc_window *windows = a->window_count ? a->windows : &whole;
    int nwin = a->window_count ? a->window_count : 1;
    int want = opts->vlm_windows + (unsure ? 1 : 0);
    if (nwin > want) nwin = want;
    dc_engine_context ctx = {.claim_id = a->claim_id,
                             .duration_sec = info->duration_sec,
                             .mining_context = opts->mining_context,
                             .windows = a->windows,
                             .window_count = a->window_count,
                             .telemetry = &out->telemetry};
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
        dc_error_class rc = dc_frames_sample(m, &req, dl, &frames, &st);
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
         * peak); a video without sound, or whose sound does not decode, is assessed on its
         * frames, and the record's engine.modalities says which */
        dc_pcm pcm = {0};
        if (dc_vlm_hears(opts->vlm) && info->has_audio) {
            const dc_window *win = &windows[w];
            double from = win->peak_sec - DC_VLM_MAX_AUDIO_SEC / 2;
            if (from < win->start_sec || win->peak_sec <= 0) from = win->start_sec;
            double to = from + DC_VLM_MAX_AUDIO_SEC < win->end_sec ? from + DC_VLM_MAX_AUDIO_SEC
                                                                   : win->end_sec;
            dc_status ast = DC_STATUS_OK;
            dc_error_class arc =
                dc_media_audio(m, from, to, dc_vlm_audio_rate(opts->vlm), dl, &pcm, &ast);
            if (arc == DC_OK) ctx.audio = &pcm;
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
        /* the model's times and numbers, checked against the video and the frames it saw */
        if (rc == DC_OK) {
            dc_pipeline_check_record(&trial, info->duration_sec, &frames);
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
            if (opts->keep_evidence) {
                dc_frame_set_free(&out->evidence_frames);
                out->evidence_frames = frames;
                frames = (dc_frame_set){0};
            }
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
 * One frame per evidence time (the sampler seeks to the keyframe before it and decodes
 * forward), in evidence order, so evidence[i].frame indexes the kept set. */
static void keep_signals_evidence(dc_media *m, const dc_pipeline_options *opts, dc_deadline dl,
                                  dc_claim_result *out) {
    dc_assessment *a = &out->assessment;
    dc_frame_set *kept = &out->evidence_frames;
    double t0 = dc_now();
    kept->frames = calloc(DC_MAX_EVIDENCE, sizeof *kept->frames);
    if (!kept->frames) {
        dc_assessment_degrade(a, "evidence frames not kept for the report: out of memory");
        return;
    }
    kept->requested = a->evidence_count;
    int missing = 0;
    dc_status first_miss = DC_STATUS_OK;
    double frame_sec = a->video.fps > 0 ? 1.0 / a->video.fps : 0.04;
    for (int i = 0; i < a->evidence_count && kept->count < DC_MAX_EVIDENCE; i++) {
        dc_sample_request req = {.start_sec = a->evidence[i].t_sec,
                                 .end_sec = a->evidence[i].t_sec + frame_sec,
                                 .count = 1,
                                 .longest_side = SIGNALS_EVIDENCE_SIDE,
                                 .unit = 2,
                                 .mode = DC_SAMPLE_EXACT,
                                 .decode_workers = opts->decode_workers};
        dc_frame_set one = {0};
        dc_status st = DC_STATUS_OK;
        if (dc_frames_sample(m, &req, dl, &one, &st) == DC_OK && one.count == 1) {
            a->evidence[i].frame = kept->count;
            kept->frames[kept->count++] = one.frames[0];
            one.frames[0].rgb = NULL;
            one.count = 0;
        } else {
            /* out of time: the frames left are missing too, without trying each */
            if (st.code == DC_ERR_TIMEOUT) {
                if (!missing) first_miss = st;
                missing += a->evidence_count - i;
                dc_frame_set_free(&one);
                break;
            }
            if (!missing++) {
                first_miss = st;
                if (first_miss.code == DC_OK && !first_miss.degraded)
                    snprintf(first_miss.message, sizeof first_miss.message,
                             "no frame decoded at %.2f s", a->evidence[i].t_sec);
            }
        }
        dc_frame_set_free(&one);
    }
    if (missing) {
        char why[sizeof first_miss.message + 96];
        snprintf(why, sizeof why, "%d of %d evidence frames not kept for the report (first: %s)",
                 missing, a->evidence_count, first_miss.message);
        dc_assessment_degrade(a, why);
    }
    a->timings_ms.sample = ms_since(t0);
}

/* Telemetry never fails a claim: a video that cannot be read for it (the probe just opened
 * it), damaged telemetry or a deadline that passes leave what was read (maybe nothing) and a
 * note for the record, which degrades it once the engine has written it. */
static void read_telemetry(const char *path, dc_deadline dl, dc_telemetry *t, char *note,
                           size_t size) {
    dc_status st = DC_STATUS_OK;
    note[0] = 0;
    if (dc_telemetry_read(path, dl, t, &st) != DC_OK) {
        dc_telemetry_free(t);
        snprintf(note, size, "telemetry not read: %s", st.message);
    } else if (t->degraded) {
        snprintf(note, size, "telemetry (%s) damaged or cut: %s", t->source ? t->source : "none",
                 t->reason);
    }
}

/* The video's hash: given by the caller, or computed on a thread of its own while the video is
 * opened and mined, with the claim's deadline. A claim that fails stops it (it wants no hash);
 * a claim that succeeds waits for it at the end, at most until the deadline. */
typedef struct {
    dc_sha256_job *job;
    bool given, wanted;
    dc_hash_end end;
    uint64_t hashed;
} claim_hash;

static bool take_given_hash(const char *hex, char out[65]) {
    if (!hex || strlen(hex) != 64) return false;
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)hex[i])) return false;
    for (int i = 0; i < 64; i++) out[i] = (char)tolower((unsigned char)hex[i]);
    out[64] = 0;
    return true;
}

static void hash_begin(claim_hash *h, const char *path, const dc_pipeline_options *opts,
                       dc_deadline dl, dc_assessment *a) {
    memset(h, 0, sizeof *h);
    h->end = DC_HASH_FAILED;
    if (take_given_hash(opts->video_sha256, a->video.sha256)) {
        h->given = true;
        h->end = DC_HASH_DONE;
        return;
    }
    h->wanted = true;
    h->job = dc_sha256_start(path, dl); /* NULL (out of memory): hashed inline at the end */
}

/* Ends the hash: stop when the claim failed. Only a whole file's hash stays in the record. */
static void hash_end(claim_hash *h, const char *path, bool stop, dc_deadline dl, dc_assessment *a) {
    if (!h->wanted) return;
    h->wanted = false;
    if (stop) dc_sha256_stop(h->job);
    if (h->job) h->end = dc_sha256_finish(h->job, a->video.sha256, &h->hashed);
    else
        h->end = stop ? DC_HASH_STOPPED
                      : dc_sha256_file_until(path, dl, NULL, a->video.sha256, &h->hashed);
    h->job = NULL;
    if (h->end != DC_HASH_DONE) a->video.sha256[0] = 0;
}

/* What became of a hash that is not in the record, for its message. */
static void hash_note(const claim_hash *h, const char *path, char *out, size_t size) {
    struct stat sb;
    double mb = (double)h->hashed / 1e6,
           total = stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : -1;
    char read[64] = "";
    if (total >= 0) snprintf(read, sizeof read, " after %.1f of %.1f MB", mb, total);
    switch (h->end) {
    case DC_HASH_DONE: snprintf(out, size, "video SHA-256 computed"); break;
    case DC_HASH_TIMED_OUT:
        snprintf(
            out, size,
            "video SHA-256 none: the deadline passed while hashing%s (part of a file has no hash)",
            read);
        break;
    case DC_HASH_STOPPED:
        snprintf(out, size, "video SHA-256 none: hashing stopped when the claim failed%s", read);
        break;
    case DC_HASH_NOT_FILE:
        snprintf(out, size,
                 "video SHA-256 none: not a regular file (a pipe is read once, by the decoder)");
        break;
    default: snprintf(out, size, "video SHA-256 none: read error or out of memory"); break;
    }
}

/* A failed claim's record: a timeout names the stage that ran out; a claim without its
 * video's hash says what became of the hash. */
static void explain_failure(dc_assessment *a, const char *stage, const claim_hash *h) {
    if (a->status != DC_CLAIM_FAILED) return;
    char note[160] = "";
    if (!h->given && h->end != DC_HASH_DONE) hash_note(h, a->video.path, note, sizeof note);
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

void dc_pipeline_assess(const char *video_path, const char *claim_id,
                        const dc_pipeline_options *opts, dc_claim_result *out) {
    memset(out, 0, sizeof *out);
    dc_assessment *a = &out->assessment;
    dc_assessment_init(a);
    set_identity(a, video_path, claim_id);
    double t_claim = dc_now();
    a->memory.rss_before = dc_rss_bytes();
    dc_deadline dl = dc_deadline_in(opts->timeout_sec);
    dc_status st = DC_STATUS_OK;
    dc_mine_result mine;
    memset(&mine, 0, sizeof mine);
    const char *stage = "probe"; /* the stage running, named when the claim runs out of time */

    double t0 = dc_now();
    claim_hash hash;
    hash_begin(&hash, video_path, opts, dl, a);
    dc_media *m = dc_media_open(video_path, dl, &st);
    a->timings_ms.probe = ms_since(t0);
    if (!m) {
        dc_assessment_fail(a, &st);
        goto done;
    }
    set_video_info(a, dc_media_get_info(m));
    /* the dashcam's own data, once, beside the probe and within the claim's deadline */
    t0 = dc_now();
    char telemetry_note[sizeof st.message + 64];
    read_telemetry(video_path, dl, &out->telemetry, telemetry_note, sizeof telemetry_note);
    a->timings_ms.probe += ms_since(t0);

    dc_mine_options mo;
    dc_mine_options_init(&mo);
    mo.k = opts->windows < DC_MINE_MAX_WINDOWS ? opts->windows : DC_MINE_MAX_WINDOWS;
    mo.telemetry = &out->telemetry;
    stage = "mine";
    t0 = dc_now();
    dc_error_class rc = dc_mine_video(m, &mo, dl, &mine, &st);
    a->timings_ms.mine = ms_since(t0);
    if (rc != DC_OK) {
        dc_assessment_fail(a, &st);
        goto done;
    }
    bool timeline_kept = keep_timeline(out, &mine);
    bool mining_degraded = st.degraded;
    dc_status mining_status = st;

    if (opts->vlm) {
        a->window_count = dc_mine_windows_to_claim(&mine, a->windows, DC_MAX_WINDOWS);
        stage = assess_with_vlm(m, opts, mine.unsure, dl, out);
        if (a->status == DC_CLAIM_FAILED) goto done;
        dc_pipeline_use_telemetry(&out->telemetry, a);
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
        if (opts->keep_evidence) keep_signals_evidence(m, opts, dl, out);
    }
    if (mining_degraded) dc_assessment_degrade(a, mining_status.message);
    if (telemetry_note[0]) dc_assessment_degrade(a, telemetry_note);
    /* Work dropped before the engine ran is recorded now, once the engine has written the
     * record (the VLM path replaces it with the best window's). */
    if (!timeline_kept)
        dc_assessment_degrade(a, "danger timeline not kept for the report: out of memory");
    /* the hash ties the record to the bytes assessed (audit): a record without it says why;
     * what it still needs after the claim's work counts as probing */
    t0 = dc_now();
    hash_end(&hash, video_path, false, dl, a);
    a->timings_ms.probe += ms_since(t0);
    if (hash.end != DC_HASH_DONE) {
        char note[160];
        hash_note(&hash, video_path, note, sizeof note);
        dc_assessment_degrade(a, note);
    }

done:
    /* a claim that failed wants no hash: the thread stops within one block */
    hash_end(&hash, video_path, true, dl, a);
    explain_failure(a, stage, &hash);
    t0 = dc_now();
    dc_claim_decide(a, opts->metadata, opts->calibration);
    a->timings_ms.decide = ms_since(t0);
    dc_mine_result_free(&mine);
    dc_media_close(m);
    dc_release_free_memory();
    a->memory.rss_after = dc_rss_bytes();
    a->timings_ms.total = ms_since(t_claim);
}

void dc_claim_result_free(dc_claim_result *r) {
    if (!r) return;
    free(r->danger);
    r->danger = NULL;
    dc_frame_set_free(&r->evidence_frames);
    dc_telemetry_free(&r->telemetry);
}
