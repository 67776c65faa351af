/* phone_import: a CSV of phones read, checked and stored (issue 13), for the import page and
 * `centralita import-phones`. Every row goes through the phone form's own validators (phone_form.h), then is
 * compared with the other rows (an extension or MAC twice), with the phones already there (same extension: the
 * same phone, unchanged or changed; a MAC another phone has), and with what Asterisk has that Centralita did not
 * create (the applier's snapshot). The first line names the columns, in English or Spanish, in any order:
 * extension, name, model, mac and optionally class. Storing is all or nothing (db/imports.h). */
#ifndef CGI_PHONE_IMPORT_H
#define CGI_PHONE_IMPORT_H
#include <stdbool.h>
#include <stddef.h>

#include "db/imports.h"
#include "pbx/apply.h"
#include "pbx/pbx.h"

#define IMPORT_MAX_ROWS 10000
#define IMPORT_MAX_PROBLEMS 1000  /* listed; beyond, only counted */

enum import_kind { IMPORT_NEW, IMPORT_UPDATE, IMPORT_SAME };

struct import_row {
	int line;
	enum import_kind kind;
	struct import_write w;    /* the phone as it will be stored; w.version: the version it was read at */
	char changes[512];        /* IMPORT_UPDATE: "name: A -> B; model: ..." */
};

struct import_problem {
	int line;                 /* 0: the file as a whole */
	const char *column;       /* "extension", "name", "model", "mac", "calling_class", or "" (the row) */
	const char *key;          /* a message key: Lang.err (the phone form's) or Lang.import.err */
	char detail[200];         /* e.g. the other line, the phone that has it, where Asterisk has it */
	size_t seq;               /* found order: problems of one line keep it */
};

struct import_plan {
	struct import_row *rows;
	size_t n_rows;
	struct import_problem *problems;
	size_t n_problems;        /* listed */
	size_t problem_count;     /* all of them */
	int n_new, n_update, n_same;
	bool pbx_unchecked;       /* Asterisk could not be read: the applier checks each phone again before writing */
};

void import_plan_init(struct import_plan *plan);
void import_plan_free(struct import_plan *plan);

/* Reads and checks text[0..len) into plan. a may be NULL (no check against Asterisk's configuration). Returns 0
 * (plan->problem_count says whether it can be imported), or -1 on a database error. */
int phone_import_check(struct db *db, const struct pbx_settings *pbx, struct applier *a, const char *text, size_t len,
		       struct import_plan *plan);

/* Stores the rows of a plan without problems as import draft_id, all or none (new phones get their secret here).
 * PHONES_OK; or the refusal with the row it came from in *failed_line (a phone changed or taken since the check,
 * PHONES_CONFLICT for a draft imported already: *failed_line 0). */
enum phones_result phone_import_store(struct db *db, const struct pbx_settings *pbx, int64_t draft_id,
				      struct import_plan *plan, int64_t now, int *failed_line);

#endif
