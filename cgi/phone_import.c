/* phone_import: a CSV of phones checked and stored (see phone_import.h). */
#include "phone_import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "phone_form.h"
#include "provision/provision.h"
#include "util/csv.h"

/* The columns, and the names a header may give them (compared after folding: lower case, no accents, '_' and
 * '-' as spaces, trimmed). The export writes the first name of the user's language. */
static const struct column {
	const char *field;        /* the phone form's field */
	const char *names;        /* '|'-separated */
	bool required;
} columns[] = {
	{ "extension", "extension|extension number|ext|extension telefonica|numero", true },
	{ "name", "name|owner|nombre|titular", true },
	{ "model", "model|modelo", true },
	{ "mac", "mac|mac address|direccion mac", true },
	{ "calling_class", "class|calling class|clase|clase de llamadas", false },
};
#define N_COLUMNS (sizeof columns / sizeof *columns)

void import_plan_init(struct import_plan *plan)
{
	memset(plan, 0, sizeof *plan);
}

void import_plan_free(struct import_plan *plan)
{
	free(plan->rows);
	free(plan->problems);
	memset(plan, 0, sizeof *plan);
}

static void add_problem(struct import_plan *plan, int line, const char *column, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void add_problem(struct import_plan *plan, int line, const char *column, const char *key, const char *fmt, ...)
{
	plan->problem_count++;
	if (plan->n_problems == IMPORT_MAX_PROBLEMS)
		return;
	if (!plan->problems) {
		plan->problems = calloc(IMPORT_MAX_PROBLEMS, sizeof *plan->problems);
		if (!plan->problems)
			abort();
	}
	struct import_problem *pr = &plan->problems[plan->n_problems++];
	pr->seq = plan->n_problems;
	pr->line = line;
	pr->column = column;
	pr->key = key;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pr->detail, sizeof pr->detail, fmt, ap);
	va_end(ap);
}

/* A header cell folded for comparing: ASCII lower case, Spanish accents dropped, '_'/'-' as spaces, spaces
 * collapsed and trimmed. */
static void fold(const char *in, char *out, size_t size)
{
	static const struct { const char *utf8; char ascii; } accents[] = {
		{ "\xc3\xa1", 'a' }, { "\xc3\xa9", 'e' }, { "\xc3\xad", 'i' }, { "\xc3\xb3", 'o' }, { "\xc3\xba", 'u' },
		{ "\xc3\xb1", 'n' }, { "\xc3\x81", 'a' }, { "\xc3\x89", 'e' }, { "\xc3\x8d", 'i' }, { "\xc3\x93", 'o' },
		{ "\xc3\x9a", 'u' }, { "\xc3\x91", 'n' }, { "\xc3\xbc", 'u' },
	};
	size_t n = 0;
	bool space = false;
	while (*in && n + 1 < size) {
		char c = *in;
		size_t adv = 1;
		for (size_t k = 0; k < sizeof accents / sizeof *accents; k++)
			if (strncmp(in, accents[k].utf8, 2) == 0) {
				c = accents[k].ascii;
				adv = 2;
				break;
			}
		in += adv;
		if (c == '_' || c == '-' || c == ' ' || c == '\t') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < size)
			out[n++] = ' ';
		space = false;
		out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
}

static int column_of(const char *cell)
{
	char f[64];
	fold(cell, f, sizeof f);
	for (size_t i = 0; i < N_COLUMNS; i++)
		for (const char *n = columns[i].names; *n;) {
			size_t len = strcspn(n, "|");
			if (len == strlen(f) && strncmp(n, f, len) == 0)
				return (int)i;
			n += len + (n[len] == '|');
		}
	return -1;
}

/* Reads the header: where each column is (-1 absent). False with the problem recorded. */
static bool read_header(struct import_plan *plan, const struct csv_row *row, int where[N_COLUMNS])
{
	for (size_t i = 0; i < N_COLUMNS; i++)
		where[i] = -1;
	bool ok = true, any = false;
	for (size_t f = 0; f < row->n; f++) {
		if (!*row->field[f])
			continue;
		int c = column_of(row->field[f]);
		if (c < 0) {
			add_problem(plan, row->line, "", "column_unknown", "%.100s", row->field[f]);
			ok = false;
		} else if (where[c] >= 0) {
			add_problem(plan, row->line, "", "column_twice", "%.100s", row->field[f]);
			ok = false;
		} else {
			where[c] = (int)f;
			any = true;
		}
	}
	if (!any) {
		plan->problem_count -= plan->n_problems;   /* one problem says it all: no header at all */
		plan->n_problems = 0;
		add_problem(plan, row->line, "", "header_missing", "extension, name, model, mac");
		return false;
	}
	for (size_t i = 0; i < N_COLUMNS; i++)
		if (columns[i].required && where[i] < 0) {
			add_problem(plan, row->line, "", "column_missing", "%s", columns[i].field);
			ok = false;
		}
	return ok;
}

/* A model given by its name ("Yealink T46U") is taken as its id. */
static const char *model_id(const char *v)
{
	if (provision_model_find(v))
		return v;
	for (size_t i = 0; provision_model_at(i); i++)
		if (strcasecmp(provision_model_at(i)->name, v) == 0)
			return provision_model_at(i)->id;
	return v;
}

static void row_problems(struct import_plan *plan, int line, const struct form_result *form)
{
	for (size_t i = 0; i < phone_form.count; i++) {
		const char *e = form_error(form, phone_form.fields[i].name);
		if (e)
			add_problem(plan, line, phone_form.fields[i].name, e, "%s", "");
	}
}

static void add_row(struct import_plan *plan, const struct import_row *r, size_t *cap)
{
	if (plan->n_rows == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		plan->rows = realloc(plan->rows, *cap * sizeof *plan->rows);
		if (!plan->rows)
			abort();
	}
	plan->rows[plan->n_rows++] = *r;
}

static void changes_add(char *into, size_t size, const char *field, const char *old, const char *now)
{
	if (strcmp(old, now) == 0)
		return;
	size_t used = strlen(into);
	snprintf(into + used, size - used, "%s%s: %s -> %s", used ? "; " : "", field, old, now);
}

/* One data row: validated by the phone form, compared with the phone of its extension. False when it has a
 * problem (recorded). */
static bool read_row(struct db *db, const struct pbx_settings *pbx, struct import_plan *plan, const struct csv_row *row,
		     const int where[N_COLUMNS], size_t header_fields, struct import_row *out, bool *db_error)
{
	memset(out, 0, sizeof *out);
	out->line = row->line;
	for (size_t f = header_fields; f < row->n; f++)
		if (*row->field[f]) {
			add_problem(plan, row->line, "", "fields", "%zu", row->n);
			return false;
		}
	for (size_t f = 0; f < row->n; f++)
		csv_unneutralise((char *)row->field[f]);   /* the export's "'=..." reads back as "=..." */
	struct form_pairs pairs;
	memset(&pairs, 0, sizeof pairs);
	for (size_t i = 0; i < N_COLUMNS; i++) {
		if (where[i] < 0 || (size_t)where[i] >= row->n)
			continue;
		const char *v = row->field[where[i]];
		if (strcmp(columns[i].field, "model") == 0)
			v = model_id(v);
		pairs.items[pairs.count].name = (char *)columns[i].field;
		pairs.items[pairs.count].value = (char *)v;
		pairs.items[pairs.count].value_len = strlen(v);
		pairs.count++;
	}
	struct form_result form;
	struct phone *ph = &out->w.ph;
	bool ok = phone_form_read(pbx, true, &pairs, &form, ph);
	if (!ok)
		row_problems(plan, row->line, &form);
	form_result_free(&form);
	if (!ok)
		return false;
	struct phone old;
	enum phones_result r = phones_get_live_by_extension(db, ph->extension, &old);
	if (r == PHONES_DB_ERROR) {
		*db_error = true;
		return false;
	}
	struct phone by_mac;
	enum phones_result m = phones_get_live_by_mac(db, ph->mac, &by_mac);
	if (m == PHONES_DB_ERROR) {
		*db_error = true;
		return false;
	}
	if (m == PHONES_OK && (r != PHONES_OK || by_mac.id != old.id)) {
		add_problem(plan, row->line, "mac", "mac_taken", "%s", by_mac.extension);
		return false;
	}
	if (r != PHONES_OK) {
		out->kind = IMPORT_NEW;
		if (!*ph->calling_class)
			snprintf(ph->calling_class, sizeof ph->calling_class, "%s", pbx->default_class);
		return true;
	}
	/* The phone of that extension: the same one, unchanged or changed (an empty class keeps its class). */
	struct phone now = old;
	snprintf(now.name, sizeof now.name, "%s", ph->name);
	snprintf(now.model, sizeof now.model, "%s", ph->model);
	snprintf(now.mac, sizeof now.mac, "%s", ph->mac);
	if (*ph->calling_class)
		snprintf(now.calling_class, sizeof now.calling_class, "%s", ph->calling_class);
	char old_mac[18], now_mac[18];
	phone_format_mac(old.mac, old_mac);
	phone_format_mac(now.mac, now_mac);
	changes_add(out->changes, sizeof out->changes, "name", old.name, now.name);
	changes_add(out->changes, sizeof out->changes, "model", old.model, now.model);
	changes_add(out->changes, sizeof out->changes, "mac", old_mac, now_mac);
	changes_add(out->changes, sizeof out->changes, "calling_class", old.calling_class, now.calling_class);
	out->w.ph = now;
	out->w.version = old.version;
	out->kind = *out->changes ? IMPORT_UPDATE : IMPORT_SAME;
	return true;
}

/* Rows sorted by a key, to find what appears twice. */
struct keyed {
	const char *key;
	int line;
	size_t row;
};

static int by_key_then_line(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* An extension or MAC on two lines: the later line is the problem. Marks the rows to drop in bad[]. */
static void find_twice(struct import_plan *plan, bool mac, bool *bad)
{
	size_t n = plan->n_rows;
	struct keyed *k = malloc((n ? n : 1) * sizeof *k);
	if (!k)
		abort();
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){ mac ? plan->rows[i].w.ph.mac : plan->rows[i].w.ph.extension, plan->rows[i].line, i };
	qsort(k, n, sizeof *k, by_key_then_line);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		while (i < n && strcmp(k[i].key, k[first].key) == 0) {
			add_problem(plan, k[i].line, mac ? "mac" : "extension", mac ? "mac_twice" : "ext_twice", "%d",
				    k[first].line);
			bad[k[i].row] = true;
			i++;
		}
	}
	free(k);
}

static int by_line(const void *x, const void *y)
{
	const struct import_problem *a = x, *b = y;
	if (a->line != b->line)
		return (a->line > b->line) - (a->line < b->line);
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int phone_import_check(struct db *db, const struct pbx_settings *pbx, struct applier *a, const char *text, size_t len,
		       struct import_plan *plan)
{
	struct csv_reader rd;
	struct csv_row row;
	csv_reader_init(&rd, text, len);
	csv_row_init(&row);
	char why[200];
	int where[N_COLUMNS];
	bool header = false, header_ok = false, db_error = false;
	size_t header_fields = 0;
	int rows_seen = 0, rc;
	size_t cap = 0;
	while ((rc = csv_read(&rd, &row, why, sizeof why)) != 0 && !db_error) {
		if (rc < 0) {
			add_problem(plan, row.line, "", "csv", "%s", why);
			if (!header)
				break;   /* no header to read the rest by */
			continue;
		}
		if (!header) {
			header = true;
			header_fields = row.n;
			header_ok = read_header(plan, &row, where);
			if (!header_ok)
				break;
			continue;
		}
		if (++rows_seen > IMPORT_MAX_ROWS) {
			add_problem(plan, row.line, "", "too_many_rows", "%d", IMPORT_MAX_ROWS);
			break;
		}
		struct import_row r;
		if (read_row(db, pbx, plan, &row, where, header_fields, &r, &db_error))
			add_row(plan, &r, &cap);
	}
	csv_row_free(&row);
	if (db_error)
		return -1;
	if (!header)
		add_problem(plan, 0, "", "empty", "%s", "");
	else if (header_ok && rows_seen == 0)
		add_problem(plan, 0, "", "no_rows", "%s", "");

	/* Twice in the file; then Asterisk's own configuration for the new extensions, in one job. */
	bool *bad = calloc(plan->n_rows + 1, sizeof *bad);
	if (!bad)
		abort();
	find_twice(plan, false, bad);
	find_twice(plan, true, bad);
	size_t n_new = 0;
	for (size_t i = 0; i < plan->n_rows; i++)
		n_new += !bad[i] && plan->rows[i].kind == IMPORT_NEW;
	if (a && n_new) {
		const char **exts = malloc(n_new * sizeof *exts);
		size_t *idx = malloc(n_new * sizeof *idx);
		enum applier_check *verdict = malloc(n_new * sizeof *verdict);
		char (*at)[200] = malloc(n_new * sizeof *at);
		if (!exts || !idx || !verdict || !at)
			abort();
		size_t k = 0;
		for (size_t i = 0; i < plan->n_rows; i++)
			if (!bad[i] && plan->rows[i].kind == IMPORT_NEW) {
				idx[k] = i;
				exts[k++] = plan->rows[i].w.ph.extension;
			}
		applier_check_extensions_now(a, exts, k, verdict, at);
		for (size_t j = 0; j < k; j++) {
			if (verdict[j] == APPLIER_TAKEN) {
				add_problem(plan, plan->rows[idx[j]].line, "extension", "ext_not_ours", "%s", at[j]);
				bad[idx[j]] = true;
			} else if (verdict[j] == APPLIER_UNKNOWN)
				plan->pbx_unchecked = true;
		}
		free(exts);
		free(idx);
		free(verdict);
		free(at);
	}
	size_t keep = 0;
	for (size_t i = 0; i < plan->n_rows; i++) {
		if (bad[i])
			continue;
		plan->rows[keep++] = plan->rows[i];
	}
	plan->n_rows = keep;
	free(bad);
	for (size_t i = 0; i < plan->n_rows; i++) {
		plan->n_new += plan->rows[i].kind == IMPORT_NEW;
		plan->n_update += plan->rows[i].kind == IMPORT_UPDATE;
		plan->n_same += plan->rows[i].kind == IMPORT_SAME;
	}
	/* Problems in the order of the file; those of one line in the order they were found. */
	if (plan->n_problems > 1)
		qsort(plan->problems, plan->n_problems, sizeof *plan->problems, by_line);
	return 0;
}

enum phones_result phone_import_store(struct db *db, const struct pbx_settings *pbx, int64_t draft_id,
				      struct import_plan *plan, int64_t now, int *failed_line)
{
	(void)pbx;
	*failed_line = 0;
	size_t n = 0;
	struct import_write *w = malloc((plan->n_rows ? plan->n_rows : 1) * sizeof *w);
	int *lines = malloc((plan->n_rows ? plan->n_rows : 1) * sizeof *lines);
	if (!w || !lines)
		abort();
	for (size_t i = 0; i < plan->n_rows; i++) {
		struct import_row *r = &plan->rows[i];
		if (r->kind == IMPORT_SAME)
			continue;
		if (r->kind == IMPORT_NEW && provision_new_secret(r->w.ph.secret, sizeof r->w.ph.secret) != 0) {
			free(w);
			free(lines);
			return PHONES_DB_ERROR;
		}
		lines[n] = r->line;
		w[n++] = r->w;
	}
	size_t failed = n;
	enum phones_result res = imports_store(db, draft_id, w, n, plan->n_same, now, &failed);
	if (res != PHONES_OK && failed < n)
		*failed_line = lines[failed];
	/* The new phones' ids, for the caller. */
	for (size_t i = 0, k = 0; res == PHONES_OK && i < plan->n_rows; i++)
		if (plan->rows[i].kind != IMPORT_SAME)
			plan->rows[i].w.ph.id = w[k++].ph.id;
	free(w);
	free(lines);
	return res;
}
