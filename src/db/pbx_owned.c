/* pbx_owned: the ownership table (see pbx_owned.h). */
#include "db/pbx_owned.h"

#include <string.h>

int owned_get(struct db *db, const char *file, const char *category, const char *type,
	      char digest[OWNED_DIGEST_HEX])
{
	sqlite3_stmt *st = db_prepare(db, "SELECT state, digest FROM pbx_owned WHERE file = ?1 AND category = ?2 AND "
					  "type = ?3");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, category, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, type ? type : "", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), state = -1;
	if (rc == SQLITE_DONE) {
		state = OWNED_NONE;
	} else if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		state = s && strcmp(s, "owned") == 0 ? OWNED_OWNED : OWNED_CLAIMED;
		if (digest) {
			const char *d = (const char *)sqlite3_column_text(st, 1);
			size_t n = d ? strlen(d) : 0;
			if (n >= OWNED_DIGEST_HEX)
				n = OWNED_DIGEST_HEX - 1;
			memcpy(digest, d ? d : "", n);
			digest[n] = '\0';
		}
	}
	db_done(st);
	return state;
}

static int change(struct db *db, const char *sql, const char *file, const char *category, const char *type,
		  const char *digest, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, category, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, type ? type : "", -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 5) {
		sqlite3_bind_text(st, 4, digest ? digest : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now);
	}
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int owned_confirm(struct db *db, const char *file, const char *category, const char *type, const char *digest,
		  int64_t now)
{
	return change(db,
		      "INSERT INTO pbx_owned (file, category, type, state, digest, updated_at) "
		      "VALUES (?1, ?2, ?3, 'owned', ?4, ?5) ON CONFLICT (file, category, type) DO UPDATE SET "
		      "state = 'owned', digest = excluded.digest, updated_at = excluded.updated_at",
		      file, category, type, digest, now);
}

int owned_forget(struct db *db, const char *file, const char *category, const char *type, bool only_claimed)
{
	if (!type)
		return change(db, "DELETE FROM pbx_owned WHERE file = ?1 AND category = ?2 AND ?3 = ?3", file, category,
			      "", NULL, 0);
	return change(db,
		      only_claimed ? "DELETE FROM pbx_owned WHERE file = ?1 AND category = ?2 AND type = ?3 AND "
				     "state = 'claimed'"
				   : "DELETE FROM pbx_owned WHERE file = ?1 AND category = ?2 AND type = ?3",
		      file, category, type, NULL, 0);
}

int owned_has_name(struct db *db, const char *file, const char *category)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM pbx_owned WHERE file = ?1 AND category = ?2 LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, category, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int owned_each(struct db *db, int (*fn)(void *ctx, const char *file, const char *category, const char *type),
	       void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT file, category, type FROM pbx_owned ORDER BY file, category, type");
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
