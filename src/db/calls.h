/* calls: the call history (one row per call record Asterisk writes: a Cdr event of cdr_manager, or a line of
 * cdr_csv's Master.csv), the aggregates the statistics read, and the queries of the history page.
 *
 * Times are Unix seconds. Local days and hours are those of [web] timezone, computed by the caller (pbx/cdr.c)
 * when the row is made: the database never converts times, so a filter by day is an exact range of seconds.
 * A record is identified by `key`, a digest of the fields both sources carry (see pbx/cdr.h): storing the same
 * record twice (a replayed event, an import of a file whose calls arrived as events) changes nothing, and the
 * aggregates move only when a row is really inserted, in the same transaction.
 *
 * Aggregates (kept as rows arrive, so statistics never scan the history):
 *   calls_by_hour(day, hour, dow, calls, answered, missed, talk_seconds)   one row per local day and hour
 *   calls_by_ext(ext, day, made, received, missed, talk_seconds)           one row per phone extension and day
 * "missed": a call to a phone (or an inbound call) not answered (NO ANSWER, BUSY, FAILED). Knows SQLite only. */
#ifndef DB_CALLS_H
#define DB_CALLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define CALL_FIELD_MAX 81      /* Asterisk's AST_MAX_EXTENSION (80) + NUL: numbers, contexts, applications */
#define CALL_CHANNEL_MAX 129   /* "PJSIP/trunk-acme-0000002a" and longer */
#define CALL_EXT_MAX 16
/* A record's key: its start time as 16 hex digits, then 128 bits of a hash of the record (cdr.c). The time
 * first keeps the unique index's inserts at its end, as calls arrive in time order: a hash alone scattered
 * each batch over the whole index, rewriting most of its pages at every commit. */
#define CALL_KEY_SIZE 49

enum call_disposition {
	CALL_ANSWERED = 0,
	CALL_NO_ANSWER,
	CALL_BUSY,
	CALL_FAILED,          /* FAILED and CONGESTION */
};

enum call_direction {
	CALL_INTERNAL = 0,    /* phone to phone */
	CALL_INBOUND,         /* from a trunk */
	CALL_OUTBOUND,        /* to a trunk */
};

struct call {
	int64_t id;
	char key[CALL_KEY_SIZE];
	int64_t start, answer, end;       /* answer 0 = never answered */
	int duration, billsec;            /* seconds, as Asterisk counted them */
	char src[CALL_FIELD_MAX];         /* caller's number (Source) */
	char dst[CALL_FIELD_MAX];         /* dialled number (Destination) */
	char clid_name[CALL_FIELD_MAX];   /* from CallerID "name" <num> */
	char clid_num[CALL_FIELD_MAX];
	char dcontext[CALL_FIELD_MAX];
	char channel[CALL_CHANNEL_MAX];
	char dstchannel[CALL_CHANNEL_MAX];
	char lastapp[CALL_FIELD_MAX];
	char uniqueid[CALL_FIELD_MAX];    /* "" when the source does not carry it (Master.csv without loguniqueid) */
	enum call_disposition disposition;
	enum call_direction direction;
	char from_ext[CALL_EXT_MAX];      /* the calling phone's extension, "" when not a phone */
	char to_ext[CALL_EXT_MAX];        /* the called phone's extension, "" when not a phone */
	int day;                          /* local date of start, YYYYMMDD */
	int hour;                         /* local hour of start, 0..23 */
	int dow;                          /* local day of the week of start, 0 = Monday .. 6 = Sunday */
};

/* Stores n records in one transaction, each only if its key is new, updating the aggregates for the ones
 * inserted. *inserted (may be NULL) says how many were new. Returns 0, or -1 (nothing stored). */
int calls_insert(struct db *db, const struct call *calls, size_t n, size_t *inserted);

/* Calls fn with the extension of every live phone (what makes a channel's endpoint a phone), in order; fn
 * returns non-zero to stop. Returns how many were given, or -1. */
int calls_live_phone_extensions(struct db *db, int (*fn)(void *ctx, const char *ext), void *ctx);

/* ---------- the history page ---------- */

struct call_filter {
	int64_t from, to;                 /* start in [from, to); 0 = unbounded */
	char ext[CALL_EXT_MAX];           /* "" = any; else from_ext or to_ext equals it */
	int direction;                    /* -1 = any, else enum call_direction */
	int disposition;                  /* -1 = any, else enum call_disposition */
	int min_duration;                 /* seconds; 0 = any */
	char text[64];                    /* "" = any; else a substring of clid_name, clid_num, src or dst */
};

/* Columns the history may be sorted by: an allow-list, the only way a sort reaches SQL (a fixed ORDER BY
 * for each, with id as the tie-breaker). */
enum call_sort {
	CALL_SORT_START = 0,
	CALL_SORT_DURATION,
	CALL_SORT_SRC,
	CALL_SORT_DST,
};
/* "start", "duration", "src", "dst" → the enum; false for anything else. */
bool call_sort_parse(const char *name, enum call_sort *out);
const char *call_sort_name(enum call_sort s);

/* Where a page ends, for the next one (keyset pagination: the next page starts after this row in the sort
 * order, however deep, without OFFSET). */
struct call_cursor {
	bool set;
	int64_t number;                   /* the sort column's value for START / DURATION */
	char text[CALL_FIELD_MAX];        /* for SRC / DST */
	int64_t id;
};
/* "<number or text>~<id>" in URLs; text is percent-encoded by the page. Returns false for a malformed one. */
bool call_cursor_parse(enum call_sort sort, const char *s, struct call_cursor *out);
void call_cursor_format(enum call_sort sort, const struct call_cursor *c, char *out, size_t size);

/* Calls fn for at most limit rows matching f in the order (sort, desc), starting after `after` (NULL or
 * !after->set: from the first). Fills *next with the last row's cursor (next->set false when there is no more
 * row after it). fn returns non-zero to stop. Returns the number of rows given to fn, or -1. */
int calls_page(struct db *db, const struct call_filter *f, enum call_sort sort, bool desc,
	       const struct call_cursor *after, int limit, int (*fn)(void *ctx, const struct call *c), void *ctx,
	       struct call_cursor *next);
/* Every row matching f, in the order (sort, desc), for the CSV export (the caller streams them). */
int calls_each(struct db *db, const struct call_filter *f, enum call_sort sort, bool desc,
	       int (*fn)(void *ctx, const struct call *c), void *ctx);
/* The number of rows matching f (the history page's count). */
int64_t calls_count(struct db *db, const struct call_filter *f);
/* The same, stopping at cap + 1 (the history page says "more than cap" rather than count a million rows on
 * every page: a count reads every matching row, a page only its own). */
int64_t calls_count_upto(struct db *db, const struct call_filter *f, int64_t cap);

/* ---------- statistics (the aggregates only: never the calls table) ----------
 * A period is a range of local days [from_day, to_day], both included, as YYYYMMDD ints (whose order is the
 * days' order, so a range of days is a range of ints). */

struct call_totals {
	int64_t calls, answered, missed, talk_seconds;
};

struct call_ext_totals {
	char ext[CALL_EXT_MAX];
	int64_t made, received, missed, talk_seconds;
};

/* The totals of the period (zeros when it has no calls). Returns 0, or -1. */
int calls_stats_totals(struct db *db, int from_day, int to_day, struct call_totals *out);
/* Calls fn once per day of the period that has calls, in day order (days without calls are not given).
 * fn returns non-zero to stop. Returns the number of days given, or -1. */
int calls_stats_days(struct db *db, int from_day, int to_day,
		     int (*fn)(void *ctx, int day, const struct call_totals *t), void *ctx);
/* The period's totals by local day of the week (0 = Monday) and hour: out[dow][hour], zeroed first.
 * Returns 0, or -1. */
int calls_stats_week(struct db *db, int from_day, int to_day, struct call_totals out[7][24]);
/* Each extension's totals over the period, by extension (text order). fn returns non-zero to stop. Returns the
 * number of extensions given, or -1. */
int calls_stats_by_ext(struct db *db, int from_day, int to_day,
		       int (*fn)(void *ctx, const struct call_ext_totals *t), void *ctx);

#endif
