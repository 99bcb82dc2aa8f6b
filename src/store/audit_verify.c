/* Audit verification: the chain walked row by row against signed checkpoints, then the tables
 * compared with what the audit rows say (what is checked and why: include/dashclaim/store.h).
 *
 * The tables are compared claim by claim in batches of claim ids (id > after, at most
 * audit_batch): the claims of a batch, their audit rows, reviews and stored assessments are read
 * in one snapshot (store_ops.read_snapshot), so a review being recorded meanwhile is seen whole or
 * not at all, and memory stays that of one batch whatever the store's size (a few MB). Every
 * query of a batch is bounded by the same id range, so a row naming a claim that the claims
 * table lacks falls in some batch and is reported. */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "dashclaim/hash.h"

static const char *const finding_names[DC_AUDIT_FINDING_COUNT] = {
    "intact",    "row edited", "link broken",    "rows missing",
    "rewritten", "truncated",  "checkpoint bad", "state mismatch"};

const char *dc_audit_finding_name(dc_audit_finding f) {
    return (int)f >= 0 && f < DC_AUDIT_FINDING_COUNT ? finding_names[f] : NULL;
}

void audit_report(dc_audit_report *rep, dc_audit_finding f, int64_t seq, int line,
                  const char *claim_id, const char *fmt, ...) {
    if (f == DC_AUDIT_STATE_MISMATCH) rep->mismatches++;
    if (rep->finding != DC_AUDIT_INTACT) {
        /* Table disagreements are found claim by claim: keep the one at the earliest row. */
        bool earlier = f == DC_AUDIT_STATE_MISMATCH && rep->finding == f && seq > 0 &&
                       (rep->bad_seq == 0 || seq < rep->bad_seq);
        if (!earlier) return;
    }
    rep->finding = f;
    rep->bad_seq = seq;
    rep->checkpoint_line = line;
    store_copy(rep->claim_id, sizeof rep->claim_id, claim_id ? claim_id : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->message, sizeof rep->message, fmt, ap);
    va_end(ap);
}

static const char zero_hash[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* ---- the chain -------------------------------------------------------------------------- */

static void check_row(const dc_audit_row *row, const char *prev, int64_t last,
                      const audit_checkpoint *cps, int n, int *next, dc_audit_report *rep) {
    if (row->seq != last + 1) {
        /* the row named is the first one whose chain is bad, as dc_store_audit_verify says */
        if (row->seq > last + 1)
            audit_report(rep, DC_AUDIT_ROWS_MISSING, row->seq, 0, NULL,
                         "after row %" PRId64 " comes row %" PRId64 ": rows %" PRId64 "..%" PRId64
                         " were deleted",
                         last, row->seq, last + 1, row->seq - 1);
        else
            audit_report(rep, DC_AUDIT_ROWS_MISSING, row->seq, 0, NULL,
                         "row %" PRId64 " comes after row %" PRId64 ": rows repeat or are out of "
                         "order",
                         row->seq, last);
        return;
    }
    if (strcmp(row->prev_hash, prev) != 0) {
        audit_report(rep, DC_AUDIT_LINK_BROKEN, row->seq, 0, row->claim_id,
                     "row %" PRId64 "'s prev_hash is not the hash of row %" PRId64
                     ": a row before it was replaced, or rows were removed and renumbered",
                     row->seq, last);
        return;
    }
    char h[65];
    store_audit_hash(row, h);
    if (strcmp(h, row->hash) != 0) {
        audit_report(rep, DC_AUDIT_ROW_EDITED, row->seq, 0, row->claim_id,
                     "row %" PRId64 " (%s) was edited: its fields hash to %.16s..., not to its "
                     "stored hash %.16s...",
                     row->seq, row->action, h, row->hash);
        return;
    }
    if (row->seq == 1) {
        for (int i = 0; i < n; i++) {
            if (strcmp(cps[i].store, row->hash) == 0) continue;
            audit_report(rep, DC_AUDIT_REWRITTEN, 1, cps[i].line, row->claim_id,
                         "row 1 hashes to %.16s..., but checkpoint line %d (signed %s) is for "
                         "a chain whose row 1 hashed to %.16s...: the chain was rewritten from "
                         "row 1, or the checkpoints are another store's",
                         row->hash, cps[i].line, cps[i].at, cps[i].store);
            return;
        }
    }
    for (; *next < n && cps[*next].length == row->seq; (*next)++) {
        const audit_checkpoint *cp = &cps[*next];
        if (strcmp(cp->head, row->hash) == 0) continue;
        int64_t good = *next > 0 ? cps[*next - 1].length : 0;
        audit_report(rep, DC_AUDIT_REWRITTEN, row->seq, cp->line, row->claim_id,
                     "row %" PRId64 " hashes to %.16s..., but checkpoint line %d (signed %s) "
                     "recorded %.16s... for the first %" PRId64 " rows: the chain was edited "
                     "and re-hashed in rows %" PRId64 "..%" PRId64 " (or rows there deleted "
                     "and renumbered)",
                     row->seq, row->hash, cp->line, cp->at, cp->head, cp->length, good + 1,
                     row->seq);
        return;
    }
}

static dc_error_class walk_chain(dc_store *s, const audit_checkpoint *cps, int n,
                                 dc_audit_report *rep, dc_status *st) {
    enum { PAGE = 256 };
    dc_audit_row *page = malloc(PAGE * sizeof *page);
    if (!page) return dc_fail(st, DC_ERR_RESOURCE, "audit: out of memory");
    char prev[65];
    memcpy(prev, zero_hash, sizeof prev);
    int64_t last = 0;
    int next = 0;
    dc_error_class rc = DC_OK;
    while (rep->finding == DC_AUDIT_INTACT) {
        int got = 0;
        rc = s->ops->audit_list(s->self, NULL, last, page, PAGE, &got, st);
        if (rc != DC_OK || got == 0) break;
        for (int i = 0; i < got && rep->finding == DC_AUDIT_INTACT; i++) {
            check_row(&page[i], prev, last, cps, n, &next, rep);
            if (rep->finding != DC_AUDIT_INTACT) break;
            if (page[i].seq == 1) memcpy(rep->store_id, page[i].hash, 65);
            memcpy(prev, page[i].hash, 65);
            memcpy(rep->head, page[i].hash, 65);
            last = rep->rows = page[i].seq;
        }
    }
    free(page);
    if (rc == DC_OK && rep->finding == DC_AUDIT_INTACT && next < n) {
        const audit_checkpoint *cp = &cps[n - 1];
        audit_report(rep, DC_AUDIT_TRUNCATED, last + 1, cp->line, NULL,
                     "the chain ends at row %" PRId64 ", but checkpoint line %d (signed %s) "
                     "covers %" PRId64 " rows: rows %" PRId64 "..%" PRId64 " were cut off",
                     last, cp->line, cp->at, cp->length, last + 1, cp->length);
    }
    return rc;
}

dc_error_class dc_store_audit_verify(dc_store *s, int64_t *rows, int64_t *bad_seq, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    dc_audit_report rep;
    memset(&rep, 0, sizeof rep);
    dc_error_class rc = walk_chain(s, NULL, 0, &rep, st);
    *rows = rep.rows;
    *bad_seq = rep.finding == DC_AUDIT_INTACT ? 0 : rep.bad_seq;
    return rc;
}

/* ---- the tables -------------------------------------------------------------------------- */

/* Claims per batch. The reviews table has no index on claim_id, so each batch's read of it is a
 * scan of the whole table: the batch is large to keep those few (an index on reviews(claim_id)
 * would make it a range read). Tests lower it to cross batch boundaries with a few claims. */
int audit_batch = 2048;

/* A review as the review table holds it or as its audit row recorded it; -1 = not given. */
typedef struct {
    int64_t seq; /* the audit row (0 for a table row) */
    char reviewer[DC_STORE_NAME_LEN + 16];
    char decision[24];
    int severity, fault_ratio, fraud_flag;
    char reasoning[2048];
} review;

typedef struct {
    /* the claims row */
    char id[DC_STORE_ID_LEN];
    int state, severity, priority;
    char last_decision[24];
    char video_sha256[65];
    char uploader[DC_STORE_NAME_LEN];
    /* what its audit rows say */
    int64_t created_seq, state_seq, result_seq, decision_seq;
    int want_state; /* -1: no row says */
    int want_severity, want_priority;
    char want_decision[24];
    json_t *result; /* the "assessment" / "claim.failed" row's after */
    review *reviews;
    int nreviews, room, reviews_seen;
    bool assessment_seen;
} slot;

typedef struct {
    dc_audit_report *rep;
    slot *slots;
    int n;
    char after[DC_STORE_ID_LEN]; /* lower bound (exclusive) */
    char upper[DC_STORE_ID_LEN]; /* upper bound (inclusive); "" = none (the last batch) */
    bool sorted;
} batch;

static int by_id(const void *a, const void *b) {
    return strcmp(((const slot *)a)->id, ((const slot *)b)->id);
}

static slot *find(batch *b, const char *id) {
    if (!b->sorted) {
        /* the database's order of ids may be a collation's; bsearch needs strcmp's */
        qsort(b->slots, (size_t)b->n, sizeof *b->slots, by_id);
        b->sorted = true;
    }
    slot key;
    store_copy(key.id, sizeof key.id, id);
    return bsearch(&key, b->slots, (size_t)b->n, sizeof *b->slots, by_id);
}

static int index_of(const char *name, const char *(*name_of)(int), int count) {
    for (int i = 0; name && i < count; i++)
        if (name_of(i) && strcmp(name_of(i), name) == 0) return i;
    return -1;
}
static const char *severity_at(int i) { return dc_severity_name((dc_severity)i); }
static const char *priority_at(int i) { return dc_review_priority_name((dc_review_priority)i); }
static const char *state_at(int i) { return dc_claim_state_name((dc_claim_state)i); }
static const char *name_or(const char *s, const char *none) { return s && *s ? s : none; }

static dc_error_class on_claim(void *ctx, const store_row *r, dc_status *st) {
    batch *b = ctx;
    if (b->n == audit_batch) return DC_OK; /* cannot happen: the query says LIMIT audit_batch */
    slot *c = &b->slots[b->n++];
    memset(c, 0, sizeof *c);
    r->text(r, 0, c->id, sizeof c->id);
    c->state = (int)r->i64(r, 1);
    c->severity = (int)r->i64(r, 2);
    c->priority = (int)r->i64(r, 3);
    r->text(r, 4, c->last_decision, sizeof c->last_decision);
    r->text(r, 5, c->video_sha256, sizeof c->video_sha256);
    r->text(r, 6, c->uploader, sizeof c->uploader);
    c->want_state = c->want_severity = c->want_priority = -1;
    /* A full batch bounds the next queries at its last id; a short one is the last batch. */
    if (b->n == audit_batch) store_copy(b->upper, sizeof b->upper, c->id);
    (void)st;
    return DC_OK;
}

static int opt_int(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

static dc_error_class on_audit(void *ctx, const store_row *r, dc_status *st) {
    batch *b = ctx;
    dc_audit_row *row = malloc(sizeof *row);
    if (!row) return dc_fail(st, DC_ERR_RESOURCE, "audit: out of memory");
    store_row_audit(r, row);
    slot *c = find(b, row->claim_id);
    dc_audit_report *rep = b->rep;
    json_t *after = row->after[0] ? json_loads(row->after, 0, NULL) : NULL;
    dc_error_class rc = DC_OK;
    if (!c) {
        audit_report(rep, DC_AUDIT_STATE_MISMATCH, row->seq, 0, row->claim_id,
                     "audit row %" PRId64 " (%s) names claim %s, which the claims table does "
                     "not have (deleted?)",
                     row->seq, row->action, row->claim_id);
    } else if (!strcmp(row->action, "claim.created")) {
        if (c->created_seq)
            audit_report(rep, DC_AUDIT_STATE_MISMATCH, row->seq, 0, c->id,
                         "claim %s is created twice (audit rows %" PRId64 " and %" PRId64 ")",
                         c->id, c->created_seq, row->seq);
        c->created_seq = c->state_seq = row->seq;
        const char *state = json_string_value(json_object_get(after, "state"));
        c->want_state = state && !strcmp(state, "open") ? DC_STATE_OPEN : DC_STATE_QUEUED;
        /* an open claim created without a video names it in its first claim.video_added */
        if ((row->video_sha256[0] && strcmp(c->video_sha256, row->video_sha256) != 0) ||
            strcmp(c->uploader, row->actor) != 0)
            audit_report(rep, DC_AUDIT_STATE_MISMATCH, row->seq, 0, c->id,
                         "claim %s: its video (%.16s...) or uploader (%s) is not what audit row "
                         "%" PRId64 " recorded (%.16s..., %s)",
                         c->id, c->video_sha256, c->uploader, row->seq, row->video_sha256,
                         row->actor);
    } else if (!strcmp(row->action, "claim.video_added")) {
        if (opt_int(after, "position") == 0 && strcmp(c->video_sha256, row->video_sha256) != 0)
            audit_report(rep, DC_AUDIT_STATE_MISMATCH, row->seq, 0, c->id,
                         "claim %s: its first video (%.16s...) is not what audit row %" PRId64
                         " recorded (%.16s...)",
                         c->id, c->video_sha256, row->seq, row->video_sha256);
    } else if (!strcmp(row->action, "claim.submitted")) {
        c->state_seq = row->seq;
        c->want_state = DC_STATE_QUEUED;
    } else if (!strcmp(row->action, "assessment") || !strcmp(row->action, "claim.failed")) {
        if (c->result_seq)
            audit_report(rep, DC_AUDIT_STATE_MISMATCH, row->seq, 0, c->id,
                         "claim %s has two final results (audit rows %" PRId64 " and %" PRId64 ")",
                         c->id, c->result_seq, row->seq);
        bool failed = !strcmp(row->action, "claim.failed");
        const char *state = json_string_value(json_object_get(after, "state"));
        c->result_seq = c->state_seq = row->seq;
        c->want_state = failed ? DC_STATE_FAILED : index_of(state, state_at, DC_STATE_COUNT);
        c->want_severity = failed ? -1
                                  : index_of(json_string_value(json_object_get(after, "severity")),
                                             severity_at, DC_SEVERITY_COUNT);
        c->want_priority =
            failed ? store_failed_priority()
                   : index_of(json_string_value(json_object_get(after, "review_priority")),
                              priority_at, DC_PRIORITY_URGENT + 1);
        json_decref(c->result);
        c->result = json_incref(after);
    } else if (!strcmp(row->action, "review")) {
        if (c->nreviews == c->room) {
            int room = c->room ? 2 * c->room : 2;
            review *grown = realloc(c->reviews, (size_t)room * sizeof *grown);
            if (!grown) rc = dc_fail(st, DC_ERR_RESOURCE, "audit: out of memory");
            else c->reviews = grown, c->room = room;
        }
        if (rc == DC_OK) {
            review *v = &c->reviews[c->nreviews++];
            memset(v, 0, sizeof *v);
            v->seq = row->seq;
            store_copy(v->reviewer, sizeof v->reviewer, row->actor);
            store_copy(v->decision, sizeof v->decision,
                       name_or(json_string_value(json_object_get(after, "decision")), ""));
            v->severity = index_of(json_string_value(json_object_get(after, "severity")),
                                   severity_at, DC_SEVERITY_COUNT);
            v->fault_ratio = opt_int(after, "fault_ratio");
            json_t *flag = json_object_get(after, "fraud_flag");
            v->fraud_flag = json_is_boolean(flag) ? json_is_true(flag) : -1;
            store_copy(v->reasoning, sizeof v->reasoning, row->reason);
            store_copy(c->want_decision, sizeof c->want_decision, v->decision);
            c->decision_seq = row->seq;
        }
    }
    json_decref(after);
    free(row);
    return rc;
}

static dc_error_class on_review(void *ctx, const store_row *r, dc_status *st) {
    batch *b = ctx;
    char claim_id[DC_STORE_ID_LEN];
    review got;
    memset(&got, 0, sizeof got);
    r->text(r, 0, claim_id, sizeof claim_id);
    r->text(r, 1, got.reviewer, sizeof got.reviewer);
    r->text(r, 2, got.decision, sizeof got.decision);
    got.severity = (int)r->i64(r, 3);
    got.fault_ratio = (int)r->i64(r, 4);
    got.fraud_flag = (int)r->i64(r, 5);
    r->text(r, 6, got.reasoning, sizeof got.reasoning);
    int64_t id = r->i64(r, 7);
    slot *c = find(b, claim_id);
    if (!c) {
        audit_report(b->rep, DC_AUDIT_STATE_MISMATCH, 0, 0, claim_id,
                     "review %" PRId64 " names claim %s, which the claims table does not have", id,
                     claim_id);
        return DC_OK;
    }
    int k = c->reviews_seen++;
    if (k >= c->nreviews) {
        audit_report(b->rep, DC_AUDIT_STATE_MISMATCH, c->created_seq, 0, c->id,
                     "claim %s: review %" PRId64 " (%s by %s) has no review audit row", c->id, id,
                     got.decision, got.reviewer);
        return DC_OK;
    }
    const review *want = &c->reviews[k];
    const char *field = strcmp(got.decision, want->decision)     ? "decision"
                        : strcmp(got.reviewer, want->reviewer)   ? "reviewer"
                        : got.severity != want->severity         ? "severity"
                        : got.fault_ratio != want->fault_ratio   ? "fault_ratio"
                        : got.fraud_flag != want->fraud_flag     ? "fraud_flag"
                        : strcmp(got.reasoning, want->reasoning) ? "reasoning"
                                                                 : NULL;
    if (field)
        audit_report(b->rep, DC_AUDIT_STATE_MISMATCH, want->seq, 0, c->id,
                     "claim %s: review %" PRId64 " differs from its audit row %" PRId64
                     " in %s (the table says decision %s by %s, the row %s by %s)",
                     c->id, id, want->seq, field, got.decision, got.reviewer, want->decision,
                     want->reviewer);
    (void)st;
    return DC_OK;
}

/* A record written before the audit rows carried its hash: its fields against the row's. */
static const char *record_differs(const char *json, json_t *result) {
    json_t *rec = json_loads(json, 0, NULL);
    if (!rec) return "it is not JSON";
    static const char *const keys[] = {"status", "severity", "review_priority",
                                       "recommended_action"};
    const char *bad = NULL;
    for (size_t i = 0; !bad && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *want = json_object_get(result, keys[i]);
        if (!want) continue; /* a claim.failed row records only the state */
        if (!json_equal(want, json_object_get(rec, keys[i]))) bad = keys[i];
    }
    json_decref(rec);
    return bad;
}

static dc_error_class on_assessment(void *ctx, const store_row *r, dc_status *st) {
    batch *b = ctx;
    char claim_id[DC_STORE_ID_LEN];
    r->text(r, 0, claim_id, sizeof claim_id);
    /* a record is far smaller than this (dc_assessment is a fixed-size struct) */
    enum { MAX_JSON = 1 << 20 };
    char *json = malloc(MAX_JSON);
    if (!json) return dc_fail(st, DC_ERR_RESOURCE, "audit: out of memory");
    r->text(r, 1, json, MAX_JSON);
    slot *c = find(b, claim_id);
    if (!c) {
        audit_report(b->rep, DC_AUDIT_STATE_MISMATCH, 0, 0, claim_id,
                     "an assessment is stored for claim %s, which the claims table does not "
                     "have",
                     claim_id);
    } else if (!c->result_seq) {
        c->assessment_seen = true;
        audit_report(b->rep, DC_AUDIT_STATE_MISMATCH, c->created_seq, 0, c->id,
                     "claim %s has a stored assessment but no assessment or claim.failed audit "
                     "row",
                     c->id);
    } else {
        c->assessment_seen = true;
        const char *want = json_string_value(json_object_get(c->result, "assessment_sha256"));
        char hex[65];
        dc_sha256_hex(json, strlen(json), hex);
        if (want && strcmp(want, hex) != 0)
            audit_report(b->rep, DC_AUDIT_STATE_MISMATCH, c->result_seq, 0, c->id,
                         "claim %s: the stored assessment hashes to %.16s..., not to the "
                         "%.16s... its audit row %" PRId64 " recorded: the record was edited",
                         c->id, hex, want, c->result_seq);
        const char *field = want ? NULL : record_differs(json, c->result);
        if (field)
            audit_report(b->rep, DC_AUDIT_STATE_MISMATCH, c->result_seq, 0, c->id,
                         "claim %s: the stored assessment's %s is not what audit row %" PRId64
                         " recorded",
                         c->id, field, c->result_seq);
    }
    free(json);
    return DC_OK;
}

/* What is left to compare once all of a batch's rows are in. */
static void check_claim(const slot *c, dc_audit_report *rep) {
    const char *state = name_or(state_at(c->state), "?");
    if (!c->created_seq) {
        audit_report(rep, DC_AUDIT_STATE_MISMATCH, 0, 0, c->id,
                     "claim %s has no claim.created audit row: it was inserted behind the "
                     "trail's back",
                     c->id);
        return;
    }
    bool state_ok = c->want_state == DC_STATE_QUEUED
                        ? c->state == DC_STATE_QUEUED || c->state == DC_STATE_RUNNING
                        : c->state == c->want_state;
    if (!state_ok)
        audit_report(rep, DC_AUDIT_STATE_MISMATCH, c->state_seq, 0, c->id,
                     "claim %s: claims.state is '%s', but audit row %" PRId64 " left it '%s'",
                     c->id, state, c->state_seq, name_or(state_at(c->want_state), "?"));
    if (c->result_seq && (c->severity != c->want_severity || c->priority != c->want_priority))
        audit_report(rep, DC_AUDIT_STATE_MISMATCH, c->result_seq, 0, c->id,
                     "claim %s: claims.severity/priority are %s/%s, but audit row %" PRId64
                     " recorded %s/%s",
                     c->id, name_or(severity_at(c->severity), "none"),
                     name_or(priority_at(c->priority), "none"), c->result_seq,
                     name_or(severity_at(c->want_severity), "none"),
                     name_or(priority_at(c->want_priority), "none"));
    if (strcmp(c->last_decision, c->want_decision) != 0) {
        if (c->decision_seq)
            audit_report(rep, DC_AUDIT_STATE_MISMATCH, c->decision_seq, 0, c->id,
                         "claim %s: claims.last_decision is '%s', but its last review (audit "
                         "row %" PRId64 ") decided '%s'",
                         c->id, c->last_decision, c->decision_seq, c->want_decision);
        else
            audit_report(rep, DC_AUDIT_STATE_MISMATCH, c->created_seq, 0, c->id,
                         "claim %s: claims.last_decision is '%s', but no review audit row "
                         "exists",
                         c->id, c->last_decision);
    }
    for (int k = c->reviews_seen; k < c->nreviews; k++)
        audit_report(rep, DC_AUDIT_STATE_MISMATCH, c->reviews[k].seq, 0, c->id,
                     "claim %s: the review of audit row %" PRId64 " (%s by %s) is missing from "
                     "the reviews table",
                     c->id, c->reviews[k].seq, c->reviews[k].decision, c->reviews[k].reviewer);
    if (c->result_seq && !c->assessment_seen)
        audit_report(rep, DC_AUDIT_STATE_MISMATCH, c->result_seq, 0, c->id,
                     "claim %s: the assessment recorded by audit row %" PRId64 " is not stored",
                     c->id, c->result_seq);
}

#define RANGE " > $1 AND ($2 = '' OR "
#define CLAIMS_SQL                                                                                 \
    "SELECT id, state, severity, priority, last_decision, video_sha256, uploader FROM claims"      \
    " WHERE id > $1 ORDER BY id LIMIT %d"
static const char audit_sql[] = "SELECT " STORE_AUDIT_COLUMNS " FROM audit WHERE claim_id" RANGE
                                "claim_id <= $2) ORDER BY claim_id, seq";
static const char reviews_sql[] =
    "SELECT claim_id, reviewer, decision, coalesce(severity, -1), coalesce(fault_ratio, -1),"
    " CASE WHEN fraud_flag IS NULL THEN -1 WHEN fraud_flag THEN 1 ELSE 0 END, reasoning, id"
    " FROM reviews WHERE claim_id" RANGE "claim_id <= $2) ORDER BY claim_id, id";
static const char assessments_sql[] =
    "SELECT claim_id, json FROM assessments WHERE claim_id" RANGE "claim_id <= $2)"
    " ORDER BY claim_id";

static dc_error_class compare_tables(dc_store *s, dc_audit_report *rep, dc_status *st) {
    batch b;
    memset(&b, 0, sizeof b);
    b.rep = rep;
    if (audit_batch < 1) audit_batch = 1;
    b.slots = malloc((size_t)audit_batch * sizeof *b.slots);
    if (!b.slots) return dc_fail(st, DC_ERR_RESOURCE, "audit: out of memory");
    char claims_sql[256];
    snprintf(claims_sql, sizeof claims_sql, CLAIMS_SQL, audit_batch);
    dc_error_class rc = DC_OK;
    for (;;) {
        b.n = 0;
        b.sorted = false;
        b.upper[0] = '\0';
        const char *p[] = {b.after, b.upper}; /* upper is filled by on_claim before it is read */
        store_read q[] = {{claims_sql, 1, p, on_claim, &b},
                          {audit_sql, 2, p, on_audit, &b},
                          {reviews_sql, 2, p, on_review, &b},
                          {assessments_sql, 2, p, on_assessment, &b}};
        rc = s->ops->read_snapshot(s->self, 4, q, st);
        for (int i = 0; i < b.n; i++) {
            if (rc == DC_OK) check_claim(&b.slots[i], rep);
            json_decref(b.slots[i].result);
            free(b.slots[i].reviews);
        }
        rep->claims += b.n;
        if (rc != DC_OK || b.n < audit_batch) break;
        store_copy(b.after, sizeof b.after, b.upper);
    }
    free(b.slots);
    return rc;
}

/* ---- together ---------------------------------------------------------------------------- */

dc_error_class audit_check(dc_store *s, const audit_checkpoint *cps, int n, dc_audit_report *rep,
                           dc_status *st) {
    dc_error_class rc = walk_chain(s, cps, n, rep, st);
    if (rc == DC_OK && rep->finding == DC_AUDIT_INTACT) rc = compare_tables(s, rep, st);
    return rc;
}

dc_error_class dc_store_audit_check(dc_store *s, const char *checkpoints_path,
                                    const dc_audit_key *key, dc_audit_report *rep, dc_status *st) {
    dc_status st_local_;
    if (!st) st = &st_local_;
    memset(rep, 0, sizeof *rep);
    if (checkpoints_path && !key)
        return dc_fail(st, DC_ERR_INPUT, "audit: checking checkpoints needs the public key");
    audit_checkpoint *cps = NULL;
    int n = 0;
    dc_error_class rc = DC_OK;
    if (checkpoints_path)
        rc = audit_checkpoints_read(checkpoints_path, true, key, &cps, &n, rep, st);
    if (rc == DC_OK && rep->finding == DC_AUDIT_INTACT) rc = audit_check(s, cps, n, rep, st);
    free(cps);
    return rc;
}
