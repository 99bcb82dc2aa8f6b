/* Helpers both backends share: the clock, ids, the list cursor, the final assessment of a claim
 * that ran out of attempts, and review checks. Built once here so that the SQLite and
 * PostgreSQL backends write the same values. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dashclaim/hash.h"
#include "store_internal.h"

int64_t store_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_iso_ms(int64_t ms, char out[32]) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", day, (int)(ms % 1000));
}

bool store_copy(char *dst, size_t size, const char *src) {
    if (!src) src = "";
    size_t n = strlen(src);
    if (n >= size) {
        memcpy(dst, src, size - 1);
        dst[size - 1] = '\0';
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

dc_error_class store_new_claim_id(char out[DC_STORE_ID_LEN], dc_status *st) {
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0) return dc_fail(st, DC_ERR_RESOURCE, "store: no random bytes for a claim id");
        got += (size_t)n;
    }
    memcpy(out, "clm_", 4);
    dc_hex_encode(r, 16, out + 4);
    return DC_OK;
}

/* The cursor is the sort key of the last row shown: "priority.created_ms.id". It is opaque to
 * clients but plain text, so a bad one is refused with a clear message instead of a crash. */
void store_cursor_encode(int priority, int64_t created_ms, const char *id,
                         char out[DC_STORE_CURSOR_LEN]) {
    snprintf(out, DC_STORE_CURSOR_LEN, "%d.%" PRId64 ".%s", priority, created_ms, id);
}

bool store_cursor_decode(const char *cursor, int *priority, int64_t *created_ms,
                         char id[DC_STORE_ID_LEN]) {
    if (!cursor) return false;
    char *end;
    long p = strtol(cursor, &end, 10);
    if (end == cursor || *end != '.' || p < -1 || p > 2) return false;
    const char *c = end + 1;
    long long t = strtoll(c, &end, 10);
    if (end == c || *end != '.' || t < 0) return false;
    const char *rest = end + 1;
    size_t n = strlen(rest);
    if (n != 36 || strncmp(rest, "clm_", 4) != 0) return false;
    for (size_t i = 4; i < n; i++)
        if (!((rest[i] >= '0' && rest[i] <= '9') || (rest[i] >= 'a' && rest[i] <= 'f')))
            return false;
    *priority = (int)p;
    *created_ms = t;
    memcpy(id, rest, n + 1);
    return true;
}

char *store_failed_assessment_json(const char *claim_id, const char *video_sha256,
                                   dc_error_class cls, const char *message) {
    dc_assessment *a = malloc(sizeof *a);
    if (!a) return NULL;
    dc_assessment_init(a);
    store_copy(a->claim_id, sizeof a->claim_id, claim_id);
    store_copy(a->video.sha256, sizeof a->video.sha256, video_sha256);
    dc_status st = {.code = cls == DC_OK ? DC_ERR_INTERNAL : cls};
    store_copy(st.message, sizeof st.message, message);
    dc_assessment_fail(a, &st);
    dc_claim_decide(a, NULL, NULL);
    char *json = dc_assessment_to_json(a, 0);
    free(a);
    return json;
}

int store_failed_priority(void) {
    static _Thread_local int cached = -2;
    if (cached == -2) {
        dc_assessment *a = malloc(sizeof *a);
        if (!a) return DC_PRIORITY_STANDARD;
        dc_assessment_init(a);
        dc_status st = {.code = DC_ERR_INTERNAL};
        dc_assessment_fail(a, &st);
        dc_claim_decide(a, NULL, NULL);
        cached = (int)a->review_priority;
        free(a);
    }
    return cached;
}

dc_error_class store_review_check(const dc_store_review *r, dc_status *st) {
    if (!dc_review_decision_name(r->decision))
        return dc_fail(st, DC_ERR_INPUT,
                       "review: decision must be APPROVE, REJECT or "
                       "REQUEST_MORE_INFO");
    if (r->has_severity && (r->severity < DC_SEVERITY_NONE || r->severity > DC_SEVERITY_HIGH))
        return dc_fail(st, DC_ERR_INPUT,
                       "review: severity override must be NONE, LOW, MEDIUM "
                       "or HIGH");
    if (r->has_fault_ratio && (r->fault_ratio < 0 || r->fault_ratio > 100))
        return dc_fail(st, DC_ERR_INPUT, "review: fault_ratio override must be 0..100, not %d",
                       r->fault_ratio);
    if (memchr(r->reasoning, '\0', sizeof r->reasoning) == NULL)
        return dc_fail(st, DC_ERR_INPUT, "review: reasoning is not terminated");
    return DC_OK;
}

/* ---- names ---------------------------------------------------------------------------------- */

static const char *const state_names[DC_STATE_COUNT] = {"queued", "running", "done", "failed",
                                                        "open"};

const char *dc_claim_state_name(dc_claim_state s) {
    return (int)s >= 0 && (int)s < DC_STATE_COUNT ? state_names[s] : NULL;
}

int dc_claim_state_from_name(const char *name) {
    for (int i = 0; name && i < DC_STATE_COUNT; i++)
        if (!strcmp(name, state_names[i])) return i;
    return -1;
}

static const char *const decision_names[] = {"APPROVE", "REJECT", "REQUEST_MORE_INFO"};

const char *dc_review_decision_name(dc_review_decision d) {
    return (int)d >= 0 && (int)d < 3 ? decision_names[d] : NULL;
}

int dc_review_decision_from_name(const char *name) {
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, decision_names[i])) return i;
    return -1;
}

static const char *const role_names[] = {"uploader", "reviewer", "admin"};

const char *dc_role_name(dc_role r) { return (int)r >= 0 && (int)r < 3 ? role_names[r] : NULL; }

int dc_role_from_name(const char *name) {
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, role_names[i])) return i;
    return -1;
}
