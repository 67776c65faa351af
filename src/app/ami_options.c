/* ami_options: [ami] keys → struct ami_options. */
#include "app/ami_options.h"

#include <stdio.h>
#include <string.h>

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
	return ami_options_check(o, err, errlen);
}
