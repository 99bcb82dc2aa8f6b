/* Video fingerprints: "have we seen this footage before?"
 *
 * A fingerprint is one 256-bit perceptual hash per sampled second of a video, each with its
 * quality (0..100) and the time of the frame it was made from. Two videos show the same
 * footage when at least DC_FP_MIN_RUN_SEC seconds of their hashes match (Hamming distance at
 * most DC_FP_MATCH_DISTANCE, both of quality at least DC_FP_MIN_QUALITY) in the same order and
 * at the same pace: a clip cut out of a longer video matches it, a video with a part cut out
 * matches on each side of the cut. A hash cannot be turned back into a picture (256 bits of
 * signs of low-frequency coefficients: no pixels, no colours, no text).
 *
 * The hash (our own code, after the published description of Meta's PDQ):
 *   1. letterbox and pillarbox bars are trimmed: black, flat rows and columns on both sides
 *      of the picture (a dark band on one side only, a timestamp strip or a night sky, is
 *      picture), found once per video (the least any of its frames shows), so a letterboxed
 *      copy hashes the picture it frames and every copy of one footage the same part of it;
 *   2. the rest is box-filtered down to 64x64 luma;
 *   3. a 2-D DCT-II of the 64x64 block, of which the frequencies 1..16 in each direction are
 *      kept (16x16 = 256 coefficients; the DC row and column only carry brightness and
 *      ramps);
 *   4. each coefficient above the median of the 256 becomes a 1 bit.
 *   Quality is the picture's gradient energy (mean |dx| + |dy| of the 64x64 luma, scaled so
 *   that an ordinary daylight road scene reaches 100): a dark, flat or blank frame scores low
 *   and its hash is kept but never compared (it neither matches nor breaks a run).
 *   The mirrored hash (the picture flipped left to right) comes from the same DCT: flipping
 *   negates every coefficient of odd horizontal frequency; the median is taken again.
 *   dc_fingerprint_* always computes it (cheap: no second DCT), so a query can look for
 *   mirrored copies; the store indexes only the direct hashes. The blob keeps both.
 *
 * Sampling: one hash per second s = 0, 1, 2, ... of the video, from the frame nearest to s
 * within 0.5 s; a second without such a frame is absent (its entry is not in the array). The
 * mining pass (mine.h) makes a fingerprint from the thumbnails it already decodes (no second
 * decode pass): about 5 a second for short or small videos, keyframes otherwise (a 1-s GOP
 * gives one per second; a long video with sound and a 1-s GOP reads every other keyframe, so
 * every other second is absent). The matcher counts absent seconds inside a run (they are
 * neither evidence for nor against), so a sparse fingerprint still matches a dense one.
 *
 * Usage order:
 *   dc_fingerprint fp = {0};
 *   dc_fingerprint_from_thumbs(&thumbs, duration_sec, &fp, &st);
 *   dc_fp_match m[DC_FP_MAX_MATCHES]; int n;
 *   dc_fingerprint_match(&fp, &earlier, m, DC_FP_MAX_MATCHES, &n, &st);
 *   dc_fingerprint_serialize(&fp, &blob, &len, &st);  ... store keeps blob ...
 *   dc_fingerprint_parse(blob, len, &earlier, &st);
 *   dc_fingerprint_free(&fp);
 * Every function is thread-safe on distinct fingerprints; nothing is global.
 *
 * Ownership: a dc_fingerprint owns its array; dc_fingerprint_free releases it, is safe on a
 * zeroed struct and leaves it zeroed. A blob from dc_fingerprint_serialize is the caller's
 * (free()). */
#ifndef DASHCLAIM_FINGERPRINT_H
#define DASHCLAIM_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/media.h"
#include "dashclaim/status.h"

/* ---- the constants, in one place ------------------------------------------------------ */

#define DC_FP_BITS 256 /* bits per hash */
#define DC_FP_WORDS (DC_FP_BITS / 64)
/* Two hashes match at this Hamming distance or less. PDQ's published threshold is 31 for
 * photos; dashcam pictures are flatter (sky, road) and ours come from 160x90 thumbnails, so
 * copies sit higher: measured on synth-video footage at 320x180 (src/fingerprint/README.md)
 * re-encodes, 15 fps and clips at 13-23, half size, mirror and letterbox at 15-31, a burned-in
 * caption at 32-40; aligned seconds of unrelated videos: 0.5-1 % within 40. A single
 * second is weak evidence either way; the K-second run rule below makes the decision. */
#define DC_FP_MATCH_DISTANCE 40
/* Hashes of lower quality are kept and serialised but never compared or indexed (PDQ: 50). */
#define DC_FP_MIN_QUALITY 50
/* K: a match is at least this many seconds of footage in the same order and pace. */
#define DC_FP_MIN_RUN_SEC 10
/* Inside a run, at most this many compared seconds in a row may fail to match (a caption
 * popping up, seconds the re-encode smeared, a mirrored copy's mirrored timestamp overlay
 * near the distance); one more ends the run. Absent and low-quality seconds are not compared
 * and never end a run. The hit share below keeps a run mostly matches. */
#define DC_FP_RUN_MAX_MISS 3
/* A run counts only when at least this share of its compared seconds matched. */
#define DC_FP_RUN_MIN_HIT_SHARE 0.75
/* A run must stand out from its background: its mean distance at least this much below the
 * mean distance of the same query seconds at offsets 3..8 s away (dc_fp_match.background_*).
 * Footage that is merely alike everywhere (night roads, which low-detail pictures hash nearly
 * alike whatever the drive; one camera model's overlay) matches at every offset about as
 * well as at any one, a real copy at its own offset far better. Measured on synth-video
 * (bench/fingerprint, src/fingerprint/README.md): copies 15-80 below their background,
 * different drives that matched 2-14 below. Footage that does not move (a parked car) has no
 * contrast either; its copies are matched when nearly identical (DC_FP_STILL_DISTANCE). */
#define DC_FP_MIN_CONTRAST 15
/* The footage's own changes: the query's changing bits (dc_fp_match.changing_bits) are those
 * set in at least DC_FP_CHANGING_LOW and at most 1 - DC_FP_CHANGING_LOW of its usable seconds.
 * A copy's differences (re-encoding, scaling, a caption) spread over the whole hash; a
 * different drive that looks alike (identical cameras on one kind of road, one renderer)
 * agrees on the static look and differs where the picture changes. A run whose matched
 * seconds differ, on average, in more than DC_FP_MAX_CHANGING_SHARE of the changing bits is
 * not counted (unless nearly identical, DC_FP_STILL_DISTANCE). Measured (bench/fingerprint,
 * src/fingerprint/README.md): copies 0.04-0.29 (the high end 10-s pieces of a cut and night
 * drives), near-duplicate renders of different drives 0.14-0.42 (median 0.29): the limit
 * keeps every copy and about a third of those renders out. */
#define DC_FP_CHANGING_LOW 0.15
#define DC_FP_MAX_CHANGING_SHARE 0.30
#define DC_FP_MIN_DISTINCT 3
#define DC_FP_STILL_DISTANCE 16
/* Sub-second phases a query is hashed at (0, 0.2, 0.4, 0.6, 0.8 s): see dc_fingerprint. */
#define DC_FP_PHASES 5
/* Centre zooms ("views"): each second is also hashed from the central part of its picture
 * scaled back to the hash grid, so a copy cropped by up to about 10 % (the central 90 % of its
 * width and height kept) is compared with the original's matching view, and the reverse. A
 * hash tolerates about 2-3 % of crop, so the views step by 5 %. View z keeps the central
 * DC_FP_ZOOM_PERMILLE(z) / 1000 of width and height (after border trimming):
 *   0: 950, 1: 900 (in the blob: a stored candidate's views, compared with a cropped query's
 *      direct hash);
 *   2: 850, 3: 800 (query side only, not in the blob: they probe the index, whose keys come
 *      from the stored side's view DC_FP_ZOOM_INDEXED, see dc_fp_band_keys).
 * What the matcher compares (query x candidate, each also with the query's mirrored side):
 * direct x direct, direct x view 0 and 1 (the query is the crop), view 0 and 1 x direct (the
 * stored video is the crop). */
#define DC_FP_ZOOMS 4
#define DC_FP_ZOOMS_STORED 2
#define DC_FP_ZOOM_PERMILLE(z) (950 - 50 * (z))
/* The index is keyed on ONE hash per stored second: its central-90 % view. A query probes with
 * its direct hash (the query is a 10 % crop of the stored video: its whole picture is the
 * stored central 90 %), views 0 (5 % crop), 1 (same framing), 2 (the stored video is a 5 %
 * crop), 3 (an 11 % crop), each plain and mirrored: 10 probe hashes per query second, the
 * stored side's index no bigger than with the direct hash alone. */
#define DC_FP_ZOOM_INDEXED 1
/* Longest video a fingerprint describes (24 h of seconds); longer input is cut there. */
#define DC_FP_MAX_SECONDS 86400
/* The matcher returns at most this many runs per pair of videos. */
#define DC_FP_MAX_MATCHES 8

/* ---- types ---------------------------------------------------------------------------- */

typedef struct {
    uint64_t w[DC_FP_WORDS]; /* bit i is (w[i / 64] >> (i % 64)) & 1; coefficient order:
                                bit 16 * row + col of the 16x16 low-frequency block */
} dc_fp_hash;

/* One sampled second. */
typedef struct {
    int32_t second;      /* s: this hash stands for video time s .. s + 1 */
    int32_t t_ms;        /* the time of the frame it was made from, ms (|t - s| <= 500) */
    uint8_t quality;     /* 0..100; compared only at DC_FP_MIN_QUALITY or more */
    dc_fp_hash hash;     /* the picture */
    dc_fp_hash mirrored; /* the picture flipped left to right */
    /* centre views (DC_FP_ZOOMS above); valid for z < dc_fingerprint.zooms, else zero */
    dc_fp_hash zoom[DC_FP_ZOOMS];
    dc_fp_hash zoom_mirrored[DC_FP_ZOOMS]; /* the views flipped left to right (query side) */
} dc_fp_second;

/* A whole video: entries sorted by second, each second at most once; seconds without a frame
 * within 0.5 s are absent. */
typedef struct {
    dc_fp_second *seconds; /* owned; count entries */
    int count;
    int duration_sec; /* whole seconds the video lasts (ceil of its duration) */
    /* Views present in each entry: DC_FP_ZOOMS when made from pictures (zoom and
     * zoom_mirrored), DC_FP_ZOOMS_STORED when parsed from a version-2 blob (zoom only), 0 from a
     * version-1 blob (no views: such a stored video is found by direct hashes only). */
    int zooms;
    /* Query side only, not in the blob: hashes at the sub-second phases s + p / DC_FP_PHASES
     * (p = 1 .. DC_FP_PHASES - 1) where the thumbnails are dense enough (one within
     * 0.5 / DC_FP_PHASES s of that instant). A copy that starts at a fraction of a second (a
     * clip cut anywhere and re-encoded) has its seconds between the original's; one of the
     * phases lies within 0.1 s of them. Entries sorted by (second, phase); an entry's phase is
     * round((t_ms - 1000 * second) * DC_FP_PHASES / 1000). NULL / 0 when none. */
    dc_fp_second *phased;
    int phased_count;
} dc_fingerprint;

/* One run of matching footage between a query and a candidate. */
typedef struct {
    int query_sec;        /* first second of the run in the query */
    int candidate_sec;    /* the same footage's second in the candidate */
    int seconds;          /* length of the run in seconds (last - first + 1) */
    int compared;         /* seconds inside the run where both hashes were usable */
    int matched;          /* of those, how many matched */
    double mean_distance; /* mean Hamming distance of the matched seconds */
    bool mirrored;        /* the query's mirrored hashes matched (a flipped copy) */
    int query_phase_ms;   /* 0, or the sub-second phase of the query's hashes that matched:
                             query time query_sec + phase is candidate time candidate_sec */
    int query_zoom;       /* 0: the query's whole picture matched; 1 + z: its centre view z (the
                             candidate is a crop of the query's footage) */
    int candidate_zoom;   /* 0, or 1 + z: the candidate's view z (the query is a crop) */
    /* The same query seconds against the candidate 3..8 s before and after the run's offset
     * (same views): median distance and how many seconds were compared. Footage that is only
     * alike everywhere (a night road, a still scene) shows no contrast with its background. */
    double background_distance;
    int background_compared;
    /* matched seconds that stand out: at least DC_FP_MIN_CONTRAST closer here than the median
     * of their distances at those other offsets */
    int distinct;
    /* The footage's own look against its changes: how many of the query's bits change over its
     * video (in the run's query view: see DC_FP_CHANGING_LOW) and, over the matched seconds,
     * the mean number of the other (static) bits that differ and the mean share of the
     * changing bits that differ (DC_FP_MAX_CHANGING_SHARE). */
    int changing_bits;
    double static_distance;
    double changing_share;
} dc_fp_match;

/* ---- making one ----------------------------------------------------------------------- */

/* The hash of one grayscale picture (stride >= width bytes per row), its mirrored hash and
 * its quality. Pictures smaller than 8x8 after border trimming get quality 0. Never fails. */
void dc_fp_hash_gray(const uint8_t *gray, int width, int height, int stride, dc_fp_hash *hash,
                     dc_fp_hash *mirrored, int *quality);

/* The same and the picture's centre views (DC_FP_ZOOMS, each plain and mirrored) into out's
 * hash, mirrored, zoom and zoom_mirrored (its second, t_ms and quality untouched). */
void dc_fp_hash_views(const uint8_t *gray, int width, int height, int stride, dc_fp_second *out,
                      int *quality);

/* A fingerprint from the mining pass's thumbnails (any order of t_sec; any size, 160x90 by
 * default): for each second s in 0 .. ceil(duration) - 1 the thumbnail nearest to s within
 * 0.5 s (earlier one on a tie). duration_sec <= 0 takes the last thumbnail's time. An empty
 * set gives an empty fingerprint (DC_OK). DC_ERR_RESOURCE when memory runs out (out zeroed).
 * *out is zeroed first. */
dc_error_class dc_fingerprint_from_thumbs(const dc_thumb_set *thumbs, double duration_sec,
                                          dc_fingerprint *out, dc_status *st);

void dc_fingerprint_free(dc_fingerprint *fp);
/* Seconds of quality >= DC_FP_MIN_QUALITY. */
int dc_fingerprint_usable(const dc_fingerprint *fp);

/* ---- comparing ------------------------------------------------------------------------ */

int dc_fp_distance(const dc_fp_hash *a, const dc_fp_hash *b); /* 0..256 */

/* Runs of at least DC_FP_MIN_RUN_SEC seconds where the query's hashes (direct, then
 * mirrored; at whole seconds, then at each sub-second phase it has) match the candidate's at one constant offset (candidate second = query second +
 * offset: same order, same pace). Along an offset, seconds where both sides are present and
 * usable are compared; a run starts at a match, goes on through matches, absent and unusable
 * seconds and up to DC_FP_RUN_MAX_MISS misses in a row, ends before the miss that exceeds it,
 * and counts when it spans >= DC_FP_MIN_RUN_SEC seconds with matched >= 2 and
 * matched >= DC_FP_RUN_MIN_HIT_SHARE * compared. Overlapping runs (the same query seconds on
 * a neighbouring offset, the mirrored side of a symmetric scene) keep the longest. Fills up
 * to max runs, longest first, *count how many. O(query x candidate) comparisons (the store
 * narrows the candidates first). DC_ERR_RESOURCE when memory runs out. */
dc_error_class dc_fingerprint_match(const dc_fingerprint *query, const dc_fingerprint *candidate,
                                    dc_fp_match *out, int max, int *count, dc_status *st);

/* ---- the stored form ------------------------------------------------------------------ */

/* A versioned byte blob, little-endian:
 *   "DCFP" | version u8 | flags u8 (0) | reserved u16 (0) | duration_sec u32 | count u32 |
 *   count x entry | crc32 u32 of everything before it.
 * Version 2 (written whenever the fingerprint has its views): entry = second u32 | t_ms u32 |
 * quality u8 | hash 32 B | mirrored 32 B | zoom[0] 32 B | zoom[1] 32 B: 137 bytes, a minute
 * sampled every second 8.2 kB. Version 1 (written before the views; still read, and written
 * for a fingerprint without views): the same without the zooms, 73 bytes an entry; parsed, it
 * has zooms = 0. The views the query alone uses (zoom[2..3], zoom_mirrored) are not stored. */
#define DC_FP_BLOB_VERSION 2
#define DC_FP_BLOB_HEADER 16
#define DC_FP_BLOB_ENTRY_V1 73
#define DC_FP_BLOB_ENTRY (DC_FP_BLOB_ENTRY_V1 + 32 * DC_FP_ZOOMS_STORED)
size_t dc_fingerprint_blob_size(const dc_fingerprint *fp);
/* *blob is malloc'd (caller frees). DC_ERR_RESOURCE when memory runs out. */
dc_error_class dc_fingerprint_serialize(const dc_fingerprint *fp, uint8_t **blob, size_t *len,
                                        dc_status *st);
/* Parses bytes from anywhere (a database, a request): every length, count, order, range and
 * the checksum are checked before anything is kept. DC_ERR_INPUT with a message for a damaged
 * or foreign blob (out zeroed), DC_ERR_RESOURCE when memory runs out. */
dc_error_class dc_fingerprint_parse(const uint8_t *blob, size_t len, dc_fingerprint *out,
                                    dc_status *st);

/* ---- keys for the store's index ------------------------------------------------------- */

/* Each usable direct hash gives DC_FP_BANDS keys: band b is every DC_FP_BANDS-th bit of the
 * hash from bit b on (DC_FP_BAND_BITS bits, mixing low and high frequencies), tagged with b in
 * the key's top bits so one index column holds them all. The store indexes (key, video,
 * second) for usable seconds; a query looks up the keys of its usable direct and mirrored
 * hashes, fetches the videos found, and runs dc_fingerprint_match on each. For crops the
 * index is to be keyed on the stored view DC_FP_ZOOM_INDEXED and probed with the query's
 * direct hash and its four views, plain and mirrored (see DC_FP_ZOOM_INDEXED).
 *
 * Why 32-bit bands: two hashes within distance 31 always share one of 32 8-bit bands, but at
 * 60 million stored hashes an 8-bit band value is shared by ~230 000 of them per query second.
 * Wider bands are shared by a true copy's second only with some probability, but a match needs
 * only ONE key hit among its >= DC_FP_MIN_RUN_SEC seconds.
 * Measured (bench/fingerprint, src/fingerprint/README.md): dashcam pictures share their layout
 * (road, sky), so bits are far from independent: among 40 different synthetic drives each
 * stored second shared a key with 3.35 seconds of OTHER videos. Scaled to 60 million seconds
 * that is too many candidates; the next step is keys from bits chosen for their spread across
 * real footage, or keys of two consecutive seconds. The function and the key layout are the
 * store's interface either way. */
#define DC_FP_BANDS 8
#define DC_FP_BAND_BITS 32
typedef uint64_t dc_fp_key; /* band << 32 | band bits */
void dc_fp_band_keys(const dc_fp_hash *h, dc_fp_key keys[DC_FP_BANDS]);

#endif
