/* dashclaim worker: worker threads without an HTTP server, on the same store as `serve` (a
 * folder on this machine, or a PostgreSQL URL from any machine). Each thread loads the model once.
 * SIGTERM or SIGINT: no new job; a claim in progress finishes or is released. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dashclaim/serve.h"
#include "service_options.h"

static void worker_usage(FILE *f) {
    fprintf(
        f, "usage: dashclaim worker --data DIR [--threads N] [--model M --mmproj P] [options]\n"
           "Takes claims from the store's queue and assesses them until stopped.\n"
           "  --threads N              worker threads (default 1; --workers is the same)\n"
           "  --name NAME              worker id prefix in the queue and audit (default HOST:PID)\n"
           "  --max-jobs N             exit after N jobs (benchmarks, tests)\n"
           "  --no-evidence            skip report pages and evidence JPEGs (benchmarks)\n"
           "  --poll-ms N              idle poll interval (default 200)\n");
    cli_worker_help(f);
    cli_service_help(f);
}

enum { O_THREADS = 1, O_NAME, O_MAXJOBS, O_NOEVID, O_POLL, O_HELP };

int cli_cmd_worker(int argc, char **argv) {
    cli_service svc;
    cli_service_init(&svc);
    dc_worker_options o;
    cli_worker_init(&o);
    static const struct option longs[] = {CLI_SERVICE_OPTIONS,
                                          CLI_WORKER_OPTIONS,
                                          {"threads", required_argument, NULL, O_THREADS},
                                          {"workers", required_argument, NULL, O_THREADS},
                                          {"name", required_argument, NULL, O_NAME},
                                          {"max-jobs", required_argument, NULL, O_MAXJOBS},
                                          {"no-evidence", no_argument, NULL, O_NOEVID},
                                          {"poll-ms", required_argument, NULL, O_POLL},
                                          {"help", no_argument, NULL, O_HELP},
                                          {0, 0, 0, 0}};
    int opt, bad = 0, n = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (cli_service_option(&svc, opt, optarg, &bad) || cli_worker_option(&o, opt, optarg, &bad))
            continue;
        switch (opt) {
        case O_THREADS:
            if (cli_parse_int("threads", optarg, 1, 256, &n)) o.threads = n;
            else bad = 1;
            break;
        case O_NAME: o.name = optarg; break;
        case O_MAXJOBS:
            if (cli_parse_int("max-jobs", optarg, 1, 1000000000, &n)) o.max_jobs = n;
            else bad = 1;
            break;
        case O_NOEVID: o.no_evidence = true; break;
        case O_POLL:
            if (cli_parse_int("poll-ms", optarg, 1, 60000, &n)) o.poll_sec = n / 1000.0;
            else bad = 1;
            break;
        case O_HELP: worker_usage(stdout); return CLI_EXIT_OK;
        default: bad = 1;
        }
    }
    if (bad || optind != argc) {
        if (!bad) worker_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_service_check(&svc, "worker")) return CLI_EXIT_USAGE;
    cli_worker_finish(&o);
    o.store_url = svc.url;
    o.store = svc.store;

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    dc_status st = DC_STATUS_OK;
    dc_workers *w = dc_workers_start(&o, &st);
    if (!w) {
        fprintf(stderr, "dashclaim worker: %s\n", st.message);
        return st.code == DC_ERR_INPUT ? CLI_EXIT_USAGE : CLI_EXIT_INPUT;
    }
    char batch[32] = "";
    if (o.batch > 1) snprintf(batch, sizeof batch, ", batches of %d", o.batch);
    fprintf(stderr, "dashclaim worker: %d thread%s on %s (%s engine%s)\n", o.threads,
            o.threads == 1 ? "" : "s", svc.url, o.model_path ? "vlm" : "signals", batch);
    for (;;) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(&stop, NULL, &ts);
        if (sig > 0) {
            fprintf(stderr, "dashclaim worker: %s: stopping\n",
                    sig == SIGINT ? "SIGINT" : "SIGTERM");
            break;
        }
        if (dc_workers_finished(w)) break;
    }
    dc_workers_stats stats;
    dc_workers_get_stats(w, &stats);
    bool ended = dc_workers_stop(w);
    fprintf(stderr,
            "dashclaim worker: %lld done, %lld failed, %lld retried, %lld released, "
            "%lld refused, %lld store errors\n",
            (long long)stats.completed, (long long)stats.failed_final, (long long)stats.retried,
            (long long)stats.released, (long long)stats.refused, (long long)stats.store_errors);
    if (!ended) cli_exit_now(CLI_EXIT_OK); /* a claim still in the model: see dc_workers_stop */
    return CLI_EXIT_OK;
}
