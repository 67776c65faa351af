/* config: one table lists every key with its type and limits; parsing, defaults and errors follow it. */
#include "app/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/file.h"
#include "util/ini.h"

#define CONFIG_MAX_FILE (1024 * 1024)

enum key_type { KEY_STRING, KEY_INT, KEY_OCTAL, KEY_BOOL, KEY_CHOICE };

struct config_key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;          /* strings: buffer size */
	long min, max;        /* ints */
	const char *choices;  /* KEY_CHOICE: "a|b|c" */
};

#define STR(sec, key, field) { sec, key, KEY_STRING, offsetof(struct config, field), \
	sizeof(((struct config *)0)->field), 0, 0, NULL }
#define INT(sec, key, field, lo, hi) { sec, key, KEY_INT, offsetof(struct config, field), 0, lo, hi, NULL }
#define OCT(sec, key, field) { sec, key, KEY_OCTAL, offsetof(struct config, field), 0, 0, 0777, NULL }
#define BOOL(sec, key, field) { sec, key, KEY_BOOL, offsetof(struct config, field), 0, 0, 0, NULL }
#define CHOICE(sec, key, field, list) { sec, key, KEY_CHOICE, offsetof(struct config, field), \
	sizeof(((struct config *)0)->field), 0, 0, list }

static const struct config_key config_keys[] = {
	STR("web", "socket", web_socket),
	OCT("web", "socket_mode", web_socket_mode),
	INT("web", "threads", web_threads, 1, 64),
	STR("web", "templates", web_templates),
	CHOICE("web", "language", web_language, "en|es"),
	INT("web", "session_idle", web_session_idle, 60, 86400 * 7),
	INT("web", "session_lifetime", web_session_lifetime, 300, 86400 * 30),
	INT("web", "max_body", web_max_body, 1024, 16 * 1024 * 1024),
	INT("web", "max_upload", web_max_upload, 1024, 16 * 1024 * 1024),
	INT("web", "login_max_failures", web_login_max_failures, 1, 1000),
	INT("web", "login_window", web_login_window, 10, 86400),
	STR("web", "timezone", web_timezone),
	STR("database", "path", db_path),
	STR("ami", "host", ami_host),
	INT("ami", "port", ami_port, 1, 65535),
	BOOL("ami", "tls", ami_tls),
	STR("ami", "cafile", ami_cafile),
	STR("ami", "fingerprint", ami_fingerprint),
	STR("ami", "username", ami_username),
	STR("ami", "secret", ami_secret),
	CHOICE("ami", "auth", ami_auth, "plain|md5"),
	INT("ami", "pool_size", ami_pool_size, 1, 64),
	INT("ami", "connect_timeout", ami_connect_timeout_ms, 100, 60000),
	INT("ami", "timeout", ami_timeout_ms, 100, 600000),
	INT("ami", "keepalive", ami_keepalive_s, 1, 3600),
	CHOICE("asterisk", "driver", asterisk_driver, "pjsip|sip"),
	STR("asterisk", "context", asterisk_context),
	STR("asterisk", "codecs", asterisk_codecs),
	INT("asterisk", "extension_min", asterisk_ext_min, 1, 99999999),
	INT("asterisk", "extension_max", asterisk_ext_max, 1, 99999999),
	STR("asterisk", "reserved", asterisk_reserved),
	INT("asterisk", "retry_interval", asterisk_retry_interval, 1, 3600),
	INT("asterisk", "save_wait", asterisk_save_wait_ms, 0, 10000),
	STR("asterisk", "classes", asterisk_classes),
	STR("asterisk", "default_class", asterisk_default_class),
	STR("asterisk", "emergency", asterisk_emergency),
	STR("asterisk", "trunk_context", asterisk_trunk_context),
	INT("asterisk", "dial_timeout", asterisk_dial_timeout, 5, 600),
	STR("provisioning", "dir", prov_dir),
	STR("provisioning", "templates", prov_templates),
	STR("provisioning", "server", prov_server),
	INT("provisioning", "port", prov_port, 1, 65535),
	CHOICE("provisioning", "transport", prov_transport, "udp|tcp|tls"),
	STR("provisioning", "url", prov_url),
	STR("provisioning", "user", prov_user),
	STR("provisioning", "password", prov_password),
	STR("provisioning", "allow", prov_allow),
	STR("console", "log", console_log),
	INT("console", "lines", console_lines, 1, 10000),
	STR("console", "cli_allow", console_cli_allow),
};

_Static_assert(sizeof config_keys / sizeof *config_keys <= CONFIG_MAX_KEYS, "raise CONFIG_MAX_KEYS");

static const char *const config_sections[] = { "web", "database", "ami", "asterisk", "provisioning", "console" };

/* The console's default allow-list; etc/centralita.conf.sample shows the same (a test compares them). */
#define CONSOLE_CLI_ALLOW_DEFAULT \
	"core show uptime | core show version | core show channels * | core show channel * | core show calls | " \
	"core show settings | pjsip show endpoints | pjsip show endpoint * | pjsip show contacts | pjsip show aors | " \
	"pjsip show aor * | pjsip show registrations | pjsip show transports | sip show peers | sip show registry | " \
	"dialplan show * | module show * | logger show channels"

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->web_socket, sizeof cfg->web_socket, "/run/centralita/centralita.sock");
	cfg->web_socket_mode = 0660;
	cfg->web_threads = 4;
	snprintf(cfg->web_templates, sizeof cfg->web_templates, "/usr/local/share/centralita/templates");
	snprintf(cfg->web_language, sizeof cfg->web_language, "en");
	cfg->web_session_idle = 3600;
	cfg->web_session_lifetime = 12 * 3600;
	cfg->web_max_body = 64 * 1024;
	cfg->web_max_upload = 8 * 1024 * 1024;
	cfg->web_login_max_failures = 5;
	cfg->web_login_window = 900;
	snprintf(cfg->db_path, sizeof cfg->db_path, "/var/lib/centralita/centralita.db");
	snprintf(cfg->ami_host, sizeof cfg->ami_host, "127.0.0.1");
	cfg->ami_port = 5039;
	cfg->ami_tls = true;
	/* The manager.conf user the README tells integrators to create: a file need not repeat it. */
	snprintf(cfg->ami_username, sizeof cfg->ami_username, "centralita");
	snprintf(cfg->ami_auth, sizeof cfg->ami_auth, "md5");
	cfg->ami_pool_size = 4;
	cfg->ami_connect_timeout_ms = 3000;
	cfg->ami_timeout_ms = 10000;
	cfg->ami_keepalive_s = 60;
	snprintf(cfg->asterisk_driver, sizeof cfg->asterisk_driver, "pjsip");
	snprintf(cfg->asterisk_context, sizeof cfg->asterisk_context, "internal");
	snprintf(cfg->asterisk_codecs, sizeof cfg->asterisk_codecs, "ulaw,alaw");
	cfg->asterisk_ext_min = 100;
	cfg->asterisk_ext_max = 899;
	snprintf(cfg->asterisk_reserved, sizeof cfg->asterisk_reserved, "112");
	cfg->asterisk_retry_interval = 5;
	cfg->asterisk_save_wait_ms = 1500;
	snprintf(cfg->asterisk_classes, sizeof cfg->asterisk_classes, "internal,local,national,mobile,international,premium");
	snprintf(cfg->asterisk_default_class, sizeof cfg->asterisk_default_class, "national");
	snprintf(cfg->asterisk_emergency, sizeof cfg->asterisk_emergency, "112");
	snprintf(cfg->asterisk_trunk_context, sizeof cfg->asterisk_trunk_context, "from-trunk");
	cfg->asterisk_dial_timeout = 60;
	snprintf(cfg->prov_dir, sizeof cfg->prov_dir, "/var/lib/centralita/provisioning");
	snprintf(cfg->prov_templates, sizeof cfg->prov_templates, "/usr/local/share/centralita/provisioning");
	cfg->prov_port = 5060;
	snprintf(cfg->prov_transport, sizeof cfg->prov_transport, "udp");
	snprintf(cfg->prov_user, sizeof cfg->prov_user, "phone");
	snprintf(cfg->console_log, sizeof cfg->console_log, "/var/log/asterisk/messages");
	cfg->console_lines = 500;
	/* Read-only commands only (the box is for looking, not changing); '*' takes arguments (pbx/cli.h). */
	snprintf(cfg->console_cli_allow, sizeof cfg->console_cli_allow, "%s", CONSOLE_CLI_ALLOW_DEFAULT);
}

static bool choice_allowed(const char *choices, const char *value)
{
	size_t n = strlen(value);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, value, n) == 0)
			return true;
		p += len + (bar ? 1 : 0);
	}
	return false;
}

/* What the INI callbacks work on: the config, and the text being parsed, to know each value's line. */
struct loader {
	struct config *cfg;
	const char *next;   /* start of the line after the last one called back for */
	int line;           /* its number */
};

/* The number of the line the INI reader is calling back for. The reader calls back once per line, in
 * order, for every line that is not blank once its comment is cut; a line is blank when everything before
 * its first ';' (a "\;" is text, not a comment) is spaces, tabs or CRs (see util/ini.c). So the k-th
 * callback is about the k-th such line. 0 if the text ran out (cannot happen while the reader agrees). */
static int next_line(struct loader *l)
{
	while (*l->next) {
		const char *p = l->next;
		size_t n = strcspn(p, "\n");
		l->next = p + n + (p[n] ? 1 : 0);
		l->line++;
		for (size_t i = 0; i < n && p[i] != ';'; i++)
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
				return l->line;
	}
	return 0;
}

static int on_section(void *ctx, const char *section, char *err, size_t errlen)
{
	next_line(ctx);
	for (size_t i = 0; i < sizeof config_sections / sizeof *config_sections; i++)
		if (strcmp(config_sections[i], section) == 0)
			return 0;
	snprintf(err, errlen, "unknown section [%s]", section);
	return -1;
}

static int set_key(void *ctx, const char *section, const char *key, const char *value, char *err,
		   size_t errlen)
{
	struct loader *l = ctx;
	struct config *cfg = l->cfg;
	int line = next_line(l);
	const struct config_key *k = NULL;
	for (size_t i = 0; i < sizeof config_keys / sizeof *config_keys; i++) {
		if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].name, key) == 0) {
			k = &config_keys[i];
			cfg->key_line[i] = line;
			break;
		}
	}
	if (!k) {
		snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
		return -1;
	}
	for (const char *c = value; *c; c++) {
		if (iscntrl((unsigned char)*c)) {
			snprintf(err, errlen, "%s: control character in value", key);
			return -1;
		}
	}
	char *field = (char *)cfg + k->offset;
	switch (k->type) {
	case KEY_STRING:
	case KEY_CHOICE:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "%s: value too long (at most %zu characters)", key, k->size - 1);
			return -1;
		}
		if (k->type == KEY_CHOICE && !choice_allowed(k->choices, value)) {
			snprintf(err, errlen, "%s: '%s' is not one of %s", key, value, k->choices);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case KEY_INT:
	case KEY_OCTAL: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, k->type == KEY_OCTAL ? 8 : 10);
		if (errno || end == value || *end != '\0' || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: '%s' is not a%s number from %ld to %ld", key, value,
				 k->type == KEY_OCTAL ? "n octal" : "", k->min, k->max);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	}
	case KEY_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") || !strcmp(value, "1")) {
			*(bool *)field = true;
		} else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") ||
			   !strcmp(value, "0")) {
			*(bool *)field = false;
		} else {
			snprintf(err, errlen, "%s: '%s' is not yes or no", key, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

int config_get(const struct config *cfg, const char *section, const char *key, char *out, size_t size)
{
	for (size_t i = 0; i < sizeof config_keys / sizeof *config_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (strcmp(k->section, section) != 0 || strcmp(k->name, key) != 0)
			continue;
		const char *field = (const char *)cfg + k->offset;
		switch (k->type) {
		case KEY_STRING:
		case KEY_CHOICE: snprintf(out, size, "%s", field); break;
		case KEY_INT: snprintf(out, size, "%d", *(const int *)field); break;
		case KEY_OCTAL: snprintf(out, size, "%04o", (unsigned)*(const int *)field); break;
		case KEY_BOOL: snprintf(out, size, "%s", *(const bool *)field ? "yes" : "no"); break;
		}
		return 0;
	}
	return -1;
}

const char *config_key_at(size_t i, const char **section)
{
	if (i >= sizeof config_keys / sizeof *config_keys)
		return NULL;
	if (section)
		*section = config_keys[i].section;
	return config_keys[i].name;
}

int config_fail(const struct config *cfg, const char *section, const char *key, char *err, size_t errlen,
		const char *fmt, ...)
{
	int line = 0;
	for (size_t i = 0; i < sizeof config_keys / sizeof *config_keys; i++)
		if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].name, key) == 0)
			line = cfg->key_line[i];
	char where[CONFIG_PATH_MAX + 16] = "";
	if (*cfg->source && line > 0)
		snprintf(where, sizeof where, "%s:%d: ", cfg->source, line);
	else if (*cfg->source)
		snprintf(where, sizeof where, "%s: ", cfg->source);
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s[%s] %s: %s", where, section, key, msg);
	return -1;
}

/* [web] timezone must name a zone of the system's database: a misspelt name would silently be read as UTC by
 * the C library, and every call's day and hour would be wrong. A relative path of [A-Za-z0-9_+-] parts, none
 * starting with '.', to a TZif file under ZONEINFO_DIR. */
#define ZONEINFO_DIR "/usr/share/zoneinfo"
static int check_timezone(const struct config *cfg, char *err, size_t errlen)
{
	const char *tz = cfg->web_timezone;
	if (!*tz)
		return 0;
	bool part_start = true;
	for (const char *p = tz; *p; p++) {
		bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  *p == '_' || *p == '+' || *p == '-' || (*p == '/' && !part_start) || (*p == '.' && !part_start);
		if (!ok)
			return config_fail(cfg, "web", "timezone", err, errlen,
					   "'%s' is not a time zone name such as Europe/Madrid", tz);
		part_start = *p == '/';
	}
	char path[sizeof ZONEINFO_DIR + sizeof cfg->web_timezone + 1];
	snprintf(path, sizeof path, ZONEINFO_DIR "/%s", tz);
	FILE *f = fopen(path, "rb");
	char magic[4] = "";
	bool found = f && fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
	if (f)
		fclose(f);
	if (!found || part_start)
		return config_fail(cfg, "web", "timezone", err, errlen, "no time zone '%s' in " ZONEINFO_DIR, tz);
	return 0;
}

void config_apply_timezone(const struct config *cfg)
{
	if (cfg->web_timezone[0])
		setenv("TZ", cfg->web_timezone, 1);
	else if (!getenv("TZ"))
		/* The system's zone, named: with TZ unset glibc's mktime stats /etc/localtime at every call (a
		 * third of the call intake's time); named, it is read once. */
		setenv("TZ", ":/etc/localtime", 1);
	tzset();
}

/* Rules between keys, which no single line decides: named at the line of the key that went too far. */
static int check_consistency(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->asterisk_ext_min > cfg->asterisk_ext_max)
		return config_fail(cfg, "asterisk", "extension_min", err, errlen, "%d must not exceed extension_max (%d)",
				   cfg->asterisk_ext_min, cfg->asterisk_ext_max);
	if (cfg->web_session_idle > cfg->web_session_lifetime)
		return config_fail(cfg, "web", "session_idle", err, errlen, "%d must not exceed session_lifetime (%d)",
				   cfg->web_session_idle, cfg->web_session_lifetime);
	return 0;
}

int config_load_string(struct config *cfg, const char *name, const char *text, char *err, size_t errlen)
{
	snprintf(cfg->source, sizeof cfg->source, "%s", name);
	struct loader l = { cfg, text, 0 };
	if (ini_parse_string(name, text, on_section, set_key, &l, err, errlen) != 0)
		return -1;
	if (check_timezone(cfg, err, errlen) != 0)
		return -1;
	return check_consistency(cfg, err, errlen);
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = file_read_all(path, CONFIG_MAX_FILE, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc;
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: NUL byte in file", path);
		rc = -1;
	} else {
		rc = config_load_string(cfg, path, text, err, errlen);
	}
	free(text);
	return rc;
}
