/* BlackVue in the file: a top-level 'free' box (before mdat) whose children include 'gps '
 * (the same NMEA text as the .gps sidecar) and '3gf ' (the same records as the .3gf sidecar);
 * read in preference to sidecars (variant "free-box").
 * BlackVue sidecars: NAME.gps (NMEA with "[ms]" line prefixes, read by nmea.c) and NAME.3gf,
 * the G-sensor: 10-byte big-endian records, a u32 of milliseconds since the recording began
 * and three s16 axes. No public description gives the scale; 128 per g is what a resting
 * camera's vertical axis reads in the samples public tools were written against
 * (unconfirmed: the one constant to revisit with a real file). A record of all ones ends the
 * list; a trailing partial record is noted. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

enum { MAX_FREE_BOX = 64 << 20 };

/* The first top-level 'free' box whose first child is a box (a BlackVue one starts with
 * 'cprt' or 'ptnh'; a Novatek freeGPS block starts with its own text), holding 'gps ' or
 * '3gf ': read whole into *buf. */
static bool find_free_box(tm_ctx *ctx, uint8_t **buf, size_t *len) {
    const tm_file *f = &ctx->file;
    uint64_t pos = 0, size, header;
    uint32_t type;
    for (int i = 0; i < TM_MAX_TOP_BOXES && tm_top_box_at(f, pos, &type, &size, &header); i++) {
        if (size > f->size - pos) return false;
        if (i == 0 && type != TM_FOURCC('f', 't', 'y', 'p')) return false;
        uint8_t first[4];
        if (type == TM_FOURCC('f', 'r', 'e', 'e') && header == 8 && size >= 24 &&
            size - 8 <= MAX_FREE_BOX && pread(f->fd, first, 4, (off_t)(pos + 8)) == 4 &&
            tm_be32(first) >= 8 && tm_be32(first) <= size - 8) {
            size_t got = 0;
            bool oom = false;
            uint8_t *b = tm_file_read(f, pos + 8, (size_t)(size - 8), &got, &oom);
            if (oom) ctx->sink.oom = ctx->sink.stopped = true;
            tm_box box;
            if (b && (tm_box_find((tm_bytes){b, got}, TM_FOURCC('g', 'p', 's', ' '), &box) ||
                      tm_box_find((tm_bytes){b, got}, TM_FOURCC('3', 'g', 'f', ' '), &box))) {
                *buf = b, *len = got;
                return true;
            }
            free(b);
        }
        pos += size;
    }
    return false;
}

bool tm_blackvue_detect(tm_ctx *ctx) {
    uint8_t *b = NULL;
    size_t n = 0;
    bool in_file = find_free_box(ctx, &b, &n);
    free(b);
    return in_file || tm_find_sidecar(ctx, ".gps") || tm_find_sidecar(ctx, ".3gf");
}

void tm_blackvue_read(tm_ctx *ctx) {
    tm_sink *s = &ctx->sink;
    size_t len = 0;
    uint8_t *fb = NULL;
    if (find_free_box(ctx, &fb, &len)) {
        tm_set_variant(s, "free-box");
        tm_box box;
        bool cut = false;
        tm_bytes rest = {fb, len};
        /* 'gps ' first: the sink keeps each list in time order, not one across both */
        if (tm_box_find(rest, TM_FOURCC('g', 'p', 's', ' '), &box)) tm_nmea_text(s, box.body);
        if (tm_box_find(rest, TM_FOURCC('3', 'g', 'f', ' '), &box)) tm_3gf_records(s, box.body);
        while (tm_box_next(&rest, &box, &cut)) continue;
        if (cut)
            tm_damage(s, "%s: a box in BlackVue's free box claims more than it has",
                      ctx->video_path);
        free(fb);
        return;
    }
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
