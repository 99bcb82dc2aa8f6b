/* Browser sessions (include/dashclaim/store.h): the token is made, parsed and hashed here, once
 * for both backends, which only keep rows (id, SHA-256 of the token, key, times).
 *
 * Why a public id inside the token: a lookup by id, then a comparison of the stored hash in
 * constant time, is the keys' scheme (store.c); finding the row by the hash itself would put the
 * comparison inside the database's index walk. The id (64 of the 256 random bits) is what the
 * audit rows name, so "session.created" and "session.revoked" can be matched without the
 * remaining 192 bits, which exist only in the browser's cookie. */
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashclaim/hash.h"
#include "store_internal.h"

#define PREFIX "dcs_"
#define PREFIX_LEN 4
#define HEX_LEN 64

static bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* dcs_ + exactly 64 lowercase hex: anything else is not ours and never reaches SQL. */
static bool parse_token(const char *token, char id[STORE_SESSION_ID_LEN]) {
    if (!token || strncmp(token, PREFIX, PREFIX_LEN) != 0) return false;
    size_t n = strnlen(token, PREFIX_LEN + HEX_LEN + 1);
    if (n != PREFIX_LEN + HEX_LEN) return false;
    for (size_t i = PREFIX_LEN; i < n; i++)
        if (!is_lower_hex(token[i])) return false;
    memcpy(id, token + PREFIX_LEN, STORE_SESSION_ID_LEN - 1);
    id[STORE_SESSION_ID_LEN - 1] = '\0';
    return true;
}

void store_audit_session(dc_audit_row *row, const char *action, const dc_store_key *k,
                         const char *session_id) {
    memset(row, 0, sizeof *row);
    store_copy(row->actor, sizeof row->actor, k->name);
    store_copy(row->action, sizeof row->action, action);
    json_t *o = json_object();
    json_object_set_new(o, "key_id", json_string(k->id));
    json_object_set_new(o, "session", json_string(session_id));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (text) store_copy(row->after, sizeof row->after, text);
    free(text);
    json_decref(o);
}

dc_error_class dc_store_session_create(dc_store *s, const dc_store_key *key, int ttl_sec,
                                       char token_out[DC_SESSION_TOKEN_LEN], dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    token_out[0] = '\0';
    if (!key || !key->id[0] || strnlen(key->id, sizeof key->id) >= sizeof key->id)
        return dc_fail(st, DC_ERR_INPUT, "sessions: which key?");
    if (ttl_sec <= 0) return dc_fail(st, DC_ERR_INPUT, "sessions: the lifetime must be > 0 s");
    /* The key as stored, not as the caller remembers it: its name is the audit row's actor, and
     * a key revoked meanwhile gets no session. */
    dc_store_key k;
    char ignored[65];
    bool found = false;
    dc_error_class rc = s->ops->key_get(s->self, key->id, &k, ignored, &found, st);
    if (rc != DC_OK) return rc;
    if (!found || k.revoked)
        return dc_fail(st, DC_ERR_INPUT, "sessions: no active key with id '%s'", key->id);
    uint8_t r[HEX_LEN / 2];
    if (RAND_bytes(r, sizeof r) != 1)
        return dc_fail(st, DC_ERR_RESOURCE, "sessions: no random bytes");
    char token[DC_SESSION_TOKEN_LEN];
    memcpy(token, PREFIX, PREFIX_LEN);
    dc_hex_encode(r, sizeof r, token + PREFIX_LEN);
    char id[STORE_SESSION_ID_LEN], hash[65];
    parse_token(token, id);
    store_secret_hash(token, hash);
    dc_audit_row audit;
    store_audit_session(&audit, "session.created", &k, id);
    int64_t expires = store_now_ms() + (int64_t)ttl_sec * 1000;
    rc = s->ops->session_insert(s->self, id, hash, k.id, expires, &audit, st);
    if (rc == DC_OK) memcpy(token_out, token, sizeof token);
    memset(token, 0, sizeof token);
    memset(r, 0, sizeof r);
    return rc;
}

dc_error_class dc_store_session_lookup(dc_store *s, const char *token, dc_store_key *out,
                                       bool *found, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    *found = false;
    char id[STORE_SESSION_ID_LEN];
    if (!parse_token(token, id)) return DC_OK;
    dc_store_key k;
    char stored[65] = "", presented[65];
    int64_t expires = 0;
    bool f = false;
    dc_error_class rc = s->ops->session_get(s->self, id, &k, stored, &expires, &f, st);
    if (rc != DC_OK || !f) return rc;
    store_secret_hash(token, presented);
    if (strlen(stored) == 64 && store_same_hash(presented, stored) && expires > store_now_ms() &&
        !k.revoked) {
        *out = k;
        *found = true;
    }
    return DC_OK;
}

dc_error_class dc_store_session_revoke(dc_store *s, const char *token, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    char id[STORE_SESSION_ID_LEN];
    if (!parse_token(token, id)) return DC_OK;
    char hash[65];
    store_secret_hash(token, hash);
    bool revoked = false;
    return s->ops->session_revoke(s->self, id, hash, &revoked, st);
}
