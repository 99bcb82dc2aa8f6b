/* Test-only fault injection: a test names a point of a claim and how many times a failure
 * fires there. Compiled only with DC_TEST_HOOKS; without it vlm_fault_fires is `false` and the
 * checks vanish from the engine. */
#include "vlm_internal.h"

#ifdef DC_TEST_HOOKS
void dc_vlm_test_inject(dc_vlm *e, dc_vlm_fault fault, int count) {
    e->fault = fault;
    e->fault_count = count;
    e->fault_code = 0;
}

void dc_vlm_test_inject_decode_return(dc_vlm *e, int32_t code, int count) {
    dc_vlm_test_inject(e, DC_VLM_FAULT_DECODE_RETURN, count);
    e->fault_code = code;
}

bool vlm_fault_fires(dc_vlm *e, dc_vlm_fault f) {
    if (e->fault != f || e->fault_count <= 0) return false;
    if (--e->fault_count == 0) e->fault = DC_VLM_FAULT_NONE;
    return true;
}
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int vlm_fault_hooks_off;
#endif
