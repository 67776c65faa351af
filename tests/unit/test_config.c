/* Unit tests: the INI reader and the configuration table: values, defaults, and errors with line numbers. */
#include <check.h>

#include "support/check_run.h"
#include <stdlib.h>
#include <string.h>

#include "app/config.h"

static void expect_error(const char *text, const char *want)
{
	struct config cfg;
	char err[512] = "";
	config_defaults(&cfg);
	ck_assert_msg(config_load_string(&cfg, "t.conf", text, err, sizeof err) != 0, "accepted: %s", text);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
}

START_TEST(parses_values_and_keeps_defaults)
{
	struct config cfg;
	char err[512] = "";
	config_defaults(&cfg);
	const char *text = "; comment\n"
			   "[web]\n"
			   "threads = 8 ; trailing comment\n"
			   "socket=/tmp/x.sock\n"
			   "socket_mode = 0666\n"
			   "\n"
			   "[ami]\n"
			   "tls = no\n"
			   "secret = a\\;b\n"
			   "auth => plain\n"
			   "[database]\r\n"
			   "path = /tmp/c.db\r\n";
	ck_assert_msg(config_load_string(&cfg, "t.conf", text, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(cfg.web_threads, 8);
	ck_assert_str_eq(cfg.web_socket, "/tmp/x.sock");
	ck_assert_int_eq(cfg.web_socket_mode, 0666);
	ck_assert(!cfg.ami_tls);
	ck_assert_str_eq(cfg.ami_secret, "a;b");
	ck_assert_str_eq(cfg.ami_auth, "plain");
	ck_assert_str_eq(cfg.db_path, "/tmp/c.db");
	ck_assert_int_eq(cfg.ami_pool_size, 4);       /* default kept */
	ck_assert_str_eq(cfg.web_language, "en");
}
END_TEST

START_TEST(errors_name_file_and_line)
{
	expect_error("[web]\nthreads = 4\n[bogus]\n", "t.conf:3: unknown section [bogus]");
	expect_error("[web]\n\nthreadz = 4\n", "t.conf:3: unknown key 'threadz' in [web]");
	expect_error("[web]\nthreads = 0\n", "t.conf:2: threads: '0' is not a number from 1 to 64");
	expect_error("[web]\nthreads = 4x\n", "t.conf:2: threads");
	expect_error("[web]\nthreads = 99999999999999999999\n", "t.conf:2: threads");
	expect_error("[ami]\ntls = maybe\n", "t.conf:2: tls: 'maybe' is not yes or no");
	expect_error("[ami]\nauth = sha1\n", "t.conf:2: auth: 'sha1' is not one of plain|md5");
	expect_error("threads = 4\n", "t.conf:1: key outside of any [section]");
	expect_error("[web\n", "t.conf:1: malformed section header");
	expect_error("[web]\njust words\n", "t.conf:2: expected 'key = value'");
	expect_error("[web]\n = 3\n", "t.conf:2: missing key");
	expect_error("[web]\nsocket_mode = 0999\n", "t.conf:2: socket_mode");
	expect_error("[web]\nsession_idle = 7200\nsession_lifetime = 3600\n", "session_idle must not exceed");
	expect_error("[ami]\nsecret = a\x01z\n", "t.conf:2: secret: control character");
}
END_TEST

START_TEST(overlong_values_are_refused)
{
	char text[2000] = "[ami]\nusername = ";
	memset(text + strlen(text), 'u', 300);
	strcat(text, "\n");
	expect_error(text, "t.conf:2: username: value too long");
}
END_TEST

START_TEST(missing_file_is_reported)
{
	struct config cfg;
	char err[512] = "";
	config_defaults(&cfg);
	ck_assert_int_ne(config_load(&cfg, "/nonexistent/centralita.conf", err, sizeof err), 0);
	ck_assert_msg(strstr(err, "/nonexistent/centralita.conf") && strstr(err, "No such file"), "%s", err);
}
END_TEST

START_TEST(sample_config_loads)
{
	struct config cfg;
	char err[512] = "";
	config_defaults(&cfg);
	ck_assert_msg(config_load(&cfg, "etc/centralita.conf.sample", err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(cfg.ami_username, "centralita");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parses_values_and_keeps_defaults);
	tcase_add_test(tc, errors_name_file_and_line);
	tcase_add_test(tc, overlong_values_are_refused);
	tcase_add_test(tc, missing_file_is_reported);
	tcase_add_test(tc, sample_config_loads);
	suite_add_tcase(s, tc);
	return check_run(s);
}
