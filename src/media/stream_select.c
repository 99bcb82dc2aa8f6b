/* Which streams the demuxer hands out during a pass: the others are discarded at the demuxer,
 * so a video pass never reads audio payloads and an audio pass never reads video. */
#include "media_internal.h"

void media_select_stream(dc_media *m, int keep_index) {
    for (unsigned i = 0; i < m->fmt->nb_streams; i++)
        m->fmt->streams[i]->discard = (int)i == keep_index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
}

void media_select_all_streams(dc_media *m) {
    for (unsigned i = 0; i < m->fmt->nb_streams; i++)
        m->fmt->streams[i]->discard = AVDISCARD_DEFAULT;
}
