/* Grouping: which videos make one claim, and where each sits on the claim's timeline.
 *
 * Dashcams record the front, rear and cabin cameras as separate files and loop-record in 1-,
 * 3- or 5-minute segments; adjusters receive the whole folder. This module turns a list of
 * files and folders into claims (each a dc_claim_input for dc_pipeline_assess_claim, with a
 * claim id and a note saying how it was grouped). It never calls the pipeline.
 *
 * Usage:
 *   dc_group_set set;
 *   dc_group_videos(paths, n, DC_GROUP_AUTO, dc_deadline_in(60), &set, &st);
 *   for (int g = 0; g < set.count; g++) {
 *       const dc_group *grp = &set.groups[g];
 *       if (grp->error_class != DC_OK) { ... one failed record per video of the group,
 *                                          with grp->error ... ; continue; }
 *       dc_claim_input in;
 *       dc_group_claim_input(&set, g, &in);
 *       dc_pipeline_assess_claim(&in, grp->claim_id, &opts, &result);
 *   }
 *   dc_group_set_free(&set);
 *
 * ---- file names: one table of the cameras' conventions -----------------------------------
 *
 * dc_group_parse_name reads what a camera put in a file's name (and, for the brands that use
 * them, the names of the two folders above it): the camera's role, the segment number, the
 * local start time (the camera's clock, no zone), the recording kind and a recording key that
 * the channels of one moment share (brand, kind and start time; not the segment number: VIOFO
 * numbers every file, front and rear alike). The rows, tried in this order (src/group/
 * conventions.c; letters and words are matched without regard to case, the extension is not
 * looked at; N = a digit):
 *   blackvue   YYYYMMDD_HHMMSS_KR         K: N normal, E event, P parking, M manual;
 *                                         R: F front, R rear, I interior
 *   viofo      YYYY_MMDD_HHMMSS_NNN[K][R] K: P parking, E event (else normal);
 *                                         R: F, R, I (none: front, a one-camera model)
 *   viofo-new  YYYYMMDDHHMMSS_NNNNNN[K][R] as viofo
 *   70mai      PPYYYYMMDD-HHMMSS-NNNNNN[R] PP: NO normal, EV event, PA parking, LA (time-lapse,
 *                                         the parking monitor) parking; R: F front, B rear,
 *                                         I interior; without R the folder says it (Front,
 *                                         Back, Interior: Normal/Front/NO...mp4), else front
 *   nextbase   YYMMDD_HHMMSS_NNN_R[Q]     R: F front, R rear, B cabin (interior); Q: H or L
 *                                         (resolution); in a folder Protected: event
 *   vantrue    YYYYMMDD_HHMMSS_NNNNN_N_R  R: A front, B rear, C cabin; folders Event and
 *                                         Parking give the kind
 *   thinkware  PP_YYYY_MM_DD_HH_MM_SS_R   PP: REC normal, EVT event, PARK parking, MAN manual;
 *                                         R: F front, R rear
 *   tesla      YYYY-MM-DD_HH-MM-SS-W      W: front, back (rear), left_repeater / left_pillar
 *                                         (left), right_repeater / right_pillar (right);
 *                                         folders RecentClips normal, SavedClips manual,
 *                                         SentryClips parking
 * A date must exist (2000-2199 for two-digit years: 20YY), hours 0-23, minutes and seconds
 * 0-59; the name must end where the pattern does. Anything else (a renamed file, a phone's
 * VID_..., a near miss such as a 7-digit date) matches no row. Names are untrusted bytes: a
 * name of any length or content is read within its bounds (tests/fuzz/fuzz_group_name.c).
 *
 * ---- grouping ------------------------------------------------------------------------------
 *
 * Inputs: files and folders; a folder is read recursively (depth 16, symbolic links to folders
 * not followed, hidden entries skipped) for video files (.mp4 .mov .ts .mkv .avi .m4v, any
 * case), sorted by path. Modes:
 *   none   one claim per file (as before grouping existed). Nothing is opened.
 *   all    the files are one claim, laid out as auto lays out a trip (never split).
 *   auto   claims found as below.
 * With all and auto every file is opened (dc_media_open: duration, creation_time; not
 * dc_media_probe, whose keyframe pass would read an MPEG-TS file through) and its telemetry
 * read (dc_telemetry_read: the first fix with a UTC gives the video's start, its UTC minus its
 * t_sec). A file that cannot be opened is a claim of its own (the pipeline then records why it
 * failed; the note names the error).
 *
 * auto, step by step:
 *   1. Copies: a file whose real path is another's, or whose size and first and last MiB are
 *      another's, is dropped; the kept copy's claim says so in its note.
 *   2. Clock: each file is placed by its name's time when a convention row reads it (the
 *      camera's local clock), else by its container's creation_time, else by its telemetry's
 *      UTC. Files are only compared with files of the same clock and convention (a name's
 *      local time and a telemetry UTC differ by the time zone). A file with none of the three
 *      is a claim of its own ("no time to group by").
 *   3. Moments: the channels of one moment are the files with the same recording key (named
 *      files) or the same start to within 1 s (unnamed files); the moment starts at its
 *      earliest channel and lasts as long as its longest.
 *   4. Trips: moments in time order; the next one joins the trip when it starts within 2 s of
 *      the previous one's end (before or after it); otherwise a new trip (and claim) starts.
 *      A clock jump - a segment whose number follows the previous segment's but whose time
 *      goes backwards or forward by an hour or more - starts a new trip, and both claims' notes
 *      say so.
 *   5. Limit: a trip of more than DC_MAX_CLAIM_VIDEOS videos is not assessed: its group has
 *      error_class DC_ERR_INPUT and an error naming the group (its claim id, its first and last
 *      file, how many videos) and the limit, and lists all its videos, so that the caller
 *      records each as a failed claim. Nothing is dropped silently.
 * Timeline (offset_sec, per claim): 0 is the earliest video's first frame; the channels of
 * one moment share their moment's offset. A joined segment starts right after the one before
 * (its offset + duration) when the times are names' or containers' (whole seconds, while the
 * camera records without a break), and at its own start when telemetry gives every video of
 * the claim a UTC (milliseconds). In all mode, files without a time follow one another in the
 * order given.
 * Each video's start_time / start_source: telemetry UTC ("2026-03-14T09:26:56Z",
 * "telemetry"), else the name's local time ("2026-03-14T09:26:56", "file-name"), else the
 * container's creation_time as written, to the second ("container"), else "" / "".
 * role and segment come from the name (unknown / -1 when it says nothing); duration_sec from
 * the probe. Claim id: the base name of the claim's first front video (its earliest), else
 * of its first video - the name dc_pipeline_assess gives a one-video claim.
 * Order: claims in the order of their first file in the input (after folder expansion); the
 * videos of a claim by offset, then role (front, rear, interior, left, right, unknown).
 *
 * An input that does not exist or cannot be read is kept as a file (a claim of its own, which
 * the pipeline records as failed with the reason): nothing given is dropped.
 * Errors: DC_ERR_INPUT when count < 1 or paths is NULL; DC_ERR_RESOURCE when memory runs out. A deadline that passes while files are
 * probed leaves the rest unprobed: each is then a claim of its own, and *st is degraded
 * saying so. Memory: the set owns its arrays (about 1.5 kB per video); free it with
 * dc_group_set_free. Thread safety: no shared state.
 */
#ifndef DASHCLAIM_GROUP_H
#define DASHCLAIM_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "dashclaim/claim.h"
#include "dashclaim/deadline.h"
#include "dashclaim/status.h"

/* ---- file names ----------------------------------------------------------------------- */

typedef enum {
    DC_RECORDING_UNKNOWN = 0,
    DC_RECORDING_NORMAL,
    DC_RECORDING_EVENT,   /* the G-sensor or a button protected it */
    DC_RECORDING_PARKING, /* parking monitor, time-lapse, Sentry */
    DC_RECORDING_MANUAL,  /* the driver saved it */
} dc_recording_kind;

/* "unknown", "normal", "event", "parking", "manual". */
const char *dc_recording_kind_name(dc_recording_kind k);

typedef struct {
    const char *convention; /* the row's name ("blackvue", "viofo", ...), static */
    dc_video_role role;
    int segment;          /* -1 when the name has none */
    int year, month, day; /* the camera's local clock */
    int hour, minute, second;
    int64_t local_sec; /* that time as seconds since 1970 read as if it were UTC */
    dc_recording_kind kind;
    char key[64]; /* "<convention>|<kind>|YYYYMMDDhhmmss": one moment's channels */
} dc_name_info;

/* Reads path's file name (and the two folders above it) against the table. true and *out
 * filled when a row matches; false (and *out zeroed, segment -1) otherwise. NULL is no match. */
bool dc_group_parse_name(const char *path, dc_name_info *out);

/* The table's rows in the order they are tried, for --help and tests. */
int dc_group_convention_count(void);
const char *dc_group_convention_name(int i);

/* ---- grouping ------------------------------------------------------------------------- */

typedef enum { DC_GROUP_NONE = 0, DC_GROUP_ALL, DC_GROUP_AUTO } dc_group_mode;

/* "none", "all", "auto"; from_name returns false for anything else. */
const char *dc_group_mode_name(dc_group_mode m);
bool dc_group_mode_from_name(const char *name, dc_group_mode *out);

typedef struct {
    char claim_id[128];
    /* How it was grouped, for a person: "blackvue names: 2 channels x 3 segments",
     * "1 file (no time to group by)", dropped copies, clock jumps, ... */
    char note[512];
    int first, count; /* its videos: set->videos[first .. first + count) */
    /* DC_OK, or why the group cannot be one claim (DC_ERR_INPUT: more videos than
     * DC_MAX_CLAIM_VIDEOS); error names the group and the limit. */
    dc_error_class error_class;
    char error[512];
} dc_group;

typedef struct {
    dc_group *groups; /* owned */
    int count;
    dc_claim_video *videos; /* owned, grouped: each group's are contiguous */
    int video_count;
    int dropped_copies; /* files left out as copies of another (named in the notes) */
} dc_group_set;

/* Groups paths[0 .. count) (files or folders) by mode; see the top of this file. *out is
 * always initialised (free it with dc_group_set_free, also after a failure). */
dc_error_class dc_group_videos(const char *const *paths, int count, dc_group_mode mode,
                               dc_deadline dl, dc_group_set *out, dc_status *st);

/* Copies group g's videos into *in (in->count = 0 for a group with an error or a bad g). */
void dc_group_claim_input(const dc_group_set *set, int g, dc_claim_input *in);

/* Frees the arrays and zeroes *set; safe on a zeroed or already freed set. */
void dc_group_set_free(dc_group_set *set);

/* Expands paths (files, and anything that is not a readable folder, kept as given; folders
 * read as above, each folder's files sorted) into a list the caller frees with
 * dc_group_paths_free. Fails only when memory runs out (DC_ERR_RESOURCE). */
dc_error_class dc_group_expand_paths(const char *const *paths, int count, char ***out,
                                     int *out_count, dc_status *st);
void dc_group_paths_free(char **paths, int count);

#endif
