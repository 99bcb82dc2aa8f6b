/* Options the service commands (serve, worker, keys, audit) share: where the store is, and the
 * queue's lease and attempt limits. */
#ifndef DASHCLAIM_CLI_SERVICE_OPTIONS_H
#define DASHCLAIM_CLI_SERVICE_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

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

#define CLI_SERVICE_OPTIONS                                                                     \
    {"data", required_argument, NULL, CLI_SVC_DATA}, {"db", required_argument, NULL, CLI_SVC_DB}, \
        {"lease-sec", required_argument, NULL, CLI_SVC_LEASE},                                  \
        {"max-attempts", required_argument, NULL, CLI_SVC_ATTEMPTS}

void cli_service_init(cli_service *o);
/* Handles a shared option: true when opt was one (*usage_error set on a bad value). */
bool cli_service_option(cli_service *o, int opt, const char *arg, int *usage_error);
/* 0, or 2 after printing why (no store given). */
int cli_service_check(const cli_service *o, const char *command);
/* Opens the store, printing the reason on failure. */
dc_store *cli_service_open(const cli_service *o);
void cli_service_help(FILE *out);
/* Parses a positive integer option; false (and prints) when it is not one. */
bool cli_parse_int(const char *name, const char *arg, int min, int max, int *out);

#endif
