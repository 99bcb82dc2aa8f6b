/* Reading a video from a buffer in memory through our own AVIOContext: the fuzz harnesses
 * feed mutated bytes straight to the probe and the sampler this way (no temporary files), and
 * a caller that already holds an upload can use it too. The buffer is seekable, so the
 * keyframe index, seeking and the parallel sampler (which reads packets on the caller's
 * thread) work as for a file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media_internal.h"

enum { MEMORY_IO_BUFFER = 32 << 10 };

struct media_memory {
    const uint8_t *data;
    size_t size;
    size_t pos;
};

static int memory_read(void *opaque, uint8_t *buf, int want) {
    struct media_memory *mem = opaque;
    if (mem->pos >= mem->size) return AVERROR_EOF;
    size_t n = mem->size - mem->pos;
    if (n > (size_t)want) n = (size_t)want;
    memcpy(buf, mem->data + mem->pos, n);
    mem->pos += n;
    return (int)n;
}

static int64_t memory_seek(void *opaque, int64_t offset, int whence) {
    struct media_memory *mem = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)mem->size;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)mem->pos; break;
    case SEEK_END: base = (int64_t)mem->size; break;
    default: return AVERROR(EINVAL);
    }
    /* offsets come from the (possibly damaged) file: check before adding */
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) return AVERROR(EINVAL);
    int64_t to = base + offset;
    mem->pos = (uint64_t)to > mem->size ? mem->size : (size_t)to;
    return to;
}

dc_media *media_open_memory(const uint8_t *data, size_t size, const char *name, dc_deadline dl,
                            dc_status *st) {
    dc_status local;
    if (!st) st = &local;
    *st = DC_STATUS_OK;
    if (!name) name = "(memory)";
    if (!data || size == 0) {
        dc_fail(st, DC_ERR_INPUT, "%s: empty file (0 bytes)", name);
        return NULL;
    }
    uint8_t *buffer = NULL;
    dc_media *m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->video_index = m->audio_index = -1;
    m->pipe_fd = -1; /* before any exit: closing the handle closes a descriptor >= 0 */
    if (!(m->path = strdup(name)) || !(m->memory = calloc(1, sizeof *m->memory)) ||
        !(buffer = av_malloc(MEMORY_IO_BUFFER)))
        goto nomem;
    *m->memory = (struct media_memory){.data = data, .size = size};
    m->pipe_io =
        avio_alloc_context(buffer, MEMORY_IO_BUFFER, 0, m->memory, memory_read, NULL, memory_seek);
    if (!m->pipe_io) goto nomem;
    buffer = NULL; /* the context's now */
    media_begin_call(m, dl);
    if (dc_deadline_passed(dl)) {
        media_fail_timeout(m, st, "opening");
        dc_media_close(m);
        return NULL;
    }
    if (media_open_handle(m, false, (int64_t)size, st) != DC_OK) {
        dc_media_close(m);
        return NULL;
    }
    return m;
nomem:
    av_free(buffer);
    dc_fail(st, DC_ERR_RESOURCE, "%s: out of memory", name);
    dc_media_close(m);
    return NULL;
}
