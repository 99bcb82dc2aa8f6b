/* The frame sampler on several cores: one task per keyframe group.
 *
 * Targets that decode from the same keyframe form a group. The calling thread seeks to each
 * group's keyframe and reads exactly the packets the group needs - up to the frame at or after
 * its last target, and any frame shown before that one - and queues them as a task. Worker
 * threads, each with its own decoder and converter, take tasks, decode them to the end (a
 * task holds nothing that is not needed, so frame threading wastes nothing either) and
 * convert the frames their targets pick. Every GOP is decoded once, by one thread.
 *
 * Why this and not only the decoder's own threads: a sampling request decodes a few frames
 * after each of many keyframes, and frame threading restarts (and wastes the frames in
 * flight) at every seek, while separate GOPs on separate cores share nothing.
 *
 * The workers are started and joined within the call; the queue holds a few tasks at most,
 * so memory stays at a few GOPs of packets however long the request. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <libavutil/cpu.h>

#include "sampler_internal.h"

enum {
    MAX_WORKERS = 8,
    TASKS_PER_WORKER = 2, /* queued ahead of each worker */
    MAX_REORDER = 16,     /* H.264/H.265 reorder at most this many frames */
    MAX_SKIPPED = 64,     /* non-key packets passed over to find a keyframe packet */
};

typedef struct sample_task {
    int first, end; /* targets [first, end) */
    int key;        /* keyframe they decode from */
    AVPacket **packets;
    int count, cap;
    struct sample_task *next;
} sample_task;

typedef struct {
    sampler *s;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    sample_task *head, *tail;
    int queued, capacity;
    bool producing;   /* false once the last task is queued */
    atomic_bool stop; /* an error or the deadline: everyone stops */
    dc_deadline dl;
} task_queue;

typedef struct {
    task_queue *q;
    pthread_t thread;
    media_decoder dec;
    sample_cursor cur;
    dc_status st;
    dc_error_class e;
} sample_worker;

/* --- groups --- */

static int group_key(const sampler *s, int i) {
    int k = s->keyframes ? media_key_nearest(s->m, s->targets[i])
                         : media_key_at_or_before(s->m, s->targets[i]);
    return k < 0 ? 0 : k;
}

/* End of the group that starts at target `first`. */
static int group_end(const sampler *s, int first) {
    int k = group_key(s, first), end = first + 1;
    while (end < s->n && group_key(s, end) == k) end++;
    return end;
}

static int worker_cap(const sampler *s) {
    int cap = s->max_workers > 0 ? s->max_workers : av_cpu_count();
    if (cap < 1) cap = 1;
    return cap < MAX_WORKERS ? cap : MAX_WORKERS;
}

int sampler_parallel_workers(const sampler *s) {
    const dc_media *m = s->m;
    if (!m->keys_known || m->pipe_fd >= 0 || !m->fmt->pb ||
        !(m->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL) || s->n < 2)
        return 1;
    int cap = worker_cap(s), groups = 0;
    for (int i = 0; i < s->n && groups < cap; i = group_end(s, i)) groups++;
    return groups;
}

/* --- the queue --- */

static void task_free(sample_task *t) {
    if (!t) return;
    for (int i = 0; i < t->count; i++) av_packet_free(&t->packets[i]);
    free(t->packets);
    free(t);
}

static void queue_stop(task_queue *q) {
    pthread_mutex_lock(&q->lock);
    atomic_store(&q->stop, true);
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

/* Queues t, waiting while the queue is full. False (t not taken) when everyone stopped. */
static bool queue_put(task_queue *q, sample_task *t) {
    pthread_mutex_lock(&q->lock);
    while (q->queued >= q->capacity && !atomic_load(&q->stop))
        pthread_cond_wait(&q->changed, &q->lock);
    bool ok = !atomic_load(&q->stop);
    if (ok) {
        if (q->tail) q->tail->next = t;
        else q->head = t;
        q->tail = t;
        q->queued++;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

/* The next task, or NULL when there is none left or everyone stopped. */
static sample_task *queue_take(task_queue *q) {
    pthread_mutex_lock(&q->lock);
    while (!q->head && q->producing && !atomic_load(&q->stop))
        pthread_cond_wait(&q->changed, &q->lock);
    sample_task *t = NULL;
    if (q->head && !atomic_load(&q->stop)) {
        t = q->head;
        q->head = t->next;
        if (!q->head) q->tail = NULL;
        q->queued--;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->lock);
    return t;
}

static void queue_finish(task_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->producing = false;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

/* --- reading a task (calling thread) --- */

static bool task_append(sample_task *t, AVPacket *pkt) {
    if (t->count == t->cap) {
        int ncap = t->cap ? t->cap * 2 : 32;
        AVPacket **n = realloc(t->packets, sizeof *n * (size_t)ncap);
        if (!n) return false;
        t->packets = n;
        t->cap = ncap;
    }
    AVPacket *p = av_packet_alloc();
    if (!p) return false;
    av_packet_move_ref(p, pkt);
    t->packets[t->count++] = p;
    return true;
}

/* Whether the packet read after `t`'s packets is one it does not need. Frames are needed up
 * to `cand`, the earliest presentation time at or after the last target seen so far, and any
 * frame shown before it: those decode before the first packet whose decode time reaches cand
 * (decode times rise, and a frame is never shown before it is decoded). */
static bool task_complete(const sample_task *t, const AVPacket *pkt, int64_t cand, int keys_after,
                          int since_cand) {
    if (t->count == 0) return false;
    if (keys_after >= 2) return true; /* never into the GOP after the next one */
    if (cand == AV_NOPTS_VALUE) return false;
    if (pkt->dts != AV_NOPTS_VALUE) return pkt->dts >= cand;
    return since_cand > MAX_REORDER; /* no decode times: allow the deepest reordering */
}

/* Seeks to the group's keyframe and reads the packets it needs into t. A keyframe that cannot
 * be reached leaves t empty: its targets go without a frame and the shortfall says so. */
static dc_error_class read_task(sampler *s, sample_task *t, AVPacket *pkt, dc_status *st) {
    dc_media *m = s->m;
    int ret = media_seek_to_key(m, t->key);
    if (ret < 0) {
        if (m->interrupted || ret == AVERROR_EXIT) return media_fail_timeout(m, st, "seeking");
        return DC_OK;
    }
    int64_t last = s->targets[t->end - 1], cand = AV_NOPTS_VALUE;
    int keys_after = 0, since_cand = 0, skipped = 0;
    for (;;) {
        ret = media_read_packet(m, pkt, &s->corrupt_packets);
        if (ret < 0) {
            if (m->interrupted || ret == AVERROR_EXIT)
                return media_fail_timeout(m, st, "reading video packets");
            break; /* end of file, or a truncated or unreadable tail */
        }
        bool key = pkt->flags & AV_PKT_FLAG_KEY;
        if (s->keyframes && !key) {
            if (++skipped > MAX_SKIPPED) break;
            continue;
        }
        int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        if (key && t->count > 0 && ts != AV_NOPTS_VALUE && ts > m->keys[t->key].ts) keys_after++;
        if (cand != AV_NOPTS_VALUE) since_cand++;
        if (task_complete(t, pkt, cand, keys_after, since_cand)) break;
        int64_t pts = pkt->pts;
        if (!task_append(t, pkt)) return media_fail_nomem(m, st);
        if (s->keyframes) break; /* the keyframe is all a group needs */
        if (pts != AV_NOPTS_VALUE && pts >= last && (cand == AV_NOPTS_VALUE || pts < cand)) {
            cand = pts;
            since_cand = 0;
        }
    }
    av_packet_unref(pkt);
    return DC_OK;
}

/* --- decoding a task (worker threads) --- */

static bool stopping(sample_worker *w) {
    task_queue *q = w->q;
    if (atomic_load(&q->stop)) return true;
    if (!dc_deadline_passed(q->dl)) return false;
    w->e = media_fail_timeout(q->s->m, &w->st, "decoding frames");
    return true;
}

/* Takes the frames the decoder has ready: in keyframe mode the keyframe serves its whole
 * group, otherwise each frame serves the targets it is nearest to. */
static dc_error_class take_frames(sample_worker *w, int *next, int end) {
    sampler *s = w->q->s;
    media_decoder *d = &w->dec;
    dc_error_class e = DC_OK;
    while (e == DC_OK && media_decoder_receive(d) == 0) {
        if (media_frame_pts(d->frame) == AV_NOPTS_VALUE) {
            av_frame_unref(d->frame);
        } else if (s->keyframes) {
            for (; *next < end && e == DC_OK; (*next)++)
                e = sample_cursor_emit(&w->cur, *next, d->frame, &w->st);
            av_frame_unref(d->frame);
        } else {
            e = sample_cursor_take(&w->cur, d->frame, next, end, &w->st);
        }
    }
    return e;
}

static dc_error_class decode_task(sample_worker *w, sample_task *t) {
    media_decoder *d = &w->dec;
    media_decoder_flush(d); /* every task starts at its keyframe */
    sample_cursor_restart(&w->cur);
    int next = t->first;
    dc_error_class e = DC_OK;
    for (int i = 0; i <= t->count && e == DC_OK; i++) {
        if (stopping(w)) return w->e;
        if (i < t->count) {
            av_packet_move_ref(d->pkt, t->packets[i]);
            media_decoder_send(d, false);
        } else {
            media_decoder_send(d, true); /* the task's end: drain */
        }
        e = take_frames(w, &next, t->end);
    }
    if (e == DC_OK && !w->q->s->keyframes) e = sample_cursor_finish(&w->cur, &next, t->end, &w->st);
    return e;
}

static void *worker_main(void *arg) {
    sample_worker *w = arg;
    sample_task *t;
    while (w->e == DC_OK && (t = queue_take(w->q)) != NULL) {
        dc_error_class e = decode_task(w, t);
        if (w->e == DC_OK) w->e = e;
        task_free(t);
    }
    if (w->e != DC_OK) queue_stop(w->q);
    return NULL;
}

/* --- the whole call --- */

/* Reads every group into a task and queues it; returns the reader's own error, if any. */
static dc_error_class produce(task_queue *q, dc_status *st) {
    sampler *s = q->s;
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) return media_fail_nomem(s->m, st);
    dc_error_class e = DC_OK;
    for (int first = 0; first < s->n && e == DC_OK && !atomic_load(&q->stop);) {
        if (media_deadline_hit(s->m)) {
            e = media_fail_timeout(s->m, st, "reading video packets");
            break;
        }
        sample_task *t = calloc(1, sizeof *t);
        if (!t) {
            e = media_fail_nomem(s->m, st);
            break;
        }
        t->first = first;
        t->end = group_end(s, first);
        t->key = group_key(s, first);
        first = t->end;
        e = read_task(s, t, pkt, st);
        if (e != DC_OK || !queue_put(q, t)) task_free(t);
    }
    av_packet_free(&pkt);
    return e;
}

dc_error_class sampler_decode_parallel(sampler *s, int workers, dc_status *st) {
    dc_media *m = s->m;
    task_queue q = {.s = s, .capacity = workers * TASKS_PER_WORKER, .producing = true, .dl = m->dl};
    atomic_init(&q.stop, false);
    sample_worker *w = calloc((size_t)workers, sizeof *w);
    if (!w) return media_fail_nomem(m, st);
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.changed, NULL);
    /* The cores are shared out among the workers; with as many workers as cores each
     * decoder runs on one thread. */
    int threads = av_cpu_count() / workers;
    if (threads < 1) threads = 1;
    dc_error_class e = DC_OK;
    int started = 0;
    for (; started < workers && e == DC_OK; started++) {
        w[started] = (sample_worker){.q = &q};
        e = sample_cursor_init(&w[started].cur, s, st);
        if (e == DC_OK)
            e = media_decoder_open_ex(m, &w[started].dec, s->keyframes, false, threads, false, st);
        if (e == DC_OK && pthread_create(&w[started].thread, NULL, worker_main, &w[started]))
            e = dc_fail(st, DC_ERR_RESOURCE, "%s: cannot start a decoding thread", m->path);
        if (e != DC_OK) {
            media_decoder_close(&w[started].dec);
            sample_cursor_free(&w[started].cur);
            break;
        }
    }
    if (e == DC_OK) e = produce(&q, st);
    if (e != DC_OK) queue_stop(&q);
    queue_finish(&q);
    for (int i = 0; i < started; i++) {
        pthread_join(w[i].thread, NULL);
        if (e == DC_OK && w[i].e != DC_OK) {
            e = w[i].e;
            *st = w[i].st;
        }
        s->corrupt_packets += w[i].dec.corrupt_packets;
        s->convert_errors += w[i].cur.convert_errors;
        media_decoder_close(&w[i].dec);
        sample_cursor_free(&w[i].cur);
    }
    while (q.head) {
        sample_task *t = q.head;
        q.head = t->next;
        task_free(t);
    }
    pthread_cond_destroy(&q.changed);
    pthread_mutex_destroy(&q.lock);
    free(w);
    return e;
}
