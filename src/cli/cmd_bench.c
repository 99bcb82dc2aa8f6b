/* dashclaim bench: assess a folder or manifest of videos and report what a claims team and an
 * ML engineer ask: success rate, failures by class, latency, throughput, memory per claim,
 * accuracy against labels. Resumable: videos already in the output are not assessed again. */
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "assess_options.h"
#include "bench_summary.h"
#include "cli.h"
#include "dashclaim/deadline.h"
#include "dashclaim/files.h"
#include "dashclaim/report.h"
#include "ground_truth.h"
#include "output.h"

/* A crash or Ctrl-C loses at most this much finished work. */
#define BENCH_CHECKPOINT_SEC 2.0

typedef struct {
    char path[4096]; /* the video, or (--group all|auto) the video the claim is named after */
    cli_ground_truth truth;
    int group, video;     /* the record of the grouping (cli_assess_record_at); group -1 = none */
    const char *grouping; /* how its claim was grouped (the group's note); NULL = none */
} bench_item;

typedef struct {
    bench_item *items;
    int count, cap;
} bench_list;

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: dashclaim bench DIR|MANIFEST.csv --output report.json [options]\n\n"
        "Assesses every video in DIR (.mp4 .mov .avi .mkv .ts .m4v) or listed in a manifest CSV\n"
        "(with --group all|auto: every claim they make, DIR read recursively; a claim's ground\n"
        "truth is that of the video it is named after)\n"
        "(path,severity,incident_sec,fault_ratio; paths relative to the manifest) and writes\n"
        "report.json: one record per video and a summary (success rate, failures by class,\n"
        "latency, throughput, memory per claim, accuracy against ground truth). Ground truth\n"
        "comes from the manifest, a <video>.label.json sidecar, or file-name keywords\n"
        "(collision/crash/accident = HIGH, near = MEDIUM, normal = NONE).\n"
        "Rerunning with the same --output skips the videos already in it.\n\n"
        "options:\n"
        "  --output FILE         report JSON (required)\n"
        "  --max-videos N        assess at most N videos (in name order)\n"
        "  --jobs J              videos assessed in parallel (signals engine only; default 1)\n"
        "  -q, --quiet           no progress output\n"
        "  -h, --help            this help\n");
    cli_assess_help(out);
}

static bool has_video_extension(const char *name) {
    static const char *const exts[] = {".mp4", ".mov", ".avi", ".mkv", ".ts", ".m4v", NULL};
    const char *dot = strrchr(name, '.');
    if (!dot) return false;
    for (int i = 0; exts[i]; i++)
        if (!strcasecmp(dot, exts[i])) return true;
    return false;
}

static bench_item *list_push(bench_list *l) {
    if (l->count == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        bench_item *grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        l->items = grown;
        l->cap = cap;
    }
    bench_item *it = &l->items[l->count++];
    memset(it, 0, sizeof *it);
    it->group = it->video = -1;
    return it;
}

static int compare_items(const void *a, const void *b) {
    return strcmp(((const bench_item *)a)->path, ((const bench_item *)b)->path);
}

static int list_directory(const char *dir, bench_list *l) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_video_extension(e->d_name)) continue;
        bench_item *it = list_push(l);
        if (!it) break;
        snprintf(it->path, sizeof it->path, "%s/%s", dir, e->d_name);
        cli_truth_for_video(it->path, &it->truth);
    }
    closedir(d);
    if (l->count > 1) qsort(l->items, (size_t)l->count, sizeof *l->items, compare_items);
    return 0;
}

static int list_manifest(const char *manifest, bench_list *l) {
    FILE *f = fopen(manifest, "r");
    if (!f) return -1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    char line[8192], path[4096];
    while (fgets(line, sizeof line, f)) {
        cli_ground_truth truth;
        if (!cli_truth_parse_manifest_line(line, path, sizeof path, &truth)) continue;
        bench_item *it = list_push(l);
        if (!it) break;
        int n = path[0] == '/' ? snprintf(it->path, sizeof it->path, "%s", path)
                               : snprintf(it->path, sizeof it->path, "%s/%s", dir, path);
        if (n >= (int)sizeof it->path) {
            fprintf(stderr, "dashclaim bench: %s: path too long, skipped: %s\n", manifest, path);
            l->count--;
            continue;
        }
        it->truth = truth;
    }
    fclose(f);
    return 0;
}

static json_t *truth_json(const cli_ground_truth *t) {
    static const char *const sources[] = {"none", "sidecar", "manifest", "filename"};
    json_t *o = json_object();
    json_object_set_new(o, "source", json_string(sources[t->source]));
    json_object_set_new(o, "severity",
                        t->severity >= 0 ? json_string(dc_severity_name((dc_severity)t->severity))
                                         : json_null());
    json_object_set_new(o, "incident_sec",
                        t->incident_sec >= 0 ? json_real(t->incident_sec) : json_null());
    json_object_set_new(o, "fault_ratio",
                        t->fault_ratio >= 0 ? json_real(t->fault_ratio) : json_null());
    if (t->type[0]) json_object_set_new(o, "type", json_string(t->type));
    return o;
}

/* One report record from an assessment: the fields the summary reads, plus the assessment. */
static json_t *video_record(const bench_item *it, const dc_claim_result *r) {
    char *text = dc_assessment_to_json(&r->assessment, 0);
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!a) return NULL;
    json_t *rec = json_object();
    json_object_set_new(rec, "path", json_string(it->path));
    json_object_set(rec, "status", json_object_get(a, "status"));
    json_object_set(rec, "error", json_object_get(a, "error"));
    json_object_set(rec, "severity", json_object_get(a, "severity"));
    json_object_set(rec, "severity_probs", json_object_get(a, "severity_probs"));
    json_object_set(rec, "prediction_set", json_object_get(a, "prediction_set"));
    json_object_set_new(rec, "fault_ratio",
                        json_deep_copy(json_object_get(json_object_get(a, "fault"), "ratio")));
    json_object_set_new(rec, "ground_truth", truth_json(&it->truth));
    if (it->grouping) json_object_set_new(rec, "grouping", json_string(it->grouping));
    json_object_set(rec, "timings_ms", json_object_get(a, "timings_ms"));
    json_object_set_new(rec, "tokens", json_integer(r->prompt_tokens));
    const dc_memory *m = &r->assessment.memory;
    json_object_set_new(rec, "rss_before_mb", json_real(m->rss_before / 1048576.0));
    json_object_set_new(rec, "rss_after_mb", json_real(m->rss_after / 1048576.0));
    json_object_set_new(rec, "rss_delta_mb",
                        json_real(((double)m->rss_after - (double)m->rss_before) / 1048576.0));
    json_object_set_new(rec, "device_before_mb", json_real(m->device_before / 1048576.0));
    json_object_set_new(rec, "device_after_mb", json_real(m->device_after / 1048576.0));
    json_object_set_new(
        rec, "device_delta_mb",
        json_real(((double)m->device_after - (double)m->device_before) / 1048576.0));
    json_object_set(rec, "windows", json_object_get(a, "windows"));
    json_object_set_new(rec, "duration_sec", json_real(r->assessment.video.duration_sec));
    int pred = (int)r->assessment.severity;
    json_object_set_new(rec, "severity_correct",
                        it->truth.severity >= 0 && pred >= 0
                            ? json_boolean(pred == it->truth.severity)
                            : json_null());
    json_object_set_new(rec, "assessed_this_run", json_true());
    json_object_set_new(rec, "assessment", a);
    return rec;
}

typedef struct {
    bench_list *list;
    const dc_group_set *groups; /* with --group all|auto */
    int *todo, todo_count, next, done;
    json_t *videos;
    const char *output;
    cli_assess_env *env;
    const cli_assess *cli;
    double started;
    double last_checkpoint; /* when the report was last rewritten */
    bool quiet, tty;
    int write_failed;
    pthread_mutex_t lock;
} bench_run;

static json_t *report_object(bench_run *b, bool final) {
    double wall = dc_now() - b->started;
    json_t *report = json_object();
    json_object_set_new(report, "schema", json_string("dashclaim.bench/1"));
    json_object_set_new(report, "dashclaim_version", json_string(DC_VERSION));
    json_object_set_new(report, "engine", json_string(b->env->vlm ? "vlm" : "signals"));
    json_object_set_new(report, "model",
                        b->cli->model && b->env->vlm ? json_string(b->cli->model) : json_null());
    json_object_set_new(report, "complete", json_boolean(final));
    json_object_set_new(report, "summary", cli_bench_summary(b->videos, wall, b->done));
    json_object_set(report, "videos", b->videos);
    return report;
}

static int write_report(bench_run *b, bool final) {
    json_t *report = report_object(b, final);
    char *text = json_dumps(report, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(report);
    dc_status st = DC_STATUS_OK;
    int rc = text && dc_file_write_atomic(b->output, text, strlen(text), &st) == DC_OK ? 0 : -1;
    if (rc) fprintf(stderr, "dashclaim bench: %s\n", text ? st.message : "out of memory");
    free(text);
    return rc;
}

static void progress(bench_run *b, const char *path, const dc_assessment *a) {
    if (b->quiet) return;
    double elapsed = dc_now() - b->started;
    double eta = b->done ? elapsed / b->done * (b->todo_count - b->done) : 0;
    if (b->tty) {
        int width = 30, filled = b->todo_count ? width * b->done / b->todo_count : width;
        fprintf(stderr, "\r[%.*s%*s] %d/%d  %.0fs elapsed, ETA %.0fs  ", filled,
                "##############################", width - filled, "", b->done, b->todo_count,
                elapsed, eta);
    } else {
        fprintf(stderr, "bench: %d/%d %s: %s%s%s (ETA %.0fs)\n", b->done, b->todo_count, path,
                dc_claim_status_name(a->status), a->severity != DC_SEVERITY_UNSET ? " " : "",
                a->severity != DC_SEVERITY_UNSET ? dc_severity_name(a->severity) : "", eta);
    }
}

/* A claim is finished: its page, its record in the report, progress, a checkpoint now and
 * then. Called with b->lock not held. */
static void bench_record_done(bench_run *b, bench_item *it, dc_claim_result *r) {
    char page[1100];
    dc_status html_st = DC_STATUS_OK;
    if (cli_assess_write_html(b->cli, r, it->path, page, sizeof page, &html_st) != DC_OK) {
        fprintf(stderr, "bench: HTML report for %s not written: %s\n", it->path, html_st.message);
        char why[sizeof html_st.message + 32];
        snprintf(why, sizeof why, "HTML report not written: %s", html_st.message);
        dc_assessment_degrade(&r->assessment, why);
    }
    json_t *rec = video_record(it, r);
    pthread_mutex_lock(&b->lock);
    if (rec) json_array_append_new(b->videos, rec);
    b->done++;
    progress(b, it->path, &r->assessment);
    /* Checkpoint for resuming, but not after every video: the whole report is rewritten
     * each time, which would make a batch of thousands quadratic in I/O. */
    if (dc_now() - b->last_checkpoint >= BENCH_CHECKPOINT_SEC) {
        if (write_report(b, false)) b->write_failed = 1;
        b->last_checkpoint = dc_now();
    }
    pthread_mutex_unlock(&b->lock);
}

static void *bench_worker(void *arg) {
    bench_run *b = arg;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        int k = b->next < b->todo_count && !b->write_failed ? b->todo[b->next++] : -1;
        pthread_mutex_unlock(&b->lock);
        if (k < 0) return NULL;
        bench_item *it = &b->list->items[k];
        dc_claim_result r;
        if (it->group >= 0)
            cli_assess_run_record(b->groups, it->group, it->video, b->cli->group, &b->env->pipeline,
                                  &r);
        else dc_pipeline_assess(it->path, NULL, &b->env->pipeline, &r);
        bench_record_done(b, it, &r);
        dc_claim_result_free(&r);
    }
}

/* --batch N: the claims to run through dc_pipeline_assess_batch (the VLM runs N together);
 * a group refused for its size is recorded at once. */
typedef struct {
    bench_run *b;
    int *item_of; /* the batch's claim k is item item_of[k] */
} bench_batch;

static void bench_batch_done(void *ctx, int k, dc_claim_result *r) {
    bench_batch *bb = ctx;
    bench_record_done(bb->b, &bb->b->list->items[bb->item_of[k]], r);
}

/* Returns false when out of memory (the workers then run the claims one at a time). */
static bool bench_batched(bench_run *b, int batch) {
    int n = b->todo_count, m = 0;
    dc_claim_input *inputs = calloc((size_t)n, sizeof *inputs);
    const dc_claim_input **in = calloc((size_t)n, sizeof *in);
    const char **ids = calloc((size_t)n, sizeof *ids);
    int *item_of = calloc((size_t)n, sizeof *item_of);
    bool ok = inputs && in && ids && item_of;
    for (int t = 0; ok && t < n; t++) {
        bench_item *it = &b->list->items[b->todo[t]];
        size_t len = strnlen(it->path, sizeof it->path);
        if (it->group < 0 && len >= sizeof inputs[m].videos[0].path) {
            dc_claim_result r; /* a path a claim input cannot hold: run as before, alone */
            dc_pipeline_assess(it->path, NULL, &b->env->pipeline, &r);
            bench_record_done(b, it, &r);
            dc_claim_result_free(&r);
            continue;
        } else if (it->group < 0) {
            inputs[m].count = 1;
            memcpy(inputs[m].videos[0].path, it->path, len + 1);
            inputs[m].videos[0].segment = -1;
        } else if (!cli_assess_record_input(b->groups, it->group, b->cli->group, &inputs[m],
                                            &ids[m])) {
            dc_claim_result r;
            cli_assess_refused_record(b->groups, it->group, it->video, &r);
            bench_record_done(b, it, &r);
            dc_claim_result_free(&r);
            continue;
        }
        in[m] = &inputs[m];
        item_of[m++] = b->todo[t];
    }
    if (ok) {
        bench_batch bb = {.b = b, .item_of = item_of};
        dc_pipeline_assess_batch(in, ids, m, &b->env->pipeline, batch, bench_batch_done, &bb);
        b->next = b->todo_count;
    }
    free(inputs), free(in), free(ids), free(item_of);
    return ok;
}

/* Records of a previous run with the same output, so that a rerun resumes. */
static json_t *load_previous(const char *output) {
    json_t *old = json_load_file(output, 0, NULL);
    json_t *videos = json_array();
    json_t *prev = json_object_get(old, "videos");
    size_t i;
    json_t *v;
    json_array_foreach(prev, i, v) {
        if (!json_is_string(json_object_get(v, "path"))) continue;
        json_object_set_new(v, "assessed_this_run", json_false());
        json_array_append(videos, v);
    }
    json_decref(old);
    return videos;
}

static bool already_done(json_t *videos, const char *path) {
    size_t i;
    json_t *v;
    json_array_foreach(
        videos, i, v) if (!strcmp(json_string_value(json_object_get(v, "path")), path)) return true;
    return false;
}

/* --group all|auto: the listed videos (a folder read recursively) grouped into claims; the list
 * becomes one item per record, each with the ground truth of the video it is named after. */
static int group_list(const cli_assess *o, const char *input, bench_list *list,
                      dc_group_set *groups) {
    bool folder = cli_is_directory(input);
    int n = folder ? 1 : list->count;
    const char **paths = malloc((size_t)(n ? n : 1) * sizeof *paths);
    if (!paths) {
        fprintf(stderr, "dashclaim bench: out of memory\n");
        return CLI_EXIT_OUTPUT;
    }
    for (int i = 0; i < n; i++) paths[i] = folder ? input : list->items[i].path;
    int rc = cli_assess_group(o, paths, n, o->timeout_sec, groups);
    free(paths);
    if (rc != CLI_EXIT_OK) return rc;
    bench_list grouped = {0};
    int records = cli_assess_record_count(groups);
    for (int k = 0; k < records; k++) {
        bench_item *it = list_push(&grouped);
        if (!it) {
            fprintf(stderr, "dashclaim bench: out of memory\n");
            free(grouped.items);
            return CLI_EXIT_OUTPUT;
        }
        cli_assess_record_at(groups, k, &it->group, &it->video);
        it->grouping = groups->groups[it->group].note;
        snprintf(it->path, sizeof it->path, "%s",
                 cli_assess_record_path(groups, it->group, it->video));
        if (folder) cli_truth_for_video(it->path, &it->truth);
        for (int i = 0; !folder && i < list->count; i++)
            if (!strcmp(list->items[i].path, it->path)) it->truth = list->items[i].truth;
    }
    free(list->items);
    *list = grouped;
    return CLI_EXIT_OK;
}

int cli_cmd_bench(int argc, char **argv) {
    cli_assess o;
    cli_assess_init(&o);
    const char *output = NULL;
    int max_videos = 0, jobs = 1;
    bool quiet = false;
    enum { OPT_OUTPUT = 2000, OPT_MAX, OPT_JOBS };
    static const struct option own[] = {
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"max-videos", required_argument, NULL, OPT_MAX},
        {"jobs", required_argument, NULL, OPT_JOBS},
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
        case 'o':
        case OPT_OUTPUT: output = optarg; break;
        case OPT_MAX: max_videos = atoi(optarg); break;
        case OPT_JOBS: jobs = atoi(optarg); break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage_error = 1;
        }
    }
    if (usage_error || optind != argc - 1 || !output || jobs < 1 || max_videos < 0) {
        fprintf(stderr, "%s",
                !output && !usage_error ? "dashclaim bench: --output is required\n" : "");
        fprintf(stderr,
                "usage: dashclaim bench DIR|MANIFEST.csv --output report.json (see --help)\n");
        return CLI_EXIT_USAGE;
    }
    const char *input = argv[optind];
    bench_list list = {0};
    int rc;
    int listed =
        cli_is_directory(input) ? list_directory(input, &list) : list_manifest(input, &list);
    if (listed != 0) {
        fprintf(
            stderr,
            "dashclaim bench: %s: cannot read (expected a folder of videos or a manifest CSV)\n",
            input);
        free(list.items);
        return CLI_EXIT_USAGE;
    }
    dc_group_set groups = {0};
    if (o.group != DC_GROUP_NONE && (list.count > 0 || cli_is_directory(input)) &&
        (rc = group_list(&o, input, &list, &groups)) != CLI_EXIT_OK) {
        free(list.items);
        dc_group_set_free(&groups);
        return rc;
    }
    if (list.count == 0) {
        fprintf(stderr, "dashclaim bench: %s: no videos found\n", input);
        free(list.items);
        dc_group_set_free(&groups);
        return CLI_EXIT_USAGE;
    }
    if (max_videos > 0 && list.count > max_videos) list.count = max_videos;

    cli_assess_env env;
    rc = cli_assess_setup(&o, &env);
    if (rc != CLI_EXIT_OK) {
        free(list.items);
        dc_group_set_free(&groups);
        return rc;
    }
    if (env.vlm && jobs > 1) {
        fprintf(stderr,
                "dashclaim bench: --jobs %d ignored: the VLM engine assesses one video at a time "
                "(it already uses every core or the GPU)\n",
                jobs);
        jobs = 1;
    }
    bench_run b = {.list = &list,
                   .groups = &groups,
                   .output = output,
                   .env = &env,
                   .cli = &o,
                   .quiet = quiet,
                   .tty = isatty(STDERR_FILENO),
                   .started = dc_now()};
    pthread_mutex_init(&b.lock, NULL);
    b.videos = load_previous(output);
    b.todo = malloc((size_t)list.count * sizeof *b.todo);
    if (!b.todo || !b.videos) {
        fprintf(stderr, "dashclaim bench: out of memory\n");
        b.write_failed = 1; /* no video is run; the cleanup below is the normal one */
        list.count = 0;
    }
    for (int i = 0; i < list.count; i++)
        if (!already_done(b.videos, list.items[i].path)) b.todo[b.todo_count++] = i;
    if (!quiet && b.todo_count < list.count)
        fprintf(stderr, "bench: resuming: %d of %d videos already in %s\n",
                list.count - b.todo_count, list.count, output);
    /* many claims on one model: one thread steps the batch, another prepares the claims */
    if (o.batch > 1 && env.vlm && b.todo_count > 1 && !b.write_failed) bench_batched(&b, o.batch);
    pthread_t threads[64];
    if (jobs > 64) jobs = 64;
    int started = 0;
    for (int j = 1; j < jobs; j++)
        if (pthread_create(&threads[started], NULL, bench_worker, &b) == 0) started++;
    bench_worker(&b);
    for (int j = 0; j < started; j++) pthread_join(threads[j], NULL);
    if (b.tty && !quiet) fputc('\n', stderr);
    rc = b.write_failed || write_report(&b, true) ? CLI_EXIT_OUTPUT : CLI_EXIT_OK;
    if (rc == CLI_EXIT_OK && !quiet) {
        json_t *report = report_object(&b, true);
        cli_bench_summary_print(stderr, json_object_get(report, "summary"));
        json_decref(report);
        fprintf(stderr, "report: %s\n", output);
    }
    if (rc == CLI_EXIT_OK && o.html_dir) {
        int n = (int)json_array_size(b.videos);
        dc_report_index_entry *entries = calloc((size_t)(n ? n : 1), sizeof *entries);
        for (int i = 0; entries && i < n; i++) {
            json_t *v = json_array_get(b.videos, (size_t)i);
            dc_assessment a;
            char *text = json_dumps(json_object_get(v, "assessment"), 0);
            dc_status st = DC_STATUS_OK;
            char page[1100];
            const char *path = json_string_value(json_object_get(v, "path"));
            dc_report_page_name(path, page, sizeof page);
            if (text && dc_assessment_from_json(text, &a, &st) == DC_OK)
                dc_report_index_entry_from_assessment(&entries[i], &a, page);
            snprintf(entries[i].video, sizeof entries[i].video, "%s", path);
            free(text);
        }
        char index_path[4300];
        snprintf(index_path, sizeof index_path, "%s/index.html", o.html_dir);
        dc_status st = DC_STATUS_OK;
        if (!entries) fprintf(stderr, "dashclaim bench: index page not written: out of memory\n");
        else if (dc_report_write_index_html(index_path, entries, n, &st) != DC_OK)
            fprintf(stderr, "dashclaim bench: index page not written: %s\n", st.message);
        else if (!quiet) fprintf(stderr, "HTML index: %s\n", index_path);
        free(entries);
    }
    json_decref(b.videos);
    pthread_mutex_destroy(&b.lock);
    free(b.todo);
    free(list.items);
    dc_group_set_free(&groups);
    cli_assess_teardown(&env);
    return rc;
}
