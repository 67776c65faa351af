/* cmd_users: user administration from the command line. Passwords come from standard input so they
 * never appear in `ps` or shell history. */
#include "cmd_users.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "db/users.h"
#include "web/auth.h"
#include "web/form.h"

static struct db *open_migrated(const struct config *cfg)
{
	char err[512];
	struct db *db = db_open(cfg->db_path, err, sizeof err);
	if (!db || db_migrate(db, err, sizeof err) != 0) {
		fprintf(stderr, "centralita: database: %s\n", err);
		if (db)
			db_close(db);
		return NULL;
	}
	return db;
}

/* Same rules as the users form: the command line must not let in what the web would refuse. */
static const char *check_name(const char *name)
{
	static const struct form_field f = { "name", form_v_text, true, 1, 64, NULL };
	char out[FORM_MAX_VALUE + 1];
	size_t len = strlen(name);
	if (len == 0 || len > FORM_MAX_VALUE)
		return "must be 1 to 64 characters";
	memcpy(out, name, len + 1);
	const char *e = form_v_text(&f, name, len, out);
	if (e)
		return e;
	if (strcmp(out, name) != 0)
		return "must not start or end with a space";
	return NULL;
}

static int read_password(char *out, size_t size)
{
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "Password (at least %d characters): ", AUTH_PASSWORD_MIN);
	if (!fgets(out, (int)size, stdin)) {
		fprintf(stderr, "centralita: no password on standard input\n");
		return -1;
	}
	out[strcspn(out, "\r\n")] = '\0';
	static const struct form_field f = { "password", form_v_password, true, AUTH_PASSWORD_MIN,
					     AUTH_PASSWORD_MAX, NULL };
	char scratch[FORM_MAX_VALUE + 1];
	const char *e = form_v_password(&f, out, strlen(out), scratch);
	if (e) {
		fprintf(stderr, "centralita: password: %s (at least %d characters, no control characters)\n", e,
			AUTH_PASSWORD_MIN);
		return -1;
	}
	return 0;
}

int cmd_adduser(const struct config *cfg, int argc, char **argv)
{
	const char *name = NULL, *role_name = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role_name = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: centralita [-c CONF] adduser NAME --role owner|integrator\n"
			       "Creates a user; the password is read from standard input (one line).\n");
			return 0;
		} else if (!name && argv[i][0] != '-')
			name = argv[i];
		else {
			fprintf(stderr, "centralita adduser: unexpected argument '%s' (see --help)\n", argv[i]);
			return 2;
		}
	}
	enum user_role role = user_role_parse(role_name);
	if (!name || role == ROLE_NONE) {
		fprintf(stderr, "usage: centralita adduser NAME --role owner|integrator\n");
		return 2;
	}
	const char *bad = check_name(name);
	if (bad) {
		fprintf(stderr, "centralita adduser: name %s\n", bad);
		return 2;
	}
	char password[AUTH_PASSWORD_MAX + 2], hash[AUTH_HASH_MAX];
	if (read_password(password, sizeof password) != 0)
		return 2;
	if (auth_hash_password(password, hash) != 0) {
		fprintf(stderr, "centralita adduser: cannot hash password\n");
		return 1;
	}
	struct db *db = open_migrated(cfg);
	if (!db)
		return 1;
	int rc = users_create(db, name, role, hash, (int64_t)time(NULL), NULL);
	db_close(db);
	if (rc == 1) {
		fprintf(stderr, "centralita adduser: a user named '%s' already exists\n", name);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "centralita adduser: database error\n");
		return 1;
	}
	printf("created %s user '%s'\n", user_role_name(role), name);
	return 0;
}

int cmd_passwd(const struct config *cfg, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita [-c CONF] passwd NAME\n"
		       "Sets NAME's password from standard input (one line) and ends their sessions.\n");
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: centralita passwd NAME\n");
		return 2;
	}
	char password[AUTH_PASSWORD_MAX + 2], hash[AUTH_HASH_MAX];
	if (read_password(password, sizeof password) != 0)
		return 2;
	struct db *db = open_migrated(cfg);
	if (!db)
		return 1;
	struct user u;
	int rc = users_get_by_name(db, argv[0], &u);
	/* The password and the end of every session of the user: one transaction, or neither. */
	if (rc == 0 && auth_hash_password(password, hash) == 0)
		rc = users_set_password(db, u.id, hash, (int64_t)time(NULL), NULL);
	else if (rc == 0)
		rc = -1;
	db_close(db);
	if (rc == 1) {
		fprintf(stderr, "centralita passwd: no user named '%s'\n", argv[0]);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "centralita passwd: database error\n");
		return 1;
	}
	printf("password changed for '%s'\n", argv[0]);
	return 0;
}

int cmd_migrate(const struct config *cfg, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita [-c CONF] migrate\nBrings the database schema up to date.\n");
		return 0;
	}
	struct db *db = open_migrated(cfg);
	if (!db)
		return 1;
	printf("database %s at schema version %d\n", cfg->db_path, db_schema_version(db));
	db_close(db);
	return 0;
}

int cmd_firstuser(const struct config *cfg, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
		printf("usage: centralita [-c CONF] firstuser [NAME]\n"
		       "If no user exists, creates integrator NAME (default 'admin') with a random password\n"
		       "and prints it. Does nothing otherwise.\n");
		return 0;
	}
	const char *name = argc >= 1 ? argv[0] : "admin";
	struct db *db = open_migrated(cfg);
	if (!db)
		return 1;
	int count = users_count(db);
	if (count != 0) {
		db_close(db);
		return count < 0 ? 1 : 0;
	}
	char password[21], hash[AUTH_HASH_MAX];
	if (auth_random_password(password, sizeof password) != 0 || auth_hash_password(password, hash) != 0 ||
	    users_create(db, name, ROLE_INTEGRATOR, hash, (int64_t)time(NULL), NULL) != 0) {
		fprintf(stderr, "centralita firstuser: cannot create the first user\n");
		db_close(db);
		return 1;
	}
	db_close(db);
	printf("First login: user '%s', password '%s' (integrator). Change it after logging in.\n", name, password);
	return 0;
}
