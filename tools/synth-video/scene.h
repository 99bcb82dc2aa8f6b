/* Scenes for synth-video: what the camera sees and hears, as a function of time.
 * The encoder (synth_video.c) asks a scene for RGB frames and mono PCM; the scene knows
 * its scripted events and writes the label sidecar. */
#ifndef SYNTH_VIDEO_SCENE_H
#define SYNTH_VIDEO_SCENE_H

#include <stddef.h>
#include <stdint.h>

/* Which of the car's cameras renders the scene. Every camera of one car sees the same script
 * (same seed, same duration): a front and a rear file of one moment show one event. */
typedef enum {
    SV_CAMERA_FRONT = 0, /* through the windscreen, the road ahead */
    SV_CAMERA_REAR, /* through the rear window, the road behind, mirrored as rear cameras show it */
    SV_CAMERA_INTERIOR, /* the cabin: dim, nearly still */
    SV_CAMERA_LEFT,     /* side repeaters (Tesla): looking back along the left ... */
    SV_CAMERA_RIGHT,    /* ... and the right flank */
    SV_CAMERA_COUNT
} sv_camera;

/* What a scene's label says, for the writers of pairs and series (recording.c). */
typedef struct {
    double incident_sec; /* on the scene's clock; < 0: none */
    sv_camera seen_by;   /* the camera that shows the incident (a rear-end: the rear one) */
} sv_scene_truth;

typedef struct {
    double duration_sec;
    double incident_sec; /* < 0: the scene chooses (seeded); ignored by scenes without one */
    int width, height;
    double fps;
    uint64_t seed;
    int audio_rate;
    sv_camera camera; /* scenes without other views render the front one for every camera */
    /* The camera's clock, burned into the picture by scenes that show one: seconds since 1970
     * read as a wall clock (camera_names.h) at t = 0; 0: the scene picks a time of day.
     * From wall_jump_at_sec on (when > 0) it runs wall_jump_sec ahead (a clock set mid-trip). */
    int64_t wall_start;
    double wall_jump_at_sec, wall_jump_sec;
} sv_scene_params;

typedef struct sv_scene sv_scene;

typedef struct {
    const char *name;
    const char *summary; /* one line for --help */
    sv_scene *(*create)(const sv_scene_params *p);
    /* Fills an RGB24 image of p->width x p->height at time t. */
    void (*render_frame)(sv_scene *s, double t_sec, uint8_t *rgb, int stride);
    /* Fills n mono samples in [-1, 1] starting at time t0. */
    void (*render_audio)(sv_scene *s, double t0_sec, float *out, int n);
    /* Writes the label sidecar JSON ({type, severity, incident_sec, ...}) of the file that
     * holds the stretch [t0, t0 + duration) of the scene's clock into buf: times within that
     * file (t0 is its 0), null for an event outside it. */
    void (*label_json)(sv_scene *s, double t0, double duration, char *buf, size_t size);
    void (*destroy)(sv_scene *s);
    /* The incident's time and the camera that shows it; NULL: no incident. */
    void (*truth)(const sv_scene *s, sv_scene_truth *out);
} sv_scene_class;

/* NULL-terminated registry of synth-video's own scenes (scenes.c). */
extern const sv_scene_class *const sv_scenes[];
/* The dashcam scenes (scene_dashcam*.c), NULL-terminated; a weak reference in scenes.c, so
 * synth-video links with or without them. */
extern const sv_scene_class *const sv_dashcam_scenes[];
/* Finds a scene by name among all linked scenes; NULL when unknown. */
const sv_scene_class *sv_scene_find(const char *name);
/* All linked scenes, i = 0.. until NULL (own scenes first, then the dashcam scenes). */
const sv_scene_class *sv_scene_at(int i);
/* "normal" when the dashcam scenes are linked, else "plain". */
const char *sv_default_scene_name(void);

#endif
