/* Deadlines: a call past its deadline returns a timeout within 10 % + 100 ms of it, on a
 * stalled/trickling input (a FIFO fed a few KB at a time) as well as mid-decode on a regular
 * file, and leaks nothing (ASan build). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dashclaim/media.h"
#include "media_test_util.h"

static char source[4096], longer[4096];

static int make_inputs(void **state) {
    const char *p = media_test_video("t_source.mp4", "--scene plain --size 640x360 --duration 6");
    if (!p) return -1;
    snprintf(source, sizeof source, "%s", p);
    p = media_test_video("t_long.mp4", "--scene plain --size 640x360 --duration 45");
    if (!p) return -1;
    snprintf(longer, sizeof longer, "%s", p);
    signal(SIGPIPE, SIG_IGN); /* the trickle writer sees EPIPE when the reader gives up */
    return 0;
}

static void within_deadline(double started, double budget) {
    double took = dc_now() - started;
    if (took > budget * 1.1 + 0.1)
        fail_msg("returned after %.3f s for a %.3f s deadline", took, budget);
}

static void deadline_already_passed(void **state) {
    dc_status st;
    dc_deadline past = {.at = dc_now() - 1};
    assert_null(dc_media_open(source, past, &st));
    assert_int_equal(st.code, DC_ERR_TIMEOUT);
    assert_non_null(strstr(st.message, source));
}

typedef struct {
    const char *fifo;
    atomic_bool stop;
} trickle;

/* Feeds the source video into the FIFO 2 KB every 20 ms (100 KB/s: a bad mobile upload). */
static void *trickle_writer(void *arg) {
    trickle *t = arg;
    int fd = -1;
    while (!atomic_load(&t->stop) && (fd = open(t->fifo, O_WRONLY | O_NONBLOCK)) < 0)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    if (fd < 0) return NULL;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *in = fopen(source, "rb");
    char buf[2048];
    size_t n;
    while (in && !atomic_load(&t->stop) && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (write(fd, buf, n) < 0) break;
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    }
    if (in) fclose(in);
    close(fd);
    return NULL;
}

static void trickling_input_times_out(void **state) {
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s", media_test_path("t_trickle.fifo"));
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    trickle t = {.fifo = fifo};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, trickle_writer, &t), 0);

    const double budget = 0.6;
    double started = dc_now();
    dc_deadline dl = dc_deadline_in(budget);
    dc_status st;
    dc_media *m = dc_media_open(fifo, dl, &st);
    if (m) {
        /* Opened within the budget: decoding all of it at 100 KB/s cannot finish. */
        dc_sample_request req = {.fps = 30};
        dc_frame_set fs;
        dc_frames_sample(m, &req, dl, &fs, &st);
        dc_frame_set_free(&fs);
        dc_media_close(m);
    }
    double took = dc_now() - started;
    /* Stop the writer before any assertion can leave this function (it reads `t`). */
    atomic_store(&t.stop, true);
    pthread_join(th, NULL);
    unlink(fifo);
    if (took > budget * 1.1 + 0.1) fail_msg("returned after %.3f s for %.3f s", took, budget);
    assert_int_equal(st.code, DC_ERR_TIMEOUT);
    assert_non_null(strstr(st.message, "deadline"));
}

/* A writer that sends the first bytes and then goes silent (an upload that hangs): the read
 * waits in poll(), not in read(), so the deadline still ends it. */
static void *stalled_writer(void *arg) {
    trickle *t = arg;
    int fd = -1;
    while (!atomic_load(&t->stop) && (fd = open(t->fifo, O_WRONLY | O_NONBLOCK)) < 0)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    if (fd < 0) return NULL;
    FILE *in = fopen(source, "rb");
    char buf[1000];
    if (in && fread(buf, 1, sizeof buf, in) == sizeof buf && write(fd, buf, sizeof buf) < 0) {
        /* the reader left early: nothing to do */
    }
    if (in) fclose(in);
    while (!atomic_load(&t->stop)) nanosleep(&(struct timespec){0, 5000000}, NULL);
    close(fd);
    return NULL;
}

static void stalled_input_times_out(void **state) {
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s", media_test_path("t_stalled.fifo"));
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    trickle t = {.fifo = fifo};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stalled_writer, &t), 0);
    const double budget = 0.4;
    double started = dc_now();
    dc_status st;
    dc_media *m = dc_media_open(fifo, dc_deadline_in(budget), &st);
    double took = dc_now() - started;
    atomic_store(&t.stop, true);
    pthread_join(th, NULL);
    unlink(fifo);
    dc_media_close(m);
    if (took > budget * 1.1 + 0.1) fail_msg("returned after %.3f s for %.3f s", took, budget);
    assert_null(m);
    assert_int_equal(st.code, DC_ERR_TIMEOUT);
}

static void decode_stops_at_deadline(void **state) {
    dc_status st;
    dc_media *m = dc_media_open(longer, dc_deadline_in(10), &st);
    assert_non_null(m);
    /* Budgets well below the work (1350 frames) but long enough that a starved scheduler on a
     * shared machine does not decide the outcome. */
    double budget = 0.3;
    double started = dc_now();
    dc_sample_request req = {.fps = 30}; /* every frame at full size */
    dc_frame_set fs;
    assert_int_equal(dc_frames_sample(m, &req, dc_deadline_in(budget), &fs, &st), DC_ERR_TIMEOUT);
    within_deadline(started, budget);
    assert_int_equal(fs.count, 0);
    assert_null(fs.frames);

    budget = 0.2;
    started = dc_now();
    dc_thumb_request tr = {.width = 160, .height = 90, .every_kth = 1};
    dc_thumb_set ts;
    assert_int_equal(dc_media_thumbnails(m, &tr, dc_deadline_in(budget), &ts, &st), DC_ERR_TIMEOUT);
    within_deadline(started, budget);
    assert_null(ts.thumbs);

    started = dc_now();
    dc_pcm pcm;
    assert_int_equal(dc_media_audio(m, 0, 0, 16000, dc_deadline_in(0.001), &pcm, &st),
                     DC_ERR_TIMEOUT);
    within_deadline(started, 0.001);
    assert_null(pcm.samples);

    /* The handle stays usable after a timeout. */
    dc_sample_request two = {.start_sec = 10, .end_sec = 12, .count = 2};
    assert_int_equal(dc_frames_sample(m, &two, dc_deadline_in(10), &fs, &st), DC_OK);
    assert_int_equal(fs.count, 2);
    assert_true(fabs(fs.frames[1].t_sec - 11) < 1e-3);
    dc_frame_set_free(&fs);
    dc_media_close(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deadline_already_passed),
        cmocka_unit_test(trickling_input_times_out),
        cmocka_unit_test(stalled_input_times_out),
        cmocka_unit_test(decode_stops_at_deadline),
    };
    return cmocka_run_group_tests(tests, make_inputs, NULL);
}
