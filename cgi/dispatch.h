/* dispatch: turns a parsed request into a finished response: route lookup, session, role check, CSRF,
 * body parsing, the handler, then rendering and the security headers every response carries. */
#ifndef CGI_DISPATCH_H
#define CGI_DISPATCH_H
#include "app.h"

/* Header lines every response carries (CSP without inline script, no framing, no sniffing, no caching). */
extern const char dispatch_security_headers[];

/* req must have method/path/query/headers/body filled. res must be response_init'ed. On return res holds
 * status, headers and body (rendered), ready to be written. */
void dispatch(struct worker *w, struct request *req, struct response *res);

/* Starts a logged-in session for user (new random id: no fixation). Used by the login page. */
int dispatch_start_session(struct page *p, const struct user *user);

#endif
