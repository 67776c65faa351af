/* routes: the outbound routes the integrator configures, in priority order (the source of truth), and the
 * state of the one dialplan file they become on the PBX (centralita/dialplan-routes.conf, see pbx/route_plan.h).
 * A route has no apply state of its own: every change to a route (and to what the dialplan says of a trunk: its
 * creation, name, caller ID, call limit or removal, db/trunks.h; and to the calling classes) bumps the dialplan's
 * version in the same transaction; the dialplan is pending while applied_version < version. Edits carry the
 * version the user saw. Route names are unique regardless of ASCII case. */
#ifndef DB_ROUTES_H
#define DB_ROUTES_H
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

#define ROUTE_NAME_MAX (48 * 4 + 1)     /* 48 UTF-8 characters */
#define ROUTE_MAX_PATTERNS 16
#define ROUTE_PATTERN_MAX 80            /* DIALPATTERN_MAX_LEN + NUL */
#define ROUTE_MAX_TRUNKS 8
#define ROUTE_MAX_CLASSES 8
#define ROUTE_CLASS_MAX 16              /* = PBX_CLASS_NAME_MAX */
#define ROUTE_PREPEND_MAX 21            /* digits, '*', '#', '+' first */
#define ROUTE_CALLERID_MAX 21
#define ROUTE_ERROR_MAX 256

struct route {
	int64_t id;
	char name[ROUTE_NAME_MAX];
	int priority;                               /* 1 = tried first; unique, 1..n without gaps */
	char patterns[ROUTE_MAX_PATTERNS][ROUTE_PATTERN_MAX];
	int n_patterns;                             /* >= 1 */
	int strip;                                  /* leading digits removed from the number, 0..20 */
	char prepend[ROUTE_PREPEND_MAX];            /* put before what is left */
	char classes[ROUTE_MAX_CLASSES][ROUTE_CLASS_MAX];   /* calling classes that may use it */
	int n_classes;
	int64_t trunks[ROUTE_MAX_TRUNKS];           /* trunk ids, in failover order */
	int n_trunks;                               /* >= 1 */
	char callerid[ROUTE_CALLERID_MAX];          /* "" = the trunk's, else the caller's */
	int64_t version;
	int64_t created_at, updated_at;
};

enum routes_result {
	ROUTES_OK = 0,
	ROUTES_NOT_FOUND,
	ROUTES_DUP_NAME,
	ROUTES_CONFLICT,        /* someone else saved it since it was read */
	ROUTES_NO_TRUNK,        /* a trunk it lists does not exist (or is being removed) */
	ROUTES_DB_ERROR = -1,
};

/* Creates a route at the lowest priority (last tried); id out. Bumps the dialplan version. */
enum routes_result routes_create(struct db *db, const struct route *r, int64_t now, int64_t *id);
/* Changes the user fields (not the priority) if the version is still expected_version; bumps the dialplan. */
enum routes_result routes_update(struct db *db, const struct route *r, int64_t expected_version, int64_t now);
/* Deletes it (the priorities after it close the gap); bumps the dialplan. */
enum routes_result routes_delete(struct db *db, int64_t id, int64_t expected_version, int64_t now);
/* Swaps it with the route before (up) or after (down) it; at the top/bottom nothing changes (ROUTES_OK).
 * Checks expected_version of the route moved; bumps the route's and the dialplan's version. */
enum routes_result routes_move(struct db *db, int64_t id, bool up, int64_t expected_version, int64_t now);
enum routes_result routes_get(struct db *db, int64_t id, struct route *out);
/* Every route in priority order; fn gets each (non-zero stops). Returns the count or -1. */
int routes_list(struct db *db, int (*fn)(void *ctx, const struct route *r), void *ctx);
/* Names of the routes listing trunk_id, in priority order, joined by ", " into out (for "used by"): whole names
 * only, as many as fit; returns how many there are (or -1). */
int routes_using_trunk(struct db *db, int64_t trunk_id, char *out, size_t len);

/* ---------- the routes dialplan: one file, applied as a whole ---------- */

struct dialplan_state {
	int64_t version;                 /* bumped by every change that alters the file */
	int64_t applied_version;
	char applied_digest[65];
	char last_error[ROUTE_ERROR_MAX];
	int attempts;
	int64_t next_attempt_at;
	bool blocked;
	bool drifted;
	char drift_reason[ROUTE_ERROR_MAX];
	int64_t restored_at;
};

static inline bool dialplan_pending(const struct dialplan_state *d) { return d->applied_version < d->version; }

int dialplan_get(struct db *db, struct dialplan_state *out);
/* Bumps the version (e.g. the calling classes in the configuration changed). */
int dialplan_bump(struct db *db, int64_t now);
int dialplan_mark_applied(struct db *db, int64_t version, const char *digest, int64_t now);
int dialplan_mark_drifted(struct db *db, int64_t version, const char *reason);
int dialplan_mark_failed(struct db *db, int64_t version, const char *error, int64_t next_attempt_at, bool blocked);

#endif
