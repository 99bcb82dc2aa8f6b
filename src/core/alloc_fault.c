/* The counted allocators of test builds (see alloc_fault.h). One relaxed atomic load when
 * disarmed, so a test build's allocations cost what a release build's do. */
#ifdef DC_TEST_HOOKS
#include "alloc_fault.h"

#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

/* This file is force-included with alloc_hook.h like the rest of the module: undo it here,
 * where the real allocators are called. */
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef strndup
#undef posix_memalign

static atomic_bool armed;
static atomic_long counted;
static atomic_long fail_at; /* 0 = count only */
static atomic_bool fired;

void core_alloc_fault_arm(long n) {
    atomic_store(&armed, false);
    atomic_store(&counted, 0);
    atomic_store(&fired, false);
    atomic_store(&fail_at, n > 0 ? n : 0);
    atomic_store(&armed, true);
}

void core_alloc_fault_disarm(void) { atomic_store(&armed, false); }

long core_alloc_fault_count(void) { return atomic_load(&counted); }

bool core_alloc_fault_fired(void) { return atomic_load(&fired); }

/* True when this allocation is the one to fail. */
static bool should_fail(void) {
    if (!atomic_load_explicit(&armed, memory_order_relaxed)) return false;
    long n = atomic_fetch_add(&counted, 1) + 1;
    if (n != atomic_load(&fail_at)) return false;
    atomic_store(&fired, true);
    /* DC_ALLOC_FAULT_TRACE=1: where the failing allocation was made (addr2line reads it) */
    if (getenv("DC_ALLOC_FAULT_TRACE")) {
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), STDERR_FILENO);
    }
    return true;
}

void *core_test_malloc(size_t size) {
    if (should_fail()) return errno = ENOMEM, NULL;
    return malloc(size);
}

void *core_test_calloc(size_t n, size_t size) {
    if (should_fail()) return errno = ENOMEM, NULL;
    return calloc(n, size);
}

void *core_test_realloc(void *p, size_t size) {
    if (should_fail()) return errno = ENOMEM, NULL; /* p stays valid, as with realloc */
    return realloc(p, size);
}

char *core_test_strdup(const char *s) {
    if (should_fail()) return errno = ENOMEM, NULL;
    return strdup(s);
}

char *core_test_strndup(const char *s, size_t n) {
    if (should_fail()) return errno = ENOMEM, NULL;
    return strndup(s, n);
}

int core_test_posix_memalign(void **p, size_t align, size_t size) {
    if (should_fail()) return ENOMEM;
    return posix_memalign(p, align, size);
}

void core_test_free(void *p) { free(p); }
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int core_alloc_fault_unused;
#endif
