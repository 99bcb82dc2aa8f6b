/* The scene registry: synth-video's own scenes, then the dashcam scenes when they are linked
 * (a weak reference, so neither set of files has to know about the other). */
#include <string.h>

#include "scene.h"

#pragma weak sv_dashcam_scenes

extern const sv_scene_class sv_scene_plain;

const sv_scene_class *const sv_scenes[] = {&sv_scene_plain, NULL};

/* Read through a function so the compiler cannot assume the weak array exists. */
static const sv_scene_class *const *dashcam_scenes(void) {
    const sv_scene_class *const *volatile list = sv_dashcam_scenes;
    return list;
}

const sv_scene_class *sv_scene_at(int i) {
    int own = 0;
    while (sv_scenes[own]) own++;
    if (i < own) return i >= 0 ? sv_scenes[i] : NULL;
    const sv_scene_class *const *dash = dashcam_scenes();
    if (!dash) return NULL;
    for (int j = 0; dash[j]; j++)
        if (j == i - own) return dash[j];
    return NULL;
}

const sv_scene_class *sv_scene_find(const char *name) {
    for (int i = 0; sv_scene_at(i); i++)
        if (!strcmp(sv_scene_at(i)->name, name)) return sv_scene_at(i);
    return NULL;
}

const char *sv_default_scene_name(void) { return sv_scene_find("normal") ? "normal" : "plain"; }
