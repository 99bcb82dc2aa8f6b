/* synth-model writes a Qwen2.5-VL pair and a Qwen3-VL pair that llama.cpp and libmtmd load
 * with no missing tensor, with the real Qwen2 tokenizer and Qwen-VL's vision tokens at their
 * released ids, and the weights follow the seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gguf.h>
#include <llama.h>
#include <mtmd.h>
#include <mtmd-helper.h>

static char tmp_dir[1024];

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
    (void)level, (void)text, (void)user;
}

static void synth_preset(const char *dir, const char *preset, int seed) {
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "\"%s/synth-model\" --preset %s --seed %d -o \"%s\" 2>/dev/null",
             getenv("DC_BIN"), preset, seed, dir);
    assert_int_equal(system(cmd), 0);
}

static void synth(const char *dir, int seed) { synth_preset(dir, "tiny", seed); }

static int setup(void **state) {
    (void)state;
    const char *t = getenv("DC_TEST_TMP");
    if (!t || !getenv("DC_BIN")) return -1;
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/synth-model", t);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "mkdir -p \"%s\"", tmp_dir);
    if (system(cmd) != 0) return -1;
    llama_log_set(quiet_log, NULL);
    mtmd_helper_log_set(quiet_log, NULL);
    llama_backend_init();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    llama_backend_free();
    return 0;
}

static llama_token token_id(const struct llama_vocab *v, const char *text) {
    llama_token t[8];
    int n = llama_tokenize(v, text, (int32_t)strlen(text), t, 8, false, true);
    return n == 1 ? t[0] : -1;
}

static void test_tiny_loads_in_llama_and_mtmd(void **state) {
    (void)state;
    char dir[1200], model[1300], mmproj[1300];
    snprintf(dir, sizeof(dir), "%s/tiny", tmp_dir);
    synth(dir, 1);
    snprintf(model, sizeof(model), "%s/model.gguf", dir);
    snprintf(mmproj, sizeof(mmproj), "%s/mmproj.gguf", dir);

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *m = llama_model_load_from_file(model, mp);
    assert_non_null(m); /* a missing or misshapen tensor makes this fail */
    char arch[64];
    assert_true(llama_model_meta_val_str(m, "general.architecture", arch, sizeof(arch)) > 0);
    assert_string_equal(arch, "qwen2vl");
    const struct llama_vocab *v = llama_model_get_vocab(m);
    assert_int_equal(llama_vocab_n_tokens(v), 151936);
    /* the released Qwen2.5-VL ids */
    assert_int_equal(token_id(v, "<|im_start|>"), 151644);
    assert_int_equal(token_id(v, "<|im_end|>"), 151645);
    assert_int_equal(token_id(v, "<|vision_start|>"), 151652);
    assert_int_equal(token_id(v, "<|vision_end|>"), 151653);
    assert_int_equal(token_id(v, "<|image_pad|>"), 151655);
    assert_int_equal(llama_vocab_eos(v), 151645);
    assert_true(llama_vocab_is_eog(v, 151645));
    /* the real BPE: an ordinary word is one token, not bytes */
    assert_true(token_id(v, "Hello") >= 0);
    assert_non_null(llama_model_chat_template(m, NULL));
    assert_true(strstr(llama_model_chat_template(m, NULL), "<|im_start|>") != NULL);

    struct mtmd_context_params cp = mtmd_context_params_default();
    cp.use_gpu = false;
    cp.n_threads = 2;
    cp.print_timings = false;
    mtmd_context *mc = mtmd_init_from_file(mmproj, m, cp);
    assert_non_null(mc);
    assert_true(mtmd_support_vision(mc));
    assert_true(mtmd_decode_use_mrope(mc));

    /* two mergeable frames become one chunk: Qwen2.5-VL's temporal merge */
    enum { W = 112, H = 56 };
    static unsigned char px[W * H * 3];
    for (size_t i = 0; i < sizeof(px); i++) px[i] = (unsigned char)(i * 13);
    mtmd_bitmap *b[2] = {mtmd_bitmap_init(W, H, px), mtmd_bitmap_init(W, H, px)};
    mtmd_bitmap_set_mergeable(b[0], true);
    mtmd_bitmap_set_mergeable(b[1], true);
    char prompt[128];
    snprintf(prompt, sizeof(prompt), "see %s%s now", mtmd_default_marker(), mtmd_default_marker());
    mtmd_input_text txt = {prompt, strlen(prompt), true, true};
    mtmd_input_chunks *ch = mtmd_input_chunks_init();
    assert_int_equal(mtmd_tokenize(mc, ch, &txt, (const mtmd_bitmap **)b, 2), 0);
    int images = 0;
    size_t image_tokens = 0;
    for (size_t i = 0; i < mtmd_input_chunks_size(ch); i++) {
        const mtmd_input_chunk *c = mtmd_input_chunks_get(ch, i);
        if (mtmd_input_chunk_get_type(c) == MTMD_INPUT_CHUNK_TYPE_IMAGE) {
            images++;
            image_tokens += mtmd_input_chunk_get_n_tokens(c);
            assert_int_equal(mtmd_encode_chunk(mc, c), 0);
            const float *embd = mtmd_get_output_embd(mc);
            for (size_t k = 0; k < mtmd_input_chunk_get_n_tokens(c) * 64; k++)
                assert_true(embd[k] == embd[k]); /* no NaN */
        }
    }
    assert_int_equal(images, 1);
    assert_int_equal(image_tokens, (W / 28) * (H / 28));
    mtmd_input_chunks_free(ch);
    mtmd_bitmap_free(b[0]);
    mtmd_bitmap_free(b[1]);
    mtmd_free(mc);
    llama_model_free(m);
}

/* Qwen3-VL: arch qwen3vl whose input is the merger's width plus one slice per deepstack layer,
 * projector qwen3vl_merger with 16-pixel patches merged 2x2 (32 pixels per visual token). */
static void test_qwen3vl_tiny_loads_in_llama_and_mtmd(void **state) {
    (void)state;
    char dir[1200], model[1300], mmproj[1300];
    snprintf(dir, sizeof(dir), "%s/qwen3-vl-tiny", tmp_dir);
    synth_preset(dir, "qwen3-vl-tiny", 1);
    snprintf(model, sizeof(model), "%s/model.gguf", dir);
    snprintf(mmproj, sizeof(mmproj), "%s/mmproj.gguf", dir);

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *m = llama_model_load_from_file(model, mp);
    assert_non_null(m);
    char arch[64];
    assert_true(llama_model_meta_val_str(m, "general.architecture", arch, sizeof(arch)) > 0);
    assert_string_equal(arch, "qwen3vl");
    assert_int_equal(llama_model_n_embd(m), 64);
    assert_int_equal(llama_model_n_embd_inp(m), 64 * (1 + 2)); /* two deepstack layers */
    assert_int_equal(token_id(llama_model_get_vocab(m), "<|vision_start|>"), 151652);

    struct mtmd_context_params cp = mtmd_context_params_default();
    cp.use_gpu = false;
    cp.n_threads = 2;
    cp.print_timings = false;
    mtmd_context *mc = mtmd_init_from_file(mmproj, m, cp);
    assert_non_null(mc); /* the projector's output width must match the text model's input */
    assert_true(mtmd_support_vision(mc));
    assert_true(mtmd_decode_use_mrope(mc));

    enum { W = 128, H = 64 };
    static unsigned char px[W * H * 3];
    for (size_t i = 0; i < sizeof(px); i++) px[i] = (unsigned char)(i * 7);
    mtmd_bitmap *b[2] = {mtmd_bitmap_init(W, H, px), mtmd_bitmap_init(W, H, px)};
    mtmd_bitmap_set_mergeable(b[0], true);
    mtmd_bitmap_set_mergeable(b[1], true);
    char prompt[128];
    snprintf(prompt, sizeof(prompt), "see %s%s now", mtmd_default_marker(), mtmd_default_marker());
    mtmd_input_text txt = {prompt, strlen(prompt), true, true};
    mtmd_input_chunks *ch = mtmd_input_chunks_init();
    assert_int_equal(mtmd_tokenize(mc, ch, &txt, (const mtmd_bitmap **)b, 2), 0);
    size_t image_tokens = 0;
    for (size_t i = 0; i < mtmd_input_chunks_size(ch); i++) {
        const mtmd_input_chunk *c = mtmd_input_chunks_get(ch, i);
        if (mtmd_input_chunk_get_type(c) != MTMD_INPUT_CHUNK_TYPE_IMAGE) continue;
        image_tokens += mtmd_input_chunk_get_n_tokens(c);
        assert_int_equal(mtmd_encode_chunk(mc, c), 0);
        const float *embd = mtmd_get_output_embd(mc);
        for (size_t k = 0; k < mtmd_input_chunk_get_n_tokens(c) * 192; k++)
            assert_true(embd[k] == embd[k]); /* no NaN */
    }
    assert_int_equal(image_tokens, (W / 32) * (H / 32)); /* one token per 32x32 pixels */
    mtmd_input_chunks_free(ch);
    mtmd_bitmap_free(b[0]);
    mtmd_bitmap_free(b[1]);
    mtmd_free(mc);
    llama_model_free(m);
}

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static int files_equal(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int eq = fa && fb;
    char ba[65536], bb[65536];
    while (eq) {
        size_t na = fread(ba, 1, sizeof(ba), fa), nb = fread(bb, 1, sizeof(bb), fb);
        if (na != nb || memcmp(ba, bb, na) != 0) eq = 0;
        if (na == 0) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return eq;
}

static void test_weights_follow_the_seed(void **state) {
    (void)state;
    char a[1200], b[1200], c[1200], pa[1300], pb[1300], pc[1300];
    snprintf(a, sizeof(a), "%s/seed7a", tmp_dir);
    snprintf(b, sizeof(b), "%s/seed7b", tmp_dir);
    snprintf(c, sizeof(c), "%s/seed8", tmp_dir);
    synth(a, 7);
    synth(b, 7);
    synth(c, 8);
    const char *files[] = {"model.gguf", "mmproj.gguf"};
    for (int i = 0; i < 2; i++) {
        snprintf(pa, sizeof(pa), "%s/%s", a, files[i]);
        snprintf(pb, sizeof(pb), "%s/%s", b, files[i]);
        snprintf(pc, sizeof(pc), "%s/%s", c, files[i]);
        assert_true(file_size(pa) > 0);
        assert_int_equal(file_size(pa), file_size(pc));
        assert_true(files_equal(pa, pb));
        assert_false(files_equal(pa, pc));
    }
}

static void test_bad_arguments_fail_cleanly(void **state) {
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "\"%s/synth-model\" --preset huge -o \"%s/x\" 2>/dev/null",
             getenv("DC_BIN"), tmp_dir);
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "\"%s/synth-model\" --preset tiny --vocab /nonexistent.gguf -o \"%s/x\" 2>/dev/null",
             getenv("DC_BIN"), tmp_dir);
    assert_int_not_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_loads_in_llama_and_mtmd),
        cmocka_unit_test(test_qwen3vl_tiny_loads_in_llama_and_mtmd),
        cmocka_unit_test(test_weights_follow_the_seed),
        cmocka_unit_test(test_bad_arguments_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
