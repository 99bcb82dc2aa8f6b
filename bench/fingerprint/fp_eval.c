/* fp-eval: the fingerprint benchmark's measuring program (bench/fingerprint/run.sh drives it).
 *
 *   fp-eval show VIDEO                 the video's fingerprint as mining makes it (count,
 *                                      usable seconds, mean quality, hashing and mining time)
 *   fp-eval match QUERY CANDIDATE      the runs the matcher finds (exit 0 if any, 1 if none)
 *   fp-eval variants ORIGINAL V...     for each variant: matched or not, the longest run
 *                                      ("VARIANT matched|missed seconds distance mirrored",
 *                                      the variant queried against the stored original, then
 *                                      the same four for the original against the stored
 *                                      variant), then the same two lookups through the footage
 *                                      index ("index found|missed found|missed")
 *   fp-eval cross V...                 every pair of the listed videos: false matches, the
 *                                      per-second distance distribution across videos, and
 *                                      band-key candidate counts (what the store's index
 *                                      would return)
 *   fp-eval cost VIDEO                 mining time and the fingerprint's share of it
 *   fp-eval blob VIDEO OUT             the stored form of the video's fingerprint (fuzz
 *                                      corpus seeds, the store's tests)
 * match: FP_EVAL_PROFILE=OFFSET[m] the per-second distances at an offset, FP_EVAL_VIEWS=1 the
 * views' mean distances, FP_EVAL_CHANGE=1 each second's own change against the candidate's
 * along the best run (src/fingerprint/README.md: it does not tell copies from near duplicates).
 * cross also names the ten pairs closest by their aligned seconds' mean distance.
 * FP_EVAL_NO_PHASES=1 drops the query-side sub-second phases (to see what they add);
 * FP_EVAL_SHARD=K/N makes cross take only its share of the pairs (run N at once).
 * Fingerprints are made the way mining makes them: dc_mine_video for show/match/variants/cost;
 * cross reads the same coarse thumbnails (dc_media_thumbnails at mining's 160x90, every
 * frame kept at ~5 Hz for these small clips) without the audio work, to stay quick. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/fingerprint.h"
#include "dashclaim/footage_store.h"
#include "dashclaim/hash.h"
#include "dashclaim/media.h"
#include "dashclaim/mine.h"

static int fp_of_video(const char *path, bool full_mining, dc_fingerprint *fp, double *mine_sec,
                       double *fp_sec) {
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(path, (dc_deadline){0}, &st);
    if (!m) {
        fprintf(stderr, "%s: %s\n", path, st.message);
        return -1;
    }
    int rc = 0;
    if (full_mining) {
        dc_mine_result r;
        if (dc_mine_video(m, NULL, (dc_deadline){0}, &r, &st) != DC_OK) {
            fprintf(stderr, "%s: %s\n", path, st.message);
            rc = -1;
        } else {
            *fp = r.fingerprint;
            memset(&r.fingerprint, 0, sizeof r.fingerprint);
            if (mine_sec) *mine_sec = r.seconds_total;
            if (fp_sec) *fp_sec = r.seconds_fingerprint;
        }
        dc_mine_result_free(&r);
    } else {
        const dc_media_info *info = dc_media_get_info(m);
        double fps = info->avg_fps > 0 ? info->avg_fps : 30;
        int k = (int)lround(fps / 5.0);
        dc_thumb_request req = {.width = 160, .height = 90, .every_kth = k < 1 ? 1 : k};
        dc_thumb_set set = {0};
        if (dc_media_thumbnails(m, &req, (dc_deadline){0}, &set, &st) != DC_OK ||
            dc_fingerprint_from_thumbs(&set, info->duration_sec, fp, &st) != DC_OK) {
            fprintf(stderr, "%s: %s\n", path, st.message);
            rc = -1;
        }
        dc_thumb_set_free(&set);
    }
    dc_media_close(m);
    if (rc == 0 && getenv("FP_EVAL_NO_PHASES")) { /* compare: whole seconds only */
        free(fp->phased);
        fp->phased = NULL;
        fp->phased_count = 0;
    }
    return rc;
}

static int longest(const dc_fingerprint *q, const dc_fingerprint *c, dc_fp_match *best) {
    dc_fp_match m[DC_FP_MAX_MATCHES];
    int n = 0;
    dc_status st = DC_STATUS_OK;
    if (dc_fingerprint_match(q, c, m, DC_FP_MAX_MATCHES, &n, &st) != DC_OK) return -1;
    if (n > 0 && best) *best = m[0];
    return n;
}

static int cmd_show(const char *path) {
    dc_fingerprint fp = {0};
    double ms = 0, fs = 0;
    if (fp_of_video(path, true, &fp, &ms, &fs) != 0) return 2;
    double q = 0;
    for (int i = 0; i < fp.count; i++) q += fp.seconds[i].quality;
    printf("%s: %d s, %d hashed, %d usable, mean quality %.0f, hashing %.4f s of mining %.3f s\n",
           path, fp.duration_sec, fp.count, dc_fingerprint_usable(&fp), fp.count ? q / fp.count : 0,
           fs, ms);
    for (int i = 0; i < fp.count && getenv("FP_EVAL_VERBOSE"); i++)
        printf("  %4d t=%6d q=%3d %016llx\n", fp.seconds[i].second, fp.seconds[i].t_ms,
               fp.seconds[i].quality, (unsigned long long)fp.seconds[i].hash.w[0]);
    dc_fingerprint_free(&fp);
    return 0;
}

/* the distance of each query second to the candidate second at the best run's offset */
static void print_profile(const dc_fingerprint *q, const dc_fingerprint *c, int offset,
                          bool mirrored) {
    printf("  profile at offset %d%s:", offset, mirrored ? " (mirrored)" : "");
    for (int i = 0; i < q->count; i++) {
        const dc_fp_second *a = &q->seconds[i];
        for (int j = 0; j < c->count; j++)
            if (c->seconds[j].second == a->second + offset)
                printf(" %d",
                       dc_fp_distance(mirrored ? &a->mirrored : &a->hash, &c->seconds[j].hash));
    }
    printf("\n");
}

/* mean distance at offset 0 between each view of the query and each view of the candidate
 * (rows: the query's whole picture, then its views; columns likewise): where a crop lands */
static void print_views(const dc_fingerprint *q, const dc_fingerprint *c) {
    printf("  view distances at offset 0 (rows query 0/z1..z%d, columns candidate):\n",
           DC_FP_ZOOMS);
    for (int a = 0; a <= DC_FP_ZOOMS; a++) {
        printf("   ");
        for (int b = 0; b <= DC_FP_ZOOMS; b++) {
            long sum = 0, n = 0;
            for (int i = 0; i < q->count; i++)
                for (int j = 0; j < c->count; j++)
                    if (c->seconds[j].second == q->seconds[i].second) {
                        const dc_fp_hash *x = a ? &q->seconds[i].zoom[a - 1] : &q->seconds[i].hash;
                        const dc_fp_hash *y = b ? &c->seconds[j].zoom[b - 1] : &c->seconds[j].hash;
                        sum += dc_fp_distance(x, y);
                        n++;
                    }
            printf(" %5.1f", n ? (double)sum / n : -1.0);
        }
        printf("\n");
    }
    printf("  per second, query whole x candidate view 1:");
    for (int i = 0; i < q->count; i++)
        for (int j = 0; j < c->count; j++)
            if (c->seconds[j].second == q->seconds[i].second)
                printf(" %d", dc_fp_distance(&q->seconds[i].hash, &c->seconds[j].zoom[1]));
    printf("\n");
}

/* along the best run (whole x whole only): per second the distance here, the query's own change
 * to its next second, the candidate's, and how far apart the two changes are */
static const dc_fp_second *at_second(const dc_fingerprint *f, int s) {
    for (int i = 0; i < f->count; i++)
        if (f->seconds[i].second == s) return &f->seconds[i];
    return NULL;
}

static void print_change(const dc_fingerprint *q, const dc_fingerprint *c, const dc_fp_match *m) {
    int off = m->candidate_sec - m->query_sec;
    /* the query's bits that change over the video (set in 15-85 % of its seconds) */
    int ones[DC_FP_BITS] = {0}, n = 0;
    for (int i = 0; i < q->count; i++) {
        if (q->seconds[i].quality < DC_FP_MIN_QUALITY) continue;
        const dc_fp_hash *h = m->mirrored ? &q->seconds[i].mirrored : &q->seconds[i].hash;
        for (int b = 0; b < DC_FP_BITS; b++) ones[b] += (int)((h->w[b / 64] >> (b % 64)) & 1);
        n++;
    }
    dc_fp_hash mask = {{0}};
    int nmask = 0;
    for (int b = 0; b < DC_FP_BITS; b++)
        if (ones[b] >= 0.15 * n && ones[b] <= 0.85 * n) {
            mask.w[b / 64] |= 1ull << (b % 64);
            nmask++;
        }
    double fsum = 0, osum = 0;
    int fn = 0;
    for (int s = m->query_sec; s < m->query_sec + m->seconds; s++) {
        const dc_fp_second *a = at_second(q, s), *x = at_second(c, s + off);
        if (!a || !x) continue;
        int dm = 0, d = 0;
        for (int w = 0; w < DC_FP_WORDS; w++) {
            uint64_t diff = (m->mirrored ? a->mirrored.w[w] : a->hash.w[w]) ^ x->hash.w[w];
            dm += __builtin_popcountll(diff & mask.w[w]);
            d += __builtin_popcountll(diff);
        }
        fsum += nmask ? (double)dm / nmask : 0;
        osum += d - dm;
        fn++;
    }
    printf("  changing bits %d; their share differing along the run %.3f; other bits differing "
           "%.1f\n",
           nmask, fn ? fsum / fn : 0, fn ? osum / fn : 0);
    printf("  change (here, dq, dc, dchange, bits both changed):");
    for (int s = m->query_sec; s < m->query_sec + m->seconds; s++) {
        const dc_fp_second *a = at_second(q, s), *b = at_second(q, s + 1),
                           *x = at_second(c, s + off), *y = at_second(c, s + off + 1);
        if (!a || !b || !x || !y) continue;
        dc_fp_hash fa, fb;
        int both = 0;
        for (int w = 0; w < DC_FP_WORDS; w++) {
            uint64_t qa = m->mirrored ? a->mirrored.w[w] : a->hash.w[w];
            uint64_t qb = m->mirrored ? b->mirrored.w[w] : b->hash.w[w];
            fa.w[w] = qa ^ qb;
            fb.w[w] = x->hash.w[w] ^ y->hash.w[w];
            both += __builtin_popcountll(fa.w[w] & fb.w[w]);
        }
        printf(" [%d %d %d %d %d]", dc_fp_distance(m->mirrored ? &a->mirrored : &a->hash, &x->hash),
               dc_fp_distance(m->mirrored ? &a->mirrored : &a->hash,
                              m->mirrored ? &b->mirrored : &b->hash),
               dc_fp_distance(&x->hash, &y->hash), dc_fp_distance(&fa, &fb), both);
    }
    printf("\n");
}

static int cmd_match(const char *qp, const char *cp) {
    dc_fingerprint q = {0}, c = {0};
    if (fp_of_video(qp, true, &q, NULL, NULL) != 0 || fp_of_video(cp, true, &c, NULL, NULL) != 0)
        return 2;
    dc_fp_match m[DC_FP_MAX_MATCHES];
    int n = 0;
    dc_status st = DC_STATUS_OK;
    dc_fingerprint_match(&q, &c, m, DC_FP_MAX_MATCHES, &n, &st);
    for (int i = 0; i < n; i++)
        printf("run: query %d s + %d ms, candidate %d s, %d s (%d/%d compared matched), "
               "distance %.1f%s, views %d x %d, background %.1f (%d), distinct %d, static %.1f, "
               "changing share %.3f of %d\n",
               m[i].query_sec, m[i].query_phase_ms, m[i].candidate_sec, m[i].seconds, m[i].matched,
               m[i].compared, m[i].mean_distance, m[i].mirrored ? ", mirrored" : "",
               m[i].query_zoom, m[i].candidate_zoom, m[i].background_distance,
               m[i].background_compared, m[i].distinct, m[i].static_distance, m[i].changing_share,
               m[i].changing_bits);
    /* FP_EVAL_PROFILE=OFFSET[m]: the per-second distances at that offset (m: mirrored) */
    const char *prof = getenv("FP_EVAL_PROFILE");
    if (prof) print_profile(&q, &c, atoi(prof), strchr(prof, 'm') != NULL);
    if (getenv("FP_EVAL_VIEWS")) print_views(&q, &c);
    if (getenv("FP_EVAL_CHANGE") && n > 0) print_change(&q, &c, &m[0]);
    dc_fingerprint_free(&q);
    dc_fingerprint_free(&c);
    return n > 0 ? 0 : 1;
}

/* fp as the store gives it back (serialised and parsed: the views a stored candidate keeps) */
static int stored_form(const dc_fingerprint *fp, dc_fingerprint *out) {
    uint8_t *blob = NULL;
    size_t len = 0;
    dc_status st = DC_STATUS_OK;
    int rc = dc_fingerprint_serialize(fp, &blob, &len, &st) == DC_OK &&
                     dc_fingerprint_parse(blob, len, out, &st) == DC_OK
                 ? 0
                 : -1;
    free(blob);
    return rc;
}

/* Through the footage index (a SQLite store of its own in a temporary folder, the product's
 * lookup path: band keys, candidates, the matcher on the stored blob): query's footage found
 * under claim 'want' or not. */
static bool found_in_store(dc_footage_db *db, const char *path, const dc_fingerprint *query,
                           const char *want) {
    dc_claim_video cv;
    memset(&cv, 0, sizeof cv);
    snprintf(cv.path, sizeof cv.path, "%s", path);
    dc_footage_check check;
    dc_status st = DC_STATUS_OK;
    if (dc_footage_db_lookup(db, "clm_query", &cv, 1, query, 1, &check, NULL, &st) != DC_OK) {
        fprintf(stderr, "%s: lookup: %s\n", path, st.message);
        return false;
    }
    for (int i = 0; i < check.match_count; i++)
        if (!check.matches[i].same_file && !strcmp(check.matches[i].claim_id, want)) return true;
    return false;
}

static void remove_dir(const char *dir) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir); /* mkdtemp's name: no shell characters */
    if (system(cmd) != 0) fprintf(stderr, "fp-eval: could not remove %s\n", dir);
}

static bool store_one(dc_footage_db *db, const char *claim, const char *path,
                      const dc_fingerprint *fp) {
    char sha[65];
    dc_status st = DC_STATUS_OK;
    if (dc_sha256_file(path, sha) != 0) return false;
    dc_footage_video v = {claim, 0, sha, fp};
    if (dc_footage_db_put(db, &v, 1, &st) != DC_OK) {
        fprintf(stderr, "%s: store: %s\n", path, st.message);
        return false;
    }
    return true;
}

/* Each variant queried against the stored original ("matched|missed seconds distance
 * mirrored"), then the original queried against the stored variant (the same four fields:
 * a crop stored first and its original sent later is the other direction); then the same
 * two questions through the footage index ("index found|missed found|missed"). */
static int cmd_variants(int argc, char **argv) {
    dc_fingerprint o = {0}, os = {0};
    if (fp_of_video(argv[0], true, &o, NULL, NULL) != 0 || stored_form(&o, &os) != 0) return 2;
    char dir[] = "/tmp/fp-eval-XXXXXX";
    dc_status st = DC_STATUS_OK;
    dc_footage_db *db = mkdtemp(dir) ? dc_footage_db_open(dir, &st) : NULL;
    if (!db || !store_one(db, "original", argv[0], &o)) {
        fprintf(stderr, "fp-eval: footage store in %s: %s\n", dir, st.message);
        dc_footage_db_close(db);
        remove_dir(dir);
        return 2;
    }
    int missed = 0;
    for (int i = 1; i < argc; i++) {
        dc_fingerprint v = {0}, vs = {0};
        dc_fp_match best = {0}, back = {0};
        int n = -1, r = -1;
        bool index_found = false, index_back = false;
        if (fp_of_video(argv[i], true, &v, NULL, NULL) == 0 && stored_form(&v, &vs) == 0) {
            n = longest(&v, &os, &best);
            r = longest(&o, &vs, &back);
            char claim[32];
            snprintf(claim, sizeof claim, "variant%d", i);
            index_found = found_in_store(db, argv[i], &v, "original");
            /* the other direction in a store of its own: the original matches every variant,
             * and a lookup reports the longest few */
            char back_dir[] = "/tmp/fp-eval-XXXXXX";
            dc_footage_db *bdb = mkdtemp(back_dir) ? dc_footage_db_open(back_dir, &st) : NULL;
            index_back = bdb && store_one(bdb, claim, argv[i], &v) &&
                         found_in_store(bdb, argv[0], &o, claim);
            dc_footage_db_close(bdb);
            remove_dir(back_dir);
        }
        printf("%s %s %d %.1f %d %s %d %.1f %d background %.1f %.1f distinct %d %d static %.1f "
               "%.1f share %.3f %.3f index %s %s\n",
               argv[i], n > 0 ? "matched" : "missed", n > 0 ? best.seconds : 0,
               n > 0 ? best.mean_distance : 0.0, n > 0 && best.mirrored,
               r > 0 ? "matched" : "missed", r > 0 ? back.seconds : 0,
               r > 0 ? back.mean_distance : 0.0, r > 0 && back.mirrored,
               n > 0 ? best.background_distance : 0.0, r > 0 ? back.background_distance : 0.0,
               n > 0 ? best.distinct : 0, r > 0 ? back.distinct : 0,
               n > 0 ? best.static_distance : 0.0, r > 0 ? back.static_distance : 0.0,
               n > 0 ? best.changing_share : 0.0, r > 0 ? back.changing_share : 0.0,
               index_found ? "found" : "missed", index_back ? "found" : "missed");
        missed += n <= 0;
        dc_fingerprint_free(&v);
        dc_fingerprint_free(&vs);
    }
    dc_fingerprint_free(&o);
    dc_fingerprint_free(&os);
    dc_footage_db_close(db);
    remove_dir(dir);
    return missed ? 1 : 0;
}

typedef struct {
    dc_fp_key key;
    int owner;
} keyed;

static int cmp_key(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key) return (x->key > y->key) - (x->key < y->key);
    return x->owner - y->owner;
}

static int cmd_cross(int argc, char **argv) {
    dc_fingerprint *fps = calloc((size_t)argc, sizeof *fps);
    long hist[9] = {0}; /* per-second distances across videos, in buckets of 16 */
    long seconds = 0, usable = 0;
    for (int i = 0; i < argc; i++) {
        if (fp_of_video(argv[i], false, &fps[i], NULL, NULL) != 0) return 2;
        seconds += fps[i].count;
        usable += dc_fingerprint_usable(&fps[i]);
    }
    long pairs = 0, false_matches = 0, close_seconds = 0, compared = 0;
    /* the pairs of videos closest by their aligned seconds' mean distance (how near the corpus
     * comes to a duplicate; run.sh checks these with SSIM) */
    enum { CLOSEST = 10 };
    struct {
        double mean;
        int a, b;
    } closest[CLOSEST];
    int nclosest = 0;
    int min_d = 256;
    /* FP_EVAL_SHARD=K/N: only the pairs of rows i = K mod N (N processes share the pairs) */
    int shard = 0, shards = 1;
    const char *sh = getenv("FP_EVAL_SHARD");
    if (sh && sscanf(sh, "%d/%d", &shard, &shards) != 2) shard = 0, shards = 1;
    if (shards < 1 || shard < 0 || shard >= shards) shard = 0, shards = 1;
    for (int i = 0; i < argc; i++)
        for (int j = i + 1; j < argc && i % shards == shard; j++) {
            dc_fp_match best;
            int n = longest(&fps[j], &fps[i], &best);
            pairs++;
            if (n > 0) {
                false_matches++;
                printf(
                    "false match: %s (%d s + %d ms) ~ %s (%d s): %d s, distance %.1f%s, views "
                    "%d x %d, background %.1f (%d), distinct %d, static %.1f, changing share %.3f "
                    "of %d\n",
                    argv[j], best.query_sec, best.query_phase_ms, argv[i], best.candidate_sec,
                    best.seconds, best.mean_distance, best.mirrored ? " mirrored" : "",
                    best.query_zoom, best.candidate_zoom, best.background_distance,
                    best.background_compared, best.distinct, best.static_distance,
                    best.changing_share, best.changing_bits);
            }
            /* the per-second distances of one aligned offset (0): how alike the sources are */
            long pair_sum = 0, pair_n = 0;
            for (int a = 0, b = 0; a < fps[i].count && b < fps[j].count;) {
                const dc_fp_second *x = &fps[i].seconds[a], *y = &fps[j].seconds[b];
                if (x->second < y->second) a++;
                else if (x->second > y->second) b++;
                else {
                    if (x->quality >= DC_FP_MIN_QUALITY && y->quality >= DC_FP_MIN_QUALITY) {
                        int d = dc_fp_distance(&x->hash, &y->hash);
                        hist[d / 16 > 8 ? 8 : d / 16]++;
                        compared++;
                        close_seconds += d <= DC_FP_MATCH_DISTANCE;
                        if (d < min_d) min_d = d;
                        pair_sum += d;
                        pair_n++;
                    }
                    a++;
                    b++;
                }
            }
            if (pair_n >= DC_FP_MIN_RUN_SEC) {
                double mean = (double)pair_sum / (double)pair_n;
                if (nclosest < CLOSEST || mean < closest[CLOSEST - 1].mean) {
                    int at = nclosest < CLOSEST ? nclosest++ : CLOSEST - 1;
                    for (; at > 0 && closest[at - 1].mean > mean; at--)
                        closest[at] = closest[at - 1];
                    closest[at].mean = mean;
                    closest[at].a = i;
                    closest[at].b = j;
                }
            }
        }
    /* band-key candidates: pairs of seconds of DIFFERENT videos that share a key, in an
     * index holding every video's usable direct hashes (what a query would fetch) */
    long nkeys = usable * DC_FP_BANDS, k = 0;
    keyed *keys = malloc(sizeof *keys * (size_t)(nkeys ? nkeys : 1));
    for (int i = 0; i < argc; i++)
        for (int s = 0; s < fps[i].count; s++)
            if (fps[i].seconds[s].quality >= DC_FP_MIN_QUALITY) {
                dc_fp_key kk[DC_FP_BANDS];
                dc_fp_band_keys(&fps[i].seconds[s].hash, kk);
                for (int b = 0; b < DC_FP_BANDS; b++) keys[k++] = (keyed){kk[b], i};
            }
    qsort(keys, (size_t)nkeys, sizeof *keys, cmp_key);
    long collisions = 0;
    for (long a = 0; a < nkeys;) {
        long b = a;
        while (b < nkeys && keys[b].key == keys[a].key) b++;
        long all = (b - a) * (b - a - 1) / 2, same = 0;
        for (long x = a; x < b;) { /* sorted by owner within a key */
            long y = x;
            while (y < b && keys[y].owner == keys[x].owner) y++;
            same += (y - x) * (y - x - 1) / 2;
            x = y;
        }
        collisions += all - same;
        a = b;
    }
    printf("videos %d, seconds hashed %ld, usable %ld, pairs %ld, false matches %ld\n", argc,
           seconds, usable, pairs, false_matches);
    printf("aligned seconds across videos: %ld compared, %ld within distance %d (%.4f %%), "
           "closest %d\n",
           compared, close_seconds, DC_FP_MATCH_DISTANCE,
           compared ? 100.0 * close_seconds / compared : 0.0, min_d);
    for (int c = 0; c < nclosest; c++)
        printf("closest pair: %s %s mean aligned distance %.1f\n", argv[closest[c].a],
               argv[closest[c].b], closest[c].mean);
    printf("distance histogram (0-15, 16-31, ..., 128+):");
    for (int b = 0; b < 9; b++) printf(" %ld", hist[b]);
    printf("\nband keys: %d bands of %d bits, %ld key collisions across videos among %ld stored "
           "seconds (%.3g per second)\n",
           DC_FP_BANDS, DC_FP_BAND_BITS, collisions, usable,
           usable ? (double)collisions * 2 / usable : 0.0);
    free(keys);
    for (int i = 0; i < argc; i++) dc_fingerprint_free(&fps[i]);
    free(fps);
    return 0;
}

static int cmd_blob(const char *path, const char *out) {
    dc_fingerprint fp = {0};
    if (fp_of_video(path, true, &fp, NULL, NULL) != 0) return 2;
    uint8_t *blob = NULL;
    size_t len = 0;
    dc_status st = DC_STATUS_OK;
    int rc = 2;
    FILE *f = NULL;
    if (dc_fingerprint_serialize(&fp, &blob, &len, &st) == DC_OK && (f = fopen(out, "wb")) &&
        fwrite(blob, 1, len, f) == len)
        rc = 0;
    if (f && fclose(f) != 0) rc = 2;
    free(blob);
    dc_fingerprint_free(&fp);
    return rc;
}

static int cmd_cost(const char *path) {
    dc_fingerprint fp = {0};
    double ms = 0, fs = 0;
    if (fp_of_video(path, true, &fp, &ms, &fs) != 0) return 2;
    printf("%s: mining %.3f s, fingerprint %.4f s (%d hashes): fingerprint / mining = %.4f\n", path,
           ms, fs, fp.count, ms > 0 ? fs / ms : 0);
    dc_fingerprint_free(&fp);
    return 0;
}

/* the 160x90 thumbnail nearest T, as raw gray (to compare the decoder's scaling with others') */
static int cmd_thumb(const char *path, double t, const char *out) {
    dc_status st = DC_STATUS_OK;
    dc_media *m = dc_media_open(path, (dc_deadline){0}, &st);
    if (!m) return 2;
    dc_thumb_request req = {.width = 160, .height = 90, .every_kth = 1};
    dc_thumb_set set = {0};
    int rc = 2;
    if (dc_media_thumbnails(m, &req, (dc_deadline){0}, &set, &st) == DC_OK && set.count > 0) {
        int best = 0;
        for (int i = 1; i < set.count; i++)
            if (fabs(set.thumbs[i].t_sec - t) < fabs(set.thumbs[best].t_sec - t)) best = i;
        FILE *f = fopen(out, "wb");
        if (f) {
            fwrite(set.thumbs[best].gray, 1, (size_t)set.width * (size_t)set.height, f);
            rc = fclose(f) == 0 ? 0 : 2;
        }
        printf("%dx%d at %.3f\n", set.width, set.height, set.thumbs[best].t_sec);
    }
    dc_thumb_set_free(&set);
    dc_media_close(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "thumb")) return cmd_thumb(argv[2], atof(argv[3]), argv[4]);
    if (argc >= 3 && !strcmp(argv[1], "show")) return cmd_show(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "match")) return cmd_match(argv[2], argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "variants")) return cmd_variants(argc - 2, argv + 2);
    if (argc >= 4 && !strcmp(argv[1], "cross")) return cmd_cross(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "cost")) return cmd_cost(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "blob")) return cmd_blob(argv[2], argv[3]);
    fprintf(stderr, "usage: fp-eval show|match|variants|cross|cost|blob ... (see fp_eval.c)\n");
    return 2;
}
