/* Test-only fault injection of the media module (see media_test_hooks.h): a slow decoder, for
 * the deadline tests of whole claims. Process-wide switches, read on every decoder call. */
#include "media_test_hooks.h"

#ifdef DC_TEST_HOOKS
#include <stdatomic.h>
#include <time.h>

#include "dashclaim/media.h"

static atomic_long decode_delay_ns;

void dc_media_test_slow_decode(double sec_per_packet) {
    atomic_store(&decode_delay_ns, sec_per_packet > 0 ? (long)(sec_per_packet * 1e9) : 0);
}

void media_test_decode_delay(void) {
    long ns = atomic_load_explicit(&decode_delay_ns, memory_order_relaxed);
    if (ns <= 0) return;
    struct timespec ts = {.tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}
#else
typedef int media_test_hooks_unused;
#endif
