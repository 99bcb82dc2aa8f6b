/* synth-model: writes DIR/model.gguf + DIR/mmproj.gguf, a random-weight Qwen2.5-VL or Qwen3-VL
 * pair with the real Qwen2 tokenizer, so that every llama.cpp / libmtmd code path runs without
 * real weights. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dashclaim/deadline.h"
#include "synth_qwen25omni.h"
#include "synth_qwen25vl.h"
#include "synth_qwen3vl.h"

#ifndef DC_LLAMA_SRC_DIR
#define DC_LLAMA_SRC_DIR "."
#endif

static void usage(FILE *to) {
    fprintf(to,
            "usage: synth-model --preset NAME [--seed N] -o DIR\n"
            "                   [--vocab PATH]  (default: %s/models/ggml-vocab-qwen2.gguf)\n"
            "presets: %s\n"
            "writes DIR/model.gguf and DIR/mmproj.gguf: arch qwen2vl + projector qwen2.5vl_merger\n"
            "(tiny, qwen2.5-vl-*) or arch qwen3vl + projector qwen3vl_merger (qwen3-vl-*, and\n"
            "cosmos-reason2-*: the same shapes named Cosmos-Reason2), or arch qwen2vl + projector\n"
            "qwen2.5o with an audio tower (qwen2.5-omni-*)\n",
            DC_LLAMA_SRC_DIR, synth_preset_names());
}

static int mkdir_p(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *s = buf + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
            *s = '/';
        }
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_one(const char *path, const synth_preset *p, const char *vocab, uint64_t seed,
                     bool text) {
    synth_gguf g;
    char err[1024] = "";
    double t0 = dc_now();
    if (!synth_gguf_init(&g, seed)) {
        fprintf(stderr, "synth-model: out of memory\n");
        return 1;
    }
    bool ok;
    if (p->family == SYNTH_QWEN3VL)
        ok = text ? synth_qwen3vl_text_plan(p, vocab, &g, err, sizeof(err))
                  : synth_qwen3vl_mmproj_plan(p, &g, err, sizeof(err));
    else if (p->family == SYNTH_QWEN25OMNI)
        ok = text ? synth_text_model_plan(p, vocab, &g, err, sizeof(err))
                  : synth_omni_mmproj_plan(p, &g, err, sizeof(err));
    else
        ok = text ? synth_text_model_plan(p, vocab, &g, err, sizeof(err))
                  : synth_mmproj_plan(p, &g, err, sizeof(err));
    if (ok) ok = synth_gguf_write(&g, path, err, sizeof(err));
    int n = g.count;
    synth_gguf_free(&g);
    if (!ok) {
        fprintf(stderr, "synth-model: %s\n", err);
        remove(path);
        return 1;
    }
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    fprintf(stderr, "synth-model: wrote %s (%d tensors, %.1f MiB) in %.1f s\n", path, n,
            (double)size / (1 << 20), dc_now() - t0);
    return 0;
}

int main(int argc, char **argv) {
    const char *preset_name = NULL, *out_dir = NULL;
    const char *vocab = DC_LLAMA_SRC_DIR "/models/ggml-vocab-qwen2.gguf";
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--preset") == 0 && v) {
            preset_name = v;
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            char *end;
            seed = strtoull(v, &end, 10);
            if (*end) {
                fprintf(stderr, "synth-model: --seed %s: not a number\n", v);
                return 2;
            }
            i++;
        } else if (strcmp(a, "-o") == 0 && v) {
            out_dir = v;
            i++;
        } else if (strcmp(a, "--vocab") == 0 && v) {
            vocab = v;
            i++;
        } else {
            fprintf(stderr, "synth-model: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!preset_name || !out_dir) {
        usage(stderr);
        return 2;
    }
    const synth_preset *p = synth_preset_find(preset_name);
    if (!p) {
        fprintf(stderr, "synth-model: unknown preset '%s' (known: %s)\n", preset_name,
                synth_preset_names());
        return 2;
    }
    if (mkdir_p(out_dir) != 0) {
        fprintf(stderr, "synth-model: %s: cannot create directory: %s\n", out_dir, strerror(errno));
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/model.gguf", out_dir);
    if (write_one(path, p, vocab, seed, true) != 0) return 1;
    snprintf(path, sizeof(path), "%s/mmproj.gguf", out_dir);
    /* a different stream so the projector's weights are not a copy of the text model's */
    if (write_one(path, p, vocab, seed ^ 0x5eedULL << 32, false) != 0) return 1;
    return 0;
}
