/* cli: the CLI box's allow-list (what may be sent as an AMI Command) and running an allowed command through the
 * pool. The rule is in cli.h. */
#include "pbx/cli.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool entry_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool arg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("@._:/-", c);
}

/* The next '|'-separated entry of *list, trimmed, into out (empty ones too: "a |" has two); false at the end
 * (*list is NULL past the last entry). */
static bool next_entry(const char **list, char *out, size_t size, bool *too_long)
{
	const char *p = *list;
	if (!p)
		return false;
	const char *bar = strchr(p, '|');
	size_t n = bar ? (size_t)(bar - p) : strlen(p);
	*list = bar ? bar + 1 : NULL;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*too_long = n >= size;
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
	return true;
}

int cli_allow_list_check(const char *list, char *err, size_t errlen)
{
	char e[CLI_COMMAND_MAX + 1];
	bool too_long;
	size_t count = 0;
	const char *p = list;
	while (next_entry(&p, e, sizeof e, &too_long)) {
		if (too_long) {
			snprintf(err, errlen, "an entry is longer than %d bytes", CLI_COMMAND_MAX);
			return -1;
		}
		if (++count > CLI_ALLOW_ENTRIES_MAX) {
			snprintf(err, errlen, "more than %d entries", CLI_ALLOW_ENTRIES_MAX);
			return -1;
		}
		/* Words of [a-z0-9_-], one space apart; '*' alone as the last word. */
		size_t n = strlen(e);
		bool ok = n > 0 && e[0] != ' ';
		for (size_t i = 0; ok && i < n; i++) {
			if (e[i] == ' ')
				ok = i + 1 < n && e[i + 1] != ' ';
			else if (e[i] == '*')
				ok = i > 0 && e[i - 1] == ' ' && i + 1 == n;
			else
				ok = entry_word_char(e[i]);
		}
		if (!ok || strcmp(e, "*") == 0) {
			snprintf(err, errlen, "entry %zu '%.60s': words of a-z 0-9 _ - one space apart, '*' only last",
				 count, e);
			return -1;
		}
	}
	if (count == 0) {
		snprintf(err, errlen, "no entry: list the commands allowed, separated by '|'");
		return -1;
	}
	return 0;
}

size_t cli_allow_entries(const char *list, char (*out)[CLI_COMMAND_MAX + 1], size_t max)
{
	size_t n = 0;
	bool too_long;
	const char *p = list;
	while (n < max && next_entry(&p, out[n], sizeof out[n], &too_long))
		if (out[n][0] && !too_long)
			n++;
	return n;
}

/* Whether cmd (trimmed, well-formed) is entry's words, or entry's words and arguments when entry ends in '*'. */
static bool entry_allows(const char *entry, const char *cmd)
{
	size_t n = strlen(entry);
	bool wild = n >= 2 && strcmp(entry + n - 2, " *") == 0;
	size_t fixed = wild ? n - 2 : n;
	if (strncmp(cmd, entry, fixed) != 0)
		return false;
	const char *rest = cmd + fixed;
	if (*rest == '\0')
		return true;
	if (!wild || *rest != ' ')
		return false;   /* "core show uptimex" is not "core show uptime" */
	int args = 0;
	while (*rest == ' ') {
		rest++;
		size_t len = 0;
		while (rest[len] && rest[len] != ' ') {
			if (!arg_char(rest[len]))
				return false;
			len++;
		}
		if (len == 0 || ++args > CLI_ARGS_MAX)
			return false;
		rest += len;
	}
	return *rest == '\0';
}

enum cli_verdict cli_allow_check(const char *list, const char *command, size_t len, char *out, size_t size)
{
	if (size)
		out[0] = '\0';
	if (len > CLI_COMMAND_MAX)
		return CLI_TOO_LONG;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)command[i] < 0x20 || (unsigned char)command[i] > 0x7E)
			return CLI_BAD_CHARS;
	size_t a = 0, b = len;
	while (a < b && command[a] == ' ')
		a++;
	while (b > a && command[b - 1] == ' ')
		b--;
	if (a == b)
		return CLI_EMPTY;
	char cmd[CLI_COMMAND_MAX + 1];
	snprintf(cmd, sizeof cmd, "%.*s", (int)(b - a), command + a);
	if (strstr(cmd, "  "))
		return CLI_NOT_ALLOWED;
	char e[CLI_COMMAND_MAX + 1];
	bool too_long;
	const char *p = list;
	while (next_entry(&p, e, sizeof e, &too_long)) {
		if (!too_long && e[0] && entry_allows(e, cmd)) {
			snprintf(out, size, "%s", cmd);
			return CLI_ALLOWED;
		}
	}
	return CLI_NOT_ALLOWED;
}

const char *cli_verdict_text(enum cli_verdict v)
{
	switch (v) {
	case CLI_ALLOWED: return "ok";
	case CLI_EMPTY: return "empty";
	case CLI_TOO_LONG: return "too long";
	case CLI_BAD_CHARS: return "control or non-ASCII characters";
	case CLI_NOT_ALLOWED: return "not in the allow-list";
	}
	return "?";
}

void cli_answer_init(struct cli_answer *a)
{
	memset(a, 0, sizeof *a);
	buf_init(&a->output);
	a->status = AMI_UNREACHABLE;
}

void cli_answer_free(struct cli_answer *a)
{
	buf_free(&a->output);
}

enum ami_status pbx_cli_run(struct ami_pool *pool, const char *command, struct cli_answer *a)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Command");
	ami_msg_add(&m, "Command", command);   /* refuses CR/LF/NUL again: defence in depth */
	struct ami_result r;
	ami_result_init(&r);
	a->status = ami_pool_action(pool, &m, &r);
	snprintf(a->message, sizeof a->message, "%s", r.message);
	buf_reset(&a->output);
	a->truncated = false;
	/* Asterisk 14+: one "Output" header per line; the parser turns the old "Follows" format into the same. An
	 * unknown command is an Error with its output too ("No such command ..."). */
	size_t lines = 0;
	for (size_t i = 0; r.response && i < r.response->n; i++) {
		const struct ami_header *h = &r.response->hdr[i];
		if (strcasecmp(h->key, "Output") != 0)
			continue;
		size_t n = strlen(h->value);
		if (lines >= CLI_OUTPUT_LINES || a->output.len + n + 1 > CLI_OUTPUT_MAX) {
			a->truncated = true;
			break;
		}
		if (lines++)
			buf_putc(&a->output, '\n');
		buf_append(&a->output, h->value, n);
	}
	ami_result_free(&r);
	ami_msg_free(&m);
	return a->status;
}
