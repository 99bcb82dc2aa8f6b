/* fp-search: search time of the footage index (include/dashclaim/footage_store.h) with N
 * stored synthetic fingerprints (bench/fingerprint/search.sh runs it on both backends).
 *
 *   fp-search --db LOCATION --videos N [--from K] [--seconds 60] [--queries 200]
 *             [--batch 500] [--phases P] [--no-views] [--load-only] [--query-only]
 *             [--warmup W] [--slowest S]
 *
 * Video i (claim "clm_<i>") has `seconds` random 256-bit hashes made from seed i alone, so a
 * run can add videos K..N-1 to an index that holds 0..K-1 (--from K) and queries can rebuild
 * any stored video without keeping them in memory. Half the queries are re-encoded clips of a
 * stored video (20..40 s, 4..14 bits of 256 flipped a second; every one must be found: the
 * recall line), half are other footage (must find nothing). Stored videos carry the views a
 * blob keeps (fingerprint.h: zoom[0], zoom[1], the index keyed on zoom[1]) and queries all four
 * views plain and mirrored, as mined fingerprints do (--no-views: neither, as before views).
 * A copy's hashes and views are the original's with the same bits flipped. --phases P gives each query
 * second P more hashes at sub-second phases, as mining's queries carry (4): P + 1 times the
 * probes. --warmup W first makes W lookups of other footage that are not counted (a service's
 * process is warm: the first lookups of a fresh one map the index's pages and cost several
 * times a warm one's); --slowest S lists the S lookups that took the longest, with their CPU and
 * counts. Prints load rate, search p50/p99
 * and the mean keys, postings and candidate videos a query. Random hashes are the index's best
 * case for chance collisions (real footage is less uniform): the candidate counts say how far
 * that matters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashclaim/footage_store.h"

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool views = true;

/* zooms: the views the fingerprint carries (DC_FP_ZOOMS_STORED stored, DC_FP_ZOOMS a query). */
static void make_video(int64_t i, int seconds, int zooms, dc_fingerprint *fp) {
    uint64_t s = (uint64_t)i * 0x2545F4914F6CDD1DULL + 7;
    fp->count = fp->duration_sec = seconds;
    fp->zooms = views ? zooms : 0;
    for (int k = 0; k < seconds; k++) {
        dc_fp_second *d = &fp->seconds[k];
        d->second = k;
        d->t_ms = k * 1000;
        d->quality = 90;
        for (int w = 0; w < DC_FP_WORDS; w++) {
            d->hash.w[w] = splitmix(&s);
            d->mirrored.w[w] = splitmix(&s);
            for (int z = 0; z < DC_FP_ZOOMS; z++) {
                /* the same seed stream whatever zooms is, so a query rebuilt with 4 views has
                 * the stored video's 2 */
                uint64_t a = splitmix(&s), b = splitmix(&s);
                d->zoom[z].w[w] = z < fp->zooms ? a : 0;
                d->zoom_mirrored[z].w[w] = fp->zooms > DC_FP_ZOOMS_STORED ? b : 0;
            }
        }
    }
}

static void flip(dc_fp_hash *h, int bit) { h->w[bit / 64] ^= 1ULL << (bit % 64); }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* This process's CPU time: a lookup's own work, without the time it waited for a core (the
 * shared machine's load) or for the database server (PostgreSQL's work is not in it). */
static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static const char *load_average(void) {
    static char line[64] = "?\n";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f)) snprintf(line, sizeof line, "?\n");
        fclose(f);
    }
    return line;
}

static int dbl_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One lookup's figures, for --slowest. */
typedef struct {
    int index;
    bool copy;
    int seconds;
    double ms, cpu_ms;
    dc_footage_search_stats stats;
} query_row;

static int row_cmp(const void *a, const void *b) { /* the longest first */
    const query_row *x = a, *y = b;
    return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

int main(int argc, char **argv) {
    const char *db_url = NULL;
    int64_t videos = 0, from = 0;
    int seconds = 60, queries = 200, batch = 500;
    bool load = true, query = true;
    int phases = 0;  /* sub-second phase hashes a query second carries (mining's: 4) */
    int slowest = 0; /* print the slowest queries (what the tail is) */
    int warmup = 0;  /* lookups run first and not counted (a service's process is warm) */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--db") && v) db_url = argv[++i];
        else if (!strcmp(a, "--videos") && v) videos = atoll(argv[++i]);
        else if (!strcmp(a, "--from") && v) from = atoll(argv[++i]);
        else if (!strcmp(a, "--seconds") && v) seconds = atoi(argv[++i]);
        else if (!strcmp(a, "--queries") && v) queries = atoi(argv[++i]);
        else if (!strcmp(a, "--batch") && v) batch = atoi(argv[++i]);
        else if (!strcmp(a, "--phases") && v) phases = atoi(argv[++i]);
        else if (!strcmp(a, "--slowest") && v) slowest = atoi(argv[++i]);
        else if (!strcmp(a, "--warmup") && v) warmup = atoi(argv[++i]);
        else if (!strcmp(a, "--load-only")) query = false;
        else if (!strcmp(a, "--no-views")) views = false;
        else if (!strcmp(a, "--query-only")) load = false;
        else {
            fprintf(stderr, "usage: fp-search --db LOCATION --videos N [--from K] [--seconds S] "
                            "[--queries Q] [--batch B] [--warmup W] [--slowest S] "
                            "[--load-only|--query-only]\n");
            return 2;
        }
    }
    if (!db_url || videos <= 0 || seconds < DC_FP_MIN_RUN_SEC || seconds > 600 || queries < 2 ||
        batch < 1 || from < 0 || from > videos) {
        fprintf(stderr, "fp-search: --db and --videos N (and sane sizes) are needed\n");
        return 2;
    }
    dc_status st = DC_STATUS_OK;
    dc_footage_db *db = dc_footage_db_open(db_url, &st);
    if (!db) {
        fprintf(stderr, "fp-search: %s\n", st.message);
        return 1;
    }
    dc_fingerprint *fps = calloc((size_t)batch, sizeof *fps);
    dc_footage_video *rows = calloc((size_t)batch, sizeof *rows);
    char(*ids)[32] = calloc((size_t)batch, 32);
    char(*shas)[65] = calloc((size_t)batch, 65);
    if (!fps || !rows || !ids || !shas) return 1;
    for (int b = 0; b < batch; b++)
        if (!(fps[b].seconds = calloc((size_t)seconds, sizeof(dc_fp_second)))) return 1;
    if (load && from < videos) {
        if (dc_footage_db_bulk(db, true, &st) != DC_OK) {
            fprintf(stderr, "fp-search: %s\n", st.message);
            return 1;
        }
        double t0 = now(), last = t0;
        for (int64_t i = from; i < videos; i += batch) {
            int n = (int)(videos - i < batch ? videos - i : batch);
            for (int b = 0; b < n; b++) {
                make_video(i + b, seconds, DC_FP_ZOOMS_STORED, &fps[b]);
                snprintf(ids[b], sizeof ids[b], "clm_%lld", (long long)(i + b));
                snprintf(shas[b], 65, "%064llx", (unsigned long long)(i + b + 1));
                rows[b] = (dc_footage_video){ids[b], 0, shas[b], &fps[b]};
            }
            if (dc_footage_db_put(db, rows, n, &st) != DC_OK) {
                fprintf(stderr, "fp-search: storing: %s\n", st.message);
                return 1;
            }
            if (now() - last > 30) {
                last = now();
                fprintf(stderr, "  %lld stored (%.0f videos/s)\n", (long long)(i + n),
                        (i + n - from) / (last - t0));
            }
        }
        double t1 = now();
        if (dc_footage_db_bulk(db, false, &st) != DC_OK) { /* writes the buckets */
            fprintf(stderr, "fp-search: writing the index: %s\n", st.message);
            return 1;
        }
        double dt = now() - t0;
        printf("load: %lld videos (%lld..%lld) in %.1f s (%.1f s of it writing the index at the "
               "end): %.0f videos/s\n",
               (long long)(videos - from), (long long)from, (long long)videos - 1, dt, now() - t1,
               (videos - from) / dt);
    }
    if (query) {
        double *ms = calloc((size_t)queries, sizeof *ms);
        double *cpu_ms = calloc((size_t)queries, sizeof *cpu_ms);
        query_row *each = calloc((size_t)queries, sizeof *each);
        dc_fingerprint src = {.seconds = calloc((size_t)seconds, sizeof(dc_fp_second))};
        dc_fingerprint q = {.seconds = calloc((size_t)seconds, sizeof(dc_fp_second))};
        if (phases < 0 || phases > 9) phases = 0;
        dc_fp_second *phased = calloc((size_t)seconds * (size_t)(phases + 1), sizeof *phased);
        if (!ms || !cpu_ms || !each || !src.seconds || !q.seconds || !phased) return 1;
        uint64_t s = 12345;
        int copies = 0, found = 0, false_hits = 0;
        double keys = 0, buckets = 0, postings = 0, cands = 0, compared = 0, chance = 0;
        /* warm-up: other footage (seeds no stored video and no measured query has), not
         * counted; what a long-running service's process has: the index's pages mapped */
        for (int k = 0; k < warmup; k++) {
            make_video(-(int64_t)k - 1000000, seconds, DC_FP_ZOOMS, &q);
            dc_claim_video cv;
            memset(&cv, 0, sizeof cv);
            dc_footage_check check;
            if (dc_footage_db_lookup(db, "clm_query", &cv, 1, &q, 1, &check, NULL, &st) != DC_OK) {
                fprintf(stderr, "fp-search: lookup: %s\n", st.message);
                return 1;
            }
        }
        struct timespec from_ts, to_ts; /* the counted lookups' span, for a server's CPU */
        clock_gettime(CLOCK_REALTIME, &from_ts);
        for (int k = 0; k < queries; k++) {
            bool copy = k % 2 == 0;
            if (copy) {
                int64_t v = (int64_t)(splitmix(&s) % (uint64_t)videos);
                make_video(v, seconds, DC_FP_ZOOMS, &src);
                int len = 20 + (int)(splitmix(&s) % 21);
                if (len > seconds) len = seconds;
                int start = (int)(splitmix(&s) % (uint64_t)(seconds - len + 1));
                int bits = 4 + (int)(splitmix(&s) % 11);
                q.count = q.duration_sec = len;
                q.zooms = src.zooms;
                for (int j = 0; j < len; j++) {
                    dc_fp_second *d = &q.seconds[j];
                    *d = src.seconds[start + j];
                    d->second = j;
                    d->t_ms = j * 1000;
                    for (int f = 0; f < bits; f++) {
                        int bit = (int)(splitmix(&s) % DC_FP_BITS);
                        flip(&d->hash, bit);
                        for (int z = 0; z < q.zooms; z++) flip(&d->zoom[z], bit);
                    }
                }
                snprintf(ids[0], sizeof ids[0], "clm_%lld", (long long)v);
            } else {
                make_video(-(int64_t)k - 1000, seconds, DC_FP_ZOOMS, &q); /* no stored seed */
            }
            /* a query made by mining carries hashes at sub-second phases too (random here:
             * they cost probes like the real ones) */
            q.phased = phases ? phased : NULL;
            q.phased_count = phases * q.count;
            for (int j = 0; j < q.phased_count; j++) {
                phased[j] = q.seconds[j / phases];
                phased[j].t_ms = phased[j].second * 1000 + (j % phases + 1) * 1000 / (phases + 1);
                for (int w = 0; w < DC_FP_WORDS; w++) {
                    phased[j].hash.w[w] = splitmix(&s);
                    phased[j].mirrored.w[w] = splitmix(&s);
                }
            }
            dc_claim_video cv;
            memset(&cv, 0, sizeof cv);
            dc_footage_check check;
            dc_footage_search_stats stats;
            double t0 = now(), c0 = cpu_now();
            if (dc_footage_db_lookup(db, "clm_query", &cv, 1, &q, 1, &check, &stats, &st) !=
                DC_OK) {
                fprintf(stderr, "fp-search: lookup: %s\n", st.message);
                return 1;
            }
            ms[k] = (now() - t0) * 1000;
            cpu_ms[k] = (cpu_now() - c0) * 1000;
            each[k] = (query_row){k, copy, q.count, ms[k], cpu_ms[k], stats};
            keys += stats.keys;
            buckets += stats.buckets;
            postings += stats.postings;
            cands += stats.candidates;
            compared += stats.compared;
            chance += stats.chance;
            if (copy) {
                copies++;
                if (check.match_count >= 1 && !strcmp(check.matches[0].claim_id, ids[0])) found++;
                false_hits += check.match_count > 1 ? check.match_count - 1 : 0;
            } else {
                false_hits += check.match_count;
            }
        }
        clock_gettime(CLOCK_REALTIME, &to_ts);
        printf("counted lookups from %.3f to %.3f (Unix time)\n",
               from_ts.tv_sec + from_ts.tv_nsec / 1e9, to_ts.tv_sec + to_ts.tv_nsec / 1e9);
        if (slowest > 0) {
            qsort(each, (size_t)queries, sizeof *each, row_cmp);
            for (int k = 0; k < slowest && k < queries; k++)
                printf("  slow #%d: query %d (%s, %d s): cpu %.2f ms, wall %.2f ms, %lld keys, "
                       "%lld postings, %lld candidates, %lld compared, %lld set aside\n",
                       k + 1, each[k].index, each[k].copy ? "copy" : "other", each[k].seconds,
                       each[k].cpu_ms, each[k].ms, (long long)each[k].stats.keys,
                       (long long)each[k].stats.postings, (long long)each[k].stats.candidates,
                       (long long)each[k].stats.compared, (long long)each[k].stats.chance);
        }
        free(each);
        qsort(ms, (size_t)queries, sizeof *ms, dbl_cmp);
        int p99 = (int)ceil(queries * 0.99) - 1;
        printf("search (%s, %lld videos x %d s stored, %d queries after %d warm-up): p50 %.2f ms, "
               "p99 %.2f ms, max %.2f ms\n",
               dc_footage_db_backend(db), (long long)videos, seconds, queries, warmup,
               ms[queries / 2], ms[p99], ms[queries - 1]);
        qsort(cpu_ms, (size_t)queries, sizeof *cpu_ms, dbl_cmp);
        printf("this process's CPU a lookup: p50 %.2f ms, p99 %.2f ms; machine load %s",
               cpu_ms[queries / 2], cpu_ms[p99], load_average());
        printf("per query: %.0f keys, %.0f buckets, %.1f postings, %.2f candidate videos, %.2f "
               "compared, %.2f set aside as chance hits; copies found %d/%d, false matches %d\n",
               keys / queries, buckets / queries, postings / queries, cands / queries,
               compared / queries, chance / queries, found, copies, false_hits);
        free(ms);
        free(cpu_ms);
        free(phased);
        free(src.seconds);
        free(q.seconds);
    }
    for (int b = 0; b < batch; b++) free(fps[b].seconds);
    free(fps);
    free(rows);
    free(ids);
    free(shas);
    dc_footage_db_close(db);
    return 0;
}
