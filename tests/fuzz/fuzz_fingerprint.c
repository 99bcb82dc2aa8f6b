/* libFuzzer harness: the fingerprint blob parser of src/fingerprint (dc_fingerprint_parse),
 * which reads bytes a database or a request hands it. A blob it accepts must hold what the
 * header promises (seconds in order, inside the duration, times within 0.5 s, quality <= 100),
 * serialise back to the same bytes, and match itself without trouble; a refused one leaves
 * the output empty and says why. Corpus: tests/fuzz/corpus/fingerprint/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/fingerprint.h"
#include "fp_internal.h"

static void parse_one(const uint8_t *data, size_t size);

/* Each input is parsed as it is and, so that the fuzzer gets past the checksum to the entry
 * checks, once more with its last four bytes replaced by the CRC of the rest. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    parse_one(data, size);
    if (size >= DC_FP_BLOB_HEADER + 4) {
        uint8_t *fixed = malloc(size);
        if (!fixed) return 0;
        memcpy(fixed, data, size);
        uint32_t c = fp_crc32(fixed, size - 4);
        for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(c >> (8 * i));
        parse_one(fixed, size);
        free(fixed);
    }
    return 0;
}

static void parse_one(const uint8_t *data, size_t size) {
    dc_fingerprint fp;
    dc_status st = DC_STATUS_OK;
    dc_error_class rc = dc_fingerprint_parse(data, size, &fp, &st);
    if (rc != DC_OK) {
        if (fp.seconds || fp.count || !st.message[0]) abort();
        return;
    }
    if (fp.count < 0 || fp.count > fp.duration_sec || fp.duration_sec > DC_FP_MAX_SECONDS) abort();
    for (int i = 0; i < fp.count; i++) {
        const dc_fp_second *e = &fp.seconds[i];
        if (e->second < 0 || e->second >= fp.duration_sec || e->quality > 100) abort();
        if (i && e->second <= fp.seconds[i - 1].second) abort();
        if (abs(e->t_ms - 1000 * e->second) > 500) abort();
    }
    uint8_t *blob = NULL;
    size_t len = 0;
    if (dc_fingerprint_serialize(&fp, &blob, &len, &st) == DC_OK) {
        if (len != size || memcmp(blob, data, size) != 0) abort();
        free(blob);
    }
    if (fp.duration_sec <= 1200) {
        dc_fp_match m[DC_FP_MAX_MATCHES];
        int n = 0;
        if (dc_fingerprint_match(&fp, &fp, m, DC_FP_MAX_MATCHES, &n, &st) == DC_OK)
            for (int i = 0; i < n; i++)
                if (m[i].seconds < DC_FP_MIN_RUN_SEC || m[i].matched > m[i].compared) abort();
    }
    dc_fingerprint_free(&fp);
}
