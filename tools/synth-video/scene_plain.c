/* "plain": a deterministic moving test pattern and a tone, with the frame's own timestamp
 * drawn as a bar code, so tests can check that a decoded frame is the one its timestamp says.
 *
 * Picture: a diagonal gradient that drifts, a bright square crossing the image every 4 s, and
 * across the top PLAIN_CLOCK_BITS cells (dark = 0, bright = 1, most significant bit first)
 * holding round(t * 100), i.e. the time in centiseconds.
 * Sound: a 440 Hz tone at 0.2 and, in the first quarter of every even second, a 1 kHz beep
 * at 0.6 (audio alignment checks look for it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scene.h"
#include "scene_plain.h"

struct sv_scene {
    sv_scene_params p;
};

static sv_scene *plain_create(const sv_scene_params *p) {
    sv_scene *s = calloc(1, sizeof *s);
    if (s) s->p = *p;
    return s;
}

static void plain_render_frame(sv_scene *s, double t, uint8_t *rgb, int stride) {
    int w = s->p.width, h = s->p.height;
    int band = sv_plain_clock_band_height(h);
    long cs = lround(t * 100);
    int drift = (int)(t * 40) + (int)(s->p.seed % 256);
    for (int y = band; y < h; y++) {
        uint8_t *row = rgb + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            int v = (x + y + drift) & 255;
            row[(size_t)3 * x] = (uint8_t)v;
            row[3 * x + 1] = (uint8_t)(255 - v);
            row[3 * x + 2] = (uint8_t)((x * 2 + drift) & 255);
        }
    }
    /* The moving square. */
    int side = h / 6 > 4 ? h / 6 : 4;
    double phase = fmod(t, 4.0) / 4.0;
    int sx = (int)(phase * (w - side)), sy = band + (h - band - side) / 2;
    for (int y = sy; y < sy + side && y < h; y++)
        memset(rgb + (size_t)y * stride + (size_t)sx * 3, 250, (size_t)side * 3);
    /* The clock band. */
    for (int y = 0; y < band; y++) {
        uint8_t *row = rgb + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            int bit = x * SV_PLAIN_CLOCK_BITS / w;
            int on = (cs >> (SV_PLAIN_CLOCK_BITS - 1 - bit)) & 1;
            memset(row + (size_t)3 * x, on ? 235 : 16, 3);
        }
    }
}

static void plain_render_audio(sv_scene *s, double t0, float *out, int n) {
    double rate = s->p.audio_rate;
    for (int i = 0; i < n; i++) {
        double t = t0 + i / rate;
        double v = 0.2 * sin(2 * M_PI * 440 * t);
        double in_second = fmod(t, 2.0);
        if (in_second >= 0 && in_second < 0.25) v += 0.6 * sin(2 * M_PI * 1000 * t);
        out[i] = (float)v;
    }
}

static void plain_destroy(sv_scene *s) { free(s); }

const sv_scene_class sv_scene_plain = {
    .name = "plain",
    .summary = "moving test pattern with a timestamp bar code, 440 Hz tone + beeps (no incident)",
    .create = plain_create,
    .render_frame = plain_render_frame,
    .render_audio = plain_render_audio,
    .label_json = NULL,
    .destroy = plain_destroy,
};
