/* libFuzzer harness: the calibration readers of src/claim. First byte even: a calibration
 * file (dc_calibration_load). Odd: `dashclaim calibrate`'s inputs (dc_calibration_fit_files),
 * the rest split at its first NUL byte into the labels CSV and the assessments (NDJSON or a
 * JSON array). Every call returns DC_OK with a usable calibration or an error class with a
 * message; nothing crashes. Corpus: tests/fuzz/corpus/calibration/. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"
#include "fuzz_file.h"

static void check_calibration(const dc_calibration *c) {
    if (c->method != DC_CONFORMAL_LAC && c->method != DC_CONFORMAL_APS) abort();
    if (!(c->alpha > 0 && c->alpha < 1) || !isfinite(c->qhat) || c->n <= 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    dc_calibration c;
    dc_status st = DC_STATUS_OK;
    if (!(data[0] & 1)) {
        const char *path = fuzz_file("calibration.json", data + 1, size - 1);
        if (!path) return 0;
        dc_error_class rc = dc_calibration_load(path, &c, &st);
        if (rc == DC_OK) check_calibration(&c);
        else if (!st.message[0]) abort();
        return 0;
    }
    const uint8_t *rest = data + 1, *nul = memchr(rest, 0, size - 1);
    size_t nlabels = nul ? (size_t)(nul - rest) : size - 1;
    char labels[512], assessments[512];
    const char *p = fuzz_file("labels.csv", rest, nlabels);
    if (!p) return 0;
    snprintf(labels, sizeof labels, "%s", p);
    p = nul ? fuzz_file("assessments.ndjson", nul + 1, size - 1 - nlabels - 1)
            : fuzz_file("assessments.ndjson", (const uint8_t *)"", 0);
    if (!p) return 0;
    snprintf(assessments, sizeof assessments, "%s", p);
    dc_calibration_report report;
    dc_error_class rc =
        dc_calibration_fit_files(labels, assessments, 0.1, DC_CONFORMAL_LAC, &c, &report, &st);
    if (rc == DC_OK) {
        check_calibration(&c);
        if (report.paired <= 0 || report.paired > report.assessments) abort();
    } else if (!st.message[0]) {
        abort();
    }
    return 0;
}
