/* dialpattern: Asterisk dial patterns as outbound routes use them: which ones a user may type
 * (dialpattern_check), whether a number matches one (dialpattern_match), and which of several Asterisk picks
 * (dialpattern_cmp, dialpattern_best). The route tester relies on the answers being Asterisk's own, so
 * matching and ordering follow Asterisk 22's main/pbx.c (22.10.1) function for function; the .c file names
 * each one. Pure functions: no I/O, no globals, libc only.
 *
 * Syntax      A literal extension ("911", "*72") matches only itself. A pattern starts with '_': X = 0-9,
 *             Z = 1-9, N = 2-9 (either case), [...] one character of a set ("[1-468]" = 1,2,3,4,6,8),
 *             '.' one or more characters of ANY kind, '!' zero or more; any other character is itself.
 *             Asterisk ignores '-' outside [...] in extensions, patterns and numbers ("_NXX-XXXX" is
 *             "_NXXXXXX"); the matcher and the ordering do too.
 * Precedence  Within ONE context Asterisk keeps the extensions sorted by ext_cmp() and runs the first that
 *             matches the number (pbx_find_extension() with the default extenpatternmatchnew=no; the trie
 *             matcher that =yes selects is not modelled):
 *             1. every literal extension comes before every pattern ("911" beats "_9XX");
 *             2. patterns are compared position by position, and the first position that differs decides:
 *                the one that accepts fewer characters wins (a digit 1 < N 8 < Z 9 < X 10, "[1-3]" 3);
 *             3. equal counts: the lower lowest character wins ("[0-4]" before "[4-8]"), then the set read as
 *                an ASCII string ("[12]" before "[13]");
 *             4. '.' comes after any set, '!' after '.', and the end of a pattern after '!' (so "_9!" beats
 *                "_9" for "9").
 *             Patterns that compare equal ("_N" and "_[2-9]", "_x" and "_X") are ONE extension to Asterisk:
 *             a second "exten => _[2-9],1,..." next to "_N" is refused as a duplicate priority.
 * Includes    Only when no extension of the context itself matches does Asterisk try the context's switches,
 *             then its includes in the order they were written, depth first: the first included context with
 *             any match wins, however specific another context's pattern is. Nothing here models that: the
 *             route layer gives each route its own context and includes them in route order, so route order
 *             decides between routes and dialpattern_best only within one route. Asterisk also falls through
 *             to the next matching extension when the chosen one lacks the priority it looks for, so every
 *             route's extension must run to a Hangup().
 * Caution     '.' and '!' match letters and punctuation too (README-SERIOUSLY.bestpractices: "500&PJSIP/x"
 *             matches "_X."): this module says which route a number takes, it does not make ${EXTEN} safe to
 *             hand to Dial(); the dialplan must FILTER() it.
 *
 * What Centralita accepts (dialpattern_check) is a strict subset of what Asterisk reads, so that nothing typed
 * can reach extensions.conf as anything but a pattern: see DIALPATTERN_MAX_LEN and the enum below. */
#ifndef PBX_DIALPATTERN_H
#define PBX_DIALPATTERN_H
#include <stdbool.h>
#include <stddef.h>

/* Longest pattern or number accepted, in characters: Asterisk's AST_MAX_EXTENSION (80) less its NUL. A
 * channel's dialed extension is kept in that many bytes, so a longer literal could never be dialed. */
#define DIALPATTERN_MAX_LEN 79

/* Why a pattern or number is refused. Centralita accepts:
 *   literal  1 to 79 of: digits, '*', '#', and '+' as the first character only (also the rule for numbers);
 *   pattern  '_' then 1 to 78 of: digits, '*', '#', X Z N (either case, as Asterisk), '+' first only, sets,
 *            and '.' or '!' as the last character after at least one other;
 *   set      '[' then digits, '*', '#' or ranges "d-d" of two digits, low <= high, then ']'.
 * Nothing else: no '-' (Asterisk would silently drop it), no spaces (ext_strncpy() drops them), no letters,
 * no ',' (ends the extension in an "exten =>" line), '$' (pbx_config substitutes ${...} and $[...] in
 * extension names when it loads them), '/' (starts a caller ID match), ';' (a comment), '\' (an escape),
 * '(' ')' '{' '}' '&' '|' quotes, control characters or non-ASCII. */
enum dialpattern_problem {
	DIALPATTERN_OK = 0,
	DIALPATTERN_EMPTY,             /* "" or "_" alone */
	DIALPATTERN_TOO_LONG,          /* more than DIALPATTERN_MAX_LEN characters */
	DIALPATTERN_BAD_CHAR,          /* a character that has no place in a dial pattern */
	DIALPATTERN_NEEDS_UNDERSCORE,  /* X Z N [ ] . ! in a literal: patterns start with '_' */
	DIALPATTERN_PLUS_NOT_FIRST,    /* '+' after the first position */
	DIALPATTERN_UNCLOSED_SET,      /* '[' without ']' */
	DIALPATTERN_STRAY_BRACKET,     /* ']' without '[' */
	DIALPATTERN_BAD_SET,           /* "[]", a reversed range "[5-1]", a misplaced '-', X Z N . ! + [ in a set */
	DIALPATTERN_WILDCARD_NOT_LAST, /* '.' or '!' before the end: Asterisk would ignore what follows */
	DIALPATTERN_WILDCARD_ONLY,     /* "_." or "_!": matches anything, even "h" and "i" (pbx_config warns) */
};

/* Checks a user-typed dial pattern (literal or '_' pattern). Returns DIALPATTERN_OK, or the problem with an
 * English sentence in err (if err and errlen) saying what is wrong at which character (counted from 1),
 * e.g. "character 3 (',') is not allowed". NULL counts as empty. */
enum dialpattern_problem dialpattern_check(const char *pattern, char *err, size_t errlen);
/* Checks a number as a phone dials it (what the route tester takes): the literal rule above. */
enum dialpattern_problem dialpattern_check_number(const char *number, char *err, size_t errlen);
/* The form's message key: NULL for DIALPATTERN_OK, else "pattern_empty", "pattern_too_long", "pattern_bad_char",
 * "pattern_needs_underscore", "pattern_plus_not_first", "pattern_unclosed_set", "pattern_stray_bracket",
 * "pattern_bad_set", "pattern_wildcard_not_last", "pattern_wildcard_only". */
const char *dialpattern_problem_key(enum dialpattern_problem p);

/* Whether number matches pattern as ast_extension_match(pattern, number) says, i.e. pbx_find_extension()'s
 * E_MATCH: a complete match, not a prefix ("_9." does not match "9", "_9!" does). Works on any strings, checked
 * or not, with Asterisk's quirks (ignored '-', a number starting with '_' also compared as a pattern);
 * NULL counts as "". */
bool dialpattern_match(const char *pattern, const char *number);

/* Asterisk's order of two extensions in one context (ext_cmp(), as ast_extension_cmp() returns it): -1 if a
 * comes first (wins when both match), 1 if b does, 0 if Asterisk takes them for the same extension. Sorting
 * with it gives the order "dialplan show" lists a context in. NULL counts as "". */
int dialpattern_cmp(const char *a, const char *b);

/* Index of the pattern Asterisk runs for number when patterns[0..n) all live in one context: the first in
 * dialpattern_cmp order among those that match (of equal ones, the lowest index, the one Asterisk keeps when
 * the lines are written in index order); -1 if none matches. NULL entries are skipped. n <= INT_MAX.
 * Exact for checked patterns. (Unchecked ones can differ: Asterisk's ordering skips an empty set or a reversed
 * range that its matcher does not, so it merges "_4[9-8]N" and "_4N" into one extension that matches nothing.) */
int dialpattern_best(const char *const *patterns, size_t n, const char *number);

#endif
