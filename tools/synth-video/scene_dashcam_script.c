/* Script storage, deterministic randomness and track helpers for the dashcam scenes. */
#include "scene_dashcam_internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t sd_hash64(uint64_t x) {
    /* splitmix64 finaliser: a cheap, well-mixed counter-based generator */
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

double sd_unit(uint64_t *state) {
    *state = sd_hash64(*state);
    return (double)(*state >> 11) * (1.0 / 9007199254740992.0);
}

double sd_uniform(uint64_t *state, double lo, double hi) { return lo + (hi - lo) * sd_unit(state); }

float sd_noise_at(uint64_t stream, int64_t index) {
    uint64_t h = sd_hash64(stream * 0x100000001B3ULL ^ (uint64_t)index);
    return (float)((double)(h >> 40) * (2.0 / 16777216.0) - 1.0);
}

bool sd_script_alloc(sd_script *s, double duration_sec) {
    memset(s, 0, sizeof *s);
    s->n = (int)(duration_sec * SD_SCRIPT_HZ) + 2;
    float **tracks[] = {&s->speed,        &s->dist,        &s->gap,        &s->lead_x,
                        &s->ego_x,        &s->brake,       &s->shake_x,    &s->shake_y,
                        &s->tunnel,       &s->bump_z,      &s->other_gap,  &s->other_x,
                        &s->lead_yaw,     &s->other_yaw,   &s->follow_gap, &s->follow_x,
                        &s->rear_shake_x, &s->rear_shake_y};
    for (size_t i = 0; i < sizeof tracks / sizeof tracks[0]; i++) {
        *tracks[i] = calloc((size_t)s->n, sizeof(float));
        if (!*tracks[i]) {
            sd_script_free(s);
            return false;
        }
    }
    return true;
}

void sd_script_free(sd_script *s) {
    free(s->speed);
    free(s->dist);
    free(s->gap);
    free(s->lead_x);
    free(s->ego_x);
    free(s->brake);
    free(s->shake_x);
    free(s->shake_y);
    free(s->tunnel);
    free(s->bump_z);
    free(s->other_gap);
    free(s->other_x);
    free(s->lead_yaw);
    free(s->other_yaw);
    free(s->follow_gap);
    free(s->follow_x);
    free(s->rear_shake_x);
    free(s->rear_shake_y);
    free(s->sounds);
    memset(s, 0, sizeof *s);
}

bool sd_script_add_sound(sd_script *s, sd_sound snd) {
    if (s->sound_count == s->sound_cap) {
        int cap = s->sound_cap ? 2 * s->sound_cap : 16;
        sd_sound *grown = realloc(s->sounds, (size_t)cap * sizeof *grown);
        if (!grown) return false;
        s->sounds = grown;
        s->sound_cap = cap;
    }
    snd.id = sd_hash64((uint64_t)s->sound_count * 7919u + 17u);
    s->sounds[s->sound_count++] = snd;
    return true;
}

void sd_script_integrate(sd_script *s) {
    double d = 0;
    for (int i = 0; i < s->n; i++) {
        s->dist[i] = (float)d;
        d += s->speed[i] / (double)SD_SCRIPT_HZ;
    }
}

float sd_track_at(const sd_script *s, const float *track, double t) {
    double x = t * SD_SCRIPT_HZ;
    if (x <= 0) return track[0];
    int i = (int)x;
    if (i >= s->n - 1) return track[s->n - 1];
    float f = (float)(x - i);
    return track[i] + f * (track[i + 1] - track[i]);
}
