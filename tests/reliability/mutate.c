/* dc-mutate: damages a video file the way uploads and failing SD cards do, for the
 * corrupted-input campaign (corrupt_campaign.sh; zzuf adds its own bit flips).
 *   dc-mutate KIND SEED IN OUT
 * KIND:
 *   truncate  cut at a random offset (upload cut off)
 *   header    random bytes over a random stretch of the first 4 KiB (container header)
 *   runs      1-8 runs of random bytes, 1-4096 bytes each, anywhere
 *   zeros     1-4 runs of zeros, 512 B-64 KiB each (unwritten flash blocks)
 *   boxswap   MP4/MOV: two sibling boxes trade places (sizes stay right); other containers:
 *             two random chunks trade places (188-byte packets for MPEG-TS)
 *   boxdup    MP4/MOV: a box is written twice, its ancestors' sizes fixed up to match;
 *             other containers: a random chunk is written twice
 * The same KIND, SEED and IN always give the same OUT. Exit 0, or 1 with a message. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t next_random(void) {
    /* splitmix64: small, and the same sequence on every machine */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static size_t below(size_t n) { return n ? (size_t)(next_random() % n) : 0; }

typedef struct {
    uint8_t *p;
    size_t n;
} bytes;

static bool read_all(const char *path, bytes *b) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t cap = 1 << 20;
    b->p = malloc(cap);
    b->n = 0;
    size_t got;
    while (b->p && (got = fread(b->p + b->n, 1, cap - b->n, f)) > 0) {
        b->n += got;
        if (b->n == cap) b->p = realloc(b->p, cap *= 2);
    }
    bool ok = b->p && !ferror(f);
    fclose(f);
    return ok;
}

static bool write_all(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* ---- MP4 boxes ------------------------------------------------------------------------ */

typedef struct {
    size_t start, size; /* whole box, header included */
    int parent;         /* index of the enclosing box, -1 at top level */
    int depth;
} box;

enum { MAX_BOXES = 4096 };
static box boxes[MAX_BOXES];
static int nboxes;

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static bool is_container(const uint8_t *type) {
    static const char *const names[] = {"moov", "trak", "mdia", "minf", "stbl",
                                        "edts", "udta", "dinf", "mvex"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!memcmp(type, names[i], 4)) return true;
    return false;
}

/* Lists the boxes of [from, to) and, recursively, of the containers among them. Only 32-bit
 * sizes: synth-video writes no 64-bit boxes, and a box this tool does not understand ends the
 * walk of its level. */
static void scan_boxes(const bytes *b, size_t from, size_t to, int parent, int depth) {
    size_t at = from;
    while (at + 8 <= to && nboxes < MAX_BOXES) {
        uint32_t size = be32(b->p + at);
        if (size < 8 || at + size > to) return;
        int me = nboxes++;
        boxes[me] = (box){.start = at, .size = size, .parent = parent, .depth = depth};
        if (is_container(b->p + at + 4) && depth < 6)
            scan_boxes(b, at + 8, at + size, me, depth + 1);
        at += size;
    }
}

static bool looks_mp4(const bytes *b) { return b->n >= 12 && !memcmp(b->p + 4, "ftyp", 4); }

/* Two sibling boxes a < b (by position) trade places. */
static bool box_swap(bytes *b) {
    for (int tries = 0; tries < 64; tries++) {
        int i = (int)below((size_t)nboxes), j = (int)below((size_t)nboxes);
        if (i == j || boxes[i].parent != boxes[j].parent) continue;
        if (boxes[i].start > boxes[j].start) {
            int t = i;
            i = j, j = t;
        }
        box A = boxes[i], B = boxes[j];
        uint8_t *tmp = malloc(B.start + B.size - A.start);
        if (!tmp) return false;
        size_t mid = B.start - (A.start + A.size), k = 0;
        memcpy(tmp + k, b->p + B.start, B.size), k += B.size;
        memcpy(tmp + k, b->p + A.start + A.size, mid), k += mid;
        memcpy(tmp + k, b->p + A.start, A.size), k += A.size;
        memcpy(b->p + A.start, tmp, k);
        free(tmp);
        return true;
    }
    return false;
}

/* Box i written twice; every ancestor grows by its size. */
static bool box_dup(bytes *b) {
    if (nboxes == 0) return false;
    int i = (int)below((size_t)nboxes);
    box A = boxes[i];
    uint8_t *grown = malloc(b->n + A.size);
    if (!grown) return false;
    size_t end = A.start + A.size;
    memcpy(grown, b->p, end);
    memcpy(grown + end, b->p + A.start, A.size);
    memcpy(grown + end + A.size, b->p + end, b->n - end);
    for (int p = A.parent; p >= 0; p = boxes[p].parent)
        put_be32(grown + boxes[p].start, (uint32_t)(boxes[p].size + A.size));
    free(b->p);
    b->p = grown;
    b->n += A.size;
    return true;
}

/* ---- other containers ----------------------------------------------------------------- */

static size_t chunk_size(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".ts")) return 188 * (1 + below(8));
    return 256 + below(4096);
}

static bool chunk_swap(bytes *b, size_t len) {
    if (b->n < 2 * len + 1) return false;
    size_t x = below(b->n / 2 - len), y = b->n / 2 + below(b->n / 2 - len);
    if (len == 188 * (len / 188)) x -= x % 188, y -= y % 188; /* packet-aligned in a TS */
    uint8_t *tmp = malloc(len);
    if (!tmp) return false;
    memcpy(tmp, b->p + x, len);
    memmove(b->p + x, b->p + y, len);
    memcpy(b->p + y, tmp, len);
    free(tmp);
    return true;
}

static bool chunk_dup(bytes *b, size_t len) {
    if (b->n <= len) return false;
    size_t x = below(b->n - len);
    uint8_t *grown = malloc(b->n + len);
    if (!grown) return false;
    memcpy(grown, b->p, x + len);
    memcpy(grown + x + len, b->p + x, b->n - x);
    free(b->p);
    b->p = grown;
    b->n += len;
    return true;
}

/* ---- byte damage ---------------------------------------------------------------------- */

static void fill(bytes *b, size_t at, size_t len, bool zeros) {
    if (at >= b->n) return;
    if (len > b->n - at) len = b->n - at;
    for (size_t i = 0; i < len; i++) b->p[at + i] = zeros ? 0 : (uint8_t)next_random();
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: dc-mutate truncate|header|runs|zeros|boxswap|boxdup SEED IN OUT\n");
        return 1;
    }
    const char *kind = argv[1], *in = argv[3], *out = argv[4];
    rng_state = strtoull(argv[2], NULL, 10) * 0x2545f4914f6cdd1dULL + 1;
    bytes b;
    if (!read_all(in, &b) || b.n < 16) {
        fprintf(stderr, "dc-mutate: %s: cannot read (or under 16 bytes)\n", in);
        return 1;
    }
    bool done = true;
    if (!strcmp(kind, "truncate")) {
        b.n = 1 + below(b.n - 1);
    } else if (!strcmp(kind, "header")) {
        size_t head = b.n < 4096 ? b.n : 4096;
        size_t at = below(head), len = 1 + below(64);
        fill(&b, at, len, false);
    } else if (!strcmp(kind, "runs")) {
        for (int r = 1 + (int)below(8); r > 0; r--) fill(&b, below(b.n), 1 + below(4096), false);
    } else if (!strcmp(kind, "zeros")) {
        for (int r = 1 + (int)below(4); r > 0; r--)
            fill(&b, below(b.n), 512 + below(65536 - 512), true);
    } else if (!strcmp(kind, "boxswap") || !strcmp(kind, "boxdup")) {
        bool swap = !strcmp(kind, "boxswap");
        if (looks_mp4(&b)) scan_boxes(&b, 0, b.n, -1, 0);
        if (nboxes >= 2) done = swap ? box_swap(&b) : box_dup(&b);
        else done = swap ? chunk_swap(&b, chunk_size(in)) : chunk_dup(&b, chunk_size(in));
    } else {
        fprintf(stderr, "dc-mutate: unknown kind %s\n", kind);
        return 1;
    }
    if (!done) {
        fprintf(stderr, "dc-mutate: %s: no %s possible\n", in, kind);
        return 1;
    }
    if (!write_all(out, b.p, b.n)) {
        fprintf(stderr, "dc-mutate: %s: cannot write\n", out);
        return 1;
    }
    free(b.p);
    return 0;
}
