/* The videos of one claim while it is assessed: each opened (with its telemetry beside it) and
 * mined on its own, then joined on the claim's timeline.
 *
 * Why each video on its own and joined after: a channel or a segment is a recording of its
 * own (its own sound level, its own picture noise), so each is scored against its own noise
 * floor, and one that does not decode costs the claim that channel, not the claim (degraded,
 * named). The join (dc_mine_merge) takes the strongest cue at each instant, so a rear camera's
 * impact counts as much as a front camera's.
 *
 * The claim's main video (the record's `video`, and the channel the VLM's window is chosen
 * for) is the first usable front video, else the first usable one. A claim of one video is the
 * same code with one entry, and its results are moved, not joined: it reads as before. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashclaim/files.h"
#include "pipeline_internal.h"

/* A video whose frames can be shown: opened, mined, and its pictures decoded (a channel whose
 * video does not decode may still give its sound's cues). */
static bool usable(const claim_part *p) { return p->m && p->mined && p->pictures; }

/* Order of channels after the main one. */
static const dc_video_role channel_order[DC_ROLE_COUNT] = {
    DC_ROLE_FRONT, DC_ROLE_REAR, DC_ROLE_INTERIOR, DC_ROLE_LEFT, DC_ROLE_RIGHT, DC_ROLE_UNKNOWN};

static int role_rank(dc_video_role r) {
    for (int i = 0; i < DC_ROLE_COUNT; i++)
        if (channel_order[i] == r) return i;
    return DC_ROLE_COUNT;
}

static int by_offset_then_role(const void *pa, const void *pb) {
    const dc_claim_video *a = pa, *b = pb;
    if (a->offset_sec != b->offset_sec) return a->offset_sec < b->offset_sec ? -1 : 1;
    return role_rank(a->role) - role_rank(b->role);
}

dc_error_class pipeline_parts_init(const dc_claim_input *in, dc_assessment *a, claim_parts *cp,
                                   dc_status *st) {
    memset(cp, 0, sizeof *cp);
    cp->first_usable = -1;
    if (!in || in->count < 1) return dc_fail(st, DC_ERR_INPUT, "a claim needs at least one video");
    if (in->count > DC_MAX_CLAIM_VIDEOS)
        return dc_fail(st, DC_ERR_INPUT, "a claim of %d videos: at most %d videos per claim",
                       in->count, DC_MAX_CLAIM_VIDEOS);
    for (int i = 0; i < in->count; i++) {
        const dc_claim_video *v = &in->videos[i];
        if (!memchr(v->path, 0, sizeof v->path) || !v->path[0])
            return dc_fail(st, DC_ERR_INPUT, "video %d of the claim has no path", i);
        if (!isfinite(v->offset_sec) || v->offset_sec < 0 || v->offset_sec > 1e6)
            return dc_fail(st, DC_ERR_INPUT, "%s: offset %g s on the claim's timeline", v->path,
                           v->offset_sec);
        if (v->role < 0 || v->role >= DC_ROLE_COUNT)
            return dc_fail(st, DC_ERR_INPUT, "%s: unknown camera role %d", v->path, (int)v->role);
    }
    memcpy(a->videos, in->videos, (size_t)in->count * sizeof in->videos[0]);
    a->video_count = in->count;
    qsort(a->videos, (size_t)in->count, sizeof a->videos[0], by_offset_then_role);
    for (int i = 0; i < in->count; i++) {
        dc_claim_video *v = &a->videos[i];
        /* strings from the caller are kept only as far as they are terminated */
        v->sha256[sizeof v->sha256 - 1] = 0;
        v->start_time[sizeof v->start_time - 1] = 0;
        v->start_source[sizeof v->start_source - 1] = 0;
        v->error[0] = 0;
        v->duration_sec = 0;
        cp->parts[i].video = v;
        cp->parts[i].index = i;
    }
    cp->count = in->count;
    return DC_OK;
}

static void note_failure(claim_part *p, const dc_status *st) {
    p->failure = *st;
    /* the record's field is shorter than a status message: the head is kept */
    size_t n = strnlen(st->message, sizeof p->video->error - 1);
    memcpy(p->video->error, st->message, n);
    p->video->error[n] = 0;
}

dc_error_class pipeline_parts_open(claim_parts *cp, const dc_pipeline_options *opts, dc_deadline dl,
                                   dc_assessment *a, dc_status *st) {
    (void)opts;
    (void)a;
    int opened = 0, first_failed = -1;
    for (int i = 0; i < cp->count; i++) {
        claim_part *p = &cp->parts[i];
        char given[65];
        snprintf(given, sizeof given, "%s", p->video->sha256);
        pipeline_hash_begin(&p->hash, p->video->path, given[0] ? given : NULL, dl,
                            p->video->sha256);
        dc_status vst = DC_STATUS_OK;
        p->m = dc_media_open(p->video->path, dl, &vst);
        if (!p->m) {
            note_failure(p, &vst);
            if (first_failed < 0) first_failed = i;
            if (vst.code == DC_ERR_TIMEOUT) {
                *st = vst;
                return DC_ERR_TIMEOUT;
            }
            continue;
        }
        opened++;
        p->video->duration_sec = dc_media_get_info(p->m)->duration_sec;
        /* telemetry never fails a claim: what was read (maybe nothing) and a note */
        dc_status tst = DC_STATUS_OK;
        p->telemetry_note[0] = 0;
        if (dc_telemetry_read(p->video->path, dl, &p->telemetry, &tst) != DC_OK) {
            dc_telemetry_free(&p->telemetry);
            snprintf(p->telemetry_note, sizeof p->telemetry_note, "telemetry not read: %s",
                     tst.message);
        } else if (p->telemetry.degraded) {
            char reason[sizeof p->telemetry.reason]; /* (not a source inside its target) */
            memcpy(reason, p->telemetry.reason, sizeof reason);
            snprintf(p->telemetry_note, sizeof p->telemetry_note,
                     "telemetry (%s) damaged or cut: %s",
                     p->telemetry.source ? p->telemetry.source : "none", reason);
        }
    }
    if (!opened) {
        *st = cp->parts[first_failed].failure;
        return st->code != DC_OK ? st->code : DC_ERR_INPUT;
    }
    return DC_OK;
}

static void choose_main(claim_parts *cp, bool need_mined) {
    cp->first_usable = -1;
    for (int pass = 0; pass < 2 && cp->first_usable < 0; pass++)
        for (int i = 0; i < cp->count && cp->first_usable < 0; i++) {
            const claim_part *p = &cp->parts[i];
            bool ok = need_mined ? usable(p) : p->m != NULL;
            if (ok && (pass == 1 || p->video->role == DC_ROLE_FRONT)) cp->first_usable = i;
        }
}

/* The videos of a claim are mined side by side, one thread each up to the machine's cores:
 * mining one file keeps about one core busy (keyframes decode one at a time, the sound's
 * analysis is serial), so the rear channel's mining costs the claim little wall time. */
typedef struct {
    claim_parts *cp;
    const dc_mine_options *mo;
    bool quiet[DC_MAX_CLAIM_VIDEOS]; /* mined without its sound (see lighter_channels) */
    /* the second pass of a claim of several videos: dense decoding around the moments whose
     * danger reaches dense_floor (see pipeline_parts_mine) */
    bool densify;
    int dense_candidates;
    double dense_floor;
    dc_deadline dl;
    atomic_int next;
    dc_error_class rc[DC_MAX_CLAIM_VIDEOS];
    dc_status st[DC_MAX_CLAIM_VIDEOS];
} mine_work;

static void *mine_some(void *arg) {
    mine_work *w = arg;
    for (int i; (i = atomic_fetch_add(&w->next, 1)) < w->cp->count;) {
        claim_part *p = &w->cp->parts[i];
        if (!p->m) continue;
        dc_mine_options o = *w->mo;
        o.telemetry = &p->telemetry;
        if (w->quiet[i]) o.use_audio = false, o.claim_heard = true, o.dense_candidates = 1;
        if (w->densify) {
            if (w->rc[i] != DC_OK || !p->mine.has_video) continue;
            if (!w->quiet[i]) o.dense_candidates = w->dense_candidates;
            dc_status dst = DC_STATUS_OK;
            dc_error_class rc = dc_mine_densify(p->m, &o, w->dense_floor, w->dl, &p->mine, &dst);
            if (rc != DC_OK) w->rc[i] = rc, w->st[i] = dst;
            continue;
        }
        if (w->dense_candidates) o.dense_candidates = 0; /* (the second pass decodes densely) */
        w->st[i] = DC_STATUS_OK;
        w->rc[i] = dc_mine_video(p->m, &o, w->dl, &p->mine, &w->st[i]);
    }
    return NULL;
}

/* A channel other than the main one whose moments the main channel's sound already covers is
 * mined from its pictures alone, its strongest moment decoded densely: the cabin's or the rear
 * camera's microphone hears the same bang (often they record none), and analysing each sound
 * again was a third of a two-channel claim's mining (and without sound mining would decode
 * four candidates densely). The main channel's role is the first opened front video's. */
static void lighter_channels(mine_work *w) {
    claim_parts *cp = w->cp;
    if (cp->first_usable < 0) return;
    dc_video_role main_role = cp->parts[cp->first_usable].video->role;
    for (int i = 0; i < cp->count; i++) {
        const claim_part *p = &cp->parts[i];
        if (!p->m || p->video->role == main_role) continue;
        double from = p->video->offset_sec, to = from + p->video->duration_sec, heard = 0;
        for (int k = 0; k < cp->count; k++) {
            const claim_part *q = &cp->parts[k];
            if (!q->m || q->video->role != main_role || !dc_media_get_info(q->m)->has_audio)
                continue;
            double a = q->video->offset_sec > from ? q->video->offset_sec : from;
            double b = q->video->offset_sec + q->video->duration_sec;
            if (b > to) b = to;
            if (b > a) heard += b - a;
        }
        w->quiet[i] = heard >= 0.95 * (to - from);
    }
}

static void mine_all(mine_work *w) {
    atomic_store(&w->next, 0);
    int opened = 0;
    for (int i = 0; i < w->cp->count; i++) opened += w->cp->parts[i].m != NULL;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = opened < cores ? opened : (int)cores;
    if (threads > 4) threads = 4;
    pthread_t tid[4];
    int started = 0;
    for (int t = 1; t < threads; t++) /* this thread is one of them */
        if (pthread_create(&tid[started], NULL, mine_some, w) == 0) started++;
    mine_some(w);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
}

/* The danger a moment must reach for a dense pass: dense_relative of the claim's strongest,
 * from the videos' first passes joined (their own scores, the claim's timeline). */
static double claim_floor(const claim_parts *cp, const mine_work *w, const dc_mine_options *mo) {
    const dc_mine_result *parts[DC_MAX_CLAIM_VIDEOS];
    double offsets[DC_MAX_CLAIM_VIDEOS];
    for (int i = 0; i < cp->count; i++) {
        parts[i] = cp->parts[i].m && w->rc[i] == DC_OK ? &cp->parts[i].mine : NULL;
        offsets[i] = cp->parts[i].video->offset_sec;
    }
    dc_mine_result joined;
    dc_status st = DC_STATUS_OK;
    if (dc_mine_merge(parts, offsets, cp->count, mo, &joined, &st) != DC_OK) return 0;
    double top = 0;
    for (int i = 0; i < joined.count; i++) top = joined.danger[i] > top ? joined.danger[i] : top;
    dc_mine_result_free(&joined);
    return mo->dense_relative * top;
}

dc_error_class pipeline_parts_mine(claim_parts *cp, const dc_mine_options *mo, dc_deadline dl,
                                   dc_mine_result *out, dc_status *st) {
    memset(out, 0, sizeof *out);
    choose_main(cp, false);
    int mined = 0, first_failed = -1;
    dc_status main_status = DC_STATUS_OK;
    mine_work *w = calloc(1, sizeof *w);
    if (!w) return dc_fail(st, DC_ERR_RESOURCE, "out of memory mining the claim");
    /* several videos: mining chooses its passes for the claim as a whole */
    dc_mine_options claim_mo = *mo;
    for (int i = 0; cp->count > 1 && i < cp->count; i++) {
        if (!cp->parts[i].m) continue;
        const dc_media_info *info = dc_media_get_info(cp->parts[i].m);
        double fps = info->avg_fps > 0 ? info->avg_fps : 30;
        claim_mo.claim_pixels += info->duration_sec * fps * (double)info->width * info->height;
        double end = cp->parts[i].video->offset_sec + info->duration_sec;
        if (end > claim_mo.claim_sec) claim_mo.claim_sec = end;
    }
    w->cp = cp;
    w->mo = &claim_mo;
    w->dl = dl;
    atomic_init(&w->next, 0);
    lighter_channels(w);
    /* Several videos: each is mined without its dense pass first; the dense pass then decodes
     * only around moments that are strong for the claim as a whole (at least dense_relative of
     * its strongest), not around every file's own strongest moment (a segment of ordinary
     * driving cost a dense span of its own: three segments x two channels decoded six). */
    if (cp->count > 1 && mo->dense_candidates > 0) {
        w->dense_candidates = mo->dense_candidates;
        mine_all(w);
        w->dense_floor = claim_floor(cp, w, mo);
        w->densify = true;
    }
    mine_all(w);
    for (int i = 0; i < cp->count; i++) {
        claim_part *p = &cp->parts[i];
        if (!p->m) continue;
        if (w->rc[i] == DC_ERR_TIMEOUT) {
            *st = w->st[i];
            free(w);
            return DC_ERR_TIMEOUT;
        }
        if (w->rc[i] != DC_OK) {
            note_failure(p, &w->st[i]);
            if (first_failed < 0) first_failed = i;
            continue;
        }
        p->mined = true;
        /* one video is tried for frames whatever its mining saw (its failure is then named
         * where frames are taken, as it always was) */
        p->pictures = p->mine.has_video || cp->count == 1;
        mined++;
        if (i == cp->first_usable) main_status = w->st[i];
        /* a channel whose pictures do not decode adds its sound at most: the claim says so */
        else if (!p->mine.has_video) note_failure(p, &w->st[i]);
    }
    free(w);
    if (!mined) {
        *st = cp->parts[first_failed].failure;
        return st->code != DC_OK ? st->code : DC_ERR_INPUT;
    }
    choose_main(cp, true);
    /* the main video's mining notes (no sound: mined from motion) are the claim's */
    if (cp->first_usable >= 0 && cp->parts[cp->first_usable].mined && main_status.degraded)
        *st = main_status;
    if (cp->count == 1) { /* one video: its result as it is */
        *out = cp->parts[0].mine;
        memset(&cp->parts[0].mine, 0, sizeof cp->parts[0].mine);
        return DC_OK;
    }
    const dc_mine_result *parts[DC_MAX_CLAIM_VIDEOS];
    double offsets[DC_MAX_CLAIM_VIDEOS];
    for (int i = 0; i < cp->count; i++) {
        parts[i] = cp->parts[i].mined ? &cp->parts[i].mine : NULL;
        offsets[i] = cp->parts[i].video->offset_sec;
    }
    dc_status mst = DC_STATUS_OK;
    dc_error_class rc = dc_mine_merge(parts, offsets, cp->count, mo, out, &mst);
    if (rc != DC_OK) *st = mst;
    return rc;
}

static bool has_telemetry(const claim_part *p) {
    return p->m && p->telemetry.source && (p->telemetry.gps_count || p->telemetry.accel_count);
}

/* Appends src's fixes and samples moved by offset; entries that would go back in time (the
 * next segment's log overlapping the last) are left out, so the lists stay in order. */
static bool append_moved(dc_telemetry *out, const dc_telemetry *src, double offset) {
    if (src->gps_count) {
        dc_gps_fix *g = realloc(out->gps, (size_t)(out->gps_count + src->gps_count) * sizeof *g);
        if (!g) return false;
        out->gps = g;
        for (int i = 0; i < src->gps_count; i++) {
            dc_gps_fix f = src->gps[i];
            f.t_sec += offset;
            if (out->gps_count && f.t_sec < out->gps[out->gps_count - 1].t_sec) continue;
            out->gps[out->gps_count++] = f;
        }
    }
    if (src->accel_count) {
        dc_accel_sample *s =
            realloc(out->accel, (size_t)(out->accel_count + src->accel_count) * sizeof *s);
        if (!s) return false;
        out->accel = s;
        for (int i = 0; i < src->accel_count; i++) {
            dc_accel_sample x = src->accel[i];
            x.t_sec += offset;
            if (out->accel_count && x.t_sec < out->accel[out->accel_count - 1].t_sec) continue;
            out->accel[out->accel_count++] = x;
        }
    }
    return true;
}

dc_error_class pipeline_parts_telemetry(const claim_parts *cp, dc_telemetry *out, char *note,
                                        size_t note_size) {
    memset(out, 0, sizeof *out);
    note[0] = 0;
    if (cp->count == 1) { /* one video: its telemetry as it is (the caller owns it now) */
        claim_part *p = (claim_part *)&cp->parts[0];
        *out = p->telemetry;
        memset(&p->telemetry, 0, sizeof p->telemetry);
        snprintf(note, note_size, "%s", p->telemetry_note);
        return DC_OK;
    }
    dc_video_role order[DC_ROLE_COUNT + 1];
    int n = 0;
    if (cp->first_usable >= 0) order[n++] = cp->parts[cp->first_usable].video->role;
    for (int i = 0; i < DC_ROLE_COUNT; i++) order[n++] = channel_order[i];
    for (int r = 0; r < n; r++) {
        bool any = false;
        for (int i = 0; i < cp->count; i++) {
            const claim_part *p = &cp->parts[i];
            if (p->video->role != order[r] || !has_telemetry(p)) continue;
            if (!any) {
                out->source = p->telemetry.source;
                out->variant = p->telemetry.variant;
                snprintf(out->device, sizeof out->device, "%s", p->telemetry.device);
                any = true;
            }
            if (!append_moved(out, &p->telemetry, p->video->offset_sec)) {
                dc_telemetry_free(out);
                return DC_ERR_RESOURCE;
            }
            out->dropped_bad_value += p->telemetry.dropped_bad_value;
            out->dropped_backwards += p->telemetry.dropped_backwards;
            out->dropped_over_cap += p->telemetry.dropped_over_cap;
            if (p->telemetry_note[0] && !note[0])
                snprintf(note, note_size, "%s: %s", dc_path_base(p->video->path),
                         p->telemetry_note);
            if (p->telemetry.degraded && !out->degraded) {
                out->degraded = true;
                snprintf(out->reason, sizeof out->reason, "%s", p->telemetry.reason);
            }
        }
        if (any) return DC_OK;
    }
    return DC_OK;
}

static double distance_to(const dc_claim_video *v, double t) {
    if (t < v->offset_sec) return v->offset_sec - t;
    double end = v->offset_sec + v->duration_sec;
    return t >= end ? t - end : 0;
}

int pipeline_parts_video_at(const claim_parts *cp, dc_video_role role, double t) {
    int best = -1;
    double best_d = INFINITY;
    for (int i = 0; i < cp->count; i++) {
        const claim_part *p = &cp->parts[i];
        if (!usable(p) || p->video->role != role) continue;
        double d = distance_to(p->video, t);
        /* within a video's end frame (t == end) counts as inside the earlier one */
        if (d < best_d) best = i, best_d = d;
    }
    return best;
}

int pipeline_parts_main_video_at(const claim_parts *cp, double t) {
    if (cp->first_usable < 0) return 0;
    dc_video_role main_role = cp->parts[cp->first_usable].video->role;
    int v = pipeline_parts_video_at(cp, main_role, t);
    if (v >= 0 && distance_to(cp->parts[v].video, t) == 0) return v;
    for (int i = 0; i < cp->count; i++)
        if (usable(&cp->parts[i]) && distance_to(cp->parts[i].video, t) == 0) return i;
    return v >= 0 ? v : cp->first_usable;
}

int pipeline_parts_channels(const claim_parts *cp, double from, double to,
                            dc_video_role out[DC_ROLE_COUNT]) {
    int n = 0;
    dc_video_role order[DC_ROLE_COUNT + 1];
    int no = 0;
    if (cp->first_usable >= 0) order[no++] = cp->parts[cp->first_usable].video->role;
    for (int i = 0; i < DC_ROLE_COUNT; i++) order[no++] = channel_order[i];
    for (int r = 0; r < no; r++) {
        bool seen = false;
        for (int k = 0; k < n; k++) seen |= out[k] == order[r];
        if (seen) continue;
        for (int i = 0; i < cp->count; i++) {
            const dc_claim_video *v = cp->parts[i].video;
            if (usable(&cp->parts[i]) && v->role == order[r] && v->offset_sec < to &&
                v->offset_sec + v->duration_sec > from) {
                out[n++] = order[r];
                break;
            }
        }
    }
    return n;
}

/* The video whose own mining saw the most danger at claim time t (a rear-end's window is the
 * rear camera's); the main video's when none covers t. */
static int strongest_video_at(const claim_parts *cp, double t) {
    int best = -1;
    float best_danger = -1;
    for (int i = 0; cp->count > 1 && i < cp->count; i++) {
        const claim_part *p = &cp->parts[i];
        if (!usable(p) || distance_to(p->video, t) > 0 || !p->mine.danger) continue;
        long tick = lround((t - p->video->offset_sec) * p->mine.hz);
        if (tick < 0 || tick >= p->mine.count) continue;
        if (p->mine.danger[tick] > best_danger) best = i, best_danger = p->mine.danger[tick];
    }
    return best >= 0 ? best : pipeline_parts_main_video_at(cp, t);
}

void pipeline_parts_place_rows(const claim_parts *cp, const dc_frame_set *shown, dc_assessment *a) {
    for (int i = 0; i < a->window_count; i++) {
        dc_window *w = &a->windows[i];
        w->video = strongest_video_at(cp, w->peak_sec);
        w->video_peak_sec = w->peak_sec - a->videos[w->video].offset_sec;
    }
    for (int i = 0; i < a->evidence_count; i++) {
        dc_evidence *e = &a->evidence[i];
        if (shown && e->frame >= 0 && e->frame < shown->count)
            e->video = shown->frames[e->frame].video;
        else e->video = pipeline_parts_main_video_at(cp, e->t_sec);
        if (e->video < 0 || e->video >= a->video_count) e->video = 0;
        e->video_t_sec = e->t_sec - a->videos[e->video].offset_sec;
    }
    for (int i = 0; i < a->hazard_count; i++) {
        dc_hazard *h = &a->hazards[i];
        h->video = pipeline_parts_main_video_at(cp, h->t_sec);
        h->video_t_sec = h->t_sec - a->videos[h->video].offset_sec;
    }
}

bool pipeline_parts_take_fingerprints(claim_parts *cp, dc_mine_result *joined,
                                      dc_claim_result *out) {
    out->fingerprints = calloc((size_t)cp->count, sizeof *out->fingerprints);
    if (!out->fingerprints) return false;
    out->fingerprint_count = cp->count;
    for (int i = 0; i < cp->count; i++) {
        dc_fingerprint *from =
            cp->count == 1 ? &joined->fingerprint : &cp->parts[i].mine.fingerprint;
        out->fingerprints[i] = *from;
        memset(from, 0, sizeof *from);
    }
    return true;
}

void pipeline_parts_close(claim_parts *cp) {
    for (int i = 0; i < cp->count; i++) {
        claim_part *p = &cp->parts[i];
        pipeline_hash_end(&p->hash, p->video->path, true, dc_deadline_in(0), p->video->sha256);
        dc_mine_result_free(&p->mine);
        dc_telemetry_free(&p->telemetry);
        dc_media_close(p->m);
        p->m = NULL;
    }
}
