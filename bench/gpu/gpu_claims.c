/* gpu-claims: N claims of one video in one process through the VLM pipeline (probe, mine,
 * sample, engine, decide), as a batch on a GPU machine runs them, with one injected device
 * failure. scripts/gpu-check runs it on a bare CUDA machine; it works on a CPU machine too.
 *
 * For each claim it records the end-to-end latency and its stages, the tokens and rates of
 * prefill and decode, the device the claim ran on, RSS and device memory before and after
 * (the engine's ggml view, and nvidia-smi's when that tool exists). Before claim --fault-at
 * it injects a device error into llama_decode (the engine's DC_TEST_HOOKS fault hook), and
 * checks that this claim finished on the CPU and is recorded degraded, and that the next
 * claim ran on the configured device again, not degraded. Exit status: 0 when every claim
 * ran and the fallback check held, 1 otherwise, 2 on bad arguments or a model that does not
 * open. Writes the figures as JSON (--json) and a plain-text table (--table). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"
#include "dashclaim/deadline.h"
#include "dashclaim/engine.h"
#include "dashclaim/pipeline.h"
#include "dashclaim/sysinfo.h"

#define MIB (1024.0 * 1024.0)

typedef struct {
    const char *model, *mmproj, *video, *json_path, *table_path;
    int claims, fault_at, threads, gpu_layers, visual_tokens, max_frames, new_tokens,
        closing_reserve;
    double timeout_sec;
} args;

typedef struct {
    double total_ms, mine_ms, sample_ms, engine_ms, encode_ms, prefill_ms, decode_ms;
    int prefill_tokens, decode_tokens, image_tokens;
    bool fallback, injected;
    dc_claim_status status;
    char device[64], message[512];
    uint64_t rss_before, rss_after, dev_before, dev_after; /* engine's ggml figures, bytes */
    long smi_before, smi_after;                            /* nvidia-smi MiB, -1 = n/a */
} claim_row;

/* Device memory in use according to nvidia-smi (MiB), -1 when the tool is absent or fails.
 * Read outside the timed region of each claim. */
static long smi_used_mib(void) {
    FILE *p =
        popen("nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null", "r");
    if (!p) return -1;
    long used = -1;
    if (fscanf(p, "%ld", &used) != 1) used = -1;
    if (pclose(p) != 0) used = -1;
    return used;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static double percentile(const double *sorted, int n, double p) {
    if (n <= 0) return 0;
    int rank = (int)(p / 100.0 * n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static double rate(int tokens, double ms) { return ms > 0 ? tokens * 1000.0 / ms : 0; }

static json_t *mem_value(uint64_t bytes) { return bytes ? json_real(bytes / MIB) : json_null(); }
static json_t *smi_value(long mib) { return mib >= 0 ? json_integer(mib) : json_null(); }

static void usage(FILE *to) {
    fputs(
        "usage: gpu-claims --model M.gguf --mmproj P.gguf --video V.mp4 [--claims 20]\n"
        "                  [--fault-at K (default claims/2; 0 = none)] [--threads N]\n"
        "                  [--gpu-layers N] [--visual-tokens N] [--max-frames N] [--new-tokens N]\n"
        "                  [--closing-reserve N] [--timeout SEC] [--json FILE] [--table FILE]\n"
        "Engine options left out keep the engine's defaults (dc_vlm_options_init).\n",
        to);
}

static int parse_args(int argc, char **argv, args *a) {
    *a = (args){
        .claims = 20, .fault_at = -1, .gpu_layers = -1, .closing_reserve = -1, .timeout_sec = 600};
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"mmproj", required_argument, 0, 'p'},
                                         {"video", required_argument, 0, 'v'},
                                         {"claims", required_argument, 0, 'n'},
                                         {"fault-at", required_argument, 0, 'f'},
                                         {"threads", required_argument, 0, 't'},
                                         {"gpu-layers", required_argument, 0, 'g'},
                                         {"visual-tokens", required_argument, 0, 'V'},
                                         {"max-frames", required_argument, 0, 'F'},
                                         {"new-tokens", required_argument, 0, 'N'},
                                         {"closing-reserve", required_argument, 0, 'R'},
                                         {"timeout", required_argument, 0, 'T'},
                                         {"json", required_argument, 0, 'j'},
                                         {"table", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'p': a->mmproj = optarg; break;
        case 'v': a->video = optarg; break;
        case 'n': a->claims = atoi(optarg); break;
        case 'f': a->fault_at = atoi(optarg); break;
        case 't': a->threads = atoi(optarg); break;
        case 'g': a->gpu_layers = atoi(optarg); break;
        case 'V': a->visual_tokens = atoi(optarg); break;
        case 'F': a->max_frames = atoi(optarg); break;
        case 'N': a->new_tokens = atoi(optarg); break;
        case 'R': a->closing_reserve = atoi(optarg); break;
        case 'T': a->timeout_sec = atof(optarg); break;
        case 'j': a->json_path = optarg; break;
        case 'o': a->table_path = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    if (!a->model || !a->mmproj || !a->video || a->claims < 1) return -1;
    if (a->fault_at < 0) a->fault_at = a->claims >= 2 ? a->claims / 2 : 0;
    /* the check needs a claim after the injected one */
    if (a->fault_at >= a->claims) a->fault_at = 0;
    return 0;
}

static void run_claim(dc_vlm *vlm, const args *a, int i, claim_row *r) {
    char id[32];
    snprintf(id, sizeof id, "claim-%02d", i + 1);
    dc_pipeline_options po;
    dc_pipeline_options_init(&po);
    po.vlm = vlm;
    po.timeout_sec = a->timeout_sec;
    r->injected = a->fault_at > 0 && i + 1 == a->fault_at;
    if (r->injected) dc_vlm_test_inject(vlm, DC_VLM_FAULT_DEVICE_DECODE, 1);
    r->smi_before = smi_used_mib();
    dc_claim_result res;
    double t0 = dc_now();
    dc_pipeline_assess(a->video, id, &po, &res);
    r->total_ms = (dc_now() - t0) * 1000.0;
    r->smi_after = smi_used_mib();
    const dc_assessment *as = &res.assessment;
    const dc_vlm_claim_stats *s = dc_vlm_last_stats(vlm);
    r->mine_ms = as->timings_ms.mine;
    r->sample_ms = as->timings_ms.sample;
    r->engine_ms = as->timings_ms.engine;
    r->encode_ms = s->encode_ms;
    r->prefill_ms = s->prefill_ms;
    r->decode_ms = s->decode_ms;
    r->prefill_tokens = s->prefill_tokens;
    r->decode_tokens = s->decode_tokens;
    r->image_tokens = s->image_tokens;
    r->fallback = s->cpu_fallback;
    r->status = as->status;
    snprintf(r->device, sizeof r->device, "%s", as->engine.device);
    snprintf(r->message, sizeof r->message, "%s", as->error_message);
    r->rss_before = as->memory.rss_before;
    r->rss_after = as->memory.rss_after ? as->memory.rss_after : dc_rss_bytes();
    r->dev_before = as->memory.device_before;
    r->dev_after = as->memory.device_after;
    dc_claim_result_free(&res);
}

static void print_row(FILE *o, int i, const claim_row *r) {
    char smi[48] = "n/a";
    if (r->smi_before >= 0 && r->smi_after >= 0)
        snprintf(smi, sizeof smi, "%ld->%ld", r->smi_before, r->smi_after);
    fprintf(o, "%5d %9.0f %7.0f %7.0f %7.0f %6d %9.1f %6d %8.2f %8.0f %-14s %-24s %s%s\n", i + 1,
            r->total_ms, r->mine_ms, r->sample_ms, r->engine_ms, r->prefill_tokens,
            rate(r->prefill_tokens, r->prefill_ms), r->decode_tokens,
            rate(r->decode_tokens, r->decode_ms), r->rss_after / MIB, smi, r->device,
            dc_claim_status_name(r->status), r->injected ? " (device fault injected)" : "");
}

static const char *table_head =
    "claim  total_ms mine_ms samp_ms engn_ms prefil prefill/s decode decode/s  rss_MiB "
    "gpu_MiB(smi)   device                   status\n";

/* Every claim ran (none failed) and the injected claim fell back and the next recovered. */
static bool check_fallback(const args *a, const claim_row *rows, const char *device, char *why,
                           size_t n) {
    why[0] = '\0';
    for (int i = 0; i < a->claims; i++)
        if (rows[i].status == DC_CLAIM_FAILED) {
            snprintf(why, n, "claim %d failed: %s", i + 1, rows[i].message);
            return false;
        }
    if (a->fault_at <= 0) return true;
    const claim_row *f = &rows[a->fault_at - 1], *next = &rows[a->fault_at];
    if (!f->fallback || f->status != DC_CLAIM_DEGRADED || !strstr(f->device, "cpu fallback")) {
        snprintf(why, n, "claim %d (device fault): fallback=%d status=%s device=%s", a->fault_at,
                 f->fallback, dc_claim_status_name(f->status), f->device);
        return false;
    }
    if (next->fallback || next->status != DC_CLAIM_OK || strcmp(next->device, device) != 0) {
        snprintf(why, n,
                 "claim %d (after the fault): fallback=%d status=%s device=%s, expected ok on %s",
                 a->fault_at + 1, next->fallback, dc_claim_status_name(next->status), next->device,
                 device);
        return false;
    }
    return true;
}

static json_t *rows_json(const args *a, const claim_row *rows) {
    json_t *arr = json_array();
    for (int i = 0; i < a->claims; i++) {
        const claim_row *r = &rows[i];
        json_array_append_new(
            arr,
            json_pack(
                "{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:i, s:f, s:f, s:s, s:s, s:b, "
                "s:b, s:s, s:f, s:f, s:o, s:o, s:o, s:o}",
                "claim", i + 1, "total_ms", r->total_ms, "mine_ms", r->mine_ms, "sample_ms",
                r->sample_ms, "engine_ms", r->engine_ms, "encode_ms", r->encode_ms, "prefill_ms",
                r->prefill_ms, "decode_ms", r->decode_ms, "prefill_tokens", r->prefill_tokens,
                "decode_tokens", r->decode_tokens, "image_tokens", r->image_tokens,
                "prefill_tokens_per_s", rate(r->prefill_tokens, r->prefill_ms),
                "decode_tokens_per_s", rate(r->decode_tokens, r->decode_ms), "device", r->device,
                "status", dc_claim_status_name(r->status), "cpu_fallback", r->fallback,
                "device_fault_injected", r->injected, "message", r->message, "rss_before_mib",
                r->rss_before / MIB, "rss_after_mib", r->rss_after / MIB, "device_before_mib",
                mem_value(r->dev_before), "device_after_mib", mem_value(r->dev_after),
                "nvidia_smi_before_mib", smi_value(r->smi_before), "nvidia_smi_after_mib",
                smi_value(r->smi_after)));
    }
    return arr;
}

int main(int argc, char **argv) {
    args a;
    if (parse_args(argc, argv, &a) != 0) {
        usage(stderr);
        return 2;
    }
    dc_vlm_options o;
    dc_vlm_options_init(&o);
    o.model_path = a.model;
    o.mmproj_path = a.mmproj;
    o.n_gpu_layers = a.gpu_layers;
    if (a.threads > 0) o.n_threads = a.threads;
    if (a.visual_tokens > 0) o.visual_tokens = a.visual_tokens;
    if (a.max_frames > 0) o.max_frames = a.max_frames;
    if (a.new_tokens > 0) o.max_new_tokens = a.new_tokens;
    if (a.closing_reserve >= 0) o.closing_reserve = a.closing_reserve;

    long smi_idle = smi_used_mib();
    uint64_t rss0 = dc_rss_bytes();
    dc_status st = DC_STATUS_OK;
    double t0 = dc_now();
    dc_vlm *vlm = dc_vlm_open(&o, &st);
    double load_ms = (dc_now() - t0) * 1000.0;
    if (!vlm) {
        fprintf(stderr, "gpu-claims: %s\n", st.message);
        return 2;
    }
    long smi_loaded = smi_used_mib();
    char device[64];
    snprintf(device, sizeof device, "%s", dc_vlm_device_name(vlm));
    printf("gpu-claims: model loaded in %.0f ms on %s (context %d cells, RSS %.0f MiB)\n", load_ms,
           device, dc_vlm_context_size(vlm), dc_rss_bytes() / MIB);
    printf("%s", table_head);
    fflush(stdout);

    int rc = 1;
    claim_row *rows = calloc((size_t)a.claims, sizeof *rows);
    double *lat = calloc((size_t)a.claims, sizeof *lat);
    json_t *root = NULL;
    FILE *table = NULL;
    if (!rows || !lat) {
        fprintf(stderr, "gpu-claims: out of memory\n");
        goto out;
    }
    int prefill_tokens = 0, decode_tokens = 0;
    double prefill_ms = 0, decode_ms = 0;
    for (int i = 0; i < a.claims; i++) {
        run_claim(vlm, &a, i, &rows[i]);
        print_row(stdout, i, &rows[i]);
        fflush(stdout);
        lat[i] = rows[i].total_ms;
        /* rates over the claims that ran where the engine was configured to run */
        if (!rows[i].fallback) {
            prefill_tokens += rows[i].prefill_tokens, decode_tokens += rows[i].decode_tokens;
            prefill_ms += rows[i].prefill_ms, decode_ms += rows[i].decode_ms;
        }
    }
    double mean = 0;
    for (int i = 0; i < a.claims; i++) mean += lat[i] / a.claims;
    qsort(lat, (size_t)a.claims, sizeof *lat, cmp_double);
    double p50 = percentile(lat, a.claims, 50), p95 = percentile(lat, a.claims, 95);
    char why[640];
    bool fallback_ok = check_fallback(&a, rows, device, why, sizeof why);
    /* device memory flat after the first claim: the last claim ends where claim 1 ended */
    bool have_smi_growth =
        a.claims > 1 && rows[0].smi_after >= 0 && rows[a.claims - 1].smi_after >= 0;
    long smi_growth = have_smi_growth ? rows[a.claims - 1].smi_after - rows[0].smi_after : 0;
    double dev_growth =
        a.claims > 1 && rows[0].dev_after && rows[a.claims - 1].dev_after
            ? ((double)rows[a.claims - 1].dev_after - (double)rows[0].dev_after) / MIB
            : 0;

    char summary[2048], smi_s[128] = "nvidia-smi: n/a";
    if (smi_idle >= 0 && smi_loaded >= 0)
        snprintf(smi_s, sizeof smi_s,
                 "nvidia-smi: %ld MiB idle, %ld MiB loaded, growth claim 1 -> last %+ld MiB",
                 smi_idle, smi_loaded, smi_growth);
    snprintf(
        summary, sizeof summary,
        "model load %.0f ms on %s; %d claims: latency mean %.0f ms, p50 %.0f ms, p95 %.0f ms; "
        "prefill %.1f tokens/s, decode %.2f tokens/s; RSS %.0f MiB before load, %.0f MiB after the "
        "last claim; %s (engine's view of device memory, claim 1 -> last: %+.1f MiB); "
        "fallback check: %s%s%s\n",
        load_ms, device, a.claims, mean, p50, p95, rate(prefill_tokens, prefill_ms),
        rate(decode_tokens, decode_ms), rss0 / MIB, rows[a.claims - 1].rss_after / MIB, smi_s,
        dev_growth,
        a.fault_at <= 0 ? "not run (no --fault-at)"
        : fallback_ok   ? "ok"
                        : "FAILED",
        fallback_ok ? "" : ": ", why);
    printf("%s", summary);

    if (a.json_path) {
        root = json_pack(
            "{s:s, s:s, s:f, s:i, s:i, s:{s:f, s:f, s:f}, s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:f, "
            "s:{s:i, s:b, s:s}}",
            "model", a.model, "device", device, "model_load_ms", load_ms, "context_cells",
            dc_vlm_context_size(vlm), "claims", a.claims, "latency_ms", "mean", mean, "p50", p50,
            "p95", p95, "prefill_tokens_per_s", rate(prefill_tokens, prefill_ms),
            "decode_tokens_per_s", rate(decode_tokens, decode_ms), "rss_before_load_mib",
            rss0 / MIB, "rss_after_last_claim_mib", rows[a.claims - 1].rss_after / MIB,
            "nvidia_smi_idle_mib", smi_value(smi_idle), "nvidia_smi_loaded_mib",
            smi_value(smi_loaded), "nvidia_smi_growth_claim1_to_last_mib",
            have_smi_growth ? json_integer(smi_growth) : json_null(),
            "device_growth_claim1_to_last_mib", dev_growth, "fallback_check", "fault_at_claim",
            a.fault_at, "ok", fallback_ok, "detail", why);
        if (!root || json_object_set_new(root, "per_claim", rows_json(&a, rows)) != 0 ||
            json_dump_file(root, a.json_path, JSON_INDENT(1) | JSON_REAL_PRECISION(8)) != 0) {
            fprintf(stderr, "gpu-claims: cannot write %s\n", a.json_path);
            goto out;
        }
    }
    if (a.table_path) {
        table = fopen(a.table_path, "w");
        if (!table) {
            fprintf(stderr, "gpu-claims: %s: %s\n", a.table_path, strerror(errno));
            goto out;
        }
        fprintf(table, "%s", table_head);
        for (int i = 0; i < a.claims; i++) print_row(table, i, &rows[i]);
        fprintf(table, "%s", summary);
        if (fclose(table) != 0) {
            table = NULL;
            fprintf(stderr, "gpu-claims: %s: %s\n", a.table_path, strerror(errno));
            goto out;
        }
        table = NULL;
    }
    rc = fallback_ok ? 0 : 1;
out:
    if (table) fclose(table);
    json_decref(root);
    free(rows);
    free(lat);
    dc_vlm_close(vlm);
    return rc;
}
