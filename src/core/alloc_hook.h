/* Force-included (gcc -include) into every source file of the library modules when the build
 * has DC_TEST_HOOKS (see dc_add_module in cmake/project_options.cmake): the libc allocators
 * become the counted ones of alloc_fault.h, so that a test can fail the n-th allocation.
 * The system headers come first: their declarations must see the real names, and their
 * include guards keep later #includes from declaring them again under the macros. */
#ifndef DC_CORE_ALLOC_HOOK_H
#define DC_CORE_ALLOC_HOOK_H

#include <stdlib.h>
#include <string.h>

#include "alloc_fault.h"

#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef strndup
#undef posix_memalign
#define malloc(size) core_test_malloc(size)
#define calloc(n, size) core_test_calloc(n, size)
#define realloc(p, size) core_test_realloc(p, size)
#define strdup(s) core_test_strdup(s)
#define strndup(s, n) core_test_strndup(s, n)
#define posix_memalign(p, align, size) core_test_posix_memalign(p, align, size)

#endif
