/* live_calls: AMI call events → the calls in progress, in memory (see live_calls.h). */
#include "pbx/live_calls.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pbx/trunk_config.h"
#include "util/log.h"

/* One channel as the events told it. */
struct chan {
	char uniqueid[LIVE_FIELD_MAX], linkedid[LIVE_FIELD_MAX], name[LIVE_FIELD_MAX], bridge[LIVE_FIELD_MAX];
	char cid_num[LIVE_FIELD_MAX], cid_name[LIVE_FIELD_MAX], exten[LIVE_FIELD_MAX];
	int state;        /* Asterisk's ChannelState: 4 Ring (caller dialling), 5 Ringing, 6 Up ... */
	bool dialing;     /* between DialBegin and DialEnd, as the dialling side */
	int64_t created;
};

struct live_calls {
	pthread_mutex_t mu;
	pthread_cond_t changed;     /* version moved, or stopping */
	/* guarded by mu */
	struct chan *chans;
	size_t n, cap;
	uint64_t version;
	bool connected, synced, stopping, overflow_logged;
	int peak;
	int peak_day;               /* local date as yyyymmdd the peak belongs to */
	int64_t (*clock)(void *);
	void *clock_ctx;
	/* only the event thread touches these */
	struct ami_events *events;
	struct ami_pool *pool;
	int64_t last_resync;        /* a failed rebuild is retried at an event LIVE_RESYNC_S later */
	bool resync_failing;
	atomic_int streams;
};

const char *live_state_name(enum live_state s)
{
	return s == LIVE_UP ? "up" : "ringing";
}

const char *live_kind_name(enum live_kind k)
{
	return k == LIVE_INBOUND ? "inbound" : k == LIVE_OUTBOUND ? "outbound" : "internal";
}

static int64_t now_of(struct live_calls *lc)
{
	return lc->clock ? lc->clock(lc->clock_ctx) : (int64_t)time(NULL);
}

/* Asterisk writes "<unknown>" where it has nothing: the page shows nothing instead. */
static void copy_field(char *dst, const char *src)
{
	if (!src || strcmp(src, "<unknown>") == 0)
		src = "";
	snprintf(dst, LIVE_FIELD_MAX, "%s", src);
}

static const char *get(const struct ami_msg *ev, const char *prefix, const char *key)
{
	char k[64];
	snprintf(k, sizeof k, "%s%s", prefix, key);
	return ami_msg_get(ev, k);
}

static struct chan *find(struct live_calls *lc, const char *uniqueid)
{
	for (size_t i = 0; uniqueid && i < lc->n; i++)
		if (strcmp(lc->chans[i].uniqueid, uniqueid) == 0)
			return &lc->chans[i];
	return NULL;
}

static struct chan *add(struct live_calls *lc, const char *uniqueid, int64_t created)
{
	if (lc->n >= LIVE_MAX_CHANNELS) {
		if (!lc->overflow_logged)
			log_warn("live calls: more than %d channels; the others are not shown", LIVE_MAX_CHANNELS);
		lc->overflow_logged = true;
		return NULL;
	}
	if (lc->n == lc->cap) {
		lc->cap = lc->cap ? lc->cap * 2 : 16;
		lc->chans = realloc(lc->chans, lc->cap * sizeof *lc->chans);
		if (!lc->chans)
			abort();
	}
	struct chan *c = &lc->chans[lc->n++];
	memset(c, 0, sizeof *c);
	copy_field(c->uniqueid, uniqueid);
	c->created = created;
	return c;
}

/* The channel-state fields every call event carries (ast_manager_build_channel_state_string), under prefix
 * ("" or "Dest"). Creates the channel when it is new (its Newchannel may have come before a rebuild), unless
 * create is false. */
static struct chan *upsert(struct live_calls *lc, const struct ami_msg *ev, const char *prefix, int64_t ts,
			   bool create)
{
	const char *uid = get(ev, prefix, "Uniqueid");
	if (!uid || !*uid)
		return NULL;
	struct chan *c = find(lc, uid);
	if (!c && (!create || !(c = add(lc, uid, ts))))
		return NULL;
	const char *v;
	if ((v = get(ev, prefix, "Linkedid")))
		copy_field(c->linkedid, v);
	if ((v = get(ev, prefix, "Channel")))
		copy_field(c->name, v);
	if ((v = get(ev, prefix, "ChannelState")) && *v)
		c->state = atoi(v);
	if ((v = get(ev, prefix, "CallerIDNum")))
		copy_field(c->cid_num, v);
	if ((v = get(ev, prefix, "CallerIDName")))
		copy_field(c->cid_name, v);
	/* A dialled channel's Exten empties once answered (transcript 11): keep the digits it had. */
	if ((v = get(ev, prefix, "Exten")) && *v && strcmp(v, "s") != 0)
		copy_field(c->exten, v);
	return c;
}

/* "1795797242.564746" → 1795797242; a missing or odd Timestamp is "now". */
static int64_t event_time(struct live_calls *lc, const struct ami_msg *ev)
{
	const char *t = ami_msg_get(ev, "Timestamp");
	if (t && *t >= '0' && *t <= '9') {
		long long s = strtoll(t, NULL, 10);
		if (s > 0)
			return (int64_t)s;
	}
	return now_of(lc);
}

/* ---------- grouping channels into calls ---------- */

static size_t uf_find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a != b)
		parent[a < b ? b : a] = a < b ? a : b;
}

struct key {
	const char *s;
	size_t i;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct key *)a)->s, ((const struct key *)b)->s);
}

/* parent[i]: the group of channel i (its lowest index). Channels in one bridge are one call, and so are channels
 * of one Linkedid (Asterisk gives a dialled leg, and a transferred party's new leg, the Linkedid of the call).
 * paired[i]: channel i shares its bridge with another. Sorting keeps this O(n log n) per event. */
static void group(const struct chan *c, size_t n, size_t *parent, bool *paired)
{
	struct key *keys = malloc(n * sizeof *keys);
	if (!keys)
		abort();
	for (size_t i = 0; i < n; i++) {
		parent[i] = i;
		paired[i] = false;
	}
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < n; i++)
			keys[i] = (struct key){ k == 0 ? c[i].bridge : c[i].linkedid, i };
		qsort(keys, n, sizeof *keys, by_key);
		for (size_t i = 1; i < n; i++) {
			if (!*keys[i].s || strcmp(keys[i - 1].s, keys[i].s) != 0)
				continue;
			uf_union(parent, keys[i - 1].i, keys[i].i);
			if (k == 0)
				paired[keys[i - 1].i] = paired[keys[i].i] = true;
		}
	}
	free(keys);
}

static bool is_local(const struct chan *c)
{
	return strncmp(c->name, "Local/", 6) == 0;
}

/* "PJSIP/201-00000000" → "201"; "PJSIP/trunk-acme-0000000a" → "trunk-acme" (the part after the last '-' is the
 * channel's sequence number). */
static void endpoint_of(const char *channel, char *out)
{
	const char *slash = strchr(channel, '/');
	const char *s = slash ? slash + 1 : channel;
	const char *dash = strrchr(s, '-');
	size_t n = dash ? (size_t)(dash - s) : strlen(s);
	if (n >= LIVE_FIELD_MAX)
		n = LIVE_FIELD_MAX - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static bool is_trunk_endpoint(const char *endpoint)
{
	return strncmp(endpoint, PBX_TRUNK_PREFIX, strlen(PBX_TRUNK_PREFIX)) == 0 &&
	       endpoint[strlen(PBX_TRUNK_PREFIX)] != '\0';
}

/* Who began a call: not a Local channel (Originate, a queue's helper) if there is another, and the channel whose
 * Uniqueid is the call's Linkedid before one that joined later. */
static int caller_rank(const struct chan *m)
{
	return !is_local(m) * 2 + (strcmp(m->uniqueid, m->linkedid) == 0);
}

static void party_of(const struct chan *c, struct live_party *p)
{
	memcpy(p->number, c->cid_num, sizeof p->number);
	memcpy(p->name, c->cid_name, sizeof p->name);
	endpoint_of(c->name, p->endpoint);
}

/* Builds the calls from the channels (out may be NULL to count them). Called with mu held. */
static size_t build_calls(const struct chan *c, size_t n, struct live_call *out)
{
	if (n == 0)
		return 0;
	size_t *parent = malloc(n * sizeof *parent);
	bool *paired = malloc(n * sizeof *paired);
	if (!parent || !paired)
		abort();
	group(c, n, parent, paired);
	size_t calls = 0;
	for (size_t root = 0; root < n; root++) {
		if (uf_find(parent, root) != root)
			continue;
		calls++;
		if (!out)
			continue;
		/* The caller: the best caller_rank, else the oldest. */
		const struct chan *caller = NULL;
		int members = 0;
		bool dialing = false, ringing = false, bridged = false;
		int64_t since = 0;
		for (size_t i = root; i < n; i++) {
			if (uf_find(parent, i) != root)
				continue;
			const struct chan *m = &c[i];
			members++;
			if (!since || m->created < since)
				since = m->created;
			dialing |= m->dialing;
			ringing |= m->state == 0 || m->state == 4 || m->state == 5;
			bridged |= paired[i];
			if (!caller || caller_rank(m) > caller_rank(caller) ||
			    (caller_rank(m) == caller_rank(caller) && m->created < caller->created))
				caller = m;
		}
		/* The callee: another party, preferably one bridged with the caller, not Local, the newest (after a
		 * transfer, the one the call went to). */
		const struct chan *callee = NULL;
		int callee_score = -1;
		for (size_t i = root; i < n; i++) {
			const struct chan *m = &c[i];
			if (uf_find(parent, i) != root || m == caller)
				continue;
			int score = (*caller->bridge && strcmp(m->bridge, caller->bridge) == 0) * 2 + !is_local(m);
			if (score > callee_score || (score == callee_score && m->created >= callee->created)) {
				callee = m;
				callee_score = score;
			}
		}
		struct live_call *call = &out[calls - 1];
		memset(call, 0, sizeof *call);
		memcpy(call->id, caller->linkedid[0] ? caller->linkedid : caller->uniqueid, sizeof call->id);
		party_of(caller, &call->caller);
		if (callee) {
			party_of(callee, &call->callee);
			if (!*call->callee.number)
				memcpy(call->callee.number, callee->exten, sizeof call->callee.number);
		}
		/* Nobody dialled yet (in the dialplan, or dialling out): the callee is the number the caller asked for. */
		if (!*call->callee.number && !*call->callee.endpoint)
			memcpy(call->callee.number, caller->exten, sizeof call->callee.number);
		call->channels = members;
		call->since = since;
		/* Up once two of its channels share a bridge; ringing while someone dials or a leg rings; a channel
		 * answered by an application (voicemail, an announcement) alone is up too. */
		call->state = bridged ? LIVE_UP : (dialing || ringing) ? LIVE_RINGING : LIVE_UP;
		if (is_trunk_endpoint(call->caller.endpoint)) {
			call->kind = LIVE_INBOUND;
			snprintf(call->trunk, sizeof call->trunk, "%s", call->caller.endpoint + strlen(PBX_TRUNK_PREFIX));
		} else if (is_trunk_endpoint(call->callee.endpoint)) {
			call->kind = LIVE_OUTBOUND;
			snprintf(call->trunk, sizeof call->trunk, "%s", call->callee.endpoint + strlen(PBX_TRUNK_PREFIX));
		}
	}
	free(paired);
	free(parent);
	return calls;
}

static int local_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Today's peak with `current` calls now: a new day starts from what is in progress. Called with mu held. */
static void update_peak(struct live_calls *lc, int current)
{
	int day = local_day(now_of(lc));
	if (day != lc->peak_day) {
		lc->peak_day = day;
		lc->peak = current;
	} else if (current > lc->peak) {
		lc->peak = current;
	}
}

/* After a change: peak, version, wake the streams. Called with mu held. */
static void changed(struct live_calls *lc)
{
	update_peak(lc, (int)build_calls(lc->chans, lc->n, NULL));
	lc->version++;
	pthread_cond_broadcast(&lc->changed);
}

/* ---------- feeding ---------- */

static void remove_chan(struct live_calls *lc, struct chan *c)
{
	size_t i = (size_t)(c - lc->chans);
	memmove(&lc->chans[i], &lc->chans[i + 1], (lc->n - i - 1) * sizeof *c);
	lc->n--;
}

void live_calls_event(struct live_calls *lc, const struct ami_msg *ev)
{
	const char *name = ami_msg_get(ev, "Event");
	if (!name)
		return;
	int64_t ts = event_time(lc, ev);
	pthread_mutex_lock(&lc->mu);
	bool change = true;
	struct chan *c;
	if (strcasecmp(name, "Newchannel") == 0) {
		if ((c = upsert(lc, ev, "", ts, true)))
			c->created = ts;
	} else if (strcasecmp(name, "Newstate") == 0 || strcasecmp(name, "NewCallerid") == 0 ||
		   strcasecmp(name, "NewConnectedLine") == 0) {
		upsert(lc, ev, "", ts, true);
	} else if (strcasecmp(name, "DialBegin") == 0 || strcasecmp(name, "DialEnd") == 0) {
		bool begin = strcasecmp(name, "DialBegin") == 0;
		/* An Originate's DialBegin has no calling channel: only the dialled one. */
		if ((c = upsert(lc, ev, "", ts, true)))
			c->dialing = begin;
		upsert(lc, ev, "Dest", ts, true);
	} else if (strcasecmp(name, "BridgeEnter") == 0 || strcasecmp(name, "BridgeLeave") == 0) {
		const char *bridge = ami_msg_get(ev, "BridgeUniqueid");
		if ((c = upsert(lc, ev, "", ts, true)) && bridge) {
			if (strcasecmp(name, "BridgeEnter") == 0) {
				copy_field(c->bridge, bridge);
				c->dialing = false;
			} else if (strcmp(c->bridge, bridge) == 0) {
				c->bridge[0] = '\0';
			}
		}
	} else if (strcasecmp(name, "Hangup") == 0) {
		c = find(lc, ami_msg_get(ev, "Uniqueid"));
		if (c)
			remove_chan(lc, c);
		change = c != NULL;
	} else {
		change = false;
	}
	if (change)
		changed(lc);
	pthread_mutex_unlock(&lc->mu);
}

/* "01:02:03" (hours may have more digits) → seconds; -1 if it is not that. */
static long parse_duration(const char *s)
{
	unsigned h, m, sec;
	char extra;
	if (!s || sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &extra) != 3 || m > 59 || sec > 59 || h > 1000000)
		return -1;
	return (long)h * 3600 + m * 60 + sec;
}

void live_calls_rebuild(struct live_calls *lc, struct ami_msg *const *events, size_t n)
{
	pthread_mutex_lock(&lc->mu);
	int64_t now = now_of(lc);
	lc->n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ami_msg *ev = events[i];
		const char *name = ami_msg_get(ev, "Event");
		if (!name || strcasecmp(name, "CoreShowChannel") != 0)
			continue;
		long age = parse_duration(ami_msg_get(ev, "Duration"));
		struct chan *c = upsert(lc, ev, "", now - (age > 0 ? age : 0), true);
		if (!c)
			continue;
		copy_field(c->bridge, ami_msg_get(ev, "BridgeId"));
		/* The dialling side runs Dial() (the dialled side shows AppDial): ringing until it is bridged. */
		const char *app = ami_msg_get(ev, "Application");
		c->dialing = !*c->bridge && app && strcasecmp(app, "Dial") == 0;
	}
	lc->synced = true;
	changed(lc);
	pthread_mutex_unlock(&lc->mu);
}

void live_calls_set_connected(struct live_calls *lc, bool connected)
{
	pthread_mutex_lock(&lc->mu);
	lc->connected = connected;
	if (!connected) {
		/* Calls may end unseen while the login is down: show none rather than stale ones. */
		lc->n = 0;
		lc->synced = false;
	}
	changed(lc);
	pthread_mutex_unlock(&lc->mu);
}

void live_calls_set_clock(struct live_calls *lc, int64_t (*now)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&lc->mu);
	lc->clock = now;
	lc->clock_ctx = ctx;
	pthread_mutex_unlock(&lc->mu);
}

/* ---------- reading ---------- */

static int by_since(const void *a, const void *b)
{
	const struct live_call *x = a, *y = b;
	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	return strcmp(x->id, y->id);
}

void live_calls_snapshot(struct live_calls *lc, struct live_snapshot *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&lc->mu);
	out->calls = calloc(lc->n ? lc->n : 1, sizeof *out->calls);
	if (!out->calls)
		abort();
	out->n = build_calls(lc->chans, lc->n, out->calls);
	update_peak(lc, (int)out->n); /* a new day may have begun since the last event */
	out->version = lc->version;
	out->connected = lc->connected;
	out->synced = lc->synced;
	out->peak = lc->peak;
	out->now = now_of(lc);
	pthread_mutex_unlock(&lc->mu);
	qsort(out->calls, out->n, sizeof *out->calls, by_since);
}

void live_snapshot_free(struct live_snapshot *s)
{
	free(s->calls);
	s->calls = NULL;
	s->n = 0;
}

int live_calls_wait(struct live_calls *lc, uint64_t seen, int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lc->mu);
	int rc = 0;
	for (;;) {
		if (lc->stopping) {
			rc = -1;
			break;
		}
		if (lc->version != seen) {
			rc = 1;
			break;
		}
		if (pthread_cond_timedwait(&lc->changed, &lc->mu, &until) == ETIMEDOUT) {
			rc = lc->stopping ? -1 : lc->version != seen;
			break;
		}
	}
	pthread_mutex_unlock(&lc->mu);
	return rc;
}

int live_calls_pause(struct live_calls *lc, int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lc->mu);
	while (!lc->stopping && pthread_cond_timedwait(&lc->changed, &lc->mu, &until) != ETIMEDOUT)
		;
	int rc = lc->stopping ? -1 : 0;
	pthread_mutex_unlock(&lc->mu);
	return rc;
}

bool live_calls_stream_acquire(struct live_calls *lc, int max)
{
	if (max < 1)
		max = 1;
	int cur = atomic_load(&lc->streams);
	while (cur < max)
		if (atomic_compare_exchange_weak(&lc->streams, &cur, cur + 1))
			return true;
	return false;
}

void live_calls_stream_release(struct live_calls *lc)
{
	atomic_fetch_sub(&lc->streams, 1);
}

/* ---------- the AMI side ---------- */

/* Rebuilds from CoreShowChannels, on the event thread: events that arrive meanwhile wait on the socket and are
 * applied after the list, and each of them is harmless to apply twice (a channel's fields are set, a hung-up
 * channel is removed), so nothing the list missed is lost. */
static void resync(struct live_calls *lc)
{
	lc->last_resync = now_of(lc);
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "CoreShowChannels");
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(lc->pool, &m, &r);
	/* Asterisk 22 answers an empty list as a list (transcript 10); some lists answer an error when empty
	 * (ami.md): take that as empty too. */
	if (st == AMI_OK || (st == AMI_ERROR && r.refusal == AMI_REFUSAL_EMPTY_LIST)) {
		live_calls_rebuild(lc, st == AMI_OK ? r.events : NULL, st == AMI_OK ? r.n_events : 0);
		if (lc->resync_failing)
			log_info("live calls: rebuilt from CoreShowChannels");
		lc->resync_failing = false;
	} else {
		if (!lc->resync_failing)
			log_warn("live calls: cannot list channels: %s; retrying", r.message);
		lc->resync_failing = true;
	}
	ami_result_free(&r);
	ami_msg_free(&m);
}

static void on_event(const struct ami_msg *ev, void *ud)
{
	struct live_calls *lc = ud;
	if (lc->resync_failing && now_of(lc) - lc->last_resync >= LIVE_RESYNC_S)
		resync(lc);
	live_calls_event(lc, ev);
}

static void on_state(enum ami_events_state state, const char *message, void *ud)
{
	struct live_calls *lc = ud;
	if (state == AMI_EVENTS_DISCONNECTED) {
		log_warn("live calls: event connection lost: %s", message ? message : "");
		live_calls_set_connected(lc, false);
		return;
	}
	live_calls_set_connected(lc, true);
	resync(lc);
}

struct live_calls *live_calls_new(void)
{
	struct live_calls *lc = calloc(1, sizeof *lc);
	if (!lc)
		abort();
	pthread_condattr_t ca;
	if (pthread_mutex_init(&lc->mu, NULL) != 0 || pthread_condattr_init(&ca) != 0)
		abort();
	/* Waits are timed on the monotonic clock: setting the wall clock must not stretch a stream's heartbeat. */
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&lc->changed, &ca) != 0)
		abort();
	pthread_condattr_destroy(&ca);
	atomic_init(&lc->streams, 0);
	lc->peak_day = local_day(now_of(lc));
	return lc;
}

int live_calls_attach(struct live_calls *lc, const struct ami_options *o, struct ami_pool *pool, char *err,
		      size_t errlen)
{
	lc->pool = pool;
	lc->events = ami_events_new(o, "call", err, errlen);
	/* Every event: the handler picks the call events by name, and any event is a chance to retry a rebuild. */
	if (!lc->events || ami_events_on(lc->events, NULL, on_event, lc) != 0 ||
	    ami_events_on_state(lc->events, on_state, lc) != 0) {
		ami_events_destroy(lc->events);
		lc->events = NULL;
		if (err && errlen && !*err)
			snprintf(err, errlen, "live calls: cannot set up the event login");
		return -1;
	}
	return 0;
}

int live_calls_start(struct live_calls *lc)
{
	return lc->events ? ami_events_start(lc->events) : 0;
}

void live_calls_shutdown(struct live_calls *lc)
{
	if (!lc)
		return;
	pthread_mutex_lock(&lc->mu);
	lc->stopping = true;
	pthread_cond_broadcast(&lc->changed);
	pthread_mutex_unlock(&lc->mu);
}

void live_calls_free(struct live_calls *lc)
{
	if (!lc)
		return;
	ami_events_destroy(lc->events);
	free(lc->chans);
	pthread_cond_destroy(&lc->changed);
	pthread_mutex_destroy(&lc->mu);
	free(lc);
}
