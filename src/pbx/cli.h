/* cli: the debug console's CLI box. Asterisk's manager runs ANY CLI command for a user with the "command" write
 * class (its own block-list is tiny: module load/unload, restart gracefully), so Centralita sends a command only
 * when it matches the integrator's allow-list ([console] cli_allow), and never otherwise.
 *
 * The allow-list: entries separated by '|'; an entry is words of [a-z0-9_-] separated by single spaces, the
 * last of which may be '*': "core show uptime | pjsip show endpoint * | dialplan show *".
 * A command is allowed when, after trimming spaces at both ends, it is printable ASCII of at most
 * CLI_COMMAND_MAX bytes, its words are separated by single spaces, and either it equals an entry word for word
 * (case counts: what is checked is exactly what is sent), or the entry ends in '*' and the command is its words
 * followed by at most CLI_ARGS_MAX arguments made only of [A-Za-z0-9@._:/-]. Nothing else reaches the PBX: no
 * control character (no CR/LF header injection, no second action), no ';', no '!' (Asterisk's shell escape), no
 * prefix games. Knows ami (to run an allowed command through the pool). */
#ifndef PBX_CLI_H
#define PBX_CLI_H
#include <stdbool.h>
#include <stddef.h>

#include "ami/ami.h"
#include "util/buf.h"

#define CLI_COMMAND_MAX 200        /* bytes of a command */
#define CLI_ARGS_MAX 4             /* arguments after an entry ending in '*' */
#define CLI_ALLOW_ENTRIES_MAX 64
#define CLI_OUTPUT_MAX (64 * 1024) /* bytes of output kept */
#define CLI_OUTPUT_LINES 2000      /* lines of output kept */

enum cli_verdict {
	CLI_ALLOWED = 0,
	CLI_EMPTY,                 /* nothing but spaces */
	CLI_TOO_LONG,              /* over CLI_COMMAND_MAX bytes */
	CLI_BAD_CHARS,             /* a control character, a NUL or a byte outside ASCII */
	CLI_NOT_ALLOWED,           /* well-formed, but not in the allow-list */
};

/* Checks a configured allow-list (entries' syntax above, at least one, at most CLI_ALLOW_ENTRIES_MAX). Returns 0,
 * or -1 with a message naming the bad entry. */
int cli_allow_list_check(const char *list, char *err, size_t errlen);
/* Whether command[0, len) may be sent; when allowed, the trimmed command (what to send) goes into out (size at
 * least CLI_COMMAND_MAX + 1). */
enum cli_verdict cli_allow_check(const char *list, const char *command, size_t len, char *out, size_t size);
/* A verdict's fixed word for messages and the audit trail: "ok", "empty", "too long", ... */
const char *cli_verdict_text(enum cli_verdict v);
/* The entries of list, trimmed, into out[0, max); returns how many. For showing what is allowed. */
size_t cli_allow_entries(const char *list, char (*out)[CLI_COMMAND_MAX + 1], size_t max);

/* What the PBX answered. */
struct cli_answer {
	enum ami_status status;    /* AMI_OK: output is the command's; AMI_ERROR: Asterisk refused (message says why) */
	char message[512];
	struct buf output;         /* the Output lines joined by '\n' (bounded: truncated set when cut) */
	bool truncated;
};
void cli_answer_init(struct cli_answer *a);
void cli_answer_free(struct cli_answer *a);

/* Sends "Action: Command" with an ALLOWED command (the caller has checked it with cli_allow_check) through the
 * pool and collects its output. Returns a->status. */
enum ami_status pbx_cli_run(struct ami_pool *pool, const char *command, struct cli_answer *a);

#endif
