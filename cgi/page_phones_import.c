/* page_phones_import: phones in bulk (issue 13, integrators). The upload form and the sample files; the dry run
 * (every row checked, each problem by line and column, nothing changed); the import (all rows or none, stored in
 * one transaction and applied by the applier's thread in the background); its progress (a bar that the page
 * refreshes by itself, no script needed, and the phones still waiting with why); and the export of the phones as
 * a CSV that imports back unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_log.h"
#include "db/imports.h"
#include "phone_form.h"
#include "phone_import.h"
#include "provision/provision.h"
#include "routes.h"
#include "util/csv.h"

#define SHOWN_ROWS 500            /* rows of the dry run's table; the counts cover them all */
#define SHOWN_WAITING 200         /* phones still waiting listed on the progress page */

static const struct form_field template_fields[] = {
	{ "lang", form_v_choice, false, 0, 0, "en|es" },
	{ "sample", form_v_choice, false, 0, 0, "1" },
};
static const struct form_def template_form = FORM_DEF("template", template_fields);

static const struct form_field export_fields[] = {
	{ "q", form_v_text, false, 0, 64, NULL },
};
static const struct form_def export_form = FORM_DEF("export", export_fields);

/* The header the export and the templates write, in the user's language (the import reads both). */
static void csv_header(struct buf *out, const char *lang)
{
	static const char *const en[] = { "extension", "name", "model", "mac", "class" };
	static const char *const es[] = { "extensión", "nombre", "modelo", "mac", "clase" };
	csv_record(out, strcmp(lang, "es") == 0 ? es : en, 5);
}

static void csv_phone(struct buf *out, const struct phone *ph)
{
	char mac[18];
	phone_format_mac(ph->mac, mac);
	const char *cells[] = { ph->extension, ph->name, ph->model, mac, ph->calling_class };
	csv_record(out, cells, 5);
}

static void send_csv(struct page *p, struct buf *body, const char *file_name)
{
	char disposition[128];
	snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", file_name);
	response_header(p->res, "Content-Disposition", disposition);
	p->res->status = 200;
	p->res->template = NULL;
	p->res->content_type = "text/csv; charset=utf-8";
	buf_append(&p->res->body, buf_cstr(body), body->len);
}

/* GET /phones/import */
void page_phones_import_form(struct page *p)
{
	p->res->template = "phones_import.cs";
}

/* GET /phones/import/template.csv?lang=en|es[&sample=1]: the header alone, or with three example phones (numbers
 * from the configured range, models from the catalogue, MACs of the documentation's own vendor prefix). */
void page_phones_import_template(struct page *p)
{
	struct form_result f;
	if (!form_validate(&template_form, &p->req->query_pairs, &f)) {
		form_result_free(&f);
		page_error(p, 400, "bad_query");
		return;
	}
	const char *lang = *form_value(&f, "lang") ? form_value(&f, "lang") : p->lang;
	bool sample = *form_value(&f, "sample") != '\0';
	struct buf b;
	buf_init(&b);
	csv_header(&b, lang);
	if (sample) {
		static const char *const names_en[] = { "Reception", "Sales - Ana", "Warehouse" };
		static const char *const names_es[] = { "Recepción", "Ventas - Ana", "Almacén" };
		const char *const *names = strcmp(lang, "es") == 0 ? names_es : names_en;
		long ext = p->w->pbx->ext_min;
		for (int i = 0; i < 3; i++, ext++) {
			while (ext <= p->w->pbx->ext_max) {
				char e[16];
				snprintf(e, sizeof e, "%ld", ext);
				if (!pbx_check_extension(p->w->pbx, e))
					break;
				ext++;
			}
			const struct provision_model *m = provision_model_at((size_t)i % 2);
			struct phone ph = { 0 };
			snprintf(ph.extension, sizeof ph.extension, "%ld", ext);
			snprintf(ph.name, sizeof ph.name, "%s", names[i]);
			snprintf(ph.model, sizeof ph.model, "%s", m ? m->id : "");
			snprintf(ph.mac, sizeof ph.mac, "0050c2%06x", 0x100 + i);
			snprintf(ph.calling_class, sizeof ph.calling_class, "%s", p->w->pbx->default_class);
			csv_phone(&b, &ph);
		}
	}
	char name[64];
	snprintf(name, sizeof name, "%s-%s.csv", sample ? (strcmp(lang, "es") == 0 ? "telefonos-ejemplo" : "phones-sample")
					      : (strcmp(lang, "es") == 0 ? "telefonos-plantilla" : "phones-template"),
		 lang);
	send_csv(p, &b, name);
	buf_free(&b);
	form_result_free(&f);
}

struct export_ctx {
	struct buf *b;
};

static int export_row(void *ctx, const struct phone *ph)
{
	csv_phone(((struct export_ctx *)ctx)->b, ph);
	return 0;
}

/* GET /phones.csv?q=: the phones the list shows for that filter, all of them. */
void page_phones_export(struct page *p)
{
	struct form_result f;
	if (!form_validate(&export_form, &p->req->query_pairs, &f)) {
		form_result_free(&f);
		page_error(p, 400, "bad_query");
		return;
	}
	struct buf b;
	buf_init(&b);
	csv_header(&b, p->lang);
	struct export_ctx ctx = { &b };
	int total = 0;
	if (phones_list(p->w->db, form_value(&f, "q"), 0, 1000000, &total, export_row, &ctx) != 0)
		page_error(p, 500, "internal");
	else
		send_csv(p, &b, "phones.csv");
	buf_free(&b);
	form_result_free(&f);
}

/* Problem keys of the import's own (Lang.import.err); the others are the phone form's (Lang.err). */
static bool import_key(const char *key)
{
	static const char *const own[] = { "column_unknown", "column_twice", "header_missing", "column_missing",
					   "fields", "csv", "too_many_rows", "empty", "no_rows", "ext_twice",
					   "mac_twice" };
	for (size_t i = 0; i < sizeof own / sizeof *own; i++)
		if (strcmp(key, own[i]) == 0)
			return true;
	return false;
}

static void set_report(struct page *p, const struct import_info *info, const struct import_plan *plan)
{
	char key[64];
	response_set_int(p->res, "Import.Id", info->id);
	response_set(p->res, "Import.File", info->file_name);
	response_set_int(p->res, "Import.New", plan->n_new);
	response_set_int(p->res, "Import.Update", plan->n_update);
	response_set_int(p->res, "Import.Same", plan->n_same);
	response_set_int(p->res, "Import.Problems", (long long)plan->problem_count);
	response_set_int(p->res, "Import.ProblemsListed", (long long)plan->n_problems);
	if (plan->pbx_unchecked)
		response_set(p->res, "Import.PbxUnchecked", "1");
	for (size_t i = 0; i < plan->n_problems; i++) {
		const struct import_problem *pr = &plan->problems[i];
		snprintf(key, sizeof key, "Problems.%zu.Line", i);
		response_set_int(p->res, key, pr->line);
		snprintf(key, sizeof key, "Problems.%zu.Column", i);
		response_set(p->res, key, pr->column);
		snprintf(key, sizeof key, "Problems.%zu.Key", i);
		response_set(p->res, key, pr->key);
		snprintf(key, sizeof key, "Problems.%zu.Group", i);
		response_set(p->res, key, import_key(pr->key) ? "import" : "form");
		snprintf(key, sizeof key, "Problems.%zu.Detail", i);
		response_set(p->res, key, pr->detail);
	}
	static const char *const kinds[] = { "new", "update", "same" };
	size_t shown = plan->n_rows < SHOWN_ROWS ? plan->n_rows : SHOWN_ROWS;
	response_set_int(p->res, "Import.RowsShown", (long long)shown);
	response_set_int(p->res, "Import.Rows", (long long)plan->n_rows);
	for (size_t i = 0; i < shown; i++) {
		const struct import_row *r = &plan->rows[i];
		char mac[18];
		phone_format_mac(r->w.ph.mac, mac);
		snprintf(key, sizeof key, "Rows.%zu", i);
		HDF *node;
		if (hdf_get_node(p->res->hdf, key, &node) != STATUS_OK)
			continue;
		hdf_set_int_value(node, "Line", r->line);
		hdf_set_value(node, "Kind", kinds[r->kind]);
		hdf_set_value(node, "Extension", r->w.ph.extension);
		hdf_set_value(node, "Name", r->w.ph.name);
		hdf_set_value(node, "Model", r->w.ph.model);
		hdf_set_value(node, "Mac", mac);
		hdf_set_value(node, "Class", r->w.ph.calling_class);
		hdf_set_value(node, "Changes", r->changes);
	}
}

/* Reads draft id's file and checks it. 0 with plan and info, or -1 (page error shown). */
static int check_draft(struct page *p, int64_t id, struct import_info *info, struct import_plan *plan)
{
	struct buf csv;
	buf_init(&csv);
	enum phones_result r = imports_get(p->w->db, id, info, &csv);
	int rc = -1;
	if (r != PHONES_OK)
		page_error(p, r == PHONES_NOT_FOUND ? 404 : 500, r == PHONES_NOT_FOUND ? "not_found" : "internal");
	else if (!info->imported_at && phone_import_check(p->w->db, p->w->pbx, p->w->applier, buf_cstr(&csv), csv.len,
							  plan) != 0)
		page_error(p, 500, "internal");
	else
		rc = 0;
	buf_free(&csv);
	return rc;
}

static void show_report(struct page *p, const struct import_info *info, const struct import_plan *plan, int status)
{
	set_report(p, info, plan);
	p->res->status = status;
	p->res->template = "phones_import_check.cs";
}

/* POST /phones/import (multipart): the file kept as a draft, then its dry run. */
void page_phones_import_post(struct page *p)
{
	const struct upload_file *file = request_file(p->req, "file");
	if (!file) {
		response_set(p->res, "Form.Error", "no_file");
		p->res->status = 422;
		p->res->template = "phones_import.cs";
		return;
	}
	int64_t id = 0;
	if (imports_draft(p->w->db, p->now, p->user.name, *file->filename ? file->filename : "phones.csv", file->data,
			  file->len, &id) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	struct import_info info;
	struct import_plan plan;
	import_plan_init(&plan);
	if (check_draft(p, id, &info, &plan) == 0)
		show_report(p, &info, &plan, plan.problem_count ? 422 : 200);
	import_plan_free(&plan);
}

struct progress {
	struct page *p;
	int total, live, loading, pending, blocked, listed;
};

static int progress_phone(void *ctx, const struct phone *ph)
{
	struct progress *g = ctx;
	g->total++;
	const char *status;
	if (phone_pending(ph)) {
		status = ph->blocked ? "blocked" : "pending";
		if (ph->blocked)
			g->blocked++;
		else
			g->pending++;
	} else if (applier_phone_loading(g->p->w->applier, ph->id)) {
		status = "loading";
		g->loading++;
	} else {
		g->live++;
		return 0;
	}
	if (g->listed < SHOWN_WAITING) {
		char key[48];
		snprintf(key, sizeof key, "Waiting.%d", g->listed++);
		HDF *node;
		if (hdf_get_node(g->p->res->hdf, key, &node) == STATUS_OK) {
			hdf_set_value(node, "Extension", ph->extension);
			hdf_set_value(node, "Name", ph->name);
			hdf_set_value(node, "Status", status);
			hdf_set_value(node, "Error", ph->last_error);
			hdf_set_int_value(node, "Id", (int)ph->id);
		}
	}
	return 0;
}

/* GET /phones/import/:id: a draft's dry run, or an import's progress. */
void page_phones_import_show(struct page *p)
{
	struct import_info info;
	struct import_plan plan;
	import_plan_init(&plan);
	if (check_draft(p, p->req->path_id, &info, &plan) != 0) {
		import_plan_free(&plan);
		return;
	}
	if (!info.imported_at) {
		show_report(p, &info, &plan, 200);
		import_plan_free(&plan);
		return;
	}
	import_plan_free(&plan);
	struct progress g = { .p = p };
	if (imports_each_phone(p->w->db, info.id, progress_phone, &g) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	response_set_int(p->res, "Import.Id", info.id);
	response_set(p->res, "Import.File", info.file_name);
	response_set_int(p->res, "Import.New", info.created);
	response_set_int(p->res, "Import.Update", info.updated);
	response_set_int(p->res, "Import.Same", info.unchanged);
	response_set_int(p->res, "Progress.Total", g.total);
	response_set_int(p->res, "Progress.Live", g.live);
	response_set_int(p->res, "Progress.Loading", g.loading);
	response_set_int(p->res, "Progress.Pending", g.pending);
	response_set_int(p->res, "Progress.Blocked", g.blocked);
	response_set_int(p->res, "Progress.Percent", g.total ? g.live * 100 / g.total : 100);
	/* Still moving: the page comes back by itself (a refresh, so it works without JavaScript). Phones that
	 * need a person do not move by themselves. */
	if (g.pending + g.loading > 0)
		response_set(p->res, "Progress.Refresh", "2");
	p->res->template = "phones_import_progress.cs";
}

/* POST /phones/import/:id: the draft checked again (the phones may have changed since its dry run) and, if
 * nothing is wrong, stored whole; then applied in the background. */
void page_phones_import_apply(struct page *p)
{
	struct import_info info;
	struct import_plan plan;
	import_plan_init(&plan);
	if (check_draft(p, p->req->path_id, &info, &plan) != 0) {
		import_plan_free(&plan);
		return;
	}
	char location[64];
	snprintf(location, sizeof location, "/phones/import/%lld", (long long)info.id);
	if (info.imported_at) {   /* a second click: it is done already */
		response_redirect(p->res, location);
		import_plan_free(&plan);
		return;
	}
	if (plan.problem_count) {
		show_report(p, &info, &plan, 422);
		import_plan_free(&plan);
		return;
	}
	int failed_line = 0;
	enum phones_result r = phone_import_store(p->w->db, p->w->pbx, info.id, &plan, p->now, &failed_line);
	if (r == PHONES_CONFLICT && failed_line == 0) {
		response_redirect(p->res, location);
	} else if (r != PHONES_OK && r != PHONES_DB_ERROR) {
		/* Taken or changed between the check and the store: nothing was stored; the report says where. */
		response_set_int(p->res, "Import.FailedLine", failed_line);
		show_report(p, &info, &plan, 409);
	} else if (r == PHONES_DB_ERROR) {
		page_error(p, 500, "internal");
	} else {
		char changes[400];
		snprintf(changes, sizeof changes, "file: %s\ncreated: %d\nupdated: %d\nunchanged: %d", info.file_name,
			 plan.n_new, plan.n_update, plan.n_same);
		char object[48];
		snprintf(object, sizeof object, "import %lld", (long long)info.id);
		audit_log(p, "phone.import", object, changes, NULL, "stored; applying in the background");
		applier_wake(p->w->applier);
		response_redirect(p->res, location);
	}
	import_plan_free(&plan);
}
