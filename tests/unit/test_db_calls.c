/* Unit tests: the call history in the database (db/calls.c, migration 7): storing a record twice adds one row
 * and moves the aggregates once; the aggregates equal a direct GROUP BY over the calls of random histories
 * (seeded, several seeds); date filters at local midnight and across summer time in Europe/Madrid; the sort
 * allow-list; keyset pagination in every sort and direction, with ties and filters, giving each row once and
 * in order, as SQL's own ORDER BY does; cursors that are not ours refused; migration 8's keys. Real SQLite
 * files. */
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

/* A random call: times spread over 60 days, few numbers and durations so that sorts have ties. */
static void random_call(struct call *c, int i)
{
	memset(c, 0, sizeof *c);
	static const char *const exts[] = { "", "", "201", "202", "203", "204" };
	c->start = 1780000000 + (int64_t)test_rnd(60 * 86400 / 600) * 600; /* many calls share a start */
	c->duration = (int)test_rnd(6) * 30;
	c->disposition = (enum call_disposition)test_rnd(4);
	c->billsec = c->disposition == CALL_ANSWERED ? c->duration / 2 : 0;
	c->answer = c->disposition == CALL_ANSWERED ? c->start + 5 : 0;
	c->end = c->start + c->duration;
	c->direction = (enum call_direction)test_rnd(3);
	snprintf(c->from_ext, sizeof c->from_ext, "%s", c->direction == CALL_INBOUND ? "" : exts[test_rnd(6)]);
	snprintf(c->to_ext, sizeof c->to_ext, "%s", c->direction == CALL_OUTBOUND ? "" : exts[test_rnd(6)]);
	snprintf(c->src, sizeof c->src, "%s", c->from_ext[0] ? c->from_ext : (test_rnd(2) ? "612345678" : "911"));
	snprintf(c->dst, sizeof c->dst, "%u", 200 + test_rnd(8));
	snprintf(c->clid_name, sizeof c->clid_name, "%s", test_rnd(3) ? "" : "Smith_100%");
	snprintf(c->clid_num, sizeof c->clid_num, "%s", c->src);
	snprintf(c->channel, sizeof c->channel, "PJSIP/%s-%08x", c->src, (unsigned)i);
	snprintf(c->key, sizeof c->key, "key-%d-%u", i, test_rnd(1u << 30));
	time_t t = (time_t)c->start;
	struct tm tm;
	localtime_r(&t, &tm);
	c->day = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	c->hour = tm.tm_hour;
	c->dow = (tm.tm_wday + 6) % 7;
}

START_TEST(storing_twice_adds_one_row_and_counts_once)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct db *db = test_db_open();
	struct call c;
	test_rng_state = 42;
	random_call(&c, 1);
	c.disposition = CALL_ANSWERED;
	snprintf(c.from_ext, sizeof c.from_ext, "201");
	snprintf(c.to_ext, sizeof c.to_ext, "202");
	size_t inserted = 99;
	ck_assert_int_eq(calls_insert(db, &c, 1, &inserted), 0);
	ck_assert_uint_eq(inserted, 1);
	const char *agg = "SELECT (SELECT group_concat(calls || ',' || answered || ',' || talk_seconds) FROM calls_by_hour)"
			  " || '|' || (SELECT group_concat(ext || ',' || made || ',' || received) FROM calls_by_ext)";
	sqlite3_stmt *st = db_prepare(db, agg);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	char before[256];
	db_column_text(before, sizeof before, st, 0);
	db_done(st);
	/* Again, alone and inside a batch with a new one, and the batch again. */
	ck_assert_int_eq(calls_insert(db, &c, 1, &inserted), 0);
	ck_assert_uint_eq(inserted, 0);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM calls"), 1);
	st = db_prepare(db, agg);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	char after[256];
	db_column_text(after, sizeof after, st, 0);
	db_done(st);
	ck_assert_str_eq(before, after);
	struct call two[2] = { c, c };
	snprintf(two[1].key, sizeof two[1].key, "another");
	ck_assert_int_eq(calls_insert(db, two, 2, &inserted), 0);
	ck_assert_uint_eq(inserted, 1);
	ck_assert_int_eq(calls_insert(db, two, 2, &inserted), 0);
	ck_assert_uint_eq(inserted, 0);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM calls"), 2);
	ck_assert_int_eq(test_db_scalar(db, "SELECT SUM(calls) FROM calls_by_hour"), 2);
	ck_assert_int_eq(test_db_scalar(db, "SELECT made FROM calls_by_ext WHERE ext = '201'"), 2);
	ck_assert_int_eq(test_db_scalar(db, "SELECT received FROM calls_by_ext WHERE ext = '202'"), 2);
	/* A failed batch stores nothing, aggregates included. */
	ck_assert_int_eq(db_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON calls WHEN NEW.key = 'poison' "
				     "BEGIN SELECT RAISE(ABORT, 'no'); END"), SQLITE_OK);
	struct call bad[2] = { c, c };
	snprintf(bad[0].key, sizeof bad[0].key, "fine");
	snprintf(bad[1].key, sizeof bad[1].key, "poison");
	ck_assert_int_eq(calls_insert(db, bad, 2, &inserted), -1);
	ck_assert_uint_eq(inserted, 0);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM calls"), 2);
	ck_assert_int_eq(test_db_scalar(db, "SELECT SUM(calls) FROM calls_by_hour"), 2);
	db_close(db);
}
END_TEST

/* Migration 8: a key of the old shape (the whole SHA-256 in hex) becomes the start time's 16 hex digits and
 * the hash's first 32, the shape cdr.c makes now, so the same record replayed after the upgrade is known. */
START_TEST(migration_8_puts_the_start_time_first_in_old_keys)
{
	struct db *db = db_open(test_db_path, (char[200]){ 0 }, 200);
	char err[200];
	ck_assert_ptr_nonnull(db);
	ck_assert_msg(db_migrate_to(db, 7, err, sizeof err) == 0, "%s", err);
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "INSERT INTO calls (key, start_time, answer_time, end_time, duration, billsec, src, dst, clid_name,"
		 " clid_num, dcontext, channel, dstchannel, lastapp, uniqueid, disposition, direction, from_ext, to_ext,"
		 " day, hour, dow) VALUES ('%s', 1700000000, 0, 1700000040, 40, 0, '201', '202', '', '201', 'c',"
		 " 'PJSIP/201-1', '', 'Dial', '', 1, 0, '201', '202', 20231114, 22, 1)",
		 "0123456789abcdef0123456789abcdeffedcba9876543210fedcba9876543210");
	ck_assert_int_eq(db_exec(db, sql), SQLITE_OK);
	ck_assert_msg(db_migrate(db, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM calls WHERE key ="
				    " '000000006553f1000123456789abcdef0123456789abcdef'"), 1);
	struct call c = { 0 };
	test_rng_state = 8;
	random_call(&c, 8);
	snprintf(c.key, sizeof c.key, "000000006553f1000123456789abcdef0123456789abcdef");
	size_t inserted = 99;
	ck_assert_int_eq(calls_insert(db, &c, 1, &inserted), 0);
	ck_assert_uint_eq(inserted, 0);
	db_close(db);
}
END_TEST

/* The aggregates as a GROUP BY over the calls says they must be; "" when they agree. */
static const char *const hour_check =
	"SELECT COUNT(*) FROM (SELECT day, hour, dow, COUNT(*) AS calls, SUM(disposition = 0) AS answered,"
	" SUM(disposition <> 0 AND (to_ext <> '' OR direction = 1)) AS missed, SUM(billsec) AS talk"
	" FROM calls GROUP BY day, hour) AS want"
	" FULL OUTER JOIN calls_by_hour AS have USING (day, hour)"
	" WHERE want.calls IS NOT have.calls OR want.answered IS NOT have.answered OR want.missed IS NOT have.missed"
	" OR want.talk IS NOT have.talk_seconds OR want.dow IS NOT have.dow";
static const char *const ext_check =
	"SELECT COUNT(*) FROM (SELECT ext, day, SUM(made) AS made, SUM(received) AS received, SUM(missed) AS missed,"
	" SUM(talk) AS talk FROM ("
	"   SELECT from_ext AS ext, day, 1 AS made, CASE WHEN to_ext = from_ext THEN disposition = 0 ELSE 0 END"
	"   AS received, CASE WHEN to_ext = from_ext THEN disposition <> 0 ELSE 0 END AS missed, billsec AS talk"
	"   FROM calls WHERE from_ext <> ''"
	"   UNION ALL SELECT to_ext, day, 0, disposition = 0, disposition <> 0, billsec FROM calls"
	"   WHERE to_ext <> '' AND to_ext <> from_ext)"
	" GROUP BY ext, day) AS want FULL OUTER JOIN calls_by_ext AS have USING (ext, day)"
	" WHERE want.made IS NOT have.made OR want.received IS NOT have.received OR want.missed IS NOT have.missed"
	" OR want.talk IS NOT have.talk_seconds";

START_TEST(aggregates_equal_a_direct_count)
{
	setenv("TZ", "Europe/Madrid", 1);
	tzset();
	static const uint64_t seeds[] = { 1, 7, 2026, 0xdeadbeef };
	/* Under valgrind (scripts/test.sh sets CENTRALITA_TEST_QUICK) one seed: the same code runs, ten times slower. */
	size_t n_seeds = getenv("CENTRALITA_TEST_QUICK") ? 1 : sizeof seeds / sizeof *seeds;
	for (size_t s = 0; s < n_seeds; s++) {
		unlink(test_db_path);
		char wal[160];
		snprintf(wal, sizeof wal, "%s-wal", test_db_path);
		unlink(wal);
		struct db *db = test_db_open();
		test_rng_state = seeds[s];
		enum { N = 3000 };
		struct call *calls = calloc(N, sizeof *calls);
		for (int i = 0; i < N; i++) {
			random_call(&calls[i], i);
			if (test_rnd(20) == 0 && i > 0)
				calls[i] = calls[test_rnd((uint32_t)i)]; /* a replayed record */
		}
		size_t total = 0;
		for (int i = 0; i < N; i += 200) {
			size_t inserted, n = N - i < 200 ? (size_t)(N - i) : 200;
			ck_assert_int_eq(calls_insert(db, calls + i, n, &inserted), 0);
			total += inserted;
		}
		/* And the whole history again: nothing moves. */
		size_t again;
		ck_assert_int_eq(calls_insert(db, calls, N, &again), 0);
		ck_assert_uint_eq(again, 0);
		ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM calls"), (int64_t)total);
		ck_assert_int_lt((int64_t)total, N);
		ck_assert_int_eq(test_db_scalar(db, "SELECT SUM(calls) FROM calls_by_hour"), (int64_t)total);
		ck_assert_msg(test_db_scalar(db, hour_check) == 0, "seed %" PRIu64 ": calls_by_hour differs", seeds[s]);
		ck_assert_msg(test_db_scalar(db, ext_check) == 0, "seed %" PRIu64 ": calls_by_ext differs", seeds[s]);
		ck_assert_int_gt(test_db_scalar(db, "SELECT COUNT(*) FROM calls WHERE from_ext = to_ext AND from_ext <> ''"), 0);
		free(calls);
		db_close(db);
	}
}
END_TEST

/* ids[0] counts, ids[1..] holds; at most collect_cap ids (a runaway walk fails the test, not the process). */
static int64_t collect_cap = 15;
static int collect_ids(void *ctx, const struct call *c)
{
	int64_t *ids = ctx;
	ck_assert_int_lt(ids[0], collect_cap);
	ids[++ids[0]] = c->id;
	return 0;
}

static int64_t local_midnight(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_isdst = -1 };
	return (int64_t)mktime(&tm);
}

static struct call madrid(const char *start, const char *key)
{
	struct cdr_fields f = { .src = "201", .dst = key, .channel = "PJSIP/201-00000001", .dstchannel = "",
				.start = start, .answer = "", .end = start, .duration = "0", .billsec = "0",
				.disposition = "NO ANSWER" };
	struct call c;
	char why[200] = "";
	ck_assert_msg(cdr_from_fields(&f, NULL, NULL, &c, why, sizeof why) == 0, "%s", why);
	return c;
}

START_TEST(date_filters_at_local_midnight_and_summer_time)
{
	setenv("TZ", "Europe/Madrid", 1);
	tzset();
	struct db *db = test_db_open();
	static const char *const starts[] = {
		"2026-03-28 23:59:59", /* 1: the day before */
		"2026-03-29 00:00:00", /* 2: the day the clocks go forward, first second */
		"2026-03-29 01:59:59", /* 3 */
		"2026-03-29 03:00:00", /* 4: one second later */
		"2026-03-29 23:59:59", /* 5: last second of that 23-hour day */
		"2026-03-30 00:00:00", /* 6: the day after */
		"2026-10-25 02:30:00", /* 7: inside the hour lived twice */
		"2026-10-25 23:59:59", /* 8: last second of a 25-hour day */
		"2026-10-26 00:00:00", /* 9 */
	};
	struct call calls[9];
	for (int i = 0; i < 9; i++) {
		char key[16];
		snprintf(key, sizeof key, "%d", i + 1);
		calls[i] = madrid(starts[i], key);
	}
	ck_assert_int_eq(calls_insert(db, calls, 9, NULL), 0);
	int64_t d29 = local_midnight(2026, 3, 29), d30 = local_midnight(2026, 3, 30);
	ck_assert_int_eq(d30 - d29, 23 * 3600);
	struct call_filter f = { .from = d29, .to = d30, .direction = -1, .disposition = -1 };
	ck_assert_int_eq(calls_count(db, &f), 4);
	int64_t ids[16] = { 0 };
	struct call_cursor next;
	ck_assert_int_eq(calls_page(db, &f, CALL_SORT_START, false, NULL, 10, collect_ids, ids, &next), 4);
	ck_assert_int_eq(ids[0], 4);
	ck_assert_int_eq(ids[1], 2);
	ck_assert_int_eq(ids[4], 5);
	ck_assert(!next.set);
	/* Descending too (the date bound is folded with the cursor there). */
	memset(ids, 0, sizeof ids);
	ck_assert_int_eq(calls_page(db, &f, CALL_SORT_START, true, NULL, 10, collect_ids, ids, &next), 4);
	ck_assert_int_eq(ids[1], 5);
	ck_assert_int_eq(ids[4], 2);
	int64_t d25 = local_midnight(2026, 10, 25), d26 = local_midnight(2026, 10, 26);
	ck_assert_int_eq(d26 - d25, 25 * 3600);
	f.from = d25;
	f.to = d26;
	ck_assert_int_eq(calls_count(db, &f), 2);
	/* The stored local day agrees with the ranges. */
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM calls WHERE day = 20260329"), 4);
	ck_assert_int_eq(test_db_scalar(db, "SELECT COUNT(*) FROM calls WHERE day = 20261025"), 2);
	ck_assert_int_eq(test_db_scalar(db, "SELECT SUM(calls) FROM calls_by_hour WHERE day = 20260329"), 4);
	db_close(db);
}
END_TEST

START_TEST(sort_names_outside_the_allow_list_are_refused)
{
	enum call_sort s = CALL_SORT_DST;
	static const char *const bad[] = { "", "START", "id", "start ", "start;DROP TABLE calls", "start DESC",
					   "1", "duration,src", "clid_name", NULL };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_msg(!call_sort_parse(bad[i], &s), "'%s' accepted", bad[i] ? bad[i] : "(null)");
		ck_assert_int_eq(s, CALL_SORT_DST); /* untouched */
	}
	static const char *const good[] = { "start", "duration", "src", "dst" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		ck_assert(call_sort_parse(good[i], &s));
		ck_assert_str_eq(call_sort_name(s), good[i]);
	}
}
END_TEST

START_TEST(malformed_cursors_are_refused)
{
	struct call_cursor c;
	static const char *const bad_numeric[] = {
		"", "~", "12", "12~", "~5", "12~0", "12~-3", "1x~5", "12~5x", "+12~5", " 12~5", "12~ 5",
		"99999999999999999999~1", "12~99999999999999999999", "-~5", "12~5~6", "1.5~3",
	};
	for (size_t i = 0; i < sizeof bad_numeric / sizeof *bad_numeric; i++) {
		ck_assert_msg(!call_cursor_parse(CALL_SORT_START, bad_numeric[i], &c), "'%s' accepted", bad_numeric[i]);
		ck_assert(!c.set);
	}
	ck_assert(call_cursor_parse(CALL_SORT_DURATION, "-5~7", &c));
	ck_assert_int_eq(c.number, -5);
	ck_assert(call_cursor_parse(CALL_SORT_START, "1780000000~42", &c));
	ck_assert(c.set);
	ck_assert_int_eq(c.number, 1780000000);
	ck_assert_int_eq(c.id, 42);
	/* Text: anything up to the last '~', not longer than a field. */
	ck_assert(call_cursor_parse(CALL_SORT_SRC, "a~b~9", &c));
	ck_assert_str_eq(c.text, "a~b");
	ck_assert_int_eq(c.id, 9);
	ck_assert(call_cursor_parse(CALL_SORT_DST, "~9", &c));
	ck_assert_str_eq(c.text, "");
	ck_assert(!call_cursor_parse(CALL_SORT_SRC, "abc", &c));
	ck_assert(!call_cursor_parse(CALL_SORT_SRC, "abc~x", &c));
	char longtext[200];
	memset(longtext, 'a', 100);
	snprintf(longtext + 100, sizeof longtext - 100, "~5");
	ck_assert(!call_cursor_parse(CALL_SORT_SRC, longtext, &c));
	ck_assert(!call_cursor_parse((enum call_sort)99, "1~1", &c));
	/* Round trip. */
	char text[200];
	struct call_cursor in = { .set = true, .number = 0, .id = 3 };
	snprintf(in.text, sizeof in.text, "x~y");
	call_cursor_format(CALL_SORT_SRC, &in, text, sizeof text);
	ck_assert(call_cursor_parse(CALL_SORT_SRC, text, &c));
	ck_assert_str_eq(c.text, "x~y");
	ck_assert_int_eq(c.id, 3);
}
END_TEST

/* The ids SQL's own ORDER BY gives for a filter written out by hand. */
static int reference(struct db *db, const char *where, enum call_sort sort, bool desc, int64_t *out)
{
	static const char *const cols[] = { "start_time", "duration", "src", "dst" };
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT id FROM calls WHERE %s ORDER BY %s %s, id %s", where, cols[sort],
		 desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		out[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

START_TEST(keyset_pages_give_every_row_once_in_order)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct db *db = test_db_open();
	test_rng_state = 99;
	enum { N = 1200 };
	struct call *calls = calloc(N, sizeof *calls);
	for (int i = 0; i < N; i++)
		random_call(&calls[i], i);
	ck_assert_int_eq(calls_insert(db, calls, N, NULL), 0);
	free(calls);
	int64_t mid = test_db_scalar(db, "SELECT start_time FROM calls ORDER BY start_time LIMIT 1 OFFSET 400");
	int64_t late = test_db_scalar(db, "SELECT start_time FROM calls ORDER BY start_time LIMIT 1 OFFSET 900");
	struct {
		struct call_filter f;
		char where[300];
	} filters[6];
	memset(filters, 0, sizeof filters);
	for (int i = 0; i < 6; i++)
		filters[i].f.direction = filters[i].f.disposition = -1;
	snprintf(filters[0].where, sizeof filters[0].where, "1");
	filters[1].f.from = mid;
	filters[1].f.to = late;
	snprintf(filters[1].where, sizeof filters[1].where, "start_time >= %" PRId64 " AND start_time < %" PRId64,
		 mid, late);
	snprintf(filters[2].f.ext, sizeof filters[2].f.ext, "202");
	snprintf(filters[2].where, sizeof filters[2].where, "(from_ext = '202' OR to_ext = '202')");
	filters[3].f.min_duration = 60;
	filters[3].f.disposition = CALL_ANSWERED;
	snprintf(filters[3].where, sizeof filters[3].where, "duration >= 60 AND disposition = 0");
	snprintf(filters[4].f.text, sizeof filters[4].f.text, "h_100%%");
	filters[4].f.direction = CALL_INTERNAL;
	snprintf(filters[4].where, sizeof filters[4].where, "clid_name = 'Smith_100%%' AND direction = 0");
	snprintf(filters[5].f.ext, sizeof filters[5].f.ext, "201");
	filters[5].f.from = mid;
	filters[5].f.min_duration = 30;
	snprintf(filters[5].where, sizeof filters[5].where,
		 "(from_ext = '201' OR to_ext = '201') AND start_time >= %" PRId64 " AND duration >= 30", mid);
	int64_t *want = calloc(N, sizeof *want), *got = calloc(N + 1, sizeof *got);
	collect_cap = N;
	for (size_t fi = 0; fi < 6; fi++) {
		for (int sort = CALL_SORT_START; sort <= CALL_SORT_DST; sort++) {
			for (int desc = 0; desc < 2; desc++) {
				int n_want = reference(db, filters[fi].where, (enum call_sort)sort, desc, want);
				ck_assert_int_gt(n_want, 10);
				ck_assert_int_eq(calls_count(db, &filters[fi].f), n_want);
				memset(got, 0, (N + 1) * sizeof *got);
				struct call_cursor cursor = { 0 }, next;
				int pages = 0;
				for (;;) {
					/* Through the URL form, as the page does. */
					char text[200];
					struct call_cursor parsed = { 0 };
					if (cursor.set) {
						call_cursor_format((enum call_sort)sort, &cursor, text, sizeof text);
						ck_assert(call_cursor_parse((enum call_sort)sort, text, &parsed));
					}
					int n = calls_page(db, &filters[fi].f, (enum call_sort)sort, desc, &parsed, 7,
							   collect_ids, got, &next);
					ck_assert_int_ge(n, 0);
					ck_assert_int_le(n, 7);
					pages++;
					ck_assert_int_le(pages, N);
					if (!next.set)
						break;
					ck_assert_int_eq(n, 7);
					cursor = next;
				}
				ck_assert_msg(got[0] == n_want, "filter %zu sort %d desc %d: %" PRId64 " rows of %d", fi,
					      sort, desc, got[0], n_want);
				for (int i = 0; i < n_want; i++)
					ck_assert_msg(got[i + 1] == want[i], "filter %zu sort %d desc %d: row %d", fi, sort,
						      desc, i);
				/* calls_each walks the same rows. */
				memset(got, 0, (N + 1) * sizeof *got);
				ck_assert_int_eq(calls_each(db, &filters[fi].f, (enum call_sort)sort, desc, collect_ids,
							    got),
						 n_want);
				for (int i = 0; i < n_want; i++)
					ck_assert_int_eq(got[i + 1], want[i]);
			}
		}
	}
	free(want);
	free(got);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_calls");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, test_db_setup, test_db_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, storing_twice_adds_one_row_and_counts_once);
	tcase_add_test(tc, aggregates_equal_a_direct_count);
	tcase_add_test(tc, migration_8_puts_the_start_time_first_in_old_keys);
	tcase_add_test(tc, date_filters_at_local_midnight_and_summer_time);
	tcase_add_test(tc, sort_names_outside_the_allow_list_are_refused);
	tcase_add_test(tc, malformed_cursors_are_refused);
	tcase_add_test(tc, keyset_pages_give_every_row_once_in_order);
	suite_add_tcase(s, tc);
	return check_run(s);
}
