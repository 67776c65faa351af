/* calls: the call history, its aggregates and the history page's queries (see calls.h; schema: migration 7).
 *
 * Every query is one of a fixed set of SQL texts, chosen by the sort (an enum), the direction and whether an
 * extension is asked for; values are bound, never written into SQL. The keyset bound of a page is a row value
 * (sort column, id) on the index of the sort column, so a page deep in the history costs what the first does.
 * One index range per query: the planner given two bounds on the same side of one column (a date range and a
 * cursor on the start time, a minimum duration and a cursor on the duration) picks one, and picking the date
 * range made a deep page scan everything between it and the cursor. So, in C, the tighter of the two becomes
 * the one row-value bound (fold_lower / fold_upper), and the other conditions on a sort column that is not the
 * query's own are written "+column", which keeps them from claiming an index. */
#include "db/calls.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLUMNS                                                                                                \
	"id, key, start_time, answer_time, end_time, duration, billsec, src, dst, clid_name, clid_num, dcontext, " \
	"channel, dstchannel, lastapp, uniqueid, disposition, direction, from_ext, to_ext, day, hour, dow"

/* ?3 direction, ?4 disposition (-1 = any), ?6 '%text%' as a LIKE pattern ('' = any). */
#define FILTERS                                                                                          \
	" AND (?3 < 0 OR direction = ?3) AND (?4 < 0 OR disposition = ?4)"                                \
	" AND (?6 = '' OR clid_name LIKE ?6 ESCAPE '\\' OR clid_num LIKE ?6 ESCAPE '\\'"                  \
	" OR src LIKE ?6 ESCAPE '\\' OR dst LIKE ?6 ESCAPE '\\')"
/* ?7 extension ('' = any). */
#define EXT_ANY " AND (?7 = '' OR from_ext = ?7 OR to_ext = ?7)"
/* ?1..?2 start range, ?5 minimum duration, for sorts on neither column. */
#define RANGES_UNINDEXED " AND +start_time >= ?1 AND +start_time < ?2 AND +duration >= ?5"

/* ?8, ?9: the keyset bound (column value, id); ?10: rows wanted. */
#define PAGE_OTHER(col, cmp, dir)                                                                              \
	"SELECT " COLUMNS " FROM calls WHERE 1" RANGES_UNINDEXED FILTERS EXT_ANY " AND (" col ", id) " cmp        \
	" (?8, ?9) ORDER BY " col " " dir ", id " dir " LIMIT ?10"

/* Start time: the row value carries the cursor or the date bound on the side the scan starts from. */
#define START_DESC_WHERE " start_time >= ?1 AND +duration >= ?5" FILTERS " AND (start_time, id) < (?8, ?9)"
#define START_ASC_WHERE " start_time < ?2 AND +duration >= ?5" FILTERS " AND (start_time, id) > (?8, ?9)"
/* An extension sorted by start: the calls it made (calls_from) and those it received but did not make
 * (calls_to), each an ordered index range, merged. */
#define START_EXT(where, dir)                                                                                  \
	"SELECT * FROM (SELECT " COLUMNS " FROM calls WHERE from_ext = ?7 AND from_ext <> '' AND" where            \
	" ORDER BY start_time " dir ", id " dir " LIMIT ?10)"                                                       \
	" UNION ALL SELECT * FROM (SELECT " COLUMNS " FROM calls WHERE to_ext = ?7 AND to_ext <> ''"                \
	" AND from_ext <> ?7 AND" where " ORDER BY start_time " dir ", id " dir " LIMIT ?10)"                        \
	" ORDER BY start_time " dir ", id " dir " LIMIT ?10"

static const char *const page_sql[][2] = {
	/* [sort][desc] */
	[CALL_SORT_START] = {
		"SELECT " COLUMNS " FROM calls WHERE" START_ASC_WHERE EXT_ANY
		" ORDER BY start_time ASC, id ASC LIMIT ?10",
		"SELECT " COLUMNS " FROM calls WHERE" START_DESC_WHERE EXT_ANY
		" ORDER BY start_time DESC, id DESC LIMIT ?10",
	},
	[CALL_SORT_DURATION] = {
		/* ascending: the minimum duration is folded into the row value */
		"SELECT " COLUMNS " FROM calls WHERE +start_time >= ?1 AND +start_time < ?2" FILTERS EXT_ANY
		" AND (duration, id) > (?8, ?9) ORDER BY duration ASC, id ASC LIMIT ?10",
		/* descending: the scan starts at the cursor and stops at the minimum duration */
		"SELECT " COLUMNS " FROM calls WHERE +start_time >= ?1 AND +start_time < ?2 AND duration >= ?5"
		FILTERS EXT_ANY " AND (duration, id) < (?8, ?9) ORDER BY duration DESC, id DESC LIMIT ?10",
	},
	[CALL_SORT_SRC] = { PAGE_OTHER("src", ">", "ASC"), PAGE_OTHER("src", "<", "DESC") },
	[CALL_SORT_DST] = { PAGE_OTHER("dst", ">", "ASC"), PAGE_OTHER("dst", "<", "DESC") },
};

static const char *const page_start_ext_sql[2] = {
	START_EXT(START_ASC_WHERE, "ASC"),
	START_EXT(START_DESC_WHERE, "DESC"),
};

static const char *const sort_names[] = {
	[CALL_SORT_START] = "start",
	[CALL_SORT_DURATION] = "duration",
	[CALL_SORT_SRC] = "src",
	[CALL_SORT_DST] = "dst",
};
#define SORT_COUNT (sizeof sort_names / sizeof *sort_names)

bool call_sort_parse(const char *name, enum call_sort *out)
{
	for (size_t i = 0; name && i < SORT_COUNT; i++)
		if (strcmp(name, sort_names[i]) == 0) {
			*out = (enum call_sort)i;
			return true;
		}
	return false;
}

const char *call_sort_name(enum call_sort s)
{
	return (size_t)s < SORT_COUNT ? sort_names[s] : "start";
}

static bool is_numeric_sort(enum call_sort s)
{
	return s == CALL_SORT_START || s == CALL_SORT_DURATION;
}

/* A decimal int64 with nothing around it (no sign for ids, no spaces, no leading '+'). */
static bool parse_int64(const char *s, size_t len, bool allow_minus, int64_t *out)
{
	if (len == 0 || len > 20)
		return false;
	size_t i = 0;
	if (s[0] == '-') {
		if (!allow_minus || len == 1)
			return false;
		i = 1;
	}
	for (size_t j = i; j < len; j++)
		if (s[j] < '0' || s[j] > '9')
			return false;
	char buf[24];
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	char *end;
	long long v = strtoll(buf, &end, 10);
	if (errno || *end)
		return false;
	*out = (int64_t)v;
	return true;
}

bool call_cursor_parse(enum call_sort sort, const char *s, struct call_cursor *out)
{
	memset(out, 0, sizeof *out);
	if (!s || (size_t)sort >= SORT_COUNT)
		return false;
	/* The id follows the last '~': a text value may hold '~' itself. */
	const char *tilde = strrchr(s, '~');
	if (!tilde)
		return false;
	size_t value_len = (size_t)(tilde - s);
	if (!parse_int64(tilde + 1, strlen(tilde + 1), false, &out->id) || out->id <= 0)
		return false;
	if (is_numeric_sort(sort)) {
		if (!parse_int64(s, value_len, true, &out->number))
			return false;
	} else {
		if (value_len >= sizeof out->text || memchr(s, '\0', value_len))
			return false;
		memcpy(out->text, s, value_len);
		out->text[value_len] = '\0';
	}
	out->set = true;
	return true;
}

void call_cursor_format(enum call_sort sort, const struct call_cursor *c, char *out, size_t size)
{
	if (is_numeric_sort(sort))
		snprintf(out, size, "%" PRId64 "~%" PRId64, c->number, c->id);
	else
		snprintf(out, size, "%s~%" PRId64, c->text, c->id);
}

/* ---------- storing ---------- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* A batch's contribution to the aggregates, summed in memory first so that each hour and each phone's day
 * the batch touches is one upsert, not one per call (a batch of 1,000 calls is mostly a few hours and
 * phones). */
struct hour_sum {
	int day, hour, dow;
	int calls, answered, missed;
	int64_t talk;
};

struct ext_sum {
	const char *ext;          /* into the batch's calls */
	int day;
	int made, received, missed;
	int64_t talk;
};

static int compare_hour(const void *a, const void *b)
{
	const struct hour_sum *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->hour > y->hour) - (x->hour < y->hour);
}

static int compare_ext_day(const void *a, const void *b)
{
	const struct ext_sum *x = a, *y = b;
	int c = strcmp(x->ext, y->ext);
	return c ? c : (x->day > y->day) - (x->day < y->day);
}

/* The call's contribution: to its hour, and to each phone's day, one entry per side; a phone calling itself
 * is one entry that made and received the call, its talk time counted once. "missed" is an unanswered call
 * to a phone, or an unanswered inbound call (one that reached no phone); an outbound call nobody answered is
 * not missed. */
static void add_contribution(const struct call *c, struct hour_sum *hours, size_t *n_hours, struct ext_sum *exts,
			     size_t *n_exts)
{
	bool answered = c->disposition == CALL_ANSWERED;
	bool missed = !answered && (c->to_ext[0] || c->direction == CALL_INBOUND);
	hours[(*n_hours)++] = (struct hour_sum){ c->day, c->hour, c->dow, 1, answered, missed, c->billsec };
	bool self_call = c->from_ext[0] && strcmp(c->from_ext, c->to_ext) == 0;
	if (c->from_ext[0])
		exts[(*n_exts)++] = (struct ext_sum){ c->from_ext, c->day, 1, self_call && answered,
						      self_call && !answered, c->billsec };
	if (c->to_ext[0] && !self_call)
		exts[(*n_exts)++] = (struct ext_sum){ c->to_ext, c->day, 0, answered, !answered, c->billsec };
}

/* Sorts the entries and adds each run of equal keys to its row. */
static int store_contributions(struct db *db, struct hour_sum *hours, size_t n_hours, struct ext_sum *exts,
			       size_t n_exts)
{
	qsort(hours, n_hours, sizeof *hours, compare_hour);
	for (size_t i = 0; i < n_hours;) {
		struct hour_sum sum = hours[i];
		for (i++; i < n_hours && compare_hour(&hours[i], &sum) == 0; i++) {
			sum.calls += hours[i].calls;
			sum.answered += hours[i].answered;
			sum.missed += hours[i].missed;
			sum.talk += hours[i].talk;
		}
		sqlite3_stmt *st = db_prepare(db,
			"INSERT INTO calls_by_hour (day, hour, dow, calls, answered, missed, talk_seconds)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			" ON CONFLICT (day, hour) DO UPDATE SET calls = calls + excluded.calls,"
			" answered = answered + excluded.answered, missed = missed + excluded.missed,"
			" talk_seconds = talk_seconds + excluded.talk_seconds");
		if (!st)
			return -1;
		sqlite3_bind_int(st, 1, sum.day);
		sqlite3_bind_int(st, 2, sum.hour);
		sqlite3_bind_int(st, 3, sum.dow);
		sqlite3_bind_int(st, 4, sum.calls);
		sqlite3_bind_int(st, 5, sum.answered);
		sqlite3_bind_int(st, 6, sum.missed);
		sqlite3_bind_int64(st, 7, sum.talk);
		if (db_step_done(st) != SQLITE_DONE)
			return -1;
	}
	qsort(exts, n_exts, sizeof *exts, compare_ext_day);
	for (size_t i = 0; i < n_exts;) {
		struct ext_sum sum = exts[i];
		for (i++; i < n_exts && compare_ext_day(&exts[i], &sum) == 0; i++) {
			sum.made += exts[i].made;
			sum.received += exts[i].received;
			sum.missed += exts[i].missed;
			sum.talk += exts[i].talk;
		}
		sqlite3_stmt *st = db_prepare(db,
			"INSERT INTO calls_by_ext (ext, day, made, received, missed, talk_seconds)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
			" ON CONFLICT (ext, day) DO UPDATE SET made = made + excluded.made,"
			" received = received + excluded.received, missed = missed + excluded.missed,"
			" talk_seconds = talk_seconds + excluded.talk_seconds");
		if (!st)
			return -1;
		bind_text(st, 1, sum.ext);
		sqlite3_bind_int(st, 2, sum.day);
		sqlite3_bind_int(st, 3, sum.made);
		sqlite3_bind_int(st, 4, sum.received);
		sqlite3_bind_int(st, 5, sum.missed);
		sqlite3_bind_int64(st, 6, sum.talk);
		if (db_step_done(st) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* Inserts one call unless its key is known. Returns 1 inserted, 0 known, -1 error. */
static int insert_one(struct db *db, const struct call *c)
{
	sqlite3_stmt *st = db_prepare(db,
		"INSERT INTO calls (key, start_time, answer_time, end_time, duration, billsec, src, dst, clid_name,"
		" clid_num, dcontext, channel, dstchannel, lastapp, uniqueid, disposition, direction, from_ext, to_ext,"
		" day, hour, dow) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
		" ?18, ?19, ?20, ?21, ?22) ON CONFLICT (key) DO NOTHING");
	if (!st)
		return -1;
	bind_text(st, 1, c->key);
	sqlite3_bind_int64(st, 2, c->start);
	sqlite3_bind_int64(st, 3, c->answer);
	sqlite3_bind_int64(st, 4, c->end);
	sqlite3_bind_int(st, 5, c->duration);
	sqlite3_bind_int(st, 6, c->billsec);
	bind_text(st, 7, c->src);
	bind_text(st, 8, c->dst);
	bind_text(st, 9, c->clid_name);
	bind_text(st, 10, c->clid_num);
	bind_text(st, 11, c->dcontext);
	bind_text(st, 12, c->channel);
	bind_text(st, 13, c->dstchannel);
	bind_text(st, 14, c->lastapp);
	bind_text(st, 15, c->uniqueid);
	sqlite3_bind_int(st, 16, (int)c->disposition);
	sqlite3_bind_int(st, 17, (int)c->direction);
	bind_text(st, 18, c->from_ext);
	bind_text(st, 19, c->to_ext);
	sqlite3_bind_int(st, 20, c->day);
	sqlite3_bind_int(st, 21, c->hour);
	sqlite3_bind_int(st, 22, c->dow);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	/* ON CONFLICT DO NOTHING: no change means the key was already stored. */
	return db_changes(db) == 1 ? 1 : 0;
}

int calls_insert(struct db *db, const struct call *calls, size_t n, size_t *inserted)
{
	if (inserted)
		*inserted = 0;
	if (n == 0)
		return 0;
	struct hour_sum *hours = malloc(n * sizeof *hours);
	struct ext_sum *exts = malloc(2 * n * sizeof *exts);
	if (!hours || !exts)
		abort();
	size_t n_hours = 0, n_exts = 0, added = 0;
	bool ok = db_exec(db, "BEGIN IMMEDIATE") == SQLITE_OK;
	if (!ok) {
		free(hours);
		free(exts);
		return -1;
	}
	for (size_t i = 0; ok && i < n; i++) {
		int rc = insert_one(db, &calls[i]);
		ok = rc >= 0;
		if (rc == 1) {
			add_contribution(&calls[i], hours, &n_hours, exts, &n_exts);
			added++;
		}
	}
	ok = ok && store_contributions(db, hours, n_hours, exts, n_exts) == 0;
	free(hours);
	free(exts);
	if (!db_commit_or_rollback(db, ok))
		return -1;
	if (inserted)
		*inserted = added;
	return 0;
}

int calls_live_phone_extensions(struct db *db, int (*fn)(void *ctx, const char *ext), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT extension FROM phones WHERE deleted = 0 ORDER BY extension");
	if (!st)
		return -1;
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char ext[CALL_EXT_MAX];
		db_column_text(ext, sizeof ext, st, 0);
		n++;
		if (fn(ctx, ext) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? n : -1;
}

/* ---------- reading ---------- */

static void read_row(sqlite3_stmt *st, struct call *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(st, 0);
	db_column_text(c->key, sizeof c->key, st, 1);
	c->start = sqlite3_column_int64(st, 2);
	c->answer = sqlite3_column_int64(st, 3);
	c->end = sqlite3_column_int64(st, 4);
	c->duration = sqlite3_column_int(st, 5);
	c->billsec = sqlite3_column_int(st, 6);
	db_column_text(c->src, sizeof c->src, st, 7);
	db_column_text(c->dst, sizeof c->dst, st, 8);
	db_column_text(c->clid_name, sizeof c->clid_name, st, 9);
	db_column_text(c->clid_num, sizeof c->clid_num, st, 10);
	db_column_text(c->dcontext, sizeof c->dcontext, st, 11);
	db_column_text(c->channel, sizeof c->channel, st, 12);
	db_column_text(c->dstchannel, sizeof c->dstchannel, st, 13);
	db_column_text(c->lastapp, sizeof c->lastapp, st, 14);
	db_column_text(c->uniqueid, sizeof c->uniqueid, st, 15);
	c->disposition = (enum call_disposition)sqlite3_column_int(st, 16);
	c->direction = (enum call_direction)sqlite3_column_int(st, 17);
	db_column_text(c->from_ext, sizeof c->from_ext, st, 18);
	db_column_text(c->to_ext, sizeof c->to_ext, st, 19);
	c->day = sqlite3_column_int(st, 20);
	c->hour = sqlite3_column_int(st, 21);
	c->dow = sqlite3_column_int(st, 22);
}

/* '%text%' for LIKE ... ESCAPE '\': the user's %, _ and \ match themselves. */
static void like_pattern(const char *text, char *out, size_t size)
{
	size_t n = 0;
	if (!*text) {
		out[0] = '\0';
		return;
	}
	out[n++] = '%';
	for (const char *p = text; *p && n + 3 < size; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n++] = '%';
	out[n] = '\0';
}

/* Binds ?1..?7, the filter, common to every query. */
static void bind_filter(sqlite3_stmt *st, const struct call_filter *f, char *pattern, size_t pattern_size)
{
	sqlite3_bind_int64(st, 1, f->from > 0 ? f->from : INT64_MIN);
	sqlite3_bind_int64(st, 2, f->to > 0 ? f->to : INT64_MAX);
	sqlite3_bind_int(st, 3, f->direction);
	sqlite3_bind_int(st, 4, f->disposition);
	sqlite3_bind_int(st, 5, f->min_duration > 0 ? f->min_duration : 0);
	like_pattern(f->text, pattern, pattern_size);
	bind_text(st, 6, pattern);
	bind_text(st, 7, f->ext);
}

/* The row-value bound (?8, ?9): after the cursor, or, with none, before the first row; for the start time and
 * an ascending duration folded with the filter's own bound on that column (see the file's comment). */
static void bind_keyset(sqlite3_stmt *st, const struct call_filter *f, enum call_sort sort, bool desc,
			const struct call_cursor *after)
{
	bool set = after && after->set;
	if (sort == CALL_SORT_SRC || sort == CALL_SORT_DST) {
		if (set) {
			bind_text(st, 8, after->text);
			sqlite3_bind_int64(st, 9, after->id);
		} else if (desc) {
			sqlite3_bind_blob(st, 8, "", 0, SQLITE_STATIC); /* a blob sorts after every text */
			sqlite3_bind_int64(st, 9, 0);
		} else {
			bind_text(st, 8, "");
			sqlite3_bind_int64(st, 9, INT64_MIN);
		}
		return;
	}
	/* The filter's bound on the sort column, as a (value, id) pair: (to, MIN) excludes start >= to when
	 * descending; (from, MIN) keeps start >= from when ascending; likewise the minimum duration. */
	int64_t value, id;
	if (desc) {
		value = sort == CALL_SORT_START && f->to > 0 ? f->to : INT64_MAX;
		id = sort == CALL_SORT_START && f->to > 0 ? INT64_MIN : INT64_MAX;
		if (set && (after->number < value || (after->number == value && after->id < id))) {
			value = after->number;
			id = after->id;
		}
	} else {
		int64_t lower = sort == CALL_SORT_START ? (f->from > 0 ? f->from : INT64_MIN)
							: (f->min_duration > 0 ? f->min_duration : INT64_MIN);
		value = lower;
		id = INT64_MIN;
		if (set && (after->number > value || (after->number == value && after->id > id))) {
			value = after->number;
			id = after->id;
		}
	}
	sqlite3_bind_int64(st, 8, value);
	sqlite3_bind_int64(st, 9, id);
}

static void cursor_of(enum call_sort sort, const struct call *c, struct call_cursor *out)
{
	memset(out, 0, sizeof *out);
	out->set = true;
	out->id = c->id;
	if (sort == CALL_SORT_START)
		out->number = c->start;
	else if (sort == CALL_SORT_DURATION)
		out->number = c->duration;
	else
		snprintf(out->text, sizeof out->text, "%s", sort == CALL_SORT_SRC ? c->src : c->dst);
}

int calls_page(struct db *db, const struct call_filter *f, enum call_sort sort, bool desc,
	       const struct call_cursor *after, int limit, int (*fn)(void *ctx, const struct call *c), void *ctx,
	       struct call_cursor *next)
{
	if (next)
		memset(next, 0, sizeof *next);
	if ((size_t)sort >= SORT_COUNT || limit <= 0)
		return (size_t)sort >= SORT_COUNT ? -1 : 0;
	const char *sql = sort == CALL_SORT_START && f->ext[0] ? page_start_ext_sql[desc] : page_sql[sort][desc];
	sqlite3_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	char pattern[sizeof f->text * 2 + 3];
	bind_filter(st, f, pattern, sizeof pattern);
	bind_keyset(st, f, sort, desc, after);
	/* One row more than asked: whether it exists says whether there is a next page. */
	sqlite3_bind_int64(st, 10, (int64_t)limit + 1);
	int given = 0, rc;
	struct call c;
	bool more = false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (given == limit) {
			more = true;
			break;
		}
		read_row(st, &c);
		given++;
		if (fn(ctx, &c) != 0) {
			more = true; /* the caller stopped: the page may go on after this row */
			break;
		}
	}
	db_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (next && more && given > 0)
		cursor_of(sort, &c, next);
	return given;
}

struct each_state {
	int (*fn)(void *ctx, const struct call *c);
	void *ctx;
	bool stopped;
};

static int each_row(void *ctx, const struct call *c)
{
	struct each_state *s = ctx;
	if (s->fn(s->ctx, c) != 0)
		s->stopped = true;
	return s->stopped;
}

int calls_each(struct db *db, const struct call_filter *f, enum call_sort sort, bool desc,
	       int (*fn)(void *ctx, const struct call *c), void *ctx)
{
	/* Pages of the keyset walk: no statement stays open across the caller's (slow) writes of a page. */
	struct each_state s = { fn, ctx, false };
	struct call_cursor cursor = { 0 }, next;
	int total = 0;
	for (;;) {
		int n = calls_page(db, f, sort, desc, &cursor, 500, each_row, &s, &next);
		if (n < 0)
			return -1;
		total += n;
		if (s.stopped || !next.set)
			return total;
		cursor = next;
	}
}

int64_t calls_count(struct db *db, const struct call_filter *f)
{
	sqlite3_stmt *st = db_prepare(db,
		"SELECT COUNT(*) FROM calls WHERE start_time >= ?1 AND start_time < ?2 AND duration >= ?5" FILTERS
		EXT_ANY);
	if (!st)
		return -1;
	char pattern[sizeof f->text * 2 + 3];
	bind_filter(st, f, pattern, sizeof pattern);
	int64_t n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_done(st);
	return n;
}

int64_t calls_count_upto(struct db *db, const struct call_filter *f, int64_t cap)
{
	sqlite3_stmt *st = db_prepare(db,
		"SELECT COUNT(*) FROM (SELECT 1 FROM calls WHERE start_time >= ?1 AND start_time < ?2 AND duration >= ?5"
		FILTERS EXT_ANY " LIMIT ?8)");
	if (!st)
		return -1;
	char pattern[sizeof f->text * 2 + 3];
	bind_filter(st, f, pattern, sizeof pattern);
	sqlite3_bind_int64(st, 8, cap + 1);
	int64_t n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_done(st);
	return n;
}

/* ---------- statistics ----------
 * Each is one pass over the aggregate rows of the period: calls_by_hour by its key (day, hour), calls_by_ext by
 * its index on day; at most 24 rows a day, and one per phone that called a day, however many calls there were. */

static void read_totals(sqlite3_stmt *st, int first, struct call_totals *t)
{
	t->calls = sqlite3_column_int64(st, first);
	t->answered = sqlite3_column_int64(st, first + 1);
	t->missed = sqlite3_column_int64(st, first + 2);
	t->talk_seconds = sqlite3_column_int64(st, first + 3);
}

#define SUMS "TOTAL(calls), TOTAL(answered), TOTAL(missed), TOTAL(talk_seconds)"

int calls_stats_totals(struct db *db, int from_day, int to_day, struct call_totals *out)
{
	memset(out, 0, sizeof *out);
	/* TOTAL() is 0.0 over no rows (SUM would be NULL); read back as integers, exact below 2^53. */
	sqlite3_stmt *st = db_prepare(db, "SELECT " SUMS " FROM calls_by_hour WHERE day BETWEEN ?1 AND ?2");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, from_day);
	sqlite3_bind_int(st, 2, to_day);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_totals(st, 0, out);
	db_done(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int calls_stats_days(struct db *db, int from_day, int to_day,
		     int (*fn)(void *ctx, int day, const struct call_totals *t), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT day, " SUMS " FROM calls_by_hour WHERE day BETWEEN ?1 AND ?2"
					  " GROUP BY day ORDER BY day");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, from_day);
	sqlite3_bind_int(st, 2, to_day);
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct call_totals t;
		read_totals(st, 1, &t);
		n++;
		if (fn(ctx, sqlite3_column_int(st, 0), &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? n : -1;
}

int calls_stats_week(struct db *db, int from_day, int to_day, struct call_totals out[7][24])
{
	memset(out, 0, sizeof(struct call_totals) * 7 * 24);
	sqlite3_stmt *st = db_prepare(db, "SELECT dow, hour, " SUMS " FROM calls_by_hour WHERE day BETWEEN ?1 AND ?2"
					  " GROUP BY dow, hour");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, from_day);
	sqlite3_bind_int(st, 2, to_day);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int dow = sqlite3_column_int(st, 0), hour = sqlite3_column_int(st, 1);
		if (dow >= 0 && dow < 7 && hour >= 0 && hour < 24)
			read_totals(st, 2, &out[dow][hour]);
	}
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int calls_stats_by_ext(struct db *db, int from_day, int to_day,
		       int (*fn)(void *ctx, const struct call_ext_totals *t), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db,
		"SELECT ext, TOTAL(made), TOTAL(received), TOTAL(missed), TOTAL(talk_seconds) FROM calls_by_ext"
		" WHERE day BETWEEN ?1 AND ?2 GROUP BY ext ORDER BY ext");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, from_day);
	sqlite3_bind_int(st, 2, to_day);
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct call_ext_totals t;
		db_column_text(t.ext, sizeof t.ext, st, 0);
		t.made = sqlite3_column_int64(st, 1);
		t.received = sqlite3_column_int64(st, 2);
		t.missed = sqlite3_column_int64(st, 3);
		t.talk_seconds = sqlite3_column_int64(st, 4);
		n++;
		if (fn(ctx, &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? n : -1;
}
