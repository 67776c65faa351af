/* users: SQL for users, sessions and failed logins. Prepared statements only. */
#include "db/users.h"

#include <stdio.h>
#include <string.h>

const char *user_role_name(enum user_role role)
{
	switch (role) {
	case ROLE_OWNER: return "owner";
	case ROLE_INTEGRATOR: return "integrator";
	default: return "none";
	}
}

enum user_role user_role_parse(const char *name)
{
	if (name && strcmp(name, "owner") == 0)
		return ROLE_OWNER;
	if (name && strcmp(name, "integrator") == 0)
		return ROLE_INTEGRATOR;
	return ROLE_NONE;
}

static void copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void read_user(sqlite3_stmt *st, struct user *u)
{
	u->id = sqlite3_column_int64(st, 0);
	copy_text(u->name, sizeof u->name, st, 1);
	u->role = user_role_parse((const char *)sqlite3_column_text(st, 2));
	copy_text(u->password_hash, sizeof u->password_hash, st, 3);
	copy_text(u->language, sizeof u->language, st, 4);
	u->disabled = sqlite3_column_int(st, 5) != 0;
}

#define USER_COLUMNS "id, name, role, password_hash, coalesce(language, ''), disabled"

/* Runs a prepared statement expected to change rows: 0 ok, 1 no row changed / constraint, -1 error. */
static int step_change(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_CONSTRAINT)
		return 1;
	if (rc != SQLITE_DONE)
		return -1;
	return db_changes(db) > 0 ? 0 : 1;
}

/* Runs a prepared write where changing no row is fine but any failure (a constraint included) is not:
 * 0 or -1. */
static int step_write(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int users_create(struct db *db, const char *name, enum user_role role, const char *password_hash, int64_t now,
		 int64_t *id_out)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO users (name, role, password_hash, created_at, updated_at) "
			       "VALUES (?1, ?2, ?3, ?4, ?4)");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	int rc = step_change(db, st);
	if (rc == 0 && id_out)
		*id_out = db_last_insert_id(db);
	return rc;
}

static int get_user(struct db *db, const char *sql, const char *name, int64_t id, struct user *out)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_user(st, out);
	db_done(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int users_get_by_name(struct db *db, const char *name, struct user *out)
{
	return get_user(db, "SELECT " USER_COLUMNS " FROM users WHERE name = ?1", name, 0, out);
}

int users_get_by_id(struct db *db, int64_t id, struct user *out)
{
	return get_user(db, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", NULL, id, out);
}

/* Ends a BEGIN IMMEDIATE transaction: COMMIT when rc is 0 or 1 (nothing to change is not an error), else
 * ROLLBACK. A failed COMMIT is an error too: the caller must not report a change that did not happen. */
static int finish_txn(struct db *db, int rc)
{
	if (rc >= 0 && db_exec(db, "COMMIT") == SQLITE_OK)
		return rc;
	db_exec(db, "ROLLBACK");
	return -1;
}

int users_set_password(struct db *db, int64_t id, const char *password_hash, int64_t now,
		       const unsigned char *keep_session)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	int rc = -1;
	sqlite3_stmt *st = db_prepare(db, "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, password_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		rc = step_write(st);
		if (rc == 0 && db_changes(db) == 0)
			rc = 1;
	}
	if (rc == 0) {
		/* token_hash IS NOT NULL holds for every row: with no session to keep, all of them end. */
		st = db_prepare(db, "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS NOT ?2");
		if (!st)
			rc = -1;
		else {
			sqlite3_bind_int64(st, 1, id);
			if (keep_session)
				sqlite3_bind_blob(st, 2, keep_session, 32, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, 2);
			rc = step_write(st);
		}
	}
	if (rc == 1) { /* no such user: nothing was changed */
		db_exec(db, "ROLLBACK");
		return 1;
	}
	return finish_txn(db, rc);
}

int users_set_disabled(struct db *db, int64_t id, bool disabled, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, disabled ? 1 : 0);
	sqlite3_bind_int64(st, 3, now);
	return step_change(db, st);
}

int users_set_language(struct db *db, int64_t id, const char *language, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE users SET language = ?2, updated_at = ?3 WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (language && *language)
		sqlite3_bind_text(st, 2, language, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, now);
	return step_change(db, st);
}

int users_count(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM users");
	if (!st)
		return -1;
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	db_done(st);
	return n;
}

int users_each(struct db *db, int (*fn)(void *ctx, const struct user *u), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " USER_COLUMNS " FROM users ORDER BY name");
	if (!st)
		return -1;
	int rc;
	struct user u;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_user(st, &u);
		if (fn(ctx, &u) != 0)
			break;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int sessions_create(struct db *db, const unsigned char token_hash[32], int64_t user_id, const char *csrf_token,
		    int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen) "
			       "VALUES (?1, ?2, ?3, ?4, ?4)");
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, csrf_token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	return step_change(db, st) == 0 ? 0 : -1;
}

int sessions_lookup(struct db *db, const unsigned char token_hash[32], int64_t now, int idle_seconds,
		    int lifetime_seconds, struct session_row *out)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT user_id, csrf_token, created_at, last_seen FROM sessions WHERE token_hash = ?1");
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_done(st);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	out->user_id = sqlite3_column_int64(st, 0);
	copy_text(out->csrf_token, sizeof out->csrf_token, st, 1);
	out->created_at = sqlite3_column_int64(st, 2);
	out->last_seen = sqlite3_column_int64(st, 3);
	db_done(st);
	if (now - out->last_seen > idle_seconds || now - out->created_at > lifetime_seconds) {
		sessions_delete(db, token_hash);
		return 1;
	}
	return 0;
}

static int session_update(struct db *db, const char *sql, const unsigned char token_hash[32], int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
	if (now >= 0)
		sqlite3_bind_int64(st, 2, now);
	return step_write(st);
}

int sessions_touch(struct db *db, const unsigned char token_hash[32], int64_t now)
{
	return session_update(db, "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1", token_hash, now);
}

int sessions_delete(struct db *db, const unsigned char token_hash[32])
{
	return session_update(db, "DELETE FROM sessions WHERE token_hash = ?1", token_hash, -1);
}

int sessions_delete_for_user(struct db *db, int64_t user_id)
{
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM sessions WHERE user_id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	return step_write(st);
}

int sessions_purge_expired(struct db *db, int64_t now, int idle_seconds, int lifetime_seconds)
{
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now - idle_seconds);
	sqlite3_bind_int64(st, 2, now - lifetime_seconds);
	return step_write(st);
}

/* The counts the limits are checked against, and whether address is usual for username, in one statement. */
static int login_counts(struct db *db, const char *username, const char *address, const struct login_limits *lim,
			int counts[3], bool *usual)
{
	sqlite3_stmt *st = db_prepare(db,
		"SELECT (SELECT count(*) FROM login_failures WHERE username = ?1 AND address = ?2 AND at >= ?3),"
		"       (SELECT count(*) FROM login_failures WHERE address = ?2 AND at >= ?3),"
		"       (SELECT count(*) FROM login_failures WHERE username = ?1 AND at >= ?3),"
		"       EXISTS (SELECT 1 FROM login_addresses a JOIN users u ON u.id = a.user_id"
		"               WHERE u.name = ?1 AND a.address = ?2 AND a.last_login >= ?4)");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, lim->since);
	sqlite3_bind_int64(st, 4, lim->usual_since);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (int i = 0; i < 3; i++)
			counts[i] = sqlite3_column_int(st, i);
		*usual = sqlite3_column_int(st, 3) != 0;
	}
	db_done(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

enum login_attempt login_attempt_begin(struct db *db, const char *username, const char *address, int64_t now,
				       const struct login_limits *lim)
{
	/* IMMEDIATE takes the write lock before the count, so two attempts cannot both count the same failures. */
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return LOGIN_ATTEMPT_ERROR;
	int rc = -1, counts[3];
	bool usual = false;
	/* Purged here, on every attempt, not only after a success: a guesser who never succeeds leaves no more
	 * rows than its addresses can make inside one window. */
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM login_failures WHERE at < ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, lim->since);
		rc = step_write(st);
	}
	if (rc == 0)
		rc = login_counts(db, username, address, lim, counts, &usual);
	if (rc == 0 && (counts[0] >= lim->per_pair || counts[1] >= lim->per_address ||
			(!usual && counts[2] >= lim->per_user)))
		rc = 1;
	if (rc == 0) {
		st = db_prepare(db, "INSERT INTO login_failures (username, address, at) VALUES (?1, ?2, ?3)");
		if (!st)
			rc = -1;
		else {
			sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, now);
			rc = step_change(db, st) == 0 ? 0 : -1;
		}
	}
	rc = finish_txn(db, rc);
	return rc < 0 ? LOGIN_ATTEMPT_ERROR : rc == 1 ? LOGIN_ATTEMPT_THROTTLED : LOGIN_ATTEMPT_ALLOWED;
}

int login_attempt_succeeded(struct db *db, int64_t user_id, const char *username, const char *address, int64_t now,
			    int64_t usual_since)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return -1;
	int rc = -1;
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM login_failures WHERE username = ?1 AND address = ?2");
	if (st) {
		sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
		rc = step_write(st);
	}
	if (rc == 0) {
		st = db_prepare(db, "INSERT INTO login_addresses (user_id, address, last_login) VALUES (?1, ?2, ?3) "
				    "ON CONFLICT (user_id, address) DO UPDATE SET last_login = excluded.last_login");
		if (!st)
			rc = -1;
		else {
			sqlite3_bind_int64(st, 1, user_id);
			sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, now);
			rc = step_change(db, st) == 0 ? 0 : -1;
		}
	}
	if (rc == 0) {
		st = db_prepare(db, "DELETE FROM login_addresses WHERE user_id = ?1 AND last_login < ?2");
		if (!st)
			rc = -1;
		else {
			sqlite3_bind_int64(st, 1, user_id);
			sqlite3_bind_int64(st, 2, usual_since);
			rc = step_write(st);
		}
	}
	return finish_txn(db, rc);
}
