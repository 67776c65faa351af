/* pending: the changes waiting for the PBX, read across three tables (see pending.h). */
#include "db/pending.h"

/* One row per waiting change: phones and trunks not applied at their version (or removed and not yet taken
 * off), and the routes dialplan when its version is ahead of the applied one. */
#define WAITING                                                                                                \
	"SELECT 'phone', id, extension || CASE WHEN name <> '' THEN ' (' || name || ')' ELSE '' END, deleted,"     \
	" coalesce(last_error, ''), attempts, next_attempt_at, blocked, updated_at FROM phones"                      \
	" WHERE applied_version < version OR deleted = 1"                                                            \
	" UNION ALL SELECT 'trunk', id, name, deleted, coalesce(last_error, ''), attempts, next_attempt_at, blocked," \
	" updated_at FROM trunks WHERE applied_version < version OR deleted = 1"                                     \
	" UNION ALL SELECT 'dialplan', 1, '', 0, coalesce(last_error, ''), attempts, next_attempt_at, blocked,"      \
	" updated_at FROM dialplan_state WHERE applied_version < version"

int pending_each(struct db *db, int limit, int (*fn)(void *ctx, const struct pending_item *it), void *ctx)
{
	sqlite3_stmt *count = db_prepare(db, "SELECT COUNT(*) FROM (" WAITING ")");
	if (!count)
		return -1;
	int total = sqlite3_step(count) == SQLITE_ROW ? sqlite3_column_int(count, 0) : -1;
	db_done(count);
	if (total < 0)
		return -1;
	sqlite3_stmt *st = db_prepare(db, "SELECT * FROM (" WAITING ") ORDER BY 9, 1, 2 LIMIT ?1");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pending_item it = {
			.kind = (const char *)sqlite3_column_text(st, 0),
			.id = sqlite3_column_int64(st, 1),
			.label = (const char *)sqlite3_column_text(st, 2),
			.removal = sqlite3_column_int(st, 3) != 0,
			.last_error = (const char *)sqlite3_column_text(st, 4),
			.attempts = sqlite3_column_int(st, 5),
			.next_attempt_at = sqlite3_column_int64(st, 6),
			.blocked = sqlite3_column_int(st, 7) != 0,
		};
		if (fn(ctx, &it) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? total : -1;
}

int pending_retry_now(struct db *db)
{
	static const char *const due_now[] = {
		"UPDATE phones SET next_attempt_at = 0"
		" WHERE (applied_version < version OR deleted = 1) AND blocked = 0 AND next_attempt_at > 0",
		"UPDATE trunks SET next_attempt_at = 0"
		" WHERE (applied_version < version OR deleted = 1) AND blocked = 0 AND next_attempt_at > 0",
		"UPDATE dialplan_state SET next_attempt_at = 0"
		" WHERE applied_version < version AND blocked = 0 AND next_attempt_at > 0",
	};
	int n = 0;
	for (size_t i = 0; i < sizeof due_now / sizeof *due_now; i++) {
		sqlite3_stmt *st = db_prepare(db, due_now[i]);
		if (!st || db_step_done(st) != SQLITE_DONE)
			return -1;
		n += db_changes(db);
	}
	return n;
}
