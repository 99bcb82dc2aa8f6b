/* libFuzzer harness: the CLI's claim-metadata reader (--metadata FILE, src/cli/metadata.c).
 * Whatever the file holds, the reader returns DC_OK with fields in range or a failure with
 * class input and a message; it never crashes, and a count is never negative. Corpus: tests/fuzz/corpus/metadata/. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("metadata.json", data, size);
    if (!path) return 0;
    dc_claim_metadata m;
    dc_status st = DC_STATUS_OK;
    dc_error_class rc = cli_load_metadata(path, &m, &st);
    if (rc != DC_OK && (rc != DC_ERR_INPUT || !st.message[0])) abort();
    if (rc == DC_OK &&
        (m.damage_claimed < DC_SEVERITY_UNSET || m.damage_claimed > DC_SEVERITY_HIGH ||
         m.recent_claims_same_vehicle < -1 || m.recent_claims_same_location < -1))
        abort();
    return 0;
}
