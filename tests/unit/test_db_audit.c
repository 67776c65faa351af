/* Unit tests: the audit trail in the database (db/audit.c, migration 9): a row is added with every column, its
 * AMI actions and outcome completed later; the database refuses to delete a row or to rewrite anything else. */
#include <check.h>

#include "support/check_run.h"
#include <stdlib.h>

#include "db/audit.h"
#include "db/db.h"
#include "support/db_test_support.h"

START_TEST(added_completed_and_never_rewritten)
{
	struct db *db = test_db_open();
	struct audit_record r = { .at = 1796000000, .user = "ana", .address = "192.0.2.7", .action = "phone.update",
				  .object = "phone 205", .changes = "name: Ana -> Ana Pérez", .outcome = "pending: PBX down" };
	int64_t id = audit_add(db, &r);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM audit WHERE user = 'ana' AND ami = '' AND output = ''"
					" AND changes = 'name: Ana -> Ana Pérez'"), 1);
	ck_assert_int_eq(audit_complete(db, id, "UpdateConfig centralita/pjsip-205.conf", "applied"), 0);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM audit WHERE outcome = 'applied'"
					" AND ami = 'UpdateConfig centralita/pjsip-205.conf'"), 1);
	ck_assert_int_eq(audit_complete(db, id, NULL, "failed: x"), 0);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM audit WHERE outcome = 'failed: x'"
					" AND ami = 'UpdateConfig centralita/pjsip-205.conf'"), 1);
	ck_assert_int_eq(audit_complete(db, id + 1, NULL, "applied"), 1);
	/* Append-only, whatever asks. */
	ck_assert_int_ne(db_exec(db, "DELETE FROM audit"), SQLITE_OK);
	ck_assert_int_ne(db_exec(db, "UPDATE audit SET user = 'someone else'"), SQLITE_OK);
	ck_assert_int_ne(db_exec(db, "UPDATE audit SET changes = ''"), SQLITE_OK);
	ck_assert_int_ne(db_exec(db, "UPDATE audit SET at = 0"), SQLITE_OK);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM audit WHERE user = 'ana' AND at = 1796000000"), 1);
	db_close(db);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("db_audit");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, test_db_setup, test_db_teardown);
	tcase_add_test(tc, added_completed_and_never_rewritten);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
