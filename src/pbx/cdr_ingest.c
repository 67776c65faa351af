/* cdr_ingest: Cdr events → the calls table, in batches (see cdr_ingest.h). */
#include "pbx/cdr_ingest.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/calls.h"
#include "db/db.h"
#include "pbx/cdr.h"
#include "util/log.h"

#define QUEUE_CAP 32768         /* records waiting for the writer (~36 MB, touched only as used): a burst, or a
                                 * database outage's backlog; full, the reader waits and Asterisk, whose
                                 * writes to a session then time out (writetimeout), drops the session */
#define BATCH_MAX 1000          /* records per transaction: the commit's cost shared by more rows */
#define BATCH_WAIT_MS 100       /* longest a record waits for more to share its transaction */
#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 5000

struct cdr_ingest {
	struct ami_events *events;
	char db_path[512];
	pthread_t writer;
	bool started;
	/* mu guards everything below but the writer's own fields. */
	pthread_mutex_t mu;
	pthread_cond_t work;      /* records queued, or stopping */
	pthread_cond_t room;      /* the writer took records out, or closing */
	struct call *ring;        /* QUEUE_CAP records, head .. head + count - 1 (mod QUEUE_CAP) */
	int64_t *arrived_ms;      /* monotonic arrival time of each */
	size_t head, count;
	bool closing;             /* the event thread is being stopped: it must not wait for room */
	bool stopping;            /* the writer writes what is queued and ends */
	bool full_logged, connected;
	/* The writer's own. */
	struct db *db;
	char (*phones)[CALL_EXT_MAX];
	size_t n_phones, cap_phones;
	struct call batch[BATCH_MAX];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec deadline_in(int64_t at_ms)
{
	return (struct timespec){ .tv_sec = (time_t)(at_ms / 1000), .tv_nsec = (long)(at_ms % 1000) * 1000000 };
}

/* ---------- the event thread ---------- */

static void on_cdr(const struct ami_msg *ev, void *ud)
{
	struct cdr_ingest *in = ud;
	struct call c;
	char why[200];
	if (cdr_from_event(ev, NULL, NULL, &c, why, sizeof why) != 0) {
		const char *uid = ami_msg_get(ev, "UniqueID");
		log_warn("call history: Cdr event refused (UniqueID %s): %s", uid ? uid : "none", why);
		return;
	}
	pthread_mutex_lock(&in->mu);
	while (in->count == QUEUE_CAP && !in->closing) {
		if (!in->full_logged)
			log_warn("call history: %d records wait for the database; holding Asterisk's events until it "
				 "takes them", QUEUE_CAP);
		in->full_logged = true;
		pthread_cond_wait(&in->room, &in->mu);
	}
	if (in->count == QUEUE_CAP) {
		/* Only while stopping with a database that refuses everything: said, not silent. */
		log_err("call history: stopping with the queue full: record %s (UniqueID %s) not stored", c.key,
			c.uniqueid);
	} else {
		size_t slot = (in->head + in->count) % QUEUE_CAP;
		in->ring[slot] = c;
		in->arrived_ms[slot] = now_ms();
		in->count++;
		/* The writer waits for a first record, then for a full batch (or the oldest's BATCH_WAIT_MS): woken
		 * for every record, a burst would cost it a context switch each. */
		if (in->count == 1 || in->count == BATCH_MAX)
			pthread_cond_signal(&in->work);
	}
	pthread_mutex_unlock(&in->mu);
}

static void on_state(enum ami_events_state state, const char *message, void *ud)
{
	struct cdr_ingest *in = ud;
	pthread_mutex_lock(&in->mu);
	bool was = in->connected;
	in->connected = state != AMI_EVENTS_DISCONNECTED;
	pthread_mutex_unlock(&in->mu);
	if (state == AMI_EVENTS_DISCONNECTED && was)
		log_warn("call history: event connection lost: %s; calls ending until it is back reach the history "
			 "only by `centralita import-cdr` of Master.csv", message ? message : "");
	else if (state == AMI_EVENTS_RECONNECTED)
		log_info("call history: event connection back");
}

/* ---------- the writer ---------- */

static int add_phone(void *ctx, const char *ext)
{
	struct cdr_ingest *in = ctx;
	if (in->n_phones == in->cap_phones) {
		in->cap_phones = in->cap_phones ? in->cap_phones * 2 : 64;
		in->phones = realloc(in->phones, in->cap_phones * sizeof *in->phones);
		if (!in->phones)
			abort();
	}
	snprintf(in->phones[in->n_phones++], CALL_EXT_MAX, "%s", ext);
	return 0;
}

static int compare_ext(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool is_phone(void *ctx, const char *endpoint)
{
	struct cdr_ingest *in = ctx;
	return in->n_phones && bsearch(endpoint, in->phones, in->n_phones, sizeof *in->phones, compare_ext) != NULL;
}

/* One attempt at storing the batch: the phones as they are now, then one transaction. */
static int write_batch(struct cdr_ingest *in, size_t n, char *err, size_t errlen)
{
	if (!in->db && !(in->db = db_open(in->db_path, err, errlen)))
		return -1;
	in->n_phones = 0;
	if (calls_live_phone_extensions(in->db, add_phone, in) < 0) {
		snprintf(err, errlen, "reading the phones: %s", db_errmsg(in->db));
		return -1;
	}
	/* SQLite's order is strcmp's (BINARY collation); sorted again in case that ever changes. With no phones the
	 * array may be NULL, which qsort must not be given even for 0 elements. */
	if (in->n_phones > 1)
		qsort(in->phones, in->n_phones, sizeof *in->phones, compare_ext);
	for (size_t i = 0; i < n; i++)
		cdr_resolve_sides(&in->batch[i], is_phone, in);
	if (calls_insert(in->db, in->batch, n, NULL) != 0) {
		snprintf(err, errlen, "%s", db_errmsg(in->db));
		return -1;
	}
	return 0;
}

/* Writes the batch until it is stored; while stopping, one more attempt only. Called without mu. */
static void store(struct cdr_ingest *in, size_t n)
{
	int failures = 0;
	int64_t delay = RETRY_FIRST_MS;
	for (;;) {
		char err[512] = "";
		if (write_batch(in, n, err, sizeof err) == 0) {
			if (failures)
				log_info("call history: stored again after %d failed attempt%s", failures,
					 failures == 1 ? "" : "s");
			return;
		}
		if (failures++ == 0)
			log_warn("call history: cannot store %zu records: %s; keeping them and retrying", n, err);
		pthread_mutex_lock(&in->mu);
		bool last = in->stopping && failures > 1;
		int64_t until = now_ms() + delay;
		while (!in->stopping && now_ms() < until) {
			struct timespec ts = deadline_in(until);
			pthread_cond_timedwait(&in->work, &in->mu, &ts);
		}
		pthread_mutex_unlock(&in->mu);
		if (last) {
			log_err("call history: stopping: %zu records not stored: %s", n, err);
			return;
		}
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
}

static void *writer_main(void *arg)
{
	struct cdr_ingest *in = arg;
	pthread_mutex_lock(&in->mu);
	for (;;) {
		while (!in->stopping && in->count == 0)
			pthread_cond_wait(&in->work, &in->mu);
		if (in->count == 0)
			break; /* stopping, and nothing left */
		/* A full batch goes at once; a smaller one when its oldest record has waited BATCH_WAIT_MS. */
		while (!in->stopping && in->count < BATCH_MAX) {
			int64_t due = in->arrived_ms[in->head] + BATCH_WAIT_MS;
			if (now_ms() >= due)
				break;
			struct timespec ts = deadline_in(due);
			pthread_cond_timedwait(&in->work, &in->mu, &ts);
		}
		size_t n = in->count < BATCH_MAX ? in->count : BATCH_MAX;
		for (size_t i = 0; i < n; i++)
			in->batch[i] = in->ring[(in->head + i) % QUEUE_CAP];
		in->head = (in->head + n) % QUEUE_CAP;
		in->count -= n;
		in->full_logged = false;
		pthread_cond_broadcast(&in->room);
		pthread_mutex_unlock(&in->mu);
		store(in, n);
		pthread_mutex_lock(&in->mu);
	}
	pthread_mutex_unlock(&in->mu);
	return NULL;
}

/* ---------- life ---------- */

struct cdr_ingest *cdr_ingest_new(const struct ami_options *o, const char *db_path, char *err, size_t errlen)
{
	struct cdr_ingest *in = calloc(1, sizeof *in);
	if (!in)
		abort();
	snprintf(in->db_path, sizeof in->db_path, "%s", db_path);
	in->ring = calloc(QUEUE_CAP, sizeof *in->ring);
	in->arrived_ms = calloc(QUEUE_CAP, sizeof *in->arrived_ms);
	if (!in->ring || !in->arrived_ms)
		abort();
	pthread_condattr_t ca;
	if (pthread_mutex_init(&in->mu, NULL) != 0 || pthread_condattr_init(&ca) != 0)
		abort();
	/* Batch and retry delays run on the monotonic clock: setting the wall clock must not stretch them. */
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&in->work, &ca) != 0 ||
	    pthread_cond_init(&in->room, &ca) != 0)
		abort();
	pthread_condattr_destroy(&ca);
	in->events = ami_events_new(o, "cdr", err, errlen);
	if (!in->events || ami_events_on(in->events, "Cdr", on_cdr, in) != 0 ||
	    ami_events_on_state(in->events, on_state, in) != 0) {
		cdr_ingest_free(in);
		return NULL;
	}
	return in;
}

int cdr_ingest_start(struct cdr_ingest *in)
{
	if (pthread_create(&in->writer, NULL, writer_main, in) != 0)
		return -1;
	in->started = true;
	return ami_events_start(in->events);
}

void cdr_ingest_free(struct cdr_ingest *in)
{
	if (!in)
		return;
	/* The event thread first (it must not wait for room meanwhile), then the writer, which stores what is
	 * still queued before it ends. */
	pthread_mutex_lock(&in->mu);
	in->closing = true;
	pthread_cond_broadcast(&in->room);
	pthread_mutex_unlock(&in->mu);
	ami_events_destroy(in->events);
	if (in->started) {
		pthread_mutex_lock(&in->mu);
		in->stopping = true;
		pthread_cond_broadcast(&in->work);
		pthread_mutex_unlock(&in->mu);
		pthread_join(in->writer, NULL);
	}
	db_close(in->db);
	free(in->phones);
	free(in->ring);
	free(in->arrived_ms);
	pthread_cond_destroy(&in->work);
	pthread_cond_destroy(&in->room);
	pthread_mutex_destroy(&in->mu);
	free(in);
}
