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
            case 90:
                dx = sh - 1 - y;
                dy = x;
                break;
            case 180:
                dx = sw - 1 - x;
                dy = sh - 1 - y;
                break;
            default:
                dx = y;
                dy = sw - 1 - x;
                break; /* 270 */
            }
            memcpy(dst + (size_t)dy * dstride + (size_t)dx * bpp, row + (size_t)x * bpp,
                   (size_t)bpp);
        }
    }
}

static void release(media_converter *c) {
    sws_freeContext(c->sws);
    sws_freeContext(c->to_rgb);
    c->sws = c->to_rgb = NULL;
    av_freep(&c->mid[0]);
    c->two_step = false;
}

/* YUV 4:2:0 to RGB at a new size: swscale's direct path writes RGB with a per-pixel C routine,
 * while resizing in YUV (SIMD) and then converting at the target size (SIMD, same size) is
 * about 2.5x faster with the same resize filter. The picture is still resized once. */
static int setup(media_converter *c, const AVFrame *f, int sw, int sh, enum AVPixelFormat fmt,
                 int flags) {
    release(c);
    bool yuv420 = f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P;
    bool resize = f->width != sw || f->height != sh;
    if (fmt == AV_PIX_FMT_RGB24 && yuv420 && resize) {
        c->sws = sws_getContext(f->width, f->height, f->format, sw, sh, f->format, flags, NULL,
                                NULL, NULL);
        c->to_rgb = sws_getContext(sw, sh, f->format, sw, sh, fmt, SWS_POINT, NULL, NULL, NULL);
        if (!c->sws || !c->to_rgb ||
            av_image_alloc(c->mid, c->mid_linesize, sw, sh, f->format, 32) < 0) {
            release(c);
            return -1;
        }
        c->two_step = true;
    } else {
        c->sws =
            sws_getContext(f->width, f->height, f->format, sw, sh, fmt, flags, NULL, NULL, NULL);
        if (!c->sws) return -1;
    }
    c->src_w = f->width;
    c->src_h = f->height;
    c->src_fmt = f->format;
    c->dst_w = sw;
    c->dst_h = sh;
    c->dst_fmt = fmt;
    c->flags = flags;
    return 0;
}

static int scale(media_converter *c, const AVFrame *f, uint8_t *dst, int dst_stride) {
    uint8_t *planes[4] = {dst};
    int strides[4] = {dst_stride};
    if (!c->two_step)
        return sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes,
                         strides) > 0
                   ? 0
                   : AVERROR(EINVAL);
    if (sws_scale(c->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, c->mid,
                  c->mid_linesize) <= 0)
        return AVERROR(EINVAL);
    return sws_scale(c->to_rgb, (const uint8_t *const *)c->mid, c->mid_linesize, 0, c->dst_h,
                     planes, strides) > 0
               ? 0
               : AVERROR(EINVAL);
}

int media_convert(media_converter *c, const AVFrame *f, int rotation, int out_w, int out_h,
                  enum AVPixelFormat fmt, int sws_flags, uint8_t *dst, int dst_stride) {
    int sw = out_w, sh = out_h; /* swscale's output, before rotation */
    if (rotation == 90 || rotation == 270) {
        sw = out_h;
        sh = out_w;
    }
    /* Our own cache check: sws_getCachedContext compares against values swscale rewrites
     * during init (flags, JPEG-range formats) and so rebuilds its filters for every frame. */
    if (!c->sws || c->src_w != f->width || c->src_h != f->height || c->src_fmt != f->format ||
        c->dst_w != sw || c->dst_h != sh || c->dst_fmt != (int)fmt || c->flags != sws_flags) {
        if (setup(c, f, sw, sh, fmt, sws_flags) < 0) return AVERROR(EINVAL);
    }
    int bpp = fmt == AV_PIX_FMT_GRAY8 ? 1 : 3;
    if (rotation == 0) return scale(c, f, dst, dst_stride);
    size_t need = (size_t)sw * sh * bpp + MEDIA_PIXEL_SLACK;
    if (need > c->tmp_size) {
        uint8_t *n = realloc(c->tmp, need);
        if (!n) return AVERROR(ENOMEM);
        c->tmp = n;
        c->tmp_size = need;
    }
    if (scale(c, f, c->tmp, sw * bpp) < 0) return AVERROR(EINVAL);
    rotate_image(c->tmp, sw, sh, sw * bpp, bpp, rotation, dst, dst_stride);
    return 0;
}

void media_converter_free(media_converter *c) {
    release(c);
    free(c->tmp);
    memset(c, 0, sizeof *c);
}
