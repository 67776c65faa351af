/* trunk_config: a trunk → the sections of its own PJSIP file, and the rules its fields follow (trunk_config.h).
 * Pure functions, no I/O.
 *
 * Option names are res_pjsip's own, read from Asterisk 22.10.1's sorcery registrations (the options a section
 * type accepts; an unknown one makes Asterisk refuse the whole object):
 *   endpoint      res/res_pjsip/pjsip_configuration.c: context, disallow, allow, outbound_auth, aors,
 *                 from_user, from_domain, direct_media
 *   aor           res/res_pjsip/location.c: contact, qualify_frequency
 *   auth          res/res_pjsip/config_auth.c: auth_type (userpass), username, password
 *   identify      res/res_pjsip_endpoint_identifier_ip.c: endpoint, match (an address or a host name)
 *   registration  res/res_pjsip_outbound_registration.c: server_uri, client_uri, contact_user, outbound_auth,
 *                 expiration, retry_interval, forbidden_retry_interval, max_retries, line, endpoint
 * The layout follows configs/samples/pjsip.conf.sample ("ENDPOINT CONFIGURED AS A TRUNK, OUTBOUND
 * AUTHENTICATION" and "OUTBOUND REGISTRATION WITH OUTBOUND AUTHENTICATION"). */
#include "pbx/trunk_config.h"

#include <stdio.h>
#include <string.h>

#define NAME_LEN (TRUNK_NAME_MAX - 1)     /* 32 */
#define HOST_LEN 253                      /* a DNS name's longest text form */
#define LABEL_LEN 63
#define USER_LEN (TRUNK_USER_MAX - 1)     /* 64 */
#define SECRET_LEN (TRUNK_SECRET_MAX - 1) /* 128 */
#define NUMBER_LEN 20                     /* caller ID numbers, '+' included */
#define EXPIRATION_MIN 60
#define EXPIRATION_MAX 86400
#define MAX_CALLS_MAX 999

/* How the provider is watched and retried. A qualify every minute lets Asterisk know a dead provider before a
 * call tries it (the contact is then unavailable and Dial() says CHANUNAVAIL at once, so the route moves on).
 * Asterisk stops registering for good after max_retries failures in a row (default 10: ten minutes at the
 * default 60 s) and after one 403 (forbidden_retry_interval 0): a provider's outage of an hour would leave the
 * trunk unregistered until the next reload. 10000 tries a minute apart is about a week; a 403 is retried every
 * 10 minutes, not hammered. */
#define QUALIFY_FREQUENCY "60"
#define RETRY_INTERVAL "60"
#define FORBIDDEN_RETRY_INTERVAL "600"
#define MAX_RETRIES "10000"

void pbx_trunk_file(int64_t trunk_id, char out[PBX_FILE_MAX])
{
	snprintf(out, PBX_FILE_MAX, PBX_DIR "/pjsip-trunk-%lld.conf", (long long)trunk_id);
}

void pbx_trunk_endpoint(const char *name, char out[PBX_TRUNK_ENDPOINT_MAX])
{
	snprintf(out, PBX_TRUNK_ENDPOINT_MAX, PBX_TRUNK_PREFIX "%s", name);
}

/* ---------- the rules ---------- */

static bool is_lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of s, or cap when the field holds no NUL (a struct filled by hand): too long either way. */
static size_t field_len(const char *s, size_t cap)
{
	return strnlen(s, cap);
}

/* [a-z0-9][a-z0-9-]{0,31}: the name goes into section names, Dial() and GROUP() as it is. */
static const char *name_problem(const char *name, size_t cap)
{
	size_t n = field_len(name, cap);
	if (n == 0)
		return "required";
	if (n > NAME_LEN)
		return "too_long";
	if (!is_lower_or_digit(name[0]))
		return "name_chars";
	for (size_t i = 1; i < n; i++)
		if (!is_lower_or_digit(name[i]) && name[i] != '-')
			return "name_chars";
	return NULL;
}

/* A dotted quad without leading zeros (inet_aton() would read "010" as octal 8). */
static bool is_ipv4(const char *s, size_t n)
{
	int parts = 0;
	for (size_t i = 0; i < n;) {
		size_t len = 0;
		unsigned value = 0;
		while (i + len < n && is_digit(s[i + len]) && len < 4)
			value = value * 10 + (unsigned)(s[i + len++] - '0');
		if (len == 0 || len > 3 || value > 255 || (len > 1 && s[i] == '0'))
			return false;
		i += len;
		parts++;
		if (i < n && (s[i] != '.' || i + 1 == n))
			return false;
		i += i < n;
	}
	return parts == 4;
}

/* Host names per RFC 1123 (labels of 1..63 letters, digits and '-', no '-' at either end), or an IPv4
 * address. A name whose last label is all digits can only be meant as an address, so it must be one. */
static const char *host_problem(const char *host, size_t cap)
{
	size_t n = field_len(host, cap);
	if (n == 0)
		return "required";
	if (n > HOST_LEN)
		return "too_long";
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && host[i] != '.') {
			if (!is_alnum(host[i]) && host[i] != '-')
				return "host_chars";
			continue;
		}
		size_t len = i - start;
		if (len == 0 || len > LABEL_LEN || host[start] == '-' || host[i - 1] == '-')
			return "host_chars";
		start = i + 1;
	}
	const char *last = strrchr(host, '.');
	last = last ? last + 1 : host;
	if (strspn(last, "0123456789") == strlen(last) && !is_ipv4(host, n))
		return "host_chars";
	return NULL;
}

/* [A-Za-z0-9._+-]{1,64}: SIP user parts that need no escaping in a URI. */
static const char *user_problem(const char *user, size_t cap)
{
	size_t n = field_len(user, cap);
	if (n == 0)
		return "required";
	if (n > USER_LEN)
		return "too_long";
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(user[i]) && !strchr("._+-", user[i]))
			return "user_chars";
	return NULL;
}

/* 1..128 printable ASCII characters but space " ' ; , \, and not starting with '>': ';' starts a comment in
 * pjsip.conf, and AMI's UpdateConfig takes a value starting with '>' as "=>" and drops the '>'
 * (handle_updates() in main/manager.c), so Asterisk would hold another password than the provider's. */
static const char *secret_problem(const char *secret, size_t cap)
{
	size_t n = field_len(secret, cap);
	if (n == 0)
		return "required";
	if (n > SECRET_LEN)
		return "too_long";
	if (secret[0] == '>')
		return "secret_chars";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)secret[i];
		if (c <= ' ' || c >= 0x7F || strchr("\"';,\\", c))
			return "secret_chars";
	}
	return NULL;
}

/* A non-empty comma list of distinct [asterisk] codecs, nothing else (no spaces). */
static const char *codecs_problem(const struct pbx_settings *s, const char *codecs, size_t cap)
{
	size_t n = field_len(codecs, cap);
	if (n == 0)
		return "required";
	if (n >= cap)
		return "too_long";
	for (const char *p = codecs;; p++) {
		size_t len = strcspn(p, ",");
		bool known = false;
		for (int i = 0; i < s->n_codecs && !known; i++)
			known = strlen(s->codecs[i]) == len && memcmp(s->codecs[i], p, len) == 0;
		if (!known)
			return "codec";
		for (const char *q = codecs; q < p; q += strcspn(q, ",") + 1)   /* the ones before it */
			if (strcspn(q, ",") == len && memcmp(q, p, len) == 0)
				return "codec";
		p += len;
		if (!*p)
			return NULL;
	}
}

const char *pbx_callerid_number_problem(const char *number, size_t cap)
{
	size_t n = field_len(number, cap);
	if (n == 0)
		return NULL;
	if (n > NUMBER_LEN)
		return "too_long";
	size_t plus = number[0] == '+';
	if (n == plus || strspn(number + plus, "0123456789") != n - plus)
		return "number_chars";
	return NULL;
}

static bool refuse(struct pbx_trunk_problem *why, const char *field, const char *key)
{
	why->field = field;
	why->key = key;
	return false;
}

/* The fields that also reach the routes dialplan, in the order pbx_trunk_check() reports them. */
static bool check_name(const struct trunk *t, struct pbx_trunk_problem *why)
{
	const char *key = name_problem(t->name, sizeof t->name);
	return key ? refuse(why, "name", key) : true;
}

static bool check_callerid_and_limit(const struct trunk *t, struct pbx_trunk_problem *why)
{
	const char *key = pbx_callerid_number_problem(t->callerid, sizeof t->callerid);
	if (key)
		return refuse(why, "callerid", key);
	if (t->max_calls < 0 || t->max_calls > MAX_CALLS_MAX)
		return refuse(why, "max_calls", "range");
	return true;
}

bool pbx_trunk_check_dialplan(const struct trunk *t, struct pbx_trunk_problem *why)
{
	why->field = why->key = NULL;
	return check_name(t, why) && check_callerid_and_limit(t, why);
}

static bool needs_auth(const struct trunk *t)
{
	return t->registration || t->outbound_auth;
}

/* Where the provider is: host, port, transport. */
static bool check_provider(const struct trunk *t, struct pbx_trunk_problem *why)
{
	const char *key = host_problem(t->host, sizeof t->host);
	if (key)
		return refuse(why, "host", key);
	if (t->port < 1 || t->port > 65535)
		return refuse(why, "port", "range");
	size_t n = field_len(t->transport, sizeof t->transport);
	if (n >= sizeof t->transport ||
	    (strcmp(t->transport, "udp") && strcmp(t->transport, "tcp") && strcmp(t->transport, "tls")))
		return refuse(why, "transport", "choice");
	return true;
}

/* Credentials: required with registration or outbound auth, checked whenever typed. */
static bool check_credentials(const struct trunk *t, struct pbx_trunk_problem *why)
{
	const char *key = user_problem(t->username, sizeof t->username);
	if (key && (needs_auth(t) || strcmp(key, "required")))
		return refuse(why, "username", key);
	key = secret_problem(t->secret, sizeof t->secret);
	if (key && (needs_auth(t) || strcmp(key, "required")))
		return refuse(why, "secret", key);
	if (t->registration && (t->expiration < EXPIRATION_MIN || t->expiration > EXPIRATION_MAX))
		return refuse(why, "expiration", "range");
	return true;
}

/* What the provider sees: From user and domain (optional), codecs. */
static bool check_presentation(const struct pbx_settings *s, const struct trunk *t, struct pbx_trunk_problem *why)
{
	const char *key = user_problem(t->from_user, sizeof t->from_user);
	if (key && strcmp(key, "required"))
		return refuse(why, "from_user", key);
	key = host_problem(t->from_domain, sizeof t->from_domain);
	if (key && strcmp(key, "required"))
		return refuse(why, "from_domain", key);
	key = codecs_problem(s, t->codecs, sizeof t->codecs);
	if (key)
		return refuse(why, "codecs", key);
	return true;
}

bool pbx_trunk_check(const struct pbx_settings *s, const struct trunk *t, struct pbx_trunk_problem *why)
{
	why->field = why->key = NULL;
	return check_name(t, why) && check_provider(t, why) && check_credentials(t, why) &&
	       check_presentation(s, t, why) && check_callerid_and_limit(t, why);
}

/* ---------- the sections ---------- */

/* The names of a trunk's sections, all derived from "trunk-<name>". */
struct trunk_names {
	char endpoint[PBX_TRUNK_ENDPOINT_MAX];
	char auth[PBX_TRUNK_ENDPOINT_MAX + 16];
	char identify[PBX_TRUNK_ENDPOINT_MAX + 16];
	char registration[PBX_TRUNK_ENDPOINT_MAX + 16];
};

static void trunk_names(const struct trunk *t, struct trunk_names *n)
{
	pbx_trunk_endpoint(t->name, n->endpoint);
	snprintf(n->auth, sizeof n->auth, "%s-auth", n->endpoint);
	snprintf(n->identify, sizeof n->identify, "%s-identify", n->endpoint);
	snprintf(n->registration, sizeof n->registration, "%s-reg", n->endpoint);
}

/* The URI parameter that makes PJSIP pick a transport of that kind: res_pjsip uses "the first available
 * transport of the appropriate type" when a section names none, and the type comes from the URI
 * (sip:...;transport=tcp; none means UDP, see the contact built in res_pjsip_outbound_registration.c). This
 * leaves the integrator's transports alone, whatever they are named. */
static const char *transport_param(const struct trunk *t)
{
	if (strcmp(t->transport, "tcp") == 0)
		return ";transport=tcp";
	if (strcmp(t->transport, "tls") == 0)
		return ";transport=tls";
	return "";
}

static int add_endpoint(const struct pbx_settings *s, const struct trunk *t, const struct trunk_names *n,
			struct pbx_file *f)
{
	pbx_file_section(f, n->endpoint, "endpoint");
	pbx_file_line(f, "type", "endpoint");
	pbx_file_line(f, "context", s->trunk_context);
	pbx_file_line(f, "disallow", "all");
	char codec[TRUNK_CODECS_MAX];
	for (const char *p = t->codecs; *p;) {   /* checked: a comma list of known codecs */
		size_t len = strcspn(p, ",");
		snprintf(codec, sizeof codec, "%.*s", (int)len, p);
		pbx_file_line(f, "allow", codec);
		p += len + (p[len] == ',');
	}
	if (t->outbound_auth)
		pbx_file_line(f, "outbound_auth", n->auth);
	pbx_file_line(f, "aors", n->endpoint);
	if (*t->from_user)
		pbx_file_line(f, "from_user", t->from_user);
	if (*t->from_domain)
		pbx_file_line(f, "from_domain", t->from_domain);
	/* Media stays through Asterisk: a provider must not be re-INVITEd towards a phone on the office LAN. */
	return pbx_file_line(f, "direct_media", "no");
}

static int add_aor(const struct trunk *t, const struct trunk_names *n, struct pbx_file *f)
{
	pbx_file_section(f, n->endpoint, "aor");
	pbx_file_line(f, "type", "aor");
	pbx_file_linef(f, "contact", "sip:%s:%d%s", t->host, t->port, transport_param(t));
	return pbx_file_line(f, "qualify_frequency", QUALIFY_FREQUENCY);
}

static int add_auth(const struct trunk *t, const struct trunk_names *n, struct pbx_file *f)
{
	pbx_file_section(f, n->auth, NULL);
	pbx_file_line(f, "type", "auth");
	pbx_file_line(f, "auth_type", "userpass");
	pbx_file_line(f, "username", t->username);
	return pbx_file_line(f, "password", t->secret);
}

/* Calls from the provider's address are this trunk's (a provider calls without authenticating). */
static int add_identify(const struct trunk *t, const struct trunk_names *n, struct pbx_file *f)
{
	pbx_file_section(f, n->identify, NULL);
	pbx_file_line(f, "type", "identify");
	pbx_file_line(f, "endpoint", n->endpoint);
	return pbx_file_line(f, "match", t->host);
}

/* The registration: the REGISTER goes to server_uri (the provider, with its port and transport); client_uri is
 * the account's address of record, in the provider's domain (from_domain when set: providers that need a From
 * domain register in it too). contact_user makes calls the provider sends arrive as the account's number in
 * [asterisk] trunk_context; line + endpoint tie them to this trunk even when they come from another address
 * than host (the "line" parameter of the Contact, res_pjsip_outbound_registration.c). */
static int add_registration(const struct trunk *t, const struct trunk_names *n, struct pbx_file *f)
{
	pbx_file_section(f, n->registration, NULL);
	pbx_file_line(f, "type", "registration");
	pbx_file_linef(f, "server_uri", "sip:%s:%d%s", t->host, t->port, transport_param(t));
	pbx_file_linef(f, "client_uri", "sip:%s@%s", t->username, *t->from_domain ? t->from_domain : t->host);
	pbx_file_line(f, "contact_user", t->username);
	pbx_file_line(f, "outbound_auth", n->auth);
	pbx_file_linef(f, "expiration", "%d", t->expiration);
	pbx_file_line(f, "retry_interval", RETRY_INTERVAL);
	pbx_file_line(f, "forbidden_retry_interval", FORBIDDEN_RETRY_INTERVAL);
	pbx_file_line(f, "max_retries", MAX_RETRIES);
	pbx_file_line(f, "line", "yes");
	return pbx_file_line(f, "endpoint", n->endpoint);
}

int pbx_trunk_sections(const struct pbx_settings *s, const struct trunk *t, struct pbx_file *f)
{
	if (*f->err)
		return -1;
	if (t->deleted)   /* a removed trunk's file is written empty */
		return 0;
	/* Checked again here, whatever the form did: only checked values may reach Asterisk's files. */
	struct pbx_trunk_problem why;
	if (!pbx_trunk_check(s, t, &why)) {
		snprintf(f->err, sizeof f->err, "trunk %lld: %s: %s", (long long)t->id, why.field, why.key);
		return -1;
	}
	struct trunk_names n;
	trunk_names(t, &n);
	/* Endpoint and aor share the name, as PJSIP trunks usually do: each carries its type so that the file
	 * writer can tell them apart (pbx_file_section). pbx_file keeps the first error, so the adds are not
	 * checked one by one. */
	add_endpoint(s, t, &n, f);
	add_aor(t, &n, f);
	if (needs_auth(t))
		add_auth(t, &n, f);
	add_identify(t, &n, f);
	if (t->registration)
		add_registration(t, &n, f);
	return *f->err ? -1 : 0;
}
