/* page_home: the landing page after login: who you are and where things stand. */
#include "db/db.h"
#include "db/phones.h"
#include "routes.h"

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
	p->res->template = "home.cs";
}
