/* text: the UTF-8 decoder and the rule check behind every user text that reaches the PBX or a phone. */
#include "util/text.h"

#include <stdint.h>
#include <string.h>

const struct text_rule text_rule_display_name = { 1, 64, 128, NULL };
const struct text_rule text_rule_phone_name = { 1, 64, 128, "\"\\<>" };

/* Decodes one code point at p[0..len). Returns its length in bytes, or 0 if malformed. */
static size_t decode_one(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0];
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		*cp = c & 0x1F;
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		*cp = c & 0x0F;
		n = 3;
	} else if (c >= 0xF0 && c <= 0xF4) {
		*cp = c & 0x07;
		n = 4;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[k] & 0x3F);
	}
	static const uint32_t min_for_len[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (*cp < min_for_len[n] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
		return 0;
	return n;
}

long text_utf8_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	long chars = 0;
	for (size_t i = 0; i < len; chars++) {
		uint32_t cp;
		size_t n = decode_one(p + i, len - i, &cp);
		if (!n)
			return -1;
		i += n;
	}
	return chars;
}

enum text_problem text_check(const struct text_rule *r, const char *s, size_t len, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;
	if (at)
		*at = 0;
	for (size_t i = 0; i < len; chars++) {
		uint32_t cp;
		size_t n = decode_one(p + i, len - i, &cp);
		enum text_problem problem = TEXT_OK;
		if (!n)
			problem = TEXT_BAD_UTF8;
		else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF)
			problem = TEXT_CONTROL;
		else if (cp < 0x80 && r->forbidden && strchr(r->forbidden, (int)cp))
			problem = TEXT_FORBIDDEN;
		if (problem) {
			if (at)
				*at = i;
			return problem;
		}
		i += n;
	}
	if (chars < r->min_chars)
		return TEXT_TOO_SHORT;
	if (r->max_chars && chars > r->max_chars)
		return TEXT_TOO_LONG;
	if (r->max_bytes && len > r->max_bytes)
		return TEXT_TOO_MANY_BYTES;
	return TEXT_OK;
}

const char *text_problem_key(enum text_problem p)
{
	switch (p) {
	case TEXT_OK: return NULL;
	case TEXT_BAD_UTF8: return "bad_utf8";
	case TEXT_CONTROL: return "control_chars";
	case TEXT_FORBIDDEN: return "forbidden_chars";
	case TEXT_TOO_SHORT: return "too_short";
	case TEXT_TOO_LONG: return "too_long";
	case TEXT_TOO_MANY_BYTES: return "too_many_bytes";
	}
	return "bad_utf8";
}

const char *text_problem_text(enum text_problem p)
{
	switch (p) {
	case TEXT_OK: return "fine";
	case TEXT_BAD_UTF8: return "is not valid UTF-8";
	case TEXT_CONTROL: return "holds a control character";
	case TEXT_FORBIDDEN: return "holds a character that is not allowed";
	case TEXT_TOO_SHORT: return "is too short";
	case TEXT_TOO_LONG: return "is too long";
	case TEXT_TOO_MANY_BYTES: return "is too long in bytes";
	}
	return "is invalid";
}
