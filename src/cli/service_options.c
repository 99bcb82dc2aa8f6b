#include "service_options.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dashclaim/engine.h"

void cli_service_init(cli_service *o) {
    memset(o, 0, sizeof *o);
    dc_store_options_init(&o->store);
}

bool cli_parse_int(const char *name, const char *arg, int min, int max, int *out) {
    char *end;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < min || v > max) {
        fprintf(stderr, "dashclaim: --%s wants a whole number %d..%d, not '%s'\n", name, min, max,
                arg);
        return false;
    }
    *out = (int)v;
    return true;
}

bool cli_service_option(cli_service *o, int opt, const char *arg, int *usage_error) {
    switch (opt) {
    case CLI_SVC_DATA:
    case CLI_SVC_DB: o->url = arg; return true;
    case CLI_SVC_LEASE:
        if (!cli_parse_int("lease-sec", arg, 1, 86400, &o->store.lease_sec)) *usage_error = 1;
        return true;
    case CLI_SVC_ATTEMPTS:
        if (!cli_parse_int("max-attempts", arg, 1, 100, &o->store.max_attempts)) *usage_error = 1;
        return true;
    default: return false;
    }
}

int cli_service_check(const cli_service *o, const char *command) {
    if (o->url && *o->url) return CLI_EXIT_OK;
    fprintf(stderr,
            "dashclaim %s: say where the store is: --data DIR (SQLite) or --db "
            "postgresql://USER@HOST:PORT/DB\n",
            command);
    return CLI_EXIT_USAGE;
}

dc_store *cli_service_open(const cli_service *o) {
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(o->url, &o->store, &st);
    if (!s) fprintf(stderr, "dashclaim: %s\n", st.message);
    return s;
}

void cli_service_help(FILE *out) {
    fprintf(out,
            "  --data DIR               the store: a folder (SQLite database + videos), created\n"
            "                           if needed\n"
            "  --db URL                 the store: postgresql://USER@HOST:PORT/DB (instead of\n"
            "                           --data)\n"
            "  --lease-sec N            a running job's lease, renewed by heartbeats (default 60)\n"
            "  --max-attempts N         attempts before a claim fails for good (default 3)\n");
}

void cli_worker_init(dc_worker_options *w) {
    dc_worker_options_init(w);
    w->model_path = getenv("DASHCLAIM_MODEL");
    w->mmproj_path = getenv("DASHCLAIM_MMPROJ");
    w->crash_point = getenv("DASHCLAIM_CRASH_AT"); /* test hook, DC_TEST_HOOKS builds only */
}

bool cli_worker_option(dc_worker_options *w, int opt, const char *arg, int *usage_error) {
    int n = 0;
    bool ok = true;
    switch (opt) {
    case CLI_WK_MODEL: w->model_path = arg; break;
    case CLI_WK_MMPROJ: w->mmproj_path = arg; break;
    case CLI_WK_SCRATCH: w->scratch_dir = arg; break;
    case CLI_WK_TIMEOUT:
        if ((ok = cli_parse_int("timeout", arg, 1, 86400, &n))) w->claim_timeout_sec = n;
        break;
    case CLI_WK_VTOK:
        if ((ok = cli_parse_int("visual-tokens", arg, 16, 100000, &n))) w->visual_tokens = n;
        break;
    case CLI_WK_FRAMES:
        if ((ok = cli_parse_int("frames", arg, 2, 256, &n))) w->max_frames = n;
        break;
    case CLI_WK_NEWTOK:
        if ((ok = cli_parse_int("max-new-tokens", arg, 64, 100000, &n))) w->max_new_tokens = n;
        break;
    case CLI_WK_VTHREADS:
        if ((ok = cli_parse_int("vlm-threads", arg, 1, 1024, &n))) w->n_threads = n;
        break;
    case CLI_WK_BATCH:
        if ((ok = cli_parse_int("batch", arg, 1, DC_VLM_MAX_BATCH, &n))) w->batch = n;
        break;
    case CLI_WK_GRACE:
        if ((ok = cli_parse_int("stop-grace-sec", arg, 0, 86400, &n))) w->stop_grace_sec = n;
        break;
    default: return false;
    }
    if (!ok) *usage_error = 1;
    return true;
}

void cli_worker_finish(dc_worker_options *w) {
    if (w->model_path && !*w->model_path) w->model_path = NULL;
    if (w->mmproj_path && !*w->mmproj_path) w->mmproj_path = NULL;
    if (!w->model_path) w->mmproj_path = NULL;
}

void cli_worker_help(FILE *out) {
    fprintf(
        out,
        "  --model M --mmproj P     the VLM (or DASHCLAIM_MODEL / DASHCLAIM_MMPROJ), loaded once\n"
        "                           per worker thread; without it the signals engine assesses\n"
        "  --timeout S              deadline per claim in seconds (default 600)\n"
        "  --visual-tokens N, --frames N, --max-new-tokens N, --vlm-threads N\n"
        "                           the VLM's per-claim budgets and CPU threads (engine defaults)\n"
        "  --batch N                claims a worker thread holds at once, each with its own lease\n"
        "                           (default 1, at most 64): the VLM runs up to N together in one\n"
        "                           context (continuous batching), the same answers as alone\n"
        "  --stop-grace-sec S       on SIGTERM, how long a claim in progress may finish before\n"
        "                           its job is released to another worker (default 10)\n"
        "  --scratch DIR            temporary files (default /tmp)\n");
}
