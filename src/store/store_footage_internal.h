/* Inside the footage index (include/dashclaim/footage_store.h): what a backend does. The
 * lookup itself (keys, hit counts, candidates, the matcher, the record's rows) is written once
 * in store_footage.c; a backend (store_sqlite_footage.c, store_pg_footage.c) only moves rows,
 * each call one transaction or one read. */
#ifndef DASHCLAIM_STORE_FOOTAGE_INTERNAL_H
#define DASHCLAIM_STORE_FOOTAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dashclaim/footage_store.h"

/* One video to insert, with everything derived from its fingerprint. */
typedef struct {
    const char *claim_id;
    int position;
    const char *sha256;
    int duration_sec;
    int usable;          /* seconds of quality >= DC_FP_MIN_QUALITY */
    const uint8_t *blob; /* dc_fingerprint_serialize */
    size_t blob_len;
    const dc_fp_key *keys; /* distinct band keys of its usable direct hashes, sorted */
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

/* The distinct band keys of a stored blob's usable direct hashes, sorted (*keys malloc'd, NULL
 * when none); a damaged blob has none. */
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
    /* The band-key function the postings were made with (fp_meta 'band_keys') against
     * current: an index with no videos takes current; one made with another (or unknown)
     * function has its postings rebuilt from the stored blobs with keys_of, in one
     * transaction, and takes current. *rebuilt (may be NULL) says whether that happened. */
    dc_error_class (*check_keys)(void *self, const char *current, fp_keys_fn keys_of, bool *rebuilt,
                                 dc_status *st);
    /* Inserts the rows whose (claim_id, position) is new, and their postings, in one
     * transaction. */
    dc_error_class (*put)(void *self, const fp_put_row *rows, int n, dc_status *st);
    /* dc_footage_db_bulk. */
    dc_error_class (*bulk)(void *self, bool on, dc_status *st);
    /* Stored videos with this SHA-256 (no blob). */
    dc_error_class (*by_sha256)(void *self, const char *sha256, fp_stored_fn fn, void *arg,
                                dc_status *st);
    /* Stored videos of one claim, by position, with their blobs when with_blob. */
    dc_error_class (*by_claim)(void *self, const char *claim_id, bool with_blob, fp_stored_fn fn,
                               void *arg, dc_status *st);
    /* Every posting of keys[0..n) (sorted, distinct): fn once per (key, video) hit. */
    dc_error_class (*postings)(void *self, const dc_fp_key *keys, int n, fp_hit_fn fn, void *arg,
                               dc_status *st);
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
