/* csv: RFC 4180 cells and records, with formula cells neutralised; and reading records back (see csv.h). */
#include "util/csv.h"

#include <stdio.h>
#include <string.h>

bool csv_needs_neutralising(const char *s, size_t len)
{
	if (len == 0)
		return false;
	switch (s[0]) {
	case '=': case '+': case '-': case '@': case '\t': case '\r':
		return true;
	case '\'':   /* a cell that reads as neutralised already keeps its own quote: see csv_unneutralise */
		return csv_needs_neutralising(s + 1, len - 1);
	default:
		return false;
	}
}

void csv_unneutralise(char *s)
{
	size_t len = strlen(s);
	if (len > 1 && s[0] == '\'' && csv_needs_neutralising(s + 1, len - 1))
		memmove(s, s + 1, len);
}

void csv_cell(struct buf *out, const char *s, size_t len)
{
	bool neutral = csv_needs_neutralising(s, len);
	bool quote = false;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (quote)
		buf_putc(out, '"');
	if (neutral)
		buf_putc(out, '\'');
	size_t from = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		buf_append(out, s + from, i + 1 - from);   /* up to and including the quote ... */
		buf_putc(out, '"');                         /* ... doubled */
		from = i + 1;
	}
	buf_append(out, s + from, len - from);
	if (quote)
		buf_putc(out, '"');
}

void csv_record(struct buf *out, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(out, ',');
		const char *c = cells[i] ? cells[i] : "";
		csv_cell(out, c, strlen(c));
	}
	buf_puts(out, "\r\n");
}

/* ---------- reading ---------- */

void csv_reader_init(struct csv_reader *r, const char *text, size_t len)
{
	r->p = text;
	r->end = text + len;
	r->line = 1;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		r->p += 3;
	r->sep = ',';
	bool quoted = false;
	for (const char *q = r->p; q < r->end && (quoted || (*q != '\n' && *q != '\r')); q++) {
		if (*q == '"')
			quoted = !quoted;
		else if (!quoted && (*q == ',' || *q == ';')) {
			r->sep = *q;
			break;
		}
	}
}

void csv_row_init(struct csv_row *row)
{
	memset(row, 0, sizeof *row);
	buf_init(&row->data);
}

void csv_row_free(struct csv_row *row)
{
	buf_free(&row->data);
	csv_row_init(row);
}

/* Skips to just past the end of the current line (after a malformed record). */
static void skip_line(struct csv_reader *r)
{
	while (r->p < r->end && *r->p != '\n')
		r->p++;
	if (r->p < r->end) {
		r->p++;
		r->line++;
	}
}

static bool at_line_end(const struct csv_reader *r)
{
	return r->p == r->end || *r->p == '\n' || (*r->p == '\r' && (r->p + 1 == r->end || r->p[1] == '\n'));
}

static void eat_line_end(struct csv_reader *r)
{
	if (r->p < r->end && *r->p == '\r')
		r->p++;
	if (r->p < r->end && *r->p == '\n') {
		r->p++;
		r->line++;
	}
}

static int fail(struct csv_reader *r, char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s", what);
	skip_line(r);
	return -1;
}

int csv_read(struct csv_reader *r, struct csv_row *row, char *why, size_t whylen)
{
	buf_reset(&row->data);
	row->n = 0;
	/* Blank lines are nothing. */
	while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
		if (*r->p++ == '\r' && r->p < r->end && *r->p == '\n')
			r->p++;
		r->line++;
	}
	if (r->p >= r->end)
		return 0;
	row->line = r->line;
	size_t offset[CSV_MAX_FIELDS];
	for (;;) {
		if (row->n == CSV_MAX_FIELDS)
			return fail(r, why, whylen, "too many fields");
		offset[row->n++] = row->data.len;
		if (r->p < r->end && *r->p == '"') {
			r->p++;
			for (;;) {
				if (r->p == r->end)
					return snprintf(why, whylen, "a quote is left open"), -1;
				char c = *r->p++;
				if (c == '"') {
					if (r->p < r->end && *r->p == '"') {
						buf_putc(&row->data, '"');
						r->p++;
						continue;
					}
					break;
				}
				if (c == '\0')
					return fail(r, why, whylen, "a NUL byte");
				if (c == '\n')
					r->line++;
				buf_putc(&row->data, c);
			}
			if (!at_line_end(r) && *r->p != r->sep)
				return fail(r, why, whylen, "characters after a closing quote");
		} else {
			while (!at_line_end(r) && *r->p != r->sep) {
				if (*r->p == '"')
					return fail(r, why, whylen, "a quote inside an unquoted field");
				if (*r->p == '\0')
					return fail(r, why, whylen, "a NUL byte");
				buf_putc(&row->data, *r->p++);
			}
		}
		buf_putc(&row->data, '\0');
		if (r->p < r->end && *r->p == r->sep) {
			r->p++;
			continue;
		}
		eat_line_end(r);
		break;
	}
	for (size_t i = 0; i < row->n; i++)
		row->field[i] = row->data.data + offset[i];
	return 1;
}
