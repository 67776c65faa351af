/* Unit tests: migrations (from empty and from every earlier version), users, session expiry, password changes
 * ending sessions, login throttling (limits, window, atomic under concurrency, refused when not recordable),
 * and that a database survives a killed writer. Real SQLite files in a temporary directory. */
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

/* Migration 11 (phones several to a file, src/pbx/pbx.h): the phones an earlier release had applied keep their
 * part in files of their own until next written (own_files); a phone never applied, and every new one, has
 * none. Parts are stored as text from then on. */
START_TEST(phones_applied_before_groups_keep_their_own_files)
{
	char err[256];
	unlink(path);
	struct db *db = open_db();
	ck_assert_msg(db_migrate_to(db, 10, err, sizeof err) == 0, "%s", err);
	char *msg = NULL;
	int rc = sqlite3_exec(db_handle(db),
			      "INSERT INTO phones (id, extension, name, model, mac, secret, created_at, updated_at, "
			      "  applied_version, applied_extension, applied_chan_digest, applied_dial_digest) VALUES "
			      "(1, '201', 'Ana', 'yealink-t46u', '001565aabb01', 's', 1, 1, 1, '201', 'c', 'd'),"
			      "(2, '202', 'Bea', 'yealink-t46u', '001565aabb02', 's', 1, 1, 0, NULL, NULL, NULL)",
			      NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s", msg ? msg : "");
	ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "%s", err);
	struct phone p;
	ck_assert_int_eq(phones_get(db, 1, &p), PHONES_OK);
	ck_assert(p.own_files);
	ck_assert_int_eq(phones_get(db, 2, &p), PHONES_OK);
	ck_assert(!p.own_files);
	ck_assert_int_eq(phones_set_part(db, 1, true, "e", "[201]\ntype=endpoint\n"), 0);
	ck_assert_int_eq(phones_clear_own_files(db, 1), 0);
	ck_assert_int_eq(phones_get(db, 1, &p), PHONES_OK);
	ck_assert(!p.own_files);
	ck_assert_str_eq(p.applied_chan_digest, "e");
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), "SELECT applied_chan_text FROM phones WHERE id = 1", -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "[201]\ntype=endpoint\n");
	sqlite3_finalize(st);
	db_close(db);
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

static int scalar(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const struct login_limits limits = { .per_pair = 2, .per_address = 8, .per_user = 20, .since = 1000,
					    .usual_since = 0 };

static enum login_attempt attempt(struct db *db, const char *name, const char *address)
{
	return login_attempt_begin(db, name, address, 1000, &limits);
}

START_TEST(login_limits_per_pair_per_address_and_per_user)
{
	struct db *db = open_migrated();
	/* (user, address): the third try at one name from one address is refused; other addresses are not. */
	ck_assert_int_eq(attempt(db, "ana", "10.0.0.1"), LOGIN_ATTEMPT_ALLOWED);
	ck_assert_int_eq(attempt(db, "ANA", "10.0.0.1"), LOGIN_ATTEMPT_ALLOWED); /* names are case-insensitive */
	ck_assert_int_eq(attempt(db, "ana", "10.0.0.1"), LOGIN_ATTEMPT_THROTTLED);
	ck_assert_int_eq(attempt(db, "ana", "10.0.0.2"), LOGIN_ATTEMPT_ALLOWED);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM login_failures"), 3); /* refused tries are not counted */

	/* One address, many names: 8 in all, then nothing from it; other addresses go on. */
	for (int i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "name%d", i);
		ck_assert_int_eq(attempt(db, name, "10.0.0.3"), LOGIN_ATTEMPT_ALLOWED);
		ck_assert_int_eq(attempt(db, name, "10.0.0.3"), LOGIN_ATTEMPT_ALLOWED);
	}
	ck_assert_int_eq(attempt(db, "fresh", "10.0.0.3"), LOGIN_ATTEMPT_THROTTLED);
	ck_assert_int_eq(attempt(db, "fresh", "10.0.0.4"), LOGIN_ATTEMPT_ALLOWED);

	/* One name from many addresses: 20 in all, then refused except where the user logged in before. */
	int64_t boss;
	ck_assert_int_eq(users_create(db, "boss", ROLE_INTEGRATOR, "h", 0, &boss), 0);
	ck_assert_int_eq(login_attempt_succeeded(db, boss, "boss", "192.0.2.1", 900, 0), 0);
	for (int i = 0; i < 20; i++) {
		char address[32];
		snprintf(address, sizeof address, "198.51.100.%d", i / 2);
		ck_assert_int_eq(attempt(db, "boss", address), LOGIN_ATTEMPT_ALLOWED);
	}
	ck_assert_int_eq(attempt(db, "boss", "198.51.100.200"), LOGIN_ATTEMPT_THROTTLED);
	ck_assert_int_eq(attempt(db, "Boss", "192.0.2.1"), LOGIN_ATTEMPT_ALLOWED);
	/* A usual address stops being one when unused since usual_since. */
	struct login_limits later = limits;
	later.usual_since = 901;
	ck_assert_int_eq(login_attempt_begin(db, "boss", "192.0.2.1", 1000, &later), LOGIN_ATTEMPT_THROTTLED);
	db_close(db);
}
END_TEST

START_TEST(login_failures_leave_the_window_and_the_table)
{
	struct db *db = open_migrated();
	for (int i = 0; i < 100; i++) {
		char address[32];
		snprintf(address, sizeof address, "203.0.113.%d", i);
		ck_assert_int_eq(login_attempt_begin(db, "admin", address, 10 + i, &(struct login_limits){
					 .per_pair = 1, .per_address = 1, .per_user = 1000, .since = 0 }),
				 LOGIN_ATTEMPT_ALLOWED);
	}
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM login_failures"), 100);
	ck_assert_int_eq(attempt(db, "admin", "203.0.113.1"), LOGIN_ATTEMPT_ALLOWED); /* out of the window */
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM login_failures"), 1);         /* and out of the table */
	db_close(db);
}
END_TEST

START_TEST(login_success_clears_its_pair_and_remembers_the_address)
{
	struct db *db = open_migrated();
	int64_t uid;
	ck_assert_int_eq(users_create(db, "ana", ROLE_OWNER, "h", 0, &uid), 0);
	ck_assert_int_eq(attempt(db, "ana", "10.0.0.1"), LOGIN_ATTEMPT_ALLOWED);
	ck_assert_int_eq(attempt(db, "ana", "10.0.0.2"), LOGIN_ATTEMPT_ALLOWED);
	ck_assert_int_eq(attempt(db, "ana", "10.0.0.1"), LOGIN_ATTEMPT_ALLOWED);
	ck_assert_int_eq(login_attempt_succeeded(db, uid, "ana", "10.0.0.1", 1000, 0), 0);
	/* Only this address's failures go: a guesser elsewhere does not get a fresh start from the user's login. */
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM login_failures WHERE address = '10.0.0.1'"), 0);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM login_failures WHERE address = '10.0.0.2'"), 1);
	ck_assert_int_eq(scalar(db, "SELECT last_login FROM login_addresses WHERE address = '10.0.0.1'"), 1000);
	ck_assert_int_eq(login_attempt_succeeded(db, uid, "ana", "10.0.0.3", 5000, 2000), 0);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM login_addresses"), 1); /* 10.0.0.1, unused since, forgotten */
	db_close(db);
}
END_TEST

/* Twelve processes try at once, each on its own connection: exactly the limit get through. */
START_TEST(concurrent_login_attempts_respect_the_limit)
{
	struct db *db = open_migrated();
	db_close(db);
	enum { TRIES = 12 };
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	pid_t pids[TRIES];
	for (int i = 0; i < TRIES; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			char err[256], c;
			close(go[1]);
			struct db *w = db_open(path, err, sizeof err);
			if (!w || read(go[0], &c, 1) != 0) /* everyone starts when the pipe closes */
				_exit(3);
			_exit(login_attempt_begin(w, "ana", "10.0.0.1", 1000, &limits) == LOGIN_ATTEMPT_ALLOWED ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]);
	int allowed = 0;
	for (int i = 0; i < TRIES; i++) {
		int status;
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
		allowed += WEXITSTATUS(status) == 0;
	}
	ck_assert_int_eq(allowed, limits.per_pair);
	db = open_db();
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM login_failures"), limits.per_pair);
	db_close(db);
}
END_TEST

START_TEST(login_attempt_that_cannot_be_recorded_is_refused)
{
	struct db *db = open_migrated();
	ck_assert_int_eq(db_exec(db, "CREATE TRIGGER full BEFORE INSERT ON login_failures "
				     "BEGIN SELECT RAISE(ABORT, 'disk full'); END"), SQLITE_OK);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(attempt(db, "ana", "10.0.0.1"), LOGIN_ATTEMPT_ERROR);
	ck_assert(sqlite3_get_autocommit(db_handle(db))); /* no transaction left open */
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER full"), SQLITE_OK);
	ck_assert_int_eq(attempt(db, "ana", "10.0.0.1"), LOGIN_ATTEMPT_ALLOWED);
	db_close(db);
}
END_TEST

START_TEST(password_change_ends_the_other_sessions_or_nothing)
{
	struct db *db = open_migrated();
	int64_t uid, other;
	ck_assert_int_eq(users_create(db, "ana", ROLE_OWNER, "old", 0, &uid), 0);
	ck_assert_int_eq(users_create(db, "eva", ROLE_OWNER, "h", 0, &other), 0);
	unsigned char a[32] = { 1 }, b[32] = { 2 }, c[32] = { 3 }, e[32] = { 4 };
	ck_assert_int_eq(sessions_create(db, a, uid, "x", 0), 0);
	ck_assert_int_eq(sessions_create(db, b, uid, "x", 0), 0);
	ck_assert_int_eq(sessions_create(db, e, other, "x", 0), 0);
	ck_assert_int_eq(users_set_password(db, uid, "new", 1, a), 0);    /* from session a: a stays */
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM sessions WHERE user_id = 1"), 1);
	struct session_row row;
	ck_assert_int_eq(sessions_lookup(db, a, 1, 100, 100, &row), 0);
	ck_assert_int_eq(sessions_create(db, c, uid, "x", 2), 0);
	ck_assert_int_eq(users_set_password(db, uid, "newer", 3, NULL), 0); /* from the command line: all go */
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM sessions WHERE user_id = 1"), 0);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM sessions"), 1);  /* other users' sessions stay */
	ck_assert_int_eq(users_set_password(db, 999, "x", 4, NULL), 1);

	/* If the sessions cannot end, the password does not change either. */
	ck_assert_int_eq(sessions_create(db, b, uid, "x", 5), 0);
	ck_assert_int_eq(db_exec(db, "CREATE TRIGGER keep BEFORE DELETE ON sessions "
				     "BEGIN SELECT RAISE(ABORT, 'no'); END"), SQLITE_OK);
	ck_assert_int_eq(users_set_password(db, uid, "lost", 6, NULL), -1);
	ck_assert(sqlite3_get_autocommit(db_handle(db)));
	struct user u;
	ck_assert_int_eq(users_get_by_id(db, uid, &u), 0);
	ck_assert_str_eq(u.password_hash, "newer");
	db_close(db);
}
END_TEST

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
	tcase_add_test(tc, phones_applied_before_groups_keep_their_own_files);
	tcase_add_test(tc, users_store_names_literally);
	tcase_add_test(tc, sessions_expire_when_idle_or_old);
	tcase_add_test(tc, deleting_a_user_deletes_sessions);
	tcase_add_test(tc, login_limits_per_pair_per_address_and_per_user);
	tcase_add_test(tc, login_failures_leave_the_window_and_the_table);
	tcase_add_test(tc, login_success_clears_its_pair_and_remembers_the_address);
	tcase_add_test(tc, concurrent_login_attempts_respect_the_limit);
	tcase_add_test(tc, login_attempt_that_cannot_be_recorded_is_refused);
	tcase_add_test(tc, password_change_ends_the_other_sessions_or_nothing);
	tcase_add_test(tc, killed_writer_leaves_consistent_database);
	tcase_add_test(tc, phone_counts_follow_changes);
	suite_add_tcase(s, tc);
	return check_run(s);
}
