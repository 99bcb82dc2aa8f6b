/* dashclaim keys add|list|revoke: the service's API keys. A new key is printed once, alone on the
 * last line of the output; only its SHA-256 is stored. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "service_options.h"

static void keys_usage(FILE *f) {
    fprintf(f,
            "usage: dashclaim keys add    --data DIR --role uploader|reviewer|admin --name NAME\n"
            "       dashclaim keys list   --data DIR\n"
            "       dashclaim keys revoke --data DIR ID|NAME\n"
            "`add` prints the new key alone on its last line; it is shown only this once.\n");
    cli_service_help(f);
}

int cli_cmd_keys(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        keys_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *action = argv[1];
    cli_service svc;
    cli_service_init(&svc);
    const char *role = NULL, *name = NULL;
    static const struct option longs[] = {CLI_SERVICE_OPTIONS,
                                          {"role", required_argument, NULL, 'r'},
                                          {"name", required_argument, NULL, 'n'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0, 0, 0, 0}};
    int opt, bad = 0;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "r:n:h", longs, NULL)) != -1) {
        if (cli_service_option(&svc, opt, optarg, &bad)) continue;
        switch (opt) {
        case 'r': role = optarg; break;
        case 'n': name = optarg; break;
        case 'h': keys_usage(stdout); return CLI_EXIT_OK;
        default: bad = 1;
        }
    }
    if (bad) return CLI_EXIT_USAGE;
    if (cli_service_check(&svc, "keys")) return CLI_EXIT_USAGE;
    int rc = CLI_EXIT_OK;
    dc_store *s = NULL;
    dc_status st = DC_STATUS_OK;
    if (!strcmp(action, "add")) {
        int r = dc_role_from_name(role);
        if (r < 0 || !name || !*name || optind != argc) {
            fprintf(stderr,
                    "dashclaim keys add: needs --role uploader|reviewer|admin and --name NAME\n");
            return CLI_EXIT_USAGE;
        }
        if (!(s = cli_service_open(&svc))) return CLI_EXIT_INPUT;
        char key[DC_KEY_LEN];
        dc_store_key info;
        if (dc_store_key_add(s, name, (dc_role)r, key, &info, &st) != DC_OK) {
            fprintf(stderr, "dashclaim keys add: %s\n", st.message);
            rc = st.code == DC_ERR_INPUT ? CLI_EXIT_USAGE : CLI_EXIT_INPUT;
        } else {
            printf("added %s key '%s' (id %s); it is shown only now:\n%s\n",
                   dc_role_name(info.role), info.name, info.id, key);
            memset(key, 0, sizeof key);
        }
    } else if (!strcmp(action, "list")) {
        if (optind != argc) {
            keys_usage(stderr);
            return CLI_EXIT_USAGE;
        }
        if (!(s = cli_service_open(&svc))) return CLI_EXIT_INPUT;
        enum { MAX = 10000 };
        dc_store_key *rows = calloc(MAX, sizeof *rows);
        int n = 0;
        if (!rows || dc_store_key_list(s, rows, MAX, &n, &st) != DC_OK) {
            fprintf(stderr, "dashclaim keys list: %s\n", rows ? st.message : "out of memory");
            rc = CLI_EXIT_INPUT;
        } else {
            printf("%-12s  %-8s  %-8s  %-20s  %s\n", "ID", "ROLE", "STATE", "CREATED (UTC)",
                   "NAME");
            for (int i = 0; i < n; i++) {
                char when[32];
                time_t t = (time_t)(rows[i].created_ms / 1000);
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                printf("%-12s  %-8s  %-8s  %-20s  %s\n", rows[i].id, dc_role_name(rows[i].role),
                       rows[i].revoked ? "revoked" : "active", when, rows[i].name);
            }
        }
        free(rows);
    } else if (!strcmp(action, "revoke")) {
        if (optind != argc - 1) {
            fprintf(stderr, "dashclaim keys revoke: name the key (its ID or NAME)\n");
            return CLI_EXIT_USAGE;
        }
        if (!(s = cli_service_open(&svc))) return CLI_EXIT_INPUT;
        if (dc_store_key_revoke(s, argv[optind], &st) != DC_OK) {
            fprintf(stderr, "dashclaim keys revoke: %s\n", st.message);
            rc = st.code == DC_ERR_INPUT ? CLI_EXIT_USAGE : CLI_EXIT_INPUT;
        } else {
            printf("revoked %s\n", argv[optind]);
        }
    } else {
        fprintf(stderr, "dashclaim keys: unknown action '%s' (add, list, revoke)\n", action);
        return CLI_EXIT_USAGE;
    }
    dc_store_close(s);
    return rc;
}
