/* Inside the grouping module: the files and who calls whom.
 *   conventions.c   the table of camera naming conventions and the name parser (group.h)
 *   calendar.c      dates as seconds, a container's creation_time read
 *   expand.c        files and folders -> a sorted list of video files
 *   file_facts.c    what grouping knows of one file: name, probe, telemetry UTC, creation
 *                   time, the copy check's fingerprint
 *   group.c         moments, trips, the claim's timeline, the groups (dc_group_videos)
 * group.c calls the others; file_facts.c calls media, telemetry and core (hashing); the
 * parsers (conventions.c, calendar.c) call nothing, so the fuzz harness builds from them alone. */
#ifndef DC_GROUP_INTERNAL_H
#define DC_GROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dashclaim/group.h"
#include "dashclaim/media.h"

/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar. */
/* A date that exists, 1970-2199, and a time of day (seconds 0-59). */
bool group_valid_time(int y, int mo, int d, int h, int mi, int s);

/* The clocks a file can be placed by, in the order grouping prefers them. */
typedef enum {
    GROUP_CLOCK_NONE = 0,
    GROUP_CLOCK_NAME,      /* the name's local time (whole seconds) */
    GROUP_CLOCK_CONTAINER, /* the container's creation_time (whole seconds) */
    GROUP_CLOCK_UTC,       /* telemetry's UTC (milliseconds) */
} group_clock;

typedef struct {
    const char *path; /* the expanded list's string */
    int order;        /* place in the expanded input */
    bool named;
    dc_name_info name;
    bool probed;           /* dc_media_probe succeeded */
    char probe_error[512]; /* why not, when tried */
    double duration_sec;
    bool has_creation;
    int64_t creation_sec;   /* as written, read as if UTC */
    char creation_text[32]; /* to the second, the zone mark kept */
    bool has_utc;
    int64_t utc_start_ms; /* the first UTC fix's UTC less its video time */
    int64_t size;         /* bytes; -1 unknown */
    uint8_t digest[32];   /* of the first and last MiB, once asked for */
    int digest_state;     /* 0 not yet, 1 done, -1 unreadable */
    /* grouping */
    group_clock clock;
    double t;       /* start on that clock, seconds */
    int copy_of;    /* index of the file this one is a copy of; -1 */
    int moment;     /* index of its moment */
    char jump[320]; /* a clock jump found before this file ("" = none) */
} group_file;

/* Fills f's name, probe (duration, creation time) and telemetry UTC. A file that cannot be
 * probed keeps probed = false and the reason; nothing here fails the grouping. */
void group_file_facts(group_file *f, dc_deadline dl);

/* Parses an ISO 8601 creation_time ("2026-03-14T09:26:56.000000Z", a space for the T also
 * read): seconds since 1970 as if UTC, and the text to the second with its "Z" kept. */
bool group_parse_creation_time(const char *text, int64_t *sec, char out[32]);

/* Whether two files hold the same bytes as far as the copy check looks: the same real path,
 * or the same size and the same first and last MiB (read once per file, kept in it). */
bool group_same_file(group_file *a, group_file *b);

#endif
