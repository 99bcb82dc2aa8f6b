/* libFuzzer harness: dc_telemetry_read on a whole file (the ISO-BMFF walker, the sample tables,
 * then the GPMF or Novatek reader it leads to). Whatever the bytes, the read returns DC_OK (an
 * ISO-BMFF file or not, damaged or not) and the result holds to fuzz_telemetry_check.
 * Corpus: tests/fuzz/corpus/telemetry_mp4/ (synth-telemetry clips). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "fuzz_telemetry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("clip.mp4", data, size);
    if (!path) return 0;
    dc_telemetry t;
    dc_status st = DC_STATUS_OK;
    if (dc_telemetry_read(path, dc_deadline_in(10), &t, &st) != DC_OK) abort();
    fuzz_telemetry_check(&t);
    dc_telemetry_free(&t);
    return 0;
}
