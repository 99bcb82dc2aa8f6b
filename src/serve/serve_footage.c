/* The service's side of "have we seen this footage before?" (serve_footage.h). The index
 * lives beside the claim store (include/dashclaim/footage_store.h); a worker thread opens its
 * connection the first time a claim needs it and keeps it until the thread ends (a pthread key's
 * destructor closes it), as it keeps its store connection. */
#include <jansson.h>
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
                          const dc_fingerprint *fingerprints, int count,
                          const dc_telemetry_summary *incident, dc_footage_check *check) {
    const char *url = ctx;
    dc_status st = DC_STATUS_OK;
    dc_footage_db *db = url ? thread_db(url, &st) : NULL;
    if (!db) {
        memset(check, 0, sizeof *check);
        snprintf(check->note, sizeof check->note, "the footage index could not be opened: %.150s",
                 st.message);
        return false;
    }
    if (dc_footage_db_lookup(db, claim_id, videos, count, fingerprints, count, check, NULL, &st) !=
        DC_OK)
        return false;
    if (!incident || !incident->has_position || incident->utc_ms == DC_NO_UTC) return true;
    dc_footage_place place = {incident->lat, incident->lon, incident->utc_ms};
    dc_footage_near near[DC_MAX_FOOTAGE_NEAR];
    int n = 0;
    if (dc_footage_db_near(db, claim_id, &place, DC_REPEAT_LOCATION_RADIUS_M, near,
                           DC_MAX_FOOTAGE_NEAR, &n, &st) != DC_OK) {
        check->checked = false;
        snprintf(check->note, sizeof check->note, "claims at the same place not looked for: %.150s",
                 st.message);
        return false;
    }
    for (int i = 0; i < n; i++) {
        dc_footage_near_claim *c = &check->near[i];
        snprintf(c->claim_id, sizeof c->claim_id, "%.127s", near[i].claim_id);
        c->distance_m = near[i].distance_m;
        c->hours_apart = near[i].hours_apart;
    }
    check->near_count = n;
    return true;
}

bool serve_footage_keep(const char *store_url, const char *claim_id, const dc_claim_result *r,
                        dc_status *st) {
    const dc_assessment *a = &r->assessment;
    const dc_telemetry_summary *t = &a->telemetry;
    int n = r->fingerprint_count < a->video_count ? r->fingerprint_count : a->video_count;
    bool place = t->has_position && t->utc_ms != DC_NO_UTC;
    if ((n <= 0 || !r->fingerprints) && !place) return true;
    dc_footage_db *db = thread_db(store_url, st);
    if (!db) return false;
    dc_footage_place p = {t->lat, t->lon, t->utc_ms};
    if (place && dc_footage_db_put_place(db, claim_id, &p, st) != DC_OK) return false;
    if (n <= 0 || !r->fingerprints) return true;
    dc_footage_video rows[DC_MAX_CLAIM_VIDEOS];
    int k = 0;
    for (int i = 0; i < n && k < DC_MAX_CLAIM_VIDEOS; i++)
        if (strlen(a->videos[i].sha256) == 64)
            rows[k++] = (dc_footage_video){claim_id, i, a->videos[i].sha256, &r->fingerprints[i]};
    return dc_footage_db_put(db, rows, k, st) == DC_OK;
}

static json_t *matches_json(const dc_footage_check *c) {
    json_t *list = json_array();
    for (int i = 0; list && i < c->match_count; i++) {
        const dc_footage_match *m = &c->matches[i];
        json_array_append_new(
            list, json_pack("{s:s,s:b,s:i,s:f,s:i,s:f,s:f,s:f,s:b}", "claim_id", m->claim_id,
                            "same_file", m->same_file, "video", m->video, "video_sec", m->video_sec,
                            "other_video", m->other_video, "other_sec", m->other_sec, "seconds",
                            m->seconds, "distance", m->distance, "mirrored", m->mirrored));
    }
    return list;
}

enum MHD_Result serve_claim_matches(serve_request *r) {
    dc_status st = DC_STATUS_OK;
    bool found = false;
    dc_store_claim claim;
    dc_store *store = serve_store(r->server, &st);
    if (!store || dc_store_claim_get(store, r->match.claim_id, &claim, &found, &st) != DC_OK)
        return serve_store_error(r, &st);
    if (!found) return serve_error(r, 404, "no claim %s", r->match.claim_id);
    dc_footage_db *db = thread_db(r->server->store_url, &st);
    dc_claim_video *videos = calloc(DC_MAX_CLAIM_VIDEOS, sizeof *videos);
    dc_fingerprint *fps = calloc(DC_MAX_CLAIM_VIDEOS, sizeof *fps);
    int n = 0;
    dc_footage_check check;
    memset(&check, 0, sizeof check);
    dc_error_class rc =
        !db ? st.code
        : !videos || !fps
            ? dc_fail(&st, DC_ERR_RESOURCE, "out of memory")
            : dc_footage_db_claim_videos(db, claim.id, videos, fps, DC_MAX_CLAIM_VIDEOS, &n, &st);
    if (rc == DC_OK && n > 0)
        rc = dc_footage_db_lookup(db, claim.id, videos, n, fps, n, &check, NULL, &st);
    else if (rc == DC_OK)
        snprintf(check.note, sizeof check.note,
                 "the claim's videos are not in the footage index yet (not assessed)");
    for (int i = 0; fps && i < n; i++) dc_fingerprint_free(&fps[i]);
    free(videos);
    free(fps);
    if (rc != DC_OK) return serve_store_error(r, &st);
    json_t *o =
        json_pack("{s:s,s:b,s:s?,s:o}", "claim_id", claim.id, "checked", check.checked, "note",
                  check.note[0] ? check.note : NULL, "matches", matches_json(&check));
    if (!o) return serve_error(r, 503, "out of memory");
    return serve_json(r, 200, o);
}
