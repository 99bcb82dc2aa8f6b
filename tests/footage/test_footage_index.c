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

/* count stored videos of 60 s, claims clm_000 .., one video each. */
static void fixture_make(fixture *f, const char *name, int count, uint64_t seed) {
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
    if (dc_footage_db_put(f->db, v, count, &st) != DC_OK) fail_msg("put: %s", st.message);
    free(ids);
    free(shas);
    free(v);
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

/* The index finds what comparing against every stored fingerprint finds. */
static void test_index_against_brute_force(void **state) {
    (void)state;
    fixture f;
    fixture_make(&f, "fpbrute", 300, 0xfeedfacecafeULL);
    int found = 0, agreed = 0;
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
        candidates += stats.candidates;
        postings += stats.postings;
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
    assert_int_equal(agreed, 40);
    assert_int_equal(found, 20); /* every copy found, nothing else */
    fixture_free(&f);
}

/* An index whose postings were made with another band-key function (fp_meta says so) is
 * rebuilt from the stored blobs when opened: a copy is found again. */
static void test_keys_rebuilt(void **state) {
    (void)state;
    fixture f;
    fixture_make(&f, "fpkeys", 30, 0xabcdefULL);
    dc_footage_db_close(f.db);
    const char *sql = "UPDATE fp_meta SET value = 'another-function'; DELETE FROM fp_postings;";
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_file_and_footage),
        cmocka_unit_test(test_unusable_video),
        cmocka_unit_test(test_index_against_brute_force),
        cmocka_unit_test(test_keys_rebuilt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
