/* plan_db: the routes dialplan as the database has it now: the routes in priority order and the live trunks,
 * made into the file by pbx_route_plan(). For the applier (what to write), the verification (what should be
 * there), the preview page and the route tester. Knows db and pbx. */
#ifndef PBX_PLAN_DB_H
#define PBX_PLAN_DB_H
#include <stddef.h>

#include "db/db.h"
#include "pbx/pbx.h"
#include "pbx/pbx_file.h"
#include "pbx/route_plan.h"

/* What the dialplan is made of, read in one snapshot: the routes in priority order and the live trunks. */
struct pbx_plan_rows {
	struct route *routes;
	size_t n_routes, cap_routes;
	struct trunk_array trunks;
	struct pbx_plan_input in;   /* points at the two arrays */
};
/* Reads rows (zeroed by the caller). Returns 0, or -1 on a database error; pbx_plan_rows_free either way. */
int pbx_plan_rows_load(struct db *db, struct pbx_plan_rows *rows);
void pbx_plan_rows_free(struct pbx_plan_rows *rows);

/* Fills f (initialised by the caller). Returns 0, or -1 with err (a database error, or the plan's). */
int pbx_plan_from_db(const struct pbx_settings *s, struct db *db, struct pbx_file *f, char *err, size_t errlen);

#endif
