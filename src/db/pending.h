/* pending: what waits to be applied to the PBX, across phones, trunks and the routes dialplan, for the PBX status
 * page; and "retry now", which makes every waiting change due at once (those blocked need an edit, not a retry). */
#ifndef DB_PENDING_H
#define DB_PENDING_H
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

struct pending_item {
	const char *kind;         /* "phone", "trunk", "dialplan" */
	int64_t id;               /* the phone's or trunk's id; 1 for the dialplan */
	const char *label;        /* "205 (Ana Pérez)", "acme", "" for the dialplan */
	bool removal;             /* waiting to be taken off the PBX */
	const char *last_error;   /* "" while no attempt failed yet */
	int attempts;
	int64_t next_attempt_at;  /* Unix seconds; 0 = at the next round */
	bool blocked;             /* needs a person: not retried until edited */
};

/* Calls fn for at most limit waiting changes, oldest change first (strings valid during the call); fn returns
 * non-zero to stop. Returns how many there are in all, or -1. */
int pending_each(struct db *db, int limit, int (*fn)(void *ctx, const struct pending_item *it), void *ctx);

/* Makes every waiting change that is not blocked due now. Returns how many, or -1. */
int pending_retry_now(struct db *db);

#endif
