/* page_calls: the call history (owner and integrator) and its CSV export. Both read the same query fields
 * through one validator table: a date range (local dates of [web] timezone; "to" takes in that whole day), an
 * extension, a direction, a disposition, a minimum duration, text in the caller ID, and a sort that must be one
 * of db/calls.h's allow-list (call_sort_parse; anything else is refused with 422, never turned into SQL). The
 * page walks the history with keyset cursors ("after" = older rows in the chosen order, "before" = newer ones,
 * as db/calls.h formats them), never OFFSET, so a page deep in the history costs what the first does. The
 * export streams every matching row (struct response_stream) through util/csv, which neutralises formula
 * cells; it reads in a read transaction of its own, since it runs after the handler has returned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/calls.h"
#include "pages.h"
#include "util/csv.h"
#include "util/log.h"

/* The most calls the page counts for its total (more: "more than 10,000"). */
#define CALLS_TOTAL_CAP 10000

#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX 200
#define MIN_DURATION_MAX 86400
/* A formatted cursor: a sort value (text percent-decoded, at most CALL_FIELD_MAX - 1 bytes) + "~" + an id. */
#define CURSOR_MAX (CALL_FIELD_MAX + 24)

/* Only the allow-list's names: the sort is chosen from an enum afterwards, never copied into a query. */
static const char *v_sort(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	(void)out;
	enum call_sort s;
	if (strlen(v) != len || !call_sort_parse(v, &s))
		return "bad_sort";
	return NULL;
}

/* A cursor is checked by call_cursor_parse once the sort is known; here only its size and no NUL. */
static const char *v_cursor(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	(void)out;
	if (strlen(v) != len || len >= CURSOR_MAX)
		return "bad_cursor";
	return NULL;
}

static const struct form_field query_fields[] = {
	{ "from", form_v_date, false, 0, 0, NULL },
	{ "to", form_v_date, false, 0, 0, NULL },
	{ "ext", form_v_digits, false, 1, CALL_EXT_MAX - 1, NULL },
	{ "direction", form_v_choice, false, 0, 0, "inbound|outbound|internal" },
	{ "disposition", form_v_choice, false, 0, 0, "answered|no_answer|busy|failed" },
	{ "min_duration", form_v_int, false, 0, MIN_DURATION_MAX, NULL },
	{ "q", form_v_text, false, 0, 63, NULL },
	{ "sort", v_sort, false, 0, 0, NULL },
	{ "order", form_v_choice, false, 0, 0, "asc|desc" },
	{ "per", form_v_int, false, 10, PAGE_SIZE_MAX, NULL },
	{ "after", v_cursor, false, 0, 0, NULL },
	{ "before", v_cursor, false, 0, 0, NULL },
};
static const struct form_def query_form = FORM_DEF("calls", query_fields);

/* The filter fields, in the order links repeat them (the cursor and page size are added apart). */
static const char *const filter_names[] = { "from", "to", "ext", "direction", "disposition", "min_duration", "q" };
#define FILTER_COUNT (sizeof filter_names / sizeof *filter_names)

static const char *const direction_words[] = { [CALL_INTERNAL] = "internal", [CALL_INBOUND] = "inbound",
					       [CALL_OUTBOUND] = "outbound" };
static const char *const disposition_words[] = { [CALL_ANSWERED] = "answered", [CALL_NO_ANSWER] = "no_answer",
						 [CALL_BUSY] = "busy", [CALL_FAILED] = "failed" };
/* In the export, Asterisk's own words, which whoever reads a CDR knows. */
static const char *const disposition_cdr_words[] = { [CALL_ANSWERED] = "ANSWERED", [CALL_NO_ANSWER] = "NO ANSWER",
						     [CALL_BUSY] = "BUSY", [CALL_FAILED] = "FAILED" };

static int word_index(const char *const *words, int n, const char *w)
{
	for (int i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return i;
	return -1;
}

/* What a valid query asks for. */
struct query {
	struct call_filter filter;
	enum call_sort sort;
	bool desc;
	int per;
	struct call_cursor after, before;
};

/* Validates the query string into q. On failure the form (with a message key per failed field) is left in
 * *form for the page to show again; returns false. */
static bool read_query(struct page *p, struct form_result *form, struct query *q)
{
	memset(q, 0, sizeof *q);
	q->filter.direction = -1;
	q->filter.disposition = -1;
	q->sort = CALL_SORT_START;
	q->desc = true;
	q->per = PAGE_SIZE_DEFAULT;
	form_validate(&query_form, &p->req->query_pairs, form);

	const char *from = form_value(form, "from"), *to = form_value(form, "to");
	if (*from && !form_error(form, "from"))
		q->filter.from = form_date_midnight(from, 0);
	if (*to && !form_error(form, "to")) {
		q->filter.to = form_date_midnight(to, 1);   /* "to" takes in its whole day */
		if (q->filter.from && q->filter.to <= q->filter.from)
			form_set_error(form, "to", "before_from");
	}
	snprintf(q->filter.ext, sizeof q->filter.ext, "%s", form_value(form, "ext"));
	const char *dir = form_value(form, "direction"), *disp = form_value(form, "disposition");
	if (*dir && !form_error(form, "direction"))
		q->filter.direction = word_index(direction_words, 3, dir);
	if (*disp && !form_error(form, "disposition"))
		q->filter.disposition = word_index(disposition_words, 4, disp);
	q->filter.min_duration = atoi(form_value(form, "min_duration"));
	const char *text = form_value(form, "q");
	if (!form_error(form, "q") && strlen(text) >= sizeof q->filter.text)
		form_set_error(form, "q", "too_many_bytes");   /* within 63 characters, but wider UTF-8 */
	else
		snprintf(q->filter.text, sizeof q->filter.text, "%s", text);
	const char *sort = form_value(form, "sort");
	if (*sort && !form_error(form, "sort"))
		call_sort_parse(sort, &q->sort);
	q->desc = strcmp(form_value(form, "order"), "asc") != 0;
	if (*form_value(form, "per") && !form_error(form, "per"))
		q->per = atoi(form_value(form, "per"));

	/* A cursor belongs to a sort: read it only once the sort is known to be valid. */
	const char *after = form_value(form, "after"), *before = form_value(form, "before");
	if (*after && *before)
		form_set_error(form, "before", "bad_cursor");
	else if (!form_error(form, "sort")) {
		if (*after && !form_error(form, "after") && !call_cursor_parse(q->sort, after, &q->after))
			form_set_error(form, "after", "bad_cursor");
		if (*before && !form_error(form, "before") && !call_cursor_parse(q->sort, before, &q->before))
			form_set_error(form, "before", "bad_cursor");
	}
	return form->error_count == 0;
}

/* ---------- links ---------- */

/* Appends s percent-encoded for a query string value (unreserved characters as they are). */
static void url_value(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '-' || *c == '_' || *c == '.' || *c == '~') {
			buf_putc(b, (char)*c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*c >> 4]);
			buf_putc(b, hex[*c & 15]);
		}
	}
}

/* Appends "name=value" to a URL that already holds its '?', unless value is empty. */
static void url_param(struct buf *b, const char *name, const char *value)
{
	if (!*value)
		return;
	if (buf_cstr(b)[b->len - 1] != '?')
		buf_putc(b, '&');
	buf_puts(b, name);
	buf_putc(b, '=');
	url_value(b, value);
}

/* path + the current filters + the given sort + extra (name, value) pairs; sets it as the HDF value key. */
static void set_link(struct page *p, const char *key, const char *path, const struct form_result *form,
		     enum call_sort sort, bool desc, const char *name1, const char *value1)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, path);
	buf_putc(&b, '?');
	for (size_t i = 0; i < FILTER_COUNT; i++)
		url_param(&b, filter_names[i], form_value(form, filter_names[i]));
	if (sort != CALL_SORT_START)
		url_param(&b, "sort", call_sort_name(sort));
	if (!desc)
		url_param(&b, "order", "asc");
	if (*form_value(form, "per"))
		url_param(&b, "per", form_value(form, "per"));
	if (name1)
		url_param(&b, name1, value1);
	if (buf_cstr(&b)[b.len - 1] == '?')
		b.data[--b.len] = '\0';
	response_set(p->res, key, buf_cstr(&b));
	buf_free(&b);
}

/* ---------- the page ---------- */

static void format_local(int64_t t, char *out, size_t size, const char *fmt)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || strftime(out, size, fmt, &tm) == 0)
		snprintf(out, size, "%lld", (long long)t);
}

static void format_duration(int seconds, char *out, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	snprintf(out, size, "%d:%02d", seconds / 60, seconds % 60);
}

struct rows {
	struct call *items;
	int n, cap;
};

static int collect(void *ctx, const struct call *c)
{
	struct rows *r = ctx;
	if (r->n >= r->cap)
		return 1;
	r->items[r->n++] = *c;
	return 0;
}

static void set_row(struct page *p, int i, const struct call *c)
{
	char key[32], text[64];
	HDF *node = NULL;
	snprintf(key, sizeof key, "Calls.%d", i);
	if (hdf_get_node(p->res->hdf, key, &node) != STATUS_OK)
		return;
	hdf_set_int_value(node, "Id", (int)c->id);
	format_local(c->start, text, sizeof text, "%Y-%m-%d %H:%M:%S");
	hdf_set_value(node, "Time", text);
	format_local(c->start, text, sizeof text, "%Y-%m-%dT%H:%M:%S%z");
	hdf_set_value(node, "Iso", text);
	hdf_set_value(node, "FromName", c->clid_name);
	hdf_set_value(node, "FromNumber", *c->clid_num ? c->clid_num : c->src);
	hdf_set_value(node, "FromExt", c->from_ext);
	hdf_set_value(node, "ToNumber", c->dst);
	hdf_set_value(node, "ToExt", c->to_ext);
	if ((unsigned)c->direction < 3)
		hdf_set_value(node, "Direction", direction_words[c->direction]);
	if ((unsigned)c->disposition < 4)
		hdf_set_value(node, "Disposition", disposition_words[c->disposition]);
	format_duration(c->duration, text, sizeof text);
	hdf_set_value(node, "Duration", text);
	format_duration(c->billsec, text, sizeof text);
	hdf_set_value(node, "Talk", text);
}

/* The sortable columns' header links: a column sorts descending first, and its second click ascending. */
static void set_sort_links(struct page *p, const struct form_result *form, const struct query *q)
{
	for (int s = CALL_SORT_START; s <= CALL_SORT_DST; s++) {
		char key[48];
		const char *name = call_sort_name((enum call_sort)s);
		bool current = (enum call_sort)s == q->sort;
		snprintf(key, sizeof key, "Sort.%s.Href", name);
		set_link(p, key, "/calls", form, (enum call_sort)s, !(current && q->desc), NULL, NULL);
		if (current) {
			snprintf(key, sizeof key, "Sort.%s.Current", name);
			response_set(p->res, key, q->desc ? "descending" : "ascending");
		}
	}
	response_set(p->res, "Sort.Column", call_sort_name(q->sort));
	response_set(p->res, "Sort.Order", q->desc ? "desc" : "asc");
}

/* One page of rows from the cursor on, and the links to the pages on either side. Going back ("before") reads
 * the rows before the cursor in the opposite order, then shows them the right way round. */
static int show_rows(struct page *p, const struct form_result *form, const struct query *q)
{
	struct rows rows = { calloc((size_t)q->per, sizeof(struct call)), 0, q->per };
	if (!rows.items)
		abort();
	struct call_cursor next = { 0 };
	bool backwards = q->before.set;
	int n = calls_page(p->w->db, &q->filter, q->sort, backwards ? !q->desc : q->desc,
			   backwards ? &q->before : &q->after, q->per, collect, &rows, &next);
	if (n < 0) {
		free(rows.items);
		return -1;
	}
	char cursor[CURSOR_MAX + 8];
	if (backwards) {
		for (int i = 0; i < rows.n / 2; i++) {
			struct call t = rows.items[i];
			rows.items[i] = rows.items[rows.n - 1 - i];
			rows.items[rows.n - 1 - i] = t;
		}
	}
	for (int i = 0; i < rows.n; i++)
		set_row(p, i, &rows.items[i]);

	/* Older: after the last row shown, when rows follow it (always, when we came back from them). */
	bool more_older = backwards ? true : next.set;
	bool more_newer = backwards ? next.set : q->after.set;
	if (rows.n > 0 && more_older) {
		struct call_cursor c = { 0 };
		const struct call *last = &rows.items[rows.n - 1];
		c.set = true;
		c.id = last->id;
		c.number = q->sort == CALL_SORT_DURATION ? last->duration : last->start;
		snprintf(c.text, sizeof c.text, "%s", q->sort == CALL_SORT_DST ? last->dst : last->src);
		call_cursor_format(q->sort, &c, cursor, sizeof cursor);
		set_link(p, "Pager.Older", "/calls", form, q->sort, q->desc, "after", cursor);
	} else if (rows.n == 0 && backwards) {
		set_link(p, "Pager.Older", "/calls", form, q->sort, q->desc, NULL, NULL);
	}
	if (rows.n > 0 && more_newer) {
		struct call_cursor c = { 0 };
		const struct call *first = &rows.items[0];
		c.set = true;
		c.id = first->id;
		c.number = q->sort == CALL_SORT_DURATION ? first->duration : first->start;
		snprintf(c.text, sizeof c.text, "%s", q->sort == CALL_SORT_DST ? first->dst : first->src);
		call_cursor_format(q->sort, &c, cursor, sizeof cursor);
		set_link(p, "Pager.Newer", "/calls", form, q->sort, q->desc, "before", cursor);
	} else if (rows.n == 0 && q->after.set) {
		call_cursor_format(q->sort, &q->after, cursor, sizeof cursor);
		set_link(p, "Pager.Newer", "/calls", form, q->sort, q->desc, "before", cursor);
	}
	if (q->after.set || q->before.set)
		set_link(p, "Pager.First", "/calls", form, q->sort, q->desc, NULL, NULL);
	response_set_int(p->res, "Page.Shown", rows.n);
	free(rows.items);
	return 0;
}

void page_calls(struct page *p)
{
	struct form_result form;
	struct query q;
	bool ok = read_query(p, &form, &q);
	page_form_to_hdf(p, &form);
	p->res->template = "calls.cs";
	if (!ok) {
		p->res->status = 422;
		form_result_free(&form);
		return;
	}
	set_sort_links(p, &form, &q);
	set_link(p, "Page.CsvHref", "/calls.csv", &form, q.sort, q.desc, NULL, NULL);
	int64_t total = calls_count_upto(p->w->db, &q.filter, CALLS_TOTAL_CAP);
	if (total < 0 || show_rows(p, &form, &q) != 0) {
		form_result_free(&form);
		page_error(p, 500, "internal");
		return;
	}
	if (total > CALLS_TOTAL_CAP) {
		response_set_int(p->res, "Page.Total", CALLS_TOTAL_CAP);
		response_set(p->res, "Page.TotalMore", "1");
	} else {
		response_set_int(p->res, "Page.Total", total);
	}
	form_result_free(&form);
}

/* ---------- the export ---------- */

static const char *const csv_header[] = {
	"start", "answer", "end", "direction", "disposition", "from_name", "from_number", "from_extension",
	"to_number", "to_extension", "duration_seconds", "talk_seconds", "channel", "destination_channel", "uniqueid",
};
#define CSV_COLUMNS (sizeof csv_header / sizeof *csv_header)
#define CSV_CHUNK 16384

struct csv_job {
	struct db *db;
	struct query q;
};

struct csv_out {
	response_write_fn write;
	void *wctx;
	struct buf b;
	bool failed;
};

static int csv_flush(struct csv_out *o)
{
	if (!o->failed && o->b.len && o->write(o->wctx, o->b.data, o->b.len) != 0)
		o->failed = true;
	buf_reset(&o->b);
	return o->failed ? -1 : 0;
}

static int csv_row(void *ctx, const struct call *c)
{
	struct csv_out *o = ctx;
	char start[32], answer[32] = "", end[32] = "", duration[16], talk[16];
	format_local(c->start, start, sizeof start, "%Y-%m-%d %H:%M:%S");
	if (c->answer)
		format_local(c->answer, answer, sizeof answer, "%Y-%m-%d %H:%M:%S");
	if (c->end)
		format_local(c->end, end, sizeof end, "%Y-%m-%d %H:%M:%S");
	snprintf(duration, sizeof duration, "%d", c->duration);
	snprintf(talk, sizeof talk, "%d", c->billsec);
	const char *cells[CSV_COLUMNS] = {
		start, answer, end,
		(unsigned)c->direction < 3 ? direction_words[c->direction] : "",
		(unsigned)c->disposition < 4 ? disposition_cdr_words[c->disposition] : "",
		c->clid_name, *c->clid_num ? c->clid_num : c->src, c->from_ext, c->dst, c->to_ext,
		duration, talk, c->channel, c->dstchannel, c->uniqueid,
	};
	csv_record(&o->b, cells, CSV_COLUMNS);
	if (o->b.len >= CSV_CHUNK)
		return csv_flush(o) != 0;
	return 0;
}

/* Runs after the handler returned (dispatch's read transaction has ended): one transaction of its own, so
 * the export is one snapshot however long the client takes to read it. A UTF-8 byte order mark comes first:
 * spreadsheets (Excel) otherwise read the file in the system's legacy encoding and garble "Núñez". */
static int csv_run(void *ctx, response_write_fn write, void *wctx)
{
	struct csv_job *j = ctx;
	struct csv_out o = { write, wctx, { 0 }, false };
	buf_init(&o.b);
	buf_puts(&o.b, "\xEF\xBB\xBF");
	csv_record(&o.b, csv_header, CSV_COLUMNS);
	int n = -1;
	if (db_begin_read(j->db) == 0) {
		n = calls_each(j->db, &j->q.filter, j->q.sort, j->q.desc, csv_row, &o);
		db_end(j->db);
	}
	if (n < 0 && !o.failed)
		log_err("calls export: %s", db_errmsg(j->db));
	csv_flush(&o);
	buf_free(&o.b);
	return n < 0 || o.failed ? -1 : 0;
}

void page_calls_csv(struct page *p)
{
	struct form_result form;
	struct query q;
	if (!read_query(p, &form, &q)) {
		/* The same form, with what is wrong, as the page would show it. */
		page_form_to_hdf(p, &form);
		p->res->template = "calls.cs";
		p->res->status = 422;
		form_result_free(&form);
		return;
	}
	form_result_free(&form);
	char disposition[96], day[16];
	format_local(p->now, day, sizeof day, "%Y-%m-%d");
	snprintf(disposition, sizeof disposition, "attachment; filename=\"calls-%s.csv\"", day);
	response_header(p->res, "Content-Disposition", disposition);
	if (strcmp(p->req->method, "HEAD") == 0) {   /* the headers alone: no need to read the history */
		p->res->content_type = "text/csv; charset=utf-8";
		return;
	}
	struct csv_job *j = malloc(sizeof *j);
	if (!j)
		abort();
	j->db = p->w->db;
	j->q = q;
	response_stream(p->res, "text/csv; charset=utf-8", csv_run, free, j);
}
