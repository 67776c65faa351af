/* page_users: the integrator's user administration: list, create, disable/enable, reset password. */
#include <stdio.h>
#include <string.h>

#include "audit_log.h"
#include "routes.h"
#include "web/auth.h"

static const struct form_field user_fields[] = {
	{ "name", form_v_text, true, 1, 64, NULL },
	{ "role", form_v_choice, true, 0, 0, "owner|integrator" },
	{ "password", form_v_password, true, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX, NULL },
};
static const struct form_def user_form = FORM_DEF("user", user_fields);

/* Messages a redirect may ask the list to show (?done=...): an allow-list, never free text. */
static const char *const done_messages[] = { "created", "disabled", "enabled" };

struct list_ctx {
	struct page *p;
	int n;
};

static int add_user_row(void *ctx, const struct user *u)
{
	struct list_ctx *l = ctx;
	char key[64];
	snprintf(key, sizeof key, "Users.%d.Id", l->n);
	response_set_int(l->p->res, key, u->id);
	snprintf(key, sizeof key, "Users.%d.Name", l->n);
	response_set(l->p->res, key, u->name);
	snprintf(key, sizeof key, "Users.%d.Role", l->n);
	response_set(l->p->res, key, user_role_name(u->role));
	snprintf(key, sizeof key, "Users.%d.Disabled", l->n);
	response_set(l->p->res, key, u->disabled ? "1" : "0");
	snprintf(key, sizeof key, "Users.%d.Self", l->n);
	response_set(l->p->res, key, u->id == l->p->user.id ? "1" : "0");
	l->n++;
	return 0;
}

static void show_list(struct page *p)
{
	struct list_ctx l = { p, 0 };
	if (users_each(p->w->db, add_user_row, &l) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	const char *done = form_pairs_get(&p->req->query_pairs, "done");
	for (size_t i = 0; done && i < sizeof done_messages / sizeof *done_messages; i++)
		if (strcmp(done, done_messages[i]) == 0)
			response_set(p->res, "Page.Done", done_messages[i]);
	p->res->template = "users.cs";
}

/* Records a change to user name in the audit trail (no PBX part: its outcome is "done"). */
static void audit_user(struct page *p, const char *action, const char *name, const char *changes)
{
	char object[sizeof p->user.name + 8];
	snprintf(object, sizeof object, "user %s", name);
	audit_log(p, action, object, changes, NULL, "done");
}

void page_users_list(struct page *p)
{
	response_set(p->res, "Form.user.role.value", "owner");
	show_list(p);
}

void page_users_create(struct page *p)
{
	struct form_result form;
	bool valid = form_validate(&user_form, &p->req->form, &form);
	if (valid) {
		char hash[AUTH_HASH_MAX];
		if (auth_hash_password(form_value(&form, "password"), hash) != 0) {
			page_error(p, 500, "internal");
			form_result_free(&form);
			return;
		}
		int rc = users_create(p->w->db, form_value(&form, "name"), user_role_parse(form_value(&form, "role")),
				      hash, p->now, NULL);
		if (rc == 0) {
			struct buf changes;
			buf_init(&changes);
			audit_diff(&changes, "name", NULL, form_value(&form, "name"));
			audit_diff(&changes, "role", NULL, form_value(&form, "role"));
			audit_diff_secret(&changes, "password", NULL, form_value(&form, "password"));
			audit_user(p, "user.create", form_value(&form, "name"), buf_cstr(&changes));
			buf_free(&changes);
			response_redirect(p->res, "/users?done=created");
			form_result_free(&form);
			return;
		}
		if (rc < 0) {
			page_error(p, 500, "internal");
			form_result_free(&form);
			return;
		}
		form_set_error(&form, "name", "name_taken");
	}
	page_form_to_hdf(p, &form);
	/* Never send a password back into the page. */
	response_set(p->res, "Form.user.password.value", "");
	show_list(p);
	p->res->status = 422;
	form_result_free(&form);
}

/* Loads the user named in the URL; shows 404 if there is none. */
static bool load_target(struct page *p, struct user *target)
{
	int rc = users_get_by_id(p->w->db, p->req->path_id, target);
	if (rc == 1)
		page_error(p, 404, "no_such_user");
	else if (rc != 0)
		page_error(p, 500, "internal");
	return rc == 0;
}

static void set_disabled(struct page *p, bool disabled)
{
	struct user target;
	if (!load_target(p, &target))
		return;
	if (disabled && target.id == p->user.id) {
		page_error(p, 409, "cannot_disable_self");
		return;
	}
	if (users_set_disabled(p->w->db, target.id, disabled, p->now) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	if (disabled)
		sessions_delete_for_user(p->w->db, target.id);
	audit_user(p, disabled ? "user.disable" : "user.enable", target.name,
		   target.disabled == disabled ? "" : disabled ? "disabled: no -> yes" : "disabled: yes -> no");
	response_redirect(p->res, disabled ? "/users?done=disabled" : "/users?done=enabled");
}

void page_users_disable(struct page *p) { set_disabled(p, true); }

void page_users_enable(struct page *p) { set_disabled(p, false); }

void page_users_reset_password(struct page *p)
{
	struct user target;
	if (!load_target(p, &target))
		return;
	char password[21], hash[AUTH_HASH_MAX];
	/* The user's sessions end with the old password, all but this one when integrators reset their own. */
	const unsigned char *keep = target.id == p->user.id ? p->session_hash : NULL;
	if (auth_random_password(password, sizeof password) != 0 || auth_hash_password(password, hash) != 0 ||
	    users_set_password(p->w->db, target.id, hash, p->now, keep) != 0) {
		page_error(p, 500, "internal");
		return;
	}
	audit_user(p, "user.password_reset", target.name, "password: changed");
	/* Shown once, in this response only; it is not stored anywhere readable. */
	response_set(p->res, "Reset.Name", target.name);
	response_set(p->res, "Reset.Password", password);
	response_set(p->res, "Form.user.role.value", "owner");
	show_list(p);
}
