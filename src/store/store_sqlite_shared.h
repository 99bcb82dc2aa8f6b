/* What every connection of this process to one SQLite database shares (store_sqlite_shared.c):
 * a writer lock and a group commit.
 *
 * Writer lock. SQLite lets one transaction write at a time and makes the others wait in its busy
 * handler, which sleeps 1, 2, 5 ... 100 ms between tries: with 4 threads claiming and completing,
 * a claim waited up to 600 ms while the lock was free most of that time. Threads of one process
 * take turns on a mutex here instead (woken the moment the lock is free); the busy handler is only
 * met across processes.
 *
 * Group commit. A durable transaction (everything behind a 2xx or a reported completion) used to
 * commit with synchronous=FULL: one fsync per transaction, made while holding the write lock, so
 * the disk's fsync rate (about 90 per second here) was the queue's ceiling whatever the number of
 * workers. Now every transaction commits with synchronous=NORMAL (its WAL frames written, the
 * write lock released at once) and a durable one then waits here until the WAL is fsynced past
 * its commit. One thread at a time runs that fsync, for every commit made before it started; the
 * others wait for it (leader and followers, as PostgreSQL's commit flush does). While it runs,
 * other transactions go on writing, and their commits share the next fsync.
 *
 * Why this is as durable as FULL: WAL frames are appended in commit order and recovery keeps the
 * longest valid prefix, so once the WAL is fsynced past a commit, that commit and everything
 * before it survive a power loss. A checkpoint (also NORMAL) fsyncs the WAL before copying it and
 * the database after, so a commit copied out of the WAL before our fsync is durable in the
 * database. A commit becomes visible to readers a few milliseconds before it is durable (as a
 * claim or lease renewal always was); anything durable built on what was read is later in the
 * WAL, so its own fsync makes what it read durable too. A failed fsync fails every commit it
 * covered (DC_ERR_RESOURCE: a 500 instead of a 202, a completion the worker retries and the fence
 * then finds done), although those commits are visible: the store cannot know what reached the
 * disk, and the next fsync that succeeds covers them again. */
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
