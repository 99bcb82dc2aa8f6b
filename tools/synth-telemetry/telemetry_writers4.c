/* See telemetry_writers4.h. */
#include "telemetry_writers4.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void le32_at(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* degrees -> DDMM.MMMMM * 1e5, the sign kept */
static int32_t ddmm_e5(double deg) {
    double a = fabs(deg), d = floor(a);
    double v = round((d * 100 + (a - d) * 60) * 1e5);
    return (int32_t)(deg < 0 ? -v : v);
}

int tw4_a810_block(const tw_scene *s, int k, tw_buf *out) {
    uint8_t b[0x200] = {0};
    b[2] = 0x02; /* box size 0x200, big-endian */
    tw_put_chars(b + 4, "freeGPS ", 8);
    tw_fix f = tw_fix_at(s, k);
    b[30] = 'A';
    le32_at(b + 31, (uint32_t)ddmm_e5(f.lat));
    le32_at(b + 35, (uint32_t)ddmm_e5(f.lon));
    le32_at(b + 43, (uint32_t)(int32_t)lround(f.speed_kmh));
    b[51] = b[52] = 'V';
    return tw_put(out, b, sizeof b);
}

int tw4_mp4_add_a810(const tw_scene *s, const char *in, const char *out) {
    int n = (int)s->duration_sec, rc = 0;
    tw_buf *blocks = calloc((size_t)n, sizeof *blocks);
    if (!blocks) return -1;
    for (int k = 0; k < n && !rc; k++) rc = tw4_a810_block(s, k, &blocks[k]);
    if (!rc) rc = tw_mp4_add_novatek(in, out, blocks, n);
    for (int k = 0; k < n; k++) tw_buf_free(&blocks[k]);
    free(blocks);
    return rc ? -1 : 0;
}

int tw4_ligogps_pes_payload(const tw_scene *s, int k, bool header_says_fuzzed, tw_buf *out) {
    tw_buf ligo = {0};
    if (tw3_ligogps_payload(s, k, 1, true, &ligo)) return -1;
    if (header_says_fuzzed) ligo.p[15] = 0x05;
    uint8_t head[8] = {'s', 'k', 'i', 'p'};
    uint32_t size = (uint32_t)(ligo.n + 8);
    for (int i = 0; i < 4; i++) head[4 + i] = (uint8_t)(size >> (24 - 8 * i));
    int rc = tw_put(out, head, 8) || tw_put(out, ligo.p, ligo.n);
    tw_buf_free(&ligo);
    return rc ? -1 : 0;
}

/* One TS packet on PID 0x300: PES private_stream_1 with a PTS, stuffing in the adaptation
 * field so that the payload ends the packet. */
static int pes_packet(uint64_t pts, const tw_buf *payload, int cc, uint8_t p[188]) {
    size_t pes = 14 + payload->n;
    if (pes > 184 - 2) return -1;
    size_t stuff = 184 - pes; /* adaptation field: length byte + flags + 0xff */
    memset(p, 0xff, 188);
    p[0] = 0x47, p[1] = 0x40 | 0x03, p[2] = 0x00, p[3] = (uint8_t)(0x30 | (cc & 15));
    p[4] = (uint8_t)(stuff - 1), p[5] = 0;
    uint8_t *e = p + 4 + stuff;
    size_t len = pes - 6;
    e[0] = 0, e[1] = 0, e[2] = 1, e[3] = 0xbd, e[4] = (uint8_t)(len >> 8), e[5] = (uint8_t)len;
    e[6] = 0x80, e[7] = 0x80, e[8] = 5;
    e[9] = (uint8_t)(0x21 | ((pts >> 29) & 0x0e));
    e[10] = (uint8_t)(pts >> 22), e[11] = (uint8_t)(((pts >> 14) & 0xfe) | 1);
    e[12] = (uint8_t)(pts >> 7), e[13] = (uint8_t)(((pts << 1) & 0xfe) | 1);
    memcpy(e + 14, payload->p, payload->n);
    return 0;
}

int tw4_ts_add_ligogps(const tw_scene *s, const char *in, const char *out) {
    tw_buf src = {0}, dst = {0};
    FILE *f = fopen(in, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", in);
        return -1;
    }
    uint8_t chunk[65536];
    size_t r;
    int rc = -1;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (tw_put(&src, chunk, r)) break;
    fclose(f);
    size_t packets = src.n / 188;
    uint64_t first = 0;
    bool have = false;
    for (size_t i = 0; i < packets && !have; i++) {
        const uint8_t *p = src.p + i * 188;
        if (p[0] != 0x47 || !(p[1] & 0x40)) continue;
        size_t at = 4 + ((p[3] >> 4 & 3) == 3 ? 1 + (size_t)p[4] : 0);
        const uint8_t *e = p + at;
        if (at + 14 <= 188 && !e[0] && !e[1] && e[2] == 1 && (e[7] & 0x80)) {
            first = (uint64_t)(e[9] >> 1 & 7) << 30 | (uint64_t)e[10] << 22 |
                    (uint64_t)(e[11] >> 1) << 15 | (uint64_t)e[12] << 7 | e[13] >> 1;
            have = true;
        }
    }
    if (!have) {
        fprintf(stderr, "%s: not an MPEG-TS with a PTS\n", in);
        goto done;
    }
    int n = (int)s->duration_sec, k = 0;
    for (size_t i = 0; i <= packets; i++) {
        while (k < n && i >= 1 && (double)i / (double)packets >= (double)k / n) {
            tw_buf pay = {0};
            uint8_t p[188];
            int bad = tw4_ligogps_pes_payload(s, k, true, &pay) ||
                      pes_packet(first + (uint64_t)k * 90000, &pay, k, p) || tw_put(&dst, p, 188);
            tw_buf_free(&pay);
            if (bad) goto done;
            k++;
        }
        if (i < packets && tw_put(&dst, src.p + i * 188, 188)) goto done;
    }
    rc = tw_write_file(out, dst.p, dst.n);
done:
    tw_buf_free(&src), tw_buf_free(&dst);
    return rc;
}
