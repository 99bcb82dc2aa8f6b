/* Inside audit verification: the checkpoint lines (audit_checkpoint.c) and the check that walks
 * the chain against them and compares the tables (audit_verify.c). The formats and guarantees are
 * in include/dashclaim/store.h ("audit verification and signed checkpoints"). */
#ifndef DASHCLAIM_STORE_AUDIT_INTERNAL_H
#define DASHCLAIM_STORE_AUDIT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "store_internal.h"

/* One verified checkpoint line. */
typedef struct {
    int line; /* 1-based, in its file */
    char store[65];
    int64_t length;
    char head[65];
    char at[32];
} audit_checkpoint;

/* Reads every line of path (blank lines and lines starting with '#' are skipped), parses each and
 * verifies its signature under key. *cps (caller frees) gets them sorted by length (then line).
 * A bad line fills rep (DC_AUDIT_CHECKPOINT_BAD, naming the line) and returns DC_OK with *n = 0.
 * A missing file is DC_ERR_INPUT when must_exist, else no lines. */
dc_error_class audit_checkpoints_read(const char *path, bool must_exist, const dc_audit_key *key,
                                      audit_checkpoint **cps, int *n, dc_audit_report *rep,
                                      dc_status *st);

/* The check behind dc_store_audit_check, against checkpoints already read (n may be 0). */
dc_error_class audit_check(dc_store *s, const audit_checkpoint *cps, int n, dc_audit_report *rep,
                           dc_status *st);

/* Claims compared per snapshot (default 2048; tests lower it to cross batch boundaries). */
extern int audit_batch;

/* Records the first finding in rep (a later call keeps the earlier finding, except that a state
 * mismatch with a smaller audit row replaces one with a larger or none). */
void audit_report(dc_audit_report *rep, dc_audit_finding f, int64_t seq, int line,
                  const char *claim_id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
