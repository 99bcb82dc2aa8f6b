/* libFuzzer harness for everything that reads untrusted text in src/claim: the lenient JSON
 * reader, the model-output parser and the record reader. Built outside CMake (see
 * run_fuzz.sh): clang -fsanitize=fuzzer,address,undefined. The corpus it grows is kept in
 * tests/claim/corpus/ and replayed by test_claim_lenient. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dashclaim/claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    char *json = NULL;
    dc_status st;
    if (dc_lenient_json_repair(text, size, &json, NULL, &st) == DC_OK) {
        /* what the repair returns is strict JSON */
        json_error_t err;
        json_t *v = json_loads(json, JSON_DECODE_ANY, &err);
        if (!v) abort();
        json_decref(v);
        free(json);
    }
    dc_assessment a;
    dc_assessment_init(&a);
    if (dc_model_output_apply(text, &a, &st) == DC_OK) {
        if (a.severity < DC_SEVERITY_NONE || a.severity > DC_SEVERITY_HIGH) abort();
        dc_claim_decide(&a, NULL, NULL);
        char *out = dc_assessment_to_json(&a, 0);
        if (!out) abort();
        free(out);
        char *model = dc_model_output_to_json(&a);
        free(model);
    }
    if (dc_assessment_from_json(text, &a, &st) == DC_OK) {
        dc_claim_decide(&a, NULL, NULL);
        char *out = dc_assessment_to_json(&a, 0);
        if (!out) abort();
        free(out);
    }
    free(text);
    return 0;
}
