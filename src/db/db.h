/* db: opening Centralita's SQLite database and bringing its schema up to date.
 * One connection per thread (SQLite connections are not shared); WAL so readers never wait for the
 * writer; busy_timeout so concurrent writers queue instead of failing; foreign keys on. */
#ifndef DB_DB_H
#define DB_DB_H
#include <sqlite3.h>
#include <stddef.h>

/* Opens (creating if needed) the database at path with the pragmas above. NULL + err on failure. */
sqlite3 *db_open(const char *path, char *err, size_t errlen);

/* Number of the newest migration this build knows. */
int db_latest_version(void);
/* Current schema_version of db (0 for an empty database), or -1 on error. */
int db_schema_version(sqlite3 *db);
/* Applies migrations up to target (db_latest_version() for all), each in its own transaction.
 * Returns 0, or -1 with err. Refuses a database newer than this build. */
int db_migrate_to(sqlite3 *db, int target, char *err, size_t errlen);
int db_migrate(sqlite3 *db, char *err, size_t errlen);

/* Runs a statement without results (for transactions and tests). Returns SQLite's code. */
int db_exec(sqlite3 *db, const char *sql);

#endif
