/* ami_options: [ami] keys checked and turned into the AMI library's options. */
#include "app/ami_options.h"

#include <stdio.h>
#include <string.h>

/* Checks t, whose only value from the configuration is key's. */
static int probe(const struct config *cfg, const char *key, const struct ami_options *t, char *err, size_t errlen)
{
	char e[300];
	if (ami_options_check(t, e, sizeof e) == 0)
		return 0;
	return config_fail(cfg, "ami", key, err, errlen, "%s", e);
}

int config_ami_options(const struct config *cfg, struct ami_options *o, char *err, size_t errlen)
{
	ami_options_defaults(o);
	snprintf(o->host, sizeof o->host, "%s", cfg->ami_host);
	o->port = cfg->ami_port;
	o->tls = cfg->ami_tls;
	snprintf(o->cafile, sizeof o->cafile, "%s", cfg->ami_cafile);
	snprintf(o->fingerprint, sizeof o->fingerprint, "%s", cfg->ami_fingerprint);
	snprintf(o->username, sizeof o->username, "%s", cfg->ami_username);
	snprintf(o->secret, sizeof o->secret, "%s", cfg->ami_secret);
	o->auth = strcmp(cfg->ami_auth, "plain") == 0 ? AMI_AUTH_PLAIN : AMI_AUTH_MD5;
	o->pool_size = cfg->ami_pool_size;
	o->connect_timeout_ms = cfg->ami_connect_timeout_ms;
	o->io_timeout_ms = cfg->ami_timeout_ms;
	o->keepalive_s = cfg->ami_keepalive_s;

	if (!*o->host)
		return config_fail(cfg, "ami", "host", err, errlen, "empty: the address of Asterisk's manager");
	if (!*o->username)
		return config_fail(cfg, "ami", "username", err, errlen, "empty: the manager.conf user Centralita logs in as");
	/* The library's own rules (ami_options_check), tried one key at a time on its defaults first, so that a
	 * refusal names the line at fault; then on everything together. */
	struct ami_options base;
	ami_options_defaults(&base);
	snprintf(base.username, sizeof base.username, "centralita");
	struct ami_options t = base;
	snprintf(t.host, sizeof t.host, "%s", o->host);
	if (probe(cfg, "host", &t, err, errlen) != 0)
		return -1;
	t = base;
	snprintf(t.username, sizeof t.username, "%s", o->username);
	if (probe(cfg, "username", &t, err, errlen) != 0)
		return -1;
	t = base;
	snprintf(t.secret, sizeof t.secret, "%s", o->secret);
	if (probe(cfg, "secret", &t, err, errlen) != 0)
		return -1;
	t = base;
	t.tls = o->tls;
	snprintf(t.fingerprint, sizeof t.fingerprint, "%s", o->fingerprint);
	if (probe(cfg, "fingerprint", &t, err, errlen) != 0)
		return -1;
	char e[300];
	if (ami_options_check(o, e, sizeof e) != 0) {
		snprintf(err, errlen, "%s%s[ami] %s", cfg->source, *cfg->source ? ": " : "", e);
		return -1;
	}
	return 0;
}
