/* pbx_owned: the categories that releases before per-phone files created in the integrator's own files
 * (pjsip.conf, extensions.conf), so that only those are ever removed from there (src/pbx/legacy.c) and an
 * integrator's hand-written [250] door phone stays untouched. One row per category: its file, its name and its
 * type (the value of its type= line, "" if none: pjsip.conf gives an endpoint and an aor the same name). A
 * row was "claimed" from just before the request that created the category until Asterisk answered, "owned"
 * after a Success; the digest is the SHA-256 (hex) of the lines sent, "name=value\n" each, so a claim whose
 * answer was lost is settled by what Asterisk shows. Rows go once their category is removed. */
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
/* Records a category as owned with the digest of what it now holds. Returns 0 or -1. */
int owned_confirm(struct db *db, const char *file, const char *category, const char *type, const char *digest,
		  int64_t now);
/* Forgets a category: deleted by Centralita, or a claim Asterisk refused (only_claimed: leave it if owned).
 * type NULL: every category of that name in file. */
int owned_forget(struct db *db, const char *file, const char *category, const char *type, bool only_claimed);
/* Whether Centralita owns any category named category in file (any type): 1 yes, 0 no, -1 error. */
int owned_has_name(struct db *db, const char *file, const char *category);
/* Calls fn for every row (file, category, type), in file and category order; stops early if fn returns
 * non-zero. Returns 0, or -1 on error. */
int owned_each(struct db *db, int (*fn)(void *ctx, const char *file, const char *category, const char *type),
	       void *ctx);

#endif
