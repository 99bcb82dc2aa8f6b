/* The dashcam picture: a pinhole camera 1.3 m above a three-lane road, drawn row by row, looking
 * ahead (the front camera) or back (the rear camera, the side repeaters).
 *
 * Each image row below the horizon is one ground distance z, so everything on a row (grass
 * band, asphalt, lane dashes, haze, headlight fall-off) is decided once per row and drawn as a
 * handful of constant-colour spans; objects (posts, trees, the lead vehicle) are rectangles.
 * No per-pixel maths beyond a compare, so 1080p frames cost a few milliseconds. */
#define _DEFAULT_SOURCE /* gmtime_r */
#include "scene_dashcam_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The camera (height, horizon row, focal length, hood row) and the road (width, roadside
 * spacing) are the scene's rig (sd_rig): by default a camera 1.3 m up, the horizon at 45 % of
 * the height, a focal length of 0.6 of the width, the hood below 90 %, three lanes of 3.5 m
 * with the ego in the middle one. */
#define TUNNEL_WALL 6.5 /* m from the centre line */

typedef struct {
    float r, g, b;
} rgbf;

static rgbf mix(rgbf a, rgbf b, float w) {
    return (rgbf){a.r + (b.r - a.r) * w, a.g + (b.g - a.g) * w, a.b + (b.b - a.b) * w};
}

static rgbf scale(rgbf a, float k) { return (rgbf){a.r * k, a.g * k, a.b * k}; }

/* Round half up, as the test inputs were always made (lroundf would move a few pixels). */
static uint8_t to_u8(float v) {
    return v <= 0     ? 0
           : v >= 255 ? 255
                      : (uint8_t)(v + 0.5f); // NOLINT(bugprone-incorrect-roundings)
}

typedef struct {
    uint8_t *rgb;
    int stride, w, h;
} canvas;

static void fill_span(const canvas *c, int y, int x0, int x1, rgbf col) {
    if (y < 0 || y >= c->h) return;
    if (x0 < 0) x0 = 0;
    if (x1 > c->w) x1 = c->w;
    if (x0 >= x1) return;
    uint8_t r = to_u8(col.r), g = to_u8(col.g), b = to_u8(col.b);
    uint8_t *p = c->rgb + (size_t)y * (size_t)c->stride + 3 * (size_t)x0;
    for (int x = x0; x < x1; x++, p += 3) {
        p[0] = r;
        p[1] = g;
        p[2] = b;
    }
}

static void fill_rect(const canvas *c, double x0, double y0, double x1, double y1, rgbf col) {
    int iy0 = (int)floor(y0), iy1 = (int)floor(y1), ix0 = (int)floor(x0), ix1 = (int)floor(x1);
    if (iy1 == iy0 && y1 > y0) iy1 = iy0 + 1; /* keep thin far objects visible */
    if (ix1 == ix0 && x1 > x0) ix1 = ix0 + 1;
    if (iy0 < 0) iy0 = 0;
    if (iy1 > c->h) iy1 = c->h;
    for (int y = iy0; y < iy1; y++) fill_span(c, y, ix0, ix1, col);
}

typedef struct {
    rgbf sky_top, sky_horizon, skyline, grass_a, grass_b, asphalt, line, haze;
    float haze_dist; /* m: distance at which haze reaches 63 % */
    bool headlights; /* night: the scene is lit by the ego headlights */
} look_palette;

static look_palette palette_for(sd_look look) {
    switch (look) {
    case SD_LOOK_NIGHT:
        return (look_palette){{6, 8, 18},   {22, 24, 40}, {14, 14, 22},    {40, 70, 35},
                              {34, 60, 30}, {70, 70, 74}, {230, 230, 220}, {20, 22, 34},
                              400,          true};
    case SD_LOOK_RAIN:
        return (look_palette){
            {110, 115, 122}, {160, 163, 168}, {95, 100, 105},  {70, 95, 65}, {62, 85, 58},
            {72, 74, 78},    {200, 200, 200}, {150, 153, 158}, 70,           false};
    case SD_LOOK_DAY:
    default:
        return (look_palette){
            {70, 120, 200}, {175, 200, 230}, {95, 110, 120},  {80, 140, 60}, {66, 120, 50},
            {95, 95, 100},  {240, 240, 235}, {190, 205, 225}, 250,           false};
    }
}

/* Light falling on a point at distance z: daylight everywhere, or the headlights' cone. */
static float light_at(const look_palette *pal, double z) {
    if (!pal->headlights) return 1.0f;
    double k = z / 28.0;
    return (float)(0.08 + 1.0 / (1.0 + k * k));
}

static rgbf shade(const look_palette *pal, rgbf col, double z) {
    rgbf lit = scale(col, light_at(pal, z));
    return mix(lit, pal->haze, (float)(1.0 - exp(-z / pal->haze_dist)));
}

typedef struct {
    canvas c;
    const look_palette *pal;
    double cx, yh, f, ego_x, tunnel;
    const sd_rig *rig;
} view;

static double screen_x(const view *v, double world_x, double z) {
    return v->cx + (world_x - v->ego_x) * v->f / z;
}

static double screen_y(const view *v, double height, double z) {
    return v->yh + v->f * (v->rig->cam_height - height) / z;
}

static void draw_sky(const view *v, const sd_scene *sc, int y_end) {
    static const rgbf ceiling = {38, 38, 42};
    int shift = (int)lround(v->cx - v->c.w / 2.0);
    for (int y = 0; y < y_end && y < v->c.h; y++) {
        float u = v->yh > 1 ? (float)(y / v->yh) : 1.0f;
        rgbf sky = mix(v->pal->sky_top, v->pal->sky_horizon, u < 0 ? 0 : u > 1 ? 1 : u);
        rgbf hill = v->pal->skyline;
        if (v->tunnel > 0) {
            sky = mix(sky, ceiling, (float)v->tunnel);
            hill = mix(hill, ceiling, (float)v->tunnel);
        }
        fill_span(&v->c, y, 0, v->c.w, sky);
        /* the skyline: per-column heights above the horizon, drawn where this row is below */
        double above = v->yh - y;
        if (v->tunnel >= 1 || above <= 0) continue;
        uint8_t *row = v->c.rgb + (size_t)y * (size_t)v->c.stride;
        uint8_t r = to_u8(hill.r), g = to_u8(hill.g), b = to_u8(hill.b);
        for (int x = 0; x < v->c.w; x++) {
            int k = x - shift;
            k = k < 0 ? 0 : k >= sc->skyline_len ? sc->skyline_len - 1 : k;
            if (sc->skyline[k] * v->c.h >= above * 1000) {
                row[(size_t)3 * x] = r;
                row[3 * x + 1] = g;
                row[3 * x + 2] = b;
            }
        }
    }
}

static void draw_ground(const view *v, const sd_scene *sc, double dist, double bump_z, int y_end) {
    static const rgbf wall = {72, 70, 64}, tunnel_road = {52, 52, 56}, yellow = {230, 200, 40};
    int y0 = (int)ceil(v->yh);
    if (y0 < 0) y0 = 0;
    for (int y = y0; y < y_end; y++) {
        double dy = y + 0.5 - v->yh;
        if (dy < 0.25) dy = 0.25;
        double z = v->f * v->rig->cam_height / dy;
        double ppm = v->f / z, s = z + dist;
        bool band = sd_hash64((uint64_t)(int64_t)floor(s / 2.0) + sc->seed) & 1;
        rgbf grass = band ? v->pal->grass_a : v->pal->grass_b;
        bool patch = fmod(s, 11.0) < 0.8;
        rgbf road = patch ? scale(v->pal->asphalt, 0.88f) : v->pal->asphalt;
        if (bump_z > 0 && fabs(z - bump_z) < 0.45) road = yellow;
        if (v->tunnel > 0) {
            grass = mix(grass, wall, (float)v->tunnel);
            road = mix(road, tunnel_road, (float)v->tunnel);
        }
        grass = shade(v->pal, grass, z);
        road = shade(v->pal, road, z);
        rgbf line = shade(v->pal, v->pal->line, z);
        double xc = v->cx - v->ego_x * ppm, road_half = v->rig->road_half;
        fill_span(&v->c, y, 0, v->c.w, grass);
        fill_span(&v->c, y, (int)floor(xc - (road_half + 0.15) * ppm),
                  (int)floor(xc + (road_half + 0.15) * ppm), road);
        /* solid edge lines, dashed lane lines (3 m of every 9 m) */
        fill_span(&v->c, y, (int)floor(xc - (road_half + 0.15) * ppm),
                  (int)floor(xc - road_half * ppm), line);
        fill_span(&v->c, y, (int)floor(xc + road_half * ppm),
                  (int)floor(xc + (road_half + 0.15) * ppm), line);
        if (fmod(s, 9.0) < 3.0) {
            for (int side = -1; side <= 1; side += 2) {
                double lx = side * 1.75;
                fill_span(&v->c, y, (int)floor(xc + (lx - 0.07) * ppm),
                          (int)floor(xc + (lx + 0.07) * ppm), line);
            }
        }
    }
}

static void draw_roadside(const view *v, const sd_scene *sc, double dist) {
    static const rgbf post = {235, 235, 230}, trunk = {90, 65, 40}, crown = {40, 95, 40},
                      lamp = {255, 235, 170};
    (void)sc;
    if (v->tunnel >= 0.5) {
        /* ceiling lamps every 12 m, 5 m up */
        double first = 12.0 - fmod(dist, 12.0);
        for (int k = 14; k >= 0; k--) {
            double z = first + 12.0 * k;
            if (z < 2.0) continue;
            fill_rect(&v->c, screen_x(v, -0.4, z), screen_y(v, 5.1, z), screen_x(v, 0.4, z),
                      screen_y(v, 5.0, z), lamp);
        }
        return;
    }
    const sd_rig *rig = v->rig;
    double first_post = rig->post_every - fmod(dist, rig->post_every),
           first_tree = rig->tree_every - fmod(dist + 10.0, rig->tree_every);
    for (int k = 7; k >= 0; k--) {
        double z = first_tree + rig->tree_every * k;
        if (z < 2.5) continue;
        for (int side = -1; side <= 1; side += 2) {
            double x = side * rig->tree_x;
            fill_rect(&v->c, screen_x(v, x - 0.2, z), screen_y(v, 2.2, z), screen_x(v, x + 0.2, z),
                      screen_y(v, 0, z), shade(v->pal, trunk, z));
            fill_rect(&v->c, screen_x(v, x - 1.6, z), screen_y(v, 5.5, z), screen_x(v, x + 1.6, z),
                      screen_y(v, 2.0, z), shade(v->pal, crown, z));
        }
    }
    for (int k = 7; k >= 0; k--) {
        double z = first_post + rig->post_every * k;
        if (z < 2.5) continue;
        for (int side = -1; side <= 1; side += 2) {
            double x = side * 7.0;
            fill_rect(&v->c, screen_x(v, x - 0.08, z), screen_y(v, 1.0, z),
                      screen_x(v, x + 0.08, z), screen_y(v, 0, z), shade(v->pal, post, z));
        }
    }
}

static void draw_vehicle(const view *v, uint32_t rgb, double gap, double lead_x, double brake,
                         double yaw) {
    if (gap < 1.0) return;
    double z = gap, hw = 0.9;
    if (yaw != 0) {
        /* a spinning vehicle (crash-ahead): its side turns into view, 4.5 m long and darker
         * than the rear, drawn behind the rear's outline */
        double side = 2.25 * fabs(sin(yaw)), sx = yaw > 0 ? 1 : -1;
        rgbf flank = {(float)((rgb >> 16) & 255) * 0.7f, (float)((rgb >> 8) & 255) * 0.7f,
                      (float)(rgb & 255) * 0.7f};
        double x_a = lead_x + sx * hw * fabs(cos(yaw)), x_b = x_a + sx * 2 * side;
        fill_rect(&v->c, screen_x(v, fmin(x_a, x_b), z), screen_y(v, 1.45, z),
                  screen_x(v, fmax(x_a, x_b), z), screen_y(v, 0.2, z), shade(v->pal, flank, z));
        hw *= fabs(cos(yaw)) > 0.3 ? fabs(cos(yaw)) : 0.3;
    }
    rgbf body = {(float)((rgb >> 16) & 255), (float)((rgb >> 8) & 255), (float)(rgb & 255)};
    static const rgbf tyre = {20, 20, 22}, glass = {35, 45, 55}, plate = {225, 225, 215};
    rgbf tail = brake > 0.5 ? (rgbf){255, 40, 35} : (rgbf){140, 20, 20};
    double xl = screen_x(v, lead_x - hw, z), xr = screen_x(v, lead_x + hw, z);
    fill_rect(&v->c, screen_x(v, lead_x - hw + 0.1, z), screen_y(v, 0.35, z),
              screen_x(v, lead_x - hw + 0.45, z), screen_y(v, 0, z), shade(v->pal, tyre, z));
    fill_rect(&v->c, screen_x(v, lead_x + hw - 0.45, z), screen_y(v, 0.35, z),
              screen_x(v, lead_x + hw - 0.1, z), screen_y(v, 0, z), shade(v->pal, tyre, z));
    fill_rect(&v->c, xl, screen_y(v, 1.5, z), xr, screen_y(v, 0.25, z), shade(v->pal, body, z));
    fill_rect(&v->c, screen_x(v, lead_x - hw + 0.2, z), screen_y(v, 1.42, z),
              screen_x(v, lead_x + hw - 0.2, z), screen_y(v, 1.05, z), shade(v->pal, glass, z));
    fill_rect(&v->c, screen_x(v, lead_x - 0.26, z), screen_y(v, 0.62, z),
              screen_x(v, lead_x + 0.26, z), screen_y(v, 0.5, z), shade(v->pal, plate, z));
    /* tail lights emit: no headlight fall-off, only haze */
    rgbf lit = mix(tail, v->pal->haze, (float)(1.0 - exp(-z / v->pal->haze_dist)));
    fill_rect(&v->c, screen_x(v, lead_x - hw + 0.05, z), screen_y(v, 0.95, z),
              screen_x(v, lead_x - hw + 0.4, z), screen_y(v, 0.75, z), lit);
    fill_rect(&v->c, screen_x(v, lead_x + hw - 0.4, z), screen_y(v, 0.95, z),
              screen_x(v, lead_x + hw - 0.05, z), screen_y(v, 0.75, z), lit);
}

/* Debris of a crash ahead: fragments thrown from the point of impact (between the two
 * vehicles, at the lead's distance), falling under gravity and then lying on the road. */
static void draw_debris(const view *v, const sd_scene *sc, double t, double gap, double lead_x,
                        double other_x) {
    double u = t - sc->debris_sec;
    if (sc->debris_sec < 0 || u < 0 || gap < 2.0) return;
    static const rgbf glass = {200, 210, 215};
    rgbf body_a = {(float)((sc->lead_rgb >> 16) & 255), (float)((sc->lead_rgb >> 8) & 255),
                   (float)(sc->lead_rgb & 255)};
    rgbf body_b = {(float)((sc->other_rgb >> 16) & 255), (float)((sc->other_rgb >> 8) & 255),
                   (float)(sc->other_rgb & 255)};
    double x0 = 0.5 * (lead_x + other_x);
    for (int k = 0; k < 28; k++) {
        uint64_t r = sd_hash64(sc->seed ^ (0xDEB815ULL + (uint64_t)k));
        double vx = sd_uniform(&r, -5, 5), vy = sd_uniform(&r, 1.5, 5), vz = sd_uniform(&r, -4, 4);
        double size = sd_uniform(&r, 0.12, 0.4);
        double fall = vy / 9.81 + sqrt(vy * vy / (9.81 * 9.81) + 2 * 0.7 / 9.81);
        double ul = u < fall ? u : fall; /* flies until it lands, then lies still */
        double x = x0 + vx * ul, y = 0.7 + vy * ul - 0.5 * 9.81 * ul * ul, z = gap + vz * ul;
        if (y < 0) y = 0;
        if (z < 1.5) continue;
        rgbf col = k % 3 == 0 ? glass : k % 3 == 1 ? body_a : body_b;
        fill_rect(&v->c, screen_x(v, x - size / 2, z), screen_y(v, y + size, z),
                  screen_x(v, x + size / 2, z), screen_y(v, y, z), shade(v->pal, col, z));
    }
}

static void draw_rain(const canvas *c, const sd_scene *sc, double t) {
    uint64_t frame = (uint64_t)llround(t * (sc->p.fps > 0 ? sc->p.fps : 30));
    int count = c->w * c->h / 4000, len = c->h / 30 + 2;
    for (int k = 0; k < count; k++) {
        uint64_t h = sd_hash64(sc->seed ^ (frame * 131071u + (uint64_t)k));
        int x = (int)(h % (uint64_t)c->w), y = (int)((h >> 20) % (uint64_t)c->h);
        for (int j = 0; j < len; j++) {
            int px = x + j / 3, py = y + j;
            if (px >= c->w || py >= c->h) break;
            uint8_t *p = c->rgb + (size_t)py * (size_t)c->stride + 3 * (size_t)px;
            for (int ch = 0; ch < 3; ch++) p[ch] = (uint8_t)((p[ch] + 200) / 2);
        }
    }
}

void sd_draw_stamp(uint8_t *rgb, int stride, int w, int h, const sd_scene *sc, double t,
                   double speed) {
    const canvas cv = {rgb, stride, w, h}, *c = &cv;
    int sc_px = c->h / 180 > 1 ? c->h / 180 : 1, margin = 2 * sc_px;
    char text[48];
    snprintf(text, sizeof text, "%03d KM/H", (int)lround(speed * 3.6));
    if (sc->rig.stamp == 2) return; /* a camera set to burn in nothing */
    int y = sc->rig.stamp == 1 ? margin + sc_px : c->h - 7 * sc_px - margin;
    fill_rect(c, margin - sc_px, y - sc_px, margin + sd_text_width(text, sc_px), y + 8 * sc_px,
              (rgbf){0, 0, 0});
    sd_draw_text(c->rgb, c->stride, c->w, c->h, margin, y, sc_px, text, 255, 255, 255);
    if (sc->p.wall_start > 0) {
        /* the camera's own clock (a recording's --start), jumping where it was set */
        double jump =
            sc->p.wall_jump_at_sec > 0 && t >= sc->p.wall_jump_at_sec ? sc->p.wall_jump_sec : 0;
        time_t wall = (time_t)(sc->p.wall_start + (int64_t)floor(t + jump));
        struct tm tm;
        gmtime_r(&wall, &tm);
        snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    } else {
        long clock = (long)sc->clock_start + (long)floor(t);
        snprintf(text, sizeof text, "2026-11-29 %02ld:%02ld:%02ld", (clock / 3600) % 24,
                 (clock / 60) % 60, clock % 60);
    }
    int x = c->w - margin - sd_text_width(text, sc_px);
    fill_rect(c, x - sc_px, y - sc_px, c->w - margin + sc_px, y + 8 * sc_px, (rgbf){0, 0, 0});
    sd_draw_text(c->rgb, c->stride, c->w, c->h, x, y, sc_px, text, 255, 255, 255);
}

/* The car's own body at the bottom of the picture (the hood ahead, the boot lid behind), and
 * the burned-in speed and clock. */
static void draw_overlay(const canvas *c, const sd_scene *sc, double t, double speed,
                         double body_row) {
    static const rgbf hood = {28, 28, 31}, hood_edge = {60, 60, 66};
    int hood_y = (int)(body_row * c->h);
    fill_rect(c, 0, hood_y, c->w, c->h, hood);
    int edge = 1 + c->h / 200; /* whole rows */
    fill_rect(c, 0, hood_y, c->w, hood_y + edge, hood_edge);
    sd_draw_stamp(c->rgb, c->stride, c->w, c->h, sc, t, speed);
}

/* The vehicle behind, seen by the rear camera: its front (bonnet, windscreen, grille, lit
 * headlights) at distance z, growing to fill the picture as it closes in. */
static void draw_follower(const view *v, uint32_t rgb, double z, double x) {
    if (z < 0.7) return;
    double hw = 0.9;
    rgbf body = {(float)((rgb >> 16) & 255), (float)((rgb >> 8) & 255), (float)(rgb & 255)};
    static const rgbf tyre = {20, 20, 22}, glass = {35, 45, 55}, plate = {225, 225, 215},
                      grille = {25, 25, 28}, lamp = {255, 250, 225};
    fill_rect(&v->c, screen_x(v, x - hw + 0.1, z), screen_y(v, 0.35, z),
              screen_x(v, x - hw + 0.45, z), screen_y(v, 0, z), shade(v->pal, tyre, z));
    fill_rect(&v->c, screen_x(v, x + hw - 0.45, z), screen_y(v, 0.35, z),
              screen_x(v, x + hw - 0.1, z), screen_y(v, 0, z), shade(v->pal, tyre, z));
    fill_rect(&v->c, screen_x(v, x - hw, z), screen_y(v, 1.5, z), screen_x(v, x + hw, z),
              screen_y(v, 0.25, z), shade(v->pal, body, z));
    fill_rect(&v->c, screen_x(v, x - hw + 0.15, z), screen_y(v, 1.45, z),
              screen_x(v, x + hw - 0.15, z), screen_y(v, 1.0, z), shade(v->pal, glass, z));
    fill_rect(&v->c, screen_x(v, x - 0.45, z), screen_y(v, 0.62, z), screen_x(v, x + 0.45, z),
              screen_y(v, 0.42, z), shade(v->pal, grille, z));
    fill_rect(&v->c, screen_x(v, x - 0.26, z), screen_y(v, 0.4, z), screen_x(v, x + 0.26, z),
              screen_y(v, 0.28, z), shade(v->pal, plate, z));
    /* headlights emit: no fall-off, only haze */
    rgbf lit = mix(lamp, v->pal->haze, (float)(1.0 - exp(-z / v->pal->haze_dist)));
    fill_rect(&v->c, screen_x(v, x - hw + 0.05, z), screen_y(v, 0.8, z),
              screen_x(v, x - hw + 0.45, z), screen_y(v, 0.64, z), lit);
    fill_rect(&v->c, screen_x(v, x + hw - 0.45, z), screen_y(v, 0.8, z),
              screen_x(v, x + hw - 0.05, z), screen_y(v, 0.64, z), lit);
}

/* The road behind, for the rear camera and the side repeaters. The view is mirrored as rear
 * cameras show it (a world point on the left stays on the left: the same screen_x as ahead).
 * The ground scrolls away from the camera: the road's patterns are drawn at BEHIND_ORIGIN -
 * distance, a common multiple of their periods (2, 9, 11, 25 and 37 m), so they stay put on
 * the road while the car drives off. Shakes: the car's own plus what only the rear feels. */
#define BEHIND_ORIGIN 1831500.0
#define REAR_FOCAL 0.45   /* a wider lens than the front one */
#define REAR_HORIZON 0.42 /* fraction of the image height */
#define REAR_BODY_ROW 0.93

static void render_behind(sd_scene *sc, double t, uint8_t *rgb, int stride) {
    const sd_script *s = &sc->script;
    look_palette pal = palette_for(sc->look);
    if (pal.headlights) {
        /* at night nothing lights the road behind but the tail lights: a dim, reddish
         * ground, against which the follower's headlights stand out */
        rgbf *lit[] = {&pal.grass_a, &pal.grass_b, &pal.asphalt, &pal.line, &pal.skyline};
        for (size_t i = 0; i < sizeof lit / sizeof lit[0]; i++)
            *lit[i] = (rgbf){lit[i]->r * 0.4f, lit[i]->g * 0.25f, lit[i]->b * 0.25f};
    }
    int w = sc->p.width, h = sc->p.height;
    /* side repeaters: a camera on the flank, the road off to one side of the picture */
    double side = sc->p.camera == SV_CAMERA_LEFT ? -1 : sc->p.camera == SV_CAMERA_RIGHT ? 1 : 0;
    double sx = sd_track_at(s, s->shake_x, t) + sd_track_at(s, s->rear_shake_x, t);
    double sy = sd_track_at(s, s->shake_y, t) + sd_track_at(s, s->rear_shake_y, t);
    view v = {.c = {rgb, stride, w, h},
              .pal = &pal,
              .rig = &sc->rig,
              .f = REAR_FOCAL * w,
              .cx = w / 2.0 - side * 0.3 * w + sx * w,
              .yh = REAR_HORIZON * h + sy * h,
              .ego_x = sd_track_at(s, s->ego_x, t) + side * 1.0,
              .tunnel = sd_track_at(s, s->tunnel, t)};
    double behind = BEHIND_ORIGIN - sd_track_at(s, s->dist, t);
    int body_y = (int)(REAR_BODY_ROW * h);
    int sky_end = (int)ceil(v.yh);
    draw_sky(&v, sc, sky_end < body_y ? sky_end : body_y);
    draw_ground(&v, sc, behind, 0, body_y);
    draw_roadside(&v, sc, behind);
    double follow = sd_track_at(s, s->follow_gap, t);
    if (follow > 0) draw_follower(&v, sc->other_rgb, follow, sd_track_at(s, s->follow_x, t));
    if (sc->look == SD_LOOK_RAIN) draw_rain(&v.c, sc, t);
    draw_overlay(&v.c, sc, t, sd_track_at(s, s->speed, t), REAR_BODY_ROW);
}

void sd_render_frame(sd_scene *sc, double t, uint8_t *rgb, int stride) {
    const sd_script *s = &sc->script;
    if (t >= sc->blackout_from && t < sc->blackout_to) {
        for (int y = 0; y < sc->p.height; y++)
            memset(rgb + (size_t)y * (size_t)stride, 0, 3 * (size_t)sc->p.width);
        return;
    }
    if (sc->p.camera == SV_CAMERA_INTERIOR) {
        sd_render_cabin(sc, t, rgb, stride);
        return;
    }
    if (sc->p.camera != SV_CAMERA_FRONT) {
        render_behind(sc, t, rgb, stride);
        return;
    }
    look_palette pal = palette_for(sc->look);
    const sd_rig *rig = &sc->rig;
    if (rig->tinted) {
        /* the asphalt only lighter or darker (grey stays grey), the rest in colour too */
        float grey = (rig->tint_ground[0] + rig->tint_ground[1] + rig->tint_ground[2]) / 3;
        pal.asphalt = scale(pal.asphalt, grey);
        rgbf *sky[] = {&pal.sky_top, &pal.sky_horizon, &pal.skyline, &pal.haze},
             *ground[] = {&pal.grass_a, &pal.grass_b};
        for (size_t i = 0; i < sizeof sky / sizeof sky[0]; i++)
            *sky[i] = (rgbf){sky[i]->r * rig->tint_sky[0], sky[i]->g * rig->tint_sky[1],
                             sky[i]->b * rig->tint_sky[2]};
        for (size_t i = 0; i < sizeof ground / sizeof ground[0]; i++)
            *ground[i] =
                (rgbf){ground[i]->r * rig->tint_ground[0], ground[i]->g * rig->tint_ground[1],
                       ground[i]->b * rig->tint_ground[2]};
    }
    int w = sc->p.width, h = sc->p.height;
    view v = {.c = {rgb, stride, w, h},
              .pal = &pal,
              .rig = rig,
              .f = rig->focal * w,
              .cx = w / 2.0 + sd_track_at(s, s->shake_x, t) * w,
              .yh = rig->horizon_row * h + sd_track_at(s, s->shake_y, t) * h,
              .ego_x = sd_track_at(s, s->ego_x, t) + rig->ego_offset,
              .tunnel = sd_track_at(s, s->tunnel, t)};
    double dist = sd_track_at(s, s->dist, t);
    int hood_y = (int)(rig->hood_row * h);
    int sky_end = (int)ceil(v.yh);
    draw_sky(&v, sc, sky_end < hood_y ? sky_end : hood_y);
    draw_ground(&v, sc, dist, sd_track_at(s, s->bump_z, t), hood_y);
    draw_roadside(&v, sc, dist);
    double gap = sd_track_at(s, s->gap, t);
    /* a lead vehicle appearing or vanishing is a step in the track: no interpolation across */
    int i = (int)(t * SD_SCRIPT_HZ);
    if (i >= 0 && i + 1 < s->n && (s->gap[i] <= 0 || s->gap[i + 1] <= 0)) gap = s->gap[i];
    double other = sd_track_at(s, s->other_gap, t);
    if (i >= 0 && i + 1 < s->n && (s->other_gap[i] <= 0 || s->other_gap[i + 1] <= 0))
        other = s->other_gap[i];
    double lead_x = sd_track_at(s, s->lead_x, t), other_x = sd_track_at(s, s->other_x, t);
    double brake = sd_track_at(s, s->brake, t);
    /* the farther vehicle first, so the nearer one covers it */
    double yaw_a = sd_track_at(s, s->lead_yaw, t), yaw_b = sd_track_at(s, s->other_yaw, t);
    if (other > gap) draw_vehicle(&v, sc->other_rgb, other, other_x, brake, yaw_b);
    draw_vehicle(&v, sc->lead_rgb, gap, lead_x, brake, yaw_a);
    if (other > 0 && other <= gap) draw_vehicle(&v, sc->other_rgb, other, other_x, brake, yaw_b);
    draw_debris(&v, sc, t, gap, lead_x, other_x);
    if (sc->look == SD_LOOK_RAIN) draw_rain(&v.c, sc, t);
    draw_overlay(&v.c, sc, t, sd_track_at(s, s->speed, t), rig->hood_row);
}
