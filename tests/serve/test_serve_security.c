/* The service as an attacker and a careless client meet it (issue 23), in process: real servers on
 * free ports over one fresh store, one worker (signals engine), driven over TCP byte by byte.
 *   - stored script: an upload's declared type never becomes the served type; the type comes from
 *     the bytes, never text/html or SVG; the video is an attachment in a CSP sandbox; a failed claim
 *     cannot be approved;
 *   - every route of the OpenAPI document, for no key and each role: 401/403 from its x-roles, and
 *     the security headers on every answer (every status, /metrics, video, frames, report);
 *   - request desync: duplicate or conflicting Content-Length / Transfer-Encoding is 400 and the
 *     connection ends (a smuggled request is never answered);
 *   - slowloris: headers trickled, or a body at 10 bytes/s, are cut within the deadline;
 *   - the browser session: its own token (never the API key), revoked at logout, Secure when asked
 *     or behind a proxy that says https; Origin / Sec-Fetch-Site checked on cookie writes, /login
 *     and /logout;
 *   - limits: a chunked body over the limit gets 413 while it is still being sent; an
 *     Idempotency-Key reused with another body is 409 and stores nothing; NUL in a field and a
 *     repeated field are 400; messages to clients name no server path.
 * Every check of a test is made, and the test fails at its end with the list of what was wrong, so
 * that one run against a server without the hardening shows every finding at once. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dashclaim/serve.h"
#include "dashclaim/store.h"
#include "serve/http_client.h"
#include "store/store_test_util.h"

#define LIMIT 1000000        /* max_upload_bytes of the main server */
#define SLOW_HEADER_SEC 2    /* header_timeout_sec of the slow server */
#define SLOW_BODY_RATE 10000 /* min_body_rate of the slow server */
#define PROXY_TTL 2          /* session_ttl_sec of the proxy server */

static struct {
    char tmp[512], url[512], scratch[600];
    dc_server *main, *slow, *secure, *proxy;
    int port, slow_port, secure_port, proxy_port;
    char uploader[DC_KEY_LEN], reviewer[DC_KEY_LEN], admin[DC_KEY_LEN];
    char *video;
    size_t video_len;
    char claim_id[DC_STORE_ID_LEN]; /* a processed claim owned by the uploader */
} g;

/* ---- what went wrong, collected ------------------------------------------------------------- */

static char problems[16384];
static int n_problems;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
    size_t have = strlen(problems);
    n_problems++;
    if (have + 200 >= sizeof problems) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problems + have, sizeof problems - have - 1, fmt, ap);
    va_end(ap);
    strcat(problems, "\n");
}

static void verdict(const char *test) {
    if (n_problems) {
        fprintf(stderr, "%s: %d problem(s):\n%s", test, n_problems, problems);
        n_problems = 0;
        problems[0] = 0;
        fail_msg("%s: see the list above", test);
    }
}

#define expect_status(r, want, what)                                                               \
    do {                                                                                           \
        if ((r).status != (want))                                                                  \
            note("%s: status %d, want %d (%.160s)", (what), (r).status, (want),                    \
                 (r).body ? (r).body : "");                                                        \
    } while (0)

/* ---- raw HTTP ------------------------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int tcp_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends req whole on a new connection, then reads until the server closes the connection or
 * idle_ms pass without a byte. *closed: the server closed it (not the idle limit). */
static char *exchange(int port, const void *req, size_t n, int idle_ms, size_t *len, bool *closed) {
    *len = 0;
    *closed = false;
    size_t cap = 1 << 16;
    char *buf = calloc(1, cap);
    int fd = tcp_connect(port);
    if (fd < 0) return buf;
    http_send_all(fd, req, n); /* an early answer may cut the send; read it anyway */
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, idle_ms) <= 0) break;
        if (*len + 4096 >= cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + *len, cap - *len - 1, 0);
        if (k <= 0) {
            *closed = true;
            break;
        }
        *len += (size_t)k;
    }
    buf[*len] = 0;
    close(fd);
    return buf;
}

/* The first response in buf (Content-Length bodies; enough for this server's answers). */
static http_response parse_first(const char *buf, size_t len) {
    http_response r = {0};
    const char *sep = memmem(buf, len, "\r\n\r\n", 4);
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &r.status) != 1) {
        r.status = 0;
        return r;
    }
    size_t hl = (size_t)(sep - buf);
    r.head = strndup(buf, hl);
    size_t bl = len - hl - 4;
    const char *cl = http_header(&r, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) < bl) bl = strtoull(cl, NULL, 10);
    r.body = malloc(bl + 1);
    memcpy(r.body, sep + 4, bl);
    r.body[bl] = 0;
    r.body_len = bl;
    return r;
}

/* How many responses buf holds (status lines at the start of the stream or of a line). */
static int count_responses(const char *buf, size_t len) {
    int n = 0;
    for (size_t i = 0; i + 8 <= len; i++)
        if ((i == 0 || buf[i - 1] == '\n') && !memcmp(buf + i, "HTTP/1.", 7)) n++;
    return n;
}

/* One request with Host 127.0.0.1:PORT (so that an Origin can match it) and Connection: close.
 * headers: "Name: value\r\n" lines or NULL. A body gets its Content-Length. */
static http_response request(int port, const char *method, const char *path, const char *headers,
                             const void *body, size_t body_len) {
    size_t cap = body_len + 8192;
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s",
                     method, path, port, headers ? headers : "");
    if (body) n += snprintf(req + n, cap - (size_t)n, "Content-Length: %zu\r\n", body_len);
    n += snprintf(req + n, cap - (size_t)n, "\r\n");
    if (body) memcpy(req + n, body, body_len);
    size_t len;
    bool closed;
    char *buf = exchange(port, req, (size_t)n + (body ? body_len : 0), 30000, &len, &closed);
    free(req);
    http_response r = parse_first(buf, len);
    free(buf);
    return r;
}

static http_response bearer(int port, const char *method, const char *path, const char *key,
                            const char *more_headers, const void *body, size_t len) {
    char h[1024];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n%s", key, more_headers ? more_headers : "");
    return request(port, method, path, h, body, len);
}

static json_t *json_of(const http_response *r) {
    json_error_t e;
    return r->body ? json_loadb(r->body, r->body_len, 0, &e) : NULL;
}

static const char *jstr(json_t *o, const char *a, const char *b) {
    json_t *v = json_object_get(o, a);
    if (b) v = json_object_get(v, b);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* ---- the security headers ------------------------------------------------------------------- */

/* REPORT: the claim report (framed by the review page); REPORT_ROUTE: another answer on its URL
 * (401, 403, 404), which may be framed like it or not. */
enum { PLAIN = 0, REPORT = 1, REPORT_ROUTE = 2 };

/* Notes every security header missing from r (what names the request). */
static void check_headers(const http_response *r, const char *what, int kind) {
    if (!r->status) {
        note("%s: no response", what);
        return;
    }
    static const struct {
        const char *name, *want;
    } must[] = {{"X-Content-Type-Options", "nosniff"},
                {"Referrer-Policy", "no-referrer"},
                {"Cache-Control", "no-store"}};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        const char *v = http_header(r, must[i].name);
        if (!v || !strcasestr(v, must[i].want))
            note("%s (%d): %s is '%s', want %s", what, r->status, must[i].name, v ? v : "missing",
                 must[i].want);
    }
    const char *want_xfo = kind == REPORT ? "SAMEORIGIN" : "DENY";
    const char *xfo = http_header(r, "X-Frame-Options");
    if (kind == REPORT_ROUTE && xfo && !strcasecmp(xfo, "SAMEORIGIN")) want_xfo = xfo;
    if (!xfo || strcasecmp(xfo, want_xfo))
        note("%s (%d): X-Frame-Options is '%s', want %s", what, r->status, xfo ? xfo : "missing",
             want_xfo);
    char ct[512] = "", csp[512] = "";
    const char *v = http_header(r, "Content-Type");
    if (v) snprintf(ct, sizeof ct, "%s", v);
    if ((v = http_header(r, "Content-Security-Policy"))) snprintf(csp, sizeof csp, "%s", v);
    if (strncasecmp(ct, "text/html", 9) != 0) return;
    if (!csp[0]) {
        note("%s (%d): an HTML answer without Content-Security-Policy", what, r->status);
        return;
    }
    if (kind == REPORT) {
        if (!strstr(csp, "frame-ancestors 'self'"))
            note("%s: the report's CSP lacks frame-ancestors 'self': %s", what, csp);
        const char *ss = strstr(csp, "script-src");
        if (ss ? strncmp(ss, "script-src 'none'", 17) != 0 : !strstr(csp, "default-src 'none'"))
            note("%s: the report's CSP lets a script run: %s", what, csp);
    } else if (!strstr(csp, "frame-ancestors 'none'")) {
        note("%s (%d): CSP lacks frame-ancestors 'none': %s", what, r->status, csp);
    }
}

/* ---- set-up --------------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A raw upload as the uploader; the new claim's id into id (when 202). */
static http_response upload_raw(const char *query, const void *body, size_t len, const char *ct,
                                const char *more_headers, char *id) {
    char h[512], path[1024];
    snprintf(h, sizeof h, "Content-Type: %s\r\n%s", ct, more_headers ? more_headers : "");
    snprintf(path, sizeof path, "/v1/claims%s", query ? query : "");
    http_response r = bearer(g.port, "POST", path, g.uploader, h, body, len);
    if (id) {
        id[0] = 0;
        json_t *j = r.status == 202 ? json_of(&r) : NULL;
        if (j) snprintf(id, DC_STORE_ID_LEN, "%s", jstr(j, "id", NULL));
        json_decref(j);
    }
    return r;
}

/* A multipart body: text parts (name, value, value length) and one file part "video". */
typedef struct {
    const char *name, *value;
    size_t len;
} part;

static char *multipart(const part *parts, int n, const char *file_type, const void *file,
                       size_t file_len, size_t *out_len) {
    size_t cap = file_len + 4096, o = 0;
    char *b = malloc(cap);
    for (int i = 0; i < n; i++) {
        o += (size_t)snprintf(b + o, cap - o,
                              "--sec42\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n",
                              parts[i].name);
        memcpy(b + o, parts[i].value, parts[i].len);
        o += parts[i].len;
        o += (size_t)snprintf(b + o, cap - o, "\r\n");
    }
    o += (size_t)snprintf(b + o, cap - o,
                          "--sec42\r\nContent-Disposition: form-data; name=\"video\"; "
                          "filename=\"clip\"\r\nContent-Type: %s\r\n\r\n",
                          file_type);
    memcpy(b + o, file, file_len);
    o += file_len;
    o += (size_t)snprintf(b + o, cap - o, "\r\n--sec42--\r\n");
    *out_len = o;
    return b;
}

#define MULTIPART_CT "multipart/form-data; boundary=sec42"

static json_t *wait_finished(const char *id) {
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s", id);
    for (int i = 0; i < 600; i++) {
        http_response r = bearer(g.port, "GET", path, g.admin, NULL, NULL, 0);
        json_t *j = json_of(&r);
        http_response_free(&r);
        const char *s = jstr(j, "status", NULL);
        if (!strcmp(s, "done") || !strcmp(s, "failed")) return j;
        json_decref(j);
        usleep(50 * 1000);
    }
    fail_msg("claim %s did not finish", id);
    return NULL;
}

static dc_server *start(int workers, void (*adjust)(dc_serve_options *), int *port) {
    dc_serve_options o;
    dc_serve_options_init(&o);
    o.store_url = g.url;
    o.listen = "127.0.0.1:0";
    o.http_threads = 2;
    o.max_upload_bytes = LIMIT;
    o.workers.threads = workers;
    o.workers.poll_sec = 0.05;
    o.workers.scratch_dir = g.scratch;
    o.store.retry_delay_sec = 0;
    if (adjust) adjust(&o);
    dc_status st = DC_STATUS_OK;
    dc_server *s = dc_server_start(&o, &st);
    if (!s) fprintf(stderr, "server: %s\n", st.message);
    else *port = dc_server_port(s);
    return s;
}

static void slow_options(dc_serve_options *o) {
    o->header_timeout_sec = SLOW_HEADER_SEC;
    o->min_body_rate = SLOW_BODY_RATE;
}
static void secure_options(dc_serve_options *o) {
    o->secure_cookies = true;
    o->session_ttl_sec = 600;
}
static void proxy_options(dc_serve_options *o) {
    o->trust_proxy = true;
    o->session_ttl_sec = PROXY_TTL;
}

static int setup(void **state) {
    (void)state;
    const char *bin = getenv("DC_BIN"), *tmp = getenv("DC_TEST_TMP");
    if (!bin || !tmp) return -1;
    snprintf(g.tmp, sizeof g.tmp, "%s/serve-security-%d", tmp, (int)getpid());
    snprintf(g.scratch, sizeof g.scratch, "%s/scratch", g.tmp);
    char cmd[2048], clip[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", g.scratch);
    if (system(cmd) != 0) return -1;
    snprintf(clip, sizeof clip, "%s/clip.mp4", g.tmp);
    snprintf(cmd, sizeof cmd,
             "'%s/synth-video' --duration 3 --size 320x240 -o '%s' >/dev/null 2>&1", bin, clip);
    if (system(cmd) != 0 || !(g.video = read_file(clip, &g.video_len))) return -1;
    if (g.video_len >= LIMIT) return -1;
    test_store_url("serve_security", g.url, sizeof g.url);
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(g.url, NULL, &st);
    if (!s) return -1;
    dc_store_key_add(s, "ulla", DC_ROLE_UPLOADER, g.uploader, NULL, &st);
    dc_store_key_add(s, "rita", DC_ROLE_REVIEWER, g.reviewer, NULL, &st);
    dc_store_key_add(s, "ada", DC_ROLE_ADMIN, g.admin, NULL, &st);
    dc_store_close(s);
    if (!(g.main = start(1, NULL, &g.port)) || !(g.slow = start(0, slow_options, &g.slow_port)) ||
        !(g.secure = start(0, secure_options, &g.secure_port)) ||
        !(g.proxy = start(0, proxy_options, &g.proxy_port)))
        return -1;
    http_response r =
        upload_raw("?policy_id=POL-S1", g.video, g.video_len, "video/mp4", NULL, g.claim_id);
    http_response_free(&r);
    return g.claim_id[0] ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    dc_server_stop(g.proxy);
    dc_server_stop(g.secure);
    dc_server_stop(g.slow);
    dc_server_stop(g.main);
    free(g.video);
    return 0;
}

/* ---- stored script: types, video headers, review of a failed claim --------------------------- */

static const char html_body[] =
    "<html><body><script>fetch('/v1/claims/x/review',{method:'POST'})</script></body></html>";
static const char svg_body[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";

/* GET the claim's video as a reviewer: the type we expect (NULL: any but HTML/SVG), as an
 * attachment named after the claim, in a CSP sandbox, with the security headers. */
static void check_video(const char *id, const char *want_type, const char *what) {
    char path[128], w[256];
    snprintf(path, sizeof path, "/v1/claims/%s/video", id);
    http_response r = bearer(g.port, "GET", path, g.reviewer, NULL, NULL, 0);
    snprintf(w, sizeof w, "GET video of %s", what);
    expect_status(r, 200, w);
    if (r.status != 200) {
        http_response_free(&r);
        return;
    }
    check_headers(&r, w, PLAIN);
    char ct[512] = "", csp[512] = "", cd[512] = "";
    const char *v;
    if ((v = http_header(&r, "Content-Type"))) snprintf(ct, sizeof ct, "%s", v);
    if ((v = http_header(&r, "Content-Security-Policy"))) snprintf(csp, sizeof csp, "%s", v);
    if ((v = http_header(&r, "Content-Disposition"))) snprintf(cd, sizeof cd, "%s", v);
    if (strcasestr(ct, "html") || strcasestr(ct, "svg") || strcasestr(ct, "xml") ||
        (want_type && strcasecmp(ct, want_type)))
        note("%s: served as '%s', want %s", w, ct, want_type ? want_type : "a video type");
    if (!strstr(csp, "sandbox") || !strstr(csp, "default-src 'none'"))
        note("%s: CSP is '%s', want sandbox; default-src 'none'", w, csp);
    char want_cd[128];
    int k = snprintf(want_cd, sizeof want_cd, "attachment; filename=\"%s.", id);
    size_t cl = strlen(cd);
    bool ext_ok = cl > (size_t)k + 1 && cd[cl - 1] == '"';
    for (size_t i = (size_t)k; ext_ok && i + 1 < cl; i++)
        ext_ok = (cd[i] >= 'a' && cd[i] <= 'z') || (cd[i] >= '0' && cd[i] <= '9');
    if (strncmp(cd, want_cd, (size_t)k) || !ext_ok)
        note("%s: Content-Disposition is '%s', want %sEXT\"", w, cd, want_cd);
    http_response_free(&r);
}

static void test_stored_script_types(void **state) {
    (void)state;
    char id[DC_STORE_ID_LEN], w[200];
    /* 1. a declared type outside the list is refused, look-alikes included */
    const char *refused[] = {"video/html", "application/octet-stream-html",
                             "text/html",  "image/svg+xml",
                             "video/mp4x", "text/html; x=video/mp4"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        http_response r = upload_raw(NULL, html_body, strlen(html_body), refused[i], NULL, id);
        snprintf(w, sizeof w, "raw upload as '%s'", refused[i]);
        expect_status(r, 415, w);
        http_response_free(&r);
    }
    /* 2. each listed type is taken, parameters allowed (the bytes are junk: they fail later) */
    const char *taken[] = {"video/mp4; codecs=\"avc1\"",
                           "video/quicktime",
                           "video/x-matroska",
                           "video/webm",
                           "video/mp2t",
                           "video/x-msvideo",
                           "application/octet-stream"};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        char junk[64];
        snprintf(junk, sizeof junk, "not a video, number %zu", i);
        http_response r = upload_raw(NULL, junk, strlen(junk), taken[i], NULL, id);
        snprintf(w, sizeof w, "raw upload as '%s'", taken[i]);
        expect_status(r, 202, w);
        http_response_free(&r);
    }
    /* 3. the stored and served type comes from the bytes, whatever was declared */
    static const unsigned char webm[] = {0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84,
                                         'w',  'e',  'b',  'm',  0,    0,    0,    0};
    unsigned char ts[188 * 3] = {0}, avi[64] = {0};
    for (int i = 0; i < 3; i++) ts[i * 188] = 0x47;
    memcpy(avi,
           "RIFF\x38\x00\x00\x00"
           "AVI LIST",
           16);
    const struct {
        const char *what, *declared, *want1, *want2;
        const void *bytes;
        size_t len;
    } sniff[] = {
        {"an MP4 declared octet-stream", "application/octet-stream", "video/mp4", NULL, g.video,
         g.video_len},
        {"EBML declared video/mp4", "video/mp4", "video/webm", "video/x-matroska", webm,
         sizeof webm},
        {"TS packets declared video/webm", "video/webm", "video/mp2t", NULL, ts, sizeof ts},
        {"RIFF AVI declared video/mp4", "video/mp4", "video/x-msvideo", NULL, avi, sizeof avi},
        {"HTML declared video/mp4", "video/mp4", "application/octet-stream", NULL, html_body,
         strlen(html_body)},
        {"SVG declared video/webm", "video/webm", "application/octet-stream", NULL, svg_body,
         strlen(svg_body)},
    };
    for (size_t i = 0; i < sizeof sniff / sizeof sniff[0]; i++) {
        http_response r =
            upload_raw(NULL, sniff[i].bytes, sniff[i].len, sniff[i].declared, NULL, id);
        snprintf(w, sizeof w, "raw upload of %s", sniff[i].what);
        expect_status(r, 202, w);
        if (r.status == 202) check_headers(&r, w, PLAIN);
        json_t *j = json_of(&r);
        const char *got = jstr(j, "video", "content_type");
        if (r.status == 202 && strcmp(got, sniff[i].want1) &&
            !(sniff[i].want2 && !strcmp(got, sniff[i].want2)))
            note("%s: stored as '%s', want %s", w, got, sniff[i].want1);
        if (r.status == 202) check_video(id, NULL, sniff[i].what);
        json_decref(j);
        http_response_free(&r);
    }
    /* 4. a multipart part's own type is ignored: HTML and SVG parts are stored as bytes */
    const struct {
        const char *type, *body;
    } parts[] = {{"text/html", html_body}, {"image/svg+xml", svg_body}};
    for (size_t i = 0; i < 2; i++) {
        part p = {"policy_id", "POL-MP", 6};
        size_t n;
        char *body = multipart(&p, 1, parts[i].type, parts[i].body, strlen(parts[i].body), &n);
        http_response r = upload_raw(NULL, body, n, MULTIPART_CT, NULL, id);
        free(body);
        snprintf(w, sizeof w, "multipart part of type %s", parts[i].type);
        expect_status(r, 202, w);
        json_t *j = json_of(&r);
        if (r.status == 202 && strcmp(jstr(j, "video", "content_type"), "application/octet-stream"))
            note("%s: stored as '%s', want application/octet-stream", w,
                 jstr(j, "video", "content_type"));
        if (r.status == 202) check_video(id, "application/octet-stream", w);
        json_decref(j);
        http_response_free(&r);
    }
    /* 5. the real video keeps its type and plays from ranges */
    json_decref(wait_finished(g.claim_id));
    check_video(g.claim_id, "video/mp4", "the processed MP4 claim");
    verdict("test_stored_script_types");
}

/* A failed claim (bad input) may be rejected but never approved; its error names no path. */
static void test_failed_claim_not_approved(void **state) {
    (void)state;
    const char junk[] = "words, not a video; the worker fails it as input";
    char id[DC_STORE_ID_LEN];
    http_response r = upload_raw(NULL, junk, sizeof junk, "video/mp4", NULL, id);
    assert_int_equal(r.status, 202);
    http_response_free(&r);
    json_t *c = wait_finished(id);
    assert_string_equal(jstr(c, "status", NULL), "failed");
    const char *msg = jstr(c, "error", "message");
    const char *paths[] = {g.url, g.scratch, g.tmp, "/tmp"};
    for (size_t i = 0; i < 4; i++)
        if (strstr(msg, paths[i])) note("a failed claim's error names '%s': %s", paths[i], msg);
    json_decref(c);
    char path[128];
    snprintf(path, sizeof path, "/v1/claims/%s/review", id);
    const char *approve = "{\"decision\":\"APPROVE\",\"fault_ratio\":0}";
    r = bearer(g.port, "POST", path, g.reviewer, "Content-Type: application/json\r\n", approve,
               strlen(approve));
    expect_status(r, 409, "APPROVE of a failed claim");
    if (r.status == 409) check_headers(&r, "409 for APPROVE of a failed claim", PLAIN);
    http_response_free(&r);
    verdict("test_failed_claim_not_approved");
}

/* ---- every route of the OpenAPI document, every role, the headers --------------------------- */

static char *substitute(const char *tmpl, char *out, size_t size) {
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 40 < size;) {
        if (!strncmp(p, "{id}", 4)) {
            o += (size_t)snprintf(out + o, size - o, "%s", g.claim_id);
            p += 4;
        } else if (!strncmp(p, "{n}", 3)) {
            out[o++] = '0';
            p += 3;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
    return out;
}

static void test_openapi_routes_roles_headers(void **state) {
    (void)state;
    json_decref(wait_finished(g.claim_id));
    http_response doc = bearer(g.port, "GET", "/v1/openapi.json", g.admin, NULL, NULL, 0);
    assert_int_equal(doc.status, 200);
    json_t *api = json_of(&doc);
    assert_non_null(api);
    http_response_free(&doc);
    const char *role_names[3] = {"uploader", "reviewer", "admin"};
    const char *keys[3] = {g.uploader, g.reviewer, g.admin};
    const char *path_tmpl;
    json_t *ops;
    int walked = 0;
    json_object_foreach(json_object_get(api, "paths"), path_tmpl, ops) {
        const char *method;
        json_t *op;
        json_object_foreach(ops, method, op) {
            char M[16], path[256], what[400];
            size_t i = 0;
            for (; method[i] && i + 1 < sizeof M; i++) M[i] = (char)(method[i] & ~0x20);
            M[i] = 0;
            if (strcmp(M, "GET") && strcmp(M, "POST") && strcmp(M, "PUT") && strcmp(M, "DELETE") &&
                strcmp(M, "PATCH"))
                continue; /* "parameters", "summary" at the path level */
            substitute(path_tmpl, path, sizeof path);
            json_t *xr = json_object_get(op, "x-roles");
            if (!json_is_array(xr)) note("%s %s: no x-roles in the OpenAPI document", M, path_tmpl);
            bool allowed[3] = {false, false, false};
            for (size_t k = 0; json_is_array(xr) && k < json_array_size(xr); k++)
                for (int role = 0; role < 3; role++) {
                    const char *name = json_string_value(json_array_get(xr, k));
                    if (name && !strcmp(name, role_names[role])) allowed[role] = true;
                }
            bool needs_key = json_is_array(xr) && json_array_size(xr) > 0;
            /* a body each POST route refuses after the role check, so that nothing is made */
            const char *hdr = "", *body = NULL;
            if (!strcmp(M, "POST") && !strcmp(path_tmpl, "/v1/claims"))
                hdr = "Content-Type: text/plain\r\n", body = "x";
            else if (!strcmp(path_tmpl, "/login"))
                hdr = "Content-Type: application/x-www-form-urlencoded\r\n", body = "key=";
            else if (strcmp(M, "GET")) hdr = "Content-Type: application/json\r\n", body = "{}";
            for (int who = -1; who < 3; who++) {
                char h[512];
                if (who < 0) snprintf(h, sizeof h, "%s", hdr);
                else snprintf(h, sizeof h, "Authorization: Bearer %s\r\n%s", keys[who], hdr);
                http_response r = request(g.port, M, path, h, body, body ? strlen(body) : 0);
                snprintf(what, sizeof what, "%s %s as %s", M, path_tmpl,
                         who < 0 ? "no key" : role_names[who]);
                walked++;
                if (!json_is_array(xr))
                    ; /* noted above; the headers are still checked */
                else if (who < 0 && needs_key && r.status != 401)
                    note("%s: %d, want 401", what, r.status);
                else if (who >= 0 && needs_key && !allowed[who] && r.status != 403)
                    note("%s: %d, want 403 (x-roles)", what, r.status);
                else if ((who < 0 && !needs_key) || (who >= 0 && (allowed[who] || !needs_key))) {
                    if (r.status == 401 || r.status == 403 || r.status >= 500 || r.status == 0)
                        note("%s: %d, want it answered (x-roles allow it)", what, r.status);
                }
                int kind = !strstr(path_tmpl, "/report") ? PLAIN
                           : r.status == 200             ? REPORT
                                                         : REPORT_ROUTE;
                check_headers(&r, what, kind);
                http_response_free(&r);
            }
        }
    }
    json_decref(api);
    assert_true(walked >= 40); /* the document lists every route: 11 operations x 4 callers */

    /* the answers no route of the document gives, and the pages outside it */
    char path[160], h[512];
    const char *review = "{\"decision\":\"MAYBE\"}";
    struct {
        const char *what, *method, *path, *key, *headers, *body;
        int status, kind;
    } extra[] = {
        {"GET /nope", "GET", "/nope", NULL, NULL, NULL, 404, PLAIN},
        {"GET /v1/claims/unknown", "GET", "/v1/claims/clm_00000000000000000000000000000000",
         g.admin, NULL, NULL, 404, PLAIN},
        {"DELETE a claim", "DELETE", NULL, g.admin, NULL, NULL, 405, PLAIN},
        {"a range past the end", "GET", NULL, g.reviewer, "Range: bytes=999999999-\r\n", NULL, 416,
         PLAIN},
        {"a range", "GET", NULL, g.reviewer, "Range: bytes=0-9\r\n", NULL, 206, PLAIN},
        {"a bad review", "POST", NULL, g.reviewer, "Content-Type: application/json\r\n", review,
         400, PLAIN},
        {"a review as text", "POST", NULL, g.reviewer, "Content-Type: text/plain\r\n", review, 415,
         PLAIN},
        {"the favicon", "GET", "/favicon.ico", NULL, NULL, NULL, 204, PLAIN},
        {"the login page", "GET", "/login", NULL, NULL, NULL, 200, PLAIN},
        {"the review page without a key", "GET", "/ui/", NULL, NULL, NULL, 401, PLAIN},
        {"the review page", "GET", "/ui/", g.admin, NULL, NULL, 200, PLAIN},
        {"the page's script", "GET", "/ui/app.js", g.admin, NULL, NULL, 200, PLAIN},
        {"a wrong key at login", "POST", "/login", NULL,
         "Content-Type: application/x-www-form-urlencoded\r\n", "key=dck_nope", 401, PLAIN},
        {"logout", "POST", "/logout", NULL, NULL, "", 303, PLAIN},
        {"the metrics", "GET", "/metrics", g.admin, NULL, NULL, 200, PLAIN},
        {"healthz", "GET", "/healthz", NULL, NULL, NULL, 200, PLAIN},
        {"the report", "GET", NULL, g.reviewer, NULL, NULL, 200, REPORT},
        {"an evidence frame", "GET", NULL, g.reviewer, NULL, NULL, 200, PLAIN},
    };
    char p_claim[160], p_video[160], p_review[160], p_report[160], p_frame[160];
    snprintf(p_claim, sizeof p_claim, "/v1/claims/%s", g.claim_id);
    snprintf(p_video, sizeof p_video, "/v1/claims/%s/video", g.claim_id);
    snprintf(p_review, sizeof p_review, "/v1/claims/%s/review", g.claim_id);
    snprintf(p_report, sizeof p_report, "/v1/claims/%s/report", g.claim_id);
    snprintf(p_frame, sizeof p_frame, "/v1/claims/%s/frames/0.jpg", g.claim_id);
    extra[2].path = p_claim;
    extra[3].path = extra[4].path = p_video;
    extra[5].path = extra[6].path = p_review;
    extra[16].path = p_report;
    extra[17].path = p_frame;
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        snprintf(path, sizeof path, "%s", extra[i].path);
        if (extra[i].key)
            snprintf(h, sizeof h, "Authorization: Bearer %s\r\n%s", extra[i].key,
                     extra[i].headers ? extra[i].headers : "");
        else snprintf(h, sizeof h, "%s", extra[i].headers ? extra[i].headers : "");
        http_response r = request(g.port, extra[i].method, path, h, extra[i].body,
                                  extra[i].body ? strlen(extra[i].body) : 0);
        expect_status(r, extra[i].status, extra[i].what);
        check_headers(&r, extra[i].what, extra[i].kind);
        http_response_free(&r);
    }
    /* 413 on the headers, and an upload's 415 */
    http_response r = upload_raw(NULL, "x", 1, "text/plain", NULL, NULL);
    check_headers(&r, "415 upload", PLAIN);
    http_response_free(&r);
    snprintf(h, sizeof h,
             "Authorization: Bearer %s\r\nContent-Type: video/mp4\r\n"
             "Content-Length: %d\r\n",
             g.uploader, LIMIT + 1);
    r = request(g.port, "POST", "/v1/claims", h, NULL, 0);
    expect_status(r, 413, "a declared length over the limit");
    check_headers(&r, "413 on the headers", PLAIN);
    http_response_free(&r);
    verdict("test_openapi_routes_roles_headers");
}

/* ---- request desync ------------------------------------------------------------------------- */

static void test_request_desync(void **state) {
    (void)state;
    const char smuggled[] = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
    char second_cl[64];
    snprintf(second_cl, sizeof second_cl, "Content-Length: %zu\r\n", 5 + strlen(smuggled));
    const struct {
        const char *what, *framing, *body;
    } cases[] = {
        {"two different Content-Lengths", "Content-Length: 5\r\n", "key=x"},
        {"two equal Content-Lengths", "Content-Length: 5\r\nContent-Length: 5\r\n", "key=x"},
        {"Content-Length with chunked", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
         "0\r\n\r\n"},
        {"Transfer-Encoding gzip", "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n", "key=x"},
        {"Transfer-Encoding gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[1024];
        int n =
            snprintf(req, sizeof req,
                     "POST /login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n%s%s\r\n%s%s",
                     g.port, cases[i].framing, i == 0 ? second_cl : "", cases[i].body, smuggled);
        size_t len;
        bool closed;
        char *out = exchange(g.port, req, (size_t)n, 2000, &len, &closed);
        int responses = count_responses(out, len);
        http_response r = parse_first(out, len);
        if (r.status != 400 || responses != 1 || !closed)
            note("%s: %d response(s), the first %d, connection %s; want one 400 and the "
                 "connection closed",
                 cases[i].what, responses, r.status, closed ? "closed" : "left open");
        if (r.status == 400) check_headers(&r, cases[i].what, PLAIN);
        http_response_free(&r);
        free(out);
    }
    /* the same server still answers a plain request */
    http_response r = request(g.port, "GET", "/healthz", NULL, NULL, 0);
    expect_status(r, 200, "healthz after the desync attempts");
    http_response_free(&r);
    verdict("test_request_desync");
}

/* ---- slowloris ------------------------------------------------------------------------------ */

static void test_slowloris(void **state) {
    (void)state;
    /* 10 connections trickle header lines, one sends its body at 10 bytes/s, and one sends a
     * body at twice the minimum rate for longer than the header deadline: that one is served */
    enum { HEADER_CONNS = 10, SLOW_BODY = 10, GOOD_BODY = 11, N = 12, GOOD_LEN = 60000 };
    int fd[N];
    double opened[N], closed_at[N], next[N];
    int sent[N];
    char h[512], good[4096] = "";
    size_t good_len = 0;
    double t0 = now_s();
    for (int i = 0; i < N; i++) {
        fd[i] = tcp_connect(g.slow_port);
        assert_true(fd[i] >= 0);
        opened[i] = now_s();
        closed_at[i] = -1;
        sent[i] = 0;
        next[i] = opened[i];
    }
    /* the two bodies' headers go at once */
    for (int i = SLOW_BODY; i <= GOOD_BODY; i++) {
        int n = snprintf(h, sizeof h,
                         "POST /v1/claims HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                         "Authorization: Bearer %s\r\nContent-Type: video/mp4\r\n"
                         "Content-Length: %d\r\n\r\n",
                         g.slow_port, g.uploader, i == SLOW_BODY ? 100000 : GOOD_LEN);
        assert_true(http_send_all(fd[i], h, (size_t)n));
    }
    double body_from = now_s();
    static char block[2 * SLOW_BODY_RATE / 10]; /* every 0.1 s: twice the minimum rate */
    memset(block, 'v', sizeof block);
    int open = N;
    while (open > 0 && now_s() - t0 < 8.0) {
        double t = now_s();
        for (int i = 0; i < N; i++) {
            if (closed_at[i] >= 0 || t < next[i]) continue;
            ssize_t want, k;
            if (i < HEADER_CONNS) {
                if (sent[i] == 0) want = snprintf(h, sizeof h, "GET /healthz HTTP/1.1\r\n");
                else want = snprintf(h, sizeof h, "X-Slow-%d: %d\r\n", sent[i], i);
                k = send(fd[i], h, (size_t)want, MSG_NOSIGNAL);
                next[i] += 0.5;
                sent[i]++;
            } else if (i == SLOW_BODY) {
                k = send(fd[i], "x", want = 1, MSG_NOSIGNAL);
                next[i] += 0.1;
                sent[i]++;
            } else {
                if (sent[i] >= GOOD_LEN) {
                    next[i] = 1e18; /* all sent: wait for the answer */
                    continue;
                }
                want =
                    GOOD_LEN - sent[i] < (int)sizeof block ? GOOD_LEN - sent[i] : (int)sizeof block;
                k = send(fd[i], block, (size_t)want, MSG_NOSIGNAL);
                next[i] += 0.1;
                if (k > 0) sent[i] += (int)k;
            }
            if (k != want) {
                closed_at[i] = t;
                open--;
            }
        }
        struct pollfd p[N];
        for (int i = 0; i < N; i++)
            p[i] = (struct pollfd){.fd = closed_at[i] < 0 ? fd[i] : -1, .events = POLLIN};
        if (poll(p, N, 20) <= 0) continue;
        for (int i = 0; i < N; i++) {
            if (closed_at[i] >= 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t k = recv(fd[i], buf, sizeof buf, MSG_DONTWAIT);
            if (k > 0 && i == GOOD_BODY && good_len + (size_t)k < sizeof good) {
                memcpy(good + good_len, buf, (size_t)k);
                good[good_len += (size_t)k] = 0;
            }
            if (k <= 0 && !(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
                closed_at[i] = now_s();
                open--;
            }
        }
    }
    for (int i = 0; i < N; i++) close(fd[i]);
    double first = -1, last = -1;
    for (int i = 0; i < HEADER_CONNS; i++)
        if (closed_at[i] >= 0) {
            first =
                first < 0 || closed_at[i] - opened[i] < first ? closed_at[i] - opened[i] : first;
            last = closed_at[i] - opened[i] > last ? closed_at[i] - opened[i] : last;
        }
    printf("slowloris: header trickles closed after %.2f..%.2f s, the 10-bytes/s body after "
           "%.2f s of body, the %d-bytes/s body answered after %.2f s (-1: never)\n",
           first, last, closed_at[SLOW_BODY] >= 0 ? closed_at[SLOW_BODY] - body_from : -1.0,
           2 * SLOW_BODY_RATE, closed_at[GOOD_BODY] >= 0 ? closed_at[GOOD_BODY] - body_from : -1.0);
    double header_limit = SLOW_HEADER_SEC + 1.5, body_limit = SLOW_HEADER_SEC + 2.0;
    for (int i = 0; i < HEADER_CONNS; i++) {
        if (closed_at[i] < 0)
            note("header trickle %d: still open after %.1f s (%d lines sent); want closed within "
                 "%.1f s",
                 i, now_s() - opened[i], sent[i], header_limit);
        else if (closed_at[i] - opened[i] > header_limit)
            note("header trickle %d: closed after %.2f s; want within %.1f s", i,
                 closed_at[i] - opened[i], header_limit);
    }
    if (closed_at[SLOW_BODY] < 0)
        note("a body at 10 bytes/s: still open after %.1f s (%d bytes); want closed within %.1f s",
             now_s() - body_from, sent[SLOW_BODY], body_limit);
    else if (closed_at[SLOW_BODY] - body_from > body_limit)
        note("a body at 10 bytes/s: closed after %.2f s; want within %.1f s",
             closed_at[SLOW_BODY] - body_from, body_limit);
    http_response r = parse_first(good, good_len);
    if (r.status != 202)
        note("a body at %d bytes/s (the minimum is %d) over %.1f s: answered %d after %d bytes; "
             "want 202",
             2 * SLOW_BODY_RATE, SLOW_BODY_RATE, GOOD_LEN / (2.0 * SLOW_BODY_RATE), r.status,
             sent[GOOD_BODY]);
    http_response_free(&r);
    /* a client at a normal pace is served by the same server */
    r = request(g.slow_port, "GET", "/healthz", NULL, NULL, 0);
    expect_status(r, 200, "healthz on the slow server");
    http_response_free(&r);
    verdict("test_slowloris");
}

/* ---- the browser session and cross-site writes ---------------------------------------------- */

/* POST /login with key; the session cookie's value ("dcs_...") into cookie, the Set-Cookie line
 * into set_cookie; returns the status. */
static int login(int port, const char *key, const char *more_headers, char *cookie, size_t size,
                 char *set_cookie, size_t sc_size) {
    char body[200], h[512];
    snprintf(body, sizeof body, "key=%s", key);
    snprintf(h, sizeof h, "Content-Type: application/x-www-form-urlencoded\r\n%s",
             more_headers ? more_headers : "");
    http_response r = request(port, "POST", "/login", h, body, strlen(body));
    const char *sc = http_header(&r, "Set-Cookie");
    snprintf(set_cookie, sc_size, "%s", sc ? sc : "");
    cookie[0] = 0;
    if (sc) snprintf(cookie, size, "%.*s", (int)strcspn(sc, ";"), sc);
    int status = r.status;
    http_response_free(&r);
    return status;
}

/* Set-Cookie as the contract says: dashclaim_session=dcs_<64 hex>, Path=/, HttpOnly,
 * SameSite=Strict, Max-Age=ttl, Secure when secure; never the key. */
static void check_set_cookie(const char *sc, const char *key, int ttl, bool secure,
                             const char *what) {
    const char *pre = "dashclaim_session=dcs_";
    bool shape = !strncmp(sc, pre, strlen(pre));
    for (size_t i = 0; shape && i < 64; i++) {
        char c = sc[strlen(pre) + i];
        shape = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    shape = shape && sc[strlen(pre) + 64] == ';';
    char max_age[32];
    snprintf(max_age, sizeof max_age, "; Max-Age=%d", ttl);
    if (!shape) note("%s: Set-Cookie '%.120s' is not dashclaim_session=dcs_<64 hex>", what, sc);
    if (strstr(sc, key) || strstr(sc, "dck_")) note("%s: the cookie holds the API key", what);
    if (!strstr(sc, "; Path=/") || !strstr(sc, "; HttpOnly") || !strstr(sc, "; SameSite=Strict") ||
        !strstr(sc, max_age))
        note("%s: Set-Cookie '%.160s' lacks Path=/, HttpOnly, SameSite=Strict or Max-Age=%d", what,
             sc, ttl);
    if (secure != (strstr(sc, "; Secure") != NULL))
        note("%s: Set-Cookie '%.160s' %s", what, sc, secure ? "lacks Secure" : "has Secure");
}

static int with_cookie(int port, const char *method, const char *path, const char *cookie,
                       const char *more_headers, const char *body) {
    char h[1024];
    snprintf(h, sizeof h, "Cookie: %s\r\n%s", cookie, more_headers ? more_headers : "");
    http_response r = request(port, method, path, h, body, body ? strlen(body) : 0);
    int s = r.status;
    http_response_free(&r);
    return s;
}

static void test_session_cookie(void **state) {
    (void)state;
    char cookie[256], sc[512], proxy_cookie[256], h[512];
    /* the proxy server's session lives PROXY_TTL s; started first so that it has expired at the end */
    /* behind the proxy the page's origin is https://HOST */
    char po[160];
    snprintf(po, sizeof po, "X-Forwarded-Proto: https\r\nOrigin: https://127.0.0.1:%d\r\n",
             g.proxy_port);
    int ps = login(g.proxy_port, g.reviewer, po, proxy_cookie, sizeof proxy_cookie, sc, sizeof sc);
    double proxy_login = now_s();
    if (ps != 303) note("login behind a proxy that says https, from the https origin: %d", ps);
    check_set_cookie(sc, g.reviewer, PROXY_TTL, true, "login behind a proxy that says https");
    if (with_cookie(g.proxy_port, "GET", "/v1/claims", proxy_cookie, NULL, NULL) != 200)
        note("the proxy server's fresh session is not accepted");

    int s = login(g.port, g.reviewer, NULL, cookie, sizeof cookie, sc, sizeof sc);
    if (s != 303) note("login: %d, want 303", s);
    check_set_cookie(sc, g.reviewer, 28800, false, "login");
    if (with_cookie(g.port, "GET", "/v1/claims", cookie, NULL, NULL) != 200)
        note("the session cookie is not accepted on GET /v1/claims");
    /* the old cookie, the raw key, is no longer a way in */
    snprintf(h, sizeof h, "dashclaim_key=%s", g.reviewer);
    s = with_cookie(g.port, "GET", "/v1/claims", h, NULL, NULL);
    if (s != 401) note("cookie dashclaim_key=<key>: %d, want 401", s);
    /* X-Forwarded-Proto is not believed without --trust-proxy */
    login(g.port, g.reviewer, "X-Forwarded-Proto: https\r\n", h, sizeof h, sc, sizeof sc);
    check_set_cookie(sc, g.reviewer, 28800, false,
                     "login with X-Forwarded-Proto, proxy not trusted");
    /* --secure-cookies: Secure, and the https origin is the same origin */
    char so[128];
    snprintf(so, sizeof so, "Origin: https://127.0.0.1:%d\r\n", g.secure_port);
    s = login(g.secure_port, g.reviewer, so, h, sizeof h, sc, sizeof sc);
    if (s != 303) note("login on the secure server from its https origin: %d, want 303", s);
    check_set_cookie(sc, g.reviewer, 600, true, "login with secure cookies");
    snprintf(so, sizeof so, "Origin: http://127.0.0.1:%d\r\n", g.secure_port);
    s = login(g.secure_port, g.reviewer, so, h, sizeof h, sc, sizeof sc);
    if (s != 403) note("login on the secure server from its http origin: %d, want 403", s);

    /* logout revokes the session on the server, not just in the browser */
    char same[128];
    snprintf(same, sizeof same, "Origin: http://127.0.0.1:%d\r\nSec-Fetch-Site: same-origin\r\n",
             g.port);
    s = with_cookie(g.port, "POST", "/logout", cookie, same, "");
    if (s != 303) note("logout: %d, want 303", s);
    s = with_cookie(g.port, "GET", "/v1/claims", cookie, NULL, NULL);
    if (s != 401) note("the session after logout: %d, want 401", s);

    double left = PROXY_TTL + 1.0 - (now_s() - proxy_login);
    if (left > 0) usleep((useconds_t)(left * 1e6));
    s = with_cookie(g.proxy_port, "GET", "/v1/claims", proxy_cookie, NULL, NULL);
    if (s != 401) note("a session past its %d-s lifetime: %d, want 401", PROXY_TTL, s);
    verdict("test_session_cookie");
}

static void test_cross_site_writes(void **state) {
    (void)state;
    json_decref(wait_finished(g.claim_id));
    char rcookie[256], acookie[256], sc[512], path[160], same[160], other_port[160];
    snprintf(same, sizeof same, "Origin: http://127.0.0.1:%d\r\nSec-Fetch-Site: same-origin\r\n",
             g.port);
    /* another port of the same site is another origin */
    snprintf(other_port, sizeof other_port,
             "Origin: http://127.0.0.1:%d\r\nSec-Fetch-Site: same-site\r\n", g.port + 1);
    if (login(g.port, g.reviewer, same, rcookie, sizeof rcookie, sc, sizeof sc) != 303 ||
        login(g.port, g.admin, same, acookie, sizeof acookie, sc, sizeof sc) != 303)
        note("login from the same origin is refused");
    const char *cross[] = {"Origin: http://evil.example\r\n", "Origin: null\r\n",
                           "Sec-Fetch-Site: cross-site\r\n", other_port,
                           "Origin: https://127.0.0.1\r\n"};
    /* a review with the cookie */
    snprintf(path, sizeof path, "/v1/claims/%s/review", g.claim_id);
    const char *review = "{\"decision\":\"APPROVE\",\"fault_ratio\":0,\"reasoning\":\"csrf\"}";
    for (size_t i = 0; i < sizeof cross / sizeof cross[0]; i++) {
        char h[512];
        snprintf(h, sizeof h, "Content-Type: application/json\r\n%s", cross[i]);
        int s = with_cookie(g.port, "POST", path, rcookie, h, review);
        if (s != 403)
            note("a review with the cookie and %.*s: %d, want 403", (int)strcspn(cross[i], "\r"),
                 cross[i], s);
    }
    /* an upload with the admin's cookie from a form on another port of the site */
    part p = {"policy_id", "POL-CSRF", 8};
    size_t n;
    char *form = multipart(&p, 1, "video/mp4", "junk", 4, &n);
    char h[1024];
    snprintf(h, sizeof h, "Cookie: %s\r\nContent-Type: %s\r\n%s", acookie, MULTIPART_CT,
             other_port);
    http_response r = request(g.port, "POST", "/v1/claims", h, form, n);
    expect_status(r, 403, "a cookie upload from another port of the site");
    http_response_free(&r);
    snprintf(h, sizeof h, "Cookie: %s\r\nContent-Type: %s\r\nSec-Fetch-Site: cross-site\r\n",
             acookie, MULTIPART_CT);
    r = request(g.port, "POST", "/v1/claims", h, form, n);
    expect_status(r, 403, "a cookie upload with Sec-Fetch-Site: cross-site");
    http_response_free(&r);
    /* the same from the same origin works, and a Bearer client is not subject to the check */
    snprintf(h, sizeof h, "Cookie: %s\r\nContent-Type: %s\r\n%s", acookie, MULTIPART_CT, same);
    r = request(g.port, "POST", "/v1/claims", h, form, n);
    expect_status(r, 202, "a cookie upload from the same origin");
    http_response_free(&r);
    r = upload_raw(NULL, "junk", 4, "video/mp4", "Origin: http://evil.example\r\n", NULL);
    expect_status(r, 202, "a Bearer upload with a foreign Origin");
    http_response_free(&r);
    free(form);
    /* login CSRF (a foreign form signs the victim in as someone else) and logout CSRF */
    char c2[256];
    for (size_t i = 0; i < sizeof cross / sizeof cross[0]; i++) {
        int s = login(g.port, g.admin, cross[i], c2, sizeof c2, sc, sizeof sc);
        if (s != 403 || c2[0])
            note("login with %.*s: %d%s, want 403 and no cookie", (int)strcspn(cross[i], "\r"),
                 cross[i], s, c2[0] ? " with a cookie" : "");
        s = with_cookie(g.port, "POST", "/logout", rcookie, cross[i], "");
        if (s != 403)
            note("logout with %.*s: %d, want 403", (int)strcspn(cross[i], "\r"), cross[i], s);
    }
    if (with_cookie(g.port, "GET", "/v1/claims", rcookie, NULL, NULL) != 200)
        note("the reviewer's session did not survive the refused cross-site logouts");
    /* the reviewer's own page may review: same origin */
    snprintf(h, sizeof h, "Content-Type: application/json\r\n%s", same);
    int s = with_cookie(g.port, "POST", path, rcookie, h,
                        "{\"decision\":\"REJECT\",\"reasoning\":\"same origin\"}");
    if (s != 200) note("a review with the cookie from the same origin: %d, want 200", s);
    /* no refused review left a trace: the one review is the same-origin REJECT */
    dc_status st = DC_STATUS_OK;
    dc_store *db = dc_store_open(g.url, NULL, &st);
    assert_non_null(db);
    dc_audit_row rows[64];
    int nrows = 0, reviews = 0;
    assert_int_equal(dc_store_audit_list(db, g.claim_id, 0, rows, 64, &nrows, &st), DC_OK);
    for (int i = 0; i < nrows; i++)
        if (!strcmp(rows[i].action, "review")) reviews++;
    dc_store_close(db);
    if (reviews != 1) note("the claim has %d review rows, want 1 (the same-origin one)", reviews);
    verdict("test_cross_site_writes");
}

/* ---- limits --------------------------------------------------------------------------------- */

static void test_chunked_413_while_sending(void **state) {
    (void)state;
    int fd = tcp_connect(g.port);
    assert_true(fd >= 0);
    char h[512];
    int n =
        snprintf(h, sizeof h,
                 "POST /v1/claims HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                 "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
                 g.port, g.uploader);
    assert_true(http_send_all(fd, h, (size_t)n));
    enum { PIECE = 64 * 1024, TOTAL = 8 * 1000 * 1000 };
    char *piece = calloc(1, PIECE);
    char got[8192] = "";
    size_t got_len = 0, sent = 0, sent_at_answer = 0;
    bool closed = false;
    while (sent < TOTAL && !closed && !strstr(got, "\r\n\r\n")) {
        char sz[32];
        int k = snprintf(sz, sizeof sz, "%x\r\n", PIECE);
        if (!http_send_all(fd, sz, (size_t)k) || !http_send_all(fd, piece, PIECE) ||
            !http_send_all(fd, "\r\n", 2))
            break;
        sent += PIECE;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, 10) > 0) {
            ssize_t m = recv(fd, got + got_len, sizeof got - got_len - 1, 0);
            if (m <= 0) {
                closed = true;
                break;
            }
            got_len += (size_t)m;
            got[got_len] = 0;
            if (!sent_at_answer) sent_at_answer = sent;
        }
    }
    /* whatever is still coming */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (!closed && got_len + 1 < sizeof got && poll(&p, 1, 2000) > 0) {
        ssize_t m = recv(fd, got + got_len, sizeof got - got_len - 1, 0);
        if (m <= 0) break;
        got_len += (size_t)m;
        got[got_len] = 0;
        if (!sent_at_answer) sent_at_answer = sent;
    }
    close(fd);
    free(piece);
    http_response r = parse_first(got, got_len);
    if (r.status != 413)
        note("a chunked body over the %d-byte limit: %s after %zu bytes sent; want 413", LIMIT,
             got_len ? "another answer" : "no answer at all (the connection just ended)", sent);
    else if (sent_at_answer > 3 * LIMIT)
        note("the 413 came after %zu bytes were sent; want it while the body passes %d",
             sent_at_answer, LIMIT);
    else check_headers(&r, "413 for a chunked body", PLAIN);
    printf("chunked upload over a %d-byte limit: answered %d when %zu bytes had been sent\n", LIMIT,
           r.status, sent_at_answer);
    http_response_free(&r);
    verdict("test_chunked_413_while_sending");
}

/* Files under DIR/videos but tmp/ (SQLite's content-addressed video store). */
static int stored_videos(const char *dir) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "find '%s/videos' -type f -not -path '*/videos/tmp/*' | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f && fscanf(f, "%d", &n) != 1) n = -1;
    if (f) pclose(f);
    return n;
}

static void test_idempotency_key_conflict(void **state) {
    (void)state;
    const char a[] = "the first body for key order-9", b[] = "ANOTHER body under the same key";
    char id1[DC_STORE_ID_LEN], id2[DC_STORE_ID_LEN];
    http_response r =
        upload_raw(NULL, a, sizeof a, "video/mp4", "Idempotency-Key: order-9\r\n", id1);
    assert_int_equal(r.status, 202);
    http_response_free(&r);
    int before = test_store_is_pg() ? 0 : stored_videos(g.url);
    r = upload_raw(NULL, b, sizeof b, "video/mp4", "Idempotency-Key: order-9\r\n", id2);
    expect_status(r, 409, "the key again with another body");
    if (r.status == 409) check_headers(&r, "409 for a reused Idempotency-Key", PLAIN);
    http_response_free(&r);
    if (!test_store_is_pg() && stored_videos(g.url) != before)
        note("the refused body was left in the store: %d video files, %d before",
             stored_videos(g.url), before);
    r = upload_raw(NULL, a, sizeof a, "video/mp4", "Idempotency-Key: order-9\r\n", id2);
    expect_status(r, 202, "the key again with the same body");
    json_t *j = json_of(&r);
    if (!json_is_true(json_object_get(j, "duplicate")) || strcmp(id1, jstr(j, "id", NULL)))
        note("the same body again is not the first claim marked duplicate: %.200s", r.body);
    json_decref(j);
    http_response_free(&r);
    verdict("test_idempotency_key_conflict");
}

static void test_nul_and_repeated_fields(void **state) {
    (void)state;
    const char junk[] = "junk video bytes";
    http_response r = upload_raw("?claimant=a%00b", junk, sizeof junk, "video/mp4", NULL, NULL);
    expect_status(r, 400, "?claimant=a%00b");
    http_response_free(&r);
    r = upload_raw("?policy_id=a&policy_id=b", junk, sizeof junk, "video/mp4", NULL, NULL);
    expect_status(r, 400, "?policy_id=a&policy_id=b");
    http_response_free(&r);
    const struct {
        const char *what;
        part parts[2];
        int n;
    } forms[] = {
        {"a multipart field with a NUL byte", {{"claimant", "J.\0Doe", 6}}, 1},
        {"two policy_id parts", {{"policy_id", "POL-1", 5}, {"policy_id", "POL-2", 5}}, 2},
    };
    for (size_t i = 0; i < 2; i++) {
        size_t n;
        char *body = multipart(forms[i].parts, forms[i].n, "video/mp4", junk, sizeof junk, &n);
        r = upload_raw(NULL, body, n, MULTIPART_CT, NULL, NULL);
        expect_status(r, 400, forms[i].what);
        if (r.status == 400) check_headers(&r, forms[i].what, PLAIN);
        http_response_free(&r);
        free(body);
    }
    verdict("test_nul_and_repeated_fields");
}

/* A store that cannot take the upload: 503, and the message names no path of the server. */
static void test_store_failure_names_no_path(void **state) {
    (void)state;
    if (test_store_is_pg()) skip(); /* the failure is made by replacing a folder of SQLite's */
    char tmpdir[700], moved[720];
    snprintf(tmpdir, sizeof tmpdir, "%s/videos/tmp", g.url);
    snprintf(moved, sizeof moved, "%s/videos/tmp.away", g.url);
    assert_int_equal(rename(tmpdir, moved), 0);
    FILE *f = fopen(tmpdir, "w"); /* a file where the folder was: no upload can start */
    assert_non_null(f);
    fclose(f);
    http_response r = upload_raw(NULL, "junk", 4, "video/mp4", NULL, NULL);
    unlink(tmpdir);
    assert_int_equal(rename(moved, tmpdir), 0);
    expect_status(r, 503, "an upload the store cannot take");
    if (r.status == 503) check_headers(&r, "503", PLAIN);
    const char *paths[] = {g.url, g.tmp, "/tmp", "videos/"};
    for (size_t i = 0; i < 4; i++)
        if (r.body && strstr(r.body, paths[i])) note("the 503 names '%s': %s", paths[i], r.body);
    http_response_free(&r);
    verdict("test_store_failure_names_no_path");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stored_script_types),
        cmocka_unit_test(test_failed_claim_not_approved),
        cmocka_unit_test(test_openapi_routes_roles_headers),
        cmocka_unit_test(test_request_desync),
        cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_session_cookie),
        cmocka_unit_test(test_cross_site_writes),
        cmocka_unit_test(test_chunked_413_while_sending),
        cmocka_unit_test(test_idempotency_key_conflict),
        cmocka_unit_test(test_nul_and_repeated_fields),
        cmocka_unit_test(test_store_failure_names_no_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
