/* verify_routes: the verification of what calls going out need (issue 10): each trunk's file and the routes
 * dialplan file against what they should hold, and whether Asterisk runs with them (see verify.h). */
#include "pbx/verify_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/routes.h"
#include "db/trunks.h"
#include "pbx/ownership.h"
#include "pbx/plan_db.h"
#include "pbx/route_plan.h"
#include "pbx/trunk_config.h"
#include "util/log.h"

#define PAGE 64

int verify_mark_trunk(struct db *db, int64_t trunk_id, const char *detail, struct pbx_verify_report *rep)
{
	struct trunk t;
	if (trunks_get(db, trunk_id, &t) != TRUNKS_OK)
		return 0;   /* gone meanwhile */
	verify_note_drift(rep, "trunk", t.id, t.name, detail);
	if (rep->dry_run)
		return 0;
	char reason[TRUNK_ERROR_MAX];
	verify_reason(reason, sizeof reason, detail);
	int rc = trunks_mark_drifted(db, t.id, t.version, reason);
	if (rc == 0) {
		rep->drifted++;
		log_warn("trunk %lld (%s) %s", (long long)t.id, t.name, reason);
	}
	return rc < 0 ? -1 : 0;
}

int verify_mark_routes(struct db *db, const char *detail, struct pbx_verify_report *rep)
{
	verify_note_drift(rep, "dialplan", 0, "", detail);
	if (rep->dry_run)
		return 0;
	struct dialplan_state d;
	if (dialplan_get(db, &d) != 0)
		return -1;
	char reason[ROUTE_ERROR_MAX];
	verify_reason(reason, sizeof reason, detail);
	int rc = dialplan_mark_drifted(db, d.version, reason);
	if (rc == 0) {
		rep->drifted++;
		log_warn("routes dialplan %s", reason);
	}
	return rc < 0 ? -1 : 0;
}

/* What is wrong with a file of Centralita's, for the reason shown: "" if it holds what it should. outdated is
 * set instead when it holds exactly what Centralita last wrote (applied_digest), not what it would write now. */
static void judge(const struct ami_config *got, enum file_state fs, const struct pbx_file *want,
		  const char *applied_digest, const char *file, bool *outdated, char *problem, size_t len)
{
	char why[160], digest[PBX_DIGEST_HEX];
	*outdated = false;
	*problem = '\0';
	if (fs == FILE_READ && verify_file_matches(got, want->want, want->n, why, sizeof why))
		return;
	if (fs == FILE_READ) {
		pbx_config_digest(got, digest);
		if (strcmp(digest, applied_digest) == 0) {
			*outdated = true;
			return;
		}
	}
	snprintf(problem, len, "its file %s %s", file, fs == FILE_READ ? why : verify_file_problem(fs));
}

/* One trunk (see verify_internal.h). */
static enum ami_status verify_trunk(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				    const struct trunk *t, const struct ami_config *merged, bool *used,
				    struct pbx_verify_report *rep, bool *live, bool *unreadable, char *msg, size_t len)
{
	char file[PBX_FILE_MAX];
	pbx_trunk_file(t->id, file);
	struct ami_config got = { 0 };
	enum file_state fs;
	*live = false;
	enum ami_status st = verify_read_file(pool, file, NULL, &got, &fs, msg, len);
	if (st != AMI_OK)
		return st;
	*unreadable |= fs == FILE_UNREADABLE;
	for (size_t c = 0; c < got.n_cats; c++)
		verify_take_category(merged, used, &got.cats[c]);
	struct pbx_file want;
	pbx_file_init(&want);
	bool wanted = !t->deleted && pbx_trunk_sections(s, t, &want) == 0;
	if (wanted && fs == FILE_UNREADABLE)
		verify_take_damaged(merged, used, want.want, want.n);
	if (wanted && t->applied_version == t->version && *t->applied_name) {
		bool outdated;
		char problem[TRUNK_ERROR_MAX];
		judge(&got, fs, &want, t->applied_digest, file, &outdated, problem, sizeof problem);
		if (*problem && verify_mark_trunk(db, t->id, problem, rep) != 0)
			st = AMI_ERROR;
		else if (outdated && !rep->dry_run && trunks_mark_outdated(db, t->id, t->version) < 0)
			st = AMI_ERROR;
		rep->outdated += outdated;
		*live = !*problem && !outdated;
		if (st != AMI_OK)
			snprintf(msg, len, "database error");
	}
	pbx_file_free(&want);
	ami_config_free(&got);
	return st;
}

enum ami_status verify_trunks(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
			      const struct ami_config *merged, bool *used, struct pbx_verify_report *rep, int64_t **live,
			      size_t *n_live, bool *unreadable, char *msg, size_t len)
{
	int64_t ids[PAGE], after = 0;
	int n;
	enum ami_status st = AMI_OK;
	while (st == AMI_OK && (n = trunks_ids_after(db, after, ids, PAGE)) > 0) {
		for (int i = 0; i < n && st == AMI_OK; i++) {
			struct trunk t;
			bool right;
			if (trunks_get(db, ids[i], &t) != TRUNKS_OK)
				continue;
			st = verify_trunk(s, pool, db, &t, merged, used, rep, &right, unreadable, msg, len);
			if (st == AMI_OK && right) {
				*live = realloc(*live, (*n_live + 1) * sizeof **live);
				if (!*live)
					abort();
				(*live)[(*n_live)++] = t.id;
			}
		}
		after = ids[n - 1];
	}
	return st;
}

enum ami_status verify_routes_file(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				   struct pbx_verify_report *rep, bool *right, char *msg, size_t len)
{
	*right = false;
	struct dialplan_state d;
	if (dialplan_get(db, &d) != 0) {
		snprintf(msg, len, "database error");
		return AMI_ERROR;
	}
	if (dialplan_pending(&d) || !*d.applied_digest)
		return AMI_OK;   /* its own apply writes it */
	struct pbx_file want;
	pbx_file_init(&want);
	char err[200];
	if (pbx_plan_from_db(s, db, &want, err, sizeof err) != 0) {
		pbx_file_free(&want);
		return AMI_OK;   /* the apply says why, and blocks */
	}
	struct ami_config got = { 0 };
	enum file_state fs;
	enum ami_status st = verify_read_file(pool, PBX_ROUTES_FILE, NULL, &got, &fs, msg, len);
	if (st == AMI_OK) {
		bool outdated;
		char problem[ROUTE_ERROR_MAX];
		judge(&got, fs, &want, d.applied_digest, PBX_ROUTES_FILE, &outdated, problem, sizeof problem);
		if (*problem && verify_mark_routes(db, problem, rep) != 0)
			st = AMI_ERROR;
		else if (outdated && !rep->dry_run && dialplan_bump(db, (int64_t)time(NULL)) != 0)
			st = AMI_ERROR;
		rep->outdated += outdated;
		*right = !*problem && !outdated;
		if (st != AMI_OK)
			snprintf(msg, len, "database error");
	}
	ami_config_free(&got);
	pbx_file_free(&want);
	return st;
}

bool verify_trunk_loaded(const struct pbx_settings *s, const struct pbx_loaded *l, struct db *db, int64_t trunk_id)
{
	struct trunk t;
	if (trunks_get(db, trunk_id, &t) != TRUNKS_OK)
		return true;   /* gone meanwhile: nothing to load */
	struct pbx_file want;
	pbx_file_init(&want);
	bool ok = pbx_trunk_sections(s, &t, &want) != 0 || pbx_loaded_sections(l, want.want, want.n);
	pbx_file_free(&want);
	return ok;
}

/* How many priorities Asterisk runs in context (0 if it has no such context). */
static enum ami_status context_priorities(struct ami_pool *pool, const char *context, size_t *n, char *msg,
					  size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "ShowDialPlan");
	ami_msg_add(&m, "Context", context);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(pool, &m, &r);
	*n = 0;
	if (st == AMI_OK) {
		for (size_t e = 0; e < r.n_events; e++)   /* includes come as events without an Extension */
			*n += ami_msg_get(r.events[e], "Extension") != NULL;
	} else if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_EMPTY_LIST) {
		st = AMI_OK;
	} else {
		snprintf(msg, len, "ShowDialPlan %s: %s", context, r.message);
	}
	ami_result_free(&r);
	ami_msg_free(&m);
	return st;
}

enum ami_status verify_routes_loaded(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				     bool *loaded, char *msg, size_t len)
{
	*loaded = true;
	struct pbx_file want;
	pbx_file_init(&want);
	char err[200];
	enum ami_status st = AMI_OK;
	if (pbx_plan_from_db(s, db, &want, err, sizeof err) == 0) {
		for (size_t i = 0; i < want.n && st == AMI_OK && *loaded; i++) {
			size_t lines = 0, running;
			for (size_t k = 0; k < want.want[i].n_lines; k++)
				lines += strcasecmp(want.want[i].lines[k].name, "exten") == 0;
			st = context_priorities(pool, want.want[i].name, &running, msg, len);
			*loaded = st != AMI_OK || running == lines;
		}
	}
	pbx_file_free(&want);
	return st;
}
