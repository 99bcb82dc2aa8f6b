/* Browser sessions and discarded videos (include/dashclaim/store.h), on whichever backend the run
 * asks for (store_test_util.h; test_store_sessions_pg runs it on PostgreSQL). What each test
 * would catch:
 *   - create/lookup: a token that does not find its key, or finds it with the wrong role;
 *   - expiry: a session still accepted after its lifetime;
 *   - revoke: logout that leaves the token usable, or that a token with the right public id but
 *     the wrong secret can perform;
 *   - key revocation: a session outliving its key;
 *   - malformed tokens: any token not exactly ours accepted;
 *   - storage: the token (or its secret part) anywhere in the database file / tables, or in an
 *     audit row;
 *   - migration: a store made before sessions existed (schema version 1) not upgraded;
 *   - discard: an unreferenced video kept, a referenced one removed, a claim inserted for
 *     discarded bytes, or a claim left naming a video that is gone (racing threads, and the
 *     order forced by holding the discard's lock by hand). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "dashclaim/store.h"
#include "store/store_test_util.h"

static dc_store *open_store(const char *name, char *url, size_t size) {
    dc_store *s = test_store_open(name, NULL, url, size);
    assert_non_null(s);
    return s;
}

static void add_key(dc_store *s, const char *name, dc_role role, dc_store_key *info) {
    char key[DC_KEY_LEN];
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_key_add(s, name, role, key, info, &st), DC_OK);
}

static void new_session(dc_store *s, const dc_store_key *k, int ttl,
                        char token[DC_SESSION_TOKEN_LEN]) {
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_session_create(s, k, ttl, token, &st), DC_OK);
}

static bool valid(dc_store *s, const char *token, dc_store_key *out) {
    dc_store_key k;
    bool found = true;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_session_lookup(s, token, out ? out : &k, &found, &st), DC_OK);
    return found;
}

/* Audit rows with this action; each checked to name no token. */
static int audit_count(dc_store *s, const char *action, const char *token) {
    enum { MAX = 64 };
    dc_audit_row *rows = calloc(MAX, sizeof *rows);
    assert_non_null(rows);
    int n = 0, hits = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_list(s, NULL, 0, rows, MAX, &n, &st), DC_OK);
    for (int i = 0; i < n; i++) {
        if (!strcmp(rows[i].action, action)) hits++;
        if (token) {
            /* the secret part (after the 16-hex public id) never appears anywhere */
            const char *secret = token + 4 + 16;
            assert_null(strstr(rows[i].after, secret));
            assert_null(strstr(rows[i].before, secret));
            assert_null(strstr(rows[i].reason, secret));
            assert_null(strstr(rows[i].actor, "dcs_"));
        }
    }
    int64_t checked = 0, bad = -1;
    assert_int_equal(dc_store_audit_verify(s, &checked, &bad, &st), DC_OK);
    assert_int_equal(bad, 0);
    free(rows);
    return hits;
}

static void test_create_and_lookup(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("sess_create", url, sizeof url);
    dc_store_key rita, ulla, got;
    add_key(s, "rita", DC_ROLE_REVIEWER, &rita);
    add_key(s, "ulla", DC_ROLE_UPLOADER, &ulla);
    char t1[DC_SESSION_TOKEN_LEN], t2[DC_SESSION_TOKEN_LEN], t3[DC_SESSION_TOKEN_LEN];
    new_session(s, &rita, 3600, t1);
    new_session(s, &rita, 3600, t2);
    new_session(s, &ulla, 3600, t3);
    assert_int_equal(strlen(t1), 68);
    assert_memory_equal(t1, "dcs_", 4);
    for (int i = 4; i < 68; i++) assert_non_null(strchr("0123456789abcdef", t1[i]));
    assert_string_not_equal(t1, t2);
    memset(&got, 0, sizeof got);
    assert_true(valid(s, t1, &got));
    assert_string_equal(got.id, rita.id);
    assert_string_equal(got.name, "rita");
    assert_int_equal(got.role, DC_ROLE_REVIEWER);
    assert_false(got.revoked);
    assert_true(valid(s, t2, &got));
    assert_string_equal(got.name, "rita");
    assert_true(valid(s, t3, &got));
    assert_string_equal(got.name, "ulla");
    assert_int_equal(got.role, DC_ROLE_UPLOADER);
    /* another connection (another thread or process of the service) finds it too */
    dc_status st = DC_STATUS_OK;
    dc_store *s2 = dc_store_open(url, NULL, &st);
    assert_non_null(s2);
    assert_true(valid(s2, t1, NULL));
    dc_store_close(s2);
    /* the audit names the key, never the token */
    assert_int_equal(audit_count(s, "session.created", t1), 3);
    assert_int_equal(audit_count(s, "session.created", t2), 3);
    /* bad arguments */
    char t[DC_SESSION_TOKEN_LEN];
    assert_int_equal(dc_store_session_create(s, &rita, 0, t, &st), DC_ERR_INPUT);
    assert_int_equal(dc_store_session_create(s, &rita, -5, t, &st), DC_ERR_INPUT);
    dc_store_key ghost = rita;
    strcpy(ghost.id, "000000000000");
    assert_int_equal(dc_store_session_create(s, &ghost, 60, t, &st), DC_ERR_INPUT);
    assert_int_equal(t[0], '\0');
    dc_store_close(s);
}

static void test_expiry(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("sess_expiry", url, sizeof url);
    dc_store_key k;
    add_key(s, "rita", DC_ROLE_REVIEWER, &k);
    char short_lived[DC_SESSION_TOKEN_LEN], long_lived[DC_SESSION_TOKEN_LEN];
    new_session(s, &k, 1, short_lived);
    new_session(s, &k, 3600, long_lived);
    assert_true(valid(s, short_lived, NULL));
    usleep(1200 * 1000);
    assert_false(valid(s, short_lived, NULL));
    assert_true(valid(s, long_lived, NULL));
    /* a create prunes the expired row; the expired token stays refused, the other valid */
    char again[DC_SESSION_TOKEN_LEN];
    new_session(s, &k, 3600, again);
    assert_false(valid(s, short_lived, NULL));
    assert_true(valid(s, long_lived, NULL));
    assert_true(valid(s, again, NULL));
    /* logging out of an expired session is fine and records nothing */
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_session_revoke(s, short_lived, &st), DC_OK);
    assert_int_equal(audit_count(s, "session.revoked", NULL), 0);
    dc_store_close(s);
}

static void test_revoke(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("sess_revoke", url, sizeof url);
    dc_store_key k;
    add_key(s, "rita", DC_ROLE_REVIEWER, &k);
    char a[DC_SESSION_TOKEN_LEN], b[DC_SESSION_TOKEN_LEN];
    new_session(s, &k, 3600, a);
    new_session(s, &k, 3600, b);
    dc_status st = DC_STATUS_OK;
    /* the right public id with a wrong secret cannot log anyone out */
    char wrong[DC_SESSION_TOKEN_LEN];
    strcpy(wrong, a);
    wrong[60] = wrong[60] == 'a' ? 'b' : 'a';
    assert_int_equal(dc_store_session_revoke(s, wrong, &st), DC_OK);
    assert_true(valid(s, a, NULL));
    assert_int_equal(audit_count(s, "session.revoked", NULL), 0);
    /* logout ends this session only */
    assert_int_equal(dc_store_session_revoke(s, a, &st), DC_OK);
    assert_false(valid(s, a, NULL));
    assert_true(valid(s, b, NULL));
    assert_int_equal(audit_count(s, "session.revoked", a), 1);
    /* idempotent: again, and for tokens never issued */
    assert_int_equal(dc_store_session_revoke(s, a, &st), DC_OK);
    assert_int_equal(dc_store_session_revoke(s, NULL, &st), DC_OK);
    assert_int_equal(dc_store_session_revoke(s, "nonsense", &st), DC_OK);
    assert_int_equal(
        dc_store_session_revoke(
            s, "dcs_0000000000000000000000000000000000000000000000000000000000000000", &st),
        DC_OK);
    assert_int_equal(audit_count(s, "session.revoked", a), 1);
    /* the audit row's actor is the key's name */
    dc_audit_row rows[16];
    int n = 0;
    assert_int_equal(dc_store_audit_list(s, NULL, 0, rows, 16, &n, &st), DC_OK);
    assert_string_equal(rows[n - 1].action, "session.revoked");
    assert_string_equal(rows[n - 1].actor, "rita");
    assert_non_null(strstr(rows[n - 1].after, k.id));
    dc_store_close(s);
}

static void test_key_revocation_ends_sessions(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("sess_keyrev", url, sizeof url);
    dc_store_key rita, ulla;
    add_key(s, "rita", DC_ROLE_ADMIN, &rita);
    add_key(s, "ulla", DC_ROLE_UPLOADER, &ulla);
    char tr[DC_SESSION_TOKEN_LEN], tu[DC_SESSION_TOKEN_LEN];
    new_session(s, &rita, 3600, tr);
    new_session(s, &ulla, 3600, tu);
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_key_revoke(s, "rita", &st), DC_OK);
    assert_false(valid(s, tr, NULL));
    assert_true(valid(s, tu, NULL));
    /* and no new session for a revoked key, even when the caller still holds its info */
    char t[DC_SESSION_TOKEN_LEN];
    assert_int_equal(dc_store_session_create(s, &rita, 3600, t, &st), DC_ERR_INPUT);
    /* a new key with the same name does not revive the old key's sessions */
    dc_store_key rita2;
    add_key(s, "rita", DC_ROLE_ADMIN, &rita2);
    assert_false(valid(s, tr, NULL));
    dc_store_close(s);
}

static void test_malformed_tokens(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("sess_malformed", url, sizeof url);
    dc_store_key k;
    char api_key[DC_KEY_LEN];
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_key_add(s, "rita", DC_ROLE_REVIEWER, api_key, &k, &st), DC_OK);
    char t[DC_SESSION_TOKEN_LEN];
    new_session(s, &k, 3600, t);
    assert_true(valid(s, t, NULL));
    char upper[DC_SESSION_TOKEN_LEN], longer[DC_SESSION_TOKEN_LEN + 2],
        shorter[DC_SESSION_TOKEN_LEN], prefix[DC_SESSION_TOKEN_LEN], secret[DC_SESSION_TOKEN_LEN],
        with_nul[DC_SESSION_TOKEN_LEN], spaced[DC_SESSION_TOKEN_LEN + 2];
    strcpy(upper, t);
    for (int i = 4; upper[i]; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = (char)(upper[i] - 'a' + 'A');
    snprintf(longer, sizeof longer, "%s0", t);
    strcpy(shorter, t);
    shorter[67] = '\0';
    strcpy(prefix, t);
    memcpy(prefix, "dck_", 4);
    strcpy(secret, t);
    secret[67] = secret[67] == '0' ? '1' : '0'; /* right public id, wrong secret */
    strcpy(with_nul, t);
    with_nul[40] = '\0';
    snprintf(spaced, sizeof spaced, " %s", t);
    const char *bad[] = {NULL,   "",     "dcs_",   "dcs_zz", upper,   longer, shorter,
                         prefix, secret, with_nul, spaced,   api_key, t + 4};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dc_store_key out;
        memset(&out, 0x5a, sizeof out);
        bool found = true;
        assert_int_equal(dc_store_session_lookup(s, bad[i], &out, &found, &st), DC_OK);
        assert_false(found);
        assert_int_equal((unsigned char)out.name[0], 0x5a); /* nothing handed out */
    }
    /* none of them revokes the real one */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dc_store_session_revoke(s, bad[i], &st), DC_OK);
    assert_true(valid(s, t, NULL));
    /* an API key is not a session, and a session token is not an API key */
    bool found = true;
    dc_store_key out;
    assert_int_equal(dc_store_key_lookup(s, t, &out, &found, &st), DC_OK);
    assert_false(found);
    dc_store_close(s);
}

/* ---- what is stored ----------------------------------------------------------------------- */

static bool file_has(const char *path, const char *needle) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t cap = 1 << 20, len = 0, n;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    bool has = memmem(buf, len, needle, strlen(needle)) != NULL;
    free(buf);
    return has;
}

/* Every row of every table of the PostgreSQL store as text (psql), into a file. */
static void pg_dump_rows(const char *url, const char *out) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "psql -qAt '%s' -c \"SELECT t::text FROM sessions t\" "
             "-c \"SELECT t::text FROM audit t\" -c \"SELECT t::text FROM keys t\" > '%s'",
             url, out);
    assert_int_equal(system(cmd), 0);
}

static void test_token_not_stored(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("sess_stored", url, sizeof url);
    dc_store_key k;
    add_key(s, "rita", DC_ROLE_REVIEWER, &k);
    char t[DC_SESSION_TOKEN_LEN];
    new_session(s, &k, 3600, t);
    const char *secret = t + 4 + 16;
    char id[17];
    memcpy(id, t + 4, 16);
    id[16] = '\0';
    char files[2][600];
    int nfiles = 0;
    if (test_store_is_pg()) {
        snprintf(files[0], sizeof files[0], "%s/pg-rows-%d.txt",
                 getenv("DC_TEST_TMP") ? getenv("DC_TEST_TMP") : "/tmp", (int)getpid());
        pg_dump_rows(url, files[0]);
        nfiles = 1;
    } else {
        /* the database and its write-ahead log, as they are on disk */
        snprintf(files[0], sizeof files[0], "%s/dashclaim.db", url);
        snprintf(files[1], sizeof files[1], "%s/dashclaim.db-wal", url);
        nfiles = 2;
    }
    bool saw_id = false;
    for (int i = 0; i < nfiles; i++) {
        assert_false(file_has(files[i], t));
        assert_false(file_has(files[i], secret));
        saw_id = saw_id || file_has(files[i], id);
    }
    /* the look found the row: its public id is there (else the search proves nothing) */
    assert_true(saw_id);
    if (test_store_is_pg()) unlink(files[0]);
    dc_store_close(s);
}

/* A store made before sessions existed (schema version 1) is brought up to date at open. */
static void test_migration_from_v1(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("sess_migrate", url, sizeof url);
    dc_store_key k;
    add_key(s, "rita", DC_ROLE_REVIEWER, &k);
    dc_store_close(s);
    if (test_store_is_pg()) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "psql -qAt '%s' -c 'DROP TABLE sessions' -c 'DROP INDEX claims_by_video'"
                 " -c 'DROP INDEX reviews_by_claim' -c 'DROP TABLE claim_videos'"
                 " -c 'ALTER TABLE claims DROP COLUMN incident_time, DROP COLUMN incident_place,"
                 " ALTER COLUMN video_sha256 SET NOT NULL'"
                 " -c 'DELETE FROM schema_migrations WHERE version >= 2' >/dev/null",
                 url);
        assert_int_equal(system(cmd), 0);
    } else {
        char path[600];
        snprintf(path, sizeof path, "%s/dashclaim.db", url);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                                      "DROP TABLE sessions; DROP INDEX claims_by_video;"
                                      "DROP INDEX reviews_by_claim; DROP TABLE claim_videos;"
                                      "ALTER TABLE claims DROP COLUMN incident_time;"
                                      "ALTER TABLE claims DROP COLUMN incident_place;"
                                      "PRAGMA user_version = 1;",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
    }
    dc_status st = DC_STATUS_OK;
    s = dc_store_open(url, NULL, &st);
    assert_non_null(s);
    char t[DC_SESSION_TOKEN_LEN];
    new_session(s, &k, 3600, t);
    assert_true(valid(s, t, NULL));
    dc_store_close(s);
}

/* ---- discarding a video ------------------------------------------------------------------- */

static void put_video(dc_store *s, const char *text, dc_store_video *v) {
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    assert_non_null(w);
    assert_int_equal(dc_store_video_write(w, text, strlen(text), &st), DC_OK);
    assert_int_equal(dc_store_video_commit(w, v, &st), DC_OK);
}

static bool video_there(dc_store *s, const char *sha) {
    dc_store_video_reader *r = NULL;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_video_open(s, sha, &r, &st), DC_OK);
    bool there = r != NULL;
    dc_store_video_close(r);
    return there;
}

static dc_error_class insert_claim(dc_store *s, const dc_store_video *v, const char *idem,
                                   dc_store_claim *c, dc_status *st) {
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    nc.video = *v;
    strcpy(nc.content_type, "video/mp4");
    strcpy(nc.uploader, "ulla");
    if (idem) strcpy(nc.idempotency_key, idem);
    bool existed = false;
    return dc_store_claim_insert(s, &nc, c, &existed, st);
}

static void test_video_discard(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("discard", url, sizeof url);
    dc_status st = DC_STATUS_OK;
    dc_store_video used, unused;
    put_video(s, "the first body", &used);
    dc_store_claim c;
    assert_int_equal(insert_claim(s, &used, "K1", &c, &st), DC_OK);
    /* the same Idempotency-Key with another body: the handler sees the first claim's video,
     * answers 409 and discards the new bytes */
    put_video(s, "another body", &unused);
    dc_store_claim first;
    bool existed = false;
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    nc.video = unused;
    strcpy(nc.content_type, "video/mp4");
    strcpy(nc.uploader, "ulla");
    strcpy(nc.idempotency_key, "K1");
    assert_int_equal(dc_store_claim_insert(s, &nc, &first, &existed, &st), DC_OK);
    assert_true(existed);
    assert_string_equal(first.video_sha256, used.sha256);
    assert_true(video_there(s, unused.sha256));
    assert_int_equal(dc_store_video_discard(s, unused.sha256, &st), DC_OK);
    assert_false(video_there(s, unused.sha256));
    /* a video a claim names stays, readable */
    assert_int_equal(dc_store_video_discard(s, used.sha256, &st), DC_OK);
    assert_true(video_there(s, used.sha256));
    char path[1024];
    bool temporary = false;
    assert_int_equal(dc_store_video_fetch(s, used.sha256, getenv("DC_TEST_TMP"), path, sizeof path,
                                          &temporary, &st),
                     DC_OK);
    if (temporary) unlink(path);
    /* absent: nothing to do; malformed: the caller's mistake */
    assert_int_equal(dc_store_video_discard(s, unused.sha256, &st), DC_OK);
    assert_int_equal(dc_store_video_discard(s, "not-a-hash", &st), DC_ERR_INPUT);
    assert_int_equal(dc_store_video_discard(s, NULL, &st), DC_ERR_INPUT);
    /* no claim can be made for discarded bytes */
    assert_int_equal(insert_claim(s, &unused, NULL, &c, &st), DC_ERR_INPUT);
    /* uploaded again, the same bytes are stored afresh and usable */
    dc_store_video again;
    put_video(s, "another body", &again);
    assert_string_equal(again.sha256, unused.sha256);
    assert_int_equal(insert_claim(s, &again, NULL, &c, &st), DC_OK);
    assert_true(video_there(s, again.sha256));
    dc_store_close(s);
}

/* A discard and a claim insert of the same bytes, on two connections at once, many times: in the
 * end either the claim exists and its video is there, or the insert was refused and the video is
 * gone. Never a claim naming missing bytes. (A race: without the serialisation it fails only
 * when the two interleave badly, which these rounds make likely but not certain.) */
typedef struct {
    dc_store *s; /* the inserter's own connection, opened before the race */
    const dc_store_video *v;
    pthread_barrier_t *go;
    dc_error_class rc;
    dc_status st;
    dc_store_claim c;
} inserter;

static void *insert_thread(void *arg) {
    inserter *in = arg;
    pthread_barrier_wait(in->go);
    in->rc = insert_claim(in->s, in->v, NULL, &in->c, &in->st);
    return NULL;
}

static dc_store *another_connection(const char *url) {
    dc_status st = DC_STATUS_OK;
    dc_store *s = dc_store_open(url, NULL, &st);
    assert_non_null(s);
    return s;
}

static void test_video_discard_race(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("discard_race", url, sizeof url);
    dc_store *s2 = another_connection(url);
    int kept = 0, refused = 0;
    for (int round = 0; round < 30; round++) {
        char text[64];
        snprintf(text, sizeof text, "race body %d", round);
        dc_store_video v;
        put_video(s, text, &v);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        inserter in = {.s = s2, .v = &v, .go = &go};
        pthread_t t;
        pthread_create(&t, NULL, insert_thread, &in);
        pthread_barrier_wait(&go);
        dc_status st = DC_STATUS_OK;
        assert_int_equal(dc_store_video_discard(s, v.sha256, &st), DC_OK);
        pthread_join(t, NULL);
        pthread_barrier_destroy(&go);
        if (in.rc == DC_OK) {
            assert_true(video_there(s, v.sha256));
            kept++;
        } else {
            assert_int_equal(in.rc, DC_ERR_INPUT);
            assert_false(video_there(s, v.sha256));
            refused++;
        }
    }
    print_message("discard race: %d claims kept their video, %d inserts refused\n", kept, refused);
    dc_store_close(s2);
    dc_store_close(s);
}

/* The order forced by hand: the lock a discard takes is held here while a claim insert of the
 * same bytes waits for it, and the bytes are removed as a discard removes them; when the lock is
 * released the insert must be refused, not make a claim that names missing bytes. (An insert that
 * looked for the video before taking the lock, as it once did on SQLite, makes that claim.) */
static void test_insert_waits_for_discard(void **state) {
    (void)state;
    char url[512];
    dc_store *s = open_store("discard_order", url, sizeof url);
    dc_store_video v;
    put_video(s, "bytes about to be discarded", &v);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    inserter in = {.s = another_connection(url), .v = &v, .go = &go};
    pthread_t t;
    if (test_store_is_pg()) {
        PGconn *c = PQconnectdb(url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        const char *p[] = {v.sha256};
        PQclear(PQexec(c, "BEGIN"));
        PGresult *r = PQexecParams(c, "SELECT oid FROM videos WHERE sha256 = $1 FOR UPDATE", 1,
                                   NULL, p, NULL, NULL, 0);
        assert_int_equal(PQntuples(r), 1);
        PQclear(r);
        pthread_create(&t, NULL, insert_thread, &in);
        pthread_barrier_wait(&go);
        usleep(300 * 1000);
        r = PQexecParams(c,
                         "WITH d AS (DELETE FROM videos WHERE sha256 = $1 RETURNING oid)"
                         " SELECT lo_unlink(oid) FROM d",
                         1, NULL, p, NULL, NULL, 0);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        PQclear(r);
        PQclear(PQexec(c, "COMMIT"));
        PQfinish(c);
    } else {
        char path[700];
        snprintf(path, sizeof path, "%s/dashclaim.db", url);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        pthread_create(&t, NULL, insert_thread, &in);
        pthread_barrier_wait(&go);
        usleep(300 * 1000);
        snprintf(path, sizeof path, "%s/videos/%.2s/%s", url, v.sha256, v.sha256);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    pthread_join(t, NULL);
    pthread_barrier_destroy(&go);
    dc_store_close(in.s);
    if (in.rc != DC_ERR_INPUT) print_error("insert: %s\n", in.st.message);
    assert_int_equal(in.rc, DC_ERR_INPUT);
    int64_t counts[DC_STATE_COUNT];
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_counts(s, counts, &st), DC_OK);
    for (int i = 0; i < DC_STATE_COUNT; i++) assert_int_equal(counts[i], 0);
    dc_store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_lookup),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_key_revocation_ends_sessions),
        cmocka_unit_test(test_malformed_tokens),
        cmocka_unit_test(test_token_not_stored),
        cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_video_discard),
        cmocka_unit_test(test_video_discard_race),
        cmocka_unit_test(test_insert_waits_for_discard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
