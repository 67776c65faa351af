/* dialpattern: Asterisk's dial pattern matching and ordering, re-derived from Asterisk 22.10.1 main/pbx.c so
 * that the route tester answers what Asterisk would, and the check of what users may type as a pattern. */
#include "pbx/dialpattern.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- Matching and ordering: Asterisk's rules ------------------------------------------------------------
 * Written from main/pbx.c of Asterisk 22.10.1; each function names the one it follows. Characters are taken as
 * unsigned here, where Asterisk uses plain char: the two differ only for bytes above 0x7F, which no checked
 * pattern or number holds. */

/* Length of a literal extension with its '-' left out, as ext_cmp_exten_strlen(). */
static size_t literal_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (*s != '-')
			n++;
	return n;
}

/* Order of two literal extensions, as ext_cmp_exten(): byte by byte, '-' skipped on both sides. */
static int literal_cmp(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-')
			a++;
		while (*b == '-')
			b++;
		int cmp = (unsigned char)*a - (unsigned char)*b;
		if (cmp || !*a)
			return cmp;
		a++;
		b++;
	}
}

/* Scores of one pattern position, as ext_cmp_pattern_pos() returns them: a set of k characters whose lowest
 * is c scores k << 8 | c, so that the position accepting fewer characters sorts first and, among equal
 * counts, the one starting lower; the wildcards and the end of the pattern score above any set, in the order
 * '.', '!', end. */
#define SCORE_DOT 0x18000
#define SCORE_BANG 0x28000
#define SCORE_END 0x30000
#define SCORE_BAD_SET 0x40000 /* '[' without ']' */

/* One bit per byte value, the lowest value in the most significant bit, so that memcmp() of two sets of the
 * same size orders them like the strings of their characters (ext_cmp_pattern()'s "bitwise" arrays). */
typedef unsigned char charset[32];

static bool charset_add(charset set, unsigned c)
{
	unsigned char bit = (unsigned char)(0x80u >> (c % 8));
	if (set[c / 8] & bit)
		return false;
	set[c / 8] |= bit;
	return true;
}

/* Reads the position at *p into set and returns its score, advancing *p past it; at the end of the pattern
 * *p becomes NULL. As ext_cmp_pattern_pos(): '-' between positions is skipped; X, Z, N in either case are
 * 0-9, 1-9, 2-9; in a set "a-b" is a range only when something follows b before ']', and an empty set
 * (nothing, or only reversed ranges, added) is skipped as if it were not there. */
static int pattern_score(const char **p, charset set)
{
	for (;;) {
		unsigned char c;
		do
			c = (unsigned char)*(*p)++;
		while (c == '-');

		unsigned lo, hi;
		switch (c) {
		case 'n':
		case 'N':
			lo = '2', hi = '9';
			break;
		case 'x':
		case 'X':
			lo = '0', hi = '9';
			break;
		case 'z':
		case 'Z':
			lo = '1', hi = '9';
			break;
		case '.':
			return SCORE_DOT;
		case '!':
			return SCORE_BANG;
		case '\0':
			*p = NULL;
			return SCORE_END;
		case '[':
			lo = hi = 0; /* read below */
			break;
		default:
			charset_add(set, c);
			return 0x100 | c;
		}
		if (c != '[') {
			for (unsigned d = lo; d <= hi; d++)
				charset_add(set, d);
			return (int)((hi - lo + 1) << 8 | lo);
		}

		const char *end = strchr(*p, ']');
		if (!end)
			return SCORE_BAD_SET; /* *p stays just past the '[', as in Asterisk */
		int count = 0;
		unsigned low = 0xFF;
		for (; *p < end; (*p)++) {
			unsigned first = (unsigned char)(*p)[0], last = first;
			if (*p + 2 < end && (*p)[1] == '-') {
				last = (unsigned char)(*p)[2];
				*p += 2;
			}
			/* Asterisk takes the first character as the lowest even when the range is reversed and adds
			 * nothing; kept, so that ordering stays Asterisk's for every input. */
			if (first < low)
				low = first;
			for (unsigned d = first; d <= last; d++)
				if (charset_add(set, d))
					count += 0x100;
		}
		(*p)++; /* past ']' */
		if (count)
			return count | (int)low;
	}
}

/* Order of two patterns without their '_', as ext_cmp_pattern(): position by position, by score, then by the
 * sets themselves (b before a in memcmp, since lower characters sit in higher bits). */
static int pattern_cmp(const char *a, const char *b)
{
	for (;;) {
		charset sa = { 0 }, sb = { 0 };
		int cmp = pattern_score(&a, sa) - pattern_score(&b, sb);
		if (!cmp)
			cmp = memcmp(sb, sa, sizeof sa);
		/* Both ended together when a is NULL and they still compare equal. */
		if (cmp || !a)
			return cmp;
	}
}

/* ext_cmp(): literals before patterns, literals by literal_cmp(), patterns by pattern_cmp(). */
static int extension_cmp(const char *a, const char *b)
{
	if (a[0] != '_')
		return b[0] == '_' ? -1 : literal_cmp(a, b);
	if (b[0] != '_')
		return 1;
	return pattern_cmp(a + 1, b + 1);
}

int dialpattern_cmp(const char *a, const char *b)
{
	/* ast_extension_cmp(): ext_cmp() reduced to its sign. */
	int cmp = extension_cmp(a ? a : "", b ? b : "");
	return (cmp > 0) - (cmp < 0);
}

/* Whether data is accepted by the set that starts just after the '[' at *pattern, moving *pattern onto its
 * ']'. As _extension_match_core(): "a-b" is a range only when something follows b before ']'. Returns 1 if
 * accepted, 0 if not, -1 if the '[' is never closed. */
static int set_accepts(const char **pattern, unsigned char data)
{
	const char *p = *pattern;
	const char *end = strchr(p, ']');
	if (!end)
		return -1;
	*pattern = end;
	for (; p < end; p++) {
		if (p + 2 < end && p[1] == '-') {
			if (data >= (unsigned char)p[0] && data <= (unsigned char)p[2])
				return 1;
			p += 2;
		} else if (data == (unsigned char)p[0]) {
			return 1;
		}
	}
	return 0;
}

/* _extension_match_core() in E_MATCH mode: 0 no match, 1 match, 2 early match on '!' (a match too). */
static int match_core(const char *pattern, const char *data)
{
	if (pattern[0] != '_') {
		/* A literal: equal once '-' is dropped from both. */
		if (literal_len(pattern) < literal_len(data))
			return 0;
		return literal_cmp(pattern, data) == 0;
	}
	/* Asterisk cannot tell a pattern given as data from a number: it first compares them as two patterns
	 * ("_X." matches "_X."). */
	if (data[0] == '_' && pattern_cmp(pattern + 1, data + 1) == 0)
		return 1;

	pattern++;
	for (;;) {
		while (*data == '-')
			data++;
		while (*pattern == '-')
			pattern++;
		/* A '/' would start a caller ID match, which pbx_config splits off before; it ends the pattern. */
		if (!*data || !*pattern || *pattern == '/')
			break;
		unsigned char d = (unsigned char)*data;
		switch (*pattern) {
		case '[':
			pattern++;
			if (*pattern == ']') {
				/* An empty set is ignored: the same character is tried against what follows it. */
				pattern++;
				continue;
			}
			if (set_accepts(&pattern, d) != 1)
				return 0; /* not in the set, or a '[' never closed (Asterisk: "Wrong usage of []") */
			break;
		case 'n':
		case 'N':
			if (d < '2' || d > '9')
				return 0;
			break;
		case 'x':
		case 'X':
			if (d < '0' || d > '9')
				return 0;
			break;
		case 'z':
		case 'Z':
			if (d < '1' || d > '9')
				return 0;
			break;
		case '.':
			return 1; /* at least one character is left for it: anything goes */
		case '!':
			return 2;
		default:
			if (d != (unsigned char)*pattern)
				return 0;
			break;
		}
		data++;
		pattern++;
	}
	if (*data)
		return 0; /* the number is longer than the pattern */
	if (*pattern == '\0' || *pattern == '/')
		return 1;
	if (*pattern == '!')
		return 2; /* '!' also matches nothing */
	return 0;      /* the pattern wants more: a prefix is not an E_MATCH ('.' needs one more character) */
}

bool dialpattern_match(const char *pattern, const char *number)
{
	/* extension_match_core() turns NULL into "". */
	return match_core(pattern ? pattern : "", number ? number : "") != 0;
}

int dialpattern_best(const char *const *patterns, size_t n, const char *number)
{
	/* pbx_find_extension() walks the context's extensions in ext_cmp() order and runs the first that matches:
	 * the smallest matching one. Strict '<' keeps the lowest index among equal ones: Asterisk keeps the first
	 * line of an extension and refuses a second priority 1 as a duplicate. */
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		if (!patterns[i] || !dialpattern_match(patterns[i], number))
			continue;
		if (best < 0 || dialpattern_cmp(patterns[i], patterns[best]) < 0)
			best = (int)i;
	}
	return best;
}

/* ---- What Centralita accepts --------------------------------------------------------------------------- */

static bool is_dial_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '*' || c == '#';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Returns p, with the explanation in err. */
static enum dialpattern_problem fail(char *err, size_t errlen, enum dialpattern_problem p, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum dialpattern_problem fail(char *err, size_t errlen, enum dialpattern_problem p, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return p;
}

/* A character with no place in a dial pattern, at 0-based offset i: named so the user can find it. All
 * accepted characters are ASCII, so the first bad byte's offset is also its character position. */
static enum dialpattern_problem bad_char(char *err, size_t errlen, unsigned char c, size_t i)
{
	enum dialpattern_problem p = DIALPATTERN_BAD_CHAR;
	if (c == ' ')
		return fail(err, errlen, p, "character %zu is a space", i + 1);
	if (c < 0x20 || c == 0x7F)
		return fail(err, errlen, p, "character %zu is a control character", i + 1);
	if (c >= 0x80)
		return fail(err, errlen, p, "character %zu is not a digit or pattern sign (not ASCII)", i + 1);
	if (c == '-')
		return fail(err, errlen, p, "character %zu ('-') is not allowed: Asterisk ignores '-' outside [...]",
			    i + 1);
	if (c == '_')
		return fail(err, errlen, p, "character %zu ('_') is not allowed: '_' only starts a pattern", i + 1);
	if (c == '\'')
		return fail(err, errlen, p, "character %zu (\"'\") is not allowed", i + 1);
	return fail(err, errlen, p, "character %zu ('%c') is not allowed", i + 1, c);
}

/* Pattern signs, which have a meaning only after '_'. */
static bool is_pattern_sign(unsigned char c)
{
	return c && strchr("XZNxzn[].!", c);
}

/* The literal rule, for literal extensions and numbers: digits, '*', '#', and '+' first. A pattern sign in a
 * literal extension gets a hint (the '_' was forgotten); in a number it is simply not allowed. */
static enum dialpattern_problem check_literal(const char *s, bool number, char *err, size_t errlen)
{
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_dial_char(c) || (c == '+' && i == 0))
			continue;
		if (c == '+')
			return fail(err, errlen, DIALPATTERN_PLUS_NOT_FIRST, "character %zu ('+') may only come first",
				    i + 1);
		if (!number && is_pattern_sign(c))
			return fail(err, errlen, DIALPATTERN_NEEDS_UNDERSCORE,
				    "character %zu ('%c') is pattern syntax: a pattern starts with '_'", i + 1, c);
		return bad_char(err, errlen, c, i);
	}
	return DIALPATTERN_OK;
}

/* The set whose '[' is at s[open]. Returns DIALPATTERN_OK with *close at its ']', or the problem. */
static enum dialpattern_problem check_set(const char *s, size_t open, size_t *close, char *err, size_t errlen)
{
	size_t i = open + 1;
	if (s[i] == ']')
		return fail(err, errlen, DIALPATTERN_BAD_SET, "the set '[]' at character %zu is empty", open + 1);
	for (;;) {
		unsigned char c = (unsigned char)s[i];
		if (c == ']') {
			*close = i;
			return DIALPATTERN_OK;
		}
		if (!c)
			return fail(err, errlen, DIALPATTERN_UNCLOSED_SET, "the '[' at character %zu is never closed",
				    open + 1);
		if (is_dial_char(c) && s[i + 1] != '-') {
			i++;
			continue;
		}
		if (is_digit(c) && s[i + 1] == '-') {
			unsigned char hi = (unsigned char)s[i + 2];
			if (!is_digit(hi))
				return fail(err, errlen, DIALPATTERN_BAD_SET,
					    "the '-' at character %zu must stand between two digits", i + 2);
			if (hi < c)
				return fail(err, errlen, DIALPATTERN_BAD_SET,
					    "the range '%c-%c' at character %zu runs backwards (Asterisk would match "
					    "nothing there)", c, hi, i + 1);
			i += 3;
			continue;
		}
		if (c == '-' || is_dial_char(c))
			return fail(err, errlen, DIALPATTERN_BAD_SET,
				    "the '-' at character %zu must stand between two digits", c == '-' ? i + 1 : i + 2);
		if (is_pattern_sign(c) || c == '+')
			return fail(err, errlen, DIALPATTERN_BAD_SET,
				    "character %zu ('%c') cannot go in a set: only digits, '*', '#' and ranges like 1-5",
				    i + 1, c);
		return bad_char(err, errlen, c, i);
	}
}

static enum dialpattern_problem check_pattern(const char *s, char *err, size_t errlen)
{
	/* A character that has no place anywhere in a pattern is named first: "_X.,1,System(x)" is refused for its
	 * ',' rather than for the '.' that merely precedes it. */
	size_t stray = 1 + strspn(s + 1, "0123456789*#+XZNxzn[].!-");
	if (s[stray])
		return bad_char(err, errlen, (unsigned char)s[stray], stray);
	size_t positions = 0; /* characters of the number the pattern has placed so far */
	for (size_t i = 1; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_dial_char(c) || (c && strchr("XZNxzn", c))) {
			positions++;
		} else if (c == '+') {
			if (positions)
				return fail(err, errlen, DIALPATTERN_PLUS_NOT_FIRST,
					    "character %zu ('+') may only come first", i + 1);
			positions++;
		} else if (c == '[') {
			size_t end = i; /* set by check_set() when it returns DIALPATTERN_OK */
			enum dialpattern_problem p = check_set(s, i, &end, err, errlen);
			if (p)
				return p;
			i = end;
			positions++;
		} else if (c == ']') {
			return fail(err, errlen, DIALPATTERN_STRAY_BRACKET,
				    "the ']' at character %zu has no '[' before it", i + 1);
		} else if (c == '.' || c == '!') {
			if (s[i + 1])
				return fail(err, errlen, DIALPATTERN_WILDCARD_NOT_LAST,
					    "the '%c' at character %zu must be the last character", c, i + 1);
			if (!positions)
				return fail(err, errlen, DIALPATTERN_WILDCARD_ONLY,
					    "'_%c' matches anything, Asterisk's own h and i extensions too: put a digit "
					    "or X before the '%c'", c, c);
		} else {
			return bad_char(err, errlen, c, i);
		}
	}
	if (!positions)
		return fail(err, errlen, DIALPATTERN_EMPTY, "'_' alone is not a pattern");
	return DIALPATTERN_OK;
}

/* Emptiness and length first: they bound the work and are what the user fixes first. */
static enum dialpattern_problem check_size(const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s);
	if (!len)
		return fail(err, errlen, DIALPATTERN_EMPTY, "is empty");
	if (len > DIALPATTERN_MAX_LEN)
		return fail(err, errlen, DIALPATTERN_TOO_LONG, "has %zu characters; Asterisk takes at most %d", len,
			    DIALPATTERN_MAX_LEN);
	return DIALPATTERN_OK;
}

enum dialpattern_problem dialpattern_check(const char *pattern, char *err, size_t errlen)
{
	if (!pattern)
		pattern = "";
	enum dialpattern_problem p = check_size(pattern, err, errlen);
	if (p)
		return p;
	return pattern[0] == '_' ? check_pattern(pattern, err, errlen) : check_literal(pattern, false, err, errlen);
}

enum dialpattern_problem dialpattern_check_number(const char *number, char *err, size_t errlen)
{
	if (!number)
		number = "";
	enum dialpattern_problem p = check_size(number, err, errlen);
	if (p)
		return p;
	return check_literal(number, true, err, errlen);
}

const char *dialpattern_problem_key(enum dialpattern_problem p)
{
	switch (p) {
	case DIALPATTERN_OK: return NULL;
	case DIALPATTERN_EMPTY: return "pattern_empty";
	case DIALPATTERN_TOO_LONG: return "pattern_too_long";
	case DIALPATTERN_BAD_CHAR: return "pattern_bad_char";
	case DIALPATTERN_NEEDS_UNDERSCORE: return "pattern_needs_underscore";
	case DIALPATTERN_PLUS_NOT_FIRST: return "pattern_plus_not_first";
	case DIALPATTERN_UNCLOSED_SET: return "pattern_unclosed_set";
	case DIALPATTERN_STRAY_BRACKET: return "pattern_stray_bracket";
	case DIALPATTERN_BAD_SET: return "pattern_bad_set";
	case DIALPATTERN_WILDCARD_NOT_LAST: return "pattern_wildcard_not_last";
	case DIALPATTERN_WILDCARD_ONLY: return "pattern_wildcard_only";
	}
	return "pattern_bad_char";
}
