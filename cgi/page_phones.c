/* page_phones: the office phones: list (status, filter, pages), add and edit form, details with the
 * provisioning address, removal with confirmation, and (integrator) the SIP secret and a new one.
 * Every save is stored first, then applied to the PBX at once; if that fails the phone stays pending
 * and the applier's thread retries it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_log.h"
#include "phone_form.h"
#include "db/phones.h"
#include "provision/provision.h"
#include "routes.h"
#include "util/text.h"

#define PAGE_SIZE 50

static const struct form_field version_fields[] = {
	{ "version", form_v_int, true, 1, 0, NULL },
};
static const struct form_def version_form = FORM_DEF("version", version_fields);

static const struct form_field filter_fields[] = {
	{ "q", form_v_text, false, 0, 64, NULL },
	{ "page", form_v_int, false, 1, 100000, NULL },
	{ "done", form_v_choice, false, 0, 0,
	  "saved|saved_pending|saved_slow|saved_blocked|removed|removed_pending|removed_slow|secret|secret_pending|"
	  "secret_slow|secret_blocked|verified|verify_slow|verify_failed" },
};
static const struct form_def filter_form = FORM_DEF("filter", filter_fields);

static void set_models(struct page *p)
{
	char key[64];
	for (size_t v = 0; v < provision_vendor_count(); v++) {
		const struct provision_vendor_info *vi = provision_vendor_at(v);
		snprintf(key, sizeof key, "Vendors.%zu.Name", v);
		response_set(p->res, key, vi->name);
		int k = 0;
		for (size_t m = 0; m < provision_model_count(); m++) {
			const struct provision_model *pm = provision_model_at(m);
			if (pm->vendor != vi->vendor)
				continue;
			snprintf(key, sizeof key, "Vendors.%zu.Models.%d.Id", v, k);
			response_set(p->res, key, pm->id);
			snprintf(key, sizeof key, "Vendors.%zu.Models.%d.Name", v, k);
			response_set(p->res, key, pm->name);
			k++;
		}
	}
}

static const char *model_name(const char *id)
{
	const struct provision_model *m = provision_model_find(id);
	return m ? m->name : id;
}

/* For the audit trail: a phone's fields as they changed from old to now (either NULL: created or removed). The
 * secret is never written, only whether it changed. */
static void phone_changes(struct buf *b, const struct phone *old, const struct phone *now)
{
	char old_mac[18] = "", now_mac[18] = "";
	if (old)
		phone_format_mac(old->mac, old_mac);
	if (now)
		phone_format_mac(now->mac, now_mac);
	audit_diff(b, "extension", old ? old->extension : NULL, now ? now->extension : NULL);
	audit_diff(b, "name", old ? old->name : NULL, now ? now->name : NULL);
	audit_diff(b, "model", old ? old->model : NULL, now ? now->model : NULL);
	audit_diff(b, "mac", old ? old_mac : NULL, now ? now_mac : NULL);
	audit_diff(b, "calling_class", old ? old->calling_class : NULL, now ? now->calling_class : NULL);
	audit_diff_secret(b, "secret", old ? old->secret : NULL, now ? now->secret : NULL);
}

/* Records a phone's change in the audit trail with the applier's outcome: "phone <extension>". */
static void audit_phone(struct page *p, const char *action, const struct phone *old, const struct phone *now,
			const struct apply_result *r, const char *note)
{
	struct buf changes;
	buf_init(&changes);
	phone_changes(&changes, old, now);
	char object[48];
	snprintf(object, sizeof object, "phone %s", old ? old->extension : now->extension);
	audit_log_apply(p, action, object, buf_cstr(&changes), r, note);
	buf_free(&changes);
}

/* Phone fields under prefix (e.g. "Phones.3" or "Phone"). The list sets them on a node it looked up
 * once: fifty rows of dotted paths walked from the root cost more than the rest of the page. */
static void set_phone(struct page *p, const char *prefix, const struct phone *ph, bool details)
{
	HDF *node = NULL;
	char mac[18];
	if (hdf_get_node(p->res->hdf, prefix, &node) != STATUS_OK)
		return;
	phone_format_mac(ph->mac, mac);
	hdf_set_int_value(node, "Id", (int)ph->id);
	hdf_set_value(node, "Extension", ph->extension);
	hdf_set_value(node, "Name", ph->name);
	hdf_set_value(node, "Model", model_name(ph->model));
	hdf_set_value(node, "Mac", mac);
	if (details) {
		if (ph->restored_at) {
			/* When it was last put back after vanishing from the PBX (local time of the server). */
			char when[32];
			struct tm tm;
			time_t t = (time_t)ph->restored_at;
			localtime_r(&t, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
			hdf_set_value(node, "Restored", when);
		}
		hdf_set_int_value(node, "Version", (int)ph->version);
		hdf_set_value(node, "ModelId", ph->model);
		hdf_set_value(node, "Class", ph->calling_class);
	}
	if (phone_pending(ph)) {
		hdf_set_value(node, "Status", ph->blocked ? "blocked" : "pending");
		hdf_set_value(node, "Error", ph->last_error);
	} else if (applier_phone_loading(p->w->applier, ph->id)) {
		hdf_set_value(node, "Status", "loading");   /* written; Asterisk reloads it in a moment */
		char why[200];
		if (applier_reload_failing(p->w->applier, why, sizeof why))
			hdf_set_value(node, "Error", why);
	} else if (*ph->reg_status) {
		hdf_set_value(node, "Status", "registered");
		hdf_set_value(node, "Address", ph->reg_address);
	} else {
		hdf_set_value(node, "Status", "unregistered");
	}
}

struct list_ctx {
	struct page *p;
	int n;
};

static int add_row(void *ctx, const struct phone *ph)
{
	struct list_ctx *l = ctx;
	char prefix[32];
	snprintf(prefix, sizeof prefix, "Phones.%d", l->n++);
	set_phone(l->p, prefix, ph, false);
	return 0;
}

void page_phones_list(struct page *p)
{
	struct form_result f;
	if (!form_validate(&filter_form, &p->req->query_pairs, &f)) {
		form_result_free(&f);
		page_error(p, 400, "bad_query");
		return;
	}
	const char *q = form_value(&f, "q");
	int page = *form_value(&f, "page") ? atoi(form_value(&f, "page")) : 1;
	int total = 0;
	struct list_ctx l = { p, 0 };
	if (phones_list(p->w->db, q, (page - 1) * PAGE_SIZE, PAGE_SIZE, &total, add_row, &l) != 0) {
		form_result_free(&f);
		page_error(p, 500, "internal");
		return;
	}
	int pages = total ? (total + PAGE_SIZE - 1) / PAGE_SIZE : 1;
	response_set(p->res, "Filter.Q", q);
	response_set_int(p->res, "Filter.Page", page);
	response_set_int(p->res, "Filter.Pages", pages);
	response_set_int(p->res, "Filter.Total", total);
	if (page > 1)
		response_set_int(p->res, "Filter.Prev", page - 1);
	if (page < pages)
		response_set_int(p->res, "Filter.Next", page + 1);
	response_set_int(p->res, "Pbx.Pending", phones_count_pending(p->w->db));
	response_set(p->res, "Page.Done", form_value(&f, "done"));
	form_result_free(&f);
	p->res->template = "phones.cs";
}

static void show_form(struct page *p, const struct form_result *form, int status, const char *action)
{
	set_models(p);
	page_set_classes(p, NULL, 0);
	if (form)
		page_form_to_hdf(p, form);
	response_set(p->res, "Form.Action", action);
	p->res->status = status;
	p->res->template = "phone_form.cs";
}

void page_phones_new(struct page *p)
{
	response_set(p->res, "Form.phone.calling_class.value", p->w->pbx->default_class);
	show_form(p, NULL, 200, "/phones");
}

/* Loads the phone named in the URL (live only); 404 otherwise. */
static bool load_phone(struct page *p, struct phone *ph)
{
	enum phones_result r = phones_get(p->w->db, p->req->path_id, ph);
	if (r == PHONES_OK && !ph->deleted)
		return true;
	page_error(p, r == PHONES_DB_ERROR ? 500 : 404, r == PHONES_DB_ERROR ? "internal" : "no_such_phone");
	return false;
}

void page_phones_edit(struct page *p)
{
	struct phone ph;
	if (!load_phone(p, &ph))
		return;
	char mac[18], action[64];
	phone_format_mac(ph.mac, mac);
	response_set(p->res, "Form.phone.extension.value", ph.extension);
	response_set(p->res, "Form.phone.name.value", ph.name);
	response_set(p->res, "Form.phone.model.value", ph.model);
	response_set(p->res, "Form.phone.mac.value", mac);
	response_set(p->res, "Form.phone.calling_class.value", ph.calling_class);
	response_set_int(p->res, "Form.phone.version.value", ph.version);
	response_set_int(p->res, "Form.Id", ph.id);
	snprintf(action, sizeof action, "/phones/%lld", (long long)ph.id);
	show_form(p, NULL, 200, action);
}

/* Applies phone id now and redirects to target + "?done=<what>", "<what>_pending" (it will be retried), or
 * "<what>_blocked" (it cannot be applied as it is: the page shows why). */
static void redirect_done(struct page *p, const char *target, const char *what, const struct apply_result *r)
{
	const char *suffix = r->applied                                                     ? ""
			     : r->slow                                                      ? "_slow"
			     : r->outcome == APPLY_BLOCKED && strcmp(what, "removed") != 0 ? "_blocked"
											    : "_pending";
	char location[160];
	snprintf(location, sizeof location, "%s?done=%s%s", target, what, suffix);
	response_redirect(p->res, location);
}

/* Hands phone id to the applier and waits for the outcome at most [asterisk] save_wait (the apply goes on
 * after that: a frozen PBX never holds this request longer); the change (old to now) goes into the audit trail
 * with that outcome. */
static void apply_and_redirect(struct page *p, int64_t id, const char *target, const char *what, const char *action,
			       const struct phone *old, const struct phone *now)
{
	struct apply_result r;
	applier_save(p->w->applier, id, &r);
	audit_phone(p, action, old, now, &r, NULL);
	redirect_done(p, target, what, &r);
}

/* Refuses (form error "ext_not_ours") an extension that Asterisk already has configured outside Centralita:
 * a hand-written endpoint or dialplan must never be taken over by a phone form. When the PBX cannot be read
 * now the phone is stored as usual and the applier makes the same check before touching anything. */
static bool extension_free_in_pbx(struct page *p, struct form_result *form, const char *extension)
{
	char where[200] = "";
	if (applier_check_extension_now(p->w->applier, extension, where, sizeof where) != APPLIER_TAKEN)
		return true;
	form_set_error(form, "extension", "ext_not_ours");
	response_set(p->res, "Form.phone.extension.detail", where);
	return false;
}

/* Applies a phone just stored. Before writing anything the applier checks that Asterisk does not already
 * use its extension for something configured outside Centralita: if so the phone is taken back and the form
 * says why. extension_free_in_pbx checks the same before an edit changes an extension. */
static void create_and_redirect(struct page *p, struct form_result *form, int64_t id, const struct phone *ph)
{
	struct apply_result r;
	applier_save(p->w->applier, id, &r);
	bool discarded = r.outcome == APPLY_BLOCKED && *r.conflict && phones_discard(p->w->db, id, 1) == 0;
	audit_phone(p, "phone.create", NULL, ph, &r, discarded ? " (the phone was not kept)" : NULL);
	if (discarded) {
		response_set(p->res, "Form.phone.extension.detail", r.conflict);
		form_set_error(form, "extension", "ext_not_ours");
		show_form(p, form, 422, "/phones");
		return;
	}
	redirect_done(p, "/phones", "saved", &r);
}

/* Validates the phone form (phone_form.h); fills ph. False (and the form re-shown with 422) when something is
 * wrong. */
static bool read_phone_form(struct page *p, struct form_result *form, struct phone *ph, const char *action)
{
	if (!phone_form_read(p->w->pbx, p->user.role == ROLE_INTEGRATOR, &p->req->form, form, ph)) {
		show_form(p, form, 422, action);
		return false;
	}
	return true;
}

/* Maps a uniqueness/version refusal onto the form; true if it was one of those. */
static bool refusal_to_form(struct page *p, struct form_result *form, enum phones_result r, const char *action)
{
	if (r == PHONES_DUP_EXTENSION)
		form_set_error(form, "extension", "ext_taken");
	else if (r == PHONES_DUP_MAC)
		form_set_error(form, "mac", "mac_taken");
	else if (r == PHONES_CONFLICT)
		response_set(p->res, "Form.Conflict", "1");
	else
		return false;
	show_form(p, form, r == PHONES_CONFLICT ? 409 : 422, action);
	return true;
}

void page_phones_create(struct page *p)
{
	struct form_result form;
	struct phone ph = { 0 };
	snprintf(ph.calling_class, sizeof ph.calling_class, "%s", p->w->pbx->default_class);
	if (!read_phone_form(p, &form, &ph, "/phones")) {
		form_result_free(&form);
		return;
	}
	if (provision_new_secret(ph.secret, sizeof ph.secret) != 0) {
		form_result_free(&form);
		page_error(p, 500, "internal");
		return;
	}
	int64_t id = 0;
	enum phones_result r = phones_create(p->w->db, &ph, p->now, &id);
	if (!refusal_to_form(p, &form, r, "/phones")) {
		if (r == PHONES_OK)
			create_and_redirect(p, &form, id, &ph);
		else
			page_error(p, 500, "internal");
	}
	form_result_free(&form);
}

void page_phones_update(struct page *p)
{
	struct phone old;
	if (!load_phone(p, &old))
		return;
	char action[64];
	snprintf(action, sizeof action, "/phones/%lld", (long long)old.id);
	response_set_int(p->res, "Form.Id", old.id);
	struct form_result form;
	struct phone ph = old;
	if (!read_phone_form(p, &form, &ph, action)) {
		form_result_free(&form);
		return;
	}
	if (strcmp(ph.extension, old.extension) != 0 && !extension_free_in_pbx(p, &form, ph.extension)) {
		show_form(p, &form, 422, action);
		form_result_free(&form);
		return;
	}
	const char *version = form_value(&form, "version");
	enum phones_result r = phones_update(p->w->db, &ph, *version ? atoll(version) : -1, p->now);
	if (!refusal_to_form(p, &form, r, action)) {
		if (r == PHONES_OK)
			apply_and_redirect(p, old.id, "/phones", "saved", "phone.update", &old, &ph);
		else
			page_error(p, r == PHONES_NOT_FOUND ? 404 : 500, r == PHONES_NOT_FOUND ? "no_such_phone" : "internal");
	}
	form_result_free(&form);
}

/* The address phones are pointed at: [provisioning] url, else this site's /provisioning/ (Debian's
 * fastcgi_params passes the host without its port, so a non-default port is added back). */
static void provisioning_url(struct page *p, char *out, size_t size)
{
	const char *configured = p->w->cfg->prov_url;
	const char *host = p->req->host;
	const char *port = p->req->server_port;
	const char *scheme = p->req->https ? "https" : "http";
	static const char host_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
	if (*configured) {
		snprintf(out, size, "%s", configured);
	} else if (host && *host && strspn(host, host_chars) == strlen(host)) {
		bool default_port = !port || strspn(port, "0123456789") != strlen(port) ||
				    strcmp(port, p->req->https ? "443" : "80") == 0;
		snprintf(out, size, "%s://%s%s%s/provisioning/", scheme, host, default_port ? "" : ":",
			 default_port ? "" : port);
	} else {
		snprintf(out, size, "/provisioning/");
	}
}

static void show_details(struct page *p, const struct phone *ph, bool reveal)
{
	set_phone(p, "Phone", ph, true);
	char url[512], key[48];
	provisioning_url(p, url, sizeof url);
	response_set(p->res, "Prov.Url", url);
	response_set(p->res, "Prov.User", p->w->cfg->prov_user);
	char names[PROVISION_MAX_FILES][PROVISION_NAME_MAX];
	size_t n = 0;
	if (provision_file_names(ph->mac, ph->model, names, &n) == PROVISION_OK) {
		for (size_t i = 0; i < n; i++) {
			snprintf(key, sizeof key, "Prov.Files.%zu", i);
			response_set(p->res, key, names[i]);
		}
	}
	response_set(p->res, "Sip.Server", p->w->pbx->prov_server);
	response_set_int(p->res, "Sip.Port", p->w->pbx->prov_port);
	response_set(p->res, "Sip.User", ph->extension);
	if (reveal && p->user.role == ROLE_INTEGRATOR)
		response_set(p->res, "Phone.Secret", ph->secret);
	p->res->template = "phone.cs";
}

void page_phones_show(struct page *p)
{
	struct phone ph;
	if (!load_phone(p, &ph))
		return;
	const char *done = form_pairs_get(&p->req->query_pairs, "done");
	if (done && strncmp(done, "secret", 6) == 0 &&
	    (done[6] == '\0' || strcmp(done + 6, "_pending") == 0 || strcmp(done + 6, "_slow") == 0 ||
	     strcmp(done + 6, "_blocked") == 0))
		response_set(p->res, "Page.Done", done);
	show_details(p, &ph, false);
}

/* A sensitive read: recorded like a change (never the secret itself). */
void page_phones_reveal(struct page *p)
{
	struct phone ph;
	if (!load_phone(p, &ph))
		return;
	char object[48];
	snprintf(object, sizeof object, "phone %s", ph.extension);
	audit_log(p, "phone.reveal_secret", object, "", NULL, "shown");
	show_details(p, &ph, true);
}

void page_phones_delete_confirm(struct page *p)
{
	struct phone ph;
	if (!load_phone(p, &ph))
		return;
	set_phone(p, "Phone", &ph, true);
	p->res->template = "phone_delete.cs";
}

/* Reads the hidden version field of a small form; shows 422 if it is missing. */
static bool read_version(struct page *p, int64_t *version)
{
	struct form_result form;
	bool ok = form_validate(&version_form, &p->req->form, &form);
	if (ok)
		*version = atoll(form_value(&form, "version"));
	form_result_free(&form);
	if (!ok)
		page_error(p, 422, "bad_form");
	return ok;
}

static void version_refused(struct page *p, enum phones_result r)
{
	if (r == PHONES_CONFLICT)
		page_error(p, 409, "phone_conflict");
	else if (r == PHONES_NOT_FOUND)
		page_error(p, 404, "no_such_phone");
	else
		page_error(p, 500, "internal");
}

void page_phones_delete(struct page *p)
{
	struct phone ph;
	int64_t version;
	if (!load_phone(p, &ph) || !read_version(p, &version))
		return;
	enum phones_result r = phones_remove(p->w->db, ph.id, version, p->now);
	if (r != PHONES_OK) {
		version_refused(p, r);
		return;
	}
	apply_and_redirect(p, ph.id, "/phones", "removed", "phone.delete", &ph, NULL);
}

void page_phones_new_secret(struct page *p)
{
	struct phone ph;
	int64_t version;
	if (!load_phone(p, &ph) || !read_version(p, &version))
		return;
	char secret[PHONE_SECRET_MAX];
	if (provision_new_secret(secret, sizeof secret) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	enum phones_result r = phones_set_secret(p->w->db, ph.id, version, secret, p->now);
	if (r != PHONES_OK) {
		version_refused(p, r);
		return;
	}
	char target[64];
	snprintf(target, sizeof target, "/phones/%lld", (long long)ph.id);
	struct phone now = ph;
	snprintf(now.secret, sizeof now.secret, "%s", secret);
	apply_and_redirect(p, ph.id, target, "secret", "phone.new_secret", &ph, &now);
}
