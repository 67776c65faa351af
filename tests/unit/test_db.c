/* Unit tests: migrations (from empty and from every earlier version), users, session expiry, throttling
 * counts, and that a database survives a killed writer. Real SQLite files in a temporary directory. */
#include <check.h>

#include "support/check_run.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "db/phones.h"
#include "db/users.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/centralita-db-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/test.db", dir);
}

static void teardown(void)
{
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct db *open_db(void)
{
	char err[256];
	struct db *db = db_open(path, err, sizeof err);
	ck_assert_msg(db != NULL, "%s", err);
	return db;
}

static struct db *open_migrated(void)
{
	char err[256];
	struct db *db = open_db();
	ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "%s", err);
	return db;
}

static const char *pragma_text(struct db *db, const char *sql)
{
	static char out[64];
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

START_TEST(open_sets_wal_and_foreign_keys)
{
	struct db *db = open_db();
	ck_assert_str_eq(pragma_text(db, "PRAGMA journal_mode"), "wal");
	ck_assert_str_eq(pragma_text(db, "PRAGMA foreign_keys"), "1");
	db_close(db);
}
END_TEST

START_TEST(migrates_from_empty_and_is_idempotent)
{
	char err[256];
	struct db *db = open_db();
	ck_assert_int_eq(db_schema_version(db), 0);
	ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(db_schema_version(db), db_latest_version());
	ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(db_schema_version(db), db_latest_version());
	ck_assert_int_eq(users_count(db), 0);
	db_close(db);
}
END_TEST

/* For every earlier version v: stop there, store a user (the oldest table), then finish; data survives. */
START_TEST(migrates_from_each_earlier_version)
{
	for (int v = 1; v < db_latest_version(); v++) {
		char err[256];
		unlink(path);
		struct db *db = open_db();
		ck_assert_msg(db_migrate_to(db, v, err, sizeof err) == 0, "to %d: %s", v, err);
		ck_assert_int_eq(db_schema_version(db), v);
		ck_assert_int_eq(users_create(db, "kept", ROLE_OWNER, "h", 1, NULL), 0);
		ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "from %d: %s", v, err);
		ck_assert_int_eq(db_schema_version(db), db_latest_version());
		struct user u;
		ck_assert_int_eq(users_get_by_name(db, "kept", &u), 0);
		db_close(db);
	}
}
END_TEST

START_TEST(refuses_newer_database)
{
	char err[256];
	struct db *db = open_migrated();
	ck_assert_int_eq(db_exec(db, "UPDATE schema_version SET version = 999"), SQLITE_OK);
	ck_assert_int_ne(db_migrate(db, err, sizeof err), 0);
	ck_assert_msg(strstr(err, "newer"), "%s", err);
	db_close(db);
}
END_TEST

START_TEST(users_store_names_literally)
{
	struct db *db = open_migrated();
	int64_t id;
	const char *evil = "'; DROP TABLE users;--";
	ck_assert_int_eq(users_create(db, evil, ROLE_OWNER, "h", 10, &id), 0);
	ck_assert_int_eq(users_create(db, "ANA", ROLE_INTEGRATOR, "h", 10, NULL), 0);
	ck_assert_int_eq(users_create(db, "ana", ROLE_OWNER, "h", 10, NULL), 1); /* names are case-insensitive */
	struct user u;
	ck_assert_int_eq(users_get_by_id(db, id, &u), 0);
	ck_assert_str_eq(u.name, evil);
	ck_assert_int_eq(u.role, ROLE_OWNER);
	ck_assert_int_eq(users_count(db), 2);
	ck_assert_int_eq(users_set_disabled(db, id, true, 11), 0);
	ck_assert_int_eq(users_get_by_name(db, evil, &u), 0);
	ck_assert(u.disabled);
	ck_assert_int_eq(users_set_language(db, id, "es", 12), 0);
	ck_assert_int_eq(users_get_by_id(db, id, &u), 0);
	ck_assert_str_eq(u.language, "es");
	ck_assert_int_eq(users_set_language(db, id, "fr", 12), 1); /* CHECK constraint */
	ck_assert_int_eq(users_get_by_id(db, 999, &u), 1);
	db_close(db);
}
END_TEST

START_TEST(sessions_expire_when_idle_or_old)
{
	struct db *db = open_migrated();
	int64_t uid;
	ck_assert_int_eq(users_create(db, "u", ROLE_OWNER, "h", 0, &uid), 0);
	unsigned char a[32] = { 1 }, b[32] = { 2 }, c[32] = { 3 };
	struct session_row s;
	const int idle = 100, life = 1000;
	ck_assert_int_eq(sessions_create(db, a, uid, "csrf-a", 1000), 0);
	ck_assert_int_eq(sessions_lookup(db, a, 1100, idle, life, &s), 0);     /* exactly at the idle limit */
	ck_assert_str_eq(s.csrf_token, "csrf-a");
	ck_assert_int_eq(sessions_lookup(db, a, 1101, idle, life, &s), 1);     /* idle too long: gone */
	ck_assert_int_eq(sessions_lookup(db, a, 1000, idle, life, &s), 1);     /* and deleted */

	ck_assert_int_eq(sessions_create(db, b, uid, "csrf-b", 1000), 0);
	for (int64_t t = 1090; t <= 1990; t += 90) {                          /* kept alive by activity */
		ck_assert_int_eq(sessions_lookup(db, b, t, idle, life, &s), 0);
		ck_assert_int_eq(sessions_touch(db, b, t), 0);
	}
	ck_assert_int_eq(sessions_lookup(db, b, 2001, idle, life, &s), 1);     /* absolute lifetime over */

	ck_assert_int_eq(sessions_create(db, c, uid, "csrf-c", 5000), 0);
	ck_assert_int_eq(sessions_delete_for_user(db, uid), 0);
	ck_assert_int_eq(sessions_lookup(db, c, 5000, idle, life, &s), 1);
	db_close(db);
}
END_TEST

START_TEST(deleting_a_user_deletes_sessions)
{
	struct db *db = open_migrated();
	int64_t uid;
	ck_assert_int_eq(users_create(db, "u", ROLE_OWNER, "h", 0, &uid), 0);
	unsigned char a[32] = { 9 };
	ck_assert_int_eq(sessions_create(db, a, uid, "x", 0), 0);
	ck_assert_int_eq(db_exec(db, "DELETE FROM users"), SQLITE_OK);
	struct session_row s;
	ck_assert_int_eq(sessions_lookup(db, a, 0, 100, 100, &s), 1);
	db_close(db);
}
END_TEST

START_TEST(login_failures_count_by_user_or_address)
{
	struct db *db = open_migrated();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(login_failures_record(db, "ana", "10.0.0.1", 100 + i), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(login_failures_record(db, "other", "10.0.0.9", 100 + i), 0);
	ck_assert_int_eq(login_failures_count(db, "ana", "10.0.0.2", 0), 3);
	ck_assert_int_eq(login_failures_count(db, "ANA", "10.0.0.2", 0), 3);
	ck_assert_int_eq(login_failures_count(db, "nobody", "10.0.0.9", 0), 4);
	ck_assert_int_eq(login_failures_count(db, "ana", "10.0.0.9", 0), 4);
	ck_assert_int_eq(login_failures_count(db, "ana", "10.0.0.1", 102), 1);  /* window */
	ck_assert_int_eq(login_failures_clear_user(db, "ana"), 0);
	ck_assert_int_eq(login_failures_count(db, "ana", "x", 0), 0);
	ck_assert_int_eq(login_failures_purge(db, 1000), 0);
	ck_assert_int_eq(login_failures_count(db, "other", "x", 0), 0);
	db_close(db);
}
END_TEST

static int scalar(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The trigger-kept counts equal what counting the rows says, through every kind of change. */
static void expect_counts(struct db *db, int live, int pending)
{
	ck_assert_int_eq(phones_count_live(db), live);
	ck_assert_int_eq(phones_count_pending(db), pending);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM phones WHERE deleted = 0"), live);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM phones WHERE applied_version < version OR deleted = 1"),
			 pending);
}

START_TEST(phone_counts_follow_changes)
{
	struct db *db = open_migrated();
	struct phone p = { 0 };
	int64_t a, b;
	snprintf(p.extension, sizeof p.extension, "201");
	snprintf(p.name, sizeof p.name, "A");
	snprintf(p.model, sizeof p.model, "yealink-t46u");
	snprintf(p.mac, sizeof p.mac, "001565000001");
	snprintf(p.calling_class, sizeof p.calling_class, "national");
	snprintf(p.secret, sizeof p.secret, "s");
	expect_counts(db, 0, 0);
	ck_assert_int_eq(phones_create(db, &p, 1, &a), PHONES_OK);
	expect_counts(db, 1, 1);
	snprintf(p.extension, sizeof p.extension, "202");
	snprintf(p.mac, sizeof p.mac, "001565000002");
	ck_assert_int_eq(phones_create(db, &p, 1, &b), PHONES_OK);
	ck_assert_int_eq(phones_create(db, &p, 1, NULL), PHONES_DUP_EXTENSION);
	expect_counts(db, 2, 2);
	ck_assert_int_eq(phones_mark_applied(db, a, 1, "201", "001565000001", "yealink-t46u", 1000), 0);
	expect_counts(db, 2, 1);
	p.id = a;
	snprintf(p.extension, sizeof p.extension, "203");
	snprintf(p.mac, sizeof p.mac, "001565000003");
	ck_assert_int_eq(phones_update(db, &p, 1, 2), PHONES_OK);     /* edited: pending again */
	ck_assert_int_eq(phones_update(db, &p, 1, 2), PHONES_CONFLICT);
	expect_counts(db, 2, 2);
	ck_assert_int_eq(phones_remove(db, b, 1, 3), PHONES_OK);       /* tombstone: not live, pending */
	expect_counts(db, 1, 2);
	ck_assert_int_eq(phones_purge(db, b, 2), 0);
	expect_counts(db, 1, 1);
	db_close(db);
}
END_TEST

/* A writer killed with SIGKILL in the middle of transactions leaves a database that opens and checks fine. */
START_TEST(killed_writer_leaves_consistent_database)
{
	struct db *db = open_migrated();
	db_close(db);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[256];
		struct db *w = db_open(path, err, sizeof err);
		for (int i = 0;; i++) {
			char name[32];
			snprintf(name, sizeof name, "user%d", i);
			db_exec(w, "BEGIN");
			users_create(w, name, ROLE_OWNER, "h", i, NULL);
			db_exec(w, "COMMIT");
		}
	}
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	db = open_db();
	ck_assert_str_eq(pragma_text(db, "PRAGMA integrity_check"), "ok");
	ck_assert_int_gt(users_count(db), 0);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, open_sets_wal_and_foreign_keys);
	tcase_add_test(tc, migrates_from_empty_and_is_idempotent);
	tcase_add_test(tc, migrates_from_each_earlier_version);
	tcase_add_test(tc, refuses_newer_database);
	tcase_add_test(tc, users_store_names_literally);
	tcase_add_test(tc, sessions_expire_when_idle_or_old);
	tcase_add_test(tc, deleting_a_user_deletes_sessions);
	tcase_add_test(tc, login_failures_count_by_user_or_address);
	tcase_add_test(tc, killed_writer_leaves_consistent_database);
	tcase_add_test(tc, phone_counts_follow_changes);
	suite_add_tcase(s, tc);
	return check_run(s);
}
