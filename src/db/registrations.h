/* registrations: which endpoints the PBX says are registered, and from where. Written only by the
 * registration watcher (src/pbx/registrations.c, from AMI events and contact lists); pages read it joined
 * to phones (src/db/phones.c). Every write reports failure, so the watcher can repair the table. */
#ifndef DB_REGISTRATIONS_H
#define DB_REGISTRATIONS_H
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct registration {
	const char *endpoint;   /* the phone's extension (pjsip AOR, chan_sip peer) */
	const char *address;    /* "192.0.2.5:5062" ("" when unknown) */
	const char *status;     /* the PBX's word for it: "Created", "Reachable", "Registered", ... */
};

/* Records one endpoint as registered (replacing what was known of it). Returns 0, or -1. */
int registrations_set(struct db *db, const char *endpoint, const char *address, const char *status, int64_t now);
/* Records one endpoint as not registered. Returns 0, or -1. */
int registrations_remove(struct db *db, const char *endpoint);
/* Replaces the whole table with list[0..n) (an endpoint listed twice keeps its last entry), in one
 * transaction: either the table is exactly the list, or it is left as it was and -1 is returned with
 * SQLite's reason in err. */
int registrations_replace(struct db *db, const struct registration *list, size_t n, int64_t now, char *err,
			  size_t errlen);

#endif
