/* audit: adding rows to the audit trail and completing their outcome (see audit.h; schema: migration 9). */
#include "db/audit.h"

static void bind_text_or_empty(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

int64_t audit_add(struct db *db, const struct audit_record *r)
{
	sqlite3_stmt *st = db_prepare(db,
		"INSERT INTO audit (at, user, address, action, object, changes, ami, outcome, output)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, r->at);
	bind_text_or_empty(st, 2, r->user);
	bind_text_or_empty(st, 3, r->address);
	bind_text_or_empty(st, 4, r->action);
	bind_text_or_empty(st, 5, r->object);
	bind_text_or_empty(st, 6, r->changes);
	bind_text_or_empty(st, 7, r->ami);
	bind_text_or_empty(st, 8, r->outcome);
	bind_text_or_empty(st, 9, r->output);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return db_last_insert_id(db);
}

int audit_complete(struct db *db, int64_t id, const char *ami, const char *outcome)
{
	sqlite3_stmt *st = db_prepare(db,
		"UPDATE audit SET ami = coalesce(?2, ami), outcome = coalesce(?3, outcome) WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (ami)
		sqlite3_bind_text(st, 2, ami, -1, SQLITE_STATIC);
	if (outcome)
		sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return db_changes(db) == 1 ? 0 : 1;
}
