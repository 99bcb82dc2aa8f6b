/* Reading from a pipe or FIFO (a capture tool streaming into dashclaim, an upload relayed
 * through a FIFO). libavformat's file protocol blocks in read() until data arrives, so a writer
 * that stalls would hold the call forever and the interrupt callback never gets a say. Here
 * the descriptor is non-blocking and waits in poll() in short slices, checking the call's
 * deadline between them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "media_internal.h"

enum { PIPE_BUFFER = 64 << 10, POLL_SLICE_MS = 20 };

static int pipe_read(void *opaque, uint8_t *buf, int size) {
    dc_media *m = opaque;
    for (;;) {
        if (media_deadline_hit(m)) return AVERROR_EXIT;
        ssize_t n = read(m->pipe_fd, buf, (size_t)size);
        if (n > 0) {
            m->pipe_seen_data = true;
            return (int)n;
        }
        /* 0: no writer. After data that is the end; before any, the writer has not come. */
        if (n == 0 && m->pipe_seen_data) return AVERROR_EOF;
        if (n < 0 && errno != EAGAIN && errno != EINTR) return AVERROR(errno);
        struct pollfd pfd = {.fd = m->pipe_fd, .events = POLLIN};
        if (poll(&pfd, 1, POLL_SLICE_MS) > 0 && !(pfd.revents & POLLIN))
            usleep(POLL_SLICE_MS * 1000); /* hang-up without data: do not spin */
    }
}

int media_open_pipe(dc_media *m) {
    m->pipe_fd = open(m->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (m->pipe_fd < 0) return AVERROR(errno);
    uint8_t *buffer = av_malloc(PIPE_BUFFER);
    if (!buffer) return AVERROR(ENOMEM);
    m->pipe_io = avio_alloc_context(buffer, PIPE_BUFFER, 0, m, pipe_read, NULL, NULL);
    if (!m->pipe_io) {
        av_free(buffer);
        return AVERROR(ENOMEM);
    }
    m->pipe_io->seekable = 0;
    return 0;
}

void media_close_pipe(dc_media *m) {
    if (m->pipe_io) {
        av_freep(&m->pipe_io->buffer);
        avio_context_free(&m->pipe_io);
    }
    if (m->pipe_fd >= 0) close(m->pipe_fd);
    m->pipe_fd = -1;
}
