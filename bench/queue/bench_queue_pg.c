/* bench_queue_pg: the job queue on PostgreSQL, with SQLite measured in the same run as the peer.
 *
 *   bench_queue_pg --pg URL --sqlite DIR [--jobs N] [--workers 1,4,16] [--lease S]
 *                  [--quiet-s S] [--idle-s S] [--rate R] [--skip throughput,pickup,idle]
 *
 * URL is a maintenance database of a server this program may create databases on (run it under
 * tests/store/with-pg, as bench/queue/run-pg.sh does). Three measurements:
 *
 * 1. claim + complete per second with 1, 4 and 16 workers (threads, one connection each, like
 *    workers on separate machines): N claims queued, then drained; each completion writes a real
 *    assessment record and its audit row in the same transaction.
 * 2. pickup of a killed worker's job: a worker process claims a job and renews its lease once,
 *    then is killed with SIGKILL; the time until another worker holds the job, next to the lease
 *    it had left (goal: within one lease, 60 s by default; River 1 h, Oban 60 min,
 *    graphile-worker 4 h).
 * 3. the classic PostgreSQL queue failure: a session idle in a transaction (REPEATABLE READ, so
 *    it holds its snapshot) while R jobs/s churn through the queue. Vacuum cannot remove any row
 *    version deleted after the snapshot, so a queue that scans its index from the start slows
 *    down linearly. Reported per interval: our claim latency (p50/p99 of dc_store_job_claim that
 *    got a job; goal within 2x of the quiet figure), the queue latency (insert to claim), and the
 *    peer, River's JobGetAvailable shape without our scan hint, timed on the same table at the
 *    same moments. SQLite has no MVCC snapshots to hold (a long reader only holds back WAL
 *    checkpoints), so this part is PostgreSQL only.
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dashclaim/store.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
    if (n == 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

typedef struct {
    const char *pg_base, *sqlite_base;
    int jobs, lease, rate;
    int workers[8], nworkers;
    double quiet_s, idle_s;
    bool skip_throughput, skip_pickup, skip_idle;
} options;

/* A fresh store: a new folder, or a new database on the server. */
static int serial;
static void fresh_url(const options *o, bool pg, const char *name, char *url, size_t size) {
    serial++;
    if (!pg) {
        mkdir(o->sqlite_base, 0755);
        snprintf(url, size, "%s/%s-%d-%d", o->sqlite_base, name, (int)getpid(), serial);
        return;
    }
    char db[64];
    snprintf(db, sizeof db, "bench_%s_%d_%d", name, (int)getpid(), serial);
    PGconn *c = PQconnectdb(o->pg_base);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    PQclear(PQexec(c, sql));
    PQfinish(c);
    const char *slash = strrchr(o->pg_base, '/');
    snprintf(url, size, "%.*s/%s", (int)(slash - o->pg_base), o->pg_base, db);
}

static dc_store *open_or_die(const char *url, int lease) {
    dc_store_options so;
    dc_store_options_init(&so);
    if (lease > 0) so.lease_sec = lease;
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(url, &so, &st);
    if (!s) {
        fprintf(stderr, "bench_queue_pg: %s: %s\n", url, st.message);
        exit(2);
    }
    return s;
}

/* One stored video shared by every claim (the queue, not the upload, is measured here). */
static void one_video(dc_store *s, dc_store_video *v) {
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    static const char body[] = "bench video";
    if (!w || dc_store_video_write(w, body, sizeof body - 1, &st) != DC_OK ||
        dc_store_video_commit(w, v, &st) != DC_OK) {
        fprintf(stderr, "bench_queue_pg: video: %s\n", st.message);
        exit(2);
    }
}

static void insert(dc_store *s, const dc_store_video *v) {
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    nc.video = *v;
    strcpy(nc.content_type, "video/mp4");
    strcpy(nc.uploader, "bench");
    dc_store_claim c;
    bool existed;
    dc_status st = DC_STATUS_OK;
    if (dc_store_claim_insert(s, &nc, &c, &existed, &st) != DC_OK) {
        fprintf(stderr, "bench_queue_pg: insert: %s\n", st.message);
        exit(2);
    }
}

/* The assessment every completion stores: a real record, decided by the rules. */
static char *record_json;
static dc_assessment *record;

static void make_record(void) {
    record = calloc(1, sizeof *record);
    dc_assessment_init(record);
    snprintf(record->engine.name, sizeof record->engine.name, "signals");
    record->severity = DC_SEVERITY_MEDIUM;
    dc_claim_decide(record, NULL, NULL);
    record_json = dc_assessment_to_json(record, 0);
}

static bool complete(dc_store *s, const dc_store_job *job) {
    dc_store_result r = {.assessment = record, .assessment_json = record_json};
    bool accepted = false;
    dc_status st = DC_STATUS_OK;
    if (dc_store_job_complete(s, job, &r, &accepted, &st) != DC_OK) {
        fprintf(stderr, "bench_queue_pg: complete: %s\n", st.message);
        return false;
    }
    return accepted;
}

/* ---- 1. throughput ------------------------------------------------------------------------- */

typedef struct {
    const char *url;
    atomic_long *done;
    int index;
} drain_arg;

static void *drain_main(void *arg) {
    drain_arg *a = arg;
    dc_store *s = open_or_die(a->url, 60);
    char name[32];
    snprintf(name, sizeof name, "bench-%d", a->index);
    for (;;) {
        dc_store_job job;
        bool got = false;
        dc_status st = DC_STATUS_OK;
        if (dc_store_job_claim(s, name, &job, &got, &st) != DC_OK) {
            fprintf(stderr, "bench_queue_pg: claim: %s\n", st.message);
            sleep_s(0.05);
            continue;
        }
        if (!got) break; /* drained */
        if (complete(s, &job)) atomic_fetch_add(a->done, 1);
    }
    dc_store_close(s);
    return NULL;
}

static double throughput(const options *o, bool pg, int workers) {
    char url[512];
    fresh_url(o, pg, "tp", url, sizeof url);
    dc_store *s = open_or_die(url, 60);
    dc_store_video v;
    one_video(s, &v);
    for (int i = 0; i < o->jobs; i++) insert(s, &v);
    dc_store_close(s);
    atomic_long done = 0;
    pthread_t t[64];
    drain_arg args[64];
    double t0 = now_s();
    for (int i = 0; i < workers; i++) {
        args[i] = (drain_arg){url, &done, i};
        pthread_create(&t[i], NULL, drain_main, &args[i]);
    }
    for (int i = 0; i < workers; i++) pthread_join(t[i], NULL);
    double dt = now_s() - t0;
    if (done != o->jobs)
        fprintf(stderr, "bench_queue_pg: %ld of %d jobs completed\n", (long)done, o->jobs);
    return (double)done / dt;
}

/* ---- 2. pickup after kill -9 --------------------------------------------------------------- */

static void pickup(const options *o, bool pg, double *seconds, double *lease_left) {
    char url[512];
    fresh_url(o, pg, "pickup", url, sizeof url);
    dc_store *s = open_or_die(url, o->lease);
    dc_store_video v;
    one_video(s, &v);
    insert(s, &v);
    int fds[2];
    if (pipe(fds) != 0) exit(2);
    pid_t kid = fork();
    if (kid == 0) {
        /* the victim: claims, renews once a third of a lease later, tells the parent when its
         * lease ends, then works forever */
        dc_store *k = open_or_die(url, o->lease);
        dc_store_job job;
        bool got = false, held = false;
        dc_status st = DC_STATUS_OK;
        dc_store_job_claim(k, "victim", &job, &got, &st);
        sleep_s(o->lease / 3.0);
        dc_store_job_heartbeat(k, &job, &held, &st);
        int64_t until = job.lease_until_ms;
        if (write(fds[1], &until, sizeof until) != sizeof until) _exit(1);
        for (;;) sleep_s(1);
    }
    close(fds[1]);
    int64_t until = 0;
    if (read(fds[0], &until, sizeof until) != sizeof until) exit(2);
    close(fds[0]);
    sleep_s(0.2);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t kill_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    kill(kid, SIGKILL);
    double t0 = now_s();
    waitpid(kid, NULL, 0);
    *lease_left = (double)(until - kill_ms) / 1000.0;
    /* the survivor: an ordinary worker loop (claim, else wait for a signal or 100 ms) */
    for (;;) {
        dc_store_job job;
        bool got = false, sup = false;
        dc_status st = DC_STATUS_OK;
        dc_store_job_claim(s, "survivor", &job, &got, &st);
        if (got) {
            *seconds = now_s() - t0;
            complete(s, &job);
            break;
        }
        dc_store_job_wait(s, 0.1, &sup, &st);
        if (!sup) sleep_s(0.1);
        if (now_s() - t0 > 4.0 * o->lease + 60) {
            *seconds = -1;
            break;
        }
    }
    dc_store_close(s);
}

/* ---- 3. idle in transaction under churn ---------------------------------------------------- */

#define MAX_SAMPLES 200000

typedef struct {
    const char *url;
    int rate;
    atomic_int stop;
    atomic_int phase; /* index of the interval being measured */
    pthread_mutex_t lock;
    /* per-sample: interval, claim call seconds, queue seconds */
    int n;
    int *interval;
    double *claim_s, *queue_s;
    dc_store_video video;
} churn;

static void *producer_main(void *arg) {
    churn *c = arg;
    dc_store *s = open_or_die(c->url, 60);
    double period = 1.0 / c->rate, next = now_s();
    while (!atomic_load(&c->stop)) {
        insert(s, &c->video);
        next += period;
        sleep_s(next - now_s());
    }
    dc_store_close(s);
    return NULL;
}

static void *consumer_main(void *arg) {
    churn *c = arg;
    dc_store *s = open_or_die(c->url, 60);
    while (!atomic_load(&c->stop)) {
        dc_store_job job;
        bool got = false, sup = false;
        dc_status st = DC_STATUS_OK;
        double t0 = now_s();
        if (dc_store_job_claim(s, "churn", &job, &got, &st) != DC_OK) {
            fprintf(stderr, "bench_queue_pg: claim: %s\n", st.message);
            sleep_s(0.1);
            continue;
        }
        double dt = now_s() - t0;
        if (!got) {
            dc_store_job_wait(s, 0.5, &sup, &st);
            continue;
        }
        /* queue latency: from the claim's creation (this machine's clock) to now */
        dc_store_claim cl;
        bool found = false;
        dc_store_claim_get(s, job.claim_id, &cl, &found, &st);
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        double q = ((double)wall.tv_sec * 1000 + wall.tv_nsec / 1e6 - (double)cl.created_ms) / 1e3;
        complete(s, &job);
        pthread_mutex_lock(&c->lock);
        if (c->n < MAX_SAMPLES) {
            c->interval[c->n] = atomic_load(&c->phase);
            c->claim_s[c->n] = dt;
            c->queue_s[c->n] = q;
            c->n++;
        }
        pthread_mutex_unlock(&c->lock);
    }
    dc_store_close(s);
    return NULL;
}

/* The peer: River's JobGetAvailable shape (oldest available row, SKIP LOCKED) on the same table,
 * without our scan hint. Rolled back: it only looks. */
static double peer_claim_s(PGconn *p) {
    double t0 = now_s();
    PQclear(PQexec(p, "BEGIN"));
    PQclear(PQexec(p, "SELECT id FROM jobs WHERE state = 0 AND run_after <= clock_timestamp()"
                      " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"));
    double dt = now_s() - t0;
    PQclear(PQexec(p, "ROLLBACK"));
    return dt;
}

static long long dead_tuples(PGconn *p) {
    PGresult *r = PQexec(p, "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'jobs'");
    long long v = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return v;
}

static void idle_in_transaction(const options *o) {
    char url[512];
    fresh_url(o, true, "idle", url, sizeof url);
    dc_store *s = open_or_die(url, 60);
    churn c = {.url = url, .rate = o->rate};
    pthread_mutex_init(&c.lock, NULL);
    c.interval = calloc(MAX_SAMPLES, sizeof *c.interval);
    c.claim_s = calloc(MAX_SAMPLES, sizeof *c.claim_s);
    c.queue_s = calloc(MAX_SAMPLES, sizeof *c.queue_s);
    one_video(s, &c.video);
    dc_store_close(s);
    PGconn *peer = PQconnectdb(url), *idle = PQconnectdb(url), *stats = PQconnectdb(url);
    /* intervals: 0 = quiet; 1.. = slices of the idle period (at most 10) */
    int slices = o->idle_s >= 120 ? (int)(o->idle_s / 60) : 2;
    if (slices > 10) slices = 10;
    double slice_s = o->idle_s / slices;
    double *peer_s = calloc((size_t)(slices + 1) * 4096, sizeof *peer_s);
    int peer_n[11] = {0};
    long long dead[11] = {0};
    pthread_t prod, cons[2];
    pthread_create(&prod, NULL, producer_main, &c);
    for (int i = 0; i < 2; i++) pthread_create(&cons[i], NULL, consumer_main, &c);
    for (int phase = 0; phase <= slices; phase++) {
        if (phase == 1) {
            /* the session someone left open: a snapshot held from here on */
            PQclear(PQexec(idle, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
            PQclear(PQexec(idle, "SELECT count(*) FROM claims"));
        }
        atomic_store(&c.phase, phase);
        double end = now_s() + (phase == 0 ? o->quiet_s : slice_s);
        while (now_s() < end) {
            if (peer_n[phase] < 4096) peer_s[phase * 4096 + peer_n[phase]++] = peer_claim_s(peer);
            sleep_s(0.5);
        }
        dead[phase] = dead_tuples(stats);
        fprintf(stderr, "bench_queue_pg: idle phase %d/%d done\n", phase, slices);
    }
    atomic_store(&c.stop, 1);
    pthread_join(prod, NULL);
    for (int i = 0; i < 2; i++) pthread_join(cons[i], NULL);
    PQclear(PQexec(idle, "ROLLBACK"));

    printf(
        "\n### Claim latency with a session idle in a transaction (%d jobs/s churn, 2 workers)\n\n",
        o->rate);
    printf("| interval | claims | ours p50 ms | ours p99 ms | queue p50 ms | queue p99 ms |"
           " peer (River shape) p50 ms | peer p99 ms | dead rows in jobs |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    double quiet_p50 = 0, quiet_p99 = 0, last_p50 = 0, last_p99 = 0;
    double *tmp = calloc(MAX_SAMPLES, sizeof *tmp), *tmq = calloc(MAX_SAMPLES, sizeof *tmq);
    for (int phase = 0; phase <= slices; phase++) {
        int n = 0;
        for (int i = 0; i < c.n; i++)
            if (c.interval[i] == phase) {
                tmp[n] = c.claim_s[i];
                tmq[n] = c.queue_s[i];
                n++;
            }
        double p50 = pct(tmp, n, 0.5) * 1e3, p99 = pct(tmp, n, 0.99) * 1e3;
        double q50 = pct(tmq, n, 0.5) * 1e3, q99 = pct(tmq, n, 0.99) * 1e3;
        double r50 = pct(peer_s + phase * 4096, peer_n[phase], 0.5) * 1e3;
        double r99 = pct(peer_s + phase * 4096, peer_n[phase], 0.99) * 1e3;
        char label[64];
        if (phase == 0) snprintf(label, sizeof label, "quiet (%.0f s)", o->quiet_s);
        else
            snprintf(label, sizeof label, "idle txn %.0f-%.0f s", (phase - 1) * slice_s,
                     phase * slice_s);
        printf("| %s | %d | %.2f | %.2f | %.1f | %.1f | %.2f | %.2f | %lld |\n", label, n, p50, p99,
               q50, q99, r50, r99, dead[phase]);
        if (phase == 0) {
            quiet_p50 = p50;
            quiet_p99 = p99;
        }
        last_p50 = p50;
        last_p99 = p99;
    }
    printf("\nLast interval against quiet: ours p50 %.2fx, p99 %.2fx (goal: within 2x).\n",
           quiet_p50 > 0 ? last_p50 / quiet_p50 : 0, quiet_p99 > 0 ? last_p99 / quiet_p99 : 0);
    free(tmp);
    free(tmq);
    free(peer_s);
    free(c.interval);
    free(c.claim_s);
    free(c.queue_s);
    PQfinish(peer);
    PQfinish(idle);
    PQfinish(stats);
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    options o = {.pg_base = getenv("DC_TEST_PG_URL"),
                 .sqlite_base = NULL,
                 .jobs = 2000,
                 .lease = 60,
                 .rate = 50,
                 .quiet_s = 60,
                 .idle_s = 600,
                 .workers = {1, 4, 16},
                 .nworkers = 3};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--pg")) o.pg_base = v;
        else if (!strcmp(a, "--sqlite")) o.sqlite_base = v;
        else if (!strcmp(a, "--jobs")) o.jobs = atoi(v);
        else if (!strcmp(a, "--lease")) o.lease = atoi(v);
        else if (!strcmp(a, "--rate")) o.rate = atoi(v);
        else if (!strcmp(a, "--quiet-s")) o.quiet_s = atof(v);
        else if (!strcmp(a, "--idle-s")) o.idle_s = atof(v);
        else if (!strcmp(a, "--workers")) {
            o.nworkers = 0;
            for (const char *p = v; *p && o.nworkers < 8;) {
                o.workers[o.nworkers++] = atoi(p);
                p = strchr(p, ',');
                if (!p) break;
                p++;
            }
        } else if (!strcmp(a, "--skip")) {
            o.skip_throughput = strstr(v, "throughput") != NULL;
            o.skip_pickup = strstr(v, "pickup") != NULL;
            o.skip_idle = strstr(v, "idle") != NULL;
        } else {
            fprintf(stderr, "bench_queue_pg: unknown option %s\n", a);
            return 2;
        }
    }
    if (!o.pg_base || !o.sqlite_base) {
        fprintf(stderr, "usage: bench_queue_pg --pg URL --sqlite DIR [--jobs N] [--workers "
                        "1,4,16] [--lease S] [--quiet-s S] [--idle-s S] [--rate R] [--skip ...]\n");
        return 2;
    }
    make_record();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("## bench/queue: PostgreSQL backend, SQLite as the peer (same run, %ld cores, server"
           " on the same machine)\n",
           cores);
    if (!o.skip_throughput) {
        printf("\n### claim + complete per second (%d jobs, a real assessment record and its audit"
               " row per completion)\n\n",
               o.jobs);
        printf("| workers | PostgreSQL jobs/s | SQLite jobs/s | PostgreSQL / SQLite |\n");
        printf("|---|---|---|---|\n");
        for (int i = 0; i < o.nworkers; i++) {
            double p = throughput(&o, true, o.workers[i]);
            double q = throughput(&o, false, o.workers[i]);
            printf("| %d | %.0f | %.0f | %.2f |\n", o.workers[i], p, q, q > 0 ? p / q : 0);
            fflush(stdout);
        }
    }
    if (!o.skip_pickup) {
        printf("\n### a killed worker's job picked up again (lease %d s, renewed once before the"
               " kill)\n\n",
               o.lease);
        printf("| backend | lease left at the kill s | picked up after s | River | Oban |"
               " graphile-worker |\n");
        printf("|---|---|---|---|---|---|\n");
        for (int b = 0; b < 2; b++) {
            double secs = 0, left = 0;
            pickup(&o, b == 0, &secs, &left);
            printf("| %s | %.1f | %.1f | 3600 | 3600 | 14400 |\n", b == 0 ? "PostgreSQL" : "SQLite",
                   left, secs);
            fflush(stdout);
        }
    }
    if (!o.skip_idle) idle_in_transaction(&o);
    free(record_json);
    free(record);
    return 0;
}
