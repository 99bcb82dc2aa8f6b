/* The per-token tables of an engine, built once from the vocabulary at open: which tokens
 * close a string, an array/object or a number (for the closing pressure of vlm_generate.c),
 * which severity label a token starts, and the tokens grouped by their first byte (so that a
 * grammar step filters only the buckets whose first byte the grammar accepts). */
#include <stdlib.h>
#include <string.h>

#include "vlm_internal.h"

bool vlm_vocab_classify(dc_vlm *e, const struct llama_vocab *vocab) {
    int n = llama_vocab_n_tokens(vocab);
    uint8_t *flags = calloc((size_t)n, 1);
    llama_token_data *cand = malloc((size_t)n * sizeof(*cand));
    llama_token *by_byte = malloc((size_t)n * sizeof(*by_byte));
    int16_t *bucket = malloc((size_t)n * sizeof(*bucket));
    if (!flags || !cand || !by_byte || !bucket) {
        free(flags);
        free(cand);
        free(by_byte);
        free(bucket);
        return false;
    }
    static const char severity_initials[DC_SEVERITY_COUNT] = {'N', 'L', 'M', 'H'};
    int count[257] = {0};
    for (int b = 0; b < 256; b++) e->byte_token[b] = -1;
    char piece[256];
    for (int t = 0; t < n; t++) {
        int len = llama_token_to_piece(vocab, t, piece, (int32_t)sizeof(piece) - 1, 0, false);
        if (len <= 0 || len >= (int)sizeof(piece)) {
            bucket[t] = 256;
            count[256]++;
            continue;
        }
        piece[len] = '\0';
        unsigned char first = (unsigned char)piece[0];
        bucket[t] = first;
        count[first]++;
        if (len == 1 && e->byte_token[first] < 0) e->byte_token[first] = t;
        if (piece[0] == '"' && strspn(piece + 1, "\"]}") == strlen(piece + 1))
            flags[t] |= VLM_TOKEN_STRING_CLOSE;
        else if (strspn(piece, "]}") == (size_t)len) flags[t] |= VLM_TOKEN_STRUCT_CLOSE;
        else if (piece[0] == ',' && strspn(piece + 1, "\"") == strlen(piece + 1))
            flags[t] |= VLM_TOKEN_COMMA;
        for (int s = 0; s < DC_SEVERITY_COUNT; s++)
            if (piece[0] == severity_initials[s])
                flags[t] |= (uint8_t)((s + 1) << VLM_TOKEN_SEVERITY_SHIFT);
    }
    e->bucket_start[0] = 0;
    for (int b = 0; b < 257; b++) e->bucket_start[b + 1] = e->bucket_start[b] + count[b];
    int fill[257];
    memcpy(fill, e->bucket_start, sizeof(fill));
    for (int t = 0; t < n; t++) by_byte[fill[bucket[t]]++] = t;
    free(bucket);
    e->n_vocab = n;
    e->token_flags = flags;
    e->candidates = cand;
    e->by_first_byte = by_byte;
    return true;
}

int vlm_token_severity(const dc_vlm *e, llama_token t) {
    return ((e->token_flags[t] >> VLM_TOKEN_SEVERITY_SHIFT) & 7) - 1;
}

void vlm_vocab_free(dc_vlm *e) {
    free(e->token_flags);
    free(e->candidates);
    free(e->by_first_byte);
    e->token_flags = NULL;
    e->candidates = NULL;
    e->by_first_byte = NULL;
    e->n_vocab = 0;
}
