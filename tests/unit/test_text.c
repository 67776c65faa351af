/* Unit tests: util/text, the one rule set for user text bound for the PBX and the phones (the phone form, the
 * applier and the provisioning renderer all check with it), and its UTF-8 decoder. */
#include <check.h>

#include "support/check_run.h"
#include <string.h>

#include "util/text.h"

static enum text_problem check(const struct text_rule *r, const char *s)
{
	return text_check(r, s, strlen(s), NULL);
}

START_TEST(utf8_chars_counts_code_points)
{
	ck_assert_int_eq(text_utf8_chars("abc", 3), 3);
	ck_assert_int_eq(text_utf8_chars("Zoë", 4), 3);
	ck_assert_int_eq(text_utf8_chars("\xF0\x9F\x93\x9E", 4), 1);
	ck_assert_int_eq(text_utf8_chars("\xF4\x90\x80\x80", 4), -1); /* > U+10FFFF */
	ck_assert_int_eq(text_utf8_chars("\xE2\x82", 2), -1);         /* truncated */
	ck_assert_int_eq(text_utf8_chars("\xC0\xAF", 2), -1);         /* overlong '/' */
	ck_assert_int_eq(text_utf8_chars("\xED\xA0\x80", 3), -1);     /* surrogate */
}
END_TEST

START_TEST(controls_and_xml_non_characters_are_refused)
{
	const struct text_rule any = { 0, 0, 0, NULL };
	size_t at = 99;
	ck_assert_int_eq(text_check(&any, "ab\tc", 4, &at), TEXT_CONTROL);
	ck_assert_uint_eq(at, 2);
	ck_assert_int_eq(text_check(&any, "a\0b", 3, NULL), TEXT_CONTROL);
	ck_assert_int_eq(check(&any, "a\x7f"), TEXT_CONTROL);
	ck_assert_int_eq(check(&any, "a\xC2\x85"), TEXT_CONTROL);       /* NEL, a C1 control */
	ck_assert_int_eq(check(&any, "a\xEF\xBF\xBE"), TEXT_CONTROL);   /* U+FFFE: XML refuses it */
	ck_assert_int_eq(check(&any, "a\xEF\xBF\xBF"), TEXT_CONTROL);   /* U+FFFF */
	ck_assert_int_eq(check(&any, "\xC3\x28"), TEXT_BAD_UTF8);
	ck_assert_int_eq(check(&any, "Zoë \xF0\x9F\x93\x9E"), TEXT_OK);
	ck_assert_int_eq(check(&any, ""), TEXT_OK);
}
END_TEST

START_TEST(phone_name_rule)
{
	const struct text_rule *r = &text_rule_phone_name;
	ck_assert_int_eq(check(r, "Ventas; Recepción"), TEXT_OK);   /* ';' is fine: Asterisk escapes it */
	ck_assert_int_eq(check(r, ""), TEXT_TOO_SHORT);
	char s[400];
	memset(s, 'a', 64);
	s[64] = '\0';
	ck_assert_int_eq(check(r, s), TEXT_OK);
	s[64] = 'a';
	s[65] = '\0';
	ck_assert_int_eq(check(r, s), TEXT_TOO_LONG);
	/* 22 x "東京": 44 characters but 132 bytes, more than a phone's display name holds. */
	s[0] = '\0';
	for (int i = 0; i < 22; i++)
		strcat(s, "東京");
	ck_assert_int_eq(check(r, s), TEXT_TOO_MANY_BYTES);
	s[126] = '\0';   /* 21 pairs = 126 bytes */
	ck_assert_int_eq(check(r, s), TEXT_OK);
	size_t at = 0;
	ck_assert_int_eq(text_check(r, "Bob \"B\"", 7, &at), TEXT_FORBIDDEN);
	ck_assert_uint_eq(at, 4);
	ck_assert_int_eq(check(r, "a <b>"), TEXT_FORBIDDEN);
	ck_assert_int_eq(check(r, "a\\b"), TEXT_FORBIDDEN);
}
END_TEST

/* The form's rule for a name must refuse everything the provisioning renderer refuses. */
START_TEST(phone_name_is_at_least_as_strict_as_display_name)
{
	const struct text_rule *form = &text_rule_phone_name, *shown = &text_rule_display_name;
	ck_assert_uint_ge(form->min_chars, shown->min_chars);
	ck_assert_uint_le(form->max_chars, shown->max_chars);
	ck_assert_uint_le(form->max_bytes, shown->max_bytes);
	for (const char *c = shown->forbidden ? shown->forbidden : ""; *c; c++)
		ck_assert_ptr_nonnull(strchr(form->forbidden, *c));
	ck_assert_int_eq(check(shown, "Bob \"B\" <x>"), TEXT_OK);
	ck_assert_int_eq(check(form, "Bob \"B\" <x>"), TEXT_FORBIDDEN);
}
END_TEST

START_TEST(problem_keys_and_texts)
{
	ck_assert_ptr_null(text_problem_key(TEXT_OK));
	ck_assert_str_eq(text_problem_key(TEXT_TOO_MANY_BYTES), "too_many_bytes");
	ck_assert_str_eq(text_problem_key(TEXT_FORBIDDEN), "forbidden_chars");
	ck_assert_str_eq(text_problem_key(TEXT_CONTROL), "control_chars");
	for (int p = TEXT_OK; p <= TEXT_TOO_MANY_BYTES; p++)
		ck_assert(*text_problem_text((enum text_problem)p));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, utf8_chars_counts_code_points);
	tcase_add_test(tc, controls_and_xml_non_characters_are_refused);
	tcase_add_test(tc, phone_name_rule);
	tcase_add_test(tc, phone_name_is_at_least_as_strict_as_display_name);
	tcase_add_test(tc, problem_keys_and_texts);
	suite_add_tcase(s, tc);
	return check_run(s);
}
