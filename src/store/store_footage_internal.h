/* Inside the footage index (include/dashclaim/footage_store.h): what a backend does. The
 * lookup itself (keys, hit counts, candidates, the matcher, the record's rows) is written once
 * in store_footage.c; a backend (store_sqlite_footage.c, store_pg_footage.c) only moves rows,
 * each call one transaction or one read. */
#ifndef DASHCLAIM_STORE_FOOTAGE_INTERNAL_H
#define DASHCLAIM_STORE_FOOTAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dashclaim/footage_store.h"

/* The index's layout (src/store/README.md, "The footage index"). A key (dc_fp_key, as the store
 * re-tags it: index band j in 0..FP_INDEX_BANDS-1 above 32 band bits, 34 bits in all) is
 * split into a bucket (its top 24 bits) and a rest (its low FP_BUCKET_SHIFT bits). A bucket is
 * one row, (bucket, entries): entries is FP_ENTRY_BYTES per posting, rest u16 LE | video u32
 * LE, in no order. One row per bucket instead of one per posting: a million videos are ~16
 * million rows of ~170 bytes instead of 480 million rows, which PostgreSQL would store at ~40
 * bytes of overhead each; a probe reads one row and keeps the entries whose rest is its key's. */
#define FP_INDEX_BANDS 4
#define FP_BUCKET_SHIFT 10
#define FP_ENTRY_BYTES 6

/* Postings waiting to be written: added per video, handed out grouped by bucket. */
typedef struct fp_postings_buf fp_postings_buf;
/* One bucket's new entries (appended to whatever the bucket holds). */
typedef struct {
    uint32_t bucket;
    uint32_t len;         /* bytes: FP_ENTRY_BYTES x postings */
    const uint8_t *bytes; /* valid until the buffer's next add, clear or free */
} fp_bucket_add;

fp_postings_buf *fp_buf_new(void); /* NULL when out of memory */
void fp_buf_free(fp_postings_buf *b);
void fp_buf_clear(fp_postings_buf *b);
size_t fp_buf_count(const fp_postings_buf *b);
/* Drops the postings added after the first n (a put that rolled back). */
void fp_buf_truncate(fp_postings_buf *b, size_t n);
/* video's postings (its distinct keys); DC_ERR_RESOURCE for memory or a video id >= 2^30. */
dc_error_class fp_buf_add(fp_postings_buf *b, int64_t video, const dc_fp_key *keys, int n,
                          dc_status *st);
/* The buffered postings as appends, one per bucket, in bucket order (*adds lives in b). */
dc_error_class fp_buf_groups(fp_postings_buf *b, const fp_bucket_add **adds, size_t *n,
                             dc_status *st);
uint32_t fp_bucket_of(dc_fp_key key);
/* fn for each entry of a bucket's bytes whose rest is key's. */
bool fp_bucket_scan(dc_fp_key key, const uint8_t *entries, size_t len,
                    bool (*fn)(void *arg, int64_t video, dc_status *st), void *arg, dc_status *st);
/* Postings a bulk load holds in memory before it writes them: 1 GB, and as much again while
 * they are sorted; a million videos (480 million postings) are written in four passes. */
#define FP_BULK_MAX_POSTINGS ((size_t)128 << 20)
/* The pass size in use: FP_BULK_MAX_POSTINGS, or the environment's DC_FOOTAGE_BULK_POSTINGS
 * (1 000 .. FP_BULK_MAX_POSTINGS: less memory on a small machine, more passes). */
size_t fp_bulk_max_postings(void);

/* One video to insert, with everything derived from its fingerprint. */
typedef struct {
    const char *claim_id;
    int position;
    const char *sha256;
    int duration_sec;
    int usable;          /* seconds of quality >= DC_FP_MIN_QUALITY */
    const uint8_t *blob; /* dc_fingerprint_serialize */
    size_t blob_len;
    const dc_fp_key *keys; /* its distinct index keys (fp_index_keys), sorted */
    int nkeys;
} fp_put_row;

/* A stored video as read back; blob (may be NULL when not asked for) lives until the callback
 * returns. */
typedef struct {
    int64_t id;
    const char *claim_id;
    int position;
    const char *sha256;
    int duration_sec;
    const uint8_t *blob;
    size_t blob_len;
} fp_stored;

/* Returns false to stop (then the backend returns *st's class, which the callback set). */
typedef bool (*fp_stored_fn)(void *arg, const fp_stored *v, dc_status *st);
/* One posting hit: the stored video id. */
typedef bool (*fp_hit_fn)(void *arg, int64_t video, dc_status *st);
/* One bucket read: its entries (valid until the callback returns). */
typedef bool (*fp_bucket_fn)(void *arg, uint32_t bucket, const uint8_t *entries, size_t len,
                             dc_status *st);

/* The distinct index keys of a stored blob, sorted (*keys malloc'd, NULL when none); a
 * damaged blob has none. */
typedef dc_error_class (*fp_keys_fn)(const uint8_t *blob, size_t len, dc_fp_key **keys, int *n,
                                     dc_status *st);

/* One stored place (fp_places): claim_id lives until the callback returns. */
typedef bool (*fp_place_fn)(void *arg, const char *claim_id, const dc_footage_place *p,
                            dc_status *st);

/* The UTC day of a time: floor(utc_ms / 86 400 000), the index's first column. */
int64_t fp_place_day(int64_t utc_ms);

typedef struct {
    const char *name;
    void (*close)(void *self);
    /* The key function the buckets were made with (fp_meta 'band_keys') against current: an
     * index made with another (or unknown) function, or left by a bulk load that did not
     * finish (fp_meta 'bulk_pending'), has its buckets rebuilt from the stored blobs with
     * keys_of, in one transaction, and takes current. *rebuilt (may be NULL) says whether that
     * happened. */
    dc_error_class (*check_keys)(void *self, const char *current, fp_keys_fn keys_of, bool *rebuilt,
                                 dc_status *st);
    /* Inserts the rows whose (claim_id, position) is new, and their postings, in one
     * transaction; with defer (a bulk load) their postings go to defer instead and fp_meta
     * 'bulk_pending' is set in the same transaction, so a load that never writes them is
     * rebuilt at the next open. */
    dc_error_class (*put)(void *self, const fp_put_row *rows, int n, fp_postings_buf *defer,
                          dc_status *st);
    /* Appends adds[0..n) to their buckets in one transaction; done (the bulk load's last
     * write) clears 'bulk_pending' in it. */
    dc_error_class (*append)(void *self, const fp_bucket_add *adds, size_t n, bool done,
                             dc_status *st);
    /* dc_footage_db_bulk. */
    dc_error_class (*bulk)(void *self, bool on, dc_status *st);
    /* Stored videos with this SHA-256 (no blob). */
    dc_error_class (*by_sha256)(void *self, const char *sha256, fp_stored_fn fn, void *arg,
                                dc_status *st);
    /* Stored videos of one claim, by position, with their blobs when with_blob. */
    dc_error_class (*by_claim)(void *self, const char *claim_id, bool with_blob, fp_stored_fn fn,
                               void *arg, dc_status *st);
    /* The buckets buckets[0..n) (sorted, distinct) that exist, fn once each, in any order. */
    dc_error_class (*buckets)(void *self, const uint32_t *buckets, int n, fp_bucket_fn fn,
                              void *arg, dc_status *st);
    /* The videos ids[0..n), with their blobs, in any order. */
    dc_error_class (*by_ids)(void *self, const int64_t *ids, int n, fp_stored_fn fn, void *arg,
                             dc_status *st);
    /* Stores claim_id's place (day = fp_place_day(p->utc_ms)) unless it has one. */
    dc_error_class (*put_place)(void *self, const char *claim_id, int64_t day,
                                const dc_footage_place *p, dc_status *st);
    /* Every place whose day is one of days[0..3) and whose lat is in lat_lo..lat_hi. */
    dc_error_class (*places)(void *self, const int64_t days[3], double lat_lo, double lat_hi,
                             fp_place_fn fn, void *arg, dc_status *st);
} fp_backend;

/* The backend behind a handle (its fields are private to store_footage.c). */
const fp_backend *fp_db_ops(dc_footage_db *db, void **self);

dc_error_class store_sqlite_footage_open(const char *dir, const fp_backend **ops, void **self,
                                         dc_status *st);
#ifdef DC_STORE_HAVE_PG
dc_error_class store_pg_footage_open(const char *url, const fp_backend **ops, void **self,
                                     dc_status *st);
#endif

#endif
