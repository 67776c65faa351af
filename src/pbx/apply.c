/* apply: the reconciler (see apply.h). */
#include "pbx/apply.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pbx/apply_files.h"
#include "pbx/ownership.h"
#include "util/log.h"
#include "util/text.h"

#define MAX_EXT 2               /* a phone's extension now, and the one the PBX still has */
#define DUE_BATCH 256
#define REFUSED_MAX_DELAY 300   /* seconds: the longest wait between attempts of a change Asterisk refused */

/* A piece of work a web request hands to the applier's thread and may wait for (up to save_wait_ms): apply a
 * phone, or check an extension against what Asterisk has. Shared by the requester and the thread; freed by
 * whichever lets go of it last (refs, under the applier's mutex). */
enum job_kind { JOB_APPLY, JOB_CHECK };
struct apply_job {
	enum job_kind kind;
	int64_t phone_id;
	char extension[PHONE_EXT_MAX];
	int refs;
	bool done;
	struct apply_result result;          /* JOB_APPLY */
	enum applier_check check;            /* JOB_CHECK */
	char where[200];
	struct apply_job *next;
};

struct applier {
	struct pbx_settings s;
	struct ami_pool *pool;
	struct provision_renderer *prov;
	char db_path[512];
	/* One apply at a time: each reads the database and then makes the PBX match what it read, so two
	 * interleaved applies could leave an older state behind a newer "applied" mark. */
	pthread_mutex_t apply_lock;
	pthread_mutex_t files_lock;   /* provisioning files: the start-up check runs beside applies */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* wakes the thread: work queued, or stop */
	pthread_cond_t done_cv;       /* wakes requesters: a job finished (CLOCK_MONOTONIC) */
	struct apply_job *queue_head, *queue_tail;
	bool stop, wake;
};

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

/* ---------- one apply's state ---------- */

struct apply_ctx {
	struct applier *a;
	struct db *db;
	const struct phone *p;
	int64_t now;
	struct apply_result *r;
	char exts[MAX_EXT][PHONE_EXT_MAX];   /* where the phone is wanted, and where the PBX may still have it */
	size_t n_ext;
	bool wanted[MAX_EXT];                /* a live phone holds exts[i] (maybe not this one) */
	bool fresh;                          /* a phone never applied, first attempt: create without reading */
	/* the channel driver's file */
	char names[PBX_MAX_NAMES][32];
	const char *name_ptrs[PBX_MAX_NAMES];
	size_t n_names;
	size_t names_of[MAX_EXT];            /* how many of names[] each extension has (in order) */
	struct pbx_sections sections[MAX_EXT];
	struct ami_cfg_want want[MAX_EXT * PBX_MAX_SECTIONS];
	size_t n_want;
	/* the dialplan: each extension's own context, included from the internal context */
	char contexts[MAX_EXT][32];
	const char *context_ptrs[MAX_EXT];
	struct pbx_sections dialplan;
	bool channel_done, dialplan_done;    /* created by the fresh path */
	const char *given_up[PBX_MAX_NAMES];  /* names whose categories of ours go beside someone else's */
	size_t n_given_up;
};

/* Records why the apply stopped and what kind of failure it is; returns -1. */
__attribute__((format(printf, 3, 4))) static int fail(struct apply_ctx *c, enum apply_outcome kind, const char *fmt,
							...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->r->message, sizeof c->r->message, fmt, ap);
	va_end(ap);
	c->r->outcome = kind;
	return -1;
}

/* Maps a failed AMI exchange onto the outcome kinds, with words for the user. */
static int fail_ami(struct apply_ctx *c, enum ami_status st, const char *what, const char *detail)
{
	switch (st) {
	case AMI_UNREACHABLE:
		c->r->unreachable = true;
		return fail(c, APPLY_RETRY, "the PBX cannot be reached (%s)", detail);
	case AMI_UNKNOWN_OUTCOME:
		return fail(c, APPLY_RETRY, "the connection to the PBX was lost during %s; it will be checked and retried",
			    what);
	case AMI_ERROR:
		return fail(c, APPLY_REFUSED, "Asterisk refused %s: %s", what, detail);
	case AMI_INVALID:
		return fail(c, APPLY_BLOCKED, "%s cannot be sent to Asterisk: %s", what, detail);
	case AMI_OK:
		break;
	}
	return fail(c, APPLY_RETRY, "%s failed: %s", what, detail);
}

static int fail_db(struct apply_ctx *c)
{
	return fail(c, APPLY_RETRY, "database error");
}

static int fail_conflict(struct apply_ctx *c, const char *extension, const char *where)
{
	snprintf(c->r->conflict, sizeof c->r->conflict, "%s", where);
	return fail(c, APPLY_BLOCKED,
		    "extension %s is already configured in Asterisk outside Centralita (%s); Centralita leaves it "
		    "alone: choose another extension for this phone",
		    extension, where);
}

/* Reads from the database what every extension in play should look like: whichever live phone holds it now
 * (maybe not the phone being applied), checked by the rules the phone form applies. */
static int prepare(struct apply_ctx *c)
{
	struct applier *a = c->a;
	const struct phone *p = c->p;
	if (!p->deleted)
		snprintf(c->exts[c->n_ext++], PHONE_EXT_MAX, "%.*s", PHONE_EXT_MAX - 1, p->extension);
	if (*p->applied_extension && (c->n_ext == 0 || strcmp(c->exts[0], p->applied_extension) != 0))
		snprintf(c->exts[c->n_ext++], PHONE_EXT_MAX, "%.*s", PHONE_EXT_MAX - 1, p->applied_extension);
	for (size_t i = 0; i < c->n_ext; i++) {
		char names[PBX_MAX_SECTIONS][32];
		size_t n = pbx_section_names(&a->s, c->exts[i], names);
		for (size_t k = 0; k < n; k++) {
			memcpy(c->names[c->n_names], names[k], 32);
			c->name_ptrs[c->n_names] = c->names[c->n_names];
			c->n_names++;
		}
		c->names_of[i] = n;
		pbx_dialplan_context(c->exts[i], c->contexts[i]);
		c->context_ptrs[i] = c->contexts[i];
	}
	for (size_t i = 0; i < c->n_ext; i++) {
		struct phone holder;
		enum phones_result pr = phones_get_live_by_extension(c->db, c->exts[i], &holder);
		if (pr == PHONES_DB_ERROR)
			return fail_db(c);
		if (pr != PHONES_OK)
			continue;
		size_t at = 0;
		enum text_problem problem = text_check(&text_rule_phone_name, holder.name, strlen(holder.name), &at);
		if (problem)
			return fail(c, APPLY_BLOCKED, "the name of phone %s %s (byte %zu): edit the phone", holder.extension,
				    text_problem_text(problem), at);
		if (pbx_phone_sections(&a->s, &holder, &c->sections[i]) != 0 ||
		    pbx_dialplan_section(&a->s, c->exts[i], &c->dialplan) != 0)
			return fail(c, APPLY_BLOCKED, "phone %s: a value is too long for the PBX", c->exts[i]);
		for (size_t k = 0; k < c->sections[i].n; k++)
			c->want[c->n_want++] = c->sections[i].want[k];
		c->wanted[i] = true;
	}
	return 0;
}

/* Sends u with its reload, holding the pool's lock for its file. Returns the status (r->message on failure). */
static enum ami_status send_update(struct apply_ctx *c, struct ami_update *u, const char *module, char *detail,
				   size_t len)
{
	if (u->n == 0)
		return AMI_OK;
	if (module)
		ami_update_set_reload(u, module);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_update_config(c->a->pool, u, true, &r);
	snprintf(detail, len, "%.*s", (int)len - 1, r.message);
	ami_result_free(&r);
	return st;
}

/* Sends a change that creates categories, claimed first, and records the outcome: owned after a Success,
 * claims dropped after a refusal (nothing was written), kept when the answer was lost (settled on the next
 * read, see ownership.h). Returns 0 when applied, 1 when Asterisk refused it (detail says why), -1 on any
 * other failure (recorded in c->r). */
static int send_claimed(struct apply_ctx *c, const char *file, const struct ami_config *cur,
			const char *const *names, size_t n_names, const struct ami_cfg_want *want, size_t n_want,
			struct ami_update *u, const char *module, char *detail, size_t len)
{
	if (pbx_claim_wanted(c->db, file, cur, want, n_want, c->now) != 0)
		return fail_db(c);
	enum ami_status st = send_update(c, u, module, detail, len);
	int rc = 0;
	if (st == AMI_OK)
		rc = pbx_record_applied(c->db, file, names, n_names, want, n_want, c->now);
	for (size_t i = 0; st == AMI_OK && rc == 0 && i < c->n_given_up; i++)
		rc = owned_forget(c->db, file, c->given_up[i], NULL, false);
	if (st == AMI_OK)
		c->n_given_up = 0;
	else if (st == AMI_ERROR || st == AMI_INVALID)
		rc = pbx_drop_claims(c->db, file, want, n_want);
	if (rc != 0)
		return fail_db(c);
	if (st == AMI_ERROR)
		return 1;
	return st == AMI_OK ? 0 : fail_ami(c, st, "the change", detail);
}

/* ---------- a phone never applied: create without reading ---------- */

static int check_internal_exten(struct apply_ctx *c, const struct ami_config *cur);

/* The internal context, read first: an "exten = <ext>,..." the integrator wrote there would answer before the
 * phone's own context (and blocks the phone); an include line already there, or no internal context at all,
 * leaves the dialplan to the read-and-diff step. */
static int read_internal(struct apply_ctx *c, bool *dialplan_simple)
{
	char detail[300];
	const char *internal[1] = { c->a->s.context };
	struct ami_config cur = { 0 };
	enum ami_status st = pbx_read_categories(c->a->pool, PBX_DIALPLAN_FILE, internal, 1, &cur, detail, sizeof detail);
	int rc = st == AMI_OK ? check_internal_exten(c, &cur) : fail_ami(c, st, "reading the dialplan", detail);
	*dialplan_simple = cur.n_cats == 1;
	for (size_t l = 0; rc == 0 && cur.n_cats == 1 && l < cur.cats[0].n_lines; l++)
		if (strcasecmp(cur.cats[0].lines[l].name, "include") == 0 && strcmp(cur.cats[0].lines[l].value, c->contexts[0]) == 0)
			*dialplan_simple = false;
	ami_config_free(&cur);
	return rc;
}

/* Every category the creation requests make starts with a NewCat, which Asterisk refuses if the category
 * exists; a refused request writes nothing, so this is safe without reading those first. A refusal leaves
 * that file to the read-and-diff step (which finds who holds the name). Only the internal context is read
 * (one GetConfig), for the integrator's own lines there. Returns 0, or -1 (recorded in c->r). */
static int create_fresh(struct apply_ctx *c)
{
	struct applier *a = c->a;
	struct ami_update chan, dial;
	char err[200], detail[300];
	bool dialplan_simple = false;
	int rc = read_internal(c, &dialplan_simple);
	if (rc != 0)
		return rc;
	if (pbx_creation_updates(&a->s, c->p, &chan, &dial, err, sizeof err) != 0) {
		rc = fail(c, APPLY_BLOCKED, "%s", err);
		goto out;
	}
	const char *file = pbx_config_file(a->s.driver);
	int sent = send_claimed(c, file, NULL, c->name_ptrs, c->names_of[0], c->sections[0].want, c->sections[0].n,
				&chan, NULL, detail, sizeof detail);
	if (sent < 0) {
		rc = -1;
		goto out;
	}
	c->channel_done = sent == 0;
	/* A refused channel creation means something holds the name: nothing more is created before the
	 * read-and-diff step has found out whose it is. */
	if (!dialplan_simple || !c->channel_done)
		goto out;
	sent = send_claimed(c, PBX_DIALPLAN_FILE, NULL, c->context_ptrs, 1, c->dialplan.want, c->dialplan.n, &dial, NULL,
			    detail, sizeof detail);
	rc = sent < 0 ? -1 : 0;
	c->dialplan_done = sent == 0;
out:
	ami_update_free(&chan);
	ami_update_free(&dial);
	return rc;
}

/* ---------- reading and judging what Asterisk has ---------- */

/* Deletes, one DelCat with catfilter="type=..." each, Centralita's categories named name when someone else's
 * share that name (an old extension being given up): possible only when every one of ours has a type line
 * that no foreign one has. Returns 0, or -1 when they cannot be told apart. */
static int delete_ours_beside_foreign(struct apply_ctx *c, const char *file, const struct ami_config *cur,
				      const char *name, struct ami_update *u)
{
	for (size_t k = 0; k < cur->n_cats; k++) {
		const struct ami_cfg_cat *cat = &cur->cats[k];
		if (strcasecmp(cat->name, name) != 0)
			continue;
		const char *type = pbx_lines_type(cat->lines, cat->n_lines);
		int state = owned_get(c->db, file, cat->name, type, NULL);
		if (state != OWNED_OWNED)
			continue;
		for (size_t j = 0; j < cur->n_cats; j++) {
			const struct ami_cfg_cat *other = &cur->cats[j];
			if (j != k && strcasecmp(other->name, name) == 0 &&
			    strcmp(pbx_lines_type(other->lines, other->n_lines), type) == 0 &&
			    owned_get(c->db, file, other->name, type, NULL) != OWNED_OWNED)
				return -1;
		}
		char filter[96];
		snprintf(filter, sizeof filter, "type=%s", type);
		if (!*type || ami_update_add(u, AMI_UC_DELCAT, cat->name, NULL, NULL, NULL, -1, NULL, filter) != 0)
			return -1;
	}
	return 0;
}

/* Reads the categories of names[] in file and judges whose they are. Every name whose categories are all
 * Centralita's (or absent) goes to owned[]; a foreign category holding a name a live phone wants stops the
 * apply (BLOCKED: a person must choose), and so does one sharing a wanted name with one of Centralita's (it
 * will not guess which to rewrite). For a name no longer wanted, Centralita's categories beside foreign ones
 * are deleted by type (into u); foreign ones are never touched. */
static int read_and_judge(struct apply_ctx *c, const char *file, const char *const *names, size_t n,
			  const size_t *names_of, struct ami_config *cur, const char **owned, size_t *n_owned,
			  struct ami_update *u)
{
	char detail[300];
	enum ami_status st = pbx_read_categories(c->a->pool, file, names, n, cur, detail, sizeof detail);
	if (st != AMI_OK)
		return fail_ami(c, st, "reading the configuration", detail);
	struct pbx_ownership own;
	if (pbx_classify(c->db, file, cur, names, n, c->now, &own) != 0)
		return fail_db(c);
	*n_owned = 0;
	size_t first = 0;
	for (size_t e = 0; e < c->n_ext; e++) {
		size_t count = names_of ? names_of[e] : 1;
		for (size_t k = first; k < first + count; k++) {
			if (!own.foreign[k])
				owned[(*n_owned)++] = names[k];
			else if (c->wanted[e])
				return fail_conflict(c, c->exts[e], own.where);
			else if (own.ours[k] && delete_ours_beside_foreign(c, file, cur, names[k], u) != 0)
				return fail(c, APPLY_BLOCKED,
					    "%s cannot be removed from Asterisk safely: %s shares its name and type with "
					    "Centralita's; rename it by hand",
					    names[k], own.where);
			else if (own.ours[k])
				c->given_up[c->n_given_up++] = names[k];
		}
		first += count;
	}
	return 0;
}

/* ---------- the channel driver's file ---------- */

static int channel_step(struct apply_ctx *c)
{
	if (c->channel_done)
		return 0;
	const char *file = pbx_config_file(c->a->s.driver);
	struct ami_config cur = { 0 };
	const char *owned[PBX_MAX_NAMES];
	size_t n_owned = 0;
	struct ami_update u;
	ami_update_init(&u, file);
	int rc = read_and_judge(c, file, c->name_ptrs, c->n_names, c->names_of, &cur, owned, &n_owned, &u);
	if (rc == 0) {
		char err[200], detail[300];
		if (ami_config_diff(&cur, owned, n_owned, c->want, c->n_want, &u, err, sizeof err) != 0) {
			rc = fail(c, APPLY_BLOCKED, "cannot compute the change for %s: %s", file, err);
		} else {
			rc = send_claimed(c, file, &cur, owned, n_owned, c->want, c->n_want, &u,
					  pbx_reload_module(c->a->s.driver), detail, sizeof detail);
			if (rc > 0)
				rc = fail_ami(c, AMI_ERROR, "the change", detail);
		}
	}
	ami_update_free(&u);
	ami_config_free(&cur);
	return rc;
}

/* ---------- the dialplan ---------- */

/* True when line is "exten = <extension>,..." (or "<extension>/<callerid>,..."): the integrator's own
 * dialplan for that number in the internal context, which would answer before any included context. */
static bool is_exten_of(const struct ami_cfg_line *line, const char *extension)
{
	if (strcasecmp(line->name, "exten") != 0)
		return false;
	const char *v = line->value;
	while (*v == ' ' || *v == '\t' || *v == '>')
		v++;
	size_t n = strlen(extension);
	return strncmp(v, extension, n) == 0 && (v[n] == ',' || v[n] == '/' || v[n] == ' ');
}

/* The include lines of the contexts in owned[] (Centralita's): every copy that should not be there goes
 * (Delete by Match removes all copies), then each wanted include not present exactly once is appended.
 * Other lines of the internal context belong to the integrator and are never touched. */
static void diff_includes(struct apply_ctx *c, const struct ami_config *cur, const char **owned, size_t n_owned,
			  struct ami_update *u)
{
	const char *context = c->a->s.context;
	int copies[MAX_EXT] = { 0 };
	bool mine[MAX_EXT] = { false }, have_context = false;
	for (size_t i = 0; i < c->n_ext; i++)
		for (size_t k = 0; k < n_owned; k++)
			mine[i] |= owned[k] == c->contexts[i];
	for (size_t k = 0; k < cur->n_cats; k++) {
		if (strcmp(cur->cats[k].name, context) != 0)
			continue;
		have_context = true;
		for (size_t l = 0; l < cur->cats[k].n_lines; l++)
			for (size_t i = 0; i < c->n_ext; i++)
				if (strcasecmp(cur->cats[k].lines[l].name, "include") == 0 &&
				    strcmp(cur->cats[k].lines[l].value, c->contexts[i]) == 0)
					copies[i]++;
	}
	for (size_t i = 0; i < c->n_ext; i++)
		if (mine[i] && (copies[i] > 1 || (copies[i] == 1 && !c->wanted[i])))
			ami_update_add(u, AMI_UC_DELETE, context, "include", NULL, c->contexts[i], -1, NULL, NULL);
	bool any = false;
	for (size_t i = 0; i < c->n_ext; i++)
		any |= mine[i] && c->wanted[i] && copies[i] != 1;
	/* The internal context is the integrator's: created only when missing, never owned or removed. */
	if (any && !have_context)
		ami_update_add(u, AMI_UC_NEWCAT, context, NULL, NULL, NULL, -1, NULL, NULL);
	for (size_t i = 0; i < c->n_ext; i++)
		if (mine[i] && c->wanted[i] && copies[i] != 1)
			ami_update_add(u, AMI_UC_APPEND, context, "include", c->contexts[i], NULL, -1, NULL, NULL);
}

/* The integrator's own "exten = <ext>,..." in the internal context, for a wanted extension: 0 none, -1 (and
 * the apply BLOCKED) found. */
static int check_internal_exten(struct apply_ctx *c, const struct ami_config *cur)
{
	for (size_t k = 0; k < cur->n_cats; k++) {
		if (strcmp(cur->cats[k].name, c->a->s.context) != 0)
			continue;
		for (size_t l = 0; l < cur->cats[k].n_lines; l++)
			for (size_t i = 0; i < c->n_ext; i++)
				if (c->wanted[i] && is_exten_of(&cur->cats[k].lines[l], c->exts[i])) {
					char where[160];
					snprintf(where, sizeof where, "%s [%s], exten %s", PBX_DIALPLAN_FILE, c->a->s.context,
						 c->exts[i]);
					return fail_conflict(c, c->exts[i], where);
				}
	}
	return 0;
}

static int dialplan_step(struct apply_ctx *c)
{
	if (c->dialplan_done)
		return 0;
	struct applier *a = c->a;
	char detail[300], err[200];
	struct ami_config cur = { 0 };
	const char *internal[1] = { a->s.context };
	const char *owned[MAX_EXT];
	size_t n_owned = 0;
	struct ami_update u;
	ami_update_init(&u, PBX_DIALPLAN_FILE);
	enum ami_status st = pbx_read_categories(a->pool, PBX_DIALPLAN_FILE, internal, 1, &cur, detail, sizeof detail);
	int rc = st == AMI_OK ? 0 : fail_ami(c, st, "reading the dialplan", detail);
	if (rc == 0)
		rc = read_and_judge(c, PBX_DIALPLAN_FILE, c->context_ptrs, c->n_ext, NULL, &cur, owned, &n_owned, &u);
	if (rc == 0)
		rc = check_internal_exten(c, &cur);
	if (rc == 0) {
		if (ami_config_diff(&cur, owned, n_owned, c->dialplan.want, c->dialplan.n, &u, err, sizeof err) != 0) {
			rc = fail(c, APPLY_BLOCKED, "cannot compute the dialplan change: %s", err);
		} else {
			diff_includes(c, &cur, owned, n_owned, &u);
			if (*u.err) {
				rc = fail(c, APPLY_BLOCKED, "cannot build the dialplan change: %s", u.err);
			} else {
				rc = send_claimed(c, PBX_DIALPLAN_FILE, &cur, owned, n_owned, c->dialplan.want,
						  c->dialplan.n, &u, PBX_DIALPLAN_MODULE, detail, sizeof detail);
				if (rc > 0)
					rc = fail_ami(c, AMI_ERROR, "the dialplan change", detail);
			}
		}
	}
	ami_update_free(&u);
	ami_config_free(&cur);
	return rc;
}

/* ---------- one phone ---------- */

static int64_t retry_at(const struct applier *a, const struct phone *p, enum apply_outcome kind, int64_t now)
{
	if (kind != APPLY_REFUSED)
		return now + a->s.retry_interval; /* PBX down or answer lost: try again as soon as it may be back */
	/* Asterisk said no: retrying at full speed would only repeat the refusal. Double up to 5 minutes. */
	int64_t delay = a->s.retry_interval;
	for (int i = 0; i < p->attempts && delay < REFUSED_MAX_DELAY; i++)
		delay *= 2;
	return now + (delay > REFUSED_MAX_DELAY ? REFUSED_MAX_DELAY : delay);
}

static void apply_locked(struct applier *a, struct db *db, int64_t phone_id, int64_t now, struct apply_result *r)
{
	struct phone p;
	enum phones_result pr = phones_get(db, phone_id, &p);
	if (pr == PHONES_NOT_FOUND) {
		r->applied = true; /* purged by a concurrent apply: nothing left to do */
		r->outcome = APPLY_DONE;
		return;
	}
	if (pr != PHONES_OK) {
		snprintf(r->message, sizeof r->message, "database error");
		r->outcome = APPLY_RETRY;
		return;
	}
	struct apply_ctx *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	*c = (struct apply_ctx){ .a = a, .db = db, .p = &p, .now = now, .r = r };
	c->fresh = !p.deleted && !*p.applied_extension && p.attempts == 0 && p.applied_version == 0;
	/* The files are rendered first: a value the phones' templates refuse stops the change before the PBX. */
	struct provision_output files = { 0 };
	char msg[300];
	int rc = prepare(c);
	if (rc == 0 && !p.deleted && apply_files_render(&a->s, a->prov, &p, &files, msg, sizeof msg) != 0)
		rc = fail(c, APPLY_BLOCKED, "%s", msg);
	if (rc == 0 && c->fresh)
		rc = create_fresh(c);
	if (rc == 0)
		rc = channel_step(c);
	if (rc == 0)
		rc = dialplan_step(c);
	if (rc == 0) {
		pthread_mutex_lock(&a->files_lock);
		if (apply_files_write(&a->s, db, &p, &files, msg, sizeof msg) != 0)
			rc = fail(c, APPLY_RETRY, "%s", msg);
		pthread_mutex_unlock(&a->files_lock);
	}
	provision_output_free(&files);
	free(c);
	if (rc == 0) {
		int drc = p.deleted ? phones_purge(db, p.id, p.version)
				    : phones_mark_applied(db, p.id, p.version, p.extension, p.mac, p.model);
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
	log_warn("phone %lld (%s): not applied%s: %s", (long long)p.id, p.extension, blocked ? " (needs a person)" : "",
		 r->message);
	phones_mark_failed(db, p.id, p.version, r->message, blocked ? 0 : retry_at(a, &p, r->outcome, now), blocked);
}

void applier_apply(struct applier *a, struct db *db, int64_t phone_id, int64_t now, struct apply_result *r)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&a->apply_lock);
	apply_locked(a, db, phone_id, now, r);
	pthread_mutex_unlock(&a->apply_lock);
}

/* ---------- work handed over by web requests ---------- */

static void job_release_locked(struct apply_job *j)
{
	if (--j->refs == 0)
		free(j);
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
	pthread_mutex_lock(&a->mu);
	if (a->queue_tail)
		a->queue_tail->next = j;
	else
		a->queue_head = j;
	a->queue_tail = j;
	a->wake = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return j;
}

/* Waits up to wait_ms for j; copies its outcome out with done = true if it finished in time. Lets go of j. */
static bool job_wait(struct applier *a, struct apply_job *j, int wait_ms, struct apply_job *out)
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
	if (done)
		*out = *j;
	job_release_locked(j);
	pthread_mutex_unlock(&a->mu);
	return done;
}

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
		} else {
			j->check = applier_check_extension(a, db, j->extension, now, j->where, sizeof j->where);
		}
		pthread_mutex_lock(&a->mu);
		j->done = true;
		pthread_cond_broadcast(&a->done_cv);
		job_release_locked(j);
		pthread_mutex_unlock(&a->mu);
	}
}

void applier_save(struct applier *a, int64_t phone_id, struct apply_result *r)
{
	struct apply_job *j = job_submit(a, JOB_APPLY, phone_id, NULL), out;
	if (job_wait(a, j, a->s.save_wait_ms, &out)) {
		*r = out.result;
		return;
	}
	memset(r, 0, sizeof *r);
	r->outcome = APPLY_RETRY;
	r->slow = true;
	snprintf(r->message, sizeof r->message, "the PBX is slow to answer");
}

enum applier_check applier_check_extension_now(struct applier *a, const char *extension, char *where, size_t len)
{
	struct apply_job *j = job_submit(a, JOB_CHECK, 0, extension), out;
	if (!job_wait(a, j, a->s.save_wait_ms, &out))
		return APPLIER_UNKNOWN;
	snprintf(where, len, "%s", out.where);
	return out.check;
}

int applier_apply_due(struct applier *a, struct db *db, int64_t now)
{
	int64_t ids[DUE_BATCH];
	int applied = run_queued(a, db);
	int n = phones_due(db, now, ids, DUE_BATCH);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		applied += run_queued(a, db);   /* what people are waiting for goes first */
		struct apply_result r;
		applier_apply(a, db, ids[i], now, &r);
		if (r.applied)
			applied++;
		else if (r.unreachable)
			break; /* the rest would fail the same way; their turn comes next round */
	}
	return applied + run_queued(a, db);
}

/* ---------- checking an extension before a phone takes it ---------- */

enum applier_check applier_check_extension(struct applier *a, struct db *db, const char *extension, int64_t now,
					   char *where, size_t len)
{
	char names[PBX_MAX_SECTIONS][32], context[32], detail[300];
	const char *name_ptrs[PBX_MAX_SECTIONS + 1];
	size_t n = pbx_section_names(&a->s, extension, names);
	for (size_t i = 0; i < n; i++)
		name_ptrs[i] = names[i];
	pbx_dialplan_context(extension, context);
	const char *dial_names[2] = { context, a->s.context };
	struct ami_config chan = { 0 }, dial = { 0 };
	struct pbx_ownership own_chan, own_dial;
	enum applier_check verdict = APPLIER_UNKNOWN;
	const char *file = pbx_config_file(a->s.driver);
	if (pbx_read_categories(a->pool, file, name_ptrs, n, &chan, detail, sizeof detail) != AMI_OK ||
	    pbx_read_categories(a->pool, PBX_DIALPLAN_FILE, dial_names, 2, &dial, detail, sizeof detail) != AMI_OK ||
	    pbx_classify(db, file, &chan, name_ptrs, n, now, &own_chan) != 0 ||
	    pbx_classify(db, PBX_DIALPLAN_FILE, &dial, dial_names, 1, now, &own_dial) != 0)
		goto out;
	verdict = APPLIER_FREE;
	for (size_t i = 0; i < n; i++)
		if (own_chan.foreign[i]) {
			snprintf(where, len, "%s", own_chan.where);
			verdict = APPLIER_TAKEN;
		}
	if (verdict == APPLIER_FREE && own_dial.foreign[0]) {
		snprintf(where, len, "%s", own_dial.where);
		verdict = APPLIER_TAKEN;
	}
	for (size_t k = 0; k < dial.n_cats && verdict == APPLIER_FREE; k++) {
		if (strcmp(dial.cats[k].name, a->s.context) != 0)
			continue;
		for (size_t l = 0; l < dial.cats[k].n_lines && verdict == APPLIER_FREE; l++)
			if (is_exten_of(&dial.cats[k].lines[l], extension)) {
				snprintf(where, len, "%s [%s], exten %s", PBX_DIALPLAN_FILE, a->s.context, extension);
				verdict = APPLIER_TAKEN;
			}
	}
out:
	ami_config_free(&chan);
	ami_config_free(&dial);
	return verdict;
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
			int n = applier_apply_due(a, db, now);
			if (n > 0)
				log_info("applier: applied %d phones", n);
			next_round = (int64_t)time(NULL) + a->s.retry_interval;
		}
		pthread_mutex_lock(&a->mu);
		if (a->stop)
			break;
		if (!a->wake && !a->queue_head) {
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
	db_close(db);
	return NULL;
}

int applier_start(struct applier *a)
{
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
	pthread_mutex_destroy(&a->apply_lock);
	pthread_mutex_destroy(&a->files_lock);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	pthread_cond_destroy(&a->done_cv);
	free(a);
}
