/* The dashcam scenes' classes and the registry that synth-video picks up.
 *
 * Scenes: collision, near-miss, hard-brake, crash-ahead (incidents) and normal, bump, horn,
 * music, tunnel (ordinary driving and distractors). The look (day, night, rain) comes from the environment
 * variable SV_LOOK=day|night|rain when set, otherwise from the seed.
 *
 * Label sidecar: {"type", "severity", "incident_sec" (null without an incident), "event_sec"
 * (the distractor's time: bump, horn, tunnel entry; null otherwise), "look"}.
 * The incident time is --incident-at when given; distractor scenes use it for their event.
 * SV_BLACKOUT=FROM-TO (seconds) renders black frames in [FROM, TO): a camera dropout.
 * SV_VARY=1 gives each seed its own camera rig, road and overlay (sd_rig): where the camera
 * sits and looks, its lens, how much hood it sees, the road's width, the roadside's spacing,
 * where the clock is burned in (or not), the colours; without it every drive has the same
 * rig (the test videos' outputs are unchanged). */
#include "scene_dashcam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef bool (*sd_builder)(sd_scene *sc);

static const char *const look_names[] = {"day", "night", "rain"};

static sd_look pick_look(uint64_t seed) {
    const char *env = getenv("SV_LOOK");
    if (env) {
        for (int i = 0; i < 3; i++)
            if (strcmp(env, look_names[i]) == 0) return (sd_look)i;
    }
    return (sd_look)(sd_hash64(seed ^ 0x4C4F4F4BULL) % 3);
}

static void sd_rig_default(sd_rig *r) {
    *r = (sd_rig){.cam_height = 1.3,
                  .horizon_row = 0.45,
                  .focal = 0.6,
                  .hood_row = 0.9,
                  .road_half = 5.25,
                  .ego_offset = 0,
                  .post_every = 25,
                  .tree_every = 37,
                  .tree_x = 11,
                  .stamp = 0,
                  .tinted = false};
}

/* A rig of its own from the seed (its own stream: the script's draws are unchanged). */
static void sd_rig_vary(sd_rig *r, uint64_t seed) {
    uint64_t rng = sd_hash64(seed ^ 0x52494721ULL);
    r->cam_height = sd_uniform(&rng, 1.1, 1.9); /* a car to a van */
    r->horizon_row = sd_uniform(&rng, 0.33, 0.55);
    r->focal = sd_uniform(&rng, 0.42, 0.85); /* wide to narrow lenses */
    r->hood_row = sd_unit(&rng) < 0.3 ? 1.0 : sd_uniform(&rng, 0.8, 0.95);
    r->road_half = 1.75 * (double)(2 + sd_hash64(rng ^ 7) % 3); /* 2 to 4 lanes */
    r->ego_offset = sd_uniform(&rng, -0.6, 0.6);
    r->post_every = sd_uniform(&rng, 15, 50);
    r->tree_every = sd_uniform(&rng, 12, 60);
    r->tree_x = sd_uniform(&rng, 8, 20);
    r->stamp = (int)(sd_hash64(rng ^ 11) % 3);
    r->tinted = true;
    for (int c = 0; c < 3; c++) {
        r->tint_sky[c] = (float)sd_uniform(&rng, 0.65, 1.3);
        r->tint_ground[c] = (float)sd_uniform(&rng, 0.65, 1.3);
    }
}

static sv_scene *sd_create(const sv_scene_params *p, sd_builder build) {
    if (p->width < 16 || p->height < 16 || p->duration_sec <= 0) return NULL;
    sd_scene *sc = calloc(1, sizeof *sc);
    if (!sc) return NULL;
    sc->p = *p;
    sc->seed = p->seed;
    sc->look = pick_look(p->seed);
    sd_rig_default(&sc->rig);
    const char *vary = getenv("SV_VARY");
    if (vary && strcmp(vary, "0") != 0) sd_rig_vary(&sc->rig, p->seed);
    uint64_t rng = sd_hash64(p->seed ^ 0x5343454EULL);
    static const uint32_t bodies[] = {0xB0B4BA, 0x2A4A8A, 0x8A1E1E, 0xE8E8E4, 0x30343A, 0x6A7A5A};
    sc->lead_rgb = bodies[sd_hash64(rng) % 6];
    sc->other_rgb = bodies[(sd_hash64(rng) % 6 + 1 + sd_hash64(rng ^ 1) % 5) % 6];
    sc->debris_sec = -1;
    sc->clock_start = (uint32_t)(sd_uniform(&rng, 6, 22) * 3600);
    sc->audio_next = -1;
    sc->blackout_from = sc->blackout_to = -1;
    const char *black = getenv("SV_BLACKOUT");
    if (black && sscanf(black, "%lf-%lf", &sc->blackout_from, &sc->blackout_to) != 2)
        sc->blackout_from = sc->blackout_to = -1;
    /* skyline: a random walk of hills and blocks, in thousandths of the image height */
    sc->skyline_len = p->width * 2;
    sc->skyline = malloc((size_t)sc->skyline_len * sizeof(int));
    if (!sc->skyline || !sd_script_alloc(&sc->script, p->duration_sec)) {
        free(sc->skyline);
        free(sc);
        return NULL;
    }
    double hgt = 40;
    for (int x = 0; x < sc->skyline_len; x++) {
        if (x % (p->width / 40 + 1) == 0) hgt += sd_uniform(&rng, -12, 12);
        hgt = hgt < 10 ? 10 : hgt > 90 ? 90 : hgt;
        sc->skyline[x] = (int)hgt;
    }
    if (!build(sc)) {
        sd_script_free(&sc->script);
        free(sc->skyline);
        free(sc);
        return NULL;
    }
    sd_add_follower(sc);
    return (sv_scene *)sc;
}

static void sd_destroy(sv_scene *s) {
    sd_scene *sc = (sd_scene *)s;
    if (!sc) return;
    sd_script_free(&sc->script);
    free(sc->skyline);
    free(sc);
}

static void sd_frame(sv_scene *s, double t, uint8_t *rgb, int stride) {
    sd_render_frame((sd_scene *)s, t, rgb, stride);
}

static void sd_audio(sv_scene *s, double t0, float *out, int n) {
    sd_render_audio((sd_scene *)s, t0, out, n);
}

static bool in_file(double t, double t0, double duration) {
    return t >= 0 && t >= t0 - 1e-9 && t < t0 + duration;
}

/* A time of the scene's clock within the file [t0, t0 + duration), or null. */
static void time_in_file(double t, double t0, double duration, char *buf, size_t size) {
    if (in_file(t, t0, duration)) snprintf(buf, size, "%.3f", t - t0);
    else snprintf(buf, size, "null");
}

/* A file of a series that the incident is not in shows ordinary driving: its label says so
 * ("normal", "NONE"), and names what happened elsewhere in the recording. */
static void sd_label(sv_scene *s, double t0, double duration, char *buf, size_t size) {
    const sd_scene *sc = (const sd_scene *)s;
    char inc[32], ev[32];
    time_in_file(sc->incident_sec, t0, duration, inc, sizeof inc);
    time_in_file(sc->event_sec, t0, duration, ev, sizeof ev);
    bool elsewhere = sc->incident_sec >= 0 && !in_file(sc->incident_sec, t0, duration);
    char extra[128] = "";
    size_t n = 0;
    if (sc->scenario)
        n += (size_t)snprintf(extra, sizeof extra, ", \"scenario\": \"%s\"", sc->scenario);
    if (elsewhere && n < sizeof extra)
        snprintf(extra + n, sizeof extra - n, ", \"incident_elsewhere\": \"%s\"", sc->type);
    snprintf(buf, size,
             "{\"type\": \"%s\", \"severity\": \"%s\", \"incident_sec\": %s, \"event_sec\": %s, "
             "\"look\": \"%s\"%s}",
             elsewhere ? "normal" : sc->type, elsewhere ? "NONE" : sc->severity, inc, ev,
             look_names[sc->look], extra);
}

static void sd_truth(const sv_scene *s, sv_scene_truth *out) {
    const sd_scene *sc = (const sd_scene *)s;
    out->incident_sec = sc->incident_sec;
    out->seen_by = sc->seen_by;
}

#define SD_CLASS(ident, scene_name, summary_text, builder)                                         \
    static sv_scene *create_##ident(const sv_scene_params *p) { return sd_create(p, builder); }    \
    static const sv_scene_class ident = {scene_name, summary_text, create_##ident, sd_frame,       \
                                         sd_audio,   sd_label,     sd_destroy,     sd_truth};

SD_CLASS(sd_collision, "collision",
         "dashcam: lead vehicle brakes, looms, impact jolt + shake + crash sound",
         sd_build_collision)
SD_CLASS(sd_near_miss, "near-miss",
         "dashcam: lead vehicle looms, ego brakes and swerves with horn or squeal, no impact",
         sd_build_near_miss)
SD_CLASS(sd_hard_brake, "hard-brake", "dashcam: hard braking with squeal and nose dive, no impact",
         sd_build_hard_brake)
SD_CLASS(sd_crash_ahead, "crash-ahead",
         "dashcam: two other vehicles collide ahead, debris; ego brakes, no ego contact",
         sd_build_crash_ahead)
SD_CLASS(sd_rear_end, "rear-end",
         "dashcam: standing in traffic, hit from behind (the rear camera sees it; front: a "
         "mild jolt)",
         sd_build_rear_end)
SD_CLASS(sd_normal, "normal", "dashcam: ordinary driving (traffic slow-downs, lane changes)",
         sd_build_normal)
SD_CLASS(sd_bump, "bump", "dashcam distractor: speed bump (shake and thud, no looming)",
         sd_build_bump)
SD_CLASS(sd_horn, "horn", "dashcam distractor: someone else's horn, nothing happens", sd_build_horn)
SD_CLASS(sd_music, "music", "dashcam distractor: loud music (drums, melody) all the way",
         sd_build_music)
SD_CLASS(sd_tunnel, "tunnel", "dashcam distractor: entering and leaving a tunnel (light change)",
         sd_build_tunnel)

const sv_scene_class *const sv_dashcam_scenes[] = {
    &sd_collision, &sd_near_miss, &sd_hard_brake,  &sd_normal,   &sd_bump, &sd_horn,
    &sd_music,     &sd_tunnel,    &sd_crash_ahead, &sd_rear_end, NULL};
