/* How real dashcams name the files of one recording: per brand, the front, rear and cabin
 * channel's file of one loop segment, from the camera's local wall clock and its file counter.
 * (issue 26's table; the grouping in src/group reads the same names back.) */
#ifndef SYNTH_VIDEO_CAMERA_NAMES_H
#define SYNTH_VIDEO_CAMERA_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scene.h"

/* "front", "rear", "interior", "left", "right" (the record's role names). */
const char *sv_camera_role_name(sv_camera c);
/* false for an unknown name. */
bool sv_camera_from_role_name(const char *name, sv_camera *out);

/* The brands: "blackvue", "viofo", "70mai", "nextbase", "vantrue", "thinkware", "tesla".
 * NULL past the last. */
const char *sv_camera_brand_at(int i);
bool sv_camera_brand_known(const char *brand);

/* Writes into buf the path, relative to the output folder, of `brand`'s file for channel
 * `cam` of the segment that starts at local wall time `when` (seconds since 1970 read as a
 * wall clock: no time zone), with file counter `number` (VIOFO, 70mai, Nextbase, Vantrue
 * number their files; the others ignore it). `series_start` names Tesla's event folder.
 * Folders in the path (70mai's Normal/Front, Tesla's TeslaCam/SavedClips/...) are the
 * caller's to create. false when the brand has no such channel or buf is too small. */
bool sv_camera_file_name(const char *brand, sv_camera cam, int64_t when, int number,
                         int64_t series_start, char *buf, size_t size);

/* "2026-03-14T12:03:00" into seconds since 1970 read as a wall clock; false when malformed. */
bool sv_parse_wall_clock(const char *text, int64_t *out);
/* The inverse, "YYYY-MM-DDTHH:MM:SS" (size >= 20). */
void sv_format_wall_clock(int64_t when, char *buf, size_t size);

#endif
