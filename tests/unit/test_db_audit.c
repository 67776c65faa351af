/* Unit tests: the audit trail in the database (db/audit.c, migration 9): a row is added with every column, its
 * AMI actions and outcome completed later; the database refuses to delete a row or to rewrite anything else.
 * Reading: filters (text, user, kind, dates) and keyset pages in both directions against a brute-force count;
 * the change descriptions, which never hold a secret's value. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Collects the ids a walk hands over, checking they come newest first. */
struct seen {
	int64_t ids[64];
	int n;
};

static int collect(void *ctx, const struct audit_record *r)
{
	struct seen *s = ctx;
	ck_assert_int_lt(s->n, 64);
	if (s->n)
		ck_assert_int_lt(r->id, s->ids[s->n - 1]);
	s->ids[s->n++] = r->id;
	return 0;
}

static const char *const users[] = { "ana", "bruno", "centralita" };
static const char *const actions[] = { "phone.create", "phone.update", "route.move", "trunk.delete", "user.create",
				       "phones.x" };

/* 50 rows: user i % 3, action i % 6, at 1000 + 10 i, and an object that says its number ("50% off" on 7). */
static struct db *seeded(void)
{
	struct db *db = test_db_open();
	for (int i = 0; i < 50; i++) {
		char object[32];
		snprintf(object, sizeof object, i == 7 ? "50%% off" : "thing %d", i);
		struct audit_record r = { .at = 1000 + 10 * i, .user = users[i % 3], .address = "192.0.2.1",
					  .action = actions[i % 6], .object = object, .changes = i == 20 ? "name: A -> Zeta" : "",
					  .outcome = i % 2 ? "applied" : "pending: down" };
		ck_assert_int_eq(audit_add(db, &r), i + 1);
	}
	return db;
}

START_TEST(filters_match_what_they_say)
{
	struct db *db = seeded();
	struct seen s = { .n = 0 };
	struct audit_filter all = { 0 };
	ck_assert_int_eq(audit_each(db, &all, 0, 0, 10, collect, &s), 10);
	ck_assert_int_eq(s.ids[0], 50);    /* newest first */
	ck_assert_int_eq(s.ids[9], 41);

	struct audit_filter by_user = { .user = "bruno" };
	s.n = 0;
	ck_assert_int_eq(audit_each(db, &by_user, 0, 0, 64, collect, &s), 17);
	for (int i = 0; i < s.n; i++)
		ck_assert_int_eq((s.ids[i] - 1) % 3, 1);

	/* "phone" is the kind of phone.create and phone.update, not of "phones.x". */
	struct audit_filter by_kind = { .kind = "phone" };
	s.n = 0;
	int phone_rows = audit_each(db, &by_kind, 0, 0, 64, collect, &s);
	ck_assert_int_eq(phone_rows, (int)test_db_scalar(db, "SELECT COUNT(*) FROM audit WHERE action LIKE 'phone.%'"));
	ck_assert_int_eq(phone_rows, 18);   /* i % 6 is 0 or 1 */

	/* at in [from, to): rows 10..19 */
	struct audit_filter by_date = { .from = 1100, .to = 1200 };
	s.n = 0;
	ck_assert_int_eq(audit_each(db, &by_date, 0, 0, 64, collect, &s), 10);
	ck_assert_int_eq(s.ids[0], 20);
	ck_assert_int_eq(s.ids[9], 11);

	/* Text: in the changes (ASCII case ignored), in the outcome, and '%' is itself, not a wildcard. */
	struct audit_filter by_text = { .text = "zETA" };
	s.n = 0;
	ck_assert_int_eq(audit_each(db, &by_text, 0, 0, 64, collect, &s), 1);
	ck_assert_int_eq(s.ids[0], 21);
	struct audit_filter percent = { .text = "50%" };
	s.n = 0;
	ck_assert_int_eq(audit_each(db, &percent, 0, 0, 64, collect, &s), 1);
	ck_assert_int_eq(s.ids[0], 8);
	struct audit_filter outcome = { .text = "pending", .user = "ana" };
	s.n = 0;
	ck_assert_int_eq(audit_each(db, &outcome, 0, 0, 64, collect, &s), 9);   /* i even and i % 3 == 0 */
	db_close(db);
}
END_TEST

START_TEST(keyset_pages_cover_every_row_once_both_ways)
{
	struct db *db = seeded();
	struct audit_filter f = { .user = "ana" };   /* ids 1, 4, ..., 49: 17 rows */
	int64_t all[17];
	int total = 0;
	int64_t cursor = 0;
	/* Down, 5 at a time: 5 + 5 + 5 + 2, each page below the last row of the one before. */
	for (int page = 0; page < 5; page++) {
		struct seen s = { .n = 0 };
		int n = audit_each(db, &f, cursor, 0, 5, collect, &s);
		ck_assert_int_eq(n, page < 3 ? 5 : page == 3 ? 2 : 0);
		for (int i = 0; i < n; i++)
			all[total++] = s.ids[i];
		if (n)
			cursor = s.ids[n - 1];
	}
	ck_assert_int_eq(total, 17);
	for (int i = 0; i < 17; i++)
		ck_assert_int_eq(all[i], 49 - 3 * i);
	/* Up from the last page: the 5 rows just above id 19 (22..34), still newest first. */
	struct seen s = { .n = 0 };
	ck_assert_int_eq(audit_each(db, &f, 0, 19, 5, collect, &s), 5);
	ck_assert_int_eq(s.ids[0], 34);
	ck_assert_int_eq(s.ids[4], 22);
	/* Near the top only what is left: 46 and 49. */
	s.n = 0;
	ck_assert_int_eq(audit_each(db, &f, 0, 43, 5, collect, &s), 2);
	ck_assert_int_eq(s.ids[0], 49);
	db_close(db);
}
END_TEST

START_TEST(change_descriptions_never_hold_a_secret)
{
	struct buf b;
	buf_init(&b);
	/* An update: only what changed, old -> new; an emptied value shows as "". */
	audit_diff(&b, "name", "Ana", "Ana Pérez");
	audit_diff(&b, "model", "t46u", "t46u");
	audit_diff(&b, "callerid", "+3491", "");
	int64_t a = 1, c = 2;
	audit_diff_int(&b, "priority", &a, &c);
	audit_diff_secret(&b, "secret", "old-Secret-1", "new-Secret-2");
	audit_diff_secret(&b, "password", "same-pass", "same-pass");
	ck_assert_str_eq(buf_cstr(&b), "name: Ana -> Ana Pérez\ncallerid: +3491 -> \"\"\npriority: 1 -> 2\nsecret: changed");
	/* A creation: the values (empty ones left out), the secret only as set. */
	buf_reset(&b);
	audit_diff(&b, "name", NULL, "prov-a");
	audit_diff(&b, "username", NULL, "");
	audit_diff_secret(&b, "secret", NULL, "pa$$word-77");
	audit_diff_secret(&b, "secret2", NULL, "");
	ck_assert_str_eq(buf_cstr(&b), "name: prov-a\nsecret: set");
	/* A removal: what was removed; a secret never. */
	buf_reset(&b);
	audit_diff(&b, "host", "192.0.2.20", NULL);
	audit_diff_secret(&b, "secret", "pa$$word-77", NULL);
	audit_diff_secret(&b, "secret", "", "x-new");
	audit_diff_secret(&b, "secret", "x-old", "");
	ck_assert_str_eq(buf_cstr(&b), "host: 192.0.2.20\nsecret: removed\nsecret: set\nsecret: removed");
	ck_assert_ptr_null(strstr(buf_cstr(&b), "pa$$"));
	buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("db_audit");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, test_db_setup, test_db_teardown);
	tcase_add_test(tc, added_completed_and_never_rewritten);
	tcase_add_test(tc, filters_match_what_they_say);
	tcase_add_test(tc, keyset_pages_cover_every_row_once_both_ways);
	tcase_add_test(tc, change_descriptions_never_hold_a_secret);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
