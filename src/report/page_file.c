/* The bytes of a finished page: base64 for what it embeds, the end of a render, the file. */
#include <openssl/evp.h>

#include "dashclaim/files.h"
#include "report_internal.h"

/* A multiple of 3, so that only the last chunk can carry '=' padding. */
#define BASE64_CHUNK_BYTES (3 * 1024)

void report_page_put_base64(dc_str *p, const uint8_t *data, size_t n) {
    unsigned char text[BASE64_CHUNK_BYTES / 3 * 4 + 1];
    for (size_t done = 0; done < n && !p->failed;) {
        size_t take = n - done < BASE64_CHUNK_BYTES ? n - done : BASE64_CHUNK_BYTES;
        int len = EVP_EncodeBlock(text, data + done, (int)take);
        dc_str_appendn(p, (const char *)text, (size_t)len);
        done += take;
    }
}

char *dc_base64_encode(const uint8_t *data, size_t n) {
    dc_str s = {0};
    report_page_put_base64(&s, data, n);
    return dc_str_finish(&s);
}

dc_error_class report_page_check_output(const dc_str *out, dc_status *st) {
    if (!out) return dc_fail(st, DC_ERR_INPUT, "report: no buffer to render into");
    if (out->len || out->failed)
        return dc_fail(st, DC_ERR_INPUT, "report: the buffer to render into is not empty");
    return DC_OK;
}

dc_error_class report_page_finish(dc_str *p, dc_status *st) {
    if (!p->failed && p->data) return DC_OK;
    dc_str_free(p);
    return dc_fail(st, DC_ERR_RESOURCE, "report: out of memory while building the page");
}

dc_error_class report_page_write_file(const dc_str *p, const char *path, dc_status *st) {
    if (!path || !*path) return dc_fail(st, DC_ERR_INPUT, "report: no output path given");
    return dc_file_write_atomic(path, p->data, p->len, st);
}
