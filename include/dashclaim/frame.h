/* Decoded frames in memory: what the media sampler produces and the engines consume. */
#ifndef DASHCLAIM_FRAME_H
#define DASHCLAIM_FRAME_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *rgb; /* RGB24, rows of `stride` bytes, owned by the frame set */
    int width, height, stride;
    double t_sec; /* presentation time from the start of the video (of a claim of several
                     videos: on the claim's timeline) */
    int video;    /* a claim of several videos: index of the video it comes from (0 otherwise) */
} dc_frame;

typedef struct {
    dc_frame *frames;
    int count;
    int requested;      /* how many were asked for; count < requested says the video ran out */
    int decode_workers; /* threads that decoded them (1: one decoder reading forward) */
} dc_frame_set;

/* Frees the pixels and the array; leaves *set zeroed. Safe on a zeroed set. */
void dc_frame_set_free(dc_frame_set *set);

#endif
