/* Howard Hinnant's days_from_civil, written from its published description: shift the year to
 * start in March (so February's length is the year's last day), count whole 400-year eras,
 * then the days within the era. */
#include "dashclaim/calendar.h"

int64_t dc_days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
