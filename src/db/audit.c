/* audit: adding rows to the audit trail, completing their outcome, reading them with filters a page at a
 * time, and the words of a change (see audit.h; schema: migration 9). */
#include "db/audit.h"

#include <stdio.h>
#include <string.h>

static void bind_text_or_empty(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

int64_t audit_add(struct db *db, const struct audit_record *r)
{
	sqlite3_stmt *st = db_prepare(db,
		"INSERT INTO audit (at, user, address, action, object, changes, ami, outcome, output)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, r->at);
	bind_text_or_empty(st, 2, r->user);
	bind_text_or_empty(st, 3, r->address);
	bind_text_or_empty(st, 4, r->action);
	bind_text_or_empty(st, 5, r->object);
	bind_text_or_empty(st, 6, r->changes);
	bind_text_or_empty(st, 7, r->ami);
	bind_text_or_empty(st, 8, r->outcome);
	bind_text_or_empty(st, 9, r->output);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return db_last_insert_id(db);
}

int audit_complete(struct db *db, int64_t id, const char *ami, const char *outcome)
{
	sqlite3_stmt *st = db_prepare(db,
		"UPDATE audit SET ami = coalesce(?2, ami), outcome = coalesce(?3, outcome) WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (ami)
		sqlite3_bind_text(st, 2, ami, -1, SQLITE_STATIC);
	if (outcome)
		sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return db_changes(db) == 1 ? 0 : 1;
}

/* The filters are bound, never spliced: an empty value leaves its test true. LIKE with '\' as its escape, so
 * a '%' or '_' searched for is itself. The order is fixed (newest first, or oldest first above a cursor). */
#define AUDIT_WHERE \
	" WHERE (?1 = '' OR object LIKE ?1 ESCAPE '\\' OR changes LIKE ?1 ESCAPE '\\'" \
	"        OR outcome LIKE ?1 ESCAPE '\\' OR user LIKE ?1 ESCAPE '\\')" \
	"   AND (?2 = '' OR user = ?2)" \
	"   AND (?3 = '' OR substr(action, 1, length(?3) + 1) = ?3 || '.')" \
	"   AND (?4 = 0 OR at >= ?4) AND (?5 = 0 OR at < ?5)"
#define AUDIT_COLUMNS "SELECT id, at, user, address, action, object, changes, ami, outcome, output FROM audit"

int audit_each(struct db *db, const struct audit_filter *f, int64_t older_than, int64_t newer_than, int limit,
	       int (*fn)(void *ctx, const struct audit_record *r), void *ctx)
{
	bool upward = older_than <= 0 && newer_than > 0;
	sqlite3_stmt *st = db_prepare(db, upward ? AUDIT_COLUMNS AUDIT_WHERE " AND id > ?6 ORDER BY id ASC LIMIT ?7"
					     : AUDIT_COLUMNS AUDIT_WHERE " AND (?6 = 0 OR id < ?6) ORDER BY id DESC LIMIT ?7");
	if (!st)
		return -1;
	struct buf like;
	buf_init(&like);
	if (f->text && *f->text) {
		buf_putc(&like, '%');
		for (const char *c = f->text; *c; c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				buf_putc(&like, '\\');
			buf_putc(&like, *c);
		}
		buf_putc(&like, '%');
	}
	sqlite3_bind_text(st, 1, buf_cstr(&like), -1, SQLITE_STATIC);
	bind_text_or_empty(st, 2, f->user);
	bind_text_or_empty(st, 3, f->kind);
	sqlite3_bind_int64(st, 4, f->from);
	sqlite3_bind_int64(st, 5, f->to);
	sqlite3_bind_int64(st, 6, upward ? newer_than : older_than > 0 ? older_than : 0);
	sqlite3_bind_int(st, 7, limit);
	/* Going up, the rows come oldest first: only the newest of them is kept, and the same rows read again
	 * below it, newest first (the rows that match between the cursor and it are exactly these). */
	int n = 0, rc;
	int64_t top = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		if (upward) {
			top = sqlite3_column_int64(st, 0);
			n++;
			continue;
		}
		struct audit_record r = {
			.id = sqlite3_column_int64(st, 0), .at = sqlite3_column_int64(st, 1),
			.user = (const char *)sqlite3_column_text(st, 2), .address = (const char *)sqlite3_column_text(st, 3),
			.action = (const char *)sqlite3_column_text(st, 4), .object = (const char *)sqlite3_column_text(st, 5),
			.changes = (const char *)sqlite3_column_text(st, 6), .ami = (const char *)sqlite3_column_text(st, 7),
			.outcome = (const char *)sqlite3_column_text(st, 8), .output = (const char *)sqlite3_column_text(st, 9),
		};
		n++;
		if (fn(ctx, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	buf_free(&like);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (!upward || n == 0)
		return n;
	return audit_each(db, f, top + 1, 0, n, fn, ctx);
}

void audit_diff(struct buf *b, const char *field, const char *old, const char *now)
{
	if (old && now) {
		if (strcmp(old, now) != 0)
			buf_printf(b, "%s%s: %s -> %s", b->len ? "\n" : "", field, *old ? old : "\"\"", *now ? now : "\"\"");
	} else if (old || now) {
		const char *v = old ? old : now;
		if (*v)
			buf_printf(b, "%s%s: %s", b->len ? "\n" : "", field, v);
	}
}

void audit_diff_int(struct buf *b, const char *field, const int64_t *old, const int64_t *now)
{
	char o[24], n[24];
	if (old)
		snprintf(o, sizeof o, "%lld", (long long)*old);
	if (now)
		snprintf(n, sizeof n, "%lld", (long long)*now);
	audit_diff(b, field, old ? o : NULL, now ? n : NULL);
}

void audit_diff_secret(struct buf *b, const char *field, const char *old, const char *now)
{
	const char *word = NULL;
	if (old && now)
		word = strcmp(old, now) == 0 ? NULL : !*old ? "set" : !*now ? "removed" : "changed";
	else if (now && *now)
		word = "set";
	else if (old && *old)
		word = "removed";
	if (word)
		buf_printf(b, "%s%s: %s", b->len ? "\n" : "", field, word);
}
