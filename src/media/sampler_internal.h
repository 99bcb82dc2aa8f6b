/* State shared by the frame sampler's two ways of decoding: one decoder reading forward
 * (sampler.c) and one task per keyframe group spread over decoding threads
 * (sampler_parallel.c). Both fill out->frames[i] with the frame for target i and leave the
 * gaps to sampler.c, which compacts the set once decoding is over. */
#ifndef DC_MEDIA_SAMPLER_INTERNAL_H
#define DC_MEDIA_SAMPLER_INTERNAL_H

#include "media_internal.h"

typedef struct {
    dc_media *m;
    dc_frame_set *out;  /* frames[i]: the frame for target i (rgb NULL when none yet) */
    int64_t *frame_pts; /* pts of frames[i] */
    int out_w, out_h;
    int64_t *targets; /* sorted, stream time base */
    int n;
    int64_t period;  /* one frame, stream time base */
    bool keyframes;  /* nearest keyframe instead of nearest frame */
    int max_workers; /* the request's decode_workers: 0 = one per core */
    int corrupt_packets;
    int convert_errors;
} sampler;

/* One decoding thread's view of the sampler: its own converter and the frame before the
 * current one (the frame nearest a target is the first at or after it, or the one before). */
typedef struct {
    sampler *s;
    media_converter conv;
    AVFrame *prev;
    bool have_prev;
    int64_t last_emitted; /* pts of the last frame this cursor converted */
    int convert_errors;
} sample_cursor;

dc_error_class sample_cursor_init(sample_cursor *c, sampler *s, dc_status *st);
void sample_cursor_free(sample_cursor *c);
/* Forgets the previous frame (after a seek: what came before is not adjacent). */
void sample_cursor_restart(sample_cursor *c);
/* Frame f (in presentation order) serves the targets in [*next, end) at or before it, each
 * with f or the previous frame, whichever is nearer; then f becomes the previous frame (its
 * reference moves into the cursor). */
dc_error_class sample_cursor_take(sample_cursor *c, AVFrame *f, int *next, int end, dc_status *st);
/* End of input: the last frame serves the targets within one frame period after it; the
 * later ones do not exist in this file. */
dc_error_class sample_cursor_finish(sample_cursor *c, int *next, int end, dc_status *st);
/* Converts f into out->frames[target] - unless this cursor just converted the same frame,
 * which then stands for one target only (the video has fewer frames than asked). */
dc_error_class sample_cursor_emit(sample_cursor *c, int target, const AVFrame *f, dc_status *st);

/* How many threads should decode this request at once: 1 means decode forward with one
 * decoder (sampler.c). Takes more than one core, a seekable keyframe index and targets in at
 * least two keyframe groups. The request's decode_workers caps it (1 turns the threads off). */
int sampler_parallel_workers(const sampler *s);
/* Decodes every target with `workers` threads, one keyframe group per task; this thread
 * reads the packets of each group and hands them out. */
dc_error_class sampler_decode_parallel(sampler *s, int workers, dc_status *st);

#endif
