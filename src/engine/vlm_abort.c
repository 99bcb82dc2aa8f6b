/* Deadlines inside llama.cpp and the vision encoder. The prototype used SIGALRM, which only
 * works on the main thread; here the computation itself polls the claim's deadline. */
#include <ggml.h>

#include "vlm_internal.h"

/* The vision encoder is split into groups of this many graph nodes so that the deadline is
 * checked between groups; a group is a few milliseconds of work even for the 7B projector. */
enum { CLIP_NODES_PER_CHECK = 32 };

bool vlm_deadline_passed(dc_vlm *e) {
    if (e->aborted) return true;
    if (dc_deadline_passed(e->deadline)) {
        e->aborted = true;
        return true;
    }
    return false;
}

/* llama_decode polls this between graph nodes on the CPU backend: true stops it (returns 2). */
bool vlm_abort_callback(void *user) {
    dc_vlm *e = user;
    if (!e) return false;
    return vlm_deadline_passed(e);
}

/* ggml's scheduler calls this with ask=true to learn which nodes the caller wants to see; the
 * nodes between two wanted ones are computed together, then it calls again with ask=false,
 * and a false answer stops the graph. Asking for every CLIP_NODES_PER_CHECK-th node turns this
 * into a periodic deadline check for mtmd, which has no abort callback of its own. */
bool vlm_clip_eval_callback(struct ggml_tensor *t, bool ask, void *user) {
    (void)t;
    dc_vlm *e = user;
    if (!e) return ask ? false : true;
    if (ask) return ++e->eval_nodes % CLIP_NODES_PER_CHECK == 0;
#ifdef DC_TEST_HOOKS
    if (vlm_fault_fires(e, DC_VLM_FAULT_DEADLINE_ENCODE)) e->aborted = true;
#endif
    return !vlm_deadline_passed(e);
}
