/* csv: RFC 4180 cells and records, with formula cells neutralised (see csv.h). */
#include "util/csv.h"

#include <string.h>

bool csv_needs_neutralising(const char *s, size_t len)
{
	if (len == 0)
		return false;
	switch (s[0]) {
	case '=': case '+': case '-': case '@': case '\t': case '\r':
		return true;
	default:
		return false;
	}
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
