/* Unit tests: pbx/trunk_state against a scripted AMI server that answers with what the real Asterisk 22.10.1
 * answered (tests/unit/support/ami-transcripts/12-trunks.txt and 10-lists.txt, replayed by ActionID with the
 * request's ActionID put in): registration words (Unregistered, Registered, Rejected, an unknown word), the
 * qualify status of a trunk's permanent contact (NonQualified, Reachable, Unreachable) from PJSIPShowEndpoint,
 * a trunk Asterisk does not list, empty lists, and AMI failures (every trunk unknown, with a message). */
#include <check.h>

#include "support/check_run.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ami/ami.h"
#include "pbx/trunk_state.h"
#include "support/ami_test_support.h"
#include "util/buf.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- canned answers from the transcripts ---------- */

/* Every message (CRLF lines, blank line included) of transcript name whose ActionID is id, concatenated.
 * Caller frees. */
static char *answer_of(const char *name, const char *id)
{
	size_t len;
	char *stream = amit_transcript_stream(name, &len);
	char want[64];
	snprintf(want, sizeof want, "\r\nActionID: %s\r\n", id);
	struct buf out;
	buf_init(&out);
	const char *p = stream;
	while (*p) {
		const char *end = strstr(p, "\r\n\r\n");
		end = end ? end + 4 : p + strlen(p);
		char *msg = strndup(p, (size_t)(end - p));
		if (strncmp(msg + strcspn(msg, "\r"), want, strlen(want)) == 0)   /* ActionID is the second line */
			buf_puts(&out, msg);
		free(msg);
		p = end;
	}
	free(stream);
	ck_assert_msg(out.len > 0, "%s has no answer %s", name, id);
	return buf_steal(&out);
}

/* s with every "from" replaced by "to". Caller frees. */
static char *replaced(const char *s, const char *from, const char *to)
{
	struct buf out;
	buf_init(&out);
	size_t fl = strlen(from);
	for (const char *hit; (hit = strstr(s, from)); s = hit + fl) {
		buf_append(&out, s, (size_t)(hit - s));
		buf_puts(&out, to);
	}
	buf_puts(&out, s);
	return buf_steal(&out);
}

/* ---------- the scripted server ---------- */

/* What the server answers. */
struct script {
	pthread_mutex_t mu;
	const char *reg_file;             /* transcript of the PJSIPShowRegistrationsOutbound answer */
	const char *reg_id;               /* its ActionID there; NULL: "Permission denied" */
	const char *reg_from, *reg_to;    /* an edit of that answer, or NULL */
	struct {
		const char *endpoint;     /* "trunk-acme" */
		const char *id;           /* the 12-trunks answer to serve for it */
	} eps[8];
	size_t n_eps;
	const char *deny_endpoint;        /* PJSIPShowEndpoint of this one: "Permission denied" */
	const char *ep_from, *ep_to;      /* an edit of the PJSIPShowEndpoint answers, or NULL */
	int actions_endpoint, actions_reg, actions_other;
};

static struct script sc;

static void send_answer(struct amit_conn *c, const struct ami_msg *req, const char *file, const char *id,
			const char *from, const char *to)
{
	char *text = answer_of(file, id);
	char old_id[64], new_id[160];
	snprintf(old_id, sizeof old_id, "ActionID: %s\r\n", id);
	snprintf(new_id, sizeof new_id, "ActionID: %s\r\n", amit_id(req));
	char *edited = from ? replaced(text, from, to) : strdup(text);
	char *out = replaced(edited, old_id, new_id);
	char *final = replaced(out, "ActionID: @\r\n", new_id);   /* the edit's own events */
	amit_send(c, final);
	free(final);
	free(out);
	free(edited);
	free(text);
}

static void handler(struct amit_conn *c, const struct ami_msg *req, void *ud)
{
	(void)ud;
	const char *action = ami_msg_get(req, "Action");
	const char *id = amit_id(req);
	pthread_mutex_lock(&sc.mu);
	if (strcasecmp(action, "PJSIPShowRegistrationsOutbound") == 0) {
		sc.actions_reg++;
		if (sc.reg_id)
			send_answer(c, req, sc.reg_file, sc.reg_id, sc.reg_from, sc.reg_to);
		else
			amit_sendf(c, "Response: Error\r\nActionID: %s\r\nMessage: Permission denied\r\n\r\n", id);
	} else if (strcasecmp(action, "PJSIPShowEndpoint") == 0) {
		sc.actions_endpoint++;
		const char *ep = ami_msg_get(req, "Endpoint");
		const char *use = NULL;
		for (size_t i = 0; ep && i < sc.n_eps; i++)
			if (strcmp(sc.eps[i].endpoint, ep) == 0)
				use = sc.eps[i].id;
		if (ep && sc.deny_endpoint && strcmp(ep, sc.deny_endpoint) == 0)
			amit_sendf(c, "Response: Error\r\nActionID: %s\r\nMessage: Permission denied\r\n\r\n", id);
		else if (use)
			send_answer(c, req, "12-trunks", use, sc.ep_from, sc.ep_to);
		else   /* Asterisk has no such endpoint: the real answer, with this name */
			send_answer(c, req, "12-trunks", "e2", "trunk-nosuch", ep ? ep : "");
	} else {
		sc.actions_other++;
		amit_sendf(c, "Response: Error\r\nActionID: %s\r\nMessage: Invalid/unknown command: %s. Use Action: "
			      "ListCommands to show available commands.\r\n\r\n", id, action);
	}
	pthread_mutex_unlock(&sc.mu);
}

static struct amit_server *srv;
static struct ami_pool *pool;

static void setup(void)
{
	memset(&sc, 0, sizeof sc);
	pthread_mutex_init(&sc.mu, NULL);
	srv = amit_server_start(handler, NULL, true);
	struct ami_options o;
	amit_options(&o, amit_server_port(srv));
	char err[300];
	pool = ami_pool_create(&o, err, sizeof err);
	ck_assert_msg(pool != NULL, "%s", err);
}

static void teardown(void)
{
	ami_pool_destroy(pool);
	amit_server_stop(srv);
	pthread_mutex_destroy(&sc.mu);
}

static void serve_endpoint(const char *endpoint, const char *id)
{
	sc.eps[sc.n_eps].endpoint = endpoint;
	sc.eps[sc.n_eps].id = id;
	sc.n_eps++;
}

/* The four trunks of 12-trunks (acme, bad, dead, plain) plus one Asterisk does not know. */
static size_t trunks(struct pbx_trunk_state *st)
{
	static const char *names[] = { "acme", "bad", "dead", "plain", "zeta" };
	for (size_t i = 0; i < LEN(names); i++) {
		memset(&st[i], 0, sizeof st[i]);
		snprintf(st[i].name, sizeof st[i].name, "%s", names[i]);
		st[i].reg = PBX_TRUNK_REG_REGISTERED;        /* whatever the caller left: overwritten */
		st[i].reach = PBX_TRUNK_REACH_OK;
		snprintf(st[i].detail, sizeof st[i].detail, "stale");
	}
	return LEN(names);
}

/* ---------- tests ---------- */

/* Right after the res_pjsip reload: every registration "Unregistered", the contacts not qualified yet. */
START_TEST(just_loaded_unregistered_and_not_qualified)
{
	sc.reg_file = "12-trunks";
	sc.reg_id = "s0r";
	serve_endpoint("trunk-acme", "e1");   /* NonQualified */
	struct pbx_trunk_state st[5];
	size_t n = trunks(st);
	char msg[200] = "";
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reg, PBX_TRUNK_REG_UNREGISTERED);
	ck_assert_int_eq(st[0].reach, PBX_TRUNK_REACH_UNKNOWN);
	ck_assert_str_eq(st[0].detail, "Unregistered; NonQualified");
	ck_assert_int_eq(st[1].reg, PBX_TRUNK_REG_UNREGISTERED);
	ck_assert_int_eq(st[2].reg, PBX_TRUNK_REG_UNREGISTERED);
	/* plain registers nothing: no registration of its own */
	ck_assert_int_eq(st[3].reg, PBX_TRUNK_REG_NONE);
	/* zeta: not listed anywhere */
	ck_assert_int_eq(st[4].reg, PBX_TRUNK_REG_NONE);
	ck_assert_int_eq(st[4].reach, PBX_TRUNK_REACH_UNKNOWN);
	ck_assert_str_eq(st[4].detail, "");
	/* one list, then one PJSIPShowEndpoint per trunk; never PJSIPShowContacts (it omits permanent contacts) */
	ck_assert_int_eq(sc.actions_reg, 1);
	ck_assert_int_eq(sc.actions_endpoint, 5);
	ck_assert_int_eq(sc.actions_other, 0);
}
END_TEST

/* A minute and a half later: acme registered and reachable, bad rejected (403) and unreachable, dead rejected
 * (its REGISTER timed out) and unreachable, plain reachable. */
START_TEST(registered_rejected_reachable_unreachable)
{
	sc.reg_file = "12-trunks";
	sc.reg_id = "q1";
	serve_endpoint("trunk-acme", "q30");
	serve_endpoint("trunk-bad", "q31");
	serve_endpoint("trunk-dead", "q32");
	serve_endpoint("trunk-plain", "q33");
	struct pbx_trunk_state st[5];
	size_t n = trunks(st);
	char msg[200] = "";
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reg, PBX_TRUNK_REG_REGISTERED);
	ck_assert_int_eq(st[0].reach, PBX_TRUNK_REACH_OK);
	ck_assert_str_eq(st[0].detail, "Registered; Reachable");
	ck_assert_int_eq(st[1].reg, PBX_TRUNK_REG_REJECTED);
	ck_assert_int_eq(st[1].reach, PBX_TRUNK_REACH_UNREACHABLE);
	ck_assert_str_eq(st[1].detail, "Rejected; Unreachable");
	ck_assert_int_eq(st[2].reg, PBX_TRUNK_REG_REJECTED);
	ck_assert_int_eq(st[2].reach, PBX_TRUNK_REACH_UNREACHABLE);
	ck_assert_int_eq(st[3].reg, PBX_TRUNK_REG_NONE);
	ck_assert_int_eq(st[3].reach, PBX_TRUNK_REACH_OK);
	ck_assert_str_eq(st[3].detail, "Reachable");
	ck_assert_int_eq(st[4].reg, PBX_TRUNK_REG_NONE);
	ck_assert_int_eq(st[4].reach, PBX_TRUNK_REACH_UNKNOWN);
}
END_TEST

/* In between: acme registered, bad rejected, dead still trying ("Unregistered" until its REGISTER times out). */
START_TEST(dead_server_still_unregistered)
{
	sc.reg_file = "12-trunks";
	sc.reg_id = "s5r";
	struct pbx_trunk_state st[5];
	size_t n = trunks(st);
	char msg[200] = "";
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reg, PBX_TRUNK_REG_REGISTERED);
	ck_assert_int_eq(st[1].reg, PBX_TRUNK_REG_REJECTED);
	ck_assert_int_eq(st[2].reg, PBX_TRUNK_REG_UNREGISTERED);
	/* no endpoint served: each answered "Unable to retrieve endpoint": unknown, not a failure */
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(st[i].reach, PBX_TRUNK_REACH_UNKNOWN);
	ck_assert_str_eq(st[2].detail, "Unregistered");
}
END_TEST

START_TEST(unknown_and_stopped_words)
{
	sc.reg_file = "12-trunks";
	sc.reg_id = "q1";
	sc.reg_from = "Status: Registered\r\n";
	sc.reg_to = "Status: Sideways\r\n";
	struct pbx_trunk_state st[5];
	size_t n = trunks(st);
	char msg[200] = "";
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reg, PBX_TRUNK_REG_UNKNOWN);
	ck_assert_str_eq(st[0].detail, "Sideways");
	ck_assert_int_eq(st[1].reg, PBX_TRUNK_REG_REJECTED);

	sc.reg_to = "Status: Stopped\r\n";
	n = trunks(st);
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reg, PBX_TRUNK_REG_STOPPED);
}
END_TEST

/* No registration at all: Asterisk answers a Success with no events (10-lists). No trunk: nothing asked but
 * the list. */
START_TEST(empty_lists)
{
	sc.reg_file = "10-lists";
	sc.reg_id = "l3";
	struct pbx_trunk_state st[5];
	size_t n = trunks(st);
	char msg[200] = "";
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_OK);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(st[i].reg, PBX_TRUNK_REG_NONE);
		ck_assert_int_eq(st[i].reach, PBX_TRUNK_REACH_UNKNOWN);
		ck_assert_str_eq(st[i].detail, "");
	}
	ck_assert_int_eq(pbx_trunk_states(pool, st, 0, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(sc.actions_endpoint, 5);
	/* "No Contacts found" (an Error answer that means an empty list) for the registrations too is no failure */
	sc.reg_id = "l2";
	n = trunks(st);
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reg, PBX_TRUNK_REG_NONE);
}
END_TEST

/* A refusal of either request: every trunk unknown (also those already filled in), and why. */
START_TEST(ami_refusal_makes_all_unknown)
{
	sc.reg_file = "12-trunks";
	sc.reg_id = NULL;   /* Permission denied */
	struct pbx_trunk_state st[5];
	size_t n = trunks(st);
	char msg[200] = "";
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_ERROR);
	ck_assert_str_eq(msg, "PJSIPShowRegistrationsOutbound: Permission denied");
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(st[i].reg, PBX_TRUNK_REG_UNKNOWN);
		ck_assert_int_eq(st[i].reach, PBX_TRUNK_REACH_UNKNOWN);
		ck_assert_str_eq(st[i].detail, "");
	}
	ck_assert_int_eq(sc.actions_endpoint, 0);

	sc.reg_id = "q1";
	serve_endpoint("trunk-acme", "q30");
	sc.deny_endpoint = "trunk-bad";
	n = trunks(st);
	ck_assert_int_eq(pbx_trunk_states(pool, st, n, msg, sizeof msg), AMI_ERROR);
	ck_assert_str_eq(msg, "PJSIPShowEndpoint trunk-bad: Permission denied");
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(st[i].reg, PBX_TRUNK_REG_UNKNOWN);
		ck_assert_int_eq(st[i].reach, PBX_TRUNK_REACH_UNKNOWN);
		ck_assert_str_eq(st[i].detail, "");
	}
}
END_TEST

/* Asterisk not there at all. */
START_TEST(pbx_unreachable_makes_all_unknown)
{
	struct ami_options o;
	amit_options(&o, amit_server_port(srv));
	amit_server_stop(srv);
	srv = amit_server_start(handler, NULL, true);   /* teardown stops this one; the pool points at the old port */
	o.connect_timeout_ms = 300;
	char err[300];
	struct ami_pool *dead = ami_pool_create(&o, err, sizeof err);
	ck_assert_msg(dead != NULL, "%s", err);
	struct pbx_trunk_state st[5];
	size_t n = trunks(st);
	char msg[200] = "";
	enum ami_status got = pbx_trunk_states(dead, st, n, msg, sizeof msg);
	ck_assert_int_eq(got, AMI_UNREACHABLE);
	ck_assert_msg(strncmp(msg, "PJSIPShowRegistrationsOutbound: ", 32) == 0 && strlen(msg) > 32, "%s", msg);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(st[i].reg, PBX_TRUNK_REG_UNKNOWN);
		ck_assert_int_eq(st[i].reach, PBX_TRUNK_REACH_UNKNOWN);
	}
	ami_pool_destroy(dead);
}
END_TEST

/* A second contact, put before the IdentifyDetail of a real answer. */
#define SECOND_CONTACT(status)                                                                                   \
	"Event: ContactStatusDetail\r\nActionID: @\r\nAOR: trunk-acme\r\nURI: sip:127.0.0.1:5099\r\nStatus: " status "\r\n"  \
	"EndpointName: trunk-acme\r\n\r\nEvent: IdentifyDetail\r\n"

/* An aor with two contacts: reachable wins over unreachable, unreachable over not qualified. */
START_TEST(best_contact_wins)
{
	sc.reg_file = "10-lists";
	sc.reg_id = "l3";
	serve_endpoint("trunk-acme", "q31");   /* Unreachable (trunk bad's answer, served for acme) */
	sc.ep_from = "Event: IdentifyDetail\r\n";
	sc.ep_to = SECOND_CONTACT("Reachable");
	struct pbx_trunk_state st[1];
	memset(st, 0, sizeof st);
	snprintf(st[0].name, sizeof st[0].name, "acme");
	char msg[200] = "";
	ck_assert_int_eq(pbx_trunk_states(pool, st, 1, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reach, PBX_TRUNK_REACH_OK);
	ck_assert_str_eq(st[0].detail, "Reachable");
	sc.eps[0].id = "e1";                    /* NonQualified + Unreachable */
	sc.ep_to = SECOND_CONTACT("Unreachable");
	ck_assert_int_eq(pbx_trunk_states(pool, st, 1, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reach, PBX_TRUNK_REACH_UNREACHABLE);
	ck_assert_str_eq(st[0].detail, "Unreachable");
	sc.ep_from = NULL;                      /* NonQualified alone */
	ck_assert_int_eq(pbx_trunk_states(pool, st, 1, msg, sizeof msg), AMI_OK);
	ck_assert_int_eq(st[0].reach, PBX_TRUNK_REACH_UNKNOWN);
	ck_assert_str_eq(st[0].detail, "NonQualified");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trunk_state");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, just_loaded_unregistered_and_not_qualified);
	tcase_add_test(tc, registered_rejected_reachable_unreachable);
	tcase_add_test(tc, dead_server_still_unregistered);
	tcase_add_test(tc, unknown_and_stopped_words);
	tcase_add_test(tc, empty_lists);
	tcase_add_test(tc, ami_refusal_makes_all_unknown);
	tcase_add_test(tc, pbx_unreachable_makes_all_unknown);
	tcase_add_test(tc, best_contact_wins);
	suite_add_tcase(s, tc);
	return check_run(s);
}
