/* Unit tests: scrypt against RFC 7914, password hashes, tokens, constant-time comparison, cookie names, the
 * address keys login throttling counts under. */
#include <check.h>

#include "support/check_run.h"
#include <stdlib.h>
#include <string.h>

#include "web/auth.h"

START_TEST(scrypt_matches_rfc7914_vectors)
{
	/* RFC 7914 section 12, second and third vectors. */
	unsigned char out[64];
	char hex[129];
	ck_assert_int_eq(auth_scrypt("password", 8, (const unsigned char *)"NaCl", 4, 1024, 8, 16, out, 64), 0);
	auth_hex(out, 64, hex);
	ck_assert_str_eq(hex, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
			      "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
	ck_assert_int_eq(auth_scrypt("pleaseletmein", 13, (const unsigned char *)"SodiumChloride", 14, 16384, 8, 1,
				     out, 64),
			 0);
	auth_hex(out, 64, hex);
	ck_assert_str_eq(hex, "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
			      "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}
END_TEST

START_TEST(password_hash_round_trip)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];
	ck_assert_int_eq(auth_hash_password("correct horse", h1), 0);
	ck_assert_int_eq(auth_hash_password("correct horse", h2), 0);
	ck_assert_msg(strncmp(h1, "scrypt$15$8$1$", 14) == 0, "%s", h1);
	ck_assert_str_ne(h1, h2); /* per-user salt */
	ck_assert(auth_verify_password("correct horse", h1));
	ck_assert(!auth_verify_password("correct horsE", h1));
	ck_assert(!auth_verify_password("", h1));
	ck_assert(!auth_verify_password("correct horse", "plain-text"));
	ck_assert(!auth_verify_password("correct horse", "scrypt$15$8$1$zz$00"));
	ck_assert(!auth_verify_password("x", auth_dummy_hash()));
}
END_TEST

START_TEST(tokens_are_random_hex)
{
	char a[AUTH_TOKEN_HEX + 1], b[AUTH_TOKEN_HEX + 1];
	ck_assert_int_eq(auth_random_token(a), 0);
	ck_assert_int_eq(auth_random_token(b), 0);
	ck_assert_uint_eq(strlen(a), 64);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 64);
	ck_assert_str_ne(a, b);
	char pw[21];
	ck_assert_int_eq(auth_random_password(pw, sizeof pw), 0);
	ck_assert_uint_eq(strlen(pw), 20);
	ck_assert_uint_eq(strspn(pw, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"), 20);
}
END_TEST

START_TEST(equal_compares_whole_strings)
{
	ck_assert(auth_equal("abc", "abc"));
	ck_assert(!auth_equal("abc", "abd"));
	ck_assert(!auth_equal("abc", "ab"));
	ck_assert(!auth_equal("", "a"));
}
END_TEST

START_TEST(cookies_are_host_prefixed_only_over_https)
{
	ck_assert_str_eq(auth_session_cookie(true), "__Host-centralita_session");
	ck_assert_str_eq(auth_login_csrf_cookie(true), "__Host-centralita_login_csrf");
	ck_assert_str_eq(auth_session_cookie(false), "centralita_session");
	ck_assert_str_eq(auth_login_csrf_cookie(false), "centralita_login_csrf");
}
END_TEST

static const char *key(const char *address)
{
	static char out[AUTH_ADDRESS_KEY_MAX];
	auth_throttle_address(address, out);
	return out;
}

START_TEST(throttle_address_counts_ipv6_by_its_64)
{
	ck_assert_str_eq(key("192.0.2.7"), "192.0.2.7");
	ck_assert_str_eq(key("::ffff:192.0.2.7"), "192.0.2.7");            /* the same client either way */
	ck_assert_str_eq(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
	ck_assert_str_eq(key("2001:0db8:0001:0002::1"), "2001:db8:1:2::/64"); /* one spelling per /64 */
	ck_assert_str_eq(key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
	ck_assert_str_eq(key("::1"), "::/64");
	ck_assert_str_eq(key("unknown"), "unknown");
	ck_assert_str_eq(key(NULL), "");
	char longer[200];
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	ck_assert_uint_eq(strlen(key(longer)), AUTH_ADDRESS_KEY_MAX - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, scrypt_matches_rfc7914_vectors);
	tcase_add_test(tc, password_hash_round_trip);
	tcase_add_test(tc, tokens_are_random_hex);
	tcase_add_test(tc, equal_compares_whole_strings);
	tcase_add_test(tc, cookies_are_host_prefixed_only_over_https);
	tcase_add_test(tc, throttle_address_counts_ipv6_by_its_64);
	suite_add_tcase(s, tc);
	return check_run(s);
}
