/* csv: writing CSV (RFC 4180) that is safe to open in a spreadsheet. A cell is quoted when it holds a comma,
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
/* Appends the cell s[0..len) to out, neutralised and quoted as needed (no separator). */
void csv_cell(struct buf *out, const char *s, size_t len);
/* Appends one record: the n NUL-terminated cells separated by commas, then CRLF (RFC 4180's line end). */
void csv_record(struct buf *out, const char *const *cells, size_t n);

#endif
