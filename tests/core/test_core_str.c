/* dc_str: the one string builder every writer uses (JSON, grammars, prompts, pages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/str.h"

static void zeroed_is_empty(void **state) {
    (void)state;
    dc_str s = {0};
    assert_string_equal(dc_str_text(&s), "");
    dc_str_append(&s, NULL);
    assert_int_equal(s.len, 0);
    char *text = dc_str_finish(&s);
    assert_non_null(text); /* an empty result is still a string the caller frees */
    assert_string_equal(text, "");
    free(text);
    assert_null(s.data);
    dc_str_free(&s); /* safe after finish */
}

static void appends_grow_and_keep_everything(void **state) {
    (void)state;
    dc_str s = {0};
    char expect[40000];
    size_t n = 0;
    for (int i = 0; i < 3000; i++) {
        dc_str_appendf(&s, "%d,", i);
        n += (size_t)snprintf(expect + n, sizeof expect - n, "%d,", i);
        if (i % 7 == 0) {
            dc_str_append(&s, "ab");
            dc_str_appendn(&s, "cdXX", 2);
            n += (size_t)snprintf(expect + n, sizeof expect - n, "abcd");
        }
    }
    /* One formatted piece longer than everything so far (the second formatting pass). */
    char big[50000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    dc_str_appendf(&s, "[%s]", big);
    assert_false(s.failed);
    assert_int_equal(s.len, n + sizeof big + 1);
    assert_memory_equal(s.data, expect, n);
    assert_int_equal(s.data[n], '[');
    assert_int_equal(s.data[s.len - 1], ']');
    assert_int_equal(s.data[s.len], '\0');
    assert_int_equal(strlen(dc_str_text(&s)), s.len);
    char *text = dc_str_finish(&s);
    assert_int_equal(strlen(text), n + sizeof big + 1);
    free(text);
}

static void embedded_bytes_are_kept(void **state) {
    (void)state;
    dc_str s = {0};
    dc_str_appendn(&s, "a\0b", 3);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.data, "a\0b", 4);
    dc_str_free(&s);
}

static void first_failure_sticks(void **state) {
    (void)state;
    dc_str s = {0};
    dc_str_append(&s, "kept");
    /* A length that cannot be had (it would overflow): the string fails and says so... */
    dc_str_appendn(&s, "x", SIZE_MAX);
    assert_true(s.failed);
    /* ... later appends do nothing, the text stops at the last good append ... */
    dc_str_append(&s, " more");
    dc_str_appendf(&s, "%d", 42);
    assert_true(s.failed);
    assert_string_equal(dc_str_text(&s), "kept");
    /* ... and the writer learns it once, at the end. */
    assert_null(dc_str_finish(&s));
    assert_null(s.data);
    assert_false(s.failed);
}

static void truncate_takes_back_the_end(void **state) {
    (void)state;
    dc_str s = {0};
    dc_str_truncate(&s, 0); /* nothing yet: nothing to cut */
    dc_str_append(&s, "{\"a\":1}<think>");
    size_t before = s.len - strlen("<think>");
    dc_str_truncate(&s, before);
    assert_string_equal(dc_str_text(&s), "{\"a\":1}");
    dc_str_truncate(&s, 100); /* longer than the text: unchanged */
    assert_string_equal(dc_str_text(&s), "{\"a\":1}");
    dc_str_append(&s, "!");
    assert_string_equal(dc_str_text(&s), "{\"a\":1}!");
    dc_str_free(&s);
}

static void reset_clears_text_and_error(void **state) {
    (void)state;
    dc_str s = {0};
    dc_str_append(&s, "first claim's output");
    char *memory = s.data;
    dc_str_reset(&s);
    assert_string_equal(dc_str_text(&s), "");
    assert_ptr_equal(s.data, memory); /* reused, not freed */
    dc_str_append(&s, "a");
    dc_str_appendn(&s, "x", SIZE_MAX);
    assert_true(s.failed);
    dc_str_reset(&s);
    assert_false(s.failed);
    dc_str_append(&s, "second");
    assert_string_equal(dc_str_text(&s), "second");
    dc_str_free(&s);
    assert_null(s.data);
    assert_int_equal(s.len, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zeroed_is_empty),
        cmocka_unit_test(appends_grow_and_keep_everything),
        cmocka_unit_test(embedded_bytes_are_kept),
        cmocka_unit_test(first_failure_sticks),
        cmocka_unit_test(truncate_takes_back_the_end),
        cmocka_unit_test(reset_clears_text_and_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
