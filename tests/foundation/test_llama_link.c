/* The llama.cpp build from scripts/deps is usable: the backend initialises, at least one
 * ggml device (the CPU) is registered, and libmtmd links and answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ggml-backend.h>
#include <llama.h>
#include <mtmd.h>
#include <stdio.h>
#include <string.h>

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
    (void)level, (void)text, (void)user;
}

static void test_backend_has_cpu_device(void **state) {
    (void)state;
    llama_log_set(quiet_log, NULL);
    ggml_backend_load_all();
    llama_backend_init();
    size_t ndev = ggml_backend_dev_count();
    assert_true(ndev >= 1);
    int cpu = 0;
    for (size_t i = 0; i < ndev; i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        size_t free_b = 0, total_b = 0;
        ggml_backend_dev_memory(dev, &free_b, &total_b);
        printf("device %zu: %s (%s) free %zu MiB / %zu MiB\n", i, ggml_backend_dev_name(dev),
               ggml_backend_dev_description(dev), free_b >> 20, total_b >> 20);
        if (ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_CPU) cpu++;
    }
    assert_int_equal(cpu, 1);
    assert_non_null(llama_print_system_info());
    llama_backend_free();
}

static void test_mtmd_answers(void **state) {
    (void)state;
    const char *marker = mtmd_default_marker();
    assert_non_null(marker);
    assert_true(strlen(marker) > 0);
    /* Loading an mmproj that does not exist must fail cleanly, not crash. */
    struct mtmd_context_params p = mtmd_context_params_default();
    p.print_timings = false;
    mtmd_context *ctx = mtmd_init_from_file("/nonexistent/mmproj.gguf", NULL, p);
    assert_null(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_has_cpu_device),
        cmocka_unit_test(test_mtmd_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
