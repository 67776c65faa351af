/* page_pbx: the integrator's "check the PBX now": verifies that everything Centralita applied is still on the
 * PBX exactly (src/pbx/verify.h), as it does by itself after every restart or reload of Asterisk; phones found
 * missing are restored in the background. Redirects back to the phones list with the outcome. */
#include <stdio.h>

#include "audit_log.h"
#include "routes.h"

void page_pbx_verify(struct page *p)
{
	char msg[200], outcome[220];
	/* Waited for like a save ([asterisk] save_wait): a big PBX takes longer, and the check goes on. */
	int rc = applier_verify_now(p->w->applier, p->w->pbx->save_wait_ms, msg, sizeof msg);
	/* The check itself only reads the PBX; what it finds missing is put back by the applier's thread, which
	 * records those applies as its own rows. */
	snprintf(outcome, sizeof outcome, "%s%s", rc == 0 ? "verified" : rc > 0 ? "still checking" : "failed: ",
		 rc < 0 ? msg : "");
	audit_log(p, "pbx.verify", "PBX", "", NULL, outcome);
	response_redirect(p->res, rc == 0 ? "/phones?done=verified" : rc > 0 ? "/phones?done=verify_slow"
									      : "/phones?done=verify_failed");
}
