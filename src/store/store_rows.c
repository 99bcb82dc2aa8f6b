/* Rows into the store's structs, the same for both backends: each backend hands a store_row (how
 * to read column n of its current result row as text or as a number), and the column order is
 * the one written next to each function in store_internal.h. One place decides which column fills
 * which field, so a field added to a struct is read the same way on SQLite and PostgreSQL. */
#include <string.h>

#include "store_internal.h"

static void text(const store_row *r, int col, char *dst, size_t size) {
    r->text(r, col, dst, size);
}

void store_row_fields(const store_row *r, int first, dc_claim_fields *f) {
    text(r, first, f->policy_id, sizeof f->policy_id);
    text(r, first + 1, f->claimant, sizeof f->claimant);
    text(r, first + 2, f->plate, sizeof f->plate);
    text(r, first + 3, f->location, sizeof f->location);
    text(r, first + 4, f->reported_damage, sizeof f->reported_damage);
}

void store_row_incident(const store_row *r, int first, dc_claim_fields *f) {
    text(r, first, f->incident_time, sizeof f->incident_time);
    text(r, first + 1, f->incident_place, sizeof f->incident_place);
}

void store_row_claim_video(const store_row *r, dc_store_claim_video *v) {
    memset(v, 0, sizeof *v);
    char role[16];
    text(r, 0, role, sizeof role);
    v->role = dc_video_role_from_name(role);
    v->segment = (int)r->i64(r, 1);
    text(r, 2, v->video.sha256, sizeof v->video.sha256);
    v->video.bytes = r->i64(r, 3);
    text(r, 4, v->content_type, sizeof v->content_type);
    text(r, 5, v->file_name, sizeof v->file_name);
}

void store_row_claim(const store_row *r, dc_store_claim *c) {
    memset(c, 0, sizeof *c);
    text(r, 0, c->id, sizeof c->id);
    c->state = (dc_claim_state)r->i64(r, 1);
    text(r, 2, c->video_sha256, sizeof c->video_sha256);
    c->video_bytes = r->i64(r, 3);
    text(r, 4, c->content_type, sizeof c->content_type);
    text(r, 5, c->idempotency_key, sizeof c->idempotency_key);
    text(r, 6, c->uploader, sizeof c->uploader);
    store_row_fields(r, 7, &c->fields);
    c->attempts = (int)r->i64(r, 12);
    c->error_class = (dc_error_class)r->i64(r, 13);
    text(r, 14, c->error_message, sizeof c->error_message);
    c->review_priority = (int)r->i64(r, 15);
    c->severity = (int)r->i64(r, 16);
    text(r, 17, c->last_decision, sizeof c->last_decision);
    c->created_ms = r->i64(r, 18);
    c->updated_ms = r->i64(r, 19);
    store_row_incident(r, 20, &c->fields);
    c->video_count = (int)r->i64(r, 22);
}

void store_row_key(const store_row *r, dc_store_key *k, char *hash) {
    memset(k, 0, sizeof *k);
    text(r, 0, k->id, sizeof k->id);
    text(r, 1, k->name, sizeof k->name);
    k->role = (dc_role)r->i64(r, 2);
    k->revoked = r->i64(r, 3) != 0;
    k->created_ms = r->i64(r, 4);
    k->revoked_ms = r->i64(r, 5);
    if (hash) text(r, 6, hash, 65);
}
