/* The report's building blocks: HTML escaping of hostile text, base64, JPEG thumbnails,
 * page file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "dashclaim/report.h"
#include "report_test_util.h"

static void assert_escapes_to(const char *in, const char *expected) {
    char *out = dc_html_escape(in);
    assert_non_null(out);
    assert_string_equal(out, expected);
    free(out);
}

static void html_escape_neutralises_markup(void **state) {
    (void)state;
    assert_escapes_to("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_escapes_to("\"><img src=x onerror='alert(1)'>",
                      "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;");
    assert_escapes_to("Tom & Jerry &amp; co", "Tom &amp; Jerry &amp;amp; co");
    assert_escapes_to("plain text, 50 km/h", "plain text, 50 km/h");
    assert_escapes_to("", "");
    assert_escapes_to(NULL, "");
}

static void html_escape_keeps_valid_utf8_and_whitespace(void **state) {
    (void)state;
    /* é, €, an emoji (4 bytes), tab and newline pass through. */
    assert_escapes_to("caf\xC3\xA9 \xE2\x82\xAC\t\xF0\x9F\x9A\x97\nend",
                      "caf\xC3\xA9 \xE2\x82\xAC\t\xF0\x9F\x9A\x97\nend");
}

static void html_escape_replaces_invalid_utf8_and_controls(void **state) {
    (void)state;
#define FFFD "\xEF\xBF\xBD"
    assert_escapes_to("a\xFF"
                      "b",
                      "a" FFFD "b");                            /* never a UTF-8 byte */
    assert_escapes_to("\xC0\xBC", FFFD FFFD);                   /* overlong '<' */
    assert_escapes_to("\xE0\x80\xBC", FFFD FFFD FFFD);          /* overlong '<', 3 bytes */
    assert_escapes_to("\xED\xA0\x80", FFFD FFFD FFFD);          /* UTF-16 surrogate */
    assert_escapes_to("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
    assert_escapes_to("x\xE2\x82", "x" FFFD FFFD);              /* cut off at the end */
    assert_escapes_to("\x80<", FFFD "&lt;");                    /* lone continuation */
    assert_escapes_to("bell\x07 esc\x1B del\x7F", "bell" FFFD " esc" FFFD " del" FFFD);
#undef FFFD
}

/* Escaped output of every byte pair is valid UTF-8 and holds none of the five characters
 * raw: the property the pages rely on, over inputs nobody thought of. */
static void html_escape_output_is_always_safe(void **state) {
    (void)state;
    char in[4] = {0};
    for (int a = 1; a < 256; a++) {
        for (int b = 1; b < 256; b++) {
            in[0] = (char)a;
            in[1] = (char)b;
            char *out = dc_html_escape(in);
            assert_non_null(out);
            assert_null(strpbrk(out, "<>\"'"));
            for (const char *amp = strchr(out, '&'); amp; amp = strchr(amp + 1, '&'))
                assert_true(strncmp(amp, "&amp;", 5) == 0 || strncmp(amp, "&lt;", 4) == 0 ||
                            strncmp(amp, "&gt;", 4) == 0 || strncmp(amp, "&quot;", 6) == 0 ||
                            strncmp(amp, "&#39;", 5) == 0);
            char *again = dc_html_escape(out); /* valid UTF-8 gains no U+FFFD when escaped */
            assert_non_null(again);
            size_t fffd_out = (size_t)test_count(out, "\xEF\xBF\xBD");
            size_t fffd_again = (size_t)test_count(again, "\xEF\xBF\xBD");
            assert_int_equal(fffd_out, fffd_again); /* output was valid UTF-8 */
            free(again);
            free(out);
        }
    }
}

static void base64_matches_rfc4648_vectors(void **state) {
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *expected[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char *out = dc_base64_encode((const uint8_t *)in[i], strlen(in[i]));
        assert_non_null(out);
        assert_string_equal(out, expected[i]);
        free(out);
    }
}

static void base64_round_trips_every_byte(void **state) {
    (void)state;
    for (size_t n = 254; n <= 256; n++) { /* all three padding cases */
        uint8_t data[256];
        for (size_t i = 0; i < n; i++) data[i] = (uint8_t)(255 - i);
        char *text = dc_base64_encode(data, n);
        assert_non_null(text);
        assert_int_equal(strlen(text), (n + 2) / 3 * 4);
        size_t back_len = 0;
        uint8_t *back = test_base64_decode(text, strlen(text), &back_len);
        assert_non_null(back);
        assert_int_equal(back_len, n);
        assert_memory_equal(back, data, n);
        free(back);
        free(text);
    }
}

/* A frame whose left half is red and right half blue, rows padded past 3*width. */
static uint8_t *make_two_colour_frame(int w, int h, int stride) {
    uint8_t *rgb = malloc((size_t)stride * (size_t)h);
    if (!rgb) return NULL;
    memset(rgb, 0x55, (size_t)stride * (size_t)h); /* padding bytes must be ignored */
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint8_t *px = rgb + (size_t)y * (size_t)stride + (size_t)x * 3;
            bool left = x < w / 2;
            px[0] = left ? 220 : 20;
            px[1] = 30;
            px[2] = left ? 20 : 220;
        }
    }
    return rgb;
}

static uint8_t *decode_jpeg(const uint8_t *jpeg, size_t size, int *w, int *h) {
    tjhandle tj = tjInitDecompress();
    assert_non_null(tj);
    int subsamp = 0, colorspace = 0;
    assert_int_equal(
        tjDecompressHeader3(tj, jpeg, (unsigned long)size, w, h, &subsamp, &colorspace), 0);
    uint8_t *rgb = malloc((size_t)*w * (size_t)*h * 3);
    assert_non_null(rgb);
    assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)size, rgb, *w, 0, *h, TJPF_RGB, 0), 0);
    tjDestroy(tj);
    return rgb;
}

static void jpeg_thumbnail_is_shrunk_and_keeps_the_picture(void **state) {
    (void)state;
    int w = 640, h = 360, stride = 640 * 3 + 64;
    uint8_t *frame = make_two_colour_frame(w, h, stride);
    assert_non_null(frame);
    uint8_t *jpeg = NULL;
    size_t size = 0;
    int tw = 0, th = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_jpeg_encode_rgb(frame, w, h, stride, 320, 80, &jpeg, &size, &tw, &th, &st),
                     DC_OK);
    assert_int_equal(tw, 320);
    assert_int_equal(th, 180);
    assert_true(size > 4 && jpeg[0] == 0xFF && jpeg[1] == 0xD8);
    assert_true(jpeg[size - 2] == 0xFF && jpeg[size - 1] == 0xD9);
    int dw = 0, dh = 0;
    uint8_t *rgb = decode_jpeg(jpeg, size, &dw, &dh);
    assert_int_equal(dw, 320);
    assert_int_equal(dh, 180);
    const uint8_t *left = rgb + ((size_t)90 * 320 + 60) * 3;
    const uint8_t *right = rgb + ((size_t)90 * 320 + 260) * 3;
    assert_true(left[0] > 180 && left[2] < 60);
    assert_true(right[0] < 60 && right[2] > 180);
    free(rgb);
    free(jpeg);
    free(frame);
}

static void jpeg_small_frame_is_not_enlarged(void **state) {
    (void)state;
    int w = 200, h = 100;
    uint8_t *frame = make_two_colour_frame(w, h, w * 3);
    uint8_t *jpeg = NULL;
    size_t size = 0;
    int tw = 0, th = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_jpeg_encode_rgb(frame, w, h, w * 3, 320, 80, &jpeg, &size, &tw, &th, &st),
                     DC_OK);
    assert_int_equal(tw, 200);
    assert_int_equal(th, 100);
    int dw = 0, dh = 0;
    free(decode_jpeg(jpeg, size, &dw, &dh));
    assert_int_equal(dw, 200);
    assert_int_equal(dh, 100);
    free(jpeg);
    free(frame);
}

static void jpeg_rejects_bad_images_with_a_message(void **state) {
    (void)state;
    uint8_t pixels[12] = {0};
    uint8_t *jpeg = (uint8_t *)1;
    size_t size = 7;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_jpeg_encode_rgb(pixels, 0, 2, 6, 320, 80, &jpeg, &size, NULL, NULL, &st),
                     DC_ERR_INPUT);
    assert_null(jpeg);
    assert_int_equal(size, 0);
    assert_non_null(strstr(st.message, "0x2"));
    assert_int_equal(dc_jpeg_encode_rgb(pixels, 2, 2, 5, 320, 80, &jpeg, &size, NULL, NULL, &st),
                     DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "stride"));
    assert_int_equal(dc_jpeg_encode_rgb(NULL, 2, 2, 6, 320, 80, &jpeg, &size, NULL, NULL, &st),
                     DC_ERR_INPUT);
    assert_int_equal(dc_jpeg_encode_rgb(pixels, 2, 2, 6, 320, 0, &jpeg, &size, NULL, NULL, &st),
                     DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "quality"));
}

static void page_names_are_safe_file_names(void **state) {
    (void)state;
    char out[64];
    assert_string_equal(dc_report_page_name("/data/crash 1.mp4", out, sizeof out),
                        "crash_1.mp4.html");
    assert_string_equal(dc_report_page_name("near-miss_02.MOV", out, sizeof out),
                        "near-miss_02.MOV.html");
    assert_string_equal(dc_report_page_name("a/<b>\"c'.mp4", out, sizeof out), "_b__c_.mp4.html");
    assert_string_equal(dc_report_page_name("/x/.hidden", out, sizeof out), "_hidden.html");
    assert_string_equal(dc_report_page_name("/dir/", out, sizeof out), "video.html");
    assert_string_equal(dc_report_page_name(NULL, out, sizeof out), "video.html");
    char small[12];
    assert_string_equal(dc_report_page_name("abcdefghijklmnop.mp4", small, sizeof small),
                        "abcdef.html");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_escape_neutralises_markup),
        cmocka_unit_test(html_escape_keeps_valid_utf8_and_whitespace),
        cmocka_unit_test(html_escape_replaces_invalid_utf8_and_controls),
        cmocka_unit_test(html_escape_output_is_always_safe),
        cmocka_unit_test(base64_matches_rfc4648_vectors),
        cmocka_unit_test(base64_round_trips_every_byte),
        cmocka_unit_test(jpeg_thumbnail_is_shrunk_and_keeps_the_picture),
        cmocka_unit_test(jpeg_small_frame_is_not_enlarged),
        cmocka_unit_test(jpeg_rejects_bad_images_with_a_message),
        cmocka_unit_test(page_names_are_safe_file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
