/* libFuzzer harness: NMEA text (plain and with BlackVue's [ms] prefixes, checksums, RMC/GGA
 * merging, midnight and backward steps) and the same bytes as BlackVue .3gf records, each into
 * its own sink. What is kept holds to fuzz_telemetry_check.
 * Corpus: tests/fuzz/corpus/telemetry_nmea/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_telemetry.h"
#include "tm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    dc_telemetry t = {0};
    tm_sink s = {.out = &t};
    tm_nmea_text(&s, (tm_bytes){copy, size});
    fuzz_telemetry_check(&t);
    dc_telemetry_free(&t);
    s = (tm_sink){.out = &t};
    tm_3gf_records(&s, (tm_bytes){copy, size});
    fuzz_telemetry_check(&t);
    dc_telemetry_free(&t);
    free(copy);
    return 0;
}
