#include "dashclaim/deadline.h"

#include <time.h>

double dc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

dc_deadline dc_deadline_in(double seconds) {
    return (dc_deadline){.at = seconds > 0 ? dc_now() + seconds : 0};
}

bool dc_deadline_passed(dc_deadline d) { return d.at > 0 && dc_now() >= d.at; }

double dc_deadline_left(dc_deadline d) {
    if (d.at <= 0) return 1e12;
    double left = d.at - dc_now();
    return left > 0 ? left : 0;
}
