#include "metadata.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

/* A count of earlier claims: absent -> -1 (unknown); a negative or out-of-range number is an
 * error, not a count cut to an int (2^32 + 1 would have read as 1). */
static bool optional_count(json_t *root, const char *key, const char *path, int *out,
                           dc_status *st) {
    json_t *v = json_object_get(root, key);
    *out = -1;
    if (!v || json_is_null(v)) return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT_MAX) {
        dc_fail(st, DC_ERR_INPUT, "%s: %s must be a count (an integer from 0 to %d)", path, key,
                INT_MAX);
        return false;
    }
    *out = (int)json_integer_value(v);
    return true;
}

dc_error_class cli_load_metadata(const char *path, dc_claim_metadata *m, dc_status *st) {
    dc_claim_metadata_init(m);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        return dc_fail(st, DC_ERR_INPUT, "%s: not valid JSON (line %d: %s)", path, err.line,
                       err.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return dc_fail(st, DC_ERR_INPUT, "%s: expected a JSON object of claim metadata", path);
    }
    json_t *collision = json_object_get(root, "collision_claimed");
    if (json_is_boolean(collision))
        m->collision_claimed = json_is_true(collision) ? DC_TRI_YES : DC_TRI_NO;
    const char *damage = json_string_value(json_object_get(root, "damage_claimed"));
    if (damage) {
        m->damage_claimed = dc_severity_from_name(damage);
        if (m->damage_claimed == DC_SEVERITY_UNSET) {
            /* the message quotes the string, which lives in root: format first, then free */
            dc_fail(st, DC_ERR_INPUT,
                    "%s: damage_claimed must be NONE, LOW, MEDIUM or HIGH (got \"%.40s\")", path,
                    damage);
            json_decref(root);
            return DC_ERR_INPUT;
        }
    }
    /* the claimant's place and time, held against the video's GPS: coordinates and an ISO
     * date or time; anything else (an address, a vague date) is an error, not silently unused */
    const char *place = json_string_value(json_object_get(root, "location"));
    if (place && !(m->has_place = dc_place_parse(place, &m->place_lat, &m->place_lon))) {
        dc_fail(st, DC_ERR_INPUT,
                "%s: location must be coordinates \"lat, lon\" in degrees (got \"%.60s\")", path,
                place);
        json_decref(root);
        return DC_ERR_INPUT;
    }
    const char *when = json_string_value(json_object_get(root, "incident_time"));
    if (when && !dc_utc_parse(when, &m->stated_utc_ms, &m->stated_date_only)) {
        dc_fail(st, DC_ERR_INPUT,
                "%s: incident_time must be an ISO 8601 date or time (got \"%.60s\")", path, when);
        json_decref(root);
        return DC_ERR_INPUT;
    }
    bool counts_ok = optional_count(root, "recent_claims_same_vehicle", path,
                                    &m->recent_claims_same_vehicle, st) &&
                     optional_count(root, "recent_claims_same_location", path,
                                    &m->recent_claims_same_location, st);
    json_decref(root);
    return counts_ok ? DC_OK : st->code;
}
