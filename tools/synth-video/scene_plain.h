/* The "plain" scene's timestamp bar code, shared with the tests that read it back. */
#ifndef SYNTH_VIDEO_SCENE_PLAIN_H
#define SYNTH_VIDEO_SCENE_PLAIN_H

#include <math.h>
#include <stdint.h>

#define SV_PLAIN_CLOCK_BITS 20 /* centiseconds: up to 2.9 hours */

static inline int sv_plain_clock_band_height(int height) { return height / 8 > 2 ? height / 8 : 2; }

/* Reads the centisecond clock from an RGB24 frame of the plain scene; -1 when unreadable. */
static inline long sv_plain_read_clock(const uint8_t *rgb, int width, int height, int stride) {
    int y = sv_plain_clock_band_height(height) / 2;
    long v = 0;
    for (int bit = 0; bit < SV_PLAIN_CLOCK_BITS; bit++) {
        int x = (int)((bit + 0.5) * width / SV_PLAIN_CLOCK_BITS);
        const uint8_t *p = rgb + (size_t)y * stride + (size_t)x * 3;
        int luma = (p[0] + p[1] + p[2]) / 3;
        if (luma > 80 && luma < 170) return -1; /* neither dark nor bright: not our frame */
        v = (v << 1) | (luma >= 128);
    }
    return v;
}

#endif
