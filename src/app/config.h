/* config: Centralita's configuration, one Asterisk-style INI file (etc/centralita.conf.sample documents
 * every key). Loaded once at start-up; read-only afterwards, so threads share it freely.
 * Unknown sections or keys and bad values refuse to start with "file:line: message". */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_PATH_MAX 512
#define CONFIG_STR_MAX 256

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
	int web_login_max_failures;           /* failures per user or address inside the window */
	int web_login_window;                 /* seconds */
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
	char asterisk_context[64];
	/* [provisioning] */
	char prov_dir[CONFIG_PATH_MAX];
	char prov_server[CONFIG_STR_MAX];
	int prov_port;
};

void config_defaults(struct config *cfg);
/* Loads path over the defaults. Returns 0, or -1 with err = "file:line: message". */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
int config_load_string(struct config *cfg, const char *name, const char *text, char *err, size_t errlen);

#endif
