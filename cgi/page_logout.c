/* page_logout: ends the session (row deleted, cookie cleared). */
#include "dispatch.h"
#include "routes.h"
#include "web/auth.h"

void page_logout(struct page *p)
{
	sessions_delete(p->w->db, p->session_hash);
	response_set_cookie(p->res, auth_session_cookie(p->req->https), "", 0, p->req->https);
	response_redirect(p->res, "/login");
}
