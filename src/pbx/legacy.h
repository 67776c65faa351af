/* legacy: moving phones out of the integrator's files. Releases before per-phone files (see PBX_DIR in pbx.h)
 * wrote each phone into pjsip.conf (or sip.conf) and gave it a [centralita-<ext>] context plus an include line
 * in extensions.conf; the pbx_owned table records those categories. pbx_legacy_migrate() removes them (only
 * those the table says Centralita created: anything else of those names stays), after emptying the new files
 * of the phones concerned so that Asterisk's merged view holds only the old copies, and marks those phones
 * drifted so the applier writes their own files. Runs from pbx_verify(); a no-op once done. */
#ifndef PBX_LEGACY_H
#define PBX_LEGACY_H
#include <stddef.h>

#include "ami/ami.h"
#include "db/db.h"
#include "pbx/pbx.h"

/* Returns AMI_OK (nothing left to move, or moved), or the status that stopped it with msg (tried again next
 * time). */
enum ami_status pbx_legacy_migrate(const struct pbx_settings *s, struct ami_pool *pool, struct db *db, int64_t now,
				   char *msg, size_t len);

#endif
