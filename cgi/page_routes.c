/* page_routes: the integrator's outbound routes, in priority order: the list (patterns, classes, trunks in
 * failover order, up/down), the add/edit form, and removal. The form checks a route with pbx_route_check(),
 * the rule the dialplan is built with, so a route accepted here always becomes a dialplan. Routes have no
 * apply state of their own: every change makes the one routes dialplan pending (db/routes.h), which is then
 * applied (applier_save_dialplan) and retried by the applier's thread if the PBX does not take it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "db/routes.h"
#include "db/trunks.h"
#include "pages.h"
#include "pbx/route_plan.h"
#include "util/text.h"

/* The patterns' textarea holds at most this many bytes: 16 patterns of 79 characters with their line ends. */
#define PATTERNS_TEXT_MAX (ROUTE_MAX_PATTERNS * (ROUTE_PATTERN_MAX + 1))

/* The patterns, one per line: each line is a text line (UTF-8, no control characters); what a pattern may
 * hold is dialpattern_check()'s to say, through pbx_route_check(). */
static const char *v_lines(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	(void)out;
	if (len > PATTERNS_TEXT_MAX)
		return "too_long";
	static const struct text_rule line_rule = { 0, 0, 0, NULL };
	for (size_t at = 0; at < len;) {
		size_t n = 0;
		while (at + n < len && v[at + n] != '\n')
			n++;
		size_t body = n && v[at + n - 1] == '\r' ? n - 1 : n;
		const char *key = text_problem_key(text_check(&line_rule, v + at, body, NULL));
		if (key)
			return key;
		at += n + 1;
	}
	return NULL;
}

/* The form's own limits; the rules are pbx_route_check()'s. One checkbox per configured class ("class_<i>",
 * its value the class's name) and one select per trunk position ("trunk_<n>", a trunk's id or empty), since
 * the form layer refuses a field sent twice; "classes" and "trunks" only carry the rule's message for the
 * whole list. */
static const struct form_field route_fields[] = {
	{ "name", form_v_text, true, 1, 48, NULL },
	{ "patterns", v_lines, true, 0, 0, NULL },
	{ "strip", form_v_int, false, 0, 0, NULL },
	{ "prepend", form_v_text, false, 0, ROUTE_PREPEND_MAX - 1, NULL },
	{ "class_0", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "class_1", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "class_2", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "class_3", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "class_4", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "class_5", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "class_6", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "class_7", form_v_text, false, 0, ROUTE_CLASS_MAX - 1, NULL },
	{ "classes", NULL, false, 0, 0, NULL },
	{ "trunk_1", form_v_int, false, 1, 0, NULL },
	{ "trunk_2", form_v_int, false, 1, 0, NULL },
	{ "trunk_3", form_v_int, false, 1, 0, NULL },
	{ "trunk_4", form_v_int, false, 1, 0, NULL },
	{ "trunk_5", form_v_int, false, 1, 0, NULL },
	{ "trunk_6", form_v_int, false, 1, 0, NULL },
	{ "trunk_7", form_v_int, false, 1, 0, NULL },
	{ "trunk_8", form_v_int, false, 1, 0, NULL },
	{ "trunks", NULL, false, 0, 0, NULL },
	{ "callerid", form_v_text, false, 0, ROUTE_CALLERID_MAX - 1, NULL },
	{ "version", form_v_int, false, 0, 0, NULL },
};
static const struct form_def route_form = FORM_DEF("route", route_fields);
_Static_assert(PBX_MAX_CLASSES == 8 && ROUTE_MAX_TRUNKS == 8, "one field per class and per trunk position");

static const struct form_field version_fields[] = {
	{ "version", form_v_int, true, 1, 0, NULL },
};
static const struct form_def version_form = FORM_DEF("version", version_fields);

static const struct form_field move_fields[] = {
	{ "dir", form_v_choice, true, 0, 0, "up|down" },
	{ "version", form_v_int, true, 1, 0, NULL },
};
static const struct form_def move_form = FORM_DEF("move", move_fields);

/* Messages a redirect may ask the list to show (?done=...): an allow-list, never free text. */
static const struct form_field list_fields[] = {
	{ "done", form_v_choice, false, 0, 0,
	  "saved|saved_pending|saved_slow|saved_blocked|removed|removed_pending|removed_slow|removed_blocked|"
	  "moved|moved_pending|moved_slow|moved_blocked" },
};
static const struct form_def list_form = FORM_DEF("list", list_fields);

/* ---------- the live trunks, for names and the selects ---------- */

static const struct trunk *find_trunk(const struct trunk_array *rows, int64_t id)
{
	for (size_t i = 0; i < rows->n; i++)
		if (rows->items[i].id == id)
			return &rows->items[i];
	return NULL;
}

/* ---------- the list ---------- */

struct list_ctx {
	struct page *p;
	const struct trunk_array *trunks;
	int n;
};

static int add_route_row(void *ctx, const struct route *r)
{
	struct list_ctx *l = ctx;
	HDF *node = NULL;
	char key[48];
	snprintf(key, sizeof key, "Routes.%d", l->n++);
	if (hdf_get_node(l->p->res->hdf, key, &node) != STATUS_OK)
		return 0;
	hdf_set_int_value(node, "Id", (int)r->id);
	hdf_set_value(node, "Name", r->name);
	hdf_set_int_value(node, "Priority", r->priority);
	hdf_set_int_value(node, "Version", (int)r->version);
	hdf_set_int_value(node, "Strip", r->strip);
	hdf_set_value(node, "Prepend", r->prepend);
	hdf_set_value(node, "CallerId", r->callerid);
	for (int i = 0; i < r->n_patterns; i++) {
		snprintf(key, sizeof key, "Patterns.%d", i);
		hdf_set_value(node, key, r->patterns[i]);
	}
	for (int i = 0; i < r->n_classes; i++) {
		snprintf(key, sizeof key, "Classes.%d", i);
		hdf_set_value(node, key, r->classes[i]);
	}
	for (int i = 0; i < r->n_trunks; i++) {
		const struct trunk *t = find_trunk(l->trunks, r->trunks[i]);
		snprintf(key, sizeof key, "Trunks.%d.Id", i);
		hdf_set_int_value(node, key, (int)r->trunks[i]);
		snprintf(key, sizeof key, "Trunks.%d.Name", i);
		hdf_set_value(node, key, t ? t->name : "?");
	}
	return 0;
}

void page_routes_list(struct page *p)
{
	struct form_result f;
	if (!form_validate(&list_form, &p->req->query_pairs, &f)) {
		form_result_free(&f);
		page_error(p, 400, "bad_query");
		return;
	}
	response_set(p->res, "Page.Done", form_value(&f, "done"));
	form_result_free(&f);
	struct trunk_array trunks = { 0 };
	struct list_ctx l = { p, &trunks, 0 };
	struct dialplan_state d;
	if (trunks_all(p->w->db, &trunks) < 0 || routes_list(p->w->db, add_route_row, &l) < 0 ||
	    dialplan_get(p->w->db, &d) != 0) {
		trunk_array_free(&trunks);
		page_error(p, 500, "internal");
		return;
	}
	response_set_int(p->res, "TrunkCount", (long long)trunks.n);
	trunk_array_free(&trunks);
	/* The first route cannot go up, nor the last down. */
	if (l.n > 0) {
		char key[48];
		response_set(p->res, "Routes.0.First", "1");
		snprintf(key, sizeof key, "Routes.%d.Last", l.n - 1);
		response_set(p->res, key, "1");
	}
	if (dialplan_pending(&d)) {
		response_set(p->res, "Dialplan.Status", d.blocked ? "blocked" : "pending");
		response_set(p->res, "Dialplan.Error", d.last_error);
	}
	p->res->template = "routes.cs";
}

/* ---------- the form ---------- */

/* The trunk selects: Slots.<n>.N (1-based position), .Value (the trunk id chosen), .error (its message key);
 * the options: Trunks.<i>.Id, .Name (the live trunks, by name). */
static void set_slots(struct page *p, const struct form_result *form, const struct route *r)
{
	struct trunk_array trunks = { 0 };
	char key[48], field[24];
	if (trunks_all(p->w->db, &trunks) < 0)
		trunks.n = 0;
	for (size_t i = 0; i < trunks.n; i++) {
		snprintf(key, sizeof key, "Trunks.%zu.Id", i);
		response_set_int(p->res, key, trunks.items[i].id);
		snprintf(key, sizeof key, "Trunks.%zu.Name", i);
		response_set(p->res, key, trunks.items[i].name);
	}
	trunk_array_free(&trunks);
	for (int n = 1; n <= ROUTE_MAX_TRUNKS; n++) {
		snprintf(key, sizeof key, "Slots.%d.N", n);
		response_set_int(p->res, key, n);
		snprintf(key, sizeof key, "Slots.%d.Value", n);
		snprintf(field, sizeof field, "trunk_%d", n);
		if (form)
			response_set(p->res, key, form_typed(form, field));
		else if (r && n <= r->n_trunks)
			response_set_int(p->res, key, r->trunks[n - 1]);
		if (form && form_error(form, field)) {
			snprintf(key, sizeof key, "Slots.%d.error", n);
			response_set(p->res, key, form_error(form, field));
		}
	}
}

/* The classes as checkboxes, ticked as typed (a re-shown form), as stored (an edit) or none (a new route). */
static void set_class_boxes(struct page *p, const struct form_result *form, const struct route *r)
{
	char typed[ROUTE_MAX_CLASSES][ROUTE_CLASS_MAX];
	int n = 0;
	if (form) {
		char field[24];
		for (int i = 0; i < ROUTE_MAX_CLASSES; i++) {
			snprintf(field, sizeof field, "class_%d", i);
			snprintf(typed[n], sizeof typed[n], "%s", form_typed(form, field));
			if (*typed[n])
				n++;
		}
		page_set_classes(p, (const char(*)[ROUTE_CLASS_MAX])typed, n);
	} else if (r) {
		page_set_classes(p, r->classes, r->n_classes);
	} else {
		page_set_classes(p, NULL, 0);
	}
}

static void show_form(struct page *p, const struct form_result *form, const struct route *r, int status,
		      const char *action)
{
	if (form)
		page_form_to_hdf(p, form);
	set_slots(p, form, r);
	set_class_boxes(p, form, r);
	response_set(p->res, "Form.Action", action);
	p->res->status = status;
	p->res->template = "route_form.cs";
}

void page_routes_new(struct page *p)
{
	response_set(p->res, "Form.route.strip.value", "0");
	show_form(p, NULL, NULL, 200, "/routes");
}

/* Loads the route named in the URL; 404 otherwise. */
static bool load_route(struct page *p, struct route *r)
{
	enum routes_result rc = routes_get(p->w->db, p->req->path_id, r);
	if (rc == ROUTES_OK)
		return true;
	page_error(p, rc == ROUTES_DB_ERROR ? 500 : 404, rc == ROUTES_DB_ERROR ? "internal" : "no_such_route");
	return false;
}

void page_routes_edit(struct page *p)
{
	struct route route, *r = &route;
	if (!load_route(p, r))
		return;
	struct buf patterns;
	buf_init(&patterns);
	for (int i = 0; i < r->n_patterns; i++)
		buf_printf(&patterns, "%s%s", i ? "\n" : "", r->patterns[i]);
	char action[64];
	response_set(p->res, "Form.route.name.value", r->name);
	response_set(p->res, "Form.route.patterns.value", buf_cstr(&patterns));
	response_set_int(p->res, "Form.route.strip.value", r->strip);
	response_set(p->res, "Form.route.prepend.value", r->prepend);
	response_set(p->res, "Form.route.callerid.value", r->callerid);
	response_set_int(p->res, "Form.route.version.value", r->version);
	response_set_int(p->res, "Form.Id", r->id);
	buf_free(&patterns);
	snprintf(action, sizeof action, "/routes/%lld", (long long)r->id);
	show_form(p, NULL, r, 200, action);
}

/* The textarea's lines into r->patterns: surrounding blanks dropped (as a one-line field's are), empty lines
 * skipped. A line too long for any pattern, or too many lines, are the form's own refusals. */
static void read_patterns(struct form_result *form, struct route *r)
{
	const char *v = form_value(form, "patterns");
	r->n_patterns = 0;
	if (form_error(form, "patterns"))
		return;
	while (*v) {
		size_t n = strcspn(v, "\n");
		const char *start = v;
		size_t len = n;
		while (len && (*start == ' ' || *start == '\t')) {
			start++;
			len--;
		}
		while (len && (start[len - 1] == ' ' || start[len - 1] == '\t' || start[len - 1] == '\r'))
			len--;
		v += n + (v[n] == '\n');
		if (!len)
			continue;
		if (r->n_patterns == ROUTE_MAX_PATTERNS) {
			form_set_error(form, "patterns", "too_many");
			return;
		}
		if (len >= ROUTE_PATTERN_MAX) {
			form_set_error(form, "patterns", "pattern_too_long");
			return;
		}
		memcpy(r->patterns[r->n_patterns], start, len);
		r->patterns[r->n_patterns][len] = '\0';
		r->n_patterns++;
	}
}

static void copy_text(struct form_result *form, const char *field, char *dst, size_t size)
{
	const char *v = form_value(form, field);
	if (form_error(form, field))
		return;
	if (strlen(v) >= size)
		form_set_error(form, field, "too_long");   /* never cut: a cut value is not what was typed */
	else
		memcpy(dst, v, strlen(v) + 1);
}

/* The trunk selects in order: from the first down without a gap, each a live trunk, none twice. */
static void read_trunks(struct page *p, struct form_result *form, struct route *r)
{
	char field[24];
	bool gap = false;
	r->n_trunks = 0;
	for (int n = 1; n <= ROUTE_MAX_TRUNKS; n++) {
		snprintf(field, sizeof field, "trunk_%d", n);
		const char *v = form_value(form, field);
		if (form_error(form, field))
			continue;
		if (!*v) {
			gap = true;
			continue;
		}
		int64_t id = atoll(v);
		struct trunk t;
		bool dup = false;
		for (int k = 0; k < r->n_trunks; k++)
			dup |= r->trunks[k] == id;
		if (gap)
			form_set_error(form, field, "trunk_gap");
		else if (dup)
			form_set_error(form, field, "trunk_duplicate");
		else if (trunks_get(p->w->db, id, &t) != TRUNKS_OK || t.deleted)
			form_set_error(form, field, "no_trunk");
		else
			r->trunks[r->n_trunks++] = id;
	}
}

/* Maps pbx_route_check()'s problem onto the form (the field it names; for a pattern, which one). */
static void rule_to_form(struct page *p, struct form_result *form, const struct route *r,
			 const struct pbx_route_problem *why)
{
	const char *key = why->key;
	/* A trunk select the form refused (a gap, a duplicate, a trunk that is gone) left the list short: its own
	 * message says why, "choose at least one trunk" would not. */
	char field[24];
	for (int n = 1; strcmp(why->field, "trunks") == 0 && n <= ROUTE_MAX_TRUNKS; n++) {
		snprintf(field, sizeof field, "trunk_%d", n);
		if (form_error(form, field))
			return;
	}
	if (strcmp(why->key, "pattern") == 0)
		key = dialpattern_problem_key((enum dialpattern_problem)why->pattern_problem);
	if (!key || form_error(form, why->field))
		return;
	form_set_error(form, why->field, key);
	if (why->index >= 0 && why->index < r->n_patterns) {
		char k[64];
		snprintf(k, sizeof k, "Form.route.%s.pattern", why->field);
		response_set(p->res, k, r->patterns[why->index]);
	}
}

/* Validates the route form into r (whose other fields the caller set). False (and the form re-shown with 422)
 * when something is wrong. */
static bool read_route_form(struct page *p, struct form_result *form, struct route *r, const char *action)
{
	form_validate(&route_form, &p->req->form, form);
	copy_text(form, "name", r->name, sizeof r->name);
	read_patterns(form, r);
	const char *strip = form_value(form, "strip");
	r->strip = !*strip || form_error(form, "strip") ? 0 : atoll(strip) > 1000 ? 1000 : atoi(strip);
	copy_text(form, "prepend", r->prepend, sizeof r->prepend);
	char field[24];
	r->n_classes = 0;
	for (int i = 0; i < ROUTE_MAX_CLASSES; i++) {
		snprintf(field, sizeof field, "class_%d", i);
		const char *v = form_value(form, field);
		/* A box carries a class's name; one that is not a name of that size is no configured class. */
		if (form_error(form, field) || strlen(v) >= ROUTE_CLASS_MAX)
			form_set_error(form, "classes", "choice");
		else if (*v)
			memcpy(r->classes[r->n_classes++], v, strlen(v) + 1);
	}
	read_trunks(p, form, r);
	copy_text(form, "callerid", r->callerid, sizeof r->callerid);
	/* The rule the dialplan is built with (pbx/route_plan.h); it names the first field it refuses. */
	struct pbx_route_problem why;
	if (!pbx_route_check(p->w->pbx, r, &why) && why.field)
		rule_to_form(p, form, r, &why);
	if (form->error_count == 0)
		return true;
	show_form(p, form, NULL, 422, action);
	return false;
}

/* ---------- the audit trail ---------- */

/* A route's values as one line each, for the audit trail: patterns and classes in their order, the trunks by
 * name in failover order. */
struct route_words {
	char name[ROUTE_NAME_MAX], patterns[PATTERNS_TEXT_MAX + 1], strip[12], prepend[ROUTE_PREPEND_MAX];
	char classes[ROUTE_MAX_CLASSES * (ROUTE_CLASS_MAX + 2)], trunks[ROUTE_MAX_TRUNKS * (TRUNK_NAME_MAX + 3)];
	char callerid[ROUTE_CALLERID_MAX], priority[12];
};

static void join(char *dst, size_t size, const char *sep, size_t *used, const char *item)
{
	int n = snprintf(dst + *used, size - *used, "%s%s", *used ? sep : "", item);
	if (n > 0 && (size_t)n < size - *used)
		*used += (size_t)n;
}

static void route_words(struct page *p, const struct route *r, struct route_words *w)
{
	size_t used = 0;
	memset(w, 0, sizeof *w);
	snprintf(w->name, sizeof w->name, "%s", r->name);
	for (int i = 0; i < r->n_patterns; i++)
		join(w->patterns, sizeof w->patterns, " ", &used, r->patterns[i]);
	snprintf(w->strip, sizeof w->strip, "%d", r->strip);
	snprintf(w->prepend, sizeof w->prepend, "%s", r->prepend);
	used = 0;
	for (int i = 0; i < r->n_classes; i++)
		join(w->classes, sizeof w->classes, ", ", &used, r->classes[i]);
	used = 0;
	for (int i = 0; i < r->n_trunks; i++) {
		struct trunk t;
		char id[24];
		snprintf(id, sizeof id, "#%lld", (long long)r->trunks[i]);
		join(w->trunks, sizeof w->trunks, " > ", &used,
		     trunks_get(p->w->db, r->trunks[i], &t) == TRUNKS_OK ? t.name : id);
	}
	snprintf(w->callerid, sizeof w->callerid, "%s", r->callerid);
	snprintf(w->priority, sizeof w->priority, "%d", r->priority);
}

/* The dialplan's outcome into the audit trail: action on "route <id> (<name>)", what changed from old to now
 * (either NULL: created or removed; the priority only for a move). */
static void audit_route(struct page *p, const char *action, const struct route *old, const struct route *now,
			const struct apply_result *r)
{
	struct route_words o, n;
	if (old)
		route_words(p, old, &o);
	if (now)
		route_words(p, now, &n);
	struct buf changes;
	buf_init(&changes);
	bool move = strcmp(action, "route.move") == 0;
	if (move) {
		audit_diff(&changes, "priority", o.priority, n.priority);
	} else {
		audit_diff(&changes, "name", old ? o.name : NULL, now ? n.name : NULL);
		audit_diff(&changes, "patterns", old ? o.patterns : NULL, now ? n.patterns : NULL);
		audit_diff(&changes, "strip", old ? o.strip : NULL, now ? n.strip : NULL);
		audit_diff(&changes, "prepend", old ? o.prepend : NULL, now ? n.prepend : NULL);
		audit_diff(&changes, "classes", old ? o.classes : NULL, now ? n.classes : NULL);
		audit_diff(&changes, "trunks", old ? o.trunks : NULL, now ? n.trunks : NULL);
		audit_diff(&changes, "callerid", old ? o.callerid : NULL, now ? n.callerid : NULL);
	}
	const struct route *which = old ? old : now;
	char object[ROUTE_NAME_MAX + 32];
	snprintf(object, sizeof object, "route %lld (%s)", (long long)which->id, which->name);
	audit_log_apply(p, action, object, buf_cstr(&changes), r, NULL);
	buf_free(&changes);
}

/* Every change makes the routes dialplan pending: the applier's thread applies it now, and this request waits
 * for the outcome at most [asterisk] save_wait; the change goes into the audit trail with that outcome. */
static void apply_and_redirect(struct page *p, const char *what, const char *action, const struct route *old,
			       const struct route *now)
{
	struct apply_result r;
	applier_save_dialplan(p->w->applier, &r);
	audit_route(p, action, old, now, &r);
	page_redirect_done(p, "/routes", what, &r);
}

/* Maps a database refusal onto the form; true if it was one of those. */
static bool refusal_to_form(struct page *p, struct form_result *form, enum routes_result rc, const char *action)
{
	if (rc == ROUTES_DUP_NAME)
		form_set_error(form, "name", "name_taken");
	else if (rc == ROUTES_NO_TRUNK)
		form_set_error(form, "trunks", "no_trunk");
	else if (rc == ROUTES_CONFLICT)
		response_set(p->res, "Form.Conflict", "1");
	else
		return false;
	show_form(p, form, NULL, rc == ROUTES_CONFLICT ? 409 : 422, action);
	return true;
}

void page_routes_create(struct page *p)
{
	struct form_result form;
	struct route route = { 0 }, *r = &route;
	if (read_route_form(p, &form, r, "/routes")) {
		int64_t id = 0;
		enum routes_result rc = routes_create(p->w->db, r, p->now, &id);
		r->id = id;
		if (rc == ROUTES_OK)
			apply_and_redirect(p, "saved", "route.create", NULL, r);
		else if (!refusal_to_form(p, &form, rc, "/routes"))
			page_error(p, 500, "internal");
	}
	form_result_free(&form);
}

void page_routes_update(struct page *p)
{
	struct route route, *r = &route;
	if (!load_route(p, r))
		return;
	struct route old = route;
	char action[64];
	snprintf(action, sizeof action, "/routes/%lld", (long long)r->id);
	response_set_int(p->res, "Form.Id", r->id);
	struct form_result form;
	if (read_route_form(p, &form, r, action)) {
		const char *version = form_value(&form, "version");
		enum routes_result rc = routes_update(p->w->db, r, *version ? atoll(version) : -1, p->now);
		if (rc == ROUTES_OK)
			apply_and_redirect(p, "saved", "route.update", &old, r);
		else if (!refusal_to_form(p, &form, rc, action))
			page_error(p, rc == ROUTES_NOT_FOUND ? 404 : 500, rc == ROUTES_NOT_FOUND ? "no_such_route" : "internal");
	}
	form_result_free(&form);
}

/* ---------- removal and order ---------- */

static void route_refused(struct page *p, enum routes_result rc)
{
	if (rc == ROUTES_CONFLICT)
		page_error(p, 409, "route_conflict");
	else if (rc == ROUTES_NOT_FOUND)
		page_error(p, 404, "no_such_route");
	else
		page_error(p, 500, "internal");
}

void page_routes_delete_confirm(struct page *p)
{
	struct route r;
	if (!load_route(p, &r))
		return;
	response_set_int(p->res, "Route.Id", r.id);
	response_set(p->res, "Route.Name", r.name);
	response_set_int(p->res, "Route.Version", r.version);
	p->res->template = "route_delete.cs";
}

void page_routes_delete(struct page *p)
{
	struct form_result form;
	bool ok = form_validate(&version_form, &p->req->form, &form);
	int64_t version = ok ? atoll(form_value(&form, "version")) : 0;
	form_result_free(&form);
	if (!ok) {
		page_error(p, 422, "bad_form");
		return;
	}
	struct route old;
	if (!load_route(p, &old))
		return;
	enum routes_result rc = routes_delete(p->w->db, old.id, version, p->now);
	if (rc == ROUTES_OK)
		apply_and_redirect(p, "removed", "route.delete", &old, NULL);
	else
		route_refused(p, rc);
}

/* Up or down one place: the route before or after it swaps with it; the class contexts include the routes in
 * that order, which decides which route takes a number both match. */
void page_routes_move(struct page *p)
{
	struct form_result form;
	bool ok = form_validate(&move_form, &p->req->form, &form);
	bool up = ok && strcmp(form_value(&form, "dir"), "up") == 0;
	int64_t version = ok ? atoll(form_value(&form, "version")) : 0;
	form_result_free(&form);
	if (!ok) {
		page_error(p, 422, "bad_form");
		return;
	}
	struct route old, now;
	if (!load_route(p, &old))
		return;
	enum routes_result rc = routes_move(p->w->db, old.id, up, version, p->now);
	if (rc == ROUTES_OK && routes_get(p->w->db, old.id, &now) != ROUTES_OK)
		now = old;   /* moved, then removed by someone else: the move is still recorded */
	if (rc == ROUTES_OK)
		apply_and_redirect(p, "moved", "route.move", &old, &now);
	else
		route_refused(p, rc);
}
