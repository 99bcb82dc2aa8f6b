/* The record's "footage": whether footage seen in earlier claims was looked for, and what was
 * found. A record without the key (written before it existed) reads as "not checked". */
#include <math.h>
#include <string.h>

#include "claim_internal.h"

static bool put(json_t *obj, const char *name, json_t *v) {
    return v && json_object_set_new(obj, name, v) == 0;
}

bool claim_write_footage(json_t *obj, const char *name, const void *base) {
    const dc_footage_check *c = &((const dc_assessment *)base)->footage;
    json_t *f = json_object(), *arr = json_array();
    if (!put(obj, name, f) || !put(f, "checked", json_boolean(c->checked)) ||
        !put(f, "note", c->note[0] ? claim_json_text(c->note) : json_null()) ||
        !put(f, "matches", arr)) {
        json_decref(arr);
        return false;
    }
    for (int i = 0; i < c->match_count && i < DC_MAX_FOOTAGE_MATCHES; i++) {
        const dc_footage_match *m = &c->matches[i];
        json_t *row = json_object();
        if (json_array_append_new(arr, row) != 0 ||
            !put(row, "claim_id", claim_json_text(m->claim_id)) ||
            !put(row, "same_file", json_boolean(m->same_file)) ||
            !put(row, "video", json_integer(m->video)) ||
            !put(row, "video_sec", json_real(m->video_sec)) ||
            !put(row, "other_video", json_integer(m->other_video)) ||
            !put(row, "other_sec", json_real(m->other_sec)) ||
            !put(row, "seconds", json_real(m->seconds)) ||
            !put(row, "distance", json_real(m->distance)) ||
            !put(row, "mirrored", json_boolean(m->mirrored)))
            return false;
    }
    json_t *near = json_array();
    if (!put(f, "near", near)) return false;
    for (int i = 0; i < c->near_count && i < DC_MAX_FOOTAGE_NEAR; i++) {
        const dc_footage_near_claim *m = &c->near[i];
        json_t *row = json_object();
        if (json_array_append_new(near, row) != 0 ||
            !put(row, "claim_id", claim_json_text(m->claim_id)) ||
            !put(row, "distance_m", json_real(m->distance_m)) ||
            !put(row, "hours_apart", json_real(m->hours_apart)))
            return false;
    }
    return true;
}

static double number(const json_t *row, const char *key) {
    const json_t *v = json_object_get(row, key);
    double d = json_is_number(v) ? json_number_value(v) : 0;
    return isfinite(d) && d >= 0 && d < 1e7 ? d : 0;
}

void claim_read_footage(const json_t *obj, const char *name, void *base) {
    dc_assessment *a = base;
    dc_footage_check *c = &a->footage;
    memset(c, 0, sizeof *c);
    const json_t *f = json_object_get(obj, name);
    if (!json_is_object(f)) return;
    c->checked = json_is_true(json_object_get(f, "checked"));
    const char *note = json_string_value(json_object_get(f, "note"));
    if (note) claim_copy_utf8(c->note, sizeof c->note, note);
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(f, "matches"), i, row) {
        if (c->match_count >= DC_MAX_FOOTAGE_MATCHES || !json_is_object(row)) break;
        dc_footage_match *m = &c->matches[c->match_count++];
        const char *id = json_string_value(json_object_get(row, "claim_id"));
        if (id) claim_copy_utf8(m->claim_id, sizeof m->claim_id, id);
        m->same_file = json_is_true(json_object_get(row, "same_file"));
        const json_t *v = json_object_get(row, "video");
        long long idx = json_is_integer(v) ? json_integer_value(v) : 0;
        m->video = idx >= 0 && idx < a->video_count ? (int)idx : 0;
        m->video_sec = number(row, "video_sec");
        const json_t *ov = json_object_get(row, "other_video");
        long long oidx = json_is_integer(ov) ? json_integer_value(ov) : 0;
        m->other_video = oidx >= 0 && oidx < DC_MAX_CLAIM_VIDEOS ? (int)oidx : 0;
        m->other_sec = number(row, "other_sec");
        m->seconds = number(row, "seconds");
        m->distance = number(row, "distance");
        m->mirrored = json_is_true(json_object_get(row, "mirrored"));
    }
    json_array_foreach(json_object_get(f, "near"), i, row) {
        if (c->near_count >= DC_MAX_FOOTAGE_NEAR || !json_is_object(row)) break;
        dc_footage_near_claim *m = &c->near[c->near_count++];
        const char *id = json_string_value(json_object_get(row, "claim_id"));
        if (id) claim_copy_utf8(m->claim_id, sizeof m->claim_id, id);
        m->distance_m = number(row, "distance_m");
        m->hours_apart = number(row, "hours_apart");
    }
}
