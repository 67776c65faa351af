/* cmd_ami: the integrator's AMI console. Sends one action built from the command line (every header checked
 * by the library: no CR/LF injection), or watches events until SIGINT. What Asterisk sends is printed with
 * control characters replaced, so a hostile value cannot drive the terminal. */
#include "cmd_ami.h"

#include "pbx/cli.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: centralita [-c CONF] ami ACTION [Key=Value ...]\n"
	        "       centralita [-c CONF] ami --events [CLASSES]\n"
	        "\n"
	        "Sends one AMI action with the connection settings of the [ami] section and prints the whole\n"
	        "answer: headers, list events and command output. The ActionID is added automatically.\n"
	        "  centralita ami CoreSettings\n"
	        "  centralita ami Command Command='pjsip show endpoints'\n"
	        "  centralita ami GetConfig Filename=pjsip.conf\n"
	        "--events logs in with Events: CLASSES (default: on) and prints events until interrupted.\n"
	        "A Command is sent only if its CLI command is in [console] cli_allow (as the web console's CLI box).\n"
	        "Exit status: 0 success, 1 Response: Error or connection failure, 2 usage error or a refused Command.\n");
}

/* Prints s with control characters (CR, LF, ESC...) shown as '?'. */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, out);
	}
}

static void print_msg(const struct ami_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		put_clean(stdout, m->hdr[i].key);
		fputs(": ", stdout);
		put_clean(stdout, m->hdr[i].value);
		putchar('\n');
	}
	putchar('\n');
}

static void print_event(const struct ami_msg *ev, void *userdata)
{
	(void)userdata;
	print_msg(ev);
	fflush(stdout);
}

static void print_state(enum ami_events_state st, const char *message, void *userdata)
{
	(void)userdata;
	const char *what = st == AMI_EVENTS_CONNECTED ? "connected" : st == AMI_EVENTS_RECONNECTED ?
	                   "reconnected (events in between were missed)" : "disconnected";
	fprintf(stderr, "centralita ami: %s: %s\n", what, message);
}

static int watch_events(const struct ami_options *opts, const char *classes)
{
	char err[512];
	struct ami_events *e = ami_events_new(opts, classes, err, sizeof err);
	if (!e) {
		fprintf(stderr, "centralita ami: %s\n", err);
		return 1;
	}
	ami_events_on(e, NULL, print_event, NULL);
	ami_events_on_state(e, print_state, NULL);
	/* SIGINT/SIGTERM are blocked before the watcher thread exists (it inherits the mask) and taken with
	 * sigwait here: no handler, no global flag. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	if (ami_events_start(e) != 0) {
		fprintf(stderr, "centralita ami: cannot start the event thread\n");
		ami_events_destroy(e);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	int sig = 0;
	sigwait(&stop, &sig);
	ami_events_destroy(e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

static int send_action(const struct ami_options *opts, const char *cli_allow, int argc, char **argv)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", argv[0]);
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			fprintf(stderr, "centralita ami: argument %d is not Key=Value\n", i);
			ami_msg_free(&m);
			return 2;
		}
		char key[128];
		size_t klen = (size_t)(eq - argv[i]);
		if (klen >= sizeof key)
			klen = sizeof key - 1;   /* the library then refuses the truncated key or the line */
		memcpy(key, argv[i], klen);
		key[klen] = '\0';
		ami_msg_add(&m, key, eq + 1);
	}
	if (m.err[0]) {
		fprintf(stderr, "centralita ami: %s\n", m.err);
		ami_msg_free(&m);
		return 2;
	}
	/* Every Command header of a Command action must be allowed (Asterisk reads the first one). */
	bool is_command = strcasecmp(argv[0], "Command") == 0;
	for (size_t i = 0; is_command && i < m.n; i++) {
		if (strcasecmp(m.hdr[i].key, "Command") != 0)
			continue;
		char allowed[CLI_COMMAND_MAX + 1];
		const char *v = m.hdr[i].value;
		enum cli_verdict verdict = cli_allow_check(cli_allow, v, strlen(v), allowed, sizeof allowed);
		if (verdict != CLI_ALLOWED) {
			fprintf(stderr, "centralita ami: refused before sending: the CLI command is %s ([console] cli_allow)\n",
				cli_verdict_text(verdict));
			ami_msg_free(&m);
			return 2;
		}
	}
	struct ami_options one = *opts;
	one.pool_size = 1;
	one.keepalive_s = 0;
	char err[512];
	struct ami_pool *pool = ami_pool_create(&one, err, sizeof err);
	if (!pool) {
		fprintf(stderr, "centralita ami: %s\n", err);
		ami_msg_free(&m);
		return 1;
	}
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(pool, &m, &r);
	if (r.response)
		print_msg(r.response);
	for (size_t i = 0; i < r.n_events; i++)
		print_msg(r.events[i]);
	if (r.complete)
		print_msg(r.complete);
	fflush(stdout);
	if (st != AMI_OK) {
		fprintf(stderr, "centralita ami: %s: ", ami_status_name(st));
		put_clean(stderr, r.message);
		fputc('\n', stderr);
	}
	ami_result_free(&r);
	ami_pool_destroy(pool);
	ami_msg_free(&m);
	OPENSSL_cleanse(&one, sizeof one);
	return st == AMI_OK ? 0 : st == AMI_INVALID ? 2 : 1;
}

int cmd_ami(const struct ami_options *opts, const char *cli_allow, int argc, char **argv)
{
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[0], "--events") == 0) {
		if (argc > 2) {
			usage(stderr);
			return 2;
		}
		return watch_events(opts, argc == 2 ? argv[1] : "on");
	}
	if (argv[0][0] == '-') {
		usage(stderr);
		return 2;
	}
	return send_action(opts, cli_allow, argc, argv);
}
