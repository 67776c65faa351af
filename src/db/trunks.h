/* trunks: the SIP provider connections the integrator configures (the source of truth), plus what has been
 * applied to the PBX, as for phones: a trunk is pending while applied_version < version, or while it is a
 * tombstone (deleted) whose removal has not been applied yet. Edits carry the version the user saw. */
#ifndef DB_TRUNKS_H
#define DB_TRUNKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define TRUNK_NAME_MAX 33        /* [a-z0-9][a-z0-9-]{0,31} */
#define TRUNK_HOST_MAX 254
#define TRUNK_USER_MAX 65
#define TRUNK_SECRET_MAX 129
#define TRUNK_CODECS_MAX 128     /* "ulaw,alaw" */
#define TRUNK_CALLERID_MAX 21    /* digits, '+' first */
#define TRUNK_ERROR_MAX 256

struct trunk {
	int64_t id;
	char name[TRUNK_NAME_MAX];
	char host[TRUNK_HOST_MAX];           /* the provider: a host name or an IPv4 address */
	int port;                            /* 1..65535 (5060) */
	char transport[4];                   /* "udp", "tcp" or "tls" */
	bool registration;                   /* register to the provider with username/secret */
	char username[TRUNK_USER_MAX];
	char secret[TRUNK_SECRET_MAX];
	int expiration;                      /* registration expiry asked for, seconds (3600) */
	bool outbound_auth;                  /* answer the provider's challenge on outgoing calls */
	char from_user[TRUNK_USER_MAX];      /* "" = Asterisk's default */
	char from_domain[TRUNK_HOST_MAX];
	char codecs[TRUNK_CODECS_MAX];       /* comma-separated, among [asterisk] codecs */
	char callerid[TRUNK_CALLERID_MAX];   /* number presented on calls through it ("" = the caller's own) */
	int max_calls;                       /* simultaneous calls through it; 0 = no limit */
	int64_t version;
	bool deleted;
	int64_t applied_version;
	char applied_name[TRUNK_NAME_MAX];   /* "" when nothing is on the PBX */
	char applied_digest[65];             /* its file as last written ("" unknown: write it) */
	char last_error[TRUNK_ERROR_MAX];
	int attempts;
	int64_t next_attempt_at;
	bool blocked;
	bool drifted;
	char drift_reason[TRUNK_ERROR_MAX];
	int64_t restored_at;
	int64_t created_at, updated_at;
};

enum trunks_result {
	TRUNKS_OK = 0,
	TRUNKS_NOT_FOUND,
	TRUNKS_DUP_NAME,
	TRUNKS_CONFLICT,         /* someone else saved it since it was read */
	TRUNKS_IN_USE,           /* removal refused: routes use it (trunks_remove) */
	TRUNKS_DB_ERROR = -1,
};

static inline bool trunk_pending(const struct trunk *t) { return t->deleted || t->applied_version < t->version; }

/* Creates, changes and removes bump the routes dialplan's version (db/routes.h) in the same transaction when what
 * it says of the trunk changes: its existence, name, callerid or max_calls (not for the other fields, which only
 * the trunk's own file holds). */
/* Creates a trunk from the user fields (id out); version 1. */
enum trunks_result trunks_create(struct db *db, const struct trunk *t, int64_t now, int64_t *id);
/* Changes the user fields of t->id if its version is still expected_version; version + 1. */
enum trunks_result trunks_update(struct db *db, const struct trunk *t, int64_t expected_version, int64_t now);
/* Marks it removed (a pending tombstone until trunks_purge); TRUNKS_IN_USE if a route lists it. */
enum trunks_result trunks_remove(struct db *db, int64_t id, int64_t expected_version, int64_t now);
enum trunks_result trunks_get(struct db *db, int64_t id, struct trunk *out);
enum trunks_result trunks_get_live_by_name(struct db *db, const char *name, struct trunk *out);
/* Live trunks ordered by name; fn gets each (return non-zero to stop). Returns the count or -1. */
int trunks_list(struct db *db, int (*fn)(void *ctx, const struct trunk *t), void *ctx);
/* The same as an array (zeroed by the caller; trunk_array_free it either way). Returns 0 or -1. */
struct trunk_array {
	struct trunk *items;
	size_t n, cap;
};
int trunks_all(struct db *db, struct trunk_array *out);
void trunk_array_free(struct trunk_array *a);
int trunks_count_pending(struct db *db);

/* As phones_due / phones_ids_after / phones_mark_* (db/phones.h), for trunks. */
int trunks_due(struct db *db, int64_t now, int64_t *ids, int max);
int trunks_ids_after(struct db *db, int64_t after, int64_t *ids, int max);
int trunks_mark_applied(struct db *db, int64_t id, int64_t version, const char *name, const char *digest, int64_t now);
int trunks_mark_drifted(struct db *db, int64_t id, int64_t version, const char *reason);
/* As phones_mark_outdated: applied, but Centralita would now write its file differently (its settings
 * changed): pending again, not drifted. Returns 0, 1 if not applied at that version, or -1. */
int trunks_mark_outdated(struct db *db, int64_t id, int64_t version);
int trunks_mark_failed(struct db *db, int64_t id, int64_t version, const char *error, int64_t next_attempt_at,
		       bool blocked);
int trunks_purge(struct db *db, int64_t id, int64_t version);

#endif
