/* Dashcam scenes for synth-video: shared pieces.
 *
 * Every dashcam scene is one "script" (what the ego car, the lead vehicle and the camera do,
 * sampled at 100 Hz, plus a list of sound events) rendered by one renderer and one audio
 * synthesiser. The scenes differ only in how they write the script (scene_dashcam_scripts.c).
 * Everything is a pure function of (seed, duration, incident time), so a scene renders the same
 * frame for the same t no matter in which order frames are asked for. */
#ifndef SCENE_DASHCAM_INTERNAL_H
#define SCENE_DASHCAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scene.h"

#define SD_SCRIPT_HZ 100 /* script sampling rate */

typedef enum { SD_LOOK_DAY = 0, SD_LOOK_NIGHT, SD_LOOK_RAIN } sd_look;

typedef enum {
    SD_SOUND_CRASH = 0, /* broadband transient + metallic ring + glass */
    SD_SOUND_SQUEAL,    /* tyre squeal: tonal 2-3.5 kHz with slight vibrato */
    SD_SOUND_HORN,      /* harmonic, stable pitch ~350-500 Hz */
    SD_SOUND_THUMP,     /* speed bump: low thud */
    SD_SOUND_MUSIC,     /* car radio: chords + drums */
} sd_sound_kind;

typedef struct {
    sd_sound_kind kind;
    double t_start, duration;
    double amp;  /* peak amplitude (before the final soft clip) */
    double f0;   /* base frequency where it applies */
    uint64_t id; /* noise stream id */
} sd_sound;

/* What happens, sampled at SD_SCRIPT_HZ. Index i covers t = i / SD_SCRIPT_HZ. */
typedef struct {
    int n;
    float *speed;     /* ego speed, m/s */
    float *dist;      /* ego distance travelled, m (integral of speed) */
    float *gap;       /* camera to lead vehicle's rear, m; <= 0: no lead vehicle */
    float *lead_x;    /* lead vehicle lateral centre, m (0 = ego lane) */
    float *ego_x;     /* ego lateral offset, m */
    float *brake;     /* lead brake lights 0..1 */
    float *shake_x;   /* camera shake as a fraction of the image width */
    float *shake_y;   /* camera shake / pitch as a fraction of the image height */
    float *tunnel;    /* 0 outside, 1 inside a tunnel */
    float *bump_z;    /* distance to a painted speed bump ahead, m; <= 0: none */
    float *other_gap; /* camera to a second vehicle's rear, m; <= 0: none (crash-ahead) */
    float *other_x;   /* its lateral centre, m */
    float *lead_yaw;  /* how far the lead vehicle has spun, radians (0: its rear to us) */
    float *other_yaw; /* the same for the second vehicle */
    /* Behind the car, for the rear camera: */
    float *follow_gap;   /* rear camera to the following vehicle's front, m; <= 0: none */
    float *follow_x;     /* its lateral centre, m */
    float *rear_shake_x; /* shake only the rear camera feels (a hit from behind), added to */
    float *rear_shake_y; /* shake_x / shake_y */
    sd_sound *sounds;
    int sound_count, sound_cap;
} sd_script;

/* The camera rig and the road's furniture: what one dashcam on one car on one road has of its
 * own. Without SV_VARY every scene has the defaults (sd_rig_default), which the test videos
 * were made with; SV_VARY=1 draws each from the seed (sd_rig_vary), so drives of one scene
 * and look differ in framing, road and overlay as drives of different cars do. */
typedef struct {
    double cam_height;  /* m above the road (1.3) */
    double horizon_row; /* fraction of the image height (0.45) */
    double focal;       /* fraction of the image width (0.6) */
    double hood_row;    /* the hood covers the rows below this fraction (0.9; 1: none) */
    double road_half;   /* half the road's width, m (5.25: three lanes) */
    double ego_offset;  /* the car's lateral offset in its lane, m (0) */
    double post_every, tree_every, tree_x; /* m (25, 37, 11) */
    int stamp;   /* burned-in speed and clock: 0 bottom corners, 1 top corners, 2 none */
    bool tinted; /* the palette scaled by tint (sky, ground) */
    float tint_sky[3], tint_ground[3];
} sd_rig;

typedef struct {
    sv_scene_params p;
    sd_look look;
    sd_rig rig;
    const char *type;     /* label type */
    const char *severity; /* label severity */
    const char *scenario; /* label "scenario" (claim.h's dc_scenario name); NULL: none */
    sv_camera seen_by;    /* the camera that shows the incident */
    double incident_sec;  /* < 0: none */
    double event_sec;     /* distractor time (bump, horn, tunnel); < 0: none */
    uint64_t seed;
    uint32_t lead_rgb, clock_start; /* body colour; clock seconds since midnight */
    sd_script script;
    /* audio state carried between consecutive render_audio calls */
    int64_t audio_next;
    double lp_road, lp_wind;
    double blackout_from, blackout_to; /* SV_BLACKOUT: black frames in [from, to) */
    uint32_t other_rgb;                /* the second vehicle's body colour */
    double debris_sec; /* crash-ahead: debris flies from the hit at this time; < 0: none */
    /* per-frame scratch for the renderer */
    int *skyline;
    int skyline_len;
} sd_scene;

/* splitmix64-based deterministic randomness */
uint64_t sd_hash64(uint64_t x);
double sd_unit(uint64_t *state); /* [0, 1) */
double sd_uniform(uint64_t *state, double lo, double hi);
float sd_noise_at(uint64_t stream, int64_t index); /* [-1, 1], counter-based */

/* script.c */
bool sd_script_alloc(sd_script *s, double duration_sec);
void sd_script_free(sd_script *s);
bool sd_script_add_sound(sd_script *s, sd_sound snd);
/* Fills dist[] from speed[]. */
void sd_script_integrate(sd_script *s);
/* Linear interpolation of a script track at time t (clamped). */
float sd_track_at(const sd_script *s, const float *track, double t);

/* The scene builders (one per scene name). */
bool sd_build_collision(sd_scene *sc);
bool sd_build_near_miss(sd_scene *sc);
bool sd_build_hard_brake(sd_scene *sc);
bool sd_build_normal(sd_scene *sc);
bool sd_build_bump(sd_scene *sc);
bool sd_build_horn(sd_scene *sc);
bool sd_build_music(sd_scene *sc);
bool sd_build_tunnel(sd_scene *sc);
bool sd_build_crash_ahead(sd_scene *sc);
bool sd_build_rear_end(sd_scene *sc);
/* Traffic behind for the rear camera, where the builder left none (own randomness: the
 * front view of every scene stays as it was). */
void sd_add_follower(sd_scene *sc);

/* render: the road ahead or behind (scene_dashcam_render.c), the cabin
 * (scene_dashcam_cabin.c) */
void sd_render_frame(sd_scene *sc, double t, uint8_t *rgb, int stride);
void sd_render_cabin(sd_scene *sc, double t, uint8_t *rgb, int stride);
/* The camera's burned-in speed and clock. */
void sd_draw_stamp(uint8_t *rgb, int stride, int w, int h, const sd_scene *sc, double t,
                   double speed);
void sd_render_audio(sd_scene *sc, double t0, float *out, int n);
/* Draws text with the built-in 5x7 font; scale = pixel size of one font dot. */
void sd_draw_text(uint8_t *rgb, int stride, int w, int h, int x, int y, int scale, const char *text,
                  uint8_t r, uint8_t g, uint8_t b);
int sd_text_width(const char *text, int scale);

#endif
