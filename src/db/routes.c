/* routes: SQL for the outbound routes and the routes dialplan's apply state (see routes.h). Prepared statements
 * only. A route is a row of routes plus its patterns, trunks and classes (one table each, in the order given),
 * always written together in one transaction, with the dialplan's version bump. Priorities stay 1..n: a create
 * appends, a delete closes the gap, a move swaps two neighbours (through negative values, since the unique
 * index on priority is checked row by row). */
#include "db/routes.h"

#include <string.h>

#define ROUTE_COLUMNS "id, name, priority, strip, prepend, callerid, version, created_at, updated_at"

/* COMMIT or ROLLBACK (db_commit_or_rollback) the write's transaction; a failed COMMIT is an error. */
static enum routes_result finish_txn(struct db *db, enum routes_result res)
{
	if (db_commit_or_rollback(db, res == ROUTES_OK))
		return ROUTES_OK;
	return res == ROUTES_OK ? ROUTES_DB_ERROR : res;
}

/* Runs a change statement whose only parameter, if any, is ?1 = arg: OK or DB_ERROR. */
static enum routes_result run(struct db *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return ROUTES_DB_ERROR;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	return db_step_done(st) == SQLITE_DONE ? ROUTES_OK : ROUTES_DB_ERROR;
}

/* Reads a route's patterns, trunks and classes into r (its row already read). Called while the statement that
 * read the row is still active, so that everything comes from one snapshot. */
static enum routes_result read_children(struct db *db, struct route *r)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT pattern FROM route_patterns WHERE route_id = ?1 ORDER BY pos");
	if (!st)
		return ROUTES_DB_ERROR;
	sqlite3_bind_int64(st, 1, r->id);
	int rc;
	r->n_patterns = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r->n_patterns < ROUTE_MAX_PATTERNS) {
		db_column_text(r->patterns[r->n_patterns], sizeof r->patterns[0], st, 0);
		r->n_patterns++;
	}
	db_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ROUTES_DB_ERROR;

	st = db_prepare(db, "SELECT trunk_id FROM route_trunks WHERE route_id = ?1 ORDER BY pos");
	if (!st)
		return ROUTES_DB_ERROR;
	sqlite3_bind_int64(st, 1, r->id);
	r->n_trunks = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r->n_trunks < ROUTE_MAX_TRUNKS)
		r->trunks[r->n_trunks++] = sqlite3_column_int64(st, 0);
	db_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ROUTES_DB_ERROR;

	st = db_prepare(db, "SELECT class FROM route_classes WHERE route_id = ?1 ORDER BY pos");
	if (!st)
		return ROUTES_DB_ERROR;
	sqlite3_bind_int64(st, 1, r->id);
	r->n_classes = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r->n_classes < ROUTE_MAX_CLASSES) {
		db_column_text(r->classes[r->n_classes], sizeof r->classes[0], st, 0);
		r->n_classes++;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ROUTES_OK : ROUTES_DB_ERROR;
}

/* A route row (ROUTE_COLUMNS) and then its children. */
static enum routes_result read_route(struct db *db, sqlite3_stmt *st, struct route *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	db_column_text(r->name, sizeof r->name, st, 1);
	r->priority = sqlite3_column_int(st, 2);
	r->strip = sqlite3_column_int(st, 3);
	db_column_text(r->prepend, sizeof r->prepend, st, 4);
	db_column_text(r->callerid, sizeof r->callerid, st, 5);
	r->version = sqlite3_column_int64(st, 6);
	r->created_at = sqlite3_column_int64(st, 7);
	r->updated_at = sqlite3_column_int64(st, 8);
	return read_children(db, r);
}

/* Whether a route other than `except` is named name (names compare without ASCII case). */
static enum routes_result check_name(struct db *db, const char *name, int64_t except)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM routes WHERE name = ?1 AND id != ?2");
	if (!st)
		return ROUTES_DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, except);
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? ROUTES_OK : rc == SQLITE_ROW ? ROUTES_DUP_NAME : ROUTES_DB_ERROR;
}

/* Every trunk r lists is live (not removed, not being removed). */
static enum routes_result check_trunks(struct db *db, const struct route *r)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT 1 FROM trunks WHERE id = ?1 AND deleted = 0");
	if (!st)
		return ROUTES_DB_ERROR;
	for (int i = 0; i < r->n_trunks; i++) {
		sqlite3_bind_int64(st, 1, r->trunks[i]);
		int rc = sqlite3_step(st);
		db_done(st);
		if (rc == SQLITE_DONE)
			return ROUTES_NO_TRUNK;
		if (rc != SQLITE_ROW)
			return ROUTES_DB_ERROR;
	}
	return ROUTES_OK;
}

/* The counts a route's arrays hold (the rules of what goes in them are pbx_route_check's). */
static bool counts_fit(const struct route *r)
{
	return r->n_patterns >= 1 && r->n_patterns <= ROUTE_MAX_PATTERNS && r->n_trunks >= 1 &&
	       r->n_trunks <= ROUTE_MAX_TRUNKS && r->n_classes >= 0 && r->n_classes <= ROUTE_MAX_CLASSES;
}

/* Inserts one child row (route_id, pos, value): value is text, or the integer ival when text is NULL. */
static enum routes_result insert_child(struct db *db, const char *sql, int64_t route_id, int pos, const char *value,
				       int64_t ival)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return ROUTES_DB_ERROR;
	sqlite3_bind_int64(st, 1, route_id);
	sqlite3_bind_int(st, 2, pos);
	if (value)
		sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 3, ival);
	return db_step_done(st) == SQLITE_DONE ? ROUTES_OK : ROUTES_DB_ERROR;
}

/* Deletes route id's patterns, trunks and classes. */
static enum routes_result delete_children(struct db *db, int64_t id)
{
	enum routes_result res = run(db, "DELETE FROM route_patterns WHERE route_id = ?1", id);
	if (res == ROUTES_OK)
		res = run(db, "DELETE FROM route_trunks WHERE route_id = ?1", id);
	if (res == ROUTES_OK)
		res = run(db, "DELETE FROM route_classes WHERE route_id = ?1", id);
	return res;
}

/* Writes r's patterns, trunks and classes as route id's (none there yet). */
static enum routes_result insert_children(struct db *db, int64_t id, const struct route *r)
{
	enum routes_result res = ROUTES_OK;
	for (int i = 0; res == ROUTES_OK && i < r->n_patterns; i++)
		res = insert_child(db, "INSERT INTO route_patterns (route_id, pos, pattern) VALUES (?1, ?2, ?3)", id, i,
				   r->patterns[i], 0);
	for (int i = 0; res == ROUTES_OK && i < r->n_trunks; i++)
		res = insert_child(db, "INSERT INTO route_trunks (route_id, pos, trunk_id) VALUES (?1, ?2, ?3)", id, i,
				   NULL, r->trunks[i]);
	for (int i = 0; res == ROUTES_OK && i < r->n_classes; i++)
		res = insert_child(db, "INSERT INTO route_classes (route_id, pos, class) VALUES (?1, ?2, ?3)", id, i,
				   r->classes[i], 0);
	return res;
}

/* The route's own fields, bound as ?2..?5 (the same numbers in the INSERT and the UPDATE). */
static void bind_fields(sqlite3_stmt *st, const struct route *r)
{
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->strip);
	sqlite3_bind_text(st, 4, r->prepend, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->callerid, -1, SQLITE_STATIC);
}

enum routes_result routes_create(struct db *db, const struct route *r, int64_t now, int64_t *id)
{
	if (!counts_fit(r))
		return ROUTES_DB_ERROR;
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return ROUTES_DB_ERROR;
	enum routes_result res = check_name(db, r->name, 0);
	if (res == ROUTES_OK)
		res = check_trunks(db, r);
	int64_t new_id = 0;
	if (res == ROUTES_OK) {
		sqlite3_stmt *st = db_prepare(db, "INSERT INTO routes (name, priority, strip, prepend, callerid, "
						  "created_at, updated_at) VALUES (?2, "
						  "(SELECT coalesce(max(priority), 0) + 1 FROM routes), ?3, ?4, ?5, ?1, ?1)");
		if (!st)
			res = ROUTES_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, now);
			bind_fields(st, r);
			res = db_step_done(st) == SQLITE_DONE ? ROUTES_OK : ROUTES_DB_ERROR;
			new_id = db_last_insert_id(db);
		}
	}
	if (res == ROUTES_OK)
		res = insert_children(db, new_id, r);
	if (res == ROUTES_OK && dialplan_bump(db, now) != 0)
		res = ROUTES_DB_ERROR;
	res = finish_txn(db, res);
	if (res == ROUTES_OK && id)
		*id = new_id;
	return res;
}

/* Checks that route id exists at expected_version (OK, NOT_FOUND or CONFLICT); *priority gets its priority. */
static enum routes_result check_version(struct db *db, int64_t id, int64_t expected_version, int *priority)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT version, priority FROM routes WHERE id = ?1");
	if (!st)
		return ROUTES_DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	enum routes_result res = rc == SQLITE_DONE ? ROUTES_NOT_FOUND
				 : rc != SQLITE_ROW ? ROUTES_DB_ERROR
				 : sqlite3_column_int64(st, 0) == expected_version ? ROUTES_OK
										    : ROUTES_CONFLICT;
	if (res == ROUTES_OK)
		*priority = sqlite3_column_int(st, 1);
	db_done(st);
	return res;
}

enum routes_result routes_update(struct db *db, const struct route *r, int64_t expected_version, int64_t now)
{
	if (!counts_fit(r))
		return ROUTES_DB_ERROR;
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return ROUTES_DB_ERROR;
	int priority;
	enum routes_result res = check_version(db, r->id, expected_version, &priority);
	if (res == ROUTES_OK)
		res = check_name(db, r->name, r->id);
	if (res == ROUTES_OK)
		res = check_trunks(db, r);
	if (res == ROUTES_OK) {
		sqlite3_stmt *st = db_prepare(db, "UPDATE routes SET name = ?2, strip = ?3, prepend = ?4, callerid = ?5, "
						  "version = version + 1, updated_at = ?6 WHERE id = ?1");
		if (!st)
			res = ROUTES_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, r->id);
			bind_fields(st, r);
			sqlite3_bind_int64(st, 6, now);
			res = db_step_done(st) == SQLITE_DONE ? ROUTES_OK : ROUTES_DB_ERROR;
		}
	}
	if (res == ROUTES_OK)
		res = delete_children(db, r->id);
	if (res == ROUTES_OK)
		res = insert_children(db, r->id, r);
	if (res == ROUTES_OK && dialplan_bump(db, now) != 0)
		res = ROUTES_DB_ERROR;
	return finish_txn(db, res);
}

enum routes_result routes_delete(struct db *db, int64_t id, int64_t expected_version, int64_t now)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return ROUTES_DB_ERROR;
	int priority = 0;
	enum routes_result res = check_version(db, id, expected_version, &priority);
	if (res == ROUTES_OK)
		res = delete_children(db, id);
	if (res == ROUTES_OK)
		res = run(db, "DELETE FROM routes WHERE id = ?1", id);
	/* The routes after it move up by one: negated first, so no two rows ever hold one priority. */
	if (res == ROUTES_OK)
		res = run(db, "UPDATE routes SET priority = -(priority - 1) WHERE priority > ?1", priority);
	if (res == ROUTES_OK)
		res = run(db, "UPDATE routes SET priority = -priority WHERE priority < 0", 0);
	if (res == ROUTES_OK && dialplan_bump(db, now) != 0)
		res = ROUTES_DB_ERROR;
	return finish_txn(db, res);
}

enum routes_result routes_move(struct db *db, int64_t id, bool up, int64_t expected_version, int64_t now)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return ROUTES_DB_ERROR;
	int priority = 0;
	enum routes_result res = check_version(db, id, expected_version, &priority);
	int64_t other = 0;
	int other_priority = 0;
	if (res == ROUTES_OK) {
		sqlite3_stmt *st = db_prepare(db, up ? "SELECT id, priority FROM routes WHERE priority < ?1 "
						       "ORDER BY priority DESC LIMIT 1"
						     : "SELECT id, priority FROM routes WHERE priority > ?1 "
						       "ORDER BY priority LIMIT 1");
		if (!st)
			res = ROUTES_DB_ERROR;
		else {
			sqlite3_bind_int(st, 1, priority);
			int rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				other = sqlite3_column_int64(st, 0);
				other_priority = sqlite3_column_int(st, 1);
			} else if (rc != SQLITE_DONE) {
				res = ROUTES_DB_ERROR;
			}
			db_done(st);
		}
	}
	if (res == ROUTES_OK && other == 0) /* already first (or last): nothing changes */
		return finish_txn(db, res);
	if (res == ROUTES_OK) {
		sqlite3_stmt *st = db_prepare(db, "UPDATE routes SET priority = -(CASE id WHEN ?1 THEN ?4 ELSE ?3 END), "
						  "version = version + (id = ?1), "
						  "updated_at = CASE id WHEN ?1 THEN ?5 ELSE updated_at END "
						  "WHERE id IN (?1, ?2)");
		if (!st)
			res = ROUTES_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, other);
			sqlite3_bind_int(st, 3, priority);
			sqlite3_bind_int(st, 4, other_priority);
			sqlite3_bind_int64(st, 5, now);
			res = db_step_done(st) == SQLITE_DONE && db_changes(db) == 2 ? ROUTES_OK : ROUTES_DB_ERROR;
		}
	}
	if (res == ROUTES_OK)
		res = run(db, "UPDATE routes SET priority = -priority WHERE priority < 0", 0);
	if (res == ROUTES_OK && dialplan_bump(db, now) != 0)
		res = ROUTES_DB_ERROR;
	return finish_txn(db, res);
}

enum routes_result routes_get(struct db *db, int64_t id, struct route *out)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " ROUTE_COLUMNS " FROM routes WHERE id = ?1");
	if (!st)
		return ROUTES_DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	enum routes_result res = rc == SQLITE_ROW ? read_route(db, st, out)
				 : rc == SQLITE_DONE ? ROUTES_NOT_FOUND
						     : ROUTES_DB_ERROR;
	db_done(st);
	return res;
}

int routes_list(struct db *db, int (*fn)(void *ctx, const struct route *r), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " ROUTE_COLUMNS " FROM routes ORDER BY priority");
	if (!st)
		return -1;
	int n = 0, rc;
	struct route r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_route(db, st, &r) != ROUTES_OK) {
			rc = SQLITE_ERROR;
			break;
		}
		n++;
		if (fn(ctx, &r) != 0)
			break;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

int routes_using_trunk(struct db *db, int64_t trunk_id, char *out, size_t len)
{
	if (len)
		out[0] = '\0';
	sqlite3_stmt *st = db_prepare(db, "SELECT r.name FROM route_trunks t JOIN routes r ON r.id = t.route_id "
					  "WHERE t.trunk_id = ?1 ORDER BY r.priority");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, trunk_id);
	int n = 0, rc;
	size_t used = 0;
	bool full = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Whole names only, as a prefix of the list (never a name cut inside a UTF-8 character); the count
		 * says how many there are. */
		const char *name = (const char *)sqlite3_column_text(st, 0);
		size_t sep = n ? 2 : 0, nlen = name ? strlen(name) : 0;
		if (!full && name && used + sep + nlen < len) {
			memcpy(out + used, ", ", sep);
			memcpy(out + used + sep, name, nlen);
			used += sep + nlen;
			out[used] = '\0';
		} else {
			full = true;
		}
		n++;
	}
	db_done(st);
	return rc == SQLITE_DONE ? n : -1;
}

/* ---------- the routes dialplan ---------- */

int dialplan_get(struct db *db, struct dialplan_state *out)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT version, applied_version, coalesce(applied_digest, ''), "
					  "coalesce(last_error, ''), attempts, next_attempt_at, blocked, drifted, "
					  "coalesce(drift_reason, ''), coalesce(restored_at, 0) FROM dialplan_state "
					  "WHERE id = 1");
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		out->version = sqlite3_column_int64(st, 0);
		out->applied_version = sqlite3_column_int64(st, 1);
		db_column_text(out->applied_digest, sizeof out->applied_digest, st, 2);
		db_column_text(out->last_error, sizeof out->last_error, st, 3);
		out->attempts = sqlite3_column_int(st, 4);
		out->next_attempt_at = sqlite3_column_int64(st, 5);
		out->blocked = sqlite3_column_int(st, 6) != 0;
		out->drifted = sqlite3_column_int(st, 7) != 0;
		db_column_text(out->drift_reason, sizeof out->drift_reason, st, 8);
		out->restored_at = sqlite3_column_int64(st, 9);
	}
	db_done(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* A change is retried at once, even after a failure that needed a person (as a phone's edit is). Also called
 * inside the route and trunk writes' transactions (db/trunks.c). */
int dialplan_bump(struct db *db, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE dialplan_state SET version = version + 1, attempts = 0, "
					  "next_attempt_at = 0, blocked = 0, updated_at = ?1 WHERE id = 1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	return db_step_done(st) == SQLITE_DONE && db_changes(db) == 1 ? 0 : -1;
}

int dialplan_mark_applied(struct db *db, int64_t version, const char *digest, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE dialplan_state SET applied_version = ?1, applied_digest = ?2, "
					  "last_error = NULL, attempts = 0, next_attempt_at = 0, blocked = 0, "
					  "restored_at = CASE WHEN drifted = 1 THEN ?3 ELSE restored_at END, drifted = 0 "
					  "WHERE id = 1 AND applied_version <= ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, version);
	if (digest && *digest)
		sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

int dialplan_mark_drifted(struct db *db, int64_t version, const char *reason)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE dialplan_state SET applied_version = 0, drifted = 1, "
					  "drift_reason = ?2, last_error = ?2, attempts = 0, next_attempt_at = 0, "
					  "blocked = 0, applied_digest = NULL "
					  "WHERE id = 1 AND version = ?1 AND applied_version = version");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, version);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return db_changes(db) == 1 ? 0 : 1;
}

int dialplan_mark_failed(struct db *db, int64_t version, const char *error, int64_t next_attempt_at, bool blocked)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE dialplan_state SET last_error = ?2, attempts = attempts + 1, "
					  "next_attempt_at = ?3, blocked = ?4 WHERE id = 1 AND version = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, version);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, next_attempt_at);
	sqlite3_bind_int(st, 4, blocked);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}
