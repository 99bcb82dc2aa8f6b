#include "assess_options.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashclaim/engine.h"
#include "dashclaim/files.h"
#include "dashclaim/report.h"
#include "cli.h"
#include "metadata.h"
#include "output.h"

enum {
    OPT_MODEL = 1000,
    OPT_MMPROJ,
    OPT_ENGINE,
    OPT_WINDOWS,
    OPT_VLM_WINDOWS,
    OPT_FRAMES,
    OPT_VISUAL_TOKENS,
    OPT_GPU_LAYERS,
    OPT_THREADS,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_CALIBRATION,
    OPT_METADATA,
    OPT_HTML,
    OPT_MINING_CONTEXT,
    OPT_SEED,
    OPT_CTX,
    OPT_THINK_TOKENS,
    OPT_GROUP,
    OPT_BATCH,
    OPT_BATCH_ROWS,
};

const struct option cli_assess_long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"mmproj", required_argument, NULL, OPT_MMPROJ},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"windows", required_argument, NULL, OPT_WINDOWS},
    {"vlm-windows", required_argument, NULL, OPT_VLM_WINDOWS},
    {"frames", required_argument, NULL, OPT_FRAMES},
    {"visual-tokens", required_argument, NULL, OPT_VISUAL_TOKENS},
    {"gpu-layers", required_argument, NULL, OPT_GPU_LAYERS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"calibration", required_argument, NULL, OPT_CALIBRATION},
    {"metadata", required_argument, NULL, OPT_METADATA},
    {"html", required_argument, NULL, OPT_HTML},
    {"mining-context", no_argument, NULL, OPT_MINING_CONTEXT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"ctx-size", required_argument, NULL, OPT_CTX},
    {"think-tokens", required_argument, NULL, OPT_THINK_TOKENS},
    {"group", required_argument, NULL, OPT_GROUP},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"batch-rows", required_argument, NULL, OPT_BATCH_ROWS},
    {0, 0, 0, 0},
};

/* the count the header gives the commands' tables */
_Static_assert(sizeof cli_assess_long_options / sizeof *cli_assess_long_options ==
                   CLI_ASSESS_OPTION_COUNT + 1,
               "CLI_ASSESS_OPTION_COUNT is not the number of shared options");

void cli_assess_long_options_with(const struct option *extra, int n, struct option *out) {
    memcpy(out, cli_assess_long_options, sizeof *out * CLI_ASSESS_OPTION_COUNT);
    memcpy(out + CLI_ASSESS_OPTION_COUNT, extra, sizeof *out * (size_t)n);
    out[CLI_ASSESS_OPTION_COUNT + n] = (struct option){0, 0, 0, 0};
}

void cli_assess_init(cli_assess *o) {
    memset(o, 0, sizeof *o);
    o->model = getenv("DASHCLAIM_MODEL");
    o->mmproj = getenv("DASHCLAIM_MMPROJ");
    if (o->model && !*o->model) o->model = NULL;
    if (o->mmproj && !*o->mmproj) o->mmproj = NULL;
    o->windows = 3;
    o->vlm_windows = 1;
    o->gpu_layers = -1; /* all, when a GPU backend exists */
    o->retries = 3;
    o->timeout_sec = 600;
    o->seed = 42;
    o->think_tokens = -1;
    o->decode_workers = cli_env_decode_workers();
}

static bool parse_int(const char *arg, int min, int max, int *out) {
    char *end;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < min || v > max) return false;
    *out = (int)v;
    return true;
}

static bool parse_seconds(const char *arg, double *out) {
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || v < 0) return false;
    *out = v;
    return true;
}

bool cli_assess_option(cli_assess *o, int opt, const char *arg, int *usage_error) {
    bool ok = true;
    switch (opt) {
    case OPT_MODEL: o->model = arg; break;
    case OPT_MMPROJ: o->mmproj = arg; break;
    case OPT_ENGINE:
        ok = !strcmp(arg, "signals") || !strcmp(arg, "vlm");
        o->engine = arg;
        break;
    case OPT_WINDOWS: ok = parse_int(arg, 1, DC_MAX_WINDOWS, &o->windows); break;
    case OPT_VLM_WINDOWS: ok = parse_int(arg, 1, DC_MAX_WINDOWS, &o->vlm_windows); break;
    case OPT_FRAMES: ok = parse_int(arg, 2, 256, &o->frames); break;
    case OPT_VISUAL_TOKENS: ok = parse_int(arg, 64, 1 << 20, &o->visual_tokens); break;
    case OPT_GPU_LAYERS: ok = parse_int(arg, -1, 100000, &o->gpu_layers); break;
    case OPT_THREADS: ok = parse_int(arg, 0, 1024, &o->threads); break;
    case OPT_TIMEOUT: ok = parse_seconds(arg, &o->timeout_sec); break;
    case OPT_RETRIES: ok = parse_int(arg, 0, 20, &o->retries); break;
    case OPT_CALIBRATION: o->calibration_path = arg; break;
    case OPT_METADATA: o->metadata_path = arg; break;
    case OPT_HTML: o->html_dir = arg; break;
    case OPT_MINING_CONTEXT: o->mining_context = true; break;
    case OPT_SEED: ok = parse_int(arg, 0, 1 << 30, &o->seed); break;
    case OPT_CTX: ok = parse_int(arg, 0, 1 << 20, &o->ctx_size); break;
    case OPT_THINK_TOKENS: ok = parse_int(arg, 0, 1 << 16, &o->think_tokens); break;
    case OPT_GROUP: ok = dc_group_mode_from_name(arg, &o->group); break;
    case OPT_BATCH: ok = parse_int(arg, 1, DC_VLM_MAX_BATCH, &o->batch); break;
    case OPT_BATCH_ROWS: ok = parse_int(arg, 0, DC_VLM_MAX_BATCH, &o->batch_rows); break;
    default: return false;
    }
    if (!ok) {
        fprintf(stderr, "dashclaim: invalid value '%s' for an option (see --help)\n", arg);
        *usage_error = 1;
    }
    return true;
}

void cli_assess_help(FILE *out) {
    fprintf(
        out,
        "engine options:\n"
        "  --model M.gguf        VLM text model (or DASHCLAIM_MODEL); without one the\n"
        "                        model-free signals engine is used\n"
        "  --mmproj P.gguf       its vision projector (or DASHCLAIM_MMPROJ)\n"
        "  --engine signals|vlm  force an engine (default: vlm when a model is given)\n"
        "  --windows K           incident windows to mine and report (default 3)\n"
        "  --vlm-windows V       of those, how many the VLM looks at (default 1)\n"
        "  --frames N            frames per window for the VLM (default: from the token budget)\n"
        "  --visual-tokens T     visual-token budget per window (default: the engine's)\n"
        "  --gpu-layers N        layers on the GPU (default: all when a GPU exists; 0 = CPU)\n"
        "  --threads N           CPU threads (default: all cores)\n"
        "  --batch N             claims the VLM runs together in its one context (continuous\n"
        "                        batching; default 1, at most 64); the same answers as alone\n"
        "  --batch-rows N        claims' tokens one model call of a --batch step holds (default\n"
        "                        0: on the CPU 3, or 1 for float weights, which keeps every\n"
        "                        claim's answer the same to the bit; more is faster on the CPU\n"
        "                        and may change the last bits; on a GPU the whole step)\n"
        "  --ctx-size N          context size (default: derived from the frame budget)\n"
        "  --think-tokens N      a reasoning model's thinking budget (Cosmos-Reason2;\n"
        "                        default 512; 0 = answer at once)\n"
        "  --timeout S           deadline per video in seconds (default 600; 0 = none)\n"
        "  --retries R           model retries per window (default 3)\n"
        "  --seed N              sampling seed (default 42; output is greedy by default)\n"
        "  --mining-context      tell the model where mining saw danger (off by default)\n"
        "decision options:\n"
        "  --calibration FILE    conformal calibration from 'dashclaim calibrate'\n"
        "  --metadata FILE       claim metadata JSON for the fraud rules:\n"
        "                        {\"collision_claimed\":true,\"damage_claimed\":\"HIGH\",\n"
        "                         "
        "\"recent_claims_same_vehicle\":0,\"recent_claims_same_location\":0}\n"
        "  --html DIR            also write a self-contained HTML report per claim into DIR\n"
        "grouping (which files make one claim):\n"
        "  --group none|all|auto none (default): one claim per file; all: the given files\n"
        "                        are one claim; auto: the front, rear and cabin channels of\n"
        "                        one moment and back-to-back segments (gap up to 2 s) are one\n"
        "                        claim, a longer gap or a clock jump starts another; by the\n"
        "                        cameras' file names (BlackVue, VIOFO, 70mai, Nextbase,\n"
        "                        Vantrue, Thinkware, Tesla), else container creation times,\n"
        "                        else telemetry UTC; a file with none is a claim of its own.\n"
        "                        Folders are read recursively. A claim is named after its\n"
        "                        first front video; one of more than %d videos is refused and\n"
        "                        each of its files recorded as failed.\n",
        DC_MAX_CLAIM_VIDEOS);
}

static bool file_readable(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int cli_assess_setup(const cli_assess *o, cli_assess_env *env) {
    memset(env, 0, sizeof *env);
    dc_pipeline_options_init(&env->pipeline);
    dc_claim_metadata_init(&env->metadata);
    dc_status st = DC_STATUS_OK;
    env->pipeline.windows = o->windows;
    env->pipeline.vlm_windows = o->vlm_windows;
    env->pipeline.timeout_sec = o->timeout_sec;
    env->pipeline.mining_context = o->mining_context;
    env->pipeline.decode_workers = o->decode_workers;
    env->pipeline.keep_evidence = o->html_dir != NULL;
    if (o->calibration_path) {
        if (dc_calibration_load(o->calibration_path, &env->calibration, &st) != DC_OK) {
            fprintf(stderr, "dashclaim: %s\n", st.message);
            return CLI_EXIT_USAGE;
        }
        env->pipeline.calibration = &env->calibration;
    }
    if (o->metadata_path) {
        if (cli_load_metadata(o->metadata_path, &env->metadata, &st) != DC_OK) {
            fprintf(stderr, "dashclaim: %s\n", st.message);
            return CLI_EXIT_USAGE;
        }
        env->pipeline.metadata = &env->metadata;
    }
    if (o->html_dir && cli_mkdir_p(o->html_dir, &st) != DC_OK) {
        fprintf(stderr, "dashclaim: --html: %s\n", st.message);
        return CLI_EXIT_USAGE;
    }
    bool want_vlm = o->engine ? !strcmp(o->engine, "vlm") : o->model != NULL;
    if (!want_vlm) {
        fprintf(
            stderr,
            "dashclaim: no model given: using the model-free signals engine "
            "(pass --model and --mmproj, or set DASHCLAIM_MODEL/DASHCLAIM_MMPROJ, for the VLM)\n");
        return CLI_EXIT_OK;
    }
    if (!o->model || !o->mmproj) {
        fprintf(stderr, "dashclaim: the vlm engine needs both --model and --mmproj "
                        "(or DASHCLAIM_MODEL and DASHCLAIM_MMPROJ)\n");
        return CLI_EXIT_USAGE;
    }
    const char *files[2] = {o->model, o->mmproj};
    for (int i = 0; i < 2; i++)
        if (!file_readable(files[i])) {
            fprintf(stderr, "dashclaim: %s: no such model file\n", files[i]);
            return CLI_EXIT_USAGE;
        }
    dc_vlm_options vo;
    dc_vlm_options_init(&vo);
    vo.model_path = o->model;
    vo.mmproj_path = o->mmproj;
    if (o->gpu_layers >= 0) vo.n_gpu_layers = o->gpu_layers;
    if (o->threads > 0) vo.n_threads = o->threads;
    vo.max_batch = o->batch > 1 ? o->batch : 1;
    vo.batch_rows = o->batch_rows;
    if (o->visual_tokens > 0) vo.visual_tokens = o->visual_tokens;
    if (o->frames > 0) vo.max_frames = o->frames + (o->frames & 1);
    if (o->ctx_size > 0) vo.n_ctx = o->ctx_size;
    if (o->think_tokens >= 0) vo.max_think_tokens = o->think_tokens;
    vo.retries = o->retries;
    vo.seed = (uint32_t)o->seed;
    env->vlm = dc_vlm_open(&vo, &st);
    if (!env->vlm) {
        fprintf(stderr, "dashclaim: cannot load the model: %s\n", st.message);
        return CLI_EXIT_USAGE;
    }
    env->pipeline.vlm = env->vlm;
    return CLI_EXIT_OK;
}

void cli_assess_teardown(cli_assess_env *env) {
    if (env->vlm) dc_vlm_close(env->vlm);
    env->vlm = NULL;
}

dc_error_class cli_assess_write_html(const cli_assess *o, const dc_claim_result *r,
                                     const char *video_path, char *page, size_t page_size,
                                     dc_status *st) {
    page[0] = 0;
    if (!o->html_dir) return DC_OK;
    char name[1100], path[4300];
    dc_report_page_name(video_path, name, sizeof name);
    int n = snprintf(path, sizeof path, "%s/%s", o->html_dir, name);
    /* a cut name would write some other page: refuse instead */
    if (n < 0 || (size_t)n >= sizeof path || strlen(name) >= page_size)
        return dc_fail(st, DC_ERR_INPUT, "%s/%s: path of the HTML page too long", o->html_dir,
                       name);
    dc_report_inputs in = {
        .danger = r->danger,
        .danger_count = r->danger_count,
        .danger_hz = r->danger_hz,
        .frames = r->evidence_frames.count ? &r->evidence_frames : NULL,
        .telemetry = &r->telemetry,
    };
    if (dc_report_write_claim_html(path, &r->assessment, &in, st) != DC_OK) return st->code;
    snprintf(page, page_size, "%s", name);
    return DC_OK;
}

int cli_assess_group(const cli_assess *o, const char *const *inputs, int n, double timeout_sec,
                     dc_group_set *set) {
    dc_status st = DC_STATUS_OK;
    dc_deadline dl = dc_deadline_in(timeout_sec > 0 ? timeout_sec : 0);
    if (dc_group_videos(inputs, n, o->group, dl, set, &st) != DC_OK) {
        fprintf(stderr, "dashclaim: %s\n", st.message);
        return st.code == DC_ERR_RESOURCE ? CLI_EXIT_OUTPUT : CLI_EXIT_USAGE;
    }
    if (st.degraded) fprintf(stderr, "dashclaim: %s\n", st.message);
    for (int i = 0; i < n; i++)
        if (cli_is_directory(inputs[i])) {
            bool found = false;
            size_t len = strlen(inputs[i]);
            for (int v = 0; v < set->video_count && !found; v++)
                found = !strncmp(set->videos[v].path, inputs[i], len);
            if (!found) fprintf(stderr, "dashclaim: %s: no videos found\n", inputs[i]);
        }
    return CLI_EXIT_OK;
}

int cli_assess_record_count(const dc_group_set *set) {
    int n = 0;
    for (int g = 0; g < set->count; g++)
        n += set->groups[g].error_class != DC_OK ? set->groups[g].count : 1;
    return n;
}

void cli_assess_record_at(const dc_group_set *set, int k, int *group, int *video) {
    *group = *video = -1;
    for (int g = 0; g < set->count; g++) {
        const dc_group *grp = &set->groups[g];
        int records = grp->error_class != DC_OK ? grp->count : 1;
        if (k < records) {
            *group = g;
            *video = grp->error_class != DC_OK ? k : -1;
            return;
        }
        k -= records;
    }
}

const char *cli_assess_record_path(const dc_group_set *set, int g, int v) {
    const dc_group *grp = &set->groups[g];
    if (v >= 0) return set->videos[grp->first + v].path;
    for (int i = 0; i < grp->count; i++)
        if (!strcmp(dc_path_base(set->videos[grp->first + i].path), grp->claim_id))
            return set->videos[grp->first + i].path;
    return set->videos[grp->first].path;
}

bool cli_assess_record_input(const dc_group_set *set, int g, dc_group_mode mode, dc_claim_input *in,
                             const char **claim_id) {
    const dc_group *grp = &set->groups[g];
    if (grp->error_class != DC_OK) return false;
    if (mode == DC_GROUP_NONE && grp->count == 1) { /* one file, named after itself */
        memset(&in->videos[0], 0, sizeof in->videos[0]);
        in->count = 1;
        snprintf(in->videos[0].path, sizeof in->videos[0].path, "%s", set->videos[grp->first].path);
        in->videos[0].segment = -1;
        *claim_id = NULL;
        return true;
    }
    dc_group_claim_input(set, g, in);
    *claim_id = grp->claim_id;
    return true;
}

void cli_assess_refused_record(const dc_group_set *set, int g, int v, dc_claim_result *r) {
    const dc_group *grp = &set->groups[g];
    /* refused: a record for this file that says why, as for any claim that failed */
    const dc_claim_video *video = &set->videos[grp->first + (v >= 0 ? v : 0)];
    memset(r, 0, sizeof *r);
    dc_assessment *a = &r->assessment;
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "%s", dc_path_base(video->path));
    snprintf(a->video.path, sizeof a->video.path, "%s", video->path);
    a->video_count = 1;
    a->videos[0] = *video;
    a->videos[0].offset_sec = 0;
    snprintf(a->videos[0].error, sizeof a->videos[0].error, "%.250s", grp->error);
    dc_status st = {.code = grp->error_class};
    snprintf(st.message, sizeof st.message, "%s", grp->error);
    dc_assessment_fail(a, &st);
}

void cli_assess_run_record(const dc_group_set *set, int g, int v, dc_group_mode mode,
                           const dc_pipeline_options *po, dc_claim_result *r) {
    const dc_group *grp = &set->groups[g];
    if (grp->error_class != DC_OK) {
        cli_assess_refused_record(set, g, v, r);
        return;
    }
    dc_claim_input *in = malloc(sizeof *in);
    if (!in) {
        const dc_claim_video *video = &set->videos[grp->first];
        memset(r, 0, sizeof *r);
        dc_assessment_init(&r->assessment);
        snprintf(r->assessment.claim_id, sizeof r->assessment.claim_id, "%s", grp->claim_id);
        snprintf(r->assessment.video.path, sizeof r->assessment.video.path, "%s", video->path);
        dc_status st = {.code = DC_ERR_RESOURCE};
        snprintf(st.message, sizeof st.message, "%s: out of memory", grp->claim_id);
        dc_assessment_fail(&r->assessment, &st);
        return;
    }
    const char *claim_id;
    cli_assess_record_input(set, g, mode, in, &claim_id);
    dc_pipeline_assess_claim(in, claim_id, po, r);
    free(in);
}
