/* apply: the reconciler. Makes Asterisk and the provisioning directory match what the database says
 * about a phone, through the AMI pool:
 *   1. the channel driver's file (pjsip.conf / sip.conf): GetConfig of the categories the phone's old
 *      and new extension own, diff against the wanted categories (ami_config_diff), one UpdateConfig
 *      with the difference and a reload of that one module;
 *   2. extensions.conf: the same for the phone's lines inside the internal context (line-level: other
 *      lines of that context belong to the integrator and are never touched);
 *   3. the provisioning files: rendered, written atomically, stale names removed;
 *   4. the phone is marked applied (or, for a removal, deleted for good).
 * Because every step diffs against the PBX's current state, applying twice changes nothing, a
 * half-applied change is completed by the next attempt, and an answer lost in transit is never replayed
 * blindly: the next attempt re-reads and sends only what is still missing.
 *
 * Web workers call applier_apply() right after saving (with their own database connection); a background
 * thread retries whatever is still pending every retry_interval seconds, or sooner when woken. */
#ifndef PBX_APPLY_H
#define PBX_APPLY_H
#include <stdbool.h>
#include <stdint.h>

#include "ami/ami.h"
#include "db/db.h"
#include "pbx/pbx.h"
#include "provision/provision.h"

struct applier;

struct apply_result {
	bool applied;            /* PBX and files now match the database for this phone */
	char message[300];       /* why not, in words (Asterisk's own message when it refused) */
};

/* pool and prov stay owned by the caller and must outlive the applier. */
struct applier *applier_new(const struct pbx_settings *s, struct ami_pool *pool, struct provision_renderer *prov,
			    const char *db_path, char *err, size_t errlen);
/* Starts the background thread: first rewrites missing or stale provisioning files, then retries pending
 * phones. Returns 0 or -1. */
int applier_start(struct applier *a);
/* Asks the background thread to look for pending work now. */
void applier_wake(struct applier *a);
/* Stops the thread (finishing the phone it is applying) and frees the applier. NULL is fine. */
void applier_free(struct applier *a);

/* Applies one phone now. Thread-safe; db is the caller's own connection. Records the outcome in the
 * database (applied, or the error and when to retry). */
void applier_apply(struct applier *a, struct db *db, int64_t phone_id, int64_t now, struct apply_result *r);

/* Applies every due pending phone (what the background thread does each round). Returns how many were
 * applied, or -1 on a database error. */
int applier_apply_due(struct applier *a, struct db *db, int64_t now);

/* Rewrites the provisioning files of every live phone whose files are missing or differ from what its
 * template renders now (start-up check). Returns the number of files written, or -1. */
int applier_check_files(struct applier *a, struct db *db);

#endif
