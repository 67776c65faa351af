/* Unit tests: urlencoded parser (decoding, limits, malformed input, duplicates) and every validator. */
#include <check.h>

#include "support/check_run.h"
#include <stdlib.h>
#include <string.h>

#include "web/form.h"

START_TEST(decodes_percent_and_plus)
{
	struct form_pairs p;
	const char *body = "name=Jos%C3%A9+P%C3%A9rez&empty=&flag&x=a%2Bb%26c%3Dd";
	ck_assert_int_eq(form_parse(body, strlen(body), &p), FORM_OK);
	ck_assert_uint_eq(p.count, 4);
	ck_assert_str_eq(form_pairs_get(&p, "name"), "José Pérez");
	ck_assert_str_eq(form_pairs_get(&p, "empty"), "");
	ck_assert_str_eq(form_pairs_get(&p, "flag"), "");
	ck_assert_str_eq(form_pairs_get(&p, "x"), "a+b&c=d");
	ck_assert_ptr_null(form_pairs_get(&p, "missing"));
	form_pairs_free(&p);
}
END_TEST

START_TEST(skips_empty_pieces_and_keeps_length_with_nul)
{
	struct form_pairs p;
	const char *body = "&&a=1&&b=x%00y&";
	ck_assert_int_eq(form_parse(body, strlen(body), &p), FORM_OK);
	ck_assert_uint_eq(p.count, 2);
	ck_assert_uint_eq(p.items[1].value_len, 3);
	ck_assert_int_eq(p.items[1].value[1], '\0');
	form_pairs_free(&p);
}
END_TEST

START_TEST(rejects_malformed_escapes)
{
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%4g", "a%=1", "x=1&b=%%41" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct form_pairs p;
		ck_assert_msg(form_parse(bad[i], strlen(bad[i]), &p) == FORM_BAD_ESCAPE, "accepted %s", bad[i]);
		ck_assert_uint_eq(p.count, 0);
		form_pairs_free(&p);
	}
}
END_TEST

START_TEST(rejects_bad_names)
{
	static const char *const bad[] = { "=1", "a.b=1", "a%0Ab=1", "a%00=1", "Form.x=1", "a b=1", "%3Cx%3E=1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct form_pairs p;
		ck_assert_msg(form_parse(bad[i], strlen(bad[i]), &p) == FORM_BAD_NAME, "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(enforces_limits)
{
	struct form_pairs p;
	struct buf { char data[200000]; } *b = malloc(sizeof *b);
	/* 65 fields */
	b->data[0] = '\0';
	for (int i = 0; i < FORM_MAX_FIELDS + 1; i++)
		strcat(b->data, "f=1&");
	ck_assert_int_eq(form_parse(b->data, strlen(b->data), &p), FORM_TOO_MANY_FIELDS);
	/* exactly 64 fields is fine */
	b->data[0] = '\0';
	for (int i = 0; i < FORM_MAX_FIELDS; i++)
		strcat(b->data, "f=1&");
	ck_assert_int_eq(form_parse(b->data, strlen(b->data), &p), FORM_OK);
	form_pairs_free(&p);
	/* value of FORM_MAX_VALUE + 1 bytes */
	strcpy(b->data, "v=");
	memset(b->data + 2, 'x', FORM_MAX_VALUE + 1);
	b->data[2 + FORM_MAX_VALUE + 1] = '\0';
	ck_assert_int_eq(form_parse(b->data, strlen(b->data), &p), FORM_VALUE_TOO_LONG);
	/* exactly FORM_MAX_VALUE bytes, some percent-encoded */
	strcpy(b->data, "v=%41");
	memset(b->data + 5, 'x', FORM_MAX_VALUE - 1);
	b->data[5 + FORM_MAX_VALUE - 1] = '\0';
	ck_assert_int_eq(form_parse(b->data, strlen(b->data), &p), FORM_OK);
	ck_assert_uint_eq(p.items[0].value_len, FORM_MAX_VALUE);
	form_pairs_free(&p);
	/* name too long */
	memset(b->data, 'n', FORM_MAX_NAME + 1);
	strcpy(b->data + FORM_MAX_NAME + 1, "=1");
	ck_assert_int_eq(form_parse(b->data, strlen(b->data), &p), FORM_NAME_TOO_LONG);
	free(b);
}
END_TEST

static const struct form_field fields[] = {
	{ "name", form_v_text, true, 1, 5, NULL },
	{ "role", form_v_choice, true, 0, 0, "owner|integrator" },
	{ "pin", form_v_digits, false, 4, 6, NULL },
	{ "count", form_v_int, false, 1, 100, NULL },
	{ "pw", form_v_password, false, 3, 10, NULL },
	{ "day", form_v_date, false, 0, 0, NULL },
};
static const struct form_def def = FORM_DEF("t", fields);

static struct form_result validate(const char *body)
{
	struct form_pairs p;
	ck_assert_int_eq(form_parse(body, strlen(body), &p), FORM_OK);
	struct form_result r;
	form_validate(&def, &p, &r);
	form_pairs_free(&p);
	return r;
}

static void expect_error(const char *body, const char *field, const char *want)
{
	struct form_result r = validate(body);
	const char *got = form_error(&r, field);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: field %s: want %s, got %s", body, field, want,
		      got ? got : "(none)");
	form_result_free(&r);
}

START_TEST(valid_form_passes_and_normalises)
{
	struct form_result r = validate("name=+%C3%91and%C3%BA+&role=owner&pin=0123&count=007&pw=a+b+c");
	ck_assert_uint_eq(r.error_count, 0);
	ck_assert_str_eq(form_value(&r, "name"), "Ñandú");
	ck_assert_str_eq(form_value(&r, "count"), "7");
	ck_assert_str_eq(form_value(&r, "pw"), "a b c");
	ck_assert_str_eq(form_value(&r, "unknown"), "");
	form_result_free(&r);
}
END_TEST

START_TEST(each_validator_refuses)
{
	expect_error("role=owner", "name", "required");
	expect_error("name=+++&role=owner", "name", "required");
	expect_error("name=abcdef&role=owner", "name", "too_long");
	expect_error("name=%C3%B1%C3%B1%C3%B1%C3%B1%C3%B1%C3%B1&role=owner", "name", "too_long");
	expect_error("name=a%0Db&role=owner", "name", "control_chars");
	expect_error("name=a%0Ab&role=owner", "name", "control_chars");
	expect_error("name=a%00b&role=owner", "name", "control_chars");
	expect_error("name=a%7Fb&role=owner", "name", "control_chars");
	expect_error("name=a%C2%85&role=owner", "name", "control_chars");
	expect_error("name=%C3%28&role=owner", "name", "bad_utf8");
	expect_error("name=%C0%AF&role=owner", "name", "bad_utf8");          /* overlong '/' */
	expect_error("name=%ED%A0%80&role=owner", "name", "bad_utf8");       /* surrogate */
	expect_error("name=a&role=admin", "role", "invalid_choice");
	expect_error("name=a&role=owner%7Cintegrator", "role", "invalid_choice");
	expect_error("name=a&role=own", "role", "invalid_choice");
	expect_error("name=a&role=owner&pin=12a4", "pin", "digits_only");
	expect_error("name=a&role=owner&pin=123", "pin", "too_short");
	expect_error("name=a&role=owner&pin=1234567", "pin", "too_long");
	expect_error("name=a&role=owner&count=0", "count", "out_of_range");
	expect_error("name=a&role=owner&count=101", "count", "out_of_range");
	expect_error("name=a&role=owner&count=-1", "count", "not_a_number");
	expect_error("name=a&role=owner&count=1e3", "count", "not_a_number");
	expect_error("name=a&role=owner&pw=ab", "pw", "too_short");
	expect_error("name=a&role=owner&pw=a%0Abc", "pw", "control_chars");
	expect_error("name=a&role=owner&day=2025-02-29", "day", "bad_date");   /* not a leap year */
	expect_error("name=a&role=owner&day=2100-02-29", "day", "bad_date");
	expect_error("name=a&role=owner&day=2025-04-31", "day", "bad_date");
	expect_error("name=a&role=owner&day=1970-06-01", "day", "bad_date");   /* before 1971 */
	expect_error("name=a&role=owner&day=2025-6-01", "day", "bad_date");
	expect_error("name=a&role=owner&day=2025-06-0x", "day", "bad_date");
	struct form_result r = validate("name=a&role=owner&day=2024-02-29");
	ck_assert_uint_eq(r.error_count, 0);
	/* Its local midnight, and the next day's: 24 hours apart away from a clock change. */
	ck_assert_int_eq(form_date_midnight("2024-06-10", 1) - form_date_midnight("2024-06-10", 0), 86400);
	form_result_free(&r);
}
END_TEST

START_TEST(duplicate_fields_are_refused)
{
	expect_error("name=a&name=b&role=owner", "name", "duplicate");
	struct form_pairs p;
	ck_assert_int_eq(form_parse("x=1&x=2", 7, &p), FORM_OK);
	ck_assert_ptr_null(form_pairs_get(&p, "x"));
	form_pairs_free(&p);
}
END_TEST

START_TEST(failed_field_keeps_user_value)
{
	struct form_result r = validate("name=abcdefgh&role=bad");
	ck_assert_uint_eq(r.error_count, 2);
	ck_assert_str_eq(form_value(&r, "name"), "abcdefgh");
	ck_assert_str_eq(form_value(&r, "role"), "bad");
	form_set_error(&r, "pin", "name_taken");
	ck_assert_uint_eq(r.error_count, 3);
	ck_assert_str_eq(form_error(&r, "pin"), "name_taken");
	form_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("form");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, decodes_percent_and_plus);
	tcase_add_test(tc, skips_empty_pieces_and_keeps_length_with_nul);
	tcase_add_test(tc, rejects_malformed_escapes);
	tcase_add_test(tc, rejects_bad_names);
	tcase_add_test(tc, enforces_limits);
	tcase_add_test(tc, valid_form_passes_and_normalises);
	tcase_add_test(tc, each_validator_refuses);
	tcase_add_test(tc, duplicate_fields_are_refused);
	tcase_add_test(tc, failed_field_keeps_user_value);
	suite_add_tcase(s, tc);
	return check_run(s);
}
