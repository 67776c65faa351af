/* app: what a page handler is given. A worker thread owns one `struct worker` (its own SQLite connection
 * and template cache); each request gets a `struct page` tying the worker, the request, the response and
 * the logged-in user together. Handlers read req, fill res, and use only the worker's resources. */
#ifndef CGI_APP_H
#define CGI_APP_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/config.h"
#include "pbx/apply.h"
#include "pbx/live_calls.h"
#include "pbx/pbx.h"
#include "db/db.h"
#include "db/users.h"
#include "web/request.h"
#include "web/render.h"

struct worker {
	const struct config *cfg;      /* shared, read-only */
	const struct pbx_settings *pbx; /* shared, read-only */
	struct applier *applier;       /* shared, thread-safe */
	struct live_calls *live;       /* shared, thread-safe: the calls in progress (pbx/live_calls.h) */
	struct db *db;                   /* this thread's connection */
	struct renderer *renderer;     /* this thread's template cache */
};

struct page {
	struct worker *w;
	struct request *req;
	struct response *res;
	int64_t now;                   /* seconds since the epoch, fixed for the request */
	bool logged_in;
	struct user user;
	unsigned char session_hash[32];
	char csrf[65];                 /* token every form of this response must carry */
	const char *lang;              /* "en" / "es" */
};

typedef void (*page_handler)(struct page *p);

/* Shows the error page with status and a message key under Lang.error. */
void page_error(struct page *p, int status, const char *message_key);
/* Copies a validated/failed form into the template data as Form.<def name>.<field>.value / .error. */
void page_form_to_hdf(struct page *p, const struct form_result *form);

/* After a change handed to the applier (trunks, routes): 303 to target + "?done=<what>" when it was applied,
 * "<what>_slow" when the PBX did not answer within save_wait (the apply goes on), "<what>_blocked" when it
 * cannot be applied as it is (the page shows why), else "<what>_pending" (retried automatically). */
void page_redirect_done(struct page *p, const char *target, const char *what, const struct apply_result *r);
/* The configured calling classes, in their configured order, as Classes.<i>.Name; Classes.<i>.Checked = 1 for
 * those in checked[0..n) (checked may be NULL). Templates give each its words from Lang.classes. */
void page_set_classes(struct page *p, const char (*checked)[PBX_CLASS_NAME_MAX], int n);

#endif
