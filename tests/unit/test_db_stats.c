/* Unit tests: the statistics' queries (db/calls.c calls_stats_*), which read only the aggregates: over random
 * histories (seeded; replays included) and random periods, every query equals the same figure computed directly
 * from the calls table; a period without calls gives zeros and no rows; calls on the days summer time starts and
 * ends (Europe/Madrid: a 23-hour and a 25-hour day) count on their local day and hour; and with the calls table
 * dropped they still answer the same (they never read it). Real SQLite files. */
#include <check.h>

#include "support/check_run.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/calls.h"
#include "db/db.h"
#include "support/db_test_support.h"
#include "pbx/cdr.h"

static int local_day_of(int64_t t0, struct tm *tm)
{
	time_t t = (time_t)t0;
	localtime_r(&t, tm);
	return (tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday;
}

/* A random call over 120 days around the 2026 autumn clock change, with phones on either side or none. */
static void random_call(struct call *c, int i)
{
	memset(c, 0, sizeof *c);
	static const char *const exts[] = { "", "", "201", "202", "203", "2041" };
	c->start = 1788000000 + (int64_t)test_rnd(120 * 86400);
	c->disposition = (enum call_disposition)test_rnd(4);
	c->duration = (int)test_rnd(600);
	c->billsec = c->disposition == CALL_ANSWERED ? (int)test_rnd((uint32_t)c->duration + 1) : 0;
	c->direction = (enum call_direction)test_rnd(3);
	snprintf(c->from_ext, sizeof c->from_ext, "%s", c->direction == CALL_INBOUND ? "" : exts[test_rnd(6)]);
	snprintf(c->to_ext, sizeof c->to_ext, "%s", c->direction == CALL_OUTBOUND ? "" : exts[test_rnd(6)]);
	snprintf(c->src, sizeof c->src, "%s", c->from_ext[0] ? c->from_ext : "612345678");
	snprintf(c->dst, sizeof c->dst, "%s", c->to_ext[0] ? c->to_ext : "900100200");
	snprintf(c->key, sizeof c->key, "k-%d-%u", i, test_rnd(1u << 30));
	struct tm tm;
	c->day = local_day_of(c->start, &tm);
	c->hour = tm.tm_hour;
	c->dow = (tm.tm_wday + 6) % 7;
}

/* ---------- direct computations over the calls table ---------- */

#define MISSED "(disposition <> 0 AND (to_ext <> '' OR direction = 1))"

static void direct_totals(struct db *db, int from, int to, struct call_totals *t)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT COUNT(*), TOTAL(disposition = 0), TOTAL(" MISSED "), TOTAL(billsec)"
					  " FROM calls WHERE day BETWEEN ?1 AND ?2");
	ck_assert_ptr_nonnull(st);
	sqlite3_bind_int(st, 1, from);
	sqlite3_bind_int(st, 2, to);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	t->calls = sqlite3_column_int64(st, 0);
	t->answered = sqlite3_column_int64(st, 1);
	t->missed = sqlite3_column_int64(st, 2);
	t->talk_seconds = sqlite3_column_int64(st, 3);
	db_done(st);
}

struct day_list {
	int n;
	int day[400];
	struct call_totals t[400];
};

static int collect_day(void *ctx, int day, const struct call_totals *t)
{
	struct day_list *l = ctx;
	ck_assert_int_lt(l->n, 400);
	l->day[l->n] = day;
	l->t[l->n++] = *t;
	return 0;
}

static void direct_days(struct db *db, int from, int to, struct day_list *l)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT day, COUNT(*), TOTAL(disposition = 0), TOTAL(" MISSED "), TOTAL(billsec)"
					  " FROM calls WHERE day BETWEEN ?1 AND ?2 GROUP BY day ORDER BY day");
	ck_assert_ptr_nonnull(st);
	sqlite3_bind_int(st, 1, from);
	sqlite3_bind_int(st, 2, to);
	l->n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct call_totals t = { sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
					 sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4) };
		collect_day(l, sqlite3_column_int(st, 0), &t);
	}
	db_done(st);
}

static void direct_week(struct db *db, int from, int to, struct call_totals w[7][24])
{
	memset(w, 0, sizeof(struct call_totals) * 7 * 24);
	sqlite3_stmt *st = db_prepare(db, "SELECT dow, hour, COUNT(*), TOTAL(disposition = 0), TOTAL(" MISSED "),"
					  " TOTAL(billsec) FROM calls WHERE day BETWEEN ?1 AND ?2 GROUP BY dow, hour");
	ck_assert_ptr_nonnull(st);
	sqlite3_bind_int(st, 1, from);
	sqlite3_bind_int(st, 2, to);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct call_totals *t = &w[sqlite3_column_int(st, 0)][sqlite3_column_int(st, 1)];
		t->calls = sqlite3_column_int64(st, 2);
		t->answered = sqlite3_column_int64(st, 3);
		t->missed = sqlite3_column_int64(st, 4);
		t->talk_seconds = sqlite3_column_int64(st, 5);
	}
	db_done(st);
}

struct ext_list {
	int n;
	struct call_ext_totals t[16];
};

static int collect_ext(void *ctx, const struct call_ext_totals *t)
{
	struct ext_list *l = ctx;
	ck_assert_int_lt(l->n, 16);
	l->t[l->n++] = *t;
	return 0;
}

/* Per extension, from the calls: a call a phone makes counts as made; one it receives as received (answered) or
 * missed (not); a phone calling itself made and received (or missed) one call. */
static void direct_ext(struct db *db, int from, int to, struct ext_list *l)
{
	sqlite3_stmt *st = db_prepare(db,
		"SELECT ext, TOTAL(made), TOTAL(received), TOTAL(missed), TOTAL(talk) FROM ("
		" SELECT from_ext AS ext, 1 AS made, CASE WHEN to_ext = from_ext THEN disposition = 0 ELSE 0 END"
		" AS received, CASE WHEN to_ext = from_ext THEN disposition <> 0 ELSE 0 END AS missed, billsec AS talk"
		" FROM calls WHERE from_ext <> '' AND day BETWEEN ?1 AND ?2"
		" UNION ALL SELECT to_ext, 0, disposition = 0, disposition <> 0, billsec FROM calls"
		" WHERE to_ext <> '' AND to_ext <> from_ext AND day BETWEEN ?1 AND ?2)"
		" GROUP BY ext ORDER BY ext");
	ck_assert_ptr_nonnull(st);
	sqlite3_bind_int(st, 1, from);
	sqlite3_bind_int(st, 2, to);
	l->n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct call_ext_totals t;
		db_column_text(t.ext, sizeof t.ext, st, 0);
		t.made = sqlite3_column_int64(st, 1);
		t.received = sqlite3_column_int64(st, 2);
		t.missed = sqlite3_column_int64(st, 3);
		t.talk_seconds = sqlite3_column_int64(st, 4);
		collect_ext(l, &t);
	}
	db_done(st);
}

static bool same_totals(const struct call_totals *a, const struct call_totals *b)
{
	return a->calls == b->calls && a->answered == b->answered && a->missed == b->missed &&
	       a->talk_seconds == b->talk_seconds;
}

/* Every query against its direct computation for one period. */
static void check_period(struct db *db, int from, int to)
{
	struct call_totals have, want;
	ck_assert_int_eq(calls_stats_totals(db, from, to, &have), 0);
	direct_totals(db, from, to, &want);
	ck_assert_msg(same_totals(&have, &want), "totals %d..%d", from, to);

	static struct day_list hd, wd;
	hd.n = 0;
	ck_assert_int_eq(calls_stats_days(db, from, to, collect_day, &hd), hd.n);
	direct_days(db, from, to, &wd);
	ck_assert_int_eq(hd.n, wd.n);
	for (int i = 0; i < hd.n; i++) {
		ck_assert_int_eq(hd.day[i], wd.day[i]);
		ck_assert_msg(same_totals(&hd.t[i], &wd.t[i]), "day %d", hd.day[i]);
	}

	static struct call_totals hw[7][24], ww[7][24];
	ck_assert_int_eq(calls_stats_week(db, from, to, hw), 0);
	direct_week(db, from, to, ww);
	for (int d = 0; d < 7; d++)
		for (int h = 0; h < 24; h++)
			ck_assert_msg(same_totals(&hw[d][h], &ww[d][h]), "dow %d hour %d of %d..%d", d, h, from, to);

	struct ext_list he = { 0 }, we;
	ck_assert_int_eq(calls_stats_by_ext(db, from, to, collect_ext, &he), he.n);
	direct_ext(db, from, to, &we);
	ck_assert_int_eq(he.n, we.n);
	for (int i = 0; i < he.n; i++) {
		ck_assert_str_eq(he.t[i].ext, we.t[i].ext);
		ck_assert_msg(he.t[i].made == we.t[i].made && he.t[i].received == we.t[i].received &&
			      he.t[i].missed == we.t[i].missed && he.t[i].talk_seconds == we.t[i].talk_seconds,
			      "extension %s of %d..%d", he.t[i].ext, from, to);
	}
}

START_TEST(periods_equal_a_direct_computation)
{
	setenv("TZ", "Europe/Madrid", 1);
	tzset();
	static const uint64_t seeds[] = { 3, 11, 2027 };
	/* Under valgrind (scripts/test.sh sets CENTRALITA_TEST_QUICK) one seed: the same code runs, ten times slower. */
	size_t n_seeds = getenv("CENTRALITA_TEST_QUICK") ? 1 : sizeof seeds / sizeof *seeds;
	for (size_t s = 0; s < n_seeds; s++) {
		unlink(test_db_path);
		char wal[160];
		snprintf(wal, sizeof wal, "%s-wal", test_db_path);
		unlink(wal);
		struct db *db = test_db_open();
		test_rng_state = seeds[s];
		enum { N = 2500 };
		struct call *calls = calloc(N, sizeof *calls);
		for (int i = 0; i < N; i++) {
			random_call(&calls[i], i);
			if (i > 0 && test_rnd(25) == 0)
				calls[i] = calls[test_rnd((uint32_t)i)];   /* a replayed record: counted once */
		}
		for (int i = 0; i < N; i += 250)
			ck_assert_int_eq(calls_insert(db, calls + i, 250, NULL), 0);
		/* Whole history, single days, 7/30/90-day windows at random ends, and an inverted range. */
		check_period(db, 0, 99999999);
		for (int k = 0; k < 40; k++) {
			struct tm tm;
			int64_t end = 1788000000 + (int64_t)test_rnd(130 * 86400);
			static const int spans[] = { 1, 7, 30, 90 };
			int span = spans[test_rnd(4)];
			int to = local_day_of(end, &tm);
			tm.tm_mday -= span - 1;
			tm.tm_hour = 12;
			tm.tm_isdst = -1;
			time_t t = mktime(&tm);
			int from = local_day_of((int64_t)t, &tm);
			check_period(db, from, to);
		}
		check_period(db, 20261010, 20261001);
		free(calls);
		db_close(db);
	}
}
END_TEST

/* Without the calls table the statistics still answer, the same: they read the aggregates alone. */
START_TEST(the_statistics_read_only_the_aggregates)
{
	setenv("TZ", "Europe/Madrid", 1);
	tzset();
	struct db *db = test_db_open();
	test_rng_state = 99;
	struct call calls[300];
	for (int i = 0; i < 300; i++)
		random_call(&calls[i], i);
	ck_assert_int_eq(calls_insert(db, calls, 300, NULL), 0);
	struct call_totals before, after;
	ck_assert_int_eq(calls_stats_totals(db, 0, 99999999, &before), 0);
	ck_assert_int_eq(db_exec(db, "DROP TABLE calls"), SQLITE_OK);
	ck_assert_int_eq(calls_stats_totals(db, 0, 99999999, &after), 0);
	ck_assert(same_totals(&before, &after));
	ck_assert_int_eq(before.calls, 300);
	struct day_list l = { 0 };
	ck_assert_int_gt(calls_stats_days(db, 0, 99999999, collect_day, &l), 0);
	static struct call_totals w[7][24];
	ck_assert_int_eq(calls_stats_week(db, 0, 99999999, w), 0);
	struct ext_list e = { 0 };
	ck_assert_int_gt(calls_stats_by_ext(db, 0, 99999999, collect_ext, &e), 0);
	db_close(db);
}
END_TEST

static int never(void *ctx, int day, const struct call_totals *t)
{
	(void)ctx;
	(void)day;
	(void)t;
	ck_abort_msg("a day given for an empty period");
	return 1;
}

static int never_ext(void *ctx, const struct call_ext_totals *t)
{
	(void)ctx;
	(void)t;
	ck_abort_msg("an extension given for an empty period");
	return 1;
}

START_TEST(empty_periods_are_zeros)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct db *db = test_db_open();
	struct call_totals t = { 1, 2, 3, 4 };
	/* An empty database, then a period before its calls. */
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(calls_stats_totals(db, 20200101, 20200131, &t), 0);
		ck_assert(t.calls == 0 && t.answered == 0 && t.missed == 0 && t.talk_seconds == 0);
		ck_assert_int_eq(calls_stats_days(db, 20200101, 20200131, never, NULL), 0);
		ck_assert_int_eq(calls_stats_by_ext(db, 20200101, 20200131, never_ext, NULL), 0);
		struct call_totals w[7][24];
		memset(w, 0xff, sizeof w);
		ck_assert_int_eq(calls_stats_week(db, 20200101, 20200131, w), 0);
		for (int d = 0; d < 7; d++)
			for (int h = 0; h < 24; h++)
				ck_assert(w[d][h].calls == 0 && w[d][h].talk_seconds == 0);
		test_rng_state = 5;
		struct call c;
		random_call(&c, 1);
		ck_assert_int_eq(calls_insert(db, &c, 1, NULL), 0);
	}
	db_close(db);
}
END_TEST

static struct call madrid(const char *start, const char *key, const char *disposition, const char *billsec)
{
	struct cdr_fields f = { .src = "201", .dst = "202", .channel = "PJSIP/201-00000001",
				.dstchannel = "PJSIP/202-00000002", .start = start, .answer = "", .end = start,
				.duration = "60", .billsec = billsec, .disposition = disposition,
				.uniqueid = key };
	struct call c;
	char why[200] = "";
	ck_assert_msg(cdr_from_fields(&f, NULL, NULL, &c, why, sizeof why) == 0, "%s", why);
	snprintf(c.from_ext, sizeof c.from_ext, "201");
	snprintf(c.to_ext, sizeof c.to_ext, "202");
	return c;
}

START_TEST(summer_time_days_count_on_their_local_day)
{
	setenv("TZ", "Europe/Madrid", 1);
	tzset();
	struct db *db = test_db_open();
	struct call calls[] = {
		madrid("2026-03-28 23:59:59", "1", "ANSWERED", "10"),
		madrid("2026-03-29 00:00:00", "2", "ANSWERED", "20"),   /* the 23-hour day */
		madrid("2026-03-29 01:59:59", "3", "NO ANSWER", "0"),
		madrid("2026-03-29 03:00:00", "4", "ANSWERED", "30"),   /* one second after 01:59:59 */
		madrid("2026-03-29 23:59:59", "5", "BUSY", "0"),
		madrid("2026-10-25 02:30:00", "6", "ANSWERED", "40"),   /* the hour lived twice */
		madrid("2026-10-25 23:59:59", "7", "ANSWERED", "50"),   /* last second of the 25-hour day */
		madrid("2026-10-26 00:00:00", "8", "NO ANSWER", "0"),
	};
	size_t n = sizeof calls / sizeof *calls;
	/* The second 02:30 of 25 October: an hour after the first, the same local hour. */
	struct call again = calls[5];
	again.start += 3600;
	snprintf(again.key, sizeof again.key, "again");
	struct tm tm;
	again.day = local_day_of(again.start, &tm);
	again.hour = tm.tm_hour;
	again.dow = (tm.tm_wday + 6) % 7;
	ck_assert_int_eq(again.day, 20261025);
	ck_assert_int_eq(again.hour, 2);
	ck_assert_int_eq(calls_insert(db, calls, n, NULL), 0);
	ck_assert_int_eq(calls_insert(db, &again, 1, NULL), 0);

	struct call_totals t;
	ck_assert_int_eq(calls_stats_totals(db, 20260329, 20260329, &t), 0);
	ck_assert_int_eq(t.calls, 4);
	ck_assert_int_eq(t.answered, 2);
	ck_assert_int_eq(t.missed, 2);
	ck_assert_int_eq(t.talk_seconds, 50);
	ck_assert_int_eq(calls_stats_totals(db, 20261025, 20261025, &t), 0);
	ck_assert_int_eq(t.calls, 3);
	ck_assert_int_eq(t.talk_seconds, 130);

	static struct call_totals w[7][24];
	ck_assert_int_eq(calls_stats_week(db, 20260329, 20260329, w), 0);   /* a Sunday */
	ck_assert_int_eq(w[6][0].calls, 1);
	ck_assert_int_eq(w[6][1].calls, 1);
	ck_assert_int_eq(w[6][2].calls, 0);   /* 02:00-02:59 did not happen that day */
	ck_assert_int_eq(w[6][3].calls, 1);
	ck_assert_int_eq(w[6][23].calls, 1);
	ck_assert_int_eq(calls_stats_week(db, 20261025, 20261025, w), 0);
	ck_assert_int_eq(w[6][2].calls, 2);   /* both 02:30s */
	ck_assert_int_eq(w[6][23].calls, 1);

	struct day_list l = { 0 };
	ck_assert_int_eq(calls_stats_days(db, 20260328, 20260330, collect_day, &l), 2);
	ck_assert_int_eq(l.day[0], 20260328);
	ck_assert_int_eq(l.t[0].calls, 1);
	ck_assert_int_eq(l.day[1], 20260329);
	ck_assert_int_eq(l.t[1].calls, 4);

	struct ext_list e = { 0 };
	ck_assert_int_eq(calls_stats_by_ext(db, 20260329, 20260329, collect_ext, &e), 2);
	ck_assert_str_eq(e.t[0].ext, "201");
	ck_assert_int_eq(e.t[0].made, 4);
	ck_assert_str_eq(e.t[1].ext, "202");
	ck_assert_int_eq(e.t[1].received, 2);
	ck_assert_int_eq(e.t[1].missed, 2);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_stats");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, test_db_setup, test_db_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, periods_equal_a_direct_computation);
	tcase_add_test(tc, empty_periods_are_zeros);
	tcase_add_test(tc, the_statistics_read_only_the_aggregates);
	tcase_add_test(tc, summer_time_days_count_on_their_local_day);
	suite_add_tcase(s, tc);
	return check_run(s);
}
