/* Which model families the engine knows, read from the GGUF metadata (never the file name).
 *
 * The engine's rules are those of the Qwen2-VL design: 14-pixel patches merged 2x2 (one
 * visual token per 28x28 pixels, VLM_PIXEL_UNIT), two consecutive frames merged into one
 * temporal patch, timestamps given as text before each pair, the chatml template, at most
 * 2 frames per second. A pair whose text architecture and projector are not in the table
 * would run with wrong assumptions (Qwen3-VL: 16-pixel patches and timestamps between frames),
 * so it is refused at open with a message that names both. */
#include <stdio.h>
#include <string.h>

#include <gguf.h>

#include "vlm_internal.h"

typedef struct {
    const char *arch;      /* general.architecture of the text model */
    const char *projector; /* clip.projector_type (or clip.vision.projector_type) of the mmproj */
    int patch_size;        /* clip.vision.patch_size */
    const char *models;    /* for messages */
} vlm_family;

static const vlm_family families[] = {
    {"qwen2vl", "qwen2.5vl_merger", 14, "Qwen2.5-VL, Cosmos-Reason1"},
    {"qwen2vl", "qwen2vl_merger", 14, "Qwen2-VL"},
};

/* The projector type and patch size of an mmproj file; "" / 0 when absent. */
static bool read_projector(const char *path, char *type, size_t type_size, int *patch) {
    struct gguf_init_params params = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = gguf_init_from_file(path, params);
    type[0] = '\0';
    *patch = 0;
    if (!g) return false;
    static const char *type_keys[] = {"clip.vision.projector_type", "clip.projector_type"};
    for (size_t i = 0; i < 2 && !type[0]; i++) {
        int64_t k = gguf_find_key(g, type_keys[i]);
        if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING)
            snprintf(type, type_size, "%s", gguf_get_val_str(g, k));
    }
    int64_t k = gguf_find_key(g, "clip.vision.patch_size");
    if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_UINT32) *patch = (int)gguf_get_val_u32(g, k);
    gguf_free(g);
    return true;
}

dc_error_class vlm_family_check(const dc_vlm *e, const struct llama_model *model, dc_status *st) {
    char arch[64] = "", projector[64] = "";
    if (llama_model_meta_val_str(model, "general.architecture", arch, sizeof(arch)) < 0)
        snprintf(arch, sizeof(arch), "(none)");
    int patch = 0;
    if (!read_projector(e->mmproj_path, projector, sizeof(projector), &patch))
        return dc_fail(st, DC_ERR_MODEL, "%s: not a GGUF file libmtmd can read", e->mmproj_path);
    if (!projector[0]) snprintf(projector, sizeof(projector), "(none)");
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        if (strcmp(arch, families[i].arch) != 0 || strcmp(projector, families[i].projector) != 0)
            continue;
        if (patch != families[i].patch_size)
            return dc_fail(st, DC_ERR_MODEL,
                           "%s: projector %s with %d-pixel patches; the %s family has %d",
                           e->mmproj_path, projector, patch, families[i].models,
                           families[i].patch_size);
        return DC_OK;
    }
    char known[256] = "";
    for (size_t i = 0, n = 0; i < sizeof(families) / sizeof(families[0]) && n < sizeof(known); i++)
        n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s with %s (%s)", i ? "; " : "",
                              families[i].arch, families[i].projector, families[i].models);
    return dc_fail(st, DC_ERR_MODEL,
                   "%s + %s: model family not supported: architecture %s with projector %s "
                   "(known: %s)",
                   e->model_path, e->mmproj_path, arch, projector, known);
}
