/* testpbx_support: spawns the Python test PBX (tests/pbx/testpbx.py) for a unit test, with a fresh config
 * directory, a users file and TLS certificates made with the openssl CLI in a temporary directory, and talks to
 * its JSON-lines control channel. Every symbol starts with testpbx_. */
#ifndef TESTS_TESTPBX_SUPPORT_H
#define TESTS_TESTPBX_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ami_options;

struct testpbx {
	pid_t pid;
	int port, tls_port, control_port;
	char dir[256];            /* temporary directory holding everything below */
	char confdir[300];        /* the PBX's /etc/asterisk */
	char cafile[300];         /* CA that signed the server certificate (SAN localhost, 127.0.0.1) */
	char other_cafile[300];   /* an unrelated self-signed CA */
	char fingerprint[96];     /* SHA-256 of the server certificate, AA:BB:... */
	char other_fingerprint[96];
	int ctl_fd;
};

/* Users of the users file: admin / admin-secret-123 (all classes) and limited / limited-secret-123 (no config,
 * command or system class). */
#define TESTPBX_ADMIN_SECRET "admin-secret-123"
#define TESTPBX_LIMITED_SECRET "limited-secret-123"

/* True when python3 and tests/pbx/testpbx.py exist (tests skip themselves otherwise). */
bool testpbx_available(void);
/* Starts the PBX (plain and TLS listeners, control channel). Returns 0, or -1 with a message on stderr. */
int testpbx_start(struct testpbx *t);
/* Stops it (SIGTERM, then SIGKILL) and removes the temporary directory. */
void testpbx_stop(struct testpbx *t);

/* Sends one control command (a JSON object text, e.g. {"cmd":"counters"}) and copies the reply line into reply.
 * Returns 0 when the reply says "ok": true. */
int testpbx_control(struct testpbx *t, const char *json, char *reply, size_t replylen);
/* Count of an action in the "counters" reply ("actions": {"UpdateConfig": N}); 0 when absent, -1 on error. */
long testpbx_action_count(struct testpbx *t, const char *action);

/* Options for user admin over plain TCP (tls=false, plain auth). */
void testpbx_options(const struct testpbx *t, struct ami_options *o);
/* Reads <confdir>/<name>; caller frees; NULL if missing. */
char *testpbx_read_conf(const struct testpbx *t, const char *name);

#endif
