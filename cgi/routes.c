/* routes: every URL Centralita answers. Adding a page = one line here + one page_<name>.c.
 * Tests read this table (via `centralita routes`) so every new route is covered automatically by the
 * anonymous-redirect, CSRF and role checks. */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A route that takes no upload leaves the last field out (false): one column fewer to read in 50 lines. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct route routes[] = {
	/* method  path                       handler                     least role        csrf   upload (left out: false) */
	{ "GET",  "/",                        page_home,                  ROLE_OWNER,       false },
	{ "GET",  "/login",                   page_login_form,            ROLE_NONE,        false },
	{ "POST", "/login",                   page_login_submit,          ROLE_NONE,        true },
	{ "POST", "/logout",                  page_logout,                ROLE_OWNER,       true },
	{ "POST", "/language",                page_language,              ROLE_OWNER,       true },
	{ "GET",  "/phones",                  page_phones_list,           ROLE_OWNER,       false },
	{ "GET",  "/phones.csv",              page_phones_export,         ROLE_OWNER,       false },
	{ "GET",  "/phones/import",           page_phones_import_form,    ROLE_INTEGRATOR,  false },
	{ "POST", "/phones/import",           page_phones_import_post,    ROLE_INTEGRATOR,  true,  true },
	{ "GET",  "/phones/import/template.csv", page_phones_import_template, ROLE_INTEGRATOR, false },
	{ "GET",  "/phones/import/:id",       page_phones_import_show,    ROLE_INTEGRATOR,  false },
	{ "POST", "/phones/import/:id",       page_phones_import_apply,   ROLE_INTEGRATOR,  true },
	{ "GET",  "/phones/new",              page_phones_new,            ROLE_OWNER,       false },
	{ "POST", "/phones",                  page_phones_create,         ROLE_OWNER,       true },
	{ "GET",  "/phones/:id",              page_phones_show,           ROLE_OWNER,       false },
	{ "GET",  "/phones/:id/edit",         page_phones_edit,           ROLE_OWNER,       false },
	{ "POST", "/phones/:id",              page_phones_update,         ROLE_OWNER,       true },
	{ "GET",  "/phones/:id/delete",       page_phones_delete_confirm, ROLE_OWNER,       false },
	{ "POST", "/phones/:id/delete",       page_phones_delete,         ROLE_OWNER,       true },
	{ "POST", "/phones/:id/reveal",       page_phones_reveal,         ROLE_INTEGRATOR,  true },
	{ "POST", "/phones/:id/secret",       page_phones_new_secret,     ROLE_INTEGRATOR,  true },
	{ "POST", "/pbx/verify",              page_pbx_verify,            ROLE_INTEGRATOR,  true },
	{ "GET",  "/pbx",                     page_pbx_status,            ROLE_OWNER,       false },
	{ "POST", "/pbx/retry",               page_pbx_retry,             ROLE_INTEGRATOR,  true },
	{ "GET",  "/pbx/drift",               page_pbx_drift,             ROLE_INTEGRATOR,  false },
	{ "POST", "/pbx/drift/repair",        page_pbx_drift_repair,      ROLE_INTEGRATOR,  true },
	{ "GET",  "/calls",                   page_calls,                 ROLE_OWNER,       false },
	{ "GET",  "/calls.csv",               page_calls_csv,             ROLE_OWNER,       false },
	{ "GET",  "/live",                    page_live,                  ROLE_OWNER,       false },
	{ "GET",  "/live/events",             page_live_events,           ROLE_OWNER,       false },
	{ "GET",  "/stats",                   page_stats,                 ROLE_OWNER,       false },
	{ "GET",  "/trunks",                  page_trunks_list,           ROLE_INTEGRATOR,  false },
	{ "GET",  "/trunks/new",              page_trunks_new,            ROLE_INTEGRATOR,  false },
	{ "POST", "/trunks",                  page_trunks_create,         ROLE_INTEGRATOR,  true },
	{ "GET",  "/trunks/:id/edit",         page_trunks_edit,           ROLE_INTEGRATOR,  false },
	{ "POST", "/trunks/:id",              page_trunks_update,         ROLE_INTEGRATOR,  true },
	{ "GET",  "/trunks/:id/delete",       page_trunks_delete_confirm, ROLE_INTEGRATOR,  false },
	{ "POST", "/trunks/:id/delete",       page_trunks_delete,         ROLE_INTEGRATOR,  true },
	{ "GET",  "/routes",                  page_routes_list,           ROLE_INTEGRATOR,  false },
	{ "GET",  "/routes/new",              page_routes_new,            ROLE_INTEGRATOR,  false },
	{ "POST", "/routes",                  page_routes_create,         ROLE_INTEGRATOR,  true },
	{ "GET",  "/routes/test",             page_routes_test,           ROLE_INTEGRATOR,  false },
	{ "GET",  "/routes/dialplan",         page_routes_dialplan,       ROLE_INTEGRATOR,  false },
	{ "GET",  "/routes/:id/edit",         page_routes_edit,           ROLE_INTEGRATOR,  false },
	{ "POST", "/routes/:id",              page_routes_update,         ROLE_INTEGRATOR,  true },
	{ "GET",  "/routes/:id/delete",       page_routes_delete_confirm, ROLE_INTEGRATOR,  false },
	{ "POST", "/routes/:id/delete",       page_routes_delete,         ROLE_INTEGRATOR,  true },
	{ "POST", "/routes/:id/move",         page_routes_move,           ROLE_INTEGRATOR,  true },
	{ "GET",  "/console",                 page_console,               ROLE_INTEGRATOR,  false },
	{ "GET",  "/console.txt",             page_console_txt,           ROLE_INTEGRATOR,  false },
	{ "GET",  "/console/events",          page_console_events,        ROLE_INTEGRATOR,  false },
	{ "POST", "/console/cli",             page_console_cli,           ROLE_INTEGRATOR,  true },
	{ "GET",  "/users",                   page_users_list,            ROLE_INTEGRATOR,  false },
	{ "POST", "/users",                   page_users_create,          ROLE_INTEGRATOR,  true },
	{ "POST", "/users/:id/disable",       page_users_disable,         ROLE_INTEGRATOR,  true },
	{ "POST", "/users/:id/enable",        page_users_enable,          ROLE_INTEGRATOR,  true },
	{ "POST", "/users/:id/password",      page_users_reset_password,  ROLE_INTEGRATOR,  true },
	{ "GET",  "/audit",                   page_audit,                 ROLE_INTEGRATOR,  false },
};
#pragma GCC diagnostic pop
const size_t route_count = sizeof routes / sizeof *routes;

/* Matches one path against a pattern; ":id" takes 1-18 digits without a leading zero. */
static bool match(const char *pattern, const char *path, int64_t *id)
{
	while (*pattern && *path) {
		if (strncmp(pattern, ":id", 3) == 0 && (pattern[3] == '/' || pattern[3] == '\0')) {
			size_t n = strspn(path, "0123456789");
			if (n == 0 || n > 18 || path[0] == '0' || (path[n] != '/' && path[n] != '\0'))
				return false;
			*id = strtoll(path, NULL, 10);
			path += n;
			pattern += 3;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

enum route_lookup route_find(const char *method, const char *path, const struct route **found, int64_t *id,
			     char *allow, size_t allow_len)
{
	bool path_known = false;
	if (allow_len)
		allow[0] = '\0';
	*id = 0;
	for (size_t i = 0; i < route_count; i++) {
		int64_t candidate = 0;
		if (!match(routes[i].pattern, path, &candidate))
			continue;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			*found = &routes[i];
			*id = candidate;
			return ROUTE_FOUND;
		}
		if (allow_len) {
			size_t n = strlen(allow);
			snprintf(allow + n, allow_len - n, "%s%s", n ? ", " : "", routes[i].method);
		}
		path_known = true;
	}
	return path_known ? ROUTE_WRONG_METHOD : ROUTE_NOT_FOUND;
}

bool route_takes_upload(const char *method, const char *path)
{
	const struct route *r = NULL;
	int64_t id;
	return strcmp(method, "POST") == 0 && route_find(method, path, &r, &id, NULL, 0) == ROUTE_FOUND && r->upload;
}
