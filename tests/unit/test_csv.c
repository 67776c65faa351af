/* Unit tests: util/csv, the CSV writer of the call history's export: RFC 4180 quoting, and formula cells
 * (starting with = + - @ TAB CR) neutralised with a leading single quote. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
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
	ck_assert_str_eq(CELL("'=already"), "'=already");       /* a leading quote is no formula */
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
	suite_add_tcase(s, tc);
	return check_run(s);
}
