/* libFuzzer harness: one text-track sample (NMEA RMC, Thinkware gsensori, Garmin PNDM) (src/telemetry/tm_more.h), into a sink. What is kept holds to
 * fuzz_telemetry_check. Corpus: tests/fuzz/corpus/telemetry_text/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_telemetry.h"
#include "tm_more.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1); /* exactly size bytes: ASan sees any overread */
    if (!copy) return 0;
    memcpy(copy, data, size);
    dc_telemetry t = {0};
    tm_sink s = {.out = &t};
    tm_text_sample(&s, (tm_bytes){copy, size}, 1.0);
    fuzz_telemetry_check(&t);
    dc_telemetry_free(&t);
    free(copy);
    return 0;
}
