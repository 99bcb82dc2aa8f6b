/* Options the service commands (serve, worker, keys, audit) share: where the store is, and the
 * queue's lease and attempt limits; and the options of the workers that serve and worker both
 * run (engine, budgets, deadlines, scratch folder, stop grace). */
#ifndef DASHCLAIM_CLI_SERVICE_OPTIONS_H
#define DASHCLAIM_CLI_SERVICE_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "dashclaim/serve.h"
#include "dashclaim/store.h"

typedef struct {
    const char *url; /* --data DIR or --db URL */
    dc_store_options store;
} cli_service;

/* Option values of the shared options (getopt_long's val). */
enum {
    CLI_SVC_DATA = 2000,
    CLI_SVC_DB,
    CLI_SVC_LEASE,
    CLI_SVC_ATTEMPTS,
};

#define CLI_SERVICE_OPTIONS                                                                        \
    {"data", required_argument, NULL, CLI_SVC_DATA}, {"db", required_argument, NULL, CLI_SVC_DB},  \
        {"lease-sec", required_argument, NULL, CLI_SVC_LEASE}, {                                   \
        "max-attempts", required_argument, NULL, CLI_SVC_ATTEMPTS                                  \
    }

/* Option values of the worker options (getopt_long's val). */
enum {
    CLI_WK_MODEL = 2100,
    CLI_WK_MMPROJ,
    CLI_WK_TIMEOUT,
    CLI_WK_SCRATCH,
    CLI_WK_VTOK,
    CLI_WK_FRAMES,
    CLI_WK_NEWTOK,
    CLI_WK_VTHREADS,
    CLI_WK_GRACE,
    CLI_WK_BATCH,
};

#define CLI_WORKER_OPTIONS                                                                         \
    {"model", required_argument, NULL, CLI_WK_MODEL},                                              \
        {"mmproj", required_argument, NULL, CLI_WK_MMPROJ},                                        \
        {"timeout", required_argument, NULL, CLI_WK_TIMEOUT},                                      \
        {"scratch", required_argument, NULL, CLI_WK_SCRATCH},                                      \
        {"visual-tokens", required_argument, NULL, CLI_WK_VTOK},                                   \
        {"frames", required_argument, NULL, CLI_WK_FRAMES},                                        \
        {"max-new-tokens", required_argument, NULL, CLI_WK_NEWTOK},                                \
        {"vlm-threads", required_argument, NULL, CLI_WK_VTHREADS},                                 \
        {"batch", required_argument, NULL, CLI_WK_BATCH}, {                                        \
        "stop-grace-sec", required_argument, NULL, CLI_WK_GRACE                                    \
    }

/* The workers' defaults plus what the environment says (DASHCLAIM_MODEL, DASHCLAIM_MMPROJ, and
 * the DASHCLAIM_CRASH_AT test hook). */
void cli_worker_init(dc_worker_options *w);
/* Handles a worker option: true when opt was one (*usage_error set on a bad value). */
bool cli_worker_option(dc_worker_options *w, int opt, const char *arg, int *usage_error);
/* After parsing: an empty model means none, and no model means no mmproj. */
void cli_worker_finish(dc_worker_options *w);
void cli_worker_help(FILE *out);

void cli_service_init(cli_service *o);
/* Handles a shared option: true when opt was one (*usage_error set on a bad value). */
bool cli_service_option(cli_service *o, int opt, const char *arg, int *usage_error);
/* CLI_EXIT_OK, or CLI_EXIT_USAGE after printing why (no store given). */
int cli_service_check(const cli_service *o, const char *command);
/* Opens the store, printing the reason on failure. */
dc_store *cli_service_open(const cli_service *o);
void cli_service_help(FILE *out);
/* Parses a positive integer option; false (and prints) when it is not one. */
bool cli_parse_int(const char *name, const char *arg, int min, int max, int *out);

#endif
