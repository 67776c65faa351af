/* audit_log: one audit row per change made through a page (see audit_log.h). */
#include "audit_log.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

void audit_log(struct page *p, const char *action, const char *object, const char *changes, const char *ami,
	       const char *outcome)
{
	struct audit_record r = {
		.at = p->now,
		.user = p->user.name,
		.address = p->req->remote_addr,
		.action = action,
		.object = object,
		.changes = changes,
		.ami = ami,
		.outcome = outcome,
	};
	/* The change is made already: a row that cannot be written is logged, and the page still says what
	 * happened. */
	if (audit_add(p->w->db, &r) < 0)
		log_err("audit trail: %s %s by %s not recorded: %s", action, object, p->user.name, db_errmsg(p->w->db));
}

void audit_log_apply(struct page *p, const char *action, const char *object, const char *changes,
		     const struct apply_result *r, const char *note)
{
	char outcome[400];
	apply_result_describe(r, outcome, sizeof outcome);
	if (note) {
		size_t n = strlen(outcome);
		snprintf(outcome + n, sizeof outcome - n, "%s", note);
	}
	audit_log(p, action, object, changes, r->ami, outcome);
}
