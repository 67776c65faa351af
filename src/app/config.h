/* config: Centralita's configuration, one Asterisk-style INI file (etc/centralita.conf.sample documents
 * every key and its default, which is config_defaults()'s). Loaded once at start-up; read-only afterwards,
 * so threads share it freely. Unknown sections or keys and values of the wrong type or range refuse to
 * load with "file:line: message"; what a value means to the program (a dialplan context's characters, a
 * required key) is checked where it is turned into settings (pbx_settings.c, ami_options.c, and the
 * daemon's serve_prepare, which check-config runs too), whose messages name the line through config_fail. */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_PATH_MAX 512
#define CONFIG_STR_MAX 256
#define CONFIG_MAX_KEYS 64                /* room for the key table (config.c checks it fits) */

struct config {
	/* [web] */
	char web_socket[CONFIG_PATH_MAX];     /* FastCGI unix socket nginx connects to */
	int web_socket_mode;                  /* octal permissions of that socket */
	int web_threads;
	char web_templates[CONFIG_PATH_MAX];  /* templates/ directory (pages and lang/) */
	char web_language[8];                 /* default language when neither user nor browser says */
	int web_session_idle;                 /* seconds of inactivity before a session ends */
	int web_session_lifetime;             /* absolute session lifetime, seconds */
	int web_max_body;                     /* largest accepted request body, bytes */
	int web_max_upload;                   /* the same, for a POST to a route that takes files (route.upload) */
	int web_login_max_failures;           /* failures per user or address inside the window */
	int web_login_window;                 /* seconds */
	char web_timezone[64];                /* IANA zone of Asterisk's local times ("Europe/Madrid"); "" = system's */
	/* [database] */
	char db_path[CONFIG_PATH_MAX];
	/* [ami] */
	char ami_host[CONFIG_STR_MAX];
	int ami_port;
	bool ami_tls;
	char ami_cafile[CONFIG_PATH_MAX];
	char ami_fingerprint[128];
	char ami_username[128];
	char ami_secret[CONFIG_STR_MAX];
	char ami_auth[8];                     /* plain | md5 */
	int ami_pool_size;
	int ami_connect_timeout_ms;
	int ami_timeout_ms;
	int ami_keepalive_s;
	/* [asterisk] */
	char asterisk_driver[8];              /* pjsip | sip */
	char asterisk_context[64];            /* dialplan context the phones call from and are reached in */
	char asterisk_codecs[128];            /* "ulaw,alaw": allow= lines of every phone */
	int asterisk_ext_min, asterisk_ext_max;
	char asterisk_reserved[256];          /* numbers phones may never take: "112,911,999" */
	int asterisk_retry_interval;          /* seconds between background apply attempts */
	int asterisk_save_wait_ms;            /* longest a save waits for the PBX before answering "pending" */
	char asterisk_classes[256];           /* calling classes: "internal,local,national,mobile,..." */
	char asterisk_default_class[32];      /* the class of a new phone */
	char asterisk_emergency[128];         /* numbers every phone may dial, on the first working trunk */
	char asterisk_trunk_context[64];      /* dialplan context of calls coming in from the trunks */
	int asterisk_dial_timeout;            /* seconds an outbound call rings through a trunk */
	/* [provisioning] */
	char prov_dir[CONFIG_PATH_MAX];       /* where MAC-named files are written (nginx serves it) */
	char prov_templates[CONFIG_PATH_MAX]; /* per-vendor ClearSilver templates */
	char prov_server[CONFIG_STR_MAX];     /* SIP server address written into the files */
	int prov_port;
	char prov_transport[8];               /* udp | tcp | tls */
	char prov_url[CONFIG_STR_MAX];        /* URL phones are pointed at, shown on each phone's page */
	char prov_user[64];                   /* HTTP basic auth the phones use (nginx checks it) */
	char prov_password[128];
	char prov_allow[CONFIG_STR_MAX];      /* optional networks allowed to fetch files: "10.0.0.0/8 192.168.1.0/24" */
	/* [console] (the integrator's debug console) */
	char console_log[CONFIG_PATH_MAX];    /* Asterisk's log file the console shows the end of */
	int console_lines;                    /* lines shown by default */
	char console_cli_allow[2048];         /* CLI commands the CLI box may send (pbx/cli.h's syntax and rule) */
	/* where the values came from, for messages */
	char source[CONFIG_PATH_MAX];         /* the file (or name) loaded; "" = defaults only */
	int key_line[CONFIG_MAX_KEYS];        /* per key, in table order: the line that set it last; 0 = default */
};

void config_defaults(struct config *cfg);
/* Loads path over the defaults. Returns 0, or -1 with err = "file:line: message". */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* The same for text; name stands for the file in messages. */
int config_load_string(struct config *cfg, const char *name, const char *text, char *err, size_t errlen);
/* The value of [section] key as text (octal for modes, yes/no for booleans). -1 if there is no such key. */
int config_get(const struct config *cfg, const char *section, const char *key, char *out, size_t size);
/* The name of the i-th key (table order) and its section; NULL past the last. */
const char *config_key_at(size_t i, const char **section);

/* Makes [web] timezone the process's time zone (TZ, then tzset), so that localtime_r and mktime read
 * Asterisk's local times in it; "" leaves the system's. Call once at start, before any thread exists (setenv
 * is not thread-safe). */
void config_apply_timezone(const struct config *cfg);

/* Writes a message about [section] key into err, saying where its value came from:
 *   "file:line: [section] key: message"   the file sets it (its last setting's line)
 *   "file: [section] key: message"        the file leaves it at its default
 * Returns -1, so a check can end with `return config_fail(...)`. */
int config_fail(const struct config *cfg, const char *section, const char *key, char *err, size_t errlen,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
