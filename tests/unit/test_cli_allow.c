/* Unit tests: pbx/cli's allow-list, the only guard between the CLI box and Asterisk's "command" class (which runs
 * any CLI command): an attack table of commands that must be refused, the allowed ones with their arguments, the
 * configured list's syntax, and the default list (every entry read-only, and valid). */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <string.h>

#include "app/config.h"
#include "pbx/cli.h"

static const char *LIST = "core show uptime | core show channels | pjsip show endpoints | pjsip show endpoint * | "
			  "dialplan show * | sip show peers";

static enum cli_verdict check(const char *cmd, size_t len, char *out)
{
	return cli_allow_check(LIST, cmd, len, out, CLI_COMMAND_MAX + 1);
}
#define CHECK(s) check(s, sizeof(s) - 1, out)

START_TEST(attacks_are_refused)
{
	char out[CLI_COMMAND_MAX + 1];
	static const struct {
		const char *cmd;
		size_t len;
		enum cli_verdict want;
	} attacks[] = {
#define A(s, v) { s, sizeof(s) - 1, v }
		A("core stop now", CLI_NOT_ALLOWED),
		A("core show channels; core stop now", CLI_NOT_ALLOWED),
		A("core show channels ; core stop now", CLI_NOT_ALLOWED),
		A("core show uptime\r\nAction: Command\r\nCommand: core stop now", CLI_BAD_CHARS),
		A("core show uptime\ncore stop now", CLI_BAD_CHARS),
		A("core show uptime\rcore stop now", CLI_BAD_CHARS),
		A("core show uptime\r\n\r\nAction: Logoff", CLI_BAD_CHARS),
		A("core show uptime\t", CLI_BAD_CHARS),
		A("core show uptime\x1b", CLI_BAD_CHARS),
		A("core show uptime\x7f", CLI_BAD_CHARS),
		A("core show\0 uptime", CLI_BAD_CHARS),
		A("!shell", CLI_NOT_ALLOWED),
		A("!rm -rf /", CLI_NOT_ALLOWED),
		A("!core show uptime", CLI_NOT_ALLOWED),
		A("CORE STOP NOW", CLI_NOT_ALLOWED),
		A("Core Show Uptime", CLI_NOT_ALLOWED),
		A("  core stop now", CLI_NOT_ALLOWED),
		A("core  stop now", CLI_NOT_ALLOWED),
		A("core  show uptime", CLI_NOT_ALLOWED),      /* words one space apart, exactly */
		A("core show uptimex", CLI_NOT_ALLOWED),      /* a prefix is not the command */
		A("core show uptime now", CLI_NOT_ALLOWED),   /* no arguments without '*' */
		A("core show", CLI_NOT_ALLOWED),
		A("core", CLI_NOT_ALLOWED),
		A("module unload res_pjsip.so", CLI_NOT_ALLOWED),
		A("core restart now", CLI_NOT_ALLOWED),
		A("dialplan show x;core stop now", CLI_NOT_ALLOWED),
		A("dialplan show $(reboot)", CLI_NOT_ALLOWED),
		A("dialplan show `id`", CLI_NOT_ALLOWED),
		A("dialplan show a|b", CLI_NOT_ALLOWED),
		A("dialplan show a b c d e", CLI_NOT_ALLOWED),  /* at most CLI_ARGS_MAX arguments */
		A("dialplan show  x", CLI_NOT_ALLOWED),
		A("dialplan showx", CLI_NOT_ALLOWED),
		A("pjsip show endpoint 201\"", CLI_NOT_ALLOWED),
		A("pjsip show endpoint ñ", CLI_BAD_CHARS),      /* non-ASCII */
		A("core show uptime \xc2\xa0", CLI_BAD_CHARS),
		A("\xef\xbc\x81shell", CLI_BAD_CHARS),
		A("", CLI_EMPTY),
		A("   ", CLI_EMPTY),
#undef A
	};
	for (size_t i = 0; i < sizeof attacks / sizeof *attacks; i++) {
		enum cli_verdict v = check(attacks[i].cmd, attacks[i].len, out);
		ck_assert_msg(v == attacks[i].want, "'%s': verdict %d, want %d", attacks[i].cmd, v, attacks[i].want);
		ck_assert_str_eq(out, "");   /* nothing to send */
	}
	/* Over-long: refused whatever it holds, even an allowed command padded with spaces. */
	char longcmd[CLI_COMMAND_MAX + 40];
	memset(longcmd, ' ', sizeof longcmd);
	memcpy(longcmd, "core show uptime", 16);
	ck_assert_int_eq(check(longcmd, sizeof longcmd, out), CLI_TOO_LONG);
	char longarg[CLI_COMMAND_MAX + 2];
	memset(longarg, 'a', sizeof longarg);
	memcpy(longarg, "dialplan show ", 14);
	ck_assert_int_eq(check(longarg, sizeof longarg, out), CLI_TOO_LONG);
}
END_TEST

START_TEST(allowed_commands_pass_trimmed)
{
	char out[CLI_COMMAND_MAX + 1];
	ck_assert_int_eq(CHECK("core show uptime"), CLI_ALLOWED);
	ck_assert_str_eq(out, "core show uptime");
	ck_assert_int_eq(CHECK("  core show uptime  "), CLI_ALLOWED);   /* spaces around are trimmed */
	ck_assert_str_eq(out, "core show uptime");
	ck_assert_int_eq(CHECK("pjsip show endpoints"), CLI_ALLOWED);
	ck_assert_int_eq(CHECK("pjsip show endpoint 201"), CLI_ALLOWED);
	ck_assert_str_eq(out, "pjsip show endpoint 201");
	ck_assert_int_eq(CHECK("pjsip show endpoint"), CLI_ALLOWED);     /* '*' takes zero arguments too */
	ck_assert_int_eq(CHECK("dialplan show"), CLI_ALLOWED);
	ck_assert_int_eq(CHECK("dialplan show centralita-phones"), CLI_ALLOWED);
	ck_assert_int_eq(CHECK("dialplan show 201@centralita-phones"), CLI_ALLOWED);
	ck_assert_int_eq(CHECK("dialplan show a b c d"), CLI_ALLOWED);
	ck_assert_int_eq(CHECK("dialplan show PJSIP/trunk-x_1:5060"), CLI_ALLOWED);
	/* "pjsip show endpoints" is not "pjsip show endpoint" with an argument "s" (both allowed, but only as such). */
	ck_assert_int_eq(CHECK("pjsip show endpointsx"), CLI_NOT_ALLOWED);
}
END_TEST

START_TEST(configured_lists_are_checked)
{
	char err[200];
	ck_assert_int_eq(cli_allow_list_check(LIST, err, sizeof err), 0);
	ck_assert_int_eq(cli_allow_list_check("core show uptime", err, sizeof err), 0);
	const char *bad[] = {
		"", " | ", "core show uptime |", "core  show uptime", "core show uptime;core stop now", "*",
		"core * show", "core show *x", "Core Show Uptime", "!shell", "core show\tuptime", "dialplan show **",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(cli_allow_list_check(bad[i], err, sizeof err) == -1, "accepted '%s'", bad[i]);
	char many[4096] = "";
	for (int i = 0; i <= CLI_ALLOW_ENTRIES_MAX; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%score show x%d", i ? " | " : "", i);
	ck_assert_int_eq(cli_allow_list_check(many, err, sizeof err), -1);

	char entries[8][CLI_COMMAND_MAX + 1];
	ck_assert_uint_eq(cli_allow_entries(LIST, entries, 8), 6);
	ck_assert_str_eq(entries[0], "core show uptime");
	ck_assert_str_eq(entries[3], "pjsip show endpoint *");
}
END_TEST

/* The shipped default: valid, and nothing in it that changes anything (only "show" commands). */
START_TEST(default_list_is_valid_and_read_only)
{
	struct config cfg;
	config_defaults(&cfg);
	char err[200];
	ck_assert_msg(cli_allow_list_check(cfg.console_cli_allow, err, sizeof err) == 0, "%s", err);
	char entries[CLI_ALLOW_ENTRIES_MAX][CLI_COMMAND_MAX + 1];
	size_t n = cli_allow_entries(cfg.console_cli_allow, entries, CLI_ALLOW_ENTRIES_MAX);
	ck_assert_uint_ge(n, 10);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(strstr(entries[i], " show") != NULL, "'%s' is not a show command", entries[i]);
	char out[CLI_COMMAND_MAX + 1];
	const char *refused[] = { "core stop now", "core restart now", "module unload res_pjsip.so", "dialplan reload",
				  "core reload", "reload", "pjsip send notify x endpoint 201", "database deltree x",
				  "channel request hangup all", "core set verbose 10", "!sh" };
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		ck_assert_msg(cli_allow_check(cfg.console_cli_allow, refused[i], strlen(refused[i]), out, sizeof out) ==
				      CLI_NOT_ALLOWED, "default allows '%s'", refused[i]);
	const char *allowed[] = { "core show uptime", "pjsip show endpoints", "pjsip show endpoint 201",
				  "dialplan show centralita-phones", "core show version", "pjsip show contacts" };
	for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
		ck_assert_msg(cli_allow_check(cfg.console_cli_allow, allowed[i], strlen(allowed[i]), out, sizeof out) ==
				      CLI_ALLOWED, "default refuses '%s'", allowed[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_allow");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, attacks_are_refused);
	tcase_add_test(tc, allowed_commands_pass_trimmed);
	tcase_add_test(tc, configured_lists_are_checked);
	tcase_add_test(tc, default_list_is_valid_and_read_only);
	suite_add_tcase(s, tc);
	return check_run(s);
}
