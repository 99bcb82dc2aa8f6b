/* dashclaim audit verify|list: the append-only audit trail. `verify` walks the whole hash chain
 * and exits 0 when it is intact, 1 when a row was changed, removed or reordered (naming it). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "service_options.h"

static void audit_usage(FILE *f) {
    fprintf(f, "usage: dashclaim audit verify --data DIR\n"
               "       dashclaim audit list   --data DIR [--claim ID]   (one JSON row per line)\n");
    cli_service_help(f);
}

static void print_row(const dc_audit_row *a) {
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer(a->seq));
    json_object_set_new(o, "at", json_string(a->at));
    json_object_set_new(o, "actor", json_string(a->actor));
    json_object_set_new(o, "action", json_string(a->action));
    json_object_set_new(o, "claim_id", json_string(a->claim_id));
    json_object_set_new(o, "before", json_string(a->before));
    json_object_set_new(o, "after", json_string(a->after));
    json_object_set_new(o, "reason", json_string(a->reason));
    json_object_set_new(o, "model", json_string(a->model));
    json_object_set_new(o, "prompt_version", json_string(a->prompt_version));
    json_object_set_new(o, "rules_version", json_string(a->rules_version));
    json_object_set_new(o, "video_sha256", json_string(a->video_sha256));
    json_object_set_new(o, "prev_hash", json_string(a->prev_hash));
    json_object_set_new(o, "hash", json_string(a->hash));
    json_dumpf(o, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(o);
}

int cli_cmd_audit(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        audit_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *action = argv[1];
    cli_service svc;
    cli_service_init(&svc);
    svc.store.read_only = true; /* verifying must not create or migrate anything */
    const char *claim = NULL;
    static const struct option longs[] = {CLI_SERVICE_OPTIONS,
                                          {"claim", required_argument, NULL, 'c'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0, 0, 0, 0}};
    int opt, bad = 0;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
        if (cli_service_option(&svc, opt, optarg, &bad)) continue;
        switch (opt) {
        case 'c': claim = optarg; break;
        case 'h': audit_usage(stdout); return 0;
        default: bad = 1;
        }
    }
    if (bad || optind != argc) return 2;
    if (cli_service_check(&svc, "audit")) return 2;
    dc_store *s = cli_service_open(&svc);
    if (!s) return 1;
    dc_status st = DC_STATUS_OK;
    int rc = 0;
    if (!strcmp(action, "verify")) {
        int64_t rows = 0, bad_seq = 0;
        if (dc_store_audit_verify(s, &rows, &bad_seq, &st) != DC_OK) {
            fprintf(stderr, "dashclaim audit verify: %s\n", st.message);
            rc = 1;
        } else if (bad_seq) {
            printf("audit chain BROKEN at row %lld (%lld rows before it are intact)\n",
                   (long long)bad_seq, (long long)rows);
            rc = 1;
        } else {
            printf("audit chain intact: %lld rows\n", (long long)rows);
        }
    } else if (!strcmp(action, "list")) {
        enum { PAGE = 256 };
        dc_audit_row *rows = malloc(PAGE * sizeof *rows);
        int64_t after = 0;
        for (int n = PAGE; rows && n == PAGE;) {
            if (dc_store_audit_list(s, claim, after, rows, PAGE, &n, &st) != DC_OK) {
                fprintf(stderr, "dashclaim audit list: %s\n", st.message);
                rc = 1;
                break;
            }
            for (int i = 0; i < n; i++) print_row(&rows[i]);
            if (n) after = rows[n - 1].seq;
        }
        if (!rows) rc = 1;
        free(rows);
    } else {
        fprintf(stderr, "dashclaim audit: unknown action '%s' (verify, list)\n", action);
        rc = 2;
    }
    dc_store_close(s);
    return rc;
}
