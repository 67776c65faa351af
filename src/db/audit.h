/* audit: the audit trail (issue 12). One row per change made through Centralita, or by Centralita on its own
 * behalf: who, when, from which address, what was changed and how, the AMI actions sent, the outcome. Rows are
 * only ever added, and a row's AMI actions and outcome completed once known (an apply that finishes after the
 * page answered); the database itself refuses any other UPDATE and every DELETE (migration 9's triggers), so
 * nothing in Centralita can rewrite what happened. */
#ifndef DB_AUDIT_H
#define DB_AUDIT_H
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "util/buf.h"

/* One row, for adding and for reading: the strings are the caller's when adding (NULL = ""), and valid only
 * during the callback when reading. */
struct audit_record {
	int64_t id;
	int64_t at;               /* Unix seconds */
	const char *user;         /* the user's name; "centralita" for what the daemon did by itself */
	const char *address;      /* the client's address as nginx gave it; "" from the command line */
	const char *action;       /* what kind of change, a fixed word: "phone.create", "route.move", "cli.command" */
	const char *object;       /* what it was done to: "phone 205", "route 3 (Nacional)", "core show uptime" */
	const char *changes;      /* what changed, one "field: old -> new" per line; never a secret's value */
	const char *ami;          /* the AMI actions sent, one per line ("UpdateConfig centralita/pjsip-3.conf") */
	const char *outcome;      /* "applied", "pending: why", "refused: why", "failed: why", "ok" */
	const char *output;       /* what the PBX answered, when that is the point (the CLI box's output) */
};

/* Adds a row. Returns its id, or -1. */
int64_t audit_add(struct db *db, const struct audit_record *r);

/* Completes row id's AMI actions and outcome (a NULL leaves that column as it is). Returns 0, 1 if there is no
 * such row, or -1. */
int audit_complete(struct db *db, int64_t id, const char *ami, const char *outcome);

/* What a reader asks for; every part is optional ("" or 0 = any). */
struct audit_filter {
	const char *text;         /* appears in the object, changes, outcome or user (ASCII case ignored) */
	const char *user;         /* exactly this user */
	const char *kind;         /* the action's first word: "phone" takes "phone.create", "phone.apply"... */
	int64_t from, to;         /* at in [from, to) */
};

/* Walks the rows that match f, newest first, at most limit of them, calling fn for each (non-zero stops).
 * Keyset pagination on the id (rows are added in time order): older_than > 0 starts below that id; else
 * newer_than > 0 takes the limit rows just above it (still handed over newest first); else the newest.
 * Returns how many rows fn saw, or -1. The order is fixed, never the caller's. */
int audit_each(struct db *db, const struct audit_filter *f, int64_t older_than, int64_t newer_than, int limit,
	       int (*fn)(void *ctx, const struct audit_record *r), void *ctx);

/* ---------- describing a change (the "changes" column) ----------
 * One "field: old -> new" line per changed field of an update; "field: value" per value of what was created
 * (old NULL) or removed (now NULL); nothing for a field left as it was, or empty on both sides. */
void audit_diff(struct buf *b, const char *field, const char *old, const char *now);
void audit_diff_int(struct buf *b, const char *field, const int64_t *old, const int64_t *now);
/* The same for a secret or a password, whose value is never written: "field: set" (created), "field: changed",
 * "field: removed", or nothing when it did not change. */
void audit_diff_secret(struct buf *b, const char *field, const char *old, const char *now);

#endif
