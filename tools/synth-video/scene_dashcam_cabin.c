/* The cabin camera: mounted by the mirror, looking back into the car. A dim, nearly still
 * picture: headliner, the two front seats' backs and headrests, the rear bench and the rear
 * window, whose light follows the look (day, night, rain, tunnel) and flickers as roadside
 * posts pass. The picture moves only with the car's shake (half of what the rear camera feels
 * from a hit behind). Night cabins are shown grey, as infrared cabin cameras record them. */
#include "scene_dashcam_internal.h"

#include <math.h>
#include <string.h>

static void fill(uint8_t *rgb, int stride, int w, int h, int x0, int y0, int x1, int y1,
                 const uint8_t col[3]) {
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > w) x1 = w;
    if (y1 > h) y1 = h;
    for (int y = y0; y < y1; y++) {
        uint8_t *p = rgb + (size_t)y * (size_t)stride + 3 * (size_t)x0;
        for (int x = x0; x < x1; x++, p += 3) memcpy(p, col, 3);
    }
}

static void grey(uint8_t out[3], double v) {
    uint8_t g = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
    out[0] = out[1] = out[2] = g;
}

void sd_render_cabin(sd_scene *sc, double t, uint8_t *rgb, int stride) {
    const sd_script *s = &sc->script;
    int w = sc->p.width, h = sc->p.height;
    double sx = sd_track_at(s, s->shake_x, t) + 0.5 * sd_track_at(s, s->rear_shake_x, t);
    double sy = sd_track_at(s, s->shake_y, t) + 0.5 * sd_track_at(s, s->rear_shake_y, t);
    int dx = (int)lround(sx * w), dy = (int)lround(sy * h);
    /* window light: daylight, grey rain, dark night; a tunnel dims it */
    double light = sc->look == SD_LOOK_NIGHT ? 40 : sc->look == SD_LOOK_RAIN ? 120 : 170;
    light *= 1 - 0.6 * sd_track_at(s, s->tunnel, t);
    double dist = sd_track_at(s, s->dist, t);
    bool post = fmod(dist, 25.0) < 0.6; /* a roadside post crossing the rear window */
    uint8_t c[3];
    grey(c, 0.25 * light + 12); /* headliner and pillars */
    fill(rgb, stride, w, h, 0, 0, w, h, c);
    /* the rear window */
    int wx0 = w / 4 + dx, wx1 = 3 * w / 4 + dx, wy0 = h / 8 + dy, wy1 = 2 * h / 5 + dy;
    grey(c, post ? 0.7 * light : light);
    fill(rgb, stride, w, h, wx0, wy0, wx1, wy1, c);
    /* the rear bench, then the front seats and headrests nearer the camera */
    grey(c, 0.15 * light + 18);
    fill(rgb, stride, w, h, w / 6 + dx, 2 * h / 5 + dy, 5 * w / 6 + dx, 3 * h / 5 + dy, c);
    grey(c, 0.1 * light + 10);
    for (int side = 0; side < 2; side++) {
        int x0 = (side ? 11 * w / 20 : w / 10) + dx, x1 = (side ? 9 * w / 10 : 9 * w / 20) + dx;
        fill(rgb, stride, w, h, x0, h / 2 + dy, x1, h + dy, c);
        int hx = (x0 + x1) / 2, hw = (x1 - x0) / 4;
        fill(rgb, stride, w, h, hx - hw, 3 * h / 10 + dy, hx + hw, h / 2 + dy, c);
    }
    sd_draw_stamp(rgb, stride, w, h, sc, t, sd_track_at(s, s->speed, t));
}
