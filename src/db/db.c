/* db: open + numbered migrations. A migration is appended, never edited once released. */
#include "db/db.h"

#include <stdio.h>
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
};

#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof *migrations))

int db_latest_version(void) { return MIGRATION_COUNT; }

int db_exec(sqlite3 *db, const char *sql) { return sqlite3_exec(db, sql, NULL, NULL, NULL); }

sqlite3 *db_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=NORMAL;"
				      "PRAGMA foreign_keys=ON;";
	char *msg = NULL;
	if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot set pragmas");
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int db_schema_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	int exists = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (!exists)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return version;
}

int db_migrate_to(sqlite3 *db, int target, char *err, size_t errlen)
{
	if (target > MIGRATION_COUNT)
		target = MIGRATION_COUNT;
	if (db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
			"INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version);") !=
	    SQLITE_OK) {
		snprintf(err, errlen, "schema_version: %s", sqlite3_errmsg(db));
		return -1;
	}
	int current = db_schema_version(db);
	if (current < 0) {
		snprintf(err, errlen, "cannot read schema_version: %s", sqlite3_errmsg(db));
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
			snprintf(err, errlen, "migration %d: %s", v, sqlite3_errmsg(db));
			return -1;
		}
		if (db_schema_version(db) >= v) { /* another process got there first */
			db_exec(db, "ROLLBACK");
			continue;
		}
		if (sqlite3_exec(db, migrations[v - 1], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %d: %s", v, msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			db_exec(db, "ROLLBACK");
			return -1;
		}
		if (db_exec(db, "COMMIT") != SQLITE_OK) {
			snprintf(err, errlen, "migration %d commit: %s", v, sqlite3_errmsg(db));
			db_exec(db, "ROLLBACK");
			return -1;
		}
	}
	return 0;
}

int db_migrate(sqlite3 *db, char *err, size_t errlen) { return db_migrate_to(db, MIGRATION_COUNT, err, errlen); }
