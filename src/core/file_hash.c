/* SHA-256 of a video file, optionally on a thread of its own so that a claim hashes its 2-GB
 * video while mining reads it: the two share the page cache, and on a 2-core machine the hash
 * costs almost nothing of the claim's wall time.
 *
 * The file is read with plain read() in 1-MiB blocks (the kernel is told the access is
 * sequential), and the deadline and the stop flag are looked at between blocks: a claim that
 * runs out of time, or fails, does not wait for the rest of a big file (issue 24: a 2.37-GB
 * file made every timed-out claim wait 2-4 s for its hash). A read error, a deadline or a stop
 * is reported, never a hash of part of the file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dashclaim/hash.h"

enum { BLOCK = 1 << 20 };

const char *dc_hash_end_name(dc_hash_end e) {
    static const char *const names[] = {
        [DC_HASH_DONE] = "done",
        [DC_HASH_FAILED] = "failed",
        [DC_HASH_TIMED_OUT] = "timed out",
        [DC_HASH_STOPPED] = "stopped",
        [DC_HASH_NOT_FILE] = "not a regular file",
    };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

dc_hash_end dc_sha256_file_until(const char *path, dc_deadline deadline, const atomic_bool *stop,
                                 char out[65], uint64_t *hashed_bytes) {
    dc_hash_end end = DC_HASH_FAILED;
    uint64_t hashed = 0;
    int fd = -1;
    unsigned char *buf = NULL;
    dc_sha256 *h = NULL;
    if (!path) goto done;
    /* Non-blocking: opening a FIFO for reading waits for a writer, and reading it would take
     * the decoder's bytes; only a regular file is read. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) goto done;
    struct stat sb;
    if (fstat(fd, &sb) != 0) goto done;
    if (!S_ISREG(sb.st_mode)) {
        end = DC_HASH_NOT_FILE;
        goto done;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    buf = malloc(BLOCK);
    h = dc_sha256_new();
    if (!buf || !h) goto done;
    for (;;) {
        if (stop && atomic_load_explicit(stop, memory_order_relaxed)) {
            end = DC_HASH_STOPPED;
            goto done;
        }
        if (dc_deadline_passed(deadline)) {
            end = DC_HASH_TIMED_OUT;
            goto done;
        }
        ssize_t n = read(fd, buf, BLOCK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) goto done;
        if (n == 0) break;
        dc_sha256_update(h, buf, (size_t)n);
        hashed += (uint64_t)n;
    }
    uint8_t digest[32];
    dc_sha256_final(h, digest);
    dc_hex_encode(digest, sizeof digest, out);
    end = DC_HASH_DONE;
done:
    if (hashed_bytes) *hashed_bytes = hashed;
    dc_sha256_free(h);
    free(buf);
    if (fd >= 0) close(fd);
    return end;
}

int dc_sha256_file(const char *path, char out[65]) {
    return dc_sha256_file_until(path, (dc_deadline){0}, NULL, out, NULL) == DC_HASH_DONE ? 0 : -1;
}

struct dc_sha256_job {
    pthread_t thread;
    bool threaded;
    char *path;
    dc_deadline deadline;
    atomic_bool stop;
    dc_hash_end end;
    uint64_t hashed;
    char hex[65];
};

static void *hash_thread(void *arg) {
    dc_sha256_job *j = arg;
    j->end = dc_sha256_file_until(j->path, j->deadline, &j->stop, j->hex, &j->hashed);
    return NULL;
}

dc_sha256_job *dc_sha256_start(const char *path, dc_deadline deadline) {
    dc_sha256_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->end = DC_HASH_FAILED;
    j->deadline = deadline;
    atomic_init(&j->stop, false);
    j->path = path ? strdup(path) : NULL;
    if (!j->path) {
        free(j);
        return NULL;
    }
    j->threaded = pthread_create(&j->thread, NULL, hash_thread, j) == 0;
    return j;
}

void dc_sha256_stop(dc_sha256_job *j) {
    if (j) atomic_store(&j->stop, true);
}

dc_hash_end dc_sha256_finish(dc_sha256_job *j, char out[65], uint64_t *hashed_bytes) {
    if (hashed_bytes) *hashed_bytes = 0;
    if (!j) return DC_HASH_FAILED;
    if (j->threaded) pthread_join(j->thread, NULL);
    else hash_thread(j); /* no thread could start: hash here, late but within the deadline */
    dc_hash_end end = j->end;
    if (end == DC_HASH_DONE) memcpy(out, j->hex, sizeof j->hex);
    if (hashed_bytes) *hashed_bytes = j->hashed;
    free(j->path);
    free(j);
    return end;
}
