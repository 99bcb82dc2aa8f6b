/* A small blocking HTTP/1.1 client for the service tests: one request per connection
 * ("Connection: close"), body sent whole or in chunks (Transfer-Encoding: chunked), response read
 * to the end. Enough to drive the server exactly as curl would, without a client library. */
#ifndef DC_TEST_HTTP_CLIENT_H
#define DC_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    int status; /* 0 = no response (connection failed or closed early) */
    char *head; /* status line + headers, NUL-terminated */
    char *body; /* NUL-terminated for convenience */
    size_t body_len;
} http_response;

static inline void http_response_free(http_response *r) {
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* The value of header name in r (static buffer), or NULL. */
static inline const char *http_header(const http_response *r, const char *name) {
    static char value[512];
    if (!r->head) return NULL;
    size_t n = strlen(name);
    for (const char *line = strchr(r->head, '\n'); line; line = strchr(line + 1, '\n')) {
        const char *l = line + 1;
        if (!strncasecmp(l, name, n) && l[n] == ':') {
            l += n + 1;
            while (*l == ' ') l++;
            size_t k = strcspn(l, "\r\n");
            if (k >= sizeof value) k = sizeof value - 1;
            memcpy(value, l, k);
            value[k] = 0;
            return value;
        }
    }
    return NULL;
}

static inline bool http_send_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* extra_headers: "Name: value\r\n" lines (may be NULL). chunk > 0 sends the body chunked in pieces
 * of that size, without a Content-Length. */
static inline http_response http_request_ex(int port, const char *method, const char *path,
                                            const char *extra_headers, const void *body,
                                            size_t body_len, size_t chunk) {
    http_response r = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return r;
    struct timeval tv = {120, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return r;
    }
    char head[4096];
    int hn;
    if (chunk)
        hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      "Transfer-Encoding: chunked\r\n%s\r\n",
                      method, path, extra_headers ? extra_headers : "");
    else if (body)
        hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      "Content-Length: %zu\r\n%s\r\n",
                      method, path, body_len, extra_headers ? extra_headers : "");
    else
        hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method,
                      path, extra_headers ? extra_headers : "");
    bool ok = http_send_all(fd, head, (size_t)hn);
    if (ok && body && !chunk) ok = http_send_all(fd, body, body_len);
    if (ok && chunk) {
        const char *p = body;
        for (size_t off = 0; ok && off < body_len; off += chunk) {
            size_t k = body_len - off < chunk ? body_len - off : chunk;
            char sz[32];
            int sn = snprintf(sz, sizeof sz, "%zx\r\n", k);
            ok = http_send_all(fd, sz, (size_t)sn) && http_send_all(fd, p + off, k) &&
                 http_send_all(fd, "\r\n", 2);
        }
        if (ok) ok = http_send_all(fd, "0\r\n\r\n", 5);
    }
    /* read everything, even after a failed send: the server may have answered early (413) */
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k <= 0) break;
        len += (size_t)k;
    }
    close(fd);
    buf[len] = 0;
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &r.status) != 1) {
        free(buf);
        r.status = 0;
        return r;
    }
    size_t hl = (size_t)(sep - buf);
    r.head = malloc(hl + 1);
    memcpy(r.head, buf, hl);
    r.head[hl] = 0;
    const char *te = http_header(&r, "Transfer-Encoding");
    const char *b = sep + 4;
    size_t bl = len - hl - 4;
    r.body = malloc(bl + 1);
    if (te && strstr(te, "chunked")) { /* de-chunk */
        size_t o = 0;
        const char *p = b, *end = b + bl;
        while (p < end) {
            size_t k = strtoul(p, NULL, 16);
            const char *nl = strstr(p, "\r\n");
            if (!nl || k == 0) break;
            p = nl + 2;
            if (p + k > end) k = (size_t)(end - p);
            memcpy(r.body + o, p, k);
            o += k;
            p += k + 2;
        }
        r.body_len = o;
    } else {
        memcpy(r.body, b, bl);
        r.body_len = bl;
    }
    r.body[r.body_len] = 0;
    free(buf);
    return r;
}

static inline http_response http_get(int port, const char *path, const char *key) {
    char h[256] = "";
    if (key) snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", key);
    return http_request_ex(port, "GET", path, h, NULL, 0, 0);
}

#endif
