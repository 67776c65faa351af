/* page_route_test: the route tester (type a number and a calling class, see what Asterisk will do with it:
 * an emergency number, the route and pattern that take it and what each trunk receives in failover order, or
 * why it is refused) and the read-only preview of the dialplan Centralita writes for the routes. Both read
 * the database as it is now, through the same functions the dialplan is built with (pbx/route_plan.h), so
 * they say what the applied dialplan does once it is applied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/routes.h"
#include "db/trunks.h"
#include "pages.h"
#include "pbx/plan_db.h"
#include "pbx/route_plan.h"

static const struct form_field test_fields[] = {
	{ "number", form_v_text, false, 0, DIALPATTERN_MAX_LEN, NULL },
	{ "class", form_v_text, false, 0, PBX_CLASS_NAME_MAX - 1, NULL },
};
static const struct form_def test_form = FORM_DEF("test", test_fields);

static const char *verdict_word(enum pbx_route_verdict v)
{
	switch (v) {
	case PBX_ROUTE_EMERGENCY: return "emergency";
	case PBX_ROUTE_MATCHED: return "matched";
	case PBX_ROUTE_NOT_ALLOWED: return "not_allowed";
	case PBX_ROUTE_NO_ROUTE: return "no_route";
	case PBX_ROUTE_BAD_NUMBER: return "bad_number";
	case PBX_ROUTE_BAD_CLASS: return "bad_class";
	}
	return "no_route";
}

static void set_answer(struct page *p, const struct pbx_route_answer *a)
{
	char key[64];
	response_set(p->res, "Test.Verdict", verdict_word(a->verdict));
	if (a->route) {
		response_set_int(p->res, "Test.Route.Id", a->route->id);
		response_set(p->res, "Test.Route.Name", a->route->name);
		for (int i = 0; i < a->route->n_classes; i++) {
			snprintf(key, sizeof key, "Test.Route.Classes.%d", i);
			response_set(p->res, key, a->route->classes[i]);
		}
		response_set(p->res, "Test.Pattern", a->pattern);
	}
	for (size_t i = 0; i < a->n_attempts; i++) {
		snprintf(key, sizeof key, "Test.Attempts.%zu.Trunk", i);
		response_set(p->res, key, a->attempts[i].trunk);
		snprintf(key, sizeof key, "Test.Attempts.%zu.Number", i);
		response_set(p->res, key, a->attempts[i].number);
		snprintf(key, sizeof key, "Test.Attempts.%zu.CallerId", i);
		response_set(p->res, key, a->attempts[i].callerid);
	}
}

void page_routes_test(struct page *p)
{
	struct form_result form;
	bool ok = form_validate(&test_form, &p->req->query_pairs, &form);
	page_form_to_hdf(p, &form);
	const char *number = form_value(&form, "number");
	const char *calling_class = *form_value(&form, "class") ? form_value(&form, "class") : p->w->pbx->default_class;
	response_set(p->res, "Form.test.class.value", calling_class);
	page_set_classes(p, NULL, 0);
	p->res->template = "route_test.cs";
	if (!ok || !*number) {
		form_result_free(&form);
		return;
	}
	struct pbx_plan_rows rows = { 0 };
	if (pbx_plan_rows_load(p->w->db, &rows) != 0) {
		page_error(p, 500, "internal");
	} else {
		struct pbx_route_answer *answer = malloc(sizeof *answer);   /* some 12 KiB */
		if (!answer)
			abort();
		pbx_route_test(p->w->pbx, &rows.in, number, calling_class, answer);
		response_set(p->res, "Test.Number", number);
		response_set(p->res, "Test.Class", calling_class);
		set_answer(p, answer);
		free(answer);
	}
	pbx_plan_rows_free(&rows);
	form_result_free(&form);
}

void page_routes_dialplan(struct page *p)
{
	struct buf text;
	char err[256] = "";
	buf_init(&text);
	if (applier_dialplan_text(p->w->applier, p->w->db, &text, err, sizeof err) == 0)
		response_set(p->res, "Dialplan.Text", buf_cstr(&text));
	else
		response_set(p->res, "Dialplan.Error", err);
	buf_free(&text);
	p->res->template = "route_dialplan.cs";
}
