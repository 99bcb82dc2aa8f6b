/* bench-sample: times dashclaim's sampler ("frames ready for the model": RGB at 840x476 in
 * memory, open included) and the decode floor on the workloads of workloads.h, and the
 * keyframe-only thumbnail pass over the whole file. Prints machine-readable lines that
 * run.sh/peers.py turn into the table:
 *   targets <workload> <t1,t2,...>
 *   result <workload> <method> <seconds> <frames> */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/media.h"
#include "floor_decode.h"
#include "workloads.h"

/* Whether name is one of the comma-separated entries of list. */
static bool listed(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return true;
    return false;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The same target times the sampler plans (uniform count, or fps capped by max_count). */
static int plan(const dc_sample_request *r, double duration, double *t, int cap) {
    double start = r->start_sec, end = r->end_sec > 0 ? r->end_sec : duration;
    int n;
    double step;
    if (r->count > 0) {
        n = r->count;
        step = (end - start) / n;
    } else {
        n = (int)((end - start) * r->fps + 0.5);
        step = 1 / r->fps;
        if (r->max_count > 0 && n > r->max_count) {
            n = r->max_count;
            step = (end - start) / n;
        }
    }
    if (n > cap) n = cap;
    for (int i = 0; i < n; i++) t[i] = start + i * step;
    return n;
}

static int time_sampler(const char *path, const dc_sample_request *req, double *seconds,
                        int *frames) {
    double t0 = bench_now();
    dc_status st;
    dc_media *m = dc_media_open(path, dc_deadline_in(600), &st);
    if (!m) {
        fprintf(stderr, "bench-sample: %s\n", st.message);
        return -1;
    }
    /* DASHCLAIM_DECODE_WORKERS=1 measures one decoder reading forward, as the CLI does. */
    dc_sample_request r = *req;
    const char *workers = getenv("DASHCLAIM_DECODE_WORKERS");
    r.decode_workers = workers && atoi(workers) > 0 ? atoi(workers) : 0;
    dc_frame_set fs;
    if (dc_frames_sample(m, &r, dc_deadline_in(600), &fs, &st) != DC_OK) {
        fprintf(stderr, "bench-sample: %s\n", st.message);
        dc_media_close(m);
        return -1;
    }
    *seconds = bench_now() - t0;
    *frames = fs.count;
    dc_frame_set_free(&fs);
    dc_media_close(m);
    return 0;
}

static int time_thumbnails(const char *path, double *seconds, int *count) {
    double t0 = bench_now();
    dc_status st;
    dc_media *m = dc_media_open(path, dc_deadline_in(600), &st);
    if (!m) return -1;
    dc_thumb_request req = {.width = 160, .height = 90};
    dc_thumb_set ts;
    int rc = dc_media_thumbnails(m, &req, dc_deadline_in(600), &ts, &st) == DC_OK ? 0 : -1;
    *seconds = bench_now() - t0;
    *count = ts.count;
    dc_thumb_set_free(&ts);
    dc_media_close(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: bench-sample VIDEO [--repeat N] [--only W1,W2,W3,W3K,THUMBS]\n");
        return 2;
    }
    const char *path = argv[1];
    int repeat = 3;
    const char *only = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    }
    if (repeat < 1) repeat = 1;
    dc_media_info info;
    dc_status st;
    if (dc_media_probe(path, dc_deadline_in(600), &info, &st) != DC_OK) {
        fprintf(stderr, "bench-sample: %s\n", st.message);
        return 1;
    }
    printf("video %s %dx%d %.3f fps %.1f s keyframe_interval %.3f s\n", info.video_codec,
           info.width, info.height, info.avg_fps, info.duration_sec, info.keyframe_interval_sec);
    double *runs = malloc(sizeof *runs * (size_t)repeat);
    double *floor1 = malloc(sizeof *floor1 * (size_t)repeat);
    double *floorn = malloc(sizeof *floorn * (size_t)repeat);
    if (!runs || !floor1 || !floorn) return 1;
    double targets[1024];
    for (int w = 0; w < BENCH_WORKLOAD_COUNT; w++) {
        const bench_workload *bw = &bench_workloads[w];
        if (only && !listed(only, bw->name)) continue;
        int n = plan(&bw->req, info.duration_sec, targets, 1024);
        printf("targets %s ", bw->name);
        for (int i = 0; i < n; i++) printf("%s%.6f", i ? "," : "", targets[i]);
        printf("\n");
        bool keyframes = bw->req.mode == DC_SAMPLE_KEYFRAME;
        /* Contenders take turns within each repetition, so a busy moment on a shared machine
         * hits all of them alike; medians over the repetitions. */
        int frames = 0;
        floor_result f1 = {0}, fn = {0};
        for (int r = 0; r < repeat; r++) {
            if (time_sampler(path, &bw->req, &runs[r], &frames) != 0) return 1;
            if (floor_decode(path, targets, n, keyframes, 1, &f1) != 0) return 1;
            floor1[r] = f1.seconds;
            if (floor_decode(path, targets, n, keyframes, 0, &fn) != 0) return 1;
            floorn[r] = fn.seconds;
        }
        printf("result %s dashclaim %.4f %d\n", bw->name, median(runs, repeat), frames);
        printf("result %s floor-1thread %.4f %d\n", bw->name, median(floor1, repeat),
               f1.frames_decoded);
        printf("result %s floor-threads %.4f %d\n", bw->name, median(floorn, repeat),
               fn.frames_decoded);
        fflush(stdout);
    }
    if (!only || listed(only, "THUMBS")) {
        int count = 0;
        for (int r = 0; r < repeat; r++)
            if (time_thumbnails(path, &runs[r], &count) != 0) return 1;
        printf("result THUMBS dashclaim %.4f %d\n", median(runs, repeat), count);
    }
    free(runs);
    free(floor1);
    free(floorn);
    return 0;
}
