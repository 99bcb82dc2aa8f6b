#include "ground_truth.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dashclaim/files.h"

static const char *const severity_names[] = {"NONE", "LOW", "MEDIUM", "HIGH"};

int cli_truth_severity_parse(const char *s) {
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(severity_names[i]);
        if (!strncasecmp(s, severity_names[i], n) && (s[n] == 0 || isspace((unsigned char)s[n])))
            return i;
    }
    return -1;
}

static void truth_clear(cli_ground_truth *t) {
    memset(t, 0, sizeof *t);
    t->severity = -1;
    t->incident_sec = -1;
    t->fault_ratio = -1;
}

static bool truth_from_sidecar(const char *video_path, cli_ground_truth *out) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s.label.json", video_path) >= (int)sizeof path) return false;
    json_t *root = json_load_file(path, 0, NULL);
    if (!root) return false;
    out->source = CLI_TRUTH_SIDECAR;
    out->severity = cli_truth_severity_parse(json_string_value(json_object_get(root, "severity")));
    json_t *inc = json_object_get(root, "incident_sec");
    if (json_is_number(inc)) out->incident_sec = json_number_value(inc);
    json_t *fault = json_object_get(root, "fault_ratio");
    if (json_is_number(fault)) out->fault_ratio = json_number_value(fault);
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type) snprintf(out->type, sizeof out->type, "%s", type);
    json_decref(root);
    return true;
}

/* The prototype's rule, kept so old folders of named files still score. */
static void truth_from_filename(const char *video_path, cli_ground_truth *out) {
    const char *base = dc_path_base(video_path);
    char lower[512];
    size_t i = 0;
    for (; base[i] && i + 1 < sizeof lower; i++) lower[i] = (char)tolower((unsigned char)base[i]);
    lower[i] = 0;
    if (strstr(lower, "collision") || strstr(lower, "crash") || strstr(lower, "accident"))
        out->severity = 3;
    else if (strstr(lower, "near")) out->severity = 2;
    else if (strstr(lower, "normal")) out->severity = 0;
    if (out->severity >= 0) out->source = CLI_TRUTH_FILENAME;
}

void cli_truth_for_video(const char *video_path, cli_ground_truth *out) {
    truth_clear(out);
    if (!truth_from_sidecar(video_path, out)) truth_from_filename(video_path, out);
}

static double parse_optional_number(const char *field) {
    while (isspace((unsigned char)*field)) field++;
    if (!*field) return -1;
    char *end;
    double v = strtod(field, &end);
    /* strtod reads "nan" and "inf": a label that is not a number is not labelled (a NaN
     * would poison every mean the bench computes from it) */
    return end == field || !isfinite(v) ? -1 : v;
}

bool cli_truth_parse_manifest_line(const char *line, char *path_out, int path_size,
                                   cli_ground_truth *out) {
    truth_clear(out);
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", line);
    buf[strcspn(buf, "\r\n")] = 0;
    char *fields[4] = {0};
    int n = 0;
    for (char *p = buf; n < 4;) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = 0;
        p = comma + 1;
    }
    if (n < 1 || !fields[0][0] || !strcasecmp(fields[0], "path")) return false;
    snprintf(path_out, (size_t)path_size, "%s", fields[0]);
    out->source = CLI_TRUTH_MANIFEST;
    if (n > 1) out->severity = cli_truth_severity_parse(fields[1]);
    if (n > 2) out->incident_sec = parse_optional_number(fields[2]);
    if (n > 3) out->fault_ratio = parse_optional_number(fields[3]);
    return true;
}
