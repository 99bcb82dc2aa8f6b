/* SHA-256 (OpenSSL EVP) and hex: the one implementation the video hash, the store's content
 * addresses and the audit chain share, and file hashing that honours a claim's deadline. */
#ifndef DASHCLAIM_HASH_H
#define DASHCLAIM_HASH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashclaim/deadline.h"

/* Incremental hashing. These return no error, so a step OpenSSL refuses (only out of memory
 * inside it: SHA-256 itself cannot fail) aborts the process rather than hand back a digest of
 * something else; dc_sha256_new is the one place memory is asked for, and says so. */
typedef struct dc_sha256 dc_sha256; /* opaque, incremental */
dc_sha256 *dc_sha256_new(void);     /* NULL when out of memory */
void dc_sha256_update(dc_sha256 *h, const void *data, size_t n);
void dc_sha256_final(dc_sha256 *h, uint8_t digest[32]); /* h may be reused after dc_sha256_reset */
void dc_sha256_reset(dc_sha256 *h);
void dc_sha256_free(dc_sha256 *h);                                     /* safe on NULL */
void dc_sha256_digest(const void *data, size_t n, uint8_t digest[32]); /* one shot */
void dc_sha256_hex(const void *data, size_t n, char out[65]);          /* one shot, lowercase */
void dc_hex_encode(const uint8_t *bytes, size_t n, char *out);         /* out: 2n+1 bytes */

/* How hashing a file ended. Only DC_HASH_DONE writes a hash: a file read in part has no hash,
 * and the bytes read so far are reported apart from it, never as one. */
typedef enum {
    DC_HASH_DONE = 0,  /* out holds the whole file's hash */
    DC_HASH_FAILED,    /* open or read error, or out of memory */
    DC_HASH_TIMED_OUT, /* the deadline passed before the end of the file */
    DC_HASH_STOPPED,   /* the caller asked it to stop */
    DC_HASH_NOT_FILE,  /* not a regular file (a pipe, FIFO or device): not read at all, since
                          its bytes can be read once only, by the decoder */
} dc_hash_end;

/* "done", "failed", "timed out", "stopped", "not a regular file". */
const char *dc_hash_end_name(dc_hash_end e);

/* Lowercase hex SHA-256 of a whole regular file into out[65], no deadline; returns 0 on
 * success, -1 on an I/O error, out of memory or a path that is not a regular file (out
 * untouched). */
int dc_sha256_file(const char *path, char out[65]);

/* The same read in 1-MiB blocks, checking the deadline and *stop (stop may be NULL) between
 * them, so it gives up within one block's read of either. out is written only on DC_HASH_DONE;
 * *hashed_bytes (may be NULL) gets how many bytes were read and hashed before it ended. */
dc_hash_end dc_sha256_file_until(const char *path, dc_deadline deadline, const atomic_bool *stop,
                                 char out[65], uint64_t *hashed_bytes);

/* dc_sha256_file_until on a thread of its own, so the hash overlaps other work on the file
 * (mining): start, do the work, finish. dc_sha256_start returns NULL only when out of memory
 * (then call dc_sha256_file_until); when no thread can start, dc_sha256_finish hashes in the
 * caller, within the same deadline. dc_sha256_stop asks the thread to give up at its next
 * block and returns at once (a claim that failed wants no hash). dc_sha256_finish waits,
 * fills out[65] and *hashed_bytes as dc_sha256_file_until does, frees the job, and is safe on
 * NULL (returns DC_HASH_FAILED). */
typedef struct dc_sha256_job dc_sha256_job;
dc_sha256_job *dc_sha256_start(const char *path, dc_deadline deadline);
void dc_sha256_stop(dc_sha256_job *job);
dc_hash_end dc_sha256_finish(dc_sha256_job *job, char out[65], uint64_t *hashed_bytes);

#endif
