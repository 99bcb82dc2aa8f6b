/* How long this process has run, from the kernel's record of its start. A user who runs
 * `dashclaim assess --timeout 2` times the command, and the command spends 90-250 ms (149 shared
 * libraries: FFmpeg's, llama.cpp's) before main() runs; the first claim's deadline is shortened
 * by that much so that the command, not only the claim, returns on time. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

double cli_process_age_sec(void) {
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f) return 0;
    char line[1024];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    /* the command name (field 2) is in parentheses and may hold spaces: count from its end */
    const char *p = strrchr(line, ')');
    if (!p) return 0;
    unsigned long long start_ticks = 0;
    /* fields 3.. after ") ": state is field 3, starttime field 22 */
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
               "%*d %llu",
               &start_ticks) != 1)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    struct timespec now;
    if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &now) != 0) return 0;
    double age = (double)now.tv_sec + now.tv_nsec / 1e9 - (double)start_ticks / (double)hz;
    return age > 0 && age < 3600 ? age : 0;
}
