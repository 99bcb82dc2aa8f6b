/* synth-video's encoder: one scene, one stretch of its clock, one file.
 *
 * The scene's clock need not start at 0: a file that begins at t0 renders the scene's frames
 * and sound from t0 on, with the file's own timestamps starting at 0. Consecutive files of a
 * loop-recorded series are written from one scene with t0 advancing, so each file continues
 * exactly where the previous one ended (frames on the global grid round(t * fps), audio on
 * the global sample grid), as a camera's segments do. */
#ifndef SYNTH_VIDEO_ENCODER_H
#define SYNTH_VIDEO_ENCODER_H

#include <stdbool.h>
#include <stdint.h>

#include "scene.h"

typedef enum {
    SV_DMG_NONE,
    SV_DMG_TRUNCATE,    /* the upload cut off: the first 60 % of the bytes */
    SV_DMG_CORRUPT,     /* a few non-key video packets scrambled */
    SV_DMG_NOAUDIO,     /* no audio stream */
    SV_DMG_VFR,         /* frame durations vary (single files only: t0 must be 0) */
    SV_DMG_MOOV_END,    /* MP4/MOV index at the end (no faststart) */
    SV_DMG_UNDECODABLE, /* every video packet's payload overwritten after its start code: the
                           container and the stream headers read, no frame decodes */
} sv_damage;

/* How every file is encoded. */
typedef struct {
    const char *codec; /* "h264", "hevc" or "mjpeg" */
    int width, height, gop, crf, bframes;
    double fps;
    int audio_rate;
    int rotate; /* display rotation metadata, degrees clockwise */
    uint64_t seed;
} sv_encoding;

/* One file. */
typedef struct {
    const char *path; /* container from the extension */
    const sv_scene_class *cls;
    sv_scene *scene; /* not owned */
    double t0_sec, duration_sec;
    sv_damage damage;
    bool silent; /* no audio stream (as SV_DMG_NOAUDIO, combinable with another damage) */
    /* The container's creation_time tag ("2026-03-14T12:03:00Z": cameras write their local
     * wall clock with no zone, which FFmpeg stores and reads back as if it were UTC); NULL
     * writes none. */
    const char *creation_time;
} sv_file_job;

/* Writes job->path. 0 on success; 1 after printing why not. *corrupted (may be NULL) gets
 * the number of video packets scrambled. */
int sv_encode_file(const sv_encoding *enc, const sv_file_job *job, long *corrupted);

#endif
