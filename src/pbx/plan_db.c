/* plan_db: the routes dialplan from the database (see plan_db.h). */
#include "pbx/plan_db.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/routes.h"
#include "db/trunks.h"
#include "pbx/route_plan.h"

struct plan_rows {
	struct route *routes;
	size_t n_routes, cap_routes;
	struct trunk *trunks;
	size_t n_trunks, cap_trunks;
};

/* Grows an array of size-byte items to hold one more. */
static void *grow(void *items, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return items;
	*cap = *cap ? 2 * *cap : 8;
	void *more = realloc(items, *cap * size);
	if (!more)
		abort();
	return more;
}

static int add_route(void *ctx, const struct route *r)
{
	struct plan_rows *rows = ctx;
	rows->routes = grow(rows->routes, rows->n_routes, &rows->cap_routes, sizeof *rows->routes);
	rows->routes[rows->n_routes++] = *r;
	return 0;
}

static int add_trunk(void *ctx, const struct trunk *t)
{
	struct plan_rows *rows = ctx;
	rows->trunks = grow(rows->trunks, rows->n_trunks, &rows->cap_trunks, sizeof *rows->trunks);
	rows->trunks[rows->n_trunks++] = *t;
	return 0;
}

int pbx_plan_from_db(const struct pbx_settings *s, struct db *db, struct pbx_file *f, char *err, size_t errlen)
{
	struct plan_rows rows = { 0 };
	int rc = 0;
	/* One snapshot for both lists: a trunk removed between them cannot leave a route naming it. */
	bool in_read = db_begin_read(db) == 0;
	int routes = routes_list(db, add_route, &rows);
	int trunks = trunks_list(db, add_trunk, &rows);
	if (in_read)
		db_end(db);
	if (routes < 0 || trunks < 0) {
		snprintf(err, errlen, "database error");
		rc = -1;
	} else {
		struct pbx_plan_input in = { rows.routes, rows.n_routes, rows.trunks, rows.n_trunks };
		if (pbx_route_plan(s, &in, f) != 0) {
			snprintf(err, errlen, "%s", f->err);
			rc = -1;
		}
	}
	free(rows.routes);
	free(rows.trunks);
	return rc;
}
