#include "bench_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"

/* The prototype's memory check was "delta < 1 GB"; ours is "RSS grows <= 32 MB a claim". */
#define PROTOTYPE_MEMORY_LIMIT_MB 1024.0
#define DASHCLAIM_RSS_LIMIT_MB 32.0

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *sorted, int n, double p) {
    if (n == 0) return 0;
    int rank = (int)ceil(p / 100.0 * n);
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

static double number(json_t *obj, const char *key, double fallback) {
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

static json_t *latency_object(json_t *videos) {
    size_t n = json_array_size(videos), i;
    double *lat = malloc((n ? n : 1) * sizeof *lat), sum = 0;
    int m = 0;
    json_t *v;
    json_array_foreach(videos, i, v) {
        double ms = number(json_object_get(v, "timings_ms"), "total", -1);
        if (ms >= 0) sum += (lat[m++] = ms / 1000.0);
    }
    qsort(lat, (size_t)m, sizeof *lat, compare_doubles);
    json_t *o =
        json_pack("{s:f,s:f,s:f,s:f}", "mean", m ? sum / m : 0.0, "p50", percentile(lat, m, 50),
                  "p95", percentile(lat, m, 95), "max", m ? lat[m - 1] : 0.0);
    free(lat);
    return o;
}

static json_t *memory_object(json_t *videos) {
    size_t i;
    json_t *v;
    double sum = 0, max = 0, dev_max = 0;
    int n = 0;
    json_array_foreach(videos, i, v) {
        json_t *d = json_object_get(v, "rss_delta_mb");
        if (json_is_number(d)) {
            double x = json_number_value(d);
            sum += x, n++;
            if (x > max) max = x;
        }
        double dd = number(v, "device_delta_mb", 0);
        if (dd > dev_max) dev_max = dd;
    }
    return json_pack("{s:f,s:f,s:f,s:b,s:b}", "rss_delta_mb_mean", n ? sum / n : 0.0,
                     "rss_delta_mb_max", max, "device_delta_mb_max", dev_max,
                     "prototype_check_delta_lt_1gb",
                     max < PROTOTYPE_MEMORY_LIMIT_MB && dev_max < PROTOTYPE_MEMORY_LIMIT_MB,
                     "rss_delta_le_32mb", max <= DASHCLAIM_RSS_LIMIT_MB);
}

static json_t *accuracy_object(json_t *videos) {
    int confusion[DC_SEVERITY_COUNT][DC_SEVERITY_COUNT] = {{0}};
    int n = 0, exact = 0, loc_n = 0, loc_hit = 0, fault_n = 0;
    double ordinal = 0, fault_err = 0;
    size_t i;
    json_t *v;
    json_array_foreach(videos, i, v) {
        json_t *truth = json_object_get(v, "ground_truth");
        dc_severity t =
            dc_severity_from_name(json_string_value(json_object_get(truth, "severity")));
        dc_severity p = dc_severity_from_name(json_string_value(json_object_get(v, "severity")));
        if (t == DC_SEVERITY_UNSET || p == DC_SEVERITY_UNSET) continue;
        n++;
        confusion[t][p]++;
        exact += t == p;
        ordinal += abs((int)t - (int)p);
        json_t *fr = json_object_get(truth, "fault_ratio"), *pf = json_object_get(v, "fault_ratio");
        if (json_is_number(fr) && json_is_number(pf)) {
            fault_err += fabs(json_number_value(fr) - json_number_value(pf));
            fault_n++;
        }
        json_t *inc = json_object_get(truth, "incident_sec");
        if (json_is_number(inc)) {
            double at = json_number_value(inc);
            loc_n++;
            size_t w;
            json_t *win;
            json_array_foreach(json_object_get(v, "windows"), w, win) {
                if (at >= number(win, "start_sec", 1e18) && at <= number(win, "end_sec", -1)) {
                    loc_hit++;
                    break;
                }
            }
        }
    }
    if (n == 0) return json_null();
    json_t *matrix = json_object();
    for (int t = 0; t < DC_SEVERITY_COUNT; t++) {
        json_t *row = json_object();
        for (int p = 0; p < DC_SEVERITY_COUNT; p++)
            json_object_set_new(row, dc_severity_name((dc_severity)p),
                                json_integer(confusion[t][p]));
        json_object_set_new(matrix, dc_severity_name((dc_severity)t), row);
    }
    json_t *o =
        json_pack("{s:i,s:f,s:f,s:o}", "labelled", n, "severity_exact_match", (double)exact / n,
                  "mean_ordinal_distance", ordinal / n, "confusion_truth_by_predicted", matrix);
    json_object_set_new(o, "fault_ratio_mae",
                        fault_n ? json_real(fault_err / fault_n) : json_null());
    json_object_set_new(o, "localisation_hit_rate",
                        loc_n ? json_real((double)loc_hit / loc_n) : json_null());
    json_object_set_new(o, "localisation_labelled", json_integer(loc_n));
    return o;
}

json_t *cli_bench_summary(json_t *videos, double wall_sec, int new_count) {
    size_t n = json_array_size(videos), i;
    int ok = 0, degraded = 0, failed = 0;
    double video_sec = 0, latency_sum = 0, new_video_sec = 0;
    json_t *by_class = json_object(), *v;
    json_array_foreach(videos, i, v) {
        const char *status = json_string_value(json_object_get(v, "status"));
        if (status && !strcmp(status, "failed")) {
            failed++;
            const char *cls =
                json_string_value(json_object_get(json_object_get(v, "error"), "class"));
            if (!cls) cls = "internal";
            json_t *c = json_object_get(by_class, cls);
            json_object_set_new(by_class, cls, json_integer(c ? json_integer_value(c) + 1 : 1));
        } else if (status && !strcmp(status, "degraded")) {
            degraded++;
        } else {
            ok++;
        }
        double d = number(v, "duration_sec", 0);
        video_sec += d;
        latency_sum += number(json_object_get(v, "timings_ms"), "total", 0) / 1000.0;
        if (json_is_true(json_object_get(v, "assessed_this_run"))) new_video_sec += d;
    }
    /* Throughput from this run's wall clock when it assessed anything (parallel jobs count),
     * else from the recorded latencies. */
    double minutes = new_count > 0 ? wall_sec / 60.0 : latency_sum / 60.0;
    double count = new_count > 0 ? new_count : (double)n;
    double vmin = new_count > 0 ? new_video_sec / 60.0 : video_sec / 60.0;
    json_t *s = json_object();
    json_object_set_new(s, "videos", json_integer((json_int_t)n));
    json_object_set_new(s, "ok", json_integer(ok));
    json_object_set_new(s, "degraded", json_integer(degraded));
    json_object_set_new(s, "failed", json_integer(failed));
    /* A degraded assessment is still a success: the claim got a usable record. */
    json_object_set_new(s, "success_rate", json_real(n ? (double)(ok + degraded) / n : 0.0));
    json_object_set_new(s, "failures_by_class", by_class);
    json_object_set_new(s, "latency_sec", latency_object(videos));
    json_object_set_new(s, "throughput",
                        json_pack("{s:f,s:f}", "videos_per_min",
                                  minutes > 0 ? count / minutes : 0.0, "video_minutes_per_min",
                                  minutes > 0 ? vmin / minutes : 0.0));
    json_object_set_new(s, "memory", memory_object(videos));
    json_object_set_new(s, "accuracy", accuracy_object(videos));
    return s;
}

void cli_bench_summary_print(FILE *out, json_t *s) {
    json_t *lat = json_object_get(s, "latency_sec"), *mem = json_object_get(s, "memory");
    json_t *acc = json_object_get(s, "accuracy"), *thr = json_object_get(s, "throughput");
    fprintf(out, "\n%-28s %lld (ok %lld, degraded %lld, failed %lld)\n", "videos",
            json_integer_value(json_object_get(s, "videos")),
            json_integer_value(json_object_get(s, "ok")),
            json_integer_value(json_object_get(s, "degraded")),
            json_integer_value(json_object_get(s, "failed")));
    fprintf(out, "%-28s %.1f %%\n", "success rate", 100 * number(s, "success_rate", 0));
    const char *cls;
    json_t *count;
    json_object_foreach(json_object_get(s, "failures_by_class"), cls, count)
        fprintf(out, "%-28s %lld\n", cls, json_integer_value(count));
    fprintf(out, "%-28s mean %.2f  p50 %.2f  p95 %.2f  max %.2f\n", "latency (s)",
            number(lat, "mean", 0), number(lat, "p50", 0), number(lat, "p95", 0),
            number(lat, "max", 0));
    fprintf(out, "%-28s %.2f videos/min, %.1f video-min/min\n", "throughput",
            number(thr, "videos_per_min", 0), number(thr, "video_minutes_per_min", 0));
    fprintf(out, "%-28s mean %.1f  max %.1f MB (<= 32 MB: %s; prototype's < 1 GB: %s)\n",
            "RSS delta", number(mem, "rss_delta_mb_mean", 0), number(mem, "rss_delta_mb_max", 0),
            json_is_true(json_object_get(mem, "rss_delta_le_32mb")) ? "yes" : "NO",
            json_is_true(json_object_get(mem, "prototype_check_delta_lt_1gb")) ? "yes" : "NO");
    if (json_is_object(acc)) {
        fprintf(out, "%-28s %.1f %% exact, mean ordinal distance %.2f (%lld labelled)\n",
                "severity", 100 * number(acc, "severity_exact_match", 0),
                number(acc, "mean_ordinal_distance", 0),
                json_integer_value(json_object_get(acc, "labelled")));
        json_t *loc = json_object_get(acc, "localisation_hit_rate");
        if (json_is_number(loc))
            fprintf(out, "%-28s %.1f %%\n", "incident inside a window",
                    100 * json_number_value(loc));
        json_t *mae = json_object_get(acc, "fault_ratio_mae");
        if (json_is_number(mae))
            fprintf(out, "%-28s %.1f\n", "fault ratio MAE", json_number_value(mae));
        fprintf(out, "confusion (rows truth, columns predicted): NONE LOW MEDIUM HIGH\n");
        json_t *m = json_object_get(acc, "confusion_truth_by_predicted");
        for (int t = 0; t < DC_SEVERITY_COUNT; t++) {
            json_t *row = json_object_get(m, dc_severity_name((dc_severity)t));
            fprintf(out, "  %-7s", dc_severity_name((dc_severity)t));
            for (int p = 0; p < DC_SEVERITY_COUNT; p++)
                fprintf(out, " %5lld",
                        json_integer_value(json_object_get(row, dc_severity_name((dc_severity)p))));
            fputc('\n', out);
        }
    }
}
