/* apply: the reconciler (see apply.h). */
#include "pbx/apply.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/file.h"
#include "util/log.h"

#define MAX_OWNED_EXT 2         /* a phone's extension now, and the one the PBX still has */
#define MAX_OWNED_NAMES 4
#define DUE_BATCH 256
#define REFUSED "Asterisk refused " /* starts the message of a change Asterisk answered with an error */

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
	pthread_cond_t cv;
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
	return a;
}

/* ---------- reading what Asterisk has ---------- */

/* Moves the categories of src to the end of dst. */
static void config_append(struct ami_config *dst, struct ami_config *src)
{
	if (src->n_cats == 0)
		return;
	struct ami_cfg_cat *grown = realloc(dst->cats, (dst->n_cats + src->n_cats) * sizeof *grown);
	if (!grown)
		abort();
	memcpy(grown + dst->n_cats, src->cats, src->n_cats * sizeof *grown);
	dst->cats = grown;
	dst->n_cats += src->n_cats;
	src->n_cats = 0;
}

/* Describes a failed AMI exchange for the user. */
static void describe(const char *what, enum ami_status st, const char *detail, char *msg, size_t len)
{
	switch (st) {
	case AMI_UNREACHABLE:
		snprintf(msg, len, "the PBX cannot be reached (%s)", detail);
		break;
	case AMI_UNKNOWN_OUTCOME:
		snprintf(msg, len, "the connection to the PBX was lost during %s; it will be checked and retried", what);
		break;
	case AMI_ERROR:
		snprintf(msg, len, REFUSED "%s: %s", what, detail);
		break;
	default:
		snprintf(msg, len, "%s failed: %s", what, detail);
		break;
	}
}

/* Appends to merged the categories named category in file. A missing file or category adds nothing. */
static int get_categories(struct applier *a, const char *file, const char *category, struct ami_config *merged,
			  char *msg, size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "GetConfig");
	ami_msg_add(&m, "Filename", file);
	ami_msg_add(&m, "Category", category);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(a->pool, &m, &r);
	int rc = 0;
	if (st == AMI_OK) {
		struct ami_config one = { 0 };
		char err[200];
		if (ami_config_parse(r.response, &one, err, sizeof err) != 0) {
			snprintf(msg, len, "unreadable GetConfig answer for %s: %s", file, err);
			rc = -1;
		} else {
			config_append(merged, &one);
		}
		ami_config_free(&one);
	} else if (!(st == AMI_ERROR && strcmp(r.message, "Config file not found") == 0)) {
		describe("reading the configuration", st, r.message, msg, len);
		rc = -1;
	}
	ami_result_free(&r);
	ami_msg_free(&m);
	return rc;
}

/* Sends u (if it holds any action) with a reload of module. */
static int send_update(struct applier *a, struct ami_update *u, const char *module, char *msg, size_t len)
{
	if (u->n == 0)
		return 0;
	ami_update_set_reload(u, module);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_update_config(a->pool, u, true, &r);
	int rc = 0;
	if (st != AMI_OK) {
		describe("the change", st, r.message, msg, len);
		rc = -1;
	}
	ami_result_free(&r);
	return rc;
}

/* The extensions a phone's apply is responsible for: where it is wanted, and where the PBX still has it. */
static size_t owned_extensions(const struct phone *p, char out[MAX_OWNED_EXT][PHONE_EXT_MAX])
{
	size_t n = 0;
	if (!p->deleted)
		snprintf(out[n++], PHONE_EXT_MAX, "%s", p->extension);
	if (*p->applied_extension && (n == 0 || strcmp(out[0], p->applied_extension) != 0))
		snprintf(out[n++], PHONE_EXT_MAX, "%s", p->applied_extension);
	return n;
}

/* The live phone holding extension now: 1 found, 0 none, -1 database error (msg set). */
static int live_holder(struct db *db, const char *extension, struct phone *holder, char *msg, size_t len)
{
	enum phones_result pr = phones_get_live_by_extension(db, extension, holder);
	if (pr == PHONES_DB_ERROR) {
		snprintf(msg, len, "database error");
		return -1;
	}
	return pr == PHONES_OK ? 1 : 0;
}

/* ---------- the plan ---------- */

/* What one apply will do, read from the database before any AMI traffic. */
struct apply_plan {
	struct applier *a;
	char exts[MAX_OWNED_EXT][PHONE_EXT_MAX];
	size_t n_ext;
	bool fresh;               /* nothing of these extensions was ever applied: try creating first */
	bool created_channel, created_dialplan;   /* done by the creation requests */
	/* channel driver's file */
	char names[MAX_OWNED_NAMES][32];
	const char *owned[MAX_OWNED_NAMES];
	size_t n_names;
	struct pbx_sections sections[MAX_OWNED_EXT];
	struct ami_cfg_want want[MAX_OWNED_EXT * PBX_MAX_SECTIONS];
	size_t n_want;
	/* dialplan: each extension's own context, and the include lines in the internal context */
	char contexts[MAX_OWNED_EXT][32];
	const char *owned_contexts[MAX_OWNED_EXT];
	struct pbx_sections dialplan;
	bool included[MAX_OWNED_EXT];   /* contexts[i] should be included (a live phone holds exts[i]) */
};

/* Reads the wanted state of every owned extension: whichever live phone holds it now (maybe not the
 * phone being applied). Returns 0, or -1 with msg. */
static int prepare_plan(struct applier *a, struct db *db, struct apply_plan *plan, char *msg, size_t len)
{
	for (size_t i = 0; i < plan->n_ext; i++)
		plan->n_names += pbx_section_names(&a->s, plan->exts[i], plan->names + plan->n_names);
	for (size_t i = 0; i < plan->n_names; i++)
		plan->owned[i] = plan->names[i];
	for (size_t i = 0; i < plan->n_ext; i++) {
		pbx_dialplan_context(plan->exts[i], plan->contexts[i]);
		plan->owned_contexts[i] = plan->contexts[i];
	}
	for (size_t i = 0; i < plan->n_ext; i++) {
		struct phone holder;
		int found = live_holder(db, plan->exts[i], &holder, msg, len);
		if (found < 0)
			return -1;
		if (!found)
			continue;
		if (pbx_phone_sections(&a->s, &holder, &plan->sections[i]) != 0) {
			snprintf(msg, len, "phone %s: a value is too long for the PBX", plan->exts[i]);
			return -1;
		}
		for (size_t k = 0; k < plan->sections[i].n; k++)
			plan->want[plan->n_want++] = plan->sections[i].want[k];
		if (pbx_dialplan_section(&a->s, plan->exts[i], &plan->dialplan) != 0) {
			snprintf(msg, len, "phone %s: dialplan values too long", plan->exts[i]);
			return -1;
		}
		plan->included[i] = true;
	}
	return 0;
}

/* ---------- step 1: the channel driver's file ---------- */

/* Sends u, built as a creation (every owned category starts with a NewCat), without reading first.
 * Returns 0 done, -1 failed for good (msg set), or 1 when Asterisk refused it because something exists
 * after all: a refused UpdateConfig writes nothing, so the caller reads and diffs instead. */
static int try_create(struct applier *a, struct ami_update *u, char *msg, size_t len)
{
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_update_config(a->pool, u, true, &r);
	int rc = st == AMI_OK ? 0 : 1;
	if (st == AMI_UNREACHABLE || st == AMI_UNKNOWN_OUTCOME) {
		describe("the change", st, r.message, msg, len);
		rc = -1;
	}
	ami_result_free(&r);
	return rc;
}

/* A phone never applied: send the creation requests without reading first (see pbx_creation_updates).
 * Each one Asterisk refuses is left to the read-and-diff step. Returns -1 only if the PBX is unreachable
 * or an answer was lost. */
static int create_fresh(struct applier *a, const struct phone *p, struct apply_plan *plan, char *msg, size_t len)
{
	struct ami_update chan, dial;
	char err[200];
	int rc = 0;
	if (pbx_creation_updates(&a->s, p, &chan, &dial, err, sizeof err) == 0) {
		rc = try_create(a, &chan, msg, len);
		plan->created_channel = rc == 0;
		if (rc != -1) {
			int d = try_create(a, &dial, msg, len);
			plan->created_dialplan = d == 0;
			rc = d == -1 ? -1 : 0;
		}
	}
	ami_update_free(&chan);
	ami_update_free(&dial);
	return rc == -1 ? -1 : 0;
}

static int channel_step(struct apply_plan *plan, char *msg, size_t len)
{
	struct applier *a = plan->a;
	const char *file = pbx_config_file(a->s.driver);
	if (plan->created_channel)
		return 0;
	struct ami_config cur = { 0 };
	struct ami_update u;
	ami_update_init(&u, file);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < plan->n_names; i++)
		rc = get_categories(a, file, plan->names[i], &cur, msg, len);
	if (rc == 0) {
		char err[200];
		if (ami_config_diff(&cur, plan->owned, plan->n_names, plan->want, plan->n_want, &u, err, sizeof err) != 0) {
			snprintf(msg, len, "cannot compute the change for %s: %s", file, err);
			rc = -1;
		} else {
			rc = send_update(a, &u, pbx_reload_module(a->s.driver), msg, len);
		}
	}
	ami_update_free(&u);
	ami_config_free(&cur);
	return rc;
}

/* ---------- step 2: the dialplan ---------- */

/* Adds the include lines of the owned contexts to u: every copy that should not be there goes (Delete by
 * Match removes all copies), then each wanted include not present exactly once is appended. Other lines
 * of the internal context belong to the integrator and are never touched. */
static void diff_includes(const struct apply_plan *plan, const struct ami_config *cur, struct ami_update *u)
{
	const char *context = plan->a->s.context;
	int copies[MAX_OWNED_EXT] = { 0 };
	bool have_context = false;
	for (size_t c = 0; c < cur->n_cats; c++) {
		if (strcmp(cur->cats[c].name, context) != 0)
			continue;
		have_context = true;
		for (size_t l = 0; l < cur->cats[c].n_lines; l++)
			for (size_t i = 0; i < plan->n_ext; i++)
				if (strcasecmp(cur->cats[c].lines[l].name, "include") == 0 &&
				    strcmp(cur->cats[c].lines[l].value, plan->contexts[i]) == 0)
					copies[i]++;
	}
	for (size_t i = 0; i < plan->n_ext; i++)
		if (copies[i] > 1 || (copies[i] == 1 && !plan->included[i]))
			ami_update_add(u, AMI_UC_DELETE, context, "include", NULL, plan->contexts[i], -1, NULL, NULL);
	bool any = false;
	for (size_t i = 0; i < plan->n_ext; i++)
		any |= plan->included[i] && copies[i] != 1;
	if (any && !have_context)
		ami_update_add(u, AMI_UC_NEWCAT, context, NULL, NULL, NULL, -1, NULL, NULL);
	for (size_t i = 0; i < plan->n_ext; i++)
		if (plan->included[i] && copies[i] != 1)
			ami_update_add(u, AMI_UC_APPEND, context, "include", plan->contexts[i], NULL, -1, NULL, NULL);
}

static int dialplan_step(struct apply_plan *plan, char *msg, size_t len)
{
	struct applier *a = plan->a;
	char err[200];
	if (plan->created_dialplan)
		return 0;
	struct ami_config cur = { 0 };
	int rc = get_categories(a, PBX_DIALPLAN_FILE, a->s.context, &cur, msg, len);
	for (size_t i = 0; rc == 0 && i < plan->n_ext; i++)
		rc = get_categories(a, PBX_DIALPLAN_FILE, plan->contexts[i], &cur, msg, len);
	struct ami_update u;
	ami_update_init(&u, PBX_DIALPLAN_FILE);
	if (rc == 0) {
		if (ami_config_diff(&cur, plan->owned_contexts, plan->n_ext, plan->dialplan.want, plan->dialplan.n, &u, err,
				    sizeof err) != 0) {
			snprintf(msg, len, "cannot compute the dialplan change: %s", err);
			rc = -1;
		} else {
			diff_includes(plan, &cur, &u);
			if (*u.err) {
				snprintf(msg, len, "cannot build the dialplan change: %s", u.err);
				rc = -1;
			} else {
				rc = send_update(a, &u, PBX_DIALPLAN_MODULE, msg, len);
			}
		}
	}
	ami_update_free(&u);
	ami_config_free(&cur);
	return rc;
}

/* ---------- step 3: provisioning files ---------- */

static int render_phone(struct applier *a, const struct phone *p, struct provision_output *out, char *msg,
			size_t len)
{
	struct provision_phone pp = {
		.mac = p->mac,
		.model = p->model,
		.extension = p->extension,
		.display_name = p->name,
		.secret = p->secret,
		.server = a->s.prov_server,
		.port = a->s.prov_port,
		.transport = a->s.prov_transport,
	};
	char err[200];
	if (provision_render(a->prov, &pp, out, err, sizeof err) != PROVISION_OK) {
		snprintf(msg, len, "provisioning file: %s", err);
		return -1;
	}
	return 0;
}

/* Removes the files of (mac, model) that phone id no longer needs. When another live phone now has that
 * MAC (a removal or change still pending while the MAC was reused), only the names that phone does not
 * produce go: same-name vendors keep its file, others lose the stale one with the old password. */
static int remove_files_of(struct db *db, const char *dir, int64_t id, const char *mac, const char *model, char *err,
			   size_t errlen)
{
	struct phone other;
	if (phones_get_live_by_mac(db, mac, &other) == PHONES_OK && other.id != id)
		return provision_remove_stale(dir, mac, model, other.mac, other.model, err, errlen) == PROVISION_OK ? 0
														    : -1;
	return provision_remove(dir, mac, model, err, errlen) == PROVISION_OK ? 0 : -1;
}

static int apply_files(struct applier *a, struct db *db, const struct phone *p, char *msg, size_t len)
{
	char err[200];
	int rc = 0;
	pthread_mutex_lock(&a->files_lock);
	if (!p->deleted) {
		struct provision_output out;
		rc = render_phone(a, p, &out, msg, len);
		if (rc == 0 && provision_write(a->s.prov_dir, &out, err, sizeof err) != PROVISION_OK) {
			snprintf(msg, len, "writing the provisioning file: %s", err);
			rc = -1;
		}
		provision_output_free(&out);
		/* The files of the phone's previous MAC/model, minus the names it still uses. */
		if (rc == 0 && *p->applied_mac && *p->applied_model &&
		    (strcmp(p->applied_mac, p->mac) != 0 || strcmp(p->applied_model, p->model) != 0)) {
			struct phone other;
			bool reused = phones_get_live_by_mac(db, p->applied_mac, &other) == PHONES_OK && other.id != p->id;
			if (provision_remove_stale(a->s.prov_dir, p->applied_mac, p->applied_model,
						   reused ? other.mac : p->mac, reused ? other.model : p->model, err,
						   sizeof err) != PROVISION_OK) {
				snprintf(msg, len, "removing the old provisioning file: %s", err);
				rc = -1;
			}
		}
	} else {
		if (*p->applied_mac && *p->applied_model)
			rc = remove_files_of(db, a->s.prov_dir, p->id, p->applied_mac, p->applied_model, err, sizeof err);
		if (rc == 0)
			rc = remove_files_of(db, a->s.prov_dir, p->id, p->mac, p->model, err, sizeof err);
		if (rc)
			snprintf(msg, len, "removing the provisioning file: %s", err);
	}
	pthread_mutex_unlock(&a->files_lock);
	return rc;
}

/* ---------- one phone ---------- */

static int64_t retry_at(const struct applier *a, const struct phone *p, bool refused, int64_t now)
{
	if (!refused)
		return now + a->s.retry_interval; /* PBX down or answer lost: try again as soon as it may be back */
	/* Asterisk said no: retrying at full speed would only repeat the refusal. Double up to 5 minutes. */
	int64_t delay = a->s.retry_interval;
	for (int i = 0; i < p->attempts && delay < 300; i++)
		delay *= 2;
	return now + (delay > 300 ? 300 : delay);
}

static void apply_locked(struct applier *a, struct db *db, int64_t phone_id, int64_t now, struct apply_result *r)
{
	struct phone p;
	enum phones_result pr = phones_get(db, phone_id, &p);
	if (pr == PHONES_NOT_FOUND) {
		r->applied = true; /* purged by a concurrent apply: nothing left to do */
		return;
	}
	if (pr != PHONES_OK) {
		snprintf(r->message, sizeof r->message, "database error");
		return;
	}
	struct apply_plan plan = { .a = a };
	plan.n_ext = owned_extensions(&p, plan.exts);
	/* A phone never applied, on its first attempt: create without reading (safe, see create_fresh). */
	plan.fresh = !p.deleted && !*p.applied_extension && p.attempts == 0 && p.applied_version == 0;
	int rc = prepare_plan(a, db, &plan, r->message, sizeof r->message);
	if (rc == 0 && plan.fresh)
		rc = create_fresh(a, &p, &plan, r->message, sizeof r->message);
	if (rc == 0)
		rc = channel_step(&plan, r->message, sizeof r->message);
	if (rc == 0)
		rc = dialplan_step(&plan, r->message, sizeof r->message);
	if (rc == 0)
		rc = apply_files(a, db, &p, r->message, sizeof r->message);
	if (rc == 0) {
		int drc = p.deleted ? phones_purge(db, p.id, p.version)
				    : phones_mark_applied(db, p.id, p.version, p.extension, p.mac, p.model);
		if (drc != 0) {
			snprintf(r->message, sizeof r->message, "database error");
			return;
		}
		r->applied = true;
		return;
	}
	bool refused = strncmp(r->message, REFUSED, strlen(REFUSED)) == 0;
	log_warn("phone %lld (%s): not applied: %s", (long long)p.id, p.extension, r->message);
	phones_mark_failed(db, p.id, r->message, retry_at(a, &p, refused, now));
}

void applier_apply(struct applier *a, struct db *db, int64_t phone_id, int64_t now, struct apply_result *r)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&a->apply_lock);
	apply_locked(a, db, phone_id, now, r);
	pthread_mutex_unlock(&a->apply_lock);
}

int applier_apply_due(struct applier *a, struct db *db, int64_t now)
{
	int64_t ids[DUE_BATCH];
	int n = phones_due(db, now, ids, DUE_BATCH);
	if (n < 0)
		return -1;
	int applied = 0;
	for (int i = 0; i < n; i++) {
		struct apply_result r;
		applier_apply(a, db, ids[i], now, &r);
		if (r.applied)
			applied++;
		else if (strstr(r.message, "cannot be reached"))
			break; /* the rest would fail the same way; their turn comes next round */
	}
	return applied;
}

/* Rewrites one phone's files if they are missing or differ from a fresh rendering. Returns files written. */
static int refresh_files(struct applier *a, const struct phone *p)
{
	struct provision_output out;
	char msg[300];
	int written = 0;
	if (render_phone(a, p, &out, msg, sizeof msg) != 0) {
		log_err("phone %s: %s", p->extension, msg);
		provision_output_free(&out);
		return 0;
	}
	for (size_t f = 0; f < out.count; f++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", a->s.prov_dir, out.files[f].name);
		size_t len = 0;
		char *disk = file_read_all(path, 1 << 20, &len);
		bool same = disk && len == out.files[f].data.len && memcmp(disk, buf_cstr(&out.files[f].data), len) == 0;
		free(disk);
		if (same)
			continue;
		if (file_write_atomic(path, buf_cstr(&out.files[f].data), out.files[f].data.len, 0640) == 0)
			written++;
		else
			log_err("provisioning %s: %s", path, strerror(errno));
	}
	provision_output_free(&out);
	return written;
}

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
				written += refresh_files(a, &p);
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
	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		pthread_mutex_unlock(&a->mu);
		ami_pool_keepalive(a->pool); /* pings idle connections, drops dead ones */
		int n = applier_apply_due(a, db, (int64_t)time(NULL));
		if (n > 0)
			log_info("applier: applied %d pending phones", n);
		pthread_mutex_lock(&a->mu);
		if (a->stop)
			break;
		if (!a->wake) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += a->s.retry_interval;
			pthread_cond_timedwait(&a->cv, &a->mu, &until);
		}
		a->wake = false;
	}
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
	free(a);
}
