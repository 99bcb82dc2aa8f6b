/* Reading the calibrate command's inputs: a labels CSV and a file of assessment records,
 * paired by claim_id. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "claim_internal.h"
#include "dashclaim/files.h"

typedef struct {
    char id[128];
    dc_severity label;
    bool used;
} label_row;

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

static dc_error_class read_labels(const char *path, label_row **rows_out, int *count_out,
                                  dc_status *st) {
    FILE *f = fopen(path, "r");
    if (!f) return dc_fail(st, DC_ERR_INPUT, "%s: cannot open labels: %s", path, strerror(errno));
    label_row *rows = NULL;
    int count = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    dc_error_class rc = DC_OK;
    while (getline(&line, &lcap, f) >= 0) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *comma = strchr(s, ',');
        if (!comma) {
            rc = dc_fail(st, DC_ERR_INPUT, "%s:%d: expected \"claim_id,SEVERITY\"", path, lineno);
            break;
        }
        *comma = '\0';
        char *id = trim(s), *sev = trim(comma + 1);
        char *extra = strchr(sev, ',');
        if (extra) *extra = '\0', sev = trim(sev);
        dc_severity label = dc_severity_from_name(sev);
        if (label == DC_SEVERITY_UNSET) {
            if (count == 0 && (!strcasecmp(id, "claim_id") || !strcasecmp(id, "id")))
                continue; /* header */
            rc = dc_fail(st, DC_ERR_INPUT, "%s:%d: '%.40s' is not NONE, LOW, MEDIUM or HIGH", path,
                         lineno, sev);
            break;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 256;
            label_row *grown = realloc(rows, (size_t)cap * sizeof *rows);
            if (!grown) {
                rc = dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory at line %d", path, lineno);
                break;
            }
            rows = grown;
        }
        claim_copy_utf8(rows[count].id, sizeof rows[count].id, id);
        rows[count].label = label;
        rows[count].used = false;
        count++;
    }
    free(line);
    fclose(f);
    if (rc != DC_OK) {
        free(rows);
        return rc;
    }
    *rows_out = rows;
    *count_out = count;
    return DC_OK;
}

static int cmp_label(const void *a, const void *b) {
    return strcmp(((const label_row *)a)->id, ((const label_row *)b)->id);
}

/* rows are sorted by id (thousands of claims: no quadratic pairing) */
static int find_label(const label_row *rows, int n, const char *id) {
    label_row key;
    claim_copy_utf8(key.id, sizeof key.id, id);
    const label_row *hit = bsearch(&key, rows, (size_t)n, sizeof *rows, cmp_label);
    return hit ? (int)(hit - rows) : -1;
}

typedef struct {
    double (*probs)[DC_SEVERITY_COUNT];
    dc_severity *labels;
    int n, cap;
} pairs;

static bool pairs_add(pairs *p, const double probs[DC_SEVERITY_COUNT], dc_severity label) {
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 256;
        double(*np)[DC_SEVERITY_COUNT] = realloc(p->probs, (size_t)cap * sizeof *np);
        if (!np) return false;
        p->probs = np;
        dc_severity *nl = realloc(p->labels, (size_t)cap * sizeof *nl);
        if (!nl) return false;
        p->labels = nl;
        p->cap = cap;
    }
    memcpy(p->probs[p->n], probs, sizeof p->probs[0]);
    p->labels[p->n++] = label;
    return true;
}

/* One record: pair it with its label when it can be scored. */
static dc_error_class take_record(const char *text, const char *path, int where, label_row *rows,
                                  int nrows, pairs *p, dc_calibration_report *r, dc_status *st) {
    dc_assessment *a = malloc(sizeof *a);
    if (!a) return dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", path);
    dc_status rst;
    if (dc_assessment_from_json(text, a, &rst) != DC_OK) {
        free(a);
        return dc_fail(st, DC_ERR_INPUT, "%s: record %d: %s", path, where, rst.message);
    }
    r->assessments++;
    int li = find_label(rows, nrows, a->claim_id);
    double sum = 0;
    for (int k = 0; k < DC_SEVERITY_COUNT; k++) sum += a->severity_probs[k];
    dc_error_class rc = DC_OK;
    if (li < 0) {
        r->unlabelled++;
    } else if (a->status == DC_CLAIM_FAILED) {
        r->skipped_failed++;
    } else if (sum <= 0) {
        r->skipped_no_probs++;
    } else {
        double probs[DC_SEVERITY_COUNT];
        for (int k = 0; k < DC_SEVERITY_COUNT; k++) probs[k] = a->severity_probs[k] / sum;
        if (!pairs_add(p, probs, rows[li].label))
            rc = dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", path);
        rows[li].used = true;
        r->paired++;
    }
    free(a);
    return rc;
}

dc_error_class dc_calibration_fit_files(const char *labels_path, const char *assessments_path,
                                        double alpha, dc_conformal_method method,
                                        dc_calibration *out, dc_calibration_report *report,
                                        dc_status *st) {
    dc_calibration_report local = {0};
    dc_calibration_report *r = report ? report : &local;
    *r = (dc_calibration_report){0};
    label_row *rows = NULL;
    int nrows = 0;
    dc_error_class rc = read_labels(labels_path, &rows, &nrows, st);
    if (rc != DC_OK) return rc;
    r->labels = nrows;
    if (nrows > 1) qsort(rows, (size_t)nrows, sizeof *rows, cmp_label);
    char *text = dc_file_read(assessments_path, NULL, st);
    if (!text) {
        free(rows);
        return st ? st->code : DC_ERR_INPUT;
    }
    pairs p = {0};
    const char *s = text;
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
    if (*s == '[') {
        /* one JSON array of records */
        json_error_t jerr;
        json_t *arr = json_loads(s, 0, &jerr);
        if (!json_is_array(arr)) {
            rc = dc_fail(st, DC_ERR_INPUT, "%s: not a JSON array of assessments: %s (line %d)",
                         assessments_path, jerr.text, jerr.line);
        }
        size_t i;
        json_t *item;
        json_array_foreach(arr, i, item) {
            if (rc != DC_OK) break;
            char *one = json_dumps(item, JSON_COMPACT);
            rc = one ? take_record(one, assessments_path, (int)i + 1, rows, nrows, &p, r, st)
                     : dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", assessments_path);
            free(one);
        }
        json_decref(arr);
    } else {
        /* NDJSON: one record per line */
        int lineno = 0;
        char *line = text;
        while (rc == DC_OK && line && *line) {
            char *next = strchr(line, '\n');
            if (next) *next++ = '\0';
            lineno++;
            char *t = trim(line);
            if (*t) rc = take_record(t, assessments_path, lineno, rows, nrows, &p, r, st);
            line = next;
        }
    }
    free(text);
    if (rc == DC_OK && p.n == 0)
        rc = dc_fail(st, DC_ERR_INPUT,
                     "%s: no assessment pairs with a label in %s (%d records, %d labels)",
                     assessments_path, labels_path, r->assessments, r->labels);
    if (rc == DC_OK)
        rc = dc_calibration_fit((const double(*)[DC_SEVERITY_COUNT])p.probs, p.labels, p.n, alpha,
                                method, out, st);
    free(p.probs);
    free(p.labels);
    free(rows);
    return rc;
}
