/* One store connection per HTTP pool thread, opened on first use and closed when the thread
 * ends: handlers never share a connection, and never open one per request. */
#include <pthread.h>

#include "serve_internal.h"

static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

static void close_thread_store(void *p) { dc_store_close(p); }
static void make_store_key(void) { pthread_key_create(&store_key, close_thread_store); }

dc_store *serve_store(dc_server *s, dc_status *st) {
    pthread_once(&store_key_once, make_store_key);
    dc_store *db = pthread_getspecific(store_key);
    if (db) return db;
    db = dc_store_open(s->store_url, &s->o.store, st);
    if (db) pthread_setspecific(store_key, db);
    return db;
}
