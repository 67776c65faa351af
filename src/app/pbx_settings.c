/* pbx_settings: lists in the configuration ("ulaw,alaw", "112,911") are split and checked here. */
#include "app/pbx_settings.h"

#include <stdio.h>
#include <string.h>

/* Splits a comma list into items[max][16]; each item must be 1-15 characters of `allowed`. */
static int split_list(const char *list, char items[][16], int max, const char *allowed, const char *key, char *err,
		      size_t errlen)
{
	int n = 0;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, ", ");
		if (len >= 16 || strspn(p, allowed) < len || n == max) {
			snprintf(err, errlen, "%s: '%.*s' is not a valid item (or too many items)", key, (int)len, p);
			return -1;
		}
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
						   strlen(cfg->asterisk_context)) {
		snprintf(err, errlen, "[asterisk] context: letters, digits, '_' and '-' only");
		return -1;
	}
	snprintf(s->context, sizeof s->context, "%s", cfg->asterisk_context);
	s->n_codecs = split_list(cfg->asterisk_codecs, s->codecs, PBX_MAX_CODECS, "abcdefghijklmnopqrstuvwxyz0123456789_",
				 "[asterisk] codecs", err, errlen);
	if (s->n_codecs <= 0) {
		if (s->n_codecs == 0)
			snprintf(err, errlen, "[asterisk] codecs: at least one codec is needed");
		return -1;
	}
	s->n_reserved = split_list(cfg->asterisk_reserved, s->reserved, PBX_MAX_RESERVED, "0123456789",
				   "[asterisk] reserved", err, errlen);
	if (s->n_reserved < 0)
		return -1;
	s->ext_min = cfg->asterisk_ext_min;
	s->ext_max = cfg->asterisk_ext_max;
	s->retry_interval = cfg->asterisk_retry_interval;
	s->save_wait_ms = cfg->asterisk_save_wait_ms;
	snprintf(s->prov_dir, sizeof s->prov_dir, "%s", cfg->prov_dir);
	snprintf(s->prov_server, sizeof s->prov_server, "%s", *cfg->prov_server ? cfg->prov_server : cfg->ami_host);
	s->prov_port = (unsigned)cfg->prov_port;
	s->prov_transport = strcmp(cfg->prov_transport, "tcp") == 0   ? PROVISION_TCP
			    : strcmp(cfg->prov_transport, "tls") == 0 ? PROVISION_TLS
								      : PROVISION_UDP;
	return 0;
}
