/* A claim of several videos in the record: role names, and the video each evidence and
 * hazard row comes from. The model writes a row's time on the claim's timeline only; the
 * pipeline adds which video it falls in and the time within it, and these two keys are added
 * to the rows the model-facing table wrote (so the grammar and the prompt stay as they are). */
#include <string.h>
#include <strings.h>

#include "claim_internal.h"

static const char *const role_names[DC_ROLE_COUNT] = {"unknown",  "front", "rear",
                                                      "interior", "left",  "right"};

const char *dc_video_role_name(dc_video_role r) {
    return r >= 0 && r < DC_ROLE_COUNT ? role_names[r] : role_names[DC_ROLE_UNKNOWN];
}

dc_video_role dc_video_role_from_name(const char *name) {
    for (int i = 0; name && i < DC_ROLE_COUNT; i++)
        if (strcasecmp(name, role_names[i]) == 0) return (dc_video_role)i;
    return DC_ROLE_UNKNOWN;
}

static bool add_refs(json_t *rows, int count, const int *video, const double *t, size_t stride) {
    for (int i = 0; i < count && (size_t)i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, (size_t)i);
        const int *v = (const int *)((const char *)video + (size_t)i * stride);
        const double *vt = (const double *)((const char *)t + (size_t)i * stride);
        if (!json_is_object(row) || json_object_set_new(row, "video", json_integer(*v)) != 0 ||
            json_object_set_new(row, "video_t_sec", json_real(*vt)) != 0)
            return false;
    }
    return true;
}

bool claim_write_row_videos(json_t *obj, const char *name, const void *base) {
    (void)name;
    const dc_assessment *a = base;
    json_t *ev = json_object_get(obj, "evidence"), *hz = json_object_get(obj, "hazards");
    return (!json_is_array(ev) || add_refs(ev, a->evidence_count, &a->evidence[0].video,
                                           &a->evidence[0].video_t_sec, sizeof a->evidence[0])) &&
           (!json_is_array(hz) || add_refs(hz, a->hazard_count, &a->hazards[0].video,
                                           &a->hazards[0].video_t_sec, sizeof a->hazards[0]));
}

/* A row without the keys (a record of one video written before them) is in video 0 at its
 * own time (0, the claim's first video, is always taken); an index beyond the record's videos
 * (a damaged record) is -1: no video. */
static void read_refs(const json_t *rows, int count, int nvideos, int *video, double *t,
                      const double *row_t, size_t stride) {
    for (int i = 0; i < count; i++) {
        const json_t *row = json_array_get(rows, (size_t)i);
        int *v = (int *)((char *)video + (size_t)i * stride);
        double *vt = (double *)((char *)t + (size_t)i * stride);
        const double *rt = (const double *)((const char *)row_t + (size_t)i * stride);
        const json_t *jv = json_object_get(row, "video"), *jt = json_object_get(row, "video_t_sec");
        long long idx = json_is_integer(jv) ? json_integer_value(jv) : 0;
        *v = idx == 0 || (idx > 0 && idx < nvideos) ? (int)idx : -1;
        *vt = json_is_number(jt) ? json_number_value(jt) : *rt;
    }
}

void claim_read_row_videos(const json_t *obj, const char *name, void *base) {
    (void)name;
    dc_assessment *a = base;
    /* a record written before claims had several videos: its one video is the list */
    if (!json_object_get(obj, "videos") && a->video.path[0]) {
        dc_claim_video *v = &a->videos[0];
        memset(v, 0, sizeof *v);
        memcpy(v->path, a->video.path, sizeof v->path);
        memcpy(v->sha256, a->video.sha256, sizeof v->sha256);
        v->segment = -1;
        v->duration_sec = a->video.duration_sec;
        a->video_count = 1;
    }
    for (int i = 0; i < a->window_count; i++) /* (read by its table entry, checked here) */
        if (a->windows[i].video != 0 &&
            (a->windows[i].video < 0 || a->windows[i].video >= a->video_count))
            a->windows[i].video = -1;
    read_refs(json_object_get(obj, "evidence"), a->evidence_count, a->video_count,
              &a->evidence[0].video, &a->evidence[0].video_t_sec, &a->evidence[0].t_sec,
              sizeof a->evidence[0]);
    read_refs(json_object_get(obj, "hazards"), a->hazard_count, a->video_count,
              &a->hazards[0].video, &a->hazards[0].video_t_sec, &a->hazards[0].t_sec,
              sizeof a->hazards[0]);
}
