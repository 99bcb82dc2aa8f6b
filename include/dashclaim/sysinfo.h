/* Process measurements reported with each claim. */
#ifndef DASHCLAIM_SYSINFO_H
#define DASHCLAIM_SYSINFO_H

#include <stdint.h>

/* Resident set size of this process in bytes (from /proc/self/statm); 0 if unknown. */
uint64_t dc_rss_bytes(void);
/* Lowercase hex SHA-256 of a file into out[65]; returns 0 on success, -1 on I/O error. */
int dc_sha256_file(const char *path, char out[65]);

#endif
