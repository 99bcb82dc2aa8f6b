/* Split-conformal prediction sets over the four severities. With a calibration fitted on
 * labelled claims, the set contains the true severity with probability >= 1 - alpha
 * (marginally, for claims like the calibration ones), whatever the model's quality: a
 * poor model gets wide sets, not false confidence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_internal.h"
#include "dashclaim/files.h"

/* Scores equal up to rounding must count as equal, or a label whose score is exactly qhat
 * could drop out of the set. */
#define SCORE_EPS 1e-9

double dc_conformal_score(dc_conformal_method m, const double probs[DC_SEVERITY_COUNT],
                          dc_severity y) {
    if (y < DC_SEVERITY_NONE || y > DC_SEVERITY_HIGH) return 1.0;
    if (m == DC_CONFORMAL_LAC) return 1.0 - probs[y];
    double mass = 0;
    for (int k = 0; k < DC_SEVERITY_COUNT; k++)
        if (probs[k] >= probs[y]) mass += probs[k];
    return mass;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

dc_error_class dc_calibration_fit(const double (*probs)[DC_SEVERITY_COUNT],
                                  const dc_severity *labels, int n, double alpha,
                                  dc_conformal_method method, dc_calibration *out, dc_status *st) {
    if (!(alpha > 0 && alpha < 1))
        return dc_fail(st, DC_ERR_INPUT, "calibration: alpha %g is not in (0,1)", alpha);
    if (n <= 0) return dc_fail(st, DC_ERR_INPUT, "calibration: no labelled assessments");
    /* rank of qhat among the sorted scores: ceil((n+1)(1-alpha)); the small epsilon keeps
     * e.g. (99+1)*0.9 = 90.000000001 from rounding up to 91 */
    double want = ceil((n + 1) * (1.0 - alpha) - 1e-9);
    if (want > n) {
        int need = (int)ceil(1.0 / alpha - 1.0 - 1e-9);
        return dc_fail(st, DC_ERR_INPUT,
                       "calibration: %d labelled assessment(s) are too few for alpha %g (need at "
                       "least %d)",
                       n, alpha, need);
    }
    double *scores = malloc((size_t)n * sizeof *scores);
    if (!scores) return dc_fail(st, DC_ERR_RESOURCE, "calibration: out of memory for %d scores", n);
    for (int i = 0; i < n; i++) {
        if (labels[i] < DC_SEVERITY_NONE || labels[i] > DC_SEVERITY_HIGH) {
            free(scores);
            return dc_fail(st, DC_ERR_INPUT, "calibration: label %d is not a severity", i);
        }
        scores[i] = dc_conformal_score(method, probs[i], labels[i]);
    }
    qsort(scores, (size_t)n, sizeof *scores, cmp_double);
    memset(out, 0, sizeof *out);
    snprintf(out->schema, sizeof out->schema, "%s", DC_CALIBRATION_SCHEMA);
    out->method = method;
    out->alpha = alpha;
    out->qhat = scores[(int)want - 1];
    out->n = n;
    snprintf(out->prompt_version, sizeof out->prompt_version, "%s", DC_PROMPT_VERSION);
    claim_utc_now(out->created_at);
    free(scores);
    return DC_OK;
}

static int most_likely(const double probs[DC_SEVERITY_COUNT]) {
    int best = 0;
    for (int k = 1; k < DC_SEVERITY_COUNT; k++)
        if (probs[k] > probs[best]) best = k;
    return best;
}

unsigned dc_prediction_set_calibrated(const double probs[DC_SEVERITY_COUNT],
                                      const dc_calibration *cal) {
    unsigned set = 0;
    for (int y = 0; y < DC_SEVERITY_COUNT; y++)
        if (dc_conformal_score(cal->method, probs, (dc_severity)y) <= cal->qhat + SCORE_EPS)
            set |= 1u << y;
    if (!set) set = 1u << most_likely(probs);
    return set;
}

unsigned dc_prediction_set_uncalibrated(const double probs[DC_SEVERITY_COUNT], double alpha) {
    int order[DC_SEVERITY_COUNT] = {0, 1, 2, 3};
    /* most likely first; ties keep the lower severity first */
    for (int i = 1; i < DC_SEVERITY_COUNT; i++)
        for (int j = i; j > 0 && probs[order[j]] > probs[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    unsigned set = 0;
    double mass = 0;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++) {
        set |= 1u << order[i];
        mass += probs[order[i]];
        if (mass >= 1.0 - alpha - SCORE_EPS) break;
    }
    return set;
}

int dc_prediction_set_size(unsigned set) {
    int n = 0;
    for (int i = 0; i < DC_SEVERITY_COUNT; i++) n += (set >> i) & 1u;
    return n;
}

char *dc_calibration_to_json(const dc_calibration *c) {
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_string(DC_CALIBRATION_SCHEMA));
    json_object_set_new(o, "method", json_string(dc_conformal_method_name(c->method)));
    json_object_set_new(o, "alpha", json_real(c->alpha));
    json_object_set_new(o, "qhat", json_real(c->qhat));
    json_object_set_new(o, "n", json_integer(c->n));
    json_object_set_new(o, "prompt_version", json_string(c->prompt_version));
    json_object_set_new(o, "created_at", json_string(c->created_at));
    char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(o);
    return s;
}

dc_error_class dc_calibration_save(const char *path, const dc_calibration *c, dc_status *st) {
    /* Written whole or not at all: a calibration cut short by a full disk or a crash would
     * otherwise load as garbage, or not at all, at the next start. */
    dc_str text = {0};
    char *json = dc_calibration_to_json(c);
    dc_str_append(&text, json);
    dc_str_append(&text, "\n");
    free(json);
    if (!json || text.failed) {
        dc_str_free(&text);
        return dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory writing calibration", path);
    }
    dc_error_class rc = dc_file_write_atomic(path, text.data, text.len, st);
    dc_str_free(&text);
    return rc;
}

dc_error_class dc_calibration_load(const char *path, dc_calibration *c, dc_status *st) {
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (!o)
        return dc_fail(st, DC_ERR_INPUT, "%s: not a calibration file: %s (line %d)", path,
                       jerr.text, jerr.line);
    dc_error_class rc = DC_OK;
    json_t *schema = json_object_get(o, "schema");
    json_t *method = json_object_get(o, "method");
    json_t *alpha = json_object_get(o, "alpha");
    json_t *qhat = json_object_get(o, "qhat");
    json_t *n = json_object_get(o, "n");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), DC_CALIBRATION_SCHEMA) != 0) {
        rc = dc_fail(st, DC_ERR_INPUT, "%s: schema is not %s", path, DC_CALIBRATION_SCHEMA);
    } else if (!json_is_string(method) || (strcmp(json_string_value(method), "lac") != 0 &&
                                           strcmp(json_string_value(method), "aps") != 0)) {
        rc = dc_fail(st, DC_ERR_INPUT, "%s: method must be \"lac\" or \"aps\"", path);
    } else if (!json_is_number(alpha) ||
               !(json_number_value(alpha) > 0 && json_number_value(alpha) < 1)) {
        rc = dc_fail(st, DC_ERR_INPUT, "%s: alpha must be a number in (0,1)", path);
    } else if (!json_is_number(qhat) || !isfinite(json_number_value(qhat))) {
        rc = dc_fail(st, DC_ERR_INPUT, "%s: qhat must be a number", path);
    } else if (!json_is_integer(n) || json_integer_value(n) <= 0) {
        rc = dc_fail(st, DC_ERR_INPUT, "%s: n must be a positive integer", path);
    } else {
        memset(c, 0, sizeof *c);
        snprintf(c->schema, sizeof c->schema, "%s", DC_CALIBRATION_SCHEMA);
        c->method =
            strcmp(json_string_value(method), "aps") == 0 ? DC_CONFORMAL_APS : DC_CONFORMAL_LAC;
        c->alpha = json_number_value(alpha);
        c->qhat = json_number_value(qhat);
        c->n = json_integer_value(n) > 1000000000 ? 1000000000 : (int)json_integer_value(n);
        json_t *pv = json_object_get(o, "prompt_version");
        json_t *ca = json_object_get(o, "created_at");
        if (json_is_string(pv))
            claim_copy_utf8(c->prompt_version, sizeof c->prompt_version, json_string_value(pv));
        if (json_is_string(ca))
            claim_copy_utf8(c->created_at, sizeof c->created_at, json_string_value(ca));
    }
    json_decref(o);
    return rc;
}
