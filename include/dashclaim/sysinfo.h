/* Process measurements reported with each claim. */
#ifndef DASHCLAIM_SYSINFO_H
#define DASHCLAIM_SYSINFO_H

#include <stdbool.h>
#include <stdint.h>

/* Resident set size of this process in bytes (from /proc/self/statm); 0 if unknown. */
uint64_t dc_rss_bytes(void);
/* Hands the allocator's free pages back to the system; called after each claim, so that a
 * long-running worker's RSS follows what it uses, not the largest claim it ever ran. */
void dc_release_free_memory(void);
/* File hashing: dashclaim/hash.h. */

#endif
