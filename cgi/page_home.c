/* page_home: the landing page after login: who you are and where things stand (for integrators also the
 * trunks and the routes dialplan, which only they see), and the dashboard's tiles: calls today and this month
 * and today's missed ones (the aggregates, db/calls.h), calls in progress and today's peak (pbx/live_calls.h),
 * phones registered, trunks up (integrators), the PBX's version and uptime. What comes from the PBX is asked
 * through the applier's thread in one job (applier_overview_now), waited for at most HOME_PBX_WAIT_MS (and never
 * more than [asterisk] save_wait): a PBX that does not answer by then is shown as "not answering". Shorter than
 * save_wait on purpose: the landing page must stay fast while the PBX hangs (issue 8: pages answer within 0.5 s
 * while saves wait on a frozen PBX, tests/integration/test_slow_pbx.py), and a PBX that answers at all answers
 * these two small requests in milliseconds. */
#include <stdlib.h>
#include <time.h>

#include "db/calls.h"
#include "db/db.h"
#include "db/phones.h"
#include "db/routes.h"
#include "db/trunks.h"
#include "pages.h"
#include "pbx/pbx_info.h"
#include "pbx/trunk_state.h"

#define HOME_PBX_WAIT_MS 250

/* trunks_list and routes_list return how many rows there are: nothing to do with each. */
static int count_trunk(void *ctx, const struct trunk *t)
{
	(void)ctx;
	(void)t;
	return 0;
}

static int count_route(void *ctx, const struct route *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

/* Trunks (live, and how many wait for the PBX) and routes, and whether the routes dialplan is applied. */
static void set_outbound(struct page *p)
{
	struct dialplan_state d;
	response_set_int(p->res, "Home.Trunks", trunks_list(p->w->db, count_trunk, NULL));
	response_set_int(p->res, "Home.TrunksPending", trunks_count_pending(p->w->db));
	response_set_int(p->res, "Home.Routes", routes_list(p->w->db, count_route, NULL));
	if (dialplan_get(p->w->db, &d) == 0 && dialplan_pending(&d))
		response_set(p->res, "Home.Dialplan", d.blocked ? "blocked" : "pending");
}

/* Today's local day (YYYYMMDD, [web] timezone) and the first of its month. */
static void today(int64_t now, int *day, int *month_first)
{
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	*day = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	*month_first = *day / 100 * 100 + 1;
}

/* Calls today and this month, missed today: two reads of the hourly aggregates. */
static int set_calls(struct page *p)
{
	int day, first;
	today(p->now, &day, &first);
	struct call_totals t, m;
	if (calls_stats_totals(p->w->db, day, day, &t) != 0 || calls_stats_totals(p->w->db, first, day, &m) != 0)
		return -1;
	response_set_int(p->res, "Home.Calls.Today", t.calls);
	response_set_int(p->res, "Home.Calls.MissedToday", t.missed);
	response_set_int(p->res, "Home.Calls.Month", m.calls);
	/* For the tiles' links to the history of today (its filter takes ISO dates). */
	response_setf(p->res, "Home.Today", "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
	return 0;
}

/* Calls in progress and today's peak, from the live table; unknown (not shown as 0) while its event login is
 * down or it has not been rebuilt since, when a 0 would be a guess. */
static void set_live(struct page *p)
{
	if (!p->w->live)
		return;
	struct live_snapshot s;
	live_calls_snapshot(p->w->live, &s);
	if (s.connected && s.synced) {
		response_set(p->res, "Home.Live.Known", "1");
		response_set_int(p->res, "Home.Live.Active", (long long)s.n);
		response_set_int(p->res, "Home.Live.Peak", s.peak);
	}
	live_snapshot_free(&s);
}

/* A trunk is up when its provider answers qualify or it is registered (as the trunks page words it). */
static bool trunk_up(const struct pbx_trunk_state *st)
{
	return st->reach == PBX_TRUNK_REACH_OK || st->reg == PBX_TRUNK_REG_REGISTERED;
}

/* The PBX's version and uptime, and (integrators) how many trunks are up: one job of the applier's thread. */
static int set_pbx(struct page *p)
{
	struct trunk_array rows = { 0 };
	bool integrator = p->user.role == ROLE_INTEGRATOR;
	if (integrator && trunks_all(p->w->db, &rows) < 0) {
		trunk_array_free(&rows);
		return -1;
	}
	struct pbx_trunk_state *states = calloc(rows.n ? rows.n : 1, sizeof *states);
	if (!states)
		abort();
	for (size_t i = 0; i < rows.n; i++)
		snprintf(states[i].name, sizeof states[i].name, "%s", rows.items[i].name);
	struct pbx_info info;
	bool info_ok = false, states_ok = false;
	int late = applier_overview_now(p->w->applier, HOME_PBX_WAIT_MS, &info, &info_ok, states, rows.n, &states_ok);
	if (late == 0 && info_ok) {
		response_set(p->res, "Home.Pbx.Answering", "1");
		response_set(p->res, "Home.Pbx.Version", info.version);
		if (info.started > 0 && info.started <= p->now) {
			int64_t up = p->now - info.started;
			response_set(p->res, "Home.Pbx.Uptime.Known", "1");
			response_set_int(p->res, "Home.Pbx.Uptime.Days", up / 86400);
			response_set_int(p->res, "Home.Pbx.Uptime.Hours", up / 3600 % 24);
			response_set_int(p->res, "Home.Pbx.Uptime.Minutes", up / 60 % 60);
		}
	}
	if (integrator) {
		size_t live = 0, up = 0;
		for (size_t i = 0; i < rows.n; i++) {
			if (rows.items[i].deleted)
				continue;
			live++;
			up += info_ok && states_ok && trunk_up(&states[i]);
		}
		response_set_int(p->res, "Home.TrunksLive", (long long)live);
		if (info_ok && states_ok) {
			response_set(p->res, "Home.TrunksKnown", "1");
			response_set_int(p->res, "Home.TrunksUp", (long long)up);
		}
	}
	free(states);
	trunk_array_free(&rows);
	return 0;
}

void page_home(struct page *p)
{
	const struct config *cfg = p->w->cfg;
	response_set_int(p->res, "Home.Users", users_count(p->w->db));
	response_set_int(p->res, "Home.Phones", phones_count_live(p->w->db));
	response_set_int(p->res, "Home.Pending", phones_count_pending(p->w->db));
	/* Of those, phones found missing on the PBX (a crash cut a file short): being restored. */
	response_set_int(p->res, "Home.Vanished", phones_count_drifted(p->w->db));
	/* Migrations ran at start-up, so the schema is this build's latest. */
	response_set_int(p->res, "Home.SchemaVersion", db_latest_version());
	response_setf(p->res, "Home.Pbx.Address", "%s:%d", cfg->ami_host, cfg->ami_port);
	response_set(p->res, "Home.Pbx.Tls", cfg->ami_tls ? "1" : "0");
	response_set(p->res, "Home.Pbx.Driver", cfg->asterisk_driver);
	/* What the pool's requests found lately (the status page has the rest). */
	struct ami_pool_stats pool;
	applier_pool_stats(p->w->applier, &pool);
	response_set(p->res, "Home.Pbx.Health", ami_health_name(pool.health));
	if (pool.health_since > 0) {
		char since[32];
		time_t t = (time_t)pool.health_since;
		struct tm tm;
		if (localtime_r(&t, &tm) && strftime(since, sizeof since, "%Y-%m-%d %H:%M", &tm))
			response_set(p->res, "Home.Pbx.Since", since);
	}
	if (p->user.role == ROLE_INTEGRATOR)
		set_outbound(p);
	response_set_int(p->res, "Home.Registered", phones_count_registered(p->w->db));
	set_live(p);
	if (set_calls(p) != 0 || set_pbx(p) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	p->res->template = "home.cs";
}
