/* LigoGPS: 132-byte records "####" + u32 LE byte count + an obfuscated text, after a 20-byte
 * header "LIGOGPSINFO\0" + 4 bytes + 4 bytes. Found inside ssmd samples (ssmd.c), in Novatek-
 * style freeGPS blocks, and as a trailer at the file's end: a 'skip' box whose last 8 bytes
 * are "&&&&" + the trailer's length (u32 BE), its body the header and records.
 *
 * The text, once decrypted: 4 bytes (a counter), then
 *   "YYYY/MM/DD hh:mm:ss N:lat E:lon speed km/h [A:heading] [x:ax y:ay z:az] ..."
 * Decryption: the bytes come in groups led by a steering byte whose top three bits say how
 * many data bytes follow (0xc0+: 4, 0x40..0xbf: 3 and one space put back at a place the bits
 * name, 0x00: 1) and whose low bits are OR-ed into them; the data bytes are then XOR 0x20
 * (except after a 0x00 steering byte).
 * Coordinate scrambling ("fuzzing"): unless the header's bytes 12..15 are 0,0,0 and 1 or 0x14,
 * the stored pair (a, b) hides (lat, lon) as lat = int(a/10)*10 + (b - int(b/10)*10) * k,
 * lon = int(b/10)*10 + (a - int(a/10)*10) * k with k = 1.524855137 (the scale of the cameras
 * seen; exiftool knows 1.456027985 and 1.15368 for two others, chosen by hand), and the speed
 * is in units of 1/1.85407333 km/h; unscrambled records give knots. A coordinate of three or
 * more integer digits is DDMM.MMMM.
 * In MPEG-TS (novatek_ts.c finds it): a PES payload "skip" + 4 bytes + the header and records,
 * never scrambled whatever the header says (exiftool reads it so).
 * The digit cipher (what exiftool 13.x's LigoGPS.pm reads; some cameras write it instead of the
 * encryption): after "####" + 4 bytes the plain text itself, its bytes 0x30..0x5f (digits,
 * ':', capitals) put through a substitution table, the rest ('/', ' ', '.', '-', lower case)
 * as they are; NUL padding. A record is taken for one when its text has the shape
 * "cccc/cc/cc ..c..c.c " (c in 0x30..0x5f) with the same byte at both colons. The table is
 * learnt from the records: the units digit of the seconds advances by one a record (a fix a
 * second), so each record whose digit differs from the one before adds an edge "was followed
 * by"; once ten enciphered digits have a successor, the one cycle through ten of them
 * (seconds may be skipped, so several successors are tried) gives the digits' order, and the
 * date's first digit, '2' (years 2000-2999), where it starts. The time's colon byte is ':';
 * the letters before the first two "X:" after the time are N/S and E/W, S and W where the
 * value has a '-' (unsigned coordinates read as N and E: the file does not say). Every other
 * enciphered byte (e.g. 'A' of "A:heading") becomes '?', so the heading is not read. Records
 * wait until the table is known (at most TM_LIGO_MAX_PENDING), then are read in order; at the
 * end, records that never could be read are counted in t.reason. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tm_more.h"

enum { HEADER = 0x14, RECORD = 0x84, MAX_TRAILER = 4 << 20 };
#define FUZZ_SCALE 1.524855137
#define FUZZ_SPEED 1.85407333
#define KNOTS_TO_KMH 1.852

/* Decrypts a "####" record into out (NUL-terminated); false when the groups do not add up
 * (a record in the digit cipher, or damaged). */
static bool decrypt(const uint8_t *rec, size_t n, char *out, size_t cap, size_t *len) {
    if (n < 8 || memcmp(rec, "####", 4) != 0) return false;
    uint32_t num = tm_le32(rec + 4);
    if (num < 4) return false;
    if (num > RECORD - 8) num = RECORD - 8;
    if (num > n - 8) return false;
    const uint8_t *in = rec + 8, *end = in + num;
    size_t o = 0;
    while (in < end) {
        uint8_t b = *in++, steer = b & 0xe0;
        uint8_t g[4];
        int k;
        if (steer >= 0xc0) {
            if (end - in < 4) return false;
            g[0] = (uint8_t)((in[0] | (b & 0x01)) ^ 0x20);
            g[1] = (uint8_t)((in[1] | (b & 0x02)) ^ 0x20);
            g[2] = (uint8_t)((in[2] | (b & 0x0c)) ^ 0x20);
            g[3] = (uint8_t)((in[3] ^ 0x20) | (b & 0x30));
            in += 4, k = 4;
        } else if (steer >= 0x40) {
            if (end - in < 3) return false;
            /* the space goes first (0x40), second (0x60), third (0x80) or last (0xa0) */
            static const uint8_t masks[4][3] = {
                {0x01, 0x06, 0x18}, {0x03, 0x04, 0x18}, {0x03, 0x0c, 0x10}, {0x01, 0x06, 0x18}};
            int at = (steer - 0x40) >> 5;
            for (int i = 0, j = 0; i < 4; i++)
                g[i] = i == at ? 0x20 : (uint8_t)((in[j] | (b & masks[at][j])) ^ 0x20),
                j += i != at;
            in += 3, k = 4;
        } else if (steer == 0) {
            if (end - in < 1) return false;
            g[0] = (uint8_t)(in[0] | (b & 0x13));
            in += 1, k = 1;
        } else {
            return false;
        }
        if (o + (size_t)k >= cap) return false;
        memcpy(out + o, g, (size_t)k);
        o += (size_t)k;
    }
    out[o] = 0;
    *len = o;
    return true;
}

/* "N:-12.345" style token: letter in `letters` (or '?'), ':', optional '-', digits and '.' */
static bool coord(const char **p, const char *letters, char *letter, double *v) {
    const char *c = *p;
    while (*c == ' ' || *c == '\t') c++;
    if (!c[0] || (!strchr(letters, c[0]) && c[0] != '?') || c[1] != ':') return false;
    *letter = c[0];
    c += 2;
    bool neg = *c == '-';
    if (neg) c++;
    if (!isdigit((unsigned char)*c)) return false;
    char *e;
    *v = strtod(c, &e);
    if (neg) *v = -*v;
    *p = e;
    return true;
}

static bool field(const char *text, const char *key, double *v) {
    const char *at = strstr(text, key);
    if (!at || (at > text && at[-1] != ' ' && at[-1] != '\t')) return false;
    char *e;
    *v = strtod(at + strlen(key), &e);
    return e != at + strlen(key);
}

static double ddmm(double v) {
    double a = fabs(v), deg = floor(a / 100);
    return copysign(deg + (a - deg * 100) / 60, v);
}

/* One decrypted text (after its 4-byte counter) as a fix (+ a sample). t_sec < 0: video time
 * from the UTC (t = UTC - *first_utc). */
static bool parse_text(tm_sink *s, const char *text, bool fuzzed, double t_sec,
                       int64_t *first_utc) {
    int Y, M, D, h, m, sec, used = 0;
    if (sscanf(text, "%4d/%2d/%2d %2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &used) != 6)
        return false;
    const char *p = text + used;
    char ns, ew;
    double a, b;
    if (!coord(&p, "NS", &ns, &a) || !coord(&p, "EW", &ew, &b)) return false;
    while (*p == ' ' || *p == '\t') p++;
    char *e;
    double speed = strtod(p, &e);
    if (e == p) return false;
    dc_gps_fix f = {.utc_ms = tm_utc_ms(Y, M, D, h, m, sec), .valid = true, .heading_deg = -1};
    double lat = fabs(a), lon = fabs(b), kmh_per_unit = fuzzed ? FUZZ_SPEED : KNOTS_TO_KMH;
    if (lat >= 100) { /* DDMM.MMMM, not scrambled, speed as written */
        lat = ddmm(lat), lon = ddmm(lon), kmh_per_unit = 1;
    } else if (fuzzed) {
        double la = floor(lat / 10) * 10, lo = floor(lon / 10) * 10;
        double rl = la + (lon - lo) * FUZZ_SCALE, ro = lo + (lat - la) * FUZZ_SCALE;
        lat = rl, lon = ro;
    }
    f.lat = lat * ((a < 0 || ns == 'S') ? -1 : 1);
    f.lon = lon * ((b < 0 || ew == 'W') ? -1 : 1);
    f.speed_kmh = speed * kmh_per_unit;
    double heading;
    if (field(p, "A:", &heading)) f.heading_deg = heading;
    if (t_sec < 0) {
        if (f.utc_ms == DC_TELEMETRY_NO_UTC) return false;
        if (*first_utc == DC_TELEMETRY_NO_UTC) *first_utc = f.utc_ms;
        t_sec = (double)(f.utc_ms - *first_utc) / 1000.0;
    }
    f.t_sec = t_sec;
    tm_add_fix(s, f);
    double x, y, z;
    if (field(p, "x:", &x) && field(p, "y:", &y) && field(p, "z:", &z))
        tm_add_accel(s, t_sec, x, y, z);
    return true;
}

void tm_ligo_state_init(tm_ligo_state *st) {
    memset(st, 0, sizeof *st);
    st->first_utc = DC_TELEMETRY_NO_UTC;
    st->last_digit = -1;
}

void tm_ligo_state_end(tm_sink *s, tm_ligo_state *st) {
    int left = st->pending_n + st->pending_dropped;
    if (left)
        tm_damage(s,
                  "LigoGPS: %d records in the digit cipher not read (too few records to learn "
                  "its table)",
                  left);
    free(st->pending);
    tm_ligo_state_init(st);
}

static bool enciphered(uint8_t c) { return c >= 0x30 && c <= 0x5f; }

/* The record's text (after "####" + 4 bytes) has the cipher's shape: "cccc/cc/cc ..c..c.c " */
static bool cipher_shape(const uint8_t *rec, size_t n) {
    if (n < 8 + 20 || memcmp(rec, "####", 4) != 0) return false;
    const uint8_t *t = rec + 8;
    static const int coded[] = {0, 1, 2, 3, 5, 6, 8, 9, 13, 16, 18};
    for (size_t i = 0; i < sizeof coded / sizeof coded[0]; i++)
        if (!enciphered(t[coded[i]])) return false;
    return t[4] == '/' && t[7] == '/' && t[10] == ' ' && t[19] == ' ' && t[13] == t[16];
}

/* A cycle through ten distinct digits along the "followed by" edges, from order[0]: true when
 * order[0 .. 10) holds one. Depth 10, each step at most the digits seen: bounded. */
static bool cycle(const uint64_t next[48], int order[10], int depth, uint64_t used) {
    int at = order[depth - 1];
    if (depth == 10) return next[at] >> order[0] & 1;
    for (int j = 0; j < 48; j++) {
        if (!(next[at] >> j & 1) || used >> j & 1) continue;
        order[depth] = j;
        if (cycle(next, order, depth + 1, used | 1ULL << j)) return true;
    }
    return false;
}

/* Learns from one more cipher record; true once the table is known. */
static bool learn(tm_ligo_state *st, const uint8_t *text) {
    int digit = text[18] - 0x30, from = st->last_digit;
    st->last_digit = digit;
    if (from < 0 || from == digit) return false;
    st->next[from] |= 1ULL << digit;
    int with_next = 0;
    for (int i = 0; i < 48; i++) with_next += st->next[i] != 0;
    if (with_next < 10) return false;
    int order[10] = {from};
    if (!cycle(st->next, order, 1, 1ULL << from)) return false;
    int two = -1;
    for (int i = 0; i < 10; i++)
        if (order[i] == text[0] - 0x30) two = i;
    if (two < 0) return false; /* the millennium digit is not among them: keep learning */
    memset(st->table, '?', sizeof st->table);
    for (int d = 0; d < 10; d++) st->table[order[(d + two - 2 + 10) % 10]] = (char)('0' + d);
    uint8_t colon = text[13];
    st->table[colon - 0x30] = ':';
    /* the two coordinate letters: " X:" after the time (at 19), S / W where a '-' follows */
    int found = 0;
    for (size_t i = 19; text[i] && text[i + 1] && text[i + 2] && found < 2; i++) {
        if (text[i] != ' ' || !enciphered(text[i + 1]) || text[i + 2] != colon) continue;
        bool neg = text[i + 3] == '-';
        st->table[text[i + 1] - 0x30] = found == 0 ? (neg ? 'S' : 'N') : (neg ? 'W' : 'E');
        found++;
    }
    st->table_known = true;
    return true;
}

/* Deciphers and reads one cipher record. */
static bool decipher(tm_sink *s, tm_ligo_state *st, const uint8_t *rec, double t_sec, bool fuzzed) {
    char text[RECORD];
    size_t o = 0;
    for (size_t i = 8; i < RECORD && rec[i]; i++)
        text[o++] = enciphered(rec[i]) ? st->table[rec[i] - 0x30] : (char)rec[i];
    text[o] = 0;
    return parse_text(s, text, fuzzed, t_sec, &st->first_utc);
}

/* A cipher record: read now when the table is known, else kept until it is. */
static int cipher_record(tm_sink *s, tm_ligo_state *st, const uint8_t *r, double t_sec, bool fuzzed,
                         int *unread) {
    if (st->table_known) {
        if (decipher(s, st, r, t_sec, fuzzed)) return 1;
        (*unread)++;
        return 0;
    }
    if (st->pending_n == st->pending_cap) {
        int cap = st->pending_cap ? st->pending_cap * 2 : 16;
        if (cap > TM_LIGO_MAX_PENDING) cap = TM_LIGO_MAX_PENDING;
        tm_ligo_pending *p =
            cap > st->pending_cap ? realloc(st->pending, (size_t)cap * sizeof *p) : NULL;
        if (!p) {
            st->pending_dropped++;
            return 0;
        }
        st->pending = p, st->pending_cap = cap;
    }
    tm_ligo_pending *p = &st->pending[st->pending_n++];
    memcpy(p->rec, r, RECORD);
    p->t_sec = t_sec, p->fuzzed = fuzzed;
    if (!learn(st, r + 8)) return 0;
    int read = 0;
    for (int i = 0; i < st->pending_n && !s->stopped; i++) {
        if (decipher(s, st, st->pending[i].rec, st->pending[i].t_sec, st->pending[i].fuzzed))
            read++;
        else (*unread)++;
    }
    free(st->pending);
    st->pending = NULL, st->pending_n = st->pending_cap = 0;
    return read;
}

int tm_ligogps_records(tm_sink *s, tm_bytes p, double t_sec, tm_ligo_state *st, bool never_fuzzed) {
    if (p.n < HEADER || memcmp(p.p, "LIGOGPSINFO\0", 12) != 0) return 0;
    bool fuzzed = !never_fuzzed && !(p.p[12] == 0 && p.p[13] == 0 && p.p[14] == 0 &&
                                     (p.p[15] == 1 || p.p[15] == 0x14));
    int read = 0, unread = 0;
    for (size_t at = HEADER; at + 8 <= p.n && !s->stopped; at += RECORD) {
        const uint8_t *r = p.p + at;
        size_t n = p.n - at < RECORD ? p.n - at : RECORD;
        if (memcmp(r, "####", 4) != 0) continue; /* a blank slot */
        bool shaped = n == RECORD && cipher_shape(r, n);
        if (shaped && st->table_known) {
            tm_set_variant(s, "ligogps-cipher");
            read += cipher_record(s, st, r, t_sec, fuzzed, &unread);
            continue;
        }
        char text[RECORD * 2];
        size_t len = 0;
        if (decrypt(r, n, text, sizeof text, &len) && len > 4 &&
            parse_text(s, text + 4, fuzzed, t_sec, &st->first_utc)) {
            tm_set_variant(s, fuzzed ? "ligogps" : "ligogps-plain");
            read++;
        } else if (shaped) {
            tm_set_variant(s, "ligogps-cipher");
            read += cipher_record(s, st, r, t_sec, fuzzed, &unread);
        } else {
            unread++;
        }
    }
    tm_set_variant(s, fuzzed ? "ligogps" : "ligogps-plain"); /* when no record was read */
    if (unread) tm_damage(s, "LigoGPS: %d records not read (damaged)", unread);
    return read;
}

int tm_ligogps_payload(tm_sink *s, tm_bytes p, double t_sec, tm_ligo_state *st) {
    return tm_ligogps_records(s, p, t_sec, st, false);
}

/* The trailer: "&&&&" + u32 BE length in the last 8 bytes; *off and *len: its 'skip' body. */
static bool find_trailer(const tm_file *f, uint64_t *off, uint64_t *len) {
    uint8_t tail[8], head[8];
    if (f->fd < 0 || f->size < 16 || pread(f->fd, tail, 8, (off_t)(f->size - 8)) != 8 ||
        memcmp(tail, "&&&&", 4) != 0)
        return false;
    uint64_t size = tm_be32(tail + 4);
    if (size < 16 + HEADER || size > f->size) return false;
    uint64_t start = f->size - size;
    if (pread(f->fd, head, 8, (off_t)start) != 8 || memcmp(head + 4, "skip", 4) != 0 ||
        tm_be32(head) != size)
        return false;
    *off = start + 8;
    *len = size - 16;
    return true;
}

bool tm_ligogps_detect(tm_ctx *ctx) {
    uint64_t off, len;
    if (!find_trailer(&ctx->file, &off, &len)) return tm_ligogps_ts_detect(ctx);
    uint8_t magic[12];
    return pread(ctx->file.fd, magic, 12, (off_t)off) == 12 && !memcmp(magic, "LIGOGPSINFO\0", 12);
}

void tm_ligogps_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    uint64_t off = 0, len = 0;
    if (!find_trailer(&ctx->file, &off, &len)) {
        tm_ligogps_ts_read(ctx); /* no trailer: detected in an MPEG-TS stream */
        return;
    }
    if (len > MAX_TRAILER) {
        tm_damage(s, "%s: LigoGPS trailer of %llu bytes; the first %d MiB read", ctx->video_path,
                  (unsigned long long)len, MAX_TRAILER >> 20);
        len = MAX_TRAILER;
    }
    size_t got = 0;
    bool oom = false;
    uint8_t *b = tm_file_read(&ctx->file, off, (size_t)len, &got, &oom);
    if (oom) s->oom = s->stopped = true;
    tm_ligo_state st;
    tm_ligo_state_init(&st);
    if (b) tm_ligogps_payload(s, (tm_bytes){b, got}, -1, &st);
    tm_ligo_state_end(s, &st);
    free(b);
}
