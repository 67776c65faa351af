/* page_login: GET shows the login form; POST checks the password, with throttling, and starts a session. */
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "routes.h"
#include "util/log.h"
#include "web/auth.h"

static const struct form_field login_fields[] = {
	{ "username", form_v_text, true, 1, 64, NULL },
	{ "password", form_v_password, true, 1, AUTH_PASSWORD_MAX, NULL },
	{ "next", form_v_text, false, 0, 1000, NULL },
};
static const struct form_def login_form = FORM_DEF("login", login_fields);

/* Where to go after login: only local paths, else home. */
static const char *next_target(const char *next)
{
	return next && is_local_path(next) ? next : "/";
}

static void show_form(struct page *p, const char *next)
{
	char token[AUTH_TOKEN_HEX + 1];
	if (auth_random_token(token) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	response_set_cookie(p->res, auth_login_csrf_cookie(p->req->https), token, 3600, p->req->https);
	snprintf(p->csrf, sizeof p->csrf, "%s", token);
	response_set(p->res, "Form.login.next.value", next && is_local_path(next) ? next : "");
	p->res->template = "login.cs";
}

void page_login_form(struct page *p)
{
	const char *next = form_pairs_get(&p->req->query_pairs, "next");
	if (p->logged_in) {
		response_redirect(p->res, next_target(next));
		return;
	}
	show_form(p, next);
}

static void refuse(struct page *p, struct form_result *form, int status, const char *message_key)
{
	show_form(p, form_value(form, "next"));
	p->res->status = status;
	response_set(p->res, "Form.login.username.value", form_value(form, "username"));
	response_set(p->res, "Login.Error", message_key);
}

/* The limits of web/auth.h, from [web] login_max_failures and login_window. */
static struct login_limits login_limits(const struct config *cfg, int64_t now)
{
	int n = cfg->web_login_max_failures;
	return (struct login_limits){
		.per_pair = n,
		.per_address = n * AUTH_THROTTLE_ADDRESS_FACTOR,
		.per_user = n * AUTH_THROTTLE_USER_FACTOR,
		.since = now - cfg->web_login_window,
		.usual_since = now - AUTH_USUAL_ADDRESS_SECONDS,
	};
}

void page_login_submit(struct page *p)
{
	struct form_result form;
	bool valid = form_validate(&login_form, &p->req->form, &form);
	const struct config *cfg = p->w->cfg;
	const char *name = form_value(&form, "username");
	char addr[AUTH_ADDRESS_KEY_MAX];
	auth_throttle_address(p->req->remote_addr ? p->req->remote_addr : "unknown", addr);

	if (!valid) {
		refuse(p, &form, 422, "missing");
		form_result_free(&form);
		return;
	}
	/* Counted (as a failure) before the password is checked, so guessing gains nothing while throttled and
	 * concurrent guesses cannot slip past the count. */
	struct login_limits limits = login_limits(cfg, p->now);
	switch (login_attempt_begin(p->w->db, name, addr, p->now, &limits)) {
	case LOGIN_ATTEMPT_ALLOWED:
		break;
	case LOGIN_ATTEMPT_THROTTLED:
		refuse(p, &form, 429, "throttled");
		form_result_free(&form);
		return;
	case LOGIN_ATTEMPT_ERROR:
		log_err("login: cannot record the attempt: %s", db_errmsg(p->w->db));
		page_error(p, 500, "internal");
		form_result_free(&form);
		return;
	}
	struct user u;
	int found = users_get_by_name(p->w->db, name, &u);
	/* Hash even for unknown users, so the response time does not reveal which names exist. */
	bool ok = auth_verify_password(form_value(&form, "password"), found == 0 ? u.password_hash : auth_dummy_hash());
	if (found != 0 || !ok || u.disabled) {
		refuse(p, &form, 403, "bad_credentials"); /* the attempt stays recorded as a failure */
		form_result_free(&form);
		return;
	}
	if (login_attempt_succeeded(p->w->db, u.id, name, addr, p->now, limits.usual_since) != 0) {
		log_err("login: cannot record the success: %s", db_errmsg(p->w->db));
		page_error(p, 500, "internal");
		form_result_free(&form);
		return;
	}
	/* Housekeeping only: expired sessions are refused at lookup whether or not their rows are gone. */
	if (sessions_purge_expired(p->w->db, p->now, cfg->web_session_idle, cfg->web_session_lifetime) != 0)
		log_warn("login: cannot purge expired sessions: %s", db_errmsg(p->w->db));
	if (dispatch_start_session(p, &u) != 0) {
		page_error(p, 500, "internal");
		form_result_free(&form);
		return;
	}
	response_redirect(p->res, next_target(form_value(&form, "next")));
	form_result_free(&form);
}
