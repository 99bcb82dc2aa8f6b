/* Which model families the engine knows, and their rules, read from the GGUF metadata (never
 * the file name).
 *
 * A family is a text architecture (general.architecture) with a projector
 * (clip.projector_type), and for a fine-tune that answers differently, its name
 * (general.name or general.basename). Its rules decide how frames are sized (patch size x
 * spatial merge: 28 pixels per visual token for Qwen2.5-VL, 32 for Qwen3-VL), how many frames
 * one temporal patch merges, the frame rate its video training assumed, how each pair's time
 * is written into the prompt, and whether it reasons in <think>...</think> before answering.
 * The chat template is the model's own (tokenizer.chat_template; every family here is chatml).
 *
 * Sources of the rules: Qwen2.5-VL's and Qwen3-VL's processors (14- and 16-pixel patches,
 * 2x2 merge, temporal patches of 2 frames, 2 frames per second by default; Qwen3-VL writes
 * "<t seconds>" before each temporal patch, t the mean time of its frames), libmtmd of the
 * pinned llama.cpp (clip.cpp: qwen2.5vl_merger, qwen3vl_merger and qwen2.5o, which is a
 * qwen2.5vl vision tower plus a Whisper-style audio tower), and the Cosmos-Reason2 model card
 * (the reasoning format asked for in the user turn).
 *
 * A pair not in the table would run with wrong assumptions (a Qwen3-VL text model with a
 * Qwen2.5-VL projector gets embeddings of the wrong layout), so it is refused at open with a
 * message that names both files' architecture and projector. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <gguf.h>

#include "vlm_internal.h"

/* The Cosmos-Reason2 model card's reasoning format, appended to the user's question (whose
 * last line ends with a newline: one blank line between them). */
static const char cosmos_reason2_format[] =
    "\nAnswer the question using the following format:\n\n<think>\nYour reasoning.\n</think>"
    "\n\nWrite your final answer immediately after the </think> tag.";

/* Rows with a name_key come before the row of their base model: the first match wins. */
static const vlm_family families[] = {
    {.name = "qwen2.5-vl",
     .models = "Qwen2.5-VL, Cosmos-Reason1",
     .arch = "qwen2vl",
     .projector = "qwen2.5vl_merger",
     .patch_size = 14,
     .temporal_patch = 2,
     .max_fps = 2.0,
     .times = VLM_TIMES_PAIR_LINES},
    {.name = "qwen2.5-omni",
     .models = "Qwen2.5-Omni",
     .arch = "qwen2vl",
     .projector = "qwen2.5o",
     .patch_size = 14,
     .temporal_patch = 2,
     .max_fps = 2.0,
     .times = VLM_TIMES_PAIR_LINES,
     .hears = true},
    {.name = "qwen2-vl",
     .models = "Qwen2-VL",
     .arch = "qwen2vl",
     .projector = "qwen2vl_merger",
     .patch_size = 14,
     .temporal_patch = 2,
     .max_fps = 2.0,
     .times = VLM_TIMES_PAIR_LINES},
    {.name = "cosmos-reason2",
     .models = "Cosmos-Reason2",
     .arch = "qwen3vl",
     .projector = "qwen3vl_merger",
     .name_key = "cosmosreason2",
     .patch_size = 16,
     .temporal_patch = 2,
     .max_fps = 2.0,
     .times = VLM_TIMES_SECONDS_TAGS,
     .thinks = true,
     .think_instruction = cosmos_reason2_format},
    {.name = "qwen3-vl",
     .models = "Qwen3-VL",
     .arch = "qwen3vl",
     .projector = "qwen3vl_merger",
     .patch_size = 16,
     .temporal_patch = 2,
     .max_fps = 2.0,
     .times = VLM_TIMES_SECONDS_TAGS},
};
enum { N_FAMILIES = sizeof(families) / sizeof(families[0]) };

typedef struct {
    char type[64]; /* projector type, "" when absent */
    int patch;     /* clip.vision.patch_size, 0 when absent */
    int merge;     /* clip.vision.spatial_merge_size, 2 when absent (libmtmd's default) */
} projector_info;

static void read_str(const struct gguf_context *g, const char *key, char *out, size_t size) {
    int64_t k = gguf_find_key(g, key);
    if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING)
        snprintf(out, size, "%s", gguf_get_val_str(g, k));
}

static int read_u32(const struct gguf_context *g, const char *key, int otherwise) {
    int64_t k = gguf_find_key(g, key);
    return k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_UINT32 ? (int)gguf_get_val_u32(g, k)
                                                                : otherwise;
}

/* The mmproj's projector; false when the file is not GGUF. */
static bool read_projector(const char *path, projector_info *p) {
    struct gguf_init_params params = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = gguf_init_from_file(path, params);
    memset(p, 0, sizeof(*p));
    if (!g) return false;
    /* a file with two towers names them apart; one with a single type names it once */
    read_str(g, "clip.projector_type", p->type, sizeof(p->type));
    if (!p->type[0]) read_str(g, "clip.vision.projector_type", p->type, sizeof(p->type));
    p->patch = read_u32(g, "clip.vision.patch_size", 0);
    p->merge = read_u32(g, "clip.vision.spatial_merge_size", 2);
    gguf_free(g);
    return true;
}

/* Lower-case letters and digits only: "Cosmos Reason2 8B" and "Cosmos-Reason2-8B" read the
 * same. */
static void normalise(const char *in, char *out, size_t size) {
    size_t n = 0;
    for (; *in && n + 1 < size; in++)
        if (isalnum((unsigned char)*in)) out[n++] = (char)tolower((unsigned char)*in);
    out[n] = '\0';
}

static bool name_matches(const struct llama_model *model, const char *key) {
    static const char *keys[] = {"general.name", "general.basename"};
    for (size_t i = 0; i < 2; i++) {
        char raw[256], norm[256];
        if (llama_model_meta_val_str(model, keys[i], raw, sizeof(raw)) < 0) continue;
        normalise(raw, norm, sizeof(norm));
        if (strstr(norm, key)) return true;
    }
    return false;
}

static const vlm_family *find(const char *arch, const char *projector,
                              const struct llama_model *model) {
    for (int i = 0; i < N_FAMILIES; i++) {
        const vlm_family *f = &families[i];
        if (strcmp(arch, f->arch) != 0 || strcmp(projector, f->projector) != 0) continue;
        if (f->name_key && !name_matches(model, f->name_key)) continue;
        return f;
    }
    return NULL;
}

/* The models whose text architecture (or projector) this is, for messages; NULL when none. */
static const char *models_of(const char *arch, const char *projector) {
    for (int i = 0; i < N_FAMILIES; i++) {
        if (families[i].name_key) continue; /* a fine-tune: name its base family */
        if ((arch && strcmp(arch, families[i].arch) == 0) ||
            (projector && strcmp(projector, families[i].projector) == 0))
            return families[i].models;
    }
    return NULL;
}

dc_error_class vlm_family_check(dc_vlm *e, const struct llama_model *model, dc_status *st) {
    char arch[64] = "";
    if (llama_model_meta_val_str(model, "general.architecture", arch, sizeof(arch)) < 0)
        snprintf(arch, sizeof(arch), "(none)");
    projector_info p;
    if (!read_projector(e->mmproj_path, &p))
        return dc_fail(st, DC_ERR_MODEL, "%s: not a GGUF file libmtmd can read", e->mmproj_path);
    if (!p.type[0]) snprintf(p.type, sizeof(p.type), "(none)");

    const vlm_family *f = find(arch, p.type, model);
    if (!f) {
        const char *text_models = models_of(arch, NULL), *proj_models = models_of(NULL, p.type);
        if (text_models && proj_models)
            return dc_fail(st, DC_ERR_MODEL,
                           "%s + %s: mismatched pair: the text model has architecture %s (%s) "
                           "but the mmproj has projector %s (%s); use the mmproj made for "
                           "this model",
                           e->model_path, e->mmproj_path, arch, text_models, p.type, proj_models);
        char known[512] = "";
        for (size_t i = 0, n = 0; i < N_FAMILIES && n < sizeof(known); i++)
            n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s with %s (%s)", i ? "; " : "",
                                  families[i].arch, families[i].projector, families[i].models);
        return dc_fail(st, DC_ERR_MODEL,
                       "%s + %s: model family not supported: architecture %s with projector %s "
                       "(known: %s)",
                       e->model_path, e->mmproj_path, arch, p.type, known);
    }
    if (p.patch != f->patch_size || p.merge != 2)
        return dc_fail(st, DC_ERR_MODEL,
                       "%s: projector %s with %d-pixel patches merged %dx%d; the %s family has "
                       "%d-pixel patches merged 2x2",
                       e->mmproj_path, p.type, p.patch, p.merge, p.merge, f->models, f->patch_size);
    e->family = f;
    e->pixel_unit = p.patch * p.merge;
    /* A family that reasons, or a model whose own template opens a <think> block (a
     * "Thinking" variant): the answer starts with its reasoning. */
    const char *tmpl = llama_model_chat_template(model, NULL);
    e->thinks = f->thinks || e->opts.allow_thinking || (tmpl && strstr(tmpl, "<think>"));
    return DC_OK;
}

const char *dc_vlm_family(const dc_vlm *e) { return e->family ? e->family->name : "none"; }
bool dc_vlm_thinks(const dc_vlm *e) { return e->thinks; }
bool dc_vlm_hears(const dc_vlm *e) { return e->family && e->family->hears; }
