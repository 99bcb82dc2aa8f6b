/* Deadlines: libavformat calls the interrupt callback around every blocking read, so a stalled
 * or trickling input gives up when the call's deadline passes, without signals or threads. */
#include "media_internal.h"

int media_interrupt_cb(void *opaque) {
    dc_media *m = opaque;
    return media_deadline_hit(m) ? 1 : 0;
}

void media_begin_call(dc_media *m, dc_deadline dl) {
    m->dl = dl;
    m->interrupted = false;
}

bool media_deadline_hit(dc_media *m) {
    if (!m->interrupted && dc_deadline_passed(m->dl)) m->interrupted = true;
    return m->interrupted;
}
