/* The footage index: "which earlier claim shows this footage?"
 *
 * Every claim's videos are kept here with their fingerprint (fingerprint.h) and SHA-256, and an
 * index answers, for a new claim's videos, which stored videos are the same file (same SHA-256)
 * or show the same footage (dc_fingerprint_match: at least DC_FP_MIN_RUN_SEC seconds at one
 * offset, direct or mirrored). The service's worker looks every claim up before its decision
 * (src/serve/serve_footage.c) and stores its fingerprints after; `dashclaim match` and
 * GET /v1/claims/{id}/matches ask the same question.
 *
 * Where it lives: beside the claim store, at the same location string as dc_store_open:
 *   DIR                   SQLite, its own file DIR/footage.db (WAL): the index is the store's
 *                         largest table by far and is written once per claim, so it gets a file
 *                         and a writer lock of its own instead of holding the queue's;
 *   postgresql://...      PostgreSQL, tables fp_videos, fp_buckets, fp_places and fp_meta in
 *                         the same database, created by this module's own numbered migrations
 *                         (table footage_schema, under an advisory lock of its own) after the
 *                         store's.
 *
 * The index (design and candidate counts: src/store/README.md, "The footage index"):
 *   fp_videos    one row per (claim, video position): SHA-256, duration, usable seconds, the
 *                fingerprint blob (dc_fingerprint_serialize), indexed by SHA-256;
 *   fp_places    one row per claim: its incident place and time (X-REPEAT-LOCATION), indexed by
 *                (UTC day, latitude);
 *   fp_buckets   the postings: 4 band keys (32 bits) of each usable second's whole picture
 *                and of its central-90 % view (when the blob has views), each naming its
 *                video, packed into one row per key bucket (a million videos: ~16.7 million
 *                rows). Seconds are not kept: a posting only names a candidate; the matcher
 *                decides on the stored blob.
 * A lookup probes the keys of 7 hashes a query second (its whole picture, its four views, its
 * mirrored picture and mirrored central view: each crop and flip the issue names, one probe
 * hash each; ~1 700 probes a minute), counts the postings per stored video, keeps the
 * DC_FOOTAGE_MAX_CANDIDATES videos with most hits, and runs dc_fingerprint_match on each blob.
 * A copy at distance d shares one of a second's 4 keys with probability 0.73 (d = 10) or 0.47
 * (d = 15), and a match is >= 10 aligned seconds, of which one key hit is all it needs; a chance
 * hit between unrelated hashes is ~1 700 x 2N / 2^32 per query minute for N stored seconds
 * (N = 60 million: ~50 postings, each a candidate the matcher rejects in microseconds).
 *
 * Threads: one dc_footage_db is one connection, used by one thread at a time (like dc_store).
 * Errors are values: DC_ERR_INPUT for bad arguments or a damaged stored blob, DC_ERR_RESOURCE
 * for memory, the database or the disk. */
#ifndef DASHCLAIM_FOOTAGE_STORE_H
#define DASHCLAIM_FOOTAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "dashclaim/claim.h"
#include "dashclaim/fingerprint.h"
#include "dashclaim/status.h"

/* Stored videos with most posting hits that the matcher compares, per query video. */
#define DC_FOOTAGE_MAX_CANDIDATES 64

typedef struct dc_footage_db dc_footage_db;

/* Opens (creating or migrating the tables) the index at location (a folder for SQLite, which
 * must exist or be creatable, or a postgresql:// URL). NULL with *st when it cannot. */
dc_footage_db *dc_footage_db_open(const char *location, dc_status *st);
void dc_footage_db_close(dc_footage_db *db);                /* safe on NULL */
const char *dc_footage_db_backend(const dc_footage_db *db); /* "sqlite" | "postgresql" */

/* One video to store: claim_id and position name it (at most one row per pair: storing the
 * same pair again changes nothing, so a retried worker is harmless). sha256 is 64 lowercase hex
 * digits (required: same-file matches need it); fp may be NULL or empty (a video too short or
 * too dark still gets its row, so a second upload of its bytes is found as the same file). */
typedef struct {
    const char *claim_id; /* 1..127 bytes */
    int position;         /* 0.. (the video's index in its claim) */
    const char *sha256;
    const dc_fingerprint *fp;
} dc_footage_video;

/* Stores n videos in one transaction. */
dc_error_class dc_footage_db_put(dc_footage_db *db, const dc_footage_video *videos, int n,
                                 dc_status *st);

/* For loading many videos at once (an import, the bench): commits stop waiting for the disk
 * (SQLite synchronous=OFF and a 1 GB page cache; PostgreSQL synchronous_commit off), and the
 * videos' postings are held in memory (up to 1 GB, twice that while sorted; the environment's
 * DC_FOOTAGE_BULK_POSTINGS, 1 000 .. 134 217 728 postings of 8 bytes, makes it less) and
 * written sorted when it is turned off (or the memory is full; PostgreSQL stages such passes
 * and writes each bucket row once at the end): videos stored meanwhile are not found by
 * footage until then (by SHA-256 they are). A crash may lose the last batches; one that leaves
 * stored videos without postings has them rebuilt from their blobs at the next open. Off again
 * (writing what is held) with on = false; dc_footage_db_close does that too. */
dc_error_class dc_footage_db_bulk(dc_footage_db *db, bool on, dc_status *st);

/* What one lookup cost, for the bench and the design notes. */
typedef struct {
    int keys;         /* distinct index keys probed */
    int buckets;      /* distinct index rows (buckets) those keys read */
    int64_t postings; /* postings those keys returned (each a (key, video) hit) */
    int candidates;   /* distinct stored videos among them (before the cap) */
    int compared;     /* blobs fetched and matched (<= DC_FOOTAGE_MAX_CANDIDATES per video) */
    int chance;       /* blobs fetched whose key hits were all chance collisions: not matched */
    int same_file;    /* rows found by SHA-256 */
} dc_footage_search_stats;

/* The claim's videos (videos[i].sha256 may be "": then no same-file search for it) with their
 * fingerprints (fps[i] for videos[i]; fps may be NULL or count_fps < count: no footage search
 * for the rest) against every stored video of another claim than exclude_claim_id (NULL or ""
 * = exclude none). Fills check->matches: same-file rows first (seconds = the earlier video's
 * duration, distance 0), then same-footage runs, longest first, at most DC_MAX_FOOTAGE_MATCHES
 * (one per earlier video and query video: the longest run; a same-file video is not reported
 * again as same footage); check->checked = true on DC_OK. stats may be NULL. On an error check
 * keeps what was found so far, checked stays false and check->note says what failed. */
dc_error_class dc_footage_db_lookup(dc_footage_db *db, const char *exclude_claim_id,
                                    const dc_claim_video *videos, int count,
                                    const dc_fingerprint *fps, int count_fps,
                                    dc_footage_check *check, dc_footage_search_stats *stats,
                                    dc_status *st);

/* The stored videos of claim_id as the pipeline would pass them (videos[i].sha256, fps[i]
 * parsed from the blobs), for GET /v1/claims/{id}/matches: *count of at most max rows (by
 * position); fps[0..*count) are the caller's to dc_fingerprint_free. 0 rows: the claim has
 * none stored (not looked up yet, or unknown). */
dc_error_class dc_footage_db_claim_videos(dc_footage_db *db, const char *claim_id,
                                          dc_claim_video *videos, dc_fingerprint *fps, int max,
                                          int *count, dc_status *st);

/* ---- places: X-REPEAT-LOCATION ------------------------------------------------------------ */

/* A claim's incident place and time, from its dashcam's telemetry (dc_telemetry_summary:
 * has_position, lat, lon, utc_ms): WGS-84 degrees and Unix milliseconds (UTC). */
typedef struct {
    double lat, lon;
    int64_t utc_ms;
} dc_footage_place;

/* Stores the claim's place: one row per claim; storing again (a retried worker, or another
 * place for the same claim) changes nothing. DC_ERR_INPUT for a claim id not 1..127 bytes or a
 * place off the globe (lat outside -90..90, lon outside -180..180, not finite). */
dc_error_class dc_footage_db_put_place(dc_footage_db *db, const char *claim_id,
                                       const dc_footage_place *p, dc_status *st);

/* One other claim near a place. */
typedef struct {
    char claim_id[128];
    double distance_m;  /* great-circle (haversine, mean earth radius 6 371 008.8 m) */
    double hours_apart; /* |its utc_ms - p's| in hours, <= 24 */
} dc_footage_near;

/* Longest radius a search takes (the index reads one latitude strip of this half-width). */
#define DC_FOOTAGE_NEAR_MAX_RADIUS_M 50000.0

/* Other claims (never exclude_claim_id; NULL or "" = exclude none) whose place lies within
 * radius_m (> 0, at most DC_FOOTAGE_NEAR_MAX_RADIUS_M) of p and whose time is within 24 hours
 * of p's: "the same day" as a window, not the calendar's UTC day, so two crashes at 23:50 and
 * 00:10 are the same day and 00:10 and 23:50 of one date are too. Nearest first (then the
 * closer in time, then by claim id), at most max in out[0..*count); *count says how many were
 * written. The rows read are one (UTC day, latitude) range of the index for each of the three
 * days the window touches, filtered in C: a search costs the same with a million claims. */
dc_error_class dc_footage_db_near(dc_footage_db *db, const char *exclude_claim_id,
                                  const dc_footage_place *p, double radius_m, dc_footage_near *out,
                                  int max, int *count, dc_status *st);

#endif
