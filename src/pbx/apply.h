/* apply: the reconciler. Makes Asterisk and the provisioning directory match what the database says about a
 * phone, through the AMI pool:
 *   0. the phone's values are checked by the form's rules, its extension against the integrator's own
 *      configuration (the snapshot of src/pbx/verify.h: Centralita never takes what it did not create), and
 *      its provisioning files are rendered in memory: anything that cannot go out stops the change before
 *      the PBX sees it (BLOCKED);
 *   1. the two files of its group (pbx_phone_files: four phones share them) are written whole from an empty
 *      source, with its new part and the other phones' parts as last written, and a reload of each module
 *      asked for (reload.h); a removed phone's part is left out. The group's other pending phones go in the
 *      same apply; a due round applies its groups in batches, two written at once. No reading first: the result is the same
 *      whatever the PBX holds, so applying twice changes nothing, an answer lost in transit is simply sent
 *      again, and a file a crash cut short is rebuilt;
 *   2. the provisioning files are written atomically (a batch's together, one filesystem sync for all),
 *      stale names removed;
 *   3. each part written is recorded, and the phone is marked applied (or, for a removal, deleted for good), or the failure is recorded with its
 *      kind (enum apply_outcome), which alone decides when it is tried again.
 * The applier's thread also verifies what the PBX holds (src/pbx/verify.h) at start, whenever CoreStatus or
 * the pool's reconnections say the PBX restarted or was reloaded by someone else, and every 10 minutes;
 * phones found missing are put back through the same path.
 *
 * Web workers hand a saved phone to applier_save(), which has the applier's own thread apply it and waits
 * for the outcome at most save_wait_ms (a frozen PBX never holds a web worker longer); the same thread
 * retries whatever is still pending every retry_interval seconds, or sooner when woken.
 *
 * The audit trail (db/audit.h): web requests record their own changes; the thread adds a row of its own (user
 * "centralita", action "phone.apply", "trunk.apply" or "route.apply") for what it applies by itself: a
 * pending change that a retry round applied, and a save whose requester stopped waiting (slow), whatever came
 * of it. Failed retries are not recorded (the change's row and its list say it is pending). */
#ifndef PBX_APPLY_H
#define PBX_APPLY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"
#include "db/db.h"
#include "pbx/pbx.h"
#include "provision/provision.h"

struct applier;

/* What became of an apply: retry decisions come from this kind, never from the message's words. */
enum apply_outcome {
	APPLY_DONE = 0,          /* the PBX and the files match the database */
	APPLY_RETRY,             /* the PBX is unreachable or an answer was lost: retried every retry_interval */
	APPLY_REFUSED,           /* Asterisk answered with an error: retried with a growing delay (up to 5 min) */
	APPLY_BLOCKED,           /* retrying cannot fix it (a value refused before sending, an extension that
				  * Asterisk already has outside Centralita): shown, not retried until edited */
};

struct apply_result {
	bool applied;            /* PBX and files now match the database for this phone */
	enum apply_outcome outcome;
	bool unreachable;        /* APPLY_RETRY because nothing could be sent: later phones would fail too */
	bool slow;               /* applier_save: no outcome within save_wait_ms; the apply goes on */
	bool loading;            /* applied: the files are written and their reload asked for, so the phone is live
				  * in a moment (applier_phone_loading), not yet */
	char message[300];       /* why not, in words (Asterisk's own message when it refused) */
	char conflict[200];      /* for an extension taken outside Centralita: where, e.g. "pjsip.conf [250]" */
	char object[80];         /* what was applied, for the audit trail: "phone 205", "trunk prov-a", "routes" */
	char ami[640];           /* the AMI actions sent, one per line ("UpdateConfig centralita/pjsip-3.conf",
				  * "Reload res_pjsip.so"), for the audit trail (db/audit.h); "" when nothing was sent */
};

/* What an apply's outcome told the user, in the audit trail's words: "applied", "still applying" (slow),
 * "pending: why", "blocked: why", "refused by Asterisk: why". */
void apply_result_describe(const struct apply_result *r, char *out, size_t len);
/* Appends r's AMI actions to the list in into (one per line; cut short, never overflowing). */
void apply_result_add_ami(char *into, size_t size, const struct apply_result *r);

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

/* What a web request calls after saving a phone: the applier's thread applies it (ahead of any retry round),
 * and the request waits for the outcome at most save_wait_ms; past that r says APPLY_RETRY with slow set,
 * while the apply goes on. A request never waits on the PBX longer than that. Thread-safe. */
void applier_save(struct applier *a, int64_t phone_id, struct apply_result *r);

/* applier_check_extension run by the applier's thread, waited for at most save_wait_ms (APPLIER_UNKNOWN
 * past that). For web requests. */
enum applier_check applier_check_extension_now(struct applier *a, const char *extension, char *where, size_t len);

/* Whether Asterisk already has configuration for extension that Centralita did not create (an endpoint or
 * aor of that name, its auth, or an "exten = <extension>,..." the integrator wrote where phones are dialled),
 * from the last verification's snapshot (made now if there is none); where receives e.g. "pjsip.conf [250]
 * (type=endpoint)". */
enum applier_check { APPLIER_FREE, APPLIER_TAKEN, APPLIER_UNKNOWN /* the PBX could not be read */ };
enum applier_check applier_check_extension(struct applier *a, struct db *db, const char *extension, int64_t now,
					   char *where, size_t len);

/* applier_check_extension for n extensions in one job of the applier's thread (a CSV import's dry run), waited
 * for at most save_wait_ms: verdict[i] and where[i] filled. Returns 0, or 1 when the thread did not answer in
 * time (every verdict APPLIER_UNKNOWN). */
int applier_check_extensions_now(struct applier *a, const char *const *extensions, size_t n,
				 enum applier_check *verdict, char (*where)[200]);

/* Verifies everything now (see src/pbx/verify.h); phones found missing are marked for the next round.
 * Returns the AMI status (msg on failure). Thread-safe; db is the caller's own connection. */
enum ami_status applier_verify(struct applier *a, struct db *db, char *msg, size_t len);

/* applier_verify run by the applier's thread for a web request, waited for at most wait_ms (the phones it
 * finds missing are then restored by the thread). Returns 0 done, 1 still running, -1 failed (msg). */
int applier_verify_now(struct applier *a, int wait_ms, char *msg, size_t len);

/* ---------- trunks and the routes dialplan (issue 10) ----------
 * The same path as a phone's: a trunk's file (pbx/trunk_config.h) or the routes dialplan file
 * (pbx/route_plan.h) written whole, its module reloaded, the outcome recorded in its row (db/trunks.h,
 * db/routes.h dialplan_state), retried by kind. A trunk's name must not be the integrator's (an endpoint, aor
 * or auth of the same name in the merged pjsip.conf: BLOCKED). Trunks are applied before the dialplan that
 * dials them. */

/* What a web request calls after saving a trunk (or removing it): as applier_save. */
void applier_save_trunk(struct applier *a, int64_t trunk_id, struct apply_result *r);
/* What a web request calls after changing a route (or anything the dialplan is made of): as applier_save. */
void applier_save_dialplan(struct applier *a, struct apply_result *r);

/* The live state of the trunks named in states[] (pbx/trunk_state.h), asked by the applier's thread and waited
 * for at most save_wait_ms: returns 0 with states filled, 1 if the PBX was too slow or unreachable (states
 * left unknown). For the trunks page. */
struct pbx_trunk_state;
int applier_trunk_states_now(struct applier *a, struct pbx_trunk_state *states, size_t n);

/* For the home page, in one job (so the page waits once): the PBX's version and start (pbx/pbx_info.h), then the
 * live state of the trunks named in states[0..n) (n may be 0), waited for at most wait_ms (capped at
 * save_wait_ms). Returns 0 when the thread finished in time: *info_ok says whether the PBX answered CoreSettings
 * and CoreStatus, *states_ok whether it listed the trunks; 1 when it did not (too slow, or the thread busy with a
 * save the PBX is slow to answer): nothing known. */
struct pbx_info;
int applier_overview_now(struct applier *a, int wait_ms, struct pbx_info *info, bool *info_ok,
			 struct pbx_trunk_state *states, size_t n, bool *states_ok);

/* The debug console's CLI box: an allowed command (pbx/cli.h; the caller checked it) run by the applier's thread,
 * waited for at most wait_ms. A command the thread reaches after its page stopped waiting is not sent. Returns 0
 * with *answer filled (its output moved in; cli_answer_free it), or 1 when the PBX did not answer in time (the
 * command may still run). */
struct cli_answer;
int applier_cli_now(struct applier *a, const char *command, int wait_ms, struct cli_answer *answer);

/* The routes dialplan as it is now in the database, as Asterisk will read it (for the preview page):
 * "[context]" and "exten => ..." lines into out. Returns 0, or -1 with err. Thread-safe; db is the caller's. */
struct buf;
int applier_dialplan_text(struct applier *a, struct db *db, struct buf *out, char *err, size_t errlen);

/* The drift check (issue 12): the verification's reading of everything Centralita manages, run by the
 * applier's thread without changing anything, waited for at most wait_ms. *items (the caller frees it) lists
 * what is not as Centralita made it. Returns 0 done, 1 still running (nothing listed), -1 failed (msg). */
struct pbx_drift;
int applier_drift_now(struct applier *a, int wait_ms, struct pbx_drift **items, size_t *n, char *msg, size_t len);

/* The drift check's "re-apply Centralita's version": a verification (what drifted is marked) and, in the same
 * job, the rewriting of everything it marked. Waited for at most wait_ms: 0 done, 1 still running, -1 failed
 * (msg). */
int applier_repair_now(struct applier *a, int wait_ms, char *msg, size_t len);

/* Whether phone_id's files are written but wait for their reload (saved; live in a moment). */
bool applier_phone_loading(struct applier *a, int64_t phone_id);
/* How many phones wait for a reload. */
size_t applier_phones_loading(struct applier *a);
/* Whether the last of those reloads failed (they are asked again later), with why in msg. */
bool applier_reload_failing(struct applier *a, char *msg, size_t len);

/* The AMI pool's state and connections (for the PBX status page). */
void applier_pool_stats(struct applier *a, struct ami_pool_stats *out);

/* "Retry now": every change waiting for the PBX that is not blocked is made due, and the thread woken. Returns
 * how many were waiting for a later attempt, or -1. db is the caller's. */
int applier_retry_now(struct applier *a, struct db *db);

/* Applies every due pending phone (what the background thread does each round). Returns how many were
 * applied, or -1 on a database error. */
int applier_apply_due(struct applier *a, struct db *db, int64_t now);

/* Rewrites the provisioning files of every live phone whose files are missing or differ from what its
 * template renders now (start-up check). Returns the number of files written, or -1. */
int applier_check_files(struct applier *a, struct db *db);

#endif
