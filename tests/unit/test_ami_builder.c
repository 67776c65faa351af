/* Unit tests: the AMI message builder refuses every injection from ami.md (naming the field, never quoting the
 * value), enforces Asterisk's line and message limits, validates category/file/variable names, and the
 * UpdateConfig builder numbers actions contiguously and refuses what does not fit one request. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami.h"
#include "util/buf.h"

static void expect_refused(const char *key, const char *value, size_t vlen, const char *want)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ck_assert_int_eq(ami_msg_add(&m, "Action", "Ping"), 0);
	ck_assert_int_eq(ami_msg_add_len(&m, key, value, vlen), -1);
	ck_assert_msg(strstr(m.err, want) != NULL, "error '%s' lacks '%s'", m.err, want);
	ck_assert_uint_eq(m.n, 1);
	/* Sticky: later adds are ignored, and the message cannot be sent. */
	ck_assert_int_eq(ami_msg_add(&m, "Other", "fine"), -1);
	ck_assert_uint_eq(m.n, 1);
	struct buf out;
	buf_init(&out);
	char err[256];
	ck_assert_int_eq(ami_msg_serialize(&m, "id1", &out, err, sizeof err), -1);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
	ami_msg_free(&m);
}

START_TEST(value_injections_are_refused_naming_the_field)
{
	expect_refused("Secret", "abc\rdef", 7, "'Secret': value contains a carriage return");
	expect_refused("Secret", "abc\ndef", 7, "'Secret': value contains a line feed");
	expect_refused("Filename", "x.conf\r\n\r\nAction: Command\r\nCommand: core stop now", 48,
	               "'Filename': value contains a carriage return");
	expect_refused("Filename", "x.conf\n\nAction: Command\nCommand: core stop now", 44,
	               "'Filename': value contains a line feed");
	expect_refused("Variable", "a\0b", 3, "'Variable': value contains a NUL byte");
	/* The secret value never appears in the message. */
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Secret", "hunter2\r\nAction: Logoff");
	ck_assert_ptr_null(strstr(m.err, "hunter2"));
	ami_msg_free(&m);
}
END_TEST

START_TEST(key_characters_are_restricted)
{
	expect_refused("Bad Key", "v", 1, "'Bad...': character 4");
	expect_refused("Bad:Key", "v", 1, "character 4");
	expect_refused("Bad\r\nAction", "v", 1, "character 4");
	expect_refused("", "v", 1, "empty name");
	expect_refused("Ke\xc3\xa9", "v", 1, "character 3");
	struct ami_msg m;
	ami_msg_init(&m);
	ck_assert_int_eq(ami_msg_add(&m, "Action-000001", "x"), 0);
	ck_assert_int_eq(ami_msg_add(&m, "Cat_name", "x"), 0);
	ami_msg_free(&m);
}
END_TEST

START_TEST(line_length_limit)
{
	/* "X-Pad: " + value + CRLF: 1024 bytes is the most Asterisk accepts. */
	char v[1100];
	memset(v, 'a', sizeof v);
	size_t fits = 1024 - strlen("X-Pad: ") - 2;
	struct ami_msg m;
	ami_msg_init(&m);
	ck_assert_int_eq(ami_msg_add_len(&m, "X-Pad", v, fits), 0);
	ami_msg_free(&m);
	expect_refused("X-Pad", v, fits + 1, "'X-Pad': line is 1025 bytes, limit 1024");
}
END_TEST

START_TEST(message_line_limit)
{
	struct ami_msg m;
	ami_msg_init(&m);
	char k[32];
	ck_assert_int_eq(ami_msg_add(&m, "Action", "Ping"), 0);
	for (int i = 1; i < 127; i++) {
		snprintf(k, sizeof k, "X-%d", i);
		ck_assert_int_eq(ami_msg_add(&m, k, "v"), 0);
	}
	/* 127 lines + ActionID = 128: accepted. */
	struct buf out;
	buf_init(&out);
	char err[256];
	ck_assert_int_eq(ami_msg_serialize(&m, "id", &out, err, sizeof err), 0);
	buf_reset(&out);
	ck_assert_int_eq(ami_msg_add(&m, "X-127", "v"), 0);   /* 128 lines + ActionID = 129 */
	ck_assert_int_eq(ami_msg_serialize(&m, "id", &out, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "129 lines, limit 128"));
	ck_assert_int_eq(ami_msg_add(&m, "X-128", "v"), -1);    /* 129th header */
	ck_assert_ptr_nonnull(strstr(m.err, "'X-128': message would exceed 128 lines"));
	buf_free(&out);
	ami_msg_free(&m);
}
END_TEST

START_TEST(serialize_format_and_actionid)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Ping");
	ami_msg_add(&m, "X-Empty", "");
	struct buf out;
	buf_init(&out);
	char err[256];
	ck_assert_int_eq(ami_msg_serialize(&m, "ctl-1", &out, err, sizeof err), 0);
	ck_assert_str_eq(buf_cstr(&out), "Action: Ping\r\nX-Empty: \r\nActionID: ctl-1\r\n\r\n");
	/* A caller's own ActionID would break answer matching. */
	ami_msg_add(&m, "ActionID", "mine");
	buf_reset(&out);
	ck_assert_int_eq(ami_msg_serialize(&m, "ctl-2", &out, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "ActionID"));
	/* A header corrupted after adding (defence in depth) is caught at serialisation. */
	m.hdr[0].value[1] = '\n';
	buf_reset(&out);
	ck_assert_int_eq(ami_msg_serialize(&m, NULL, &out, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "'Action': value contains a line feed"));
	buf_free(&out);
	ami_msg_free(&m);
}
END_TEST

START_TEST(category_names)
{
	char err[200];
	const char *good[] = { "201", "201-auth", "transport-udp", "from-internal", "trunk.provider", "a_b@c" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(ami_category_name_check(good[i], err, sizeof err) == 0, "%s: %s", good[i], err);
	const char *forbidden = "[];()!+=\"\\,#";
	for (const char *c = forbidden; *c; c++) {
		char name[8];
		snprintf(name, sizeof name, "ab%cc", *c);
		ck_assert_msg(ami_category_name_check(name, err, sizeof err) == -1, "accepted %s", name);
		ck_assert_ptr_nonnull(strstr(err, "character 3"));
	}
	const char *bad[] = { "", "a b", "a\tb", "a\rb", "a\nb", "a\x7f", "caf\xc3\xa9", "x]\n[evil" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ami_category_name_check(bad[i], err, sizeof err) == -1, "accepted bad[%zu]", i);
	char longname[100];
	memset(longname, 'a', sizeof longname);
	longname[AMI_MAX_CATEGORY_LEN] = '\0';
	ck_assert_int_eq(ami_category_name_check(longname, err, sizeof err), 0);
	longname[AMI_MAX_CATEGORY_LEN] = 'a';
	longname[AMI_MAX_CATEGORY_LEN + 1] = '\0';
	ck_assert_int_eq(ami_category_name_check(longname, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "limit 79"));
}
END_TEST

START_TEST(file_and_variable_names)
{
	char err[200];
	ck_assert_int_eq(ami_filename_check("pjsip.conf", err, sizeof err), 0);
	ck_assert_int_eq(ami_filename_check("centralita_test.conf", err, sizeof err), 0);
	ck_assert_int_eq(ami_filename_check("../../../../etc/passwd", err, sizeof err), -1);
	ck_assert_int_eq(ami_filename_check("/etc/passwd", err, sizeof err), -1);
	ck_assert_int_eq(ami_filename_check(".hidden", err, sizeof err), -1);
	ck_assert_int_eq(ami_filename_check("", err, sizeof err), -1);
	ck_assert_int_eq(ami_varname_check("max_contacts", err, sizeof err), 0);
	ck_assert_int_eq(ami_varname_check("a=b", err, sizeof err), -1);
	ck_assert_int_eq(ami_varname_check("a b", err, sizeof err), -1);
	ck_assert_int_eq(ami_varname_check("[x]", err, sizeof err), -1);
	ck_assert_int_eq(ami_varname_check("", err, sizeof err), -1);
}
END_TEST

START_TEST(updateconfig_numbering_and_headers)
{
	struct ami_update u;
	ami_update_init(&u, "pjsip.conf");
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_NEWCAT, "201", NULL, NULL, NULL, -1, NULL, NULL), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_APPEND, "201", "type", "aor", NULL, -1, NULL, "type=aor"), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_UPDATE, "201", "allow", "g722", "alaw", -1, NULL, NULL), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_INSERT, "201", "disallow", "all", NULL, 0, NULL, NULL), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_DELETE, "201", "allow", NULL, "ulaw", -1, NULL, NULL), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_RENAMECAT, "tmp", NULL, "202", NULL, -1, NULL, NULL), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_EMPTYCAT, "202", NULL, NULL, NULL, -1, NULL, NULL), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_DELCAT, "202", NULL, NULL, NULL, -1, "allowdups", "type=aor"), 0);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_NEWCAT, "tpl", NULL, NULL, NULL, -1, "template", NULL), 0);
	struct ami_msg m;
	ami_msg_init(&m);
	char err[300];
	ck_assert_int_eq(ami_update_build(&u, &m, err, sizeof err), 0);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(ami_msg_serialize(&m, "u1", &out, err, sizeof err), 0);
	ck_assert_str_eq(buf_cstr(&out),
	                 "Action: UpdateConfig\r\nSrcFilename: pjsip.conf\r\nDstFilename: pjsip.conf\r\n"
	                 "Action-000000: NewCat\r\nCat-000000: 201\r\n"
	                 "Action-000001: Append\r\nCat-000001: 201\r\nVar-000001: type\r\nValue-000001: aor\r\n"
	                 "Options-000001: catfilter=\"type=aor\"\r\n"
	                 "Action-000002: Update\r\nCat-000002: 201\r\nVar-000002: allow\r\nValue-000002: g722\r\n"
	                 "Match-000002: alaw\r\n"
	                 "Action-000003: Insert\r\nCat-000003: 201\r\nVar-000003: disallow\r\nValue-000003: all\r\n"
	                 "Line-000003: 0\r\n"
	                 "Action-000004: Delete\r\nCat-000004: 201\r\nVar-000004: allow\r\nMatch-000004: ulaw\r\n"
	                 "Action-000005: RenameCat\r\nCat-000005: tmp\r\nValue-000005: 202\r\n"
	                 "Action-000006: EmptyCat\r\nCat-000006: 202\r\n"
	                 "Action-000007: DelCat\r\nCat-000007: 202\r\nOptions-000007: allowdups,catfilter=\"type=aor\"\r\n"
	                 "Action-000008: NewCat\r\nCat-000008: tpl\r\nOptions-000008: template\r\n"
	                 "ActionID: u1\r\n\r\n");
	ck_assert_ptr_null(strstr(buf_cstr(&out), "Reload"));   /* omitted unless asked (issue #551) */
	ami_msg_free(&m);
	ami_update_set_reload(&u, "res_pjsip.so");
	ck_assert_int_eq(ami_update_build(&u, &m, err, sizeof err), 0);
	ck_assert_str_eq(ami_msg_get(&m, "Reload"), "res_pjsip.so");
	buf_free(&out);
	ami_msg_free(&m);
	ami_update_free(&u);
}
END_TEST

static void expect_uc_refused(enum ami_uc_action a, const char *cat, const char *var, const char *value,
                              const char *match, long line, const char *opts, const char *filter, const char *want)
{
	struct ami_update u;
	ami_update_init(&u, "pjsip.conf");
	ck_assert_int_eq(ami_update_add(&u, a, cat, var, value, match, line, opts, filter), -1);
	ck_assert_msg(strstr(u.err, want) != NULL, "error '%s' lacks '%s'", u.err, want);
	struct ami_msg m;
	ami_msg_init(&m);
	char err[300];
	ck_assert_int_eq(ami_update_build(&u, &m, err, sizeof err), -1);
	ami_msg_free(&m);
	ami_update_free(&u);
}

START_TEST(updateconfig_refusals)
{
	expect_uc_refused(AMI_UC_NEWCAT, "a]\n[b", NULL, NULL, NULL, -1, NULL, NULL, "Cat-000000");
	expect_uc_refused(AMI_UC_NEWCAT, "a=b", NULL, NULL, NULL, -1, NULL, NULL, "character 2 '='");
	expect_uc_refused(AMI_UC_APPEND, "201", "x", "v\r\nAction: Command", NULL, -1, NULL, NULL,
	                  "'Value-000000': value contains a carriage return");
	expect_uc_refused(AMI_UC_APPEND, "201", "x", NULL, NULL, -1, NULL, NULL, "Var and Value are required");
	expect_uc_refused(AMI_UC_APPEND, "201", "x=y", "v", NULL, -1, NULL, NULL, "Var-000000");
	expect_uc_refused(AMI_UC_INSERT, "201", "x", "v", NULL, -1, NULL, NULL, "Line is required");
	expect_uc_refused(AMI_UC_DELETE, "201", NULL, NULL, NULL, -1, NULL, NULL, "Var or Line is required");
	expect_uc_refused(AMI_UC_RENAMECAT, "201", NULL, "new name", NULL, -1, NULL, NULL, "Value-000000");
	expect_uc_refused(AMI_UC_DELCAT, "201", NULL, NULL, NULL, -1, NULL, "type=aor\",x", "category filter");
	expect_uc_refused(AMI_UC_DELCAT, "201", NULL, NULL, NULL, -1, NULL, "noequals", "category filter");
	expect_uc_refused(AMI_UC_DELCAT, "201", NULL, NULL, NULL, -1, "allowdups\n", NULL, "'Options-000000'");
	struct ami_update u;
	ami_update_init(&u, "../etc/passwd");
	ck_assert_ptr_nonnull(strstr(u.err, "config file name"));
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_NEWCAT, "x", NULL, NULL, NULL, -1, NULL, NULL), -1);
	ami_update_free(&u);
}
END_TEST

START_TEST(updateconfig_too_big_is_refused_not_split)
{
	struct ami_update u;
	ami_update_init(&u, "pjsip.conf");
	/* Action + ActionID + Src + Dst = 4 lines; each Append is 4 lines: 31 Appends = 128 lines fit. */
	char var[16];
	for (int i = 0; i < 31; i++) {
		snprintf(var, sizeof var, "v%d", i);
		ck_assert_int_eq(ami_update_add(&u, AMI_UC_APPEND, "201", var, "x", NULL, -1, NULL, NULL), 0);
	}
	struct ami_msg m;
	ami_msg_init(&m);
	char err[300];
	ck_assert_int_eq(ami_update_build(&u, &m, err, sizeof err), 0);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(ami_msg_serialize(&m, "id", &out, err, sizeof err), 0);
	ami_msg_free(&m);
	/* A Reload header is one more line. */
	ami_update_set_reload(&u, "yes");
	ck_assert_int_eq(ami_update_build(&u, &m, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "129 lines"));
	ck_assert_ptr_nonnull(strstr(err, "not sent"));
	ck_assert_uint_eq(m.n, 0);
	ami_update_set_reload(&u, NULL);
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_DELCAT, "x", NULL, NULL, NULL, -1, NULL, NULL), 0);
	ck_assert_int_eq(ami_update_build(&u, &m, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "130 lines (32 actions"));
	ami_msg_free(&m);
	ami_update_free(&u);

	/* A value whose line would pass 1024 bytes. */
	ami_update_init(&u, "pjsip.conf");
	char big[1100];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(ami_update_add(&u, AMI_UC_APPEND, "201", "x", big, NULL, -1, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(u.err, "Value-000000"));
	ami_update_free(&u);
	buf_free(&out);
}
END_TEST

START_TEST(options_defaults_and_check)
{
	struct ami_options o;
	ami_options_defaults(&o);
	ck_assert(o.tls);
	ck_assert_int_eq(o.port, 5039);
	ck_assert_int_eq(o.pool_size, 4);
	char err[200];
	ck_assert_int_eq(ami_options_check(&o, err, sizeof err), -1);   /* no username yet */
	snprintf(o.username, sizeof o.username, "admin");
	ck_assert_int_eq(ami_options_check(&o, err, sizeof err), 0);
	snprintf(o.fingerprint, sizeof o.fingerprint, "AB:CD");
	ck_assert_int_eq(ami_options_check(&o, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "fingerprint"));
	snprintf(o.fingerprint, sizeof o.fingerprint, "%s",
	         "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF");
	ck_assert_int_eq(ami_options_check(&o, err, sizeof err), 0);
	snprintf(o.secret, sizeof o.secret, "a\nAction: Logoff");
	ck_assert_int_eq(ami_options_check(&o, err, sizeof err), -1);
	ck_assert_ptr_null(strstr(err, "Logoff"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ami_builder");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, value_injections_are_refused_naming_the_field);
	tcase_add_test(tc, key_characters_are_restricted);
	tcase_add_test(tc, line_length_limit);
	tcase_add_test(tc, message_line_limit);
	tcase_add_test(tc, serialize_format_and_actionid);
	tcase_add_test(tc, category_names);
	tcase_add_test(tc, file_and_variable_names);
	tcase_add_test(tc, updateconfig_numbering_and_headers);
	tcase_add_test(tc, updateconfig_refusals);
	tcase_add_test(tc, updateconfig_too_big_is_refused_not_split);
	tcase_add_test(tc, options_defaults_and_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
