/* db: opening Centralita's SQLite database and bringing its schema up to date.
 * One connection per thread (SQLite connections are not shared); WAL so readers never wait for the
 * writer; busy_timeout so concurrent writers queue instead of failing; foreign keys on. */
#ifndef DB_DB_H
#define DB_DB_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A connection and its cache of prepared statements. Not thread-safe: one per thread. */
struct db;

/* Opens (creating if needed) the database at path with the pragmas above. NULL + err on failure. */
struct db *db_open(const char *path, char *err, size_t errlen);
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);
const char *db_errmsg(struct db *db);
int db_changes(struct db *db);
int64_t db_last_insert_id(struct db *db);

/* The prepared statement for sql, parsed once per connection and cached (sql should be a string
 * literal). NULL on error. Bind, step, then always db_done(st), which resets it for the next use. */
sqlite3_stmt *db_prepare(struct db *db, const char *sql);
void db_done(sqlite3_stmt *st);

/* Read transactions group a request's queries under one lock and one snapshot. */
int db_begin_read(struct db *db);
void db_end(struct db *db);

/* Number of the newest migration this build knows. */
int db_latest_version(void);
/* Current schema_version of db (0 for an empty database), or -1 on error. */
int db_schema_version(struct db *db);
/* Applies migrations up to target (db_latest_version() for all), each in its own transaction.
 * Returns 0, or -1 with err. Refuses a database newer than this build. */
int db_migrate_to(struct db *db, int target, char *err, size_t errlen);
int db_migrate(struct db *db, char *err, size_t errlen);

/* Runs a statement without results (for transactions and tests). Returns SQLite's code. */
int db_exec(struct db *db, const char *sql);
/* Copies text column col of st into dst, truncated to size (a plain copy: snprintf was a third of a list page's
 * time); NULL gives "". */
void db_column_text(char *dst, size_t size, sqlite3_stmt *st, int col);
/* Steps a statement that changes rows and resets it; returns SQLite's step code. */
int db_step_done(sqlite3_stmt *st);
/* Starts a write transaction (BEGIN IMMEDIATE: the write lock is taken, or waited for, at once). Returns 0 or -1. */
int db_begin_write(struct db *db);
/* Ends the BEGIN IMMEDIATE transaction of a write: COMMIT when ok, else ROLLBACK. True only if it committed
 * (a failed COMMIT is rolled back: the caller must not report a change that did not happen). */
bool db_commit_or_rollback(struct db *db, bool ok);

#endif
