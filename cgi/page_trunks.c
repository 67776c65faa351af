/* page_trunks: the integrator's SIP trunks (the providers' connections): the list with each trunk's live state
 * as Asterisk reports it and whether it is applied, the add/edit form, and removal (refused while a route
 * uses the trunk). The form checks a trunk with pbx_trunk_check(), the rule the applier checks again, so a
 * trunk accepted here is never refused later for its values. Every save is stored first, then applied to the
 * PBX (applier_save_trunk); if that fails the trunk stays pending and the applier's thread retries it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "db/routes.h"
#include "db/trunks.h"
#include "pages.h"
#include "pbx/trunk_config.h"
#include "pbx/trunk_state.h"

#define DEFAULT_PORT 5060
#define DEFAULT_EXPIRATION 3600
/* Numbers past this are out of every range the rule checks; kept small so they fit an int. */
#define NUMBER_CAP 1000000

/* The form's own limits (sizes, kinds of values); what a value may hold is pbx_trunk_check()'s to say. One
 * checkbox per configured codec ("codec_<i>", its value the codec's name): a field sent twice is refused by the
 * form layer, so a list cannot share one name. "codecs" only carries the rule's message for the list. */
static const struct form_field trunk_fields[] = {
	{ "name", form_v_text, true, 1, TRUNK_NAME_MAX - 1, NULL },
	{ "host", form_v_text, true, 1, TRUNK_HOST_MAX - 1, NULL },
	{ "port", form_v_int, true, 0, 0, NULL },
	{ "transport", form_v_choice, true, 0, 0, "udp|tcp|tls" },
	{ "registration", form_v_choice, false, 0, 0, "1" },
	{ "username", form_v_text, false, 0, TRUNK_USER_MAX - 1, NULL },
	{ "secret", form_v_password, false, 0, TRUNK_SECRET_MAX - 1, NULL },
	{ "expiration", form_v_int, false, 0, 0, NULL },
	{ "outbound_auth", form_v_choice, false, 0, 0, "1" },
	{ "from_user", form_v_text, false, 0, TRUNK_USER_MAX - 1, NULL },
	{ "from_domain", form_v_text, false, 0, TRUNK_HOST_MAX - 1, NULL },
	{ "codec_0", form_v_text, false, 0, 15, NULL },
	{ "codec_1", form_v_text, false, 0, 15, NULL },
	{ "codec_2", form_v_text, false, 0, 15, NULL },
	{ "codec_3", form_v_text, false, 0, 15, NULL },
	{ "codec_4", form_v_text, false, 0, 15, NULL },
	{ "codec_5", form_v_text, false, 0, 15, NULL },
	{ "codec_6", form_v_text, false, 0, 15, NULL },
	{ "codec_7", form_v_text, false, 0, 15, NULL },
	{ "codecs", NULL, false, 0, 0, NULL },
	{ "callerid", form_v_text, false, 0, TRUNK_CALLERID_MAX - 1, NULL },
	{ "max_calls", form_v_int, false, 0, 0, NULL },
	{ "version", form_v_int, false, 0, 0, NULL },
};
static const struct form_def trunk_form = FORM_DEF("trunk", trunk_fields);
_Static_assert(PBX_MAX_CODECS == 8, "one codec_<i> field per configurable codec");

static const struct form_field version_fields[] = {
	{ "version", form_v_int, true, 1, 0, NULL },
};
static const struct form_def version_form = FORM_DEF("version", version_fields);

/* Messages a redirect may ask the list to show (?done=...): an allow-list, never free text. */
static const struct form_field list_fields[] = {
	{ "done", form_v_choice, false, 0, 0,
	  "saved|saved_pending|saved_slow|saved_blocked|removed|removed_pending|removed_slow|removed_blocked" },
};
static const struct form_def list_form = FORM_DEF("list", list_fields);

/* ---------- the list ---------- */

/* One word for what Asterisk says of a trunk (the template has the words for each): its registration when it
 * registers, else whether the provider answers Asterisk's qualify. Asterisk calls a registration that got no
 * answer "Rejected" too (after its 32 s timeout, as observed on 22.10.1): with the provider unreachable it is
 * shown as not answering, which is what the integrator must fix. */
static const char *live_word(const struct trunk *t, const struct pbx_trunk_state *st)
{
	bool silent = st->reach == PBX_TRUNK_REACH_UNREACHABLE;
	switch (st->reg) {
	case PBX_TRUNK_REG_REGISTERED: return "registered";
	case PBX_TRUNK_REG_REJECTED: return silent ? "no_answer" : "rejected";
	case PBX_TRUNK_REG_STOPPED: return "stopped";
	case PBX_TRUNK_REG_UNREGISTERED:
		if (t->registration)
			return silent ? "no_answer" : "trying";
		break;
	default: break;
	}
	if (silent)
		return "unreachable";
	if (st->reach == PBX_TRUNK_REACH_OK)
		return "reachable";
	return "unknown";
}

/* The apply state shared by the list and the home page: "pending" (saved, not yet on the PBX: retried),
 * "blocked" (needs attention: not retried until edited), or "" (applied). */
static const char *apply_word(const struct trunk *t)
{
	return !trunk_pending(t) ? "" : t->blocked ? "blocked" : "pending";
}

/* The routes dialplan's state, which a trunk's rename or removal also changes. */
static void set_dialplan_state(struct page *p)
{
	struct dialplan_state d;
	if (dialplan_get(p->w->db, &d) != 0 || !dialplan_pending(&d))
		return;
	response_set(p->res, "Dialplan.Status", d.blocked ? "blocked" : "pending");
	response_set(p->res, "Dialplan.Error", d.last_error);
}

void page_trunks_list(struct page *p)
{
	struct form_result f;
	if (!form_validate(&list_form, &p->req->query_pairs, &f)) {
		form_result_free(&f);
		page_error(p, 400, "bad_query");
		return;
	}
	response_set(p->res, "Page.Done", form_value(&f, "done"));
	form_result_free(&f);
	struct trunk_array rows = { 0 };
	if (trunks_all(p->w->db, &rows) < 0) {
		trunk_array_free(&rows);
		page_error(p, 500, "internal");
		return;
	}
	/* What Asterisk says now: asked on every load, waited for at most [asterisk] save_wait. */
	struct pbx_trunk_state *states = calloc(rows.n ? rows.n : 1, sizeof *states);
	if (!states)
		abort();
	for (size_t i = 0; i < rows.n; i++)
		snprintf(states[i].name, sizeof states[i].name, "%s", rows.items[i].name);
	if (rows.n && applier_trunk_states_now(p->w->applier, states, rows.n) != 0)
		response_set(p->res, "Live.Unknown", "1");
	char key[48];
	for (size_t i = 0; i < rows.n; i++) {
		const struct trunk *t = &rows.items[i];
		HDF *node = NULL;
		snprintf(key, sizeof key, "Trunks.%zu", i);
		if (hdf_get_node(p->res->hdf, key, &node) != STATUS_OK)
			continue;
		hdf_set_int_value(node, "Id", (int)t->id);
		hdf_set_value(node, "Name", t->name);
		hdf_set_value(node, "Host", t->host);
		hdf_set_int_value(node, "Port", t->port);
		hdf_set_value(node, "Transport", t->transport);
		hdf_set_value(node, "Registration", t->registration ? "1" : "0");
		hdf_set_value(node, "Live", live_word(t, &states[i]));
		hdf_set_value(node, "Detail", states[i].detail);
		hdf_set_value(node, "Apply", apply_word(t));
		if (trunk_pending(t))
			hdf_set_value(node, "Error", t->last_error);
	}
	free(states);
	trunk_array_free(&rows);
	set_dialplan_state(p);
	p->res->template = "trunks.cs";
}

/* ---------- the form ---------- */

/* The configured codecs as checkboxes: Codecs.<i>.Name, .Checked. */
static void set_codecs(struct page *p, const struct form_result *form, const char *list)
{
	const struct pbx_settings *s = p->w->pbx;
	char key[48], field[24];
	for (int i = 0; i < s->n_codecs; i++) {
		bool on;
		if (form) {
			snprintf(field, sizeof field, "codec_%d", i);
			on = *form_typed(form, field) != '\0';
		} else if (list) {
			size_t n = strlen(s->codecs[i]);
			on = false;
			for (const char *c = list; *c; c += strcspn(c, ",") + (c[strcspn(c, ",")] == ',')) {
				if (strcspn(c, ",") == n && strncmp(c, s->codecs[i], n) == 0)
					on = true;
			}
		} else {
			on = true;   /* a new trunk offers every configured codec */
		}
		snprintf(key, sizeof key, "Codecs.%d.Name", i);
		response_set(p->res, key, s->codecs[i]);
		if (on) {
			snprintf(key, sizeof key, "Codecs.%d.Checked", i);
			response_set(p->res, key, "1");
		}
	}
}

static void show_form(struct page *p, const struct form_result *form, int status, const char *action,
		      const char *codecs)
{
	if (form) {
		page_form_to_hdf(p, form);
		/* A password never goes back into a page: a re-shown form asks for it again. */
		response_set(p->res, "Form.trunk.secret.value", "");
	}
	set_codecs(p, form, codecs);
	response_set(p->res, "Form.Action", action);
	p->res->status = status;
	p->res->template = "trunk_form.cs";
}

void page_trunks_new(struct page *p)
{
	response_set_int(p->res, "Form.trunk.port.value", DEFAULT_PORT);
	response_set(p->res, "Form.trunk.transport.value", "udp");
	response_set_int(p->res, "Form.trunk.expiration.value", DEFAULT_EXPIRATION);
	response_set(p->res, "Form.trunk.max_calls.value", "0");
	show_form(p, NULL, 200, "/trunks", NULL);
}

/* Loads the trunk named in the URL (live only); 404 otherwise. */
static bool load_trunk(struct page *p, struct trunk *t)
{
	enum trunks_result r = trunks_get(p->w->db, p->req->path_id, t);
	if (r == TRUNKS_OK && !t->deleted)
		return true;
	page_error(p, r == TRUNKS_DB_ERROR ? 500 : 404, r == TRUNKS_DB_ERROR ? "internal" : "no_such_trunk");
	return false;
}

void page_trunks_edit(struct page *p)
{
	struct trunk t;
	if (!load_trunk(p, &t))
		return;
	char action[64];
	response_set(p->res, "Form.trunk.name.value", t.name);
	response_set(p->res, "Form.trunk.host.value", t.host);
	response_set_int(p->res, "Form.trunk.port.value", t.port);
	response_set(p->res, "Form.trunk.transport.value", t.transport);
	response_set(p->res, "Form.trunk.registration.value", t.registration ? "1" : "");
	response_set(p->res, "Form.trunk.username.value", t.username);
	response_set_int(p->res, "Form.trunk.expiration.value", t.expiration);
	response_set(p->res, "Form.trunk.outbound_auth.value", t.outbound_auth ? "1" : "");
	response_set(p->res, "Form.trunk.from_user.value", t.from_user);
	response_set(p->res, "Form.trunk.from_domain.value", t.from_domain);
	response_set(p->res, "Form.trunk.callerid.value", t.callerid);
	response_set_int(p->res, "Form.trunk.max_calls.value", t.max_calls);
	response_set_int(p->res, "Form.trunk.version.value", t.version);
	response_set_int(p->res, "Form.Id", t.id);
	if (*t.secret)
		response_set(p->res, "Form.HasSecret", "1");
	snprintf(action, sizeof action, "/trunks/%lld", (long long)t.id);
	show_form(p, NULL, 200, action, t.codecs);
}

/* Copies a validated text field into dst; a value that does not fit is refused ("too_long"), never cut: a cut
 * value could pass the rule check as something the user did not type. */
static void copy_text(struct form_result *form, const char *field, char *dst, size_t size)
{
	const char *v = form_value(form, field);
	if (form_error(form, field))
		return;
	if (strlen(v) >= size)
		form_set_error(form, field, "too_long");
	else
		memcpy(dst, v, strlen(v) + 1);
}

/* A validated number field, or def when empty; capped so that it fits an int and stays out of range. */
static int number(const struct form_result *form, const char *field, int def)
{
	const char *v = form_value(form, field);
	if (!*v || form_error(form, field))
		return def;
	long long n = atoll(v);
	return n > NUMBER_CAP ? NUMBER_CAP : (int)n;
}

/* The checked codecs joined as "ulaw,alaw", in the order shown. */
static void read_codecs(struct form_result *form, struct trunk *t)
{
	char field[24];
	size_t used = 0;
	t->codecs[0] = '\0';
	for (int i = 0; i < PBX_MAX_CODECS; i++) {
		snprintf(field, sizeof field, "codec_%d", i);
		const char *v = form_value(form, field);
		if (form_error(form, field)) {
			form_set_error(form, "codecs", "codec");   /* a box carries a codec's name: this is none */
			continue;
		}
		if (!*v)
			continue;
		size_t n = strlen(v);
		if (used + (used ? 1 : 0) + n >= sizeof t->codecs) {
			form_set_error(form, "codecs", "too_long");
			return;
		}
		if (used)
			t->codecs[used++] = ',';
		memcpy(t->codecs + used, v, n + 1);
		used += n;
	}
}

/* Validates the trunk form into t (whose other fields the caller set: an edit starts from the stored trunk).
 * On an edit (old set) an empty password keeps the current one. False (and the form re-shown with 422) when
 * something is wrong. */
static bool read_trunk_form(struct page *p, struct form_result *form, struct trunk *t, const struct trunk *old,
			    const char *action)
{
	form_validate(&trunk_form, &p->req->form, form);
	copy_text(form, "name", t->name, sizeof t->name);
	copy_text(form, "host", t->host, sizeof t->host);
	t->port = number(form, "port", 0);
	copy_text(form, "transport", t->transport, sizeof t->transport);
	t->registration = *form_value(form, "registration") != '\0';
	copy_text(form, "username", t->username, sizeof t->username);
	if (old && !*form_value(form, "secret") && !form_error(form, "secret"))
		memcpy(t->secret, old->secret, sizeof t->secret);
	else
		copy_text(form, "secret", t->secret, sizeof t->secret);
	t->expiration = number(form, "expiration", DEFAULT_EXPIRATION);
	t->outbound_auth = *form_value(form, "outbound_auth") != '\0';
	copy_text(form, "from_user", t->from_user, sizeof t->from_user);
	copy_text(form, "from_domain", t->from_domain, sizeof t->from_domain);
	read_codecs(form, t);
	copy_text(form, "callerid", t->callerid, sizeof t->callerid);
	t->max_calls = number(form, "max_calls", 0);
	/* The rule the applier checks again (pbx/trunk_config.h); it names the first field it refuses. A field
	 * the form layer already refused keeps that message. */
	struct pbx_trunk_problem why;
	if (!pbx_trunk_check(p->w->pbx, t, &why) && why.field && !form_error(form, why.field))
		form_set_error(form, why.field, why.key);
	if (form->error_count == 0)
		return true;
	if (old && *old->secret)
		response_set(p->res, "Form.HasSecret", "1");
	show_form(p, form, 422, action, NULL);
	return false;
}

/* For the audit trail: a trunk's fields as they changed from old to now (either NULL: created or removed); the
 * password only as changed or not. */
static void trunk_changes(struct buf *b, const struct trunk *old, const struct trunk *now)
{
	const struct trunk *t[2] = { old, now };
	char port[2][12], expiration[2][12], max_calls[2][12];
	for (int i = 0; i < 2; i++) {
		if (!t[i])
			continue;
		snprintf(port[i], sizeof port[i], "%d", t[i]->port);
		snprintf(expiration[i], sizeof expiration[i], "%d", t[i]->expiration);
		snprintf(max_calls[i], sizeof max_calls[i], "%d", t[i]->max_calls);
	}
	audit_diff(b, "name", old ? old->name : NULL, now ? now->name : NULL);
	audit_diff(b, "host", old ? old->host : NULL, now ? now->host : NULL);
	audit_diff(b, "port", old ? port[0] : NULL, now ? port[1] : NULL);
	audit_diff(b, "transport", old ? old->transport : NULL, now ? now->transport : NULL);
	audit_diff(b, "registration", old ? (old->registration ? "yes" : "no") : NULL,
		   now ? (now->registration ? "yes" : "no") : NULL);
	audit_diff(b, "username", old ? old->username : NULL, now ? now->username : NULL);
	audit_diff_secret(b, "secret", old ? old->secret : NULL, now ? now->secret : NULL);
	audit_diff(b, "expiration", old ? expiration[0] : NULL, now ? expiration[1] : NULL);
	audit_diff(b, "outbound_auth", old ? (old->outbound_auth ? "yes" : "no") : NULL,
		   now ? (now->outbound_auth ? "yes" : "no") : NULL);
	audit_diff(b, "from_user", old ? old->from_user : NULL, now ? now->from_user : NULL);
	audit_diff(b, "from_domain", old ? old->from_domain : NULL, now ? now->from_domain : NULL);
	audit_diff(b, "codecs", old ? old->codecs : NULL, now ? now->codecs : NULL);
	audit_diff(b, "callerid", old ? old->callerid : NULL, now ? now->callerid : NULL);
	audit_diff(b, "max_calls", old ? max_calls[0] : NULL, now ? max_calls[1] : NULL);
}

/* Hands trunk id to the applier and waits for the outcome at most [asterisk] save_wait. A trunk's creation,
 * rename or removal also changes the routes dialplan (db/routes.h); once the trunk is on the PBX the applier's
 * thread is woken to apply that too, so this request never waits for the PBX twice. The change (old to now)
 * goes into the audit trail with the AMI actions of both and the outcome the page shows. */
static void apply_and_redirect(struct page *p, int64_t id, const char *what, const char *action,
			       const struct trunk *old, const struct trunk *now)
{
	struct apply_result r;
	applier_save_trunk(p->w->applier, id, &r);
	/* A trunk's name, caller ID and call limit live in the routes dialplan: once the trunk's own file is
	 * applied, the dialplan is (a no-op when the change left it as it was), and the page says how that went. */
	if (r.applied) {
		struct apply_result plan;
		applier_save_dialplan(p->w->applier, &plan);
		apply_result_add_ami(r.ami, sizeof r.ami, &plan);
		memcpy(plan.ami, r.ami, sizeof plan.ami);
		r = plan;
	}
	struct buf changes;
	buf_init(&changes);
	trunk_changes(&changes, old, now);
	char object[64];
	snprintf(object, sizeof object, "trunk %s", old ? old->name : now->name);
	audit_log_apply(p, action, object, buf_cstr(&changes), &r, NULL);
	buf_free(&changes);
	page_redirect_done(p, "/trunks", what, &r);
}

void page_trunks_create(struct page *p)
{
	struct form_result form;
	struct trunk t = { 0 };
	if (!read_trunk_form(p, &form, &t, NULL, "/trunks")) {
		form_result_free(&form);
		return;
	}
	int64_t id = 0;
	enum trunks_result r = trunks_create(p->w->db, &t, p->now, &id);
	if (r == TRUNKS_OK) {
		apply_and_redirect(p, id, "saved", "trunk.create", NULL, &t);
	} else if (r == TRUNKS_DUP_NAME) {
		form_set_error(&form, "name", "name_taken");
		show_form(p, &form, 422, "/trunks", NULL);
	} else {
		page_error(p, 500, "internal");
	}
	form_result_free(&form);
}

void page_trunks_update(struct page *p)
{
	struct trunk old;
	if (!load_trunk(p, &old))
		return;
	char action[64];
	snprintf(action, sizeof action, "/trunks/%lld", (long long)old.id);
	response_set_int(p->res, "Form.Id", old.id);
	struct form_result form;
	struct trunk t = old;
	if (!read_trunk_form(p, &form, &t, &old, action)) {
		form_result_free(&form);
		return;
	}
	const char *version = form_value(&form, "version");
	enum trunks_result r = trunks_update(p->w->db, &t, *version ? atoll(version) : -1, p->now);
	if (r == TRUNKS_OK) {
		apply_and_redirect(p, old.id, "saved", "trunk.update", &old, &t);
	} else if (r == TRUNKS_DUP_NAME || r == TRUNKS_CONFLICT) {
		if (r == TRUNKS_DUP_NAME)
			form_set_error(&form, "name", "name_taken");
		else
			response_set(p->res, "Form.Conflict", "1");
		if (*old.secret)
			response_set(p->res, "Form.HasSecret", "1");
		show_form(p, &form, r == TRUNKS_CONFLICT ? 409 : 422, action, NULL);
	} else {
		page_error(p, r == TRUNKS_NOT_FOUND ? 404 : 500, r == TRUNKS_NOT_FOUND ? "no_such_trunk" : "internal");
	}
	form_result_free(&form);
}

/* ---------- removal ---------- */

/* The confirmation page; status 409 with the routes that use it when they do (the removal is refused). */
static void show_delete(struct page *p, const struct trunk *t, int status)
{
	char used[512];
	int n = routes_using_trunk(p->w->db, t->id, used, sizeof used);
	if (n < 0) {
		page_error(p, 500, "internal");
		return;
	}
	response_set_int(p->res, "Trunk.Id", t->id);
	response_set(p->res, "Trunk.Name", t->name);
	response_set(p->res, "Trunk.Host", t->host);
	response_set_int(p->res, "Trunk.Version", t->version);
	if (n > 0) {
		response_set_int(p->res, "Trunk.UsedCount", n);
		response_set(p->res, "Trunk.UsedBy", used);
	}
	p->res->status = status;
	p->res->template = "trunk_delete.cs";
}

void page_trunks_delete_confirm(struct page *p)
{
	struct trunk t;
	if (load_trunk(p, &t))
		show_delete(p, &t, 200);
}

void page_trunks_delete(struct page *p)
{
	struct trunk t;
	if (!load_trunk(p, &t))
		return;
	struct form_result form;
	bool ok = form_validate(&version_form, &p->req->form, &form);
	int64_t version = ok ? atoll(form_value(&form, "version")) : 0;
	form_result_free(&form);
	if (!ok) {
		page_error(p, 422, "bad_form");
		return;
	}
	enum trunks_result r = trunks_remove(p->w->db, t.id, version, p->now);
	switch (r) {
	case TRUNKS_OK: apply_and_redirect(p, t.id, "removed", "trunk.delete", &t, NULL); return;
	case TRUNKS_IN_USE: show_delete(p, &t, 409); return;
	case TRUNKS_CONFLICT: page_error(p, 409, "trunk_conflict"); return;
	case TRUNKS_NOT_FOUND: page_error(p, 404, "no_such_trunk"); return;
	default: page_error(p, 500, "internal"); return;
	}
}
