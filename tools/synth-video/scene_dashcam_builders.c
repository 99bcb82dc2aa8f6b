/* What happens in each dashcam scene, written into the script at 100 Hz.
 *
 * Every scene starts from ordinary driving (sd_base_drive): speed that wanders, a lead vehicle
 * whose gap wanders, the lead now and then changing lanes and being replaced by a new one
 * approaching from far away, traffic slow-downs without squeal, and a faint road vibration.
 * Those ordinary events keep clear of the labelled moment (so the label stays the only
 * incident). The incident and distractor builders then overwrite the script around their time. */
#include "scene_dashcam_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586
#define CAMERA_TO_BUMPER 1.8 /* m from the camera to the ego front bumper */
#define LANE 3.5             /* m */

static double smoothstep(double u) {
    if (u <= 0) return 0;
    if (u >= 1) return 1;
    return u * u * (3 - 2 * u);
}

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

static int idx_of(const sd_script *s, double t) {
    int i = (int)lround(t * SD_SCRIPT_HZ);
    return i < 0 ? 0 : i >= s->n ? s->n - 1 : i;
}

static double t_of(int i) { return (double)i / SD_SCRIPT_HZ; }

/* The labelled time: the caller's, or a seeded one that leaves room before and after. */
static double pick_time(sd_scene *sc, uint64_t *rng) {
    double d = sc->p.duration_sec;
    if (sc->p.incident_sec >= 0) return clampd(sc->p.incident_sec, 0.5, d > 1 ? d - 0.5 : d);
    double lo = fmin(12.0, 0.3 * d), hi = d - 6.0;
    if (hi < lo) hi = lo;
    return sd_uniform(rng, lo, hi);
}

static bool in_quiet_zone(double t, double quiet_at, double before, double after) {
    return quiet_at >= 0 && t > quiet_at - before && t < quiet_at + after;
}

/* Ordinary driving everywhere; ordinary events stay out of [quiet_at - 45, quiet_at + 30]. */
static void sd_base_drive(sd_scene *sc, uint64_t *rng, double quiet_at) {
    sd_script *s = &sc->script;
    double v0 = sd_uniform(rng, 13.0, 24.0);
    double ph1 = sd_uniform(rng, 0, TWO_PI), ph2 = sd_uniform(rng, 0, TWO_PI);
    double ph3 = sd_uniform(rng, 0, TWO_PI), ph4 = sd_uniform(rng, 0, TWO_PI);
    double gmid = sd_uniform(rng, 20.0, 30.0);
    for (int i = 0; i < s->n; i++) {
        double t = t_of(i);
        s->speed[i] = (float)(v0 * (1 + 0.07 * sin(TWO_PI * t / 47 + ph1) +
                                    0.04 * sin(TWO_PI * t / 113 + ph2)));
        s->gap[i] = (float)(gmid + 9 * sin(TWO_PI * t / 71 + ph3) + 3 * sin(TWO_PI * t / 23 + ph4));
        /* road roughness: a faint vibration well below any jolt */
        s->shake_y[i] =
            (float)(0.0012 * sin(TWO_PI * 5.3 * t + ph1) + 0.0008 * sin(TWO_PI * 8.9 * t + ph2));
        s->shake_x[i] = (float)(0.0006 * sin(TWO_PI * 4.1 * t + ph3));
    }
    /* ordinary events: a traffic slow-down or a lead-vehicle swap every 1-3 minutes */
    double d = sc->p.duration_sec;
    /* (an integer loop counter: the same draws in the same order as stepping te itself) */
    double te = sd_uniform(rng, 20, 60);
    for (int k = 0;; k++) {
        if (k > 0) te += sd_uniform(rng, 60, 180);
        if (!(te < d)) break;
        if (in_quiet_zone(te, quiet_at, 45, 30)) continue;
        if (sd_unit(rng) < 0.5) {
            /* slow-down: -35 % over 4 s (about 1.5-2 m/s^2, no squeal), hold 3 s, recover 10 s */
            for (int i = idx_of(s, te); i < idx_of(s, te + 17); i++) {
                double u = t_of(i) - te;
                double f = u < 4 ? smoothstep(u / 4) : u < 7 ? 1 : 1 - smoothstep((u - 7) / 10);
                s->speed[i] *= (float)(1 - 0.35 * f);
                if (u < 4) s->brake[i] = 1;
            }
        } else {
            /* the lead changes to the left lane and pulls away; a new one appears far ahead */
            for (int i = idx_of(s, te); i < s->n; i++) {
                double u = t_of(i) - te;
                if (u < 10) {
                    s->lead_x[i] = (float)(-LANE * smoothstep(u / 3));
                    s->gap[i] += (float)(3 * u);
                } else if (u < 12) {
                    s->gap[i] = 0;
                } else {
                    double g = 80 - 2.5 * (u - 12);
                    if (g <= s->gap[i]) break;
                    s->gap[i] = (float)g;
                }
            }
        }
    }
}

/* Pitch of the camera under braking (nose dives: the scene moves up), from the speed track. */
static void add_pitch_from_braking(sd_script *s, int i0, int i1) {
    for (int i = i0 > 0 ? i0 : 1; i < i1 && i < s->n; i++) {
        double decel = (s->speed[i - 1] - s->speed[i]) * SD_SCRIPT_HZ;
        if (decel > 0) s->shake_y[i] -= (float)(0.0035 * fmin(decel, 9));
    }
}

/* A damped jolt: the camera rings at f Hz after a hit (into the given shake tracks). */
static void add_jolt_to(const sd_script *s, float *sx, float *sy, double t0, double ax, double ay,
                        double f, double tau) {
    for (int i = idx_of(s, t0); i < idx_of(s, t0 + 6 * tau); i++) {
        double u = t_of(i) - t0, e = exp(-u / tau);
        sx[i] += (float)(ax * e * sin(TWO_PI * f * u));
        sy[i] += (float)(ay * e * sin(TWO_PI * f * 1.3 * u + 1.0));
    }
}

static void add_jolt(sd_script *s, double t0, double ax, double ay, double f, double tau) {
    add_jolt_to(s, s->shake_x, s->shake_y, t0, ax, ay, f, tau);
}

/* Blend the lead gap from its ordinary value to `target` (camera distance) over [t0, t1]. */
static void blend_gap(sd_script *s, double t0, double t1, double target) {
    for (int i = idx_of(s, t0); i <= idx_of(s, t1); i++) {
        double w = smoothstep((t_of(i) - t0) / (t1 - t0));
        double g = s->gap[i] > 0 ? s->gap[i] : 80;
        s->gap[i] = (float)((1 - w) * g + w * target);
        s->lead_x[i] *= (float)(1 - w);
    }
}

/* After an incident the ego drives on: accelerate back to the ordinary speed at `accel`. */
static void resume_speed(sd_script *s, double t0, const float *ordinary, double accel) {
    double v_start = s->speed[idx_of(s, t0)];
    for (int i = idx_of(s, t0); i < s->n; i++)
        s->speed[i] = (float)fmin(v_start + accel * (t_of(i) - t0), ordinary[i]);
}

/* The ordinary speed, kept so that the ego can return to it after an incident. */
static float *copy_track(const sd_script *s, const float *track) {
    float *copy = malloc((size_t)s->n * sizeof(float));
    if (copy) memcpy(copy, track, (size_t)s->n * sizeof(float));
    return copy;
}

static void label(sd_scene *sc, const char *type, const char *sev, double incident, double ev) {
    sc->type = type;
    sc->severity = sev;
    sc->incident_sec = incident;
    sc->event_sec = ev;
}

static uint64_t rng_for(const sd_scene *sc, uint64_t salt) { return sd_hash64(sc->seed ^ salt); }

bool sd_build_normal(sd_scene *sc) {
    uint64_t rng = rng_for(sc, 0x4E4F524DULL);
    sd_base_drive(sc, &rng, -1);
    add_pitch_from_braking(&sc->script, 0, sc->script.n);
    sd_script_integrate(&sc->script);
    label(sc, "normal", "NONE", -1, -1);
    return true;
}

bool sd_build_collision(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x434F4C4CULL);
    double ti = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, ti);
    float *ordinary = copy_track(s, s->speed);
    if (!ordinary) return false;

    double g0 = sd_uniform(&rng, 6.0, 16.0);    /* bumper gap when the lead brakes */
    double tb_len = sd_uniform(&rng, 2.5, 4.0); /* lead braking to impact */
    double vc = 2 * g0 / tb_len;                /* closing speed at impact */
    double tb = ti - tb_len, react = tb + 0.9, decel = 5.0;
    double v0 = fmax(sd_track_at(s, ordinary, tb), vc + 1 + decel * (ti - react));
    double push = sd_uniform(&rng, 0.5, 1.5);
    double stop_for = sd_uniform(&rng, 20, 45);
    double a_rel = 2 * g0 / (tb_len * tb_len);

    blend_gap(s, tb - 10, tb, g0 + CAMERA_TO_BUMPER);
    /* speed: ease to v0 before, brake after reacting, stop within 0.6 s of the hit */
    double v_hit = v0 - decel * (ti - react);
    for (int i = idx_of(s, tb - 10); i < s->n; i++) {
        double t = t_of(i), v;
        if (t < tb) v = s->speed[i] + (v0 - s->speed[i]) * smoothstep((t - (tb - 10)) / 10);
        else if (t < react) v = v0;
        else if (t < ti) v = v0 - decel * (t - react);
        else if (t < ti + 0.6) v = v_hit * (1 - (t - ti) / 0.6);
        else v = 0;
        s->speed[i] = (float)v;
        if (t >= tb) {
            s->brake[i] = t < ti + stop_for ? 1 : 0;
            double gb =
                t < ti ? g0 - 0.5 * a_rel * (t - tb) * (t - tb) : push * fmin(1, (t - ti) / 0.6);
            s->gap[i] = (float)(gb + CAMERA_TO_BUMPER);
            s->lead_x[i] = 0;
        }
    }
    add_pitch_from_braking(s, idx_of(s, tb - 10), idx_of(s, ti));
    double a = vc > 8 ? sd_uniform(&rng, 0.035, 0.05) : sd_uniform(&rng, 0.02, 0.032);
    add_jolt(s, ti, a, a * 1.2, sd_uniform(&rng, 5.5, 8.5), sd_uniform(&rng, 0.3, 0.5));
    for (int i = idx_of(s, ti); i < idx_of(s, ti + 0.25); i++)
        s->shake_y[i] -= (float)(0.03 * exp(-(t_of(i) - ti) / 0.08)); /* the hit itself */

    /* after standing, the lead pulls onto the shoulder and the ego drives past */
    double t_resume = ti + stop_for;
    for (int i = idx_of(s, t_resume - 4); i < idx_of(s, t_resume); i++)
        s->lead_x[i] = (float)(1.5 * LANE * smoothstep((t_of(i) - (t_resume - 4)) / 4));
    resume_speed(s, t_resume, ordinary, 1.5);
    free(ordinary);
    sd_script_integrate(s);
    double gap_stop = push + CAMERA_TO_BUMPER, d_resume = sd_track_at(s, s->dist, t_resume);
    for (int i = idx_of(s, t_resume); i < s->n; i++) {
        double g = gap_stop + 1.2 * LANE - (s->dist[i] - d_resume);
        /* gap 80 m: a new vehicle far ahead once the parked one is passed */
        s->gap[i] = g > 1 ? (float)g : t_of(i) > t_resume + 25 ? s->gap[i] : 0;
        if (g > 1) s->lead_x[i] = (float)(1.5 * LANE);
        else s->lead_x[i] = 0;
        s->brake[i] = 0;
    }

    sd_script_add_sound(s, (sd_sound){SD_SOUND_CRASH, ti, 1.6, sd_uniform(&rng, 0.7, 0.95), 0, 0});
    if (sd_unit(&rng) < 0.7)
        sd_script_add_sound(s, (sd_sound){SD_SOUND_SQUEAL, react, ti - react,
                                          sd_uniform(&rng, 0.2, 0.35), sd_uniform(&rng, 2200, 3400),
                                          0});
    if (sd_unit(&rng) < 0.3)
        sd_script_add_sound(s, (sd_sound){SD_SOUND_HORN, ti - 0.9, 0.6, sd_uniform(&rng, 0.3, 0.5),
                                          sd_uniform(&rng, 380, 480), 0});
    label(sc, "collision", "HIGH", ti, -1); /* physical contact: HIGH (claim.h) */
    return true;
}

bool sd_build_near_miss(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x4E4D4953ULL);
    double ti = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, ti);
    float *ordinary = copy_track(s, s->speed);
    if (!ordinary) return false;

    double g0 = sd_uniform(&rng, 10, 20), gmin = sd_uniform(&rng, 0.8, 3.0);
    double tb_len = sd_uniform(&rng, 2.5, 3.5), tb = ti - tb_len, react = tb + 0.7;
    double v0 = sd_track_at(s, ordinary, tb), decel = 6.0;
    double v_min = fmax(3.0, v0 - decel * (ti - 0.2 - react));
    blend_gap(s, tb - 10, tb, g0 + CAMERA_TO_BUMPER);
    for (int i = idx_of(s, tb); i < s->n; i++) {
        double t = t_of(i), u = (t - tb) / tb_len;
        if (t < react) s->speed[i] = (float)v0;
        else if (t < ti - 0.2) s->speed[i] = (float)fmax(v_min, v0 - decel * (t - react));
        else s->speed[i] = (float)v_min;
        s->brake[i] = t < ti + 2 ? 1 : 0;
        if (t < ti) {
            s->gap[i] = (float)(gmin + (g0 - gmin) * (1 - smoothstep(u)) + CAMERA_TO_BUMPER);
        } else {
            double g = gmin + CAMERA_TO_BUMPER - 0.5 * 3.0 * (t - ti) * (t - ti);
            s->gap[i] = g > 1 ? (float)g : t > ti + 15 ? s->gap[i] : 0;
        }
        s->lead_x[i] = 0;
        /* evade to the right lane, come back once clear */
        s->ego_x[i] =
            (float)(LANE * (smoothstep((t - (ti - 0.6)) / 1.8) - smoothstep((t - (ti + 6)) / 3)));
    }
    add_pitch_from_braking(s, idx_of(s, tb - 10), idx_of(s, ti + 1));
    resume_speed(s, ti + 0.5, ordinary, 1.5);
    free(ordinary);
    sd_script_integrate(s);

    bool horn = sd_unit(&rng) < 0.65;
    bool squeal = !horn || sd_unit(&rng) < 0.5;
    if (horn)
        sd_script_add_sound(s,
                            (sd_sound){SD_SOUND_HORN, ti - 0.4, sd_uniform(&rng, 0.6, 1.2),
                                       sd_uniform(&rng, 0.3, 0.5), sd_uniform(&rng, 380, 480), 0});
    if (squeal)
        sd_script_add_sound(s, (sd_sound){SD_SOUND_SQUEAL, react, ti - 0.2 - react,
                                          sd_uniform(&rng, 0.2, 0.35), sd_uniform(&rng, 2200, 3400),
                                          0});
    label(sc, "near-miss", "MEDIUM", ti, -1); /* danger, no contact: MEDIUM */
    return true;
}

bool sd_build_hard_brake(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x4842524BULL);
    double ti = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, ti);
    float *ordinary = copy_track(s, s->speed);
    if (!ordinary) return false;

    double v0 = sd_track_at(s, ordinary, ti), decel = sd_uniform(&rng, 7.0, 8.5);
    double v_end = sd_unit(&rng) < 0.5 ? 0 : sd_uniform(&rng, 0.15, 0.35) * v0;
    double t_end = ti + (v0 - v_end) / decel, hold = v_end > 0 ? 0.5 : sd_uniform(&rng, 2, 5);
    double g0 = sd_uniform(&rng, 18, 30);
    blend_gap(s, ti - 10, ti, g0);
    for (int i = idx_of(s, ti); i < idx_of(s, t_end + hold); i++) {
        double t = t_of(i);
        s->speed[i] = (float)fmax(v_end, v0 - decel * (t - ti));
        s->brake[i] = 1;
        s->gap[i] = (float)(g0 - 0.5 * g0 * smoothstep((t - ti) / (t_end - ti)));
        s->lead_x[i] = 0;
    }
    /* the lead keeps its reduced gap and drives off with the ego */
    for (int i = idx_of(s, t_end + hold); i < s->n; i++) {
        double w = smoothstep((t_of(i) - (t_end + hold)) / 20);
        s->gap[i] = (float)((1 - w) * 0.5 * g0 + w * s->gap[i]);
        s->lead_x[i] *= (float)w;
    }
    add_pitch_from_braking(s, idx_of(s, ti - 1), idx_of(s, t_end + 1));
    resume_speed(s, t_end + hold, ordinary, 2.0);
    free(ordinary);
    sd_script_integrate(s);
    if (sd_unit(&rng) < 0.85)
        sd_script_add_sound(s, (sd_sound){SD_SOUND_SQUEAL, ti + 0.1, t_end - ti - 0.1,
                                          sd_uniform(&rng, 0.2, 0.35), sd_uniform(&rng, 2200, 3400),
                                          0});
    label(sc, "hard-brake", "MEDIUM", ti, -1);
    return true;
}

bool sd_build_bump(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x42554D50ULL);
    double te = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, te);
    float *ordinary = copy_track(s, s->speed);
    if (!ordinary) return false;
    /* slow to ~30 km/h over 5 s before the bump (no squeal), cross it, speed up again */
    double v0 = sd_track_at(s, ordinary, te - 5), vb = sd_uniform(&rng, 6.5, 9.0);
    for (int i = idx_of(s, te - 5); i < idx_of(s, te + 1); i++)
        s->speed[i] = (float)(v0 + (vb - v0) * smoothstep((t_of(i) - (te - 5)) / 4));
    add_pitch_from_braking(s, idx_of(s, te - 6), idx_of(s, te));
    resume_speed(s, te + 1, ordinary, 1.5);
    free(ordinary);
    sd_script_integrate(s);
    double wheelbase_t = 2.7 / vb, amp = sd_uniform(&rng, 0.02, 0.035);
    double f = sd_uniform(&rng, 3, 5);
    add_jolt(s, te, amp * 0.15, amp, f, 0.18);
    add_jolt(s, te + wheelbase_t, amp * 0.1, amp * 0.8, f, 0.18);
    double d_bump = sd_track_at(s, s->dist, te) + CAMERA_TO_BUMPER;
    for (int i = idx_of(s, te - 12); i < idx_of(s, te + 0.5); i++) {
        double z = d_bump - s->dist[i];
        s->bump_z[i] = z > 0.3 ? (float)z : 0;
    }
    double a = sd_uniform(&rng, 0.25, 0.45);
    sd_script_add_sound(s, (sd_sound){SD_SOUND_THUMP, te, 0.6, a, sd_uniform(&rng, 45, 70), 0});
    sd_script_add_sound(s, (sd_sound){SD_SOUND_THUMP, te + wheelbase_t, 0.6, 0.8 * a, 55, 0});
    label(sc, "bump", "NONE", -1, te);
    return true;
}

bool sd_build_horn(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x484F524EULL);
    double te = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, te);
    add_pitch_from_braking(s, 0, s->n);
    sd_script_integrate(s);
    /* someone else honks: one to three beeps, nothing happens to us */
    int beeps = 1 + (int)(sd_unit(&rng) * 3);
    double f0 = sd_uniform(&rng, 350, 520), a = sd_uniform(&rng, 0.12, 0.3), t = te;
    for (int b = 0; b < beeps; b++) {
        double len = sd_uniform(&rng, 0.25, 0.6);
        sd_script_add_sound(s, (sd_sound){SD_SOUND_HORN, t, len, a, f0, 0});
        t += len + sd_uniform(&rng, 0.12, 0.25);
    }
    label(sc, "horn", "NONE", -1, te);
    return true;
}

bool sd_build_music(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x4D555349ULL);
    sd_base_drive(sc, &rng, -1);
    add_pitch_from_braking(s, 0, s->n);
    sd_script_integrate(s);
    /* f0 carries the tempo in beats per minute */
    sd_script_add_sound(s, (sd_sound){SD_SOUND_MUSIC, 0, sc->p.duration_sec + 1,
                                      sd_uniform(&rng, 0.15, 0.3), sd_uniform(&rng, 90, 140), 0});
    label(sc, "music", "NONE", -1, -1);
    return true;
}

bool sd_build_tunnel(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x54554E4EULL);
    double te = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, te);
    add_pitch_from_braking(s, 0, s->n);
    sd_script_integrate(s);
    double len = sd_uniform(&rng, 15, 60);
    for (int i = idx_of(s, te - 1); i < s->n; i++) {
        double t = t_of(i);
        s->tunnel[i] = (float)(smoothstep((t - te) / 0.5) - smoothstep((t - te - len) / 0.5));
    }
    label(sc, "tunnel", "NONE", -1, te);
    return true;
}

/* Two other vehicles collide ahead of the ego car, which only witnesses it: a vehicle in a
 * neighbouring lane cuts into the lead vehicle at the labelled time, both are thrown apart
 * and stop within a second or two while debris flies, and the ego brakes and stops behind
 * them without touching anything. The camera stays steady (no jolt): what the picture shows
 * is a sudden burst of motion in one part of the frame. Sound: a distant crash, quieter than
 * an ego collision; now and then the ego's tyres. Later the wrecks are pushed to the
 * shoulders and the ego drives on between them. */
bool sd_build_crash_ahead(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x41484541ULL);
    double ti = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, ti);
    float *ordinary = copy_track(s, s->speed);
    if (!ordinary) return false;

    double v = fmin(20.0, fmax(12.0, sd_track_at(s, ordinary, ti - 6)));
    double side = sd_unit(&rng) < 0.5 ? -1.0 : 1.0; /* B's lane: left or right */
    double swerve = sd_uniform(&rng, 0.6, 1.0);     /* B's cut-in before the hit */
    double push = sd_uniform(&rng, 1.2, 2.2);       /* A thrown sideways, m */
    double spin_a = sd_uniform(&rng, 0.5, 1.3);     /* both spin after the hit, radians */
    double spin_b = -sd_uniform(&rng, 0.4, 1.1);
    double dec_w = sd_uniform(&rng, 6.0, 7.5); /* the wrecks stop fast */
    double react = sd_uniform(&rng, 0.5, 0.8), gstop = sd_uniform(&rng, 6, 10);
    double d_wreck = v * v / (2 * dec_w);
    /* close enough to see it well, far enough to stop behind braking at <= 7 m/s^2 */
    double g0 = fmax(sd_uniform(&rng, 14, 20), gstop + v * react + v * v / 14 - d_wreck);
    double gb = g0 + sd_uniform(&rng, -2.5, 0.5); /* the other (B), nearly alongside */
    double dec_e = v * v / (2 * (g0 + d_wreck - gstop - v * react));
    double stop_for = sd_uniform(&rng, 15, 30);
    double t_resume = ti + react + v / dec_e + stop_for;

    /* ego speed: settle at v, brake after reacting, stand, drive on */
    for (int i = idx_of(s, ti - 12); i < s->n; i++) {
        double t = t_of(i), sp;
        if (t < ti - 6) sp = s->speed[i] + (v - s->speed[i]) * smoothstep((t - (ti - 12)) / 6);
        else if (t < ti + react) sp = v;
        else sp = fmax(0, v - dec_e * (t - ti - react));
        s->speed[i] = (float)sp;
    }
    add_pitch_from_braking(s, idx_of(s, ti), idx_of(s, t_resume));
    resume_speed(s, t_resume, ordinary, 1.5);
    free(ordinary);
    sd_script_integrate(s);

    /* the two vehicles in world distance along the road: both at speed v before the hit */
    double d_hit = sd_track_at(s, s->dist, ti), t_wreck = v / dec_w;
    blend_gap(s, ti - 14, ti - 6, g0);
    for (int i = idx_of(s, ti - 6); i < s->n; i++) {
        double t = t_of(i), u = t - ti;
        double travel = u < 0         ? v * u
                        : u < t_wreck ? v * u - 0.5 * dec_w * u * u
                                      : v * t_wreck - 0.5 * dec_w * t_wreck * t_wreck;
        double ego = s->dist[i] - d_hit;
        double ga = g0 + travel - ego, gbb = gb + travel - ego;
        /* A: in the ego lane, thrown away from B at the hit; B: cuts in, bounces back */
        double ax = u < 0 ? 0 : -side * push * (1 - exp(-u / 0.15));
        double bx = u < -swerve ? side * LANE
                    : u < 0     ? side * (LANE - (LANE - 1.85) * smoothstep((u + swerve) / swerve))
                                : side * (1.85 + 0.5 * (1 - exp(-u / 0.2)));
        /* before driving on, the wrecks are pushed to the shoulders */
        double clear = smoothstep((t - (t_resume - 5)) / 4);
        ax += clear * (-side * 1.6 * LANE - ax);
        bx += clear * (side * 1.6 * LANE - bx);
        s->gap[i] = ga > 1 ? (float)ga : t > t_resume + 25 ? s->gap[i] : 0;
        s->lead_x[i] = (float)ax;
        s->other_gap[i] = gbb > 1 ? (float)gbb : 0;
        s->other_x[i] = (float)bx;
        /* a hit at the corner spins both: their sides turn towards the camera */
        double spin = u < 0 ? 0 : (1 - exp(-u / 0.35)) * (1 - clear);
        s->lead_yaw[i] = (float)(spin_a * spin);
        s->other_yaw[i] = (float)(spin_b * spin);
        s->brake[i] = u > 0 && t < t_resume ? 1 : (u < 0 ? s->brake[i] : 0);
    }
    /* B closes in from further ahead in its lane during the seconds before the cut-in */
    for (int i = idx_of(s, ti - 12); i < idx_of(s, ti - 6); i++) {
        double t = t_of(i), ego = s->dist[i] - d_hit;
        double gbb = gb + v * (t - ti) - ego + 2.5 * (ti - 6 - t);
        s->other_gap[i] = gbb > 1 ? (float)gbb : 0;
        s->other_x[i] = (float)(side * LANE);
    }
    sc->debris_sec = ti;

    sd_script_add_sound(s, (sd_sound){SD_SOUND_CRASH, ti, 1.6, sd_uniform(&rng, 0.25, 0.4), 0, 0});
    if (dec_e > 5.5 && sd_unit(&rng) < 0.5)
        sd_script_add_sound(s, (sd_sound){SD_SOUND_SQUEAL, ti + react, fmin(2.0, v / dec_e),
                                          sd_uniform(&rng, 0.15, 0.25),
                                          sd_uniform(&rng, 2200, 3400), 0});
    /* a crash the ego witnessed: danger, no ego contact (claim.h's MEDIUM) */
    label(sc, "crash-ahead", "MEDIUM", ti, -1);
    return true;
}

/* The ordinary following vehicle: 15-35 m behind, its distance wandering. */
static double follower_wander(double t, double gmid, double ph1, double ph2) {
    return gmid + 7 * sin(TWO_PI * t / 53 + ph1) + 2.5 * sin(TWO_PI * t / 19 + ph2);
}

void sd_add_follower(sd_scene *sc) {
    sd_script *s = &sc->script;
    for (int i = 0; i < s->n; i++)
        if (s->follow_gap[i] != 0) return; /* the builder placed its own */
    uint64_t rng = rng_for(sc, 0x464F4C57ULL);
    double gmid = sd_uniform(&rng, 20, 28), ph1 = sd_uniform(&rng, 0, TWO_PI);
    double ph2 = sd_uniform(&rng, 0, TWO_PI);
    for (int i = 0; i < s->n; i++)
        s->follow_gap[i] = (float)follower_wander(t_of(i), gmid, ph1, ph2);
}

/* Hit from behind while standing in traffic: the traffic ahead slows to a stop, the ego
 * stops behind its lead, and the vehicle behind comes on too fast, brakes late and hits the
 * ego's rear at the labelled time. The rear camera sees it grow until it fills the picture and
 * then shakes hard; the front camera sees only the ego pushed forward half a metre and a mild
 * jolt. Sound: the bang (and now and then the other car's tyres just before). After standing
 * a while both drive on. */
bool sd_build_rear_end(sd_scene *sc) {
    sd_script *s = &sc->script;
    uint64_t rng = rng_for(sc, 0x52454E44ULL);
    double ti = pick_time(sc, &rng);
    sd_base_drive(sc, &rng, ti);
    float *ordinary = copy_track(s, s->speed);
    float *ordinary_gap = copy_track(s, s->gap);
    if (!ordinary || !ordinary_gap) {
        free(ordinary);
        free(ordinary_gap);
        return false;
    }
    double stand = sd_uniform(&rng, 2.0, 4.0); /* standing before the hit */
    double slow = sd_uniform(&rng, 5.0, 7.0);  /* slowing to a stop, no squeal */
    double ts = ti - stand - slow, t_stop = ti - stand;
    double g_stop = sd_uniform(&rng, 5.0, 7.5); /* camera to the lead's rear, standing */
    double push = sd_uniform(&rng, 0.4, 0.7);   /* how far the hit shoves the ego */
    double stop_for = sd_uniform(&rng, 15, 30), t_resume = ti + stop_for;
    double v0 = sd_track_at(s, ordinary, ts);

    /* ego: slow to a stop, stand, shoved forward by `push` over 0.8 s, stand, drive on */
    for (int i = idx_of(s, ts); i < s->n; i++) {
        double t = t_of(i), v = 0;
        if (t < t_stop) v = v0 * (1 - smoothstep((t - ts) / slow));
        else if (t >= ti && t < ti + 0.8) v = 2 * push / 0.8 * (1 - (t - ti) / 0.8);
        s->speed[i] = (float)v;
    }
    add_pitch_from_braking(s, idx_of(s, ts - 1), idx_of(s, t_stop + 0.5));
    resume_speed(s, t_resume, ordinary, 1.5);
    free(ordinary);
    sd_script_integrate(s);

    /* the lead: slows with us and stands g_stop ahead (the shove brings us closer), drives
     * off a moment before we do and blends back into ordinary traffic */
    blend_gap(s, ts - 3, t_stop, g_stop);
    double d_stop = sd_track_at(s, s->dist, t_stop);
    for (int i = idx_of(s, ts); i < s->n; i++) {
        double t = t_of(i);
        if (t < t_stop) {
            s->brake[i] = 1;
            continue;
        }
        double lead_travel =
            t < t_resume - 1 ? 0 : 0.5 * 2.0 * (t - t_resume + 1) * (t - t_resume + 1);
        double g = g_stop + lead_travel - (s->dist[i] - d_stop);
        double w = smoothstep((t - t_resume) / 15);
        s->gap[i] = (float)((1 - w) * g + w * ordinary_gap[i]);
        s->lead_x[i] = 0;
        s->brake[i] = t < t_resume - 1 ? 1 : 0;
    }
    free(ordinary_gap);

    /* the vehicle behind: the ordinary follower, then at gA while we slow, then closing at
     * vc_hit with late braking (decel) until its front meets our rear bumper (0.8 m behind the
     * rear camera) at ti; it bounces back a little and stays behind once we drive on */
    double gmid = sd_uniform(&rng, 20, 28), ph1 = sd_uniform(&rng, 0, TWO_PI);
    double ph2 = sd_uniform(&rng, 0, TWO_PI);
    double g_a = sd_uniform(&rng, 16, 24), vc_hit = sd_uniform(&rng, 4.0, 7.0);
    double decel = sd_uniform(&rng, 1.5, 3.0), contact = 0.8;
    double ta = (-vc_hit + sqrt(vc_hit * vc_hit + 2 * decel * (g_a - contact))) / decel;
    double t_a = ti - ta, d_resume = sd_track_at(s, s->dist, t_resume);
    for (int i = 0; i < s->n; i++) {
        double t = t_of(i), wander = follower_wander(t, gmid, ph1, ph2), g;
        if (t < t_a) {
            double w = smoothstep((t - (ts - 4)) / (t_a - (ts - 4)));
            g = (1 - w) * wander + w * g_a;
        } else if (t < ti) {
            double u = ti - t;
            g = contact + vc_hit * u + 0.5 * decel * u * u;
        } else if (t < t_resume) {
            g = contact + 0.4 * (1 - exp(-(t - ti) / 0.3));
        } else {
            double w = smoothstep((t - t_resume) / 20);
            g = (1 - w) * (contact + 0.4 + 0.5 * (s->dist[i] - d_resume)) + w * wander;
        }
        s->follow_gap[i] = (float)g;
    }

    /* front: a mild jolt and the camera pitching back as the car is shoved; rear: the hit */
    add_jolt(s, ti, 0.003, 0.005, sd_uniform(&rng, 5.0, 7.0), 0.2);
    for (int i = idx_of(s, ti); i < idx_of(s, ti + 0.3); i++)
        s->shake_y[i] += (float)(0.006 * exp(-(t_of(i) - ti) / 0.1));
    double a = sd_uniform(&rng, 0.035, 0.05);
    add_jolt_to(s, s->rear_shake_x, s->rear_shake_y, ti, a, a * 1.2, sd_uniform(&rng, 5.5, 8.5),
                sd_uniform(&rng, 0.3, 0.5));
    for (int i = idx_of(s, ti); i < idx_of(s, ti + 0.25); i++)
        s->rear_shake_y[i] += (float)(0.03 * exp(-(t_of(i) - ti) / 0.08));

    sd_script_add_sound(s, (sd_sound){SD_SOUND_CRASH, ti, 1.6, sd_uniform(&rng, 0.6, 0.85), 0, 0});
    if (sd_unit(&rng) < 0.5)
        sd_script_add_sound(s,
                            (sd_sound){SD_SOUND_SQUEAL, ti - 1.0, 1.0, sd_uniform(&rng, 0.1, 0.2),
                                       sd_uniform(&rng, 2200, 3400), 0});
    label(sc, "collision", "HIGH", ti, -1); /* physical contact: HIGH */
    sc->scenario = "rear_end";
    sc->seen_by = SV_CAMERA_REAR;
    return true;
}
