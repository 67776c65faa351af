/* routes: the one table that maps a request to a page handler (see routes.c). */
#ifndef CGI_ROUTES_H
#define CGI_ROUTES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"

struct route {
	const char *method;        /* "GET" or "POST" */
	const char *pattern;       /* exact path; a segment ":id" matches a positive decimal number */
	page_handler handler;
	enum user_role role;       /* ROLE_NONE = public; else the least role allowed */
	bool csrf;                 /* POST must carry the session's CSRF token */
};

extern const struct route routes[];
extern const size_t route_count;

enum route_lookup { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_WRONG_METHOD };
/* Finds the route for method + path; sets *id from an ":id" segment. On ROUTE_WRONG_METHOD, allow
 * receives the methods the path accepts ("GET, POST"). */
enum route_lookup route_find(const char *method, const char *path, const struct route **found, int64_t *id,
			     char *allow, size_t allow_len);

/* Page handlers (one file each: page_<name>.c). */
void page_home(struct page *p);
void page_login_form(struct page *p);
void page_login_submit(struct page *p);
void page_logout(struct page *p);
void page_language(struct page *p);
void page_phones_list(struct page *p);
void page_phones_new(struct page *p);
void page_phones_create(struct page *p);
void page_phones_show(struct page *p);
void page_phones_edit(struct page *p);
void page_phones_update(struct page *p);
void page_phones_delete_confirm(struct page *p);
void page_phones_delete(struct page *p);
void page_phones_reveal(struct page *p);
void page_phones_new_secret(struct page *p);
void page_pbx_verify(struct page *p);
void page_users_list(struct page *p);
void page_users_create(struct page *p);
void page_users_disable(struct page *p);
void page_users_enable(struct page *p);
void page_users_reset_password(struct page *p);

#endif
