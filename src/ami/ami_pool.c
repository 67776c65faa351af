/* ami_pool: N persistent logged-in AMI connections shared by threads, with keep-alive, reconnect back-off,
 * per-file serialisation of UpdateConfig, and the rule that a request whose answer was lost is reported as
 * AMI_UNKNOWN_OUTCOME and never sent again. */
#include "ami/ami_internal.h"
#include "util/buf.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct slot {
	struct ami_conn *conn;     /* NULL: not connected (opens on demand) */
	bool busy;                 /* borrowed by a thread: only that thread touches conn */
	long long last_used_ms;
};

/* A lock per config file name, alive while someone holds or waits for it. */
struct file_lock {
	char *name;
	int refs;
	bool held;
	struct file_lock *next;
};

struct ami_pool {
	struct ami_options opts;
	SSL_CTX *ctx;
	pthread_mutex_t mu;
	pthread_cond_t slot_freed;
	pthread_cond_t file_freed;
	struct slot *slots;
	int n_slots;
	int failures;              /* consecutive failed connects */
	long long retry_at_ms;     /* no new connect before this (back-off) */
	char last_error[400];
	bool connect_silent;       /* the last failed connect met silence (ami_conn_open's no_answer) */
	struct file_lock *files;
	struct ami_pool_stats stats;
};

struct ami_pool *ami_pool_create(const struct ami_options *o, char *err, size_t errlen)
{
	if (ami_options_check(o, err, errlen) != 0)
		return NULL;
	SSL_CTX *ctx = NULL;
	if (o->tls && !(ctx = ami_tls_ctx_new(o, err, errlen)))
		return NULL;
	struct ami_pool *p = ami_xmalloc(sizeof *p);
	memset(p, 0, sizeof *p);
	p->opts = *o;
	p->ctx = ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->slot_freed, &ca);
	pthread_cond_init(&p->file_freed, &ca);
	pthread_condattr_destroy(&ca);
	p->n_slots = o->pool_size;
	p->slots = ami_xmalloc((size_t)p->n_slots * sizeof *p->slots);
	memset(p->slots, 0, (size_t)p->n_slots * sizeof *p->slots);
	return p;
}

void ami_pool_destroy(struct ami_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_slots; i++)
		ami_conn_close(p->slots[i].conn);
	free(p->slots);
	while (p->files) {
		struct file_lock *f = p->files;
		p->files = f->next;
		free(f->name);
		free(f);
	}
	pthread_cond_destroy(&p->slot_freed);
	pthread_cond_destroy(&p->file_freed);
	pthread_mutex_destroy(&p->mu);
	SSL_CTX_free(p->ctx);
	/* The options hold the secret: do not leave it in freed memory. */
	OPENSSL_cleanse(&p->opts, sizeof p->opts);
	free(p);
}

const char *ami_health_name(enum ami_health h)
{
	switch (h) {
	case AMI_HEALTH_ANSWERING: return "answering";
	case AMI_HEALTH_NOT_ANSWERING: return "not_answering";
	case AMI_HEALTH_UNREACHABLE: return "unreachable";
	default: return "unknown";
	}
}

void ami_pool_stats(struct ami_pool *p, struct ami_pool_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->stats;
	out->size = p->n_slots;
	out->open = out->busy = 0;
	for (int i = 0; i < p->n_slots; i++) {
		out->open += p->slots[i].conn != NULL;
		out->busy += p->slots[i].busy;
	}
	pthread_mutex_unlock(&p->mu);
}

/* Records what a request found: an answer, none in time, or no connection. AMI_INVALID sent nothing. */
static void note_health(struct ami_pool *p, const struct ami_result *r)
{
	enum ami_health h;
	switch (r->status) {
	case AMI_OK:
	case AMI_ERROR: h = AMI_HEALTH_ANSWERING; break;
	case AMI_UNKNOWN_OUTCOME: h = AMI_HEALTH_NOT_ANSWERING; break;
	case AMI_UNREACHABLE: h = AMI_HEALTH_UNREACHABLE; break;
	default: return;
	}
	long long now = (long long)time(NULL);
	pthread_mutex_lock(&p->mu);
	if (h == AMI_HEALTH_UNREACHABLE && p->connect_silent)
		h = AMI_HEALTH_NOT_ANSWERING;
	if (h != p->stats.health) {
		p->stats.health = h;
		p->stats.health_since = now;
	}
	if (h == AMI_HEALTH_ANSWERING)
		p->stats.last_answer = now;
	else
		snprintf(p->stats.last_problem, sizeof p->stats.last_problem, "%s", r->message);
	pthread_mutex_unlock(&p->mu);
}

static void deadline_ts(struct timespec *ts, long long deadline_ms)
{
	ts->tv_sec = deadline_ms / 1000;
	ts->tv_nsec = (deadline_ms % 1000) * 1000000;
}

/* Takes a free slot, preferring a connected one; waits while all are busy. Returns the slot index, or -1 if none
 * came free before the wait limit. */
static int borrow_slot(struct ami_pool *p)
{
	long long deadline = ami_now_ms() + p->opts.connect_timeout_ms + p->opts.io_timeout_ms;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		int pick = -1;
		for (int i = 0; i < p->n_slots; i++) {
			if (p->slots[i].busy)
				continue;
			if (p->slots[i].conn) {
				pick = i;
				break;
			}
			if (pick < 0)
				pick = i;
		}
		if (pick >= 0) {
			p->slots[pick].busy = true;
			pthread_mutex_unlock(&p->mu);
			return pick;
		}
		struct timespec ts;
		deadline_ts(&ts, deadline);
		if (pthread_cond_timedwait(&p->slot_freed, &p->mu, &ts) == ETIMEDOUT && ami_now_ms() >= deadline) {
			pthread_mutex_unlock(&p->mu);
			return -1;
		}
	}
}

static void release_slot(struct ami_pool *p, int i)
{
	pthread_mutex_lock(&p->mu);
	struct slot *s = &p->slots[i];
	if (s->conn && ami_conn_broken(s->conn)) {
		ami_conn_close(s->conn);
		s->conn = NULL;
		p->stats.dropped++;
	}
	s->busy = false;
	s->last_used_ms = ami_now_ms();
	pthread_cond_signal(&p->slot_freed);
	pthread_mutex_unlock(&p->mu);
}

/* Drops a borrowed slot's connection (the slot stays borrowed). */
static void drop_conn(struct ami_pool *p, struct slot *s)
{
	ami_conn_close(s->conn);
	s->conn = NULL;
	pthread_mutex_lock(&p->mu);
	p->stats.dropped++;
	pthread_mutex_unlock(&p->mu);
}

/* Makes sure a borrowed slot holds a live connection, connecting (subject to back-off), checking an idle one for
 * a server-side close, and pinging one idle past keepalive_s. Returns AMI_OK, or AMI_UNREACHABLE with r set. */
static enum ami_status ready_slot(struct ami_pool *p, struct slot *s, struct ami_result *r)
{
	if (s->conn && ami_conn_poll_alive(s->conn) != 0)
		drop_conn(p, s);   /* closed while idle (e.g. Asterisk restarted): reconnect, nothing was sent */
	if (s->conn && p->opts.keepalive_s > 0 &&
	    ami_now_ms() - s->last_used_ms >= (long long)p->opts.keepalive_s * 1000) {
		struct ami_msg ping;
		struct ami_result pr;
		ami_msg_init(&ping);
		ami_result_init(&pr);
		ami_msg_add(&ping, "Action", "Ping");
		enum ami_status st = ami_conn_action(s->conn, &ping, &pr);
		ami_msg_free(&ping);
		ami_result_free(&pr);
		pthread_mutex_lock(&p->mu);
		p->stats.pings++;
		pthread_mutex_unlock(&p->mu);
		if (st == AMI_UNKNOWN_OUTCOME || ami_conn_broken(s->conn))
			drop_conn(p, s);
		else
			s->last_used_ms = ami_now_ms();
	}
	if (s->conn)
		return AMI_OK;

	pthread_mutex_lock(&p->mu);
	long long now = ami_now_ms();
	if (now < p->retry_at_ms) {
		/* Backing off after a failed connect: what that connect found still holds. */
		enum ami_status st = ami_result_set(r, AMI_UNREACHABLE, "%s (next attempt in %lld ms)", p->last_error,
		                                    p->retry_at_ms - now);
		pthread_mutex_unlock(&p->mu);
		return st;
	}
	pthread_mutex_unlock(&p->mu);

	char err[400];
	bool no_answer = false;
	struct ami_conn *c = ami_conn_open(&p->opts, p->ctx, "off", -1, err, sizeof err, &no_answer);
	pthread_mutex_lock(&p->mu);
	if (!c) {
		p->connect_silent = no_answer;
		p->failures++;
		p->stats.connect_failures++;
		p->retry_at_ms = ami_now_ms() + ami_backoff_ms(&p->opts, p->failures);
		snprintf(p->last_error, sizeof p->last_error, "%s", err);
		pthread_mutex_unlock(&p->mu);
		log_warn("ami: %s", err);
		return ami_result_set(r, AMI_UNREACHABLE, "%s", err);
	}
	p->failures = 0;
	p->retry_at_ms = 0;
	p->connect_silent = false;
	p->stats.connects++;
	pthread_mutex_unlock(&p->mu);
	s->conn = c;
	s->last_used_ms = ami_now_ms();
	return AMI_OK;
}

enum ami_status ami_pool_action(struct ami_pool *p, const struct ami_msg *action, struct ami_result *r)
{
	ami_result_free(r);
	char err[400];
	struct buf scratch;
	buf_init(&scratch);
	/* Refuse a bad message before taking a connection ("x" stands for the ActionID added at send time). */
	int bad = ami_msg_serialize(action, "x", &scratch, err, sizeof err);
	buf_free(&scratch);
	if (bad)
		return ami_result_set(r, AMI_INVALID, "%s", err);

	int i = borrow_slot(p);
	if (i < 0)
		return ami_result_set(r, AMI_UNREACHABLE, "no AMI connection became free in time");
	struct slot *s = &p->slots[i];
	if (ready_slot(p, s, r) == AMI_OK) {
		enum ami_status st = ami_conn_action(s->conn, action, r);
		if (st == AMI_UNKNOWN_OUTCOME)
			log_warn("ami: %s", r->message);
	}
	release_slot(p, i);
	note_health(p, r);
	return r->status;
}

void ami_pool_keepalive(struct ami_pool *p)
{
	if (p->opts.keepalive_s <= 0)
		return;
	for (int i = 0; i < p->n_slots; i++) {
		pthread_mutex_lock(&p->mu);
		struct slot *s = &p->slots[i];
		bool due = !s->busy && s->conn &&
		           ami_now_ms() - s->last_used_ms >= (long long)p->opts.keepalive_s * 1000;
		if (due)
			s->busy = true;
		pthread_mutex_unlock(&p->mu);
		if (!due)
			continue;
		struct ami_result r;
		ami_result_init(&r);
		if (s->conn && ami_conn_poll_alive(s->conn) != 0) {
			drop_conn(p, s);
		} else {
			/* A dead connection is only dropped here; the next request reconnects it. */
			struct ami_msg ping;
			ami_msg_init(&ping);
			ami_msg_add(&ping, "Action", "Ping");
			enum ami_status st = ami_conn_action(s->conn, &ping, &r);
			ami_msg_free(&ping);
			pthread_mutex_lock(&p->mu);
			p->stats.pings++;
			pthread_mutex_unlock(&p->mu);
			if (st == AMI_UNKNOWN_OUTCOME)
				drop_conn(p, s);
		}
		ami_result_free(&r);
		release_slot(p, i);
	}
}

enum ami_status ami_pool_fully_booted(struct ami_pool *p, bool *booted, char *msg, size_t len)
{
	*booted = false;
	char err[400];
	/* A connection of its own: the pooled ones log in with Events: off, and Asterisk says FullyBooted only at
	 * login (or once, when the boot ends). */
	struct ami_conn *c = ami_conn_open(&p->opts, p->ctx, "system", -1, err, sizeof err, NULL);
	if (!c) {
		snprintf(msg, len, "%s", err);
		return AMI_UNREACHABLE;
	}
	int rc = ami_conn_fully_booted(c, booted, err, sizeof err);
	ami_conn_close(c);
	if (rc != 0) {
		snprintf(msg, len, "%s", err);
		return AMI_UNKNOWN_OUTCOME;
	}
	return AMI_OK;
}

/* ---------- per-file serialisation ---------- */

static void file_lock(struct ami_pool *p, const char *name)
{
	pthread_mutex_lock(&p->mu);
	struct file_lock *f = p->files;
	while (f && strcmp(f->name, name) != 0)
		f = f->next;
	if (!f) {
		f = ami_xmalloc(sizeof *f);
		f->name = ami_xstrdup(name);
		f->refs = 0;
		f->held = false;
		f->next = p->files;
		p->files = f;
	}
	f->refs++;
	while (f->held)
		pthread_cond_wait(&p->file_freed, &p->mu);
	f->held = true;
	pthread_mutex_unlock(&p->mu);
}

static void file_unlock(struct ami_pool *p, const char *name)
{
	pthread_mutex_lock(&p->mu);
	struct file_lock **pp = &p->files;
	while (*pp && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	struct file_lock *f = *pp;
	f->held = false;
	if (--f->refs == 0) {
		*pp = f->next;
		free(f->name);
		free(f);
	}
	pthread_cond_broadcast(&p->file_freed);
	pthread_mutex_unlock(&p->mu);
}

enum ami_status ami_pool_update_config(struct ami_pool *p, const struct ami_update *u, bool create_missing,
                                       struct ami_result *r)
{
	ami_result_free(r);
	if (u->n == 0 && !u->err[0] && strcmp(u->src, u->dst) == 0)
		return ami_result_set(r, AMI_OK, "nothing to change");
	struct ami_msg m;
	ami_msg_init(&m);
	char err[400];
	if (ami_update_build(u, &m, err, sizeof err) != 0) {
		ami_msg_free(&m);
		return ami_result_set(r, AMI_INVALID, "%s", err);
	}
	file_lock(p, u->dst);
	enum ami_status st = ami_pool_action(p, &m, r);
	if (st == AMI_ERROR && create_missing && r->refusal == AMI_REFUSAL_FILE_PRIVILEGES) {
		/* A refused UpdateConfig saved nothing, so creating the file and sending it again is safe. */
		struct ami_msg cc;
		struct ami_result cr;
		ami_msg_init(&cc);
		ami_result_init(&cr);
		enum ami_status created = AMI_OK;
		if (strcmp(u->src, u->dst) != 0) {
			/* The source may be the missing one; "File exists" just means it was not. */
			ami_msg_add(&cc, "Action", "CreateConfig");
			ami_msg_add(&cc, "Filename", u->src);
			created = ami_pool_action(p, &cc, &cr);
			if (created == AMI_ERROR && cr.refusal == AMI_REFUSAL_FILE_EXISTS)
				created = AMI_OK;
			ami_msg_free(&cc);
			ami_msg_init(&cc);
		}
		if (created == AMI_OK) {
			ami_msg_add(&cc, "Action", "CreateConfig");
			ami_msg_add(&cc, "Filename", u->dst);
			created = ami_pool_action(p, &cc, &cr);
			if (created == AMI_ERROR && cr.refusal == AMI_REFUSAL_FILE_EXISTS)
				created = AMI_OK;
		}
		if (created == AMI_OK) {
			st = ami_pool_action(p, &m, r);
		} else {
			char first[sizeof r->message];
			snprintf(first, sizeof first, "%s", r->message);
			ami_result_free(r);
			/* The update itself was not applied whatever became of CreateConfig: retrying it is safe. */
			st = ami_result_set(r, cr.status == AMI_ERROR ? AMI_ERROR : AMI_UNREACHABLE,
			                    "%s; CreateConfig %s: %s", first, u->dst, cr.message);
			r->refusal = cr.refusal;   /* what stopped it: the CreateConfig's refusal */
		}
		ami_msg_free(&cc);
		ami_result_free(&cr);
	}
	file_unlock(p, u->dst);
	ami_msg_free(&m);
	return st;
}
