/* audit_log: the one call a page handler makes after a change that reached the database or the PBX: a row
 * of the audit trail (db/audit.h) with the request's user, address and time, what was changed, the AMI actions
 * the applier sent, and the outcome the page told the user. A form refused by validation, a stale version or
 * a duplicate changed nothing and is not recorded. Secrets and passwords never reach it: the changes are built
 * with audit_diff_secret, which says "changed", never the value. */
#ifndef CGI_AUDIT_LOG_H
#define CGI_AUDIT_LOG_H

#include "app.h"
#include "db/audit.h"

/* A change with no apply of its own (a user's, a sensitive read, the PBX check): outcome in the trail's words
 * ("done", "shown", "verified", "failed: why"); ami the actions sent, or NULL. */
void audit_log(struct page *p, const char *action, const char *object, const char *changes, const char *ami,
	       const char *outcome);
/* A change handed to the applier: r's AMI actions, and its outcome as the page said it (apply_result_describe),
 * followed by note when there is one (e.g. " (not kept)"). */
void audit_log_apply(struct page *p, const char *action, const char *object, const char *changes,
		     const struct apply_result *r, const char *note);

#endif
