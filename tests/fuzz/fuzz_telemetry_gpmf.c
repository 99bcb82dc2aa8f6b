/* libFuzzer harness: one GPMF payload (KLV: DEVC/STRM nesting, SCAL, TYPE, GPSU, GPS5, GPS9,
 * ACCL, GYRO, ORIN) read straight into a sink. Never reads outside the payload (ASan), and what it keeps
 * holds to fuzz_telemetry_check. Corpus: tests/fuzz/corpus/telemetry_gpmf/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_telemetry.h"
#include "tm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dc_telemetry t = {0};
    tm_sink s = {.out = &t};
    /* an exact-size copy: ASan then sees a read one byte past the payload */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    tm_gpmf_payload(&s, (tm_bytes){copy, size}, 0.0, 1.0);
    tm_gpmf_payload(&s, (tm_bytes){copy, size}, 1.0, 1.0);
    fuzz_telemetry_check(&t);
    free(copy);
    dc_telemetry_free(&t);
    return 0;
}
