/* Pairs and loop-recorded series (recording.h): the channel x segment loop, the names, the
 * creation times and the labels. */
#include "recording.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "camera_names.h"

#define MAX_FILES 4096
#define PATH_MAX_LEN 4096

typedef struct {
    char name[512]; /* relative to the output folder */
    sv_camera channel;
    int segment, number;
    double offset_sec, duration_sec;
    char creation_time[32];
    bool audio, decodes;
} written_file;

/* mkdir -p for the folders of dir/rel (the last component of rel is a file). */
static int make_parents(const char *dir, const char *rel) {
    char path[PATH_MAX_LEN];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n <= 0 || (size_t)n >= sizeof path) return 1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "synth-video: cannot create %s: %s\n", path, strerror(errno));
            return 1;
        }
        *p = '/';
    }
    return 0;
}

/* A label object with `extra` (", \"k\": v ...") added before its closing brace. */
static int write_label_file(const char *path, const char *label, const char *extra) {
    size_t len = strlen(label);
    while (len && label[len - 1] != '}') len--;
    if (!len) return 1;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "synth-video: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(f, "%.*s%s}\n", (int)(len - 1), label, extra);
    return fclose(f) != 0;
}

/* The stretch [t0, t0 + dur) of segment k of channel c, clipped to where that channel
 * starts and stops; 0 when it has none of it. */
static double stretch_of(const sv_recording *r, sv_camera c, int k, double *t0) {
    double total = r->segments * r->segment_sec, end = total - r->shorter_sec[c];
    double seg_end = fmin((k + 1) * r->segment_sec, end);
    *t0 = fmax(k * r->segment_sec, r->late_sec[c]);
    double dur = seg_end - *t0;
    return dur > 1e-6 ? dur : 0;
}

static int write_channel(const sv_encoding *enc, const sv_recording *r, sv_camera c,
                         written_file *files, int *count) {
    sv_scene_params sp = {.duration_sec = r->segments * r->segment_sec,
                          .incident_sec = r->incident_at,
                          .width = enc->width,
                          .height = enc->height,
                          .fps = enc->fps,
                          .seed = enc->seed,
                          .audio_rate = enc->audio_rate,
                          .camera = c,
                          .wall_start = r->start};
    if (r->clock_jump_segment > 0) {
        sp.wall_jump_at_sec = r->clock_jump_segment * r->segment_sec;
        sp.wall_jump_sec = r->clock_jump_sec;
    }
    sv_scene *scene = r->cls->create(&sp);
    if (!scene) {
        fprintf(stderr, "synth-video: cannot create the scene\n");
        return 1;
    }
    int rc = 0;
    for (int k = 0; k < r->segments && !rc; k++) {
        double t0, dur = stretch_of(r, c, k, &t0);
        if (dur <= 0) continue; /* before a late start or after an early stop */
        if (*count >= MAX_FILES) {
            fprintf(stderr, "synth-video: more than %d files\n", MAX_FILES);
            rc = 1;
            break;
        }
        written_file *wf = &files[(*count)++];
        *wf = (written_file){.channel = c,
                             .segment = k,
                             .number = r->first_number + k,
                             .offset_sec = t0,
                             .duration_sec = dur,
                             .audio = !(r->silent & (1u << c)),
                             .decodes = !(r->undecodable & (1u << c))};
        int64_t when = r->start + (int64_t)floor(t0 + 1e-6);
        if (r->clock_jump_segment > 0 && k >= r->clock_jump_segment)
            when += (int64_t)llround(r->clock_jump_sec);
        if (!sv_camera_file_name(r->brand, c, when, wf->number, r->start, wf->name,
                                 sizeof wf->name)) {
            fprintf(stderr, "synth-video: camera %s has no %s channel\n", r->brand,
                    sv_camera_role_name(c));
            rc = 1;
            break;
        }
        char clock[24], path[PATH_MAX_LEN];
        sv_format_wall_clock(when, clock, sizeof clock);
        snprintf(wf->creation_time, sizeof wf->creation_time, "%sZ", clock);
        int n = snprintf(path, sizeof path, "%s/%s", r->out_dir, wf->name);
        if (n <= 0 || (size_t)n >= sizeof path || make_parents(r->out_dir, wf->name)) {
            rc = 1;
            break;
        }
        sv_file_job job = {.path = path,
                           .cls = r->cls,
                           .scene = scene,
                           .t0_sec = t0,
                           .duration_sec = dur,
                           .damage = wf->decodes ? SV_DMG_NONE : SV_DMG_UNDECODABLE,
                           .silent = !wf->audio,
                           .creation_time = wf->creation_time};
        rc = sv_encode_file(enc, &job, NULL);
        if (!rc && r->cls->label_json) {
            char label[8192] = "", extra[1024], lpath[PATH_MAX_LEN + 16];
            r->cls->label_json(scene, t0, dur, label, sizeof label);
            /* which channel shows the incident, so that a front file's label does not
             * read as if the front camera saw a rear-end */
            sv_scene_truth truth = {.incident_sec = -1};
            if (r->cls->truth) r->cls->truth(scene, &truth);
            char seen[48] = "";
            if (truth.incident_sec >= 0)
                snprintf(seen, sizeof seen, ", \"seen_by\": \"%s\"",
                         sv_camera_role_name(truth.seen_by));
            snprintf(extra, sizeof extra,
                     ", \"recording\": \"recording.label.json\", \"channel\": \"%s\", "
                     "\"segment\": %d, \"offset_sec\": %.3f%s",
                     sv_camera_role_name(c), k, t0, seen);
            snprintf(lpath, sizeof lpath, "%s.label.json", path);
            rc = write_label_file(lpath, label, extra);
        }
    }
    r->cls->destroy(scene);
    return rc;
}

/* recording.label.json: the scene's label on the whole timeline plus where the incident is
 * in the files, and the files. */
static int write_recording_label(const sv_encoding *enc, const sv_recording *r,
                                 const written_file *files, int count) {
    sv_scene_params sp = {.duration_sec = r->segments * r->segment_sec,
                          .incident_sec = r->incident_at,
                          .width = enc->width,
                          .height = enc->height,
                          .fps = enc->fps,
                          .seed = enc->seed,
                          .audio_rate = enc->audio_rate};
    sv_scene *scene = r->cls->create(&sp);
    if (!scene) return 1;
    char label[8192] = "{}";
    if (r->cls->label_json) r->cls->label_json(scene, 0, sp.duration_sec, label, sizeof label);
    sv_scene_truth truth = {.incident_sec = -1};
    if (r->cls->truth) r->cls->truth(scene, &truth);
    r->cls->destroy(scene);

    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "%s/recording.label.json", r->out_dir);
    size_t len = strlen(label);
    while (len && label[len - 1] != '}') len--;
    FILE *f = len ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "synth-video: cannot write %s\n", path);
        return 1;
    }
    char start[24];
    sv_format_wall_clock(r->start, start, sizeof start);
    fprintf(f, "%.*s", (int)(len - 1), label);
    fprintf(f,
            ", \"camera\": \"%s\", \"start\": \"%s\", \"segments\": %d, \"segment_sec\": %.3f, "
            "\"channels\": [",
            r->brand, start, r->segments, r->segment_sec);
    for (int i = 0; i < r->channel_count; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", sv_camera_role_name(r->channels[i]));
    fprintf(f, "]");
    /* where the incident falls in each channel: the file and the time within it */
    if (truth.incident_sec >= 0) {
        fprintf(f, ", \"seen_by\": \"%s\", \"incident\": [", sv_camera_role_name(truth.seen_by));
        bool first = true;
        for (int i = 0; i < count; i++) {
            const written_file *w = &files[i];
            double u = truth.incident_sec - w->offset_sec;
            if (u < 0 || u >= w->duration_sec) continue;
            fprintf(f,
                    "%s{\"channel\": \"%s\", \"file\": \"%s\", \"segment\": %d, "
                    "\"sec_in_file\": %.3f, \"seen\": %s}",
                    first ? "" : ", ", sv_camera_role_name(w->channel), w->name, w->segment, u,
                    w->channel == truth.seen_by ? "true" : "false");
            first = false;
        }
        fprintf(f, "]");
    }
    fprintf(f, ", \"files\": [");
    for (int i = 0; i < count; i++) {
        const written_file *w = &files[i];
        fprintf(f,
                "%s{\"file\": \"%s\", \"channel\": \"%s\", \"segment\": %d, \"number\": %d, "
                "\"offset_sec\": %.3f, \"duration_sec\": %.3f, \"creation_time\": \"%s\", "
                "\"audio\": %s, \"decodes\": %s}",
                i ? ", " : "", w->name, sv_camera_role_name(w->channel), w->segment, w->number,
                w->offset_sec, w->duration_sec, w->creation_time, w->audio ? "true" : "false",
                w->decodes ? "true" : "false");
    }
    fprintf(f, "]}\n");
    return fclose(f) != 0;
}

int sv_write_recording(const sv_encoding *enc, const sv_recording *r) {
    if (r->segments < 1 || !(r->segment_sec > 0) || r->channel_count < 1) {
        fprintf(stderr, "synth-video: a recording needs a channel, a segment and its length\n");
        return 1;
    }
    for (int i = 0; i < r->channel_count; i++) {
        char name[512];
        if (!sv_camera_file_name(r->brand, r->channels[i], r->start, r->first_number, r->start,
                                 name, sizeof name)) {
            fprintf(stderr, "synth-video: camera %s has no %s channel\n", r->brand,
                    sv_camera_role_name(r->channels[i]));
            return 1;
        }
    }
    if (mkdir(r->out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "synth-video: cannot create %s: %s\n", r->out_dir, strerror(errno));
        return 1;
    }
    written_file *files = calloc(MAX_FILES, sizeof *files);
    if (!files) return 1;
    int count = 0, rc = 0;
    for (int i = 0; i < r->channel_count && !rc; i++)
        rc = write_channel(enc, r, r->channels[i], files, &count);
    if (!rc) rc = write_recording_label(enc, r, files, count);
    if (!rc)
        for (int i = 0; i < count; i++) printf("%s/%s\n", r->out_dir, files[i].name);
    free(files);
    return rc;
}
