/* routes: the one table that maps a request to a page handler (see routes.c). */
#ifndef CGI_ROUTES_H
#define CGI_ROUTES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "pages.h"

struct route {
	const char *method;        /* "GET" or "POST" */
	const char *pattern;       /* exact path; a segment ":id" matches a positive decimal number */
	page_handler handler;
	enum user_role role;       /* ROLE_NONE = public; else the least role allowed */
	bool csrf;                 /* POST must carry the session's CSRF token */
	bool upload;               /* POST may be multipart/form-data with files, up to [web] max_upload bytes */
};

extern const struct route routes[];
extern const size_t route_count;

enum route_lookup { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_WRONG_METHOD };
/* Finds the route for method + path; sets *id from an ":id" segment. On ROUTE_WRONG_METHOD, allow
 * receives the methods the path accepts ("GET, POST"). */
enum route_lookup route_find(const char *method, const char *path, const struct route **found, int64_t *id,
			     char *allow, size_t allow_len);
/* True when method + path is a POST route with upload set: its body may be up to [web] max_upload bytes and
 * multipart/form-data. Known from the request line alone, so the server can choose the limit before reading. */
bool route_takes_upload(const char *method, const char *path);

#endif
