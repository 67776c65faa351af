/* plan_db: the routes dialplan from the database (see plan_db.h). */
#include "pbx/plan_db.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/routes.h"
#include "db/trunks.h"
#include "pbx/route_plan.h"

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
	struct pbx_plan_rows *rows = ctx;
	rows->routes = grow(rows->routes, rows->n_routes, &rows->cap_routes, sizeof *rows->routes);
	rows->routes[rows->n_routes++] = *r;
	return 0;
}

int pbx_plan_rows_load(struct db *db, struct pbx_plan_rows *rows)
{
	/* One snapshot for both lists: a trunk removed between them cannot leave a route naming it. */
	bool in_read = db_begin_read(db) == 0;
	int routes = routes_list(db, add_route, rows);
	int trunks = trunks_all(db, &rows->trunks);
	if (in_read)
		db_end(db);
	rows->in = (struct pbx_plan_input){ rows->routes, rows->n_routes, rows->trunks.items, rows->trunks.n };
	return routes < 0 || trunks < 0 ? -1 : 0;
}

void pbx_plan_rows_free(struct pbx_plan_rows *rows)
{
	free(rows->routes);
	trunk_array_free(&rows->trunks);
	memset(rows, 0, sizeof *rows);
}

int pbx_plan_from_db(const struct pbx_settings *s, struct db *db, struct pbx_file *f, char *err, size_t errlen)
{
	struct pbx_plan_rows rows = { 0 };
	int rc = 0;
	if (pbx_plan_rows_load(db, &rows) != 0) {
		snprintf(err, errlen, "database error");
		rc = -1;
	} else if (pbx_route_plan(s, &rows.in, f) != 0) {
		snprintf(err, errlen, "%s", f->err);
		rc = -1;
	}
	pbx_plan_rows_free(&rows);
	return rc;
}
