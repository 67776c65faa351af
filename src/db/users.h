/* users: the people who log in (shop owners and integrators), their sessions and failed logins.
 * Only storage: hashing, token generation and policy live in src/web/auth. */
#ifndef DB_USERS_H
#define DB_USERS_H
#include <sqlite3.h>

#include "db/db.h"
#include <stdbool.h>
#include <stdint.h>

#define USER_NAME_MAX 64
#define USER_HASH_MAX 256

enum user_role { ROLE_NONE = 0, ROLE_OWNER = 1, ROLE_INTEGRATOR = 2 };

struct user {
	int64_t id;
	char name[USER_NAME_MAX * 4 + 1]; /* up to 64 UTF-8 characters */
	enum user_role role;
	char password_hash[USER_HASH_MAX];
	char language[8];                 /* "" when the user has not chosen */
	bool disabled;
};

const char *user_role_name(enum user_role role);       /* "owner", "integrator" */
enum user_role user_role_parse(const char *name);       /* ROLE_NONE if unknown */

/* Return 0 on success, 1 when not found / already exists, -1 on database error. */
int users_create(struct db *db, const char *name, enum user_role role, const char *password_hash, int64_t now,
		 int64_t *id_out);
int users_get_by_name(struct db *db, const char *name, struct user *out);
int users_get_by_id(struct db *db, int64_t id, struct user *out);
/* Sets the password and, in the same transaction, ends the user's sessions except keep_session (the token
 * hash of the session making the change, or NULL to end them all): whoever held an old session because they
 * knew the old password loses it. All or nothing. */
int users_set_password(struct db *db, int64_t id, const char *password_hash, int64_t now,
		       const unsigned char *keep_session);
int users_set_disabled(struct db *db, int64_t id, bool disabled, int64_t now);
int users_set_language(struct db *db, int64_t id, const char *language, int64_t now);
int users_count(struct db *db);

/* Calls fn for each user ordered by name; stops early if fn returns non-zero. */
int users_each(struct db *db, int (*fn)(void *ctx, const struct user *u), void *ctx);

/* Sessions: the token itself is never stored, only its SHA-256. */
struct session_row {
	int64_t user_id;
	char csrf_token[65];
	int64_t created_at;
	int64_t last_seen;
};
int sessions_create(struct db *db, const unsigned char token_hash[32], int64_t user_id, const char *csrf_token,
		    int64_t now);
/* Finds a live session: 1 if none, expired (idle or absolute) sessions are deleted and count as none. */
int sessions_lookup(struct db *db, const unsigned char token_hash[32], int64_t now, int idle_seconds,
		    int lifetime_seconds, struct session_row *out);
int sessions_touch(struct db *db, const unsigned char token_hash[32], int64_t now);
int sessions_delete(struct db *db, const unsigned char token_hash[32]);
int sessions_delete_for_user(struct db *db, int64_t user_id);
int sessions_purge_expired(struct db *db, int64_t now, int idle_seconds, int lifetime_seconds);

/* Failed logins, for throttling. The policy (what the limits are, what an address key is) is the caller's
 * (web/auth); here is the counting. `address` is the client's throttling key. */
struct login_limits {
	int per_pair;          /* failures of one user name from one address */
	int per_address;       /* failures from one address, whatever the user names */
	int per_user;          /* failures of one user name from all addresses, where it is not usual */
	int64_t since;         /* failures before this no longer count, and their rows are deleted */
	int64_t usual_since;   /* an address the user logged in from at or after this is usual for it */
};
enum login_attempt { LOGIN_ATTEMPT_ERROR = -1, LOGIN_ATTEMPT_ALLOWED = 0, LOGIN_ATTEMPT_THROTTLED = 1 };

/* Decides whether an attempt may check a password, in one BEGIN IMMEDIATE transaction: deletes failures older
 * than lim->since, counts, and if no limit is reached records the attempt as a failure before the password is
 * checked, so concurrent attempts each see the ones before them and a crash mid-check counts against the
 * guesser. ALLOWED: recorded; THROTTLED: nothing recorded; ERROR: nothing recorded and the attempt must be
 * refused (an attempt that cannot be counted must not be made). */
enum login_attempt login_attempt_begin(struct db *db, const char *username, const char *address, int64_t now,
				       const struct login_limits *lim);
/* The password was right: in one transaction, the failures of (username, address) go (the attempt's own
 * included), address becomes usual for user_id, and the user's addresses unused since usual_since are
 * forgotten. 0, or -1 on error (nothing changed). */
int login_attempt_succeeded(struct db *db, int64_t user_id, const char *username, const char *address, int64_t now,
			    int64_t usual_since);

#endif
