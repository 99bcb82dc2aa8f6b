/* Evidence thumbnails: RGB24 frames shrunk and JPEG-encoded in memory with TurboJPEG.
 *
 * Frames never touch the disk (the prototype's JPEG temp files were one of its failure
 * points). The shrink is done here, by area averaging, because TurboJPEG scales only when
 * decompressing; averaging rather than picking pixels keeps thin lines and text legible in
 * a 320-pixel thumbnail of a 1920-pixel frame. */
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "dashclaim/report.h"

/* JPEG's own limit on either dimension. */
#define JPEG_MAX_DIMENSION 65500

/* Averages the source box of every output pixel; box edges are the integer parts of the
 * exact scaled edges, so every source pixel lands in exactly one box. */
static void shrink_rgb_area_average(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst,
                                    int dw, int dh) {
    for (int y = 0; y < dh; y++) {
        int y0 = (int)((int64_t)y * sh / dh), y1 = (int)((int64_t)(y + 1) * sh / dh);
        if (y1 <= y0) y1 = y0 + 1;
        for (int x = 0; x < dw; x++) {
            int x0 = (int)((int64_t)x * sw / dw), x1 = (int)((int64_t)(x + 1) * sw / dw);
            if (x1 <= x0) x1 = x0 + 1;
            uint32_t sum[3] = {0, 0, 0};
            for (int yy = y0; yy < y1; yy++) {
                const uint8_t *row = src + (size_t)yy * (size_t)sstride + (size_t)x0 * 3;
                for (int xx = x0; xx < x1; xx++, row += 3) {
                    sum[0] += row[0];
                    sum[1] += row[1];
                    sum[2] += row[2];
                }
            }
            uint32_t count = (uint32_t)(y1 - y0) * (uint32_t)(x1 - x0);
            uint8_t *out = dst + ((size_t)y * (size_t)dw + (size_t)x) * 3;
            for (int c = 0; c < 3; c++) out[c] = (uint8_t)((sum[c] + count / 2) / count);
        }
    }
}

dc_error_class dc_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int stride,
                                  int max_width, int quality, uint8_t **out, size_t *out_size,
                                  int *out_width, int *out_height, dc_status *st) {
    if (out) *out = NULL;
    if (out_size) *out_size = 0;
    if (!rgb || !out || !out_size)
        return dc_fail(st, DC_ERR_INPUT, "jpeg: no image or no output buffer given");
    if (width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION)
        return dc_fail(st, DC_ERR_INPUT, "jpeg: image size %dx%d is outside 1..%d", width, height,
                       JPEG_MAX_DIMENSION);
    if (stride < width * 3)
        return dc_fail(st, DC_ERR_INPUT, "jpeg: row stride %d is shorter than %d RGB pixels",
                       stride, width);
    if (quality < 1 || quality > 100 || max_width < 0)
        return dc_fail(st, DC_ERR_INPUT, "jpeg: quality %d (1..100) or max width %d invalid",
                       quality, max_width);

    int w = width, h = height;
    const uint8_t *pixels = rgb;
    int pitch = stride;
    uint8_t *shrunk = NULL;
    if (max_width > 0 && width > max_width) {
        w = max_width;
        h = (int)(((int64_t)height * w + width / 2) / width);
        if (h < 1) h = 1;
        shrunk = malloc((size_t)w * (size_t)h * 3);
        if (!shrunk)
            return dc_fail(st, DC_ERR_RESOURCE, "jpeg: out of memory for a %dx%d thumbnail", w, h);
        shrink_rgb_area_average(rgb, width, height, stride, shrunk, w, h);
        pixels = shrunk;
        pitch = w * 3;
    }

    dc_error_class rc = DC_OK;
    tjhandle tj = tjInitCompress();
    unsigned long capacity = tjBufSize(w, h, TJSAMP_420);
    /* Our own malloc'd buffer of the worst-case size, so the caller frees with free() and
     * TurboJPEG never reallocates behind our back. */
    unsigned char *jpeg = capacity != (unsigned long)-1 ? malloc(capacity) : NULL;
    unsigned long jpeg_size = capacity;
    if (!tj) {
        rc = dc_fail(st, DC_ERR_INTERNAL, "jpeg: cannot start the encoder: %s",
                     tjGetErrorStr2(NULL));
    } else if (!jpeg) {
        rc = dc_fail(st, DC_ERR_RESOURCE, "jpeg: out of memory for a %dx%d JPEG", w, h);
    } else if (tjCompress2(tj, pixels, w, pitch, h, TJPF_RGB, &jpeg, &jpeg_size, TJSAMP_420,
                           quality, TJFLAG_NOREALLOC) != 0) {
        rc = dc_fail(st, DC_ERR_INTERNAL, "jpeg: encoding a %dx%d image failed: %s", w, h,
                     tjGetErrorStr2(tj));
    }
    if (tj) tjDestroy(tj);
    free(shrunk);
    if (rc != DC_OK) {
        free(jpeg);
        return rc;
    }
    uint8_t *fitted = realloc(jpeg, jpeg_size); /* the worst case is ~3x the real size */
    *out = fitted ? fitted : jpeg;
    *out_size = jpeg_size;
    if (out_width) *out_width = w;
    if (out_height) *out_height = h;
    return DC_OK;
}
