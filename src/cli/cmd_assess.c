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

/* What assess writes, claim by claim: records go out in the claims' order (a batch finishes
 * them in another), each one's HTML page as soon as it is made. */
typedef struct {
    const cli_assess *o;
    const dc_group_set *set;
    const char *out_path;
    bool out_dir, compact, quiet;
    int nclaims;
    int rc;
    dc_str collected;
    dc_report_index_entry *index;
    int written;
    char page[1100];
    char **waiting;   /* [i]: record i's JSON until the ones before it are out */
    int next;         /* the next record to write */
    int emitted_upto; /* records 0 .. emitted_upto - 1 have been handed to emit_record */
    int done;         /* records finished (progress) */
} assess_output;

static void write_json(assess_output *out, int i, char *json) {
    int g, v;
    cli_assess_record_at(out->set, i, &g, &v);
    const char *video = cli_assess_record_path(out->set, g, v);
    size_t jlen = strlen(json);
    dc_status st = DC_STATUS_OK;
    if (out->out_dir) {
        char path[4300];
        int plen = snprintf(path, sizeof path, "%s/%s.json", out->out_path, dc_path_base(video));
        if (plen < 0 || (size_t)plen >= sizeof path) {
            /* a cut name would overwrite some other video's record */
            fprintf(stderr, "dashclaim assess: %s/%s.json: path too long\n", out->out_path,
                    dc_path_base(video));
            out->rc = CLI_EXIT_OUTPUT;
        } else if (dc_file_write_atomic(path, json, jlen, &st) != DC_OK) {
            fprintf(stderr, "dashclaim assess: %s\n", st.message);
            out->rc = CLI_EXIT_OUTPUT;
        }
    } else if (out->out_path) {
        dc_str_appendn(&out->collected, json, jlen);
        dc_str_append(&out->collected, "\n");
        if (out->collected.failed) {
            fprintf(stderr, "dashclaim assess: %s not written: out of memory\n", out->out_path);
            out->rc = CLI_EXIT_OUTPUT;
        }
    } else {
        fputs(json, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
}

/* Record i is finished: progress, its page, its JSON (written once those before it are). */
static void emit_record(assess_output *out, int i, dc_claim_result *r) {
    if (i >= out->emitted_upto) out->emitted_upto = i + 1;
    int g, v;
    cli_assess_record_at(out->set, i, &g, &v);
    /* the name of the claim's outputs: its claim id's video */
    const char *video = cli_assess_record_path(out->set, g, v);
    dc_assessment *a = &r->assessment;
    out->done++;
    if (!out->quiet)
        fprintf(stderr, "[%d/%d] %s: %s%s%s (%.1f s)\n", out->done, out->nclaims, video,
                dc_claim_status_name(a->status), a->severity != DC_SEVERITY_UNSET ? " " : "",
                a->severity != DC_SEVERITY_UNSET ? dc_severity_name(a->severity) : "",
                a->timings_ms.total / 1000.0);
    if (a->status == DC_CLAIM_FAILED && !out->quiet)
        fprintf(stderr, "    %s error: %s\n", dc_error_class_name(a->error_class),
                a->error_message);
    dc_status html_st = DC_STATUS_OK;
    if (cli_assess_write_html(out->o, r, video, out->page, sizeof out->page, &html_st) != DC_OK) {
        /* the claim's own report is part of its output: a page not written is work dropped */
        fprintf(stderr, "dashclaim assess: HTML report for %s not written: %s\n", video,
                html_st.message);
        char why[sizeof html_st.message + 32];
        snprintf(why, sizeof why, "HTML report not written: %s", html_st.message);
        dc_assessment_degrade(a, why);
    }
    if (out->index)
        dc_report_index_entry_from_assessment(&out->index[out->written++], a,
                                              out->page[0] ? out->page : NULL);
    char *json =
        dc_assessment_to_json(a, (out->nclaims == 1 && !out->compact) || out->out_dir ? 2 : 0);
    if (!json) {
        fprintf(stderr, "dashclaim assess: out of memory\n");
        out->rc = CLI_EXIT_OUTPUT;
        return;
    }
    out->waiting[i] = json;
    while (out->rc == CLI_EXIT_OK && out->next < out->nclaims && out->waiting[out->next]) {
        write_json(out, out->next, out->waiting[out->next]);
        free(out->waiting[out->next]);
        out->waiting[out->next++] = NULL;
    }
}

/* --batch N: every claim through dc_pipeline_assess_batch (the VLM runs N together); a
 * group refused for its size is recorded at once, as without a batch. */
typedef struct {
    assess_output *out;
    int *record_of; /* the batch's claim k is record record_of[k] */
} batch_ctx;

static void batch_done(void *ctx, int k, dc_claim_result *r) {
    batch_ctx *b = ctx;
    if (b->out->rc == CLI_EXIT_OK) emit_record(b->out, b->record_of[k], r);
}

static void run_batched(assess_output *out, cli_assess_env *env, int batch, double timeout,
                        double first_timeout) {
    int n = out->nclaims, m = 0;
    dc_claim_input *inputs = calloc((size_t)n, sizeof *inputs);
    const dc_claim_input **in = calloc((size_t)n, sizeof *in);
    const char **ids = calloc((size_t)n, sizeof *ids);
    int *record_of = calloc((size_t)n, sizeof *record_of);
    if (!inputs || !in || !ids || !record_of) { /* the claims then run one at a time */
        free(inputs), free(in), free(ids), free(record_of);
        return;
    }
    for (int i = 0; i < n; i++) {
        int g, v;
        cli_assess_record_at(out->set, i, &g, &v);
        if (cli_assess_record_input(out->set, g, out->o->group, &inputs[m], &ids[m])) {
            in[m] = &inputs[m];
            record_of[m++] = i;
            continue;
        }
        dc_claim_result r;
        cli_assess_refused_record(out->set, g, v, &r);
        emit_record(out, i, &r);
        dc_claim_result_free(&r);
    }
    /* the claims of a batch share one deadline setting: the first one's, shortened by the
     * process's start when it is the first record (a few hundred ms at most) */
    env->pipeline.timeout_sec = m > 0 && record_of[0] == 0 ? first_timeout : timeout;
    batch_ctx b = {.out = out, .record_of = record_of};
    dc_pipeline_assess_batch(in, ids, m, &env->pipeline, batch, batch_done, &b);
    out->emitted_upto = n;
    free(inputs), free(in), free(ids), free(record_of);
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
    assess_output out = {.o = &o,
                         .set = &set,
                         .out_path = out_path,
                         .out_dir = out_dir,
                         .compact = compact,
                         .quiet = quiet,
                         .nclaims = nclaims,
                         .rc = CLI_EXIT_OK};
    out.index = o.html_dir ? calloc((size_t)nclaims, sizeof *out.index) : NULL;
    if (o.html_dir && !out.index)
        fprintf(stderr, "dashclaim assess: index page will not be written: out of memory\n");
    out.waiting = calloc((size_t)nclaims, sizeof *out.waiting);
    if (!out.waiting) {
        fprintf(stderr, "dashclaim assess: out of memory\n");
        out.rc = CLI_EXIT_OUTPUT;
    }
    /* the first claim's deadline counts from the process's start */
    double first_timeout =
        timeout > 0 ? (timeout - before_main > 0.001 ? timeout - before_main : 0.001) : timeout;
    if (out.rc == CLI_EXIT_OK && o.batch > 1 && env.pipeline.vlm && nclaims > 1)
        run_batched(&out, &env, o.batch, timeout, first_timeout);
    for (int i = 0; out.rc == CLI_EXIT_OK && out.next < nclaims && i < nclaims; i++) {
        if (out.emitted_upto > i) continue; /* (a batch ran them) */
        dc_claim_result r;
        env.pipeline.timeout_sec = i == 0 ? first_timeout : timeout;
        int g, v;
        cli_assess_record_at(&set, i, &g, &v);
        cli_assess_run_record(&set, g, v, o.group, &env.pipeline, &r);
        emit_record(&out, i, &r);
        dc_claim_result_free(&r);
    }
    rc = out.rc;
    dc_str collected = out.collected;
    dc_report_index_entry *index = out.index;
    int written = out.written;
    const char *page = out.page;
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
    for (int i = 0; out.waiting && i < nclaims; i++) free(out.waiting[i]);
    free(out.waiting);
    dc_group_set_free(&set);
    dc_str_free(&collected);
    cli_assess_teardown(&env);
    if (ferror(stdout)) rc = CLI_EXIT_OUTPUT;
    return rc;
}
