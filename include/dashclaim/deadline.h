/* Monotonic time and deadlines. Every long call takes a dc_deadline; 0 means "none". */
#ifndef DASHCLAIM_DEADLINE_H
#define DASHCLAIM_DEADLINE_H

#include <stdbool.h>

typedef struct {
    double at; /* dc_now() seconds at which time is up; 0 = no deadline */
} dc_deadline;

/* Seconds on CLOCK_MONOTONIC. */
double dc_now(void);
/* A deadline `seconds` from now; seconds <= 0 means no deadline. */
dc_deadline dc_deadline_in(double seconds);
bool dc_deadline_passed(dc_deadline d);
/* Seconds left (a large number when there is no deadline, never negative). */
double dc_deadline_left(dc_deadline d);

#endif
