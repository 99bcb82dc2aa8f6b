/* fault_queue: the queue under faults, at the store level, with real processes and a real server.
 *
 *   fault_queue --db URL [--claims N] [--slow N] [--workers W] [--kills K] [--restarts R]
 *               [--lease S] [--poison P] [--seed X]
 *
 * W worker processes (each its own connection, like `dashclaim worker` on W machines) claim,
 * heartbeat, "work" and complete jobs while the parent
 *   - inserts the claims over the first part of the run (uploads concurrent with work): N quick
 *     ones (20-150 ms of work, the signals engine's scale), --slow ones (0.5-2 s, a small model's),
 *     P "poison" videos whose worker dies every time it takes them, some that fail as bad input
 *     and some whose first attempt fails with a retryable error;
 *   - kill -9s a random busy worker K times (and starts a replacement);
 *   - restarts the PostgreSQL server R times mid-run ($DC_TEST_PG_RESTART, from with-pg: an
 *     immediate stop, like a crash, then a start); workers ride it out with reconnect + backoff.
 * At the end it checks with SQL, on a connection of its own, that every claim is done or failed
 * exactly once with one final assessment, attempts within the maximum, poison claims failed
 * after exactly max attempts, the hot jobs table empty, and the audit chain intact with exactly
 * one creation and one final row per claim. It prints the counts and exits non-zero on any
 * violation. (The service's own fault test drives `dashclaim serve`/`worker` the same way.)
 */
#include <errno.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dashclaim/store.h"

typedef struct {
    const char *url;
    int claims, slow, workers, kills, restarts, lease, poison;
    unsigned seed;
} options;

/* Shared with the worker processes (anonymous shared mapping). */
typedef struct {
    atomic_int stop;
    atomic_int busy[64];   /* worker i holds a job */
    atomic_long completed; /* completions accepted */
    atomic_long fenced;    /* completions refused: the attempt had moved on */
    atomic_long errors;    /* store errors seen by workers (then retried) */
} shared;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The kind of a claim is in its plate (the test's metadata field). */
enum { K_QUICK, K_SLOW, K_POISON, K_BAD_INPUT, K_FLAKY };

static int kind_of(const dc_store_job *job) { return atoi(job->fields.plate); }

/* ---- worker process ------------------------------------------------------------------------ */

static dc_error_class finish(dc_store *s, const dc_store_job *job, bool *accepted, dc_status *st) {
    dc_assessment *a = calloc(1, sizeof *a);
    if (!a) return dc_fail(st, DC_ERR_RESOURCE, "out of memory");
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "%s", job->claim_id);
    snprintf(a->video.sha256, sizeof a->video.sha256, "%s", job->video_sha256);
    snprintf(a->engine.name, sizeof a->engine.name, "signals");
    a->severity = DC_SEVERITY_MEDIUM;
    dc_claim_decide(a, NULL, NULL);
    char *json = dc_assessment_to_json(a, 0);
    dc_store_result r = {.assessment = a, .assessment_json = json};
    dc_error_class rc = json ? dc_store_job_complete(s, job, &r, accepted, st)
                             : dc_fail(st, DC_ERR_RESOURCE, "out of memory");
    free(json);
    free(a);
    return rc;
}

static int worker_main(const options *o, shared *sh, int index) {
    char name[DC_STORE_NAME_LEN];
    snprintf(name, sizeof name, "fault-w%d-%d", index, (int)getpid());
    srand(o->seed * 7919u + (unsigned)getpid());
    dc_store_options so;
    dc_store_options_init(&so);
    so.lease_sec = o->lease;
    so.retry_delay_sec = 0.2;
    dc_status st = DC_STATUS_OK;
    dc_store *s = NULL;
    while (!s && !atomic_load(&sh->stop)) {
        s = dc_store_open(o->url, &so, &st);
        if (!s) sleep_s(0.5); /* the server may be restarting */
    }
    while (s && !atomic_load(&sh->stop)) {
        dc_store_job job;
        bool got = false, accepted = false, held = true, sup = false;
        if (dc_store_job_claim(s, name, &job, &got, &st) != DC_OK) {
            atomic_fetch_add(&sh->errors, 1);
            sleep_s(0.2);
            continue;
        }
        if (!got) {
            dc_store_job_wait(s, 0.5, &sup, &st);
            continue;
        }
        atomic_store(&sh->busy[index], 1);
        int kind = kind_of(&job);
        if (kind == K_POISON) raise(SIGKILL); /* this video kills its worker, every time */
        double work = kind == K_SLOW ? 0.5 + 1.5 * rand() / (double)RAND_MAX
                                     : 0.02 + 0.13 * rand() / (double)RAND_MAX;
        /* work in slices, renewing the lease every third of it */
        double beat = o->lease / 3.0, t0 = now_s(), last_beat = t0;
        while (now_s() - t0 < work && held) {
            sleep_s(0.01);
            if (now_s() - last_beat >= beat) {
                last_beat = now_s();
                if (dc_store_job_heartbeat(s, &job, &held, &st) != DC_OK)
                    atomic_fetch_add(&sh->errors, 1);
            }
        }
        dc_error_class rc;
        if (!held) {
            atomic_fetch_add(&sh->fenced, 1);
        } else if (kind == K_BAD_INPUT) {
            rc = dc_store_job_fail(s, &job, DC_ERR_INPUT, "not a video", false, &accepted, &st);
            if (rc != DC_OK) atomic_fetch_add(&sh->errors, 1);
        } else if (kind == K_FLAKY && job.attempt == 1) {
            rc = dc_store_job_fail(s, &job, DC_ERR_RESOURCE, "out of memory", true, &accepted, &st);
            if (rc != DC_OK) atomic_fetch_add(&sh->errors, 1);
        } else {
            rc = finish(s, &job, &accepted, &st);
            if (rc != DC_OK) atomic_fetch_add(&sh->errors, 1);
            else if (accepted) atomic_fetch_add(&sh->completed, 1);
            else atomic_fetch_add(&sh->fenced, 1);
        }
        atomic_store(&sh->busy[index], 0);
    }
    dc_store_close(s);
    return 0;
}

static pid_t spawn(const options *o, shared *sh, int index) {
    pid_t pid = fork();
    if (pid == 0) _exit(worker_main(o, sh, index));
    return pid;
}

/* ---- the parent ---------------------------------------------------------------------------- */

static int insert_claim(dc_store *s, int serial, int kind) {
    dc_status st = DC_STATUS_OK;
    for (int attempt = 0; attempt < 5; attempt++) {
        dc_store_video_writer *w = dc_store_video_begin(s, &st);
        if (!w) {
            sleep_s(0.5);
            continue;
        }
        char body[128];
        int n = snprintf(body, sizeof body, "fault video %d kind %d", serial, kind);
        dc_store_new_claim nc;
        memset(&nc, 0, sizeof nc);
        if (dc_store_video_write(w, body, (size_t)n, &st) != DC_OK ||
            dc_store_video_commit(w, &nc.video, &st) != DC_OK) {
            sleep_s(0.5);
            continue;
        }
        strcpy(nc.content_type, "video/mp4");
        strcpy(nc.uploader, "fault");
        snprintf(nc.idempotency_key, sizeof nc.idempotency_key, "upload-%d", serial);
        snprintf(nc.fields.plate, sizeof nc.fields.plate, "%d", kind);
        dc_store_claim c;
        bool existed;
        if (dc_store_claim_insert(s, &nc, &c, &existed, &st) == DC_OK) return 0;
        sleep_s(0.5);
    }
    fprintf(stderr, "fault_queue: could not insert claim %d: %s\n", serial, st.message);
    return -1;
}

static long long q1(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    long long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else fprintf(stderr, "fault_queue: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return v;
}

static int check(const char *what, long long got, long long want) {
    bool ok = got == want;
    printf("  %-58s %8lld %s\n", what, got, ok ? "ok" : "VIOLATION");
    if (!ok) printf("    (expected %lld)\n", want);
    return ok ? 0 : 1;
}

static int finished_claims(PGconn *c) {
    return (int)q1(c, "SELECT count(*) FROM claims WHERE state IN (2, 3)");
}

static void usage(void) {
    fprintf(stderr, "usage: fault_queue --db URL [--claims N] [--slow N] [--workers W] "
                    "[--kills K] [--restarts R] [--lease S] [--poison P] [--seed X]\n");
}

int main(int argc, char **argv) {
    options o = {.url = getenv("DC_TEST_PG_URL"),
                 .claims = 150,
                 .slow = 10,
                 .workers = 4,
                 .kills = 12,
                 .restarts = 2,
                 .lease = 2,
                 .poison = 2,
                 .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "--db")) o.url = v;
        else if (!strcmp(a, "--claims")) o.claims = atoi(v);
        else if (!strcmp(a, "--slow")) o.slow = atoi(v);
        else if (!strcmp(a, "--workers")) o.workers = atoi(v);
        else if (!strcmp(a, "--kills")) o.kills = atoi(v);
        else if (!strcmp(a, "--restarts")) o.restarts = atoi(v);
        else if (!strcmp(a, "--lease")) o.lease = atoi(v);
        else if (!strcmp(a, "--poison")) o.poison = atoi(v);
        else if (!strcmp(a, "--seed")) o.seed = (unsigned)atoi(v);
        else {
            usage();
            return 2;
        }
        i++;
    }
    const char *restart = getenv("DC_TEST_PG_RESTART");
    if (!o.url || (o.restarts > 0 && !restart) || o.workers < 1 || o.workers > 64) {
        fprintf(stderr, "fault_queue: needs --db (or DC_TEST_PG_URL) and, to restart the server, "
                        "DC_TEST_PG_RESTART: run it under tests/store/with-pg\n");
        return 2;
    }
    srand(o.seed);
    shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) return 2;
    memset(sh, 0, sizeof *sh);
    dc_store_options so;
    dc_store_options_init(&so);
    so.lease_sec = o.lease;
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(o.url, &so, &st);
    if (!s) {
        fprintf(stderr, "fault_queue: %s\n", st.message);
        return 2;
    }
    PGconn *c = PQconnectdb(o.url);
    if (PQstatus(c) != CONNECTION_OK) return 2;

    /* The mix: quick, slow, poison, bad input (1 in 25) and flaky (1 in 10) claims. */
    int total = o.claims + o.slow + o.poison;
    int *kinds = calloc((size_t)total, sizeof *kinds);
    for (int i = 0; i < total; i++) {
        if (i < o.slow) kinds[i] = K_SLOW;
        else if (i < o.slow + o.poison) kinds[i] = K_POISON;
        else kinds[i] = i % 25 == 0 ? K_BAD_INPUT : i % 10 == 0 ? K_FLAKY : K_QUICK;
    }
    for (int i = total - 1; i > 0; i--) { /* shuffled, so faults fall on every kind */
        int j = rand() % (i + 1), t = kinds[i];
        kinds[i] = kinds[j];
        kinds[j] = t;
    }
    pid_t pids[64];
    for (int i = 0; i < o.workers; i++) pids[i] = spawn(&o, sh, i);

    double t0 = now_s();
    int inserted = 0, kills = 0, restarts = 0, respawned = 0;
    double next_kill = t0 + 0.5;
    int failures = 0;
    while (now_s() - t0 < 600) {
        /* uploads: a burst every tick over the first part of the run */
        for (int k = 0; k < 8 && inserted < total; k++, inserted++)
            if (insert_claim(s, inserted, kinds[inserted]) != 0) failures++;
        int done = finished_claims(c);
        if (done < 0) { /* our own check connection died in a restart: reconnect */
            PQreset(c);
            continue;
        }
        /* restarts at evenly spaced points of progress */
        if (restarts < o.restarts && done >= total * (restarts + 1) / (o.restarts + 1)) {
            printf("fault_queue: restarting the server at %d/%d finished\n", done, total);
            fflush(stdout);
            if (system(restart) != 0) failures++;
            restarts++;
            PQreset(c);
        }
        /* kills: a random busy worker, spaced through the run */
        if (kills < o.kills && now_s() >= next_kill) {
            int victim = -1;
            for (int tries = 0; tries < 4 * o.workers && victim < 0; tries++) {
                int i = rand() % o.workers;
                if (atomic_load(&sh->busy[i])) victim = i;
            }
            if (victim >= 0) {
                kill(pids[victim], SIGKILL);
                waitpid(pids[victim], NULL, 0);
                atomic_store(&sh->busy[victim], 0);
                pids[victim] = spawn(&o, sh, victim);
                kills++;
                next_kill = now_s() + 0.3 + 0.7 * rand() / (double)RAND_MAX;
            }
        }
        /* poison videos kill their own workers: start replacements */
        for (int i = 0; i < o.workers; i++) {
            int status;
            if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
                atomic_store(&sh->busy[i], 0);
                pids[i] = spawn(&o, sh, i);
                respawned++;
            }
        }
        if (inserted == total && done == total && kills >= o.kills && restarts >= o.restarts) break;
        sleep_s(0.05);
    }
    double elapsed = now_s() - t0;
    atomic_store(&sh->stop, 1);
    for (int i = 0; i < o.workers; i++) waitpid(pids[i], NULL, 0);

    printf("fault_queue: %d claims (%d quick, %d slow, %d poison) in %.1f s; %d workers, %d "
           "kill -9, %d server restarts, %d workers lost to poison videos\n",
           total, total - o.slow - o.poison, o.slow, o.poison, elapsed, o.workers, kills, restarts,
           respawned);
    printf("  completions accepted %ld, refused by the fence %ld, store errors retried %ld\n",
           atomic_load(&sh->completed), atomic_load(&sh->fenced), atomic_load(&sh->errors));
    char sql[512];
    int bad = failures;
    bad += check("claims inserted", q1(c, "SELECT count(*) FROM claims"), total);
    bad += check("claims done or failed", finished_claims(c), total);
    long long done_n = q1(c, "SELECT count(*) FROM claims WHERE state = 2");
    long long failed_n = q1(c, "SELECT count(*) FROM claims WHERE state = 3");
    printf("  %-58s %8lld\n  %-58s %8lld\n", "  of which done", done_n, "  of which failed",
           failed_n);
    /* why they failed: bad input, and workers that died on every attempt (poison videos, or a
     * job whose worker the parent happened to kill max times) */
    printf("  %-58s %8lld\n", "    failed as input",
           q1(c, "SELECT count(*) FROM claims WHERE state = 3 AND error_class = 1"));
    printf("  %-58s %8lld\n", "    failed as internal (worker died on every attempt)",
           q1(c, "SELECT count(*) FROM claims WHERE state = 3 AND error_class = 5"));
    /* Every completion a worker was told "accepted" must be a done claim (a worker killed between
     * its commit and its count may leave done > accepted, never the other way). */
    long long accepted = atomic_load(&sh->completed);
    bad += check("completions accepted beyond the claims done",
                 accepted > done_n ? accepted - done_n : 0, 0);
    bad += check("final assessments (one per claim)", q1(c, "SELECT count(*) FROM assessments"),
                 total);
    bad += check("claims without an assessment",
                 q1(c, "SELECT count(*) FROM claims c WHERE NOT EXISTS"
                       " (SELECT 1 FROM assessments a WHERE a.claim_id = c.id)"),
                 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM claims WHERE attempts > %d OR attempts < 1",
             so.max_attempts);
    bad += check("claims with attempts outside 1..max", q1(c, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM claims WHERE plate = '%d' AND state = 3 AND attempts = %d"
             " AND error_class = %d",
             K_POISON, so.max_attempts, (int)DC_ERR_INTERNAL);
    bad += check("poison claims failed after max attempts (internal)", q1(c, sql), o.poison);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM claims WHERE plate = '%d' AND state = 3"
             " AND error_class = %d",
             K_BAD_INPUT, (int)DC_ERR_INPUT);
    long long bad_inputs = 0;
    for (int i = 0; i < total; i++) bad_inputs += kinds[i] == K_BAD_INPUT;
    bad += check("bad-input claims failed as input", q1(c, sql), bad_inputs);
    bad += check("jobs left in the hot table", q1(c, "SELECT count(*) FROM jobs"), 0);
    bad += check("claims without exactly one claim.created audit row",
                 q1(c, "SELECT count(*) FROM claims c WHERE (SELECT count(*) FROM audit a"
                       " WHERE a.claim_id = c.id AND a.action = 'claim.created') <> 1"),
                 0);
    bad += check("claims without exactly one final audit row",
                 q1(c, "SELECT count(*) FROM claims c WHERE (SELECT count(*) FROM audit a"
                       " WHERE a.claim_id = c.id AND a.action IN ('assessment', 'claim.failed'))"
                       " <> 1"),
                 0);
    int64_t rows = 0, bad_seq = -1;
    dc_store_close(s);
    s = dc_store_open(o.url, &so, &st);
    if (!s || dc_store_audit_verify(s, &rows, &bad_seq, &st) != DC_OK) {
        fprintf(stderr, "fault_queue: audit verify: %s\n", st.message);
        bad++;
    }
    printf("  audit chain: %lld rows verified\n", (long long)rows);
    bad += check("first broken audit row (0 = chain intact)", bad_seq, 0);
    PQfinish(c);
    dc_store_close(s);
    free(kinds);
    munmap(sh, sizeof *sh);
    printf("fault_queue: %s\n", bad ? "FAILED" : "all invariants hold");
    return bad ? 1 : 0;
}
