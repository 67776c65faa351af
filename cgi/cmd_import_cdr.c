/* cmd_import_cdr: reads Master.csv record by record (a quoted newline continues a record on the next line),
 * turns each into a call with pbx/cdr.c (the phones as the database has them now decide the sides) and stores
 * them in batches through calls_insert, whose keys make the import idempotent and agree with the daemon's
 * Cdr events, so a file holding calls that already arrived as events adds only the missing ones. */
#include "cmd_import_cdr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/calls.h"
#include "db/db.h"
#include "pbx/cdr.h"

#define IMPORT_BATCH 1000
#define RECORD_MAX (64 * 1024)   /* cdr_csv writes at most 1,024 bytes a record: anything longer is not one */

struct phones {
	char (*ext)[CALL_EXT_MAX];
	size_t n, cap;
};

static int add_phone(void *ctx, const char *ext)
{
	struct phones *p = ctx;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->ext = realloc(p->ext, p->cap * sizeof *p->ext);
		if (!p->ext)
			abort();
	}
	snprintf(p->ext[p->n++], CALL_EXT_MAX, "%s", ext);
	return 0;
}

static int compare_ext(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool is_phone(void *ctx, const char *endpoint)
{
	struct phones *p = ctx;
	return p->n && bsearch(endpoint, p->ext, p->n, sizeof *p->ext, compare_ext) != NULL;
}

struct import {
	struct db *db;
	struct phones phones;
	struct call *batch;
	size_t n_batch;
	unsigned long records, added, refused;
	bool utc;   /* --utc: the file's times are UTC */
};

static int flush(struct import *im)
{
	size_t inserted = 0;
	if (im->n_batch && calls_insert(im->db, im->batch, im->n_batch, &inserted) != 0) {
		fprintf(stderr, "centralita import-cdr: database: %s\n", db_errmsg(im->db));
		return -1;
	}
	im->added += inserted;
	im->n_batch = 0;
	return 0;
}

/* One whole record that began on line `line`. */
static int import_record(struct import *im, const char *record, unsigned long line)
{
	im->records++;
	char why[200];
	if (cdr_from_csv(record, im->utc, is_phone, &im->phones, &im->batch[im->n_batch], why, sizeof why) != 0) {
		im->refused++;
		fprintf(stderr, "line %lu: %s\n", line, why);
		return 0;
	}
	if (++im->n_batch == IMPORT_BATCH)
		return flush(im);
	return 0;
}

static int import_file(struct import *im, FILE *f, const char *path)
{
	char *line = NULL, *record = NULL;
	size_t line_cap = 0, rec_len = 0, rec_cap = 0;
	unsigned long line_no = 0, record_line = 0;
	ssize_t got;
	int rc = 0;
	while (rc == 0 && (got = getline(&line, &line_cap, f)) >= 0) {
		line_no++;
		if (rec_len == 0) {
			record_line = line_no;
			if (strspn(line, "\r\n") == (size_t)got)
				continue; /* a blank line is no record */
		}
		if (rec_len + (size_t)got + 1 > rec_cap) {
			rec_cap = (rec_len + (size_t)got + 1) * 2;
			record = realloc(record, rec_cap);
			if (!record)
				abort();
		}
		memcpy(record + rec_len, line, (size_t)got + 1);
		rec_len += (size_t)got;
		if (cdr_csv_record_complete(record)) {
			rc = import_record(im, record, record_line);
			rec_len = 0;
		} else if (rec_len > RECORD_MAX) {
			/* An unbalanced quote would swallow the rest of the file: refuse the record where it began
			 * and start again at the next line. */
			im->records++;
			im->refused++;
			fprintf(stderr, "line %lu: quote not closed within %d bytes\n", record_line, RECORD_MAX);
			rec_len = 0;
		}
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "centralita import-cdr: %s: %s\n", path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rec_len > 0) {
		/* The last record's quote never closed: refused, with the parser's reason. */
		rc = import_record(im, record, record_line);
	}
	free(line);
	free(record);
	return rc;
}

int cmd_import_cdr(const struct config *cfg, int argc, char **argv)
{
	bool utc = argc == 2 && strcmp(argv[0], "--utc") == 0;
	if (utc) {
		argc--;
		argv++;
	}
	if (argc != 1 || strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita [-c CONF] import-cdr [--utc] FILE\n"
		       "Stores the calls of Asterisk's cdr_csv file (Master.csv) that the history does not have yet;\n"
		       "importing a file twice, or calls that already arrived as events, adds nothing. Times are read\n"
		       "in [web] timezone, or as UTC with --utc (cdr.conf [csv] usegmtime = yes). Prints \"N lines,\n"
		       "M new, K refused\"; each refused line's number and reason go to stderr.\n");
		return argc == 1 ? 0 : 2;
	}
	FILE *f = fopen(argv[0], "r");
	if (!f) {
		fprintf(stderr, "centralita import-cdr: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	char err[512];
	struct import im = { 0 };
	im.db = db_open(cfg->db_path, err, sizeof err);
	if (!im.db || db_migrate(im.db, err, sizeof err) != 0) {
		fprintf(stderr, "centralita import-cdr: database: %s\n", err);
		db_close(im.db);
		fclose(f);
		return 1;
	}
	int rc = -1;
	if (calls_live_phone_extensions(im.db, add_phone, &im.phones) < 0) {
		fprintf(stderr, "centralita import-cdr: database: %s\n", db_errmsg(im.db));
		goto out;
	}
	if (im.phones.n)   /* qsort and bsearch take no NULL array, even empty */
		qsort(im.phones.ext, im.phones.n, sizeof *im.phones.ext, compare_ext);
	im.batch = calloc(IMPORT_BATCH, sizeof *im.batch);
	if (!im.batch)
		abort();
	im.utc = utc;
	rc = import_file(&im, f, argv[0]);
	if (rc == 0)
		rc = flush(&im);
	printf("%lu lines, %lu new, %lu refused\n", im.records, im.added, im.refused);
out:
	free(im.batch);
	free(im.phones.ext);
	db_close(im.db);
	fclose(f);
	return rc == 0 ? 0 : 1;
}
