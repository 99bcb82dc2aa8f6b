#include "service_options.h"

#include <stdlib.h>
#include <string.h>

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
    if (o->url && *o->url) return 0;
    fprintf(stderr, "dashclaim %s: say where the store is: --data DIR (SQLite) or --db "
                    "postgresql://USER@HOST:PORT/DB\n", command);
    return 2;
}

dc_store *cli_service_open(const cli_service *o) {
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(o->url, &o->store, &st);
    if (!s) fprintf(stderr, "dashclaim: %s\n", st.message);
    return s;
}

void cli_service_help(FILE *out) {
    fprintf(out, "  --data DIR         the store: a folder (SQLite database + videos), created if needed\n"
                 "  --db URL           the store: postgresql://USER@HOST:PORT/DB (instead of --data)\n"
                 "  --lease-sec N      a running job's lease, renewed by heartbeats (default 60)\n"
                 "  --max-attempts N   attempts before a claim fails for good (default 3)\n");
}
