/* apply_routes: the applier's work for calls going out (issue 10): one trunk's file, the routes dialplan file,
 * the due ones each round, and the dialplan as text for the preview page. The same path as a phone's
 * (apply.c): checked before the PBX sees anything, written whole, its module reloaded, the outcome recorded in
 * the row by kind. */
#include "pbx/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/routes.h"
#include "db/trunks.h"
#include "pbx/ownership.h"
#include "pbx/plan_db.h"
#include "pbx/route_plan.h"
#include "pbx/trunk_config.h"
#include "util/log.h"

#define DUE_TRUNKS 64

int applier_dialplan_text(struct applier *a, struct db *db, struct buf *out, char *err, size_t errlen)
{
	struct pbx_file f;
	pbx_file_init(&f);
	int rc = pbx_plan_from_db(&a->s, db, &f, err, errlen);
	if (rc == 0)
		pbx_file_text(&f, out);
	pbx_file_free(&f);
	return rc;
}

/* ---------- one trunk ---------- */

/* Whether the integrator's configuration (the last verification's snapshot) already has one of the trunk's
 * objects: the same name and type (PJSIP keeps one name space per type). where says which. */
static bool trunk_taken(const struct applier *a, const struct pbx_file *f, char *where, size_t len)
{
	for (size_t i = 0; i < f->n; i++) {
		const char *type = pbx_lines_type(f->want[i].lines, f->want[i].n_lines);
		if (pbx_snapshot_has(&a->snap, f->want[i].name, type, where, len))
			return true;
	}
	return false;
}

/* The trunk's values against the form's rules, and its names against the integrator's. */
static int check_trunk(struct apply_ctx *c, const struct trunk *t, const struct pbx_file *f)
{
	struct pbx_trunk_problem why;
	if (c->a->s.driver != PBX_PJSIP)
		return apply_fail(c, APPLY_BLOCKED, "trunks need PJSIP ([asterisk] driver = pjsip)");
	if (!pbx_trunk_check(&c->a->s, t, &why))
		return apply_fail(c, APPLY_BLOCKED, "trunk %s: its %s is not valid (%s): edit the trunk", t->name, why.field,
				  why.key);
	char where[200];
	if (trunk_taken(c->a, f, where, sizeof where)) {
		snprintf(c->r->conflict, sizeof c->r->conflict, "%s", where);
		return apply_fail(c, APPLY_BLOCKED,
				  "Asterisk already has %s outside Centralita, which Centralita leaves alone: give the "
				  "trunk another name",
				  where);
	}
	return 0;
}

void apply_trunk_locked(struct applier *a, struct db *db, int64_t trunk_id, int64_t now, struct apply_result *r)
{
	memset(r, 0, sizeof *r);
	struct trunk t;
	enum trunks_result tr = trunks_get(db, trunk_id, &t);
	if (tr == TRUNKS_NOT_FOUND || (tr == TRUNKS_OK && !trunk_pending(&t))) {
		r->applied = true;   /* purged or applied meanwhile: nothing left to do */
		r->outcome = APPLY_DONE;
		return;
	}
	if (tr != TRUNKS_OK) {
		snprintf(r->message, sizeof r->message, "database error");
		r->outcome = APPLY_RETRY;
		return;
	}
	struct apply_ctx ctx = { .a = a, .db = db, .p = NULL, .now = now, .r = r }, *c = &ctx;
	snprintf(r->object, sizeof r->object, "trunk %s", t.name);
	char msg[300], file[PBX_FILE_MAX], digest[PBX_DIGEST_HEX] = "";
	int rc = 0;
	if (!a->snap.valid) {
		enum ami_status st = apply_verify_locked(a, db, msg, sizeof msg);
		if (st != AMI_OK)
			rc = apply_fail_ami(c, st, "reading the configuration", msg);
		else if (trunks_get(db, trunk_id, &t) != TRUNKS_OK)   /* the verification may have marked it */
			rc = apply_fail(c, APPLY_RETRY, "database error");
	}
	struct pbx_file f;
	pbx_file_init(&f);
	if (rc == 0 && pbx_trunk_sections(&a->s, &t, &f) != 0)
		rc = apply_fail(c, APPLY_BLOCKED, "trunk %s: %s", t.name, f.err);
	if (rc == 0 && !t.deleted)
		rc = check_trunk(c, &t, &f);
	pbx_trunk_file(t.id, file);
	pbx_file_digest(&f, digest);
	/* Unchanged since last written: not sent (the verification is what finds a file changed by others). A
	 * removed trunk never written has nothing to empty. */
	bool send = strcmp(digest, t.applied_digest) != 0 && !(t.deleted && !*t.applied_name && !*t.applied_digest);
	if (rc == 0 && send)
		rc = apply_send_file(c, &f, file, !*t.applied_digest, pbx_reload_module(PBX_PJSIP),
				     t.deleted ? "the trunk's removal" : "the trunk");
	pbx_file_free(&f);
	if (rc == 0) {
		int drc = t.deleted ? trunks_purge(db, t.id, t.version)
				    : trunks_mark_applied(db, t.id, t.version, t.name, digest, now);
		if (drc != 0) {
			snprintf(r->message, sizeof r->message, "database error");
			r->outcome = APPLY_RETRY;
			return;
		}
		r->applied = true;
		r->outcome = APPLY_DONE;
		return;
	}
	bool blocked = r->outcome == APPLY_BLOCKED;
	log_warn("trunk %lld (%s): not applied%s: %s", (long long)t.id, t.name, blocked ? " (needs a person)" : "",
		 r->message);
	trunks_mark_failed(db, t.id, t.version, r->message, blocked ? 0 : apply_retry_at(a, t.attempts, r->outcome, now),
			   blocked);
}

/* ---------- the routes dialplan ---------- */

void apply_dialplan_locked(struct applier *a, struct db *db, int64_t now, struct apply_result *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->object, sizeof r->object, "routes dialplan");
	struct dialplan_state d;
	if (dialplan_get(db, &d) != 0) {
		snprintf(r->message, sizeof r->message, "database error");
		r->outcome = APPLY_RETRY;
		return;
	}
	if (!dialplan_pending(&d)) {
		r->applied = true;
		r->outcome = APPLY_DONE;
		return;
	}
	struct apply_ctx ctx = { .a = a, .db = db, .p = NULL, .now = now, .r = r }, *c = &ctx;
	char msg[300], digest[PBX_DIGEST_HEX] = "";
	int rc = 0;
	if (!a->snap.valid) {
		enum ami_status st = apply_verify_locked(a, db, msg, sizeof msg);
		if (st != AMI_OK)
			rc = apply_fail_ami(c, st, "reading the configuration", msg);
		else if (dialplan_get(db, &d) != 0)
			rc = apply_fail(c, APPLY_RETRY, "database error");
	}
	struct pbx_file f;
	pbx_file_init(&f);
	if (rc == 0 && pbx_plan_from_db(&a->s, db, &f, msg, sizeof msg) != 0)
		rc = apply_fail(c, APPLY_BLOCKED, "the routes cannot become a dialplan: %s", msg);
	pbx_file_digest(&f, digest);
	if (rc == 0 && strcmp(digest, d.applied_digest) != 0)
		rc = apply_send_file(c, &f, PBX_ROUTES_FILE, !*d.applied_digest, PBX_DIALPLAN_MODULE, "the routes dialplan");
	pbx_file_free(&f);
	if (rc == 0) {
		if (dialplan_mark_applied(db, d.version, digest, now) != 0) {
			snprintf(r->message, sizeof r->message, "database error");
			r->outcome = APPLY_RETRY;
			return;
		}
		r->applied = true;
		r->outcome = APPLY_DONE;
		return;
	}
	bool blocked = r->outcome == APPLY_BLOCKED;
	log_warn("routes dialplan: not applied%s: %s", blocked ? " (needs a person)" : "", r->message);
	dialplan_mark_failed(db, d.version, r->message, blocked ? 0 : apply_retry_at(a, d.attempts, r->outcome, now),
			     blocked);
}

int apply_routes_due(struct applier *a, struct db *db, int64_t now)
{
	int64_t ids[DUE_TRUNKS];
	int n = trunks_due(db, now, ids, DUE_TRUNKS);
	if (n < 0)
		return -1;
	int applied = 0;
	for (int i = 0; i < n; i++) {
		struct apply_result r;
		pthread_mutex_lock(&a->apply_lock);
		apply_trunk_locked(a, db, ids[i], now, &r);
		pthread_mutex_unlock(&a->apply_lock);
		applied += r.applied;
		if (r.applied)
			apply_audit_retry(db, "trunk.apply", &r);
		if (r.unreachable)
			return applied;   /* the rest would fail the same way */
	}
	struct dialplan_state d;
	if (dialplan_get(db, &d) != 0)
		return -1;
	if (dialplan_pending(&d) && !d.blocked && d.next_attempt_at <= now) {
		struct apply_result r;
		pthread_mutex_lock(&a->apply_lock);
		apply_dialplan_locked(a, db, now, &r);
		pthread_mutex_unlock(&a->apply_lock);
		applied += r.applied;
		if (r.applied)
			apply_audit_retry(db, "route.apply", &r);
	}
	return applied;
}
