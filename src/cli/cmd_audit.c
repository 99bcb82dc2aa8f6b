/* dashclaim audit verify|checkpoint|list|public-key: the append-only audit trail.
 *
 *   checkpoint  signs the chain's length and head with an Ed25519 key kept outside the database
 *               and appends the line to a checkpoint file, after checking the store against the
 *               lines already there (a tampered store is not signed);
 *   verify      walks the chain against the checkpoints and compares claims, reviews and
 *               assessments with the audit rows; exit 0 when intact, CLI_EXIT_TAMPERED naming
 *               the first bad row when not;
 *   list        one JSON row per line (dc_audit_row_to_json, the API's shape);
 *   public-key  the key's public half (PEM), for a verifier that must not hold the private key.
 *
 * Where the files are, unless given:
 *   key          $XDG_CONFIG_HOME/dashclaim/audit-ed25519.pem ($HOME/.config/... without
 *                XDG_CONFIG_HOME): never in the data folder, which is the database for SQLite;
 *                made on the first checkpoint with mode 0600;
 *   checkpoints  DIR/audit-checkpoints.txt for a SQLite store (--data DIR); a PostgreSQL store
 *                (--db URL) has no folder, so --out / --checkpoints are needed there.
 * The checkpoint file is only worth something once copied off the machine (or appended to a
 * write-once log elsewhere): whoever can rewrite the database can rewrite a file next to it. */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "service_options.h"

static void audit_usage(FILE *f) {
    fprintf(f,
            "usage: dashclaim audit verify     (--data DIR | --db URL) [--checkpoints FILE]\n"
            "                                  [--key FILE | --public-key FILE]\n"
            "       dashclaim audit checkpoint (--data DIR | --db URL) [--key FILE] [--out FILE]\n"
            "       dashclaim audit list       (--data DIR | --db URL) [--claim ID]\n"
            "       dashclaim audit public-key [--key FILE]\n"
            "\n"
            "checkpoint signs the audit chain's length and head with an Ed25519 key kept outside\n"
            "the database and appends one line to the checkpoint file; copy that file off the\n"
            "machine. verify checks the chain against it (an edited, re-hashed or cut chain, a\n"
            "forged line) and claims, reviews and assessments against the audit rows.\n"
            "  --key FILE          private key (default $XDG_CONFIG_HOME/dashclaim/\n"
            "                      audit-ed25519.pem, made on first use, mode 0600; refused when\n"
            "                      group or others have any access)\n"
            "  --public-key FILE   verify with the public key only (from audit public-key)\n"
            "  --out, --checkpoints FILE\n"
            "                      the checkpoint file (default DIR/audit-checkpoints.txt for\n"
            "                      --data DIR; required with --db)\n"
            "exit: 0 intact, %d tampered (the first bad row is named), %d store unavailable,\n"
            "      %d bad command line or unusable key/checkpoint file\n",
            CLI_EXIT_TAMPERED, CLI_EXIT_INPUT, CLI_EXIT_USAGE);
    cli_service_help(f);
}

/* The default key path, or NULL (message printed) when neither XDG_CONFIG_HOME nor HOME is set. */
static const char *default_key(char *buf, size_t size) {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, size, "%s/dashclaim/audit-ed25519.pem", xdg);
    else if (home && *home) snprintf(buf, size, "%s/.config/dashclaim/audit-ed25519.pem", home);
    else return NULL;
    return buf;
}

/* DIR of "DIR" / "sqlite:DIR", or NULL for a PostgreSQL URL. */
static const char *sqlite_dir(const char *url) {
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) return NULL;
    return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
}

static bool exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static int print_report(const dc_audit_report *r, bool with_checkpoints) {
    if (r->finding == DC_AUDIT_INTACT) {
        printf("audit chain intact: %lld rows", (long long)r->rows);
        if (r->rows) printf(" (head %.16s...)", r->head);
        printf("; %d checkpoints match; %lld claims agree with their audit rows\n", r->checkpoints,
               (long long)r->claims);
        if (!with_checkpoints)
            fprintf(stderr, "dashclaim audit verify: no checkpoints checked: without them a chain "
                            "re-hashed after an edit, or cut short, looks intact (see dashclaim "
                            "audit checkpoint)\n");
        return CLI_EXIT_OK;
    }
    printf("audit TAMPERED (%s)", dc_audit_finding_name(r->finding));
    if (r->bad_seq) printf(" at row %lld", (long long)r->bad_seq);
    if (r->checkpoint_line) printf(", checkpoint line %d", r->checkpoint_line);
    printf(": %s\n", r->message);
    if (r->finding == DC_AUDIT_STATE_MISMATCH && r->mismatches > 1)
        printf("(%lld disagreements between the tables and the audit rows in all)\n",
               (long long)r->mismatches);
    return CLI_EXIT_TAMPERED;
}

/* A failure of the library: a key or checkpoint file that cannot be used is the command line's
 * problem (CLI_EXIT_USAGE); the store's is CLI_EXIT_INPUT. */
static int failed(const char *action, const dc_status *st) {
    fprintf(stderr, "dashclaim audit %s: %s\n", action, st->message);
    return st->code == DC_ERR_INPUT ? CLI_EXIT_USAGE : CLI_EXIT_INPUT;
}

static int list_rows(dc_store *s, const char *claim) {
    enum { PAGE = 256 };
    dc_audit_row *rows = malloc(PAGE * sizeof *rows);
    if (!rows) return CLI_EXIT_INPUT;
    dc_status st = DC_STATUS_OK;
    int64_t after = 0;
    int rc = CLI_EXIT_OK;
    for (int n = PAGE; n == PAGE;) {
        if (dc_store_audit_list(s, claim, after, rows, PAGE, &n, &st) != DC_OK) {
            rc = failed("list", &st);
            break;
        }
        for (int i = 0; i < n; i++) {
            json_t *o = dc_audit_row_to_json(&rows[i]);
            if (!o || json_dumpf(o, stdout, JSON_COMPACT) != 0 || fputc('\n', stdout) == EOF)
                rc = CLI_EXIT_OUTPUT;
            json_decref(o);
        }
        if (n) after = rows[n - 1].seq;
    }
    free(rows);
    return rc;
}

int cli_cmd_audit(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        audit_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *action = argv[1];
    cli_service svc;
    cli_service_init(&svc);
    svc.store.read_only = true; /* verifying must not create or migrate anything */
    const char *claim = NULL, *key_path = NULL, *pub_path = NULL, *file = NULL;
    enum { OPT_KEY = 1000, OPT_PUB, OPT_FILE };
    static const struct option longs[] = {CLI_SERVICE_OPTIONS,
                                          {"claim", required_argument, NULL, 'c'},
                                          {"key", required_argument, NULL, OPT_KEY},
                                          {"public-key", required_argument, NULL, OPT_PUB},
                                          {"out", required_argument, NULL, OPT_FILE},
                                          {"checkpoints", required_argument, NULL, OPT_FILE},
                                          {"help", no_argument, NULL, 'h'},
                                          {0, 0, 0, 0}};
    int opt, bad = 0;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
        if (cli_service_option(&svc, opt, optarg, &bad)) continue;
        switch (opt) {
        case 'c': claim = optarg; break;
        case OPT_KEY: key_path = optarg; break;
        case OPT_PUB: pub_path = optarg; break;
        case OPT_FILE: file = optarg; break;
        case 'h': audit_usage(stdout); return CLI_EXIT_OK;
        default: bad = 1;
        }
    }
    if (bad || optind != argc) return CLI_EXIT_USAGE;
    bool verify = !strcmp(action, "verify"), checkpoint = !strcmp(action, "checkpoint");
    bool list = !strcmp(action, "list"), pubkey = !strcmp(action, "public-key");
    if (!verify && !checkpoint && !list && !pubkey) {
        fprintf(stderr,
                "dashclaim audit: unknown action '%s' (verify, checkpoint, list, public-key)\n",
                action);
        return CLI_EXIT_USAGE;
    }
    if ((pub_path || file) && !verify && !checkpoint) return CLI_EXIT_USAGE;
    if (pub_path && (checkpoint || key_path)) {
        fprintf(stderr, "dashclaim audit: --public-key is for verify, instead of --key\n");
        return CLI_EXIT_USAGE;
    }
    char key_buf[PATH_MAX], file_buf[PATH_MAX];
    if (!key_path && !pub_path) key_path = default_key(key_buf, sizeof key_buf);
    if (!key_path && !pub_path && !verify) {
        fprintf(stderr, "dashclaim audit: neither XDG_CONFIG_HOME nor HOME is set: give --key\n");
        return CLI_EXIT_USAGE;
    }
    dc_status st = DC_STATUS_OK;
    if (pubkey) {
        dc_audit_key *k = dc_audit_key_load(key_path, false, NULL, &st);
        char *pem = k ? dc_audit_key_public_pem(k) : NULL;
        int rc = !k ? failed("public-key", &st) : pem ? CLI_EXIT_OK : CLI_EXIT_INPUT;
        if (pem) fputs(pem, stdout);
        free(pem);
        dc_audit_key_free(k);
        return rc;
    }
    if (cli_service_check(&svc, "audit")) return CLI_EXIT_USAGE;
    const char *dir = sqlite_dir(svc.url);
    if (!file && dir) {
        snprintf(file_buf, sizeof file_buf, "%s/audit-checkpoints.txt", dir);
        /* verify reads the default file only when there is one: a store never checkpointed
         * still verifies (with the warning that says what that cannot see) */
        if (checkpoint || exists(file_buf)) file = file_buf;
    }
    if (checkpoint && !file) {
        fprintf(stderr, "dashclaim audit checkpoint: a PostgreSQL store needs --out FILE\n");
        return CLI_EXIT_USAGE;
    }
    dc_audit_key *key = NULL;
    bool created = false;
    if (checkpoint) key = dc_audit_key_load(key_path, true, &created, &st);
    else if (verify && file && pub_path) key = dc_audit_key_load_public(pub_path, &st);
    else if (verify && file && key_path) key = dc_audit_key_load(key_path, false, NULL, &st);
    if ((checkpoint || (verify && file)) && !key) {
        if (verify && !pub_path && !key_path)
            fprintf(stderr, "dashclaim audit verify: give --public-key or --key to check %s\n",
                    file);
        else failed(action, &st);
        return CLI_EXIT_USAGE;
    }
    if (created)
        fprintf(stderr,
                "dashclaim audit checkpoint: made a new signing key %s (mode 0600; keep "
                "it off the database's machine if you can, and its public half, from "
                "'dashclaim audit public-key', with the checkpoints)\n",
                key_path);
    dc_store *s = cli_service_open(&svc);
    if (!s) {
        dc_audit_key_free(key);
        return CLI_EXIT_INPUT;
    }
    int rc = CLI_EXIT_OK;
    dc_audit_report rep;
    if (list) {
        rc = list_rows(s, claim);
    } else if (verify) {
        if (dc_store_audit_check(s, file, key, &rep, &st) != DC_OK) rc = failed(action, &st);
        else rc = print_report(&rep, file != NULL);
    } else {
        char line[DC_AUDIT_LINE_LEN];
        if (dc_store_audit_checkpoint(s, key, file, line, &rep, &st) != DC_OK) {
            rc = failed(action, &st);
        } else if (rep.finding != DC_AUDIT_INTACT) {
            fprintf(stderr, "dashclaim audit checkpoint: not signed: the store fails its check\n");
            rc = print_report(&rep, true);
        } else {
            printf("%s\n", line);
            fprintf(stderr, "dashclaim audit checkpoint: %lld rows signed, appended to %s\n",
                    (long long)rep.rows, file);
        }
    }
    dc_audit_key_free(key);
    dc_store_close(s);
    return rc;
}
