/* audit: the audit trail (issue 12). One row per change made through Centralita, or by Centralita on its own
 * behalf: who, when, from which address, what was changed and how, the AMI actions sent, the outcome. Rows are
 * only ever added, and a row's AMI actions and outcome completed once known (an apply that finishes after the
 * page answered); the database itself refuses any other UPDATE and every DELETE (migration 9's triggers), so
 * nothing in Centralita can rewrite what happened. */
#ifndef DB_AUDIT_H
#define DB_AUDIT_H
#include <stdint.h>

#include "db/db.h"

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

#endif
