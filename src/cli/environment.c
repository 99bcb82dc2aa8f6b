/* What the dashclaim commands take from the environment (the library reads none of it). */
#include <stdlib.h>

#include "cli.h"

int cli_env_decode_workers(void) {
    const char *env = getenv("DASHCLAIM_DECODE_WORKERS");
    int n = env && *env ? atoi(env) : 0;
    return n > 0 ? n : 0;
}
