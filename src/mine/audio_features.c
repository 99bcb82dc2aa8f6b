/* Audio cues on the timeline, from 512-point spectra every quarter tick (25 ms at 10 Hz).
 *
 * impact: the rise in dB of twelve log-spaced bands (500 Hz - 7.5 kHz) over their level in
 *         the two previous sub-frames, averaged over the low six and the high six bands, and
 *         the smaller of the two averages kept: a crash raises every band at once; a horn,
 *         a squeal, a voice or a bump's thud raises some. A tick keeps its largest sub-frame.
 *         Band levels are floored far below full scale (codec spectral holes).
 * squeal: how far the strongest bin in 1.5-5 kHz stands above that range's median bin (dB),
 *         averaged over the tick, then opened over half a second so only sustained tone
 *         remains (a squeal lasts seconds; a melody note does not). Only a loud tone counts
 *         (-32 dBFS and within 25 dB of the loudest bin): a codec's faint birdie does not.
 * horn:   the same prominence for the strongest bin in 250-1100 Hz over the 250-2000 Hz
 *         median, halved unless its second harmonic stands out too, weighted by how many
 *         sub-frames of the tick keep the same pitch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mine_internal.h"

#define FFT_N 512
#define IMPACT_BANDS 12
#define SUBS_PER_TICK 4

typedef struct {
    int rate;
    mine_rfft *fft;
    float window[FFT_N];
    int band_lo[IMPACT_BANDS], band_hi[IMPACT_BANDS];
    int squeal_lo, squeal_hi, horn_lo, horn_hi, horn_ref_hi;
} audio_setup;

static int bin_of(const audio_setup *s, double hz) {
    int b = (int)lround(hz * FFT_N / s->rate);
    return b < 1 ? 1 : b > FFT_N / 2 - 1 ? FFT_N / 2 - 1 : b;
}

static void setup_init(audio_setup *s, int rate) {
    s->rate = rate;
    for (int i = 0; i < FFT_N; i++) s->window[i] = (float)(0.5 - 0.5 * cos(2 * M_PI * i / FFT_N));
    double top = fmin(7500.0, 0.45 * rate), lo = 500.0;
    for (int b = 0; b < IMPACT_BANDS; b++) {
        s->band_lo[b] = bin_of(s, lo * pow(top / lo, (double)b / IMPACT_BANDS));
        s->band_hi[b] = bin_of(s, lo * pow(top / lo, (double)(b + 1) / IMPACT_BANDS));
        if (s->band_hi[b] <= s->band_lo[b]) s->band_hi[b] = s->band_lo[b] + 1;
    }
    s->squeal_lo = bin_of(s, 1500);
    s->squeal_hi = bin_of(s, fmin(5000.0, 0.45 * rate));
    s->horn_lo = bin_of(s, 250);
    s->horn_hi = bin_of(s, 1100);
    s->horn_ref_hi = bin_of(s, 2000);
}

static float db(double p) { return (float)(10.0 * log10(p + 1e-10)); }

typedef struct {
    float impact, squeal, horn_prom;
    int horn_bin;
} sub_features;

/* Levels in dB of the power spectrum as computed here (Hann window, 512 points): a full-scale
 * sine's peak bin is +42 dB. */
#define FULL_SCALE_DB 42.0f
/* Band levels are floored ~67 dB below full scale: a codec switching a near-silent band off
 * and on again (spectral holes) must not look like a broadband onset. */
#define BAND_FLOOR_DB (FULL_SCALE_DB - 67.0f)
/* A squeal peak must reach -32 dBFS, a horn partial -36 dBFS: both are loud; a codec's faint
 * birdie is prominent over an empty band but not loud. */
#define SQUEAL_MIN_DB (FULL_SCALE_DB - 32.0f)
#define HORN_MIN_DB (FULL_SCALE_DB - 36.0f)

/* What the onset measure remembers from earlier sub-frames. */
typedef struct {
    float band[2][IMPACT_BANDS]; /* band levels of the two previous sub-frames, dB */
} onset_history;

static void history_init(onset_history *h) {
    for (int b = 0; b < IMPACT_BANDS; b++) h->band[0][b] = h->band[1][b] = 1e9f; /* no rise yet */
}

static void sub_frame(audio_setup *s, const float *x, onset_history *h, sub_features *out) {
    float(*prev)[IMPACT_BANDS] = h->band;
    float p[FFT_N / 2], scratch[FFT_N / 2];
    mine_rfft_power(s->fft, x, s->window, p);

    /* broadband: the rise must show in the low and the high half of the bands alike (a
     * bump's thud or a horn's onset rises in one half only) */
    float rise[2] = {0, 0};
    for (int b = 0; b < IMPACT_BANDS; b++) {
        double e = 0;
        for (int k = s->band_lo[b]; k < s->band_hi[b]; k++) e += p[k];
        float level = db(e / (s->band_hi[b] - s->band_lo[b]));
        if (level < BAND_FLOOR_DB) level = BAND_FLOOR_DB;
        float ref = prev[0][b] > prev[1][b] ? prev[0][b] : prev[1][b];
        if (level > ref) rise[2 * b / IMPACT_BANDS] += level - ref;
        prev[1][b] = prev[0][b];
        prev[0][b] = level;
    }
    out->impact = (rise[0] < rise[1] ? rise[0] : rise[1]) / (IMPACT_BANDS / 2);
    double strongest = 0;
    for (int k = 1; k < FFT_N / 2; k++)
        if (p[k] > strongest) strongest = p[k];
    float loudest_db = db(strongest);

    int n = s->squeal_hi - s->squeal_lo, kmax = s->squeal_lo;
    for (int k = s->squeal_lo; k < s->squeal_hi; k++) {
        scratch[k - s->squeal_lo] = p[k];
        if (p[k] > p[kmax]) kmax = k;
    }
    out->squeal = n > 2 ? db(p[kmax]) - db(dc_select_float(scratch, n, n / 2)) : 0;
    /* a squeal is among the loudest things heard; a faint tone (a codec artefact) is not */
    if (db(p[kmax]) < loudest_db - 25 || db(p[kmax]) < SQUEAL_MIN_DB) out->squeal = 0;

    n = s->horn_ref_hi - s->horn_lo;
    kmax = s->horn_lo;
    for (int k = s->horn_lo; k < s->horn_ref_hi; k++) {
        scratch[k - s->horn_lo] = p[k];
        if (k < s->horn_hi && p[k] > p[kmax]) kmax = k;
    }
    float floor_db = db(dc_select_float(scratch, n, n / 2));
    bool loud = db(p[kmax]) >= loudest_db - 25 && db(p[kmax]) >= HORN_MIN_DB;
    float prom = loud ? db(p[kmax]) - floor_db : 0;
    int h2 = 2 * kmax;
    float harm = -100;
    for (int k = h2 - 1; k <= h2 + 1 && k < FFT_N / 2; k++) {
        float v = db(p[k]) - floor_db;
        if (v > harm) harm = v;
    }
    /* a horn's fundamental is at least about as strong as its second harmonic; a "harmonic"
     * far stronger than its fundamental is a squeal an octave up */
    out->horn_prom = harm > 10 && harm < prom + 6 ? prom : 0.5f * prom;
    out->horn_bin = kmax;
    /* a tone in the squeal band that is an upper harmonic of a strong lower tone (a horn,
     * music) is not a squeal: keep only what the squeal peak stands out beyond it */
    if (harm > 10 && prom > 15 && harm < prom + 6)
        out->squeal = out->squeal > prom ? out->squeal - prom : 0;
    else if (out->squeal > prom + 10)
        out->horn_prom *= 0.3f; /* a squeal dominates: its skirt is not a horn */
}

/* Morphological opening over +-r ticks: keeps only what lasts at least 2r+1 ticks (a squeal
 * lasts seconds; a melody note or a clatter does not), at its full extent. */
static bool sustain(float *x, int n, int r) {
    float *eroded = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!eroded) return false;
    for (int i = 0; i < n; i++) {
        float m = x[i];
        for (int j = i - r; j <= i + r && isfinite(m); j++)
            if (j >= 0 && j < n && (!isfinite(x[j]) || x[j] < m)) m = x[j];
        eroded[i] = m;
    }
    for (int i = 0; i < n; i++) {
        float m = eroded[i];
        for (int j = i - r; j <= i + r; j++)
            if (j >= 0 && j < n && isfinite(eroded[j]) && (!isfinite(m) || eroded[j] > m))
                m = eroded[j];
        x[i] = m;
    }
    free(eroded);
    return true;
}

dc_error_class mine_audio_ticks(const dc_pcm *pcm, double hz, int tick_from, int tick_to,
                                float *impact, float *squeal, float *horn, dc_deadline dl,
                                dc_status *st) {
    if (!pcm || !pcm->samples || pcm->rate < 4000 || tick_to <= tick_from) return DC_OK;
    audio_setup *s = malloc(sizeof *s);
    if (s) s->fft = mine_rfft_new(FFT_N);
    if (!s || !s->fft) {
        free(s);
        return dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for audio features");
    }
    setup_init(s, pcm->rate);
    onset_history hist;
    history_init(&hist);

    int first_tick = (int)ceil(pcm->start_sec * hz);
    if (first_tick < 0) first_tick = 0;
    /* ticks before tick_from (the chunk's overlap) only warm up the band history */
    dc_error_class e = DC_OK;
    for (int i = first_tick; i < tick_to; i++) {
        if (dc_deadline_passed(dl)) {
            e = dc_fail(st, DC_ERR_TIMEOUT, "mining: deadline passed while analysing the sound");
            break;
        }
        sub_features sub[SUBS_PER_TICK];
        int have = 0;
        for (int j = 0; j < SUBS_PER_TICK; j++) {
            /* sub-frame centred in the j-th quarter of the tick */
            double centre = ((i + (j + 0.5) / SUBS_PER_TICK) / hz - pcm->start_sec) * pcm->rate;
            long a = lround(centre - FFT_N / 2.0);
            if (a < 0 || (size_t)a + FFT_N > pcm->count) continue;
            sub_frame(s, pcm->samples + a, &hist, &sub[have++]);
        }
        if (have == 0 || i < tick_from) continue;
        float imp = 0, sq = 0, hp = 0;
        int stable = 0;
        for (int j = 0; j < have; j++) {
            if (sub[j].impact > imp) imp = sub[j].impact;
            sq += sub[j].squeal;
            hp += sub[j].horn_prom;
        }
        /* pitch stability: sub-frames within one bin of the tick's median pitch */
        int bins[SUBS_PER_TICK];
        for (int j = 0; j < have; j++) bins[j] = sub[j].horn_bin;
        for (int a = 1; a < have; a++)
            for (int b = a; b > 0 && bins[b - 1] > bins[b]; b--) {
                int t = bins[b];
                bins[b] = bins[b - 1];
                bins[b - 1] = t;
            }
        int med = bins[have / 2];
        for (int j = 0; j < have; j++) stable += abs(sub[j].horn_bin - med) <= 1;
        impact[i] = imp;
        squeal[i] = sq / have;
        horn[i] = hp / have * (float)stable / have;
    }
    mine_rfft_free(s->fft);
    free(s);
    return e;
}

bool mine_audio_sustain(float *squeal, int n) { return sustain(squeal, n, 2); }

dc_error_class dc_mine_audio_features(const dc_pcm *pcm, double hz, int n, float *impact,
                                      float *squeal, float *horn, dc_status *st) {
    for (int i = 0; i < n; i++) impact[i] = squeal[i] = horn[i] = NAN;
    dc_error_class e = mine_audio_ticks(pcm, hz, 0, n, impact, squeal, horn, (dc_deadline){0}, st);
    if (e == DC_OK && !mine_audio_sustain(squeal, n))
        e = dc_fail(st, DC_ERR_RESOURCE, "mining: out of memory for the squeal track");
    return e;
}
