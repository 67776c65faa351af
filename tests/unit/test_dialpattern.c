/* Unit tests: pbx/dialpattern, the dial pattern matcher behind the route tester, checked against Asterisk's
 * documented behaviour and the rules of its main/pbx.c; and the check that keeps what users type to patterns.
 *
 * Sources named in the tables:
 *   docs     docs.asterisk.org, Configuration/Dialplan/Pattern-Matching (its examples and sorted list)
 *   sample   configs/samples/extensions.conf.sample of Asterisk 22.10.1 (pattern syntax comment)
 *   bestpr   README-SERIOUSLY.bestpractices.md of Asterisk 22.10.1 ("Filtering Data")
 *   test_pbx Asterisk's own tests/test_pbx.c (pattern_match_test)
 *   core     what _extension_match_core() does (main/pbx.c, 22.10.1)
 *   cmp      what ext_cmp() / ext_cmp_pattern_pos() do (main/pbx.c, 22.10.1) */
#include <check.h>

#include "support/check_run.h"
#include <stdlib.h>
#include <string.h>

#include "pbx/dialpattern.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Matching: does the number match the pattern (E_MATCH) ---------------------------------------------- */

struct match_case {
	const char *pattern, *number;
	bool match;
	const char *source;
};

static const struct match_case match_cases[] = {
	/* X, Z, N and plain digits */
	{ "_64XX", "6400", true, "docs: _64XX matches 6400" },
	{ "_64XX", "6401", true, "docs" },
	{ "_64XX", "6450", true, "docs" },
	{ "_64XX", "6499", true, "docs" },
	{ "_64XX", "640", false, "core: a prefix is not an E_MATCH" },
	{ "_64XX", "64000", false, "core: number longer than the pattern" },
	{ "_64XX", "6500", false, "core: literal digit differs" },
	{ "_X", "0", true, "docs: X is 0-9" },
	{ "_X", "a", false, "docs: X is a digit" },
	{ "_Z", "0", false, "docs: Z is 1-9" },
	{ "_Z", "1", true, "docs: Z is 1-9" },
	{ "_N", "1", false, "docs: N is 2-9" },
	{ "_N", "2", true, "docs: N is 2-9" },
	{ "_N", "9", true, "docs: N is 2-9" },
	{ "_9nxx", "9234", true, "docs: x, z, n in lower case too" },
	{ "_9nxx", "9134", false, "docs: n is 2-9" },
	{ "_zx", "10", true, "docs: z is 1-9" },
	{ "_NXXXXXX", "5551234", true, "sample: _NXXXXXX, 7 digit dialings" },
	{ "_NXXXXXX", "1551234", false, "sample: N is not 1" },
	{ "_NXXXXXX", "555123", false, "sample: 6 digits" },
	{ "_1NXXNXXXXXX", "12125551234", true, "sample: area code plus number after a one" },
	{ "_1NXXNXXXXXX", "11125551234", false, "sample: area code starts with N" },
	{ "_1NXXNXXXXXX", "12120551234", false, "sample: exchange starts with N" },
	/* Sets and ranges */
	{ "_6[34]XX", "6301", true, "docs: _6[34]XX" },
	{ "_6[34]XX", "6401", true, "docs: _6[34]XX" },
	{ "_6[34]XX", "6501", false, "docs: _6[34]XX" },
	{ "_[1-468]", "4", true, "docs: [1-468] is 1,2,3,4,6,8" },
	{ "_[1-468]", "5", false, "docs: not 5" },
	{ "_[1-468]", "6", true, "docs: 6" },
	{ "_[1237-9]", "7", true, "docs: [1237-9] is 1,2,3,7,8,9" },
	{ "_[1237-9]", "4", false, "docs: not 4" },
	{ "_64X[4-9]", "6404", true, "docs: complex examples" },
	{ "_64X[4-9]", "6403", false, "docs: last digit 4-9" },
	{ "_[*#]X", "#5", true, "core: a set of '*' and '#'" },
	{ "_[*#]X", "55", false, "core" },
	{ "_[6-4]4", "54", false, "core: a reversed range matches nothing (the docs' [6-4] example is wrong)" },
	/* '.' and '!' */
	{ "_9011.", "9011", false, "sample: _9011. excludes 9011 itself" },
	{ "_9011.", "90114420", true, "sample: anything starting with 9011" },
	{ "_9876.", "9876", false, "docs: '.' needs at least one more character" },
	{ "_9876.", "98761", true, "docs" },
	{ "_9876!", "9876", true, "docs: '!' matches zero or more, 9876 included" },
	{ "_9876!", "98761234", true, "docs" },
	{ "_9.", "9", false, "core: '.' is one or more" },
	{ "_9!", "9", true, "core: '!' is zero or more" },
	{ "_9!", "8", false, "core" },
	{ "_2.", "200", true, "test_pbx: 200 finds _2." },
	{ "_2.", "2", false, "core" },
	{ "_9.", "9abc", true, "docs: '.' matches characters, not only digits" },
	{ "_X.", "500&PJSIP/itsp/14165551212", true, "bestpr: why ${EXTEN} must be filtered" },
	/* Leading zeros, '*', '#', '+' */
	{ "_0X.", "0034911", true, "core: leading zeros are plain digits" },
	{ "_00X.", "0034", true, "core" },
	{ "_0X.", "34911", false, "core" },
	{ "_[0]X", "01", true, "core: a one-digit set" },
	{ "_*72X.", "*7201", true, "core: '*' is itself" },
	{ "_#", "#", true, "core: '#' is itself" },
	{ "_+34X.", "+34911", true, "core: '+' is itself" },
	{ "_X.", "+34", false, "core: '+' is not a digit" },
	/* Literal extensions */
	{ "2000", "2000", true, "test_pbx: 2000 finds 2000" },
	{ "2000", "200", false, "core: a literal matches only itself" },
	{ "2000", "20000", false, "core" },
	{ "911", "0911", false, "core" },
	{ "*72", "*72", true, "core" },
	{ "+34911", "+34911", true, "core" },
	{ "_911", "911", true, "core: a pattern without signs" },
	/* Asterisk's '-' separator: ignored in patterns and numbers alike (Centralita refuses it in patterns) */
	{ "_NXX-XXXX", "5551234", true, "docs: '-' is ignored" },
	{ "_NXX-XXXX", "555-1234", true, "core: in the number too" },
	{ "555-1234", "5551234", true, "docs: in literal extensions too" },
	{ "_9[1-3]", "9-2", true, "core: '-' in the number is skipped, not a range" },
};

START_TEST(match_table)
{
	const struct match_case *c = &match_cases[_i];
	ck_assert_msg(dialpattern_match(c->pattern, c->number) == c->match, "%s vs \"%s\": expected %s (%s)",
		      c->pattern, c->number, c->match ? "match" : "no match", c->source);
}
END_TEST

START_TEST(match_edges)
{
	/* extension_match_core() takes NULL as "". */
	ck_assert(dialpattern_match(NULL, NULL));
	ck_assert(dialpattern_match("", ""));
	ck_assert(!dialpattern_match(NULL, "1"));
	ck_assert(!dialpattern_match("_X", NULL));
	ck_assert(dialpattern_match("_!", ""));
	/* A pattern given as the number is first compared as a pattern ("_X." matches "_X."). */
	ck_assert(dialpattern_match("_X.", "_X."));
	ck_assert(dialpattern_match("_NXX", "_[2-9]XX"));
	/* A '[' never closed matches nothing ("Wrong usage of [] in the extension"). */
	ck_assert(!dialpattern_match("_9[1", "91"));
	/* An empty set is ignored by the matcher. */
	ck_assert(dialpattern_match("_9[]1", "91"));
	/* The 79-character limit: a 79-digit number and a pattern for it. */
	char number[DIALPATTERN_MAX_LEN + 1], pattern[DIALPATTERN_MAX_LEN + 1];
	memset(number, '5', DIALPATTERN_MAX_LEN);
	number[DIALPATTERN_MAX_LEN] = '\0';
	pattern[0] = '_';
	memset(pattern + 1, 'X', DIALPATTERN_MAX_LEN - 2);
	pattern[DIALPATTERN_MAX_LEN - 1] = '!';
	pattern[DIALPATTERN_MAX_LEN] = '\0';
	ck_assert(dialpattern_match(pattern, number));
}
END_TEST

/* ---- Precedence: which pattern Asterisk runs ----------------------------------------------------------- */

#define MAX_SET 8

struct best_case {
	const char *patterns[MAX_SET]; /* NULL-terminated */
	const char *number;
	const char *winner;            /* NULL: none matches */
	const char *source;
};

/* The seven patterns of the documentation's "Order of Pattern Matching" example. */
#define DOCS_SEVEN "_6XX1", "_64XX", "_640X", "_6.", "_64NX", "_6[45]NX", "_6[34]NX"

static const struct best_case best_cases[] = {
	{ { DOCS_SEVEN }, "6421", "_64NX", "docs: Alice dials 6421, _64NX is found" },
	{ { DOCS_SEVEN }, "6401", "_640X", "docs: _640X sorts first of the seven" },
	{ { DOCS_SEVEN }, "6491", "_64NX", "docs: five of the seven match; _64NX sorts first of them" },
	{ { DOCS_SEVEN }, "6331", "_6[34]NX", "docs: the set [34] (2 digits) before X (10)" },
	{ { DOCS_SEVEN }, "6501", "_6XX1", "docs: _6XX1 sorts before _6." },
	{ { DOCS_SEVEN }, "6000", "_6.", "docs: only _6. is left" },
	{ { DOCS_SEVEN }, "7000", NULL, "core: nothing matches" },
	{ { "_2.", "2000" }, "2000", "2000", "test_pbx: 2000 finds the literal, not _2." },
	{ { "_2.", "2000" }, "200", "_2.", "test_pbx: 200 finds _2." },
	{ { "_9XX", "911" }, "911", "911", "docs rule 2: literal extensions before patterns" },
	{ { "_X!", "5" }, "5", "5", "docs rule 2: even before a pattern matching everything" },
	{ { "_9XX", "_911" }, "911", "_911", "docs rule 3: a digit (1 character) before X (10)" },
	{ { "_1.", "_1XX" }, "123", "_1XX", "docs rule 5: '.' after character sets" },
	{ { "_X.", "_NXXXXXX" }, "5551234", "_NXXXXXX", "docs rule 3: N (8) before X (10)" },
	{ { "_[1-3]X", "_1X" }, "12", "_1X", "docs rule 3: a digit before a set of 3" },
	{ { "_9!", "_9." }, "91", "_9.", "docs rule 6: '!' after '.'" },
	{ { "_9!", "_9." }, "9", "_9!", "docs: only '!' matches nothing more" },
	{ { "_9", "_9!" }, "9", "_9!", "cmp: '!' (0x28000) before the end of a pattern (0x30000)" },
	{ { "_9!", "_9X." }, "912", "_9X.", "docs rule 5/6: X before '!'" },
	{ { "_[4-8]X", "_[0-4]X" }, "45", "_[0-4]X", "docs rule 4: equal counts, [0-4] before [4-8]" },
	{ { "_[13]X", "_[12]X" }, "11", "_[12]X", "docs rule 4: equal counts and lowest, ASCII order of the set" },
	{ { "_XXX", "_ZXX", "_NXX" }, "234", "_NXX", "docs rule 3: N (8) before Z (9) before X (10)" },
	{ { "_XXX", "_ZXX" }, "123", "_ZXX", "docs rule 3: Z (9) before X (10)" },
	{ { "_X.", "_0." }, "0034", "_0.", "docs rule 3: leading 0 before X" },
	{ { "_XXXX", "_64XX" }, "6400", "_64XX", "docs rule 3" },
	{ { "_X23", "_1X3" }, "123", "_1X3", "cmp: the first position that differs decides" },
	{ { "_N", "_[2-9]" }, "5", "_N", "cmp: the same extension to Asterisk; the first one written" },
	{ { "_[2-9]", "_N" }, "5", "_[2-9]", "cmp: likewise the other way round" },
	{ { "_9XX", "_8." }, "7", NULL, "core: nothing matches" },
	{ { "_+X.", "_X." }, "+34", "_+X.", "core: only one matches" },
};

static size_t set_size(const struct best_case *c)
{
	size_t n = 0;
	while (n < MAX_SET && c->patterns[n])
		n++;
	return n;
}

START_TEST(precedence_table)
{
	const struct best_case *c = &best_cases[_i];
	size_t n = set_size(c);
	int best = dialpattern_best(c->patterns, n, c->number);
	if (!c->winner) {
		ck_assert_msg(best == -1, "%s: expected no match, got %s (%s)", c->number,
			      best >= 0 ? c->patterns[best] : "", c->source);
		return;
	}
	ck_assert_msg(best >= 0 && strcmp(c->patterns[best], c->winner) == 0, "%s: expected %s, got %s (%s)",
		      c->number, c->winner, best >= 0 ? c->patterns[best] : "none", c->source);
	/* Asterisk sorts the extensions of a context: the order they are written in does not matter, except
	 * between patterns it takes for the same extension. */
	const char *reversed[MAX_SET];
	for (size_t i = 0; i < n; i++)
		reversed[i] = c->patterns[n - 1 - i];
	int rbest = dialpattern_best(reversed, n, c->number);
	ck_assert(rbest >= 0);
	ck_assert_int_eq(dialpattern_cmp(reversed[rbest], c->winner), 0);
}
END_TEST

static int by_asterisk_order(const void *a, const void *b)
{
	return dialpattern_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* The documentation lists how Asterisk sorts its seven-pattern example ("dialplan show users"). */
START_TEST(docs_sorted_order)
{
	const char *seven[] = { DOCS_SEVEN };
	const char *const sorted[] = { "_640X", "_64NX", "_64XX", "_6[34]NX", "_6[45]NX", "_6XX1", "_6." };
	qsort(seven, LEN(seven), sizeof seven[0], by_asterisk_order);
	for (size_t i = 0; i < LEN(sorted); i++)
		ck_assert_str_eq(seven[i], sorted[i]);
}
END_TEST

struct cmp_case {
	const char *a, *b;
	int sign;
	const char *source;
};

static const struct cmp_case cmp_cases[] = {
	{ "911", "_9XX", -1, "docs rule 2: literals first" },
	{ "_9XX", "911", 1, "docs rule 2" },
	{ "100", "20", -1, "docs rule 2: literals in ASCII order" },
	{ "_X", "_[a-j]", -1, "docs rule 4: X is 0123456789, [a-j] abcdefghij" },
	{ "_[0-4]", "_[4-8]", -1, "docs rule 4" },
	{ "_9.", "_9!", -1, "docs rule 6" },
	{ "_9X", "_9.", -1, "docs rule 5" },
	{ "_9!", "_9", -1, "cmp: '!' before the end" },
	{ "_9", "_9X", 1, "cmp: the end after any set" },
	{ "_N", "_[2-9]", 0, "cmp: the same set" },
	{ "_x", "_X", 0, "cmp: x is X" },
	{ "_X", "_[0-9]", 0, "cmp" },
	{ "_Z", "_[1-9]", 0, "cmp" },
	{ "_9", "_[9]", 0, "cmp: a one-digit set is that digit" },
	{ "_[13579]", "_[97531]", 0, "cmp: a set is a set" },
	{ "_NXX-XXXX", "_NXXXXXX", 0, "docs rule 1: '-' ignored" },
	{ "555-1234", "5551234", 0, "docs rule 1" },
	{ NULL, "", 0, "NULL is \"\"" },
};

START_TEST(cmp_table)
{
	const struct cmp_case *c = &cmp_cases[_i];
	ck_assert_msg(dialpattern_cmp(c->a, c->b) == c->sign, "cmp(%s, %s) != %d (%s)", c->a ? c->a : "NULL", c->b,
		      c->sign, c->source);
	ck_assert_msg(dialpattern_cmp(c->b, c->a) == -c->sign, "cmp(%s, %s) != %d (%s)", c->b,
		      c->a ? c->a : "NULL", -c->sign, c->source);
}
END_TEST

/* dialpattern_cmp must be an order (qsort and dialpattern_best rely on it): on every pattern of the tables it
 * is antisymmetric, puts literals before patterns, and once sorted with it no pair is out of order. */
START_TEST(cmp_is_an_order)
{
	const char *all[LEN(match_cases) + LEN(best_cases) * MAX_SET + LEN(cmp_cases) * 2];
	size_t n = 0;
	for (size_t i = 0; i < LEN(match_cases); i++)
		all[n++] = match_cases[i].pattern;
	for (size_t i = 0; i < LEN(best_cases); i++)
		for (size_t k = 0; k < set_size(&best_cases[i]); k++)
			all[n++] = best_cases[i].patterns[k];
	for (size_t i = 0; i + 1 < LEN(cmp_cases); i++) {
		all[n++] = cmp_cases[i].a;
		all[n++] = cmp_cases[i].b;
	}
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(dialpattern_cmp(all[i], all[i]), 0);
		for (size_t j = 0; j < n; j++) {
			int ij = dialpattern_cmp(all[i], all[j]);
			ck_assert_int_eq(ij, -dialpattern_cmp(all[j], all[i]));
			if ((all[i][0] == '_') != (all[j][0] == '_'))
				ck_assert_int_eq(ij, all[i][0] == '_' ? 1 : -1);
		}
	}
	qsort(all, n, sizeof all[0], by_asterisk_order);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ck_assert_msg(dialpattern_cmp(all[i], all[j]) <= 0, "%s sorted before %s", all[i], all[j]);
}
END_TEST

START_TEST(best_edges)
{
	const char *none[1] = { NULL };
	ck_assert_int_eq(dialpattern_best(none, 0, "1"), -1);
	ck_assert_int_eq(dialpattern_best(none, 1, "1"), -1);
	const char *some[] = { NULL, "_X", NULL, "1" };
	ck_assert_int_eq(dialpattern_best(some, LEN(some), "1"), 3);
	ck_assert_int_eq(dialpattern_best(some, LEN(some), "2"), 1);
}
END_TEST

/* ---- What users may type ------------------------------------------------------------------------------- */

static const char *const accepted[] = {
	"911", "*72", "#", "+34911000000", "0034911222333", "_X", "_NXXXXXX", "_1NXXNXXXXXX", "_9011.", "_9!",
	"_[1-5]", "_[13579]X", "_[1-468]", "_[*#]XX", "_+34X.", "_00X.", "_9nxx", "_zX", "_[5-5]", "_[0-9]",
	"_*72X.", "_911", "_6[34]NX", "_1[2-9]XX[0-4]!",
};

START_TEST(accepted_patterns)
{
	const char *p = accepted[_i];
	char err[128] = "";
	ck_assert_msg(dialpattern_check(p, err, sizeof err) == DIALPATTERN_OK, "%s refused: %s", p, err);
}
END_TEST

struct reject_case {
	const char *pattern;
	enum dialpattern_problem problem;
	const char *says; /* part of the message: mostly where */
};

static const struct reject_case reject_cases[] = {
	{ "", DIALPATTERN_EMPTY, "empty" },
	{ "_", DIALPATTERN_EMPTY, "'_' alone" },
	{ " ", DIALPATTERN_BAD_CHAR, "character 1 is a space" },
	{ "_9 1", DIALPATTERN_BAD_CHAR, "character 3 is a space" },
	{ " _91", DIALPATTERN_BAD_CHAR, "character 1 is a space" },
	{ "_[", DIALPATTERN_UNCLOSED_SET, "'[' at character 2" },
	{ "_9[12", DIALPATTERN_UNCLOSED_SET, "'[' at character 3" },
	{ "_9]", DIALPATTERN_STRAY_BRACKET, "']' at character 3" },
	{ "_[]", DIALPATTERN_BAD_SET, "'[]' at character 2" },
	{ "_9[5-1]", DIALPATTERN_BAD_SET, "'5-1' at character 4" },
	{ "_9[1-]", DIALPATTERN_BAD_SET, "'-' at character 5" },
	{ "_9[-1]", DIALPATTERN_BAD_SET, "'-' at character 4" },
	{ "_9[1-2-3]", DIALPATTERN_BAD_SET, "'-' at character 7" },
	{ "_9[*-5]", DIALPATTERN_BAD_SET, "'-' at character 5" },
	{ "_9[X]", DIALPATTERN_BAD_SET, "character 4 ('X')" },
	{ "_9[1[2]]", DIALPATTERN_BAD_SET, "character 5 ('[')" },
	{ "_9[a-z]", DIALPATTERN_BAD_CHAR, "character 4 ('a')" },
	{ "_9.1", DIALPATTERN_WILDCARD_NOT_LAST, "'.' at character 3" },
	{ "_9!1", DIALPATTERN_WILDCARD_NOT_LAST, "'!' at character 3" },
	{ "_9.!", DIALPATTERN_WILDCARD_NOT_LAST, "'.' at character 3" },
	{ "_.", DIALPATTERN_WILDCARD_ONLY, "'_.'" },
	{ "_!", DIALPATTERN_WILDCARD_ONLY, "'_!'" },
	{ "_9$", DIALPATTERN_BAD_CHAR, "character 3 ('$')" },
	{ "_9${SHELL(id)}", DIALPATTERN_BAD_CHAR, "character 3 ('$')" },
	{ "_9$[1+1]", DIALPATTERN_BAD_CHAR, "character 3 ('$')" },
	{ "_9,1", DIALPATTERN_BAD_CHAR, "character 3 (',')" },
	{ "_9X,1,System(id)", DIALPATTERN_BAD_CHAR, "character 4 (',')" },
	{ "_(9)", DIALPATTERN_BAD_CHAR, "character 2 ('(')" },
	{ "_9;x", DIALPATTERN_BAD_CHAR, "character 3 (';')" },
	{ "_9&1", DIALPATTERN_BAD_CHAR, "character 3 ('&')" },
	{ "_9|1", DIALPATTERN_BAD_CHAR, "character 3 ('|')" },
	{ "_9{1}", DIALPATTERN_BAD_CHAR, "character 3 ('{')" },
	{ "_9}", DIALPATTERN_BAD_CHAR, "character 3 ('}')" },
	{ "_9\"", DIALPATTERN_BAD_CHAR, "character 3 ('\"')" },
	{ "_9'", DIALPATTERN_BAD_CHAR, "character 3 (\"'\")" },
	{ "_9\\;", DIALPATTERN_BAD_CHAR, "character 3 ('\\')" },
	{ "_9/101", DIALPATTERN_BAD_CHAR, "character 3 ('/')" },
	{ "_9\t1", DIALPATTERN_BAD_CHAR, "character 3 is a control character" },
	{ "_9\n", DIALPATTERN_BAD_CHAR, "character 3 is a control character" },
	{ "_9\x7f", DIALPATTERN_BAD_CHAR, "character 3 is a control character" },
	{ "_9\xc3\xa9", DIALPATTERN_BAD_CHAR, "character 3 is not" },
	{ "_NXX-XXXX", DIALPATTERN_BAD_CHAR, "character 5 ('-')" },
	{ "_9_1", DIALPATTERN_BAD_CHAR, "character 3 ('_')" },
	{ "_9a", DIALPATTERN_BAD_CHAR, "character 3 ('a')" },
	{ "s", DIALPATTERN_BAD_CHAR, "character 1 ('s')" },
	{ "9XX", DIALPATTERN_NEEDS_UNDERSCORE, "character 2 ('X')" },
	{ "9.", DIALPATTERN_NEEDS_UNDERSCORE, "character 2 ('.')" },
	{ "[12]", DIALPATTERN_NEEDS_UNDERSCORE, "character 1 ('[')" },
	{ "9+1", DIALPATTERN_PLUS_NOT_FIRST, "character 2 ('+')" },
	{ "_9+X", DIALPATTERN_PLUS_NOT_FIRST, "character 3 ('+')" },
	{ "_9[+]", DIALPATTERN_BAD_SET, "character 4 ('+')" },
};

START_TEST(rejected_patterns)
{
	const struct reject_case *c = &reject_cases[_i];
	char err[160] = "";
	enum dialpattern_problem p = dialpattern_check(c->pattern, err, sizeof err);
	ck_assert_msg(p == c->problem, "\"%s\": problem %d, expected %d (%s)", c->pattern, p, c->problem, err);
	ck_assert_msg(strstr(err, c->says), "\"%s\": message \"%s\" lacks \"%s\"", c->pattern, err, c->says);
}
END_TEST

START_TEST(length_limit)
{
	char s[120], err[128];
	memset(s, '5', sizeof s);
	s[DIALPATTERN_MAX_LEN] = '\0';
	ck_assert_int_eq(dialpattern_check(s, err, sizeof err), DIALPATTERN_OK);
	ck_assert_int_eq(dialpattern_check_number(s, err, sizeof err), DIALPATTERN_OK);
	s[0] = '_';
	ck_assert_int_eq(dialpattern_check(s, err, sizeof err), DIALPATTERN_OK);
	memset(s, 'X', sizeof s);
	s[0] = '_';
	s[100] = '\0';
	ck_assert_int_eq(dialpattern_check(s, err, sizeof err), DIALPATTERN_TOO_LONG);
	ck_assert_ptr_nonnull(strstr(err, "100 characters"));
	memset(s, '5', sizeof s);
	s[DIALPATTERN_MAX_LEN + 1] = '\0';
	ck_assert_int_eq(dialpattern_check(s, err, sizeof err), DIALPATTERN_TOO_LONG);
	ck_assert_int_eq(dialpattern_check_number(s, err, sizeof err), DIALPATTERN_TOO_LONG);
}
END_TEST

/* Every character a user could type, alone after "_9" and inside a set: accepted only if it is part of the
 * syntax, so none of what Asterisk would read as something else (',', '$', ';', '/', '(', ...) gets through. */
START_TEST(only_syntax_characters_pass)
{
	for (int c = 1; c < 256; c++) {
		char s[8] = { '_', '9', (char)c, '\0' };
		bool ok = dialpattern_check(s, NULL, 0) == DIALPATTERN_OK;
		bool syntax = (c >= '0' && c <= '9') || (c && strchr("*#XZNxzn.!", c));
		ck_assert_msg(ok == syntax, "_9 + character %d: %s", c, ok ? "accepted" : "refused");
		char set[8] = { '_', '[', (char)c, ']', '\0' };
		ok = dialpattern_check(set, NULL, 0) == DIALPATTERN_OK;
		syntax = (c >= '0' && c <= '9') || c == '*' || c == '#';
		ck_assert_msg(ok == syntax, "[character %d]: %s", c, ok ? "accepted" : "refused");
	}
}
END_TEST

START_TEST(numbers)
{
	char err[128] = "";
	ck_assert_int_eq(dialpattern_check_number("0034911222333", err, sizeof err), DIALPATTERN_OK);
	ck_assert_int_eq(dialpattern_check_number("+34911222333", err, sizeof err), DIALPATTERN_OK);
	ck_assert_int_eq(dialpattern_check_number("*72#", err, sizeof err), DIALPATTERN_OK);
	ck_assert_int_eq(dialpattern_check_number("", err, sizeof err), DIALPATTERN_EMPTY);
	ck_assert_int_eq(dialpattern_check_number(NULL, err, sizeof err), DIALPATTERN_EMPTY);
	ck_assert_int_eq(dialpattern_check_number("9 1", err, sizeof err), DIALPATTERN_BAD_CHAR);
	ck_assert_int_eq(dialpattern_check_number("_9", err, sizeof err), DIALPATTERN_BAD_CHAR);
	ck_assert_int_eq(dialpattern_check_number("9X", err, sizeof err), DIALPATTERN_BAD_CHAR);
	ck_assert_str_eq(err, "character 2 ('X') is not allowed");
	ck_assert_int_eq(dialpattern_check_number("500&PJSIP/itsp", err, sizeof err), DIALPATTERN_BAD_CHAR);
	ck_assert_int_eq(dialpattern_check_number("34+1", err, sizeof err), DIALPATTERN_PLUS_NOT_FIRST);
}
END_TEST

START_TEST(problem_keys_and_messages)
{
	ck_assert_ptr_null(dialpattern_problem_key(DIALPATTERN_OK));
	ck_assert_str_eq(dialpattern_problem_key(DIALPATTERN_BAD_SET), "pattern_bad_set");
	for (int p = DIALPATTERN_EMPTY; p <= DIALPATTERN_WILDCARD_ONLY; p++)
		ck_assert_ptr_nonnull(strstr(dialpattern_problem_key((enum dialpattern_problem)p), "pattern_"));
	/* No err buffer, or a small one: the answer is the same, the message cut short. */
	ck_assert_int_eq(dialpattern_check("_9,1", NULL, 0), DIALPATTERN_BAD_CHAR);
	char small[10];
	ck_assert_int_eq(dialpattern_check("_9,1", small, sizeof small), DIALPATTERN_BAD_CHAR);
	ck_assert_str_eq(small, "character");
	char untouched[4] = "abc";
	ck_assert_int_eq(dialpattern_check("_9X", untouched, sizeof untouched), DIALPATTERN_OK);
	ck_assert_str_eq(untouched, "abc");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dialpattern");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, match_table, 0, LEN(match_cases));
	tcase_add_test(tc, match_edges);
	tcase_add_loop_test(tc, precedence_table, 0, LEN(best_cases));
	tcase_add_test(tc, docs_sorted_order);
	tcase_add_loop_test(tc, cmp_table, 0, LEN(cmp_cases));
	tcase_add_test(tc, cmp_is_an_order);
	tcase_add_test(tc, best_edges);
	tcase_add_loop_test(tc, accepted_patterns, 0, LEN(accepted));
	tcase_add_loop_test(tc, rejected_patterns, 0, LEN(reject_cases));
	tcase_add_test(tc, length_limit);
	tcase_add_test(tc, only_syntax_characters_pass);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, problem_keys_and_messages);
	suite_add_tcase(s, tc);
	return check_run(s);
}
