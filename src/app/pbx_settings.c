/* pbx_settings: the [asterisk] and [provisioning] keys checked and turned into the domain's settings.
 * Lists in the configuration ("ulaw,alaw", "112,911") are split and checked here. */
#include "app/pbx_settings.h"

#include <stdio.h>
#include <string.h>

/* Splits a comma list into items[max][16]; each item must be 1-15 characters of `allowed`. Returns the
 * number of items, or -1 with err. */
static int split_list(const struct config *cfg, const char *list, char items[][16], int max, const char *allowed,
		      const char *section, const char *key, char *err, size_t errlen)
{
	int n = 0;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, ", ");
		if (n == max)
			return config_fail(cfg, section, key, err, errlen, "more than %d items", max);
		if (len >= 16 || strspn(p, allowed) < len)
			return config_fail(cfg, section, key, err, errlen, "'%.*s' is not a valid item", (int)len, p);
		memcpy(items[n], p, len);
		items[n][len] = '\0';
		n++;
		p += len;
	}
	return n;
}

int config_pbx_settings(const struct config *cfg, struct pbx_settings *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->driver = strcmp(cfg->asterisk_driver, "sip") == 0 ? PBX_SIP : PBX_PJSIP;
	if (!*cfg->asterisk_context || strspn(cfg->asterisk_context, "abcdefghijklmnopqrstuvwxyz"
								 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
						   strlen(cfg->asterisk_context))
		return config_fail(cfg, "asterisk", "context", err, errlen, "'%s': letters, digits, '_' and '-' only",
				   cfg->asterisk_context);
	snprintf(s->context, sizeof s->context, "%s", cfg->asterisk_context);
	s->n_codecs = split_list(cfg, cfg->asterisk_codecs, s->codecs, PBX_MAX_CODECS,
				 "abcdefghijklmnopqrstuvwxyz0123456789_", "asterisk", "codecs", err, errlen);
	if (s->n_codecs < 0)
		return -1;
	if (s->n_codecs == 0)
		return config_fail(cfg, "asterisk", "codecs", err, errlen, "at least one codec is needed");
	s->n_reserved = split_list(cfg, cfg->asterisk_reserved, s->reserved, PBX_MAX_RESERVED, "0123456789", "asterisk",
				   "reserved", err, errlen);
	if (s->n_reserved < 0)
		return -1;
	s->n_classes = split_list(cfg, cfg->asterisk_classes, s->classes, PBX_MAX_CLASSES,
				  "abcdefghijklmnopqrstuvwxyz0123456789_", "asterisk", "classes", err, errlen);
	if (s->n_classes < 0)
		return -1;
	if (s->n_classes == 0)
		return config_fail(cfg, "asterisk", "classes", err, errlen, "at least one calling class is needed");
	snprintf(s->default_class, sizeof s->default_class, "%.15s", cfg->asterisk_default_class);
	if (!pbx_class_known(s, s->default_class))
		return config_fail(cfg, "asterisk", "default_class", err, errlen, "'%s' is not one of [asterisk] classes",
				   cfg->asterisk_default_class);
	s->n_emergency = split_list(cfg, cfg->asterisk_emergency, s->emergency, PBX_MAX_EMERGENCY, "0123456789",
				    "asterisk", "emergency", err, errlen);
	if (s->n_emergency < 0)
		return -1;
	if (!*cfg->asterisk_trunk_context ||
	    strspn(cfg->asterisk_trunk_context, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
		    strlen(cfg->asterisk_trunk_context))
		return config_fail(cfg, "asterisk", "trunk_context", err, errlen, "'%s': letters, digits, '_' and '-' only",
				   cfg->asterisk_trunk_context);
	snprintf(s->trunk_context, sizeof s->trunk_context, "%s", cfg->asterisk_trunk_context);
	s->dial_timeout = cfg->asterisk_dial_timeout;
	s->ext_min = cfg->asterisk_ext_min;
	s->ext_max = cfg->asterisk_ext_max;
	s->retry_interval = cfg->asterisk_retry_interval;
	s->save_wait_ms = cfg->asterisk_save_wait_ms;
	snprintf(s->prov_dir, sizeof s->prov_dir, "%s", cfg->prov_dir);
	/* Required, never guessed: [ami] host is often 127.0.0.1 (Asterisk on this machine), which every phone
	 * would then be told to register with, i.e. with itself. */
	if (!*cfg->prov_server)
		return config_fail(cfg, "provisioning", "server", err, errlen,
				   "not set: give the address phones register with (this PBX's SIP address as the phones "
				   "reach it, e.g. 192.168.1.10 or pbx.example.com)");
	snprintf(s->prov_server, sizeof s->prov_server, "%s", cfg->prov_server);
	s->prov_port = (unsigned)cfg->prov_port;
	s->prov_transport = strcmp(cfg->prov_transport, "tcp") == 0   ? PROVISION_TCP
			    : strcmp(cfg->prov_transport, "tls") == 0 ? PROVISION_TLS
								      : PROVISION_UDP;
	return 0;
}
