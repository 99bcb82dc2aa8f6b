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
/* Lowercase hex SHA-256 of a file into out[65] (OpenSSL EVP); returns 0 on success, -1 on
 * an I/O error or out of memory (out untouched). */
int dc_sha256_file(const char *path, char out[65]);

/* The same on a thread of its own, so the hash overlaps other work on the file (mining):
 * start, do the work, finish. dc_sha256_start returns NULL only when out of memory (then call
 * dc_sha256_file); when no thread can start, dc_sha256_finish hashes in the caller.
 * dc_sha256_finish waits, fills out[65] and returns as dc_sha256_file does; it frees the
 * job, and is safe on NULL (returns -1). */
typedef struct dc_sha256_job dc_sha256_job;
dc_sha256_job *dc_sha256_start(const char *path);
int dc_sha256_finish(dc_sha256_job *job, char out[65]);

#endif
