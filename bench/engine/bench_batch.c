/* bench-batch: claims per hour, decode tokens/s and per-claim latency of dashclaim's batched
 * VLM engine (dc_vlm_batch) at batch 1, 2, 4, 8, against llama-server (same llama.cpp build,
 * --parallel N, the same prompt text, frames, grammar and token count through its HTTP API)
 * and llama-batched-bench (the same model and threads: the machine's decode rate at each
 * batch), all in one run, the three alternating batch size by batch size so that a change of
 * the machine's load falls on all three. See README.md in this folder.
 *
 * Same work on both sides: dashclaim runs frame by frame (no temporal merge: the server
 * encodes each image alone), greedy, no closing pressure, each answer forced to exactly
 * --answer-tokens tokens (the server: n_predict and ignore_eos; by default the token count of
 * a typical claim's canonical answer). At batch N the client keeps N claims in flight (a new
 * one is submitted as one ends) until the width's claims are done; a claim's latency is from
 * its submission to its answer.
 *
 * Same answers: the batch-1 row runs each window's claim alone; every claim of a wider batch
 * is compared with the claim of its window alone (the same text, the severity probabilities). */
#include <arpa/inet.h>
#include <llama.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <math.h>
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

enum { MAX_WIDTHS = 8, MAX_WINDOWS = 16, MAX_CLAIMS = 64 };

typedef struct {
    const char *model, *mmproj, *video, *server, *bbench, *out;
    int threads, answer_tokens, visual_tokens, max_frames, port, n_windows;
    bool per_frame; /* every frame its own image (as the server), else temporal pairs */
    int widths[MAX_WIDTHS], n_widths;
    int claims[MAX_WIDTHS], n_claims; /* dashclaim's claims at each width (default: the width;
                                         the batch-1 row: one per window) */
    int server_claims[MAX_WIDTHS], n_server_claims; /* the server's (default: the width) */
    int same_extra; /* more claims at the widest batch after the table, for the answers only */
    int rows;       /* dc_vlm_options.batch_rows (0: the engine's choice) */
} args;

typedef struct {
    double claims_per_hour, decode_tps, full_width_tps, latency_s, wall_s, load_before, load_after;
    double grammar_ms_per_token, full_passes_per_claim; /* dashclaim: the answer grammar's cost */
    int tokens, claims, short_answers;
    int compared, same; /* dashclaim rows wider than 1: claims compared with their window alone */
    int same_bits;      /* of those, the same answer-token logit sum to the bit */
    bool ok;
} figures;

static dc_frame_set windows[MAX_WINDOWS];
/* each window's claim alone (the batch-1 row): every claim of a wider batch is compared with it */
static char *alone_out[MAX_WINDOWS];
static double alone_probs[MAX_WINDOWS][DC_SEVERITY_COUNT];
static double alone_logit_sum[MAX_WINDOWS]; /* dc_vlm_claim_stats.answer_logit_sum alone */
static dc_severity alone_severity[MAX_WINDOWS];
static int compared, same_answers, same_severity, same_bits;
static double largest_logit_sum_diff;
static double largest_prob_diff;

static double load_average(void) {
    double l = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &l) != 1) l = 0;
    if (f) fclose(f);
    return l;
}

/* ---- the answer's length: a typical claim's canonical answer ------------------------------ */

/* A rear-end collision as a careful model would describe it: every field of the schema, two
 * hazards, three pieces of evidence and a reasoning of a few sentences. */
static void typical_claim(dc_assessment *a) {
    dc_assessment_init(a);
    a->severity = DC_SEVERITY_HIGH;
    a->scenario = DC_SCENARIO_REAR_END;
    a->facts = (dc_facts){.contact = DC_TRI_YES,
                          .ego_action = DC_ACTION_BRAKING,
                          .other_action = DC_ACTION_GOING_STRAIGHT,
                          .other_position = DC_POSITION_BEHIND,
                          .traffic_signal = DC_SIGNAL_RED,
                          .other_signal = DC_SIGNAL_RED,
                          .ego_right_of_way = DC_TRI_YES,
                          .other_braked_suddenly = DC_TRI_NO,
                          .brake_cause_visible = DC_TRI_YES,
                          .ego_speeding = DC_TRI_NO,
                          .speed_kmh = 32,
                          .other_positioned_before = DC_TRI_NO,
                          .actor_count = 2,
                          .actors = {DC_ACTOR_CAR, DC_ACTOR_TRUCK},
                          .road = DC_ROAD_INTERSECTION,
                          .weather = DC_WEATHER_CLEAR,
                          .light = DC_LIGHT_DAY,
                          .visibility = DC_VISIBILITY_GOOD};
    a->hazard_count = 2;
    a->hazards[0] = (dc_hazard){.type = DC_HAZARD_SUDDEN_BRAKING, .t_sec = 3.6};
    a->hazards[1] = (dc_hazard){.type = DC_HAZARD_TAILGATING,
                                .actor_count = 1,
                                .actors = {DC_ACTOR_TRUCK},
                                .relation = DC_POSITION_BEHIND,
                                .t_sec = 4.1};
    static const char *const ev[3] = {
        "the light ahead turns red and the ego car slows down behind a stopped van",
        "a white truck fills the rear view and does not slow down",
        "the frame shakes and the ego car is pushed forward by the impact"};
    const double ev_t[3] = {3.2, 4.0, 4.4};
    a->evidence_count = 3;
    for (int i = 0; i < 3; i++) {
        a->evidence[i].t_sec = ev_t[i];
        a->evidence[i].frame = i + 1;
        snprintf(a->evidence[i].description, sizeof(a->evidence[i].description), "%s", ev[i]);
    }
    snprintf(a->reasoning, sizeof(a->reasoning), "%s",
             "The ego car stopped for a red light at an intersection with a clear cause ahead. "
             "The truck behind kept its speed and hit the ego car from behind, so the contact "
             "is a rear-end collision caused by the following vehicle.");
}

/* Tokens of that answer in the model's own vocabulary (what the model would generate after
 * the answer prefix, which both sides decode as prompt). */
static int typical_answer_tokens(const char *model_path) {
    dc_assessment a;
    typical_claim(&a);
    char *text = dc_model_output_to_json(&a);
    if (!text) return -1;
    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    struct llama_model *m = llama_model_load_from_file(model_path, mp);
    int n = -1;
    if (m) {
        const struct llama_vocab *vocab = llama_model_get_vocab(m);
        const char *answer = text + strlen(DC_MODEL_OUTPUT_PREFIX);
        n = -llama_tokenize(vocab, answer, (int32_t)strlen(answer), NULL, 0, false, false);
        fprintf(stderr, "bench-batch: a typical claim's canonical answer: %zu bytes, %d tokens\n",
                strlen(text), n + 1 /* the EOS the grammar allows at its end */);
        n++;
        llama_model_free(m);
    }
    free(text);
    return n;
}

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
    o->batch_rows = a->rows;
}

static char *prompt_text[MAX_WINDOWS]; /* each window's prompt (the server gets the same words) */

/* Claim i of a row: window i % n_windows. */
static int window_of(const args *a, int i) { return i % a->n_windows; }

/* A claim whose text differs from its window's alone: both texts in OUT/differs-<claim>.txt,
 * for reading where they part. */
static void save_difference(const args *a, int i, int w, const char *output) {
    static int n;
    char path[1200];
    snprintf(path, sizeof(path), "%s/differs-%02d.txt", a->out, n++);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "claim %d, window %d\nalone:\n%s\nin the batch:\n%s\n", i, w, alone_out[w],
            output ? output : "(none)");
    fclose(f);
}

static void submit_claim(dc_vlm_batch *b, const args *a, int i, dc_assessment *recs,
                         dc_engine_context *ctx, double *submitted) {
    dc_status st = DC_STATUS_OK;
    dc_assessment_init(&recs[i]);
    ctx[i] = (dc_engine_context){.claim_id = "bench", .duration_sec = 10.0};
    dc_vlm_job j = {.frames = &windows[window_of(a, i)],
                    .ctx = &ctx[i],
                    .out = &recs[i],
                    .user = (void *)(intptr_t)i};
    submitted[i] = dc_now();
    if (dc_vlm_batch_submit(b, &j, &st) != DC_OK) fprintf(stderr, "bench-batch: %s\n", st.message);
}

/* n claims, at most `width` in flight (one submitted as one ends). The batch-1 row's answers
 * are the windows' answers alone; a wider row's are compared with them. */
static int run_dashclaim(const args *a, dc_vlm *v, int width, int n, figures *r) {
    dc_status st = DC_STATUS_OK;
    dc_vlm_batch *b = dc_vlm_batch_open(v, width, &st);
    if (!b) {
        fprintf(stderr, "bench-batch: %s\n", st.message);
        return -1;
    }
    static dc_assessment recs[MAX_CLAIMS];
    dc_engine_context ctx[MAX_CLAIMS];
    double submitted[MAX_CLAIMS];
    r->load_before = load_average();
    const double t0 = dc_now();
    int next = 0;
    for (; next < width && next < n; next++) submit_claim(b, a, next, recs, ctx, submitted);
    int left = n, tokens = 0, full_passes = 0;
    double latency = 0, t_end = t0, grammar_ms = 0;
    while (left > 0) {
        int pending = dc_vlm_batch_step(b);
        dc_vlm_done d[MAX_CLAIMS];
        int got = dc_vlm_batch_collect(b, d, MAX_CLAIMS);
        for (int k = 0; k < got; k++, left--) {
            const int i = (int)(intptr_t)d[k].user, w = window_of(a, i);
            t_end = dc_now();
            latency += t_end - submitted[i];
            tokens += d[k].stats.generated_tokens;
            grammar_ms += d[k].stats.grammar_ms;
            full_passes += d[k].stats.grammar_full_passes;
            if (width == 1 && !alone_out[w]) {
                alone_out[w] = strdup(d[k].output ? d[k].output : "");
                memcpy(alone_probs[w], d[k].out->severity_probs, sizeof(alone_probs[w]));
                alone_severity[w] = d[k].out->severity;
                alone_logit_sum[w] = d[k].stats.answer_logit_sum;
            } else if (width > 1 && alone_out[w]) {
                const bool same = d[k].output && !strcmp(d[k].output, alone_out[w]);
                compared++;
                same_answers += same;
                same_severity += d[k].out->severity == alone_severity[w];
                r->compared++;
                r->same += same;
                /* the same numbers, to the bit: the sum of the chosen tokens' logits */
                const double ds = fabs(d[k].stats.answer_logit_sum - alone_logit_sum[w]);
                same_bits += ds == 0;
                r->same_bits += ds == 0;
                if (ds > largest_logit_sum_diff) largest_logit_sum_diff = ds;
                if (!same) save_difference(a, i, w, d[k].output);
                /* the severity read-out of every claim, its text the same or not */
                for (int s = 0; s < DC_SEVERITY_COUNT; s++) {
                    double diff = d[k].out->severity_probs[s] - alone_probs[w][s];
                    if (diff < 0) diff = -diff;
                    if (diff > largest_prob_diff) largest_prob_diff = diff;
                }
            }
            if (d[k].stats.generated_tokens != a->answer_tokens) {
                r->short_answers++;
                fprintf(stderr, "bench-batch: a claim generated %d tokens (%s)\n",
                        d[k].stats.generated_tokens, d[k].status.message);
            }
            free(d[k].output);
            if (next < n) {
                submit_claim(b, a, next, recs, ctx, submitted);
                next++;
                pending++;
            }
        }
        if (pending == 0 && next >= n) break;
    }
    double all_ms = 0, full_ms = 0;
    int all_tokens = 0;
    for (int w = 1; w <= width; w++) {
        double ms;
        int steps = dc_vlm_batch_decode_steps(b, w, &ms);
        all_ms += ms;
        all_tokens += w * steps;
        if (w == width) full_ms = ms > 0 ? (double)w * steps / (ms / 1000.0) : 0;
    }
    dc_vlm_batch_close(b);
    r->load_after = load_average();
    r->wall_s = t_end - t0;
    r->claims = n;
    r->claims_per_hour = 3600.0 * n / r->wall_s;
    r->decode_tps = all_ms > 0 ? all_tokens / (all_ms / 1000.0) : 0;
    r->full_width_tps = full_ms;
    r->latency_s = latency / n;
    r->tokens = tokens;
    r->grammar_ms_per_token = tokens > 0 ? grammar_ms / tokens : 0;
    r->full_passes_per_claim = (double)full_passes / n;
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

static char *request_body(int n_predict, int w, const char *grammar) {
    const dc_frame_set *fs = &windows[w];
    dc_str s = {0};
    dc_str_append(&s, "{\"prompt\":{\"prompt_string\":");
    append_json_string(&s, prompt_text[w]);
    dc_str_append(&s, ",\"multimodal_data\":[");
    for (int i = 0; i < fs->count; i++) {
        dc_str_append(&s, i ? ",\"" : "\"");
        append_ppm_base64(&s, &fs->frames[i]);
        dc_str_append(&s, "\"");
    }
    /* the answer prefix is part of the prompt text, as the engine decodes it before generating */
    dc_str_appendf(&s,
                   "]},\"n_predict\":%d,\"temperature\":0,\"ignore_eos\":true,"
                   "\"cache_prompt\":true,\"grammar\":",
                   n_predict);
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

static double json_number(const char *text, const char *key) {
    const char *p = text ? strstr(text, key) : NULL;
    return p ? atof(p + strlen(key)) : 0;
}

/* One request's outcome. */
typedef struct {
    double t0, t_end, predicted_ms;
    int predicted, code;
} request;

static request send_request(int port, const char *body) {
    request r = {.t0 = dc_now()};
    char *reply = NULL;
    r.code = http(port, "POST", "/completion", body, &reply);
    r.t_end = dc_now();
    r.predicted = (int)json_number(reply, "\"predicted_n\":");
    r.predicted_ms = json_number(reply, "\"predicted_ms\":");
    if (r.code != 200)
        fprintf(stderr, "bench-batch: server answered %d: %.300s\n", r.code, reply ? reply : "");
    free(reply);
    return r;
}

/* A client of the server's run: `width` of them, each sending its claims one after another,
 * so that `width` claims are in flight, as the engine's row keeps them. */
typedef struct {
    const args *a;
    const char *grammar;
    int width, n, first; /* claims first, first + width, ... < n */
    request *reqs;       /* by claim */
} client;

static void *client_run(void *arg) {
    client *c = arg;
    for (int i = c->first; i < c->n; i += c->width) {
        char *body = request_body(c->a->answer_tokens, window_of(c->a, i), c->grammar);
        c->reqs[i] = send_request(c->a->port, body);
        free(body);
    }
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
        /* the server makes up a random media marker per process unless told one: the prompt
         * carries libmtmd's default marker, as the engine writes it */
        setenv("LLAMA_MEDIA_MARKER", "<__media__>", 1);
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

static int by_start(const void *x, const void *y) {
    const double *p = x, *q = y;
    return (p[0] > q[0]) - (p[0] < q[0]);
}

static int run_server(const args *a, int width, int n, int n_ctx, const char *grammar, figures *r) {
    pid_t pid = start_server(a, width, n_ctx);
    if (pid < 0) {
        fprintf(stderr, "bench-batch: llama-server did not start (see %s/llama-server-%d.log)\n",
                a->out, width);
        return -1;
    }
    /* one short request first: the server's prompt cache gets the fixed prompt, as the
     * engine's prefix cache has it (the engine's warm claim) */
    char *warm = request_body(1, 0, grammar);
    send_request(a->port, warm);
    free(warm);
    request reqs[MAX_CLAIMS];
    client clients[MAX_CLAIMS];
    pthread_t th[MAX_CLAIMS];
    r->load_before = load_average();
    const double t0 = dc_now();
    for (int k = 0; k < width; k++) {
        clients[k] =
            (client){.a = a, .grammar = grammar, .width = width, .n = n, .first = k, .reqs = reqs};
        pthread_create(&th[k], NULL, client_run, &clients[k]);
    }
    for (int k = 0; k < width; k++) pthread_join(th[k], NULL);
    r->load_after = load_average();
    stop_server(pid);
    double latency = 0, t_end = t0, spans[MAX_CLAIMS][2];
    int tokens = 0, ok = 0;
    for (int i = 0; i < n; i++) {
        ok += reqs[i].code == 200;
        latency += reqs[i].t_end - reqs[i].t0;
        if (reqs[i].t_end > t_end) t_end = reqs[i].t_end;
        tokens += reqs[i].predicted;
        if (reqs[i].predicted != a->answer_tokens) r->short_answers++;
        spans[i][0] = reqs[i].t_end - reqs[i].predicted_ms / 1000.0;
        spans[i][1] = reqs[i].t_end;
    }
    /* decode time: the union of the claims' decoding spans (the slots decode together; another
     * slot's prompt, batched with them, falls inside) */
    qsort(spans, (size_t)n, sizeof(spans[0]), by_start);
    double decode_s = 0, lo = 0, hi = -1;
    for (int i = 0; i < n; i++) {
        if (spans[i][0] > hi) {
            if (hi > lo) decode_s += hi - lo;
            lo = spans[i][0];
            hi = spans[i][1];
        } else if (spans[i][1] > hi) {
            hi = spans[i][1];
        }
    }
    if (hi > lo) decode_s += hi - lo;
    r->wall_s = t_end - t0;
    r->claims = n;
    r->claims_per_hour = 3600.0 * n / r->wall_s;
    r->decode_tps = decode_s > 0 ? tokens / decode_s : 0;
    r->latency_s = latency / n;
    r->tokens = tokens;
    r->ok = ok == n;
    return 0;
}

/* ---- llama-batched-bench ------------------------------------------------------------------ */

/* The machine's decode rate at `width` sequences: the claim's prompt length shared (-pps), as
 * the engine's fixed prompt is, a stream per sequence as the engine has, the same answer
 * length. */
static int run_batched_bench(const args *a, int width, int prompt_tokens, figures *r) {
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "\"%s\" -m \"%s\" -t %d -tb %d -c %d -b 2048 -ub 2048 -npp %d -ntg %d -npl %d -pps "
             "--output-format jsonl 2>\"%s/batched-bench-%d.log\"",
             a->bbench, a->model, a->threads, a->threads,
             (width + 1) * (prompt_tokens + a->answer_tokens + 256), prompt_tokens,
             a->answer_tokens, width, a->out, width);
    r->load_before = load_average();
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[2048];
    while (fgets(line, sizeof(line), p)) {
        if ((int)json_number(line, "\"pl\": ") != width) continue;
        r->decode_tps = json_number(line, "\"speed_tg\": ");
        r->ok = true;
    }
    r->load_after = load_average();
    return pclose(p) == 0 ? 0 : -1;
}

/* ---- main ---------------------------------------------------------------------------------- */

/* Window w's prompt: window 0's with the frame lines' times of window w (vlm_prompt.c writes
 * "frame i at T s: " per frame when frames go one by one; the rest of the prompt is the same
 * for every window of the bench, whose claims share one context). */
static char *window_prompt(const char *prompt0, int w) {
    dc_str s = {0};
    const char *p = prompt0;
    for (int i = 0; i < windows[w].count; i++) {
        char from[64], to[64];
        snprintf(from, sizeof(from), "frame %d at %.1f s: ", i, windows[0].frames[i].t_sec);
        snprintf(to, sizeof(to), "frame %d at %.1f s: ", i, windows[w].frames[i].t_sec);
        const char *at = strstr(p, from);
        if (!at) break;
        dc_str_appendn(&s, p, (size_t)(at - p));
        dc_str_append(&s, to);
        p = at + strlen(from);
    }
    dc_str_append(&s, p);
    return dc_str_finish(&s);
}

static int parse_list(const char *v, int *out, int max) {
    int n = 0;
    for (char *s = (char *)v; *s && n < max;) {
        int w = (int)strtol(s, &s, 10);
        if (w >= 1 && w <= MAX_CLAIMS) out[n++] = w;
        if (*s == ',') s++;
        else break;
    }
    return n;
}

static void print_row(const char *who, int width, const figures *f) {
    if (!f->ok) {
        printf("| %d | %s | - | - | - | - |\n", width, who);
        return;
    }
    printf("| %d | %s | %d | %.0f | %.2f", width, who, f->claims, f->claims_per_hour,
           f->decode_tps);
    if (f->full_width_tps > 0) printf(" (%.2f at width %d)", f->full_width_tps, width);
    if (f->latency_s > 0) printf(" | %.1f", f->latency_s);
    else printf(" | -");
    printf(" | %.1f-%.1f |", f->load_before, f->load_after);
    if (f->tokens > 0 && f->full_width_tps > 0)
        printf(" grammar %.2f ms a token, %.0f full passes a claim", f->grammar_ms_per_token,
               f->full_passes_per_claim);
    if (f->compared > 0)
        printf("; %d of %d the answer of their window alone, %d the same logit sum (largest "
               "severity probability difference so far %.3g)",
               f->same, f->compared, f->same_bits, largest_prob_diff);
    printf("\n");
}

int main(int argc, char **argv) {
    args a = {.threads = 2,
              .answer_tokens = 0,
              .visual_tokens = 128,
              .max_frames = 4,
              .port = 18093,
              .n_windows = 4,
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
        else if (!strcmp(k, "--windows")) a.n_windows = atoi(v);
        else if (!strcmp(k, "--port")) a.port = atoi(v);
        else if (!strcmp(k, "--per-frame")) a.per_frame = atoi(v) != 0;
        else if (!strcmp(k, "--batches")) a.n_widths = parse_list(v, a.widths, MAX_WIDTHS);
        else if (!strcmp(k, "--claims")) a.n_claims = parse_list(v, a.claims, MAX_WIDTHS);
        else if (!strcmp(k, "--server-claims"))
            a.n_server_claims = parse_list(v, a.server_claims, MAX_WIDTHS);
        else if (!strcmp(k, "--same-extra")) a.same_extra = atoi(v);
        else if (!strcmp(k, "--rows")) a.rows = atoi(v);
        else {
            fprintf(stderr, "bench-batch: unknown option %s\n", k);
            return 2;
        }
    }
    if (!a.model || !a.mmproj || !a.video || a.n_widths == 0 || a.n_windows < 1 ||
        a.n_windows > MAX_WINDOWS || (a.n_claims && a.n_claims != a.n_widths) ||
        (a.n_server_claims && a.n_server_claims != a.n_widths) || a.same_extra > MAX_CLAIMS ||
        a.widths[0] != 1 || (a.server && !a.per_frame)) {
        fprintf(stderr,
                "usage: bench-batch --model M --mmproj P --video V [--server llama-server] "
                "[--batched-bench llama-batched-bench] [--threads T] "
                "[--answer-tokens N (0: a typical claim's answer)] [--batches 1,2,4,8] "
                "[--claims C1,C2,... (claims run at each batch)] [--server-claims C1,...] "
                "[--same-extra N (claims at the widest batch, answers only)] [--windows W] "
                "[--visual-tokens N] [--max-frames N] [--per-frame 0|1] [--port P] "
                "[--rows N (claims' tokens a llama_decode; 0: the engine's choice)] "
                "[--out DIR]\n"
                "(the first batch is 1: its claims are the windows' answers alone; "
                "with --server, frames go one by one (--per-frame 1), as the server takes them)\n");
        return 2;
    }
    if (!a.n_claims) {
        for (int k = 0; k < a.n_widths; k++) a.claims[k] = a.widths[k];
        a.claims[0] = a.n_windows;
    }
    if (!a.n_server_claims)
        for (int k = 0; k < a.n_widths; k++) a.server_claims[k] = a.widths[k];
    if (a.answer_tokens <= 0) a.answer_tokens = typical_answer_tokens(a.model);
    if (a.answer_tokens < 16) {
        fprintf(stderr, "bench-batch: no answer length (--answer-tokens)\n");
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
    /* windows of 4 s spread over the clip */
    const double span = info->duration_sec > 4.5 ? info->duration_sec - 4.5 : 0;
    for (int w = 0; w < a.n_windows; w++) {
        const double start = a.n_windows > 1 ? span * w / (a.n_windows - 1) : 0;
        dc_sample_request req;
        if (dc_vlm_frame_request(v, start, start + 4.0, info->width, info->height, &req, NULL,
                                 &st) != DC_OK ||
            dc_frames_sample(m, &req, (dc_deadline){0}, &windows[w], &st) != DC_OK) {
            fprintf(stderr, "bench-batch: %s\n", st.message);
            return 1;
        }
    }
    dc_media_close(m);
    /* a warm claim: the fixed prompt's cells computed once, as in a service (and its prompt,
     * the words the server gets) */
    fprintf(stderr, "bench-batch: warm claim (load %.1f)\n", load_average());
    dc_assessment warm;
    dc_assessment_init(&warm);
    dc_engine_context wctx = {.claim_id = "bench", .duration_sec = 10.0};
    dc_vlm_assess(v, &windows[0], &wctx, (dc_deadline){0}, &warm, &st);
    for (int w = 0; w < a.n_windows; w++) prompt_text[w] = window_prompt(dc_vlm_last_prompt(v), w);
    const int prompt_tokens = dc_vlm_last_stats(v)->prompt_tokens;
    const int n_ctx = dc_vlm_context_size(v);
    char device[64];
    snprintf(device, sizeof(device), "%s", dc_vlm_device_name(v));
    char *grammar = dc_model_output_grammar();
    const double load0 = load_average();
    fprintf(stderr, "bench-batch: the rows start (load %.1f)\n", load0);

    figures ours[MAX_WIDTHS] = {{0}}, server[MAX_WIDTHS] = {{0}}, ref[MAX_WIDTHS] = {{0}};
    /* rows are printed as they are measured, so that a run cut short keeps what it measured:
     * the engine and the machine's reference alternate width by width, then the answers-only
     * claims, then the server (one process per width, the engine closed) */
    printf("batch table: %d prompt tokens per claim (%d frames %s, %d windows), %d answer "
           "tokens, %d threads, device %s, decode steps in calls of at most %d claims' tokens; "
           "load average %.2f before the rows\n",
           prompt_tokens, windows[0].count, a.per_frame ? "one by one" : "in temporal pairs",
           a.n_windows, a.answer_tokens, a.threads, device, dc_vlm_batch_rows(v), load0);
    printf("| batch | who | claims | claims/h | decode t/s | latency s | load |\n");
    printf("|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    for (int k = 0; k < a.n_widths; k++) {
        const int wd = a.widths[k], n = a.claims[k];
        if (run_dashclaim(&a, v, wd, n, &ours[k]) != 0) return 1;
        print_row("dashclaim", wd, &ours[k]);
        fflush(stdout);
        if (a.bbench && run_batched_bench(&a, wd, prompt_tokens, &ref[k]) != 0)
            fprintf(stderr,
                    "bench-batch: llama-batched-bench failed (see %s/batched-bench-%d.log)\n",
                    a.out, wd);
        if (a.bbench) print_row("llama-batched-bench", wd, &ref[k]);
        fflush(stdout);
    }
    figures extra = {0};
    if (a.same_extra > 0 && run_dashclaim(&a, v, most, a.same_extra, &extra) == 0) {
        print_row("dashclaim, answers only", most, &extra);
        fflush(stdout);
    }
    dc_vlm_close(v);
    for (int k = 0; a.server && grammar && k < a.n_widths; k++) {
        if (run_server(&a, a.widths[k], a.server_claims[k], n_ctx, grammar, &server[k]) != 0) break;
        print_row("llama-server", a.widths[k], &server[k]);
        fflush(stdout);
    }
    free(grammar);
    printf("load average after the rows: %.2f\n", load_average());
    printf("\n");
    for (int k = 0; k < a.n_widths; k++) {
        if (ref[k].ok && ref[k].decode_tps > 0)
            printf("batch %d: dashclaim / batched-bench decode %.3f (at full width; target >= "
                   "0.9)",
                   a.widths[k], ours[k].full_width_tps / ref[k].decode_tps);
        else printf("batch %d:", a.widths[k]);
        if (server[k].ok)
            printf("; claims/h dashclaim / server %.3f (target >= 1)",
                   ours[k].claims_per_hour / server[k].claims_per_hour);
        printf("; latency / batch 1 %.2f\n", ours[k].latency_s / ours[0].latency_s);
        if (ours[k].short_answers || server[k].short_answers)
            printf("  answers not %d tokens long: dashclaim %d, server %d\n", a.answer_tokens,
                   ours[k].short_answers, server[k].short_answers);
    }
    if (extra.ok)
        printf("answers only: %d more claims at batch %d (%.0f claims/h, latency %.1f s, load "
               "%.1f-%.1f)\n",
               extra.claims, most, extra.claims_per_hour, extra.latency_s, extra.load_before,
               extra.load_after);
    printf("answers: %d of %d claims in batches of 2 or more gave the answer of their window "
           "alone (batch 1), the same text; %d the same severity; largest severity probability "
           "difference %.3g (every compared claim); %d the same answer-token logit sum to the "
           "bit (largest difference %.3g)\n",
           same_answers, compared, same_severity, largest_prob_diff, same_bits,
           largest_logit_sum_diff);
    for (int w = 0; w < a.n_windows; w++) {
        free(prompt_text[w]);
        free(alone_out[w]);
        dc_frame_set_free(&windows[w]);
    }
    return 0;
}
