/* apply: the reconciler (see apply.h). */
#include "pbx/apply.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/audit.h"
#include "db/pending.h"
#include "pbx/apply_files.h"
#include "pbx/apply_internal.h"
#include "pbx/phone_group.h"
#include "pbx/reload.h"
#include "pbx/verify.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"

#define DUE_BATCH 256
#define BATCH_GROUPS 16         /* groups applied between two looks at the queue (an import's: ~0.1 s) */
#define BOOT_CHECKS 3           /* verifications in a row without FullyBooted before Asterisk is taken as booted */
#define VERIFY_EVERY 600        /* seconds: a verification this often even if nothing says the PBX changed */

struct applier *applier_new(const struct pbx_settings *s, struct ami_pool *pool, struct provision_renderer *prov,
			    const char *db_path, char *err, size_t errlen)
{
	if (!pool || !prov) {
		snprintf(err, errlen, "applier: AMI pool and provisioning renderer are required");
		return NULL;
	}
	struct applier *a = calloc(1, sizeof *a);
	if (!a)
		abort();
	a->s = *s;
	a->pool = pool;
	a->prov = prov;
	snprintf(a->db_path, sizeof a->db_path, "%s", db_path);
	a->reloader = pbx_reloader_new(pool);
	pthread_mutex_init(&a->apply_lock, NULL);
	pthread_mutex_init(&a->files_lock, NULL);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->done_cv, &attr);
	pthread_condattr_destroy(&attr);
	return a;
}

/* ---------- what an apply did, in words (the audit trail) ---------- */

void apply_result_describe(const struct apply_result *r, char *out, size_t len)
{
	if (r->applied)
		snprintf(out, len, "applied");
	else if (r->slow)
		snprintf(out, len, "still applying");
	else if (r->outcome == APPLY_BLOCKED)
		snprintf(out, len, "blocked: %s", r->message);
	else if (r->outcome == APPLY_REFUSED)
		snprintf(out, len, "refused by Asterisk: %s", r->message);
	else
		snprintf(out, len, "pending: %s", r->message);
}

/* Appends one line to a list of AMI actions; a line that does not fit whole is left out, so the list is cut
 * short at a line's end, never in the middle of a file's name. */
static void ami_list_add(char *into, size_t size, const char *line)
{
	size_t used = strlen(into), n = strlen(line), sep = used ? 1 : 0;
	if (used + sep + n + 1 > size)
		return;
	if (sep)
		into[used++] = '\n';
	memcpy(into + used, line, n + 1);
}

void apply_result_add_ami(char *into, size_t size, const struct apply_result *r)
{
	for (const char *line = r->ami; *line;) {
		size_t n = strcspn(line, "\n");
		char one[160];
		snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one - 1 ? n : sizeof one - 1), line);
		ami_list_add(into, size, one);
		line += n + (line[n] == '\n');
	}
}

void apply_note_ami(struct apply_ctx *c, const char *fmt, ...)
{
	char line[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ami_list_add(c->r->ami, sizeof c->r->ami, line);
}

/* A row of the applier's own in the audit trail (apply.h): what it applied by itself, and why it did. */
static void audit_own(struct db *db, const char *action, const char *why, const struct apply_result *r)
{
	char outcome[400];
	apply_result_describe(r, outcome, sizeof outcome);
	struct audit_record rec = { .at = (int64_t)time(NULL), .user = "centralita", .address = "", .action = action,
				    .object = r->object, .changes = why, .ami = r->ami, .outcome = outcome };
	if (audit_add(db, &rec) < 0)
		log_warn("audit trail: %s %s not recorded: %s", action, r->object, db_errmsg(db));
}

void apply_audit_retry(struct db *db, const char *action, const struct apply_result *r)
{
	audit_own(db, action, "applied in the background: a change left pending", r);
}

/* ---------- one phone ---------- */

/* Records why the apply stopped and what kind of failure it is; returns -1. */
int apply_fail(struct apply_ctx *c, enum apply_outcome kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->r->message, sizeof c->r->message, fmt, ap);
	va_end(ap);
	c->r->outcome = kind;
	return -1;
}

/* Maps a failed AMI exchange onto the outcome kinds, with words for the user. */
int apply_fail_ami(struct apply_ctx *c, enum ami_status st, const char *what, const char *detail)
{
	switch (st) {
	case AMI_UNREACHABLE:
		c->r->unreachable = true;
		return apply_fail(c, APPLY_RETRY, "the PBX cannot be reached (%s)", detail);
	case AMI_UNKNOWN_OUTCOME:
		return apply_fail(c, APPLY_RETRY, "the connection to the PBX was lost during %s; it will be checked and retried",
			    what);
	case AMI_ERROR:
		return apply_fail(c, APPLY_REFUSED, "Asterisk refused %s: %s", what, detail);
	case AMI_INVALID:
		return apply_fail(c, APPLY_BLOCKED, "%s cannot be sent to Asterisk: %s", what, detail);
	case AMI_OK:
		break;
	}
	return apply_fail(c, APPLY_RETRY, "%s failed: %s", what, detail);
}

/* CoreStatus's start and last reload times (date and time each); false if it could not be asked. */
static bool pbx_times(struct applier *a, char started[48], char reloaded[48])
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "CoreStatus");
	struct ami_result r;
	ami_result_init(&r);
	bool ok = ami_pool_action(a->pool, &m, &r) == AMI_OK;
	if (ok) {
		const char *sd = ami_msg_get(r.response, "CoreStartupDate"), *stt = ami_msg_get(r.response, "CoreStartupTime");
		const char *rd = ami_msg_get(r.response, "CoreReloadDate"), *rt = ami_msg_get(r.response, "CoreReloadTime");
		snprintf(started, 48, "%.20s %.20s", sd ? sd : "", stt ? stt : "");
		snprintf(reloaded, 48, "%.20s %.20s", rd ? rd : "", rt ? rt : "");
	}
	ami_result_free(&r);
	ami_msg_free(&m);
	return ok;
}

/* Verifies everything now (see verify.h), under apply_lock. Returns the AMI status. */
enum ami_status apply_verify_locked(struct applier *a, struct db *db, char *msg, size_t len)
{
	/* Asterisk boots in seconds: a FullyBooted still missing after BOOT_CHECKS rechecks means a manager user
	 * that may not read "system" events (the README's has it), not a boot. */
	struct pbx_verify_report rep = { .assume_booted = a->booting_seen >= BOOT_CHECKS };
	struct ami_pool_stats stats;
	ami_pool_stats(a->pool, &stats);
	char started[48], reloaded[48];
	/* Files written but not reloaded yet would read as not loaded: their reloads first (a failure shows below). */
	char flush_msg[200];
	if (pbx_reloader_flush(a->reloader, PBX_RELOAD_PATIENCE_MS + 2000, flush_msg, sizeof flush_msg) != AMI_OK)
		log_info("verification: the reloads asked for did not run first: %s", flush_msg);
	uint64_t sent, done_before;
	pbx_reloader_counts(a->reloader, &sent, &done_before);
	bool have_times = pbx_times(a, started, reloaded);
	enum ami_status st = pbx_verify(&a->s, a->pool, db, &a->snap, &rep, msg, len);
	pbx_verify_report_free(&rep);   /* what drifted is in the log and the rows */
	if (st != AMI_OK) {
		log_warn("verification: %s", msg);
		return st;
	}
	if (have_times) {
		memcpy(a->started_seen, started, sizeof started);
		memcpy(a->reloaded_seen, reloaded, sizeof reloaded);
		a->own_done_seen = done_before;
	}
	if (rep.reloaded) {   /* the verification's own reloads, after the times were read: Centralita's too */
		pbx_reloader_note_sent(a->reloader);
		pbx_reloader_note_done(a->reloader);
	}
	a->losses_seen = stats.dropped + stats.connect_failures;
	a->booting_seen = rep.booting ? a->booting_seen + 1 : 0;
	if (a->booting_seen == BOOT_CHECKS)
		log_warn("verification: Asterisk never said it is fully booted: the manager user needs \"read = system\" "
			 "(see the README); taking it as booted");
	/* Phones left to the reloads of the drifted ones' rewriting are checked again once those are done. */
	a->next_verify = (int64_t)time(NULL) + (rep.recheck ? a->s.retry_interval : VERIFY_EVERY);
	int applied = rep.phones - rep.pending;
	if (rep.drifted)
		log_warn("verification: %d of %d applied phones found missing, changed or not loaded on the PBX; "
			 "restoring them", rep.drifted, applied);
	else if (!rep.not_loaded)
		log_info("verification: the %d applied phones are on the PBX as applied%s", applied,
			 rep.reloaded ? " (after a reload)" : "");
	if (rep.pending)
		log_info("verification: %d phones wait to be applied", rep.pending);
	if (rep.outdated)
		log_info("verification: %d phones, trunks or dialplans were written by an earlier release or with other "
			 "settings; they are being written again", rep.outdated);
	if (rep.not_loaded && rep.booting && !rep.assume_booted)
		log_info("verification: %d phones, trunks or routes are not loaded yet, but Asterisk is still booting: "
			 "checked again once it has", rep.not_loaded);
	else if (rep.not_loaded)
		log_info("verification: %d phones are not loaded yet; they will be once the damaged files are written "
			 "again", rep.not_loaded);
	if (a->snap.chan_not_loaded || a->snap.dial_not_loaded)
		log_err("Asterisk does not load Centralita's files: add the #tryinclude lines of the README");
	return AMI_OK;
}

/* Whether the PBX may have changed behind Centralita's back: restarted, reloaded by someone else, connections
 * lost since the last look (it may have restarted), or not verified for VERIFY_EVERY seconds. A new reload
 * time is Centralita's own when more reloads were sent (counted before each goes, read after CoreStatus) than
 * were done when a reload time was last taken as seen (reload.h); another's reload at the same moment waits for
 * the periodic check. */
static bool pbx_changed(struct applier *a)
{
	if (!a->snap.valid || (int64_t)time(NULL) >= a->next_verify)
		return true;
	struct ami_pool_stats stats;
	ami_pool_stats(a->pool, &stats);
	uint64_t sent, done_before;
	pbx_reloader_counts(a->reloader, &sent, &done_before);
	char started[48], reloaded[48];
	if (!pbx_times(a, started, reloaded))
		return false;   /* unreachable: nothing to verify against now */
	if (strcmp(started, a->started_seen) != 0 || stats.dropped + stats.connect_failures != a->losses_seen)
		return true;
	if (strcmp(reloaded, a->reloaded_seen) != 0) {
		uint64_t done_now;
		pbx_reloader_counts(a->reloader, &sent, &done_now);   /* sent: read after CoreStatus (reload.h) */
		if (sent <= a->own_done_seen)
			return true;   /* nothing of Centralita's since the last reload time taken as seen: another's */
		memcpy(a->reloaded_seen, reloaded, sizeof reloaded);
		a->own_done_seen = done_before;
	}
	return false;
}

/* Makes sure file exists (CreateConfig; "File exists" is fine): UpdateConfig refuses a missing destination.
 * Returns 0, or -1 with the failure recorded. */
int apply_create_file(struct apply_ctx *c, const char *file)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "CreateConfig");
	ami_msg_add(&m, "Filename", file);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(c->a->pool, &m, &r);
	if (st != AMI_UNREACHABLE)   /* unreachable: nothing was sent */
		apply_note_ami(c, "CreateConfig %s", file);
	int rc = 0;
	if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_FILE_EXISTS)
		st = AMI_OK;
	if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_NO_DIRECTORY)
		rc = apply_fail(c, APPLY_REFUSED, "Asterisk's configuration directory has no %s/ folder for Centralita's files: "
			  "create it (see the README)", PBX_DIR);
	else if (st != AMI_OK)
		rc = apply_fail_ami(c, st, "creating the phone's file", r.message);
	ami_result_free(&r);
	ami_msg_free(&m);
	return rc;
}

/* (apply_internal.h) The empty source the first update loads is made by the verification, and again by the
 * pool if it went missing. */
int apply_write_updates(struct apply_ctx *c, struct ami_update *ups, size_t n, bool may_be_missing, const char *what)
{
	if (n == 0)
		return 0;
	if (may_be_missing && apply_create_file(c, ups[0].dst) != 0)
		return -1;
	int rc = 0;
	size_t sent = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct ami_result r;
		ami_result_init(&r);
		enum ami_status st = ami_pool_update_config(c->a->pool, &ups[i], true, &r);
		sent += st != AMI_UNREACHABLE;   /* unreachable: nothing was sent */
		rc = st == AMI_OK ? 0 : apply_fail_ami(c, st, what, r.message);
		ami_result_free(&r);
	}
	/* One line for the file, however many actions it took (a big file is sent in several). */
	if (sent == 1)
		apply_note_ami(c, "UpdateConfig %s", ups[0].dst);
	else if (sent > 1)
		apply_note_ami(c, "UpdateConfig %s (%zu actions)", ups[0].dst, sent);
	return rc;
}

int apply_send_updates(struct apply_ctx *c, struct ami_update *ups, size_t n, bool may_be_missing, const char *module,
		       const char *what)
{
	if (n == 0)
		return 0;
	int rc = apply_write_updates(c, ups, n, may_be_missing, what);
	if (rc != 0)
		return rc;
	char msg[300];
	enum ami_refusal why;
	pbx_reloader_note_sent(c->a->reloader);
	enum ami_status st = pbx_reload(c->a->pool, module, &why, msg, sizeof msg);
	pbx_reloader_note_done(c->a->reloader);
	if (st != AMI_UNREACHABLE)
		apply_note_ami(c, "Reload %s", module);
	if (st == AMI_ERROR && why == AMI_REFUSAL_RELOAD_IN_PROGRESS)
		return apply_fail(c, APPLY_RETRY, "Asterisk was busy with other reloads for %d s; the change is written and "
			    "will be loaded at the next attempt", PBX_RELOAD_PATIENCE_MS / 1000);
	return st == AMI_OK ? 0 : apply_fail_ami(c, st, "the reload", msg);
}

int apply_send_file(struct apply_ctx *c, const struct pbx_file *f, const char *dst, bool may_be_missing,
		    const char *module, const char *what)
{
	struct ami_update *ups = NULL;
	size_t n = 0;
	char err[300];
	if (pbx_file_updates(f, dst, &ups, &n, err, sizeof err) != 0)
		return apply_fail(c, APPLY_BLOCKED, "%s cannot be written: %s", what, err);
	int rc = apply_send_updates(c, ups, n, may_be_missing, module, what);
	for (size_t i = 0; i < n; i++)
		ami_update_free(&ups[i]);
	free(ups);
	return rc;
}

/* Checks the phone against the rules and the integrator's configuration, before anything is sent. */
static int check_phone(struct apply_ctx *c)
{
	const struct phone *p = c->p;
	size_t at = 0;
	enum text_problem problem = text_check(&text_rule_phone_name, p->name, strlen(p->name), &at);
	if (problem)
		return apply_fail(c, APPLY_BLOCKED, "the name of phone %s %s (byte %zu): edit the phone", p->extension,
			    text_problem_text(problem), at);
	char where[200];
	if (pbx_snapshot_taken(&c->a->s, &c->a->snap, p->extension, where, sizeof where)) {
		snprintf(c->r->conflict, sizeof c->r->conflict, "%s", where);
		return apply_fail(c, APPLY_BLOCKED,
			    "extension %s is already configured in Asterisk outside Centralita (%s); Centralita leaves "
			    "it alone: choose another extension for this phone",
			    p->extension, where);
	}
	if (c->a->snap.chan_not_loaded || c->a->snap.dial_not_loaded)
		return apply_fail(c, APPLY_REFUSED,
			    "Asterisk does not load Centralita's files: %s needs the line \"#tryinclude %s/%s-*.conf\" "
			    "(see the README), then a reload",
			    c->a->snap.chan_not_loaded ? pbx_config_file(c->a->s.driver) : PBX_DIALPLAN_FILE, PBX_DIR,
			    c->a->snap.chan_not_loaded ? (c->a->s.driver == PBX_SIP ? "sip" : "pjsip") : "dialplan");
	return 0;
}

int64_t apply_retry_at(const struct applier *a, int attempts, enum apply_outcome kind, int64_t now)
{
	if (kind != APPLY_REFUSED)
		return now + a->s.retry_interval; /* PBX down or answer lost: try again as soon as it may be back */
	/* Asterisk said no: retrying at full speed would only repeat the refusal. Double up to 5 minutes. */
	int64_t delay = a->s.retry_interval;
	for (int i = 0; i < attempts && delay < REFUSED_MAX_DELAY; i++)
		delay *= 2;
	return now + (delay > REFUSED_MAX_DELAY ? REFUSED_MAX_DELAY : delay);
}

/* ---------- a group of phones (pbx.h: several share a pair of files) ---------- */

/* One phone of the group being applied now. */
struct member {
	struct phone p;
	struct apply_ctx ctx;
	struct provision_output files;
	struct buf chan, dial;           /* its new part of each file */
	char chan_digest[PBX_DIGEST_HEX], dial_digest[PBX_DIGEST_HEX];
	bool have;                       /* its row was read */
	bool ok;                         /* passed its checks: its new part goes in */
	bool send_chan, send_dial;       /* its part of that file changed (or moves out of files of its own) */
	bool wrote[2];                   /* its part is in the group's file (0: channel, 1: dialplan) now: recorded
					  * with the marks (group_finish) */
};

/* One group's apply (pbx_phone_group): the phones asked for (ids[0..n_asked)), then the group's other pending
 * phones (not blocked): its files are written once for all of them, and a removal waiting there (the extension
 * a new phone takes) goes with it. In three steps (apply_groups): the PBX's files, then the provisioning files of
 * every group of the batch made durable together, then the marks. */
struct group_apply {
	struct db *db;                   /* the connection of the worker writing it */
	int64_t ids[PBX_PHONES_PER_FILE];
	size_t n_asked, n;
	struct apply_result rs[PBX_PHONES_PER_FILE];
	struct member m[PBX_PHONES_PER_FILE];
	struct apply_ctx *first;         /* the first member that passed its checks: the group's writes are its */
	int rc;                          /* the group's files: 0 written, -1 failed (in first) */
	bool started;                    /* its write was tried (not: the PBX went away before its turn) */
};

/* Writes one of the group's files whole (c: the first member applied, where the AMI actions and a failure are
 * recorded). Returns 0, or -1 with the failure in c. */
static int write_group_file(struct apply_ctx *c, struct member *m, size_t n, bool chan, bool may_be_missing)
{
	char files[2][PBX_FILE_MAX], err[300];
	pbx_phone_files(&c->a->s, c->p->id, files[0], files[1]);
	struct pbx_new_part fresh[PBX_PHONES_PER_FILE];
	size_t n_fresh = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i].ok)
			fresh[n_fresh++] = (struct pbx_new_part){ m[i].p.id, buf_cstr(&m[i].chan), buf_cstr(&m[i].dial) };
	struct pbx_file f;
	pbx_file_init(&f);
	struct ami_update *ups = NULL;
	size_t n_ups = 0;
	int rc;
	if (pbx_group_file(c->db, c->p->id, chan, fresh, n_fresh, &f) != 0)
		rc = apply_fail(c, APPLY_RETRY, "database error");
	else if (*f.err || pbx_file_updates(&f, files[chan ? 0 : 1], &ups, &n_ups, err, sizeof err) != 0)
		rc = apply_fail(c, APPLY_BLOCKED, "%s cannot be written: %s", files[chan ? 0 : 1], *f.err ? f.err : err);
	else
		rc = apply_write_updates(c, ups, n_ups, may_be_missing, chan ? "the change" : "the dialplan change");
	for (size_t i = 0; i < n_ups; i++)
		ami_update_free(&ups[i]);
	free(ups);
	pbx_file_free(&f);
	return rc;
}

/* Empties the files of its own a phone had before groups (pbx_phone_own_files). Returns 0 or -1 (in c). */
static int empty_own_files(struct apply_ctx *c, int64_t phone_id)
{
	char files[2][PBX_FILE_MAX];
	pbx_phone_own_files(&c->a->s, phone_id, files[0], files[1]);
	struct pbx_file none;
	pbx_file_init(&none);
	int rc = 0;
	for (int f = 0; f < 2 && rc == 0; f++) {
		struct ami_update *ups = NULL;
		size_t n_ups = 0;
		char err[200];
		rc = pbx_file_updates(&none, files[f], &ups, &n_ups, err, sizeof err) != 0
			     ? apply_fail(c, APPLY_BLOCKED, "%s", err)
			     : apply_write_updates(c, ups, n_ups, true, "emptying the phone's former file");
		for (size_t i = 0; i < n_ups; i++)
			ami_update_free(&ups[i]);
		free(ups);
	}
	return rc;
}

/* Checks one member and makes its new part; its provisioning files are rendered first: a value the phones'
 * templates refuse stops the change before the PBX. Returns 0, or -1 with the failure in its result. */
static int prepare_member(struct applier *a, struct member *mb)
{
	struct apply_ctx *c = &mb->ctx;
	const struct phone *p = &mb->p;
	char msg[300];
	if (!p->deleted && check_phone(c) != 0)
		return -1;
	if (!p->deleted && apply_files_render(&a->s, a->prov, p, &mb->files, msg, sizeof msg) != 0)
		return apply_fail(c, APPLY_BLOCKED, "%s", msg);
	if (pbx_phone_part(&a->s, p, &mb->chan, &mb->dial, mb->chan_digest, mb->dial_digest, msg, sizeof msg) != 0)
		return apply_fail(c, APPLY_BLOCKED, "%s", msg);
	/* A part that has not changed since it was last written is not sent (nor its module reloaded):
	 * verification, not every save, is what finds a file changed behind Centralita's back. A removed phone
	 * whose part was never written has nothing to take out. */
	bool never = p->deleted && !*p->applied_extension && !*p->applied_chan_digest && !*p->applied_dial_digest;
	mb->send_chan = !never && (p->own_files || strcmp(mb->chan_digest, p->applied_chan_digest) != 0);
	mb->send_dial = !never && (p->own_files || strcmp(mb->dial_digest, p->applied_dial_digest) != 0);
	return 0;
}

/* Writes the group's files for the members that passed their checks (their new parts, the others' as they
 * are), asks for the reloads, notes which parts went out (member.wrote: recorded by group_finish, with the
 * marks), and empties files of their own of phones moving out of them.
 * Returns 0, or -1 with the failure in c (the first of them). */
static int write_group(struct applier *a, struct db *db, struct member *m, size_t n, struct apply_ctx *c)
{
	bool send[2] = { false, false }, missing[2] = { false, false };
	for (size_t i = 0; i < n; i++) {
		if (!m[i].ok)
			continue;
		send[0] |= m[i].send_chan;
		send[1] |= m[i].send_dial;
		/* Files never written (or found changed) may not exist: created first, which costs less than a
		 * refused UpdateConfig. */
		missing[0] |= m[i].send_chan && !*m[i].p.applied_chan_digest;
		missing[1] |= m[i].send_dial && !*m[i].p.applied_dial_digest;
	}
	const char *module[2] = { pbx_reload_module(a->s.driver), PBX_DIALPLAN_MODULE };
	int rc = 0;
	for (int f = 0; f < 2 && rc == 0; f++) {
		if (!send[f])
			continue;
		rc = write_group_file(c, m, n, f == 0, missing[f]);
		/* The reloads are the reloader's (reload.h): asked for here, run in a moment, shared with every
		 * write of the same short while, so a save costs the same with 10 phones or 1,000. */
		for (size_t i = 0; i < n && rc == 0; i++) {
			struct member *mb = &m[i];
			if (!mb->ok || !(f == 0 ? mb->send_chan : mb->send_dial))
				continue;
			pbx_reloader_request(a->reloader, module[f], mb->p.id);
			mb->ctx.r->loading = true;
			mb->wrote[f] = true;
		}
		if (rc == 0)
			apply_note_ami(c, "Reload %s (queued)", module[f]);
	}
	/* Phones of earlier releases: their part is in the group's files now, their own files are emptied. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!m[i].ok || !m[i].p.own_files)
			continue;
		rc = empty_own_files(c, m[i].p.id);
		if (rc == 0 && phones_clear_own_files(db, m[i].p.id) != 0)
			rc = apply_fail(c, APPLY_RETRY, "database error");
	}
	return rc;
}

/* Records a member's failure: shown, and retried according to its kind. */
static void member_failed(struct applier *a, struct db *db, struct member *mb, int64_t now)
{
	struct apply_result *r = mb->ctx.r;
	bool blocked = r->outcome == APPLY_BLOCKED;
	log_warn("phone %lld (%s): not applied%s: %s", (long long)mb->p.id, mb->p.extension,
		 blocked ? " (needs a person)" : "", r->message);
	phones_mark_failed(db, mb->p.id, mb->p.version, r->message,
			   blocked ? 0 : apply_retry_at(a, mb->p.attempts, r->outcome, now), blocked);
}

/* The first step of a group's apply: each phone checked, then the group's two files written whole once
 * (pbx.h). No reading first: a whole file from an empty source is the same whatever the PBX holds now, so
 * applying twice, after a lost answer or after a crash cut a file short, gives the same result. verified: how
 * the verification the batch needs went (msg: its words). */
static void group_write(struct applier *a, struct group_apply *g, int64_t now, enum ami_status verified,
			const char *msg)
{
	g->started = true;
	for (size_t i = 0; i < g->n; i++) {
		struct member *mb = &g->m[i];
		struct apply_result *r = &g->rs[i];
		/* Read after the verification, which may have marked this very phone drifted. */
		enum phones_result pr = phones_get(g->db, g->ids[i], &mb->p);
		if (pr == PHONES_NOT_FOUND) {
			r->applied = true; /* purged by a concurrent apply: nothing left to do */
			r->outcome = APPLY_DONE;
			continue;
		}
		if (pr != PHONES_OK) {
			snprintf(r->message, sizeof r->message, "database error");
			r->outcome = APPLY_RETRY;
			continue;
		}
		mb->have = true;
		mb->ctx = (struct apply_ctx){ .a = a, .db = g->db, .p = &mb->p, .now = now, .r = r };
		snprintf(r->object, sizeof r->object, "phone %s", mb->p.extension);
		mb->ok = (verified == AMI_OK ? prepare_member(a, mb)
					     : apply_fail_ami(&mb->ctx, verified, "reading the configuration", msg)) == 0;
		if (mb->ok && !g->first)
			g->first = &mb->ctx;
	}
	g->rc = g->first ? write_group(a, g->db, g->m, g->n, g->first) : 0;
	for (size_t i = 0; i < g->n; i++) {
		struct member *mb = &g->m[i];
		if (!mb->ok)
			continue;
		struct apply_result *r = mb->ctx.r;
		if (&mb->ctx != g->first) {   /* the group's writes were everyone's */
			apply_result_add_ami(r->ami, sizeof r->ami, g->first->r);
			if (g->rc != 0) {
				r->outcome = g->first->r->outcome;
				r->unreachable = g->first->r->unreachable;
				snprintf(r->message, sizeof r->message, "%s", g->first->r->message);
			}
		}
		mb->ok = g->rc == 0;
	}
}

/* The second step, for every group of a batch at once: the provisioning files of the phones whose PBX part was
 * written, made durable by one filesystem sync for all (an import's hundreds would otherwise pay one sync per
 * group), and the removed phones' files taken away. A member whose files failed is no longer ok. */
static void groups_write_files(struct applier *a, struct db *db, struct group_apply *gs, size_t k)
{
	size_t cap = k * PBX_PHONES_PER_FILE, n_outs = 0;
	const struct provision_output **outs = calloc(cap + 1, sizeof *outs);
	if (!outs)
		abort();
	for (size_t g = 0; g < k; g++)
		for (size_t i = 0; i < gs[g].n; i++)
			if (gs[g].m[i].ok && !gs[g].m[i].p.deleted)
				outs[n_outs++] = &gs[g].m[i].files;
	char msg[300];
	pthread_mutex_lock(&a->files_lock);
	int written = n_outs ? apply_files_write_many(&a->s, outs, n_outs, msg, sizeof msg) : 0;
	for (size_t g = 0; g < k; g++)
		for (size_t i = 0; i < gs[g].n; i++) {
			struct member *mb = &gs[g].m[i];
			if (!mb->ok)
				continue;
			char why[300];
			if (written != 0 && !mb->p.deleted) {
				apply_fail(&mb->ctx, APPLY_RETRY, "%s", msg);
				mb->ok = false;
			} else if (apply_files_tidy(&a->s, db, &mb->p, why, sizeof why) != 0) {
				apply_fail(&mb->ctx, APPLY_RETRY, "%s", why);
				mb->ok = false;
			}
		}
	pthread_mutex_unlock(&a->files_lock);
	free(outs);
}

/* The last step: each phone's parts recorded as written (whatever came after: they are in the files), then the
 * phone marked applied (or purged, when removed), or its failure recorded. */
static void group_finish(struct applier *a, struct db *db, struct group_apply *g, int64_t now)
{
	for (size_t i = 0; i < g->n; i++) {
		struct member *mb = &g->m[i];
		struct apply_result *r = &g->rs[i];
		for (int f = 0; f < 2; f++)
			if (mb->wrote[f] && phones_set_part(db, mb->p.id, f == 0, f == 0 ? mb->chan_digest : mb->dial_digest,
							    buf_cstr(f == 0 ? &mb->chan : &mb->dial)) != 0 && mb->ok) {
				apply_fail(&mb->ctx, APPLY_RETRY, "database error");
				mb->ok = false;
			}
		if (mb->ok) {
			const struct phone *p = &mb->p;
			int drc = p->deleted ? phones_purge(db, p->id, p->version)
					     : phones_mark_applied(db, p->id, p->version, p->extension, p->mac, p->model, now);
			if (drc == 0) {
				r->applied = true;
				r->outcome = APPLY_DONE;
			} else {
				snprintf(r->message, sizeof r->message, "database error");
				r->outcome = APPLY_RETRY;
				mb->ok = false;
			}
		}
		if (mb->have && !mb->ok && !r->applied)
			member_failed(a, db, mb, now);
		provision_output_free(&mb->files);
		buf_free(&mb->chan);
		buf_free(&mb->dial);
	}
}

/* The batch's marks did not commit: none of its phones is applied (each stays due and is written again, which
 * changes nothing that was written). */
static void batch_lost(struct group_apply *gs, size_t k)
{
	for (size_t g = 0; g < k; g++)
		for (size_t i = 0; i < gs[g].n; i++)
			if (gs[g].rs[i].applied) {
				gs[g].rs[i].applied = false;
				gs[g].rs[i].outcome = APPLY_RETRY;
				snprintf(gs[g].rs[i].message, sizeof gs[g].rs[i].message, "database error");
			}
}

/* Fills g's other ids: the group's pending phones besides those asked for (under apply_lock). */
static void group_collect(struct db *db, struct group_apply *g)
{
	int64_t pending[PBX_PHONES_PER_FILE], first, last;
	g->n = g->n_asked;
	pbx_phone_group(g->ids[0], &first, &last);
	int np = phones_group_pending(db, first, last, pending, PBX_PHONES_PER_FILE);
	for (int i = 0; i < np && g->n < PBX_PHONES_PER_FILE; i++) {
		bool asked = false;
		for (size_t j = 0; j < g->n_asked && !asked; j++)
			asked = g->ids[j] == pending[i];
		if (!asked)
			g->ids[g->n++] = pending[i];
	}
}

/* The workers of one batch: each takes the next group not taken yet, on its own connection, until none is
 * left or the PBX is found gone (the rest would fail the same way: their turn comes next round). */
struct batch {
	struct applier *a;
	struct group_apply *gs;
	size_t k;
	int64_t now;
	enum ami_status verified;
	const char *msg;
	pthread_mutex_t mu;
	size_t next;
	bool unreachable;
};

static void batch_work(struct batch *b, struct db *db)
{
	for (;;) {
		pthread_mutex_lock(&b->mu);
		size_t i = b->next;
		bool go = i < b->k && !b->unreachable;
		b->next += go;
		pthread_mutex_unlock(&b->mu);
		if (!go)
			return;
		struct group_apply *g = &b->gs[i];
		g->db = db;
		group_write(b->a, g, b->now, b->verified, b->msg);
		bool unreachable = false;
		for (size_t j = 0; j < g->n; j++)
			unreachable |= g->rs[j].unreachable;
		if (unreachable) {
			pthread_mutex_lock(&b->mu);
			b->unreachable = true;
			pthread_mutex_unlock(&b->mu);
		}
	}
}

struct worker {
	struct batch *b;
	struct db *db;
	pthread_t thread;
	bool running;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	batch_work(w->b, w->db);
	return NULL;
}

/* Applies gs[0..k) (each: ids[0..n_asked) of one group; outcomes in rs) under the apply lock. The groups' PBX
 * files are written by up to APPLY_WORKERS at once (their files and phones are disjoint, and Asterisk answers
 * each manager session on a thread of its own), then their provisioning files made durable together, then
 * their phones marked. A group the PBX's going away left untried stays due, as it was. */
static void apply_groups(struct applier *a, struct db *db, struct group_apply *gs, size_t k, int64_t now)
{
	char msg[300] = "";
	pthread_mutex_lock(&a->apply_lock);
	struct batch b = { .a = a, .gs = gs, .k = k, .now = now, .msg = msg };
	pthread_mutex_init(&b.mu, NULL);
	b.verified = a->snap.valid ? AMI_OK : apply_verify_locked(a, db, msg, sizeof msg);
	for (size_t g = 0; g < k; g++)
		group_collect(db, &gs[g]);
	/* Workers only for a verified snapshot: a failed verification fails every phone at once anyway. */
	struct worker w[APPLY_WORKERS - 1];
	size_t helpers = b.verified == AMI_OK && k > 1 ? (k - 1 < APPLY_WORKERS - 1 ? k - 1 : APPLY_WORKERS - 1) : 0;
	for (size_t i = 0; i < helpers; i++) {
		w[i] = (struct worker){ .b = &b, .db = a->worker_db[i] };
		w[i].running = w[i].db && pthread_create(&w[i].thread, NULL, worker_main, &w[i]) == 0;
	}
	batch_work(&b, db);
	for (size_t i = 0; i < helpers; i++)
		if (w[i].running)
			pthread_join(w[i].thread, NULL);
	pthread_mutex_destroy(&b.mu);
	groups_write_files(a, db, gs, k);
	/* One transaction for the batch's marks: hundreds of an import's phones in one commit. */
	bool tx = db_begin_write(db) == 0;
	for (size_t g = 0; g < k; g++)
		if (gs[g].started)
			group_finish(a, db, &gs[g], now);
	if (tx && !db_commit_or_rollback(db, true))
		batch_lost(gs, k);
	pthread_mutex_unlock(&a->apply_lock);
	/* The audit rows of the phones a group's apply took along (those asked for are the caller's). */
	for (size_t g = 0; g < k; g++)
		for (size_t i = gs[g].n_asked; i < gs[g].n; i++)
			if (gs[g].rs[i].applied)
				apply_audit_retry(db, "phone.apply", &gs[g].rs[i]);
}

/* Applies ids[0..n), all of one group, with its other pending phones; outcomes of ids[] in rs[]. */
static void apply_group(struct applier *a, struct db *db, const int64_t *ids, size_t n, int64_t now,
			struct apply_result *rs)
{
	struct group_apply *g = calloc(1, sizeof *g);
	if (!g)
		abort();
	memcpy(g->ids, ids, n * sizeof *ids);
	g->n_asked = n;
	apply_groups(a, db, g, 1, now);
	memcpy(rs, g->rs, n * sizeof *rs);
	free(g);
}

void applier_apply(struct applier *a, struct db *db, int64_t phone_id, int64_t now, struct apply_result *r)
{
	apply_group(a, db, &phone_id, 1, now, r);
}

enum ami_status applier_verify(struct applier *a, struct db *db, char *msg, size_t len)
{
	pthread_mutex_lock(&a->apply_lock);
	enum ami_status st = apply_verify_locked(a, db, msg, len);
	pthread_mutex_unlock(&a->apply_lock);
	return st;
}

/* ---------- checking an extension before a phone takes it ---------- */

enum applier_check applier_check_extension(struct applier *a, struct db *db, const char *extension, int64_t now,
					   char *where, size_t len)
{
	(void)now;
	char msg[300];
	pthread_mutex_lock(&a->apply_lock);
	enum applier_check verdict = APPLIER_UNKNOWN;
	if (a->snap.valid || apply_verify_locked(a, db, msg, sizeof msg) == AMI_OK)
		verdict = pbx_snapshot_taken(&a->s, &a->snap, extension, where, len) ? APPLIER_TAKEN : APPLIER_FREE;
	pthread_mutex_unlock(&a->apply_lock);
	return verdict;
}

/* JOB_CHECK_MANY: every extension against one snapshot (made now if there is none), under one lock. */
static void check_many(struct applier *a, struct db *db, struct check_many *m)
{
	char msg[300];
	pthread_mutex_lock(&a->apply_lock);
	bool known = a->snap.valid || apply_verify_locked(a, db, msg, sizeof msg) == AMI_OK;
	for (size_t i = 0; i < m->n; i++)
		m->verdict[i] = !known ? APPLIER_UNKNOWN
			      : pbx_snapshot_taken(&a->s, &a->snap, m->extension[i], m->where[i], sizeof m->where[i])
				      ? APPLIER_TAKEN
				      : APPLIER_FREE;
	pthread_mutex_unlock(&a->apply_lock);
}

/* The drift check: the verification's reading and comparing, changing nothing, with a snapshot of its own (the
 * thread's, and its record of the PBX's restarts, stay as the last real verification left them). */
static enum ami_status drift_check(struct applier *a, struct db *db, struct pbx_drift **items, size_t *n, char *msg,
				   size_t len)
{
	struct pbx_snapshot own = { 0 };
	struct pbx_verify_report rep = { .dry_run = true };
	pthread_mutex_lock(&a->apply_lock);
	enum ami_status st = pbx_verify(&a->s, a->pool, db, &own, &rep, msg, len);
	pthread_mutex_unlock(&a->apply_lock);
	pbx_snapshot_free(&own);
	*items = rep.drift;
	*n = rep.n_drift;
	return st;
}

/* ---------- work handed over by web requests ---------- */

static void job_release_locked(struct apply_job *j)
{
	if (--j->refs == 0) {
		if (j->cli)
			cli_answer_free(&j->cli->answer);
		free(j->cli);
		if (j->many) {
			free(j->many->extension);
			free(j->many->verdict);
			free(j->many->where);
			free(j->many);
		}
		free(j->states);
		free(j->drift);
		free(j);
	}
}

/* Puts j at the end of the queue and wakes the thread. */
static void job_enqueue(struct applier *a, struct apply_job *j)
{
	pthread_mutex_lock(&a->mu);
	if (a->queue_tail)
		a->queue_tail->next = j;
	else
		a->queue_head = j;
	a->queue_tail = j;
	a->wake = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* Queues a job for the thread (the caller keeps one reference). */
static struct apply_job *job_submit(struct applier *a, enum job_kind kind, int64_t phone_id, const char *extension)
{
	struct apply_job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->kind = kind;
	j->phone_id = phone_id;
	if (extension)
		snprintf(j->extension, sizeof j->extension, "%.*s", PHONE_EXT_MAX - 1, extension);
	j->refs = 2;
	j->check = APPLIER_UNKNOWN;
	job_enqueue(a, j);
	return j;
}

/* Queues a JOB_TRUNK_STATES (or JOB_OVERVIEW) with its own copy of states (names set). */
static struct apply_job *job_submit_with_states(struct applier *a, const struct pbx_trunk_state *states, size_t n,
						enum job_kind kind)
{
	struct pbx_trunk_state *copy = malloc(n ? n * sizeof *copy : 1);
	if (!copy)
		abort();
	if (n)
		memcpy(copy, states, n * sizeof *copy);
	/* The copy is in place before the thread can see the job: job_submit publishes it under the mutex. */
	struct apply_job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->kind = kind;
	j->states = copy;
	j->n_states = n;
	j->refs = 2;
	j->check = APPLIER_UNKNOWN;
	job_enqueue(a, j);
	return j;
}

/* Waits up to wait_ms for j; copies its outcome out (and its trunk states into states, if given) with done =
 * true if it finished in time. Lets go of j. */
static bool job_wait(struct applier *a, struct apply_job *j, int wait_ms, struct apply_job *out,
		     struct pbx_trunk_state *states)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->mu);
	while (!j->done && pthread_cond_timedwait(&a->done_cv, &a->mu, &until) == 0)
		;
	bool done = j->done;
	if (done) {
		*out = *j;
		out->states = NULL;   /* the job's own, freed with it */
		j->drift = NULL;      /* handed over to the waiter */
		j->n_drift = 0;
		j->cli = NULL;        /* the answer is the requester's now */
		j->many = NULL;       /* so are the verdicts */
		if (states && j->states && j->n_states)
			memcpy(states, j->states, j->n_states * sizeof *states);
	}
	job_release_locked(j);
	pthread_mutex_unlock(&a->mu);
	return done;
}

static int apply_due_round(struct applier *a, struct db *db, int64_t now, bool serve_queue);

/* Runs every queued job (on the thread). Returns how many phones were applied. */
static int run_queued(struct applier *a, struct db *db)
{
	int applied = 0;
	for (;;) {
		pthread_mutex_lock(&a->mu);
		struct apply_job *j = a->queue_head;
		if (j) {
			a->queue_head = j->next;
			if (!a->queue_head)
				a->queue_tail = NULL;
		}
		pthread_mutex_unlock(&a->mu);
		if (!j)
			return applied;
		int64_t now = (int64_t)time(NULL);
		if (j->kind == JOB_APPLY) {
			applier_apply(a, db, j->phone_id, now, &j->result);
			applied += j->result.applied;
		} else if (j->kind == JOB_CHECK) {
			j->check = applier_check_extension(a, db, j->extension, now, j->where, sizeof j->where);
		} else if (j->kind == JOB_CHECK_MANY) {
			check_many(a, db, j->many);
		} else if (j->kind == JOB_TRUNK || j->kind == JOB_DIALPLAN) {
			pthread_mutex_lock(&a->apply_lock);
			if (j->kind == JOB_TRUNK)
				apply_trunk_locked(a, db, j->phone_id, now, &j->result);
			else
				apply_dialplan_locked(a, db, now, &j->result);
			pthread_mutex_unlock(&a->apply_lock);
		} else if (j->kind == JOB_TRUNK_STATES) {
			char msg[200];
			j->verified = pbx_trunk_states(a->pool, j->states, j->n_states, msg, sizeof msg);
		} else if (j->kind == JOB_OVERVIEW) {
			char msg[200];
			/* Its page stopped waiting (refs: the queue's alone): nobody would read the answer, and a PBX
			 * that hangs would hold this thread on it for nothing, once per page load. */
			pthread_mutex_lock(&a->mu);
			bool abandoned = j->refs == 1;
			pthread_mutex_unlock(&a->mu);
			j->info_status = j->verified = AMI_UNREACHABLE;
			if (!abandoned)
				j->info_status = pbx_info_read(a->pool, &j->info, msg, sizeof msg);
			/* A PBX that did not answer those would not answer the trunks' questions either. */
			if (j->info_status == AMI_OK || j->info_status == AMI_ERROR)
				j->verified = j->n_states ? pbx_trunk_states(a->pool, j->states, j->n_states, msg,
									      sizeof msg)
							  : AMI_OK;
		} else if (j->kind == JOB_DRIFT) {
			j->verified = drift_check(a, db, &j->drift, &j->n_drift, j->where, sizeof j->where);
		} else if (j->kind == JOB_REPAIR) {
			/* The verification marks what drifted; putting it back belongs to the same job, so that the
			 * page the integrator is sent to next finds it done. */
			j->verified = applier_verify(a, db, j->where, sizeof j->where);
			if (j->verified == AMI_OK && apply_due_round(a, db, now, false) < 0) {
				j->verified = AMI_ERROR;
				snprintf(j->where, sizeof j->where, "database error");
			}
		} else if (j->kind == JOB_CLI) {
			/* As for the overview: a command nobody waits for any more is not sent late. */
			pthread_mutex_lock(&a->mu);
			bool abandoned = j->refs == 1;
			pthread_mutex_unlock(&a->mu);
			if (!abandoned)
				pbx_cli_run(a->pool, j->cli->command, &j->cli->answer);
		} else {
			j->verified = applier_verify(a, db, j->where, sizeof j->where);
		}
		pthread_mutex_lock(&a->mu);
		j->done = true;
		/* Nobody waits for it any more (the page said "still applying"): what came of it is the thread's. */
		bool abandoned = j->refs == 1;
		enum job_kind kind = j->kind;
		struct apply_result result = j->result;
		pthread_cond_broadcast(&a->done_cv);
		job_release_locked(j);
		pthread_mutex_unlock(&a->mu);
		if (abandoned && (kind == JOB_APPLY || kind == JOB_TRUNK || kind == JOB_DIALPLAN))
			audit_own(db, kind == JOB_APPLY ? "phone.apply" : kind == JOB_TRUNK ? "trunk.apply" : "route.apply",
				  "applied in the background: a save the page stopped waiting for", &result);
	}
}

/* A save's job handed to the thread and waited for at most save_wait_ms. */
static void save_job(struct applier *a, enum job_kind kind, int64_t id, struct apply_result *r)
{
	struct apply_job *j = job_submit(a, kind, id, NULL), out;
	if (job_wait(a, j, a->s.save_wait_ms, &out, NULL)) {
		*r = out.result;
		return;
	}
	memset(r, 0, sizeof *r);
	r->outcome = APPLY_RETRY;
	r->slow = true;
	snprintf(r->message, sizeof r->message, "the PBX is slow to answer");
}

void applier_save(struct applier *a, int64_t phone_id, struct apply_result *r)
{
	save_job(a, JOB_APPLY, phone_id, r);
}

void applier_save_trunk(struct applier *a, int64_t trunk_id, struct apply_result *r)
{
	save_job(a, JOB_TRUNK, trunk_id, r);
}

void applier_save_dialplan(struct applier *a, struct apply_result *r)
{
	save_job(a, JOB_DIALPLAN, 0, r);
}

int applier_trunk_states_now(struct applier *a, struct pbx_trunk_state *states, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		states[i].reg = PBX_TRUNK_REG_NONE;
		states[i].reach = PBX_TRUNK_REACH_UNKNOWN;
		states[i].detail[0] = '\0';
	}
	if (n == 0)
		return 0;
	struct apply_job *j = job_submit_with_states(a, states, n, JOB_TRUNK_STATES), out;
	if (!job_wait(a, j, a->s.save_wait_ms, &out, states))
		return 1;
	return out.verified == AMI_OK ? 0 : 1;
}

int applier_overview_now(struct applier *a, int wait_ms, struct pbx_info *info, bool *info_ok,
			 struct pbx_trunk_state *states, size_t n, bool *states_ok)
{
	memset(info, 0, sizeof *info);
	*info_ok = *states_ok = false;
	for (size_t i = 0; i < n; i++) {
		states[i].reg = PBX_TRUNK_REG_NONE;
		states[i].reach = PBX_TRUNK_REACH_UNKNOWN;
		states[i].detail[0] = '\0';
	}
	/* The trunk states' job with a kind of its own: the same copy-in, copy-out of states. */
	struct apply_job *j = job_submit_with_states(a, states, n, JOB_OVERVIEW), out;
	if (!job_wait(a, j, wait_ms < a->s.save_wait_ms ? wait_ms : a->s.save_wait_ms, &out, states))
		return 1;
	*info = out.info;
	*info_ok = out.info_status == AMI_OK;
	*states_ok = out.verified == AMI_OK;
	return 0;
}

int applier_cli_now(struct applier *a, const char *command, int wait_ms, struct cli_answer *answer)
{
	struct cli_job *cj = calloc(1, sizeof *cj);
	struct apply_job *j = calloc(1, sizeof *j);
	if (!cj || !j)
		abort();
	snprintf(cj->command, sizeof cj->command, "%s", command);
	cli_answer_init(&cj->answer);
	j->kind = JOB_CLI;
	j->cli = cj;
	j->refs = 2;
	job_enqueue(a, j);
	struct apply_job out;
	if (!job_wait(a, j, wait_ms, &out, NULL))
		return 1;
	cli_answer_free(answer);
	*answer = out.cli->answer;
	free(out.cli);
	return 0;
}

enum applier_check applier_check_extension_now(struct applier *a, const char *extension, char *where, size_t len)
{
	struct apply_job *j = job_submit(a, JOB_CHECK, 0, extension), out;
	if (!job_wait(a, j, a->s.save_wait_ms, &out, NULL))
		return APPLIER_UNKNOWN;
	snprintf(where, len, "%s", out.where);
	return out.check;
}

int applier_verify_now(struct applier *a, int wait_ms, char *msg, size_t len)
{
	struct apply_job *j = job_submit(a, JOB_VERIFY, 0, NULL), out;
	if (!job_wait(a, j, wait_ms, &out, NULL))
		return 1;
	if (out.verified == AMI_OK)
		return 0;
	snprintf(msg, len, "%s", out.where);
	return -1;
}

int applier_drift_now(struct applier *a, int wait_ms, struct pbx_drift **items, size_t *n, char *msg, size_t len)
{
	*items = NULL;
	*n = 0;
	struct apply_job *j = job_submit(a, JOB_DRIFT, 0, NULL), out;
	if (!job_wait(a, j, wait_ms, &out, NULL))
		return 1;
	*items = out.drift;
	*n = out.n_drift;
	if (out.verified == AMI_OK)
		return 0;
	snprintf(msg, len, "%s", out.where);
	return -1;
}

int applier_repair_now(struct applier *a, int wait_ms, char *msg, size_t len)
{
	struct apply_job *j = job_submit(a, JOB_REPAIR, 0, NULL), out;
	if (!job_wait(a, j, wait_ms, &out, NULL))
		return 1;
	if (out.verified == AMI_OK)
		return 0;
	snprintf(msg, len, "%s", out.where);
	return -1;
}

void applier_pool_stats(struct applier *a, struct ami_pool_stats *out)
{
	ami_pool_stats(a->pool, out);
}

int applier_retry_now(struct applier *a, struct db *db)
{
	int n = pending_retry_now(db);
	applier_wake(a);
	return n;
}

/* One round over what is due: trunks and the dialplan, then phones. serve_queue: run the jobs people wait for
 * between phones (the thread's rounds); not from inside a job (the drift repair), which would nest them. */
static int apply_due_round(struct applier *a, struct db *db, int64_t now, bool serve_queue)
{
	int64_t ids[DUE_BATCH];
	int applied = serve_queue ? run_queued(a, db) : 0;
	/* Trunks and the dialplan first: phones call through the class contexts the dialplan defines. */
	int routed = apply_routes_due(a, db, now);
	if (routed < 0)
		return -1;
	applied += routed;
	int n = phones_due(db, now, ids, DUE_BATCH);
	if (n < 0)
		return -1;
	/* A full batch may leave more due (an import's hundreds): the thread goes on at once unless the PBX is gone. */
	a->more_due = n == DUE_BATCH;
	if (n > 0)   /* the reloads wait for the burst's end (below, or a later round's) */
		pbx_reloader_hold(a->reloader);
	/* The due phones of one group are applied together: its files are written once for all of them; the groups
	 * a few at a time (apply_groups), BATCH_GROUPS to a batch, with what people wait for served in between. */
	bool *taken = calloc((size_t)n + 1, sizeof *taken);
	struct group_apply *gs = calloc(BATCH_GROUPS, sizeof *gs);
	if (!taken || !gs)
		abort();
	for (int i = 0; i < n;) {
		if (serve_queue)
			applied += run_queued(a, db);   /* what people are waiting for goes first */
		memset(gs, 0, BATCH_GROUPS * sizeof *gs);
		size_t k = 0;
		for (; k < BATCH_GROUPS && i < n; k++) {
			int64_t first, last;
			pbx_phone_group(ids[i], &first, &last);
			for (int j = i; j < n && gs[k].n_asked < PBX_PHONES_PER_FILE; j++)
				if (!taken[j] && ids[j] >= first && ids[j] <= last) {
					taken[j] = true;
					gs[k].ids[gs[k].n_asked++] = ids[j];
				}
			while (i < n && taken[i])
				i++;
		}
		apply_groups(a, db, gs, k, now);
		bool unreachable = false;
		for (size_t g = 0; g < k; g++)
			for (size_t j = 0; j < gs[g].n_asked; j++) {
				if (gs[g].rs[j].applied) {
					applied++;
					apply_audit_retry(db, "phone.apply", &gs[g].rs[j]);
				}
				unreachable |= gs[g].rs[j].unreachable;
			}
		if (unreachable) {
			a->more_due = false;
			break; /* the rest would fail the same way; their turn comes next round */
		}
	}
	free(gs);
	free(taken);
	applied += serve_queue ? run_queued(a, db) : 0;
	/* The burst's last (or a round's saves): its phones live without the reloads' delay and gap; a hold
	 * ends. */
	if ((n > 0 || applied > 0) && !a->more_due)
		pbx_reloader_hurry(a->reloader);
	return applied;
}

int applier_apply_due(struct applier *a, struct db *db, int64_t now)
{
	return apply_due_round(a, db, now, true);
}

/* ---------- provisioning files at start ---------- */

int applier_check_files(struct applier *a, struct db *db)
{
	int64_t ids[DUE_BATCH];
	int64_t after = 0;
	int written = 0, n;
	while ((n = phones_ids_after(db, after, ids, DUE_BATCH)) > 0) {
		for (int i = 0; i < n; i++) {
			struct phone p;
			/* Pending phones get their files from their own apply. */
			if (phones_get(db, ids[i], &p) == PHONES_OK && !p.deleted && !phone_pending(&p)) {
				pthread_mutex_lock(&a->files_lock);
				written += apply_files_refresh(&a->s, a->prov, &p);
				pthread_mutex_unlock(&a->files_lock);
			}
		}
		after = ids[n - 1];
	}
	return n < 0 ? -1 : written;
}

/* ---------- background thread ---------- */

static void *applier_main(void *arg)
{
	struct applier *a = arg;
	char err[512];
	struct db *db = db_open(a->db_path, err, sizeof err);
	if (!db) {
		log_err("applier: %s", err);
		return NULL;
	}
	for (size_t i = 0; i < APPLY_WORKERS - 1; i++) {
		a->worker_db[i] = db_open(a->db_path, err, sizeof err);
		if (!a->worker_db[i])
			log_warn("applier: a worker's database connection: %s (fewer groups at a time)", err);
	}
	int rewritten = applier_check_files(a, db);
	if (rewritten > 0)
		log_info("applier: rewrote %d missing or stale provisioning files", rewritten);
	int64_t next_round = 0;
	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		bool queued = a->queue_head != NULL;
		pthread_mutex_unlock(&a->mu);
		int64_t now = (int64_t)time(NULL);
		if (queued && now < next_round) {
			run_queued(a, db);   /* a save waits for this: no keep-alive round first */
		} else {
			ami_pool_keepalive(a->pool); /* pings idle connections, drops dead ones */
			pthread_mutex_lock(&a->apply_lock);
			if (pbx_changed(a)) {
				char msg[300];
				apply_verify_locked(a, db, msg, sizeof msg);
			}
			pthread_mutex_unlock(&a->apply_lock);
			int n = applier_apply_due(a, db, now);
			if (n > 0)
				log_info("applier: applied %d phones", n);
			next_round = a->more_due ? 0 : (int64_t)time(NULL) + a->s.retry_interval;
		}
		pthread_mutex_lock(&a->mu);
		if (a->stop)
			break;
		if (!a->wake && !a->queue_head && next_round != 0) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += a->s.retry_interval;
			pthread_cond_timedwait(&a->cv, &a->mu, &until);
		}
		if (a->wake && !a->queue_head)
			next_round = 0;   /* woken for pending work (applier_wake): a round now */
		a->wake = false;
	}
	/* Nobody will run what is still queued: requesters waiting for it see it unfinished. */
	while (a->queue_head) {
		struct apply_job *j = a->queue_head;
		a->queue_head = j->next;
		job_release_locked(j);
	}
	a->queue_tail = NULL;
	pthread_mutex_unlock(&a->mu);
	for (size_t i = 0; i < APPLY_WORKERS - 1; i++) {
		db_close(a->worker_db[i]);
		a->worker_db[i] = NULL;
	}
	db_close(db);
	return NULL;
}

int applier_start(struct applier *a)
{
	if (pbx_reloader_start(a->reloader) != 0)
		return -1;
	if (pthread_create(&a->thread, NULL, applier_main, a) != 0)
		return -1;
	a->started = true;
	return 0;
}

void applier_wake(struct applier *a)
{
	pthread_mutex_lock(&a->mu);
	a->wake = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void applier_free(struct applier *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->stop = true;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
	}
	pbx_reloader_free(a->reloader);   /* after the thread: it may still ask for reloads */
	pthread_mutex_destroy(&a->apply_lock);
	pthread_mutex_destroy(&a->files_lock);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	pthread_cond_destroy(&a->done_cv);
	pbx_snapshot_free(&a->snap);
	free(a);
}

bool applier_phone_loading(struct applier *a, int64_t phone_id)
{
	return pbx_reloader_waiting(a->reloader, phone_id);
}

size_t applier_phones_loading(struct applier *a)
{
	return pbx_reloader_waiting_count(a->reloader);
}

bool applier_reload_failing(struct applier *a, char *msg, size_t len)
{
	return pbx_reloader_failing(a->reloader, msg, len);
}

int applier_check_extensions_now(struct applier *a, const char *const *extensions, size_t n,
				 enum applier_check *verdict, char (*where)[200])
{
	for (size_t i = 0; i < n; i++) {
		verdict[i] = APPLIER_UNKNOWN;
		where[i][0] = '\0';
	}
	if (n == 0)
		return 0;
	struct check_many *m = calloc(1, sizeof *m);
	struct apply_job *j = calloc(1, sizeof *j);
	if (!m || !j)
		abort();
	m->n = n;
	m->extension = calloc(n, sizeof *m->extension);
	m->verdict = calloc(n, sizeof *m->verdict);
	m->where = calloc(n, sizeof *m->where);
	if (!m->extension || !m->verdict || !m->where)
		abort();
	for (size_t i = 0; i < n; i++)
		snprintf(m->extension[i], sizeof m->extension[i], "%s", extensions[i]);
	j->kind = JOB_CHECK_MANY;
	j->many = m;
	j->refs = 2;
	j->check = APPLIER_UNKNOWN;
	job_enqueue(a, j);
	struct apply_job out;
	if (!job_wait(a, j, a->s.save_wait_ms, &out, NULL))
		return 1;
	memcpy(verdict, out.many->verdict, n * sizeof *verdict);
	memcpy(where, out.many->where, n * sizeof *where);
	free(out.many->extension);
	free(out.many->verdict);
	free(out.many->where);
	free(out.many);
	return 0;
}
