/* page_audit: the audit trail (integrator only; db/audit.h), newest first: free text over the object, the
 * changes, the outcome and the user, a user, a kind of action, a date range (local dates of [web] timezone; "to"
 * takes in that whole day), through one validator table. Pages are keyset cursors on the row id ("older" = rows
 * below it, "newer" = rows above it), never OFFSET. Read only: no route changes the trail, and the database
 * refuses to (migration 9's triggers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/audit.h"
#include "pages.h"

#define PER_DEFAULT 50
#define PER_MAX 200
#define TEXT_MAX 63

static const struct form_field query_fields[] = {
	{ "q", form_v_text, false, 0, TEXT_MAX, NULL },
	{ "user", form_v_text, false, 0, 64, NULL },
	{ "kind", form_v_choice, false, 0, 0, "phone|trunk|route|user|pbx|cli" },
	{ "from", form_v_date, false, 0, 0, NULL },
	{ "to", form_v_date, false, 0, 0, NULL },
	{ "per", form_v_int, false, 5, PER_MAX, NULL },
	{ "older", form_v_int, false, 1, 0, NULL },
	{ "newer", form_v_int, false, 1, 0, NULL },
};
static const struct form_def query_form = FORM_DEF("audit", query_fields);

/* An outcome's first words, as the trail writes them (pbx/apply.h apply_result_describe, cgi/audit_log.h), and
 * the key the template has words for; what follows ": " is shown as it is. */
static const struct {
	const char *prefix, *key;
} outcome_kinds[] = {
	{ "applied", "applied" }, { "still applying", "slow" }, { "pending", "pending" }, { "blocked", "blocked" },
	{ "refused by Asterisk", "refused" }, { "done", "done" }, { "shown", "shown" }, { "verified", "verified" },
	{ "still checking", "checking" }, { "failed", "failed" }, { "ok", "ok" },
};

static void set_outcome(HDF *node, const char *outcome)
{
	for (size_t i = 0; i < sizeof outcome_kinds / sizeof *outcome_kinds; i++) {
		size_t n = strlen(outcome_kinds[i].prefix);
		if (strncmp(outcome, outcome_kinds[i].prefix, n) != 0 || (outcome[n] != '\0' && outcome[n] != ':'))
			continue;
		hdf_set_value(node, "OutcomeKey", outcome_kinds[i].key);
		hdf_set_value(node, "OutcomeDetail", outcome[n] == ':' ? outcome + n + 1 + (outcome[n + 1] == ' ') : "");
		return;
	}
	hdf_set_value(node, "OutcomeDetail", outcome);   /* words of a newer release: shown as they are */
}

struct page_rows {
	struct page *p;
	int n;
	int64_t first, last;
};

static int add_row(void *ctx, const struct audit_record *r)
{
	struct page_rows *rows = ctx;
	char key[32], text[40];
	HDF *node = NULL;
	snprintf(key, sizeof key, "Audit.%d", rows->n++);
	if (hdf_get_node(rows->p->res->hdf, key, &node) != STATUS_OK)
		return 1;
	if (rows->n == 1)
		rows->first = r->id;
	rows->last = r->id;
	time_t t = (time_t)r->at;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
	hdf_set_value(node, "Time", text);
	strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &tm);
	hdf_set_value(node, "Iso", text);
	hdf_set_int_value(node, "Id", (int)r->id);
	hdf_set_value(node, "User", r->user);
	hdf_set_value(node, "Address", r->address);
	hdf_set_value(node, "Action", r->action);
	/* "phone.create" → "phone_create": the template's word for it, without a dot that HDF would take as a path. */
	snprintf(text, sizeof text, "%s", r->action);
	for (char *c = text; *c; c++)
		if (*c == '.')
			*c = '_';
	hdf_set_value(node, "ActionKey", text);
	hdf_set_value(node, "Object", r->object);
	hdf_set_value(node, "Changes", r->changes);
	hdf_set_value(node, "Ami", r->ami);
	hdf_set_value(node, "Output", r->output);
	set_outcome(node, r->outcome);
	return 0;
}

static int count_row(void *ctx, const struct audit_record *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

void page_audit(struct page *p)
{
	struct form_result form;
	form_validate(&query_form, &p->req->query_pairs, &form);
	const char *from = form_value(&form, "from"), *to = form_value(&form, "to");
	const char *older = form_value(&form, "older"), *newer = form_value(&form, "newer");
	struct audit_filter f = { .text = form_value(&form, "q"), .user = form_value(&form, "user"),
				  .kind = form_value(&form, "kind") };
	if (*from && !form_error(&form, "from"))
		f.from = form_date_midnight(from, 0);
	if (*to && !form_error(&form, "to")) {
		f.to = form_date_midnight(to, 1);   /* "to" takes in its whole day */
		if (f.from && f.to <= f.from)
			form_set_error(&form, "to", "before_from");
	}
	if (*older && *newer)
		form_set_error(&form, "newer", "bad_cursor");
	page_form_to_hdf(p, &form);
	p->res->template = "audit.cs";
	if (form.error_count) {
		p->res->status = 422;
		form_result_free(&form);
		return;
	}
	int per = *form_value(&form, "per") ? atoi(form_value(&form, "per")) : PER_DEFAULT;
	int64_t older_than = *older ? atoll(older) : 0, newer_than = *newer ? atoll(newer) : 0;
	struct page_rows rows = { p, 0, 0, 0 };
	int shown = audit_each(p->w->db, &f, older_than, newer_than, per, add_row, &rows);
	/* Whether rows lie beyond either end of this page (one row is enough to know). */
	int more_older = rows.n ? audit_each(p->w->db, &f, rows.last, 0, 1, count_row, NULL) : 0;
	int more_newer = rows.n ? audit_each(p->w->db, &f, 0, rows.first, 1, count_row, NULL) : 0;
	form_result_free(&form);   /* f's strings were the form's */
	if (shown < 0 || more_older < 0 || more_newer < 0) {
		page_error(p, 500, "internal");
		return;
	}
	if (more_older > 0)
		response_set_int(p->res, "Pager.Older", rows.last);
	if (more_newer > 0)
		response_set_int(p->res, "Pager.Newer", rows.first);
	if (older_than || newer_than)
		response_set(p->res, "Pager.First", "1");
	response_set_int(p->res, "Page.Shown", rows.n);
}
