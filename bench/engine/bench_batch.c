/* bench-batch: claims per hour, decode tokens/s and per-claim latency of dashclaim's batched
 * VLM engine (dc_vlm_batch) at batch 1, 2, 4, 8, against llama-server (same llama.cpp build,
 * --parallel N, the same prompt text, frames, grammar and token count through its HTTP API)
 * and llama-batched-bench (the same model and threads: the machine's decode rate at each
 * batch), all in one run. See README.md in this folder.
 *
 * Same work on both sides: dashclaim runs frame by frame (no temporal merge: the server
 * encodes each image alone), greedy, no closing pressure, each answer forced to exactly
 * --answer-tokens tokens (the server: n_predict and ignore_eos). N claims are submitted at
 * once for batch N; latency is from submission to the claim's end. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dashclaim/claim.h"
#include "dashclaim/engine.h"
#include "dashclaim/media.h"
#include "dashclaim/str.h"
#include "dashclaim/sysinfo.h"

enum { MAX_WIDTHS = 8, N_WINDOWS = 4, MAX_CLAIMS = 64 };

typedef struct {
    const char *model, *mmproj, *video, *server, *bbench, *out;
    int threads, answer_tokens, visual_tokens, max_frames, port;
    bool per_frame; /* every frame its own image (as the server), else temporal pairs */
    int widths[MAX_WIDTHS], n_widths;
} args;

typedef struct {
    double claims_per_hour, decode_tps, full_width_tps, latency_s, wall_s;
    int tokens;
    bool ok;
} figures;

static dc_frame_set windows[N_WINDOWS];
/* each window's claim alone (dc_vlm_assess): every claim of a batch is compared with it */
static char *alone_out[N_WINDOWS];
static double alone_probs[N_WINDOWS][DC_SEVERITY_COUNT];
static int compared, same_answers;
static double largest_prob_diff;

/* ---- dashclaim --------------------------------------------------------------------------- */

static void engine_options(const args *a, int max_batch, dc_vlm_options *o) {
    dc_vlm_options_init(o);
    o->model_path = a->model;
    o->mmproj_path = a->mmproj;
    o->n_threads = a->threads;
    o->visual_tokens = a->visual_tokens;
    o->max_frames = a->max_frames;
    o->max_new_tokens = a->answer_tokens;
    o->closing_reserve = 0;              /* no closing pressure: the server has none */
    o->no_temporal_merge = a->per_frame; /* the server encodes every image alone */
    o->max_batch = max_batch;
}

static char *prompt_text; /* the prompt of window 0 (the server gets the same words) */

static int run_dashclaim(const args *a, dc_vlm *v, int n, figures *r) {
    dc_status st = DC_STATUS_OK;
    dc_vlm_batch *b = dc_vlm_batch_open(v, n, &st);
    if (!b) {
        fprintf(stderr, "bench-batch: %s\n", st.message);
        return -1;
    }
    dc_assessment recs[MAX_CLAIMS];
    dc_engine_context ctx[MAX_CLAIMS];
    const double t0 = dc_now();
    for (int i = 0; i < n; i++) {
        dc_assessment_init(&recs[i]);
        ctx[i] = (dc_engine_context){.claim_id = "bench", .duration_sec = 10.0};
        dc_vlm_job j = {.frames = &windows[i % N_WINDOWS],
                        .ctx = &ctx[i],
                        .out = &recs[i],
                        .user = (void *)(intptr_t)(i % N_WINDOWS)};
        dc_vlm_batch_submit(b, &j, &st);
    }
    int left = n, tokens = 0;
    double latency = 0, t_end = t0;
    while (left > 0) {
        int pending = dc_vlm_batch_step(b);
        dc_vlm_done d[MAX_CLAIMS];
        int got = dc_vlm_batch_collect(b, d, MAX_CLAIMS);
        for (int k = 0; k < got; k++, left--) {
            t_end = dc_now();
            latency += t_end - t0;
            tokens += d[k].stats.generated_tokens;
            const int w = (int)(intptr_t)d[k].user;
            compared++;
            if (d[k].output && !strcmp(d[k].output, alone_out[w])) {
                same_answers++;
                for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
                    double diff = d[k].out->severity_probs[s] - alone_probs[w][s];
                    if (diff < 0) diff = -diff;
                    if (diff > largest_prob_diff) largest_prob_diff = diff;
                }
            }
            if (d[k].stats.generated_tokens != a->answer_tokens)
                fprintf(stderr, "bench-batch: a claim generated %d tokens (%s)\n",
                        d[k].stats.generated_tokens, d[k].status.message);
            free(d[k].output);
        }
        if (pending == 0) break;
    }
    double all_ms = 0, full_ms = 0;
    int all_tokens = 0;
    for (int w = 1; w <= n; w++) {
        double ms;
        int steps = dc_vlm_batch_decode_steps(b, w, &ms);
        all_ms += ms;
        all_tokens += w * steps;
        if (w == n) full_ms = ms > 0 ? (double)w * steps / (ms / 1000.0) : 0;
    }
    dc_vlm_batch_close(b);
    r->wall_s = t_end - t0;
    r->claims_per_hour = 3600.0 * n / r->wall_s;
    r->decode_tps = all_ms > 0 ? all_tokens / (all_ms / 1000.0) : 0;
    r->full_width_tps = full_ms;
    r->latency_s = latency / n;
    r->tokens = tokens;
    r->ok = true;
    return 0;
}

/* ---- llama-server through its HTTP API ---------------------------------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void append_base64(dc_str *s, const uint8_t *p, size_t n) {
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        q[0] = b64chars[(v >> 18) & 63];
        q[1] = b64chars[(v >> 12) & 63];
        q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? b64chars[v & 63] : '=';
        dc_str_appendn(s, q, 4);
    }
}

static void append_json_string(dc_str *s, const char *t) {
    dc_str_append(s, "\"");
    for (; *t; t++) {
        unsigned char c = (unsigned char)*t;
        if (c == '"' || c == '\\') dc_str_appendf(s, "\\%c", c);
        else if (c == '\n') dc_str_append(s, "\\n");
        else if (c < 0x20) dc_str_appendf(s, "\\u%04x", c);
        else dc_str_appendn(s, (const char *)&c, 1);
    }
    dc_str_append(s, "\"");
}

/* A frame as a PPM file (libmtmd reads it with stb_image, as for llama-mtmd-cli's --image). */
static void append_ppm_base64(dc_str *s, const dc_frame *f) {
    char head[64];
    int hn = snprintf(head, sizeof(head), "P6\n%d %d\n255\n", f->width, f->height);
    size_t row = (size_t)f->width * 3, n = (size_t)hn + row * (size_t)f->height;
    uint8_t *buf = malloc(n);
    if (!buf) return;
    memcpy(buf, head, (size_t)hn);
    for (int y = 0; y < f->height; y++)
        memcpy(buf + hn + row * (size_t)y, f->rgb + (size_t)f->stride * (size_t)y, row);
    append_base64(s, buf, n);
    free(buf);
}

static char *request_body(const args *a, const dc_frame_set *fs, const char *grammar) {
    dc_str s = {0};
    dc_str_append(&s, "{\"prompt\":{\"prompt_string\":");
    append_json_string(&s, prompt_text);
    dc_str_append(&s, ",\"multimodal_data\":[");
    for (int i = 0; i < fs->count; i++) {
        dc_str_append(&s, i ? ",\"" : "\"");
        append_ppm_base64(&s, &fs->frames[i]);
        dc_str_append(&s, "\"");
    }
    /* the answer prefix is part of what the engine decodes before generating */
    dc_str_appendf(&s,
                   "]},\"n_predict\":%d,\"temperature\":0,\"ignore_eos\":true,"
                   "\"cache_prompt\":true,\"grammar\":",
                   a->answer_tokens);
    append_json_string(&s, grammar);
    dc_str_append(&s, "}");
    return dc_str_finish(&s);
}

static int http(int port, const char *method, const char *path, const char *body, char **reply) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    dc_str req = {0};
    size_t blen = body ? strlen(body) : 0;
    dc_str_appendf(&req,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                   method, path, blen);
    if (body) dc_str_append(&req, body);
    const char *p = dc_str_text(&req);
    size_t left = req.len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) break;
        p += w;
        left -= (size_t)w;
    }
    dc_str_free(&req);
    dc_str rep = {0};
    char buf[65536];
    for (ssize_t r; (r = read(fd, buf, sizeof(buf))) > 0;) dc_str_appendn(&rep, buf, (size_t)r);
    close(fd);
    int code = 0;
    sscanf(dc_str_text(&rep), "HTTP/1.1 %d", &code);
    if (reply) *reply = dc_str_finish(&rep);
    else dc_str_free(&rep);
    return code;
}

typedef struct {
    int port;
    const char *body;
    double t0, t_end;
    int predicted;
    double predicted_ms;
    int code;
} request;

static double json_number(const char *text, const char *key) {
    const char *p = text ? strstr(text, key) : NULL;
    return p ? atof(p + strlen(key)) : 0;
}

static void *send_request(void *arg) {
    request *r = arg;
    char *reply = NULL;
    r->code = http(r->port, "POST", "/completion", r->body, &reply);
    r->t_end = dc_now();
    r->predicted = (int)json_number(reply, "\"predicted_n\":");
    r->predicted_ms = json_number(reply, "\"predicted_ms\":");
    if (r->code != 200)
        fprintf(stderr, "bench-batch: server answered %d: %.300s\n", r->code, reply ? reply : "");
    free(reply);
    return NULL;
}

static pid_t start_server(const args *a, int n, int n_ctx) {
    char ctx[32], par[16], thr[16], port[16];
    snprintf(ctx, sizeof(ctx), "%d", n_ctx * n);
    snprintf(par, sizeof(par), "%d", n);
    snprintf(thr, sizeof(thr), "%d", a->threads);
    snprintf(port, sizeof(port), "%d", a->port);
    pid_t pid = fork();
    if (pid == 0) {
        char log[1200];
        snprintf(log, sizeof(log), "%s/llama-server-%d.log", a->out, n);
        if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(127);
        execl(a->server, a->server, "-m", a->model, "--mmproj", a->mmproj, "-t", thr, "-tb", thr,
              "-c", ctx, "--parallel", par, "--port", port, "--host", "127.0.0.1", "-b", "2048",
              "-ub", "2048", "--no-warmup", "--no-webui", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) { /* the model loads: up to 5 minutes on a loaded machine */
        usleep(500000);
        if (http(a->port, "GET", "/health", NULL, NULL) == 200) return pid;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return -1;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
}

static void stop_server(pid_t pid) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static int run_server(const args *a, int n, int n_ctx, const char *grammar, figures *r) {
    pid_t pid = start_server(a, n, n_ctx);
    if (pid < 0) {
        fprintf(stderr, "bench-batch: llama-server did not start (see %s/llama-server-%d.log)\n",
                a->out, n);
        return -1;
    }
    /* one request first: the server's prompt cache gets the fixed prompt, as the engine's does */
    char *warm = request_body(a, &windows[0], grammar);
    request w = {.port = a->port, .body = warm};
    send_request(&w);
    request reqs[MAX_CLAIMS];
    char *bodies[MAX_CLAIMS];
    pthread_t th[MAX_CLAIMS];
    const double t0 = dc_now();
    for (int i = 0; i < n; i++) {
        bodies[i] = request_body(a, &windows[i % N_WINDOWS], grammar);
        reqs[i] = (request){.port = a->port, .body = bodies[i], .t0 = t0};
        pthread_create(&th[i], NULL, send_request, &reqs[i]);
    }
    double latency = 0, t_end = t0, pred_ms = 0;
    int tokens = 0, ok = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        free(bodies[i]);
        ok += reqs[i].code == 200;
        latency += reqs[i].t_end - t0;
        if (reqs[i].t_end > t_end) t_end = reqs[i].t_end;
        tokens += reqs[i].predicted;
        if (reqs[i].predicted_ms > pred_ms) pred_ms = reqs[i].predicted_ms;
    }
    free(warm);
    stop_server(pid);
    r->wall_s = t_end - t0;
    r->claims_per_hour = 3600.0 * n / r->wall_s;
    /* the slots decode together: all tokens over the longest slot's decode time */
    r->decode_tps = pred_ms > 0 ? tokens / (pred_ms / 1000.0) : 0;
    r->latency_s = latency / n;
    r->tokens = tokens;
    r->ok = ok == n;
    return 0;
}

/* ---- llama-batched-bench ------------------------------------------------------------------ */

static int run_batched_bench(const args *a, int prompt_tokens, figures *rows) {
    char cmd[4096], list[64] = "";
    size_t len = 0;
    int most = 1;
    for (int k = 0; k < a->n_widths; k++) {
        len += (size_t)snprintf(list + len, sizeof(list) - len, k ? ",%d" : "%d", a->widths[k]);
        if (a->widths[k] > most) most = a->widths[k];
    }
    /* the prompt shared (-pps) as the engine's fixed prompt is; a stream per sequence */
    snprintf(cmd, sizeof(cmd),
             "\"%s\" -m \"%s\" -t %d -tb %d -c %d -b 2048 -ub 2048 -npp %d -ntg %d -npl %s -pps "
             "--output-format jsonl 2>\"%s/batched-bench.log\"",
             a->bbench, a->model, a->threads, a->threads,
             (most + 1) * (prompt_tokens + a->answer_tokens + 256), prompt_tokens, a->answer_tokens,
             list, a->out);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[2048];
    while (fgets(line, sizeof(line), p)) {
        int pl = (int)json_number(line, "\"pl\": ");
        for (int k = 0; k < a->n_widths; k++) {
            if (a->widths[k] != pl) continue;
            rows[k].decode_tps = json_number(line, "\"speed_tg\": ");
            rows[k].ok = true;
        }
    }
    return pclose(p) == 0 ? 0 : -1;
}

/* ---- main ---------------------------------------------------------------------------------- */

static double load_average(void) {
    double l = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &l) != 1) l = 0;
    if (f) fclose(f);
    return l;
}

int main(int argc, char **argv) {
    args a = {.threads = 2,
              .answer_tokens = 320,
              .visual_tokens = 128,
              .max_frames = 4,
              .port = 18093,
              .per_frame = true,
              .out = "bench-batch-out",
              .widths = {1, 2, 4, 8},
              .n_widths = 4};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--model")) a.model = v;
        else if (!strcmp(k, "--mmproj")) a.mmproj = v;
        else if (!strcmp(k, "--video")) a.video = v;
        else if (!strcmp(k, "--server")) a.server = v;
        else if (!strcmp(k, "--batched-bench")) a.bbench = v;
        else if (!strcmp(k, "--out")) a.out = v;
        else if (!strcmp(k, "--threads")) a.threads = atoi(v);
        else if (!strcmp(k, "--answer-tokens")) a.answer_tokens = atoi(v);
        else if (!strcmp(k, "--visual-tokens")) a.visual_tokens = atoi(v);
        else if (!strcmp(k, "--max-frames")) a.max_frames = atoi(v);
        else if (!strcmp(k, "--port")) a.port = atoi(v);
        else if (!strcmp(k, "--per-frame")) a.per_frame = atoi(v) != 0;
        else if (!strcmp(k, "--batches")) {
            a.n_widths = 0;
            for (char *s = (char *)v; *s && a.n_widths < MAX_WIDTHS;) {
                int w = (int)strtol(s, &s, 10);
                if (w >= 1 && w <= MAX_CLAIMS) a.widths[a.n_widths++] = w;
                if (*s == ',') s++;
                else break;
            }
        } else {
            fprintf(stderr, "bench-batch: unknown option %s\n", k);
            return 2;
        }
    }
    if (!a.model || !a.mmproj || !a.video || a.n_widths == 0 || a.answer_tokens < 16) {
        fprintf(stderr, "usage: bench-batch --model M --mmproj P --video V [--server llama-server] "
                        "[--batched-bench llama-batched-bench] [--threads T] "
                        "[--answer-tokens N] [--batches 1,2,4,8] [--visual-tokens N] "
                        "[--max-frames N] [--per-frame 0|1] [--port P] [--out DIR]\n");
        return 2;
    }
    mkdir(a.out, 0755);
    int most = 1;
    for (int k = 0; k < a.n_widths; k++)
        if (a.widths[k] > most) most = a.widths[k];
    dc_vlm_options o;
    engine_options(&a, most, &o);
    dc_status st = DC_STATUS_OK;
    dc_vlm *v = dc_vlm_open(&o, &st);
    if (!v) {
        fprintf(stderr, "bench-batch: %s\n", st.message);
        return 1;
    }
    dc_media *m = dc_media_open(a.video, (dc_deadline){0}, &st);
    if (!m) {
        fprintf(stderr, "bench-batch: %s\n", st.message);
        return 1;
    }
    const dc_media_info *info = dc_media_get_info(m);
    const double starts[N_WINDOWS] = {3.0, 0.0, 5.0, 1.5};
    for (int w = 0; w < N_WINDOWS; w++) {
        dc_sample_request req;
        if (dc_vlm_frame_request(v, starts[w], starts[w] + 4.0, info->width, info->height, &req,
                                 NULL, &st) != DC_OK ||
            dc_frames_sample(m, &req, (dc_deadline){0}, &windows[w], &st) != DC_OK) {
            fprintf(stderr, "bench-batch: %s\n", st.message);
            return 1;
        }
    }
    dc_media_close(m);
    /* a warm claim: the fixed prompt's cells computed once, as in a service */
    dc_assessment warm;
    dc_assessment_init(&warm);
    dc_engine_context wctx = {.claim_id = "bench", .duration_sec = 10.0};
    dc_vlm_assess(v, &windows[0], &wctx, (dc_deadline){0}, &warm, &st);
    prompt_text = strdup(dc_vlm_last_prompt(v));
    const int prompt_tokens = dc_vlm_last_stats(v)->prompt_tokens;
    for (int w = 0; w < N_WINDOWS; w++) {
        if (w > 0) {
            dc_assessment_init(&warm);
            dc_vlm_assess(v, &windows[w], &wctx, (dc_deadline){0}, &warm, &st);
        }
        alone_out[w] = strdup(dc_vlm_last_output(v));
        memcpy(alone_probs[w], warm.severity_probs, sizeof(alone_probs[w]));
    }

    figures ours[MAX_WIDTHS] = {{0}}, server[MAX_WIDTHS] = {{0}}, ref[MAX_WIDTHS] = {{0}};
    for (int k = 0; k < a.n_widths; k++) {
        double l0 = load_average();
        if (run_dashclaim(&a, v, a.widths[k], &ours[k]) != 0) return 1;
        fprintf(stderr, "bench-batch: dashclaim batch %d: %.1f s (load %.1f)\n", a.widths[k],
                ours[k].wall_s, l0);
    }
    const int n_ctx = dc_vlm_context_size(v);
    char device[64];
    snprintf(device, sizeof(device), "%s", dc_vlm_device_name(v));
    dc_vlm_close(v);
    char *grammar = dc_model_output_grammar();
    if (a.server && grammar)
        for (int k = 0; k < a.n_widths; k++) {
            if (run_server(&a, a.widths[k], n_ctx, grammar, &server[k]) != 0) break;
            fprintf(stderr, "bench-batch: llama-server --parallel %d: %.1f s\n", a.widths[k],
                    server[k].wall_s);
        }
    free(grammar);
    if (a.bbench && run_batched_bench(&a, prompt_tokens, ref) != 0)
        fprintf(stderr, "bench-batch: llama-batched-bench failed (see %s/batched-bench.log)\n",
                a.out);

    printf("\nbatch table: %d prompt tokens per claim (%d frames, %s), %d answer tokens, %d "
           "threads, device %s\n",
           prompt_tokens, windows[0].count, a.per_frame ? "one by one" : "in temporal pairs",
           a.answer_tokens, a.threads, device);
    printf("| batch | dashclaim claims/h | server claims/h | dashclaim decode t/s (all steps / "
           "full width) | server decode t/s | batched-bench decode t/s | dashclaim / "
           "batched-bench | dashclaim latency s | server latency s |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < a.n_widths; k++) {
        printf("| %d | %.0f | ", a.widths[k], ours[k].claims_per_hour);
        if (server[k].ok) printf("%.0f | ", server[k].claims_per_hour);
        else printf("- | ");
        printf("%.2f / %.2f | ", ours[k].decode_tps, ours[k].full_width_tps);
        if (server[k].ok) printf("%.2f | ", server[k].decode_tps);
        else printf("- | ");
        if (ref[k].ok)
            printf("%.2f | %.3f | ", ref[k].decode_tps, ours[k].full_width_tps / ref[k].decode_tps);
        else printf("- | - | ");
        printf("%.1f | ", ours[k].latency_s);
        if (server[k].ok) printf("%.1f |\n", server[k].latency_s);
        else printf("- |\n");
    }
    for (int k = 0; k < a.n_widths; k++)
        if (a.widths[k] == 4 && a.widths[0] == 1)
            printf("latency at batch 4 / batch 1: %.2f (target <= 2.5)\n",
                   ours[k].latency_s / ours[0].latency_s);
    printf("answers: %d of %d claims in a batch gave the answer of their window alone (same "
           "text); largest severity probability difference %.3g (0 also when no answer "
           "parsed: a forced length cuts the JSON)\n",
           same_answers, compared, largest_prob_diff);
    free(prompt_text);
    for (int w = 0; w < N_WINDOWS; w++) free(alone_out[w]);
    for (int w = 0; w < N_WINDOWS; w++) dc_frame_set_free(&windows[w]);
    return 0;
}
