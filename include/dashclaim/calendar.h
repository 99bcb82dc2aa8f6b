/* Dates without a time-zone database: the one conversion every reader of a camera's clock
 * needs (telemetry UTC, file names, stated incident dates). */
#ifndef DASHCLAIM_CALENDAR_H
#define DASHCLAIM_CALENDAR_H

#include <stdint.h>

/* Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar (negative
 * before 1970). m is 1..12 and d 1..31; the caller checks the date is one. */
int64_t dc_days_from_civil(int y, int m, int d);

#endif
