/* Unit tests of the pbx layer against the Python test PBX (tests/pbx/testpbx.py), which reproduces Asterisk
 * 22's one-reload-at-a-time lock and the difference between what the files hold and what is loaded:
 * pbx_reload() waits out another reload instead of losing its own (reload.h), and pbx_loaded_read() /
 * pbx_loaded_phone() tell a phone that is live from one whose files are right but not loaded (loaded.h). */
#include <check.h>

#include "support/check_run.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ami/ami.h"
#include "pbx/loaded.h"
#include "pbx/pbx.h"
#include "pbx/pbx_file.h"
#include "pbx/reload.h"
#include "util/buf.h"
#include "support/testpbx_support.h"

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

static void ctl(const char *json, char *reply, size_t len)
{
	ck_assert_msg(testpbx_control(&pbx, json, reply, len) == 0, "control %s: %s", json, reply);
}

static void write_conf(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", pbx.confdir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* The integrator's one-time set-up (README) and the empty source of Centralita's files. */
static void set_up_confdir(void)
{
	char reply[4096], dir[512];
	ctl("{\"cmd\": \"reset\"}", reply, sizeof reply);
	snprintf(dir, sizeof dir, "%s/" PBX_DIR, pbx.confdir);
	mkdir(dir, 0755);
	write_conf("pjsip.conf", "[transport-udp]\ntype = transport\nprotocol = udp\n"
				 "#tryinclude " PBX_DIR "/pjsip-*.conf\n");
	write_conf("extensions.conf", "[general]\nstatic = yes\n[internal]\ninclude => " PBX_PHONES_CONTEXT "\n"
				      "#tryinclude " PBX_DIR "/dialplan-*.conf\n");
	write_conf(PBX_EMPTY_FILE, "");
}

static struct ami_pool *pool_or_die(void)
{
	struct ami_options o;
	testpbx_options(&pbx, &o);
	char err[300];
	struct ami_pool *p = ami_pool_create(&o, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	return p;
}

static struct pbx_settings settings(void)
{
	struct pbx_settings s;
	memset(&s, 0, sizeof s);
	s.driver = PBX_PJSIP;
	snprintf(s.context, sizeof s.context, "internal");
	snprintf(s.codecs[0], sizeof s.codecs[0], "ulaw");
	s.n_codecs = 1;
	s.ext_min = 100;
	s.ext_max = 899;
	return s;
}

static struct phone phone(int64_t id, const char *ext, const char *secret)
{
	struct phone p;
	memset(&p, 0, sizeof p);
	p.id = id;
	snprintf(p.extension, sizeof p.extension, "%s", ext);
	snprintf(p.name, sizeof p.name, "Front desk");
	snprintf(p.secret, sizeof p.secret, "%s", secret);
	return p;
}

/* Writes the phone's group's two files (it alone in them) as the applier does, without reloading. */
static void write_phone(struct ami_pool *pool, const struct pbx_settings *s, const struct phone *p)
{
	struct buf chan = { 0 }, dial = { 0 };
	char err[200], cd[PBX_DIGEST_HEX], dd[PBX_DIGEST_HEX], files[2][PBX_FILE_MAX];
	ck_assert_int_eq(pbx_phone_part(s, p, &chan, &dial, cd, dd, err, sizeof err), 0);
	pbx_phone_files(s, p->id, files[0], files[1]);
	const char *parts[2] = { buf_cstr(&chan), buf_cstr(&dial) };
	for (int f = 0; f < 2; f++) {
		struct pbx_file file;
		pbx_file_init(&file);
		ck_assert_int_eq(pbx_file_add_text(&file, parts[f]), 0);
		struct ami_update *ups = NULL;
		size_t n = 0;
		ck_assert_int_eq(pbx_file_updates(&file, files[f], &ups, &n, err, sizeof err), 0);
		for (size_t i = 0; i < n; i++) {
			struct ami_result r;
			ami_result_init(&r);
			ck_assert_msg(ami_pool_update_config(pool, &ups[i], true, &r) == AMI_OK, "%s", r.message);
			ami_result_free(&r);
			ami_update_free(&ups[i]);
		}
		free(ups);
		pbx_file_free(&file);
	}
	buf_free(&chan);
	buf_free(&dial);
}

static void reload_both(struct ami_pool *pool)
{
	char msg[300];
	ck_assert_msg(pbx_reload(pool, "res_pjsip.so", NULL, msg, sizeof msg) == AMI_OK, "%s", msg);
	ck_assert_msg(pbx_reload(pool, PBX_DIALPLAN_MODULE, NULL, msg, sizeof msg) == AMI_OK, "%s", msg);
}

static bool is_loaded(struct ami_pool *pool, const struct pbx_settings *s, const struct phone *p)
{
	struct pbx_loaded l = { 0 };
	char msg[300];
	ck_assert_msg(pbx_loaded_read(s, pool, &l, msg, sizeof msg) == AMI_OK, "%s", msg);
	bool live = pbx_loaded_phone(s, &l, p);
	pbx_loaded_free(&l);
	return live;
}

START_TEST(loaded_only_after_the_reload)
{
	set_up_confdir();
	struct ami_pool *pool = pool_or_die();
	struct pbx_settings s = settings();
	struct phone p = phone(1, "201", "Abcdefghijklmnopqrstuvwx");
	ck_assert(!is_loaded(pool, &s, &p));              /* nothing at all: empty lists are no error */
	write_phone(pool, &s, &p);
	ck_assert(!is_loaded(pool, &s, &p));              /* written, not loaded */
	reload_both(pool);
	ck_assert(is_loaded(pool, &s, &p));
	struct phone other = phone(2, "202", "Abcdefghijklmnopqrstuvwx");
	ck_assert(!is_loaded(pool, &s, &other));
	/* A new password written but not loaded: Asterisk still runs with the old one. */
	struct phone changed = phone(1, "201", "Zyxwvutsrqponmlkjihgfedc");
	write_phone(pool, &s, &changed);
	ck_assert(is_loaded(pool, &s, &p) && !is_loaded(pool, &s, &changed));
	reload_both(pool);
	ck_assert(!is_loaded(pool, &s, &p) && is_loaded(pool, &s, &changed));
	/* Only the dialplan lost (its reload did not happen): not live. */
	char reply[4096];
	ctl("{\"cmd\": \"unload\", \"extens\": [\"201\"]}", reply, sizeof reply);
	ck_assert(!is_loaded(pool, &s, &changed));
	ami_pool_destroy(pool);
}
END_TEST

struct slow_reload {
	struct ami_pool *pool;
	enum ami_status st;
};

static void *reload_pjsip(void *arg)
{
	struct slow_reload *sr = arg;
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Reload");
	ami_msg_add(&m, "Module", "res_pjsip.so");
	struct ami_result r;
	ami_result_init(&r);
	sr->st = ami_pool_action(sr->pool, &m, &r);
	ami_result_free(&r);
	ami_msg_free(&m);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(reload_waits_out_another_reload)
{
	set_up_confdir();
	char reply[8192];
	ctl("{\"cmd\": \"reload_ms\", \"ms\": 600}", reply, sizeof reply);
	struct ami_pool *pool = pool_or_die();
	struct slow_reload sr = { .pool = pool };
	pthread_t t;
	double start = now_s();
	pthread_create(&t, NULL, reload_pjsip, &sr);
	struct timespec pause = { 0, 150 * 1000000L };
	nanosleep(&pause, NULL);
	char msg[300];
	enum ami_refusal why = AMI_REFUSAL_OTHER;
	ck_assert_msg(pbx_reload(pool, PBX_DIALPLAN_MODULE, &why, msg, sizeof msg) == AMI_OK, "%s", msg);
	double took = now_s() - start;
	pthread_join(t, NULL);
	ck_assert_int_eq(sr.st, AMI_OK);
	ck_assert_int_eq(why, AMI_REFUSAL_OTHER);
	ck_assert_msg(took >= 1.1, "pbx_config's reload ran after res_pjsip's (%.2f s)", took);
	ctl("{\"cmd\": \"counters\"}", reply, sizeof reply);
	/* res_pjsip's reload, then pbx_config's refused at least once, then pbx_config's done. */
	const char *first = strstr(reply, "\"module\": \"pbx_config.so\"");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(first, "\"status\": 4"));
	const char *last = strstr(reply, "\"status\": 0}]");
	ck_assert_ptr_nonnull(last);
	ami_pool_destroy(pool);
}
END_TEST

/* Between reloads the reloader keeps PBX_RELOAD_GAP_MS while writes go on; once the applier says the burst
 * ended, what waits is reloaded at once. */
static double until_loaded(struct pbx_reloader *r, int64_t phone_id, double from)
{
	struct timespec pause = { 0, 2 * 1000000L };
	while (pbx_reloader_waiting(r, phone_id) && now_s() - from < 10)
		nanosleep(&pause, NULL);
	ck_assert(!pbx_reloader_waiting(r, phone_id));
	return now_s() - from;
}

START_TEST(a_hurried_reload_skips_the_gap)
{
	set_up_confdir();
	struct ami_pool *pool = pool_or_die();
	struct pbx_reloader *r = pbx_reloader_new(pool);
	ck_assert_int_eq(pbx_reloader_start(r), 0);
	char msg[300];
	pbx_reloader_request(r, "res_pjsip.so", 1);
	ck_assert_msg(pbx_reloader_flush(r, 5000, msg, sizeof msg) == AMI_OK, "%s", msg);   /* a round just ended */
	double t0 = now_s();
	pbx_reloader_request(r, "res_pjsip.so", 2);
	pbx_reloader_hurry(r);
	double hurried = until_loaded(r, 2, t0);
	double t1 = now_s();   /* that round just ended too */
	pbx_reloader_request(r, "res_pjsip.so", 3);
	double plain = until_loaded(r, 3, t1);
	ck_assert_msg(plain >= PBX_RELOAD_GAP_MS / 1000.0 - 0.01, "without a hurry, the gap is kept (%.3f s)", plain);
	ck_assert_msg(hurried < plain - 0.15, "hurried %.3f s, not before the gap's end (%.3f s)", hurried, plain);
	pbx_reloader_hurry(r);   /* nothing waits: no effect */
	pbx_reloader_free(r);
	ami_pool_destroy(pool);
}
END_TEST

/* While the applier's burst goes on (an import), a reload waits for its end rather than run between its writes,
 * but no longer than PBX_RELOAD_HOLD_MS after the first write waiting. */
START_TEST(a_held_reload_waits_for_the_burst)
{
	set_up_confdir();
	struct ami_pool *pool = pool_or_die();
	struct pbx_reloader *r = pbx_reloader_new(pool);
	ck_assert_int_eq(pbx_reloader_start(r), 0);
	pbx_reloader_hold(r);
	double t0 = now_s();
	pbx_reloader_request(r, "res_pjsip.so", 1);
	struct timespec past_delay = { 0, (PBX_RELOAD_DELAY_MS + 300) * 1000000L };
	nanosleep(&past_delay, NULL);
	ck_assert_msg(pbx_reloader_waiting(r, 1), "reloaded during the burst, %d ms after the write", PBX_RELOAD_DELAY_MS + 300);
	pbx_reloader_hurry(r);   /* the burst's end */
	double at_end = until_loaded(r, 1, t0);
	ck_assert_msg(at_end < PBX_RELOAD_HOLD_MS / 1000.0 - 0.2, "loaded %.3f s after the write: not at the burst's end", at_end);
	/* A burst that does not end: its writes are loaded at the hold's limit. */
	pbx_reloader_hold(r);
	double t1 = now_s();
	pbx_reloader_request(r, "res_pjsip.so", 2);
	double capped = until_loaded(r, 2, t1);
	ck_assert_msg(capped >= PBX_RELOAD_HOLD_MS / 1000.0 - 0.01 && capped < PBX_RELOAD_HOLD_MS / 1000.0 + 1.0,
		      "held %.3f s, not about %d ms", capped, PBX_RELOAD_HOLD_MS);
	pbx_reloader_hurry(r);
	pbx_reloader_free(r);
	ami_pool_destroy(pool);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pbx_live");
	TCase *tc = tcase_create("pbx");
	tcase_add_unchecked_fixture(tc, pbx_up, pbx_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, loaded_only_after_the_reload);
	tcase_add_test(tc, reload_waits_out_another_reload);
	tcase_add_test(tc, a_hurried_reload_skips_the_gap);
	tcase_add_test(tc, a_held_reload_waits_for_the_burst);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
