/* apply_files: the provisioning side of an apply: a phone's files rendered in memory (before anything is sent
 * to the PBX, so a value a template refuses stops the change first), written atomically, and the files a
 * phone no longer needs (old MAC or model, or removed) taken away. Internal to the applier. */
#ifndef PBX_APPLY_FILES_H
#define PBX_APPLY_FILES_H
#include <stdbool.h>

#include "db/phones.h"
#include "pbx/pbx.h"
#include "provision/provision.h"

/* Renders phone p's files. Returns 0, or -1 with msg (a value the templates refuse: retrying cannot help). */
int apply_files_render(const struct pbx_settings *s, struct provision_renderer *prov, const struct phone *p,
		       struct provision_output *out, char *msg, size_t len);
/* Writes the files of n live phones at once, made durable together (one filesystem sync instead of two fsyncs
 * a file: what an import's hundreds would pay). Returns 0, or -1 with msg (a file system error). */
int apply_files_write_many(const struct pbx_settings *s, const struct provision_output *const *outs, size_t n,
			   char *msg, size_t len);
/* Once p's files are written (a live phone), or when p is removed: takes away what its previous MAC/model or its
 * removal leaves stale. Returns 0, or -1 with msg. */
int apply_files_tidy(const struct pbx_settings *s, struct db *db, const struct phone *p, char *msg, size_t len);
/* Rewrites p's files if missing or different from a fresh rendering. Returns the number written. */
int apply_files_refresh(const struct pbx_settings *s, struct provision_renderer *prov, const struct phone *p);

#endif
