/* Unit tests: trunks, outbound routes and the routes dialplan's state in the database (db/trunks.c,
 * db/routes.c, migration 6): create/get/update with version conflicts and duplicate names, trunk removal
 * refused while a route uses it, priorities kept 1..n by moves and deletes, the dialplan's version bumped
 * exactly once by every change that alters it (and never by those that do not), multi-row changes all or
 * nothing, the apply state (due lists, mark applied/failed/drifted/outdated, purge) as phones have it, and the
 * migration from the previous schema. Real SQLite files in a temporary directory. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "support/db_test_support.h"
#include "db/phones.h"
#include "db/routes.h"
#include "db/trunks.h"
#include "db/users.h"

/* The database as an earlier release left it: opened, not migrated (the test migrates it step by step). */
static struct db *open_unmigrated(void)
{
	char err[256];
	struct db *db = db_open(test_db_path, err, sizeof err);
	ck_assert_msg(db != NULL, "%s", err);
	return db;
}

static struct trunk trunk(const char *name)
{
	struct trunk t;
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "%s", name);
	snprintf(t.host, sizeof t.host, "sip.%s.example", name);
	t.port = 5060;
	snprintf(t.transport, sizeof t.transport, "udp");
	t.registration = true;
	snprintf(t.username, sizeof t.username, "user-%s", name);
	snprintf(t.secret, sizeof t.secret, "s3cr3t!%s", name);
	t.expiration = 3600;
	t.outbound_auth = true;
	snprintf(t.codecs, sizeof t.codecs, "ulaw,alaw");
	return t;
}

static int64_t add_trunk(struct db *db, const char *name, int64_t now)
{
	struct trunk t = trunk(name);
	int64_t id = 0;
	ck_assert_int_eq(trunks_create(db, &t, now, &id), TRUNKS_OK);
	ck_assert_int_gt(id, 0);
	return id;
}

static struct trunk get_trunk(struct db *db, int64_t id)
{
	struct trunk t;
	ck_assert_int_eq(trunks_get(db, id, &t), TRUNKS_OK);
	return t;
}

/* A route with one pattern, the class "national" and the trunks given (n of them). */
static struct route route(const char *name, const int64_t *trunks, int n)
{
	struct route r;
	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "%s", name);
	snprintf(r.patterns[0], sizeof r.patterns[0], "_9NXXXXXXX");
	r.n_patterns = 1;
	snprintf(r.classes[0], sizeof r.classes[0], "national");
	r.n_classes = 1;
	for (int i = 0; i < n; i++)
		r.trunks[i] = trunks[i];
	r.n_trunks = n;
	return r;
}

static int64_t add_route(struct db *db, const char *name, int64_t trunk_id, int64_t now)
{
	struct route r = route(name, &trunk_id, 1);
	int64_t id = 0;
	ck_assert_int_eq(routes_create(db, &r, now, &id), ROUTES_OK);
	ck_assert_int_gt(id, 0);
	return id;
}

static struct route get_route(struct db *db, int64_t id)
{
	struct route r;
	ck_assert_int_eq(routes_get(db, id, &r), ROUTES_OK);
	return r;
}

static int64_t dp_version(struct db *db)
{
	struct dialplan_state d;
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	return d.version;
}

/* The dialplan's version moved by exactly delta since *last; *last follows. */
#define ASSERT_BUMPED(db, last, delta)                                                                       \
	do {                                                                                                 \
		int64_t now_v_ = dp_version(db);                                                             \
		ck_assert_int_eq(now_v_ - *(last), (delta));                                                 \
		*(last) = now_v_;                                                                            \
	} while (0)

/* Route ids in priority order, and a check that the priorities are exactly 1..n. */
struct order {
	int64_t ids[64];
	int n;
};

static int collect_route(void *ctx, const struct route *r)
{
	struct order *o = ctx;
	ck_assert_int_lt(o->n, 64);
	ck_assert_int_eq(r->priority, o->n + 1);
	o->ids[o->n++] = r->id;
	return 0;
}

static void assert_order(struct db *db, const int64_t *want, int n)
{
	struct order o = { .n = 0 };
	ck_assert_int_eq(routes_list(db, collect_route, &o), n);
	ck_assert_int_eq(o.n, n);
	for (int i = 0; i < n; i++)
		ck_assert_msg(o.ids[i] == want[i], "position %d: route %lld, want %lld", i + 1, (long long)o.ids[i],
			      (long long)want[i]);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM routes"), n);
	ck_assert_int_eq(test_db_scalar(db, "SELECT coalesce(min(priority), 1) FROM routes"), 1);
	ck_assert_int_eq(test_db_scalar(db, "SELECT coalesce(max(priority), 0) FROM routes"), n);
}

/* ---------- migration ---------- */

START_TEST(migrates_from_the_previous_version)
{
	char err[256];
	struct db *db = open_unmigrated();
	ck_assert_msg(db_migrate_to(db, 5, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(db_schema_version(db), 5);
	ck_assert_int_eq(users_create(db, "kept", ROLE_OWNER, "h", 1, NULL), 0);
	struct phone p;
	memset(&p, 0, sizeof p);
	snprintf(p.extension, sizeof p.extension, "201");
	snprintf(p.name, sizeof p.name, "Ana");
	snprintf(p.model, sizeof p.model, "yealink-t46u");
	snprintf(p.mac, sizeof p.mac, "001565aabb01");
	snprintf(p.calling_class, sizeof p.calling_class, "national");
	snprintf(p.secret, sizeof p.secret, "x");
	int64_t phone_id;
	ck_assert_int_eq(phones_create(db, &p, 1, &phone_id), PHONES_OK);
	db_close(db);

	db = test_db_open();
	ck_assert_int_eq(db_schema_version(db), db_latest_version());
	ck_assert_int_ge(db_latest_version(), 6);
	struct user u;
	ck_assert_int_eq(users_get_by_name(db, "kept", &u), 0);
	ck_assert_int_eq(phones_get(db, phone_id, &p), PHONES_OK);
	ck_assert_str_eq(p.extension, "201");
	/* The dialplan is written once at first start. */
	struct dialplan_state d;
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert_int_eq(d.version, 1);
	ck_assert_int_eq(d.applied_version, 0);
	ck_assert(dialplan_pending(&d));
	ck_assert(!d.blocked && !d.drifted);
	ck_assert_str_eq(d.applied_digest, "");
	ck_assert_int_eq(trunks_count_pending(db), 0);
	ck_assert_int_eq(routes_list(db, collect_route, &(struct order){ .n = 0 }), 0);
	/* The new tables work on the migrated database. */
	int64_t t = add_trunk(db, "acme", 10);
	add_route(db, "national", t, 11);
	ck_assert_int_eq(dp_version(db), 3);
	/* Migrating again changes nothing (the one-row state is not inserted twice). */
	ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM dialplan_state"), 1);
	ck_assert_int_eq(dp_version(db), 3);
	db_close(db);
}
END_TEST

/* ---------- trunks ---------- */

START_TEST(trunk_create_get_update_and_conflicts)
{
	struct db *db = test_db_open();
	struct trunk in = trunk("acme");
	snprintf(in.secret, sizeof in.secret, "'; DROP TABLE trunks;--");
	snprintf(in.from_user, sizeof in.from_user, "3491");
	snprintf(in.from_domain, sizeof in.from_domain, "acme.example");
	snprintf(in.callerid, sizeof in.callerid, "+34910000000");
	in.max_calls = 4;
	in.port = 5061;
	snprintf(in.transport, sizeof in.transport, "tls");
	in.outbound_auth = false;
	int64_t id;
	ck_assert_int_eq(trunks_create(db, &in, 100, &id), TRUNKS_OK);
	struct trunk t = get_trunk(db, id);
	ck_assert_int_eq(t.id, id);
	ck_assert_str_eq(t.name, "acme");
	ck_assert_str_eq(t.host, "sip.acme.example");
	ck_assert_int_eq(t.port, 5061);
	ck_assert_str_eq(t.transport, "tls");
	ck_assert(t.registration);
	ck_assert_str_eq(t.username, "user-acme");
	ck_assert_str_eq(t.secret, "'; DROP TABLE trunks;--");   /* stored literally */
	ck_assert_int_eq(t.expiration, 3600);
	ck_assert(!t.outbound_auth);
	ck_assert_str_eq(t.from_user, "3491");
	ck_assert_str_eq(t.from_domain, "acme.example");
	ck_assert_str_eq(t.codecs, "ulaw,alaw");
	ck_assert_str_eq(t.callerid, "+34910000000");
	ck_assert_int_eq(t.max_calls, 4);
	ck_assert_int_eq(t.version, 1);
	ck_assert(!t.deleted);
	ck_assert_int_eq(t.applied_version, 0);
	ck_assert_str_eq(t.applied_name, "");
	ck_assert_str_eq(t.applied_digest, "");
	ck_assert(trunk_pending(&t));
	ck_assert_int_eq(t.created_at, 100);
	ck_assert_int_eq(t.updated_at, 100);

	/* Names are unique among live trunks. */
	struct trunk dup = trunk("acme");
	ck_assert_int_eq(trunks_create(db, &dup, 101, NULL), TRUNKS_DUP_NAME);
	int64_t beta = add_trunk(db, "beta", 102);
	struct trunk b = get_trunk(db, beta);
	snprintf(b.name, sizeof b.name, "acme");
	ck_assert_int_eq(trunks_update(db, &b, 1, 103), TRUNKS_DUP_NAME);
	ck_assert_int_eq(get_trunk(db, beta).version, 1);

	/* Update at the version read; again at that version is a conflict. */
	t.port = 5080;
	snprintf(t.secret, sizeof t.secret, "new-secret");
	ck_assert_int_eq(trunks_update(db, &t, 1, 110), TRUNKS_OK);
	struct trunk t2 = get_trunk(db, id);
	ck_assert_int_eq(t2.version, 2);
	ck_assert_int_eq(t2.port, 5080);
	ck_assert_str_eq(t2.secret, "new-secret");
	ck_assert_int_eq(t2.created_at, 100);
	ck_assert_int_eq(t2.updated_at, 110);
	t.port = 5090;
	ck_assert_int_eq(trunks_update(db, &t, 1, 111), TRUNKS_CONFLICT);
	ck_assert_int_eq(get_trunk(db, id).port, 5080);
	/* Keeping its own name is no duplicate. */
	ck_assert_int_eq(trunks_update(db, &t, 2, 112), TRUNKS_OK);
	t.id = 9999;
	ck_assert_int_eq(trunks_update(db, &t, 1, 113), TRUNKS_NOT_FOUND);
	ck_assert_int_eq(trunks_get(db, 9999, &t2), TRUNKS_NOT_FOUND);
	ck_assert_int_eq(trunks_remove(db, 9999, 1, 113), TRUNKS_NOT_FOUND);
	ck_assert_int_eq(trunks_remove(db, id, 1, 113), TRUNKS_CONFLICT);

	ck_assert_int_eq(trunks_get_live_by_name(db, "acme", &t2), TRUNKS_OK);
	ck_assert_int_eq(t2.id, id);
	ck_assert_int_eq(trunks_get_live_by_name(db, "nope", &t2), TRUNKS_NOT_FOUND);

	/* A removed trunk is a tombstone: not live, its name free, not editable. */
	ck_assert_int_eq(trunks_remove(db, id, 3, 120), TRUNKS_OK);
	t2 = get_trunk(db, id);
	ck_assert(t2.deleted);
	ck_assert_int_eq(t2.version, 4);
	ck_assert(trunk_pending(&t2));
	ck_assert_int_eq(trunks_get_live_by_name(db, "acme", &t2), TRUNKS_NOT_FOUND);
	t2 = get_trunk(db, id);
	ck_assert_int_eq(trunks_update(db, &t2, 4, 121), TRUNKS_NOT_FOUND);
	ck_assert_int_eq(trunks_remove(db, id, 4, 121), TRUNKS_NOT_FOUND);
	int64_t again = add_trunk(db, "acme", 122);
	ck_assert_int_ne(again, id);
	ck_assert_int_eq(trunks_get_live_by_name(db, "acme", &t2), TRUNKS_OK);
	ck_assert_int_eq(t2.id, again);
	db_close(db);
}
END_TEST

struct names {
	char names[8][TRUNK_NAME_MAX];
	int n, stop_after;
};

static int collect_trunk(void *ctx, const struct trunk *t)
{
	struct names *o = ctx;
	ck_assert(!t->deleted);
	snprintf(o->names[o->n++], sizeof o->names[0], "%s", t->name);
	return o->stop_after && o->n >= o->stop_after;
}

START_TEST(trunk_list_is_live_by_name)
{
	struct db *db = test_db_open();
	add_trunk(db, "zulu", 1);
	int64_t gone = add_trunk(db, "mid", 2);
	add_trunk(db, "alpha", 3);
	add_trunk(db, "acme", 4);
	ck_assert_int_eq(trunks_remove(db, gone, 1, 5), TRUNKS_OK);
	struct names o = { .n = 0 };
	ck_assert_int_eq(trunks_list(db, collect_trunk, &o), 3);
	ck_assert_str_eq(o.names[0], "acme");
	ck_assert_str_eq(o.names[1], "alpha");
	ck_assert_str_eq(o.names[2], "zulu");
	struct names stop = { .n = 0, .stop_after = 2 };
	ck_assert_int_eq(trunks_list(db, collect_trunk, &stop), 2);
	db_close(db);
}
END_TEST

/* Create, rename, caller ID, call limit and removal change the dialplan; the trunk's other fields only its own
 * file. Refused changes change nothing. */
START_TEST(trunk_changes_bump_the_dialplan_only_when_it_changes)
{
	struct db *db = test_db_open();
	int64_t v = dp_version(db);
	int64_t id = add_trunk(db, "acme", 10);
	ASSERT_BUMPED(db, &v, 1);
	struct trunk t = get_trunk(db, id);

	/* Each field the dialplan does not use: the trunk's version moves, the dialplan's does not. */
	for (int field = 0; field < 11; field++) {
		switch (field) {
		case 0: snprintf(t.host, sizeof t.host, "10.0.0.%d", field + 1); break;
		case 1: t.port = 5070; break;
		case 2: snprintf(t.transport, sizeof t.transport, "tcp"); break;
		case 3: t.registration = !t.registration; break;
		case 4: snprintf(t.username, sizeof t.username, "other"); break;
		case 5: snprintf(t.secret, sizeof t.secret, "another-secret"); break;
		case 6: t.expiration = 600; break;
		case 7: t.outbound_auth = !t.outbound_auth; break;
		case 8: snprintf(t.from_user, sizeof t.from_user, "from"); break;
		case 9: snprintf(t.from_domain, sizeof t.from_domain, "example.org"); break;
		case 10: snprintf(t.codecs, sizeof t.codecs, "alaw"); break;
		}
		int64_t version = get_trunk(db, id).version;
		ck_assert_int_eq(trunks_update(db, &t, version, 20 + field), TRUNKS_OK);
		ck_assert_int_eq(get_trunk(db, id).version, version + 1);
		ASSERT_BUMPED(db, &v, 0);
	}
	/* Saving it unchanged: the trunk's version moves, not the dialplan's. */
	ck_assert_int_eq(trunks_update(db, &t, get_trunk(db, id).version, 40), TRUNKS_OK);
	ASSERT_BUMPED(db, &v, 0);

	snprintf(t.name, sizeof t.name, "acme2");
	ck_assert_int_eq(trunks_update(db, &t, get_trunk(db, id).version, 50), TRUNKS_OK);
	ASSERT_BUMPED(db, &v, 1);
	snprintf(t.callerid, sizeof t.callerid, "+34911111111");
	ck_assert_int_eq(trunks_update(db, &t, get_trunk(db, id).version, 51), TRUNKS_OK);
	ASSERT_BUMPED(db, &v, 1);
	t.max_calls = 2;
	ck_assert_int_eq(trunks_update(db, &t, get_trunk(db, id).version, 52), TRUNKS_OK);
	ASSERT_BUMPED(db, &v, 1);
	/* Several at once: still one bump. */
	snprintf(t.name, sizeof t.name, "acme3");
	t.callerid[0] = '\0';
	t.max_calls = 0;
	t.port = 5062;
	ck_assert_int_eq(trunks_update(db, &t, get_trunk(db, id).version, 53), TRUNKS_OK);
	ASSERT_BUMPED(db, &v, 1);

	/* Refused: a stale version, a duplicate name, a trunk in use. */
	ck_assert_int_eq(trunks_update(db, &t, 1, 60), TRUNKS_CONFLICT);
	ASSERT_BUMPED(db, &v, 0);
	int64_t other = add_trunk(db, "other", 61);
	ASSERT_BUMPED(db, &v, 1);
	snprintf(t.name, sizeof t.name, "other");
	ck_assert_int_eq(trunks_update(db, &t, get_trunk(db, id).version, 62), TRUNKS_DUP_NAME);
	ASSERT_BUMPED(db, &v, 0);
	struct trunk dup = trunk("other");
	ck_assert_int_eq(trunks_create(db, &dup, 63, NULL), TRUNKS_DUP_NAME);
	ASSERT_BUMPED(db, &v, 0);
	add_route(db, "r", other, 64);
	ASSERT_BUMPED(db, &v, 1);
	ck_assert_int_eq(trunks_remove(db, other, 1, 65), TRUNKS_IN_USE);
	ASSERT_BUMPED(db, &v, 0);

	ck_assert_int_eq(trunks_remove(db, id, get_trunk(db, id).version, 70), TRUNKS_OK);
	ASSERT_BUMPED(db, &v, 1);
	/* The applier's bookkeeping is no change to the dialplan. */
	struct trunk o = get_trunk(db, other);
	ck_assert_int_eq(trunks_mark_failed(db, other, o.version, "down", 99, false), 0);
	ck_assert_int_eq(trunks_mark_applied(db, other, o.version, "other", "d", 71), 0);
	ck_assert_int_eq(trunks_mark_drifted(db, other, o.version, "gone"), 0);
	t = get_trunk(db, id);
	ck_assert_int_eq(trunks_purge(db, id, t.version), 0);
	ASSERT_BUMPED(db, &v, 0);
	db_close(db);
}
END_TEST

/* The version bump is in the same transaction as the change: if it cannot be written, nothing is. */
START_TEST(trunk_change_and_bump_are_one_transaction)
{
	struct db *db = test_db_open();
	int64_t id = add_trunk(db, "acme", 1);
	int64_t v = dp_version(db);
	ck_assert_int_eq(db_exec(db, "CREATE TRIGGER full BEFORE UPDATE ON dialplan_state "
				     "BEGIN SELECT RAISE(ABORT, 'disk full'); END"), SQLITE_OK);
	struct trunk t = trunk("beta");
	ck_assert_int_eq(trunks_create(db, &t, 2, NULL), TRUNKS_DB_ERROR);
	ck_assert(sqlite3_get_autocommit(db_handle(db))); /* no transaction left open */
	ck_assert_int_eq(trunks_get_live_by_name(db, "beta", &t), TRUNKS_NOT_FOUND);
	t = get_trunk(db, id);
	snprintf(t.name, sizeof t.name, "renamed");
	ck_assert_int_eq(trunks_update(db, &t, 1, 3), TRUNKS_DB_ERROR);
	ck_assert_str_eq(get_trunk(db, id).name, "acme");
	ck_assert_int_eq(get_trunk(db, id).version, 1);
	ck_assert_int_eq(trunks_remove(db, id, 1, 4), TRUNKS_DB_ERROR);
	ck_assert(!get_trunk(db, id).deleted);
	/* A change the dialplan does not see needs no bump: it goes through. */
	t = get_trunk(db, id);
	t.port = 5070;
	ck_assert_int_eq(trunks_update(db, &t, 1, 5), TRUNKS_OK);
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER full"), SQLITE_OK);
	ck_assert_int_eq(dp_version(db), v);
	db_close(db);
}
END_TEST

START_TEST(trunk_removal_refused_while_a_route_uses_it)
{
	struct db *db = test_db_open();
	int64_t a = add_trunk(db, "a", 1), b = add_trunk(db, "b", 1);
	int64_t both[] = { a, b };
	struct route r1 = route("First route", both, 2);
	int64_t r1_id, r2_id;
	ck_assert_int_eq(routes_create(db, &r1, 2, &r1_id), ROUTES_OK);
	r2_id = add_route(db, "Second", a, 3);

	ck_assert_int_eq(trunks_remove(db, a, 1, 4), TRUNKS_IN_USE);
	struct trunk t = get_trunk(db, a);
	ck_assert(!t.deleted);
	ck_assert_int_eq(t.version, 1);
	char used[64];
	ck_assert_int_eq(routes_using_trunk(db, a, used, sizeof used), 2);
	ck_assert_str_eq(used, "First route, Second");
	ck_assert_int_eq(routes_using_trunk(db, b, used, sizeof used), 1);
	ck_assert_str_eq(used, "First route");
	/* A short buffer holds whole names only. */
	char small[16];
	ck_assert_int_eq(routes_using_trunk(db, a, small, sizeof small), 2);
	ck_assert_str_eq(small, "First route");
	char tiny[4];
	ck_assert_int_eq(routes_using_trunk(db, a, tiny, sizeof tiny), 2);
	ck_assert_str_eq(tiny, "");
	/* The priority order, after a move. */
	struct route r2 = get_route(db, r2_id);
	ck_assert_int_eq(routes_move(db, r2_id, true, r2.version, 5), ROUTES_OK);
	ck_assert_int_eq(routes_using_trunk(db, a, used, sizeof used), 2);
	ck_assert_str_eq(used, "Second, First route");

	/* Once no route lists it, it goes. */
	r1 = get_route(db, r1_id);
	r1.trunks[0] = b;
	r1.n_trunks = 1;
	ck_assert_int_eq(routes_update(db, &r1, r1.version, 6), ROUTES_OK);
	ck_assert_int_eq(trunks_remove(db, a, 1, 7), TRUNKS_IN_USE);
	r2 = get_route(db, r2_id);
	ck_assert_int_eq(routes_delete(db, r2_id, r2.version, 8), ROUTES_OK);
	ck_assert_int_eq(routes_using_trunk(db, a, used, sizeof used), 0);
	ck_assert_str_eq(used, "");
	ck_assert_int_eq(trunks_remove(db, a, 1, 9), TRUNKS_OK);

	/* A route may not list it now (nor a trunk that never was), nor after it is purged. */
	struct route r3 = route("Third", &a, 1);
	ck_assert_int_eq(routes_create(db, &r3, 10, NULL), ROUTES_NO_TRUNK);
	int64_t none = 9999;
	r3 = route("Third", &none, 1);
	ck_assert_int_eq(routes_create(db, &r3, 10, NULL), ROUTES_NO_TRUNK);
	r1 = get_route(db, r1_id);
	r1.trunks[1] = a;
	r1.n_trunks = 2;
	ck_assert_int_eq(routes_update(db, &r1, r1.version, 11), ROUTES_NO_TRUNK);
	ck_assert_int_eq(get_route(db, r1_id).n_trunks, 1);
	ck_assert_int_eq(trunks_purge(db, a, 2), 0);
	ck_assert_int_eq(trunks_get(db, a, &t), TRUNKS_NOT_FOUND);
	r3 = route("Third", &a, 1);
	ck_assert_int_eq(routes_create(db, &r3, 12, NULL), ROUTES_NO_TRUNK);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM routes"), 1);
	db_close(db);
}
END_TEST

/* ---------- routes ---------- */

START_TEST(route_create_get_update_and_conflicts)
{
	struct db *db = test_db_open();
	int64_t a = add_trunk(db, "a", 1), b = add_trunk(db, "b", 1), c = add_trunk(db, "c", 1);
	int64_t v = dp_version(db);
	int64_t ab[] = { a, b };
	struct route in = route("National; DROP TABLE routes;--", ab, 2);
	snprintf(in.patterns[1], sizeof in.patterns[1], "_0034.");
	in.n_patterns = 2;
	snprintf(in.classes[1], sizeof in.classes[1], "international");
	in.n_classes = 2;
	in.strip = 1;
	snprintf(in.prepend, sizeof in.prepend, "+34");
	snprintf(in.callerid, sizeof in.callerid, "+34910000000");
	int64_t id;
	ck_assert_int_eq(routes_create(db, &in, 100, &id), ROUTES_OK);
	ASSERT_BUMPED(db, &v, 1);
	struct route r = get_route(db, id);
	ck_assert_int_eq(r.id, id);
	ck_assert_str_eq(r.name, "National; DROP TABLE routes;--");
	ck_assert_int_eq(r.priority, 1);
	ck_assert_int_eq(r.n_patterns, 2);
	ck_assert_str_eq(r.patterns[0], "_9NXXXXXXX");
	ck_assert_str_eq(r.patterns[1], "_0034.");
	ck_assert_int_eq(r.n_trunks, 2);
	ck_assert_int_eq(r.trunks[0], a);
	ck_assert_int_eq(r.trunks[1], b);
	ck_assert_int_eq(r.n_classes, 2);
	ck_assert_str_eq(r.classes[0], "national");
	ck_assert_str_eq(r.classes[1], "international");
	ck_assert_int_eq(r.strip, 1);
	ck_assert_str_eq(r.prepend, "+34");
	ck_assert_str_eq(r.callerid, "+34910000000");
	ck_assert_int_eq(r.version, 1);
	ck_assert_int_eq(r.created_at, 100);
	ck_assert_int_eq(r.updated_at, 100);

	/* The next one is tried after it. Names are unique, whatever their ASCII case. */
	int64_t second = add_route(db, "Mobile", c, 101);
	ASSERT_BUMPED(db, &v, 1);
	ck_assert_int_eq(get_route(db, second).priority, 2);
	struct route dup = route("MOBILE", &a, 1);
	ck_assert_int_eq(routes_create(db, &dup, 102, NULL), ROUTES_DUP_NAME);
	ASSERT_BUMPED(db, &v, 0);

	/* An update replaces every list (fewer patterns, trunks in another order, other classes), not the
	 * priority. */
	r = get_route(db, id);
	snprintf(r.patterns[0], sizeof r.patterns[0], "_6XXXXXXXX");
	r.n_patterns = 1;
	int64_t cba[] = { c, b, a };
	memcpy(r.trunks, cba, sizeof cba);
	r.n_trunks = 3;
	snprintf(r.classes[0], sizeof r.classes[0], "mobile");
	r.n_classes = 1;
	r.strip = 0;
	r.prepend[0] = '\0';
	r.callerid[0] = '\0';
	r.priority = 7; /* ignored */
	ck_assert_int_eq(routes_update(db, &r, 1, 110), ROUTES_OK);
	ASSERT_BUMPED(db, &v, 1);
	struct route u = get_route(db, id);
	ck_assert_int_eq(u.version, 2);
	ck_assert_int_eq(u.priority, 1);
	ck_assert_int_eq(u.n_patterns, 1);
	ck_assert_str_eq(u.patterns[0], "_6XXXXXXXX");
	ck_assert_int_eq(u.n_trunks, 3);
	ck_assert_int_eq(u.trunks[0], c);
	ck_assert_int_eq(u.trunks[1], b);
	ck_assert_int_eq(u.trunks[2], a);
	ck_assert_int_eq(u.n_classes, 1);
	ck_assert_str_eq(u.classes[0], "mobile");
	ck_assert_int_eq(u.strip, 0);
	ck_assert_str_eq(u.prepend, "");
	ck_assert_str_eq(u.callerid, "");
	ck_assert_int_eq(u.created_at, 100);
	ck_assert_int_eq(u.updated_at, 110);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_patterns"), 2);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_trunks"), 4);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_classes"), 2);

	/* Refused: a stale version, an unknown route, another's name; nothing changes and nothing is bumped. */
	r.strip = 2;
	ck_assert_int_eq(routes_update(db, &r, 1, 111), ROUTES_CONFLICT);
	r.id = 9999;
	ck_assert_int_eq(routes_update(db, &r, 1, 111), ROUTES_NOT_FOUND);
	struct route s = get_route(db, second);
	snprintf(s.name, sizeof s.name, "national; drop table routes;--");
	ck_assert_int_eq(routes_update(db, &s, 1, 111), ROUTES_DUP_NAME);
	/* Renaming to its own name in another case is fine. */
	snprintf(s.name, sizeof s.name, "MOBILE");
	ck_assert_int_eq(routes_update(db, &s, 1, 112), ROUTES_OK);
	ASSERT_BUMPED(db, &v, 1);
	ck_assert_str_eq(get_route(db, second).name, "MOBILE");
	ck_assert_int_eq(get_route(db, id).strip, 0);
	ck_assert_int_eq(routes_get(db, 9999, &u), ROUTES_NOT_FOUND);
	ck_assert_int_eq(routes_delete(db, 9999, 1, 113), ROUTES_NOT_FOUND);
	ck_assert_int_eq(routes_move(db, 9999, true, 1, 113), ROUTES_NOT_FOUND);
	ck_assert_int_eq(routes_delete(db, id, 1, 113), ROUTES_CONFLICT);
	ASSERT_BUMPED(db, &v, 0);

	/* The full lists fit. */
	struct route full = route("Full", &a, 1);
	for (int i = 0; i < ROUTE_MAX_PATTERNS; i++)
		snprintf(full.patterns[i], sizeof full.patterns[i], "_%02dX.", i);
	full.n_patterns = ROUTE_MAX_PATTERNS;
	static const char *const more[] = { "d", "e", "f", "g", "h" };
	for (int i = 0; i < ROUTE_MAX_TRUNKS; i++)
		full.trunks[i] = i < 3 ? cba[i] : add_trunk(db, more[i - 3], 120);
	full.n_trunks = ROUTE_MAX_TRUNKS;
	for (int i = 0; i < ROUTE_MAX_CLASSES; i++)
		snprintf(full.classes[i], sizeof full.classes[i], "c%d", i);
	full.n_classes = ROUTE_MAX_CLASSES;
	int64_t full_id;
	ck_assert_int_eq(routes_create(db, &full, 121, &full_id), ROUTES_OK);
	u = get_route(db, full_id);
	ck_assert_int_eq(u.n_patterns, ROUTE_MAX_PATTERNS);
	ck_assert_int_eq(u.n_trunks, ROUTE_MAX_TRUNKS);
	ck_assert_int_eq(u.n_classes, ROUTE_MAX_CLASSES);
	ck_assert_str_eq(u.patterns[ROUTE_MAX_PATTERNS - 1], full.patterns[ROUTE_MAX_PATTERNS - 1]);
	ck_assert_int_eq(u.trunks[ROUTE_MAX_TRUNKS - 1], full.trunks[ROUTE_MAX_TRUNKS - 1]);
	ck_assert_str_eq(u.classes[ROUTE_MAX_CLASSES - 1], "c7");
	db_close(db);
}
END_TEST

/* A route and its lists are written together or not at all: nothing half-written, no bump, no priority used. */
START_TEST(route_changes_are_all_or_nothing)
{
	struct db *db = test_db_open();
	int64_t a = add_trunk(db, "a", 1), b = add_trunk(db, "b", 1);
	int64_t first = add_route(db, "First", a, 2);
	int64_t v = dp_version(db);

	/* Counts that do not fit the arrays (or no pattern, no trunk) are refused before anything is written. */
	struct route bad = route("Bad", &a, 1);
	bad.n_patterns = 0;
	ck_assert_int_eq(routes_create(db, &bad, 3, NULL), ROUTES_DB_ERROR);
	bad = route("Bad", &a, 1);
	bad.n_trunks = ROUTE_MAX_TRUNKS + 1;
	ck_assert_int_eq(routes_create(db, &bad, 3, NULL), ROUTES_DB_ERROR);
	bad = route("Bad", &a, 1);
	bad.n_classes = -1;
	ck_assert_int_eq(routes_create(db, &bad, 3, NULL), ROUTES_DB_ERROR);

	/* A failure after some rows went in: the same trunk twice, the same class twice. */
	int64_t twice[] = { a, a };
	bad = route("Bad", twice, 2);
	ck_assert_int_eq(routes_create(db, &bad, 3, NULL), ROUTES_DB_ERROR);
	bad = route("Bad", &a, 1);
	snprintf(bad.classes[1], sizeof bad.classes[1], "national");
	bad.n_classes = 2;
	ck_assert_int_eq(routes_create(db, &bad, 3, NULL), ROUTES_DB_ERROR);
	ck_assert(sqlite3_get_autocommit(db_handle(db)));
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM routes"), 1);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_patterns"), 1);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_trunks"), 1);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_classes"), 1);
	ASSERT_BUMPED(db, &v, 0);

	/* An update failing half-way leaves the route as it was. */
	struct route r = get_route(db, first);
	r.trunks[0] = b;
	r.trunks[1] = b;
	r.n_trunks = 2;
	snprintf(r.patterns[0], sizeof r.patterns[0], "_X.");
	ck_assert_int_eq(routes_update(db, &r, 1, 4), ROUTES_DB_ERROR);
	r = get_route(db, first);
	ck_assert_int_eq(r.version, 1);
	ck_assert_int_eq(r.n_trunks, 1);
	ck_assert_int_eq(r.trunks[0], a);
	ck_assert_str_eq(r.patterns[0], "_9NXXXXXXX");
	ASSERT_BUMPED(db, &v, 0);

	/* The bump cannot be written: the route change is not either. */
	ck_assert_int_eq(db_exec(db, "CREATE TRIGGER full BEFORE UPDATE ON dialplan_state "
				     "BEGIN SELECT RAISE(ABORT, 'disk full'); END"), SQLITE_OK);
	struct route next = route("Next", &b, 1);
	ck_assert_int_eq(routes_create(db, &next, 5, NULL), ROUTES_DB_ERROR);
	r = get_route(db, first);
	r.strip = 3;
	ck_assert_int_eq(routes_update(db, &r, 1, 5), ROUTES_DB_ERROR);
	ck_assert_int_eq(routes_delete(db, first, 1, 5), ROUTES_DB_ERROR);
	ck_assert(sqlite3_get_autocommit(db_handle(db)));
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER full"), SQLITE_OK);
	r = get_route(db, first);
	ck_assert_int_eq(r.strip, 0);
	ck_assert_int_eq(r.version, 1);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM routes"), 1);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_patterns"), 1);
	ASSERT_BUMPED(db, &v, 0);

	/* Nothing was used up: the next route is second. */
	int64_t second = add_route(db, "Second", b, 6);
	ASSERT_BUMPED(db, &v, 1);
	int64_t want[] = { first, second };
	assert_order(db, want, 2);
	db_close(db);
}
END_TEST

START_TEST(route_move_swaps_neighbours_keeping_1_to_n)
{
	struct db *db = test_db_open();
	int64_t t = add_trunk(db, "a", 1);
	int64_t A = add_route(db, "A", t, 2), B = add_route(db, "B", t, 2), C = add_route(db, "C", t, 2),
		D = add_route(db, "D", t, 2);
	int64_t v = dp_version(db);
	assert_order(db, (int64_t[]){ A, B, C, D }, 4);

	/* At the edges nothing changes: not the order, the route's version, nor the dialplan. */
	ck_assert_int_eq(routes_move(db, A, true, 1, 10), ROUTES_OK);
	ck_assert_int_eq(routes_move(db, D, false, 1, 10), ROUTES_OK);
	assert_order(db, (int64_t[]){ A, B, C, D }, 4);
	ck_assert_int_eq(get_route(db, A).version, 1);
	ck_assert_int_eq(get_route(db, D).version, 1);
	ck_assert_int_eq(get_route(db, A).updated_at, 2);
	ASSERT_BUMPED(db, &v, 0);
	/* ... but a stale version is still a conflict. */
	ck_assert_int_eq(routes_move(db, A, true, 7, 10), ROUTES_CONFLICT);

	/* In the middle: up, then back down. Only the moved route's version moves. */
	ck_assert_int_eq(routes_move(db, C, true, 1, 11), ROUTES_OK);
	assert_order(db, (int64_t[]){ A, C, B, D }, 4);
	ASSERT_BUMPED(db, &v, 1);
	ck_assert_int_eq(get_route(db, C).version, 2);
	ck_assert_int_eq(get_route(db, C).updated_at, 11);
	ck_assert_int_eq(get_route(db, B).version, 1);
	ck_assert_int_eq(get_route(db, B).updated_at, 2);
	ck_assert_int_eq(routes_move(db, C, false, 1, 12), ROUTES_CONFLICT);   /* the version it had before */
	assert_order(db, (int64_t[]){ A, C, B, D }, 4);
	ASSERT_BUMPED(db, &v, 0);
	ck_assert_int_eq(routes_move(db, C, false, 2, 12), ROUTES_OK);
	assert_order(db, (int64_t[]){ A, B, C, D }, 4);
	ASSERT_BUMPED(db, &v, 1);

	/* Next to the edges: the first down, the last up. */
	ck_assert_int_eq(routes_move(db, A, false, 1, 13), ROUTES_OK);
	assert_order(db, (int64_t[]){ B, A, C, D }, 4);
	ASSERT_BUMPED(db, &v, 1);
	ck_assert_int_eq(routes_move(db, D, true, 1, 14), ROUTES_OK);
	assert_order(db, (int64_t[]){ B, A, D, C }, 4);
	ASSERT_BUMPED(db, &v, 1);
	/* Now the edges are B (top) and C (bottom). */
	ck_assert_int_eq(routes_move(db, B, true, 1, 15), ROUTES_OK);
	ck_assert_int_eq(routes_move(db, C, false, 3, 15), ROUTES_OK);
	assert_order(db, (int64_t[]){ B, A, D, C }, 4);
	ASSERT_BUMPED(db, &v, 0);
	/* All the way down and up again. */
	ck_assert_int_eq(routes_move(db, B, false, 1, 16), ROUTES_OK);
	ck_assert_int_eq(routes_move(db, B, false, 2, 16), ROUTES_OK);
	ck_assert_int_eq(routes_move(db, B, false, 3, 16), ROUTES_OK);
	ck_assert_int_eq(routes_move(db, B, false, 4, 16), ROUTES_OK);   /* at the bottom: nothing */
	assert_order(db, (int64_t[]){ A, D, C, B }, 4);
	ck_assert_int_eq(get_route(db, B).version, 4);
	ASSERT_BUMPED(db, &v, 3);

	/* A single route moves nowhere. */
	int64_t want[] = { A, D, C, B };
	for (int i = 0; i < 3; i++) {
		struct route r = get_route(db, want[i]);
		ck_assert_int_eq(routes_delete(db, want[i], r.version, 17), ROUTES_OK);
	}
	ck_assert_int_eq(routes_move(db, B, true, 4, 18), ROUTES_OK);
	ck_assert_int_eq(routes_move(db, B, false, 4, 18), ROUTES_OK);
	assert_order(db, (int64_t[]){ B }, 1);
	db_close(db);
}
END_TEST

START_TEST(route_delete_closes_the_gap)
{
	struct db *db = test_db_open();
	int64_t t = add_trunk(db, "a", 1);
	int64_t r[6];
	for (int i = 0; i < 6; i++) {
		char name[16];
		snprintf(name, sizeof name, "R%d", i);
		r[i] = add_route(db, name, t, 2);
	}
	int64_t v = dp_version(db);
	ck_assert_int_eq(routes_delete(db, r[2], 2, 10), ROUTES_CONFLICT);
	ASSERT_BUMPED(db, &v, 0);
	ck_assert_int_eq(routes_delete(db, r[2], 1, 10), ROUTES_OK);   /* the middle */
	ASSERT_BUMPED(db, &v, 1);
	assert_order(db, (int64_t[]){ r[0], r[1], r[3], r[4], r[5] }, 5);
	ck_assert_int_eq(routes_get(db, r[2], &(struct route){ 0 }), ROUTES_NOT_FOUND);
	ck_assert_int_eq(routes_delete(db, r[0], 1, 11), ROUTES_OK);   /* the first */
	ASSERT_BUMPED(db, &v, 1);
	assert_order(db, (int64_t[]){ r[1], r[3], r[4], r[5] }, 4);
	ck_assert_int_eq(routes_delete(db, r[5], 1, 12), ROUTES_OK);   /* the last */
	ASSERT_BUMPED(db, &v, 1);
	assert_order(db, (int64_t[]){ r[1], r[3], r[4] }, 3);
	ck_assert_int_eq(routes_delete(db, r[5], 1, 12), ROUTES_NOT_FOUND);
	ASSERT_BUMPED(db, &v, 0);
	/* Its lists went with it. */
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_patterns"), 3);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_trunks"), 3);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM route_classes"), 3);
	/* Moves and new routes carry on from 1..n. */
	ck_assert_int_eq(routes_move(db, r[4], true, 1, 13), ROUTES_OK);
	int64_t n = add_route(db, "New", t, 14);
	assert_order(db, (int64_t[]){ r[1], r[4], r[3], n }, 4);
	ck_assert_int_eq(get_route(db, n).priority, 4);
	for (int i = 0; i < 4; i++) {
		int64_t first = (int64_t[]){ r[1], r[4], r[3], n }[i];
		ck_assert_int_eq(routes_delete(db, first, get_route(db, first).version, 15), ROUTES_OK);
	}
	assert_order(db, NULL, 0);
	ck_assert_int_eq(get_route(db, add_route(db, "Again", t, 16)).priority, 1);
	db_close(db);
}
END_TEST

struct stop_ctx {
	int seen, stop_at;
};

static int stop_route(void *ctx, const struct route *r)
{
	struct stop_ctx *s = ctx;
	ck_assert_int_eq(r->n_patterns, 1);
	ck_assert_int_eq(r->n_trunks, 1);
	return ++s->seen >= s->stop_at;
}

START_TEST(route_list_is_in_priority_order_with_lists)
{
	struct db *db = test_db_open();
	int64_t t = add_trunk(db, "a", 1);
	int64_t x = add_route(db, "X", t, 1), y = add_route(db, "Y", t, 1), z = add_route(db, "Z", t, 1);
	ck_assert_int_eq(routes_move(db, z, true, 1, 2), ROUTES_OK);
	assert_order(db, (int64_t[]){ x, z, y }, 3);
	struct stop_ctx s = { 0, 2 };
	ck_assert_int_eq(routes_list(db, stop_route, &s), 2);
	ck_assert_int_eq(s.seen, 2);
	db_close(db);
}
END_TEST

/* Two processes appending routes at once: every route gets its own priority, 1..n without gaps. */
START_TEST(concurrent_creates_keep_priorities_1_to_n)
{
	struct db *db = test_db_open();
	int64_t t = add_trunk(db, "a", 1);
	db_close(db);
	enum { PROCS = 3, EACH = 15 };
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	pid_t pids[PROCS];
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			char err[256], c;
			close(go[1]);
			struct db *w = db_open(test_db_path, err, sizeof err);
			if (!w || read(go[0], &c, 1) != 0)
				_exit(3);
			int bad = 0;
			for (int i = 0; i < EACH; i++) {
				char name[32];
				snprintf(name, sizeof name, "p%d-%d", p, i);
				struct route r = route(name, &t, 1);
				bad += routes_create(w, &r, 2, NULL) != ROUTES_OK;
			}
			db_close(w);
			_exit(bad ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (int p = 0; p < PROCS; p++) {
		int status;
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	db = test_db_open();
	struct order o = { .n = 0 };
	ck_assert_int_eq(routes_list(db, collect_route, &o), PROCS * EACH);   /* checks 1..n */
	ck_assert_int_eq(dp_version(db), 2 + PROCS * EACH);
	db_close(db);
}
END_TEST

/* ---------- apply state, as phones have it ---------- */

START_TEST(trunk_due_lists_and_marks_mirror_phones)
{
	struct db *db = test_db_open();
	int64_t t1 = add_trunk(db, "one", 100), t2 = add_trunk(db, "two", 101);
	int64_t ids[8];
	ck_assert_int_eq(trunks_due(db, 200, ids, 8), 2);
	ck_assert_int_eq(ids[0], t1);   /* oldest change first */
	ck_assert_int_eq(ids[1], t2);
	ck_assert_int_eq(trunks_due(db, 200, ids, 1), 1);
	ck_assert_int_eq(trunks_count_pending(db), 2);

	/* A failure: retried at next_attempt_at; a failure of an older version is ignored. */
	ck_assert_int_eq(trunks_mark_failed(db, t1, 1, "unreachable", 300, false), 0);
	struct trunk t = get_trunk(db, t1);
	ck_assert_int_eq(t.attempts, 1);
	ck_assert_int_eq(t.next_attempt_at, 300);
	ck_assert_str_eq(t.last_error, "unreachable");
	ck_assert(!t.blocked);
	ck_assert_int_eq(trunks_due(db, 299, ids, 8), 1);
	ck_assert_int_eq(ids[0], t2);
	ck_assert_int_eq(trunks_due(db, 300, ids, 8), 2);
	ck_assert_int_eq(trunks_mark_failed(db, t1, 2, "later version", 900, true), 0);
	ck_assert_int_eq(trunks_mark_failed(db, t1, 0, "earlier version", 900, true), 0);
	t = get_trunk(db, t1);
	ck_assert_int_eq(t.attempts, 1);
	ck_assert_str_eq(t.last_error, "unreachable");

	/* Blocked: never due, until the trunk is edited. */
	ck_assert_int_eq(trunks_mark_failed(db, t2, 1, "name taken by the integrator", 0, true), 0);
	ck_assert_int_eq(trunks_due(db, 1000000, ids, 8), 1);
	ck_assert_int_eq(ids[0], t1);
	ck_assert(get_trunk(db, t2).blocked);
	ck_assert_int_eq(trunks_count_pending(db), 2);
	t = get_trunk(db, t2);
	ck_assert_int_eq(trunks_update(db, &t, 1, 400), TRUNKS_OK);
	t = get_trunk(db, t2);
	ck_assert(!t.blocked);
	ck_assert_int_eq(t.attempts, 0);
	ck_assert_int_eq(t.next_attempt_at, 0);
	ck_assert_int_eq(trunks_due(db, 400, ids, 8), 2);
	ck_assert_int_eq(ids[0], t1);
	ck_assert_int_eq(ids[1], t2);

	/* Applied: no longer pending, with what is on the PBX; the error is gone. */
	ck_assert_int_eq(trunks_mark_applied(db, t1, 1, "one", "digest-1", 410), 0);
	t = get_trunk(db, t1);
	ck_assert(!trunk_pending(&t));
	ck_assert_int_eq(t.applied_version, 1);
	ck_assert_str_eq(t.applied_name, "one");
	ck_assert_str_eq(t.applied_digest, "digest-1");
	ck_assert_str_eq(t.last_error, "");
	ck_assert_int_eq(t.attempts, 0);
	ck_assert_int_eq(t.next_attempt_at, 0);
	ck_assert_int_eq(t.restored_at, 0);
	ck_assert_int_eq(trunks_count_pending(db), 1);
	ck_assert_int_eq(trunks_due(db, 410, ids, 8), 1);
	ck_assert_int_eq(ids[0], t2);

	/* Edited meanwhile: applying the version read leaves it pending; a late older apply never goes back. */
	t = get_trunk(db, t1);
	snprintf(t.name, sizeof t.name, "uno");
	ck_assert_int_eq(trunks_update(db, &t, 1, 420), TRUNKS_OK);
	ck_assert_int_eq(trunks_mark_applied(db, t1, 1, "one", "digest-1", 421), 0);
	t = get_trunk(db, t1);
	ck_assert(trunk_pending(&t));
	ck_assert_int_eq(trunks_mark_applied(db, t1, 2, "uno", "digest-2", 422), 0);
	ck_assert_int_eq(trunks_mark_applied(db, t1, 1, "one", "digest-1", 423), 0);
	t = get_trunk(db, t1);
	ck_assert(!trunk_pending(&t));
	ck_assert_int_eq(t.applied_version, 2);
	ck_assert_str_eq(t.applied_name, "uno");
	ck_assert_str_eq(t.applied_digest, "digest-2");

	/* Drifted: pending again (applied_version 0, its digest forgotten, so it is rewritten), with the reason;
	 * only when applied at that version; put back: restored at that time. */
	ck_assert_int_eq(trunks_mark_drifted(db, t1, 1, "older"), 1);
	ck_assert_int_eq(trunks_mark_drifted(db, t1, 2, "its file is missing"), 0);
	t = get_trunk(db, t1);
	ck_assert(t.drifted);
	ck_assert(trunk_pending(&t));
	ck_assert_int_eq(t.applied_version, 0);
	ck_assert_str_eq(t.applied_digest, "");
	ck_assert_str_eq(t.applied_name, "uno");
	ck_assert_str_eq(t.drift_reason, "its file is missing");
	ck_assert_str_eq(t.last_error, "its file is missing");
	ck_assert_int_eq(trunks_mark_drifted(db, t1, 2, "again"), 1);   /* not applied now */
	ck_assert_int_eq(trunks_due(db, 430, ids, 8), 2);
	ck_assert_int_eq(trunks_mark_applied(db, t1, 2, "uno", "digest-2", 440), 0);
	t = get_trunk(db, t1);
	ck_assert(!t.drifted);
	ck_assert(!trunk_pending(&t));
	ck_assert_int_eq(t.restored_at, 440);
	ck_assert_str_eq(t.last_error, "");

	/* Outdated (Centralita would now write it differently): pending again, not drifted, the digest kept (the
	 * apply sends the file only if it differs); only when applied at that version. */
	ck_assert_int_eq(trunks_mark_outdated(db, t1, 1), 1);
	ck_assert_int_eq(trunks_mark_outdated(db, t1, 2), 0);
	t = get_trunk(db, t1);
	ck_assert(trunk_pending(&t));
	ck_assert(!t.drifted);
	ck_assert_int_eq(t.applied_version, 0);
	ck_assert_str_eq(t.applied_digest, "digest-2");
	ck_assert_str_eq(t.applied_name, "uno");
	ck_assert_str_eq(t.last_error, "");
	ck_assert_int_eq(t.restored_at, 440);
	ck_assert_int_eq(trunks_mark_outdated(db, t1, 2), 1);   /* not applied now */
	ck_assert_int_eq(trunks_mark_applied(db, t1, 2, "uno", "digest-3", 445), 0);
	t = get_trunk(db, t1);
	ck_assert(!trunk_pending(&t));
	ck_assert_int_eq(t.restored_at, 440);   /* not a restore */

	/* Removed: a tombstone, pending and due, until purged at its version (only a tombstone is purged). */
	ck_assert_int_eq(trunks_remove(db, t1, 2, 450), TRUNKS_OK);
	t = get_trunk(db, t1);
	ck_assert(trunk_pending(&t));
	ck_assert_int_eq(trunks_mark_drifted(db, t1, 3, "tombstone"), 1);
	ck_assert_int_eq(trunks_mark_outdated(db, t1, 3), 1);
	ck_assert_int_eq(trunks_due(db, 450, ids, 8), 2);
	ck_assert_int_eq(trunks_count_pending(db), 2);
	ck_assert_int_eq(trunks_purge(db, t1, 2), 0);   /* not its version: stays */
	ck_assert_int_eq(trunks_get(db, t1, &t), TRUNKS_OK);
	t = get_trunk(db, t2);
	ck_assert_int_eq(trunks_purge(db, t2, t.version), 0);   /* live: stays */
	ck_assert_int_eq(trunks_get(db, t2, &t), TRUNKS_OK);
	ck_assert_int_eq(trunks_purge(db, t1, 3), 0);
	ck_assert_int_eq(trunks_get(db, t1, &t), TRUNKS_NOT_FOUND);
	ck_assert_int_eq(trunks_count_pending(db), 1);
	db_close(db);
}
END_TEST

START_TEST(trunk_ids_after_pages_through_all)
{
	struct db *db = test_db_open();
	int64_t made[5];
	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof name, "t%d", i);
		made[i] = add_trunk(db, name, i);
	}
	ck_assert_int_eq(trunks_remove(db, made[1], 1, 10), TRUNKS_OK);   /* tombstones are listed too */
	int64_t ids[2], after = 0;
	int seen = 0, n;
	while ((n = trunks_ids_after(db, after, ids, 2)) > 0) {
		ck_assert_int_le(n, 2);
		for (int i = 0; i < n; i++)
			ck_assert_int_eq(ids[i], made[seen++]);
		after = ids[n - 1];
	}
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(seen, 5);
	db_close(db);
}
END_TEST

START_TEST(dialplan_state_marks_mirror_phones)
{
	struct db *db = test_db_open();
	struct dialplan_state d;
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert_int_eq(d.version, 1);
	ck_assert(dialplan_pending(&d));

	ck_assert_int_eq(dialplan_mark_applied(db, 1, "d1", 10), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert(!dialplan_pending(&d));
	ck_assert_int_eq(d.applied_version, 1);
	ck_assert_str_eq(d.applied_digest, "d1");

	/* A bump: pending; a failure of an older version is ignored; the current one's is recorded. */
	ck_assert_int_eq(dialplan_bump(db, 20), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert_int_eq(d.version, 2);
	ck_assert(dialplan_pending(&d));
	ck_assert_int_eq(dialplan_mark_failed(db, 1, "old", 99, true), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert_int_eq(d.attempts, 0);
	ck_assert(!d.blocked);
	ck_assert_str_eq(d.last_error, "");
	ck_assert_int_eq(dialplan_mark_failed(db, 2, "the PBX is unreachable", 300, false), 0);
	ck_assert_int_eq(dialplan_mark_failed(db, 2, "the PBX is unreachable", 330, false), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert_int_eq(d.attempts, 2);
	ck_assert_int_eq(d.next_attempt_at, 330);
	ck_assert_str_eq(d.last_error, "the PBX is unreachable");
	ck_assert_int_eq(dialplan_mark_failed(db, 2, "refused", 0, true), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert(d.blocked);
	/* A change is retried at once, blocked or not. */
	ck_assert_int_eq(dialplan_bump(db, 30), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert_int_eq(d.version, 3);
	ck_assert(!d.blocked);
	ck_assert_int_eq(d.attempts, 0);
	ck_assert_int_eq(d.next_attempt_at, 0);
	ck_assert_str_eq(d.last_error, "refused");   /* shown until it is applied */

	/* Applied at 3; a late apply of 2 does not go back; an apply of an older version than the current
	 * leaves it pending. */
	ck_assert_int_eq(dialplan_mark_applied(db, 3, "d3", 40), 0);
	ck_assert_int_eq(dialplan_mark_applied(db, 2, "d2", 41), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert_int_eq(d.applied_version, 3);
	ck_assert_str_eq(d.applied_digest, "d3");
	ck_assert_str_eq(d.last_error, "");
	ck_assert(!dialplan_pending(&d));

	/* Drifted: only when applied at that version; pending again without a digest; put back: restored. */
	ck_assert_int_eq(dialplan_mark_drifted(db, 2, "older"), 1);
	ck_assert_int_eq(dialplan_mark_drifted(db, 3, "the file is cut short"), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert(d.drifted);
	ck_assert(dialplan_pending(&d));
	ck_assert_int_eq(d.applied_version, 0);
	ck_assert_str_eq(d.applied_digest, "");
	ck_assert_str_eq(d.drift_reason, "the file is cut short");
	ck_assert_str_eq(d.last_error, "the file is cut short");
	ck_assert_int_eq(dialplan_mark_drifted(db, 3, "again"), 1);
	ck_assert_int_eq(dialplan_mark_applied(db, 3, "d3", 50), 0);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert(!d.drifted);
	ck_assert(!dialplan_pending(&d));
	ck_assert_int_eq(d.restored_at, 50);
	ck_assert_str_eq(d.applied_digest, "d3");
	/* Bumped while applied: a drift of the version no longer current is nothing to do. */
	ck_assert_int_eq(dialplan_bump(db, 60), 0);
	ck_assert_int_eq(dialplan_mark_drifted(db, 3, "stale"), 1);
	ck_assert_int_eq(dialplan_get(db, &d), 0);
	ck_assert(!d.drifted);
	ck_assert_int_eq(d.applied_version, 3);
	db_close(db);
}
END_TEST

/* Two people editing one route or one trunk: the second save is refused, on whichever connection. */
START_TEST(second_save_on_another_connection_is_refused)
{
	struct db *db = test_db_open();
	struct db *other = test_db_open();
	int64_t t = add_trunk(db, "a", 1);
	int64_t r = add_route(db, "R", t, 1);
	struct route mine = get_route(db, r), theirs;
	ck_assert_int_eq(routes_get(other, r, &theirs), ROUTES_OK);
	theirs.strip = 1;
	ck_assert_int_eq(routes_update(other, &theirs, theirs.version, 2), ROUTES_OK);
	mine.strip = 2;
	ck_assert_int_eq(routes_update(db, &mine, mine.version, 3), ROUTES_CONFLICT);
	ck_assert_int_eq(routes_move(db, r, true, mine.version, 3), ROUTES_CONFLICT);
	ck_assert_int_eq(get_route(db, r).strip, 1);
	struct trunk tm = get_trunk(db, t), tt;
	ck_assert_int_eq(trunks_get(other, t, &tt), TRUNKS_OK);
	tt.port = 5070;
	ck_assert_int_eq(trunks_update(other, &tt, tt.version, 4), TRUNKS_OK);
	tm.port = 5080;
	ck_assert_int_eq(trunks_update(db, &tm, tm.version, 5), TRUNKS_CONFLICT);
	ck_assert_int_eq(get_trunk(db, t).port, 5070);
	db_close(other);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_routes");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, test_db_setup, test_db_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, migrates_from_the_previous_version);
	tcase_add_test(tc, trunk_create_get_update_and_conflicts);
	tcase_add_test(tc, trunk_list_is_live_by_name);
	tcase_add_test(tc, trunk_changes_bump_the_dialplan_only_when_it_changes);
	tcase_add_test(tc, trunk_change_and_bump_are_one_transaction);
	tcase_add_test(tc, trunk_removal_refused_while_a_route_uses_it);
	tcase_add_test(tc, route_create_get_update_and_conflicts);
	tcase_add_test(tc, route_changes_are_all_or_nothing);
	tcase_add_test(tc, route_move_swaps_neighbours_keeping_1_to_n);
	tcase_add_test(tc, route_delete_closes_the_gap);
	tcase_add_test(tc, route_list_is_in_priority_order_with_lists);
	tcase_add_test(tc, concurrent_creates_keep_priorities_1_to_n);
	tcase_add_test(tc, trunk_due_lists_and_marks_mirror_phones);
	tcase_add_test(tc, trunk_ids_after_pages_through_all);
	tcase_add_test(tc, dialplan_state_marks_mirror_phones);
	tcase_add_test(tc, second_save_on_another_connection_is_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
