/* imports: SQL for CSV imports of phones (see imports.h). Prepared statements only. */
#include "db/imports.h"

#include <stdio.h>
#include <string.h>

#include "db/phones_internal.h"

#define DRAFT_KEEP (24 * 3600)   /* seconds a draft nobody imported is kept */

int imports_draft(struct db *db, int64_t now, const char *user, const char *file_name, const char *csv, size_t len,
		  int64_t *id)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	bool ok = false;
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM imports WHERE imported_at IS NULL AND created_at < ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, now - DRAFT_KEEP);
		ok = db_step_done(st) == SQLITE_DONE;
	}
	st = ok ? db_prepare(db, "INSERT INTO imports (created_at, user, file_name, csv) VALUES (?1, ?2, ?3, ?4)") : NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, file_name, -1, SQLITE_STATIC);
		sqlite3_bind_blob64(st, 4, len ? csv : "", len, SQLITE_STATIC);
		ok = db_step_done(st) == SQLITE_DONE;
		if (ok)
			*id = db_last_insert_id(db);
	} else
		ok = false;
	return db_commit_or_rollback(db, ok) ? 0 : -1;
}

enum phones_result imports_get(struct db *db, int64_t id, struct import_info *out, struct buf *csv)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, created_at, user, file_name, coalesce(imported_at, 0), created, "
					  "updated, unchanged, csv FROM imports WHERE id = ?1");
	if (!st)
		return PHONES_DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		out->id = sqlite3_column_int64(st, 0);
		out->created_at = sqlite3_column_int64(st, 1);
		db_column_text(out->user, sizeof out->user, st, 2);
		db_column_text(out->file_name, sizeof out->file_name, st, 3);
		out->imported_at = sqlite3_column_int64(st, 4);
		out->created = sqlite3_column_int(st, 5);
		out->updated = sqlite3_column_int(st, 6);
		out->unchanged = sqlite3_column_int(st, 7);
		if (csv) {
			const void *b = sqlite3_column_blob(st, 8);
			buf_append(csv, b ? b : "", (size_t)sqlite3_column_bytes(st, 8));
		}
	}
	db_done(st);
	return rc == SQLITE_ROW ? PHONES_OK : rc == SQLITE_DONE ? PHONES_NOT_FOUND : PHONES_DB_ERROR;
}

static bool link_phone(struct db *db, int64_t import_id, int64_t phone_id)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT OR IGNORE INTO import_phones (import_id, phone_id) VALUES (?1, ?2)");
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, import_id);
	sqlite3_bind_int64(st, 2, phone_id);
	return db_step_done(st) == SQLITE_DONE;
}

enum phones_result imports_store(struct db *db, int64_t id, struct import_write *rows, size_t n, int unchanged,
				 int64_t now, size_t *failed)
{
	*failed = n;
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return PHONES_DB_ERROR;
	enum phones_result res = PHONES_OK;
	/* Imported already (a second click, another tab): nothing twice. */
	sqlite3_stmt *st = db_prepare(db, "SELECT imported_at IS NULL FROM imports WHERE id = ?1");
	if (!st)
		res = PHONES_DB_ERROR;
	else {
		sqlite3_bind_int64(st, 1, id);
		int rc = sqlite3_step(st);
		res = rc == SQLITE_DONE ? PHONES_NOT_FOUND
		      : rc != SQLITE_ROW ? PHONES_DB_ERROR
		      : sqlite3_column_int(st, 0) ? PHONES_OK
						  : PHONES_CONFLICT;
		db_done(st);
	}
	int created = 0, updated = 0;
	for (size_t i = 0; i < n && res == PHONES_OK; i++) {
		struct import_write *w = &rows[i];
		if (w->version == 0) {
			res = phones_insert_locked(db, &w->ph, now, &w->ph.id);
			created++;
		} else {
			res = phones_update_locked(db, &w->ph, w->version, now);
			updated++;
		}
		if (res == PHONES_OK && !link_phone(db, id, w->ph.id))
			res = PHONES_DB_ERROR;
		if (res != PHONES_OK)
			*failed = i;
	}
	if (res == PHONES_OK) {
		st = db_prepare(db, "UPDATE imports SET imported_at = ?2, created = ?3, updated = ?4, unchanged = ?5, "
				    "csv = x'' WHERE id = ?1");
		if (!st)
			res = PHONES_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, now);
			sqlite3_bind_int(st, 3, created);
			sqlite3_bind_int(st, 4, updated);
			sqlite3_bind_int(st, 5, unchanged);
			if (db_step_done(st) != SQLITE_DONE)
				res = PHONES_DB_ERROR;
		}
	}
	if (db_commit_or_rollback(db, res == PHONES_OK))
		return PHONES_OK;
	return res == PHONES_OK ? PHONES_DB_ERROR : res;
}
