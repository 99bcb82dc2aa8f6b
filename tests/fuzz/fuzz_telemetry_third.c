/* libFuzzer harness: the third set of telemetry readers (src/telemetry/tm_more.h). The first
 * byte picks the layer: 0 an ssmd sample, 1 a LigoGPS payload, 2 an ATC block, 3 GPX text,
 * a first byte with bit 3 set (0x08..0x0f): MPEG-TS packets holding LigoGPS, with bit 4 set
 * (0x10..0x1f): Vueroid 72-byte records, one every 0.05 s; the rest is its input. What is kept holds to fuzz_telemetry_check. Corpus:
 * tests/fuzz/corpus/telemetry_third/ (seeded from synth-telemetry's files). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_telemetry.h"
#include "tm_more.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t n = size - 1;
    uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees any overread */
    if (!copy) return 0;
    memcpy(copy, data + 1, n);
    dc_telemetry t = {0};
    tm_sink s = {.out = &t};
    tm_bytes b = {copy, n};
    tm_ligo_state ligo;
    tm_ligo_state_init(&ligo);
    int last[6] = {0};
    if (data[0] & 16) {
        int64_t anchor = DC_TELEMETRY_NO_UTC;
        double anchor_t = 0;
        for (size_t at = 0; at + 72 <= n; at += 72)
            tm_vueroid_record(&s, copy + at, (double)(at / 72) * 0.05, &anchor, &anchor_t);
        fuzz_telemetry_check(&t);
        dc_telemetry_free(&t);
        free(copy);
        return 0;
    }
    if (data[0] & 8) {
        tm_ligogps_ts_packets(&s, b);
        fuzz_telemetry_check(&t);
        dc_telemetry_free(&t);
        free(copy);
        return 0;
    }
    switch (data[0] & 3) {
    case 0: tm_ssmd_sample(&s, b, 1.0); break;
    case 1:
        tm_ligogps_payload(&s, b, data[0] & 4 ? 2.0 : -1, &ligo);
        tm_ligo_state_end(&s, &ligo);
        break;
    case 2: tm_atc_block(&s, b, 0, last); break;
    default: tm_gpx_text(&s, b); break;
    }
    fuzz_telemetry_check(&t);
    dc_telemetry_free(&t);
    free(copy);
    return 0;
}
