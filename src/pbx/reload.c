/* reload: a module reload that is not lost (see reload.h). */
#include "pbx/reload.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum ami_status pbx_reload(struct ami_pool *pool, const char *module, enum ami_refusal *refusal, char *msg,
			   size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Reload");
	ami_msg_add(&m, "Module", module);
	int64_t give_up = monotonic_ms() + PBX_RELOAD_PATIENCE_MS;
	enum ami_status st;
	enum ami_refusal why;
	for (;;) {
		struct ami_result r;
		ami_result_init(&r);
		st = ami_pool_action(pool, &m, &r);
		why = st == AMI_ERROR ? r.refusal : AMI_REFUSAL_OTHER;
		if (st != AMI_OK)
			snprintf(msg, len, "reloading %s: %s", module, r.message);
		ami_result_free(&r);
		if (why != AMI_REFUSAL_RELOAD_IN_PROGRESS || monotonic_ms() >= give_up)
			break;
		struct timespec pause = { 0, PBX_RELOAD_PAUSE_MS * 1000000L };
		nanosleep(&pause, NULL);
	}
	ami_msg_free(&m);
	if (refusal)
		*refusal = why;
	return st;
}

/* ---------- coalesced reloads ---------- */

#define RELOADER_MODULES 4           /* distinct modules asked for: res_pjsip or chan_sip, pbx_config */
#define RELOADER_RETRY_MIN_MS 1000
#define RELOADER_RETRY_MAX_MS 16000

struct waiting_phone {
	int64_t id;
	uint64_t seq;                    /* the request that last wrote one of its files */
};

struct pbx_reloader {
	struct ami_pool *pool;
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;               /* wakes the thread: a request, a flush or stop (CLOCK_MONOTONIC) */
	pthread_cond_t done_cv;          /* wakes flushers: a round ended */
	char module[RELOADER_MODULES][32];
	bool dirty[RELOADER_MODULES];    /* asked for since its last reload began */
	size_t n_modules;
	uint64_t seq;                    /* requests so far */
	uint64_t loaded;                 /* every request up to this one is loaded */
	int64_t due_ms;                  /* when the next round may start (monotonic) */
	int64_t gap_until_ms;            /* no round before this: the last one ended PBX_RELOAD_GAP_MS ago */
	int retry_ms;                    /* the pause after a failed round, doubling */
	bool hurry;                      /* the writes' burst ended: the next round goes without the gap */
	bool held;                       /* a burst of writes goes on (pbx_reloader_hold) */
	int64_t first_dirty_ms;          /* when the first write waiting now was asked for */
	unsigned long rounds;            /* rounds ended (ok or not), for flushers */
	enum ami_status last_status;
	char last_msg[200];
	uint64_t sent, done;             /* reloads Centralita sent (or was about to), and answered (reload.h) */
	struct waiting_phone *waiting;
	size_t n_waiting, cap_waiting;
};

static bool any_dirty(const struct pbx_reloader *r)
{
	for (size_t i = 0; i < r->n_modules; i++)
		if (r->dirty[i])
			return true;
	return false;
}

static void cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
}

static struct timespec monotonic_at(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	return ts;
}

struct pbx_reloader *pbx_reloader_new(struct ami_pool *pool)
{
	struct pbx_reloader *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->pool = pool;
	r->retry_ms = RELOADER_RETRY_MIN_MS;
	r->last_status = AMI_OK;
	pthread_mutex_init(&r->mu, NULL);
	cond_init_monotonic(&r->cv);
	cond_init_monotonic(&r->done_cv);
	return r;
}

/* One round: every module asked for, reloaded once each. Called with mu held; releases it while sending. */
static void reload_round(struct pbx_reloader *r)
{
	char mods[RELOADER_MODULES][32];
	size_t n = 0;
	for (size_t i = 0; i < r->n_modules; i++)
		if (r->dirty[i]) {
			memcpy(mods[n++], r->module[i], sizeof mods[0]);
			r->dirty[i] = false;
		}
	uint64_t covers = r->seq;
	pthread_mutex_unlock(&r->mu);
	enum ami_status st = AMI_OK;
	char msg[200] = "";
	bool failed[RELOADER_MODULES] = { false };
	for (size_t i = 0; i < n; i++) {
		enum ami_refusal why;
		char one[200];
		/* Counted before it is sent: the applier must take the reload time it is about to see as Centralita's
		 * own (pbx_reloader_sent), not as someone else's reload that calls for a verification. */
		pbx_reloader_note_sent(r);
		enum ami_status s = pbx_reload(r->pool, mods[i], &why, one, sizeof one);
		pbx_reloader_note_done(r);
		if (s != AMI_OK) {
			failed[i] = true;
			if (st == AMI_OK) {
				st = s;
				snprintf(msg, sizeof msg, "%s", one);
			}
		}
	}
	pthread_mutex_lock(&r->mu);
	int64_t now = monotonic_ms();
	r->last_status = st;
	snprintf(r->last_msg, sizeof r->last_msg, "%s", msg);
	if (st == AMI_OK) {
		r->loaded = covers;
		size_t keep = 0;
		for (size_t i = 0; i < r->n_waiting; i++)
			if (r->waiting[i].seq > covers)
				r->waiting[keep++] = r->waiting[i];
		r->n_waiting = keep;
		r->retry_ms = RELOADER_RETRY_MIN_MS;
		r->gap_until_ms = now + PBX_RELOAD_GAP_MS;
	} else {
		/* What failed is asked again later; what it covers stays waiting (a module that did reload has
		 * nothing more to do, but the phones cannot be told apart by module: reloading it again is harmless). */
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < r->n_modules; k++)
				if (strcmp(r->module[k], mods[i]) == 0 && failed[i])
					r->dirty[k] = true;
		log_warn("reload: %s; asked again in %d s", msg, r->retry_ms / 1000);
		r->gap_until_ms = now + r->retry_ms;
		r->retry_ms = r->retry_ms * 2 > RELOADER_RETRY_MAX_MS ? RELOADER_RETRY_MAX_MS : r->retry_ms * 2;
	}
	r->due_ms = r->gap_until_ms;
	r->rounds++;
	pthread_cond_broadcast(&r->done_cv);
}

static void *reloader_main(void *arg)
{
	struct pbx_reloader *r = arg;
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		if (!any_dirty(r)) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		int64_t now = monotonic_ms();
		/* A failed round's pause (retry_ms) is kept even in a hurry: the PBX is likely still gone. */
		bool hurried = r->hurry && r->last_status == AMI_OK;
		int64_t due = r->due_ms;
		if (r->held && due < r->first_dirty_ms + PBX_RELOAD_HOLD_MS)
			due = r->first_dirty_ms + PBX_RELOAD_HOLD_MS;
		if (now < due && !hurried) {
			struct timespec until = monotonic_at(due);
			pthread_cond_timedwait(&r->cv, &r->mu, &until);
			continue;
		}
		r->hurry = false;
		reload_round(r);
	}
	/* Stopping: what was written but not reloaded yet gets one attempt, so a clean stop leaves it live. */
	if (any_dirty(r))
		reload_round(r);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int pbx_reloader_start(struct pbx_reloader *r)
{
	if (pthread_create(&r->thread, NULL, reloader_main, r) != 0)
		return -1;
	r->started = true;
	return 0;
}

void pbx_reloader_free(struct pbx_reloader *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stop = true;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	pthread_cond_destroy(&r->done_cv);
	free(r->waiting);
	free(r);
}

void pbx_reloader_hold(struct pbx_reloader *r)
{
	pthread_mutex_lock(&r->mu);
	r->held = true;
	pthread_mutex_unlock(&r->mu);
}

void pbx_reloader_hurry(struct pbx_reloader *r)
{
	pthread_mutex_lock(&r->mu);
	r->held = false;
	if (any_dirty(r)) {
		r->hurry = true;
		pthread_cond_signal(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
}

void pbx_reloader_request(struct pbx_reloader *r, const char *module, int64_t phone_id)
{
	pthread_mutex_lock(&r->mu);
	size_t k = 0;
	while (k < r->n_modules && strcmp(r->module[k], module) != 0)
		k++;
	if (k == r->n_modules) {
		if (k == RELOADER_MODULES) {   /* cannot happen: Centralita reloads three modules at most */
			log_err("reload: too many modules; %s not reloaded", module);
			pthread_mutex_unlock(&r->mu);
			return;
		}
		snprintf(r->module[k], sizeof r->module[k], "%s", module);
		r->n_modules++;
	}
	int64_t now = monotonic_ms();
	if (!any_dirty(r)) {
		/* The first write of a burst: wait a little for the rest of it, and keep the gap after the last. */
		r->due_ms = now + PBX_RELOAD_DELAY_MS;
		r->first_dirty_ms = now;
		if (r->due_ms < r->gap_until_ms)
			r->due_ms = r->gap_until_ms;
	}
	r->dirty[k] = true;
	uint64_t seq = ++r->seq;
	if (phone_id > 0) {
		size_t i = 0;
		while (i < r->n_waiting && r->waiting[i].id != phone_id)
			i++;
		if (i == r->n_waiting) {
			if (r->n_waiting == r->cap_waiting) {
				r->cap_waiting = r->cap_waiting ? r->cap_waiting * 2 : 64;
				r->waiting = realloc(r->waiting, r->cap_waiting * sizeof *r->waiting);
				if (!r->waiting)
					abort();
			}
			r->waiting[r->n_waiting++].id = phone_id;
		}
		r->waiting[i].seq = seq;
	}
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

bool pbx_reloader_waiting(struct pbx_reloader *r, int64_t phone_id)
{
	pthread_mutex_lock(&r->mu);
	bool found = false;
	for (size_t i = 0; i < r->n_waiting && !found; i++)
		found = r->waiting[i].id == phone_id;
	pthread_mutex_unlock(&r->mu);
	return found;
}

size_t pbx_reloader_waiting_count(struct pbx_reloader *r)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->n_waiting;
	pthread_mutex_unlock(&r->mu);
	return n;
}

enum ami_status pbx_reloader_flush(struct pbx_reloader *r, int wait_ms, char *msg, size_t len)
{
	int64_t until_ms = monotonic_ms() + wait_ms;
	struct timespec until = monotonic_at(until_ms);
	pthread_mutex_lock(&r->mu);
	uint64_t target = r->seq;
	enum ami_status st = AMI_OK;
	if (!r->started && any_dirty(r)) {
		reload_round(r);   /* no thread (a one-shot command): the caller's own */
		st = r->last_status;
		snprintf(msg, len, "%s", r->last_msg);
	} else if (r->loaded < target) {
		r->due_ms = r->gap_until_ms = 0;   /* now: someone needs them loaded to go on */
		r->held = false;
		pthread_cond_signal(&r->cv);
		/* A round that began before this call may not cover target: wait for one that ends after it. */
		unsigned long rounds = r->rounds;
		while (r->loaded < target) {
			if (r->rounds > rounds && r->last_status != AMI_OK) {
				st = r->last_status;
				snprintf(msg, len, "%s", r->last_msg);
				break;
			}
			if (pthread_cond_timedwait(&r->done_cv, &r->mu, &until) != 0) {
				st = AMI_UNKNOWN_OUTCOME;
				snprintf(msg, len, "the reloads did not end within %d ms", wait_ms);
				break;
			}
		}
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

void pbx_reloader_note_sent(struct pbx_reloader *r)
{
	pthread_mutex_lock(&r->mu);
	r->sent++;
	pthread_mutex_unlock(&r->mu);
}

void pbx_reloader_note_done(struct pbx_reloader *r)
{
	pthread_mutex_lock(&r->mu);
	r->done++;
	pthread_mutex_unlock(&r->mu);
}

void pbx_reloader_counts(struct pbx_reloader *r, uint64_t *sent, uint64_t *done)
{
	pthread_mutex_lock(&r->mu);
	*sent = r->sent;
	*done = r->done;
	pthread_mutex_unlock(&r->mu);
}

bool pbx_reloader_failing(struct pbx_reloader *r, char *msg, size_t len)
{
	pthread_mutex_lock(&r->mu);
	bool failing = r->last_status != AMI_OK;
	snprintf(msg, len, "%s", failing ? r->last_msg : "");
	pthread_mutex_unlock(&r->mu);
	return failing;
}
