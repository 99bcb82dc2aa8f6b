/* How many claims' rows one llama_decode of a batch's decode step holds (vlm_batch.c).
 *
 * A claim alone decodes one row a token. ggml's CPU kernels choose their method by how many
 * rows a product has, and not every method rounds a row as the one-row method does:
 * - weights repacked at load (ggml-cpu/repack.cpp: Q4_0, Q4_K, Q5_K, Q6_K, Q2_K, Q8_0,
 *   IQ4_NL, MXFP4) are multiplied four rows at a time by a gemm kernel and the rest one by
 *   one by a gemv kernel; the two differ in the last bit (a claim of a 4-row step of the
 *   tiny-q4k preset gets other logits than alone);
 * - float weights (F32, F16, BF16) go through llamafile's tinyBLAS from 2 rows on (one
 *   accumulator a dot product) and through ggml's vec_dot for one row (four accumulators);
 * - other quantized weights take the same per-row dot product whatever the rows.
 * So on the CPU a step's rows go to llama_decode in calls of at most 3 (1 when the text
 * model has a float weight matrix), and each claim computes what it computes alone, to the
 * bit. The claims still share a call's pass over the weights, which is what batching buys on
 * a CPU, up to 3 at a time; dc_vlm_options.batch_rows trades the sameness for whole steps.
 *
 * On a GPU the step is one call: that is where batching pays, and whether its kernels round
 * a row the same in any batch is not something this machine can check (scripts/gpu-check
 * compares the answers). */
#include <ggml.h>
#include <gguf.h>

#include "vlm_internal.h"

/* fewer than the repacked kernels' four-row groups */
enum { ROWS_QUANTIZED = 3, ROWS_FLOAT = 1 };

static bool float_matrix(const struct ggml_tensor *t) {
    return ggml_n_dims(t) >= 2 &&
           (t->type == GGML_TYPE_F32 || t->type == GGML_TYPE_F16 || t->type == GGML_TYPE_BF16);
}

/* ROWS_FLOAT when the model file has a float matrix (or cannot be read again: the safe
 * answer), else ROWS_QUANTIZED. Reads the tensor descriptions only. */
static int cpu_rows(const char *model_path) {
    struct ggml_context *meta = NULL;
    struct gguf_init_params gp = {.no_alloc = true, .ctx = &meta};
    struct gguf_context *g = gguf_init_from_file(model_path, gp);
    if (!g || !meta) {
        if (g) gguf_free(g);
        return ROWS_FLOAT;
    }
    int rows = ROWS_QUANTIZED;
    for (struct ggml_tensor *t = ggml_get_first_tensor(meta); t; t = ggml_get_next_tensor(meta, t))
        if (float_matrix(t)) {
            rows = ROWS_FLOAT;
            break;
        }
    ggml_free(meta);
    gguf_free(g);
    return rows;
}

int vlm_batch_decode_rows(const dc_vlm *e, bool gpu) {
    const int whole = e->opts.max_batch;
    if (e->opts.batch_rows > 0) return e->opts.batch_rows < whole ? e->opts.batch_rows : whole;
    if (gpu || whole == 1) return whole;
    const int rows = cpu_rows(e->model_path);
    return rows < whole ? rows : whole;
}
