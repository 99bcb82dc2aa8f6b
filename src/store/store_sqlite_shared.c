/* The writer lock and group commit shared by this process's connections to one SQLite database
 * (store_sqlite_shared.h says what and why).
 *
 * The registry maps a database file (device and inode, so that two spellings of one path meet)
 * to its sq_shared; it is small (one entry per open database) and searched linearly. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_sqlite_shared.h"

struct sq_shared {
    sq_shared *next;
    dev_t dev;
    ino_t ino;
    int refs; /* guarded by registry_lock */
    pthread_mutex_t writer;
    pthread_mutex_t checkpoint;
    /* group commit, guarded by sync_lock */
    pthread_mutex_t sync_lock;
    pthread_cond_t synced;
    uint64_t committed;   /* tickets handed out (the last durable commit's) */
    uint64_t flushed;     /* every ticket up to this one is durable */
    uint64_t failed_upto; /* the fsync covering tickets up to this one failed */
    int failed_errno;
    bool syncing;    /* a leader is in fsync */
    uint64_t fsyncs; /* statistics */
    int wal_fd;      /* the WAL, opened by the first fsync */
    char wal_path[PATH_MAX + 8];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static sq_shared *registry;

static sq_shared *find_locked(dev_t dev, ino_t ino) {
    for (sq_shared *g = registry; g; g = g->next)
        if (g->dev == dev && g->ino == ino) return g;
    return NULL;
}

sq_shared *sq_shared_get(const char *db_path, dc_status *st) {
    struct stat sb;
    if (stat(db_path, &sb) != 0) {
        dc_fail(st, DC_ERR_RESOURCE, "store: cannot stat %s: %s", db_path, strerror(errno));
        return NULL;
    }
    pthread_mutex_lock(&registry_lock);
    sq_shared *g = find_locked(sb.st_dev, sb.st_ino);
    if (g) {
        g->refs++;
        pthread_mutex_unlock(&registry_lock);
        return g;
    }
    g = calloc(1, sizeof *g);
    if (!g || strlen(db_path) + 5 > sizeof g->wal_path) {
        pthread_mutex_unlock(&registry_lock);
        free(g);
        dc_fail(st, DC_ERR_RESOURCE, "store: out of memory (or path too long) opening %s", db_path);
        return NULL;
    }
    g->dev = sb.st_dev;
    g->ino = sb.st_ino;
    g->refs = 1;
    g->wal_fd = -1;
    snprintf(g->wal_path, sizeof g->wal_path, "%s-wal", db_path);
    pthread_mutex_init(&g->writer, NULL);
    pthread_mutex_init(&g->checkpoint, NULL);
    pthread_mutex_init(&g->sync_lock, NULL);
    pthread_cond_init(&g->synced, NULL);
    g->next = registry;
    registry = g;
    pthread_mutex_unlock(&registry_lock);
    return g;
}

void sq_shared_put(sq_shared *g) {
    if (!g) return;
    pthread_mutex_lock(&registry_lock);
    if (--g->refs > 0) {
        pthread_mutex_unlock(&registry_lock);
        return;
    }
    for (sq_shared **p = &registry; *p; p = &(*p)->next)
        if (*p == g) {
            *p = g->next;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    if (g->wal_fd >= 0) close(g->wal_fd);
    pthread_mutex_destroy(&g->writer);
    pthread_mutex_destroy(&g->checkpoint);
    pthread_mutex_destroy(&g->sync_lock);
    pthread_cond_destroy(&g->synced);
    free(g);
}

void sq_shared_write_lock(sq_shared *g) { pthread_mutex_lock(&g->writer); }
void sq_shared_write_unlock(sq_shared *g) { pthread_mutex_unlock(&g->writer); }

bool sq_shared_checkpoint_begin(sq_shared *g) { return pthread_mutex_trylock(&g->checkpoint) == 0; }
void sq_shared_checkpoint_end(sq_shared *g) { pthread_mutex_unlock(&g->checkpoint); }

uint64_t sq_shared_committed(sq_shared *g) {
    pthread_mutex_lock(&g->sync_lock);
    uint64_t ticket = ++g->committed;
    pthread_mutex_unlock(&g->sync_lock);
    return ticket;
}

/* fdatasync of the WAL (its size too: fdatasync writes the metadata needed to read the data
 * back). Any descriptor of the file will do: fsync flushes the file, not the descriptor. The WAL
 * exists once a transaction committed, and is not removed while a connection (ours) is open. */
static int wal_fsync(sq_shared *g) {
    if (g->wal_fd < 0) g->wal_fd = open(g->wal_path, O_RDONLY | O_CLOEXEC);
    if (g->wal_fd < 0) return errno;
    while (fdatasync(g->wal_fd) != 0)
        if (errno != EINTR) return errno;
    return 0;
}

dc_error_class sq_shared_sync(sq_shared *g, uint64_t ticket, dc_status *st) {
    pthread_mutex_lock(&g->sync_lock);
    while (g->flushed < ticket) {
        if (g->failed_upto >= ticket) {
            int e = g->failed_errno;
            pthread_mutex_unlock(&g->sync_lock);
            return dc_fail(st, DC_ERR_RESOURCE, "store: fsync of %s: %s", g->wal_path, strerror(e));
        }
        if (g->syncing) {
            pthread_cond_wait(&g->synced, &g->sync_lock);
            continue;
        }
        /* Lead: every commit that has its ticket returned from COMMIT before this point, so
         * one fsync from here covers them all. */
        g->syncing = true;
        uint64_t target = g->committed;
        pthread_mutex_unlock(&g->sync_lock);
        int e = wal_fsync(g);
        pthread_mutex_lock(&g->sync_lock);
        g->syncing = false;
        g->fsyncs++;
        if (e == 0) {
            if (target > g->flushed) g->flushed = target;
        } else {
            g->failed_upto = target;
            g->failed_errno = e;
        }
        pthread_cond_broadcast(&g->synced);
    }
    pthread_mutex_unlock(&g->sync_lock);
    return DC_OK;
}

void sq_shared_sync_counts(const char *db_path, uint64_t *fsyncs, uint64_t *commits) {
    *fsyncs = *commits = 0;
    struct stat sb;
    if (stat(db_path, &sb) != 0) return;
    pthread_mutex_lock(&registry_lock);
    sq_shared *g = find_locked(sb.st_dev, sb.st_ino);
    if (g) {
        pthread_mutex_lock(&g->sync_lock);
        *fsyncs = g->fsyncs;
        *commits = g->committed;
        pthread_mutex_unlock(&g->sync_lock);
    }
    pthread_mutex_unlock(&registry_lock);
}
