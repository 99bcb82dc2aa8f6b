/* The matcher: runs of matching seconds at one constant offset between two fingerprints.
 *
 * "Same order and pace" is one offset: candidate second = query second + offset for the whole
 * run. Every offset where the videos overlap is walked (O(query x candidate) distances, four
 * popcounts each: two 20-minute videos cost about 1.4 million, a few milliseconds); the store
 * hands over only the few candidates its index found. Frame-rate changes keep the pace (the
 * hashes sit on the video clock), a cut splits the footage into runs on two offsets, and a
 * clip inside a longer video is a run on the offset where it starts.
 *
 * Overlaps: a still scene matches itself on many neighbouring offsets, and a symmetric scene
 * matches its mirror image; of runs covering the same query and candidate seconds only the
 * longest (then the closest) is kept, so each piece of shared footage is reported once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp_internal.h"
#include "fp_popcount.h"

/* The background of a run: the same query seconds at offsets this far from the run's. Nearer
 * than 3 s a moving camera's footage still overlaps (the averaging window, slow scenes). */
#define BACKGROUND_MIN_SHIFT 3
#define BACKGROUND_MAX_SHIFT 8

/* fp_popcount.h: POPCNT chosen at run time on x86 (the build targets baseline x86-64, where
 * __builtin_popcountll is a libgcc call), a portable count elsewhere. */
int dc_fp_distance(const dc_fp_hash *a, const dc_fp_hash *b) {
    _Static_assert(DC_FP_WORDS == 4, "fp_hamming256 takes four words");
    return fp_hamming256(a->w, b->w);
}

typedef struct {
    dc_fp_match *runs;
    int count, cap;
} run_list;

static bool run_push(run_list *l, const dc_fp_match *m) {
    if (l->count == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        dc_fp_match *r = realloc(l->runs, sizeof *r * (size_t)cap);
        if (!r) return false;
        l->runs = r;
        l->cap = cap;
    }
    l->runs[l->count++] = *m;
    return true;
}

/* One offset's walk. */
typedef struct {
    bool open;
    int first, last_match, misses, compared, matched, dist_sum;
} run_state;

/* The view of the query and of the candidate one walk compares (its runs carry it). */
typedef struct {
    bool mirrored;
    int phase;          /* the query's sub-second phase, 0 .. DC_FP_PHASES - 1 */
    int query_zoom;     /* 0 whole picture, 1 + z view z */
    int candidate_zoom; /* likewise */
} walk_view;

static bool run_close(run_state *r, int offset, const walk_view *v, run_list *out) {
    bool ok = true;
    if (r->open) {
        dc_fp_match m = {
            .query_sec = r->first,
            .candidate_sec = r->first + offset,
            .seconds = r->last_match - r->first + 1,
            .compared = r->compared,
            .matched = r->matched,
            .mean_distance = r->matched ? (double)r->dist_sum / r->matched : 0,
            .mirrored = v->mirrored,
            .query_phase_ms = v->phase * 1000 / DC_FP_PHASES,
            .query_zoom = v->query_zoom,
            .candidate_zoom = v->candidate_zoom,
        };
        if (m.seconds >= DC_FP_MIN_RUN_SEC && m.matched >= 2 &&
            m.matched >= DC_FP_RUN_MIN_HIT_SHARE * m.compared)
            ok = run_push(out, &m);
    }
    memset(r, 0, sizeof *r);
    return ok;
}

static void run_step(run_state *r, int q, int d, int offset, const walk_view *v, run_list *out,
                     bool *ok) {
    if (d <= DC_FP_MATCH_DISTANCE) {
        if (!r->open) {
            r->open = true;
            r->first = q;
        }
        r->last_match = q;
        r->misses = 0;
        r->compared++;
        r->matched++;
        r->dist_sum += d;
    } else if (r->open) {
        r->misses++;
        r->compared++;
        if (r->misses > DC_FP_RUN_MAX_MISS) {
            r->compared -= r->misses; /* the trailing misses are not part of the run */
            if (!run_close(r, offset, v, out)) *ok = false;
        }
    }
}

/* index by second: entry index or -1 for absent and unusable seconds */
static int *usable_index(const dc_fingerprint *fp, int *n) {
    *n = fp->duration_sec;
    for (int i = 0; i < fp->count; i++)
        if (fp->seconds[i].second + 1 > *n) *n = fp->seconds[i].second + 1;
    int *idx = malloc(sizeof(int) * (size_t)(*n > 0 ? *n : 1));
    if (!idx) return NULL;
    for (int s = 0; s < *n; s++) idx[s] = -1;
    for (int i = 0; i < fp->count; i++) {
        int s = fp->seconds[i].second;
        if (s >= 0 && fp->seconds[i].quality >= DC_FP_MIN_QUALITY) idx[s] = i;
    }
    return idx;
}

static int overlap(int a0, int an, int b0, int bn) {
    int lo = a0 > b0 ? a0 : b0, hi = (a0 + an < b0 + bn) ? a0 + an : b0 + bn;
    return hi - lo;
}

static int cmp_run(const void *pa, const void *pb) {
    const dc_fp_match *a = pa, *b = pb;
    if (a->seconds != b->seconds) return b->seconds - a->seconds;
    if (a->mean_distance != b->mean_distance) return a->mean_distance < b->mean_distance ? -1 : 1;
    if (a->mirrored != b->mirrored) return a->mirrored ? 1 : -1;
    if (a->query_zoom + a->candidate_zoom != b->query_zoom + b->candidate_zoom)
        return (a->query_zoom + a->candidate_zoom) - (b->query_zoom + b->candidate_zoom);
    if (a->query_phase_ms != b->query_phase_ms) return a->query_phase_ms - b->query_phase_ms;
    return a->query_sec - b->query_sec;
}

/* The query's entries at one sub-second phase (p = 0: its whole seconds), as a fingerprint
 * view; the array is malloc'd for p > 0 (NULL when that phase has none). */
static bool phase_view(const dc_fingerprint *q, int p, dc_fingerprint *view) {
    memset(view, 0, sizeof *view);
    view->duration_sec = q->duration_sec;
    if (p == 0) {
        view->seconds = q->seconds;
        view->count = q->count;
        return true;
    }
    if (q->phased_count <= 0 || !q->phased) return true;
    view->seconds = malloc(sizeof *view->seconds * (size_t)q->phased_count);
    if (!view->seconds) return false;
    for (int i = 0; i < q->phased_count; i++) {
        const dc_fp_second *e = &q->phased[i];
        long ph = lround((e->t_ms - 1000.0 * e->second) * DC_FP_PHASES / 1000.0);
        if (ph == p) view->seconds[view->count++] = *e;
    }
    return true;
}

/* The hash an entry shows in a view: 0 its whole picture, 1 + z its centre view z. */
static const dc_fp_hash *view_hash(const dc_fp_second *e, int zoom, bool mirrored) {
    if (zoom == 0) return mirrored ? &e->mirrored : &e->hash;
    return mirrored ? &e->zoom_mirrored[zoom - 1] : &e->zoom[zoom - 1];
}

/* Every offset of one view of the query (a phase, direct or mirrored, its whole picture or a
 * centre view) against one view of the candidate. */
static bool match_view(const dc_fingerprint *query, const int *qi, int nq, const walk_view *v,
                       const dc_fingerprint *candidate, const int *ci, int nc, run_list *runs) {
    bool ok = true;
    for (int offset = -(nq - 1); ok && offset < nc; offset++) {
        run_state r = {0};
        /* the query's entries in order (absent seconds cost nothing: a sparse fingerprint of a
         * long video stays cheap) */
        for (int a = 0; a < query->count; a++) {
            const dc_fp_second *qs = &query->seconds[a];
            int q = qs->second, c = q + offset;
            if (q < 0 || q >= nq || qi[q] != a || c < 0 || c >= nc || ci[c] < 0) continue;
            int d = dc_fp_distance(view_hash(qs, v->query_zoom, v->mirrored),
                                   view_hash(&candidate->seconds[ci[c]], v->candidate_zoom, false));
            run_step(&r, q, d, offset, v, runs, &ok);
        }
        if (r.open) r.compared -= r.misses;
        if (!run_close(&r, offset, v, runs)) ok = false;
    }
    return ok;
}

/* The bits of one view of the query that change over its video: set in at least
 * DC_FP_CHANGING_LOW and at most 1 - DC_FP_CHANGING_LOW of its usable whole seconds. The rest
 * is its static look. */
static int changing_mask(const dc_fingerprint *query, int zoom, bool mirrored, dc_fp_hash *mask) {
    int ones[DC_FP_BITS] = {0}, n = 0, bits = 0;
    memset(mask, 0, sizeof *mask);
    for (int i = 0; i < query->count; i++) {
        if (query->seconds[i].quality < DC_FP_MIN_QUALITY) continue;
        const dc_fp_hash *h = view_hash(&query->seconds[i], zoom, mirrored);
        for (int b = 0; b < DC_FP_BITS; b++) ones[b] += (int)((h->w[b / 64] >> (b % 64)) & 1);
        n++;
    }
    double lo = DC_FP_CHANGING_LOW * n, hi = (1 - DC_FP_CHANGING_LOW) * n;
    for (int b = 0; b < DC_FP_BITS; b++)
        if (n > 0 && ones[b] >= lo && ones[b] <= hi) {
            mask->w[b / 64] |= 1ull << (b % 64);
            bits++;
        }
    return bits;
}

/* The run's query seconds against the candidate at the offsets 3..8 seconds away from the
 * run's, same views: how alike this candidate's footage is at other times (a low-detail or
 * self-similar scene, a night road, matches everything near it). Fills m->background and
 * m->background_compared (the median distance, over how many comparisons). */
static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void run_background(const dc_fingerprint *query, const int *qi, int nq, const walk_view *v,
                           const dc_fingerprint *candidate, const int *ci, int nc,
                           const dc_fp_hash *mask, int mask_bits, dc_fp_match *m) {
    int hist[DC_FP_BITS + 1] = {0}, n = 0, distinct = 0, matched = 0;
    long static_sum = 0, changing_sum = 0;
    int offset = m->candidate_sec - m->query_sec;
    for (int q = m->query_sec; q < m->query_sec + m->seconds && q < nq; q++) {
        if (q < 0 || qi[q] < 0) continue;
        const dc_fp_hash *qh = view_hash(&query->seconds[qi[q]], v->query_zoom, v->mirrored);
        int around[2 * BACKGROUND_MAX_SHIFT], k = 0;
        for (int shift = -BACKGROUND_MAX_SHIFT; shift <= BACKGROUND_MAX_SHIFT; shift++) {
            int c = q + offset + shift;
            if (abs(shift) < BACKGROUND_MIN_SHIFT || c < 0 || c >= nc || ci[c] < 0) continue;
            int d =
                dc_fp_distance(qh, view_hash(&candidate->seconds[ci[c]], v->candidate_zoom, false));
            around[k++] = d;
            hist[d]++;
            n++;
        }
        int c = q + offset;
        if (k == 0 || c < 0 || c >= nc || ci[c] < 0) continue;
        const dc_fp_hash *ch = view_hash(&candidate->seconds[ci[c]], v->candidate_zoom, false);
        int here = dc_fp_distance(qh, ch);
        if (here <= DC_FP_MATCH_DISTANCE) {
            static const uint64_t none[DC_FP_WORDS] = {0};
            uint64_t differ[DC_FP_WORDS];
            for (int w = 0; w < DC_FP_WORDS; w++) differ[w] = (qh->w[w] ^ ch->w[w]) & mask->w[w];
            int changing = fp_hamming256(differ, none);
            static_sum += here - changing;
            changing_sum += changing;
            matched++;
        }
        qsort(around, (size_t)k, sizeof *around, cmp_int);
        if (here <= DC_FP_MATCH_DISTANCE && here + DC_FP_MIN_CONTRAST <= around[k / 2]) distinct++;
    }
    /* the median: footage that really repeats nearby (a cut that joins two stretches of one
     * drive, a loop) matches at a few of these offsets, which a mean would count */
    int below = 0, d = 0;
    while (n > 0 && d < DC_FP_BITS && 2 * (below + hist[d]) < n + 1) below += hist[d++];
    m->background_compared = n;
    m->background_distance = n ? d : 0;
    m->distinct = distinct;
    m->changing_bits = mask_bits;
    m->static_distance = matched ? (double)static_sum / matched : 0;
    m->changing_share = matched && mask_bits ? (double)changing_sum / matched / mask_bits : 0;
}

/* A run that is no closer than the candidate is to the query everywhere else says nothing
 * about this footage (see DC_FP_MIN_CONTRAST), nor one whose differences fall on the bits that
 * carry the query's changes over time (another drive that looks alike: see
 * DC_FP_MAX_CHANGING_SHARE). Nearly identical pictures count whatever the rest. */
static bool stands_out(const dc_fp_match *m) {
    if (m->mean_distance <= DC_FP_STILL_DISTANCE) return true;
    if (m->changing_share > DC_FP_MAX_CHANGING_SHARE) return false;
    return m->background_compared == 0 || m->distinct >= DC_FP_MIN_DISTINCT;
}

/* The pairs of views compared: whole x whole; the query whole x the candidate's stored views
 * (the query is a crop of the candidate's footage); the query's views x the candidate whole
 * (the candidate is the crop). The query's views exist at whole seconds only (phase 0). */
static int view_pairs(const dc_fingerprint *query, const dc_fingerprint *candidate, int phase,
                      int pairs[][2]) {
    int n = 0;
    pairs[n][0] = 0;
    pairs[n++][1] = 0;
    int cz = candidate->zooms < DC_FP_ZOOMS_STORED ? candidate->zooms : DC_FP_ZOOMS_STORED;
    for (int z = 0; z < cz; z++) {
        pairs[n][0] = 0;
        pairs[n++][1] = 1 + z;
    }
    int qz = query->zooms < DC_FP_ZOOMS_STORED ? query->zooms : DC_FP_ZOOMS_STORED;
    for (int z = 0; phase == 0 && z < qz; z++) {
        pairs[n][0] = 1 + z;
        pairs[n++][1] = 0;
    }
    return n;
}

dc_error_class dc_fingerprint_match(const dc_fingerprint *query, const dc_fingerprint *candidate,
                                    dc_fp_match *out, int max, int *count, dc_status *st) {
    *count = 0;
    if (!query || !candidate || query->count == 0 || candidate->count == 0 || max <= 0)
        return DC_OK;
    int nc, nq;
    int *ci = usable_index(candidate, &nc), *qi = NULL;
    run_list runs = {0};
    bool ok = ci != NULL;
    for (int p = 0; ok && p < DC_FP_PHASES; p++) {
        dc_fingerprint view;
        ok = phase_view(query, p, &view);
        if (ok && view.count > 0) {
            qi = usable_index(&view, &nq);
            ok = qi != NULL;
            int pairs[1 + 2 * DC_FP_ZOOMS_STORED][2];
            int np = view_pairs(query, candidate, p, pairs);
            for (int k = 0; ok && k < 2 * np; k++) {
                walk_view v = {.mirrored = k % 2 == 1,
                               .phase = p,
                               .query_zoom = pairs[k / 2][0],
                               .candidate_zoom = pairs[k / 2][1]};
                /* a query parsed from a blob has no mirrored views */
                if (v.mirrored && v.query_zoom > 0 && query->zooms < DC_FP_ZOOMS) continue;
                int first = runs.count;
                ok = match_view(&view, qi, nq, &v, candidate, ci, nc, &runs);
                /* the changing bits come from the query's whole seconds, whatever the phase */
                dc_fp_hash mask;
                int mask_bits =
                    first < runs.count ? changing_mask(query, v.query_zoom, v.mirrored, &mask) : 0;
                for (int r = first; ok && r < runs.count; r++)
                    run_background(&view, qi, nq, &v, candidate, ci, nc, &mask, mask_bits,
                                   &runs.runs[r]);
            }
            free(qi);
        }
        if (p > 0) free(view.seconds);
    }
    free(ci);
    if (!ok) {
        free(runs.runs);
        return dc_fail(st, DC_ERR_RESOURCE, "fingerprint match: out of memory");
    }
    if (runs.count > 1) qsort(runs.runs, (size_t)runs.count, sizeof *runs.runs, cmp_run);
    for (int i = 0; i < runs.count && *count < max; i++) {
        const dc_fp_match *m = &runs.runs[i];
        if (!stands_out(m)) continue;
        bool shadowed = false;
        for (int k = 0; k < *count && !shadowed; k++)
            shadowed =
                overlap(m->query_sec, m->seconds, out[k].query_sec, out[k].seconds) > 0 &&
                overlap(m->candidate_sec, m->seconds, out[k].candidate_sec, out[k].seconds) > 0;
        if (!shadowed) out[(*count)++] = *m;
    }
    free(runs.runs);
    return DC_OK;
}
