/* dispatch: the request pipeline shared by every page. */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "routes.h"
#include "util/log.h"
#include "web/auth.h"

const char dispatch_security_headers[] =
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
	"X-Frame-Options: DENY\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Referrer-Policy: same-origin\r\n"
	"Cache-Control: no-store\r\n";

void page_error(struct page *p, int status, const char *message_key)
{
	p->res->status = status;
	p->res->template = "error.cs";
	response_set_int(p->res, "Error.Status", status);
	response_set(p->res, "Error.Key", message_key);
}

void page_form_to_hdf(struct page *p, const struct form_result *form)
{
	char key[160];
	for (size_t i = 0; i < form->def->count; i++) {
		const char *name = form->def->fields[i].name;
		/* A form is shown again because something failed: show each field as the user typed it. */
		snprintf(key, sizeof key, "Form.%s.%s.value", form->def->name, name);
		response_set(p->res, key, form->typed[i] ? form->typed[i] : "");
		if (form->errors[i]) {
			snprintf(key, sizeof key, "Form.%s.%s.error", form->def->name, name);
			response_set(p->res, key, form->errors[i]);
		}
	}
	if (form->error_count) {
		snprintf(key, sizeof key, "Form.%s.failed", form->def->name);
		response_set(p->res, key, "1");
	}
}

void page_redirect_done(struct page *p, const char *target, const char *what, const struct apply_result *r)
{
	const char *suffix = r->applied ? "" : r->slow ? "_slow" : r->outcome == APPLY_BLOCKED ? "_blocked" : "_pending";
	char location[160];
	snprintf(location, sizeof location, "%s?done=%s%s", target, what, suffix);
	response_redirect(p->res, location);
}

void page_set_classes(struct page *p, const char (*checked)[PBX_CLASS_NAME_MAX], int n)
{
	const struct pbx_settings *s = p->w->pbx;
	char key[48];
	for (int i = 0; i < s->n_classes; i++) {
		snprintf(key, sizeof key, "Classes.%d.Name", i);
		response_set(p->res, key, s->classes[i]);
		for (int k = 0; checked && k < n; k++) {
			if (strcmp(checked[k], s->classes[i]) == 0) {
				snprintf(key, sizeof key, "Classes.%d.Checked", i);
				response_set(p->res, key, "1");
			}
		}
	}
}

/* Loads the session named by the cookie, if it is live and its user is enabled. Under HTTPS only the
 * __Host- cookie counts (see auth_session_cookie). */
static void load_session(struct page *p)
{
	char token[AUTH_TOKEN_HEX + 1];
	if (!request_cookie(p->req, auth_session_cookie(p->req->https), token, sizeof token) ||
	    strlen(token) != AUTH_TOKEN_HEX)
		return;
	auth_sha256(token, strlen(token), p->session_hash);
	const struct config *cfg = p->w->cfg;
	struct session_row s;
	if (sessions_lookup(p->w->db, p->session_hash, p->now, cfg->web_session_idle, cfg->web_session_lifetime, &s) !=
	    0)
		return;
	if (users_get_by_id(p->w->db, s.user_id, &p->user) != 0 || p->user.disabled)
		return;
	/* Write last_seen at most once a minute: a database write per request would cost more than the page. */
	if (p->now - s.last_seen >= 60)
		sessions_touch(p->w->db, p->session_hash, p->now);
	snprintf(p->csrf, sizeof p->csrf, "%s", s.csrf_token);
	p->logged_in = true;
}

int dispatch_start_session(struct page *p, const struct user *user)
{
	char token[AUTH_TOKEN_HEX + 1], csrf[AUTH_TOKEN_HEX + 1];
	unsigned char hash[32];
	if (auth_random_token(token) != 0 || auth_random_token(csrf) != 0)
		return -1;
	auth_sha256(token, strlen(token), hash);
	if (sessions_create(p->w->db, hash, user->id, csrf, p->now) != 0)
		return -1;
	response_set_cookie(p->res, auth_session_cookie(p->req->https), token, -1, p->req->https);
	response_set_cookie(p->res, auth_login_csrf_cookie(p->req->https), "", 0, p->req->https);
	p->user = *user;
	p->logged_in = true;
	memcpy(p->session_hash, hash, sizeof hash);
	snprintf(p->csrf, sizeof p->csrf, "%s", csrf);
	return 0;
}

/* Before login there is no session: the login form's token is a double-submit cookie. */
static const char *expected_csrf(struct page *p, char *cookie_token, size_t len)
{
	if (p->logged_in)
		return p->csrf;
	if (request_cookie(p->req, auth_login_csrf_cookie(p->req->https), cookie_token, len) &&
	    strlen(cookie_token) == AUTH_TOKEN_HEX)
		return cookie_token;
	return NULL;
}

static bool csrf_ok(struct page *p)
{
	char cookie_token[AUTH_TOKEN_HEX + 1];
	const char *expected = expected_csrf(p, cookie_token, sizeof cookie_token);
	const char *sent = form_pairs_get(&p->req->form, "_csrf");
	return expected && sent && auth_equal(expected, sent);
}

static void choose_language(struct page *p)
{
	if (p->logged_in && render_language_index(p->user.language) >= 0) {
		p->lang = render_languages[render_language_index(p->user.language)];
		return;
	}
	const char *pref = request_preferred_language(p->req, render_languages, RENDER_LANGUAGE_COUNT);
	p->lang = pref ? pref : p->w->cfg->web_language;
}

static void set_common_data(struct page *p)
{
	response_set(p->res, "Page.Lang", p->lang);
	response_set(p->res, "Page.Path", p->req->path);
	if (p->logged_in) {
		response_set(p->res, "User.Name", p->user.name);
		response_set(p->res, "User.Role", user_role_name(p->user.role));
		response_set_int(p->res, "User.Id", p->user.id);
	}
	response_set(p->res, "CSRF", p->csrf);
}

/* A POST's body into req->form: urlencoded, or, on a route with upload, multipart/form-data too, whose ordinary
 * fields land in req->form all the same (so the CSRF check and the page's validator table read them unchanged)
 * and its files in req->files. false when refused, with the error page set. */
static bool read_post_body(struct page *p, const struct route *route)
{
	struct request *req = p->req;
	if (route->upload && multipart_is_form_data(req->content_type)) {
		enum multipart_status st = multipart_parse(req->content_type, buf_cstr(&req->body), req->body.len,
							   &req->form, req->files, &req->file_count);
		if (st != MULTIPART_OK) {
			log_warn("%s %s: bad multipart body: %s", req->method, req->path, multipart_status_text(st));
			page_error(p, 400, "bad_form");
			return false;
		}
		return true;
	}
	const char *ct = req->content_type ? req->content_type : "";
	if (strncmp(ct, "application/x-www-form-urlencoded", 33) != 0 && req->body.len > 0) {
		page_error(p, 415, "unsupported_media_type");
		return false;
	}
	enum form_parse_status st = form_parse(buf_cstr(&req->body), req->body.len, &req->form);
	if (st != FORM_OK) {
		log_warn("%s %s: bad form body: %s", req->method, req->path, form_parse_status_text(st));
		page_error(p, 400, "bad_form");
		return false;
	}
	return true;
}

static void run_route(struct page *p)
{
	const struct route *route = NULL;
	char allow[64];
	switch (route_find(p->req->method, p->req->path, &route, &p->req->path_id, allow, sizeof allow)) {
	case ROUTE_NOT_FOUND:
		page_error(p, 404, "not_found");
		return;
	case ROUTE_WRONG_METHOD:
		response_header(p->res, "Allow", allow);
		page_error(p, 405, "method_not_allowed");
		return;
	case ROUTE_FOUND:
		break;
	}
	if (route->role != ROLE_NONE && !p->logged_in) {
		char next[1100];
		/* Only GET pages are worth coming back to; a POST target would just re-ask for the form. */
		if (strcmp(p->req->method, "GET") == 0 && strcmp(p->req->path, "/") != 0 && is_local_path(p->req->path))
			snprintf(next, sizeof next, "/login?next=%s", p->req->path);
		else
			snprintf(next, sizeof next, "/login");
		response_redirect(p->res, next);
		return;
	}
	if (route->role != ROLE_NONE && p->user.role < route->role) {
		page_error(p, 403, "forbidden");
		return;
	}
	if (strcmp(route->method, "POST") == 0) {
		if (!read_post_body(p, route))
			return;
		if (route->csrf && !csrf_ok(p)) {
			page_error(p, 403, "csrf");
			return;
		}
	}
	if (p->req->query && *p->req->query &&
	    form_parse(p->req->query, strlen(p->req->query), &p->req->query_pairs) != FORM_OK) {
		page_error(p, 400, "bad_query");
		return;
	}
	route->handler(p);
}

void dispatch(struct worker *w, struct request *req, struct response *res)
{
	struct page p = { .w = w, .req = req, .res = res, .now = (int64_t)time(NULL) };
	/* A GET only reads (bar a best-effort session touch): one transaction = one lock and one snapshot
	 * for all its queries. POST handlers manage their own writes. */
	bool read_only = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	if (read_only)
		db_begin_read(w->db);
	load_session(&p);
	choose_language(&p);
	run_route(&p);
	if (read_only)
		db_end(w->db);

	buf_puts(&res->headers, dispatch_security_headers);
	if (res->template) {
		set_common_data(&p);
		char err[256];
		buf_reset(&res->body);
		if (render_page(w->renderer, res->template, res->hdf, p.lang, &res->body, err, sizeof err) != 0) {
			log_err("render %s: %s", res->template, err);
			response_text(res, 500, "Internal error: the page could not be rendered.\n");
			return;
		}
		res->content_type = "text/html; charset=utf-8";
	} else if (!res->content_type) {
		res->content_type = "text/plain; charset=utf-8";
	}
}
