/* One swscale step from the decoder's frame to the size and pixel format the caller wants,
 * then the display rotation (a cheap transpose on the already small image). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/imgutils.h>

#include "media_internal.h"

static int round_to_unit(double v, int unit) {
    int r = (int)lround(v / unit) * unit;
    return r < unit ? unit : r;
}

void media_target_size(int width, int height, int rotation, int longest, int unit, int *out_w,
                       int *out_h) {
    if (unit < 1) unit = 1;
    int w = width, h = height;
    if (rotation == 90 || rotation == 270) {
        w = height;
        h = width;
    }
    double scale = 1.0;
    if (longest > 0) scale = (double)longest / (w > h ? w : h);
    *out_w = round_to_unit(w * scale, unit);
    *out_h = round_to_unit(h * scale, unit);
}

/* Copies src (w x h, bpp bytes a pixel) into dst rotated clockwise by `rotation`. */
static void rotate_image(const uint8_t *src, int sw, int sh, int sstride, int bpp, int rotation,
                         uint8_t *dst, int dstride) {
    for (int y = 0; y < sh; y++) {
        const uint8_t *row = src + (size_t)y * sstride;
        for (int x = 0; x < sw; x++) {
            int dx, dy;
            switch (rotation) {
            case 90: dx = sh - 1 - y; dy = x; break;
            case 180: dx = sw - 1 - x; dy = sh - 1 - y; break;
            default: dx = y; dy = sw - 1 - x; break; /* 270 */
            }
            memcpy(dst + (size_t)dy * dstride + (size_t)dx * bpp, row + (size_t)x * bpp,
                   (size_t)bpp);
        }
    }
}

int media_convert(media_converter *c, const AVFrame *f, int rotation, int out_w, int out_h,
                  enum AVPixelFormat fmt, int sws_flags, uint8_t *dst, int dst_stride) {
    int sw = out_w, sh = out_h; /* swscale's output, before rotation */
    if (rotation == 90 || rotation == 270) {
        sw = out_h;
        sh = out_w;
    }
    c->sws = sws_getCachedContext(c->sws, f->width, f->height, f->format, sw, sh, fmt, sws_flags,
                                  NULL, NULL, NULL);
    if (!c->sws) return AVERROR(EINVAL);
    int bpp = fmt == AV_PIX_FMT_GRAY8 ? 1 : 3;
    if (rotation == 0) {
        uint8_t *planes[4] = {dst};
        int strides[4] = {dst_stride};
        return sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                         planes, strides) > 0
                   ? 0
                   : AVERROR(EINVAL);
    }
    size_t need = (size_t)sw * sh * bpp;
    if (need > c->tmp_size) {
        uint8_t *n = realloc(c->tmp, need);
        if (!n) return AVERROR(ENOMEM);
        c->tmp = n;
        c->tmp_size = need;
    }
    uint8_t *planes[4] = {c->tmp};
    int strides[4] = {sw * bpp};
    if (sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes,
                  strides) <= 0)
        return AVERROR(EINVAL);
    rotate_image(c->tmp, sw, sh, sw * bpp, bpp, rotation, dst, dst_stride);
    return 0;
}

void media_converter_free(media_converter *c) {
    sws_freeContext(c->sws);
    free(c->tmp);
    memset(c, 0, sizeof *c);
}
