/* The service's side of "have we seen this footage before?" (serve_footage.h). The index
 * lives beside the claim store (include/dashclaim/footage_store.h); a worker thread opens its
 * connection the first time a claim needs it and keeps it until the thread ends (a pthread key's
 * destructor closes it), as it keeps its store connection. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/footage_store.h"
#include "serve_footage.h"

typedef struct {
    char url[1024];
    dc_footage_db *db;
} thread_index;

static pthread_key_t index_key;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;
static bool index_key_made;

static void thread_index_free(void *p) {
    thread_index *t = p;
    if (!t) return;
    dc_footage_db_close(t->db);
    free(t);
}

static void make_key(void) {
    index_key_made = pthread_key_create(&index_key, thread_index_free) == 0;
}

/* This thread's connection to the index at url, opened on first use. */
static dc_footage_db *thread_db(const char *url, dc_status *st) {
    pthread_once(&index_once, make_key);
    if (!index_key_made) {
        dc_fail(st, DC_ERR_RESOURCE, "footage index: no thread key");
        return NULL;
    }
    thread_index *t = pthread_getspecific(index_key);
    if (t && strcmp(t->url, url)) { /* another store on this thread: its own connection */
        pthread_setspecific(index_key, NULL);
        thread_index_free(t);
        t = NULL;
    }
    if (!t) {
        if (!(t = calloc(1, sizeof *t))) {
            dc_fail(st, DC_ERR_RESOURCE, "footage index: out of memory");
            return NULL;
        }
        snprintf(t->url, sizeof t->url, "%s", url);
        if (pthread_setspecific(index_key, t) != 0) {
            free(t);
            dc_fail(st, DC_ERR_RESOURCE, "footage index: no thread slot");
            return NULL;
        }
    }
    if (!t->db) t->db = dc_footage_db_open(url, st);
    return t->db;
}

bool serve_footage_lookup(void *ctx, const char *claim_id, const dc_claim_video *videos,
                          const dc_fingerprint *fingerprints, int count, dc_footage_check *check) {
    const char *url = ctx;
    dc_status st = DC_STATUS_OK;
    dc_footage_db *db = url ? thread_db(url, &st) : NULL;
    if (!db) {
        memset(check, 0, sizeof *check);
        snprintf(check->note, sizeof check->note, "the footage index could not be opened: %.150s",
                 st.message);
        return false;
    }
    return dc_footage_db_lookup(db, claim_id, videos, count, fingerprints, count, check, NULL,
                                &st) == DC_OK;
}

bool serve_footage_keep(const char *store_url, const char *claim_id, const dc_claim_result *r,
                        dc_status *st) {
    const dc_assessment *a = &r->assessment;
    int n = r->fingerprint_count < a->video_count ? r->fingerprint_count : a->video_count;
    if (n <= 0 || !r->fingerprints) return true;
    dc_footage_db *db = thread_db(store_url, st);
    if (!db) return false;
    dc_footage_video rows[DC_MAX_CLAIM_VIDEOS];
    int k = 0;
    for (int i = 0; i < n && k < DC_MAX_CLAIM_VIDEOS; i++)
        if (strlen(a->videos[i].sha256) == 64)
            rows[k++] = (dc_footage_video){claim_id, i, a->videos[i].sha256, &r->fingerprints[i]};
    return dc_footage_db_put(db, rows, k, st) == DC_OK;
}
