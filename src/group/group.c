/* dc_group_videos: files -> claims. The steps (group.h says them for the user): facts of each
 * file, copies out, a clock per file, moments (the channels of one instant), trips (moments
 * back to back), the timeline of each trip, the groups in input order. Every file given ends
 * up in exactly one group or, as a copy, named in the note of the group that has its twin. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashclaim/files.h"
#include "group_internal.h"

/* Segments whose gap (or overlap) is at most this are back to back: names and creation times
 * have whole seconds, and a camera starts the next file as it closes the last. */
#define JOIN_GAP_SEC 2.0
/* Unnamed files that start within this of each other are channels of one moment. */
#define SAME_MOMENT_SEC 1.0
/* A segment that follows the previous by its number but starts this much after its end: the
 * clock jumped (or the camera was off for that long). */
#define CLOCK_JUMP_SEC 3600.0

const char *dc_group_mode_name(dc_group_mode m) {
    switch (m) {
    case DC_GROUP_NONE: return "none";
    case DC_GROUP_ALL: return "all";
    case DC_GROUP_AUTO: return "auto";
    }
    return "none";
}

bool dc_group_mode_from_name(const char *name, dc_group_mode *out) {
    static const dc_group_mode modes[] = {DC_GROUP_NONE, DC_GROUP_ALL, DC_GROUP_AUTO};
    for (size_t i = 0; name && i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(name, dc_group_mode_name(modes[i]))) {
            *out = modes[i];
            return true;
        }
    return false;
}

/* Appends "; text" (or text) to a note, cutting with "..." when it is full. */
static void note_add(char *note, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_add(char *note, size_t size, const char *fmt, ...) {
    char part[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(part, sizeof part, fmt, ap);
    va_end(ap);
    if (strstr(note, part)) return; /* said once is enough (a jump seen from both sides) */
    size_t len = strlen(note);
    int n = snprintf(note + len, size - len, "%s%s", len ? "; " : "", part);
    if (n < 0 || (size_t)n >= size - len) memcpy(note + size - 4, "...", 4);
}

typedef struct {
    int first, count; /* into the members array */
    double t, duration;
    group_clock clock;
    const char *convention; /* the row of its names; NULL for unnamed files */
    int order;              /* its earliest file's place in the input */
    bool starts_trip;       /* a clock jump before it */
} gr_moment;

typedef struct {
    group_file *files;
    int n;
    int *members;
    int member_count;
    gr_moment *moments;
    int moment_count;
    int *group_order; /* per group: its earliest file's place in the input */
    dc_group_set *out;
    dc_group_mode mode;
} gr_run;

static bool has_clock(const group_file *f) { return f->probed && f->copy_of < 0 && f->clock; }

static int compare_text(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

/* Files in the order that puts a moment's channels side by side: partition (clock and
 * convention), time, key, role, input order. */
static int compare_for_moments(const void *pa, const void *pb, void *ctx) {
    const group_file *files = ctx, *a = &files[*(const int *)pa], *b = &files[*(const int *)pb];
    if (a->clock != b->clock) return a->clock < b->clock ? -1 : 1;
    int c = compare_text(a->name.convention, b->name.convention);
    if (c) return c;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    if ((c = strcmp(a->name.key, b->name.key))) return c;
    if (a->name.role != b->name.role) return a->name.role < b->name.role ? -1 : 1;
    return a->order - b->order;
}

static bool same_moment(const group_file *m, const group_file *f) {
    if (m->clock != f->clock || compare_text(m->name.convention, f->name.convention)) return false;
    return m->named ? !strcmp(m->name.key, f->name.key) : fabs(f->t - m->t) <= SAME_MOMENT_SEC;
}

/* Copies: files of one size compared with the earlier ones of that size. */
static int compare_size(const void *pa, const void *pb, void *ctx) {
    const group_file *files = ctx, *a = &files[*(const int *)pa], *b = &files[*(const int *)pb];
    if (a->size != b->size) return a->size < b->size ? -1 : 1;
    return a->order - b->order;
}

static void find_copies(gr_run *r, int *scratch) {
    int k = 0;
    for (int i = 0; i < r->n; i++)
        if (r->files[i].probed && r->files[i].size > 0) scratch[k++] = i;
    qsort_r(scratch, (size_t)k, sizeof *scratch, compare_size, r->files);
    for (int i = 0; i < k; i++) {
        group_file *f = &r->files[scratch[i]];
        for (int j = i - 1; j >= 0 && r->files[scratch[j]].size == f->size; j--) {
            group_file *g = &r->files[scratch[j]];
            if (g->copy_of < 0 && group_same_file(g, f)) {
                f->copy_of = scratch[j];
                r->out->dropped_copies++;
                break;
            }
        }
    }
}

/* A clock jump: a named file whose segment number follows another's (same camera, same role)
 * while its time goes back, or on by an hour or more. Both files say so in their notes. */
static void find_clock_jumps(gr_run *r) {
    for (int i = 0; i < r->n; i++) {
        group_file *f = &r->files[i];
        if (!has_clock(f) || !f->named || f->name.segment < 1) continue;
        for (int j = 0; j < r->n; j++) {
            group_file *p = &r->files[j];
            if (j == i || !has_clock(p) || !p->named || p->name.convention != f->name.convention ||
                p->name.role != f->name.role || p->name.segment != f->name.segment - 1)
                continue;
            double back = p->t - f->t, ahead = f->t - (p->t + p->duration_sec);
            if (back > JOIN_GAP_SEC)
                snprintf(f->jump, sizeof f->jump,
                         "clock jump: %.100s (segment %d) starts %.0f s before %.100s (segment %d)",
                         dc_path_base(f->path), f->name.segment, back, dc_path_base(p->path),
                         p->name.segment);
            else if (ahead >= CLOCK_JUMP_SEC)
                snprintf(f->jump, sizeof f->jump,
                         "clock jump: %.100s (segment %d) starts %.1f h after %.100s (segment %d) "
                         "ends",
                         dc_path_base(f->path), f->name.segment, ahead / 3600,
                         dc_path_base(p->path), p->name.segment);
            else continue;
            memcpy(p->jump, f->jump, sizeof p->jump);
            r->moments[f->moment].starts_trip = true;
            break;
        }
    }
}

static bool build_moments(gr_run *r) {
    int k = 0;
    for (int i = 0; i < r->n; i++)
        if (has_clock(&r->files[i])) r->members[k++] = i;
    qsort_r(r->members, (size_t)k, sizeof *r->members, compare_for_moments, r->files);
    for (int i = 0; i < k; i++) {
        group_file *f = &r->files[r->members[i]];
        gr_moment *m = r->moment_count ? &r->moments[r->moment_count - 1] : NULL;
        if (!m || !same_moment(&r->files[r->members[m->first]], f)) {
            m = &r->moments[r->moment_count++];
            *m = (gr_moment){.first = i,
                             .t = f->t,
                             .clock = f->clock,
                             .convention = f->name.convention,
                             .order = f->order};
        }
        m->count++;
        if (f->duration_sec > m->duration) m->duration = f->duration_sec;
        if (f->order < m->order) m->order = f->order;
        f->moment = (int)(m - r->moments);
    }
    r->member_count = k;
    return true;
}

/* ---- a trip -> one group ------------------------------------------------------------- */

static void format_utc(int64_t ms, char out[32]) {
    time_t sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) {
        out[0] = 0;
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fill_video(const group_file *f, double offset, dc_claim_video *v) {
    memset(v, 0, sizeof *v);
    snprintf(v->path, sizeof v->path, "%s", f->path);
    v->role = f->named ? f->name.role : DC_ROLE_UNKNOWN;
    v->segment = f->named ? f->name.segment : -1;
    v->offset_sec = offset;
    v->duration_sec = f->probed ? f->duration_sec : 0;
    if (f->has_utc) {
        format_utc(f->utc_start_ms, v->start_time);
        snprintf(v->start_source, sizeof v->start_source, "telemetry");
    } else if (f->named) {
        snprintf(v->start_time, sizeof v->start_time, "%04d-%02d-%02dT%02d:%02d:%02d", f->name.year,
                 f->name.month, f->name.day, f->name.hour, f->name.minute, f->name.second);
        snprintf(v->start_source, sizeof v->start_source, "file-name");
    } else if (f->has_creation) {
        snprintf(v->start_time, sizeof v->start_time, "%s", f->creation_text);
        snprintf(v->start_source, sizeof v->start_source, "container");
    }
}

static int compare_videos(const void *pa, const void *pb) {
    const dc_claim_video *a = pa, *b = pb;
    if (a->offset_sec != b->offset_sec) return a->offset_sec < b->offset_sec ? -1 : 1;
    /* front first; unknown (0) last */
    int ra = a->role == DC_ROLE_UNKNOWN ? DC_ROLE_COUNT : (int)a->role;
    int rb = b->role == DC_ROLE_UNKNOWN ? DC_ROLE_COUNT : (int)b->role;
    return ra - rb;
}

static const char *clock_words(group_clock c) {
    switch (c) {
    case GROUP_CLOCK_NAME: return "names";
    case GROUP_CLOCK_CONTAINER: return "container creation times";
    case GROUP_CLOCK_UTC: return "telemetry UTC";
    case GROUP_CLOCK_NONE: break;
    }
    return "no times";
}

/* Lays out moments ids[0..count) (in trip order) as one group. */
static void emit_trip(gr_run *r, const int *ids, int count, const char *how, const char *extra) {
    dc_group_set *out = r->out;
    r->group_order[out->count] = r->n;
    dc_group *g = &out->groups[out->count++];
    memset(g, 0, sizeof *g);
    g->first = out->video_count;
    bool utc_all = true;
    int64_t base_ms = INT64_MAX;
    for (int k = 0; k < count; k++) {
        const gr_moment *m = &r->moments[ids[k]];
        for (int i = 0; i < m->count; i++) {
            const group_file *f = &r->files[r->members[m->first + i]];
            if (!f->probed || !f->has_utc) utc_all = false;
            else if (f->utc_start_ms < base_ms) base_ms = f->utc_start_ms;
        }
    }
    double offset = 0;
    int roles_seen = 0;
    for (int k = 0; k < count; k++) {
        const gr_moment *m = &r->moments[ids[k]];
        if (k > 0) {
            const gr_moment *p = &r->moments[ids[k - 1]];
            bool comparable = p->clock && p->clock == m->clock && p->convention == m->convention;
            double gap = m->t - (p->t + p->duration);
            offset += comparable && fabs(gap) > JOIN_GAP_SEC ? m->t - p->t : p->duration;
        }
        double moment_offset = offset;
        if (utc_all) {
            int64_t first_ms = INT64_MAX;
            for (int i = 0; i < m->count; i++) {
                const group_file *f = &r->files[r->members[m->first + i]];
                if (f->utc_start_ms < first_ms) first_ms = f->utc_start_ms;
            }
            moment_offset = (double)(first_ms - base_ms) / 1000.0;
        }
        for (int i = 0; i < m->count; i++) {
            const group_file *f = &r->files[r->members[m->first + i]];
            fill_video(f, moment_offset, &out->videos[out->video_count++]);
            if (f->order < r->group_order[out->count - 1])
                r->group_order[out->count - 1] = f->order;
            roles_seen |= 1 << (f->named ? f->name.role : DC_ROLE_UNKNOWN);
            if (f->jump[0]) note_add(g->note, sizeof g->note, "%s", f->jump);
            if (!f->probed && f->probe_error[0])
                note_add(g->note, sizeof g->note, "not probed: %.300s", f->probe_error);
        }
    }
    g->count = out->video_count - g->first;
    dc_claim_video *v = &out->videos[g->first];
    double min_offset = INFINITY;
    for (int i = 0; i < g->count; i++) min_offset = fmin(min_offset, v[i].offset_sec);
    for (int i = 0; i < g->count; i++) v[i].offset_sec -= min_offset;
    qsort(v, (size_t)g->count, sizeof *v, compare_videos);

    const dc_claim_video *id_video = &v[0];
    for (int i = 0; i < g->count; i++)
        if (v[i].role == DC_ROLE_FRONT) {
            id_video = &v[i];
            break;
        }
    snprintf(g->claim_id, sizeof g->claim_id, "%s", dc_path_base(id_video->path));
    int channels = __builtin_popcount((unsigned)roles_seen);
    /* the how goes first, then what was found on the way */
    char rest[sizeof g->note];
    snprintf(rest, sizeof rest, "%s", g->note);
    g->note[0] = 0;
    note_add(g->note, sizeof g->note, "%s: %d video%s, %d channel%s, %d segment%s%s", how, g->count,
             g->count == 1 ? "" : "s", channels, channels == 1 ? "" : "s", count,
             count == 1 ? "" : "s", utc_all ? " (timeline from telemetry UTC)" : "");
    if (extra && extra[0]) note_add(g->note, sizeof g->note, "%s", extra);
    if (rest[0]) note_add(g->note, sizeof g->note, "%s", rest);
    if (g->count > DC_MAX_CLAIM_VIDEOS) {
        g->error_class = DC_ERR_INPUT;
        snprintf(g->error, sizeof g->error,
                 "claim '%.100s' would hold %d videos (%.100s .. %.100s), more than the %d one "
                 "claim holds (DC_MAX_CLAIM_VIDEOS): each is recorded as failed; give its files "
                 "in smaller sets",
                 g->claim_id, g->count, dc_path_base(v[0].path), dc_path_base(v[g->count - 1].path),
                 DC_MAX_CLAIM_VIDEOS);
    }
}

/* A file as a claim of its own: no clock, not probed, or mode none. */
static void emit_single(gr_run *r, group_file *f, const char *why) {
    dc_group_set *out = r->out;
    r->group_order[out->count] = f->order;
    dc_group *g = &out->groups[out->count++];
    memset(g, 0, sizeof *g);
    g->first = out->video_count;
    g->count = 1;
    fill_video(f, 0, &out->videos[out->video_count++]);
    snprintf(g->claim_id, sizeof g->claim_id, "%s", dc_path_base(f->path));
    note_add(g->note, sizeof g->note, "%s", why);
}

/* The copies' names go into the note of the group that holds their twin. */
static void note_copies(gr_run *r) {
    dc_group_set *out = r->out;
    for (int i = 0; i < r->n; i++) {
        const group_file *c = &r->files[i];
        if (c->copy_of < 0) continue;
        const char *twin = r->files[c->copy_of].path;
        for (int g = 0; g < out->count; g++) {
            dc_group *grp = &out->groups[g];
            for (int v = grp->first; v < grp->first + grp->count; v++)
                if (!strcmp(out->videos[v].path, twin)) {
                    note_add(grp->note, sizeof grp->note,
                             "copy left out: %.200s (the same bytes as %.200s)", c->path,
                             dc_path_base(twin));
                    goto next;
                }
        }
    next:;
    }
}

/* Groups in the order of their first file in the input. */
static int compare_group_order(const void *pa, const void *pb, void *ctx) {
    const int *order = ctx;
    return order[*(const int *)pa] - order[*(const int *)pb];
}

static bool sort_groups(gr_run *r) {
    dc_group_set *out = r->out;
    int *ids = malloc((size_t)out->count * sizeof *ids);
    dc_group *sorted = malloc((size_t)out->count * sizeof *sorted);
    bool ok = ids && sorted;
    if (ok) {
        for (int i = 0; i < out->count; i++) ids[i] = i;
        qsort_r(ids, (size_t)out->count, sizeof *ids, compare_group_order, r->group_order);
        for (int i = 0; i < out->count; i++) sorted[i] = out->groups[ids[i]];
        memcpy(out->groups, sorted, (size_t)out->count * sizeof *sorted);
    }
    free(ids);
    free(sorted);
    return ok;
}

/* ---- the modes ------------------------------------------------------------------------- */

static bool group_auto(gr_run *r) {
    int *trip = malloc((size_t)(r->moment_count ? r->moment_count : 1) * sizeof *trip);
    if (!trip) return false;
    int count = 0;
    char extra[200] = "";
    for (int k = 0; k <= r->moment_count; k++) {
        const gr_moment *m = k < r->moment_count ? &r->moments[k] : NULL;
        if (count > 0) {
            const gr_moment *p = &r->moments[trip[count - 1]];
            bool joins = m && m->clock == p->clock && m->convention == p->convention &&
                         !m->starts_trip && fabs(m->t - (p->t + p->duration)) <= JOIN_GAP_SEC;
            if (!joins) {
                char how[160];
                snprintf(how, sizeof how, "grouped by %s%s%s", p->convention ? p->convention : "",
                         p->convention ? " " : "", clock_words(p->clock));
                emit_trip(r, trip, count, how, extra);
                count = 0;
                extra[0] = 0;
                double gap = m ? m->t - (p->t + p->duration) : 0;
                if (m && m->clock == p->clock && m->convention == p->convention && !m->starts_trip)
                    snprintf(extra, sizeof extra,
                             "a new trip: starts %.1f s %s the previous claim's last segment ends",
                             fabs(gap), gap < 0 ? "before" : "after");
            }
        }
        if (m) trip[count++] = k;
    }
    free(trip);
    for (int i = 0; i < r->n; i++) {
        group_file *f = &r->files[i];
        if (f->copy_of >= 0 || has_clock(f)) continue;
        char why[400];
        if (!f->probed)
            snprintf(why, sizeof why, "not grouped: cannot be probed: %.300s", f->probe_error);
        else
            snprintf(why, sizeof why,
                     "not grouped: no time to group by (the name matches no camera's "
                     "convention, no creation time, no telemetry UTC)");
        emit_single(r, f, why);
    }
    return true;
}

static int compare_moment_order(const void *pa, const void *pb, void *ctx) {
    const gr_moment *moments = ctx;
    return moments[*(const int *)pa].order - moments[*(const int *)pb].order;
}

/* all: every file one claim. Files without a clock become moments of their own; when the
 * timed moments share one clock they keep their time order, else all follow the input. */
static bool group_all(gr_run *r) {
    bool one_partition = true;
    for (int k = 1; k < r->moment_count; k++)
        one_partition &= r->moments[k].clock == r->moments[0].clock &&
                         r->moments[k].convention == r->moments[0].convention;
    int timed = r->member_count, k = 0;
    for (int i = 0; i < r->n; i++) {
        group_file *f = &r->files[i];
        if (f->copy_of >= 0 || has_clock(f)) continue;
        int at = timed + k++;
        r->members[at] = i;
        r->moments[r->moment_count++] = (gr_moment){.first = at,
                                                    .count = 1,
                                                    .duration = f->probed ? f->duration_sec : 0,
                                                    .order = f->order};
        f->moment = r->moment_count - 1;
    }
    int *ids = malloc((size_t)(r->moment_count ? r->moment_count : 1) * sizeof *ids);
    if (!ids) return false;
    for (int i = 0; i < r->moment_count; i++) ids[i] = i;
    if (!one_partition)
        qsort_r(ids, (size_t)r->moment_count, sizeof *ids, compare_moment_order, r->moments);
    if (r->moment_count > 0)
        emit_trip(r, ids, r->moment_count, "all given files (--group all)", NULL);
    free(ids);
    return true;
}

dc_error_class dc_group_videos(const char *const *paths, int count, dc_group_mode mode,
                               dc_deadline dl, dc_group_set *out, dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    memset(out, 0, sizeof *out);
    if (!paths || count < 1) return dc_fail(st, DC_ERR_INPUT, "grouping: no video given");
    char **list = NULL;
    int n = 0;
    if (dc_group_expand_paths(paths, count, &list, &n, st) != DC_OK) return st->code;
    gr_run r = {.n = n, .out = out, .mode = mode};
    dc_error_class rc = DC_OK;
    r.files = calloc((size_t)(n ? n : 1), sizeof *r.files);
    r.members = calloc((size_t)(n ? n : 1), sizeof *r.members);
    r.moments = calloc((size_t)(n ? n : 1), sizeof *r.moments);
    r.group_order = calloc((size_t)(n ? n : 1), sizeof *r.group_order);
    out->groups = calloc((size_t)(n ? n : 1), sizeof *out->groups);
    out->videos = calloc((size_t)(n ? n : 1), sizeof *out->videos);
    if (!r.files || !r.members || !r.moments || !r.group_order || !out->groups || !out->videos) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "grouping %d files: out of memory", n);
        goto done;
    }
    int unprobed = 0;
    for (int i = 0; i < n; i++) {
        group_file *f = &r.files[i];
        f->path = list[i];
        f->order = i;
        f->copy_of = f->moment = -1;
        if (mode == DC_GROUP_NONE) {
            f->named = dc_group_parse_name(f->path, &f->name);
            emit_single(&r, f, "one claim per file (--group none)");
            continue;
        }
        if (dc_deadline_passed(dl)) {
            snprintf(f->probe_error, sizeof f->probe_error,
                     "%s: not probed: the grouping's deadline passed", f->path);
            unprobed++;
            continue;
        }
        group_file_facts(f, dl);
        if (!f->probed) continue;
        if (f->named) f->clock = GROUP_CLOCK_NAME, f->t = (double)f->name.local_sec;
        else if (f->has_creation) f->clock = GROUP_CLOCK_CONTAINER, f->t = (double)f->creation_sec;
        else if (f->has_utc) f->clock = GROUP_CLOCK_UTC, f->t = (double)f->utc_start_ms / 1000.0;
    }
    if (mode != DC_GROUP_NONE) {
        find_copies(&r, r.members);
        build_moments(&r);
        find_clock_jumps(&r);
        bool ok = mode == DC_GROUP_AUTO ? group_auto(&r) : group_all(&r);
        note_copies(&r);
        if (!ok || (out->count > 1 && !sort_groups(&r))) {
            rc = dc_fail(st, DC_ERR_RESOURCE, "grouping %d files: out of memory", n);
            goto done;
        }
    }
    if (unprobed)
        dc_degrade(st,
                   "grouping: the deadline passed: %d of %d files not probed, each a claim of "
                   "its own",
                   unprobed, n);
done:
    /* the videos copied their paths; the list goes */
    free(r.files);
    free(r.members);
    free(r.moments);
    free(r.group_order);
    dc_group_paths_free(list, n);
    if (rc != DC_OK) dc_group_set_free(out);
    return rc;
}

void dc_group_claim_input(const dc_group_set *set, int g, dc_claim_input *in) {
    in->count = 0;
    if (!set || g < 0 || g >= set->count) return;
    const dc_group *grp = &set->groups[g];
    if (grp->error_class != DC_OK || grp->count > DC_MAX_CLAIM_VIDEOS) return;
    for (int i = 0; i < grp->count; i++) in->videos[in->count++] = set->videos[grp->first + i];
}

void dc_group_set_free(dc_group_set *set) {
    if (!set) return;
    free(set->groups);
    free(set->videos);
    memset(set, 0, sizeof *set);
}
