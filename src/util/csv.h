/* csv: writing CSV (RFC 4180) that is safe to open in a spreadsheet, and reading what spreadsheets save.
 * Writing: A cell is quoted when it holds a comma,
 * a double quote, CR or LF (quotes doubled inside), and a cell that a spreadsheet would take for a formula —
 * one beginning with '=', '+', '-', '@', TAB or CR — is neutralised by a single quote put in front of it
 * (OWASP's advice against CSV injection), so "=HYPERLINK(...)" shows as text. Bytes are copied as they are
 * (UTF-8 passes through). Pure: no I/O. */
#ifndef UTIL_CSV_H
#define UTIL_CSV_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* True when a spreadsheet would read a cell starting with s[0] as a formula. */
bool csv_needs_neutralising(const char *s, size_t len);
/* What a reader does to undo csv_cell's neutralising, so that an export imports back unchanged: one leading
 * single quote is taken away when what follows it would have been neutralised (a formula's first character, or
 * another such quote: "'=x" was "=x", "''=x" was "'=x"). s is NUL-terminated, changed in place. */
void csv_unneutralise(char *s);
/* Appends the cell s[0..len) to out, neutralised and quoted as needed (no separator). */
void csv_cell(struct buf *out, const char *s, size_t len);
/* Appends one record: the n NUL-terminated cells separated by commas, then CRLF (RFC 4180's line end). */
void csv_record(struct buf *out, const char *const *cells, size_t n);

/* ---------- reading ----------
 * What spreadsheets save: UTF-8 with or without a byte-order mark, fields separated by ',' or by ';' (as a
 * spreadsheet in a Spanish locale saves, the comma being its decimal mark), quoted fields with doubled quotes,
 * separators and line breaks inside, lines ending in CRLF or LF. Blank lines are skipped. Each record knows the
 * line it starts on, for messages ("line 57"). Pure: the caller has the text in memory. */

#define CSV_MAX_FIELDS 32

struct csv_reader {
	const char *p, *end;      /* what is left to read */
	char sep;                 /* ',' or ';' */
	int line;                 /* the line the next record starts on, from 1 */
};

struct csv_row {
	int line;                 /* the line it starts on */
	size_t n;                 /* fields */
	const char *field[CSV_MAX_FIELDS];   /* NUL-terminated, valid until the next csv_read or csv_row_free */
	struct buf data;
};

/* Starts reading text[0..len): a UTF-8 BOM is skipped; the separator is whichever of ',' and ';' comes first
 * outside quotes on the first line (',' when neither does). */
void csv_reader_init(struct csv_reader *r, const char *text, size_t len);
void csv_row_init(struct csv_row *row);
void csv_row_free(struct csv_row *row);
/* Reads the next record into row. Returns 1, 0 at the end of the text, or -1 with why (row->line says where):
 * a quote left open, a quote inside an unquoted field, anything but a separator or the line's end after a
 * closing quote, more than CSV_MAX_FIELDS fields, a NUL byte. After -1 the reader is at the next line. */
int csv_read(struct csv_reader *r, struct csv_row *row, char *why, size_t whylen);

#endif
