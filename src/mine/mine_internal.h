/* Pieces shared inside the mining module. */
#ifndef MINE_INTERNAL_H
#define MINE_INTERNAL_H

#include <stddef.h>

#include "dashclaim/mine.h"
#include "dashclaim/order_stats.h"

/* Power spectrum of n real samples (n a power of two >= 4) times a window: power[k] for
 * k < n / 2, through one complex FFT of n / 2 points with precomputed tables. */
typedef struct mine_rfft mine_rfft;
mine_rfft *mine_rfft_new(int n);
void mine_rfft_free(mine_rfft *p);
void mine_rfft_power(mine_rfft *p, const float *x, const float *window, float *power);

/* Median of the finite values of x[0..n) (NAN when none); uses scratch of n floats. */
float mine_median(const float *x, int n, float *scratch);

/* The audio features of ticks [tick_from, tick_to) from a chunk of sound (ticks before
 * tick_from that the chunk covers only warm up the onset history); leaves other ticks alone.
 * mine_audio_sustain then keeps only sustained squeal, once the whole track is filled.
 * Gives up with a timeout when dl passes (checked every tick: a 120-s chunk is 0.1 s of work,
 * several times that in the sanitizer build). */
dc_error_class mine_audio_ticks(const dc_pcm *pcm, double hz, int tick_from, int tick_to,
                                float *impact, float *squeal, float *horn, dc_deadline dl,
                                dc_status *st);
bool mine_audio_sustain(float *squeal, int n); /* false: out of memory */

/* dc_mine_noise_floor_score with the q95 guard against ever-present cues on or off. */
bool mine_floor_score(const float *raw, int n, float min_spread, bool guard_repeats,
                      float *score); /* false: out of memory (scores 0) */

/* out[i] = max of in[j] for |j - i| <= radius. */
void mine_max_filter(const float *in, int n, int radius, float *out);

/* Local maxima of x separated by more than radius ticks, strongest first; returns how many
 * (at most max) were written to idx, -1 when out of memory. */
int mine_peaks(const float *x, int n, int radius, int *idx, int max);

/* Scores raw motion features (one per thumbnail step) and writes them onto the timeline:
 * tick i with t in (t[k-1], t[k]] gets step k's score. Ticks before tick_from or at/after
 * tick_to are left alone. */
void mine_steps_to_ticks(const float *score, const double *t, int count, double hz, int tick_from,
                         int tick_to, float *track);

/* The sudden-stop feature from a forward-flow sequence: log ratio of the median flow in
 * [t - before, t - gap) to the median flow in [t, t + after). */
bool mine_stop_feature(const float *flow, const double *t, int count, double before, double gap,
                       double after, float *stop); /* false: out of memory */

/* Shift of profile b against profile a (b[i + s] ~ a[i]) searched in [-r, r] (r <= 64), to a
 * fraction of a sample: the mean absolute difference over the overlap, which must cover more
 * than half the profile. */
double mine_profile_shift(const float *a, const float *b, int n, int r);

/* Sideways motion of the road per thumbnail (an evasive swerve; NAN for index 0 and steps
 * over 0.5 s); see swerve_features.c. False when out of memory (swerve left NAN). */
bool mine_swerve_feature(const dc_thumb_set *set, float *swerve);

/* Local motion burst per thumbnail (index 0 and steps over 0.5 s get NAN); see
 * burst_features.c. False when out of memory (burst left NAN). */
bool mine_burst_feature(const dc_thumb_set *set, float *burst);

/* Motion from packet sizes: per tick of a timeline of n ticks at hz, the mean over the
 * tick's inter-coded packets of log(size) minus the median log(size) of the packets within
 * +-2 s (NAN for ticks without any). False when out of memory. */
bool mine_packet_motion(const dc_packet_sizes *p, double hz, int n, float *out);

#endif
