/* The dashcam's microphone: engine hum and road noise that follow the ego speed, plus the
 * script's sound events. Noise is counter-based (a hash of the sample index), so a sample's
 * value does not depend on how the caller chunks its requests; only the two one-pole filters
 * carry state, and they restart cleanly when a request does not continue the previous one. */
#include "scene_dashcam_internal.h"

#include <math.h>

#define SINE_TABLE 4096
#define TWO_PI 6.283185307179586

static float sine_table[SINE_TABLE + 1];
static bool sine_ready;

static void sine_init(void) {
    if (sine_ready) return;
    for (int i = 0; i <= SINE_TABLE; i++) sine_table[i] = (float)sin(TWO_PI * i / SINE_TABLE);
    sine_ready = true;
}

/* sin(2 pi cycles) from the table */
static float sine_cycles(double cycles) {
    double frac = cycles - floor(cycles);
    return sine_table[(int)(frac * SINE_TABLE)];
}

static double envelope(double u, double dur, double attack, double release) {
    if (u < 0 || u >= dur) return 0;
    double e = u < attack ? u / attack : 1;
    double left = dur - u;
    return left < release ? e * left / release : e;
}

static float crash(const sd_sound *snd, double u, int64_t idx) {
    double e = u < 0.004 ? u / 0.004 : exp(-(u - 0.004) / 0.22);
    double fm = 900 + (double)(snd->id % 600);
    double ring =
        sine_cycles(fm * u) + 0.7 * sine_cycles(2.31 * fm * u) + 0.5 * sine_cycles(3.73 * fm * u);
    /* glass: a second, slower-decaying noise stream that starts a moment after the hit */
    double glass = u > 0.05 ? sd_noise_at(snd->id + 1, idx) * exp(-(u - 0.05) / 0.45) : 0;
    return (float)(snd->amp *
                   (sd_noise_at(snd->id, idx) * e + 0.12 * ring * exp(-u / 0.6) + 0.25 * glass));
}

static float squeal(const sd_sound *snd, double u) {
    double vib = 0.012 * snd->f0 * (1 - cos(TWO_PI * 6 * u)) / (TWO_PI * 6);
    double ph = snd->f0 * u + vib;
    double e = envelope(u, snd->duration, 0.08, 0.1);
    return (float)(snd->amp * e * (sine_cycles(ph) + 0.3 * sine_cycles(2 * ph)) / 1.3);
}

static float horn(const sd_sound *snd, double u) {
    /* a dual-tone horn: two notes a major third apart, three harmonics each */
    static const double harm[3] = {1.0, 0.6, 0.35};
    double acc = 0;
    for (int k = 0; k < 3; k++) {
        acc += harm[k] *
               (sine_cycles((k + 1) * snd->f0 * u) + sine_cycles((k + 1) * 1.25 * snd->f0 * u));
    }
    return (float)(snd->amp * envelope(u, snd->duration, 0.02, 0.05) * acc / 3.9);
}

static float thump(const sd_sound *snd, double u, int64_t idx) {
    /* a dull knock: noise through two 24-tap box filters (a triangle: low-pass, low side
     * lobes), so the thud stays below ~1 kHz like a tyre hitting a bump */
    double knock = 0;
    for (int k = 0; k < 47; k++) {
        int wgt = k < 24 ? k + 1 : 47 - k;
        knock += wgt * sd_noise_at(snd->id, idx - k);
    }
    knock *= 3.0 / (24.0 * 24.0) * exp(-u / 0.04);
    return (float)(snd->amp * (sine_cycles(snd->f0 * u) * exp(-u / 0.1) + 0.5 * knock));
}

static float music(const sd_sound *snd, double u, int64_t idx) {
    static const double roots[4] = {220.0, 196.0, 174.6, 246.9};
    static const double penta[5] = {1.0, 1.125, 1.25, 1.5, 1.6875};
    double beat = 60.0 / snd->f0, b = u / beat;
    int64_t nb = (int64_t)floor(b);
    double ub = (b - (double)nb) * beat; /* seconds into the beat */
    double root = roots[(nb / 4) % 4];
    double chord =
        sine_cycles(root * u) + sine_cycles(1.26 * root * u) + sine_cycles(1.5 * root * u);
    /* a melody note per half beat, 330-660 Hz: harmonic and stable, like a horn */
    int64_t nh = (int64_t)floor(2 * b);
    uint64_t hh = sd_hash64(snd->id ^ (uint64_t)nh);
    double note = 330.0 * penta[hh % 5] * ((hh >> 8) % 2 ? 2.0 : 1.0) * 0.75;
    double melody =
        sine_cycles(note * u) + 0.5 * sine_cycles(2 * note * u) + 0.25 * sine_cycles(3 * note * u);
    double kick = sine_cycles((50 + 80 * exp(-ub / 0.03)) * ub) * exp(-ub / 0.15);
    double snare = (nb % 2 == 1) ? sd_noise_at(snd->id, idx) * exp(-ub / 0.08) : 0;
    double half = fmod(ub, beat / 2);
    double hat = sd_noise_at(snd->id + 7, idx) * exp(-half / 0.02);
    return (float)(snd->amp *
                   (0.12 * chord + 0.18 * melody + 0.6 * kick + 0.4 * snare + 0.15 * hat));
}

static float sound_sample(const sd_sound *snd, double u, int64_t idx) {
    switch (snd->kind) {
    case SD_SOUND_CRASH: return crash(snd, u, idx);
    case SD_SOUND_SQUEAL: return squeal(snd, u);
    case SD_SOUND_HORN: return horn(snd, u);
    case SD_SOUND_THUMP: return thump(snd, u, idx);
    case SD_SOUND_MUSIC: return music(snd, u, idx);
    }
    return 0;
}

static float soft_clip(float x) {
    float a = fabsf(x);
    if (a < 0.8f) return x;
    float y = 0.8f + 0.2f * tanhf((a - 0.8f) / 0.2f);
    return x < 0 ? -y : y;
}

void sd_render_audio(sd_scene *sc, double t0, float *out, int n) {
    sine_init();
    const sd_script *s = &sc->script;
    int rate = sc->p.audio_rate > 0 ? sc->p.audio_rate : 48000;
    int64_t i0 = llround(t0 * rate);
    if (i0 != sc->audio_next) sc->lp_road = sc->lp_wind = 0;
    /* one-pole low-pass coefficients: rumble ~150 Hz, wind ~1.2 kHz */
    double a_road = 1 - exp(-TWO_PI * 150.0 / rate), a_wind = 1 - exp(-TWO_PI * 1200.0 / rate);
    double g_road = sqrt((2 - a_road) / a_road), g_wind = sqrt((2 - a_wind) / a_wind);
    uint64_t noise_road = sc->seed ^ 0x524F4144ULL, noise_wind = sc->seed ^ 0x57494E44ULL;
    for (int k = 0; k < n; k++) {
        int64_t idx = i0 + k;
        double t = (double)idx / rate;
        double v = sd_track_at(s, s->speed, t), tun = sd_track_at(s, s->tunnel, t);
        /* engine firing frequency 28 + 2.2 v Hz (one gear): its phase is the integral,
         * 28 t + 2.2 * distance, so the pitch follows the speed without sweeping */
        double ph = 28 * t + 2.2 * sd_track_at(s, s->dist, t);
        double engine = 0.05 * sine_cycles(ph) + 0.025 * sine_cycles(2 * ph);
        sc->lp_road += a_road * (sd_noise_at(noise_road, idx) - sc->lp_road);
        sc->lp_wind += a_wind * (sd_noise_at(noise_wind, idx) - sc->lp_wind);
        double road = (0.02 + 0.003 * v) * (1 + 0.8 * tun) * sc->lp_road * g_road * 0.5;
        double wind = 0.0015 * v * sc->lp_wind * g_wind * 0.5;
        double hiss = 0.004 * sd_noise_at(noise_road + 1, idx);
        out[k] = (float)(engine + road + wind + hiss);
    }
    double t1 = t0 + (double)n / rate;
    for (int e = 0; e < s->sound_count; e++) {
        const sd_sound *snd = &s->sounds[e];
        if (snd->t_start >= t1 || snd->t_start + snd->duration <= t0) continue;
        int64_t a = llround(snd->t_start * rate) - i0,
                b = llround((snd->t_start + snd->duration) * rate) - i0;
        if (a < 0) a = 0;
        if (b > n) b = n;
        for (int64_t k = a; k < b; k++) {
            double u = (double)(i0 + k) / rate - snd->t_start;
            out[k] += sound_sample(snd, u, i0 + k);
        }
    }
    for (int k = 0; k < n; k++) out[k] = soft_clip(out[k]);
    sc->audio_next = i0 + n;
}
