/* Unit tests: the INI reader and the configuration table: values, defaults, and errors with line numbers;
 * the checks serve (and check-config) make of the values, named at their line; the sample's defaults. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/ami_options.h"
#include "app/config.h"
#include "app/pbx_settings.h"
#include "serve.h"
#include "util/file.h"

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
	expect_error("[web]\nsession_idle = 7200\nsession_lifetime = 3600\n",
		     "t.conf:2: [web] session_idle: 7200 must not exceed session_lifetime (3600)");
	expect_error("[asterisk]\nextension_max = 50\n", "t.conf: [asterisk] extension_min: 100 must not exceed");
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

/* A minimal file serve accepts: the one required key, and the repository's template directories (the unit
 * tests run from the repository's root). */
#define SERVABLE "[web]\ntemplates = templates\n[provisioning]\ntemplates = provisioning\nserver = 192.0.2.10\n"

/* Loads text (which must parse), then runs what serve checks; returns serve_prepare's result and its error. */
static int serve_check(const char *text, char *err, size_t errlen)
{
	struct config cfg;
	config_defaults(&cfg);
	ck_assert_msg(config_load_string(&cfg, "t.conf", text, err, errlen) == 0, "%s", err);
	struct serve_setup setup;
	err[0] = '\0';
	int rc = serve_prepare(&cfg, &setup, err, errlen);
	if (rc == 0)
		serve_setup_free(&setup);
	return rc;
}

static void expect_refused(const char *text, const char *want)
{
	char err[1024];
	ck_assert_msg(serve_check(text, err, sizeof err) != 0, "serve would start with:\n%s", text);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
}

START_TEST(values_are_located_at_their_line)
{
	struct config cfg;
	char err[512] = "";
	config_defaults(&cfg);
	/* Comments, blank lines, CRLF, an escaped ';' and a key set twice (the last one counts). */
	const char *text = "; header\r\n"
			   "\r\n"
			   "[asterisk] ; section comment\r\n"
			   "   ; indented comment\n"
			   "\t\n"
			   "context = a\\;b ; 'a;b'\n"
			   "codecs = ulaw\n"
			   "codecs = ulaw,g 729\n";
	ck_assert_msg(config_load_string(&cfg, "t.conf", text, err, sizeof err) == 0, "%s", err);
	struct pbx_settings s;
	ck_assert_int_ne(config_pbx_settings(&cfg, &s, err, sizeof err), 0);
	ck_assert_str_eq(err, "t.conf:6: [asterisk] context: 'a;b': letters, digits, '_' and '-' only");
	ck_assert_int_eq(config_fail(&cfg, "asterisk", "codecs", err, sizeof err, "x %d", 1), -1);
	ck_assert_str_eq(err, "t.conf:8: [asterisk] codecs: x 1");
	ck_assert_int_eq(config_fail(&cfg, "web", "threads", err, sizeof err, "default"), -1);
	ck_assert_str_eq(err, "t.conf: [web] threads: default");
}
END_TEST

/* check-config used to accept what serve then refused without saying where (issue 8). */
START_TEST(serve_checks_name_the_line)
{
	char err[1024];
	ck_assert_msg(serve_check(SERVABLE, err, sizeof err) == 0, "%s", err);
	expect_refused(SERVABLE "[asterisk]\ncontext = from internal\n",
		       "t.conf:7: [asterisk] context: 'from internal': letters, digits, '_' and '-' only");
	expect_refused(SERVABLE "[asterisk]\ncodecs = ulaw,g.729\n",
		       "t.conf:7: [asterisk] codecs: 'g.729' is not a valid item");
	expect_refused(SERVABLE "[asterisk]\ncodecs = ,\n", "t.conf:7: [asterisk] codecs: at least one codec is needed");
	expect_refused(SERVABLE "[asterisk]\nreserved = 112,9x1\n",
		       "t.conf:7: [asterisk] reserved: '9x1' is not a valid item");
	expect_refused(SERVABLE "[ami]\nusername =\n", "t.conf:7: [ami] username: empty");
	expect_refused(SERVABLE "[ami]\nhost =\n", "t.conf:7: [ami] host: empty");
	expect_refused(SERVABLE "[ami]\nfingerprint = AB:CD\n", "t.conf:7: [ami] fingerprint: ");
	expect_refused(SERVABLE "[ami]\ncafile = /nonexistent/ca.pem\n", "t.conf:7: [ami] cafile: TLS: cannot load CA file");
	expect_refused(SERVABLE "[web]\ntemplates = /nonexistent\n", "t.conf:7: [web] templates: ");
	expect_refused(SERVABLE "[provisioning]\ntemplates = /nonexistent\n", "t.conf:7: [provisioning] templates: ");
	/* The renderer's own rule for what goes into the phones' files, found at start-up rather than phone by
	 * phone ("needs attention"). */
	expect_refused(SERVABLE "[provisioning]\nserver = pbx.example.com:5060\n",
		       "t.conf:7: [provisioning] server: 'pbx.example.com:5060': server must be a host name");
	/* A plain TCP PBX needs no TLS files; a fingerprint is not read then. */
	ck_assert_msg(serve_check(SERVABLE "[ami]\ntls = no\nfingerprint = junk\n", err, sizeof err) == 0, "%s", err);
}
END_TEST

/* [provisioning] server used to fall back to [ami] host, 127.0.0.1 when Asterisk is local: every phone told to
 * register with itself. It is required now, and the message says where to put it. */
START_TEST(provisioning_server_is_required)
{
	expect_refused("[web]\ntemplates = templates\n[provisioning]\ntemplates = provisioning\n",
		       "t.conf: [provisioning] server: not set: give the address phones register with");
	expect_refused("[web]\ntemplates = templates\n[provisioning]\ntemplates = provisioning\nserver =\n",
		       "t.conf:5: [provisioning] server: not set");
	struct config cfg;
	struct pbx_settings s;
	char err[512];
	config_defaults(&cfg);
	ck_assert_int_ne(config_pbx_settings(&cfg, &s, err, sizeof err), 0);
	ck_assert_msg(strstr(err, "[provisioning] server: not set") != NULL, "%s", err);
	ck_assert_int_eq(config_load_string(&cfg, "t.conf", "[provisioning]\nserver = pbx.example.com\n", err,
					    sizeof err), 0);
	ck_assert_int_eq(config_pbx_settings(&cfg, &s, err, sizeof err), 0);
	ck_assert_str_eq(s.prov_server, "pbx.example.com");
}
END_TEST

/* The defaults alone (plus the required server) make usable AMI options: the default user name is the one
 * the sample and the README document, not empty. */
START_TEST(default_ami_options_are_usable)
{
	struct config cfg;
	struct ami_options o;
	char err[512] = "";
	config_defaults(&cfg);
	ck_assert_msg(config_ami_options(&cfg, &o, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(o.username, "centralita");
}
END_TEST

/* Cuts a sample line at its comment and trims it, as the INI reader does (the sample has no "\;"). */
static char *sample_trim(char *s)
{
	char *semi = strchr(s, ';');
	if (semi)
		*semi = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/* The sample documents every key with its default: each value it shows is the code's default, each key of the
 * table is in it, and a key shown only commented out (an example: cafile, fingerprint) defaults to empty. */
START_TEST(sample_documents_the_code_defaults)
{
	size_t len;
	char *text = file_read_all("etc/centralita.conf.sample", 1 << 20, &len);
	ck_assert_ptr_nonnull(text);
	struct config def;
	config_defaults(&def);
	char seen[CONFIG_MAX_KEYS] = { 0 };
	char section[64] = "", problems[4096] = "";
	size_t np = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		bool commented = line[0] == ';';
		char *s = commented ? line + 1 : line;
		if (*s == '[') {
			snprintf(section, sizeof section, "%.*s", (int)strcspn(s + 1, "]"), s + 1);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq || !*section || (commented && (eq - s) > 20))
			continue; /* prose, not a commented-out key */
		*eq = '\0';
		char *key = sample_trim(s), *value = sample_trim(eq + 1);
		if (!*key || strchr(key, ' '))
			continue;
		const char *sec;
		size_t i = 0;
		for (const char *k; (k = config_key_at(i, &sec)) != NULL; i++)
			if (strcmp(k, key) == 0 && strcmp(sec, section) == 0)
				break;
		if (!config_key_at(i, &sec)) {
			np += (size_t)snprintf(problems + np, sizeof problems - np, "[%s] %s: not a key\n", section, key);
			continue;
		}
		seen[i] = 1;
		char want[CONFIG_PATH_MAX];
		ck_assert_int_eq(config_get(&def, section, key, want, sizeof want), 0);
		if (commented ? *want != '\0' : strcmp(want, value) != 0)
			np += (size_t)snprintf(problems + np, sizeof problems - np,
					       "[%s] %s: the sample says '%s', the code's default is '%s'\n", section, key,
					       commented ? "(commented out: none)" : value, want);
	}
	const char *sec;
	for (size_t i = 0; config_key_at(i, &sec); i++)
		if (!seen[i])
			np += (size_t)snprintf(problems + np, sizeof problems - np, "[%s] %s: not in the sample\n", sec,
					       config_key_at(i, NULL));
	free(text);
	ck_assert_msg(np == 0, "%s", problems);
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
	tcase_add_test(tc, values_are_located_at_their_line);
	tcase_add_test(tc, serve_checks_name_the_line);
	tcase_add_test(tc, provisioning_server_is_required);
	tcase_add_test(tc, default_ami_options_are_usable);
	tcase_add_test(tc, sample_documents_the_code_defaults);
	suite_add_tcase(s, tc);
	return check_run(s);
}
