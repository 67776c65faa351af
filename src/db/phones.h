/* phones: the office phones as users want them (the source of truth), plus what has been applied to the
 * PBX and the provisioning directory, so a reconciler can converge and the pages can say "pending".
 * A phone is pending while applied_version < version, or while it is a tombstone (deleted) whose removal
 * has not been applied yet. Edits carry the version the user saw (optimistic concurrency). */
#ifndef DB_PHONES_H
#define DB_PHONES_H
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

#define PHONE_EXT_MAX 16
#define PHONE_NAME_MAX (64 * 4 + 1)   /* 64 UTF-8 characters */
#define PHONE_MODEL_MAX 48
#define PHONE_MAC_MAX 13
#define PHONE_CLASS_MAX 24
#define PHONE_SECRET_MAX 64
#define PHONE_ERROR_MAX 256

struct phone {
	int64_t id;
	char extension[PHONE_EXT_MAX];
	char name[PHONE_NAME_MAX];
	char model[PHONE_MODEL_MAX];
	char mac[PHONE_MAC_MAX];
	char calling_class[PHONE_CLASS_MAX];
	char secret[PHONE_SECRET_MAX];
	int64_t version;
	bool deleted;
	int64_t applied_version;
	char applied_extension[PHONE_EXT_MAX];   /* "" when nothing is on the PBX */
	char applied_mac[PHONE_MAC_MAX];         /* provisioning file last written ("" none) */
	char applied_model[PHONE_MODEL_MAX];
	char last_error[PHONE_ERROR_MAX];
	int attempts;
	int64_t next_attempt_at;
	bool blocked;                             /* the last failure needs a person: not retried until edited */
	bool drifted;                             /* applied, then found missing or changed on the PBX */
	char drift_reason[PHONE_ERROR_MAX];       /* what the last verification found ("" none) */
	int64_t restored_at;                      /* when it was last put back after drifting (0 never) */
	char applied_chan_digest[65];             /* its part of its files as last written ("" unknown: write it) */
	char applied_dial_digest[65];
	bool own_files;                           /* its part is in files of its own (releases before groups) */
	/* from registrations (lists only) */
	char reg_address[64];
	char reg_status[24];
};

enum phones_result {
	PHONES_OK = 0,
	PHONES_NOT_FOUND,
	PHONES_DUP_EXTENSION,
	PHONES_DUP_MAC,
	PHONES_CONFLICT,        /* someone else saved the phone since it was read */
	PHONES_DB_ERROR = -1,
};

static inline bool phone_pending(const struct phone *p) { return p->deleted || p->applied_version < p->version; }

/* Creates a phone (id out). Fields used: extension, name, model, mac, calling_class, secret. */
enum phones_result phones_create(struct db *db, const struct phone *p, int64_t now, int64_t *id);
/* Changes extension, name, model, mac, calling_class of phone p->id if its version is still
 * expected_version; the version goes up by one. */
enum phones_result phones_update(struct db *db, const struct phone *p, int64_t expected_version, int64_t now);
enum phones_result phones_set_secret(struct db *db, int64_t id, int64_t expected_version, const char *secret,
				     int64_t now);
/* Marks the phone removed (a pending tombstone until phones_purge). */
enum phones_result phones_remove(struct db *db, int64_t id, int64_t expected_version, int64_t now);
enum phones_result phones_get(struct db *db, int64_t id, struct phone *out);
/* The live (not removed) phone holding extension, if any. */
enum phones_result phones_get_live_by_extension(struct db *db, const char *extension, struct phone *out);
enum phones_result phones_get_live_by_mac(struct db *db, const char *mac, struct phone *out);

/* Live phones whose extension, name or MAC contains filter ("" = all), ordered by extension, with their
 * registration; fn gets each. total receives the number of matches (for paging). */
int phones_list(struct db *db, const char *filter, int offset, int limit, int *total,
		int (*fn)(void *ctx, const struct phone *p), void *ctx);
int phones_count_live(struct db *db);
int phones_count_pending(struct db *db);
/* Live phones the PBX says are registered (a row in registrations for their extension): the home page's
 * "registered x of y". */
int phones_count_registered(struct db *db);

/* Ids of phones needing an apply whose next attempt is due (now >= next_attempt_at), oldest first. */
int phones_due(struct db *db, int64_t now, int64_t *ids, int max);
/* Up to max ids of phones (live or tombstone) greater than after, ascending: pages through all phones. */
int phones_ids_after(struct db *db, int64_t after, int64_t *ids, int max);

/* Records a successful apply of `version`: what is now on the PBX and in the provisioning directory.
 * A later edit (version moved on) stays pending. A drifted phone is marked restored at now. */
int phones_mark_applied(struct db *db, int64_t id, int64_t version, const char *extension, const char *mac,
			const char *model, int64_t now);
/* A phone applied at `version` was found missing or different on the PBX: pending again (applied_version 0,
 * so the applier puts it back through the usual path), with reason shown until it is back. Returns 0, 1 if the
 * phone was not applied at that version (nothing to do), or -1. */
int phones_mark_drifted(struct db *db, int64_t id, int64_t version, const char *reason);
int phones_count_drifted(struct db *db);
/* A phone applied at `version` whose files Centralita would now write differently (its settings changed: a new
 * release, the configuration): pending again, not drifted (nothing vanished). Returns 0, 1 if it was not
 * applied at that version, or -1. */
int phones_mark_outdated(struct db *db, int64_t id, int64_t version);
/* Records the phone's part of one of its group's files (chan: the channel driver's, else the dialplan's) right
 * after writing it: its digest and its text (pbx.h; "" for none). Returns 0 or -1. */
int phones_set_part(struct db *db, int64_t id, bool chan, const char *digest, const char *text);
/* The pending phones (not blocked) with first <= id <= last, due or not, by id, at most max. Returns how many,
 * or -1. */
int phones_group_pending(struct db *db, int64_t first, int64_t last, int64_t *ids, int max);
/* The phone's part is no longer in files of its own (pre-group releases, struct phone's own_files). */
int phones_clear_own_files(struct db *db, int64_t id);
/* Calls fn(ctx, id, own_files, chan, dial) for every phone with first <= id <= last, by id, with its parts
 * as last written into its group's files (NULL: none yet; meaningless while own_files); fn returns non-zero
 * to stop. Returns 0 or -1. */
int phones_group_parts(struct db *db, int64_t first, int64_t last,
		       int (*fn)(void *ctx, int64_t id, bool own_files, const char *chan, const char *dial), void *ctx);
/* Records a failed attempt of `version` (ignored if the phone was changed since): the message users see, and
 * when to try again; blocked = a failure retrying cannot fix (not retried until the phone is changed). */
int phones_mark_failed(struct db *db, int64_t id, int64_t version, const char *error, int64_t next_attempt_at,
		       bool blocked);
/* Takes back a phone just created that never reached the PBX (still at `version`, nothing applied): the form
 * refuses it after all. Returns 0, or -1 if it changed meanwhile or on error. */
int phones_discard(struct db *db, int64_t id, int64_t version);
/* Deletes a tombstone whose removal was applied (only if it is still the same version). */
int phones_purge(struct db *db, int64_t id, int64_t version);

#endif
