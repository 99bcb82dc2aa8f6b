/* The calendar of the times files state: a camera's name (its local clock) and a container's
 * creation_time, read as seconds since 1970 as if they were UTC (grouping compares a camera's
 * times with each other, never with the zone-true UTC of telemetry). */
#include <stdio.h>
#include <string.h>

#include "dashclaim/calendar.h"
#include "group_internal.h"

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

bool group_valid_time(int y, int mo, int d, int h, int mi, int s) {
    return y >= 1970 && y <= 2199 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) &&
           h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

bool group_parse_creation_time(const char *text, int64_t *sec, char out[32]) {
    int y, mo, d, h, mi, s, used = 0;
    char sep;
    if (!text || strlen(text) < 19 ||
        sscanf(text, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s, &used) != 7 ||
        used != 19 || (sep != 'T' && sep != ' ') || !group_valid_time(y, mo, d, h, mi, s))
        return false;
    /* Muxers without a clock write 1970 or 1904 (MP4's epoch): no time at all. */
    if (y < 2000) return false;
    *sec = dc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    bool zulu = strchr(text + 19, 'Z') != NULL;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi, s, zulu ? "Z" : "");
    return true;
}
