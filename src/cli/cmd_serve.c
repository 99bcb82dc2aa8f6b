/* dashclaim serve: the HTTP API, the review page and (with --workers N) worker threads, in one
 * process. SIGTERM or SIGINT: workers take no new job and finish or release theirs, then the
 * server stops. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dashclaim/serve.h"
#include "service_options.h"

static void serve_usage(FILE *f) {
    fprintf(
        f,
        "usage: dashclaim serve --data DIR [--listen HOST:PORT] [--workers N]\n"
        "                       [--model M --mmproj P] [options]\n"
        "Serves the claims API (see /v1/openapi.json) and the review page (/ui/). Every route\n"
        "but /healthz needs a key from `dashclaim keys add`. Without a model the signals\n"
        "engine assesses.\n"
        "  --listen HOST:PORT       address to listen on (default 127.0.0.1:8080; port 0 = any,\n"
        "                           the chosen one is printed)\n"
        "  --workers N              worker threads in this process (default 1; 0 = none, run\n"
        "                           `dashclaim worker` processes instead)\n"
        "  --http-threads N         HTTP thread pool (default 4)\n"
        "  --max-upload-mb N        largest video accepted (default 500)\n"
        "  --connection-timeout S   idle HTTP connection timeout (default 30)\n"
        "  --max-connections N      total connections (default 512)\n"
        "  --per-ip-connections N   connections per client address (default 128)\n"
        "  --header-timeout S       request line and headers must arrive within S seconds of\n"
        "                           connecting (default 10)\n"
        "  --min-body-rate B        bytes/s a request body must keep up after the headers\n"
        "                           (default 1024; below it the connection is closed)\n"
        "  --session-ttl S          review-page session lifetime (default 28800 = 8 h)\n"
        "  --secure-cookies         mark the session cookie Secure (TLS in front)\n"
        "  --trust-proxy            honour X-Forwarded-Proto: https from a proxy in front\n");
    cli_worker_help(f);
    cli_service_help(f);
}

enum {
    O_LISTEN = 1,
    O_WORKERS,
    O_HTTP,
    O_UPLOAD,
    O_CTIMEOUT,
    O_MAXCONN,
    O_PERIP,
    O_HTIMEOUT,
    O_BODYRATE,
    O_SESSION_TTL,
    O_SECURE,
    O_PROXY,
    O_HELP
};

int cli_cmd_serve(int argc, char **argv) {
    cli_service svc;
    cli_service_init(&svc);
    dc_serve_options o;
    dc_serve_options_init(&o);
    cli_worker_init(&o.workers);
    static const struct option longs[] = {
        CLI_SERVICE_OPTIONS,
        CLI_WORKER_OPTIONS,
        {"listen", required_argument, NULL, O_LISTEN},
        {"workers", required_argument, NULL, O_WORKERS},
        {"http-threads", required_argument, NULL, O_HTTP},
        {"max-upload-mb", required_argument, NULL, O_UPLOAD},
        {"connection-timeout", required_argument, NULL, O_CTIMEOUT},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"per-ip-connections", required_argument, NULL, O_PERIP},
        {"header-timeout", required_argument, NULL, O_HTIMEOUT},
        {"min-body-rate", required_argument, NULL, O_BODYRATE},
        {"session-ttl", required_argument, NULL, O_SESSION_TTL},
        {"secure-cookies", no_argument, NULL, O_SECURE},
        {"trust-proxy", no_argument, NULL, O_PROXY},
        {"help", no_argument, NULL, O_HELP},
        {0, 0, 0, 0}};
    int opt, bad = 0, n = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (cli_service_option(&svc, opt, optarg, &bad) ||
            cli_worker_option(&o.workers, opt, optarg, &bad))
            continue;
        switch (opt) {
        case O_LISTEN: o.listen = optarg; break;
        case O_WORKERS:
            if (cli_parse_int("workers", optarg, 0, 256, &n)) o.workers.threads = n;
            else bad = 1;
            break;
        case O_HTTP:
            if (cli_parse_int("http-threads", optarg, 1, 256, &n)) o.http_threads = n;
            else bad = 1;
            break;
        case O_UPLOAD:
            if (cli_parse_int("max-upload-mb", optarg, 1, 1000000, &n))
                o.max_upload_bytes = (int64_t)n * 1000 * 1000;
            else bad = 1;
            break;
        case O_CTIMEOUT:
            if (cli_parse_int("connection-timeout", optarg, 1, 3600, &n))
                o.connection_timeout_sec = n;
            else bad = 1;
            break;
        case O_MAXCONN:
            if (cli_parse_int("max-connections", optarg, 1, 100000, &n)) o.max_connections = n;
            else bad = 1;
            break;
        case O_PERIP:
            if (cli_parse_int("per-ip-connections", optarg, 1, 100000, &n))
                o.per_ip_connections = n;
            else bad = 1;
            break;
        case O_HTIMEOUT:
            if (cli_parse_int("header-timeout", optarg, 1, 3600, &n)) o.header_timeout_sec = n;
            else bad = 1;
            break;
        case O_BODYRATE:
            if (cli_parse_int("min-body-rate", optarg, 1, 1000000000, &n)) o.min_body_rate = n;
            else bad = 1;
            break;
        case O_SESSION_TTL:
            if (cli_parse_int("session-ttl", optarg, 1, 30 * 86400, &n)) o.session_ttl_sec = n;
            else bad = 1;
            break;
        case O_SECURE: o.secure_cookies = true; break;
        case O_PROXY: o.trust_proxy = true; break;
        case O_HELP: serve_usage(stdout); return CLI_EXIT_OK;
        default: bad = 1;
        }
    }
    if (bad || optind != argc) {
        if (!bad) serve_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_service_check(&svc, "serve")) return CLI_EXIT_USAGE;
    cli_worker_finish(&o.workers);
    o.store_url = svc.url;
    o.store = svc.store;
    /* Test hook (builds with DC_TEST_HOOKS): kill -9 ourselves at a named point. */
    o.crash_point = o.workers.crash_point;

    /* Signals are taken by this thread alone: every thread started below inherits the mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    dc_status st = DC_STATUS_OK;
    dc_server *s = dc_server_start(&o, &st);
    if (!s) {
        fprintf(stderr, "dashclaim serve: %s\n", st.message);
        return st.code == DC_ERR_INPUT ? CLI_EXIT_USAGE : CLI_EXIT_INPUT;
    }
    const char *colon = strrchr(o.listen, ':');
    char batch[32] = "";
    if (o.workers.batch > 1) snprintf(batch, sizeof batch, ", batches of %d", o.workers.batch);
    printf("dashclaim serve: listening on http://%.*s:%d (%d worker%s, %s engine%s)\n",
           colon ? (int)(colon - o.listen) : 0, o.listen, dc_server_port(s), o.workers.threads,
           o.workers.threads == 1 ? "" : "s", o.workers.model_path ? "vlm" : "signals", batch);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "dashclaim serve: %s: stopping (workers finish or release their claims)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (!dc_server_stop(s)) cli_exit_now(CLI_EXIT_OK); /* see dc_workers_stop */
    return CLI_EXIT_OK;
}
