/* registrations: SQL for the registrations table (see registrations.h). Prepared statements only. */
#include "db/registrations.h"

#include <stdbool.h>
#include <stdio.h>

int registrations_set(struct db *db, const char *endpoint, const char *address, const char *status, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO registrations (endpoint, address, status, updated_at) "
					  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(endpoint) DO UPDATE SET "
					  "address = excluded.address, status = excluded.status, updated_at = excluded.updated_at");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int registrations_remove(struct db *db, const char *endpoint)
{
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM registrations WHERE endpoint = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int registrations_replace(struct db *db, const struct registration *list, size_t n, int64_t now, char *err,
			  size_t errlen)
{
	/* IMMEDIATE: the write lock is taken (or waited for, busy_timeout) before anything is deleted, so a
	 * busy database fails here with nothing changed. */
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return -1;
	}
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM registrations");
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	if (st)
		db_done(st);
	bool ok = rc == SQLITE_DONE;
	for (size_t i = 0; ok && i < n; i++)
		ok = registrations_set(db, list[i].endpoint, list[i].address, list[i].status, now) == 0;
	if (ok && db_exec(db, "COMMIT") == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s", db_errmsg(db)); /* before ROLLBACK replaces the message */
	/* A failed COMMIT leaves the transaction open; a failed ROLLBACK means SQLite already rolled back. */
	db_exec(db, "ROLLBACK");
	return -1;
}
