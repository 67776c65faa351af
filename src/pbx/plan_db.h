/* plan_db: the routes dialplan as the database has it now: the routes in priority order and the live trunks,
 * made into the file by pbx_route_plan(). For the applier (what to write), the verification (what should be
 * there) and the preview page. Knows db and pbx. */
#ifndef PBX_PLAN_DB_H
#define PBX_PLAN_DB_H
#include <stddef.h>

#include "db/db.h"
#include "pbx/pbx.h"
#include "pbx/pbx_file.h"

/* Fills f (initialised by the caller). Returns 0, or -1 with err (a database error, or the plan's). */
int pbx_plan_from_db(const struct pbx_settings *s, struct db *db, struct pbx_file *f, char *err, size_t errlen);

#endif
