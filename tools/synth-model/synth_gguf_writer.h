/* Streams a GGUF file: the header (key/values and tensor infos) is written through ggml's gguf
 * API, then each tensor's data is generated, quantised and written in row chunks, so that a 7B
 * model is written without holding it in memory. */
#ifndef SYNTH_GGUF_WRITER_H
#define SYNTH_GGUF_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "ggml.h"
#include "gguf.h"

typedef enum {
    SYNTH_FILL_RANDOM = 0, /* uniform noise with standard deviation `std` */
    SYNTH_FILL_ONES,       /* normalisation weights */
    SYNTH_FILL_ZEROS,
} synth_fill;

typedef struct {
    char name[96];
    enum ggml_type type;
    int64_t ne[4];
    synth_fill fill;
    float std;
} synth_tensor_spec;

typedef struct {
    struct gguf_context *gguf; /* key/values are set on this before writing */
    synth_tensor_spec *tensors;
    int count, capacity;
    uint64_t seed;
} synth_gguf;

bool synth_gguf_init(synth_gguf *g, uint64_t seed);
void synth_gguf_free(synth_gguf *g);

/* Declares a tensor (ne[i] beyond n_dims are 1). Returns false when out of memory. */
bool synth_gguf_add(synth_gguf *g, const char *name, enum ggml_type type, int n_dims,
                    const int64_t *ne, synth_fill fill, float std);

/* Writes the whole file; on failure returns false with a message in err. */
bool synth_gguf_write(synth_gguf *g, const char *path, char *err, size_t err_size);

#endif
