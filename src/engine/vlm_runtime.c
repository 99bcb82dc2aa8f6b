/* Loading the model, the vision encoder and the context on one placement, and device memory. */
#include <stdio.h>
#include <string.h>

#include <ggml-backend.h>

#include "vlm_internal.h"

uint64_t vlm_device_memory_used(void) {
    uint64_t used = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        if (ggml_backend_dev_type(dev) != GGML_BACKEND_DEVICE_TYPE_GPU) continue;
        size_t free_b = 0, total_b = 0;
        ggml_backend_dev_memory(dev, &free_b, &total_b);
        if (total_b >= free_b) used += (uint64_t)(total_b - free_b);
    }
    return used;
}

static const char *first_gpu_name(void) {
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        if (ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_GPU)
            return ggml_backend_dev_name(dev);
    }
    return NULL;
}

void vlm_runtime_free(vlm_runtime *rt) {
    if (rt->mctx) mtmd_free(rt->mctx);
    if (rt->lctx) llama_free(rt->lctx);
    if (rt->model) llama_model_free(rt->model);
    memset(rt, 0, sizeof(*rt));
}

/* llama.cpp asks while it reads the weights; false cancels the load. A CPU fallback loads a
 * whole model inside a claim, which must not outlive the claim's deadline (at open there is no
 * deadline, and this never cancels). */
static bool load_progress(float progress, void *user) {
    (void)progress;
    dc_vlm *e = user;
    if (vlm_fault_fires(e, DC_VLM_FAULT_DEADLINE_FALLBACK_LOAD)) e->aborted = true;
    return !vlm_deadline_passed(e);
}

static dc_error_class load_timed_out(dc_vlm *e, vlm_runtime *rt, const char *what, dc_status *st) {
    vlm_runtime_free(rt);
    return dc_fail(st, DC_ERR_TIMEOUT, "%s: the claim's deadline passed while loading %s",
                   e->model_path, what);
}

/* dc_vlm_options.flash_attn: -1 auto, 0 off, 1 on. */
static enum llama_flash_attn_type flash_attn_type(int setting) {
    return setting < 0   ? LLAMA_FLASH_ATTN_TYPE_AUTO
           : setting > 0 ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                         : LLAMA_FLASH_ATTN_TYPE_DISABLED;
}

dc_error_class vlm_runtime_load(dc_vlm *e, vlm_runtime *rt, bool cpu_only, dc_status *st) {
    memset(rt, 0, sizeof(*rt));
    const dc_vlm_options *o = &e->opts;
    const bool gpu = e->has_gpu && !cpu_only;

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = gpu ? (o->n_gpu_layers < 0 ? -1 : o->n_gpu_layers) : 0;
    if (!gpu) {
        /* no device list: the CPU only, even when a GPU backend is registered */
        static ggml_backend_dev_t no_devices[] = {NULL};
        mp.devices = no_devices;
    }
    mp.progress_callback = load_progress;
    mp.progress_callback_user_data = e;
    rt->model = llama_model_load_from_file(e->model_path, mp);
    if (!rt->model && e->aborted) return load_timed_out(e, rt, "the model", st);
    if (!rt->model) {
        vlm_runtime_free(rt);
        return dc_fail(st, DC_ERR_MODEL,
                       "%s: llama.cpp could not load the model (not a GGUF text model of a "
                       "supported architecture, or out of memory)",
                       e->model_path);
    }

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)e->n_ctx_total;
    cp.n_batch = (uint32_t)e->n_batch;
    cp.n_ubatch = (uint32_t)e->n_batch;
    /* The claim's sequence and the fixed prompt's (vlm_prefix.c), in one unified cache so that
     * both share the prefix's cells. An engine for a batch (vlm_batch.c) gives each sequence a
     * stream of its own (n_ctx cells each) instead: a claim's cells then sit at the same
     * places as when it runs alone, so that its attention sums in the same order; the prefix
     * is copied into a claim's stream (llama_memory_seq_cp across streams). */
    cp.n_seq_max = (uint32_t)o->max_batch + 1;
    cp.kv_unified = o->max_batch == 1;
    cp.n_threads = e->n_threads;
    cp.n_threads_batch = e->n_threads;
    /* Flash attention on the CPU takes another path for one claim's token than for several
     * claims' (with n_kv >= 512, ggml splits one query's cells between the threads and merges
     * their partial sums), which rounds differently once there are two threads: a batch
     * engine's claim would answer otherwise in a batch than alone. Without it a row's
     * attention is the same dot products whatever the threads. (The weights' products are
     * kept the same by the rows a decode call gets: vlm_batch_rows.c.) */
    const bool batch_on_cpu = o->max_batch > 1 && !gpu;
    cp.flash_attn_type = flash_attn_type(batch_on_cpu && o->flash_attn < 0 ? 0 : o->flash_attn);
    cp.abort_callback = vlm_abort_callback;
    cp.abort_callback_data = e;
    cp.no_perf = true;
    cp.offload_kqv = gpu;
    cp.op_offload = gpu;
    rt->lctx = llama_init_from_model(rt->model, cp);
    if (!rt->lctx) {
        vlm_runtime_free(rt);
        return dc_fail(st, DC_ERR_RESOURCE,
                       "%s: could not create a context of %d KV cells (out of memory?)",
                       e->model_path, e->n_ctx);
    }

    struct mtmd_context_params mp2 = mtmd_context_params_default();
    mp2.use_gpu = gpu && !o->mmproj_on_cpu;
    mp2.print_timings = o->verbose;
    mp2.n_threads = e->n_threads;
    /* the encoder's own setting: one image at a time, alone or in a batch */
    mp2.flash_attn_type = flash_attn_type(o->flash_attn);
    mp2.warmup = true;
    mp2.cb_eval = vlm_clip_eval_callback;
    mp2.cb_eval_user_data = e;
    rt->mctx = mtmd_init_from_file(e->mmproj_path, rt->model, mp2);
    if (!rt->mctx) {
        vlm_runtime_free(rt);
        return dc_fail(st, DC_ERR_MODEL,
                       "%s: libmtmd could not load the mmproj (not a vision projector, or "
                       "one that does not match %s)",
                       e->mmproj_path, e->model_path);
    }
    /* libmtmd's load cannot be cancelled: look once it is done */
    if (vlm_deadline_passed(e)) return load_timed_out(e, rt, "the vision encoder", st);
    if (!mtmd_support_vision(rt->mctx)) {
        vlm_runtime_free(rt);
        return dc_fail(st, DC_ERR_MODEL, "%s: this mmproj has no vision encoder", e->mmproj_path);
    }
    const char *gpu_name = first_gpu_name();
    rt->on_gpu = gpu && (mp.n_gpu_layers != 0 || mp2.use_gpu);
    rt->decode_rows = vlm_batch_decode_rows(e, gpu && mp.n_gpu_layers != 0);
    snprintf(rt->device, sizeof(rt->device), "%s", rt->on_gpu && gpu_name ? gpu_name : "cpu");
    return DC_OK;
}
