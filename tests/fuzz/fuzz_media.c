/* libFuzzer harness: the media layer on bytes in memory (media_open_memory: our own seekable
 * AVIOContext, no temporary file). Each input is probed, then sampled the way a claim samples
 * it: a keyframe thumbnail pass (mining), audio PCM when there is audio, and exact frames at
 * a small size, once forward and once on two decoder threads. Every call must return DC_OK
 * (maybe degraded) or an error class with a message naming the input; frames that come back
 * have the size asked for and timestamps inside the video. A deadline bounds each call, so a
 * hang shows as a libFuzzer timeout. Corpus: tests/fuzz/corpus/media/ (small synth-video
 * files of every container and codec, then what libFuzzer grew from them). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "media_internal.h"

static void check_status(dc_error_class rc, const dc_status *st) {
    if (rc != DC_OK && (rc < DC_ERR_INPUT || rc > DC_ERR_INTERNAL || !st->message[0])) abort();
    if (rc != DC_OK && strncmp(st->message, "fuzz", 4) != 0) abort(); /* names the input */
}

static void check_frames(const dc_frame_set *fs, const dc_media_info *info, int side) {
    if (fs->count < 0 || fs->count > fs->requested) abort();
    for (int i = 0; i < fs->count; i++) {
        const dc_frame *f = &fs->frames[i];
        if (!f->rgb || f->width <= 0 || f->height <= 0 || f->width > side || f->height > side ||
            f->stride < 3 * f->width)
            abort();
        if (!isfinite(f->t_sec)) abort();
        (void)info;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int quiet;
    if (!quiet++) av_log_set_level(AV_LOG_QUIET);
    dc_status st = DC_STATUS_OK;
    dc_media *m = media_open_memory(data, size, "fuzz", dc_deadline_in(5), &st);
    if (!m) {
        check_status(st.code == DC_OK ? DC_ERR_INTERNAL : st.code, &st);
        return 0;
    }
    const dc_media_info *info = dc_media_get_info(m);
    if (info->width <= 0 || info->height <= 0 || !(info->duration_sec > 0)) abort();

    dc_thumb_request tr = {.width = 32, .height = 18};
    dc_thumb_set thumbs = {0};
    st = DC_STATUS_OK;
    check_status(dc_media_thumbnails(m, &tr, dc_deadline_in(5), &thumbs, &st), &st);
    for (int i = 0; i < thumbs.count; i++)
        if (!thumbs.thumbs[i].gray) abort();
    dc_thumb_set_free(&thumbs);

    if (info->has_audio) {
        dc_pcm pcm = {0};
        st = DC_STATUS_OK;
        check_status(dc_media_audio(m, 0, 2.0, 8000, dc_deadline_in(5), &pcm, &st), &st);
        for (size_t i = 0; i < pcm.count; i++)
            if (!(pcm.samples[i] >= -1.0f && pcm.samples[i] <= 1.0f)) abort();
        dc_pcm_free(&pcm);
    }

    for (int workers = 1; workers <= 2; workers++) {
        dc_sample_request req = {.start_sec = 0,
                                 .end_sec = 0,
                                 .count = 4,
                                 .longest_side = 48,
                                 .unit = 2,
                                 .mode = DC_SAMPLE_EXACT,
                                 .decode_workers = workers};
        dc_frame_set fs = {0};
        st = DC_STATUS_OK;
        dc_error_class rc = dc_frames_sample(m, &req, dc_deadline_in(5), &fs, &st);
        check_status(rc, &st);
        if (rc == DC_OK) check_frames(&fs, info, 48);
        dc_frame_set_free(&fs);
    }
    dc_media_close(m);
    return 0;
}
