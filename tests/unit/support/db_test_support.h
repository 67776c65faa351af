/* db_test_support: what the database unit tests share: a fresh database file per test in a temporary
 * directory of its own (check fixtures), opened and migrated; a one-number query; and a small deterministic
 * PRNG (xorshift64*) for random histories, so a failing seed can be replayed. */
#ifndef TEST_DB_TEST_SUPPORT_H
#define TEST_DB_TEST_SUPPORT_H
#include <stdint.h>

#include "db/db.h"

extern char test_db_path[128];   /* the test's database file, set by test_db_setup */
extern uint64_t test_rng_state;   /* the PRNG's state: seed it */

void test_db_setup(void);         /* checked fixture: makes the directory */
void test_db_teardown(void);      /* checked fixture: removes it */
struct db *test_db_open(void);    /* opens and migrates test_db_path; fails the test otherwise */
int64_t test_db_scalar(struct db *db, const char *sql);   /* the first column of the one row sql returns */
uint32_t test_rnd(uint32_t n);    /* 0 .. n-1 */

#endif
