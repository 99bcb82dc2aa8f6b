/* dashclaim assess: one claim -> one JSON document; several -> NDJSON, or one file each. Which
 * files make a claim is --group's (none: each file its own, as before grouping existed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess_options.h"
#include "cli.h"
#include "dashclaim/deadline.h"
#include "dashclaim/files.h"
#include "dashclaim/report.h"
#include "dashclaim/str.h"
#include "output.h"

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: dashclaim assess [options] VIDEO|DIR...\n\n"
        "Assesses each claim and prints its assessment (schema dashclaim.assessment/1). A claim\n"
        "is one video, or with --group all|auto the videos that belong together (a folder is\n"
        "read recursively for videos). One claim: one JSON document. Several: NDJSON, one\n"
        "assessment per line, in order. A claim that cannot be assessed still gets an\n"
        "assessment with status \"failed\".\n\n"
        "output options:\n"
        "  -o OUT                write to OUT instead of stdout; if OUT is a directory (or ends\n"
        "                        in '/'), one OUT/<claim id>.json per claim\n"
        "  --compact             one-line JSON even for a single video\n"
        "  -q, --quiet           no progress lines on stderr\n"
        "  -h, --help            this help\n");
    cli_assess_help(out);
    fprintf(out,
            "\nexit status: 0 when every claim produced an assessment (failed ones included),\n"
            "2 for a usage error, 3 when the output cannot be written.\n");
}

int cli_cmd_assess(int argc, char **argv) {
    cli_assess o;
    cli_assess_init(&o);
    const char *out_path = NULL;
    bool compact = false, quiet = false;
    enum { OPT_COMPACT = 2000 };
    static const struct option own[] = {
        {"compact", no_argument, NULL, OPT_COMPACT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
    };
    enum { NOWN = sizeof own / sizeof own[0] };
    struct option longs[CLI_ASSESS_OPTION_COUNT + NOWN + 1];
    cli_assess_long_options_with(own, NOWN, longs);
    optind = 1;
    int opt, usage_error = 0;
    while ((opt = getopt_long(argc, argv, "o:qh", longs, NULL)) != -1) {
        if (cli_assess_option(&o, opt, optarg, &usage_error)) continue;
        switch (opt) {
        case 'o': out_path = optarg; break;
        case OPT_COMPACT: compact = true; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage_error = 1;
        }
    }
    if (usage_error) {
        fprintf(stderr, "see 'dashclaim assess --help'\n");
        return CLI_EXIT_USAGE;
    }
    int ninputs = argc - optind;
    if (ninputs < 1) {
        fprintf(stderr, "dashclaim assess: no video given\n\n");
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    size_t olen = out_path ? strlen(out_path) : 0;
    bool out_dir = out_path && (cli_is_directory(out_path) || (olen && out_path[olen - 1] == '/'));
    dc_status st = DC_STATUS_OK;
    if (out_dir && cli_mkdir_p(out_path, &st) != DC_OK) {
        fprintf(stderr, "dashclaim assess: %s\n", st.message);
        return CLI_EXIT_OUTPUT;
    }

    /* The command started before main(): the first claim's deadline counts from then (the
     * model's load below is not the claim's and is not counted). */
    double before_main = cli_process_age_sec();
    cli_assess_env env;
    int rc = cli_assess_setup(&o, &env);
    if (rc != CLI_EXIT_OK) return rc;
    double timeout = env.pipeline.timeout_sec;
    /* Grouping probes the files (all, auto): its time is the first claim's too. */
    double grouping_started = dc_now();
    dc_group_set set;
    rc = cli_assess_group(&o, (const char *const *)(argv + optind), ninputs, timeout, &set);
    if (rc != CLI_EXIT_OK) {
        cli_assess_teardown(&env);
        return rc;
    }
    before_main += dc_now() - grouping_started;
    int nclaims = cli_assess_record_count(&set);
    if (nclaims == 0) {
        fprintf(stderr, "dashclaim assess: no video to assess\n");
        dc_group_set_free(&set);
        cli_assess_teardown(&env);
        return CLI_EXIT_USAGE;
    }
    if (!quiet && o.group != DC_GROUP_NONE)
        for (int g = 0; g < set.count; g++)
            fprintf(stderr, "claim %s: %s\n", set.groups[g].claim_id, set.groups[g].note);

    /* Single-file output collects everything first and renames once: a reader never sees
     * a partial file, and a failure to write is reported before exit. */
    dc_str collected = {0};
    dc_report_index_entry *index =
        o.html_dir ? calloc((size_t)(nclaims ? nclaims : 1), sizeof *index) : NULL;
    if (o.html_dir && !index)
        fprintf(stderr, "dashclaim assess: index page will not be written: out of memory\n");
    int written = 0;
    char page[1100] = "";
    for (int i = 0; i < nclaims && rc == CLI_EXIT_OK; i++) {
        dc_claim_result r;
        env.pipeline.timeout_sec = timeout;
        if (i == 0 && timeout > 0)
            env.pipeline.timeout_sec =
                timeout - before_main > 0.001 ? timeout - before_main : 0.001;
        int g, v;
        cli_assess_record_at(&set, i, &g, &v);
        cli_assess_run_record(&set, g, v, o.group, &env.pipeline, &r);
        /* the name of the claim's outputs: its claim id's video */
        const char *video = cli_assess_record_path(&set, g, v);
        dc_assessment *a = &r.assessment;
        if (!quiet)
            fprintf(stderr, "[%d/%d] %s: %s%s%s (%.1f s)\n", i + 1, nclaims, video,
                    dc_claim_status_name(a->status), a->severity != DC_SEVERITY_UNSET ? " " : "",
                    a->severity != DC_SEVERITY_UNSET ? dc_severity_name(a->severity) : "",
                    a->timings_ms.total / 1000.0);
        if (a->status == DC_CLAIM_FAILED && !quiet)
            fprintf(stderr, "    %s error: %s\n", dc_error_class_name(a->error_class),
                    a->error_message);
        dc_status html_st = DC_STATUS_OK;
        if (cli_assess_write_html(&o, &r, video, page, sizeof page, &html_st) != DC_OK) {
            /* the claim's own report is part of its output: a page not written is work dropped */
            fprintf(stderr, "dashclaim assess: HTML report for %s not written: %s\n", video,
                    html_st.message);
            char why[sizeof html_st.message + 32];
            snprintf(why, sizeof why, "HTML report not written: %s", html_st.message);
            dc_assessment_degrade(a, why);
        }
        if (index)
            dc_report_index_entry_from_assessment(&index[written++], a, page[0] ? page : NULL);
        char *json = dc_assessment_to_json(a, (nclaims == 1 && !compact) || out_dir ? 2 : 0);
        dc_claim_result_free(&r);
        if (!json) {
            fprintf(stderr, "dashclaim assess: out of memory\n");
            rc = CLI_EXIT_OUTPUT;
            break;
        }
        size_t jlen = strlen(json);
        if (out_dir) {
            char path[4300];
            int plen = snprintf(path, sizeof path, "%s/%s.json", out_path, dc_path_base(video));
            if (plen < 0 || (size_t)plen >= sizeof path) {
                /* a cut name would overwrite some other video's record */
                fprintf(stderr, "dashclaim assess: %s/%s.json: path too long\n", out_path,
                        dc_path_base(video));
                rc = CLI_EXIT_OUTPUT;
            } else if (dc_file_write_atomic(path, json, jlen, &st) != DC_OK) {
                fprintf(stderr, "dashclaim assess: %s\n", st.message);
                rc = CLI_EXIT_OUTPUT;
            }
        } else if (out_path) {
            dc_str_appendn(&collected, json, jlen);
            dc_str_append(&collected, "\n");
            if (collected.failed) {
                fprintf(stderr, "dashclaim assess: %s not written: out of memory\n", out_path);
                rc = CLI_EXIT_OUTPUT;
            }
        } else {
            fputs(json, stdout);
            fputc('\n', stdout);
            fflush(stdout);
        }
        free(json);
    }
    if (rc == CLI_EXIT_OK && out_path && !out_dir &&
        dc_file_write_atomic(out_path, dc_str_text(&collected), collected.len, &st) != DC_OK) {
        fprintf(stderr, "dashclaim assess: %s\n", st.message);
        rc = CLI_EXIT_OUTPUT;
    }
    if (rc == CLI_EXIT_OK && index && nclaims > 1) {
        char path[4300];
        int plen = snprintf(path, sizeof path, "%s/index.html", o.html_dir);
        if (plen < 0 || (size_t)plen >= sizeof path)
            fprintf(stderr,
                    "dashclaim assess: index page not written: %s/index.html: path too long\n",
                    o.html_dir);
        else if (dc_report_write_index_html(path, index, written, &st) != DC_OK)
            fprintf(stderr, "dashclaim assess: index page not written: %s\n", st.message);
    }
    if (rc == CLI_EXIT_OK && o.html_dir && !quiet && (nclaims > 1 || page[0]))
        fprintf(stderr, "HTML report: %s/%s\n", o.html_dir, nclaims > 1 ? "index.html" : page);
    free(index);
    dc_group_set_free(&set);
    dc_str_free(&collected);
    cli_assess_teardown(&env);
    if (ferror(stdout)) rc = CLI_EXIT_OUTPUT;
    return rc;
}
