/* Tests against the Python test PBX (tests/pbx/testpbx.py, which answers like Asterisk 22): TLS with a CA, with a
 * pinned fingerprint, and refused with a wrong certificate; MD5 and plain login; wrong secret; permission denied;
 * every UpdateConfig action and error; the diff applied for real; 8 threads x 100 Appends through a pool of 4;
 * a server dying mid-request (AMI_UNKNOWN_OUTCOME, never replayed) and restarting; events across a reconnect. */
#include <check.h>

#include "support/check_run.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "ami/ami.h"
#include "cmd_ami.h"
#include "support/testpbx_support.h"

/* Started once per test binary by an unchecked fixture, before check forks each test. */
static struct testpbx pbx;

static void pbx_up(void)
{
	if (!testpbx_available() || testpbx_start(&pbx) != 0) {
		fprintf(stderr, "test PBX unavailable\n");
		exit(EXIT_FAILURE);
	}
}

static void pbx_down(void)
{
	testpbx_stop(&pbx);
}

static void ctl(const char *json)
{
	char reply[4096];
	ck_assert_msg(testpbx_control(&pbx, json, reply, sizeof reply) == 0, "control %s: %s", json, reply);
}

/* Each test starts with zeroed counters and no injected faults. */
static void per_test_reset(void)
{
	ctl("{\"cmd\": \"reset\"}");
}

static struct ami_pool *pool_or_die(const struct ami_options *o)
{
	char err[300];
	struct ami_pool *p = ami_pool_create(o, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	return p;
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

/* GetConfig of one file, parsed. */
static void get_config(struct ami_pool *p, const char *file, struct ami_config *c)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "GetConfig");
	ami_msg_add(&m, "Filename", file);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_msg(ami_pool_action(p, &m, &r) == AMI_OK, "GetConfig %s: %s", file, r.message);
	char err[200];
	ck_assert_msg(ami_config_parse(r.response, c, err, sizeof err) == 0, "%s", err);
	ami_result_free(&r);
	ami_msg_free(&m);
}

static const struct ami_cfg_cat *find_cat(const struct ami_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_cats; i++)
		if (strcmp(c->cats[i].name, name) == 0)
			return &c->cats[i];
	return NULL;
}

/* ---------- TLS ---------- */

static enum ami_status tls_ping(const char *host, const char *cafile, const char *fingerprint, struct ami_result *r)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	snprintf(o.host, sizeof o.host, "%s", host);
	o.tls = true;
	o.port = pbx.tls_port;
	snprintf(o.cafile, sizeof o.cafile, "%s", cafile ? cafile : "");
	snprintf(o.fingerprint, sizeof o.fingerprint, "%s", fingerprint ? fingerprint : "");
	struct ami_pool *p = pool_or_die(&o);
	enum ami_status st = simple(p, "CoreSettings", r);
	ami_pool_destroy(p);
	return st;
}

START_TEST(tls_with_ca_file)
{
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_msg(tls_ping("127.0.0.1", pbx.cafile, NULL, &r) == AMI_OK, "%s", r.message);
	ck_assert_str_eq(ami_msg_get(r.response, "AMIversion"), "11.0.0");
	ck_assert_msg(tls_ping("localhost", pbx.cafile, NULL, &r) == AMI_OK, "%s", r.message);   /* SNI + name */
	/* The server's certificate does not chain to another CA. */
	ck_assert_int_eq(tls_ping("127.0.0.1", pbx.other_cafile, NULL, &r), AMI_UNREACHABLE);
	ck_assert_msg(strstr(r.message, "certificate verification failed") != NULL, "%s", r.message);
	ami_result_free(&r);
}
END_TEST

START_TEST(tls_with_pinned_fingerprint)
{
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_msg(tls_ping("127.0.0.1", NULL, pbx.fingerprint, &r) == AMI_OK, "%s", r.message);
	/* Colons optional, case-insensitive. */
	char plain[96];
	size_t n = 0;
	for (const char *s = pbx.fingerprint; *s; s++)
		if (*s != ':')
			plain[n++] = (char)(*s >= 'A' && *s <= 'F' ? *s + 32 : *s);
	plain[n] = '\0';
	ck_assert_msg(tls_ping("127.0.0.1", NULL, plain, &r) == AMI_OK, "%s", r.message);
	ami_result_free(&r);
}
END_TEST

START_TEST(tls_wrong_certificate_names_both_fingerprints)
{
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(tls_ping("127.0.0.1", NULL, pbx.other_fingerprint, &r), AMI_UNREACHABLE);
	ck_assert_msg(strstr(r.message, "TLS certificate mismatch") != NULL, "%s", r.message);
	ck_assert_msg(strstr(r.message, pbx.other_fingerprint) != NULL, "expected missing: %s", r.message);
	ck_assert_msg(strstr(r.message, pbx.fingerprint) != NULL, "got missing: %s", r.message);
	long logins = testpbx_action_count(&pbx, "Login");
	ck_assert_int_eq(logins, 0);   /* no credential went to the wrong server */
	ami_result_free(&r);
}
END_TEST

/* ---------- login ---------- */

START_TEST(md5_and_plain_login)
{
	for (int auth = 0; auth < 2; auth++) {
		struct ami_options o;
		testpbx_options(&pbx, &o);
		o.auth = auth ? AMI_AUTH_MD5 : AMI_AUTH_PLAIN;
		struct ami_pool *p = pool_or_die(&o);
		struct ami_result r;
		ami_result_init(&r);
		ck_assert_msg(simple(p, "Ping", &r) == AMI_OK, "%s", r.message);
		ck_assert_str_eq(ami_msg_get(r.response, "Ping"), "Pong");
		ami_result_free(&r);
		ami_pool_destroy(p);
	}
	ck_assert_int_eq(testpbx_action_count(&pbx, "Challenge"), 1);
}
END_TEST

START_TEST(wrong_secret)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	snprintf(o.secret, sizeof o.secret, "wrong");
	o.auth = AMI_AUTH_MD5;
	struct ami_pool *p = pool_or_die(&o);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	ck_assert_msg(strstr(r.message, "Authentication failed") != NULL, "%s", r.message);
	ami_result_free(&r);
	ami_pool_destroy(p);
}
END_TEST

START_TEST(permission_denied)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	snprintf(o.username, sizeof o.username, "limited");
	snprintf(o.secret, sizeof o.secret, "%s", TESTPBX_LIMITED_SECRET);
	struct ami_pool *p = pool_or_die(&o);
	struct ami_update u;
	ami_update_init(&u, "pjsip.conf");
	ami_update_add(&u, AMI_UC_NEWCAT, "x", NULL, NULL, NULL, -1, NULL, NULL);
	struct ami_result r;
	ami_result_init(&r);
	ck_assert_int_eq(ami_pool_update_config(p, &u, true, &r), AMI_ERROR);
	ck_assert_str_eq(r.message, "Permission denied");
	ck_assert_int_eq(simple(p, "CoreSettings", &r), AMI_ERROR);
	ck_assert_str_eq(r.message, "Permission denied");
	ami_update_free(&u);
	ami_result_free(&r);
	ami_pool_destroy(p);
}
END_TEST

/* ---------- boot ---------- */

static bool fully_booted(struct ami_pool *p)
{
	char msg[300];
	bool booted = true;
	ck_assert_msg(ami_pool_fully_booted(p, &booted, msg, sizeof msg) == AMI_OK, "%s", msg);
	return booted;
}

START_TEST(fully_booted_only_once_the_boot_ends)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	struct ami_pool *p = pool_or_die(&o);
	ck_assert(fully_booted(p));
	ctl("{\"cmd\": \"restart\", \"boot_ms\": 800}");
	ck_assert(!fully_booted(p));       /* AMI answers, but the modules still load */
	bool booted = false;
	for (int i = 0; i < 100 && !booted; i++) {
		usleep(50 * 1000);
		booted = fully_booted(p);
	}
	ck_assert(booted);
	/* A manager user that may not read "system" never hears FullyBooted. */
	snprintf(o.username, sizeof o.username, "limited");
	snprintf(o.secret, sizeof o.secret, "%s", TESTPBX_LIMITED_SECRET);
	struct ami_pool *limited = pool_or_die(&o);
	ck_assert(!fully_booted(limited));
	ami_pool_destroy(limited);
	/* Nobody there: an error, not "not booted". */
	testpbx_options(&pbx, &o);
	o.port = 1;
	struct ami_pool *none = pool_or_die(&o);
	char msg[300];
	ck_assert_int_eq(ami_pool_fully_booted(none, &booted, msg, sizeof msg), AMI_UNREACHABLE);
	ami_pool_destroy(none);
	ami_pool_destroy(p);
}
END_TEST

/* ---------- UpdateConfig ---------- */

static enum ami_status update(struct ami_pool *p, struct ami_update *u, struct ami_result *r)
{
	enum ami_status st = ami_pool_update_config(p, u, true, r);
	ami_update_free(u);
	return st;
}

START_TEST(updateconfig_every_action_and_error)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	struct ami_pool *p = pool_or_die(&o);
	struct ami_result r;
	ami_result_init(&r);
	struct ami_update u;
	const char *f = "centralita_test.conf";

	/* The file does not exist: CreateConfig, then the same update again. */
	ami_update_init(&u, f);
	ami_update_add(&u, AMI_UC_NEWCAT, "alpha", NULL, NULL, NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_APPEND, "alpha", "type", "endpoint", NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_APPEND, "alpha", "allow", "ulaw", NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_APPEND, "alpha", "allow", "alaw", NULL, -1, NULL, NULL);
	ck_assert_msg(update(p, &u, &r) == AMI_OK, "%s", r.message);
	ck_assert_int_eq(testpbx_action_count(&pbx, "CreateConfig"), 1);

	ami_update_init(&u, f);
	ami_update_add(&u, AMI_UC_NEWCAT, "tpl", NULL, NULL, NULL, -1, "template", NULL);
	ami_update_add(&u, AMI_UC_APPEND, "tpl", "context", "internal", NULL, -1, NULL, "TEMPLATES=include");
	ami_update_add(&u, AMI_UC_NEWCAT, "beta", NULL, NULL, NULL, -1, "inherit=tpl", NULL);
	ami_update_add(&u, AMI_UC_APPEND, "beta", "note", "semi;colon", NULL, -1, NULL, NULL);
	ck_assert_msg(update(p, &u, &r) == AMI_OK, "%s", r.message);

	ami_update_init(&u, f);
	ami_update_add(&u, AMI_UC_UPDATE, "alpha", "allow", "g722", "alaw", -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_DELETE, "alpha", "allow", NULL, "ulaw", -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_INSERT, "alpha", "disallow", "all", NULL, 0, NULL, NULL);
	ami_update_add(&u, AMI_UC_NEWCAT, "gamma", NULL, NULL, NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_APPEND, "gamma", "x", "1", NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_RENAMECAT, "gamma", NULL, "delta", NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_EMPTYCAT, "delta", NULL, NULL, NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_APPEND, "delta", "y", "2", NULL, -1, NULL, NULL);
	ck_assert_msg(update(p, &u, &r) == AMI_OK, "%s", r.message);

	struct ami_config c;
	get_config(p, f, &c);
	const struct ami_cfg_cat *alpha = find_cat(&c, "alpha"), *beta = find_cat(&c, "beta");
	const struct ami_cfg_cat *delta = find_cat(&c, "delta");
	ck_assert_ptr_nonnull(alpha);
	ck_assert_uint_eq(alpha->n_lines, 3);
	ck_assert_str_eq(alpha->lines[0].name, "disallow");
	ck_assert_str_eq(alpha->lines[2].value, "g722");
	ck_assert_ptr_nonnull(beta);
	ck_assert_uint_eq(beta->n_templates, 1);
	ck_assert_str_eq(ami_cfg_cat_get(beta, "note"), "semi;colon");
	ck_assert_str_eq(ami_cfg_cat_get(beta, "context"), "internal");   /* inherited, shown in the child */
	ck_assert_ptr_nonnull(delta);
	ck_assert_uint_eq(delta->n_lines, 1);
	ck_assert_ptr_null(find_cat(&c, "gamma"));
	ami_config_free(&c);

	/* DelCat, and the errors Asterisk gives. */
	ami_update_init(&u, f);
	ami_update_add(&u, AMI_UC_DELCAT, "delta", NULL, NULL, NULL, -1, NULL, NULL);
	ck_assert_msg(update(p, &u, &r) == AMI_OK, "%s", r.message);
	struct {
		enum ami_uc_action a;
		const char *cat, *var, *value, *opts, *filter, *msg;
	} errs[] = {
		{ AMI_UC_NEWCAT, "alpha", NULL, NULL, NULL, NULL, "Create category did not complete successfully" },
		{ AMI_UC_APPEND, "nosuch", "a", "b", NULL, NULL, "Given category does not exist" },
		{ AMI_UC_UPDATE, "alpha", "nosuchvar", "x", NULL, NULL, "Update did not complete successfully" },
		{ AMI_UC_DELETE, "alpha", "nosuchvar", NULL, NULL, NULL, "Update did not complete successfully" },
		{ AMI_UC_NEWCAT, "child", NULL, NULL, "inherit=nosuchtpl", NULL, "Template category not found" },
		{ AMI_UC_DELCAT, "alpha", NULL, NULL, NULL, "type=nomatch", "Given category does not exist" },
		{ AMI_UC_APPEND, "tpl", "x", "y", NULL, NULL, "Given category does not exist" },
	};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		ami_update_init(&u, f);
		ami_update_add(&u, AMI_UC_NEWCAT, "ok1", NULL, NULL, NULL, -1, NULL, NULL);   /* all-or-nothing */
		ami_update_add(&u, errs[i].a, errs[i].cat, errs[i].var, errs[i].value, NULL, -1, errs[i].opts,
		               errs[i].filter);
		ck_assert_int_eq(update(p, &u, &r), AMI_ERROR);
		ck_assert_str_eq(r.message, errs[i].msg);
	}
	get_config(p, f, &c);
	ck_assert_ptr_null(find_cat(&c, "ok1"));
	ami_config_free(&c);
	/* Refused locally, never sent: a path, a bad category. */
	long before = testpbx_action_count(&pbx, "UpdateConfig");
	ami_update_init(&u, "../../etc/passwd");
	ami_update_add(&u, AMI_UC_NEWCAT, "x", NULL, NULL, NULL, -1, NULL, NULL);
	ck_assert_int_eq(update(p, &u, &r), AMI_INVALID);
	ck_assert_int_eq(testpbx_action_count(&pbx, "UpdateConfig"), before);
	ami_result_free(&r);
	ami_pool_destroy(p);
}
END_TEST

/* The diff applied to the PBX: pjsip-style same-named sections, then changes, each converging in one request. */
START_TEST(diff_applied_for_real)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	struct ami_pool *p = pool_or_die(&o);
	struct ami_result r;
	ami_result_init(&r);
	const char *f = "pjsip_centralita.conf";
	const char *owned[] = { "201", "201-auth" };
	struct ami_cfg_line ep1[] = { { "type", "endpoint" }, { "context", "internal" }, { "disallow", "all" },
	                              { "allow", "ulaw" }, { "allow", "alaw" }, { "auth", "201-auth" },
	                              { "aors", "201" } };
	struct ami_cfg_line aor1[] = { { "type", "aor" }, { "max_contacts", "1" } };
	struct ami_cfg_line auth1[] = { { "type", "auth" }, { "auth_type", "userpass" }, { "username", "201" },
	                                { "password", "s3cret;x" } };
	struct ami_cfg_line ep2[] = { { "type", "endpoint" }, { "context", "internal" }, { "disallow", "all" },
	                              { "allow", "g722" }, { "allow", "ulaw" }, { "auth", "201-auth" },
	                              { "aors", "201" } };
	struct ami_cfg_line aor2[] = { { "type", "aor" }, { "max_contacts", "2" } };
	struct ami_cfg_want v1[] = { { "201", "endpoint", ep1, 7 }, { "201", "aor", aor1, 2 },
	                             { "201-auth", NULL, auth1, 4 } };
	struct ami_cfg_want v2[] = { { "201", "endpoint", ep2, 7 }, { "201", "aor", aor2, 2 } };
	struct ami_cfg_want *states[] = { v1, v2, v1 };
	size_t counts[] = { 3, 2, 3 };
	for (int round = 0; round < 3; round++) {
		for (int pass = 0; pass < 2; pass++) {
			struct ami_config c = { 0 };
			if (pass || round)
				get_config(p, f, &c);
			struct ami_update u;
			ami_update_init(&u, f);
			char err[300];
			ck_assert_msg(ami_config_diff(&c, owned, 2, states[round], counts[round], &u, err, sizeof err) == 0,
			              "%s", err);
			ami_config_free(&c);
			if (pass == 1) {
				ck_assert_msg(u.n == 0, "round %d: second diff has %zu actions (%s %s)", round, u.n,
				              ami_uc_action_name(u.ops[0].action), u.ops[0].cat);
				ami_update_free(&u);
				continue;
			}
			ck_assert_uint_gt(u.n, 0);
			ck_assert_msg(update(p, &u, &r) == AMI_OK, "round %d: %s", round, r.message);
		}
	}
	char *text = testpbx_read_conf(&pbx, f);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(strstr(text, "centralita-new-"));   /* temporary names all renamed */
	free(text);
	ami_result_free(&r);
	ami_pool_destroy(p);
}
END_TEST

/* ---------- concurrency ---------- */

struct appender {
	struct ami_pool *pool;
	int id;
	int ok;
	char last_error[512];
};

static void *append_thread(void *arg)
{
	struct appender *a = arg;
	struct ami_result r;
	ami_result_init(&r);
	char var[32], val[32];
	for (int i = 0; i < 100; i++) {
		struct ami_update u;
		ami_update_init(&u, "concurrent.conf");
		snprintf(var, sizeof var, "t%d", a->id);
		snprintf(val, sizeof val, "%d-%d", a->id, i);
		ami_update_add(&u, AMI_UC_APPEND, "many", var, val, NULL, -1, NULL, NULL);
		if (ami_pool_update_config(a->pool, &u, false, &r) == AMI_OK)
			a->ok++;
		else
			snprintf(a->last_error, sizeof a->last_error, "%s", r.message);
		ami_update_free(&u);
	}
	ami_result_free(&r);
	return NULL;
}

START_TEST(eight_threads_hundred_appends_pool_of_four)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	o.pool_size = 4;
	o.io_timeout_ms = 20000;
	struct ami_pool *p = pool_or_die(&o);
	struct ami_result r;
	ami_result_init(&r);
	struct ami_update u;
	ami_update_init(&u, "concurrent.conf");
	ami_update_add(&u, AMI_UC_NEWCAT, "many", NULL, NULL, NULL, -1, NULL, NULL);
	ck_assert_msg(update(p, &u, &r) == AMI_OK, "%s", r.message);
	pthread_t t[8];
	struct appender a[8];
	for (int i = 0; i < 8; i++) {
		a[i] = (struct appender){ .pool = p, .id = i };
		pthread_create(&t[i], NULL, append_thread, &a[i]);
	}
	int ok = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(a[i].ok == 100, "thread %d: %d ok, last error %s", i, a[i].ok, a[i].last_error);
		ok += a[i].ok;
	}
	ck_assert_int_eq(ok, 800);
	struct ami_config c;
	get_config(p, "concurrent.conf", &c);
	const struct ami_cfg_cat *many = find_cat(&c, "many");
	ck_assert_ptr_nonnull(many);
	ck_assert_uint_eq(many->n_lines, 800);
	/* Per thread, in order: the pool kept every thread's appends sequential. */
	int next[8] = { 0 };
	for (size_t i = 0; i < many->n_lines; i++) {
		int th, n;
		ck_assert_int_eq(sscanf(many->lines[i].value, "%d-%d", &th, &n), 2);
		ck_assert_int_eq(n, next[th]);
		next[th]++;
	}
	struct ami_pool_stats st;
	ami_pool_stats(p, &st);
	ck_assert_uint_le(st.connects, 4);
	ami_config_free(&c);
	ami_result_free(&r);
	ami_pool_destroy(p);
}
END_TEST

/* ---------- failures ---------- */

START_TEST(server_dies_mid_request_then_restarts)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	o.pool_size = 2;
	struct ami_pool *p = pool_or_die(&o);
	struct ami_result r;
	ami_result_init(&r);
	struct ami_update u;
	ami_update_init(&u, "crash.conf");
	ami_update_add(&u, AMI_UC_NEWCAT, "once", NULL, NULL, NULL, -1, NULL, NULL);
	ck_assert_msg(update(p, &u, &r) == AMI_OK, "%s", r.message);
	long before = testpbx_action_count(&pbx, "UpdateConfig");

	/* The PBX applies the next UpdateConfig, then its session dies without answering. */
	ctl("{\"cmd\": \"drop_after\", \"n\": 0, \"mode\": \"after\", \"action\": \"UpdateConfig\"}");
	ami_update_init(&u, "crash.conf");
	ami_update_add(&u, AMI_UC_APPEND, "once", "n", "1", NULL, -1, NULL, NULL);
	ck_assert_int_eq(update(p, &u, &r), AMI_UNKNOWN_OUTCOME);
	ck_assert_msg(strstr(r.message, "answer lost") != NULL, "%s", r.message);
	ck_assert_int_eq(testpbx_action_count(&pbx, "UpdateConfig"), before + 1);

	/* The whole server goes away and comes back: unreachable meanwhile, then the pool recovers. */
	ctl("{\"cmd\": \"stop_listening\", \"kill\": true}");
	ck_assert_int_eq(simple(p, "Ping", &r), AMI_UNREACHABLE);
	ctl("{\"cmd\": \"start_listening\"}");
	enum ami_status st = AMI_UNREACHABLE;
	for (int i = 0; i < 40 && st != AMI_OK; i++) {
		usleep(50 * 1000);
		st = simple(p, "Ping", &r);
	}
	ck_assert_msg(st == AMI_OK, "%s", r.message);
	/* Nothing was replayed: one UpdateConfig more than before, and the value is there once. */
	ck_assert_int_eq(testpbx_action_count(&pbx, "UpdateConfig"), before + 1);
	struct ami_config c;
	get_config(p, "crash.conf", &c);
	ck_assert_uint_eq(find_cat(&c, "once")->n_lines, 1);
	ami_config_free(&c);
	ami_result_free(&r);
	ami_pool_destroy(p);
}
END_TEST

/* ---------- events ---------- */

struct ev_log {
	pthread_mutex_t mu;
	char seq[512];
	int n;
	char states[64];
};

static void on_event(const struct ami_msg *ev, void *ud)
{
	struct ev_log *l = ud;
	pthread_mutex_lock(&l->mu);
	size_t len = strlen(l->seq);
	const char *seq = ami_msg_get(ev, "Seq");
	snprintf(l->seq + len, sizeof l->seq - len, "%s,", seq ? seq : "?");
	l->n++;
	pthread_mutex_unlock(&l->mu);
}

static void on_state(enum ami_events_state st, const char *msg, void *ud)
{
	struct ev_log *l = ud;
	(void)msg;
	pthread_mutex_lock(&l->mu);
	size_t len = strlen(l->states);
	snprintf(l->states + len, sizeof l->states - len, "%c",
	         st == AMI_EVENTS_CONNECTED ? 'C' : st == AMI_EVENTS_RECONNECTED ? 'R' : 'D');
	pthread_mutex_unlock(&l->mu);
}

static bool wait_for(struct ev_log *l, int n, const char *states)
{
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&l->mu);
		bool done = l->n >= n && (!states || strcmp(l->states, states) == 0);
		pthread_mutex_unlock(&l->mu);
		if (done)
			return true;
		usleep(30 * 1000);
	}
	return false;
}

static void emit_user_events(int from, int to)
{
	char json[4096];
	size_t len = (size_t)snprintf(json, sizeof json, "{\"cmd\": \"events\", \"events\": [");
	for (int i = from; i <= to; i++)
		len += (size_t)snprintf(json + len, sizeof json - len,
		                        "%s{\"event\": \"UserEvent\", \"fields\": {\"UserEvent\": \"ctest\", \"Seq\": \"%d\"}}",
		                        i > from ? ", " : "", i);
	snprintf(json + len, sizeof json - len, "]}");
	ctl(json);
}

START_TEST(events_in_order_across_reconnect)
{
	struct ev_log l;
	memset(&l, 0, sizeof l);
	pthread_mutex_init(&l.mu, NULL);
	struct ami_options o;
	testpbx_options(&pbx, &o);
	o.auth = AMI_AUTH_MD5;
	char err[300];
	struct ami_events *e = ami_events_new(&o, "user,call", err, sizeof err);
	ck_assert_msg(e != NULL, "%s", err);
	ami_events_on(e, "UserEvent", on_event, &l);
	ami_events_on_state(e, on_state, &l);
	ck_assert_int_eq(ami_events_start(e), 0);
	ck_assert(wait_for(&l, 0, "C"));
	emit_user_events(1, 20);
	ck_assert(wait_for(&l, 20, NULL));
	ctl("{\"cmd\": \"kill_sessions\"}");
	ck_assert_msg(wait_for(&l, 20, "CDR"), "states %s", l.states);
	emit_user_events(21, 40);
	ck_assert(wait_for(&l, 40, NULL));
	char want[512] = "";
	for (int i = 1; i <= 40; i++)
		snprintf(want + strlen(want), sizeof want - strlen(want), "%d,", i);
	pthread_mutex_lock(&l.mu);
	ck_assert_str_eq(l.seq, want);
	pthread_mutex_unlock(&l.mu);
	ami_events_destroy(e);
	pthread_mutex_destroy(&l.mu);
}
END_TEST


/* ---------- the CLI module ---------- */

/* Runs cmd_ami with stdout captured into out. Returns its exit status. */
static int run_cli(const struct ami_options *o, int argc, char **argv, char *out, size_t outlen)
{
	char path[] = "/tmp/centralita-cli-XXXXXX";
	int fd = mkstemp(path);
	fflush(stdout);
	int saved = dup(1);
	dup2(fd, 1);
	int rc = cmd_ami(o, "core show version | pjsip show endpoint *", argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	ssize_t n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void *interrupt_later(void *arg)
{
	(void)arg;
	/* This thread must not take the SIGINT itself (default action: end the process); cmd_ami's sigwait does. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	usleep(400 * 1000);
	kill(getpid(), SIGINT);
	return NULL;
}

START_TEST(cli_action_events_and_errors)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	static char out[65536];
	char *ok[] = { "Command", "Command=core show version" };
	ck_assert_int_eq(run_cli(&o, 2, ok, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "Response: Success\n") && strstr(out, "Output: Asterisk 22.10.1"), "%s", out);
	/* A Command outside the allow-list is refused before anything is sent: no answer printed. */
	char *stop[] = { "Command", "Command=core stop now" };
	ck_assert_int_eq(run_cli(&o, 2, stop, out, sizeof out), 2);
	ck_assert_str_eq(out, "");
	char *disguised[] = { "command", "Command=core show version", "Command=core stop now" };
	ck_assert_int_eq(run_cli(&o, 3, disguised, out, sizeof out), 2);
	ck_assert_str_eq(out, "");
	char *list[] = { "CoreShowChannels" };
	ck_assert_int_eq(run_cli(&o, 1, list, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "EventList: Complete"), "%s", out);
	char *bad[] = { "NoSuchAction" };
	ck_assert_int_eq(run_cli(&o, 1, bad, out, sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "Response: Error"));
	char *inject[] = { "Ping", "X=a\r\nAction: Command" };
	ck_assert_int_eq(run_cli(&o, 2, inject, out, sizeof out), 2);
	char *notkv[] = { "Ping", "novalue" };
	ck_assert_int_eq(run_cli(&o, 2, notkv, out, sizeof out), 2);
	char *help[] = { "--help" };
	ck_assert_int_eq(run_cli(&o, 1, help, out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: centralita"));
	struct ami_options down = o;
	down.port = 1;
	ck_assert_int_eq(run_cli(&down, 1, bad, out, sizeof out), 1);
	/* --events until SIGINT (sent from another thread after a moment). */
	pthread_t t;
	pthread_create(&t, NULL, interrupt_later, NULL);
	char *ev[] = { "--events", "system" };
	ck_assert_int_eq(run_cli(&o, 2, ev, out, sizeof out), 0);
	pthread_join(t, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ami_pbx");
	TCase *tc = tcase_create("pbx");
	tcase_add_unchecked_fixture(tc, pbx_up, pbx_down);
	tcase_add_checked_fixture(tc, per_test_reset, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tls_with_ca_file);
	tcase_add_test(tc, tls_with_pinned_fingerprint);
	tcase_add_test(tc, tls_wrong_certificate_names_both_fingerprints);
	tcase_add_test(tc, md5_and_plain_login);
	tcase_add_test(tc, wrong_secret);
	tcase_add_test(tc, permission_denied);
	tcase_add_test(tc, fully_booted_only_once_the_boot_ends);
	tcase_add_test(tc, updateconfig_every_action_and_error);
	tcase_add_test(tc, diff_applied_for_real);
	tcase_add_test(tc, eight_threads_hundred_appends_pool_of_four);
	tcase_add_test(tc, server_dies_mid_request_then_restarts);
	tcase_add_test(tc, events_in_order_across_reconnect);
	tcase_add_test(tc, cli_action_events_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
