/* The footage index, written once for both backends (include/dashclaim/footage_store.h): the
 * band keys of what is stored and what is asked, the hit counts per stored video, the
 * candidates the matcher compares, and the record's rows. The backends only move rows
 * (store_footage_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_footage_internal.h"

struct dc_footage_db {
    const fp_backend *ops;
    void *self;
    fp_postings_buf *bulk; /* non-NULL while a bulk load holds its postings */
};

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* A query key and the query hash it came from. */
typedef struct {
    dc_fp_key key;
    const dc_fp_hash *hash;
} key_source;

static int source_cmp(const void *a, const void *b) {
    const key_source *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static dc_error_class band_keys(const dc_fingerprint *fp, bool as_query, dc_fp_key **keys, int *n,
                                key_source **sources, size_t *nsources, dc_status *st);

/* The bands of dc_fp_band_keys the index keeps: every other one, so the kept bits are spread
 * over every row and even column of the 16x16 frequency block. Why four of eight: a probe costs
 * the same whatever the band, and four bands on every second find a copy as often as eight on
 * every other second (what matters is aligned (stored key, query probe) pairs along a run of
 * DC_FP_MIN_RUN_SEC seconds), at half the probes. */
static const int index_band[FP_INDEX_BANDS] = {0, 2, 4, 6};

/* Bumped whenever what is indexed changes in a way the fixed hashes below cannot see (which
 * hash of a second is indexed, the bucket layout). */
#define FP_INDEX_VERSION 3

/* The index keys of one hash: band index_band[j] re-tagged j. */
static void index_keys(const dc_fp_hash *h, dc_fp_key out[FP_INDEX_BANDS]) {
    dc_fp_key all[DC_FP_BANDS];
    dc_fp_band_keys(h, all);
    for (int j = 0; j < FP_INDEX_BANDS; j++)
        out[j] = (dc_fp_key)j << 32 | (all[index_band[j]] & 0xffffffffULL);
}

/* What names the key function: its keys for three fixed hashes, folded, with the layout's
 * version. A change to dc_fp_band_keys (another band layout, other widths) or to the index
 * changes it, and the buckets made with the old function, which a query's keys would no longer
 * meet, are rebuilt from the blobs. */
static void key_scheme(char out[40]) {
    uint64_t fold = 1469598103934665603ULL;
    for (int k = 0; k < 3; k++) {
        dc_fp_hash h;
        for (int w = 0; w < DC_FP_WORDS; w++)
            h.w[w] = 0x9E3779B97F4A7C15ULL * (uint64_t)(k * DC_FP_WORDS + w + 1) ^ (0xA5ULL << w);
        dc_fp_key keys[FP_INDEX_BANDS];
        index_keys(&h, keys);
        for (int b = 0; b < FP_INDEX_BANDS; b++) fold = (fold ^ keys[b]) * 1099511628211ULL;
    }
    snprintf(out, 40, "fpkeys%d-%d-%d-%016llx", FP_INDEX_VERSION, FP_INDEX_BANDS, FP_BUCKET_SHIFT,
             (unsigned long long)fold);
}

static dc_error_class keys_of_blob(const uint8_t *blob, size_t len, dc_fp_key **keys, int *n,
                                   dc_status *st) {
    *keys = NULL;
    *n = 0;
    dc_fingerprint fp = {0};
    dc_status pst = DC_STATUS_OK;
    dc_error_class rc = dc_fingerprint_parse(blob, len, &fp, &pst);
    if (rc == DC_ERR_RESOURCE) {
        if (st) *st = pst;
        return rc;
    }
    if (rc != DC_OK) return DC_OK; /* a damaged row: no postings, never a match */
    rc = band_keys(&fp, false, keys, n, NULL, NULL, st);
    dc_fingerprint_free(&fp);
    return rc;
}

dc_footage_db *dc_footage_db_open(const char *location, dc_status *st) {
    if (!location || !location[0]) {
        dc_fail(st, DC_ERR_INPUT, "footage index: no location given");
        return NULL;
    }
    dc_footage_db *db = calloc(1, sizeof *db);
    if (!db) {
        dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
        return NULL;
    }
    dc_error_class rc;
    if (has_prefix(location, "postgresql://") || has_prefix(location, "postgres://")) {
#ifdef DC_STORE_HAVE_PG
        rc = store_pg_footage_open(location, &db->ops, &db->self, st);
#else
        rc = dc_fail(st, DC_ERR_INPUT, "footage index: this build has no PostgreSQL backend");
#endif
    } else if (strstr(location, "://")) {
        rc = dc_fail(st, DC_ERR_INPUT, "footage index: unknown URL scheme in '%s'", location);
    } else {
        rc = store_sqlite_footage_open(has_prefix(location, "sqlite:") ? location + 7 : location,
                                       &db->ops, &db->self, st);
    }
    if (rc != DC_OK) {
        free(db);
        return NULL;
    }
    char scheme[40];
    key_scheme(scheme);
    if (db->ops->check_keys(db->self, scheme, keys_of_blob, NULL, st) != DC_OK) {
        dc_footage_db_close(db);
        return NULL;
    }
    return db;
}

void dc_footage_db_close(dc_footage_db *db) {
    if (!db) return;
    if (db->bulk) dc_footage_db_bulk(db, false, NULL); /* best effort: else rebuilt at open */
    db->ops->close(db->self);
    free(db);
}

const fp_backend *fp_db_ops(dc_footage_db *db, void **self) {
    *self = db->self;
    return db->ops;
}

const char *dc_footage_db_backend(const dc_footage_db *db) { return db ? db->ops->name : ""; }

static bool valid_sha256(const char *s) {
    if (!s || strlen(s) != 64) return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static int key_cmp(const void *a, const void *b) {
    dc_fp_key x = *(const dc_fp_key *)a, y = *(const dc_fp_key *)b;
    return x < y ? -1 : x > y;
}

/* The stored side's view of a second, besides its whole picture: its central 90 % when it has
 * views (a copy cropped by up to 10 % is then a view of the query, and the query probes with
 * its views), none for a blob written before views. */
static const dc_fp_hash *indexed_view(const dc_fingerprint *fp, const dc_fp_second *s) {
    return fp->zooms > DC_FP_ZOOM_INDEXED ? &s->zoom[DC_FP_ZOOM_INDEXED] : NULL;
}

/* Distinct index keys of fp's usable seconds, sorted; *keys malloc'd (NULL when none).
 * What is stored: two hashes a second, its whole picture and its central view (indexed_view).
 * The whole picture because on real footage it is the closest of a second's hashes to a
 * copy's (test_footage_claims: a CRF-35 half-size copy and a clip cut between seconds share 4-5
 * keys with the original through it and 0-1 through the view alone: a view of a 160x90
 * thumbnail is the noisier hash); the view because a copy cropped by 10 % meets only it.
 * What a query probes: each hash of its own that a stored one may be near, one per variant the
 * issue names: its whole picture (the same framing; or it is a 10 % crop, meeting the stored
 * view), its views 0..3 (a 5 % crop, the same framing, the stored video a 5 % or a 10 % crop),
 * its mirrored whole picture and mirrored central view (a flipped copy): 7 hashes a second.
 * Not probed, to keep a minute's probes at ~1 700 instead of ~2 400 (each an index descent):
 * the other mirrored views (a copy both flipped and cropped), and the sub-second phases (5x the
 * probes; a clip cut between seconds was found through whole seconds in test_footage_claims).
 * The matcher still compares all of them once a video is a candidate. */
static dc_error_class band_keys(const dc_fingerprint *fp, bool as_query, dc_fp_key **keys, int *n,
                                key_source **sources, size_t *nsources, dc_status *st) {
    *keys = NULL;
    *n = 0;
    if (sources) *sources = NULL;
    if (nsources) *nsources = 0;
    if (!fp || fp->count <= 0) return DC_OK;
    int zooms = fp->zooms < 0 ? 0 : fp->zooms > DC_FP_ZOOMS ? DC_FP_ZOOMS : fp->zooms;
    /* zoom_mirrored is there only in a fingerprint made from pictures (fingerprint.h) */
    bool mirrored_view = zooms > DC_FP_ZOOMS_STORED && zooms > DC_FP_ZOOM_INDEXED;
    int per_second = as_query ? 2 + zooms + mirrored_view : 2;
    size_t cap = (size_t)fp->count * (size_t)per_second;
    const dc_fp_hash **hashes = malloc(cap * sizeof *hashes);
    dc_fp_key *k = malloc(cap * FP_INDEX_BANDS * sizeof *k);
    key_source *src = sources ? malloc(cap * FP_INDEX_BANDS * sizeof *src) : NULL;
    if (!hashes || !k || (sources && !src)) {
        free(hashes);
        free(k);
        free(src);
        return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    }
    size_t h = 0;
    for (int i = 0; i < fp->count; i++) {
        const dc_fp_second *s = &fp->seconds[i];
        if (s->quality < DC_FP_MIN_QUALITY) continue;
        hashes[h++] = &s->hash;
        if (!as_query) {
            if (indexed_view(fp, s)) hashes[h++] = indexed_view(fp, s);
            continue;
        }
        hashes[h++] = &s->mirrored;
        for (int z = 0; z < zooms; z++) hashes[h++] = &s->zoom[z];
        if (mirrored_view) hashes[h++] = &s->zoom_mirrored[DC_FP_ZOOM_INDEXED];
    }
    size_t m = 0;
    for (size_t i = 0; i < h; i++) {
        index_keys(hashes[i], k + m);
        for (int j = 0; src && j < FP_INDEX_BANDS; j++)
            src[m + j] = (key_source){k[m + j], hashes[i]};
        m += FP_INDEX_BANDS;
    }
    free(hashes);
    if (m == 0) {
        free(k);
        free(src);
        return DC_OK;
    }
    if (src) { /* sorted once: the keys in order are the sources' */
        qsort(src, m, sizeof *src, source_cmp);
        for (size_t i = 0; i < m; i++) k[i] = src[i].key;
        *sources = src;
        *nsources = m;
    } else {
        qsort(k, m, sizeof *k, key_cmp);
    }
    size_t u = 1;
    for (size_t i = 1; i < m; i++)
        if (k[i] != k[u - 1]) k[u++] = k[i];
    *keys = k;
    *n = (int)u;
    return DC_OK;
}

size_t fp_bulk_max_postings(void) {
    const char *e = getenv("DC_FOOTAGE_BULK_POSTINGS");
    char *end = NULL;
    unsigned long long v = e ? strtoull(e, &end, 10) : 0;
    if (!e || end == e || *end || v < 1000 || v > FP_BULK_MAX_POSTINGS) return FP_BULK_MAX_POSTINGS;
    return (size_t)v;
}

/* Writes what a bulk load holds; done: the load's last write. */
static dc_error_class bulk_flush(dc_footage_db *db, bool done, dc_status *st) {
    const fp_bucket_add *adds = NULL;
    size_t n = 0;
    dc_error_class rc = fp_buf_groups(db->bulk, &adds, &n, st);
    if (rc == DC_OK) rc = db->ops->append(db->self, adds, n, done, st);
    if (rc == DC_OK) fp_buf_clear(db->bulk);
    return rc;
}

dc_error_class dc_footage_db_put(dc_footage_db *db, const dc_footage_video *videos, int n,
                                 dc_status *st) {
    if (!db || n < 0 || (n > 0 && !videos))
        return dc_fail(st, DC_ERR_INPUT, "footage index: bad arguments to put");
    for (int i = 0; i < n; i++) {
        const dc_footage_video *v = &videos[i];
        if (!v->claim_id || !v->claim_id[0] || strlen(v->claim_id) > 127 || v->position < 0 ||
            !valid_sha256(v->sha256))
            return dc_fail(st, DC_ERR_INPUT,
                           "footage index: video %d needs a claim id (1..127 bytes), a position "
                           ">= 0 and a SHA-256 of 64 lowercase hex digits",
                           i);
    }
    fp_put_row *rows = calloc(n ? (size_t)n : 1, sizeof *rows);
    uint8_t **blobs = calloc(n ? (size_t)n : 1, sizeof *blobs);
    dc_fp_key **keys = calloc(n ? (size_t)n : 1, sizeof *keys);
    dc_error_class rc = DC_OK;
    if (!rows || !blobs || !keys) rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    dc_fingerprint empty = {0};
    for (int i = 0; rc == DC_OK && i < n; i++) {
        const dc_footage_video *v = &videos[i];
        const dc_fingerprint *fp = v->fp ? v->fp : &empty;
        fp_put_row *r = &rows[i];
        r->claim_id = v->claim_id;
        r->position = v->position;
        r->sha256 = v->sha256;
        r->duration_sec = fp->duration_sec;
        r->usable = dc_fingerprint_usable(fp);
        rc = dc_fingerprint_serialize(fp, &blobs[i], &r->blob_len, st);
        if (rc != DC_OK) break;
        r->blob = blobs[i];
        rc = band_keys(fp, false, &keys[i], &r->nkeys, NULL, NULL, st);
        r->keys = keys[i];
    }
    if (rc == DC_OK) rc = db->ops->put(db->self, rows, n, db->bulk, st);
    if (rc == DC_OK && db->bulk && fp_buf_count(db->bulk) >= fp_bulk_max_postings())
        rc = bulk_flush(db, false, st);
    for (int i = 0; i < n && blobs && keys; i++) {
        free(blobs[i]);
        free(keys[i]);
    }
    free(rows);
    free(blobs);
    free(keys);
    return rc;
}

dc_error_class dc_footage_db_bulk(dc_footage_db *db, bool on, dc_status *st) {
    if (!db) return dc_fail(st, DC_ERR_INPUT, "footage index: no index");
    if (on && !db->bulk && !(db->bulk = fp_buf_new()))
        return dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    dc_error_class rc = DC_OK;
    if (!on && db->bulk) {
        rc = bulk_flush(db, true, st);
        fp_buf_free(db->bulk);
        db->bulk = NULL; /* on failure 'bulk_pending' stays: rebuilt at the next open */
    }
    dc_error_class rc2 = db->ops->bulk(db->self, on, st);
    return rc != DC_OK ? rc : rc2;
}

/* ---- the lookup ------------------------------------------------------------------------ */

/* Hit counts per stored video: open addressing on the video id (ids are >= 1). */
typedef struct {
    int64_t *ids;
    int *hits;
    size_t cap, used;
} hit_table;

static bool hits_grow(hit_table *t) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    int64_t *ids = calloc(cap, sizeof *ids);
    int *hits = calloc(cap, sizeof *hits);
    if (!ids || !hits) {
        free(ids);
        free(hits);
        return false;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->ids[i]) continue;
        size_t j = (size_t)(t->ids[i] * 0x9E3779B97F4A7C15ULL) & (cap - 1);
        while (ids[j]) j = (j + 1) & (cap - 1);
        ids[j] = t->ids[i];
        hits[j] = t->hits[i];
    }
    free(t->ids);
    free(t->hits);
    t->ids = ids;
    t->hits = hits;
    t->cap = cap;
    return true;
}

static bool hits_add(hit_table *t, int64_t id) {
    if ((t->used + 1) * 2 > t->cap && !hits_grow(t)) return false;
    size_t j = (size_t)(id * 0x9E3779B97F4A7C15ULL) & (t->cap - 1);
    while (t->ids[j] && t->ids[j] != id) j = (j + 1) & (t->cap - 1);
    if (!t->ids[j]) {
        t->ids[j] = id;
        t->used++;
    }
    t->hits[j]++;
    return true;
}

/* One posting hit: which stored video, through which key. */
typedef struct {
    int64_t video;
    dc_fp_key key;
} hit_pair;

typedef struct {
    hit_table table;
    int64_t postings;
    dc_fp_key key; /* the key whose bucket entries are being scanned */
    hit_pair *pairs;
    size_t npairs, cap;
} hit_ctx;

static bool on_hit(void *arg, int64_t video, dc_status *st) {
    hit_ctx *h = arg;
    h->postings++;
    if (h->npairs == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        hit_pair *p = realloc(h->pairs, cap * sizeof *p);
        if (!p) {
            dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
            return false;
        }
        h->pairs = p;
        h->cap = cap;
    }
    h->pairs[h->npairs++] = (hit_pair){video, h->key};
    if (hits_add(&h->table, video)) return true;
    dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    return false;
}

static int pair_cmp(const void *a, const void *b) {
    const hit_pair *x = a, *y = b;
    if (x->video != y->video) return x->video < y->video ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

typedef struct {
    int64_t id;
    int hits;
} candidate;

static int candidate_cmp(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->hits != y->hits) return y->hits - x->hits;
    return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct {
    dc_footage_check *check;
    const char *exclude;
    int video; /* the query video's index */
    const dc_fingerprint *query;
    /* the stored ids of the claim's own videos and of this video's same-file rows: never a
     * footage candidate */
    int64_t *skip;
    int nskip, skip_cap;
    int compared, chance;
    /* this query video's posting hits, by video, and its keys' source hashes, by key */
    const hit_pair *pairs;
    size_t npairs;
    const key_source *sources;
    size_t nsources;
} lookup_ctx;

static bool skip_add(lookup_ctx *c, int64_t id) {
    if (c->nskip == c->skip_cap) {
        int cap = c->skip_cap ? c->skip_cap * 2 : 16;
        int64_t *p = realloc(c->skip, (size_t)cap * sizeof *p);
        if (!p) return false;
        c->skip = p;
        c->skip_cap = cap;
    }
    c->skip[c->nskip++] = id;
    return true;
}

static bool skipped(const lookup_ctx *c, int64_t id) {
    for (int i = 0; i < c->nskip; i++)
        if (c->skip[i] == id) return true;
    return false;
}

/* Adds a row, keeping the DC_MAX_FOOTAGE_MATCHES best: same-file rows before footage rows,
 * then the longest. */
static void add_match(dc_footage_check *ch, const dc_footage_match *m) {
    int n = ch->match_count;
    if (n == DC_MAX_FOOTAGE_MATCHES) {
        dc_footage_match *last = &ch->matches[n - 1];
        bool better = (m->same_file && !last->same_file) ||
                      (m->same_file == last->same_file && m->seconds > last->seconds);
        if (!better) return;
        n--;
    }
    int at = n;
    while (at > 0) {
        const dc_footage_match *p = &ch->matches[at - 1];
        bool before = (m->same_file && !p->same_file) ||
                      (m->same_file == p->same_file && m->seconds > p->seconds);
        if (!before) break;
        ch->matches[at] = *p;
        at--;
    }
    ch->matches[at] = *m;
    ch->match_count = n + 1;
}

static bool own_video(void *arg, const fp_stored *v, dc_status *st) {
    if (skip_add(arg, v->id)) return true;
    dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    return false;
}

static bool same_file_row(void *arg, const fp_stored *v, dc_status *st) {
    lookup_ctx *c = arg;
    if (c->exclude && !strcmp(v->claim_id, c->exclude)) return true;
    if (!skip_add(c, v->id)) {
        dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
        return false;
    }
    dc_footage_match m = {.same_file = true,
                          .video = c->video,
                          .other_video = v->position,
                          .seconds = v->duration_sec,
                          .distance = 0};
    snprintf(m.claim_id, sizeof m.claim_id, "%s", v->claim_id);
    add_match(c->check, &m);
    return true;
}

/* Whether a candidate's key hits include one that is not chance: a query hash and a stored
 * hash that gave the same key and are within FP_VERIFY_DISTANCE of each other. Two unrelated
 * hashes that agree on a 32-bit band still differ in ~112 of their other 224 bits (standard
 * deviation ~7.5): below 80 happens about once in 10^5 chance collisions. Copies sit within
 * the matcher's distance (<= 40) on their aligned seconds, so a real candidate passes with
 * room to spare, and a chance one (a million videos: ~18 a query, each a blob parse and a
 * full match of ~1 ms) costs a key computation of its stored seconds instead. The matcher
 * then decides on every candidate that passes. */
#define FP_VERIFY_DISTANCE (2 * DC_FP_MATCH_DISTANCE)

/* The first of the candidate `video`'s key hits (c->pairs is sorted by video). */
static size_t first_pair_of(const lookup_ctx *c, int64_t video) {
    size_t lo = 0, hi = c->npairs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->pairs[mid].video < video) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Whether one stored hash gave one of the video's key hits (from pair `lo` on) and lies within
 * FP_VERIFY_DISTANCE of a query hash that gave the same key. */
static bool stored_hash_verified(const lookup_ctx *c, int64_t video, size_t lo,
                                 const dc_fp_hash *stored) {
    dc_fp_key keys[FP_INDEX_BANDS];
    index_keys(stored, keys);
    for (size_t p = lo; p < c->npairs && c->pairs[p].video == video; p++) {
        dc_fp_key k = c->pairs[p].key;
        if (keys[k >> 32] != k) continue;
        key_source probe = {k, NULL};
        const key_source *q = bsearch(&probe, c->sources, c->nsources, sizeof *q, source_cmp);
        if (!q) continue;
        while (q > c->sources && q[-1].key == k) q--;
        for (; q < c->sources + c->nsources && q->key == k; q++)
            if (dc_fp_distance(q->hash, stored) <= FP_VERIFY_DISTANCE) return true;
    }
    return false;
}

static bool hits_verified(const lookup_ctx *c, int64_t video, const dc_fingerprint *other) {
    const size_t lo = first_pair_of(c, video);
    for (int i = 0; i < other->count; i++) {
        const dc_fp_second *s = &other->seconds[i];
        if (s->quality < DC_FP_MIN_QUALITY) continue;
        const dc_fp_hash *stored[2] = {&s->hash, indexed_view(other, s)};
        for (int h = 0; h < 2 && stored[h]; h++)
            if (stored_hash_verified(c, video, lo, stored[h])) return true;
    }
    return false;
}

/* A little-endian 64-bit word of a blob. */
static uint64_t blob_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* hits_verified on a stored blob's bytes (the stored form: fingerprint.h), without parsing it:
 * the same seconds (quality >= DC_FP_MIN_QUALITY), the same hashes (the whole picture, and the
 * indexed view when the blob has views), read in place. A million stored videos give ~35
 * candidates a lookup that are chance key hits; the parse of each (its checksum over 8.6 kB,
 * a copy of every hash) cost more than the rest of its lookup, and this glance decides them.
 * 1: a hit verified (the blob is then parsed, checked, and matched), 0: chance hits only,
 * -1: not a blob this reads (the parse decides). Nothing read here is trusted beyond that
 * decision: a damaged blob set aside here would have been skipped by the parse anyway. */
static int blob_hits_verified(const lookup_ctx *c, int64_t video, const uint8_t *blob, size_t len) {
    if (!blob || len < DC_FP_BLOB_HEADER + 4 || memcmp(blob, "DCFP", 4) != 0) return -1;
    int version = blob[4];
    if (version != 1 && version != 2) return -1;
    size_t entry = version == 2 ? DC_FP_BLOB_ENTRY : DC_FP_BLOB_ENTRY_V1;
    uint32_t count = (uint32_t)blob[12] | (uint32_t)blob[13] << 8 | (uint32_t)blob[14] << 16 |
                     (uint32_t)blob[15] << 24;
    if (count > DC_FP_MAX_SECONDS || len != DC_FP_BLOB_HEADER + entry * count + 4) return -1;
    /* the indexed view's place in an entry: zoom[DC_FP_ZOOM_INDEXED] after the mirrored hash */
    _Static_assert(DC_FP_ZOOM_INDEXED < DC_FP_ZOOMS_STORED, "the indexed view is stored");
    size_t view_at = DC_FP_BLOB_ENTRY_V1 + 32 * DC_FP_ZOOM_INDEXED;
    const size_t lo = first_pair_of(c, video);
    const uint8_t *e = blob + DC_FP_BLOB_HEADER;
    for (uint32_t i = 0; i < count; i++, e += entry) {
        if (e[8] < DC_FP_MIN_QUALITY) continue;
        const uint8_t *at[2] = {e + 9, version == 2 ? e + view_at : NULL};
        for (int h = 0; h < 2 && at[h]; h++) {
            dc_fp_hash stored;
            for (int w = 0; w < DC_FP_WORDS; w++) stored.w[w] = blob_u64(at[h] + 8 * w);
            if (stored_hash_verified(c, video, lo, &stored)) return 1;
        }
    }
    return 0;
}

static bool candidate_row(void *arg, const fp_stored *v, dc_status *st) {
    lookup_ctx *c = arg;
    if (c->exclude && !strcmp(v->claim_id, c->exclude)) return true;
    int glance = blob_hits_verified(c, v->id, v->blob, v->blob_len);
    if (glance == 0) {
        c->chance++;
        return true;
    }
    dc_fingerprint other = {0};
    dc_status pst = DC_STATUS_OK;
    dc_error_class rc = dc_fingerprint_parse(v->blob, v->blob_len, &other, &pst);
    if (rc == DC_ERR_RESOURCE) {
        *st = pst;
        return false;
    }
    if (rc != DC_OK) return true; /* a damaged row cannot match: skipped, never trusted */
    if (glance < 0 && !hits_verified(c, v->id, &other)) {
        c->chance++;
        dc_fingerprint_free(&other);
        return true;
    }
    c->compared++;
    dc_fp_match runs[DC_FP_MAX_MATCHES];
    int nruns = 0;
    rc = dc_fingerprint_match(c->query, &other, runs, DC_FP_MAX_MATCHES, &nruns, st);
    dc_fingerprint_free(&other);
    if (rc != DC_OK) return false;
    if (nruns <= 0) return true;
    const dc_fp_match *best = &runs[0]; /* longest first */
    dc_footage_match m = {.same_file = false,
                          .video = c->video,
                          .other_video = v->position,
                          .video_sec = best->query_sec,
                          .other_sec = best->candidate_sec,
                          .seconds = best->seconds,
                          .distance = best->mean_distance,
                          .mirrored = best->mirrored};
    snprintf(m.claim_id, sizeof m.claim_id, "%s", v->claim_id);
    add_match(c->check, &m);
    return true;
}

/* A query's keys grouped by bucket for reading: each bucket read is scanned for the probe
 * keys of that bucket (a contiguous range of the sorted keys). */
typedef struct {
    const dc_fp_key *keys;
    int nkeys;
    hit_ctx *hits;
} bucket_ctx;

static bool on_bucket(void *arg, uint32_t bucket, const uint8_t *entries, size_t len,
                      dc_status *st) {
    bucket_ctx *b = arg;
    int lo = 0, hi = b->nkeys; /* first key of this bucket */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (fp_bucket_of(b->keys[mid]) < bucket) lo = mid + 1;
        else hi = mid;
    }
    for (int i = lo; i < b->nkeys && fp_bucket_of(b->keys[i]) == bucket; i++) {
        b->hits->key = b->keys[i];
        if (!fp_bucket_scan(b->keys[i], entries, len, on_hit, b->hits, st)) return false;
    }
    return true;
}

/* The footage search for one query video: keys, hits, the best candidates, the matcher. */
static dc_error_class search_footage(dc_footage_db *db, lookup_ctx *c,
                                     dc_footage_search_stats *stats, dc_status *st) {
    dc_fp_key *keys = NULL;
    int nkeys = 0;
    key_source *sources = NULL;
    size_t nsources = 0;
    dc_error_class rc = band_keys(c->query, true, &keys, &nkeys, &sources, &nsources, st);
    if (rc != DC_OK || nkeys == 0) return rc;
    hit_ctx h = {0};
    uint32_t *buckets = malloc((size_t)nkeys * sizeof *buckets);
    if (!buckets) rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
    int nb = 0;
    for (int i = 0; buckets && i < nkeys; i++) /* keys are sorted: so are their buckets */
        if (nb == 0 || buckets[nb - 1] != fp_bucket_of(keys[i]))
            buckets[nb++] = fp_bucket_of(keys[i]);
    bucket_ctx bc = {keys, nkeys, &h};
    if (rc == DC_OK) rc = db->ops->buckets(db->self, buckets, nb, on_bucket, &bc, st);
    free(buckets);
    free(keys);
    stats->keys += nkeys;
    stats->buckets += nb;
    stats->postings += h.postings;
    candidate *cand = NULL;
    int ncand = 0;
    if (rc == DC_OK && h.table.used) {
        cand = malloc(h.table.used * sizeof *cand);
        if (!cand) rc = dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
        for (size_t i = 0; cand && i < h.table.cap; i++)
            if (h.table.ids[i] && !skipped(c, h.table.ids[i]))
                cand[ncand++] = (candidate){h.table.ids[i], h.table.hits[i]};
    }
    free(h.table.ids);
    free(h.table.hits);
    if (h.npairs) qsort(h.pairs, h.npairs, sizeof *h.pairs, pair_cmp);
    c->pairs = h.pairs;
    c->npairs = h.npairs;
    c->sources = sources;
    c->nsources = nsources;
    stats->candidates += ncand;
    if (rc == DC_OK && ncand > 0) {
        qsort(cand, (size_t)ncand, sizeof *cand, candidate_cmp);
        int take = ncand < DC_FOOTAGE_MAX_CANDIDATES ? ncand : DC_FOOTAGE_MAX_CANDIDATES;
        int64_t ids[DC_FOOTAGE_MAX_CANDIDATES];
        for (int i = 0; i < take; i++) ids[i] = cand[i].id;
        c->compared = c->chance = 0;
        rc = db->ops->by_ids(db->self, ids, take, candidate_row, c, st);
        stats->compared += c->compared;
        stats->chance += c->chance;
    }
    free(cand);
    free(h.pairs);
    free(sources);
    c->pairs = NULL;
    c->sources = NULL;
    c->npairs = c->nsources = 0;
    return rc;
}

dc_error_class dc_footage_db_lookup(dc_footage_db *db, const char *exclude_claim_id,
                                    const dc_claim_video *videos, int count,
                                    const dc_fingerprint *fps, int count_fps,
                                    dc_footage_check *check, dc_footage_search_stats *stats,
                                    dc_status *st) {
    dc_footage_search_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!check) return dc_fail(st, DC_ERR_INPUT, "footage index: no check to fill");
    memset(check, 0, sizeof *check);
    if (!db || count < 0 || (count > 0 && !videos) || (count_fps > 0 && !fps)) {
        snprintf(check->note, sizeof check->note, "bad arguments to the footage lookup");
        return dc_fail(st, DC_ERR_INPUT, "footage index: bad arguments to lookup");
    }
    if (!fps) count_fps = 0;
    if (count_fps > count) count_fps = count;
    const char *exclude = exclude_claim_id && exclude_claim_id[0] ? exclude_claim_id : NULL;
    lookup_ctx c = {.check = check, .exclude = exclude};
    dc_error_class rc = DC_OK;
    /* the claim's own stored videos (a retried attempt stored them already) are no candidates */
    if (exclude) rc = db->ops->by_claim(db->self, exclude, false, own_video, &c, st);
    int own = c.nskip;
    int unusable = 0;
    for (int i = 0; rc == DC_OK && i < count; i++) {
        c.nskip = own;
        c.video = i;
        if (valid_sha256(videos[i].sha256)) {
            rc = db->ops->by_sha256(db->self, videos[i].sha256, same_file_row, &c, st);
            stats->same_file += c.nskip - own;
        }
        if (rc != DC_OK || i >= count_fps) continue;
        if (dc_fingerprint_usable(&fps[i]) < DC_FP_MIN_RUN_SEC) {
            unusable++;
            continue;
        }
        c.query = &fps[i];
        rc = search_footage(db, &c, stats, st);
    }
    free(c.skip);
    if (rc != DC_OK) {
        snprintf(check->note, sizeof check->note, "footage index: %.150s", st ? st->message : "");
        return rc;
    }
    check->checked = true;
    if (unusable)
        snprintf(check->note, sizeof check->note,
                 "%d video(s) with fewer than %d usable seconds (too short or too dark): "
                 "compared by SHA-256 only",
                 unusable, DC_FP_MIN_RUN_SEC);
    else if (count_fps < count)
        snprintf(check->note, sizeof check->note,
                 "%d video(s) without a fingerprint: compared by SHA-256 only", count - count_fps);
    return DC_OK;
}

typedef struct {
    dc_claim_video *videos;
    dc_fingerprint *fps;
    int max, count;
} claim_rows_ctx;

static bool claim_row(void *arg, const fp_stored *v, dc_status *st) {
    claim_rows_ctx *c = arg;
    if (c->count >= c->max) return true;
    dc_claim_video *out = &c->videos[c->count];
    memset(out, 0, sizeof *out);
    snprintf(out->sha256, sizeof out->sha256, "%s", v->sha256);
    out->segment = -1;
    out->duration_sec = v->duration_sec;
    dc_fingerprint *fp = &c->fps[c->count];
    dc_status pst = DC_STATUS_OK;
    dc_error_class rc = dc_fingerprint_parse(v->blob, v->blob_len, fp, &pst);
    if (rc == DC_ERR_RESOURCE) {
        *st = pst;
        return false;
    }
    c->count++; /* a damaged blob reads as an empty fingerprint: SHA-256 only */
    return true;
}

dc_error_class dc_footage_db_claim_videos(dc_footage_db *db, const char *claim_id,
                                          dc_claim_video *videos, dc_fingerprint *fps, int max,
                                          int *count, dc_status *st) {
    if (count) *count = 0;
    if (!db || !claim_id || !videos || !fps || max < 0 || !count)
        return dc_fail(st, DC_ERR_INPUT, "footage index: bad arguments to claim_videos");
    claim_rows_ctx c = {videos, fps, max, 0};
    dc_error_class rc = db->ops->by_claim(db->self, claim_id, true, claim_row, &c, st);
    if (rc != DC_OK) {
        for (int i = 0; i < c.count; i++) dc_fingerprint_free(&fps[i]);
        return rc;
    }
    *count = c.count;
    return DC_OK;
}
