/* page_home: the landing page after login: who you are and where things stand (for integrators also the
 * trunks and the routes dialplan, which only they see). */
#include "db/db.h"
#include "db/phones.h"
#include "db/routes.h"
#include "db/trunks.h"
#include "pages.h"

/* trunks_list and routes_list return how many rows there are: nothing to do with each. */
static int count_trunk(void *ctx, const struct trunk *t)
{
	(void)ctx;
	(void)t;
	return 0;
}

static int count_route(void *ctx, const struct route *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

/* Trunks (live, and how many wait for the PBX) and routes, and whether the routes dialplan is applied. */
static void set_outbound(struct page *p)
{
	struct dialplan_state d;
	response_set_int(p->res, "Home.Trunks", trunks_list(p->w->db, count_trunk, NULL));
	response_set_int(p->res, "Home.TrunksPending", trunks_count_pending(p->w->db));
	response_set_int(p->res, "Home.Routes", routes_list(p->w->db, count_route, NULL));
	if (dialplan_get(p->w->db, &d) == 0 && dialplan_pending(&d))
		response_set(p->res, "Home.Dialplan", d.blocked ? "blocked" : "pending");
}

void page_home(struct page *p)
{
	const struct config *cfg = p->w->cfg;
	response_set_int(p->res, "Home.Users", users_count(p->w->db));
	response_set_int(p->res, "Home.Phones", phones_count_live(p->w->db));
	response_set_int(p->res, "Home.Pending", phones_count_pending(p->w->db));
	/* Of those, phones found missing on the PBX (a crash cut a file short): being restored. */
	response_set_int(p->res, "Home.Vanished", phones_count_drifted(p->w->db));
	/* Migrations ran at start-up, so the schema is this build's latest. */
	response_set_int(p->res, "Home.SchemaVersion", db_latest_version());
	response_setf(p->res, "Home.Pbx.Address", "%s:%d", cfg->ami_host, cfg->ami_port);
	response_set(p->res, "Home.Pbx.Tls", cfg->ami_tls ? "1" : "0");
	response_set(p->res, "Home.Pbx.Driver", cfg->asterisk_driver);
	if (p->user.role == ROLE_INTEGRATOR)
		set_outbound(p);
	p->res->template = "home.cs";
}
