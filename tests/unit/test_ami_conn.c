/* Unit tests: connections, pool and event watcher against a scripted in-process fake AMI server: login
 * (plain, MD5, failure), answer matching with interleaved events and stale answers, lists, both Command
 * formats, AMI_UNKNOWN_OUTCOME without replay, reconnect, back-off, keep-alive, events across a reconnect. */
#include <check.h>

#include "support/check_run.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ami/ami.h"
#include "ami/ami_internal.h"
#include "support/ami_test_support.h"

/* What the fake server saw, shared with its connection threads. */
struct seen {
	pthread_mutex_t mu;
	int actions;          /* requests handled by handler() */
	int updates;          /* UpdateConfig requests */
	int creates;          /* CreateConfig requests */
	int pings;
	bool file_exists;
	char order[4096];     /* "Action," per request */
};

static struct seen *seen_new(void)
{
	struct seen *s = calloc(1, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

static void seen_free(struct seen *s)
{
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static void handler(struct amit_conn *c, const struct ami_msg *req, void *ud)
{
	struct seen *s = ud;
	const char *action = ami_msg_get(req, "Action");
	const char *id = amit_id(req);
	pthread_mutex_lock(&s->mu);
	s->actions++;
	size_t ol = strlen(s->order);
	snprintf(s->order + ol, sizeof s->order - ol, "%s,", action);
	pthread_mutex_unlock(&s->mu);

	if (strcasecmp(action, "Ping") == 0) {
		pthread_mutex_lock(&s->mu);
		s->pings++;
		pthread_mutex_unlock(&s->mu);
		/* An event, an answer to someone else, then ours. */
		amit_send(c, "Event: PeerStatus\r\nPeer: PJSIP/201\r\nActionID: unrelated\r\n\r\n");
		amit_send(c, "Response: Success\r\nActionID: stale-1\r\nPing: Pong\r\nMessage: NOT OURS\r\n\r\n");
		amit_sendf(c, "Response: Success\r\nActionID: %s\r\nPing: Pong\r\nTimestamp: 1.0\r\n\r\n", id);
	} else if (strcasecmp(action, "PJSIPShowEndpoints") == 0) {
		amit_sendf(c, "Response: Success\r\nActionID: %s\r\nEventList: start\r\nMessage: follows\r\n\r\n", id);
		amit_sendf(c, "Event: EndpointList\r\nActionID: %s\r\nObjectName: 201\r\n\r\n", id);
		amit_send(c, "Event: DeviceStateChange\r\nDevice: PJSIP/201\r\n\r\n");
		amit_sendf(c, "Event: EndpointList\r\nActionID: %s\r\nObjectName: 202\r\n\r\n", id);
		amit_sendf(c, "Event: EndpointListComplete\r\nActionID: %s\r\nEventList: Complete\r\nListItems: 2\r\n\r\n",
		           id);
	} else if (strcasecmp(action, "Command") == 0) {
		const char *cmd = ami_msg_get(req, "Command");
		if (cmd && strcmp(cmd, "old") == 0)
			amit_sendf(c, "Response: Follows\r\nPrivilege: Command\r\nActionID: %s\r\nline one\nline two\n"
			              "--END COMMAND--\r\n\r\n", id);
		else if (cmd && strcmp(cmd, "bad") == 0)
			amit_sendf(c, "Response: Error\r\nActionID: %s\r\nMessage: Command output follows\r\n"
			              "Output: No such command 'bad'\r\n\r\n", id);
		else
			amit_sendf(c, "Response: Success\r\nActionID: %s\r\nMessage: Command output follows\r\n"
			              "Output: line one\r\nOutput: line two\r\n\r\n", id);
	} else if (strcasecmp(action, "UpdateConfig") == 0) {
		pthread_mutex_lock(&s->mu);
		s->updates++;
		bool exists = s->file_exists;
		pthread_mutex_unlock(&s->mu);
		const char *cat = ami_msg_get(req, "Cat-000000");
		if (cat && strcmp(cat, "crash") == 0)
			amit_close(c);   /* the server dies before answering */
		else if (!exists)
			amit_sendf(c, "Response: Error\r\nActionID: %s\r\nMessage: File requires escalated privileges\r\n\r\n",
			           id);
		else
			amit_sendf(c, "Response: Success\r\nActionID: %s\r\n\r\n", id);
	} else if (strcasecmp(action, "CreateConfig") == 0) {
		pthread_mutex_lock(&s->mu);
		s->creates++;
		s->file_exists = true;
		pthread_mutex_unlock(&s->mu);
		amit_sendf(c, "Response: Success\r\nActionID: %s\r\nMessage: New configuration file created successfully\r\n\r\n",
		           id);
	} else if (strcasecmp(action, "Slow") == 0) {
		/* never answers */
	} else if (strcasecmp(action, "Trickle") == 0) {
		/* A PBX dribbling its answer, one byte every 30 ms (each read is quick), and never finishing it. */
		char answer[160];
		snprintf(answer, sizeof answer, "Response: Success\r\nActionID: %s\r\nMessage: %s\r\n\r\n", id,
		         "a long time coming, byte after byte");
		for (size_t b = 0; b < 30; b++) {
			char one[2] = { answer[b], '\0' };
			amit_send(c, one);
			usleep(30 * 1000);
		}
	} else if (strcasecmp(action, "Huge") == 0) {
		/* A list whose events, 1 MiB each, add up to more than the client accepts for one answer. */
		amit_sendf(c, "Response: Success\r\nActionID: %s\r\nEventList: start\r\n\r\n", id);
		char *line = malloc(60 * 1024);
		memset(line, 'x', 60 * 1024 - 1);
		line[60 * 1024 - 1] = '\0';
		for (int e = 0; e < 40; e++) {
			amit_sendf(c, "Event: Blob\r\nActionID: %s\r\n", id);
			for (int k = 0; k < 17; k++)
				amit_sendf(c, "Data: %s\r\n", line);
			amit_send(c, "\r\n");
		}
		free(line);
		amit_sendf(c, "Event: BlobComplete\r\nActionID: %s\r\nEventList: Complete\r\n\r\n", id);
	} else {
		amit_sendf(c, "Response: Error\r\nActionID: %s\r\nMessage: Invalid/unknown command: %s. Use Action: "
		              "ListCommands to show available commands.\r\n\r\n", id, action);
	}
}

struct fixture {
	struct seen *seen;
	struct amit_server *srv;
	struct ami_options o;
	struct ami_pool *pool;
};

static void setup(struct fixture *f, enum ami_auth auth)
{
	f->seen = seen_new();
	f->srv = amit_server_start(handler, f->seen, true);
	amit_options(&f->o, amit_server_port(f->srv));
	f->o.auth = auth;
	char err[300];
	f->pool = ami_pool_create(&f->o, err, sizeof err);
	ck_assert_msg(f->pool != NULL, "%s", err);
}

static void teardown(struct fixture *f)
{
	ami_pool_destroy(f->pool);
	amit_server_stop(f->srv);
	seen_free(f->seen);
}

static enum ami_status simple(struct ami_pool *p, const char *action, struct ami_result *r)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", action);
	enum ami_status st = ami_pool_action(p, &m, r);
	ami_msg_free(&m);
	return st;
}

START_TEST(plain_and_md5_login_then_answer_matching)
{
	for (int auth = 0; auth < 2; auth++) {
		struct fixture f;
		setup(&f, auth ? AMI_AUTH_MD5 : AMI_AUTH_PLAIN);
		struct ami_result r;
		ami_result_init(&r);
		ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);
		/* The event and the foreign answer were set aside, not taken for ours. */
		ck_assert_str_eq(ami_msg_get(r.response, "Ping"), "Pong");
		ck_assert_str_eq(ami_msg_get(r.response, "Timestamp"), "1.0");
		ck_assert_ptr_null(ami_msg_get(r.response, "Event"));
		ck_assert_uint_eq(r.n_events, 0);
		ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);
		ck_assert_str_eq(ami_msg_get(r.response, "Timestamp"), "1.0");
		ami_result_free(&r);
		ck_assert_int_eq(amit_server_accepted(f.srv), 1);   /* one persistent connection reused */
		teardown(&f);
	}
}
END_TEST

START_TEST(wrong_secret_is_unreachable)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	ami_pool_destroy(f.pool);
	snprintf(f.o.secret, sizeof f.o.secret, "wrong");
	f.o.backoff_initial_ms = 3000;   /* long enough that the retry below surely falls inside it */
	f.o.backoff_max_ms = 3000;
	char err[300];
	f.pool = ami_pool_create(&f.o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_UNREACHABLE);
	ck_assert_msg(strstr(r.message, "Authentication failed") != NULL, "%s", r.message);
	ck_assert_ptr_null(strstr(r.message, "wrong"));
	/* Back-off: an immediate retry fails fast without connecting. */
	int before = amit_server_accepted(f.srv);
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_UNREACHABLE);
	ck_assert_ptr_nonnull(strstr(r.message, "next attempt in"));
	ck_assert_int_eq(amit_server_accepted(f.srv), before);
	ck_assert_int_eq(f.seen->actions, 0);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(lists_commands_and_errors)
{
	struct fixture f;
	setup(&f, AMI_AUTH_MD5);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(f.pool, "PJSIPShowEndpoints", &r), AMI_OK);
	ck_assert_uint_eq(r.n_events, 2);
	ck_assert_str_eq(ami_msg_get(r.events[0], "ObjectName"), "201");
	ck_assert_str_eq(ami_msg_get(r.events[1], "ObjectName"), "202");
	ck_assert_str_eq(ami_msg_get(r.complete, "ListItems"), "2");

	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Command");
	ami_msg_add(&m, "Command", "old");
	ck_assert_int_eq(ami_pool_action(f.pool, &m, &r), AMI_OK);
	ck_assert_uint_eq(ami_msg_count(r.response, "Output"), 2);
	ck_assert_str_eq(ami_msg_get(r.response, "Output"), "line one");
	ami_msg_free(&m);
	ami_msg_add(&m, "Action", "Command");
	ami_msg_add(&m, "Command", "new");
	ck_assert_int_eq(ami_pool_action(f.pool, &m, &r), AMI_OK);
	ck_assert_str_eq(r.message, "Command output follows");
	ck_assert_uint_eq(ami_msg_count(r.response, "Output"), 2);
	ami_msg_free(&m);
	ami_msg_add(&m, "Action", "Command");
	ami_msg_add(&m, "Command", "bad");
	ck_assert_int_eq(ami_pool_action(f.pool, &m, &r), AMI_ERROR);
	ck_assert_str_eq(r.message, "No such command 'bad'");
	ami_msg_free(&m);

	ck_assert_int_eq(simple(f.pool, "NoSuchAction", &r), AMI_ERROR);
	ck_assert_ptr_nonnull(strstr(r.message, "Invalid/unknown command: NoSuchAction"));
	ck_assert_str_eq(ami_status_name(r.status), "error");
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(invalid_message_is_refused_before_connecting)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Command");
	ami_msg_add(&m, "Command", "core show version\r\n\r\nAction: Command\r\nCommand: core stop now");
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(ami_pool_action(f.pool, &m, &r), AMI_INVALID);
	ck_assert_ptr_nonnull(strstr(r.message, "'Command'"));
	ck_assert_int_eq(amit_server_accepted(f.srv), 0);
	ami_msg_free(&m);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(lost_answer_is_unknown_outcome_and_never_replayed)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	struct ami_update u;
	ami_update_init(&u, "x.conf");
	ami_update_add(&u, AMI_UC_NEWCAT, "crash", NULL, NULL, NULL, -1, NULL, NULL);
	f.seen->file_exists = true;
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(ami_pool_update_config(f.pool, &u, true, &r), AMI_UNKNOWN_OUTCOME);
	ck_assert_msg(strstr(r.message, "closed") != NULL, "%s", r.message);
	ck_assert_int_eq(f.seen->updates, 1);
	ck_assert_int_eq(f.seen->creates, 0);
	/* The pool recovers on a new connection; the lost request was not sent again. */
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);
	ck_assert_int_eq(f.seen->updates, 1);
	ck_assert_int_eq(amit_server_accepted(f.srv), 2);
	struct ami_pool_stats st;
	ami_pool_stats(f.pool, &st);
	ck_assert_uint_eq(st.dropped, 1);
	ami_update_free(&u);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(timeout_is_unknown_outcome)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	ami_pool_destroy(f.pool);
	f.o.io_timeout_ms = 300;
	char err[300];
	f.pool = ami_pool_create(&f.o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	struct ami_pool_stats st;
	ami_pool_stats(f.pool, &st);
	ck_assert_int_eq(st.health, AMI_HEALTH_UNKNOWN);
	ck_assert_int_eq(simple(f.pool, "Slow", &r), AMI_UNKNOWN_OUTCOME);
	ck_assert_msg(strstr(r.message, "timed out") != NULL, "%s", r.message);
	ami_pool_stats(f.pool, &st);
	ck_assert_int_eq(st.health, AMI_HEALTH_NOT_ANSWERING);
	ck_assert_int_gt(st.health_since, 0);
	ck_assert_ptr_nonnull(strstr(st.last_problem, "timed out"));
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);
	ami_pool_stats(f.pool, &st);
	ck_assert_int_eq(st.health, AMI_HEALTH_ANSWERING);
	ck_assert_int_ge(st.last_answer, st.health_since);
	ck_assert_int_eq(st.size, f.o.pool_size);
	ck_assert_int_eq(st.open, 1);
	ck_assert_int_eq(st.busy, 0);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(trickling_answer_meets_the_whole_request_deadline)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	ami_pool_destroy(f.pool);
	f.o.io_timeout_ms = 500;
	char err[300];
	f.pool = ami_pool_create(&f.o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);   /* logged in before the clock starts */
	long long t0 = ami_now_ms();
	ck_assert_int_eq(simple(f.pool, "Trickle", &r), AMI_UNKNOWN_OUTCOME);
	long long took = ami_now_ms() - t0;
	ck_assert_msg(took >= 450 && took < 1500, "took %lld ms for a 500 ms deadline", took);
	ck_assert_msg(strstr(r.message, "timed out") != NULL, "%s", r.message);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(answer_larger_than_the_bound_is_refused)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	ami_pool_destroy(f.pool);
	f.o.io_timeout_ms = 60000;   /* the bound, not the clock, must end it (valgrind parses 32 MiB slowly) */
	char err[300];
	f.pool = ami_pool_create(&f.o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(f.pool, "Huge", &r), AMI_UNKNOWN_OUTCOME);
	ck_assert_msg(strstr(r.message, "larger than the client accepts") != NULL, "%s", r.message);
	ck_assert_uint_eq(r.n_events, 0);
	/* The connection was dropped; the next request gets a fresh one. */
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(idle_connection_closed_by_server_reconnects_silently)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);
	amit_server_kill_conns(f.srv);
	usleep(50 * 1000);
	/* Nothing was in flight: the dead idle connection is replaced before sending. */
	ck_assert_int_eq(simple(f.pool, "Ping", &r), AMI_OK);
	ck_assert_int_eq(amit_server_accepted(f.srv), 2);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(unreachable_and_backoff)
{
	/* A port where nobody listens: take one from a server and stop it. */
	struct amit_server *srv = amit_server_start(NULL, NULL, true);
	int port = amit_server_port(srv);
	amit_server_stop(srv);
	struct ami_options o;
	amit_options(&o, port);
	o.backoff_initial_ms = 400;
	o.backoff_max_ms = 800;
	char err[300];
	struct ami_pool *p = ami_pool_create(&o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	ck_assert_msg(strstr(r.message, "Connection refused") != NULL, "%s", r.message);
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	ck_assert_ptr_nonnull(strstr(r.message, "next attempt in"));
	usleep(450 * 1000);
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	ck_assert_ptr_null(strstr(r.message, "next attempt in"));   /* a real attempt again */
	struct ami_pool_stats st;
	ami_pool_stats(p, &st);
	ck_assert_uint_eq(st.connect_failures, 2);
	ck_assert_int_eq(st.health, AMI_HEALTH_UNREACHABLE);
	ck_assert_ptr_nonnull(strstr(st.last_problem, "Connection refused"));
	ck_assert_int_eq(st.last_answer, 0);
	ck_assert_int_eq(st.open, 0);
	ami_result_free(&r);
	ami_pool_destroy(p);
}
END_TEST

/* A PBX frozen with SIGSTOP: the kernel still accepts the connection, and then nothing comes. That is a PBX
 * that does not answer, not one that is down. */
START_TEST(silent_server_is_not_answering)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	socklen_t al = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &al);
	struct ami_options o;
	amit_options(&o, ntohs(a.sin_port));
	o.io_timeout_ms = 300;
	char err[300];
	struct ami_pool *p = ami_pool_create(&o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	struct ami_pool_stats st;
	ami_pool_stats(p, &st);
	ck_assert_int_eq(st.health, AMI_HEALTH_NOT_ANSWERING);
	ck_assert_str_eq(ami_health_name(st.health), "not_answering");
	/* Backing off, the same. */
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	ami_pool_stats(p, &st);
	ck_assert_int_eq(st.health, AMI_HEALTH_NOT_ANSWERING);
	ami_result_free(&r);
	ami_pool_destroy(p);
	close(fd);
}
END_TEST

START_TEST(update_config_creates_missing_file)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	struct ami_update u;
	ami_update_init(&u, "new.conf");
	ami_update_add(&u, AMI_UC_NEWCAT, "201", NULL, NULL, NULL, -1, NULL, NULL);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(ami_pool_update_config(f.pool, &u, false, &r), AMI_ERROR);
	ck_assert_str_eq(r.message, "File requires escalated privileges");
	ck_assert_int_eq(ami_pool_update_config(f.pool, &u, true, &r), AMI_OK);
	ck_assert_str_eq(f.seen->order, "UpdateConfig,UpdateConfig,CreateConfig,UpdateConfig,");
	/* An empty update sends nothing. */
	struct ami_update empty;
	ami_update_init(&empty, "new.conf");
	ck_assert_int_eq(ami_pool_update_config(f.pool, &empty, true, &r), AMI_OK);
	ck_assert_int_eq(f.seen->actions, 4);
	ami_update_free(&empty);
	ami_update_free(&u);
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(keepalive_pings_idle_connections)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	ami_pool_destroy(f.pool);
	f.o.keepalive_s = 1;
	char err[300];
	f.pool = ami_pool_create(&f.o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(f.pool, "NoSuchAction", &r), AMI_ERROR);
	ami_pool_keepalive(f.pool);   /* not idle long enough yet */
	ck_assert_int_eq(f.seen->pings, 0);
	usleep(1100 * 1000);
	ami_pool_keepalive(f.pool);
	ck_assert_int_eq(f.seen->pings, 1);
	usleep(1100 * 1000);
	ck_assert_int_eq(simple(f.pool, "NoSuchAction", &r), AMI_ERROR);   /* ping on borrow first */
	ck_assert_str_eq(f.seen->order, "NoSuchAction,Ping,Ping,NoSuchAction,");
	ami_result_free(&r);
	teardown(&f);
}
END_TEST

START_TEST(not_asterisk_banner_is_refused)
{
	/* A server that talks something else: refused before any credential is sent. */
	struct seen *seen = seen_new();
	struct amit_server *srv = amit_server_start(handler, seen, false);
	amit_server_set_banner(srv, "SSH-2.0-OpenSSH_9.2\r\n");
	struct ami_options o;
	amit_options(&o, amit_server_port(srv));
	char err[300];
	struct ami_pool *p = ami_pool_create(&o, err, sizeof err);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	ck_assert_msg(strstr(r.message, "not an Asterisk manager") != NULL, "%s", r.message);
	ami_result_free(&r);
	ami_pool_destroy(p);
	amit_server_stop(srv);
	ck_assert_int_eq(seen->actions, 0);
	seen_free(seen);
}
END_TEST

struct threads_arg {
	struct ami_pool *pool;
	int ok;
};

static void *ping_thread(void *arg)
{
	struct threads_arg *a = arg;
	struct ami_result r;
	ami_result_init(&r);
	for (int i = 0; i < 50; i++) {
		if (simple(a->pool, "Ping", &r) == AMI_OK && strcmp(ami_msg_get(r.response, "Timestamp"), "1.0") == 0)
			a->ok++;
		else
			fprintf(stderr, "ping failed: %s\n", r.message);
	}
	ami_result_free(&r);
	return NULL;
}

START_TEST(many_threads_share_the_pool)
{
	struct fixture f;
	setup(&f, AMI_AUTH_PLAIN);
	pthread_t t[8];
	struct threads_arg a[8];
	for (int i = 0; i < 8; i++) {
		a[i] = (struct threads_arg){ f.pool, 0 };
		pthread_create(&t[i], NULL, ping_thread, &a[i]);
	}
	int ok = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += a[i].ok;
	}
	ck_assert_int_eq(ok, 400);
	ck_assert_int_le(amit_server_accepted(f.srv), 2);   /* pool_size */
	teardown(&f);
}
END_TEST

/* ---------- event watcher ---------- */

struct ev_log {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char seq[1024];
	int n;
	char states[256];
	int logins;
};

static void ev_handler(struct amit_conn *c, const struct ami_msg *req, void *ud)
{
	struct ev_log *l = ud;
	const char *action = ami_msg_get(req, "Action");
	if (strcasecmp(action, "Login") != 0)
		return;
	const char *events = ami_msg_get(req, "Events");
	ck_assert_str_eq(events, "call,system");
	pthread_mutex_lock(&l->mu);
	int login = ++l->logins;
	pthread_mutex_unlock(&l->mu);
	amit_sendf(c, "Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n", amit_id(req));
	/* First connection: events 1-5 then the server "crashes"; second: 6-10 and stays up. */
	int from = login == 1 ? 1 : 6;
	for (int i = from; i < from + 5; i++)
		amit_sendf(c, "Event: Newchannel\r\nPrivilege: call,all\r\nSeq: %d\r\n\r\n", i);
	if (login == 1)
		amit_close(c);
}

static void on_event(const struct ami_msg *ev, void *ud)
{
	struct ev_log *l = ud;
	pthread_mutex_lock(&l->mu);
	size_t len = strlen(l->seq);
	snprintf(l->seq + len, sizeof l->seq - len, "%s,", ami_msg_get(ev, "Seq"));
	l->n++;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static void on_state(enum ami_events_state st, const char *msg, void *ud)
{
	struct ev_log *l = ud;
	pthread_mutex_lock(&l->mu);
	size_t len = strlen(l->states);
	snprintf(l->states + len, sizeof l->states - len, "%c",
	         st == AMI_EVENTS_CONNECTED ? 'C' : st == AMI_EVENTS_RECONNECTED ? 'R' : 'D');
	pthread_mutex_unlock(&l->mu);
	(void)msg;
}

START_TEST(events_in_order_across_a_reconnect)
{
	struct ev_log l;
	memset(&l, 0, sizeof l);
	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.cv, NULL);
	struct amit_server *srv = amit_server_start(ev_handler, &l, false);
	struct ami_options o;
	amit_options(&o, amit_server_port(srv));
	char err[300];
	struct ami_events *e = ami_events_new(&o, "call,system", err, sizeof err);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ami_events_on(e, "Newchannel", on_event, &l), 0);
	ck_assert_int_eq(ami_events_on_state(e, on_state, &l), 0);
	ck_assert_int_eq(ami_events_start(e), 0);
	ck_assert_int_eq(ami_events_on(e, NULL, on_event, &l), -1);   /* only before start */
	pthread_mutex_lock(&l.mu);
	for (int waited = 0; l.n < 10 && waited < 50; waited++) {
		pthread_mutex_unlock(&l.mu);
		usleep(100 * 1000);
		pthread_mutex_lock(&l.mu);
	}
	ck_assert_str_eq(l.seq, "1,2,3,4,5,6,7,8,9,10,");
	ck_assert_str_eq(l.states, "CDR");
	pthread_mutex_unlock(&l.mu);
	ami_events_destroy(e);
	amit_server_stop(srv);
	pthread_cond_destroy(&l.cv);
	pthread_mutex_destroy(&l.mu);
}
END_TEST

START_TEST(events_stop_while_unreachable)
{
	struct amit_server *srv = amit_server_start(NULL, NULL, true);
	int port = amit_server_port(srv);
	amit_server_stop(srv);
	struct ami_options o;
	amit_options(&o, port);
	o.backoff_initial_ms = 5000;
	o.backoff_max_ms = 5000;
	char err[300];
	struct ami_events *e = ami_events_new(&o, "on", err, sizeof err);
	ck_assert_msg(e != NULL, "%s", err);
	ck_assert_int_eq(ami_events_start(e), 0);
	usleep(100 * 1000);
	ami_events_destroy(e);   /* must not wait for the 5 s back-off */
	ck_assert_ptr_null(ami_events_new(&o, "call\r\nAction: Command", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "line feed") ? err : strstr(err, "carriage return"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ami_conn");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plain_and_md5_login_then_answer_matching);
	tcase_add_test(tc, wrong_secret_is_unreachable);
	tcase_add_test(tc, lists_commands_and_errors);
	tcase_add_test(tc, invalid_message_is_refused_before_connecting);
	tcase_add_test(tc, lost_answer_is_unknown_outcome_and_never_replayed);
	tcase_add_test(tc, timeout_is_unknown_outcome);
	tcase_add_test(tc, trickling_answer_meets_the_whole_request_deadline);
	tcase_add_test(tc, answer_larger_than_the_bound_is_refused);
	tcase_add_test(tc, idle_connection_closed_by_server_reconnects_silently);
	tcase_add_test(tc, unreachable_and_backoff);
	tcase_add_test(tc, silent_server_is_not_answering);
	tcase_add_test(tc, update_config_creates_missing_file);
	tcase_add_test(tc, keepalive_pings_idle_connections);
	tcase_add_test(tc, many_threads_share_the_pool);
	tcase_add_test(tc, events_in_order_across_a_reconnect);
	tcase_add_test(tc, events_stop_while_unreachable);
	tcase_add_test(tc, not_asterisk_banner_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
