#include "synth_gguf_writer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_rng.h"

/* Quantised tensors repeat rows drawn from a pool of independently quantised random rows:
 * ggml's k-quant quantiser runs at a few hundred MB/s, and quantising every row of a 7B model
 * would take minutes, while the cost of running the model does not depend on the values. */
enum { QUANT_POOL_ROWS = 64 };
/* Bytes generated per fwrite. */
enum { WRITE_CHUNK_BYTES = 4 << 20 };

bool synth_gguf_init(synth_gguf *g, uint64_t seed) {
    memset(g, 0, sizeof(*g));
    g->gguf = gguf_init_empty();
    g->seed = seed;
    return g->gguf != NULL;
}

void synth_gguf_free(synth_gguf *g) {
    if (g->gguf) gguf_free(g->gguf);
    free(g->tensors);
    memset(g, 0, sizeof(*g));
}

bool synth_gguf_add(synth_gguf *g, const char *name, enum ggml_type type, int n_dims,
                    const int64_t *ne, synth_fill fill, float std) {
    if (g->count == g->capacity) {
        int cap = g->capacity ? g->capacity * 2 : 256;
        synth_tensor_spec *t = realloc(g->tensors, (size_t)cap * sizeof(*t));
        if (!t) return false;
        g->tensors = t;
        g->capacity = cap;
    }
    synth_tensor_spec *t = &g->tensors[g->count++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->type = type;
    for (int i = 0; i < 4; i++) t->ne[i] = i < n_dims ? ne[i] : 1;
    t->fill = fill;
    t->std = std;
    return true;
}

static void fill_f32(float *dst, int64_t n, synth_fill fill, float std, synth_rng *rng) {
    if (fill == SYNTH_FILL_ONES) {
        for (int64_t i = 0; i < n; i++) dst[i] = 1.0f;
    } else if (fill == SYNTH_FILL_ZEROS) {
        memset(dst, 0, (size_t)n * sizeof(float));
    } else {
        /* uniform on [-a, a] has standard deviation a / sqrt(3) */
        const float a = std * 1.7320508f;
        for (int64_t i = 0; i < n; i++) dst[i] = a * synth_rng_symmetric(rng);
    }
}

static bool write_padding(FILE *f, size_t n) {
    static const char zeros[64];
    while (n > 0) {
        size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
        if (fwrite(zeros, 1, k, f) != k) return false;
        n -= k;
    }
    return true;
}

/* Float tensors: every value drawn fresh, written in chunks of whole rows. */
static bool write_float_tensor(FILE *f, const synth_tensor_spec *t, synth_rng *rng, float *scratch,
                               void *out, int64_t chunk_rows) {
    const int64_t n_per_row = t->ne[0];
    const int64_t nrows = t->ne[1] * t->ne[2] * t->ne[3];
    const size_t row_bytes = ggml_row_size(t->type, n_per_row);
    for (int64_t r = 0; r < nrows; r += chunk_rows) {
        int64_t k = nrows - r < chunk_rows ? nrows - r : chunk_rows;
        fill_f32(scratch, k * n_per_row, t->fill, t->std, rng);
        const void *src = scratch;
        if (t->type == GGML_TYPE_F16) {
            ggml_fp32_to_fp16_row(scratch, out, k * n_per_row);
            src = out;
        }
        if (fwrite(src, row_bytes, (size_t)k, f) != (size_t)k) return false;
    }
    return true;
}

static bool write_quant_tensor(FILE *f, const synth_tensor_spec *t, synth_rng *rng, float *pool_f32,
                               uint8_t *pool_q, uint8_t *out, int64_t chunk_rows) {
    const int64_t n_per_row = t->ne[0];
    const int64_t nrows = t->ne[1] * t->ne[2] * t->ne[3];
    const size_t row_bytes = ggml_row_size(t->type, n_per_row);
    fill_f32(pool_f32, QUANT_POOL_ROWS * n_per_row, t->fill, t->std, rng);
    ggml_quantize_chunk(t->type, pool_f32, pool_q, 0, QUANT_POOL_ROWS, n_per_row, NULL);
    for (int64_t r = 0; r < nrows; r += chunk_rows) {
        int64_t k = nrows - r < chunk_rows ? nrows - r : chunk_rows;
        for (int64_t i = 0; i < k; i++) {
            uint64_t pick = synth_rng_next(rng) % QUANT_POOL_ROWS;
            memcpy(out + (size_t)i * row_bytes, pool_q + pick * row_bytes, row_bytes);
        }
        if (fwrite(out, row_bytes, (size_t)k, f) != (size_t)k) return false;
    }
    return true;
}

bool synth_gguf_write(synth_gguf *g, const char *path, char *err, size_t err_size) {
    bool ok = false;
    FILE *f = NULL;
    float *scratch = NULL;
    uint8_t *out = NULL, *pool_q = NULL;
    /* written under another name and renamed when whole: a write cut short (a full disk, a
     * kill) leaves no file that a later run would take for a model */
    char part[4200];
    snprintf(part, sizeof(part), "%s.part", path);

    /* tensor metadata only: the data never lives in this context */
    struct ggml_init_params ip = {
        .mem_size = (size_t)(g->count + 1) * ggml_tensor_overhead(),
        .mem_buffer = NULL,
        .no_alloc = true,
    };
    struct ggml_context *meta = ggml_init(ip);
    if (!meta) {
        snprintf(err, err_size, "%s: out of memory for tensor metadata", path);
        return false;
    }
    int64_t max_row_elems = 1;
    for (int i = 0; i < g->count; i++) {
        const synth_tensor_spec *t = &g->tensors[i];
        struct ggml_tensor *tt = ggml_new_tensor(meta, t->type, 4, t->ne);
        ggml_set_name(tt, t->name);
        gguf_add_tensor(g->gguf, tt);
        if (t->ne[0] > max_row_elems) max_row_elems = t->ne[0];
    }

    f = fopen(part, "wb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot create: %s", part, strerror(errno));
        goto done;
    }
    if (!gguf_write_to_file_ptr(g->gguf, f, true)) {
        snprintf(err, err_size, "%s: writing the GGUF header failed", path);
        goto done;
    }

    /* A chunk holds at most WRITE_CHUNK_BYTES of f32 (or one row when a row is larger); a quant
     * pool holds QUANT_POOL_ROWS rows. */
    size_t scratch_elems = (size_t)WRITE_CHUNK_BYTES / sizeof(float) + (size_t)max_row_elems;
    if (scratch_elems < (size_t)(QUANT_POOL_ROWS * max_row_elems))
        scratch_elems = (size_t)(QUANT_POOL_ROWS * max_row_elems);
    scratch = malloc(scratch_elems * sizeof(float));
    out = malloc(scratch_elems * sizeof(float));
    pool_q = malloc((size_t)(QUANT_POOL_ROWS * max_row_elems) * sizeof(float));
    if (!scratch || !out || !pool_q) {
        snprintf(err, err_size, "%s: out of memory for the write buffers", path);
        goto done;
    }

    const size_t align = gguf_get_alignment(g->gguf);
    for (int i = 0; i < g->count; i++) {
        const synth_tensor_spec *t = &g->tensors[i];
        synth_rng rng;
        synth_rng_init(&rng, g->seed, (uint64_t)i + 1);
        int64_t chunk_rows = WRITE_CHUNK_BYTES / (int64_t)sizeof(float) / t->ne[0];
        if (chunk_rows < 1) chunk_rows = 1;
        bool w;
        if (t->type == GGML_TYPE_F32 || t->type == GGML_TYPE_F16)
            w = write_float_tensor(f, t, &rng, scratch, out, chunk_rows);
        else w = write_quant_tensor(f, t, &rng, scratch, pool_q, out, chunk_rows);
        size_t nbytes = ggml_row_size(t->type, t->ne[0]) * (size_t)(t->ne[1] * t->ne[2] * t->ne[3]);
        size_t pad = (align - nbytes % align) % align;
        if (!w || !write_padding(f, pad)) {
            snprintf(err, err_size, "%s: writing tensor %s failed: %s", path, t->name,
                     strerror(errno));
            goto done;
        }
    }
    if (fflush(f) != 0) {
        snprintf(err, err_size, "%s: flush failed: %s", path, strerror(errno));
        goto done;
    }
    ok = true;
done:
    if (f && fclose(f) != 0 && ok) {
        snprintf(err, err_size, "%s: close failed: %s", path, strerror(errno));
        ok = false;
    }
    if (f && ok && rename(part, path) != 0) {
        snprintf(err, err_size, "%s: cannot rename %s: %s", path, part, strerror(errno));
        ok = false;
    }
    if (f && !ok) remove(part);
    free(scratch);
    free(out);
    free(pool_q);
    ggml_free(meta);
    return ok;
}
