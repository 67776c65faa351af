/* db: open + numbered migrations. A migration is appended, never edited once released. */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const migrations[] = {
	/* 1: users, sessions, login failures */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  role TEXT NOT NULL CHECK (role IN ('owner', 'integrator')),"
	"  password_hash TEXT NOT NULL,"
	"  language TEXT CHECK (language IS NULL OR language IN ('en', 'es')),"
	"  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE TABLE sessions ("
	"  token_hash BLOB PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  csrf_token TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE login_failures ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL COLLATE NOCASE,"
	"  address TEXT NOT NULL,"
	"  at INTEGER NOT NULL"
	");"
	"CREATE INDEX login_failures_user ON login_failures(username, at);"
	"CREATE INDEX login_failures_address ON login_failures(address, at);",

	/* 2: phones, with what was last applied to the PBX and to the provisioning directory. A removed
	 * phone stays as a tombstone (deleted = 1) until its removal has been applied. */
	"CREATE TABLE phones ("
	"  id INTEGER PRIMARY KEY,"
	"  extension TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  mac TEXT NOT NULL CHECK (length(mac) = 12),"
	"  calling_class TEXT NOT NULL DEFAULT 'national',"
	"  secret TEXT NOT NULL,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
	"  applied_version INTEGER NOT NULL DEFAULT 0,"
	"  applied_extension TEXT,"
	"  applied_mac TEXT,"
	"  applied_model TEXT,"
	"  last_error TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE UNIQUE INDEX phones_extension ON phones(extension) WHERE deleted = 0;"
	"CREATE UNIQUE INDEX phones_mac ON phones(mac) WHERE deleted = 0;"
	"CREATE INDEX phones_pending ON phones(next_attempt_at) WHERE applied_version < version OR deleted = 1;"
	/* The list's order (extensions are digit strings: shorter first, then by text = numeric order). */
	"CREATE INDEX phones_list_order ON phones(length(extension), extension) WHERE deleted = 0;"
	/* Counts the home page and the list show on every request, kept by triggers: counting a thousand
	 * index entries per request cost more than rendering the page. */
	"CREATE TABLE phone_counts ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  live INTEGER NOT NULL,"
	"  pending INTEGER NOT NULL"
	");"
	"INSERT INTO phone_counts VALUES (1, 0, 0);"
	"CREATE TRIGGER phones_count_insert AFTER INSERT ON phones BEGIN"
	"  UPDATE phone_counts SET live = live + (NEW.deleted = 0),"
	"    pending = pending + (NEW.applied_version < NEW.version OR NEW.deleted = 1);"
	"END;"
	"CREATE TRIGGER phones_count_update AFTER UPDATE ON phones BEGIN"
	"  UPDATE phone_counts SET live = live - (OLD.deleted = 0) + (NEW.deleted = 0),"
	"    pending = pending - (OLD.applied_version < OLD.version OR OLD.deleted = 1)"
	"                      + (NEW.applied_version < NEW.version OR NEW.deleted = 1);"
	"END;"
	"CREATE TRIGGER phones_count_delete AFTER DELETE ON phones BEGIN"
	"  UPDATE phone_counts SET live = live - (OLD.deleted = 0),"
	"    pending = pending - (OLD.applied_version < OLD.version OR OLD.deleted = 1);"
	"END;"
	"CREATE TABLE registrations ("
	"  endpoint TEXT PRIMARY KEY,"
	"  address TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	") WITHOUT ROWID;",

	/* 3: what Centralita owns in Asterisk's configuration, so it never changes what it did not create; and
	 * phones whose change retrying cannot fix (blocked: shown with the reason, not retried until edited).
	 * A category is claimed (with the SHA-256 of the lines sent) before a request that creates it, and owned
	 * once Asterisk said Success; an answer lost in between is settled by comparing what Asterisk has with
	 * the digest. Phones applied by earlier versions had their categories written by Centralita: adopted. */
	"ALTER TABLE phones ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1));"
	"CREATE TABLE pbx_owned ("
	"  file TEXT NOT NULL,"
	"  category TEXT NOT NULL,"
	"  type TEXT NOT NULL,"      /* the category's type= value, '' if it has none (same-named pjsip sections) */
	"  state TEXT NOT NULL CHECK (state IN ('claimed', 'owned')),"
	"  digest TEXT NOT NULL,"    /* of the lines last sent: name=value\n each */
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (file, category, type)"
	") WITHOUT ROWID;"
	"INSERT OR IGNORE INTO pbx_owned SELECT 'pjsip.conf', applied_extension, t.type, 'owned', '', 0"
	"  FROM phones, (SELECT 'endpoint' AS type UNION ALL SELECT 'aor') t WHERE applied_extension IS NOT NULL;"
	"INSERT OR IGNORE INTO pbx_owned SELECT 'pjsip.conf', applied_extension || '-auth', 'auth', 'owned', '', 0"
	"  FROM phones WHERE applied_extension IS NOT NULL;"
	"INSERT OR IGNORE INTO pbx_owned SELECT 'sip.conf', applied_extension, 'friend', 'owned', '', 0"
	"  FROM phones WHERE applied_extension IS NOT NULL;"
	"INSERT OR IGNORE INTO pbx_owned SELECT 'extensions.conf', 'centralita-' || applied_extension, '', 'owned', '', 0"
	"  FROM phones WHERE applied_extension IS NOT NULL;",

	/* 4: login throttling that an attacker elsewhere cannot turn against a user (see web/auth.h): the
	 * addresses each user logged in from (where a user-wide limit does not apply), and an index so that
	 * every attempt can delete the failures that fell out of the window. */
	"CREATE INDEX login_failures_at ON login_failures(at);"
	"CREATE TABLE login_addresses ("
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"      /* the throttling key: IPv4, or an IPv6 /64 */
	"  last_login INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, address)"
	") WITHOUT ROWID;",

	/* 5: phones in files of their own (src/pbx/pbx.h); phones whose configuration vanished from the PBX (a
	 * crash mid-save, a hand edit): pending again until put back, with what was found; when one was last put
	 * back. */
	"ALTER TABLE phones ADD COLUMN drifted INTEGER NOT NULL DEFAULT 0 CHECK (drifted IN (0, 1));"
	"ALTER TABLE phones ADD COLUMN drift_reason TEXT;"
	"ALTER TABLE phones ADD COLUMN restored_at INTEGER;"
	"CREATE INDEX phones_drifted ON phones(id) WHERE drifted = 1;"
	/* What the phone's two files of its own were last written with (digests): an unchanged file is not sent
	 * again. Cleared when the PBX is found to differ. */
	"ALTER TABLE phones ADD COLUMN applied_chan_digest TEXT;"
	"ALTER TABLE phones ADD COLUMN applied_dial_digest TEXT;",

	/* 6: calls out (issue 10). Trunks (db/trunks.h), each applied as a file of its own with the apply state
	 * phones have (a removed trunk a tombstone until its file is emptied); outbound routes (db/routes.h) in
	 * priority order 1..n, with their patterns, trunks (in failover order) and calling classes in tables of
	 * their own; and the one routes dialplan file's apply state, a single row whose version every change to
	 * what the file is made of bumps (version 1, applied 0: written once at first start). */
	"CREATE TABLE trunks ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
	"  transport TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),"
	"  registration INTEGER NOT NULL CHECK (registration IN (0, 1)),"
	"  username TEXT NOT NULL,"
	"  secret TEXT NOT NULL,"      /* plain, as phones' (the database is 0600, README) */
	"  expiration INTEGER NOT NULL,"
	"  outbound_auth INTEGER NOT NULL CHECK (outbound_auth IN (0, 1)),"
	"  from_user TEXT NOT NULL,"
	"  from_domain TEXT NOT NULL,"
	"  codecs TEXT NOT NULL,"
	"  callerid TEXT NOT NULL,"
	"  max_calls INTEGER NOT NULL CHECK (max_calls >= 0),"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
	"  applied_version INTEGER NOT NULL DEFAULT 0,"
	"  applied_name TEXT,"
	"  applied_digest TEXT,"
	"  last_error TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),"
	"  drifted INTEGER NOT NULL DEFAULT 0 CHECK (drifted IN (0, 1)),"
	"  drift_reason TEXT,"
	"  restored_at INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	/* Names unique among live trunks; also the list's order. */
	"CREATE UNIQUE INDEX trunks_name ON trunks(name) WHERE deleted = 0;"
	"CREATE INDEX trunks_pending ON trunks(next_attempt_at) WHERE applied_version < version OR deleted = 1;"
	"CREATE TABLE routes ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL COLLATE NOCASE,"
	"  priority INTEGER NOT NULL,"   /* 1..n; negative only inside a transaction that renumbers */
	"  strip INTEGER NOT NULL CHECK (strip BETWEEN 0 AND 20),"
	"  prepend TEXT NOT NULL,"
	"  callerid TEXT NOT NULL,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE UNIQUE INDEX routes_name ON routes(name);"
	"CREATE UNIQUE INDEX routes_priority ON routes(priority);"
	"CREATE TABLE route_patterns ("
	"  route_id INTEGER NOT NULL REFERENCES routes(id) ON DELETE CASCADE,"
	"  pos INTEGER NOT NULL,"
	"  pattern TEXT NOT NULL,"
	"  PRIMARY KEY (route_id, pos)"
	") WITHOUT ROWID;"
	"CREATE TABLE route_trunks ("
	"  route_id INTEGER NOT NULL REFERENCES routes(id) ON DELETE CASCADE,"
	"  pos INTEGER NOT NULL,"
	"  trunk_id INTEGER NOT NULL REFERENCES trunks(id),"
	"  PRIMARY KEY (route_id, pos)"
	") WITHOUT ROWID;"
	/* Which routes use a trunk (removal, "used by"); a trunk once per route. */
	"CREATE UNIQUE INDEX route_trunks_trunk ON route_trunks(trunk_id, route_id);"
	"CREATE TABLE route_classes ("
	"  route_id INTEGER NOT NULL REFERENCES routes(id) ON DELETE CASCADE,"
	"  pos INTEGER NOT NULL,"
	"  class TEXT NOT NULL,"
	"  PRIMARY KEY (route_id, pos),"
	"  UNIQUE (route_id, class)"
	") WITHOUT ROWID;"
	"CREATE TABLE dialplan_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  version INTEGER NOT NULL,"
	"  applied_version INTEGER NOT NULL,"
	"  applied_digest TEXT,"
	"  last_error TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),"
	"  drifted INTEGER NOT NULL DEFAULT 0 CHECK (drifted IN (0, 1)),"
	"  drift_reason TEXT,"
	"  restored_at INTEGER,"
	"  updated_at INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO dialplan_state (id, version, applied_version) VALUES (1, 1, 0);",

	/* 7: call history (issue 11, db/calls.h). One row per call record, unique by its key (so a replayed event
	 * or an imported file adds nothing twice). Every history sort has an index whose order is (column, id),
	 * the rowid being the last column of every index, so a page is a seek to the cursor plus `limit` steps
	 * however deep it is; a date range bounds the start-time scan; an extension filter sorted by start walks
	 * calls_from/calls_to. The aggregates are kept by calls_insert in the same transaction as the rows. */
	"CREATE TABLE calls ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  start_time INTEGER NOT NULL,"
	"  answer_time INTEGER NOT NULL,"
	"  end_time INTEGER NOT NULL,"
	"  duration INTEGER NOT NULL CHECK (duration >= 0),"
	"  billsec INTEGER NOT NULL CHECK (billsec >= 0),"
	"  src TEXT NOT NULL,"
	"  dst TEXT NOT NULL,"
	"  clid_name TEXT NOT NULL,"
	"  clid_num TEXT NOT NULL,"
	"  dcontext TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  dstchannel TEXT NOT NULL,"
	"  lastapp TEXT NOT NULL,"
	"  uniqueid TEXT NOT NULL,"
	"  disposition INTEGER NOT NULL CHECK (disposition BETWEEN 0 AND 3),"
	"  direction INTEGER NOT NULL CHECK (direction BETWEEN 0 AND 2),"
	"  from_ext TEXT NOT NULL,"
	"  to_ext TEXT NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),"
	"  dow INTEGER NOT NULL CHECK (dow BETWEEN 0 AND 6)"
	");"
	"CREATE INDEX calls_start ON calls(start_time);"
	"CREATE INDEX calls_duration ON calls(duration);"
	"CREATE INDEX calls_src ON calls(src);"
	"CREATE INDEX calls_dst ON calls(dst);"
	"CREATE INDEX calls_from ON calls(from_ext, start_time) WHERE from_ext <> '';"
	"CREATE INDEX calls_to ON calls(to_ext, start_time) WHERE to_ext <> '';"
	"CREATE TABLE calls_by_hour ("
	"  day INTEGER NOT NULL,"
	"  hour INTEGER NOT NULL,"
	"  dow INTEGER NOT NULL,"
	"  calls INTEGER NOT NULL,"
	"  answered INTEGER NOT NULL,"
	"  missed INTEGER NOT NULL,"
	"  talk_seconds INTEGER NOT NULL,"
	"  PRIMARY KEY (day, hour)"
	") WITHOUT ROWID;"
	"CREATE TABLE calls_by_ext ("
	"  ext TEXT NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  made INTEGER NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  missed INTEGER NOT NULL,"
	"  talk_seconds INTEGER NOT NULL,"
	"  PRIMARY KEY (ext, day)"
	") WITHOUT ROWID;"
	"CREATE INDEX calls_by_ext_day ON calls_by_ext(day);",

	/* 8: a call's key starts with its start time (db/calls.h CALL_KEY_SIZE), the hash cut to 128 bits. */
	"UPDATE calls SET key = printf('%016x', start_time) || substr(key, 1, 32) WHERE length(key) = 64;",

	/* 9: the audit trail (issue 12, db/audit.h). Append-only: the triggers refuse every DELETE and any UPDATE
	 * but the completion of a row's AMI actions and outcome. */
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object TEXT NOT NULL,"
	"  changes TEXT NOT NULL,"
	"  ami TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  output TEXT NOT NULL"
	");"
	"CREATE INDEX audit_at ON audit(at);"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	"CREATE TRIGGER audit_no_rewrite BEFORE UPDATE OF id, at, user, address, action, object, changes, output"
	" ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
	/* 10: CSV imports of phones (issue 13, db/imports.h): the file as uploaded until it is imported (the dry run
	 * and the import read the same bytes), then the phones it created or changed, for its progress. */
	"CREATE TABLE imports ("
	"  id INTEGER PRIMARY KEY,"
	"  created_at INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  file_name TEXT NOT NULL,"
	"  csv BLOB NOT NULL,"
	"  imported_at INTEGER,"
	"  created INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL DEFAULT 0,"
	"  unchanged INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE import_phones ("
	"  import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,"
	"  phone_id INTEGER NOT NULL REFERENCES phones(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (import_id, phone_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX import_phones_phone ON import_phones(phone_id);",
	/* 11: phones kept several to a file (src/pbx/pbx.h): each phone's part of its group's two files as last
	 * written (the text its digest is of), so that a group is written whole with the other phones' parts as
	 * they are on the PBX. Phones applied before keep their part in files of their own (own_files) until next
	 * written, when those are emptied. */
	"ALTER TABLE phones ADD COLUMN applied_chan_text TEXT;"
	"ALTER TABLE phones ADD COLUMN applied_dial_text TEXT;"
	"ALTER TABLE phones ADD COLUMN own_files INTEGER NOT NULL DEFAULT 0 CHECK (own_files IN (0, 1));"
	"UPDATE phones SET own_files = 1 WHERE applied_extension IS NOT NULL OR applied_chan_digest IS NOT NULL "
	"  OR applied_dial_digest IS NOT NULL;",
};

#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof *migrations))

struct cached_stmt {
	const char *sql;
	sqlite3_stmt *st;
};

struct db {
	sqlite3 *h;
	struct cached_stmt *cache;
	size_t cache_len, cache_cap;
};

int db_latest_version(void) { return MIGRATION_COUNT; }

sqlite3 *db_handle(struct db *db) { return db->h; }
const char *db_errmsg(struct db *db) { return sqlite3_errmsg(db->h); }
int db_changes(struct db *db) { return sqlite3_changes(db->h); }
int64_t db_last_insert_id(struct db *db) { return sqlite3_last_insert_rowid(db->h); }

int db_exec(struct db *db, const char *sql) { return sqlite3_exec(db->h, sql, NULL, NULL, NULL); }

sqlite3_stmt *db_prepare(struct db *db, const char *sql)
{
	for (size_t i = 0; i < db->cache_len; i++)
		if (db->cache[i].sql == sql || strcmp(db->cache[i].sql, sql) == 0)
			return db->cache[i].st;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	if (db->cache_len == db->cache_cap) {
		size_t cap = db->cache_cap ? db->cache_cap * 2 : 32;
		struct cached_stmt *grown = realloc(db->cache, cap * sizeof *grown);
		if (!grown)
			abort();
		db->cache = grown;
		db->cache_cap = cap;
	}
	db->cache[db->cache_len++] = (struct cached_stmt){ sql, st };
	return st;
}

void db_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a cached statement without results. */
static int run_cached(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return SQLITE_ERROR;
	int rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int db_begin_read(struct db *db) { return run_cached(db, "BEGIN"); }

void db_end(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		run_cached(db, "COMMIT");
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->cache_len; i++)
		sqlite3_finalize(db->cache[i].st);
	free(db->cache);
	sqlite3_close(db->h);
	free(db);
}

struct db *db_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		return NULL;
	}
	sqlite3_busy_timeout(h, 5000);
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=NORMAL;"
				      "PRAGMA foreign_keys=ON;";
	char *msg = NULL;
	if (sqlite3_exec(h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot set pragmas");
		sqlite3_free(msg);
		sqlite3_close(h);
		return NULL;
	}
	struct db *db = calloc(1, sizeof *db);
	if (!db)
		abort();
	db->h = h;
	return db;
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	int exists = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (!exists)
		return 0;
	if (sqlite3_prepare_v2(db->h, "SELECT version FROM schema_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return version;
}

int db_migrate_to(struct db *db, int target, char *err, size_t errlen)
{
	if (target > MIGRATION_COUNT)
		target = MIGRATION_COUNT;
	if (db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
			"INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version);") !=
	    SQLITE_OK) {
		snprintf(err, errlen, "schema_version: %s", sqlite3_errmsg(db->h));
		return -1;
	}
	int current = db_schema_version(db);
	if (current < 0) {
		snprintf(err, errlen, "cannot read schema_version: %s", sqlite3_errmsg(db->h));
		return -1;
	}
	if (current > MIGRATION_COUNT) {
		snprintf(err, errlen, "database schema %d is newer than this program (%d)", current, MIGRATION_COUNT);
		return -1;
	}
	for (int v = current + 1; v <= target; v++) {
		char *msg = NULL;
		char sql[64];
		snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d;", v);
		/* BEGIN IMMEDIATE: two processes starting at once must not both apply the same migration. */
		if (db_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
			snprintf(err, errlen, "migration %d: %s", v, sqlite3_errmsg(db->h));
			return -1;
		}
		if (db_schema_version(db) >= v) { /* another process got there first */
			db_exec(db, "ROLLBACK");
			continue;
		}
		if (sqlite3_exec(db->h, migrations[v - 1], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %d: %s", v, msg ? msg : sqlite3_errmsg(db->h));
			sqlite3_free(msg);
			db_exec(db, "ROLLBACK");
			return -1;
		}
		if (db_exec(db, "COMMIT") != SQLITE_OK) {
			snprintf(err, errlen, "migration %d commit: %s", v, sqlite3_errmsg(db->h));
			db_exec(db, "ROLLBACK");
			return -1;
		}
	}
	return 0;
}

int db_migrate(struct db *db, char *err, size_t errlen) { return db_migrate_to(db, MIGRATION_COUNT, err, errlen); }

void db_column_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

int db_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	db_done(st);
	return rc;
}

int db_begin_write(struct db *db)
{
	return db_exec(db, "BEGIN IMMEDIATE") == SQLITE_OK ? 0 : -1;
}

bool db_commit_or_rollback(struct db *db, bool ok)
{
	if (ok && db_exec(db, "COMMIT") == SQLITE_OK)
		return true;
	db_exec(db, "ROLLBACK");
	return false;
}
