/* imports: CSV imports of phones (issue 13). An upload is kept as a draft (the file's bytes) so that the dry run
 * and the import that follows it read the very same rows; importing stores every row in one transaction (all
 * or none) and records which phones it created or changed, for its progress page. Drafts older than a day are
 * deleted when a new one is made; an imported draft keeps its counts and phones, not its bytes. */
#ifndef DB_IMPORTS_H
#define DB_IMPORTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "db/phones.h"
#include "util/buf.h"

struct import_info {
	int64_t id;
	int64_t created_at;
	char user[64];
	char file_name[256];
	int64_t imported_at;     /* 0: not imported (yet) */
	int created, updated, unchanged;
};

/* Keeps csv[0..len) as a draft of user's; *id receives its number. Returns 0 or -1. */
int imports_draft(struct db *db, int64_t now, const char *user, const char *file_name, const char *csv, size_t len,
		  int64_t *id);
/* The import's record; csv (if not NULL) receives its bytes (empty once imported). PHONES_OK, PHONES_NOT_FOUND
 * or PHONES_DB_ERROR. */
enum phones_result imports_get(struct db *db, int64_t id, struct import_info *out, struct buf *csv);

/* One row to store: a new phone (version 0; secret set) or a change to phone id seen at version. */
struct import_write {
	struct phone ph;
	int64_t version;
};

/* Stores every row of draft id in one transaction, or none: the first row refused (a duplicate extension or
 * MAC, a phone changed since the dry run: PHONES_DUP_EXTENSION, PHONES_DUP_MAC, PHONES_CONFLICT, NOT_FOUND) rolls
 * all back, with its index in *failed. A draft already imported is PHONES_CONFLICT with *failed = n. On success
 * the new phones' ids are in rows[i].ph.id, the draft is marked imported with the counts. */
enum phones_result imports_store(struct db *db, int64_t id, struct import_write *rows, size_t n, int unchanged,
				 int64_t now, size_t *failed);

/* The phones an import created or changed, live or not, by extension. fn gets each (stop by returning non-0).
 * Returns 0 or -1. */
int imports_each_phone(struct db *db, int64_t id, int (*fn)(void *ctx, const struct phone *p), void *ctx);

#endif
