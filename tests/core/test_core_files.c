/* dc_file_write_atomic, dc_file_read and dc_path_base. The writer's promise is checked on
 * every way it can fail: the old file is untouched, the temporary file is gone and no
 * descriptor stays open. Real failures where the system can make them (missing folder, a
 * folder in the way, a file size limit), injected ones for the steps a disk fails only on
 * its own (sync, close). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dashclaim/files.h"

static char dir[4096];

static int count_entries(const char *path) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int open_descriptors(void) { return count_entries("/proc/self/fd"); }

static const char *in_dir(const char *name) {
    static char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void write_plain(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_file_is(const char *path, const char *text) {
    dc_status st;
    size_t len = 0;
    char *got = dc_file_read(path, &len, &st);
    if (!got) fail_msg("%s", st.message);
    assert_int_equal(len, strlen(text));
    assert_string_equal(got, text);
    free(got);
}

static int setup(void **state) {
    (void)state;
    const char *tmp = getenv("DC_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/core-files-%ld", tmp ? tmp : "/tmp", (long)getpid());
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    return system(cmd);
}

static int teardown(void **state) {
    (void)state;
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void writes_replaces_and_leaves_nothing_behind(void **state) {
    (void)state;
    const char *path = in_dir("out.json");
    dc_status st;
    mode_t mask = umask(022);
    assert_int_equal(dc_file_write_atomic(path, "{\"a\":1}\n", 8, &st), DC_OK);
    assert_file_is(path, "{\"a\":1}\n");
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    umask(mask);
    assert_int_equal(dc_file_write_atomic(path, "second", 6, &st), DC_OK);
    assert_file_is(path, "second");
    assert_int_equal(dc_file_write_atomic(path, "", 0, &st), DC_OK);
    assert_file_is(path, "");
    /* A path without a folder is written in the current one. */
    char here[8192];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(dc_file_write_atomic("plain.txt", "p", 1, &st), DC_OK);
    assert_int_equal(chdir(here), 0);
    assert_file_is(in_dir("plain.txt"), "p");
    assert_int_equal(count_entries(dir), 2); /* no temporary file left */
    assert_int_equal(dc_file_write_atomic("", "x", 1, &st), DC_ERR_INPUT);
}

/* Runs a write that must fail: path keeps its old text, the folder holds only what it held,
 * every descriptor opened is closed again, and the message names the path. */
static void assert_failed_cleanly(const char *path, const char *old, dc_error_class expect,
                                  const char *why) {
    int files = count_entries(dir), fds = open_descriptors();
    dc_status st = DC_STATUS_OK;
    dc_error_class rc = dc_file_write_atomic(path, "new text", 8, &st);
    if (rc != expect) fail_msg("%s: returned %d (%s), not %d", why, rc, st.message, expect);
    assert_non_null(strstr(st.message, path));
    assert_int_equal(count_entries(dir), files);
    assert_int_equal(open_descriptors(), fds);
    if (old) assert_file_is(path, old);
}

static void missing_folder(void **state) {
    (void)state;
    assert_failed_cleanly(in_dir("no/such/folder/out.json"), NULL, DC_ERR_RESOURCE,
                          "missing folder");
}

static void a_folder_in_the_way(void **state) {
    (void)state;
    const char *path = in_dir("taken");
    assert_int_equal(mkdir(path, 0755), 0);
    assert_failed_cleanly(path, NULL, DC_ERR_RESOURCE, "folder at the path");
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
}

/* A real write failure: the file size limit stops the write part way (EFBIG). */
static void write_cut_short_by_the_size_limit(void **state) {
    (void)state;
    const char *path = in_dir("limited.json");
    write_plain(path, "old");
    struct rlimit old_limit, small = {.rlim_cur = 4, .rlim_max = RLIM_INFINITY};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    small.rlim_max = old_limit.rlim_max;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    assert_failed_cleanly(path, NULL, DC_ERR_RESOURCE, "file size limit");
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
    signal(SIGXFSZ, old_handler);
    assert_file_is(path, "old");
}

#ifdef DC_TEST_HOOKS
/* The steps a disk fails only on its own; the old writer leaked its descriptor when fsync
 * failed (close was skipped). */
static void every_failing_step_cleans_up(void **state) {
    (void)state;
    const char *path = in_dir("steps.json");
    struct {
        dc_file_fault step;
        int err;
        const char *what;
    } steps[] = {
        {DC_FILE_FAULT_WRITE, ENOSPC, "write"},
        {DC_FILE_FAULT_FSYNC, EIO, "fsync"},
        {DC_FILE_FAULT_CLOSE, EIO, "close"},
        {DC_FILE_FAULT_RENAME, EXDEV, "rename"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        write_plain(path, "old");
        dc_file_test_inject(steps[i].step, steps[i].err);
        assert_failed_cleanly(path, "old", DC_ERR_RESOURCE, steps[i].what);
    }
    /* Once the rename is done, the new file stays even when the folder does not sync; the
     * caller still hears of it. */
    dc_file_test_inject(DC_FILE_FAULT_DIR_SYNC, EIO);
    dc_status st;
    int fds = open_descriptors();
    assert_int_equal(dc_file_write_atomic(path, "new", 3, &st), DC_ERR_RESOURCE);
    assert_non_null(strstr(st.message, "did not sync"));
    assert_int_equal(open_descriptors(), fds);
    assert_file_is(path, "new");
    /* A folder that cannot be synced at all (EINVAL) is not an error. */
    dc_file_test_inject(DC_FILE_FAULT_DIR_SYNC, EINVAL);
    assert_int_equal(dc_file_write_atomic(path, "newer", 5, &st), DC_OK);
    assert_file_is(path, "newer");
}
#endif

/* Several threads replacing one file: each write succeeds and the file ends as one of them,
 * whole. */
#define WRITERS 6
#define WRITES 20
/* Made before the writers start: in_dir's one buffer is rewritten by every call, and glibc's
 * snprintf empties it first, so writers calling it at once could read an empty path. */
static char shared_path[8192];
static void *writer(void *arg) {
    long id = (long)arg;
    char text[4096];
    memset(text, 'a' + (int)id, sizeof text);
    for (int i = 0; i < WRITES; i++) {
        dc_status st;
        if (dc_file_write_atomic(shared_path, text, sizeof text, &st) != DC_OK) {
            fprintf(stderr, "writer %ld: %s\n", id, st.message);
            return (void *)1;
        }
    }
    return NULL;
}

static void concurrent_writers(void **state) {
    (void)state;
    pthread_t t[WRITERS];
    snprintf(shared_path, sizeof shared_path, "%s", in_dir("shared.txt"));
    for (long i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 0; i < WRITERS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        assert_null(ret);
    }
    dc_status st;
    size_t len;
    char *got = dc_file_read(shared_path, &len, &st);
    assert_non_null(got);
    assert_int_equal(len, 4096);
    for (size_t i = 1; i < len; i++) assert_int_equal(got[i], got[0]);
    free(got);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c tmp >/dev/null", dir);
    assert_int_not_equal(system(cmd), 0); /* no temporary names left */
}

static void read_whole_files(void **state) {
    (void)state;
    const char *path = in_dir("bytes.bin");
    char data[200000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 7);
    dc_status st;
    assert_int_equal(dc_file_write_atomic(path, data, sizeof data, &st), DC_OK);
    size_t len = 0;
    char *got = dc_file_read(path, &len, &st);
    assert_non_null(got);
    assert_int_equal(len, sizeof data);
    assert_memory_equal(got, data, sizeof data);
    assert_int_equal(got[len], '\0');
    free(got);
    assert_null(dc_file_read(in_dir("missing.json"), &len, &st));
    assert_int_equal(st.code, DC_ERR_INPUT);
    assert_non_null(strstr(st.message, "missing.json"));
    got = dc_file_read(dir, NULL, &st); /* a folder opens but does not read */
    assert_null(got);
    assert_int_equal(st.code, DC_ERR_INPUT);
}

static void base_names(void **state) {
    (void)state;
    assert_string_equal(dc_path_base("in/clip.mp4"), "clip.mp4");
    assert_string_equal(dc_path_base("/a/b/c.mov"), "c.mov");
    assert_string_equal(dc_path_base("clip.mp4"), "clip.mp4");
    assert_string_equal(dc_path_base("videos/"), "");
    assert_string_equal(dc_path_base("/"), "");
    assert_string_equal(dc_path_base(""), "");
    assert_string_equal(dc_path_base(NULL), "");
    const char *p = "x/y";
    assert_ptr_equal(dc_path_base(p), p + 2); /* points into the caller's string */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_replaces_and_leaves_nothing_behind),
        cmocka_unit_test(missing_folder),
        cmocka_unit_test(a_folder_in_the_way),
        cmocka_unit_test(write_cut_short_by_the_size_limit),
#ifdef DC_TEST_HOOKS
        cmocka_unit_test(every_failing_step_cleans_up),
#endif
        cmocka_unit_test(concurrent_writers),
        cmocka_unit_test(read_whole_files),
        cmocka_unit_test(base_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
