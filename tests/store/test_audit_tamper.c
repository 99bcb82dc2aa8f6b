/* The tamper table of `dashclaim audit verify`, on whichever backend the run asks for
 * (store_test_util.h; tests/store/with-pg for PostgreSQL). Each test builds the same small store
 * through the store's API (three claims: two assessed and reviewed, one queued; a key), signs a
 * checkpoint with `dashclaim audit checkpoint`, tampers with the database directly as someone
 * with write access would (dropping the append-only triggers where the audit table is touched),
 * then runs `dashclaim audit verify` and expects exit 4 (CLI_EXIT_TAMPERED) naming what is wrong.
 * Every tamper here passed the verify that came before checkpoints and table checks (it exited
 * 0, or had no such option). Also: a key file that others may read is refused, a tampered store
 * is not signed, the JSON writer and the tables' columns follow the one field list. */
#include <errno.h>
#include <libpq-fe.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "dashclaim/store.h"
#include "store/store_test_util.h"
#include "audit_internal.h" /* audit_batch */
#include "store_internal.h" /* store_audit_seal: a tamperer re-hashes with the published format */

#define EXIT_TAMPERED 4
#define EXIT_USAGE 2

typedef struct {
    char url[512];
    char dir[512]; /* a private folder for the key and the checkpoint file */
    char key[600];
    char checkpoints[600];
    char claim[3][DC_STORE_ID_LEN];
    int64_t rows; /* audit rows after setup */
    dc_store *s;
} fixture;

/* ---- SQL as a tamperer runs it ------------------------------------------------------------ */

typedef struct {
    char cells[64][128];
    int n;
} result;

static int collect(void *arg, int ncol, char **val, char **name) {
    (void)name;
    result *r = arg;
    for (int i = 0; i < ncol && r->n < 64; i++)
        snprintf(r->cells[r->n++], 128, "%s", val[i] ? val[i] : "");
    return 0;
}

/* Runs sql on the store's database; the result's cells (row by row) into *out when not NULL. */
static void sql(const fixture *f, result *out, const char *fmt, ...) {
    char text[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    result ignored;
    if (!out) out = &ignored;
    memset(out, 0, sizeof *out);
    if (test_store_is_pg()) {
        PGconn *c = PQconnectdb(f->url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, text);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", text, PQerrorMessage(c));
        for (int i = 0; i < PQntuples(r); i++)
            for (int j = 0; j < PQnfields(r) && out->n < 64; j++)
                snprintf(out->cells[out->n++], 128, "%s", PQgetvalue(r, i, j));
        PQclear(r);
        PQfinish(c);
        return;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/dashclaim.db", f->url);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    char *err = NULL;
    if (sqlite3_exec(db, text, collect, out, &err) != SQLITE_OK) fail_msg("%s: %s", text, err);
    sqlite3_close(db);
}

static void drop_triggers(const fixture *f) {
    if (test_store_is_pg())
        sql(f, NULL,
            "DROP TRIGGER audit_no_update ON audit; DROP TRIGGER audit_no_truncate ON audit");
    else sql(f, NULL, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete");
}

/* 'text' with quotes doubled, into out. */
static const char *quoted(const char *text, char *out, size_t size) {
    size_t n = 0;
    out[n++] = '\'';
    for (const char *p = text; *p && n + 3 < size; p++) {
        if (*p == '\'') out[n++] = '\'';
        out[n++] = *p;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return out;
}

static int read_rows(fixture *f, dc_audit_row *rows, int max) {
    int n = 0;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_list(f->s, NULL, 0, rows, max, &n, &st), DC_OK);
    return n;
}

/* Writes rows[from..n) back with their seq, texts and hashes as they now are (after a re-seal). */
static void write_rows(fixture *f, const dc_audit_row *rows, int from, int n,
                       const int64_t *old_seq) {
    for (int i = from; i < n; i++) {
        char reason[4200], after[2100];
        sql(f, NULL,
            "UPDATE audit SET seq = %lld, reason = %s, after = %s, prev_hash = '%s', hash = '%s' "
            "WHERE seq = %lld",
            (long long)rows[i].seq, quoted(rows[i].reason, reason, sizeof reason),
            quoted(rows[i].after, after, sizeof after), rows[i].prev_hash, rows[i].hash,
            (long long)old_seq[i]);
    }
}

/* Re-seals rows[from..n) one after the other, as the store would have: a chain that verifies
 * on its own. */
static void reseal(dc_audit_row *rows, int from, int n) {
    for (int i = from; i < n; i++)
        store_audit_seal(&rows[i], i ? rows[i - 1].seq : 0, i ? rows[i - 1].hash : "");
}

/* ---- the store under test ------------------------------------------------------------------ */

static void put_video(dc_store *s, const char *text, dc_store_video *v) {
    dc_status st = DC_STATUS_OK;
    dc_store_video_writer *w = dc_store_video_begin(s, &st);
    assert_non_null(w);
    assert_int_equal(dc_store_video_write(w, text, strlen(text), &st), DC_OK);
    assert_int_equal(dc_store_video_commit(w, v, &st), DC_OK);
}

static void new_claim(dc_store *s, const char *video, char *id) {
    dc_store_new_claim nc;
    memset(&nc, 0, sizeof nc);
    put_video(s, video, &nc.video);
    strcpy(nc.content_type, "video/mp4");
    strcpy(nc.uploader, "uploader-1");
    strcpy(nc.fields.policy_id, "POL-'7");
    dc_store_claim c;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_claim_insert(s, &nc, &c, NULL, &st), DC_OK);
    strcpy(id, c.id);
    /* the queue takes claims by their creation millisecond, then by their random ids: claims
     * made a few milliseconds apart are taken in the order made, so assess_next assesses the
     * first claims and the reviews below find them done (made within one millisecond, the
     * third claim was sometimes taken first and a review of the first refused) */
    usleep(3000);
}

static void assess_next(dc_store *s, dc_severity sev) {
    dc_store_job job;
    bool got = false, accepted = false;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_job_claim(s, "w1", &job, &got, &st), DC_OK);
    assert_true(got);
    dc_assessment *a = calloc(1, sizeof *a);
    dc_assessment_init(a);
    snprintf(a->claim_id, sizeof a->claim_id, "%s", job.claim_id);
    snprintf(a->video.sha256, sizeof a->video.sha256, "%s", job.video_sha256);
    snprintf(a->engine.name, sizeof a->engine.name, "signals");
    a->severity = sev;
    dc_claim_decide(a, NULL, NULL);
    char *json = dc_assessment_to_json(a, 0);
    dc_store_result r = {.assessment = a, .assessment_json = json};
    assert_int_equal(dc_store_job_complete(s, &job, &r, &accepted, &st), DC_OK);
    assert_true(accepted);
    free(json);
    free(a);
}

static void review(dc_store *s, const char *id, dc_review_decision d, bool override) {
    dc_store_review r;
    memset(&r, 0, sizeof r);
    r.decision = d;
    if (override) {
        r.has_fault_ratio = true;
        r.fault_ratio = 0;
    }
    snprintf(r.reasoning, sizeof r.reasoning, "seen the video; it's clear");
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_review_add(s, id, &r, "reviewer-1", &st), DC_OK);
}

/* Runs `dashclaim audit ARGS` on the fixture's store; its output into out, the exit code back. */
static int cli(const fixture *f, char *out, size_t size, const char *fmt, ...) {
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    const char *bin = getenv("DC_BIN");
    snprintf(cmd, sizeof cmd, "'%s/dashclaim' audit %s %s '%s' 2>&1", bin ? bin : "bin", args,
             test_store_is_pg() ? "--db" : "--data", f->url);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    print_message("$ %s\n%s", cmd, out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int verify(const fixture *f, char *out, size_t size) {
    return cli(f, out, size, "verify --checkpoints '%s' --key '%s'", f->checkpoints, f->key);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->s = test_store_open("audit_tamper", NULL, f->url, sizeof f->url);
    assert_non_null(f->s);
    const char *tmp = getenv("DC_TEST_TMP");
    snprintf(f->dir, sizeof f->dir, "%s/audit-tamper-%d-XXXXXX", tmp ? tmp : "/tmp", (int)getpid());
    mkdir(tmp ? tmp : "/tmp", 0755);
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->key, sizeof f->key, "%s/keys/audit.pem", f->dir);
    snprintf(f->checkpoints, sizeof f->checkpoints, "%s/checkpoints.txt", f->dir);

    new_claim(f->s, "video one", f->claim[0]);
    new_claim(f->s, "video two", f->claim[1]);
    new_claim(f->s, "video three", f->claim[2]);
    assess_next(f->s, DC_SEVERITY_HIGH);
    assess_next(f->s, DC_SEVERITY_LOW);
    review(f->s, f->claim[0], DC_DECISION_REJECT, true);
    review(f->s, f->claim[1], DC_DECISION_REQUEST_MORE_INFO, false);
    review(f->s, f->claim[1], DC_DECISION_APPROVE, false);
    char key[DC_KEY_LEN];
    dc_store_key info;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_key_add(f->s, "admin-1", DC_ROLE_ADMIN, key, &info, &st), DC_OK);
    dc_audit_row rows[32];
    f->rows = read_rows(f, rows, 32);
    assert_true(f->rows >= 10);

    char out[8192];
    assert_int_equal(
        cli(f, out, sizeof out, "checkpoint --key '%s' --out '%s'", f->key, f->checkpoints), 0);
    struct stat sb;
    assert_int_equal(stat(f->key, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* made on first use, owner only */
    assert_int_equal(verify(f, out, sizeof out), 0);
    assert_non_null(strstr(out, "audit chain intact"));
    assert_non_null(strstr(out, "1 checkpoints match; 3 claims agree"));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    dc_store_close(f->s);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

static void expect(const fixture *f, const char *finding, const char *detail) {
    char out[8192];
    assert_int_equal(verify(f, out, sizeof out), EXIT_TAMPERED);
    char want[128];
    snprintf(want, sizeof want, "audit TAMPERED (%s)", finding);
    assert_non_null(strstr(out, want));
    if (detail) assert_non_null(strstr(out, detail));
}

/* ---- the tamper table ---------------------------------------------------------------------- */

static void test_intact_after_more_rows(void **state) {
    fixture *f = *state;
    /* rows after the checkpoint, then a second checkpoint: both lines verify */
    review(f->s, f->claim[0], DC_DECISION_APPROVE, false);
    char out[8192];
    assert_int_equal(
        cli(f, out, sizeof out, "checkpoint --key '%s' --out '%s'", f->key, f->checkpoints), 0);
    assert_int_equal(verify(f, out, sizeof out), 0);
    assert_non_null(strstr(out, "2 checkpoints match"));
}

static void test_edit_row(void **state) {
    fixture *f = *state;
    drop_triggers(f);
    sql(f, NULL, "UPDATE audit SET reason = 'forged' WHERE seq = 3");
    expect(f, "row edited", "at row 3");
}

static void test_rehash_after_edit(void **state) {
    fixture *f = *state;
    drop_triggers(f);
    dc_audit_row rows[32];
    int64_t old[32];
    int n = read_rows(f, rows, 32);
    for (int i = 0; i < n; i++) old[i] = rows[i].seq;
    /* the reviewer's REJECT of claim 0 becomes an APPROVE, and every row after is re-hashed */
    int k = 1;
    while (k < n - 1 && strcmp(rows[k].action, "review") != 0) k++;
    assert_string_equal(rows[k].action, "review");
    char *at = strstr(rows[k].after, "REJECT");
    assert_non_null(at);
    char edited[sizeof rows[k].after];
    snprintf(edited, sizeof edited, "%.*sACCEPT%s", (int)(at - rows[k].after), rows[k].after,
             at + 6);
    memcpy(rows[k].after, edited, sizeof edited);
    reseal(rows, k, n);
    write_rows(f, rows, k, n, old);
    sql(f, NULL, "UPDATE reviews SET decision = 'ACCEPT' WHERE claim_id = '%s'", f->claim[0]);
    sql(f, NULL, "UPDATE claims SET last_decision = 'ACCEPT' WHERE id = '%s'", f->claim[0]);
    /* the chain alone holds, which is why the checkpoint is needed */
    char out[8192];
    int64_t chain_rows = 0, bad = 1;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_verify(f->s, &chain_rows, &bad, &st), DC_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(cli(f, out, sizeof out, "verify --checkpoints /dev/null --key '%s'", f->key),
                     0);
    expect(f, "rewritten", "checkpoint line 1");
}

static void test_delete_rows_renumbered(void **state) {
    fixture *f = *state;
    drop_triggers(f);
    dc_audit_row rows[32];
    int64_t old[32];
    int n = read_rows(f, rows, 32);
    /* row 5 goes; the rows after it move up one and are re-hashed: no gap, no broken link */
    sql(f, NULL, "DELETE FROM audit WHERE seq = 5");
    for (int i = 5; i < n; i++) {
        old[i - 1] = rows[i].seq;
        rows[i - 1] = rows[i];
    }
    n--;
    reseal(rows, 4, n);
    write_rows(f, rows, 4, n, old);
    expect(f, "truncated", "the chain ends at row 9");
    /* padded back to the checkpoint's length through the store: the head there is another */
    dc_audit_row e;
    memset(&e, 0, sizeof e);
    strcpy(e.actor, "admin-cli");
    strcpy(e.action, "key.added");
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_append(f->s, &e, &st), DC_OK);
    expect(f, "rewritten", "at row 10");
}

static void test_delete_middle_row(void **state) {
    fixture *f = *state;
    drop_triggers(f);
    sql(f, NULL, "DELETE FROM audit WHERE seq = 4");
    expect(f, "rows missing", "at row 5: after row 3 comes row 5: rows 4..4 were deleted");
}

static void test_delete_last_rows(void **state) {
    fixture *f = *state;
    drop_triggers(f);
    sql(f, NULL, "DELETE FROM audit WHERE seq > %lld", (long long)f->rows - 2);
    expect(f, "truncated", "were cut off");
}

static void test_cut_tail_and_append_anew(void **state) {
    fixture *f = *state;
    drop_triggers(f);
    /* the last three rows go and four honest-looking rows are appended through the store: the
     * chain is longer than the checkpoint again, and verifies on its own */
    sql(f, NULL, "DELETE FROM audit WHERE seq > %lld", (long long)f->rows - 3);
    for (int i = 0; i < 4; i++) {
        dc_audit_row e;
        memset(&e, 0, sizeof e);
        strcpy(e.actor, "admin-cli");
        strcpy(e.action, "key.added");
        dc_status st = DC_STATUS_OK;
        assert_int_equal(dc_store_audit_append(f->s, &e, &st), DC_OK);
    }
    expect(f, "rewritten", NULL);
}

static void test_edit_last_decision(void **state) {
    fixture *f = *state;
    sql(f, NULL, "UPDATE claims SET last_decision = 'APPROVE' WHERE id = '%s'", f->claim[0]);
    expect(f, "state mismatch", "claims.last_decision is 'APPROVE'");
}

static void test_edit_claim_state(void **state) {
    fixture *f = *state;
    sql(f, NULL, "UPDATE claims SET state = 2 WHERE id = '%s'", f->claim[2]);
    expect(f, "state mismatch", "claims.state is 'done'");
}

static void test_edit_review(void **state) {
    fixture *f = *state;
    sql(f, NULL, "UPDATE reviews SET decision = 'APPROVE' WHERE claim_id = '%s'", f->claim[0]);
    expect(f, "state mismatch", "in decision");
}

static void test_delete_review(void **state) {
    fixture *f = *state;
    result r;
    sql(f, &r, "SELECT max(id) FROM reviews WHERE claim_id = '%s'", f->claim[1]);
    sql(f, NULL, "DELETE FROM reviews WHERE id = %s", r.cells[0]);
    expect(f, "state mismatch", "is missing from the reviews table");
}

static void test_add_review_without_row(void **state) {
    fixture *f = *state;
    sql(f, NULL,
        "INSERT INTO reviews (claim_id, reviewer, decision, reasoning, created_ms)"
        " VALUES ('%s', 'reviewer-1', 'APPROVE', 'x', 1)",
        f->claim[2]);
    expect(f, "state mismatch", "has no review audit row");
}

static void test_edit_assessment(void **state) {
    fixture *f = *state;
    result r;
    const char *count = "SELECT count(*) FROM assessments WHERE claim_id = '%s' AND json LIKE "
                        "'%%\"HIGH\"%%'";
    sql(f, &r, count, f->claim[0]);
    assert_string_equal(r.cells[0], "1");
    sql(f, NULL,
        "UPDATE assessments SET json = replace(json, '\"HIGH\"', '\"LOW\"') WHERE claim_id = '%s'",
        f->claim[0]);
    sql(f, &r, count, f->claim[0]);
    assert_string_equal(r.cells[0], "0"); /* the edit took */
    expect(f, "state mismatch", "the record was edited");
}

static void test_forged_checkpoint_line(void **state) {
    fixture *f = *state;
    /* a line claiming a shorter chain (what someone who cut the tail would want) */
    FILE *in = fopen(f->checkpoints, "r");
    char line[1024];
    assert_non_null(fgets(line, sizeof line, in));
    fclose(in);
    char *len = strstr(line, " length=");
    assert_non_null(len);
    char forged[1024];
    snprintf(forged, sizeof forged, "%.*s length=%lld%s", (int)(len - line), line,
             (long long)f->rows - 2, strstr(len, " head="));
    FILE *out = fopen(f->checkpoints, "a");
    fputs(forged, out);
    fclose(out);
    expect(f, "checkpoint bad", "checkpoint line 2");
}

static void test_checkpoint_of_another_key(void **state) {
    fixture *f = *state;
    /* a valid line signed by a key the verifier does not trust */
    char other_key[700], other_file[700], out[8192];
    snprintf(other_key, sizeof other_key, "%s/other.pem", f->dir);
    snprintf(other_file, sizeof other_file, "%s/other.txt", f->dir);
    assert_int_equal(
        cli(f, out, sizeof out, "checkpoint --key '%s' --out '%s'", other_key, other_file), 0);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cat '%s' >> '%s'", other_file, f->checkpoints);
    assert_int_equal(system(cmd), 0);
    expect(f, "checkpoint bad", "signed by another key");
    /* verifying with the public half only works as with the private key */
    char pub[700];
    snprintf(pub, sizeof pub, "%s/other.pub", f->dir);
    snprintf(cmd, sizeof cmd, "'%s/dashclaim' audit public-key --key '%s' > '%s'", getenv("DC_BIN"),
             other_key, pub);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(
        cli(f, out, sizeof out, "verify --checkpoints '%s' --public-key '%s'", other_file, pub), 0);
}

static void test_key_file_loose_mode(void **state) {
    fixture *f = *state;
    assert_int_equal(chmod(f->key, 0640), 0);
    char out[8192];
    assert_int_equal(
        cli(f, out, sizeof out, "checkpoint --key '%s' --out '%s'", f->key, f->checkpoints),
        EXIT_USAGE);
    assert_non_null(strstr(out, "mode 0640"));
    assert_int_equal(verify(f, out, sizeof out), EXIT_USAGE);
    assert_int_equal(chmod(f->key, 0604), 0);
    assert_int_equal(verify(f, out, sizeof out), EXIT_USAGE);
    assert_int_equal(chmod(f->key, 0600), 0);
    assert_int_equal(verify(f, out, sizeof out), 0);
}

static void test_tampered_store_is_not_signed(void **state) {
    fixture *f = *state;
    sql(f, NULL, "UPDATE claims SET last_decision = 'APPROVE' WHERE id = '%s'", f->claim[0]);
    char out[8192];
    assert_int_equal(
        cli(f, out, sizeof out, "checkpoint --key '%s' --out '%s'", f->key, f->checkpoints),
        EXIT_TAMPERED);
    FILE *in = fopen(f->checkpoints, "r");
    int lines = 0;
    char line[1024];
    while (fgets(line, sizeof line, in)) lines++;
    fclose(in);
    assert_int_equal(lines, 1);
}

/* The one field list: the JSON writer's keys and the database's audit columns, in order. */
static void test_fields_from_one_table(void **state) {
    fixture *f = *state;
    dc_audit_row rows[32];
    int n = read_rows(f, rows, 32);
    json_t *o = dc_audit_row_to_json(&rows[n - 1]);
    assert_non_null(o);
    assert_int_equal(json_object_size(o), STORE_AUDIT_NFIELDS);
    for (int i = 0; i < STORE_AUDIT_NFIELDS; i++)
        assert_non_null(json_object_get(o, store_audit_fields[i].name));
    assert_true(json_is_integer(json_object_get(o, "seq")));
    assert_true(json_is_object(json_object_get(o, "after")));
    assert_true(json_is_null(json_object_get(o, "claim_id"))); /* key.added: no claim */
    json_decref(o);
    result r;
    if (test_store_is_pg())
        sql(f, &r,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit'"
            " ORDER BY ordinal_position");
    else sql(f, &r, "SELECT name FROM pragma_table_info('audit') ORDER BY cid");
    assert_int_equal(r.n, STORE_AUDIT_NFIELDS);
    for (int i = 0; i < STORE_AUDIT_NFIELDS; i++)
        assert_string_equal(r.cells[i], store_audit_fields[i].name);
    /* and `audit list` prints that shape */
    char out[16384];
    assert_int_equal(cli(f, out, sizeof out, "list --claim %s", f->claim[0]), 0);
    json_t *first = json_loads(strstr(out, "{\"seq\""), JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(first);
    assert_string_equal(json_string_value(json_object_get(first, "action")), "claim.created");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "after"), "policy_id")), "POL-'7");
    json_decref(first);
}

/* The tables compared one claim per snapshot (in the library, where the batch size can be set):
 * every claim is a batch boundary, and disagreements in different batches are all counted. */
static void test_batch_boundaries(void **state) {
    fixture *f = *state;
    audit_batch = 1;
    dc_status st = DC_STATUS_OK;
    dc_audit_key *key = dc_audit_key_load(f->key, false, NULL, &st);
    assert_non_null(key);
    dc_audit_report rep;
    assert_int_equal(dc_store_audit_check(f->s, f->checkpoints, key, &rep, &st), DC_OK);
    assert_int_equal(rep.finding, DC_AUDIT_INTACT);
    assert_int_equal(rep.claims, 3);
    assert_int_equal(rep.checkpoints, 1);
    sql(f, NULL, "UPDATE claims SET last_decision = 'REJECT' WHERE id = '%s'", f->claim[1]);
    sql(f, NULL, "UPDATE claims SET state = 3 WHERE id = '%s'", f->claim[2]);
    sql(f, NULL, "UPDATE reviews SET reasoning = 'x' WHERE claim_id = '%s'", f->claim[0]);
    assert_int_equal(dc_store_audit_check(f->s, f->checkpoints, key, &rep, &st), DC_OK);
    assert_int_equal(rep.finding, DC_AUDIT_STATE_MISMATCH);
    assert_int_equal(rep.mismatches, 3);
    assert_int_equal(rep.claims, 3);
    /* the one at the earliest audit row is the one reported: claim 2's claim.created (row 3) */
    assert_int_equal(rep.bad_seq, 3);
    assert_string_equal(rep.claim_id, f->claim[2]);
    dc_audit_key_free(key);
    audit_batch = 2048;
}

/* Rows written before assessment_sha256 existed: the stored record's fields are compared with
 * the row's instead (such a store is made here by rewriting the rows without the field). */
static void test_rows_without_record_hash(void **state) {
    fixture *f = *state;
    drop_triggers(f);
    dc_audit_row rows[32];
    int64_t old[32];
    int n = read_rows(f, rows, 32);
    for (int i = 0; i < n; i++) {
        old[i] = rows[i].seq;
        if (strcmp(rows[i].action, "assessment") != 0) continue;
        json_t *after = json_loads(rows[i].after, 0, NULL);
        assert_int_equal(json_object_del(after, "assessment_sha256"), 0);
        char *text = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
        snprintf(rows[i].after, sizeof rows[i].after, "%s", text);
        free(text);
        json_decref(after);
    }
    reseal(rows, 0, n);
    write_rows(f, rows, 0, n, old);
    dc_audit_report rep;
    dc_status st = DC_STATUS_OK;
    assert_int_equal(dc_store_audit_check(f->s, NULL, NULL, &rep, &st), DC_OK);
    assert_int_equal(rep.finding, DC_AUDIT_INTACT); /* the fields agree */
    sql(f, NULL,
        "UPDATE assessments SET json = replace(json, '\"HIGH\"', '\"LOW\"') WHERE claim_id = '%s'",
        f->claim[0]);
    assert_int_equal(dc_store_audit_check(f->s, NULL, NULL, &rep, &st), DC_OK);
    assert_int_equal(rep.finding, DC_AUDIT_STATE_MISMATCH);
    assert_non_null(strstr(rep.message, "the stored assessment's severity"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_intact_after_more_rows),
        T(test_edit_row),
        T(test_rehash_after_edit),
        T(test_delete_rows_renumbered),
        T(test_delete_middle_row),
        T(test_delete_last_rows),
        T(test_cut_tail_and_append_anew),
        T(test_edit_last_decision),
        T(test_edit_claim_state),
        T(test_edit_review),
        T(test_delete_review),
        T(test_add_review_without_row),
        T(test_edit_assessment),
        T(test_forged_checkpoint_line),
        T(test_checkpoint_of_another_key),
        T(test_key_file_loose_mode),
        T(test_tampered_store_is_not_signed),
        T(test_fields_from_one_table),
        T(test_batch_boundaries),
        T(test_rows_without_record_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
