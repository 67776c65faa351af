/* registrations: AMI events → the registrations table (see registrations.h). */
#include "pbx/registrations.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/registrations.h"
#include "util/log.h"

struct reg_watcher {
	struct ami_events *events;
	struct ami_pool *pool;
	enum pbx_driver driver;
	int retry_s;
	char db_path[512];
	pthread_t resync_thread;
	bool started;
	/* mu guards everything below. It is held for a whole resynchronisation (list action and table write),
	 * so events arriving meanwhile are written after the list, in order, never under it. */
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* a resynchronisation is wanted, or stopping */
	struct db *db;         /* opened on first use; one connection, used by both threads under mu */
	bool resync_wanted;    /* (re)connected, or a write failed: the table may not match the PBX */
	bool stopping;
};

void reg_address_from_uri(const char *uri, char *out, size_t size)
{
	const char *p = strchr(uri, '@');
	p = p ? p + 1 : (strncasecmp(uri, "sip:", 4) == 0 ? uri + 4 : uri);
	size_t n = strcspn(p, ";>");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Called with mu held. */
static struct db *watcher_db(struct reg_watcher *w, char *err, size_t errlen)
{
	if (!w->db)
		w->db = db_open(w->db_path, err, errlen);
	return w->db;
}

static bool is_registered_status(const char *s)
{
	static const char *const up[] = { "Created", "Reachable", "Updated", "NonQualified", "Registered", "OK" };
	for (size_t i = 0; s && i < sizeof up / sizeof *up; i++)
		if (strcasecmp(s, up[i]) == 0 || strncasecmp(s, "OK (", 4) == 0)
			return true;
	return false;
}

/* Called with mu held: asks the resync thread to rebuild the table. */
static void want_resync(struct reg_watcher *w)
{
	w->resync_wanted = true;
	pthread_cond_signal(&w->cv);
}

/* One event's news about one endpoint. A write that fails leaves the table wrong for that phone until its
 * next event, which may never come: the whole table is rebuilt instead (and retried until it works). */
static void record(struct reg_watcher *w, const char *endpoint, const char *address, const char *status)
{
	if (!endpoint || !*endpoint)
		return;
	pthread_mutex_lock(&w->mu);
	char err[512] = "";
	struct db *db = watcher_db(w, err, sizeof err);
	int rc = -1;
	if (db) {
		rc = is_registered_status(status)
			     ? registrations_set(db, endpoint, address ? address : "", status, (int64_t)time(NULL))
			     : registrations_remove(db, endpoint);
		if (rc != 0)
			snprintf(err, sizeof err, "%s", db_errmsg(db));
	}
	if (rc != 0) {
		if (!w->resync_wanted) /* once per episode: the resync thread reports how it ends */
			log_warn("registrations: cannot record %s: %s; rebuilding the table", endpoint, err);
		want_resync(w);
	}
	pthread_mutex_unlock(&w->mu);
}

/* pjsip: Event: ContactStatus, AOR: 201, URI: sip:201@ip:port, ContactStatus: Created|Removed|..., ViaAddress */
static void on_contact_status(const struct ami_msg *ev, void *ud)
{
	struct reg_watcher *w = ud;
	const char *aor = ami_msg_get(ev, "AOR");
	const char *uri = ami_msg_get(ev, "URI");
	const char *via = ami_msg_get(ev, "ViaAddress");
	char address[64] = "";
	if (via && *via)
		snprintf(address, sizeof address, "%s", via);
	else if (uri)
		reg_address_from_uri(uri, address, sizeof address);
	record(w, aor ? aor : ami_msg_get(ev, "EndpointName"), address, ami_msg_get(ev, "ContactStatus"));
}

/* chan_sip: Event: PeerStatus, Peer: SIP/201, PeerStatus: Registered|Unregistered|..., Address: ip:port */
static void on_peer_status(const struct ami_msg *ev, void *ud)
{
	const char *peer = ami_msg_get(ev, "Peer");
	if (!peer)
		return;
	const char *slash = strchr(peer, '/');
	record(ud, slash ? slash + 1 : peer, ami_msg_get(ev, "Address"), ami_msg_get(ev, "PeerStatus"));
}

struct listed {
	const char *endpoint; /* points into the action's result */
	char address[64];
};

/* Rebuilds the table from the PBX's current contacts (events in a gap are lost). Called with mu held.
 * Returns 0, or -1 with why (the table is then as it was). */
static int resync(struct reg_watcher *w, char *why, size_t whylen)
{
	char err[512];
	struct db *db = watcher_db(w, err, sizeof err);
	if (!db) {
		snprintf(why, whylen, "database: %s", err);
		return -1;
	}
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", w->driver == PBX_SIP ? "SIPpeers" : "PJSIPShowContacts");
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(w->pool, &m, &r);
	/* An empty list is an error answer ("No Contacts found", ami.md). */
	bool empty = st == AMI_ERROR && r.refusal == AMI_REFUSAL_EMPTY_LIST;
	int rc = -1;
	if (st != AMI_OK && !empty) {
		snprintf(why, whylen, "cannot list contacts: %s", r.message);
		goto out;
	}
	size_t n_listed = st == AMI_OK ? r.n_events : 0;
	struct listed *listed = calloc(n_listed ? n_listed : 1, sizeof *listed);
	struct registration *regs = calloc(n_listed ? n_listed : 1, sizeof *regs);
	if (!listed || !regs)
		abort();
	size_t n = 0;
	for (size_t i = 0; i < n_listed; i++) {
		const struct ami_msg *ev = r.events[i];
		struct listed *l = &listed[n];
		if (w->driver == PBX_SIP) {
			const char *ip = ami_msg_get(ev, "IPaddress"), *port = ami_msg_get(ev, "IPport");
			if (!ip || strcmp(ip, "-none-") == 0)
				continue;
			snprintf(l->address, sizeof l->address, "%s:%s", ip, port ? port : "");
			l->endpoint = ami_msg_get(ev, "ObjectName");
		} else {
			const char *via = ami_msg_get(ev, "ViaAddr"), *via_port = ami_msg_get(ev, "ViaPort");
			if (via && *via)
				snprintf(l->address, sizeof l->address, "%s%s%s", via, via_port && *via_port ? ":" : "",
					 via_port ? via_port : "");
			else if (ami_msg_get(ev, "Uri"))
				reg_address_from_uri(ami_msg_get(ev, "Uri"), l->address, sizeof l->address);
			l->endpoint = ami_msg_get(ev, "Endpoint");
		}
		if (!l->endpoint || !*l->endpoint)
			continue;
		regs[n] = (struct registration){ l->endpoint, l->address, w->driver == PBX_SIP ? "Registered" : "Created" };
		n++;
	}
	rc = registrations_replace(db, regs, n, (int64_t)time(NULL), err, sizeof err);
	if (rc != 0)
		snprintf(why, whylen, "database: %s", err);
	free(regs);
	free(listed);
out:
	ami_result_free(&r);
	ami_msg_free(&m);
	return rc;
}

/* The resynchronising thread: rebuilds the table whenever asked, and keeps retrying every retry_s seconds
 * while it fails (PBX unreachable, database busy or failing), so a failed rebuild is not forgotten until
 * the next reconnection. */
static void *resync_main(void *arg)
{
	struct reg_watcher *w = arg;
	int failures = 0;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stopping && !w->resync_wanted)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stopping)
			break;
		w->resync_wanted = false;
		char why[700];
		if (resync(w, why, sizeof why) == 0) {
			if (failures)
				log_info("registrations: table rebuilt after %d failed attempt%s", failures,
					 failures == 1 ? "" : "s");
			failures = 0;
			continue;
		}
		if (failures++ == 0)
			log_warn("registrations: cannot rebuild the table: %s; retrying every %d s", why, w->retry_s);
		w->resync_wanted = true;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += w->retry_s;
		while (!w->stopping && pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void on_state(enum ami_events_state state, const char *message, void *ud)
{
	struct reg_watcher *w = ud;
	if (state == AMI_EVENTS_DISCONNECTED) {
		log_warn("registrations: event connection lost: %s", message ? message : "");
		return;
	}
	pthread_mutex_lock(&w->mu);
	want_resync(w);
	pthread_mutex_unlock(&w->mu);
}

struct reg_watcher *reg_watcher_new(const struct ami_options *o, struct ami_pool *pool, enum pbx_driver driver,
				    const char *db_path, int retry_s, char *err, size_t errlen)
{
	struct reg_watcher *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->pool = pool;
	w->driver = driver;
	w->retry_s = retry_s > 0 ? retry_s : 1;
	snprintf(w->db_path, sizeof w->db_path, "%s", db_path);
	pthread_condattr_t ca;
	if (pthread_mutex_init(&w->mu, NULL) != 0 || pthread_condattr_init(&ca) != 0)
		abort();
	/* Retry delays are measured on the monotonic clock: setting the wall clock must not stretch them. */
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&w->cv, &ca) != 0)
		abort();
	pthread_condattr_destroy(&ca);
	w->events = ami_events_new(o, "system", err, errlen);
	if (!w->events || ami_events_on(w->events, "ContactStatus", on_contact_status, w) != 0 ||
	    ami_events_on(w->events, "PeerStatus", on_peer_status, w) != 0 ||
	    ami_events_on_state(w->events, on_state, w) != 0) {
		reg_watcher_free(w);
		return NULL;
	}
	return w;
}

int reg_watcher_start(struct reg_watcher *w)
{
	if (pthread_create(&w->resync_thread, NULL, resync_main, w) != 0)
		return -1;
	w->started = true;
	return ami_events_start(w->events);
}

void reg_watcher_free(struct reg_watcher *w)
{
	if (!w)
		return;
	/* Events first: once their thread is gone nothing asks for a resync; then the resync thread (which
	 * finishes the rebuild it is in, if any). */
	ami_events_destroy(w->events);
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stopping = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->resync_thread, NULL);
	}
	db_close(w->db);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
