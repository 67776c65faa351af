/* phones: SQL for phones (lists join the registrations table, which db/registrations.c writes). Prepared
 * statements only. */
#include "db/phones.h"
#include "db/imports.h"
#include "db/phones_internal.h"

#include <stdio.h>
#include <string.h>

#define PHONE_COLUMNS                                                                                        \
	"p.id, p.extension, p.name, p.model, p.mac, p.calling_class, p.secret, p.version, p.deleted, "      \
	"p.applied_version, coalesce(p.applied_extension, ''), coalesce(p.applied_mac, ''), "                \
	"coalesce(p.applied_model, ''), coalesce(p.last_error, ''), p.attempts, p.next_attempt_at, "         \
	"coalesce(r.address, ''), coalesce(r.status, ''), p.blocked, p.drifted, coalesce(p.drift_reason, ''), "        \
	"coalesce(p.restored_at, 0), coalesce(p.applied_chan_digest, ''), coalesce(p.applied_dial_digest, ''), "    \
	"p.own_files"
#define PHONE_FROM " FROM phones p LEFT JOIN registrations r ON r.endpoint = p.extension "

static void read_phone(sqlite3_stmt *st, struct phone *p)
{
	p->id = sqlite3_column_int64(st, 0);
	db_column_text(p->extension, sizeof p->extension, st, 1);
	db_column_text(p->name, sizeof p->name, st, 2);
	db_column_text(p->model, sizeof p->model, st, 3);
	db_column_text(p->mac, sizeof p->mac, st, 4);
	db_column_text(p->calling_class, sizeof p->calling_class, st, 5);
	db_column_text(p->secret, sizeof p->secret, st, 6);
	p->version = sqlite3_column_int64(st, 7);
	p->deleted = sqlite3_column_int(st, 8) != 0;
	p->applied_version = sqlite3_column_int64(st, 9);
	db_column_text(p->applied_extension, sizeof p->applied_extension, st, 10);
	db_column_text(p->applied_mac, sizeof p->applied_mac, st, 11);
	db_column_text(p->applied_model, sizeof p->applied_model, st, 12);
	db_column_text(p->last_error, sizeof p->last_error, st, 13);
	p->attempts = sqlite3_column_int(st, 14);
	p->next_attempt_at = sqlite3_column_int64(st, 15);
	db_column_text(p->reg_address, sizeof p->reg_address, st, 16);
	db_column_text(p->reg_status, sizeof p->reg_status, st, 17);
	p->blocked = sqlite3_column_int(st, 18) != 0;
	p->drifted = sqlite3_column_int(st, 19) != 0;
	db_column_text(p->drift_reason, sizeof p->drift_reason, st, 20);
	p->restored_at = sqlite3_column_int64(st, 21);
	db_column_text(p->applied_chan_digest, sizeof p->applied_chan_digest, st, 22);
	db_column_text(p->applied_dial_digest, sizeof p->applied_dial_digest, st, 23);
	p->own_files = sqlite3_column_int(st, 24) != 0;
}

/* Which live phone other than `except` already uses the extension or the MAC. */
static enum phones_result check_unique(struct db *db, const char *extension, const char *mac, int64_t except)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT extension = ?1 FROM phones "
					  "WHERE deleted = 0 AND id != ?3 AND (extension = ?1 OR mac = ?2) "
					  "ORDER BY extension = ?1 DESC LIMIT 1");
	if (!st)
		return PHONES_DB_ERROR;
	sqlite3_bind_text(st, 1, extension, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, except);
	int rc = sqlite3_step(st);
	enum phones_result res = rc == SQLITE_DONE ? PHONES_OK
				 : rc == SQLITE_ROW ? (sqlite3_column_int(st, 0) ? PHONES_DUP_EXTENSION : PHONES_DUP_MAC)
						    : PHONES_DB_ERROR;
	db_done(st);
	return res;
}

/* COMMIT or ROLLBACK (db_commit_or_rollback) the write's transaction; a failed COMMIT is an error. The
 * immediate transaction makes the uniqueness and version checks see the data the write will change. */
static enum phones_result finish_txn(struct db *db, enum phones_result res)
{
	if (db_commit_or_rollback(db, res == PHONES_OK))
		return PHONES_OK;
	return res == PHONES_OK ? PHONES_DB_ERROR : res;
}

enum phones_result phones_insert_locked(struct db *db, const struct phone *p, int64_t now, int64_t *id)
{
	enum phones_result res = check_unique(db, p->extension, p->mac, 0);
	if (res != PHONES_OK)
		return res;
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO phones (extension, name, model, mac, calling_class, "
					  "secret, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)");
	if (!st)
		return PHONES_DB_ERROR;
	sqlite3_bind_text(st, 1, p->extension, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->calling_class, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, p->secret, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	res = db_step_done(st) == SQLITE_DONE ? PHONES_OK : PHONES_DB_ERROR;
	if (res == PHONES_OK && id)
		*id = db_last_insert_id(db);
	return res;
}

enum phones_result phones_create(struct db *db, const struct phone *p, int64_t now, int64_t *id)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return PHONES_DB_ERROR;
	return finish_txn(db, phones_insert_locked(db, p, now, id));
}

/* Checks that phone id is live at expected_version: OK, NOT_FOUND or CONFLICT. */
static enum phones_result check_version(struct db *db, int64_t id, int64_t expected_version)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT version FROM phones WHERE id = ?1 AND deleted = 0");
	if (!st)
		return PHONES_DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	enum phones_result res = rc == SQLITE_DONE ? PHONES_NOT_FOUND
				 : rc != SQLITE_ROW ? PHONES_DB_ERROR
				 : sqlite3_column_int64(st, 0) == expected_version ? PHONES_OK
										    : PHONES_CONFLICT;
	db_done(st);
	return res;
}

enum phones_result phones_update_locked(struct db *db, const struct phone *p, int64_t expected_version, int64_t now)
{
	enum phones_result res = check_version(db, p->id, expected_version);
	if (res == PHONES_OK)
		res = check_unique(db, p->extension, p->mac, p->id);
	if (res != PHONES_OK)
		return res;
	sqlite3_stmt *st = db_prepare(db, "UPDATE phones SET extension = ?2, name = ?3, model = ?4, mac = ?5, "
					  "calling_class = ?6, version = version + 1, attempts = 0, "
					  "next_attempt_at = 0, blocked = 0, updated_at = ?7 WHERE id = ?1");
	if (!st)
		return PHONES_DB_ERROR;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, p->extension, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, p->calling_class, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	return db_step_done(st) == SQLITE_DONE ? PHONES_OK : PHONES_DB_ERROR;
}

enum phones_result phones_update(struct db *db, const struct phone *p, int64_t expected_version, int64_t now)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return PHONES_DB_ERROR;
	return finish_txn(db, phones_update_locked(db, p, expected_version, now));
}

/* Shared by set_secret and remove: a versioned single-statement change. */
static enum phones_result versioned_change(struct db *db, const char *sql, int64_t id, int64_t expected_version,
					   const char *text_arg, int64_t now)
{
	if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return PHONES_DB_ERROR;
	enum phones_result res = check_version(db, id, expected_version);
	if (res == PHONES_OK) {
		sqlite3_stmt *st = db_prepare(db, sql);
		if (!st)
			res = PHONES_DB_ERROR;
		else {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, now);
			if (text_arg)
				sqlite3_bind_text(st, 3, text_arg, -1, SQLITE_STATIC);
			res = db_step_done(st) == SQLITE_DONE ? PHONES_OK : PHONES_DB_ERROR;
		}
	}
	return finish_txn(db, res);
}

enum phones_result phones_set_secret(struct db *db, int64_t id, int64_t expected_version, const char *secret,
				     int64_t now)
{
	return versioned_change(db,
				"UPDATE phones SET secret = ?3, version = version + 1, attempts = 0, next_attempt_at = 0, blocked = 0, "
				"updated_at = ?2 WHERE id = ?1",
				id, expected_version, secret, now);
}

enum phones_result phones_remove(struct db *db, int64_t id, int64_t expected_version, int64_t now)
{
	return versioned_change(db,
				"UPDATE phones SET deleted = 1, version = version + 1, attempts = 0, next_attempt_at = 0, blocked = 0, "
				"updated_at = ?2 WHERE id = ?1",
				id, expected_version, NULL, now);
}

static enum phones_result get_one(struct db *db, const char *sql, int64_t id, const char *ext, struct phone *out)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return PHONES_DB_ERROR;
	if (ext)
		sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_phone(st, out);
	db_done(st);
	return rc == SQLITE_ROW ? PHONES_OK : rc == SQLITE_DONE ? PHONES_NOT_FOUND : PHONES_DB_ERROR;
}

enum phones_result phones_get(struct db *db, int64_t id, struct phone *out)
{
	return get_one(db, "SELECT " PHONE_COLUMNS PHONE_FROM "WHERE p.id = ?1", id, NULL, out);
}

enum phones_result phones_get_live_by_extension(struct db *db, const char *extension, struct phone *out)
{
	return get_one(db, "SELECT " PHONE_COLUMNS PHONE_FROM "WHERE p.extension = ?1 AND p.deleted = 0", 0, extension,
		       out);
}

enum phones_result phones_get_live_by_mac(struct db *db, const char *mac, struct phone *out)
{
	return get_one(db, "SELECT " PHONE_COLUMNS PHONE_FROM "WHERE p.mac = ?1 AND p.deleted = 0", 0, mac, out);
}

/* "%filter%" for LIKE, with LIKE's own wildcards escaped so they match literally. */
static void like_pattern(const char *filter, char *out, size_t size)
{
	size_t n = 0;
	out[n++] = '%';
	for (const char *c = filter; *c && n + 3 < size; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			out[n++] = '\\';
		out[n++] = *c;
	}
	out[n++] = '%';
	out[n] = '\0';
}

#define LIST_FILTER                                                                                          \
	" AND (p.extension LIKE ?1 ESCAPE '\\' OR p.name LIKE ?1 ESCAPE '\\' OR p.mac LIKE ?4)"
#define LIST_ORDER " ORDER BY length(p.extension), p.extension LIMIT ?2 OFFSET ?3"

int phones_list(struct db *db, const char *filter, int offset, int limit, int *total,
		int (*fn)(void *ctx, const struct phone *p), void *ctx)
{
	char pattern[600], mac_pattern[40];
	bool all = !filter || !*filter;
	like_pattern(all ? "" : filter, pattern, sizeof pattern);
	/* MACs are stored as 12 lowercase hex digits but shown as 00:0B:82:...: match what people type. */
	size_t n = 0;
	bool hex_only = true;
	for (const char *c = filter ? filter : ""; *c && hex_only; c++) {
		if (*c == ':' || *c == '-' || *c == '.')
			continue;
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')) || n > 12)
			hex_only = false;
		else
			mac_pattern[1 + n++] = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
	}
	mac_pattern[0] = '%';
	mac_pattern[1 + n] = '%';
	mac_pattern[2 + n] = '\0';
	if (!hex_only || n == 0)
		snprintf(mac_pattern, sizeof mac_pattern, "-"); /* matches no MAC */
	/* Two shapes, so the unfiltered list (the usual one) walks the ordering index and stops at the page. */
	if (total) {
		sqlite3_stmt *st = db_prepare(db, all ? "SELECT live FROM phone_counts"
						      : "SELECT count(*) FROM phones p WHERE p.deleted = 0" LIST_FILTER);
		if (!st)
			return -1;
		if (!all) {
			sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, mac_pattern, -1, SQLITE_STATIC);
		}
		*total = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		db_done(st);
	}
	sqlite3_stmt *st = db_prepare(db, all ? "SELECT " PHONE_COLUMNS PHONE_FROM "WHERE p.deleted = 0"
						    LIST_ORDER
					      : "SELECT " PHONE_COLUMNS PHONE_FROM "WHERE p.deleted = 0" LIST_FILTER LIST_ORDER);
	if (!st)
		return -1;
	if (!all) {
		sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, mac_pattern, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int(st, 3, offset);
	int rc;
	struct phone p;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_phone(st, &p);
		if (fn(ctx, &p) != 0)
			break;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int count(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	db_done(st);
	return n;
}

int phones_count_live(struct db *db) { return count(db, "SELECT live FROM phone_counts"); }

int phones_count_pending(struct db *db) { return count(db, "SELECT pending FROM phone_counts"); }

int phones_count_registered(struct db *db)
{
	/* registrations holds one row per registered endpoint; joined on the extension, as the phones list is. */
	return count(db, "SELECT COUNT(*) FROM phones p JOIN registrations r ON r.endpoint = p.extension"
			 " WHERE p.deleted = 0");
}

static int collect_ids(sqlite3_stmt *st, int64_t *ids, int max)
{
	int n = 0, rc;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	db_done(st);
	return n;
}

int phones_due(struct db *db, int64_t now, int64_t *ids, int max)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM phones WHERE (applied_version < version OR deleted = 1) "
					  "AND blocked = 0 AND next_attempt_at <= ?1 ORDER BY updated_at, id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	return collect_ids(st, ids, max);
}

int phones_ids_after(struct db *db, int64_t after, int64_t *ids, int max)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM phones WHERE id > ?1 ORDER BY id LIMIT ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, max);
	return collect_ids(st, ids, max);
}

int phones_mark_applied(struct db *db, int64_t id, int64_t version, const char *extension, const char *mac,
			const char *model, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE phones SET applied_version = ?2, applied_extension = ?3, "
					  "applied_mac = ?4, applied_model = ?5, last_error = NULL, attempts = 0, "
					  "next_attempt_at = 0, blocked = 0, "
					  "restored_at = CASE WHEN drifted = 1 THEN ?6 ELSE restored_at END, drifted = 0 "
					  "WHERE id = ?1 AND applied_version <= ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	if (extension && *extension)
		sqlite3_bind_text(st, 3, extension, -1, SQLITE_STATIC);
	if (mac && *mac)
		sqlite3_bind_text(st, 4, mac, -1, SQLITE_STATIC);
	if (model && *model)
		sqlite3_bind_text(st, 5, model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

int phones_set_part(struct db *db, int64_t id, bool chan, const char *digest, const char *text)
{
	sqlite3_stmt *st = db_prepare(db, chan ? "UPDATE phones SET applied_chan_digest = ?2, applied_chan_text = ?3 WHERE id = ?1"
					       : "UPDATE phones SET applied_dial_digest = ?2, applied_dial_text = ?3 WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

int phones_group_pending(struct db *db, int64_t first, int64_t last, int64_t *ids, int max)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM phones WHERE id BETWEEN ?1 AND ?2 "
					  "AND (applied_version < version OR deleted = 1) AND blocked = 0 ORDER BY id LIMIT ?3");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_int(st, 3, max);
	return collect_ids(st, ids, max);
}

int phones_clear_own_files(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE phones SET own_files = 0 WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

int phones_group_parts(struct db *db, int64_t first, int64_t last,
		       int (*fn)(void *ctx, int64_t id, bool own_files, const char *chan, const char *dial), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, own_files, applied_chan_text, applied_dial_text FROM phones "
					  "WHERE id BETWEEN ?1 AND ?2 ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1) != 0,
		       (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3)) != 0)
			break;
	int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
	db_done(st);
	return ok ? 0 : -1;
}

int phones_mark_drifted(struct db *db, int64_t id, int64_t version, const char *reason)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE phones SET applied_version = 0, drifted = 1, drift_reason = ?3, "
					  "last_error = ?3, attempts = 0, next_attempt_at = 0, blocked = 0, "
					  "applied_chan_digest = NULL, applied_dial_digest = NULL "
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

int phones_mark_outdated(struct db *db, int64_t id, int64_t version)
{
	/* The digests stay: the apply compares them with what it would write and sends only what differs. */
	sqlite3_stmt *st = db_prepare(db, "UPDATE phones SET applied_version = 0, attempts = 0, next_attempt_at = 0, "
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

int phones_count_drifted(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT count(*) FROM phones WHERE drifted = 1");
	if (!st)
		return -1;
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	db_done(st);
	return n;
}

int phones_mark_failed(struct db *db, int64_t id, int64_t version, const char *error, int64_t next_attempt_at,
		       bool blocked)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE phones SET last_error = ?2, attempts = attempts + 1, "
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

int phones_discard(struct db *db, int64_t id, int64_t version)
{
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM phones WHERE id = ?1 AND version = ?2 AND deleted = 0 AND "
					  "applied_version = 0 AND applied_extension IS NULL");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	int rc = db_step_done(st);
	return rc == SQLITE_DONE && db_changes(db) == 1 ? 0 : -1;
}

int phones_purge(struct db *db, int64_t id, int64_t version)
{
	sqlite3_stmt *st = db_prepare(db, "DELETE FROM phones WHERE id = ?1 AND deleted = 1 AND version = ?2");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

/* (db/imports.h) Here because it reads phones with their registration, as the lists do. */
int imports_each_phone(struct db *db, int64_t id, int (*fn)(void *ctx, const struct phone *p), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " PHONE_COLUMNS PHONE_FROM
					  "JOIN import_phones i ON i.phone_id = p.id WHERE i.import_id = ?1 "
					  "ORDER BY p.extension");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct phone p;
		read_phone(st, &p);
		if (fn(ctx, &p) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
