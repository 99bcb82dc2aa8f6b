#include "metadata.h"

#include <jansson.h>
#include <stdio.h>

static int optional_int(json_t *v) { return json_is_integer(v) ? (int)json_integer_value(v) : -1; }

dc_error_class cli_load_metadata(const char *path, dc_claim_metadata *m, dc_status *st) {
    dc_claim_metadata_init(m);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        return dc_fail(st, DC_ERR_INPUT, "%s: not valid JSON (line %d: %s)", path, err.line, err.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return dc_fail(st, DC_ERR_INPUT, "%s: expected a JSON object of claim metadata", path);
    }
    json_t *collision = json_object_get(root, "collision_claimed");
    if (json_is_boolean(collision)) m->collision_claimed = json_is_true(collision) ? DC_TRI_YES : DC_TRI_NO;
    const char *damage = json_string_value(json_object_get(root, "damage_claimed"));
    if (damage) {
        m->damage_claimed = dc_severity_from_name(damage);
        if (m->damage_claimed == DC_SEVERITY_UNSET) {
            json_decref(root);
            return dc_fail(st, DC_ERR_INPUT,
                           "%s: damage_claimed must be NONE, LOW, MEDIUM or HIGH (got \"%s\")", path,
                           damage);
        }
    }
    m->recent_claims_same_vehicle = optional_int(json_object_get(root, "recent_claims_same_vehicle"));
    m->recent_claims_same_location = optional_int(json_object_get(root, "recent_claims_same_location"));
    json_decref(root);
    return DC_OK;
}
