/* mine-eval: mines labelled videos (synth-video's <video>.label.json sidecars) and reports how
 * well the windows find the incident and how the signals engine classifies each video.
 *
 *   mine-eval [--k K] [--dense N] [--verbose] [--dump DIR] VIDEO...
 *
 * Prints one line per video and a summary: top-1 / top-3 hit rates (the window contains the
 * labelled incident time), median |peak - incident|, the signals engine's confusion matrix over
 * collision / near-miss / none (hard-brake counts as near-miss; bump, horn, music, tunnel and
 * normal as none), false alarms per hour on videos without an incident (windows whose danger
 * reaches DC_MINE_ALARM_DANGER), and mining speed as a multiple of real time.
 * --dump DIR writes each video's timeline as DIR/<name>.tracks.csv. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/claim.h"
#include "dashclaim/files.h"
#include "dashclaim/media.h"
#include "dashclaim/mine.h"

/* Truth classes: a crash between others ahead (synth-video's crash-ahead) is its own row; the
 * engine answers one of the first three (HIGH, MEDIUM, anything else). */
enum { CLS_COLLISION = 0, CLS_NEAR, CLS_NONE, CLS_AHEAD, CLS_COUNT };
static const char *const cls_names[CLS_COUNT] = {"collision", "near-miss", "none", "crash-ahead"};
enum { PRED_COUNT = 3 };

static int class_of_type(const char *type) {
    if (!strcmp(type, "collision")) return CLS_COLLISION;
    if (!strcmp(type, "crash-ahead")) return CLS_AHEAD;
    if (!strcmp(type, "near-miss") || !strcmp(type, "hard-brake")) return CLS_NEAR;
    return CLS_NONE;
}

static int class_of_severity(dc_severity s) {
    return s == DC_SEVERITY_HIGH ? CLS_COLLISION : s == DC_SEVERITY_MEDIUM ? CLS_NEAR : CLS_NONE;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    char type[32];
    double incident; /* < 0: none */
} label;

static bool read_label(const char *video, label *l) {
    char path[4096];
    snprintf(path, sizeof path, "%s.label.json", video);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "mine-eval: %s: %s\n", path, err.text);
        return false;
    }
    const char *type = json_string_value(json_object_get(root, "type"));
    snprintf(l->type, sizeof l->type, "%s", type ? type : "?");
    json_t *inc = json_object_get(root, "incident_sec");
    l->incident = json_is_number(inc) ? json_number_value(inc) : -1;
    json_decref(root);
    return true;
}

static void write_tracks(const char *dir, const char *video, const dc_mine_result *r) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tracks.csv", dir, dc_path_base(video));
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "t,danger");
    for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++)
        fprintf(f, ",%s", dc_mine_signal_name((dc_mine_signal)s));
    fprintf(f, "\n");
    for (int i = 0; i < r->count; i++) {
        fprintf(f, "%.1f,%.3f", i / r->hz, r->danger[i]);
        for (int s = 0; s < DC_MINE_SIGNAL_COUNT; s++) fprintf(f, ",%.3f", r->signal[s][i]);
        fprintf(f, "\n");
    }
    fclose(f);
}

typedef struct {
    int incidents, hit1, hit3, errors, alarms, nd, videos, witnessed;
    int confusion[CLS_COUNT][PRED_COUNT];
    double *dpeak, calm_hours, mined_sec, mining_wall;
} tally;

static void print_summary(const tally *t) {
    printf("\nvideos %d (errors %d), incident videos %d, calm videos %.2f h\n", t->videos,
           t->errors, t->incidents, t->calm_hours);
    if (t->incidents > 0)
        printf("top-1 hit %.1f %% (%d/%d), top-3 hit %.1f %% (%d/%d), median |peak - incident| "
               "%.2f s\n",
               100.0 * t->hit1 / t->incidents, t->hit1, t->incidents,
               100.0 * t->hit3 / t->incidents, t->hit3, t->incidents,
               t->nd ? t->dpeak[t->nd / 2] : NAN);
    if (t->calm_hours > 0)
        printf("false alarms (windows with danger >= %.2f on videos without incident): %d = "
               "%.2f per hour\n",
               DC_MINE_ALARM_DANGER, t->alarms, t->alarms / t->calm_hours);
    printf("signals engine confusion (rows truth, columns predicted):\n%-12s", "");
    for (int c = 0; c < PRED_COUNT; c++) printf(" %10s", cls_names[c]);
    printf("\n");
    int correct = 0, total = 0;
    for (int r = 0; r < CLS_COUNT; r++) {
        int row = 0;
        for (int c = 0; c < PRED_COUNT; c++) row += t->confusion[r][c];
        if (r == CLS_AHEAD && row == 0) continue;
        printf("%-12s", cls_names[r]);
        for (int c = 0; c < PRED_COUNT; c++) {
            printf(" %10d", t->confusion[r][c]);
            total += t->confusion[r][c];
            /* a crash ahead is read right as MEDIUM (danger, no ego contact) */
            if (r == c || (r == CLS_AHEAD && c == CLS_NEAR)) correct += t->confusion[r][c];
        }
        printf("\n");
    }
    if (total) printf("accuracy %.1f %% (%d/%d)\n", 100.0 * correct / total, correct, total);
    printf("collisions judged NONE: %d (collision %d, crash-ahead %d); crash-ahead read as a "
           "witnessed crash (scenario other, contact no): %d\n",
           t->confusion[CLS_COLLISION][CLS_NONE] + t->confusion[CLS_AHEAD][CLS_NONE],
           t->confusion[CLS_COLLISION][CLS_NONE], t->confusion[CLS_AHEAD][CLS_NONE], t->witnessed);
    if (t->mining_wall > 0)
        printf("mining speed: %.0f s of video in %.1f s = %.0fx real time\n", t->mined_sec,
               t->mining_wall, t->mined_sec / t->mining_wall);
}

int main(int argc, char **argv) {
    dc_mine_options opts;
    dc_mine_options_init(&opts);
    bool verbose = false;
    const char *dump = NULL;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--k") && first + 1 < argc) opts.k = atoi(argv[++first]);
        else if (!strcmp(argv[first], "--dense") && first + 1 < argc)
            opts.dense_candidates = atoi(argv[++first]);
        else if (!strcmp(argv[first], "--verbose")) verbose = true;
        else if (!strcmp(argv[first], "--dump") && first + 1 < argc) dump = argv[++first];
        else {
            fprintf(stderr, "usage: mine-eval [--k K] [--dense N] [--verbose] [--dump DIR] "
                            "VIDEO...\n");
            return 2;
        }
    }
    tally t = {0};
    t.dpeak = calloc((size_t)(argc > 1 ? argc : 1), sizeof(double));
    if (!t.dpeak) return 1;
    printf("%-36s %-10s %8s %8s %6s %4s %4s %-9s %s\n", "video", "type", "incident", "peak1",
           "danger", "hit1", "hit3", "engine", "near-peak scores (i q h m s l p b w)");
    for (int v = first; v < argc; v++) {
        label l;
        if (!read_label(argv[v], &l)) {
            t.errors++;
            continue;
        }
        dc_status st;
        dc_media *m = dc_media_open(argv[v], (dc_deadline){0}, &st);
        if (!m) {
            fprintf(stderr, "mine-eval: %s\n", st.message);
            t.errors++;
            continue;
        }
        dc_mine_result r;
        double t0 = dc_now();
        dc_error_class e = dc_mine_video(m, &opts, (dc_deadline){0}, &r, &st);
        double wall = dc_now() - t0;
        double dur = dc_media_get_info(m)->duration_sec;
        dc_media_close(m);
        if (e != DC_OK) {
            fprintf(stderr, "mine-eval: %s\n", st.message);
            t.errors++;
            continue;
        }
        t.videos++;
        t.mined_sec += dur;
        t.mining_wall += wall;
        dc_assessment a;
        dc_assessment_init(&a);
        dc_signals_assess(&r, &a, &st);
        int truth = class_of_type(l.type), pred = class_of_severity(a.severity);
        t.confusion[truth][pred]++;
        if (truth == CLS_AHEAD && a.scenario == DC_SCENARIO_OTHER && a.facts.contact == DC_TRI_NO)
            t.witnessed++;
        bool h1 = false, h3 = false;
        if (l.incident >= 0) {
            t.incidents++;
            for (int w = 0; w < r.window_count && w < 3; w++) {
                bool in =
                    l.incident >= r.windows[w].start_sec && l.incident <= r.windows[w].end_sec;
                if (in && w == 0) h1 = true;
                if (in) h3 = true;
            }
            t.hit1 += h1;
            t.hit3 += h3;
            if (r.window_count > 0) t.dpeak[t.nd++] = fabs(r.windows[0].peak_sec - l.incident);
        } else {
            t.calm_hours += dur / 3600.0;
            for (int w = 0; w < r.window_count; w++)
                t.alarms += r.windows[w].danger >= DC_MINE_ALARM_DANGER;
        }
        char sigs[160] = "";
        for (int s = 0; s < DC_MINE_SIGNAL_COUNT && r.window_count > 0; s++) {
            char one[16];
            snprintf(one, sizeof one, "%s%.2f", s ? " " : "", r.windows[0].signal_near_peak[s]);
            strncat(sigs, one, sizeof sigs - strlen(sigs) - 1);
        }
        printf("%-36s %-10s %8.2f %8.2f %6.2f %4s %4s %-9s %s\n", dc_path_base(argv[v]), l.type,
               l.incident, r.window_count ? r.windows[0].peak_sec : -1,
               r.window_count ? r.windows[0].danger : 0,
               l.incident < 0 ? "-"
               : h1           ? "yes"
                              : "NO",
               l.incident < 0 ? "-"
               : h3           ? "yes"
                              : "NO",
               cls_names[pred], sigs);
        if (verbose) {
            for (int w = 0; w < r.window_count; w++)
                printf("    window %d: [%.1f, %.1f] peak %.2f danger %.3f fired 0x%x\n", w,
                       r.windows[w].start_sec, r.windows[w].end_sec, r.windows[w].peak_sec,
                       r.windows[w].danger, r.windows[w].fired);
            printf("    severity probs NONE %.2f LOW %.2f MEDIUM %.2f HIGH %.2f, contact %d\n",
                   a.severity_probs[0], a.severity_probs[1], a.severity_probs[2],
                   a.severity_probs[3], (int)a.facts.contact);
            printf("    audio %.2fs coarse %.2fs (%d keyframes) dense %.2fs (%d frames)\n",
                   r.seconds_audio, r.seconds_coarse, r.keyframes, r.seconds_dense, r.dense_frames);
        }
        if (dump) write_tracks(dump, argv[v], &r);
        dc_mine_result_free(&r);
    }
    qsort(t.dpeak, (size_t)t.nd, sizeof(double), cmp_double);
    print_summary(&t);
    free(t.dpeak);
    return t.errors ? 1 : 0;
}
