/* verify: what Asterisk has against what Centralita applied, and the integrator's snapshot (see verify.h). */
#include "pbx/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pbx/legacy.h"
#include "pbx/loaded.h"
#include "pbx/ownership.h"
#include "pbx/pbx_file.h"
#include "pbx/phone_group.h"
#include "pbx/reload.h"
#include "pbx/verify_internal.h"
#include "util/log.h"

#define PAGE 256

void pbx_snapshot_free(struct pbx_snapshot *s)
{
	free(s->cats);
	free(s->extens);
	memset(s, 0, sizeof *s);
}

enum ami_status verify_read_file(struct ami_pool *pool, const char *file, const char *category,
				 struct ami_config *out, enum file_state *state, char *msg, size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "GetConfig");
	ami_msg_add(&m, "Filename", file);
	if (category)
		ami_msg_add(&m, "Category", category);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(pool, &m, &r);
	*state = FILE_READ;
	if (st == AMI_OK) {
		char err[200];
		if (ami_config_parse(r.response, out, err, sizeof err) != 0) {
			snprintf(msg, len, "unreadable GetConfig answer for %s: %s", file, err);
			st = AMI_ERROR;
		}
	} else if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_FILE_NOT_FOUND) {
		*state = FILE_ABSENT;
		st = AMI_OK;
	} else if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_FILE_INVALID) {
		*state = FILE_UNREADABLE;
		st = AMI_OK;
	} else {
		snprintf(msg, len, "reading %s: %s", file, r.message);
	}
	ami_result_free(&r);
	ami_msg_free(&m);
	return st;
}

static bool same_lines(const struct ami_cfg_line *a, size_t na, const struct ami_cfg_line *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcasecmp(a[i].name, b[i].name) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return false;
	return true;
}

bool verify_take_category(const struct ami_config *merged, bool *used, const struct ami_cfg_cat *cat)
{
	for (size_t i = 0; i < merged->n_cats; i++) {
		const struct ami_cfg_cat *m = &merged->cats[i];
		if (!used[i] && strcasecmp(m->name, cat->name) == 0 && same_lines(m->lines, m->n_lines, cat->lines, cat->n_lines)) {
			used[i] = true;
			return true;
		}
	}
	return false;
}

/* The lines of the [centralita-phones] categories of a merged dialplan, flattened, with a used mark each. */
struct line_pool {
	const struct ami_cfg_line **lines;
	bool *used;
	size_t n;
};

static void line_pool_init(struct line_pool *lp, const struct ami_config *dial)
{
	memset(lp, 0, sizeof *lp);
	size_t total = 0;
	for (size_t c = 0; c < dial->n_cats; c++)
		if (strcasecmp(dial->cats[c].name, PBX_PHONES_CONTEXT) == 0)
			total += dial->cats[c].n_lines;
	lp->lines = calloc(total + 1, sizeof *lp->lines);
	lp->used = calloc(total + 1, sizeof *lp->used);
	if (!lp->lines || !lp->used)
		abort();
	for (size_t c = 0; c < dial->n_cats; c++)
		if (strcasecmp(dial->cats[c].name, PBX_PHONES_CONTEXT) == 0)
			for (size_t l = 0; l < dial->cats[c].n_lines; l++)
				lp->lines[lp->n++] = &dial->cats[c].lines[l];
}

static bool take_line(struct line_pool *lp, const struct ami_cfg_line *line)
{
	for (size_t i = 0; i < lp->n; i++)
		if (!lp->used[i] && strcasecmp(lp->lines[i]->name, line->name) == 0 &&
		    strcmp(lp->lines[i]->value, line->value) == 0) {
			lp->used[i] = true;
			return true;
		}
	return false;
}

bool verify_file_matches(const struct ami_config *file, const struct ami_cfg_want *want, size_t n, char *why,
			 size_t len)
{
	bool *taken = calloc(n + 1, sizeof *taken);
	if (!taken)
		abort();
	bool ok = true;
	for (size_t c = 0; c < file->n_cats && ok; c++) {
		const struct ami_cfg_cat *cat = &file->cats[c];
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			if (!taken[i] && strcasecmp(cat->name, want[i].name) == 0 &&
			    same_lines(cat->lines, cat->n_lines, want[i].lines, want[i].n_lines))
				taken[i] = found = true;
		if (!found) {
			const char *type = pbx_lines_type(cat->lines, cat->n_lines);
			bool named = false;   /* a section of its own, with other lines (cut short, edited by hand) */
			for (size_t i = 0; i < n && !named; i++)
				named = strcasecmp(cat->name, want[i].name) == 0 &&
					strcmp(type, pbx_lines_type(want[i].lines, want[i].n_lines)) == 0;
			snprintf(why, len, named ? "has its section [%s]%s%s%s with other lines than Centralita wrote"
						 : "has a section [%s]%s%s%s that is not Centralita's",
				 cat->name, *type ? " (" : "", type, *type ? ")" : "");
			ok = false;
		}
	}
	for (size_t i = 0; i < n && ok; i++)
		if (!taken[i]) {
			const char *type = pbx_lines_type(want[i].lines, want[i].n_lines);
			snprintf(why, len, "lacks the section [%s]%s%s%s", want[i].name, *type ? " (" : "", type,
				 *type ? ")" : "");
			ok = false;
		}
	free(taken);
	return ok;
}

/* The extension a dialplan line "exten = <ext>,..." (or "<ext>/<cid>,...") answers, into out; false if none. */
static bool exten_of(const struct ami_cfg_line *line, char *out, size_t size)
{
	if (strcasecmp(line->name, "exten") != 0)
		return false;
	const char *v = line->value;
	while (*v == ' ' || *v == '\t' || *v == '>')
		v++;
	size_t n = strcspn(v, ",/ \t");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	return true;
}

static void add_exten(struct pbx_snapshot *snap, const char *ext, const char *context, size_t *cap)
{
	if (snap->n_extens == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		snap->extens = realloc(snap->extens, *cap * sizeof *snap->extens);
		if (!snap->extens)
			abort();
	}
	struct pbx_foreign_exten *e = &snap->extens[snap->n_extens++];
	snprintf(e->exten, sizeof e->exten, "%s", ext);
	snprintf(e->context, sizeof e->context, "%s", context);
}

const char *verify_file_problem(enum file_state st)
{
	return st == FILE_ABSENT ? "is missing" : "cannot be read by Asterisk (cut short by a crash?)";
}

/* What verifying one phone's files found. */
struct phone_check {
	bool unreadable;          /* a file Asterisk cannot parse: it also stops the rest of the #tryinclude glob */
	size_t loaded[2];         /* categories / dialplan lines of its files found in Asterisk's merged view */
	size_t not_loaded[2];     /* ... and not found there */
	char problem[PHONE_ERROR_MAX];   /* "" if its files hold what it should have */
	bool outdated;            /* its files hold what Centralita last wrote, not what it would write now */
};

void verify_take_damaged(const struct ami_config *merged, bool *used, const struct ami_cfg_want *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *type = pbx_lines_type(want[i].lines, want[i].n_lines);
		for (size_t c = 0; c < merged->n_cats; c++) {
			const struct ami_cfg_cat *m = &merged->cats[c];
			if (!used[c] && strcasecmp(m->name, want[i].name) == 0 &&
			    strcmp(pbx_lines_type(m->lines, m->n_lines), type) == 0) {
				used[c] = true;
				break;
			}
		}
	}
}

/* The two files of a group, read once per verification and shared by its phones (pbx.h). */
struct group_read {
	char files[2][PBX_FILE_MAX];   /* "" until read */
	struct ami_config got[2];
	enum file_state state[2];
};

static void group_read_free(struct group_read *g)
{
	ami_config_free(&g->got[0]);
	ami_config_free(&g->got[1]);
	memset(g, 0, sizeof *g);
}

/* Reads files into g and takes their content out of the merged views (what remains is the integrator's),
 * counting it into pc. */
static enum ami_status read_files(struct ami_pool *pool, char files[2][PBX_FILE_MAX], const struct ami_config *merged,
				  bool *used, struct line_pool *lp, struct group_read *g, struct phone_check *pc, char *msg,
				  size_t len)
{
	group_read_free(g);
	enum ami_status st = AMI_OK;
	for (int f = 0; f < 2 && st == AMI_OK; f++)
		st = verify_read_file(pool, files[f], NULL, &g->got[f], &g->state[f], msg, len);
	if (st != AMI_OK) {
		group_read_free(g);
		return st;
	}
	memcpy(g->files, files, sizeof g->files);
	for (size_t c = 0; c < g->got[0].n_cats; c++) {
		if (verify_take_category(merged, used, &g->got[0].cats[c]))
			pc->loaded[0]++;
		else
			pc->not_loaded[0]++;
	}
	for (size_t c = 0; c < g->got[1].n_cats; c++)
		for (size_t l = 0; l < g->got[1].cats[c].n_lines; l++) {
			if (take_line(lp, &g->got[1].cats[c].lines[l]))
				pc->loaded[1]++;
			else
				pc->not_loaded[1]++;
		}
	return AMI_OK;
}

/* The phone's part of a file it shares (chan: its sections by name; else its lines of the phones' context,
 * "exten = <ext>,..."), as a config whose categories and lines point into file's: free only the arrays. */
static void part_of(const struct pbx_settings *s, const struct ami_config *file, bool chan, const char *extension,
		    struct ami_config *out, struct ami_cfg_line **lines)
{
	memset(out, 0, sizeof *out);
	*lines = NULL;
	out->cats = calloc(file->n_cats + 1, sizeof *out->cats);
	if (!out->cats)
		abort();
	char names[2][32], prefix[PHONE_EXT_MAX + 2];
	size_t n_names = pbx_section_names(s, extension, names), n_lines = 0, plen;
	snprintf(prefix, sizeof prefix, "%s,", extension);
	plen = strlen(prefix);
	for (size_t c = 0; c < file->n_cats; c++) {
		const struct ami_cfg_cat *cat = &file->cats[c];
		if (chan) {
			for (size_t k = 0; k < n_names; k++)
				if (strcasecmp(cat->name, names[k]) == 0) {
					out->cats[out->n_cats++] = *cat;
					break;
				}
			continue;
		}
		for (size_t l = 0; l < cat->n_lines; l++)
			if (strcasecmp(cat->name, PBX_PHONES_CONTEXT) == 0 && strncmp(cat->lines[l].value, prefix, plen) == 0) {
				*lines = realloc(*lines, (n_lines + 1) * sizeof **lines);
				if (!*lines)
					abort();
				(*lines)[n_lines++] = cat->lines[l];
			}
	}
	if (!chan && n_lines > 0) {
		struct ami_cfg_cat *ctx = &out->cats[out->n_cats++];
		memset(ctx, 0, sizeof *ctx);
		ctx->name = (char *)PBX_PHONES_CONTEXT;
		ctx->lines = *lines;
		ctx->n_lines = n_lines;
	}
}

/* Whether part (the phone's sections in its file, in file order) is what Centralita last wrote there, though
 * not what it would write now: its settings changed since (a release, the configuration). Compared section by
 * section with the stored text, because the file keeps same-named sections together (endpoint, aor, then auth)
 * while the text is in writing order; the stored digest, when there is no text (a phone of an earlier release). */
static bool last_written_matches(struct db *db, const struct phone *p, bool chan, const struct ami_config *part)
{
	struct pbx_file last;
	pbx_file_init(&last);
	char why[160];
	bool same;
	if (pbx_phone_stored_part(db, p->id, chan, &last) == 0 && (last.n > 0 || *last.err)) {
		same = !*last.err && verify_file_matches(part, last.want, last.n, why, sizeof why);
	} else {
		char digest[PBX_DIGEST_HEX];
		pbx_config_digest(part, digest);
		same = strcmp(digest, chan ? p->applied_chan_digest : p->applied_dial_digest) == 0;
	}
	pbx_file_free(&last);
	return same;
}

/* Checks one phone: reads its group's two files unless g holds them already (or its own two, a phone of an
 * earlier release), takes their content out of the merged views (what remains is the integrator's), and says
 * what is wrong if the phone is applied but its part of them is not what it should be. */
static enum ami_status verify_phone(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				    const struct phone *p, const struct ami_config *merged, bool *used,
				    struct line_pool *lp, struct group_read *group, struct phone_check *pc, char *msg, size_t len)
{
	memset(pc, 0, sizeof *pc);
	char files[2][PBX_FILE_MAX];
	struct group_read own = { 0 }, *g = group;
	enum ami_status st = AMI_OK;
	if (p->own_files) {
		pbx_phone_own_files(s, p->id, files[0], files[1]);
		g = &own;
		st = read_files(pool, files, merged, used, lp, g, pc, msg, len);
	} else {
		pbx_phone_files(s, p->id, files[0], files[1]);
		if (strcmp(g->files[0], files[0]) != 0)
			st = read_files(pool, files, merged, used, lp, g, pc, msg, len);
	}
	if (st != AMI_OK)
		goto out;
	pc->unreadable = g->state[0] == FILE_UNREADABLE || g->state[1] == FILE_UNREADABLE;
	struct pbx_sections want[2];
	memset(want, 0, sizeof want);
	bool live = !p->deleted && pbx_phone_sections(s, p, &want[0]) == 0 &&
		    pbx_dialplan_section(s, p->extension, &want[1]) == 0;
	if (live && g->state[0] == FILE_UNREADABLE)
		verify_take_damaged(merged, used, want[0].want, want[0].n);
	if (!live || p->applied_version != p->version || !*p->applied_extension)
		goto out;   /* not applied: its own apply will write it */
	for (int f = 0; f < 2; f++) {
		char why[160];
		struct ami_config part;
		struct ami_cfg_line *lines;
		part_of(s, &g->got[f], f == 0, p->extension, &part, &lines);
		bool right = g->state[f] == FILE_READ && verify_file_matches(&part, want[f].want, want[f].n, why, sizeof why);
		/* Centralita's own earlier content (its settings changed since: a release, the configuration): to be
		 * written again, but nothing vanished. */
		if (!right && g->state[f] == FILE_READ && last_written_matches(db, p, f == 0, &part))
			pc->outdated = right = true;
		free(part.cats);
		free(lines);
		if (right)
			continue;
		snprintf(pc->problem, sizeof pc->problem, "its file %s %s", files[f],
			 g->state[f] == FILE_READ ? why : verify_file_problem(g->state[f]));
		break;
	}
out:
	group_read_free(&own);
	return st;
}

void verify_note_drift(struct pbx_verify_report *rep, const char *kind, int64_t id, const char *label,
		       const char *detail)
{
	rep->drift = realloc(rep->drift, (rep->n_drift + 1) * sizeof *rep->drift);
	if (!rep->drift)
		abort();
	struct pbx_drift *d = &rep->drift[rep->n_drift++];
	snprintf(d->kind, sizeof d->kind, "%s", kind);
	d->id = id;
	snprintf(d->label, sizeof d->label, "%s", label);
	snprintf(d->detail, sizeof d->detail, "%s", detail);
}

void verify_reason(char *out, size_t len, const char *detail)
{
	snprintf(out, len, "vanished from the PBX: %s; it is being restored", detail);
}

void pbx_verify_report_free(struct pbx_verify_report *rep)
{
	free(rep->drift);
	rep->drift = NULL;
	rep->n_drift = 0;
}

static int mark(struct db *db, const struct phone *p, const char *detail, struct pbx_verify_report *rep)
{
	verify_note_drift(rep, "phone", p->id, p->extension, detail);
	if (rep->dry_run)
		return 0;
	char reason[PHONE_ERROR_MAX];
	verify_reason(reason, sizeof reason, detail);
	int rc = phones_mark_drifted(db, p->id, p->version, reason);
	if (rc == 0) {
		rep->drifted++;
		log_warn("phone %lld (%s) %s", (long long)p->id, p->extension, reason);
	}
	return rc < 0 ? -1 : 0;
}

/* Adds "include => centralita-phones" to the phones' context (creating the context if there is none): the
 * one change Centralita makes in the integrator's dialplan file, once. */
static enum ami_status add_include(const struct pbx_settings *s, struct ami_pool *pool, bool have_context, char *msg,
				   size_t len)
{
	struct ami_update u;
	ami_update_init(&u, PBX_DIALPLAN_FILE);
	if (!have_context)
		ami_update_add(&u, AMI_UC_NEWCAT, s->context, NULL, NULL, NULL, -1, NULL, NULL);
	ami_update_add(&u, AMI_UC_APPEND, s->context, "include", PBX_PHONES_CONTEXT, NULL, -1, NULL, NULL);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_update_config(pool, &u, false, &r);
	if (st != AMI_OK)
		snprintf(msg, len, "adding include => %s to [%s]: %s", PBX_PHONES_CONTEXT, s->context, r.message);
	ami_result_free(&r);
	ami_update_free(&u);
	if (st == AMI_OK)
		st = pbx_reload(pool, PBX_DIALPLAN_MODULE, NULL, msg, len);
	return st;
}

/* The empty file every phone file is written from (see pbx_phone_updates). */
static enum ami_status create_empty_source(struct ami_pool *pool, char *msg, size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "CreateConfig");
	ami_msg_add(&m, "Filename", PBX_EMPTY_FILE);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(pool, &m, &r);
	if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_FILE_EXISTS)
		st = AMI_OK;
	else if (st != AMI_OK)
		snprintf(msg, len, "creating %s: %s%s", PBX_EMPTY_FILE, r.message,
			 r.refusal == AMI_REFUSAL_NO_DIRECTORY ? " (create the folder: see the README)" : "");
	ami_result_free(&r);
	ami_msg_free(&m);
	return st;
}

/* What should be live: applied phones and trunks whose files are right, and the routes dialplan if its file
 * is. */
struct live_set {
	int64_t *phones, *trunks;
	size_t n_phones, n_trunks;
	bool routes;
};

static size_t live_count(const struct live_set *l)
{
	return l->n_phones + l->n_trunks + l->routes;
}

/* Which of in Asterisk does not run with, into out (arrays as big as in's; out may be in). */
static enum ami_status find_not_loaded(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				       const struct live_set *in, struct live_set *out, char *msg, size_t len)
{
	struct pbx_loaded l = { 0 };
	enum ami_status st = pbx_loaded_read(s, pool, &l, msg, len);
	size_t np = 0, nt = 0;
	for (size_t i = 0; i < in->n_phones && st == AMI_OK; i++) {
		struct phone p;
		if (phones_get(db, in->phones[i], &p) == PHONES_OK && !pbx_loaded_phone(s, &l, &p))
			out->phones[np++] = in->phones[i];
	}
	for (size_t i = 0; i < in->n_trunks && st == AMI_OK; i++)
		if (!verify_trunk_loaded(s, &l, db, in->trunks[i]))
			out->trunks[nt++] = in->trunks[i];
	bool routes_missing = false;
	if (st == AMI_OK && in->routes) {
		bool loaded;
		st = verify_routes_loaded(s, pool, db, &loaded, msg, len);
		routes_missing = !loaded;
	}
	out->n_phones = np;
	out->n_trunks = nt;
	out->routes = routes_missing;
	pbx_loaded_free(&l);
	return st;
}

/* Phones, trunks and the routes dialplan whose files are right must also be live (see loaded.h). Those that
 * are not: if files were found damaged, their rewriting reloads the modules, which loads the rest too (a file
 * Asterisk cannot read stops the #tryinclude glob, hiding every file after it): checked again soon rather than
 * all rewritten. Otherwise the modules are reloaded once, and what is still not loaded is marked to be
 * written again. */
static enum ami_status check_loaded(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				    const struct live_set *live, bool any_unreadable, struct pbx_verify_report *rep,
				    char *msg, size_t len)
{
	if (live_count(live) == 0)
		return AMI_OK;
	struct live_set missing = { calloc(live->n_phones + 1, sizeof(int64_t)), calloc(live->n_trunks + 1, sizeof(int64_t)),
				    0, 0, false };
	if (!missing.phones || !missing.trunks)
		abort();
	enum ami_status st = find_not_loaded(s, pool, db, live, &missing, msg, len);
	size_t count = st == AMI_OK ? live_count(&missing) : 0;
	if (count > 0 && rep->dry_run) {
		rep->not_loaded = (int)count;   /* listed below (mark), not reloaded */
	} else if (count > 0 && (rep->drifted > 0 || any_unreadable)) {
		rep->not_loaded = (int)count;
		rep->recheck = true;
		count = 0;
	} else if (count > 0) {
		/* While Asterisk boots, res_pjsip may list the phones while pbx_config has loaded no dialplan yet, and
		 * a Reload is only queued though answered as done: every phone would look lost (ami.h). */
		bool booted = false;
		st = ami_pool_fully_booted(pool, &booted, msg, len);
		rep->booting = st == AMI_OK && !booted;
		if (st != AMI_OK)
			count = 0;   /* not known: the verification fails and runs again, nothing reloaded or marked */
		else if (rep->booting && !rep->assume_booted) {
			rep->not_loaded = (int)count;
			rep->recheck = true;
			count = 0;
		}
	}
	if (count > 0) {
		log_warn("verification: %zu of Centralita's phones, trunks or routes have their files but are not loaded "
			 "by Asterisk (a reload was lost?): reloading", count);
		st = pbx_reload(pool, pbx_reload_module(s->driver), NULL, msg, len);
		if (st == AMI_OK)
			st = pbx_reload(pool, PBX_DIALPLAN_MODULE, NULL, msg, len);
		if (st == AMI_OK)
			st = find_not_loaded(s, pool, db, &missing, &missing, msg, len);
		rep->reloaded = true;
	}
	static const char why[] = "Asterisk has its files but does not load them";
	for (size_t i = 0; i < missing.n_phones && st == AMI_OK && count > 0; i++) {
		struct phone p;
		if (phones_get(db, missing.phones[i], &p) == PHONES_OK && mark(db, &p, why, rep) != 0)
			st = AMI_ERROR;
	}
	for (size_t i = 0; i < missing.n_trunks && st == AMI_OK && count > 0; i++)
		if (verify_mark_trunk(db, missing.trunks[i], why, rep) != 0)
			st = AMI_ERROR;
	if (st == AMI_OK && count > 0 && missing.routes && verify_mark_routes(db, why, rep) != 0)
		st = AMI_ERROR;
	if (st == AMI_ERROR && !*msg)
		snprintf(msg, len, "database error");
	free(missing.phones);
	free(missing.trunks);
	return st;
}

enum ami_status pbx_verify(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
			   struct pbx_snapshot *snap, struct pbx_verify_report *rep, char *msg, size_t len)
{
	pbx_snapshot_free(snap);
	bool dry_run = rep->dry_run, assume_booted = rep->assume_booted;
	pbx_verify_report_free(rep);
	memset(rep, 0, sizeof *rep);
	rep->dry_run = dry_run;
	rep->assume_booted = assume_booted;
	struct ami_config merged = { 0 }, dial = { 0 };
	enum file_state fs;
	bool *used = NULL;
	struct line_pool lp = { 0 };
	size_t loaded[2] = { 0, 0 }, not_in_merged[2] = { 0, 0 };
	enum ami_status st = dry_run ? AMI_OK : pbx_legacy_migrate(s, pool, db, (int64_t)time(NULL), msg, len);
	if (st == AMI_OK)
		st = verify_read_file(pool, pbx_config_file(s->driver), NULL, &merged, &fs, msg, len);
	if (st == AMI_OK && fs == FILE_UNREADABLE) {
		snprintf(msg, len, "Asterisk cannot read %s", pbx_config_file(s->driver));
		st = AMI_ERROR;
	}
	const char *dial_names[2] = { s->context, PBX_PHONES_CONTEXT };
	for (int i = 0; i < 2 && st == AMI_OK; i++) {
		struct ami_config one = { 0 };
		st = verify_read_file(pool, PBX_DIALPLAN_FILE, dial_names[i], &one, &fs, msg, len);
		for (size_t c = 0; c < one.n_cats; c++) {   /* move the categories over */
			dial.cats = realloc(dial.cats, (dial.n_cats + 1) * sizeof *dial.cats);
			if (!dial.cats)
				abort();
			dial.cats[dial.n_cats++] = one.cats[c];
		}
		one.n_cats = 0;
		ami_config_free(&one);
	}
	if (st != AMI_OK)
		goto out;
	used = calloc(merged.n_cats + 1, sizeof *used);
	if (!used)
		abort();
	line_pool_init(&lp, &dial);
	int64_t ids[PAGE], after = 0;
	int n;
	bool any_unreadable = false;
	struct live_set live = { 0 };   /* what is applied with right files: is it loaded too? */
	struct group_read group = { 0 };   /* the last group's files, read once for its phones */
	snap->file = pbx_config_file(s->driver);
	while (st == AMI_OK && (n = phones_ids_after(db, after, ids, PAGE)) > 0) {
		for (int i = 0; i < n && st == AMI_OK; i++) {
			struct phone p;
			struct phone_check pc;
			if (phones_get(db, ids[i], &p) != PHONES_OK)
				continue;
			st = verify_phone(s, pool, db, &p, &merged, used, &lp, &group, &pc, msg, len);
			if (st != AMI_OK)
				break;
			rep->phones++;
			if (p.deleted || p.applied_version != p.version)
				rep->pending++;
			any_unreadable |= pc.unreadable;
			for (int f = 0; f < 2; f++) {
				loaded[f] += pc.loaded[f];
				not_in_merged[f] += pc.not_loaded[f];
			}
			if (*pc.problem) {
				if (mark(db, &p, pc.problem, rep) != 0) {
					snprintf(msg, len, "database error");
					st = AMI_ERROR;
				}
			} else if (pc.outdated && !dry_run) {
				if (phones_mark_outdated(db, p.id, p.version) < 0) {
					snprintf(msg, len, "database error");
					st = AMI_ERROR;
				}
				rep->outdated++;
			} else if (!p.deleted && p.applied_version == p.version && *p.applied_extension) {
				live.phones = realloc(live.phones, (live.n_phones + 1) * sizeof *live.phones);
				if (!live.phones)
					abort();
				live.phones[live.n_phones++] = p.id;
			}
		}
		after = ids[n - 1];
	}
	group_read_free(&group);
	/* Files holding phones, none of which Asterisk's merged view shows (and none it cannot read, which would
	 * stop the rest of the #tryinclude glob): pjsip.conf / extensions.conf do not include them (the
	 * integrator's one-time set-up, README). */
	snap->chan_not_loaded = !any_unreadable && loaded[0] == 0 && not_in_merged[0] > 0;
	snap->dial_not_loaded = !any_unreadable && loaded[1] == 0 && not_in_merged[1] > 0;
	/* Trunks and the routes dialplan: their files, as a phone's (issue 10). */
	if (st == AMI_OK)
		st = verify_trunks(s, pool, db, &merged, used, rep, &live.trunks, &live.n_trunks, &any_unreadable, msg, len);
	if (st == AMI_OK)
		st = verify_routes_file(s, pool, db, rep, &live.routes, msg, len);
	if (st == AMI_OK && !snap->chan_not_loaded && !snap->dial_not_loaded)
		st = check_loaded(s, pool, db, &live, any_unreadable, rep, msg, len);
	free(live.phones);
	free(live.trunks);
	if (st != AMI_OK)
		goto out;
	/* The rest of the merged views is the integrator's. */
	size_t cap = 0;
	snap->cats = calloc(merged.n_cats + 1, sizeof *snap->cats);
	if (!snap->cats)
		abort();
	for (size_t c = 0; c < merged.n_cats; c++) {
		if (used[c])
			continue;
		struct pbx_foreign_cat *f = &snap->cats[snap->n_cats++];
		snprintf(f->name, sizeof f->name, "%s", merged.cats[c].name);
		snprintf(f->type, sizeof f->type, "%s", pbx_lines_type(merged.cats[c].lines, merged.cats[c].n_lines));
	}
	char ext[PHONE_EXT_MAX];
	bool have_context = false;
	for (size_t c = 0; c < dial.n_cats; c++) {
		if (strcasecmp(dial.cats[c].name, s->context) != 0)
			continue;
		have_context = true;
		for (size_t l = 0; l < dial.cats[c].n_lines; l++) {
			const struct ami_cfg_line *line = &dial.cats[c].lines[l];
			if (exten_of(line, ext, sizeof ext))
				add_exten(snap, ext, s->context, &cap);
			else if (strcasecmp(line->name, "include") == 0 && strcmp(line->value, PBX_PHONES_CONTEXT) == 0)
				snap->have_include = true;
		}
	}
	for (size_t i = 0; i < lp.n; i++)
		if (!lp.used[i] && exten_of(lp.lines[i], ext, sizeof ext))
			add_exten(snap, ext, PBX_PHONES_CONTEXT, &cap);
	if (!snap->have_include && dry_run) {
		verify_note_drift(rep, "include", 0, s->context, "the phones' context does not include centralita-phones");
	} else if (!snap->have_include) {
		st = add_include(s, pool, have_context, msg, len);
		snap->have_include = st == AMI_OK;
	}
	if (st == AMI_OK && !dry_run)
		st = create_empty_source(pool, msg, len);
	snap->valid = st == AMI_OK;
out:
	if (!snap->valid)
		pbx_snapshot_free(snap);
	free(used);
	free(lp.lines);
	free(lp.used);
	ami_config_free(&merged);
	ami_config_free(&dial);
	return st;
}

bool pbx_snapshot_taken(const struct pbx_settings *s, const struct pbx_snapshot *snap, const char *extension,
			char *where, size_t len)
{
	char auth[AMI_MAX_CATEGORY_LEN + 1];
	snprintf(auth, sizeof auth, "%s-auth", extension);
	const char *file = pbx_config_file(s->driver);
	for (size_t i = 0; i < snap->n_cats; i++) {
		const struct pbx_foreign_cat *f = &snap->cats[i];
		/* PJSIP keeps one name space per object type: only an endpoint or aor of the phone's name, or an auth
		 * named like the phone's, collides (an identify [201] next to Centralita's endpoint is fine). */
		bool taken = s->driver == PBX_SIP ? strcasecmp(f->name, extension) == 0
						  : (strcasecmp(f->name, extension) == 0 &&
						     (strcmp(f->type, "endpoint") == 0 || strcmp(f->type, "aor") == 0)) ||
							    (strcasecmp(f->name, auth) == 0 && strcmp(f->type, "auth") == 0);
		if (taken) {
			snprintf(where, len, *f->type ? "%s [%s] (type=%s)" : "%s [%s]%s", file, f->name, f->type);
			return true;
		}
	}
	for (size_t i = 0; i < snap->n_extens; i++)
		if (strcmp(snap->extens[i].exten, extension) == 0) {
			snprintf(where, len, "%s [%s], exten %s", PBX_DIALPLAN_FILE, snap->extens[i].context, extension);
			return true;
		}
	return false;
}

bool pbx_snapshot_has(const struct pbx_snapshot *snap, const char *name, const char *type, char *where, size_t len)
{
	for (size_t i = 0; i < snap->n_cats; i++) {
		const struct pbx_foreign_cat *f = &snap->cats[i];
		if (strcasecmp(f->name, name) == 0 && (!*type || strcmp(f->type, type) == 0)) {
			snprintf(where, len, *f->type ? "%s [%s] (type=%s)" : "%s [%s]%s", snap->file, f->name, f->type);
			return true;
		}
	}
	return false;
}
