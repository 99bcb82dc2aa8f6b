/* Test builds only (DC_TEST_HOOKS): an allocation counter that can fail the n-th allocation,
 * in the spirit of SQLite's fault simulator. The reliability tests sweep n over a whole claim
 * and check that every run ends as ok, degraded, or failed with class resource.
 *
 * What is counted: every malloc, calloc, realloc, strdup, strndup and posix_memalign written
 * in the library modules (src/<module>/, through alloc_hook.h, which their compile line
 * force-includes in test builds), plus whatever a test routes through core_test_malloc
 * (jansson's json_set_alloc_funcs, for instance). FFmpeg's and llama.cpp's own allocations
 * are not counted: they happen inside the libraries, which report a failure to us as an error
 * code from their API; a test limits them with their own knobs (av_max_alloc) instead.
 *
 * The counter is process-wide and thread-safe (the sampler decodes on several threads, so the
 * n-th allocation of a run is not always the same one; every run still has to end well). */
#ifndef DC_CORE_ALLOC_FAULT_H
#define DC_CORE_ALLOC_FAULT_H

#include <stdbool.h>
#include <stddef.h>

/* Starts counting from zero; the allocation numbered `n` (1-based) from now fails, once.
 * n = 0 counts without failing anything (a dry run to learn how many there are). */
void core_alloc_fault_arm(long n);
/* Stops counting and failing. */
void core_alloc_fault_disarm(void);
/* Allocations counted since the last arm. */
long core_alloc_fault_count(void);
/* True when the armed failure has happened since the last arm. */
bool core_alloc_fault_fired(void);

/* The counted allocators (alloc_hook.h maps the libc names onto these). */
void *core_test_malloc(size_t size);
void *core_test_calloc(size_t n, size_t size);
void *core_test_realloc(void *p, size_t size);
char *core_test_strdup(const char *s);
char *core_test_strndup(const char *s, size_t n);
int core_test_posix_memalign(void **p, size_t align, size_t size);
/* Plain free, for a library's pair of allocation functions (jansson). */
void core_test_free(void *p);

#endif
