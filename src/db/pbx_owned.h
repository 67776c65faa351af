/* pbx_owned: the Asterisk configuration Centralita created, so that it never changes or deletes anything
 * else (an integrator's hand-written [250] door phone stays untouched). One row per category: its file, its
 * name and its type (the value of its type= line, "" if none: pjsip.conf gives an endpoint and an aor the
 * same name). A row is "claimed" from just before the request that creates the category until Asterisk
 * answers; "owned" after a Success. The digest is the SHA-256 (hex) of the lines sent, "name=value\n" each,
 * so a claim whose answer was lost is settled by what Asterisk shows. */
#ifndef DB_PBX_OWNED_H
#define DB_PBX_OWNED_H
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

#define OWNED_DIGEST_HEX 65

enum owned_state { OWNED_NONE = 0, OWNED_CLAIMED, OWNED_OWNED };

/* The state of one category, and its digest (if digest is not NULL). Returns the state, or -1 on error. */
int owned_get(struct db *db, const char *file, const char *category, const char *type,
	      char digest[OWNED_DIGEST_HEX]);
/* Claims a category about to be created (no change if it is already owned). Returns 0 or -1. */
int owned_claim(struct db *db, const char *file, const char *category, const char *type, const char *digest,
		int64_t now);
/* Records a category as owned with the digest of what it now holds. Returns 0 or -1. */
int owned_confirm(struct db *db, const char *file, const char *category, const char *type, const char *digest,
		  int64_t now);
/* Forgets a category: deleted by Centralita, or a claim Asterisk refused (only_claimed: leave it if owned).
 * type NULL: every category of that name in file. */
int owned_forget(struct db *db, const char *file, const char *category, const char *type, bool only_claimed);
/* Number of rows (for tests and status pages), or -1. */
int owned_count(struct db *db, enum owned_state state);

#endif
