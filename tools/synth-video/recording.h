/* One recording as a dashcam leaves it on its card: every channel (front, rear, cabin, side
 * repeaters) of every loop segment, named as the chosen camera names them, each file with
 * the container creation_time the camera writes (its local clock at the first frame).
 *
 * One scene per channel, all from the same seed and duration, so every channel shows the
 * same moment; each channel's segments are consecutive stretches of its scene's clock (no
 * gap, no repeat, the sound running on). The scene's clock is the claim's timeline: 0 at the
 * first frame of the first segment.
 *
 * Labels: OUT/recording.label.json says where the incident is on that timeline, which
 * channel shows it and where it falls in each channel's files, and lists every file; each
 * file also gets FILE.label.json in the single-file format (incident_sec within that file)
 * with the recording's fields added; a file the incident is not in is labelled as the
 * ordinary driving it shows ("normal", "NONE", "incident_elsewhere": the recording's type). */
#ifndef SYNTH_VIDEO_RECORDING_H
#define SYNTH_VIDEO_RECORDING_H

#include <stdint.h>

#include "encoder.h"
#include "scene.h"

typedef struct {
    const char *out_dir;
    const sv_scene_class *cls;
    const char *brand; /* camera_names.h */
    sv_camera channels[SV_CAMERA_COUNT];
    int channel_count;
    int64_t start; /* the camera's wall clock at the first frame (camera_names.h) */
    int segments;
    double segment_sec;
    double incident_at; /* on the whole timeline; < 0: the scene picks */
    int first_number;   /* the camera's file counter of the first segment */
    /* Variants (bit 1 << channel): no audio stream; video undecodable. */
    unsigned silent, undecodable;
    /* This channel's recording ends this many seconds before the others' (its last files
     * are shorter or missing). */
    double shorter_sec[SV_CAMERA_COUNT];
    /* This channel starts this many seconds after the others (a rear camera that joined
     * late): its first file begins then and ends at the next segment boundary, as cameras
     * that keep their channels' files in step do; files before it are missing. */
    double late_sec[SV_CAMERA_COUNT];
    /* From segment clock_jump_segment on (>= 1; 0: never), the names and creation times run
     * clock_jump_sec ahead of the picture's clock (a camera that set its clock mid-trip). */
    int clock_jump_segment;
    double clock_jump_sec;
} sv_recording;

/* Writes every file and the labels. 0 on success, 1 after printing why not. */
int sv_write_recording(const sv_encoding *enc, const sv_recording *rec);

#endif
