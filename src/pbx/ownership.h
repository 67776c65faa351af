/* ownership: which of the categories in the integrator's own files were created by Centralita. Releases before
 * per-phone files wrote phones there and recorded each category in the pbx_owned table (db/pbx_owned.h); only
 * those are ever removed from those files (src/pbx/legacy.c), anything else of the same name (an integrator's
 * hand-written [250] door phone) is foreign and stays.
 *
 * A claim (recorded by those releases just before a request that created a category) is settled here: if
 * Asterisk shows the category with exactly the lines sent (same digest), the request took effect and the
 * category is Centralita's; otherwise the claim is dropped and whatever holds that name is foreign. */
#ifndef PBX_OWNERSHIP_H
#define PBX_OWNERSHIP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"
#include "db/db.h"
#include "db/pbx_owned.h"

#define PBX_MAX_NAMES 8

/* SHA-256 (hex) of lines as "name=value\n" each: what a claim or an ownership row remembers. */
void pbx_lines_digest(const struct ami_cfg_line *lines, size_t n, char out[OWNED_DIGEST_HEX]);
/* The value of the type= line among lines, or "" (the ownership key of same-named pjsip sections). */
const char *pbx_lines_type(const struct ami_cfg_line *lines, size_t n);

/* Reads every category named names[i] from file through the pool into cur (appended; a missing file or
 * category adds nothing). Returns AMI_OK, or the failing status with msg. */
enum ami_status pbx_read_categories(struct ami_pool *pool, const char *file, const char *const *names, size_t n,
				    struct ami_config *cur, char *msg, size_t len);

/* The verdict on the categories of names[] that cur holds. */
struct pbx_ownership {
	bool foreign[PBX_MAX_NAMES];   /* some category of names[i] was not created by Centralita */
	bool ours[PBX_MAX_NAMES];      /* some category of names[i] was */
	char where[200];               /* the first foreign one, e.g. "pjsip.conf [250] (type=endpoint)" */
};

/* Classifies every category of cur named in names[] (settling claims, see above). Returns 0, or -1 on a
 * database error. */
int pbx_classify(struct db *db, const char *file, const struct ami_config *cur, const char *const *names, size_t n,
		 int64_t now, struct pbx_ownership *out);

#endif
