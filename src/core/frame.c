#include "dashclaim/frame.h"

#include <stdlib.h>
#include <string.h>

void dc_frame_set_free(dc_frame_set *set) {
    if (!set) return;
    for (int i = 0; i < set->count; i++) free(set->frames[i].rgb);
    free(set->frames);
    memset(set, 0, sizeof *set);
}
