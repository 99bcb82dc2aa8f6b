/* The fingerprint's pieces without a video: the picture hash (mirror, letterbox, brightness,
 * flat and dark pictures), the matcher's rule on hand-made fingerprints (K seconds, same order
 * and pace, clips, gaps, misses, low quality, mirrored), the stored blob (round trip, every
 * damaged byte rejected) and the band keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dashclaim/fingerprint.h"

#define W 160
#define H 90

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* a picture with structure at several scales: blobs of random brightness on a gradient */
static void make_picture(uint8_t *g, int w, int h, uint64_t seed) {
    uint64_t keep = rng;
    rng = seed * 2654435761u + 1;
    int cx[12], cy[12], r[12], v[12];
    for (int i = 0; i < 12; i++) {
        cx[i] = (int)(next() % (uint64_t)w);
        cy[i] = (int)(next() % (uint64_t)h);
        r[i] = 5 + (int)(next() % (uint64_t)(h / 2));
        v[i] = (int)(next() % 160) - 80;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int p = 60 + 100 * y / h;
            for (int i = 0; i < 12; i++)
                if ((x - cx[i]) * (x - cx[i]) + (y - cy[i]) * (y - cy[i]) < r[i] * r[i]) p += v[i];
            g[y * w + x] = (uint8_t)(p < 0 ? 0 : p > 255 ? 255 : p);
        }
    rng = keep;
}

static void hash_of(const uint8_t *g, int w, int h, dc_fp_hash *hh, dc_fp_hash *m, int *q) {
    dc_fp_hash_gray(g, w, h, w, hh, m, q);
}

static void test_hash_picture(void **state) {
    (void)state;
    uint8_t a[W * H], b[W * H], flip[W * H], box[W * 120];
    make_picture(a, W, H, 1);
    make_picture(b, W, H, 2);
    dc_fp_hash ha, ma, hb, mb, hf, mf, hx, mx, hd, md;
    int qa, qb, qf, qx, qd;
    hash_of(a, W, H, &ha, &ma, &qa);
    hash_of(b, W, H, &hb, &mb, &qb);
    assert_true(qa >= DC_FP_MIN_QUALITY && qb >= DC_FP_MIN_QUALITY);
    int ones = 0;
    for (int i = 0; i < DC_FP_WORDS; i++) ones += __builtin_popcountll(ha.w[i]);
    assert_int_equal(ones, 128); /* median threshold: half the bits */
    print_message("different pictures: %d\n", dc_fp_distance(&ha, &hb));
    assert_true(dc_fp_distance(&ha, &hb) > 80);
    /* brighter with less contrast (a washed-out copy): the same hash but for rounding */
    for (int i = 0; i < W * H; i++) b[i] = (uint8_t)(a[i] * 3 / 4 + 40);
    hash_of(b, W, H, &hd, &md, &qd);
    print_message("washed out: %d\n", dc_fp_distance(&ha, &hd));
    assert_true(dc_fp_distance(&ha, &hd) <= 8);
    /* mirrored: its hash is the original's mirrored hash */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) flip[y * W + x] = a[y * W + W - 1 - x];
    hash_of(flip, W, H, &hf, &mf, &qf);
    print_message("mirror: %d (direct %d)\n", dc_fp_distance(&hf, &ma), dc_fp_distance(&hf, &ha));
    assert_int_equal(dc_fp_distance(&hf, &ma), 0);
    assert_int_equal(dc_fp_distance(&mf, &ha), 0);
    assert_true(dc_fp_distance(&hf, &ha) > 60);
    /* letterboxed: black bars above and below, the picture unchanged inside */
    memset(box, 0, sizeof box);
    memcpy(box + 15 * W, a, sizeof a);
    hash_of(box, W, 120, &hx, &mx, &qx);
    print_message("letterbox: %d\n", dc_fp_distance(&hx, &ha));
    assert_true(dc_fp_distance(&hx, &ha) <= 4);
}

/* the central keep/1000 of a W x H picture, scaled back to W x H by area averaging (what a
 * cropped copy's decoder and thumbnailer make of it, near enough) */
static void centre_crop(const uint8_t *a, int keep, uint8_t *out) {
    double cw = W * keep / 1000.0, ch = H * keep / 1000.0, x0 = (W - cw) / 2, y0 = (H - ch) / 2;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double sx0 = x0 + x * cw / W, sx1 = x0 + (x + 1) * cw / W;
            double sy0 = y0 + y * ch / H, sy1 = y0 + (y + 1) * ch / H, sum = 0, area = 0;
            for (int yy = (int)sy0; yy < H && yy < sy1; yy++)
                for (int xx = (int)sx0; xx < W && xx < sx1; xx++) {
                    double wx = (xx + 1 < sx1 ? xx + 1 : sx1) - (xx > sx0 ? xx : sx0);
                    double wy = (yy + 1 < sy1 ? yy + 1 : sy1) - (yy > sy0 ? yy : sy0);
                    sum += wx * wy * a[yy * W + xx];
                    area += wx * wy;
                }
            out[y * W + x] = (uint8_t)(sum / area + 0.5);
        }
}

static void test_centre_views(void **state) {
    (void)state;
    uint8_t a[W * H], crop[W * H], crop5[W * H];
    make_picture(a, W, H, 4);
    dc_fp_second o, c, c5;
    int q;
    dc_fp_hash_views(a, W, H, W, &o, &q);
    centre_crop(a, 900, crop);
    centre_crop(a, 950, crop5);
    dc_fp_hash_views(crop, W, H, W, &c, &q);
    dc_fp_hash_views(crop5, W, H, W, &c5, &q);
    /* the plain hash is dc_fp_hash_gray's */
    dc_fp_hash h, m;
    hash_of(a, W, H, &h, &m, &q);
    assert_int_equal(dc_fp_distance(&h, &o.hash), 0);
    assert_int_equal(dc_fp_distance(&m, &o.mirrored), 0);
    print_message("10 %% crop: whole %d, against the original's 90 %% view %d; the original's "
                  "80 %% view against the crop's 90 %% view %d\n",
                  dc_fp_distance(&c.hash, &o.hash), dc_fp_distance(&c.hash, &o.zoom[1]),
                  dc_fp_distance(&c.zoom[1], &o.zoom[3]));
    /* a 10 % crop is far from the whole picture, near its central-90 % view */
    assert_true(dc_fp_distance(&c.hash, &o.hash) > DC_FP_MATCH_DISTANCE);
    assert_true(dc_fp_distance(&c.hash, &o.zoom[1]) <= 12);
    /* the index's probes: the crop's indexed view against the original's 80 % view, and a 5 %
     * crop against the 95 % view */
    assert_true(dc_fp_distance(&c.zoom[DC_FP_ZOOM_INDEXED], &o.zoom[3]) <= 12);
    assert_true(dc_fp_distance(&c5.hash, &o.zoom[0]) <= 12);
    /* the views' mirrored hashes are the mirrored picture's views */
    uint8_t flip[W * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) flip[y * W + x] = a[y * W + W - 1 - x];
    dc_fp_second f;
    dc_fp_hash_views(flip, W, H, W, &f, &q);
    for (int z = 0; z < DC_FP_ZOOMS; z++)
        assert_true(dc_fp_distance(&f.zoom[z], &o.zoom_mirrored[z]) <= 2);
}

/* A dark strip on one side only (a dashcam's timestamp strip, a night sky) is picture, not a
 * letterbox bar: a 10 % crop that keeps part of it must hash as its original's central view.
 * (Trimmed as a bar, the original lost 10 rows and the crop 5: stretched apart.) */
static void test_one_sided_strip_kept(void **state) {
    (void)state;
    uint8_t a[W * H], crop[W * H];
    make_picture(a, W, H, 5);
    memset(a + (H - 10) * W, 0, 10 * W); /* a black strip, the bottom 10 rows */
    centre_crop(a, 900, crop);
    dc_fp_second o, c;
    int q;
    dc_fp_hash_views(a, W, H, W, &o, &q);
    dc_fp_hash_views(crop, W, H, W, &c, &q);
    print_message("10 %% crop of a picture with a one-sided strip: %d from the 90 %% view\n",
                  dc_fp_distance(&c.hash, &o.zoom[1]));
    assert_true(dc_fp_distance(&c.hash, &o.zoom[1]) <= 12);
    /* symmetric black bars are still trimmed */
    uint8_t box[W * 120];
    memset(box, 0, sizeof box);
    memcpy(box + 15 * W, a, sizeof a);
    dc_fp_hash hx, mx;
    hash_of(box, W, 120, &hx, &mx, &q);
    assert_true(dc_fp_distance(&hx, &o.hash) <= 4);
}

static void test_flat_and_dark_pictures(void **state) {
    (void)state;
    uint8_t g[W * H];
    dc_fp_hash h, m;
    int q;
    memset(g, 128, sizeof g); /* flat grey: no picture at all */
    hash_of(g, W, H, &h, &m, &q);
    assert_true(q < DC_FP_MIN_QUALITY);
    make_picture(g, W, H, 3); /* a night: the picture at a tenth of its contrast, dark */
    for (int i = 0; i < W * H; i++) g[i] = (uint8_t)(g[i] / 10);
    hash_of(g, W, H, &h, &m, &q);
    print_message("dark picture quality %d\n", q);
    assert_true(q < DC_FP_MIN_QUALITY);
    dc_fp_hash_gray(g, 4, 4, 4, &h, &m, &q); /* too small */
    assert_int_equal(q, 0);
}

/* ---- the matcher on hand-made fingerprints ------------------------------------------ */

static dc_fp_hash random_hash(void) {
    dc_fp_hash h;
    for (int i = 0; i < DC_FP_WORDS; i++) h.w[i] = next();
    return h;
}

/* flips n distinct bits */
static dc_fp_hash noisy(dc_fp_hash h, int n) {
    for (int k = 0; k < n; k++) {
        int bit = (int)(next() % DC_FP_BITS);
        h.w[bit / 64] ^= 1ull << (bit % 64);
    }
    return h;
}

static void make_fp(dc_fingerprint *fp, int seconds) {
    fp->seconds = calloc((size_t)seconds, sizeof *fp->seconds);
    assert_non_null(fp->seconds);
    fp->count = fp->duration_sec = seconds;
    for (int s = 0; s < seconds; s++) {
        fp->seconds[s].second = s;
        fp->seconds[s].t_ms = 1000 * s;
        fp->seconds[s].quality = 90;
        fp->seconds[s].hash = random_hash();
        fp->seconds[s].mirrored = random_hash();
    }
}

/* query = candidate seconds [from, from + n), each hash with `noise` flipped bits */
static void make_clip(dc_fingerprint *q, const dc_fingerprint *c, int from, int n, int noise) {
    make_fp(q, n);
    for (int s = 0; s < n; s++) q->seconds[s].hash = noisy(c->seconds[from + s].hash, noise);
}

static int match(const dc_fingerprint *q, const dc_fingerprint *c, dc_fp_match *m) {
    int n = -1;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_fingerprint_match(q, c, m, DC_FP_MAX_MATCHES, &n, &st), DC_OK);
    return n;
}

static void test_matcher_rule(void **state) {
    (void)state;
    dc_fingerprint c = {0}, q = {0};
    dc_fp_match m[DC_FP_MAX_MATCHES];
    make_fp(&c, 60);

    /* a 15-s clip from second 20, each hash 20 bits off: one run, where it is */
    make_clip(&q, &c, 20, 15, 20);
    assert_int_equal(match(&q, &c, m), 1);
    assert_int_equal(m[0].query_sec, 0);
    assert_int_equal(m[0].candidate_sec, 20);
    assert_int_equal(m[0].seconds, 15);
    assert_int_equal(m[0].matched, 15);
    assert_false(m[0].mirrored);
    assert_true(m[0].mean_distance > 15 && m[0].mean_distance <= 20);
    dc_fingerprint_free(&q);

    /* K - 1 seconds: no match; K seconds: a match */
    make_clip(&q, &c, 5, DC_FP_MIN_RUN_SEC - 1, 5);
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);
    make_clip(&q, &c, 5, DC_FP_MIN_RUN_SEC, 5);
    assert_int_equal(match(&q, &c, m), 1);
    dc_fingerprint_free(&q);

    /* too far apart (every second beyond the distance): nothing */
    make_clip(&q, &c, 20, 15, DC_FP_MATCH_DISTANCE + 30);
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);

    /* the same hashes in another order (seconds shuffled in pairs): no run of K */
    make_clip(&q, &c, 20, 16, 0);
    for (int s = 0; s + 1 < 16; s += 2) {
        dc_fp_hash t = q.seconds[s].hash;
        q.seconds[s].hash = q.seconds[s + 1].hash;
        q.seconds[s + 1].hash = t;
    }
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);

    /* another pace: the query at twice the speed (its second s is the candidate's 2s) */
    make_fp(&q, 20);
    for (int s = 0; s < 20; s++) q.seconds[s].hash = c.seconds[2 * s].hash;
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);

    /* a 10 % crop stored first: the query's whole pictures are the candidate's central views
     * (only a candidate with views, as a version-2 blob has them, is found so) */
    c.zooms = DC_FP_ZOOMS_STORED;
    for (int s = 0; s < 60; s++) c.seconds[s].zoom[1] = random_hash();
    make_fp(&q, 15);
    for (int s = 0; s < 15; s++) q.seconds[s].hash = noisy(c.seconds[30 + s].zoom[1], 15);
    assert_int_equal(match(&q, &c, m), 1);
    assert_int_equal(m[0].candidate_zoom, 2);
    assert_int_equal(m[0].query_zoom, 0);
    assert_int_equal(m[0].candidate_sec, 30);
    c.zooms = 0; /* an old blob: no views, no match */
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);
    /* the other way: the candidate is the crop; the query's 95 % view is its whole picture
     * (a 5 % crop), mirrored too */
    make_fp(&q, 15);
    q.zooms = DC_FP_ZOOMS;
    for (int s = 0; s < 15; s++) q.seconds[s].zoom[0] = noisy(c.seconds[40 + s].hash, 15);
    assert_int_equal(match(&q, &c, m), 1);
    assert_int_equal(m[0].query_zoom, 1);
    assert_int_equal(m[0].candidate_zoom, 0);
    assert_false(m[0].mirrored);
    for (int s = 0; s < 15; s++) {
        q.seconds[s].zoom[0] = random_hash();
        q.seconds[s].zoom_mirrored[1] = noisy(c.seconds[40 + s].hash, 15);
    }
    assert_int_equal(match(&q, &c, m), 1);
    assert_int_equal(m[0].query_zoom, 2);
    assert_true(m[0].mirrored);
    dc_fingerprint_free(&q);

    /* two different low-detail drives (night roads): every second of either hashes near one
     * layout, so they sit ~30 bits apart at EVERY offset; no run stands out from its
     * background, nothing is matched. A real copy of such a drive matches only where it is
     * the same footage. */
    {
        dc_fingerprint na = {0}, nb = {0};
        dc_fp_hash layout = random_hash();
        make_fp(&na, 30);
        make_fp(&nb, 30);
        for (int s = 0; s < 30; s++) {
            na.seconds[s].hash = noisy(layout, 12);
            nb.seconds[s].hash = noisy(layout, 12);
        }
        assert_true(dc_fp_distance(&na.seconds[3].hash, &nb.seconds[17].hash) <= 30);
        assert_int_equal(match(&na, &nb, m), 0);
        /* its copy: each second a little off its own footage, which differs a little more
         * from second to second */
        for (int s = 0; s < 30; s++) nb.seconds[s].hash = noisy(layout, 30);
        for (int s = 0; s < 30; s++) na.seconds[s].hash = noisy(nb.seconds[s].hash, 6);
        assert_int_equal(match(&na, &nb, m), 1);
        print_message("night copy: distance %.1f, background %.1f\n", m[0].mean_distance,
                      m[0].background_distance);
        assert_true(m[0].background_distance - m[0].mean_distance >= DC_FP_MIN_CONTRAST);
        dc_fingerprint_free(&na);
        dc_fingerprint_free(&nb);
    }

    /* two drives of identical cameras on one kind of road: the same static look (160 bits
     * that never change) and 96 bits that change from second to second; the second drive's
     * changes follow the first's (a scripted event at the same time) but 30 of its 96
     * changing bits differ at every second. 30 bits apart here, ~48 at other offsets: the
     * distance and the background rules take it for a copy; the share of the query's
     * changing bits that differ (30 / 96, where a copy's noise spreads over all 256 bits)
     * does not. */
    {
        dc_fingerprint da = {0}, db = {0};
        dc_fp_hash layout = random_hash(), changing = {{0}};
        int bits[96], nbits = 0;
        for (int b = 0; nbits < 96; b = (b + 37) % DC_FP_BITS) /* 96 distinct bits */
            if (!((changing.w[b / 64] >> (b % 64)) & 1)) {
                changing.w[b / 64] |= 1ull << (b % 64);
                bits[nbits++] = b;
            }
        make_fp(&da, 30);
        make_fp(&db, 30);
        for (int s = 0; s < 30; s++) {
            dc_fp_hash r = random_hash();
            for (int w = 0; w < DC_FP_WORDS; w++)
                da.seconds[s].hash.w[w] = (layout.w[w] & ~changing.w[w]) | (r.w[w] & changing.w[w]);
            db.seconds[s].hash = da.seconds[s].hash;
            for (int k = 0; k < 30; k++) { /* 30 distinct changing bits */
                int b = bits[(s * 7 + k * 3) % 96];
                db.seconds[s].hash.w[b / 64] ^= 1ull << (b % 64);
            }
        }
        assert_int_equal(dc_fp_distance(&da.seconds[5].hash, &db.seconds[5].hash), 30);
        assert_int_equal(match(&db, &da, m), 0);
        /* a copy of the first drive, 30 bits off at every second anywhere in the hash: found */
        for (int s = 0; s < 30; s++) {
            db.seconds[s].hash = da.seconds[s].hash;
            for (int k = 0; k < 30; k++) {
                int b = (s * 11 + k * 17) % DC_FP_BITS;
                db.seconds[s].hash.w[b / 64] ^= 1ull << (b % 64);
            }
        }
        assert_int_equal(match(&db, &da, m), 1);
        print_message("identical cameras: copy's changing share %.3f of %d bits, static %.1f\n",
                      m[0].changing_share, m[0].changing_bits, m[0].static_distance);
        assert_true(m[0].changing_share <= DC_FP_MAX_CHANGING_SHARE);
        dc_fingerprint_free(&da);
        dc_fingerprint_free(&db);
    }

    /* a 10-s cut: two runs on two offsets */
    make_fp(&q, 40);
    for (int s = 0; s < 40; s++) q.seconds[s].hash = c.seconds[s < 15 ? s : s + 10].hash;
    assert_int_equal(match(&q, &c, m), 2);
    assert_int_equal(m[0].seconds + m[1].seconds, 40);
    assert_int_equal(m[0].candidate_sec - m[0].query_sec, m[0].seconds == 25 ? 10 : 0);
    dc_fingerprint_free(&q);

    dc_fingerprint_free(&c);
}

static void test_matcher_gaps_misses_quality_mirror(void **state) {
    (void)state;
    dc_fingerprint c = {0}, q = {0};
    dc_fp_match m[DC_FP_MAX_MATCHES];
    make_fp(&c, 40);

    /* every other second absent in the query (a sparse keyframe pass): still one run */
    q.seconds = calloc(20, sizeof *q.seconds);
    assert_non_null(q.seconds);
    q.duration_sec = 40;
    for (int s = 0; s < 40; s += 2) {
        q.seconds[q.count] = c.seconds[s];
        q.seconds[q.count].hash = noisy(c.seconds[s].hash, 10);
        q.count++;
    }
    assert_int_equal(match(&q, &c, m), 1);
    assert_int_equal(m[0].seconds, 39);
    assert_int_equal(m[0].compared, 20);
    dc_fingerprint_free(&q);

    /* DC_FP_RUN_MAX_MISS misses in a row are carried, one more ends the run */
    make_clip(&q, &c, 0, 30, 0);
    for (int k = 0; k < DC_FP_RUN_MAX_MISS; k++) q.seconds[12 + k].hash = random_hash();
    assert_int_equal(match(&q, &c, m), 1);
    assert_int_equal(m[0].seconds, 30);
    assert_int_equal(m[0].matched, 30 - DC_FP_RUN_MAX_MISS);
    for (int k = 0; k < DC_FP_RUN_MAX_MISS; k++) q.seconds[12 + k].hash = c.seconds[12 + k].hash;
    for (int k = 0; k <= DC_FP_RUN_MAX_MISS; k++) q.seconds[6 + k].hash = random_hash();
    assert_int_equal(match(&q, &c, m), 1); /* 0-5 is shorter than K, the rest counts */
    assert_int_equal(m[0].query_sec, 7 + DC_FP_RUN_MAX_MISS);
    assert_int_equal(m[0].seconds, 30 - 7 - DC_FP_RUN_MAX_MISS);
    dc_fingerprint_free(&q);
    /* too many misses overall: matched below the hit share */
    make_clip(&q, &c, 0, 30, 0);
    for (int s = 1; s < 30; s += 2) q.seconds[s].hash = random_hash();
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);

    /* low quality: never compared, so a dark video of identical hashes matches nothing */
    make_clip(&q, &c, 0, 30, 0);
    for (int s = 0; s < 30; s++) q.seconds[s].quality = DC_FP_MIN_QUALITY - 1;
    assert_int_equal(dc_fingerprint_usable(&q), 0);
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);

    /* mirrored footage: the query's mirrored hashes are the candidate's */
    make_fp(&q, 20);
    for (int s = 0; s < 20; s++) q.seconds[s].mirrored = noisy(c.seconds[s + 10].hash, 8);
    assert_int_equal(match(&q, &c, m), 1);
    assert_true(m[0].mirrored);
    assert_int_equal(m[0].candidate_sec, 10);
    dc_fingerprint_free(&q);

    /* a clip that starts between seconds: only the query's phase-3 hashes (0.6 s after each
     * whole second) line up with the candidate's seconds */
    make_fp(&q, 20);
    q.phased = calloc(20, sizeof *q.phased);
    assert_non_null(q.phased);
    for (int s = 0; s < 20; s++) {
        q.phased[s] = q.seconds[s];
        q.phased[s].t_ms = 1000 * s + 3 * 1000 / DC_FP_PHASES;
        q.phased[s].hash = noisy(c.seconds[s + 7].hash, 12);
    }
    q.phased_count = 20;
    assert_int_equal(match(&q, &c, m), 1);
    assert_int_equal(m[0].query_phase_ms, 600);
    assert_int_equal(m[0].candidate_sec - m[0].query_sec, 7);
    assert_int_equal(m[0].seconds, 20);
    q.phased_count = 0; /* without the phases: nothing */
    assert_int_equal(match(&q, &c, m), 0);
    dc_fingerprint_free(&q);

    /* a still scene (one picture for 30 s): reported once, not once per offset */
    for (int s = 1; s < 30; s++) c.seconds[s].hash = c.seconds[0].hash;
    make_clip(&q, &c, 0, 30, 0);
    assert_int_equal(match(&q, &c, m), 1);
    dc_fingerprint_free(&q);
    dc_fingerprint_free(&c);
}

/* ---- the stored form -------------------------------------------------------------------- */

static void test_blob_round_trip_and_damage(void **state) {
    (void)state;
    dc_fingerprint fp = {0}, back = {0};
    make_fp(&fp, 12);
    fp.zooms = DC_FP_ZOOMS_STORED; /* as parsed from a stored version-2 blob */
    for (int s = 0; s < 12; s++)
        for (int z = 0; z < DC_FP_ZOOMS_STORED; z++) fp.seconds[s].zoom[z] = random_hash();
    fp.seconds[3].quality = 7;
    fp.seconds[4].t_ms = 4000 - 480;
    uint8_t *blob = NULL;
    size_t len = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_fingerprint_serialize(&fp, &blob, &len, &st), DC_OK);
    assert_int_equal(len, dc_fingerprint_blob_size(&fp));
    assert_int_equal(len, DC_FP_BLOB_HEADER + 12 * DC_FP_BLOB_ENTRY + 4);
    assert_int_equal(dc_fingerprint_parse(blob, len, &back, &st), DC_OK);
    assert_int_equal(back.count, 12);
    assert_int_equal(back.duration_sec, 12);
    assert_int_equal(back.zooms, DC_FP_ZOOMS_STORED);
    assert_memory_equal(back.seconds, fp.seconds, sizeof *fp.seconds * 12);
    dc_fingerprint_free(&back);

    /* a version-1 blob (written before the views) still reads, without views; a fingerprint
     * without views is written as version 1 */
    dc_fingerprint old = {0};
    make_fp(&old, 5);
    uint8_t *v1 = NULL;
    size_t v1len = 0;
    assert_int_equal(dc_fingerprint_serialize(&old, &v1, &v1len, &st), DC_OK);
    assert_int_equal(v1[4], 1);
    assert_int_equal(v1len, DC_FP_BLOB_HEADER + 5 * DC_FP_BLOB_ENTRY_V1 + 4);
    assert_int_equal(dc_fingerprint_parse(v1, v1len, &back, &st), DC_OK);
    assert_int_equal(back.zooms, 0);
    assert_int_equal(back.count, 5);
    assert_memory_equal(back.seconds, old.seconds, sizeof *old.seconds * 5);
    dc_fingerprint_free(&back);
    v1[4] = 3; /* a version from the future: refused (checksum recomputed, so it is the version) */
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i + 4 < v1len; i++) {
        crc ^= v1[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    crc = ~crc;
    for (int i = 0; i < 4; i++) v1[v1len - 4 + i] = (uint8_t)(crc >> (8 * i));
    assert_int_equal(dc_fingerprint_parse(v1, v1len, &back, &st), DC_ERR_INPUT);
    print_message("future version: %s\n", st.message);
    free(v1);
    dc_fingerprint_free(&old);

    /* every byte changed, every length cut short or made longer: refused with a message */
    for (size_t i = 0; i < len; i++) {
        blob[i] ^= 0x41;
        st = DC_STATUS_OK;
        assert_int_equal(dc_fingerprint_parse(blob, len, &back, &st), DC_ERR_INPUT);
        assert_true(st.message[0] != 0);
        assert_null(back.seconds);
        blob[i] ^= 0x41;
    }
    for (size_t n = 0; n < len; n++)
        assert_int_equal(dc_fingerprint_parse(blob, n, &back, &st), DC_ERR_INPUT);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, blob, len);
    longer[len] = 0;
    assert_int_equal(dc_fingerprint_parse(longer, len + 1, &back, &st), DC_ERR_INPUT);
    free(longer);
    free(blob);

    /* well-formed bytes with a bad content (checksum right): seconds out of order, a time
     * far from its second, quality above 100 */
    for (int bad = 0; bad < 3; bad++) {
        dc_fingerprint x = {0};
        make_fp(&x, 12);
        if (bad == 0) x.seconds[5].second = 4;
        if (bad == 1) x.seconds[5].t_ms = 5000 + 900;
        if (bad == 2) x.seconds[5].quality = 101;
        assert_int_equal(dc_fingerprint_serialize(&x, &blob, &len, &st), DC_OK);
        assert_int_equal(dc_fingerprint_parse(blob, len, &back, &st), DC_ERR_INPUT);
        print_message("rejected: %s\n", st.message);
        free(blob);
        dc_fingerprint_free(&x);
    }
    /* an empty fingerprint (nothing usable decoded) round-trips too */
    dc_fingerprint empty = {.duration_sec = 3};
    assert_int_equal(dc_fingerprint_serialize(&empty, &blob, &len, &st), DC_OK);
    assert_int_equal(dc_fingerprint_parse(blob, len, &back, &st), DC_OK);
    assert_int_equal(back.count, 0);
    assert_int_equal(back.duration_sec, 3);
    free(blob);
    dc_fingerprint_free(&fp);
}

static void test_band_keys(void **state) {
    (void)state;
    dc_fp_hash h = random_hash(), g = h;
    dc_fp_key a[DC_FP_BANDS], b[DC_FP_BANDS];
    dc_fp_band_keys(&h, a);
    for (int i = 0; i < DC_FP_BANDS; i++) assert_int_equal((int)(a[i] >> 32), i);
    /* flip bits that all belong to band 3: the other bands' keys stay */
    for (int i = 0; i < 5; i++) {
        int bit = DC_FP_BANDS * (3 * i + 1) + 3;
        g.w[bit / 64] ^= 1ull << (bit % 64);
    }
    dc_fp_band_keys(&g, b);
    for (int i = 0; i < DC_FP_BANDS; i++) {
        if (i == 3) assert_true(a[i] != b[i]);
        else assert_true(a[i] == b[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_picture),
        cmocka_unit_test(test_centre_views),
        cmocka_unit_test(test_one_sided_strip_kept),
        cmocka_unit_test(test_flat_and_dark_pictures),
        cmocka_unit_test(test_matcher_rule),
        cmocka_unit_test(test_matcher_gaps_misses_quality_mirror),
        cmocka_unit_test(test_blob_round_trip_and_damage),
        cmocka_unit_test(test_band_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
