/* libFuzzer harness: Novatek freeGPS blocks (every layout's detection and reading) straight
 * into a sink: the input is one block, then the same bytes as the next second's block. Never
 * reads outside the block, and what it keeps holds to fuzz_telemetry_check.
 * Corpus: tests/fuzz/corpus/telemetry_novatek/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_telemetry.h"
#include "tm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dc_telemetry t = {0};
    tm_sink s = {.out = &t};
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    tm_novatek_block(&s, (tm_bytes){copy, size}, 0.0);
    tm_novatek_block(&s, (tm_bytes){copy, size}, 1.0);
    fuzz_telemetry_check(&t);
    free(copy);
    dc_telemetry_free(&t);
    return 0;
}
