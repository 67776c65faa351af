/* registrations: AMI events → the registrations table (see registrations.h). */
#include "pbx/registrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/phones.h"
#include "util/log.h"

struct reg_watcher {
	struct ami_events *events;
	struct ami_pool *pool;
	enum pbx_driver driver;
	char db_path[512];
	struct db *db;       /* opened and used on the watcher's thread only */
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

static struct db *watcher_db(struct reg_watcher *w)
{
	if (!w->db) {
		char err[512];
		w->db = db_open(w->db_path, err, sizeof err);
		if (!w->db)
			log_err("registrations: %s", err);
	}
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

static void record(struct reg_watcher *w, const char *endpoint, const char *address, const char *status)
{
	struct db *db = watcher_db(w);
	if (!db || !endpoint || !*endpoint)
		return;
	if (is_registered_status(status)) {
		registrations_set(db, endpoint, address ? address : "", status, (int64_t)time(NULL));
	} else {
		sqlite3_stmt *st = db_prepare(db, "DELETE FROM registrations WHERE endpoint = ?1");
		if (st) {
			sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
			sqlite3_step(st);
			db_done(st);
		}
	}
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

/* Rebuilds the table from the PBX's current contacts (events in a gap are lost). */
static void resync(struct reg_watcher *w)
{
	struct db *db = watcher_db(w);
	if (!db)
		return;
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", w->driver == PBX_SIP ? "SIPpeers" : "PJSIPShowContacts");
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(w->pool, &m, &r);
	/* "No Contacts found" is how Asterisk says the list is empty (ami.md). */
	bool empty = st == AMI_ERROR && strstr(r.message, "No Contacts found");
	if (st == AMI_OK || empty) {
		db_exec(db, "BEGIN IMMEDIATE");
		registrations_clear(db);
		for (size_t i = 0; st == AMI_OK && i < r.n_events; i++) {
			const struct ami_msg *ev = r.events[i];
			if (w->driver == PBX_SIP) {
				const char *ip = ami_msg_get(ev, "IPaddress"), *port = ami_msg_get(ev, "IPport");
				char address[64];
				snprintf(address, sizeof address, "%s:%s", ip ? ip : "", port ? port : "");
				if (ip && strcmp(ip, "-none-") != 0)
					record(w, ami_msg_get(ev, "ObjectName"), address, "Registered");
				continue;
			}
			const char *via = ami_msg_get(ev, "ViaAddr"), *via_port = ami_msg_get(ev, "ViaPort");
			char address[64] = "";
			if (via && *via)
				snprintf(address, sizeof address, "%s%s%s", via, via_port && *via_port ? ":" : "",
					 via_port ? via_port : "");
			else if (ami_msg_get(ev, "Uri"))
				reg_address_from_uri(ami_msg_get(ev, "Uri"), address, sizeof address);
			record(w, ami_msg_get(ev, "Endpoint"), address, "Created");
		}
		db_exec(db, "COMMIT");
	} else {
		log_warn("registrations: cannot list contacts: %s", r.message);
	}
	ami_result_free(&r);
	ami_msg_free(&m);
}

static void on_state(enum ami_events_state state, const char *message, void *ud)
{
	if (state == AMI_EVENTS_DISCONNECTED) {
		log_warn("registrations: event connection lost: %s", message ? message : "");
		return;
	}
	resync(ud);
}

struct reg_watcher *reg_watcher_new(const struct ami_options *o, struct ami_pool *pool, enum pbx_driver driver,
				    const char *db_path, char *err, size_t errlen)
{
	struct reg_watcher *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->pool = pool;
	w->driver = driver;
	snprintf(w->db_path, sizeof w->db_path, "%s", db_path);
	w->events = ami_events_new(o, "system", err, errlen);
	if (!w->events || ami_events_on(w->events, "ContactStatus", on_contact_status, w) != 0 ||
	    ami_events_on(w->events, "PeerStatus", on_peer_status, w) != 0 ||
	    ami_events_on_state(w->events, on_state, w) != 0) {
		reg_watcher_free(w);
		return NULL;
	}
	return w;
}

int reg_watcher_start(struct reg_watcher *w) { return ami_events_start(w->events); }

void reg_watcher_free(struct reg_watcher *w)
{
	if (!w)
		return;
	ami_events_destroy(w->events);
	db_close(w->db);
	free(w);
}
