/* db_test_support: see db_test_support.h. */
#include "db_test_support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

char test_db_path[128];
uint64_t test_rng_state;
static char test_db_dir[64];

void test_db_setup(void)
{
	snprintf(test_db_dir, sizeof test_db_dir, "/tmp/centralita-db-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_db_dir));
	snprintf(test_db_path, sizeof test_db_path, "%s/test.db", test_db_dir);
}

void test_db_teardown(void)
{
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_db_dir);
	ck_assert_int_eq(system(cmd), 0);
}

struct db *test_db_open(void)
{
	char err[256];
	struct db *db = db_open(test_db_path, err, sizeof err);
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "%s", err);
	return db;
}

int64_t test_db_scalar(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

uint32_t test_rnd(uint32_t n)
{
	test_rng_state ^= test_rng_state >> 12;
	test_rng_state ^= test_rng_state << 25;
	test_rng_state ^= test_rng_state >> 27;
	return (uint32_t)((test_rng_state * 2685821657736338717ULL) >> 32) % n;
}
