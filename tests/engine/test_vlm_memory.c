/* Context and KV cache are created once and cleared between claims: RSS stays bounded over 50
 * consecutive claims and device memory does not move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vlm_fixture.h"

/* ---- memory --------------------------------------------------------------------------- */

static void test_rss_bounded_over_50_claims(void **state) {
    (void)state;
    dc_assessment a;
    dc_status st = DC_STATUS_OK;
    /* a short answer budget keeps 50 claims quick: the answer is cut and repaired (degraded),
     * every allocation path of a claim still runs */
    dc_vlm_options o;
    test_options(&o, fx.model, fx.mmproj);
    o.max_new_tokens = 96;
    o.closing_reserve = 96;
    dc_vlm *v = dc_vlm_open(&o, &st);
    assert_non_null(v);
    uint64_t after_first = 0, last = 0;
    for (int i = 0; i < 50; i++) {
        assert_int_equal(claim(v, (dc_deadline){0}, &a, &st), DC_OK);
        assert_int_not_equal(a.status, DC_CLAIM_FAILED);
        if (i == 0) after_first = a.memory.rss_after;
        last = a.memory.rss_after;
        assert_int_equal(a.memory.device_after, a.memory.device_before);
    }
    double growth_mb = ((double)last - (double)after_first) / (1024.0 * 1024.0);
    printf("RSS after claim 1: %.1f MiB, after claim 50: %.1f MiB, growth %.2f MiB\n",
           (double)after_first / 1048576.0, (double)last / 1048576.0, growth_mb);
    dc_vlm_close(v); /* before the check: a failed assertion must not also read as a leak */
    /* Under AddressSanitizer freed blocks wait in a quarantine (up to 256 MB) before reuse, so
     * RSS grows by design there; that build's LeakSanitizer judges leaks instead, and the bound
     * is enforced in the normal build. */
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(growth_mb <= 32.0);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss_bounded_over_50_claims),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
