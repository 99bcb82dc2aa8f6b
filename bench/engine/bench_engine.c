/* bench-engine: one claim window of a video through dashclaim's VLM engine and through
 * llama-mtmd-cli (built from the same llama.cpp source), same frames (PPM files for the CLI),
 * same system + claim prompt, same grammar, same number of new tokens, same threads and batch.
 * Prints per-phase figures of both and the ratio of their cold single-claim wall time
 * (dashclaim: open + claim in this process; CLI: the whole process), plus dashclaim's warm
 * claim time (model loaded and the fixed prompt's KV cells computed once: what a batch of
 * claims pays per claim), with the prompt tokens each claim ran and took from the cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashclaim/claim.h"
#include "dashclaim/engine.h"
#include "dashclaim/media.h"
#include "dashclaim/sysinfo.h"

typedef struct {
    const char *model, *mmproj, *video, *cli, *label, *out;
    double start, end;
    int visual_tokens, max_frames, new_tokens, threads, runs;
    int think_tokens;    /* a reasoning model's thinking budget (-1 = the engine's default) */
    bool pairs_only;     /* skip the frame-by-frame runs (the family figures of the README) */
    bool plan_only;      /* print the frame plan and the memory after open, run no claim */
    int n_ctx_single;    /* context for the frame-by-frame runs */
    const char *family;  /* dc_vlm_family of the model */
    const dc_pcm *audio; /* the window's sound, for a model that hears */
} bench_args;

typedef struct {
    double wall_ms, encode_ms, prefill_ms, decode_ms;
    int prefill_tokens, decode_tokens, prompt_tokens, image_tokens, cached_tokens;
    int audio_tokens, thinking_tokens, kv_cells, n_ctx;
    double rss_mb;
} phase_figures;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int write_ppm(const char *path, const dc_frame *f) {
    FILE *o = fopen(path, "wb");
    if (!o) return -1;
    fprintf(o, "P6\n%d %d\n255\n", f->width, f->height);
    for (int y = 0; y < f->height; y++)
        fwrite(f->rgb + (size_t)y * (size_t)f->stride, 3, (size_t)f->width, o);
    return fclose(o);
}

static int write_text(const char *path, const char *text) {
    FILE *o = fopen(path, "wb");
    if (!o) return -1;
    fputs(text, o);
    return fclose(o);
}

static void engine_options(const bench_args *a, bool merge, dc_vlm_options *o) {
    dc_vlm_options_init(o);
    o->model_path = a->model;
    o->mmproj_path = a->mmproj;
    o->n_threads = a->threads;
    o->visual_tokens = a->visual_tokens;
    o->max_frames = a->max_frames;
    o->max_new_tokens = a->new_tokens;
    o->closing_reserve = 0; /* the CLI has no closing pressure: same sampling */
    o->no_temporal_merge = !merge;
    if (a->think_tokens >= 0) o->max_think_tokens = a->think_tokens;
    /* the same frames one by one cost twice the visual tokens of the pairs they were sized for */
    if (!merge) o->n_ctx = a->n_ctx_single;
}

/* Cold: open + first claim; then warm claims. Figures of the median warm claim. */
static int run_dashclaim(const bench_args *a, bool merge, const dc_frame_set *frames,
                         phase_figures *cold, phase_figures *warm, char **prompt) {
    dc_vlm_options o;
    engine_options(a, merge, &o);
    dc_status st = DC_STATUS_OK;
    double t0 = dc_now();
    dc_vlm *v = dc_vlm_open(&o, &st);
    if (!v) {
        fprintf(stderr, "bench-engine: %s\n", st.message);
        return -1;
    }
    double walls[16];
    int n = a->runs < 16 ? a->runs : 16;
    for (int r = 0; r <= n; r++) {
        dc_assessment as;
        dc_assessment_init(&as);
        double c0 = dc_now();
        dc_engine_context ctx = {.audio = a->audio};
        dc_vlm_assess(v, frames, &ctx, (dc_deadline){0}, &as, &st);
        double c1 = dc_now();
        const dc_vlm_claim_stats *s = dc_vlm_last_stats(v);
        phase_figures f = {.wall_ms = (c1 - c0) * 1000.0,
                           .encode_ms = s->encode_ms,
                           .prefill_ms = s->prefill_ms,
                           .decode_ms = s->decode_ms,
                           .prefill_tokens = s->prefill_tokens,
                           .decode_tokens = s->decode_tokens,
                           .prompt_tokens = s->prompt_tokens,
                           .image_tokens = s->image_tokens,
                           .cached_tokens = s->cached_prompt_tokens,
                           .audio_tokens = s->audio_tokens,
                           .thinking_tokens = s->thinking_tokens,
                           .kv_cells = s->kv_cells_used,
                           .n_ctx = dc_vlm_context_size(v),
                           .rss_mb = (double)dc_rss_bytes() / (1 << 20)};
        if (as.status == DC_CLAIM_FAILED)
            fprintf(stderr, "bench-engine: claim failed: %s\n", as.error_message);
        if (r == 0) {
            *cold = f;
            cold->wall_ms = (c1 - t0) * 1000.0;
        } else {
            walls[r - 1] = f.wall_ms;
            if (r == 1 || f.wall_ms < warm->wall_ms) *warm = f;
        }
    }
    if (n > 0) warm->wall_ms = median(walls, n);
    if (prompt) *prompt = strdup(dc_vlm_last_prompt(v));
    dc_vlm_close(v);
    return 0;
}

static double find_ms(const char *log, const char *key, int *count_out, double *sum_out) {
    double sum = 0;
    int count = 0;
    for (const char *p = strstr(log, key); p; p = strstr(p + 1, key)) {
        sum += atof(p + strlen(key));
        count++;
    }
    if (count_out) *count_out = count;
    if (sum_out) *sum_out = sum;
    return sum;
}

/* "prompt eval time =   123.45 ms /   678 tokens" */
static void perf_line(const char *log, const char *key, double *ms, int *n) {
    const char *p = strstr(log, key);
    *ms = 0;
    *n = 0;
    if (!p) return;
    p = strchr(p, '=');
    if (!p) return;
    *ms = atof(p + 1);
    const char *slash = strchr(p, '/');
    if (slash) *n = atoi(slash + 1);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b) {
        size_t got = fread(b, 1, (size_t)n, f);
        b[got] = '\0';
    }
    fclose(f);
    return b;
}

/* The text between `open` and the next "<|im_end|>" of a chatml prompt; NULL when absent. */
static char *chatml_turn(const char *prompt, const char *open) {
    const char *at = strstr(prompt, open);
    if (!at) return NULL;
    at += strlen(open);
    const char *end = strstr(at, "<|im_end|>");
    return end ? strndup(at, (size_t)(end - at)) : NULL;
}

/* 16-bit mono WAV of the samples (the CLI reads sound from files). */
static int write_wav(const char *path, const float *x, size_t n, int rate) {
    FILE *o = fopen(path, "wb");
    if (!o) return -1;
    uint32_t data = (uint32_t)(n * 2), riff = 36 + data, fmt_len = 16,
             byte_rate = (uint32_t)rate * 2;
    uint16_t pcm = 1, channels = 1, align = 2, bits = 16;
    fwrite("RIFF", 1, 4, o), fwrite(&riff, 4, 1, o), fwrite("WAVEfmt ", 1, 8, o);
    fwrite(&fmt_len, 4, 1, o), fwrite(&pcm, 2, 1, o), fwrite(&channels, 2, 1, o);
    fwrite(&rate, 4, 1, o), fwrite(&byte_rate, 4, 1, o), fwrite(&align, 2, 1, o);
    fwrite(&bits, 2, 1, o), fwrite("data", 1, 4, o), fwrite(&data, 4, 1, o);
    for (size_t i = 0; i < n; i++) {
        float v = x[i] < -1 ? -1 : x[i] > 1 ? 1 : x[i];
        int16_t q = (int16_t)(v * 32767.0f);
        fwrite(&q, 2, 1, o);
    }
    return fclose(o);
}

/* The CLI gets the words of dashclaim's frame-by-frame prompt (`prompt`, chat-formatted by the
 * engine: its system and user turns, whatever the family writes between the frames), the same
 * frames as PPM files and, for a model that hears, the same sound as a WAV file. */
static int run_cli(const bench_args *a, const dc_frame_set *frames, const char *prompt,
                   phase_figures *fig) {
    char path[2048], cmd[16384];
    char *user = chatml_turn(prompt, "<|im_start|>user\n");
    char *system_text = chatml_turn(prompt, "<|im_start|>system\n");
    if (!user || !system_text) {
        fprintf(stderr, "bench-engine: the engine's prompt is not chatml\n");
        free(user), free(system_text);
        return -1;
    }
    char images[8192] = "";
    for (int i = 0; i < frames->count; i++) {
        snprintf(path, sizeof(path), "%s/frame%02d.ppm", a->out, i);
        if (write_ppm(path, &frames->frames[i]) != 0) return -1;
        size_t il = strlen(images);
        snprintf(images + il, sizeof(images) - il, " --image '%s'", path);
    }
    if (strstr(user, "The sound of the same moments") && a->audio) {
        snprintf(path, sizeof(path), "%s/sound.wav", a->out);
        size_t n = a->audio->count;
        size_t most = (size_t)(DC_VLM_MAX_AUDIO_SEC * a->audio->rate);
        if (write_wav(path, a->audio->samples, n < most ? n : most, a->audio->rate) != 0) return -1;
        size_t il = strlen(images);
        snprintf(images + il, sizeof(images) - il, " --audio '%s'", path);
    }
    char user_path[2048], sys_path[2048], gram_path[2048], log_path[2048];
    snprintf(user_path, sizeof(user_path), "%s/user.txt", a->out);
    snprintf(sys_path, sizeof(sys_path), "%s/system.txt", a->out);
    snprintf(gram_path, sizeof(gram_path), "%s/answer.gbnf", a->out);
    snprintf(log_path, sizeof(log_path), "%s/cli.log", a->out);
    char *grammar = dc_model_output_grammar();
    write_text(user_path, user);
    write_text(sys_path, system_text ? system_text : "");
    write_text(gram_path, grammar);
    free(system_text);
    free(grammar);
    free(user);
    int n_batch = a->n_ctx_single < 2048 ? a->n_ctx_single : 2048;
    int cmd_len =
        snprintf(cmd, sizeof(cmd),
                 "'%s' -m '%s' --mmproj '%s'%s -sys \"$(cat '%s')\" -p \"$(cat '%s')\" -n %d "
                 "--temp 0 -t %d -c %d -b %d -ub %d --grammar-file '%s' --perf -lv 4 > '%s' 2>&1",
                 a->cli, a->model, a->mmproj, images, sys_path, user_path, a->new_tokens,
                 a->threads, a->n_ctx_single, n_batch, n_batch, gram_path, log_path);
    if (cmd_len < 0 || cmd_len >= (int)sizeof(cmd)) {
        fprintf(stderr, "bench-engine: command line too long (paths under %s)\n", a->out);
        return -1;
    }
    double walls[16];
    int n = a->runs < 16 ? a->runs : 16;
    for (int r = 0; r < n; r++) {
        double t0 = dc_now();
        int rc = system(cmd);
        walls[r] = (dc_now() - t0) * 1000.0;
        if (rc != 0) {
            fprintf(stderr, "bench-engine: llama-mtmd-cli failed (log %s)\n", log_path);
            return -1;
        }
    }
    char *log = read_file(log_path);
    if (!log) return -1;
    memset(fig, 0, sizeof(*fig));
    fig->wall_ms = median(walls, n);
    double older = 0;
    find_ms(log, "mtmd batch encoding done in ", NULL, &fig->encode_ms);
    find_ms(log, "image slice encoded in ", NULL, &older);
    fig->encode_ms += older;
    perf_line(log, "prompt eval time", &fig->prefill_ms, &fig->prefill_tokens);
    perf_line(log, "       eval time", &fig->decode_ms, &fig->decode_tokens);
    free(log);
    return 0;
}

static void print_row(const char *who, const phase_figures *f, bool engine) {
    char prompt[16] = "-", cached[16] = "-";
    if (engine) {
        snprintf(prompt, sizeof(prompt), "%d", f->prompt_tokens);
        snprintf(cached, sizeof(cached), "%d", f->cached_tokens);
    }
    printf("| %-28s | %6s | %6s | %7d | %9.0f | %10.1f | %9.2f | %10.0f |\n", who, prompt, cached,
           f->prefill_tokens, f->encode_ms,
           f->prefill_ms > 0 ? 1000.0 * f->prefill_tokens / f->prefill_ms : 0,
           f->decode_ms > 0 ? 1000.0 * f->decode_tokens / f->decode_ms : 0, f->wall_ms);
}

int main(int argc, char **argv) {
    bench_args a = {.label = "model",
                    .out = "bench-engine-out",
                    .start = 3,
                    .end = 7,
                    .visual_tokens = 256,
                    .max_frames = 4,
                    .new_tokens = 64,
                    .threads = 2,
                    .runs = 3,
                    .think_tokens = -1};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--model")) a.model = v;
        else if (!strcmp(k, "--mmproj")) a.mmproj = v;
        else if (!strcmp(k, "--video")) a.video = v;
        else if (!strcmp(k, "--cli")) a.cli = v;
        else if (!strcmp(k, "--label")) a.label = v;
        else if (!strcmp(k, "--out")) a.out = v;
        else if (!strcmp(k, "--start")) a.start = atof(v);
        else if (!strcmp(k, "--end")) a.end = atof(v);
        else if (!strcmp(k, "--visual-tokens")) a.visual_tokens = atoi(v);
        else if (!strcmp(k, "--max-frames")) a.max_frames = atoi(v);
        else if (!strcmp(k, "--new-tokens")) a.new_tokens = atoi(v);
        else if (!strcmp(k, "--threads")) a.threads = atoi(v);
        else if (!strcmp(k, "--runs")) a.runs = atoi(v);
        else if (!strcmp(k, "--think-tokens")) a.think_tokens = atoi(v);
        else if (!strcmp(k, "--pairs-only")) a.pairs_only = atoi(v) != 0;
        else if (!strcmp(k, "--plan-only")) a.plan_only = atoi(v) != 0;
        else {
            fprintf(stderr, "bench-engine: unknown option %s\n", k);
            return 2;
        }
    }
    if (!a.model || !a.mmproj || !a.video || a.runs < 1) {
        fprintf(stderr, "usage: bench-engine --model M --mmproj P --video V --cli llama-mtmd-cli "
                        "[--label L] [--out DIR] [--start S --end E] [--visual-tokens N] "
                        "[--max-frames N] [--new-tokens N] [--threads T] [--runs R] "
                        "[--think-tokens N] [--pairs-only 1] [--plan-only 1]\n");
        return 2;
    }
    mkdir(a.out, 0755);
    dc_status st = DC_STATUS_OK;
    dc_vlm_options o;
    engine_options(&a, true, &o);
    dc_vlm *plan_engine = dc_vlm_open(&o, &st);
    if (!plan_engine) {
        fprintf(stderr, "bench-engine: %s\n", st.message);
        return 1;
    }
    dc_media *m = dc_media_open(a.video, (dc_deadline){0}, &st);
    if (!m) {
        fprintf(stderr, "bench-engine: %s\n", st.message);
        return 1;
    }
    dc_sample_request req;
    dc_frame_plan plan;
    dc_frame_set frames = {0};
    const dc_media_info *info = dc_media_get_info(m);
    if (dc_vlm_frame_request(plan_engine, a.start, a.end, info->width, info->height, &req, &plan,
                             &st) != DC_OK ||
        dc_frames_sample(m, &req, (dc_deadline){0}, &frames, &st) != DC_OK) {
        fprintf(stderr, "bench-engine: %s\n", st.message);
        return 1;
    }
    /* a model that hears gets the window's sound, as the pipeline gives it */
    a.family = dc_vlm_family(plan_engine);
    dc_pcm pcm = {0};
    if (dc_vlm_hears(plan_engine) &&
        dc_media_audio(m, a.start, a.end, dc_vlm_audio_rate(plan_engine), (dc_deadline){0}, &pcm,
                       &st) == DC_OK)
        a.audio = &pcm;
    dc_media_close(m);
    int n_ctx = dc_vlm_context_size(plan_engine);
    a.n_ctx_single = (n_ctx + plan.visual_tokens + 255) / 256 * 256;
    if (a.plan_only) {
        /* what a claim at this budget costs before it runs: the README's family table */
        printf("%s (family %s): %d frames %dx%d, %d visual tokens (%d per pair), prompt about "
               "%d tokens, KV cells %d at most of %d, RSS after open %.0f MiB\n",
               a.label, a.family, plan.frames, plan.width, plan.height, plan.visual_tokens,
               plan.tokens_per_pair, plan.prompt_tokens, plan.kv_cells, n_ctx,
               (double)dc_rss_bytes() / (1 << 20));
        dc_vlm_close(plan_engine);
        dc_pcm_free(&pcm);
        dc_frame_set_free(&frames);
        return 0;
    }
    dc_vlm_close(plan_engine);

    phase_figures merged_cold, merged_warm, single_cold = {0}, single_warm = {0}, cli = {0};
    char *single_prompt = NULL;
    if (a.pairs_only) a.cli = NULL; /* the CLI's work is the frame-by-frame run */
    if (run_dashclaim(&a, true, &frames, &merged_cold, &merged_warm, NULL) != 0 ||
        (!a.pairs_only &&
         run_dashclaim(&a, false, &frames, &single_cold, &single_warm, &single_prompt) != 0) ||
        (a.cli && run_cli(&a, &frames, single_prompt, &cli) != 0))
        return 1;
    free(single_prompt);

    printf("\n%s (family %s): %d frames %dx%d, %d new tokens, %d threads, median of %d runs\n",
           a.label, a.family, frames.count, frames.frames[0].width, frames.frames[0].height,
           a.new_tokens, a.threads, a.runs);
    printf("| %-28s | prompt | cached | prefill | encode ms | prefill t/s | decode t/s | "
           "total ms |\n",
           "run");
    printf("|------------------------------|--------|--------|---------|-----------|------------|--"
           "---------|------------|\n");
    if (a.cli) print_row("llama-mtmd-cli (process)", &cli, false);
    if (!a.pairs_only) {
        print_row("dashclaim per-frame, cold", &single_cold, true);
        print_row("dashclaim per-frame, warm", &single_warm, true);
    }
    print_row("dashclaim pairs, cold", &merged_cold, true);
    print_row("dashclaim pairs, warm", &merged_warm, true);
    printf("prefill tokens per claim (pairs): cold %d, warm %d (visual %d, warm - visual = %d; "
           "%d from the cache)\n",
           merged_cold.prefill_tokens, merged_warm.prefill_tokens, merged_warm.image_tokens,
           merged_warm.prefill_tokens - merged_warm.image_tokens, merged_warm.cached_tokens);
    if (a.cli) {
        printf("same work (frames one by one), cold: dashclaim / CLI = %.3f (target <= 1.05)\n",
               single_cold.wall_ms / cli.wall_ms);
        printf("per claim in a batch (warm, frames one by one): dashclaim / CLI = %.3f\n",
               single_warm.wall_ms / cli.wall_ms);
        printf("per claim in a batch (warm, pairs): dashclaim / CLI = %.3f (goal <= 0.4)\n",
               merged_warm.wall_ms / cli.wall_ms);
    }
    printf("image tokens: per-frame %d, pairs %d; audio tokens %d; thinking tokens %d\n",
           single_warm.image_tokens, merged_warm.image_tokens, merged_warm.audio_tokens,
           merged_warm.thinking_tokens);
    printf("family figures (pairs, warm claim): prompt tokens %d, KV cells used %d of %d, RSS "
           "%.0f MiB, %.1f s per claim (cold %.1f s with the model load)\n",
           merged_warm.prompt_tokens, merged_warm.kv_cells, merged_warm.n_ctx, merged_warm.rss_mb,
           merged_warm.wall_ms / 1000.0, merged_cold.wall_ms / 1000.0);
    dc_pcm_free(&pcm);
    dc_frame_set_free(&frames);
    return 0;
}
