/* BlackVue sidecars: NAME.gps (NMEA with "[ms]" line prefixes, read by nmea.c) and NAME.3gf,
 * the G-sensor: 10-byte big-endian records, a u32 of milliseconds since the recording began
 * and three s16 axes. No public description gives the scale; 128 per g is what a resting
 * camera's vertical axis reads in the samples public tools were written against
 * (unconfirmed: the one constant to revisit with a real file). A record of all ones ends the
 * list; a trailing partial record is noted. */
#include <stdlib.h>

#include "tm_internal.h"

#define COUNTS_PER_G 128.0

void tm_3gf_records(tm_sink *s, tm_bytes data) {
    size_t n = data.n / 10;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = data.p + i * 10;
        uint32_t ms = tm_be32(r);
        if (ms == 0xffffffffu) return;
        if (!tm_add_accel(s, ms / 1000.0, (int16_t)tm_be16(r + 4) / COUNTS_PER_G,
                          (int16_t)tm_be16(r + 6) / COUNTS_PER_G,
                          (int16_t)tm_be16(r + 8) / COUNTS_PER_G))
            return;
    }
    if (data.n % 10) tm_damage(s, "3gf: %zu bytes after the last whole record", data.n % 10);
}

bool tm_blackvue_detect(tm_ctx *ctx) {
    return tm_find_sidecar(ctx, ".gps") || tm_find_sidecar(ctx, ".3gf");
}

void tm_blackvue_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    size_t len = 0;
    tm_set_variant(s, "sidecar");
    if (tm_find_sidecar(ctx, ".gps")) {
        uint8_t *text = tm_read_sidecar(s, ctx->side, &len);
        if (text) tm_nmea_text(s, (tm_bytes){text, len});
        free(text);
    }
    if (!s->stopped && tm_find_sidecar(ctx, ".3gf")) {
        uint8_t *data = tm_read_sidecar(s, ctx->side, &len);
        if (data) tm_3gf_records(s, (tm_bytes){data, len});
        free(data);
    }
}
