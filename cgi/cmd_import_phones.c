/* cmd_import_phones: phones from a CSV on the command line (see cmd_import_phones.h). Messages are the English
 * language file's (templates/lang/en.hdf), the words the pages show. Asterisk's own configuration is not asked
 * here (that takes the daemon's snapshot): the daemon checks each phone against it before applying it, and one
 * whose extension Asterisk already uses is shown as needing attention. */
#include "cmd_import_phones.h"

#include <ClearSilver.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "db/imports.h"
#include "phone_import.h"
#include "serve.h"
#include "util/buf.h"

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(out, chunk, n);
	int rc = ferror(f) ? -1 : 0;
	fclose(f);
	return rc;
}

/* The English words for a problem's key (import's own, else the phone form's), or the key. */
static const char *words(HDF *lang, const char *key)
{
	char path[96];
	snprintf(path, sizeof path, "Lang.import.err.%s", key);
	const char *w = lang ? hdf_get_value(lang, path, NULL) : NULL;
	if (!w) {
		snprintf(path, sizeof path, "Lang.err.%s", key);
		w = lang ? hdf_get_value(lang, path, NULL) : NULL;
	}
	return w ? w : key;
}

int cmd_import_phones(const struct config *cfg, int argc, char **argv)
{
	bool dry_run = false, help = false, wrong = false;
	const char *file = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--help") == 0)
			help = true;
		else if (!file && argv[i][0] != '-')
			file = argv[i];
		else
			wrong = true;
	}
	if (help || wrong || !file) {
		printf("usage: centralita [-c CONF] import-phones FILE [--dry-run]\n"
		       "Checks a CSV of phones (first line: extension, name, model, mac[, class], in English or Spanish;\n"
		       "UTF-8; ',' or ';') with the phone form's rules and against the phones already there, and prints\n"
		       "each problem by line and column. Without --dry-run and with no problem, stores every row in one\n"
		       "transaction (all or none); the running daemon applies them within [asterisk] retry_interval s.\n");
		return help && !wrong ? 0 : 2;
	}
	struct buf csv;
	buf_init(&csv);
	if (read_file(file, &csv) != 0) {
		fprintf(stderr, "centralita import-phones: %s: %s\n", file, strerror(errno));
		buf_free(&csv);
		return 1;
	}
	char err[1024];
	struct serve_setup setup;
	if (serve_prepare(cfg, &setup, err, sizeof err) != 0) {
		fprintf(stderr, "centralita import-phones: configuration: %s\n", err);
		buf_free(&csv);
		return 1;
	}
	HDF *lang = NULL;
	char lang_path[CONFIG_PATH_MAX + 16];
	snprintf(lang_path, sizeof lang_path, "%s/lang/en.hdf", cfg->web_templates);
	if (hdf_init(&lang) != STATUS_OK || hdf_read_file(lang, lang_path) != STATUS_OK) {
		/* Only the words are lost: the keys are printed instead. */
		hdf_destroy(&lang);
		lang = NULL;
	}
	int status = 1;
	struct db *db = db_open(cfg->db_path, err, sizeof err);
	struct import_plan plan;
	import_plan_init(&plan);
	if (!db || db_migrate(db, err, sizeof err) != 0) {
		fprintf(stderr, "centralita import-phones: database: %s\n", err);
		goto out;
	}
	if (phone_import_check(db, &setup.pbx, NULL, buf_cstr(&csv), csv.len, &plan) != 0) {
		fprintf(stderr, "centralita import-phones: database: %s\n", db_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < plan.n_problems; i++) {
		const struct import_problem *pr = &plan.problems[i];
		/* A detail can quote the file (a column's name): no control character reaches the terminal. */
		char detail[sizeof pr->detail];
		size_t n = 0;
		for (const char *c = pr->detail; *c && n + 1 < sizeof detail; c++)
			detail[n++] = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
		detail[n] = '\0';
		printf("%s: line %d%s%s: %s%s%s%s\n", file, pr->line, *pr->column ? ", " : "", pr->column,
		       words(lang, pr->key), n ? " (" : "", detail, n ? ")" : "");
	}
	if (plan.problem_count > plan.n_problems)
		printf("%s: ... %zu problems in all\n", file, plan.problem_count);
	printf("%s: %d new, %d changed, %d unchanged, %zu problems\n", file, plan.n_new, plan.n_update, plan.n_same,
	       plan.problem_count);
	if (plan.problem_count) {
		printf("nothing imported\n");
		goto out;
	}
	if (plan.n_new)
		printf("(Asterisk's own configuration is not asked from here: the daemon checks each new phone's extension "
		       "against it before applying it)\n");
	if (dry_run) {
		printf("dry run: nothing changed\n");
		status = 0;
		goto out;
	}
	int64_t id = 0;
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	int failed_line = 0;
	if (imports_draft(db, (int64_t)time(NULL), "command line", base, buf_cstr(&csv), csv.len, &id) != 0) {
		fprintf(stderr, "centralita import-phones: database: %s\n", db_errmsg(db));
		goto out;
	}
	enum phones_result r = phone_import_store(db, &setup.pbx, id, &plan, (int64_t)time(NULL), &failed_line);
	if (r != PHONES_OK) {
		fprintf(stderr, "centralita import-phones: nothing imported: %s (line %d)\n",
			r == PHONES_DB_ERROR ? db_errmsg(db) : "a phone was added or changed meanwhile", failed_line);
		goto out;
	}
	printf("imported (import %lld): the daemon applies the phones within %d s\n", (long long)id,
	       setup.pbx.retry_interval);
	status = 0;
out:
	import_plan_free(&plan);
	db_close(db);
	hdf_destroy(&lang);
	serve_setup_free(&setup);
	buf_free(&csv);
	return status;
}
