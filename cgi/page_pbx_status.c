/* page_pbx_status: the PBX status page (both roles) and its "retry now" (integrators). What the pool's requests
 * found of the PBX lately (answering, not answering, unreachable; since when; the last problem), the pool's
 * connections, the PBX's and its manager's versions, uptime and last reload (asked now through the applier's
 * thread, waited for at most STATUS_PBX_WAIT_MS: a frozen PBX shows as not answering, the page stays fast), and
 * every change waiting to be applied with its last error. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit_log.h"
#include "db/pending.h"
#include "pages.h"
#include "pbx/pbx_info.h"
#include "web/form.h"

#define STATUS_PBX_WAIT_MS 500
#define PENDING_SHOWN 100

static const struct form_field status_query_fields[] = {
	{ "done", form_v_choice, false, 0, 0, "retried|retried_none" },
};
static const struct form_def status_query = FORM_DEF("status", status_query_fields);

/* "2026-12-02 06:46" in [web] timezone; "" for 0. */
static void format_when(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !localtime_r(&tt, &tm) || strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		*out = '\0';
}

static void set_when(struct page *p, const char *key, int64_t t)
{
	char text[32];
	format_when(t, text, sizeof text);
	response_set(p->res, key, text);
}

static void set_span(struct page *p, const char *prefix, int64_t seconds)
{
	char key[64];
	if (seconds < 0)
		seconds = 0;
	snprintf(key, sizeof key, "%s.Days", prefix);
	response_set_int(p->res, key, seconds / 86400);
	snprintf(key, sizeof key, "%s.Hours", prefix);
	response_set_int(p->res, key, seconds / 3600 % 24);
	snprintf(key, sizeof key, "%s.Minutes", prefix);
	response_set_int(p->res, key, seconds / 60 % 60);
}

struct pending_ctx {
	struct page *p;
	int n;
};

static int add_pending(void *ctx, const struct pending_item *it)
{
	struct pending_ctx *c = ctx;
	char key[64];
	int i = c->n++;
#define SET(field, value) (snprintf(key, sizeof key, "Pending.%d." field, i), response_set(c->p->res, key, value))
	SET("Kind", it->kind);
	SET("Label", it->label);
	SET("Error", it->last_error);
	SET("Removal", it->removal ? "1" : "");
	SET("Blocked", it->blocked ? "1" : "");
#undef SET
	snprintf(key, sizeof key, "Pending.%d.Id", i);
	response_set_int(c->p->res, key, it->id);
	snprintf(key, sizeof key, "Pending.%d.Attempts", i);
	response_set_int(c->p->res, key, it->attempts);
	snprintf(key, sizeof key, "Pending.%d.Next", i);
	char when[32];
	format_when(it->next_attempt_at > c->p->now ? it->next_attempt_at : 0, when, sizeof when);
	response_set(c->p->res, key, when);
	return 0;
}

void page_pbx_status(struct page *p)
{
	struct form_result f;
	if (!form_validate(&status_query, &p->req->query_pairs, &f)) {
		form_result_free(&f);
		page_error(p, 400, "bad_query");
		return;
	}
	response_set(p->res, "Page.Done", form_value(&f, "done"));
	form_result_free(&f);

	/* What the pool found lately, before asking anything now. */
	struct ami_pool_stats st;
	applier_pool_stats(p->w->applier, &st);
	response_set(p->res, "Status.Health", ami_health_name(st.health));
	set_when(p, "Status.Since", st.health_since);
	set_when(p, "Status.LastAnswer", st.last_answer);
	response_set(p->res, "Status.Problem", st.health == AMI_HEALTH_ANSWERING ? "" : st.last_problem);
	response_set_int(p->res, "Status.Pool.Size", st.size);
	response_set_int(p->res, "Status.Pool.Open", st.open);
	response_set_int(p->res, "Status.Pool.Busy", st.busy);
	response_set_int(p->res, "Status.Pool.Connects", (long long)st.connects);
	response_set_int(p->res, "Status.Pool.Failures", (long long)st.connect_failures);
	response_set_int(p->res, "Status.Pool.Dropped", (long long)st.dropped);
	/* Phones written and waiting for the reloader's reload (live in a moment), and why if that reload fails. */
	response_set_int(p->res, "Status.Loading", (long long)applier_phones_loading(p->w->applier));
	char why[200];
	if (applier_reload_failing(p->w->applier, why, sizeof why))
		response_set(p->res, "Status.ReloadProblem", why);
	const struct config *cfg = p->w->cfg;
	response_setf(p->res, "Status.Address", "%s:%d", cfg->ami_host, cfg->ami_port);
	response_set(p->res, "Status.Tls", cfg->ami_tls ? "1" : "");

	/* Now: one job of the applier's thread, a short wait. */
	struct pbx_info info;
	bool info_ok = false, states_ok = false;
	int late = applier_overview_now(p->w->applier, STATUS_PBX_WAIT_MS, &info, &info_ok, NULL, 0, &states_ok);
	if (late == 0 && info_ok) {
		response_set(p->res, "Status.Now", "answering");
		response_set(p->res, "Status.Version", info.version);
		response_set(p->res, "Status.AmiVersion", info.ami_version);
		response_set_int(p->res, "Status.Channels", info.active_channels);
		if (info.started > 0 && info.started <= p->now) {
			set_when(p, "Status.Started", info.started);
			set_span(p, "Status.Uptime", p->now - info.started);
		}
		if (info.reloaded > 0 && info.reloaded <= p->now) {
			set_when(p, "Status.Reloaded", info.reloaded);
			set_span(p, "Status.SinceReload", p->now - info.reloaded);
		}
	} else {
		/* No answer within the wait, or an error: what the pool says tells which. */
		applier_pool_stats(p->w->applier, &st);
		response_set(p->res, "Status.Now", late ? "not_answering" : ami_health_name(st.health));
		if (late)
			response_set_int(p->res, "Status.WaitMs", STATUS_PBX_WAIT_MS);
	}

	struct pending_ctx pc = { p, 0 };
	int total = pending_each(p->w->db, PENDING_SHOWN, add_pending, &pc);
	if (total < 0) {
		page_error(p, 500, "internal");
		return;
	}
	response_set_int(p->res, "Status.Pending", total);
	response_set_int(p->res, "Status.PendingShown", pc.n);
	p->res->template = "pbx.cs";
}

void page_pbx_retry(struct page *p)
{
	int n = applier_retry_now(p->w->applier, p->w->db);
	if (n < 0) {
		page_error(p, 500, "internal");
		return;
	}
	char changes[64];
	snprintf(changes, sizeof changes, "changes made due now: %d", n);
	audit_log(p, "pbx.retry", "PBX", changes, NULL, "done");
	response_redirect(p->res, n > 0 ? "/pbx?done=retried" : "/pbx?done=retried_none");
}
