/* trunks: SQL for the SIP provider trunks (see trunks.h). Prepared statements only. Apply state as phones
 * have it (db/phones.c); a change to what the routes dialplan names (a trunk created, renamed, removed, or its
 * caller ID or call limit changed) bumps the dialplan's version in the same transaction (db/routes.h). The
 * secret is stored as phones' are and never logged here. */
#include "db/trunks.h"

#include <stdlib.h>
#include <string.h>

#include "db/routes.h"

#define TRUNK_COLUMNS                                                                                        \
	"id, name, host, port, transport, registration, username, secret, expiration, outbound_auth, "       \
	"from_user, from_domain, codecs, callerid, max_calls, version, deleted, applied_version, "           \
	"coalesce(applied_name, ''), coalesce(applied_digest, ''), coalesce(last_error, ''), attempts, "     \
	"next_attempt_at, blocked, drifted, coalesce(drift_reason, ''), coalesce(restored_at, 0), "          \
	"created_at, updated_at"

static void read_trunk(sqlite3_stmt *st, struct trunk *t)
{
	t->id = sqlite3_column_int64(st, 0);
	db_column_text(t->name, sizeof t->name, st, 1);
	db_column_text(t->host, sizeof t->host, st, 2);
	t->port = sqlite3_column_int(st, 3);
	db_column_text(t->transport, sizeof t->transport, st, 4);
	t->registration = sqlite3_column_int(st, 5) != 0;
	db_column_text(t->username, sizeof t->username, st, 6);
	db_column_text(t->secret, sizeof t->secret, st, 7);
	t->expiration = sqlite3_column_int(st, 8);
	t->outbound_auth = sqlite3_column_int(st, 9) != 0;
	db_column_text(t->from_user, sizeof t->from_user, st, 10);
	db_column_text(t->from_domain, sizeof t->from_domain, st, 11);
	db_column_text(t->codecs, sizeof t->codecs, st, 12);
	db_column_text(t->callerid, sizeof t->callerid, st, 13);
	t->max_calls = sqlite3_column_int(st, 14);
	t->version = sqlite3_column_int64(st, 15);
	t->deleted = sqlite3_column_int(st, 16) != 0;
	t->applied_version = sqlite3_column_int64(st, 17);
	db_column_text(t->applied_name, sizeof t->applied_name, st, 18);
	db_column_text(t->applied_digest, sizeof t->applied_digest, st, 19);
	db_column_text(t->last_error, sizeof t->last_error, st, 20);
	t->attempts = sqlite3_column_int(st, 21);
	t->next_attempt_at = sqlite3_column_int64(st, 22);
	t->blocked = sqlite3_column_int(st, 23) != 0;
	t->drifted = sqlite3_column_int(st, 24) != 0;
	db_column_text(t->drift_reason, sizeof t->drift_reason, st, 25);
	t->restored_at = sqlite3_column_int64(st, 26);
	t->created_at = sqlite3_column_int64(st, 27);
	t->updated_at = sqlite3_column_int64(st, 28);
}

/* COMMIT or ROLLBACK (db_commit_or_rollback) the write's transaction; a failed COMMIT is an error. */
static enum trunks_result finish_txn(struct db *db, enum trunks_result res)
{
	if (db_commit_or_rollback(db, res == TRUNKS_OK))
		return TRUNKS_OK;
	return res == TRUNKS_OK ? TRUNKS_DB_ERROR : res;
}

/* Whether a live trunk other than `except` is named name. */
static enum trunks_result check_name(struct db *db, const char *name, int64_t except)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM trunks WHERE name = ?1 AND deleted = 0 AND id != ?2");
	if (!st)
		return TRUNKS_DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, except);
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? TRUNKS_OK : rc == SQLITE_ROW ? TRUNKS_DUP_NAME : TRUNKS_DB_ERROR;
}

/* The user fields, bound as ?2..?15 (the same numbers in the INSERT and the UPDATE). */
static void bind_fields(sqlite3_stmt *st, const struct trunk *t)
{
	sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, t->port);
	sqlite3_bind_text(st, 5, t->transport, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, t->registration);
	sqlite3_bind_text(st, 7, t->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, t->secret, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, t->expiration);
	sqlite3_bind_int(st, 10, t->outbound_auth);
	sqlite3_bind_text(st, 11, t->from_user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, t->from_domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, t->codecs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, t->callerid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 15, t->max_calls);
}

enum trunks_result trunks_create(struct db *db, const struct trunk *t, int64_t now, int64_t *id)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return TRUNKS_DB_ERROR;
	enum trunks_result res = check_name(db, t->name, 0);
	if (res == TRUNKS_OK) {
		sqlite3_stmt *st = db_prepare(db, "INSERT INTO trunks (name, host, port, transport, registration, "
						  "username, secret, expiration, outbound_auth, from_user, from_domain, "
						  "codecs, callerid, max_calls, created_at, updated_at) VALUES "
						  "(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?1, ?1)");
		if (!st)
			res = TRUNKS_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, now);
			bind_fields(st, t);
			res = db_step_done(st) == SQLITE_DONE ? TRUNKS_OK : TRUNKS_DB_ERROR;
			if (res == TRUNKS_OK && id)
				*id = db_last_insert_id(db);
		}
	}
	/* The emergency numbers' dialplan dials every live trunk. */
	if (res == TRUNKS_OK && dialplan_bump(db, now) != 0)
		res = TRUNKS_DB_ERROR;
	return finish_txn(db, res);
}

/* What of a live trunk the routes dialplan uses, read with the version check. */
struct dialplan_fields {
	char name[TRUNK_NAME_MAX];
	char callerid[TRUNK_CALLERID_MAX];
	int max_calls;
};

/* Checks that trunk id is live at expected_version (OK, NOT_FOUND or CONFLICT); old gets what the dialplan
 * uses of it. */
static enum trunks_result check_version(struct db *db, int64_t id, int64_t expected_version,
					struct dialplan_fields *old)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT version, name, callerid, max_calls FROM trunks "
					  "WHERE id = ?1 AND deleted = 0");
	if (!st)
		return TRUNKS_DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	enum trunks_result res = rc == SQLITE_DONE ? TRUNKS_NOT_FOUND
				 : rc != SQLITE_ROW ? TRUNKS_DB_ERROR
				 : sqlite3_column_int64(st, 0) == expected_version ? TRUNKS_OK
										    : TRUNKS_CONFLICT;
	if (res == TRUNKS_OK) {
		db_column_text(old->name, sizeof old->name, st, 1);
		db_column_text(old->callerid, sizeof old->callerid, st, 2);
		old->max_calls = sqlite3_column_int(st, 3);
	}
	db_done(st);
	return res;
}

enum trunks_result trunks_update(struct db *db, const struct trunk *t, int64_t expected_version, int64_t now)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return TRUNKS_DB_ERROR;
	struct dialplan_fields old = { 0 };
	enum trunks_result res = check_version(db, t->id, expected_version, &old);
	if (res == TRUNKS_OK)
		res = check_name(db, t->name, t->id);
	if (res == TRUNKS_OK) {
		sqlite3_stmt *st = db_prepare(db, "UPDATE trunks SET name = ?2, host = ?3, port = ?4, transport = ?5, "
						  "registration = ?6, username = ?7, secret = ?8, expiration = ?9, "
						  "outbound_auth = ?10, from_user = ?11, from_domain = ?12, codecs = ?13, "
						  "callerid = ?14, max_calls = ?15, version = version + 1, attempts = 0, "
						  "next_attempt_at = 0, blocked = 0, updated_at = ?16 WHERE id = ?1");
		if (!st)
			res = TRUNKS_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, t->id);
			bind_fields(st, t);
			sqlite3_bind_int64(st, 16, now);
			res = db_step_done(st) == SQLITE_DONE ? TRUNKS_OK : TRUNKS_DB_ERROR;
		}
	}
	/* Only what the routes dialplan says of the trunk changes the dialplan; the rest is the trunk's own file. */
	bool dialplan = res == TRUNKS_OK && (strcmp(old.name, t->name) != 0 ||
					     strcmp(old.callerid, t->callerid) != 0 || old.max_calls != t->max_calls);
	if (dialplan && dialplan_bump(db, now) != 0)
		res = TRUNKS_DB_ERROR;
	return finish_txn(db, res);
}

enum trunks_result trunks_remove(struct db *db, int64_t id, int64_t expected_version, int64_t now)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return TRUNKS_DB_ERROR;
	struct dialplan_fields old = { 0 };
	enum trunks_result res = check_version(db, id, expected_version, &old);
	if (res == TRUNKS_OK) {
		sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM route_trunks WHERE trunk_id = ?1 LIMIT 1");
		if (!st)
			res = TRUNKS_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, id);
			int rc = sqlite3_step(st);
			db_done(st);
			res = rc == SQLITE_DONE ? TRUNKS_OK : rc == SQLITE_ROW ? TRUNKS_IN_USE : TRUNKS_DB_ERROR;
		}
	}
	if (res == TRUNKS_OK) {
		sqlite3_stmt *st = db_prepare(db, "UPDATE trunks SET deleted = 1, version = version + 1, attempts = 0, "
						  "next_attempt_at = 0, blocked = 0, updated_at = ?2 WHERE id = ?1");
		if (!st)
			res = TRUNKS_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, now);
			res = db_step_done(st) == SQLITE_DONE ? TRUNKS_OK : TRUNKS_DB_ERROR;
		}
	}
	if (res == TRUNKS_OK && dialplan_bump(db, now) != 0)
		res = TRUNKS_DB_ERROR;
	return finish_txn(db, res);
}

static enum trunks_result get_one(struct db *db, const char *sql, int64_t id, const char *name, struct trunk *out)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return TRUNKS_DB_ERROR;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_trunk(st, out);
	db_done(st);
	return rc == SQLITE_ROW ? TRUNKS_OK : rc == SQLITE_DONE ? TRUNKS_NOT_FOUND : TRUNKS_DB_ERROR;
}

enum trunks_result trunks_get(struct db *db, int64_t id, struct trunk *out)
{
	return get_one(db, "SELECT " TRUNK_COLUMNS " FROM trunks WHERE id = ?1", id, NULL, out);
}

enum trunks_result trunks_get_live_by_name(struct db *db, const char *name, struct trunk *out)
{
	return get_one(db, "SELECT " TRUNK_COLUMNS " FROM trunks WHERE name = ?1 AND deleted = 0", 0, name, out);
}

int trunks_list(struct db *db, int (*fn)(void *ctx, const struct trunk *t), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " TRUNK_COLUMNS " FROM trunks WHERE deleted = 0 ORDER BY name");
	if (!st)
		return -1;
	int n = 0, rc;
	struct trunk t;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_trunk(st, &t);
		n++;
		if (fn(ctx, &t) != 0)
			break;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

static int append_trunk(void *ctx, const struct trunk *t)
{
	struct trunk_array *a = ctx;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->items = realloc(a->items, a->cap * sizeof *a->items);
		if (!a->items)
			abort();
	}
	a->items[a->n++] = *t;
	return 0;
}

int trunks_all(struct db *db, struct trunk_array *out)
{
	return trunks_list(db, append_trunk, out) < 0 ? -1 : 0;
}

void trunk_array_free(struct trunk_array *a)
{
	free(a->items);
	memset(a, 0, sizeof *a);
}

int trunks_count_pending(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM trunks WHERE applied_version < version OR deleted = 1");
	if (!st)
		return -1;
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	db_done(st);
	return n;
}

/* Up to max ids from the first column of st's rows; -1 if a step failed. */
static int collect_ids(sqlite3_stmt *st, int64_t *ids, int max)
{
	int n = 0, rc = SQLITE_DONE;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

int trunks_due(struct db *db, int64_t now, int64_t *ids, int max)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM trunks WHERE (applied_version < version OR deleted = 1) "
					  "AND blocked = 0 AND next_attempt_at <= ?1 ORDER BY updated_at, id LIMIT ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, max);
	return collect_ids(st, ids, max);
}

int trunks_ids_after(struct db *db, int64_t after, int64_t *ids, int max)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM trunks WHERE id > ?1 ORDER BY id LIMIT ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, max);
	return collect_ids(st, ids, max);
}

int trunks_mark_applied(struct db *db, int64_t id, int64_t version, const char *name, const char *digest, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE trunks SET applied_version = ?2, applied_name = ?3, "
					  "applied_digest = ?4, last_error = NULL, attempts = 0, next_attempt_at = 0, "
					  "blocked = 0, restored_at = CASE WHEN drifted = 1 THEN ?5 ELSE restored_at END, "
					  "drifted = 0 WHERE id = ?1 AND applied_version <= ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	if (name && *name)
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (digest && *digest)
		sqlite3_bind_text(st, 4, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

int trunks_mark_drifted(struct db *db, int64_t id, int64_t version, const char *reason)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE trunks SET applied_version = 0, drifted = 1, drift_reason = ?3, "
					  "last_error = ?3, attempts = 0, next_attempt_at = 0, blocked = 0, "
					  "applied_digest = NULL "
					  "WHERE id = ?1 AND version = ?2 AND deleted = 0 AND applied_version = version");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return db_changes(db) == 1 ? 0 : 1;
}

int trunks_mark_outdated(struct db *db, int64_t id, int64_t version)
{
	/* The digest stays: the apply compares it with what it would write and sends the file only if it differs. */
	sqlite3_stmt *st = db_prepare(db, "UPDATE trunks SET applied_version = 0, attempts = 0, next_attempt_at = 0, "
					  "blocked = 0, last_error = NULL "
					  "WHERE id = ?1 AND version = ?2 AND deleted = 0 AND applied_version = version");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return db_changes(db) == 1 ? 0 : 1;
}

int trunks_mark_failed(struct db *db, int64_t id, int64_t version, const char *error, int64_t next_attempt_at,
		       bool blocked)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE trunks SET last_error = ?2, attempts = attempts + 1, "
					  "next_attempt_at = ?3, blocked = ?4 WHERE id = ?1 AND version = ?5");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, next_attempt_at);
	sqlite3_bind_int(st, 4, blocked);
	sqlite3_bind_int64(st, 5, version);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

int trunks_purge(struct db *db, int64_t id, int64_t version)
{
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM trunks WHERE id = ?1 AND deleted = 1 AND version = ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}
