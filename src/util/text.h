/* text: character helpers shared by the parsers (forms, MAC addresses), and the ONE set of rules for user text
 * that travels to the PBX and the phones: the form validates with text_check() and the same rule table that
 * the applier and the provisioning renderer check again, so a value the form accepts is never refused later. */
#ifndef UTIL_TEXT_H
#define UTIL_TEXT_H
#include <stddef.h>

/* Value of a hexadecimal digit (either case), or -1. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* What a line of text must be. Every rule also demands well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF) without control characters (C0 including TAB/CR/LF, DEL, C1) and without U+FFFE and
 * U+FFFF (XML 1.0 refuses them; several provisioning formats are XML). */
struct text_rule {
	size_t min_chars;          /* characters (code points); 0 = may be empty */
	size_t max_chars;          /* 0 = no limit */
	size_t max_bytes;          /* UTF-8 bytes; 0 = no limit */
	const char *forbidden;     /* ASCII characters refused anywhere in the text, or NULL */
};

enum text_problem {
	TEXT_OK = 0,
	TEXT_BAD_UTF8,
	TEXT_CONTROL,
	TEXT_FORBIDDEN,
	TEXT_TOO_SHORT,
	TEXT_TOO_LONG,             /* more than max_chars characters */
	TEXT_TOO_MANY_BYTES,       /* within max_chars but more than max_bytes bytes (non-Latin scripts) */
};

/* Checks s[0..len) (a NUL inside counts as a control character) against r. On a problem, *at (if not NULL)
 * receives the byte offset it was found at (0 for length problems). */
enum text_problem text_check(const struct text_rule *r, const char *s, size_t len, size_t *at);
/* The form's message key for a problem: NULL for TEXT_OK, else "bad_utf8", "control_chars",
 * "forbidden_chars", "too_short", "too_long", "too_many_bytes". */
const char *text_problem_key(enum text_problem p);
/* A short English explanation for logs and applier messages. */
const char *text_problem_text(enum text_problem p);
/* Number of code points in well-formed UTF-8, or -1 if malformed. */
long text_utf8_chars(const char *s, size_t len);

/* What a phone shows in its display-name field (the provisioning renderer checks it): 1 to 64 characters and
 * at most 128 bytes, what the vendors' display-name fields hold. */
extern const struct text_rule text_rule_display_name;
/* The name of a phone's user, as the phone form accepts it: shown by the phone (the display-name rule) and
 * carried in Asterisk's caller ID ("name" <201>, which the applier writes), so also none of " \ < >: they
 * would end the name early in ast_callerid_parse(). At least as strict as text_rule_display_name. */
extern const struct text_rule text_rule_phone_name;

#endif
