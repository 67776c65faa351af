/* trunk_config: a trunk → the PJSIP configuration it needs (pure functions, no I/O), and the rules its fields
 * follow, which the trunk form applies at the boundary (the same rules, so nothing the form accepts is refused
 * later). Each trunk lives in a file of its own, centralita/pjsip-trunk-<id>.conf, which the integrator's
 * "#tryinclude centralita/pjsip-*.conf" (README) already loads. Sections, for a trunk named "acme":
 *   [trunk-acme]           type=endpoint: context (calls from the provider: [asterisk] trunk_context), codecs,
 *                          outbound_auth (if asked), aors, from_user/from_domain (if set), direct_media=no
 *   [trunk-acme]           type=aor: contact sip:host:port (;transport=tcp|tls), qualify_frequency (so a dead
 *                          provider is known before a call tries it)
 *   [trunk-acme-auth]      type=auth, userpass (if registration or outbound auth)
 *   [trunk-acme-identify]  type=identify: calls from the provider's host are this trunk's
 *   [trunk-acme-reg]       type=registration (if asked): server_uri, client_uri, contact_user, outbound_auth,
 *                          expiration, retries, line + endpoint (calls the provider sends back are this trunk's)
 * A removed trunk's file is written empty. Knows db (struct trunk) and pbx. */
#ifndef PBX_TRUNK_CONFIG_H
#define PBX_TRUNK_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/trunks.h"
#include "pbx/pbx.h"
#include "pbx/pbx_file.h"

#define PBX_TRUNK_PREFIX "trunk-"
#define PBX_TRUNK_ENDPOINT_MAX (sizeof PBX_TRUNK_PREFIX + TRUNK_NAME_MAX)

/* "centralita/pjsip-trunk-<id>.conf". */
void pbx_trunk_file(int64_t trunk_id, char out[PBX_FILE_MAX]);
/* "trunk-<name>": the trunk's endpoint (and aor), what Dial() names. */
void pbx_trunk_endpoint(const char *name, char out[PBX_TRUNK_ENDPOINT_MAX]);

/* The field a trunk is refused for, and why (a message key of templates/lang, "trunk.err.<key>"). */
struct pbx_trunk_problem {
	const char *field;   /* "name", "host", "port", "transport", "username", "secret", "expiration",
	                        "from_user", "from_domain", "codecs", "callerid", "max_calls"; NULL = fine */
	const char *key;     /* "required", "name_chars", "host_chars", "range", "choice", "user_chars",
	                        "secret_chars", "codec", "number_chars", "too_long" */
};
/* Checks every user field of t (s gives the codecs allowed). Rules: name [a-z0-9][a-z0-9-]{0,31}; host a host
 * name (letters, digits, '-', '.' in labels of 1..63, no label starting or ending with '-', at most 253) or an
 * IPv4 address (a dotted quad without leading zeros; a name whose last label is all digits must be one);
 * port 1..65535; transport udp, tcp or tls; username and from_user [A-Za-z0-9._+-]{1,64} (username required
 * with registration or outbound auth); secret 1..128 of the printable ASCII except space " ' ; , \ and not
 * starting with '>' (AMI would write it as "=>" and drop the '>') (required with either); expiration
 * 60..86400 (with registration); from_domain "" or as host; codecs a non-empty comma list of distinct
 * [asterisk] codecs, no spaces; callerid "" or at most 20 characters, digits with an optional leading '+';
 * max_calls 0..999. A username or secret typed without registration or outbound auth is checked too.
 * Returns false with *why set on the first problem, in the order of the fields above. */
bool pbx_trunk_check(const struct pbx_settings *s, const struct trunk *t, struct pbx_trunk_problem *why);
/* Checks only what a trunk brings to the routes dialplan (name, callerid, max_calls), by the same rules:
 * route_plan checks them again before writing them, without refusing a dialplan for a trunk's codecs. */
bool pbx_trunk_check_dialplan(const struct trunk *t, struct pbx_trunk_problem *why);
/* The caller ID number rule trunks and routes share ("" is fine), on a field of cap bytes: NULL if fine,
 * else "number_chars" or "too_long". */
const char *pbx_callerid_number_problem(const char *number, size_t cap);

/* The sections of the trunk's file (above) into f (initialised by the caller); a removed trunk (t->deleted)
 * gives an empty file. Returns 0, or -1 with f->err. */
int pbx_trunk_sections(const struct pbx_settings *s, const struct trunk *t, struct pbx_file *f);

#endif
