/* Unit tests: util/csv, the CSV writer of the call history's export: RFC 4180 quoting, and formula cells
 * (starting with = + - @ TAB CR) neutralised with a leading single quote; and the reader of what spreadsheets
 * save (issue 13): BOM, ',' or ';', quotes with separators and line breaks inside, CRLF and LF, blank lines,
 * ragged rows, each record's line number, malformed records reported and skipped, a 10 MB file, what the writer
 * writes read back unchanged. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

/* The cell as written, in a static buffer (tests only). */
static const char *cell(const char *s, size_t len)
{
	static char out[256];
	struct buf b;
	buf_init(&b);
	csv_cell(&b, s, len);
	snprintf(out, sizeof out, "%s", buf_cstr(&b));
	buf_free(&b);
	return out;
}
#define CELL(s) cell(s, strlen(s))

START_TEST(plain_cells_are_copied)
{
	ck_assert_str_eq(CELL(""), "");
	ck_assert_str_eq(CELL("hello"), "hello");
	ck_assert_str_eq(CELL("600123456"), "600123456");
	ck_assert_str_eq(CELL("2026-12-01 10:00:00"), "2026-12-01 10:00:00");
	ck_assert_str_eq(CELL("a b"), "a b");
	ck_assert_str_eq(CELL(" =not first"), " =not first");   /* only the first character counts */
	ck_assert_str_eq(CELL("a=b+c-d@e"), "a=b+c-d@e");
	ck_assert_str_eq(CELL("it's"), "it's");
}
END_TEST

START_TEST(every_formula_prefix_is_neutralised)
{
	ck_assert_str_eq(CELL("=1+2"), "'=1+2");
	ck_assert_str_eq(CELL("+34600111222"), "'+34600111222");
	ck_assert_str_eq(CELL("-2+3"), "'-2+3");
	ck_assert_str_eq(CELL("@SUM(A1:A2)"), "'@SUM(A1:A2)");
	ck_assert_str_eq(CELL("\t=1"), "'\t=1");
	/* CR also makes the cell quoted (RFC 4180); the quote of neutralisation goes inside the quotes. */
	ck_assert_str_eq(CELL("\r=1"), "\"'\r=1\"");
	ck_assert_str_eq(CELL("="), "'=");
	/* A cell that would read back as neutralised keeps its own quote (csv_unneutralise takes one away). */
	ck_assert_str_eq(CELL("'=already"), "''=already");
	ck_assert_str_eq(CELL("'plain"), "'plain");
	ck_assert_str_eq(CELL("'"), "'");
	const char *back[] = { "=1", "'=1", "''=1", "'", "''", "'plain", "-", "@x", "x=1", "" };
	for (size_t i = 0; i < sizeof back / sizeof *back; i++) {
		char read[256];
		snprintf(read, sizeof read, "%s", CELL(back[i]));
		csv_unneutralise(read);
		ck_assert_str_eq(read, back[i]);
	}
	const char *prefixes = "=+-@\t\r";
	for (const char *p = prefixes; *p; p++) {
		char s[3] = { *p, 'x', '\0' };
		ck_assert(csv_needs_neutralising(s, 2));
		ck_assert_int_eq(cell(s, 2)[0] == '"' ? cell(s, 2)[1] : cell(s, 2)[0], '\'');
	}
	ck_assert(!csv_needs_neutralising("", 0));
	ck_assert(!csv_needs_neutralising("x=", 2));
	ck_assert(!csv_needs_neutralising(" =", 2));
	ck_assert(!csv_needs_neutralising("\n=", 2));
}
END_TEST

START_TEST(formula_hidden_behind_quoting_is_neutralised)
{
	/* The classic payload with a comma: quoted, and the quote of neutralisation inside the quotes. */
	ck_assert_str_eq(CELL("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	ck_assert_str_eq(CELL("-1,2"), "\"'-1,2\"");
}
END_TEST

START_TEST(quotes_commas_and_line_breaks_are_quoted)
{
	ck_assert_str_eq(CELL("a,b"), "\"a,b\"");
	ck_assert_str_eq(CELL("say \"hi\""), "\"say \"\"hi\"\"\"");
	ck_assert_str_eq(CELL("\""), "\"\"\"\"");
	ck_assert_str_eq(CELL("\"\""), "\"\"\"\"\"\"");
	ck_assert_str_eq(CELL("line1\nline2"), "\"line1\nline2\"");
	ck_assert_str_eq(CELL("line1\r\nline2"), "\"line1\r\nline2\"");
	ck_assert_str_eq(CELL(","), "\",\"");
}
END_TEST

START_TEST(utf8_passes_through)
{
	ck_assert_str_eq(CELL("José Núñez"), "José Núñez");
	ck_assert_str_eq(CELL("Zoë, \"la jefa\""), "\"Zoë, \"\"la jefa\"\"\"");
	ck_assert_str_eq(CELL("电话 \xF0\x9F\x93\x9E"), "电话 \xF0\x9F\x93\x9E");
	ck_assert_str_eq(CELL("=Ñ"), "'=Ñ");
	/* A multi-byte character whose bytes are not ASCII is never taken for a prefix. */
	ck_assert(!csv_needs_neutralising("\xC3\x91", 2));
}
END_TEST

START_TEST(embedded_nul_is_kept_by_length)
{
	struct buf b;
	buf_init(&b);
	csv_cell(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.data, "a\0b", 3), 0);
	buf_free(&b);
}
END_TEST

START_TEST(records_join_cells_and_end_with_crlf)
{
	struct buf b;
	buf_init(&b);
	const char *row[] = { "2026-12-01 10:00:00", "=cmd|' /C calc'!A0", "a,b", "", NULL, "+34" };
	csv_record(&b, row, sizeof row / sizeof *row);
	ck_assert_str_eq(buf_cstr(&b), "2026-12-01 10:00:00,'=cmd|' /C calc'!A0,\"a,b\",,,'+34\r\n");
	buf_reset(&b);
	csv_record(&b, row, 0);
	ck_assert_str_eq(buf_cstr(&b), "\r\n");
	buf_free(&b);
}
END_TEST

/* ---------- reading ---------- */

/* Every record of text as "line:f1|f2|..." joined by "/", errors as "line:!why". */
static const char *read_all(const char *text, size_t len)
{
	static char out[4096];
	struct csv_reader r;
	struct csv_row row;
	csv_reader_init(&r, text, len);
	csv_row_init(&row);
	size_t n = 0;
	out[0] = '\0';
	char why[100];
	int rc;
	while ((rc = csv_read(&r, &row, why, sizeof why)) != 0) {
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%d:", n ? "/" : "", row.line);
		if (rc < 0) {
			n += (size_t)snprintf(out + n, sizeof out - n, "!%s", why);
			if (strcmp(why, "a quote is left open") == 0)
				break;
			continue;
		}
		for (size_t i = 0; i < row.n; i++)
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? "|" : "", row.field[i]);
	}
	csv_row_free(&row);
	return out;
}
#define READ(s) read_all(s, strlen(s))

START_TEST(reads_both_separators_bom_and_line_ends)
{
	ck_assert_str_eq(READ("extension,name\n201,Ana\n"), "1:extension|name/2:201|Ana");
	ck_assert_str_eq(READ("extension;name\r\n201;Ana P\xc3\xa9rez\r\n"), "1:extension|name/2:201|Ana P\xc3\xa9rez");
	ck_assert_str_eq(READ("\xEF\xBB\xBF" "extension;name\n201;Ana"), "1:extension|name/2:201|Ana");
	/* The separator is the first line's: a comma later is data. */
	ck_assert_str_eq(READ("ext;name\n201;Ana, Luis\n"), "1:ext|name/2:201|Ana, Luis");
	ck_assert_str_eq(READ("\"a;b\",c\n1,2\n"), "1:a;b|c/2:1|2");
	/* No separator at all: one field, commas assumed. */
	ck_assert_str_eq(READ("extension\n201\n"), "1:extension/2:201");
}
END_TEST

START_TEST(reads_quotes_with_separators_and_line_breaks_inside)
{
	ck_assert_str_eq(READ("a,b\n\"201\",\"Ana, \"\"la jefa\"\"\"\n"), "1:a|b/2:201|Ana, \"la jefa\"");
	/* A line break inside quotes: the record spans two lines, the next one starts on line 4. */
	ck_assert_str_eq(READ("a,b\n201,\"two\r\nlines\"\n202,x\n"), "1:a|b/2:201|two\r\nlines/4:202|x");
	ck_assert_str_eq(READ("a,b\n,\n\"\",\"\"\n"), "1:a|b/2:|/3:|");
}
END_TEST

START_TEST(blank_lines_are_skipped_and_numbered)
{
	ck_assert_str_eq(READ("a,b\n\n\r\n201,x\n\n"), "1:a|b/4:201|x");
	ck_assert_str_eq(READ(""), "");
	ck_assert_str_eq(READ("\xEF\xBB\xBF"), "");
	ck_assert_str_eq(READ("extension,name,model,mac\r\n"), "1:extension|name|model|mac");   /* a header only */
}
END_TEST

START_TEST(ragged_rows_keep_their_field_count)
{
	/* The reader reports what is there; the importer says which column is missing. */
	ck_assert_str_eq(READ("a,b,c\n1,2\n1,2,3,4\n"), "1:a|b|c/2:1|2/3:1|2|3|4");
}
END_TEST

START_TEST(malformed_records_are_reported_with_their_line_and_skipped)
{
	ck_assert_str_eq(READ("a,b\n20\"1,x\n202,y\n"), "1:a|b/2:!a quote inside an unquoted field/3:202|y");
	ck_assert_str_eq(READ("a,b\n\"201\"x,y\n202,y\n"), "1:a|b/2:!characters after a closing quote/3:202|y");
	ck_assert_str_eq(READ("a,b\n202,y\n\"203,open\n"), "1:a|b/2:202|y/3:!a quote is left open");
	static const char nul[] = "a,b\n2\0" "01,x\n202,y\n";
	ck_assert_str_eq(read_all(nul, sizeof nul - 1), "1:a|b/2:!a NUL byte/3:202|y");
	char many[200] = "";
	for (int i = 0; i < CSV_MAX_FIELDS + 1; i++)
		strcat(many, i ? ",x" : "x");
	strcat(many, "\n1\n");
	ck_assert_str_eq(READ(many), "1:!too many fields/2:1");
}
END_TEST

START_TEST(what_the_writer_writes_reads_back)
{
	const char *cells[] = { "201", "Ana \"la jefa\", P\xc3\xa9rez", "two\nlines", "", "=SUM(1)" };
	struct buf b;
	buf_init(&b);
	csv_record(&b, cells, 5);
	csv_record(&b, cells, 2);
	struct csv_reader r;
	struct csv_row row;
	char why[100];
	csv_reader_init(&r, b.data, b.len);
	csv_row_init(&row);
	ck_assert_int_eq(csv_read(&r, &row, why, sizeof why), 1);
	ck_assert_uint_eq(row.n, 5);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(row.field[i], cells[i]);
	ck_assert_str_eq(row.field[4], "'=SUM(1)");   /* neutralised on the way out, read as written */
	ck_assert_int_eq(csv_read(&r, &row, why, sizeof why), 1);
	ck_assert_int_eq(row.line, 3);
	ck_assert_uint_eq(row.n, 2);
	ck_assert_int_eq(csv_read(&r, &row, why, sizeof why), 0);
	csv_row_free(&row);
	buf_free(&b);
}
END_TEST

START_TEST(a_10_mb_file_is_read_record_by_record)
{
	/* 10 MB of phones: every record read, the last one's line number right. Under valgrind (scripts/test.sh
	 * sets CENTRALITA_TEST_QUICK) 1 MB: the same code, twenty times slower. */
	size_t size = getenv("CENTRALITA_TEST_QUICK") ? 1024 * 1024 : 10 * 1024 * 1024;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "extension;name;model;mac\r\n");
	int n = 0;
	while (b.len < size) {
		buf_printf(&b, "%d;\"Tel\xc3\xa9" "fono %d; planta %d\";yealink-t46u;00:15:65:%02X:%02X:%02X\r\n", 1000 + n, n,
			   n % 7, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
		n++;
	}
	struct csv_reader r;
	struct csv_row row;
	char why[100];
	csv_reader_init(&r, b.data, b.len);
	ck_assert_int_eq(r.sep, ';');
	csv_row_init(&row);
	int records = 0, rc, last_line = 0;
	char last[32] = "";
	while ((rc = csv_read(&r, &row, why, sizeof why)) == 1) {
		ck_assert_uint_eq(row.n, 4);
		records++;
		last_line = row.line;
		snprintf(last, sizeof last, "%s", row.field[0]);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(records, n + 1);
	ck_assert_int_eq(last_line, n + 1);
	char want[32];
	snprintf(want, sizeof want, "%d", 1000 + n - 1);
	ck_assert_str_eq(last, want);
	csv_row_free(&row);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, plain_cells_are_copied);
	tcase_add_test(tc, every_formula_prefix_is_neutralised);
	tcase_add_test(tc, formula_hidden_behind_quoting_is_neutralised);
	tcase_add_test(tc, quotes_commas_and_line_breaks_are_quoted);
	tcase_add_test(tc, utf8_passes_through);
	tcase_add_test(tc, embedded_nul_is_kept_by_length);
	tcase_add_test(tc, records_join_cells_and_end_with_crlf);
	tcase_add_test(tc, reads_both_separators_bom_and_line_ends);
	tcase_add_test(tc, reads_quotes_with_separators_and_line_breaks_inside);
	tcase_add_test(tc, blank_lines_are_skipped_and_numbered);
	tcase_add_test(tc, ragged_rows_keep_their_field_count);
	tcase_add_test(tc, malformed_records_are_reported_with_their_line_and_skipped);
	tcase_add_test(tc, what_the_writer_writes_reads_back);
	tcase_add_test(tc, a_10_mb_file_is_read_record_by_record);
	suite_add_tcase(s, tc);
	return check_run(s);
}
