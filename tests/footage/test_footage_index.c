/* The footage index (include/dashclaim/footage_store.h) on the backend the run asks for
 * (SQLite here, PostgreSQL under tests/store/with-pg): same file by SHA-256, same footage
 * through the band-key index (a re-encoded clip, a mirrored copy), nothing for other footage or
 * for a video too short or too dark to hash, the claim itself never, and the index's answers
 * equal to a brute-force dc_fingerprint_match over every stored fingerprint. Fingerprints are
 * synthetic (random hashes, copies with bits flipped): the hash itself is tested in
 * tests/fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/footage_store.h"
#include "store_test_util.h"

static uint64_t rng_state;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void random_hash(dc_fp_hash *h) {
    for (int w = 0; w < DC_FP_WORDS; w++) h->w[w] = rnd();
}

static void flip_bits(dc_fp_hash *h, int bits) {
    for (int i = 0; i < bits; i++) {
        int b = (int)(rnd() % DC_FP_BITS);
        h->w[b / 64] ^= 1ULL << (b % 64);
    }
}

static void fp_random(dc_fingerprint *fp, int seconds, int quality) {
    fp->seconds = calloc((size_t)seconds, sizeof *fp->seconds);
    assert_non_null(fp->seconds);
    fp->count = fp->duration_sec = seconds;
    for (int s = 0; s < seconds; s++) {
        fp->seconds[s].second = s;
        fp->seconds[s].t_ms = s * 1000;
        fp->seconds[s].quality = (uint8_t)quality;
        random_hash(&fp->seconds[s].hash);
        random_hash(&fp->seconds[s].mirrored);
    }
}

/* Seconds from .. from + len - 1 of src as a new video, each hash with bits flipped (a
 * re-encode); mirrored: the copy is flipped, so its mirrored hash is the original's. */
static void fp_clip(dc_fingerprint *fp, const dc_fingerprint *src, int from, int len, int bits,
                    bool mirrored) {
    fp->seconds = calloc((size_t)len, sizeof *fp->seconds);
    assert_non_null(fp->seconds);
    fp->count = fp->duration_sec = len;
    for (int s = 0; s < len; s++) {
        dc_fp_second *d = &fp->seconds[s];
        *d = src->seconds[from + s];
        d->second = s;
        d->t_ms = s * 1000;
        if (mirrored) {
            d->mirrored = d->hash;
            random_hash(&d->hash);
            flip_bits(&d->mirrored, bits);
        } else {
            flip_bits(&d->hash, bits);
        }
    }
}

static void sha_of(int i, char sha[65]) { snprintf(sha, 65, "%064x", i + 1); }

typedef struct {
    char url[512];
    dc_footage_db *db;
    dc_fingerprint *stored;
    int count;
} fixture;

/* count stored videos of 60 s, claims clm_000 .., one video each; bulk: as a bulk load
 * (postings held, then written sorted in pieces) instead of one put's transaction, 25 videos a
 * put (6 000 postings: 60 hashes x 4 bands a video) and a pass from 20 000 postings on: three
 * passes of 24 000 and the empty last one, which PostgreSQL stages and writes once at the end. */
static void fixture_load(fixture *f, const char *name, int count, uint64_t seed, bool bulk) {
    rng_state = seed;
    test_store_url(name, f->url, sizeof f->url);
    dc_status st = DC_STATUS_OK;
    f->db = dc_footage_db_open(f->url, &st);
    if (!f->db) fail_msg("open %s: %s", f->url, st.message);
    f->count = count;
    f->stored = calloc((size_t)count, sizeof *f->stored);
    char(*ids)[16] = calloc((size_t)count, 16);
    char(*shas)[65] = calloc((size_t)count, 65);
    dc_footage_video *v = calloc((size_t)count, sizeof *v);
    assert_true(f->stored && ids && shas && v);
    for (int i = 0; i < count; i++) {
        fp_random(&f->stored[i], 60, 90);
        snprintf(ids[i], 16, "clm_%03d", i);
        sha_of(i, shas[i]);
        v[i] = (dc_footage_video){ids[i], 0, shas[i], &f->stored[i]};
    }
    if (bulk) {
        setenv("DC_FOOTAGE_BULK_POSTINGS", "20000", 1);
        if (dc_footage_db_bulk(f->db, true, &st) != DC_OK) fail_msg("bulk: %s", st.message);
    }
    for (int from = 0; from < count; from += bulk ? 25 : count) {
        int n = bulk && count - from > 25 ? 25 : count - from;
        if (dc_footage_db_put(f->db, v + from, n, &st) != DC_OK) fail_msg("put: %s", st.message);
    }
    if (bulk) {
        if (dc_footage_db_bulk(f->db, false, &st) != DC_OK) fail_msg("bulk: %s", st.message);
        unsetenv("DC_FOOTAGE_BULK_POSTINGS");
    }
    free(ids);
    free(shas);
    free(v);
}

static void fixture_make(fixture *f, const char *name, int count, uint64_t seed) {
    fixture_load(f, name, count, seed, false);
}

static void fixture_free(fixture *f) {
    for (int i = 0; i < f->count; i++) dc_fingerprint_free(&f->stored[i]);
    free(f->stored);
    dc_footage_db_close(f->db);
}

static void lookup(fixture *f, const char *claim, const char *sha, const dc_fingerprint *fp,
                   dc_footage_check *check, dc_footage_search_stats *stats) {
    dc_claim_video v;
    memset(&v, 0, sizeof v);
    snprintf(v.sha256, sizeof v.sha256, "%s", sha ? sha : "");
    dc_status st = DC_STATUS_OK;
    if (dc_footage_db_lookup(f->db, claim, &v, 1, fp, fp ? 1 : 0, check, stats, &st) != DC_OK)
        fail_msg("lookup: %s", st.message);
    assert_true(check->checked);
}

static void test_same_file_and_footage(void **state) {
    (void)state;
    fixture f;
    fixture_make(&f, "fpidx", 200, 0x9e3779b97f4a7c15ULL);
    dc_footage_check c;
    char sha[65];

    /* the same bytes again: the earlier claim, named, and not once more as footage */
    sha_of(5, sha);
    lookup(&f, "clm_new", sha, &f.stored[5], &c, NULL);
    assert_int_equal(c.match_count, 1);
    assert_true(c.matches[0].same_file);
    assert_string_equal(c.matches[0].claim_id, "clm_005");
    assert_int_equal((int)c.matches[0].seconds, 60);

    /* a re-encoded clip: seconds 10..39 of clm_007, 8 bits of 256 changed a second */
    dc_fingerprint q = {0};
    fp_clip(&q, &f.stored[7], 10, 30, 8, false);
    dc_footage_search_stats stats;
    lookup(&f, "clm_new", NULL, &q, &c, &stats);
    assert_int_equal(c.match_count, 1);
    assert_false(c.matches[0].same_file);
    assert_string_equal(c.matches[0].claim_id, "clm_007");
    assert_int_equal((int)c.matches[0].video_sec, 0);
    assert_int_equal((int)c.matches[0].other_sec, 10);
    assert_true(c.matches[0].seconds >= 28);
    assert_true(c.matches[0].distance > 0 && c.matches[0].distance <= 8);
    assert_false(c.matches[0].mirrored);
    assert_true(stats.candidates >= 1 && stats.compared >= 1);
    /* the claim that holds the footage is never its own match */
    lookup(&f, "clm_007", NULL, &q, &c, NULL);
    assert_int_equal(c.match_count, 0);
    dc_fingerprint_free(&q);

    /* a mirrored copy, found through the query's mirrored hashes */
    fp_clip(&q, &f.stored[9], 0, 40, 6, true);
    lookup(&f, "clm_new", NULL, &q, &c, NULL);
    assert_int_equal(c.match_count, 1);
    assert_string_equal(c.matches[0].claim_id, "clm_009");
    assert_true(c.matches[0].mirrored);
    dc_fingerprint_free(&q);

    /* other footage that shares one key with a stored second by chance (band 0: every 8th bit
     * from bit 0): a candidate set aside without running the matcher, and no match */
    fp_random(&q, 60, 90);
    for (int bit = 0; bit < DC_FP_BITS; bit += DC_FP_BANDS) {
        uint64_t mask = 1ULL << (bit % 64);
        q.seconds[5].hash.w[bit / 64] &= ~mask;
        q.seconds[5].hash.w[bit / 64] |= f.stored[11].seconds[40].hash.w[bit / 64] & mask;
    }
    lookup(&f, "clm_new", NULL, &q, &c, &stats);
    assert_int_equal(c.match_count, 0);
    assert_int_equal(stats.candidates, 1);
    assert_int_equal(stats.chance, 1);
    assert_int_equal(stats.compared, 0);
    dc_fingerprint_free(&q);

    /* other footage: nothing, and checked */
    fp_random(&q, 60, 90);
    sha_of(1000, sha);
    lookup(&f, "clm_new", sha, &q, &c, NULL);
    assert_int_equal(c.match_count, 0);
    assert_string_equal(c.note, "");
    dc_fingerprint_free(&q);
    fixture_free(&f);
}

/* A video too short or too dark for a usable hash is stored (its bytes are found again) and
 * never matches footage, not even a copy of itself under another SHA-256. */
static void test_unusable_video(void **state) {
    (void)state;
    fixture f;
    fixture_make(&f, "fpbad", 20, 0x1234567ULL);
    dc_fingerprint dark = {0}, shorty = {0};
    fp_random(&dark, 60, 10); /* quality 10: below DC_FP_MIN_QUALITY */
    fp_clip(&shorty, &f.stored[3], 0, 5, 0, false);
    char sha_dark[65], sha_short[65], sha_other[65];
    sha_of(500, sha_dark);
    sha_of(501, sha_short);
    sha_of(502, sha_other);
    dc_footage_video v[2] = {{"clm_dark", 0, sha_dark, &dark},
                             {"clm_short", 0, sha_short, &shorty}};
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_footage_db_put(f.db, v, 2, &st), DC_OK);
    assert_int_equal(dc_footage_db_put(f.db, v, 2, &st), DC_OK); /* again: no second row */
    dc_footage_check c;
    lookup(&f, "clm_new", sha_other, &dark, &c, NULL);
    assert_int_equal(c.match_count, 0);
    assert_non_null(strstr(c.note, "too short or too dark"));
    lookup(&f, "clm_new", sha_other, &shorty, &c, NULL);
    assert_int_equal(c.match_count, 0);
    lookup(&f, "clm_new", sha_dark, &dark, &c, NULL);
    assert_int_equal(c.match_count, 1);
    assert_true(c.matches[0].same_file);
    assert_string_equal(c.matches[0].claim_id, "clm_dark");
    /* what the service reads back for GET /v1/claims/{id}/matches */
    dc_claim_video back[4];
    dc_fingerprint fps[4];
    int n = 0;
    assert_int_equal(dc_footage_db_claim_videos(f.db, "clm_short", back, fps, 4, &n, &st), DC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(back[0].sha256, sha_short);
    assert_int_equal(fps[0].count, 5);
    assert_memory_equal(&fps[0].seconds[2].hash, &shorty.seconds[2].hash, sizeof(dc_fp_hash));
    dc_fingerprint_free(&fps[0]);
    dc_fingerprint_free(&dark);
    dc_fingerprint_free(&shorty);
    fixture_free(&f);
}

/* The index finds what comparing against every stored fingerprint finds. Stored twice: by
 * one put, and by a bulk load in three passes (fixture_load; SQLite appends each pass to its
 * buckets, PostgreSQL stages them and writes each bucket once), which must hold the same
 * postings: every query reads as many from each. */
static void test_index_against_brute_force(void **state) {
    (void)state;
    fixture bulk, f;
    fixture_load(&bulk, "fpbrute_bulk", 300, 0xfeedfacecafeULL, true);
    fixture_load(&f, "fpbrute", 300, 0xfeedfacecafeULL, false);
    if (test_store_is_pg()) { /* the last pass took what the others staged */
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "test \"$(psql -qtA '%s' -c 'SELECT count(*) FROM fp_bulk_stage')\" = 0",
                 bulk.url);
        assert_int_equal(system(cmd), 0);
    }
    int found = 0, agreed = 0, other_compared = 0, other_chance = 0;
    long long candidates = 0, postings = 0;
    for (int k = 0; k < 40; k++) {
        dc_fingerprint q = {0};
        if (k % 2 == 0) {
            int src = (int)(rnd() % (uint64_t)f.count);
            int len = 12 + (int)(rnd() % 30);
            int from = (int)(rnd() % (uint64_t)(60 - len));
            fp_clip(&q, &f.stored[src], from, len, 4 + (int)(rnd() % 12), k % 4 == 2);
        } else {
            fp_random(&q, 30, 90);
        }
        /* brute force: every stored video through the matcher */
        bool expect[300] = {false};
        for (int i = 0; i < f.count; i++) {
            dc_fp_match m[DC_FP_MAX_MATCHES];
            int n = 0;
            dc_status st = DC_STATUS_OK;
            assert_int_equal(dc_fingerprint_match(&q, &f.stored[i], m, DC_FP_MAX_MATCHES, &n, &st),
                             DC_OK);
            expect[i] = n > 0;
        }
        dc_footage_check c;
        dc_footage_search_stats stats;
        lookup(&f, "clm_query", NULL, &q, &c, &stats);
        dc_footage_check cb;
        dc_footage_search_stats sb;
        lookup(&bulk, "clm_query", NULL, &q, &cb, &sb);
        assert_int_equal(sb.postings, stats.postings);
        assert_int_equal(cb.match_count, c.match_count);
        candidates += stats.candidates;
        postings += stats.postings;
        if (k % 2 == 1) { /* other footage: its candidates are chance key hits, never matched */
            other_compared += stats.compared;
            other_chance += stats.chance;
        }
        bool got[300] = {false};
        for (int j = 0; j < c.match_count; j++) {
            int id = atoi(c.matches[j].claim_id + 4);
            assert_true(id >= 0 && id < f.count);
            got[id] = true;
        }
        bool same = true;
        for (int i = 0; i < f.count; i++) {
            if (expect[i] != got[i]) same = false;
            found += got[i];
        }
        agreed += same;
        if (!same) fprintf(stderr, "query %d: the index and the brute force disagree\n", k);
        dc_fingerprint_free(&q);
    }
    fprintf(stderr,
            "index vs brute force: %d/40 queries agree, %d matches, %.1f postings and %.2f "
            "candidate videos a query (300 stored)\n",
            agreed, found, postings / 40.0, candidates / 40.0);
    assert_int_equal(other_compared + other_chance, 0); /* no chance hit among 300 */
    assert_int_equal(agreed, 40);
    assert_int_equal(found, 20); /* every copy found, nothing else */
    fixture_free(&f);
    fixture_free(&bulk);
}

/* The band keys are what fingerprint.h defines (band b: bits b, b + 8, .., b + 248 of the
 * hash, bit i of the key from hash bit 8i + b), whatever the code computing them: the stored
 * index's keys depend on it, and a function that differed would silently rebuild every index
 * at its next open (fp_meta 'band_keys'). */
static void test_band_keys_definition(void **state) {
    (void)state;
    rng_state = 0x0123456789abcdefULL;
    for (int t = 0; t < 2000; t++) {
        dc_fp_hash h;
        random_hash(&h);
        if (t == 0) memset(&h, 0xff, sizeof h);
        if (t == 1) memset(&h, 0, sizeof h);
        dc_fp_key keys[DC_FP_BANDS];
        dc_fp_band_keys(&h, keys);
        for (int b = 0; b < DC_FP_BANDS; b++) {
            uint64_t want = (uint64_t)b << 32;
            for (int i = 0; i < DC_FP_BAND_BITS; i++) {
                int bit = DC_FP_BANDS * i + b;
                want |= ((h.w[bit / 64] >> (bit % 64)) & 1u) << i;
            }
            assert_true(keys[b] == want);
        }
    }
}

/* A stored blob ends in the standard CRC-32 (IEEE, reflected 0xEDB88320) of what precedes
 * it, whatever the code computing it: blobs already stored were written with it, and a
 * checksum computed otherwise would make every one of them read as damaged (never matched). */
static void test_blob_checksum_definition(void **state) {
    (void)state;
    rng_state = 0xc0ffee12345ULL;
    dc_fingerprint fp = {0};
    fp_random(&fp, 60, 90);
    uint8_t *blob = NULL;
    size_t len = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_fingerprint_serialize(&fp, &blob, &len, &st), DC_OK);
    assert_true(len > 4);
    uint32_t c = 0xffffffffu; /* bit by bit, as the standard defines it */
    for (size_t i = 0; i < len - 4; i++) {
        c ^= blob[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    c = ~c;
    uint32_t stored = (uint32_t)blob[len - 4] | (uint32_t)blob[len - 3] << 8 |
                      (uint32_t)blob[len - 2] << 16 | (uint32_t)blob[len - 1] << 24;
    assert_true(stored == c);
    dc_fingerprint back = {0};
    assert_int_equal(dc_fingerprint_parse(blob, len, &back, &st), DC_OK);
    assert_int_equal(back.count, 60);
    dc_fingerprint_free(&back);
    free(blob);
    dc_fingerprint_free(&fp);
}

/* An index whose postings were made with another band-key function (fp_meta says so) is
 * rebuilt from the stored blobs when opened: a copy is found again. */
static void test_keys_rebuilt(void **state) {
    (void)state;
    fixture f;
    fixture_make(&f, "fpkeys", 30, 0xabcdefULL);
    dc_footage_db_close(f.db);
    const char *sql = "UPDATE fp_meta SET value = 'another-function'; DELETE FROM fp_buckets;";
    char cmd[1024];
    if (test_store_is_pg()) snprintf(cmd, sizeof cmd, "psql -q '%s' -c \"%s\"", f.url, sql);
    else snprintf(cmd, sizeof cmd, "sqlite3 '%s/footage.db' \"%s\"", f.url, sql);
    assert_int_equal(system(cmd), 0);
    dc_status st = DC_STATUS_OK;
    f.db = dc_footage_db_open(f.url, &st);
    if (!f.db) fail_msg("reopen: %s", st.message);
    dc_fingerprint q = {0};
    fp_clip(&q, &f.stored[4], 5, 30, 6, false);
    dc_footage_check c;
    dc_footage_search_stats stats;
    lookup(&f, "clm_new", NULL, &q, &c, &stats);
    assert_true(stats.postings > 0);
    assert_int_equal(c.match_count, 1);
    assert_string_equal(c.matches[0].claim_id, "clm_004");
    dc_fingerprint_free(&q);
    fixture_free(&f);
}

/* Places for X-REPEAT-LOCATION: other claims within the radius and 24 hours, nearest first,
 * across a UTC midnight; not the claim itself, not farther, not a day and more apart; a place
 * stored twice keeps the first. */
static void test_places_near(void **state) {
    (void)state;
    char url[512];
    test_store_url("fpplace", url, sizeof url);
    dc_status st = DC_STATUS_OK;
    dc_footage_db *db = dc_footage_db_open(url, &st);
    if (!db) fail_msg("open %s: %s", url, st.message);
    const int64_t t0 = 1796862600000LL; /* 2026-12-10 00:30 UTC */
    const int64_t hour = 3600000LL;
    const double lat = 48.8566, lon = 2.3522;
    struct {
        const char *claim;
        dc_footage_place p;
    } rows[] = {
        {"clm_self", {lat, lon, t0}},
        {"clm_200m", {lat + 0.0018, lon, t0 + 3 * hour}},    /* ~200 m north, 3 h later */
        {"clm_eve", {lat, lon + 0.0014, t0 - 90 * 60000LL}}, /* ~100 m east, 23:00 the day before */
        {"clm_26h", {lat, lon, t0 + 26 * hour}},             /* same place, 26 h later */
        {"clm_far", {lat + 0.045, lon, t0}},                 /* ~5 km north */
        {"clm_south", {-33.8688, 151.2093, t0}},             /* another continent */
    };
    int n = (int)(sizeof rows / sizeof rows[0]);
    for (int i = 0; i < n; i++)
        if (dc_footage_db_put_place(db, rows[i].claim, &rows[i].p, &st) != DC_OK)
            fail_msg("put_place: %s", st.message);
    /* again, elsewhere: the first place stays */
    dc_footage_place moved = {0, 0, t0};
    assert_int_equal(dc_footage_db_put_place(db, "clm_200m", &moved, &st), DC_OK);

    dc_footage_near near[8];
    int count = -1;
    assert_int_equal(dc_footage_db_near(db, "clm_self", &rows[0].p, 500, near, 8, &count, &st),
                     DC_OK);
    assert_int_equal(count, 2);
    assert_string_equal(near[0].claim_id, "clm_eve");
    assert_true(near[0].distance_m > 95 && near[0].distance_m < 110);
    assert_true(near[0].hours_apart > 1.49 && near[0].hours_apart < 1.51);
    assert_string_equal(near[1].claim_id, "clm_200m");
    assert_true(near[1].distance_m > 195 && near[1].distance_m < 205);
    assert_true(near[1].hours_apart > 2.99 && near[1].hours_apart < 3.01);
    /* at most max, nearest first */
    assert_int_equal(dc_footage_db_near(db, "clm_self", &rows[0].p, 500, near, 1, &count, &st),
                     DC_OK);
    assert_int_equal(count, 1);
    assert_string_equal(near[0].claim_id, "clm_eve");
    /* a wider radius reaches the 5-km claim; excluding nobody finds the claim itself */
    assert_int_equal(dc_footage_db_near(db, NULL, &rows[0].p, 6000, near, 8, &count, &st), DC_OK);
    assert_int_equal(count, 4);
    assert_string_equal(near[0].claim_id, "clm_self");
    assert_string_equal(near[3].claim_id, "clm_far");
    /* 26 h later at the same place: the claim of 3 h later only (23 h apart; the rest over 24) */
    assert_int_equal(dc_footage_db_near(db, "clm_26h", &rows[3].p, 500, near, 8, &count, &st),
                     DC_OK);
    assert_int_equal(count, 1);
    assert_string_equal(near[0].claim_id, "clm_200m");
    /* bad input */
    dc_footage_place off = {91, 0, t0};
    assert_int_equal(dc_footage_db_put_place(db, "clm_x", &off, &st), DC_ERR_INPUT);
    assert_int_equal(dc_footage_db_near(db, NULL, &off, 500, near, 8, &count, &st), DC_ERR_INPUT);
    assert_int_equal(dc_footage_db_near(db, NULL, &rows[0].p, 0, near, 8, &count, &st),
                     DC_ERR_INPUT);
    assert_int_equal(dc_footage_db_put_place(db, "", &rows[0].p, &st), DC_ERR_INPUT);
    dc_footage_db_close(db);
}

/* A bulk load holds its postings until it is turned off: meanwhile its videos are found by
 * SHA-256 only; after, by footage too. One that never wrote them ('bulk_pending' left, as a
 * crash leaves it) is rebuilt when the index is opened again. */
static void test_bulk_load(void **state) {
    (void)state;
    fixture f;
    fixture_make(&f, "fpbulk", 10, 0x5eedULL);
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_footage_db_bulk(f.db, true, &st), DC_OK);
    dc_fingerprint late = {0};
    fp_random(&late, 60, 90);
    char sha[65];
    sha_of(700, sha);
    dc_footage_video v = {"clm_late", 0, sha, &late};
    assert_int_equal(dc_footage_db_put(f.db, &v, 1, &st), DC_OK);
    dc_fingerprint q = {0};
    fp_clip(&q, &late, 10, 30, 6, false);
    dc_footage_check c;
    lookup(&f, "clm_new", sha, &q, &c, NULL);
    assert_int_equal(c.match_count, 1); /* the same file, not yet the footage */
    assert_true(c.matches[0].same_file);
    lookup(&f, "clm_new", NULL, &q, &c, NULL);
    assert_int_equal(c.match_count, 0);
    assert_int_equal(dc_footage_db_bulk(f.db, false, &st), DC_OK);
    lookup(&f, "clm_new", NULL, &q, &c, NULL);
    assert_int_equal(c.match_count, 1);
    assert_string_equal(c.matches[0].claim_id, "clm_late");
    /* a load that crashed: its mark left and its postings never written */
    dc_footage_db_close(f.db);
    const char *sql = "INSERT INTO fp_meta(name, value) VALUES ('bulk_pending', '1');"
                      " DELETE FROM fp_buckets;";
    char cmd[1024];
    if (test_store_is_pg()) snprintf(cmd, sizeof cmd, "psql -q '%s' -c \"%s\"", f.url, sql);
    else snprintf(cmd, sizeof cmd, "sqlite3 '%s/footage.db' \"%s\"", f.url, sql);
    assert_int_equal(system(cmd), 0);
    f.db = dc_footage_db_open(f.url, &st);
    if (!f.db) fail_msg("reopen: %s", st.message);
    lookup(&f, "clm_new", NULL, &q, &c, NULL);
    assert_int_equal(c.match_count, 1);
    assert_string_equal(c.matches[0].claim_id, "clm_late");
    dc_fingerprint_free(&q);
    dc_fingerprint_free(&late);
    fixture_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_file_and_footage),
        cmocka_unit_test(test_unusable_video),
        cmocka_unit_test(test_index_against_brute_force),
        cmocka_unit_test(test_keys_rebuilt),
        cmocka_unit_test(test_bulk_load),
        cmocka_unit_test(test_band_keys_definition),
        cmocka_unit_test(test_blob_checksum_definition),
        cmocka_unit_test(test_places_near),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
