/* What every connection of this process to one SQLite database shares (store_sqlite_shared.c):
 * a writer lock (threads take turns on a mutex, woken the moment the lock is free, instead of
 * sleeping in SQLite's busy handler) and a group commit (transactions commit with
 * synchronous=NORMAL and a durable one waits until one leader's fsync of the WAL covers it).
 * Why this is as durable as synchronous=FULL, and what a failed fsync means, is in
 * src/store/README.md ("SQLite: writer lock and group commit"). */
#ifndef DASHCLAIM_STORE_SQLITE_SHARED_H
#define DASHCLAIM_STORE_SQLITE_SHARED_H

#include <stdbool.h>
#include <stdint.h>

#include "dashclaim/status.h"

typedef struct sq_shared sq_shared;

/* The shared state of the database file at db_path (opened by the caller, so it exists), made on
 * first use and counted; NULL with *st when out of memory or the file cannot be stat'ed. */
sq_shared *sq_shared_get(const char *db_path, dc_status *st);
/* Drops one reference; safe on NULL. */
void sq_shared_put(sq_shared *g);

/* The writer lock, around every write transaction of this process (BEGIN IMMEDIATE .. COMMIT or
 * ROLLBACK, or one autocommit write). */
void sq_shared_write_lock(sq_shared *g);
void sq_shared_write_unlock(sq_shared *g);

/* After a durable transaction's COMMIT returned: its ticket for sq_shared_sync. */
uint64_t sq_shared_committed(sq_shared *g);
/* Returns once the WAL is fsynced past the commit of ticket (or that fsync failed:
 * DC_ERR_RESOURCE). Call without the writer lock. */
dc_error_class sq_shared_sync(sq_shared *g, uint64_t ticket, dc_status *st);

/* Checkpoints run outside the writer lock (store_sqlite.c turns SQLite's automatic checkpoint,
 * which runs inside a COMMIT and so inside the lock, off): one thread of the process at a time.
 * sq_shared_checkpoint_begin returns false when another is at it (then skip). */
bool sq_shared_checkpoint_begin(sq_shared *g);
void sq_shared_checkpoint_end(sq_shared *g);

/* How many fsyncs sq_shared_sync ran, and for how many commits (for bench/queue). */
void sq_shared_sync_counts(const char *db_path, uint64_t *fsyncs, uint64_t *commits);

#endif
