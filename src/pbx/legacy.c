/* legacy: moving phones out of the integrator's files (see legacy.h). */
#include "pbx/legacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/pbx_owned.h"
#include "db/phones.h"
#include "pbx/ownership.h"
#include "pbx/pbx_file.h"
#include "pbx/phone_group.h"
#include "pbx/reload.h"
#include "util/log.h"

#define BATCH 40         /* DelCats per UpdateConfig: well under Asterisk's 128 lines a message */
#define PAGE 256

struct legacy_row {
	char file[32];
	char category[AMI_MAX_CATEGORY_LEN + 1];
	char type[32];
};

struct rows {
	struct legacy_row *r;
	size_t n, cap;
};

static int collect(void *ctx, const char *file, const char *category, const char *type)
{
	struct rows *rows = ctx;
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 64;
		rows->r = realloc(rows->r, rows->cap * sizeof *rows->r);
		if (!rows->r)
			abort();
	}
	struct legacy_row *r = &rows->r[rows->n++];
	snprintf(r->file, sizeof r->file, "%s", file ? file : "");
	snprintf(r->category, sizeof r->category, "%s", category ? category : "");
	snprintf(r->type, sizeof r->type, "%s", type ? type : "");
	return 0;
}

/* The extension a legacy category belonged to: "201" for [201], [201-auth] and [centralita-201]. */
static void extension_of(const struct legacy_row *r, char out[PHONE_EXT_MAX])
{
	const char *c = r->category;
	if (strncmp(c, "centralita-", 11) == 0)
		c += 11;
	size_t n = strspn(c, "0123456789");
	if (n >= PHONE_EXT_MAX)
		n = 0;
	memcpy(out, c, n);
	out[n] = '\0';
}

static bool concerns(const struct rows *rows, const char *extension)
{
	char ext[PHONE_EXT_MAX];
	for (size_t i = 0; i < rows->n && *extension; i++) {
		extension_of(&rows->r[i], ext);
		if (strcmp(ext, extension) == 0)
			return true;
	}
	return false;
}

static enum ami_status send(struct ami_pool *pool, struct ami_update *u, const char *module, char *msg, size_t len)
{
	if (u->n == 0)
		return AMI_OK;
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_update_config(pool, u, false, &r);
	if (st != AMI_OK)
		snprintf(msg, len, "removing the old phones from %s: %s", u->dst, r.message);
	ami_result_free(&r);
	return st == AMI_OK ? pbx_reload(pool, module, NULL, msg, len) : st;
}

/* Writes files (a group's two, from the parts stored; or a phone's own two, empty when own) whole. */
static enum ami_status write_files(const struct pbx_settings *s, struct ami_pool *pool, struct db *db, int64_t id,
				   bool own, char *msg, size_t len)
{
	char files[2][PBX_FILE_MAX];
	if (own)
		pbx_phone_own_files(s, id, files[0], files[1]);
	else
		pbx_phone_files(s, id, files[0], files[1]);
	enum ami_status st = AMI_OK;
	for (int f = 0; f < 2 && st == AMI_OK; f++) {
		struct pbx_file file;
		pbx_file_init(&file);
		struct ami_update *ups = NULL;
		size_t n = 0;
		char err[200];
		if (!own && pbx_group_file(db, id, f == 0, NULL, 0, &file) != 0) {
			snprintf(msg, len, "database error");
			st = AMI_ERROR;
		} else if (*file.err || pbx_file_updates(&file, files[f], &ups, &n, err, sizeof err) != 0) {
			snprintf(msg, len, "writing %s: %s", files[f], *file.err ? file.err : err);
			st = AMI_INVALID;
		}
		for (size_t i = 0; i < n; i++) {
			struct ami_result r;
			ami_result_init(&r);
			if (st == AMI_OK)
				st = ami_pool_update_config(pool, &ups[i], true, &r);
			if (st != AMI_OK && !*msg)
				snprintf(msg, len, "emptying the files of phone %lld: %s", (long long)id, r.message);
			ami_result_free(&r);
			ami_update_free(&ups[i]);
		}
		free(ups);
		pbx_file_free(&file);
	}
	return st;
}

/* Takes the part of every phone a legacy category belonged to out of Centralita's files, so that the merged
 * view of the integrator's files holds only the old copies of those names, and marks those phones drifted
 * (their part is written again by the applier once the old copies are gone). */
static enum ami_status empty_new_files(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				       const struct rows *rows, char *msg, size_t len)
{
	int64_t ids[PAGE], after = 0;
	int n;
	enum ami_status st = AMI_OK;
	while (st == AMI_OK && (n = phones_ids_after(db, after, ids, PAGE)) > 0) {
		for (int i = 0; i < n && st == AMI_OK; i++) {
			struct phone p;
			if (phones_get(db, ids[i], &p) != PHONES_OK ||
			    !(concerns(rows, p.extension) || concerns(rows, p.applied_extension)))
				continue;
			*msg = '\0';
			if (p.own_files) {
				st = write_files(s, pool, db, p.id, true, msg, len);
			} else if (phones_set_part(db, p.id, true, "", "") != 0 || phones_set_part(db, p.id, false, "", "") != 0) {
				snprintf(msg, len, "database error");
				st = AMI_ERROR;
			} else {
				st = write_files(s, pool, db, p.id, false, msg, len);
			}
			if (st == AMI_OK)
				phones_mark_drifted(db, p.id, p.version, "moved from pjsip.conf into its own files");
		}
		after = ids[n - 1];
	}
	return st;
}

/* Deletes Centralita's categories named names[] from file: all of a name when they are all Centralita's, else
 * Centralita's only, by type, when no one else's shares that type; someone else's are never touched. Then
 * forgets them. */
static enum ami_status remove_categories(struct ami_pool *pool, struct db *db, const char *file, const char *module,
					 const char **names, size_t n, int64_t now, char *msg, size_t len)
{
	struct ami_config cur = { 0 };
	enum ami_status st = pbx_read_categories(pool, file, names, n, &cur, msg, len);
	struct pbx_ownership own;
	if (st == AMI_OK && pbx_classify(db, file, &cur, names, n, now, &own) != 0) {
		snprintf(msg, len, "database error");
		st = AMI_ERROR;
	}
	struct ami_update u;
	ami_update_init(&u, file);
	for (size_t k = 0; k < n && st == AMI_OK; k++) {
		if (!own.ours[k])
			continue;
		if (!own.foreign[k]) {
			ami_update_add(&u, AMI_UC_DELCAT, names[k], NULL, NULL, NULL, -1, NULL, NULL);
			continue;
		}
		for (size_t c = 0; c < cur.n_cats; c++) {
			const struct ami_cfg_cat *cat = &cur.cats[c];
			const char *type = pbx_lines_type(cat->lines, cat->n_lines);
			if (strcasecmp(cat->name, names[k]) != 0 || !*type || owned_get(db, file, cat->name, type, NULL) != OWNED_OWNED)
				continue;
			bool shared = false;
			for (size_t o = 0; o < cur.n_cats; o++)
				shared |= o != c && strcasecmp(cur.cats[o].name, names[k]) == 0 &&
					  strcmp(pbx_lines_type(cur.cats[o].lines, cur.cats[o].n_lines), type) == 0;
			if (shared) {
				log_warn("legacy: %s [%s] (type=%s) shares its name and type with someone else's: left in place",
					 file, cat->name, type);
				continue;
			}
			char filter[64];
			snprintf(filter, sizeof filter, "type=%s", type);
			ami_update_add(&u, AMI_UC_DELCAT, cat->name, NULL, NULL, NULL, -1, NULL, filter);
		}
	}
	if (st == AMI_OK)
		st = send(pool, &u, module, msg, len);
	for (size_t k = 0; k < n && st == AMI_OK; k++)
		if (owned_forget(db, file, names[k], NULL, false) != 0) {
			snprintf(msg, len, "database error");
			st = AMI_ERROR;
		}
	ami_update_free(&u);
	ami_config_free(&cur);
	return st;
}

/* Deletes the include lines of Centralita's old per-phone contexts from the phones' context. */
static enum ami_status remove_includes(const struct pbx_settings *s, struct ami_pool *pool, const char **contexts,
				       size_t n, char *msg, size_t len)
{
	const char *names[1] = { s->context };
	struct ami_config cur = { 0 };
	enum ami_status st = pbx_read_categories(pool, PBX_DIALPLAN_FILE, names, 1, &cur, msg, len);
	struct ami_update u;
	ami_update_init(&u, PBX_DIALPLAN_FILE);
	for (size_t k = 0; k < n && st == AMI_OK; k++) {
		bool present = false;
		for (size_t c = 0; c < cur.n_cats; c++)
			for (size_t l = 0; l < cur.cats[c].n_lines; l++)
				present |= strcmp(cur.cats[c].name, s->context) == 0 &&
					   strcasecmp(cur.cats[c].lines[l].name, "include") == 0 &&
					   strcmp(cur.cats[c].lines[l].value, contexts[k]) == 0;
		if (present)
			ami_update_add(&u, AMI_UC_DELETE, s->context, "include", NULL, contexts[k], -1, NULL, NULL);
	}
	if (st == AMI_OK)
		st = send(pool, &u, PBX_DIALPLAN_MODULE, msg, len);
	ami_update_free(&u);
	ami_config_free(&cur);
	return st;
}

enum ami_status pbx_legacy_migrate(const struct pbx_settings *s, struct ami_pool *pool, struct db *db, int64_t now,
				   char *msg, size_t len)
{
	struct rows rows = { 0 };
	if (owned_each(db, collect, &rows) != 0) {
		snprintf(msg, len, "database error");
		return AMI_ERROR;
	}
	if (rows.n == 0)
		return AMI_OK;
	log_info("legacy: moving %zu categories of Centralita's out of the integrator's files", rows.n);
	enum ami_status st = empty_new_files(s, pool, db, &rows, msg, len);
	/* Per file, in batches: the distinct names of that file's rows. */
	static const char *const files[] = { "pjsip.conf", "sip.conf", PBX_DIALPLAN_FILE };
	for (size_t f = 0; f < sizeof files / sizeof *files && st == AMI_OK; f++) {
		const char *names[BATCH];
		size_t n = 0;
		for (size_t i = 0; i <= rows.n && st == AMI_OK; i++) {
			bool flush = i == rows.n || n == BATCH;
			if (flush && n) {
				bool dialplan = f == 2;
				const char *module = dialplan ? PBX_DIALPLAN_MODULE
						   : strcmp(files[f], "sip.conf") == 0 ? "chan_sip.so" : "res_pjsip.so";
				if (dialplan)
					st = remove_includes(s, pool, names, n, msg, len);
				if (st == AMI_OK)
					st = remove_categories(pool, db, files[f], module, names, n, now, msg, len);
				n = 0;
			}
			if (i == rows.n || strcmp(rows.r[i].file, files[f]) != 0)
				continue;
			if (n && strcmp(names[n - 1], rows.r[i].category) == 0)
				continue;   /* same name, another type */
			names[n++] = rows.r[i].category;
		}
	}
	free(rows.r);
	return st;
}
