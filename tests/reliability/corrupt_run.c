/* dc-corrupt-run: assesses damaged videos one claim per child process, so that a crash or a
 * hang is pinned on the file that caused it, and checks what each claim returned.
 *   dc-corrupt-run [--model M --mmproj P] [--timeout S] [--list FILE] [FILE...]
 * With a model (synth-model --preset tiny) the VLM engine runs with the tests' small budgets,
 * loaded once before the children fork; without one, the signals engine.
 * One line per file on stdout, tab-separated: outcome, status, error class, seconds, path.
 * Outcomes: pass | crash (signal) | hang (killed past the deadline) | late (the claim ended
 * past its deadline + 10 % + 100 ms) | leak (LeakSanitizer, sanitizer builds) | bad-record
 * (a record without a status and error class, or one that does not survive JSON). The last
 * line sums them up; exit status 0 when every file passed. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "dashclaim/deadline.h"
#include "dashclaim/pipeline.h"
#include "reliability_util.h"

#if REL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

enum { EXIT_LEAK = 23, EXIT_BAD_RECORD = 24, EXIT_LATE = 25 };

typedef struct {
    char status[16], error_class[16];
    double seconds;
} child_report;

/* Why the record is not a record ("" when it is one). */
static const char *record_problem(const dc_assessment *a) {
    switch (a->status) {
    case DC_CLAIM_OK:
        if (a->error_class != DC_OK) return "status ok with an error class";
        break;
    case DC_CLAIM_DEGRADED:
        if (!a->error_message[0]) return "degraded without a reason";
        break;
    case DC_CLAIM_FAILED:
        if (a->error_class == DC_OK || !a->error_message[0])
            return "failed without class or message";
        if (a->severity != DC_SEVERITY_UNSET) return "failed with a severity";
        break;
    default: return "status out of range";
    }
    char *json = dc_assessment_to_json(a, 0);
    if (!json) return "no JSON";
    dc_assessment back;
    dc_status st;
    dc_error_class rc = dc_assessment_from_json(json, &back, &st);
    free(json);
    if (rc != DC_OK) return "JSON does not read back";
    if (back.status != a->status || back.error_class != a->error_class)
        return "JSON changes status";
    return "";
}

/* The child: one claim, one report line through the pipe, exit code says what was wrong. */
static int child_claim(const char *path, const dc_pipeline_options *o, int fd) {
    dc_claim_result r;
    double t0 = dc_now();
    dc_pipeline_assess(path, NULL, o, &r);
    double sec = dc_now() - t0;
    const char *problem = record_problem(&r.assessment);
    child_report rep = {.seconds = sec};
    snprintf(rep.status, sizeof rep.status, "%s", dc_claim_status_name(r.assessment.status));
    snprintf(rep.error_class, sizeof rep.error_class, "%s",
             r.assessment.error_class ? dc_error_class_name(r.assessment.error_class) : "-");
    if (problem[0]) fprintf(stderr, "%s: %s\n", path, problem);
    dc_claim_result_free(&r);
    if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep) return 1;
    if (problem[0]) return EXIT_BAD_RECORD;
    if (o->timeout_sec > 0 && sec > o->timeout_sec * 1.1 + 0.1) return EXIT_LATE;
#if REL_ASAN
    if (__lsan_do_recoverable_leak_check()) return EXIT_LEAK;
#endif
    return 0;
}

static const char *run_one(const char *path, const dc_pipeline_options *o, child_report *rep) {
    int fds[2];
    memset(rep, 0, sizeof *rep);
    if (pipe(fds) != 0) return "harness-error";
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return "harness-error";
    if (pid == 0) {
        close(fds[0]);
        _exit(child_claim(path, o, fds[1]));
    }
    close(fds[1]);
    /* the claim's own deadline, its 10 % + 100 ms, and room for the child's exit: in the
     * sanitizer build LeakSanitizer scans the whole heap of a process that holds the model,
     * which took over 30 s on a loaded 2-core machine after claims that had ended in time
     * (whether a claim kept its deadline is judged from its own report: "late") */
    double exit_room = REL_ASAN ? 150 : 30;
    double limit = (o->timeout_sec > 0 ? o->timeout_sec * 1.1 + 0.1 : 600) + exit_room,
           t0 = dc_now();
    int status = 0;
    bool hung = false;
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) break;
        if (dc_now() - t0 > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            hung = true;
            break;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ssize_t n = read(fds[0], rep, sizeof *rep);
    close(fds[0]);
    if (n != (ssize_t)sizeof *rep) memset(rep, 0, sizeof *rep), rep->seconds = dc_now() - t0;
    if (hung) return "hang";
    if (WIFSIGNALED(status)) return "crash";
    switch (WEXITSTATUS(status)) {
    case 0: return "pass";
    case EXIT_LEAK: return "leak";
    case EXIT_BAD_RECORD: return "bad-record";
    case EXIT_LATE: return "late";
    default: return "crash"; /* a sanitizer report exits non-zero */
    }
}

int main(int argc, char **argv) {
    const char *model = NULL, *mmproj = NULL, *list = NULL;
    double timeout = 20;
    int first = 1;
    for (; first < argc && !strncmp(argv[first], "--", 2); first++) {
        if (first + 1 >= argc) break;
        if (!strcmp(argv[first], "--model")) model = argv[++first];
        else if (!strcmp(argv[first], "--mmproj")) mmproj = argv[++first];
        else if (!strcmp(argv[first], "--timeout")) timeout = atof(argv[++first]);
        else if (!strcmp(argv[first], "--list")) list = argv[++first];
        else break;
    }
    av_log_set_level(AV_LOG_QUIET);
    dc_pipeline_options o;
    dc_pipeline_options_init(&o);
    o.timeout_sec = timeout;
    o.keep_evidence = true; /* the report's frames are sampled too */
    o.decode_workers = 2;
    dc_vlm *vlm = NULL;
    if (model && mmproj) {
        dc_vlm_options vo;
        rel_vlm_options(&vo, model, mmproj);
        dc_status st = DC_STATUS_OK;
        vlm = dc_vlm_open(&vo, &st);
        if (!vlm) {
            fprintf(stderr, "dc-corrupt-run: %s\n", st.message);
            return 2;
        }
        o.vlm = vlm;
    }
    FILE *lf = list ? fopen(list, "r") : NULL;
    if (list && !lf) {
        fprintf(stderr, "dc-corrupt-run: %s: %s\n", list, strerror(errno));
        return 2;
    }
    int counts[7] = {0}, files = 0;
    static const char *const names[] = {"pass", "crash",      "hang",         "late",
                                        "leak", "bad-record", "harness-error"};
    int by_status[3] = {0};
    double worst_over = -1e9;
    char line[4096];
    for (int i = first;; i++) {
        const char *path;
        if (lf) {
            if (!fgets(line, sizeof line, lf)) break;
            line[strcspn(line, "\n")] = 0;
            if (!line[0]) continue;
            path = line;
        } else {
            if (i >= argc) break;
            path = argv[i];
        }
        child_report rep;
        const char *outcome = run_one(path, &o, &rep);
        files++;
        for (int k = 0; k < 7; k++)
            if (!strcmp(outcome, names[k])) counts[k]++;
        for (int k = 0; k < 3; k++)
            if (!strcmp(rep.status, dc_claim_status_name((dc_claim_status)k))) by_status[k]++;
        if (timeout > 0 && rep.seconds - timeout > worst_over) worst_over = rep.seconds - timeout;
        printf("%s\t%s\t%s\t%.3f\t%s\n", outcome, rep.status[0] ? rep.status : "-",
               rep.error_class[0] ? rep.error_class : "-", rep.seconds, path);
        fflush(stdout);
    }
    if (lf) fclose(lf);
    if (vlm) dc_vlm_close(vlm);
    printf("# %d files (%s engine, deadline %.1f s): %d pass, %d crash, %d hang, %d late, %d leak, "
           "%d bad-record, %d harness-error; records: %d ok, %d degraded, %d failed\n",
           files, vlm ? "vlm-tiny" : "signals", timeout, counts[0], counts[1], counts[2], counts[3],
           counts[4], counts[5], counts[6], by_status[0], by_status[1], by_status[2]);
    return files > 0 && counts[0] == files ? 0 : 1;
}
