/* page_pbx_drift: the drift check (integrators). Compares everything Centralita manages with what Asterisk has
 * now (the verification's GetConfig reading, run without changing anything: pbx/verify.h) and lists what was
 * changed outside Centralita: a phone's or trunk's file edited, cut short or removed, the routes dialplan, files
 * Asterisk has but does not run. "Re-apply" puts Centralita's version back (the verification, then the rewriting
 * of what it marked, in one job of the applier's thread). Both wait at most [asterisk] save_wait: a big PBX may
 * take longer, and the page says so. Centralita's own files only: the integrator's configuration is never
 * listed or touched. */
#include <stdio.h>
#include <stdlib.h>

#include "audit_log.h"
#include "pages.h"
#include "pbx/verify.h"
#include "web/form.h"

static const struct form_field drift_query_fields[] = {
	{ "done", form_v_choice, false, 0, 0, "repaired|repair_slow|repair_failed" },
};
static const struct form_def drift_query = FORM_DEF("drift", drift_query_fields);

void page_pbx_drift(struct page *p)
{
	struct form_result f;
	if (!form_validate(&drift_query, &p->req->query_pairs, &f)) {
		form_result_free(&f);
		page_error(p, 400, "bad_query");
		return;
	}
	response_set(p->res, "Page.Done", form_value(&f, "done"));
	form_result_free(&f);
	struct pbx_drift *items = NULL;
	size_t n = 0;
	char msg[200] = "";
	int rc = applier_drift_now(p->w->applier, p->w->pbx->save_wait_ms, &items, &n, msg, sizeof msg);
	response_set(p->res, "Drift.State", rc == 0 ? "done" : rc > 0 ? "slow" : "failed");
	response_set(p->res, "Drift.Error", msg);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char key[48];
#define SET(field, value) (snprintf(key, sizeof key, "Drift.Items.%zu." field, i), response_set(p->res, key, value))
		SET("Kind", items[i].kind);
		SET("Label", items[i].label);
		SET("Detail", items[i].detail);
#undef SET
		snprintf(key, sizeof key, "Drift.Items.%zu.Id", i);
		response_set_int(p->res, key, items[i].id);
	}
	response_set_int(p->res, "Drift.Count", rc == 0 ? (long long)n : 0);
	free(items);
	p->res->template = "pbx_drift.cs";
}

void page_pbx_drift_repair(struct page *p)
{
	char msg[200] = "", outcome[240];
	int rc = applier_repair_now(p->w->applier, p->w->pbx->save_wait_ms, msg, sizeof msg);
	/* What it rewrote is in the applier's own rows (phone.apply, trunk.apply, route.apply). */
	snprintf(outcome, sizeof outcome, "%s%s", rc == 0 ? "done" : rc > 0 ? "still applying" : "failed: ",
		 rc < 0 ? msg : "");
	audit_log(p, "pbx.repair", "PBX", "", NULL, outcome);
	response_redirect(p->res, rc == 0 ? "/pbx/drift?done=repaired" : rc > 0 ? "/pbx/drift?done=repair_slow"
										 : "/pbx/drift?done=repair_failed");
}
