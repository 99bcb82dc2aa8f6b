/* bench_queue: the job queue on SQLite against the work it queues.
 *
 *   bench_queue --data DIR --clip VIDEO [--mem DIR] [--jobs N] [--workers 1,2,4] [--claims K]
 *               [--e2e M]
 *
 * The peer is the claim itself: what a claim costs in the pipeline with the signals engine (the
 * cheapest engine there is, so the queue's share is the largest it can be), measured in the same
 * run on the same machine. Three parts:
 *   1. the pipeline alone on VIDEO, K times: ms per claim;
 *   2. the queue alone: N claims inserted, then W threads (one connection each) claim and complete
 *      them as fast as they can, each completion writing the real assessment record from part 1
 *      and its audit row in one transaction, durable before it returns (the WAL fsynced past it;
 *      completions of threads that commit together share one fsync: group commit). claim +
 *      complete per second, p50/p99 of each call, and completions per fsync. Next to it, the
 *      disk's own ceiling: fsyncs per second of a 4 KiB append (without group commit, one
 *      durable completion needs one). With --mem DIR (a tmpfs), the same queue again where an
 *      fsync costs nothing: the queue's CPU cost, which is what a fast NVMe disk leaves;
 *   3. end to end: M claims of VIDEO through the worker loop (dc_workers, 1 thread, heartbeats,
 *      fetch, pipeline, completion), against M x the pipeline alone.
 * Reported: the queue's cost per claim as a share of a claim's time (goal < 1 %), and claim +
 * complete per second (goal >= 1000). Never pass/fail. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dashclaim/pipeline.h"
#include "dashclaim/serve.h"
#include "dashclaim/store.h"
#include "store_sqlite_shared.h" /* the group commit's counters */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, int n, double p) {
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmpd);
    int i = (int)ceil(p * n) - 1;
    return v[i < 0 ? 0 : i];
}

static struct {
    const char *dir;
    dc_assessment record;
    char *json;
} g;

typedef struct {
    const char *url;
    int index;
    double *claim_ms, *complete_ms;
    int n, cap;
    int errors;
} runner;

static void *drain(void *arg) {
    runner *r = arg;
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(r->url, NULL, &st);
    if (!s) {
        fprintf(stderr, "bench_queue: %s\n", st.message);
        r->errors++;
        return NULL;
    }
    char name[32];
    snprintf(name, sizeof name, "bench/%d", r->index);
    for (;;) {
        dc_store_job job;
        bool got = false, accepted = false;
        double t0 = now();
        if (dc_store_job_claim(s, name, &job, &got, &st) != DC_OK) {
            r->errors++;
            continue;
        }
        if (!got) break;
        double t1 = now();
        dc_assessment *a = &g.record;
        dc_store_result res = {.assessment = a, .assessment_json = g.json};
        if (dc_store_job_complete(s, &job, &res, &accepted, &st) != DC_OK || !accepted) r->errors++;
        double t2 = now();
        if (r->n < r->cap) {
            r->claim_ms[r->n] = (t1 - t0) * 1e3;
            r->complete_ms[r->n] = (t2 - t1) * 1e3;
            r->n++;
        }
    }
    dc_store_close(s);
    return NULL;
}

/* The disk's ceiling for durable commits: appends of 4 KiB, each followed by fdatasync. */
static double fsyncs_per_sec(const char *dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/fsync-probe", dir);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    char block[4096];
    memset(block, 'x', sizeof block);
    int n = 0;
    double t0 = now();
    while (now() - t0 < 2.0 && n < 5000) {
        if (fwrite(block, 1, sizeof block, f) != sizeof block || fflush(f) != 0 ||
            fdatasync(fileno(f)) != 0)
            break;
        n++;
    }
    double rate = n / (now() - t0);
    fclose(f);
    unlink(path);
    return rate;
}

static int queue_fill(const char *url, int jobs, const char *clip_sha) {
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(url, NULL, &st);
    if (!s) {
        fprintf(stderr, "bench_queue: %s\n", st.message);
        return -1;
    }
    /* one small stored video for all of them: the queue does not read it */
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    if (!w || dc_store_video_write(w, "bench", 5, &st) ||
        dc_store_video_commit(w, &nc.video, &st)) {
        fprintf(stderr, "bench_queue: %s\n", st.message);
        dc_store_close(s);
        return -1;
    }
    (void)clip_sha;
    snprintf(nc.uploader, sizeof nc.uploader, "bench");
    snprintf(nc.content_type, sizeof nc.content_type, "video/mp4");
    for (int i = 0; i < jobs; i++) {
        dc_store_claim c;
        if (dc_store_claim_insert(s, &nc, &c, NULL, &st) != DC_OK) {
            fprintf(stderr, "bench_queue: %s\n", st.message);
            dc_store_close(s);
            return -1;
        }
    }
    dc_store_close(s);
    return 0;
}

int main(int argc, char **argv) {
    const char *clip = NULL, *workers_list = "1,2,4", *mem = NULL;
    int jobs = 2000, claims = 5, e2e = 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) g.dir = argv[++i];
        else if (!strcmp(argv[i], "--clip") && i + 1 < argc) clip = argv[++i];
        else if (!strcmp(argv[i], "--mem") && i + 1 < argc) mem = argv[++i];
        else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) jobs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc) workers_list = argv[++i];
        else if (!strcmp(argv[i], "--claims") && i + 1 < argc) claims = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--e2e") && i + 1 < argc) e2e = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_queue --data DIR --clip VIDEO [--jobs N] [--workers "
                            "1,2,4] [--claims K] [--e2e M]\n");
            return 2;
        }
    }
    if (!g.dir || !clip || jobs < 1 || claims < 1) {
        fprintf(stderr, "bench_queue: --data and --clip are required\n");
        return 2;
    }
    mkdir(g.dir, 0755);

    /* 1. the pipeline alone */
    dc_pipeline_options po;
    dc_pipeline_options_init(&po);
    po.decode_workers = 1;
    double *pipe_ms = calloc((size_t)claims, sizeof *pipe_ms);
    dc_claim_result *r = calloc(1, sizeof *r);
    for (int i = 0; i < claims + 1; i++) {
        double t0 = now();
        dc_pipeline_assess(clip, "clm_bench", &po, r);
        double ms = (now() - t0) * 1e3;
        if (i > 0) pipe_ms[i - 1] = ms; /* the first run warms the page cache */
        if (i < claims) dc_claim_result_free(r);
    }
    g.record = r->assessment;
    g.json = dc_assessment_to_json(&g.record, 0);
    dc_claim_result_free(r);
    free(r);
    double pipe_sum = 0;
    for (int i = 0; i < claims; i++) pipe_sum += pipe_ms[i];
    double pipe_mean = pipe_sum / claims;
    printf("bench/queue: SQLite (WAL, durable completions, group commit) against the "
           "signals-engine pipeline, "
           "%ld cores\n\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    printf(
        "pipeline alone (signals engine), %s: %.1f ms per claim (mean of %d; record %zu bytes)\n\n",
        clip, pipe_mean, claims, g.json ? strlen(g.json) : 0);

    /* 2. the queue alone, on the disk and (with --mem) on a tmpfs */
    double ceiling = fsyncs_per_sec(g.dir);
    printf(
        "this disk's ceiling for durable commits (4 KiB append + fdatasync): %.0f per second\n\n",
        ceiling);
    double one_worker_ms = 0;
    for (int where = 0; where < (mem ? 2 : 1); where++) {
        const char *base = where ? mem : g.dir;
        if (where) mkdir(mem, 0755);
        printf("%s\n\n",
               where ? "queue on a tmpfs (fsync free: the queue's CPU cost)" : "queue on the disk");
        printf("| workers | jobs | claim+complete/s | claim p50/p99 ms | complete p50/p99 ms | "
               "completions per fsync | queue ms per claim | share of a claim | load avg |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
        char list[64];
        snprintf(list, sizeof list, "%s", workers_list);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            int w = atoi(tok);
            if (w < 1 || w > 64) continue;
            char url[1024];
            snprintf(url, sizeof url, "%s/queue-w%d-%ld", base, w, (long)time(NULL));
            if (queue_fill(url, jobs, NULL) != 0) return 1;
            /* held open across the run, so that the group commit's counters outlive the threads */
            dc_status ost = DC_STATUS_OK;
            dc_store *keep = dc_store_open(url, NULL, &ost);
            char dbfile[1100];
            snprintf(dbfile, sizeof dbfile, "%s/dashclaim.db", url);
            uint64_t fs0 = 0, cm0 = 0, fs1 = 0, cm1 = 0;
            sq_shared_sync_counts(dbfile, &fs0, &cm0);
            runner *rs = calloc((size_t)w, sizeof *rs);
            pthread_t *t = calloc((size_t)w, sizeof *t);
            for (int i = 0; i < w; i++) {
                rs[i] = (runner){.url = url, .index = i, .cap = jobs};
                rs[i].claim_ms = calloc((size_t)jobs, sizeof(double));
                rs[i].complete_ms = calloc((size_t)jobs, sizeof(double));
            }
            double t0 = now();
            for (int i = 0; i < w; i++) pthread_create(&t[i], NULL, drain, &rs[i]);
            for (int i = 0; i < w; i++) pthread_join(t[i], NULL);
            double wall = now() - t0;
            sq_shared_sync_counts(dbfile, &fs1, &cm1);
            dc_store_close(keep);
            double load = 0;
            FILE *la = fopen("/proc/loadavg", "r");
            if (la) {
                if (fscanf(la, "%lf", &load) != 1) load = 0;
                fclose(la);
            }
            double *cl = calloc((size_t)jobs, sizeof *cl), *co = calloc((size_t)jobs, sizeof *co);
            int n = 0, errors = 0;
            for (int i = 0; i < w; i++) {
                memcpy(cl + n, rs[i].claim_ms, (size_t)rs[i].n * sizeof *cl);
                memcpy(co + n, rs[i].complete_ms, (size_t)rs[i].n * sizeof *co);
                n += rs[i].n;
                errors += rs[i].errors;
                free(rs[i].claim_ms);
                free(rs[i].complete_ms);
            }
            double per_claim_ms =
                wall * 1e3 / (n ? n : 1) * w; /* time one worker spends per claim */
            if (w == 1 && where == 0) one_worker_ms = per_claim_ms;
            printf(
                "| %d | %d | %.0f | %.2f / %.2f | %.2f / %.2f | %.1f | %.2f | %.2f %% | %.1f |%s\n",
                w, n, n / wall, pct(cl, n, 0.5), pct(cl, n, 0.99), pct(co, n, 0.5),
                pct(co, n, 0.99), fs1 > fs0 ? (double)(cm1 - cm0) / (double)(fs1 - fs0) : 0.0,
                per_claim_ms, 100.0 * per_claim_ms / pipe_mean, load, errors ? " (errors!)" : "");
            free(cl);
            free(co);
            free(rs);
            free(t);
        }
        printf("\n");
    }

    /* 3. end to end through the worker loop */
    if (e2e > 0) {
        char url[1024];
        snprintf(url, sizeof url, "%s/e2e-%ld", g.dir, (long)time(NULL));
        dc_status st = DC_STATUS_OK;
        dc_store *s = dc_store_open(url, NULL, &st);
        if (!s) {
            fprintf(stderr, "bench_queue: %s\n", st.message);
            return 1;
        }
        FILE *f = fopen(clip, "rb");
        dc_store_video_writer *vw = dc_store_video_begin(s, &st);
        char buf[65536];
        size_t k;
        while (f && vw && (k = fread(buf, 1, sizeof buf, f)) > 0)
            dc_store_video_write(vw, buf, k, &st);
        if (f) fclose(f);
        dc_store_new_claim nc;
        memset(&nc, 0, sizeof nc);
        if (!vw || dc_store_video_commit(vw, &nc.video, &st) != DC_OK) {
            fprintf(stderr, "bench_queue: %s\n", st.message);
            return 1;
        }
        snprintf(nc.uploader, sizeof nc.uploader, "bench");
        for (int i = 0; i < e2e; i++) {
            dc_store_claim c;
            dc_store_claim_insert(s, &nc, &c, NULL, &st);
        }
        dc_worker_options wo;
        dc_worker_options_init(&wo);
        wo.store_url = url;
        wo.threads = 1;
        wo.max_jobs = e2e;
        wo.no_evidence = true;
        wo.poll_sec = 0.01;
        wo.scratch_dir = g.dir;
        double t0 = now();
        dc_workers *w = dc_workers_start(&wo, &st);
        if (!w) {
            fprintf(stderr, "bench_queue: %s\n", st.message);
            return 1;
        }
        int64_t counts[DC_STATE_COUNT];
        for (;;) {
            dc_store_claim_counts(s, counts, &st);
            if (counts[DC_STATE_DONE] + counts[DC_STATE_FAILED] >= e2e) break;
            usleep(2000);
        }
        double wall = now() - t0;
        dc_workers_stop(w);
        dc_store_close(s);
        double per = wall * 1e3 / e2e;
        printf("\nend to end, dc_workers (1 thread, heartbeats, fetch, pipeline, completion), %d "
               "claims: %.1f ms per claim against %.1f ms for the pipeline alone: overhead %.1f %% "
               "(%d done, %d failed)\n",
               e2e, per, pipe_mean, 100.0 * (per - pipe_mean) / pipe_mean,
               (int)counts[DC_STATE_DONE], (int)counts[DC_STATE_FAILED]);
    }
    printf("\nqueue share of a claim with 1 worker: %.2f %% (goal < 1 %%)\n",
           100.0 * one_worker_ms / pipe_mean);
    free(pipe_ms);
    free(g.json);
    return 0;
}
