/* Unit tests: pbx/trunk_config, a trunk → its PJSIP file (golden texts) and the rules its fields follow, so that
 * nothing typed into the trunk form can reach pjsip.conf as anything but the value it was meant to be. Pure
 * functions: no PBX, no database. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbx/trunk_config.h"
#include "util/buf.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct pbx_settings settings(void)
{
	struct pbx_settings s;
	memset(&s, 0, sizeof s);
	s.driver = PBX_PJSIP;
	snprintf(s.context, sizeof s.context, "from-internal");
	snprintf(s.codecs[0], sizeof s.codecs[0], "ulaw");
	snprintf(s.codecs[1], sizeof s.codecs[1], "alaw");
	snprintf(s.codecs[2], sizeof s.codecs[2], "g722");
	s.n_codecs = 3;
	snprintf(s.trunk_context, sizeof s.trunk_context, "from-trunk");
	s.dial_timeout = 45;
	return s;
}

/* A provider with registration and outbound auth over TCP, every optional field set. */
static struct trunk acme(void)
{
	struct trunk t;
	memset(&t, 0, sizeof t);
	t.id = 7;
	snprintf(t.name, sizeof t.name, "acme");
	snprintf(t.host, sizeof t.host, "sip.acme.example");
	t.port = 5060;
	snprintf(t.transport, sizeof t.transport, "tcp");
	t.registration = true;
	snprintf(t.username, sizeof t.username, "34911000111");
	snprintf(t.secret, sizeof t.secret, "s3cr3t!Pass#w=rd>");
	t.expiration = 3600;
	t.outbound_auth = true;
	snprintf(t.from_user, sizeof t.from_user, "34911000111");
	snprintf(t.from_domain, sizeof t.from_domain, "acme.example");
	snprintf(t.codecs, sizeof t.codecs, "alaw,ulaw");
	t.max_calls = 0;
	return t;
}

/* A provider that trusts the PBX by its address: no registration, no auth, nothing optional. */
static struct trunk plain(void)
{
	struct trunk t;
	memset(&t, 0, sizeof t);
	t.id = 12;
	snprintf(t.name, sizeof t.name, "backup-2");
	snprintf(t.host, sizeof t.host, "192.0.2.10");
	t.port = 5080;
	snprintf(t.transport, sizeof t.transport, "udp");
	t.expiration = 3600;
	snprintf(t.codecs, sizeof t.codecs, "ulaw");
	snprintf(t.callerid, sizeof t.callerid, "+34911000222");
	t.max_calls = 4;
	return t;
}

/* The file's text as the preview shows it; asserts the build worked. */
static void file_text(const struct pbx_settings *s, const struct trunk *t, struct buf *out)
{
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_msg(pbx_trunk_sections(s, t, &f) == 0, "%s", f.err);
	buf_init(out);
	pbx_file_text(&f, out);
	pbx_file_free(&f);
}

START_TEST(file_and_endpoint_names)
{
	char file[PBX_FILE_MAX], endpoint[PBX_TRUNK_ENDPOINT_MAX];
	pbx_trunk_file(7, file);
	ck_assert_str_eq(file, "centralita/pjsip-trunk-7.conf");
	pbx_trunk_endpoint("acme", endpoint);
	ck_assert_str_eq(endpoint, "trunk-acme");
	/* The longest name fits. */
	pbx_trunk_endpoint("abcdefghijklmnopqrstuvwxyz012345", endpoint);
	ck_assert_str_eq(endpoint, "trunk-abcdefghijklmnopqrstuvwxyz012345");
}
END_TEST

START_TEST(golden_registration_and_outbound_auth_over_tcp)
{
	struct pbx_settings s = settings();
	struct trunk t = acme();
	struct buf text;
	file_text(&s, &t, &text);
	ck_assert_str_eq(buf_cstr(&text),
			 "[trunk-acme]\n"
			 "type = endpoint\n"
			 "context = from-trunk\n"
			 "disallow = all\n"
			 "allow = alaw\n"
			 "allow = ulaw\n"
			 "outbound_auth = trunk-acme-auth\n"
			 "aors = trunk-acme\n"
			 "from_user = 34911000111\n"
			 "from_domain = acme.example\n"
			 "direct_media = no\n"
			 "\n"
			 "[trunk-acme]\n"
			 "type = aor\n"
			 "contact = sip:sip.acme.example:5060;transport=tcp\n"
			 "qualify_frequency = 60\n"
			 "\n"
			 "[trunk-acme-auth]\n"
			 "type = auth\n"
			 "auth_type = userpass\n"
			 "username = 34911000111\n"
			 "password = s3cr3t!Pass#w=rd>\n"
			 "\n"
			 "[trunk-acme-identify]\n"
			 "type = identify\n"
			 "endpoint = trunk-acme\n"
			 "match = sip.acme.example\n"
			 "\n"
			 "[trunk-acme-reg]\n"
			 "type = registration\n"
			 "server_uri = sip:sip.acme.example:5060;transport=tcp\n"
			 "client_uri = sip:34911000111@acme.example\n"
			 "contact_user = 34911000111\n"
			 "outbound_auth = trunk-acme-auth\n"
			 "expiration = 3600\n"
			 "retry_interval = 60\n"
			 "forbidden_retry_interval = 600\n"
			 "max_retries = 10000\n"
			 "line = yes\n"
			 "endpoint = trunk-acme\n");
	buf_free(&text);
}
END_TEST

START_TEST(golden_without_registration_or_auth)
{
	struct pbx_settings s = settings();
	struct trunk t = plain();
	struct buf text;
	file_text(&s, &t, &text);
	/* No auth, no registration, no From overrides; caller ID and max_calls live in the dialplan. */
	ck_assert_str_eq(buf_cstr(&text),
			 "[trunk-backup-2]\n"
			 "type = endpoint\n"
			 "context = from-trunk\n"
			 "disallow = all\n"
			 "allow = ulaw\n"
			 "aors = trunk-backup-2\n"
			 "direct_media = no\n"
			 "\n"
			 "[trunk-backup-2]\n"
			 "type = aor\n"
			 "contact = sip:192.0.2.10:5080\n"
			 "qualify_frequency = 60\n"
			 "\n"
			 "[trunk-backup-2-identify]\n"
			 "type = identify\n"
			 "endpoint = trunk-backup-2\n"
			 "match = 192.0.2.10\n");
	buf_free(&text);
}
END_TEST

START_TEST(outbound_auth_alone_and_registration_alone)
{
	struct pbx_settings s = settings();
	struct trunk t = acme();
	t.registration = false;   /* auth for calls only: the auth section, no registration */
	snprintf(t.transport, sizeof t.transport, "tls");
	snprintf(t.from_domain, sizeof t.from_domain, "%s", "");
	struct buf text;
	file_text(&s, &t, &text);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "outbound_auth = trunk-acme-auth\n"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "[trunk-acme-auth]\n"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "contact = sip:sip.acme.example:5060;transport=tls\n"));
	ck_assert_ptr_null(strstr(buf_cstr(&text), "[trunk-acme-reg]"));
	ck_assert_ptr_null(strstr(buf_cstr(&text), "from_domain"));
	buf_free(&text);

	t = acme();
	t.outbound_auth = false;  /* registration only: the endpoint does not answer challenges */
	snprintf(t.from_domain, sizeof t.from_domain, "%s", "");
	file_text(&s, &t, &text);
	const char *reg = strstr(buf_cstr(&text), "[trunk-acme-reg]\n");
	ck_assert_ptr_nonnull(reg);
	ck_assert_ptr_nonnull(strstr(reg, "outbound_auth = trunk-acme-auth\n"));
	ck_assert_ptr_nonnull(strstr(reg, "client_uri = sip:34911000111@sip.acme.example\n"));   /* host's domain */
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "[trunk-acme-auth]\n"));
	const char *aor = strstr(buf_cstr(&text), "[trunk-acme]\ntype = aor\n");
	ck_assert_ptr_nonnull(aor);
	const char *endpoint_auth = strstr(buf_cstr(&text), "outbound_auth");
	ck_assert_ptr_nonnull(endpoint_auth);
	ck_assert(endpoint_auth > aor);   /* only the registration's */
	buf_free(&text);
}
END_TEST

START_TEST(same_named_sections_carry_their_type)
{
	struct pbx_settings s = settings();
	struct trunk t = acme();
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_int_eq(pbx_trunk_sections(&s, &t, &f), 0);
	ck_assert_uint_eq(f.n, 5);
	ck_assert_str_eq(f.want[0].name, "trunk-acme");
	ck_assert_str_eq(f.want[0].type, "endpoint");
	ck_assert_str_eq(f.want[1].name, "trunk-acme");
	ck_assert_str_eq(f.want[1].type, "aor");
	for (size_t i = 2; i < f.n; i++)
		ck_assert_ptr_null(f.want[i].type);
	/* And the whole file becomes UpdateConfigs Asterisk reads (the same-named aor through a rename). */
	struct ami_update *ups = NULL;
	size_t n_ups = 0;
	char file[PBX_FILE_MAX], err[200] = "";
	pbx_trunk_file(t.id, file);
	ck_assert_msg(pbx_file_updates(&f, file, &ups, &n_ups, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_ge(n_ups, 1);
	for (size_t i = 0; i < n_ups; i++)
		ami_update_free(&ups[i]);
	free(ups);
	pbx_file_free(&f);
}
END_TEST

START_TEST(removed_trunk_is_an_empty_file)
{
	struct pbx_settings s = settings();
	struct trunk t = acme();
	t.deleted = true;
	snprintf(t.host, sizeof t.host, "x;y");   /* what it held no longer matters */
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_int_eq(pbx_trunk_sections(&s, &t, &f), 0);
	ck_assert_uint_eq(f.n, 0);
	pbx_file_free(&f);
}
END_TEST

START_TEST(sections_refuse_what_the_check_refuses)
{
	/* The applier writes what the database holds: it is checked again, and nothing is written. */
	struct pbx_settings s = settings();
	struct trunk t = acme();
	snprintf(t.host, sizeof t.host, "evil.example\ntype=endpoint");
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_int_eq(pbx_trunk_sections(&s, &t, &f), -1);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_str_eq(f.err, "trunk 7: host: host_chars");
	pbx_file_free(&f);

	t = acme();
	snprintf(t.codecs, sizeof t.codecs, "opus");   /* [asterisk] codecs changed since it was saved */
	pbx_file_init(&f);
	ck_assert_int_eq(pbx_trunk_sections(&s, &t, &f), -1);
	ck_assert_str_eq(f.err, "trunk 7: codecs: codec");
	pbx_file_free(&f);
}
END_TEST

START_TEST(check_accepts_what_providers_need)
{
	struct pbx_settings s = settings();
	struct pbx_trunk_problem why;
	struct trunk t = acme();
	ck_assert(pbx_trunk_check(&s, &t, &why));
	ck_assert_ptr_null(why.field);
	t = plain();
	ck_assert(pbx_trunk_check(&s, &t, &why));

	static const char *const hosts[] = { "localhost", "sip-1.provider.example", "SIP.Example.COM", "10.0.0.1",
					     "255.255.255.255", "0.0.0.0", "a.b", "x1.example.com" };
	for (size_t i = 0; i < LEN(hosts); i++) {
		t = acme();
		snprintf(t.host, sizeof t.host, "%s", hosts[i]);
		ck_assert_msg(pbx_trunk_check(&s, &t, &why), "host %s: %s", hosts[i], why.key);
	}
	t = acme();   /* a 63-character label, 253 characters in all */
	memset(t.host, 'a', 253);
	t.host[253] = '\0';
	for (int i = 63; i < 253; i += 64)
		t.host[i] = '.';
	ck_assert_msg(pbx_trunk_check(&s, &t, &why), "%s", why.key);

	t = acme();   /* every printable but the refused ones, 128 of them */
	char secret[TRUNK_SECRET_MAX];
	size_t n = 0;
	for (int c = '!'; c <= '~' && n < 128; c++)
		if (!strchr("\"';,\\", c))
			secret[n++] = (char)c;
	while (n < 128)
		secret[n++] = 'z';
	secret[n] = '\0';
	memcpy(t.secret, secret, sizeof secret);
	ck_assert_msg(pbx_trunk_check(&s, &t, &why), "%s", why.key);

	t = plain();   /* limits */
	t.port = 65535;
	t.max_calls = 999;
	snprintf(t.callerid, sizeof t.callerid, "12345678901234567890");
	snprintf(t.codecs, sizeof t.codecs, "g722,alaw,ulaw");
	ck_assert(pbx_trunk_check(&s, &t, &why));
	t.port = 1;
	t.max_calls = 0;
	snprintf(t.callerid, sizeof t.callerid, "+1234567890123456789");
	ck_assert(pbx_trunk_check(&s, &t, &why));

	t = acme();   /* expiration bounds, and not checked without registration */
	t.expiration = 60;
	ck_assert(pbx_trunk_check(&s, &t, &why));
	t.expiration = 86400;
	ck_assert(pbx_trunk_check(&s, &t, &why));
	t.registration = false;
	t.expiration = 0;
	ck_assert(pbx_trunk_check(&s, &t, &why));
}
END_TEST

/* One refused value: the field set to value (strings) or number (ints), and what the check says. */
struct refusal {
	const char *field, *value;
	int number;
	const char *key;
};

static void set_field(struct trunk *t, const struct refusal *r)
{
	struct {
		const char *name;
		char *dst;
		size_t size;
	} strings[] = {
		{ "name", t->name, sizeof t->name },
		{ "host", t->host, sizeof t->host },
		{ "transport", t->transport, sizeof t->transport },
		{ "username", t->username, sizeof t->username },
		{ "secret", t->secret, sizeof t->secret },
		{ "from_user", t->from_user, sizeof t->from_user },
		{ "from_domain", t->from_domain, sizeof t->from_domain },
		{ "codecs", t->codecs, sizeof t->codecs },
		{ "callerid", t->callerid, sizeof t->callerid },
	};
	for (size_t i = 0; i < LEN(strings); i++)
		if (strcmp(r->field, strings[i].name) == 0) {
			snprintf(strings[i].dst, strings[i].size, "%s", r->value);
			return;
		}
	if (strcmp(r->field, "port") == 0)
		t->port = r->number;
	else if (strcmp(r->field, "expiration") == 0)
		t->expiration = r->number;
	else if (strcmp(r->field, "max_calls") == 0)
		t->max_calls = r->number;
	else
		ck_abort_msg("no field %s", r->field);
}

static const struct refusal refusals[] = {
	/* name: [a-z0-9][a-z0-9-]{0,31}; it becomes section names, Dial() and GROUP() */
	{ "name", "", 0, "required" },
	{ "name", "a,b", 0, "name_chars" },
	{ "name", "a;b", 0, "name_chars" },
	{ "name", "a b", 0, "name_chars" },
	{ "name", "a)", 0, "name_chars" },
	{ "name", "a]", 0, "name_chars" },
	{ "name", "${x}", 0, "name_chars" },
	{ "name", "a&b", 0, "name_chars" },
	{ "name", "a|b", 0, "name_chars" },
	{ "name", "a@b", 0, "name_chars" },
	{ "name", "a/b", 0, "name_chars" },
	{ "name", "Acme", 0, "name_chars" },
	{ "name", "-acme", 0, "name_chars" },
	{ "name", "acme\n", 0, "name_chars" },
	{ "name", "acm\xc3\xa9", 0, "name_chars" },
	/* host: a host name or an IPv4 address */
	{ "host", "", 0, "required" },
	{ "host", "x;y", 0, "host_chars" },
	{ "host", "x,y", 0, "host_chars" },
	{ "host", "x y", 0, "host_chars" },
	{ "host", "x)", 0, "host_chars" },
	{ "host", "${x}", 0, "host_chars" },
	{ "host", "x\r\ny", 0, "host_chars" },
	{ "host", "x:5060", 0, "host_chars" },
	{ "host", "x;transport=tcp", 0, "host_chars" },
	{ "host", "user@x", 0, "host_chars" },
	{ "host", "x_y.example", 0, "host_chars" },
	{ "host", "-x.example", 0, "host_chars" },
	{ "host", "x-.example", 0, "host_chars" },
	{ "host", "x..example", 0, "host_chars" },
	{ "host", "x.example.", 0, "host_chars" },
	{ "host", ".x.example", 0, "host_chars" },
	{ "host", "1.2.3.256", 0, "host_chars" },
	{ "host", "1.2.3", 0, "host_chars" },
	{ "host", "1.2.3.4.5", 0, "host_chars" },
	{ "host", "010.1.1.1", 0, "host_chars" },
	{ "host", "2001:db8::1", 0, "host_chars" },
	{ "host", "[::1]", 0, "host_chars" },
	{ "host", "ex\xc3\xa1mple.com", 0, "host_chars" },
	{ "host", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 0, "host_chars" },   /* 64 */
	/* port, transport */
	{ "port", NULL, 0, "range" },
	{ "port", NULL, 65536, "range" },
	{ "port", NULL, -5060, "range" },
	{ "transport", "", 0, "choice" },
	{ "transport", "UDP", 0, "choice" },
	{ "transport", "ws", 0, "choice" },
	{ "transport", "wss", 0, "choice" },
	/* username (required with registration / outbound auth) */
	{ "username", "", 0, "required" },
	{ "username", "u;x", 0, "user_chars" },
	{ "username", "u,x", 0, "user_chars" },
	{ "username", "u x", 0, "user_chars" },
	{ "username", "u\"x", 0, "user_chars" },
	{ "username", "u(x)", 0, "user_chars" },
	{ "username", "${x}", 0, "user_chars" },
	{ "username", "u@x", 0, "user_chars" },
	{ "username", "u:x", 0, "user_chars" },
	{ "username", "u\\x", 0, "user_chars" },
	{ "username", "u\nx", 0, "user_chars" },
	/* secret */
	{ "secret", "", 0, "required" },
	{ "secret", "pass;word", 0, "secret_chars" },
	{ "secret", "pass,word", 0, "secret_chars" },
	{ "secret", "pass word", 0, "secret_chars" },
	{ "secret", "pass\"word", 0, "secret_chars" },
	{ "secret", "pass'word", 0, "secret_chars" },
	{ "secret", "pass\\word", 0, "secret_chars" },
	{ "secret", "pass\tword", 0, "secret_chars" },
	{ "secret", "pass\r\nAction: Command", 0, "secret_chars" },
	{ "secret", ">password", 0, "secret_chars" },
	{ "secret", "contrase\xc3\xb1" "a", 0, "secret_chars" },
	{ "secret", "pass\x7fword", 0, "secret_chars" },
	/* expiration (with registration) */
	{ "expiration", NULL, 59, "range" },
	{ "expiration", NULL, 86401, "range" },
	{ "expiration", NULL, 0, "range" },
	/* from_user, from_domain: optional, same rules as username and host */
	{ "from_user", "x(y", 0, "user_chars" },
	{ "from_user", "x;y", 0, "user_chars" },
	{ "from_user", "x y", 0, "user_chars" },
	{ "from_domain", "x;y", 0, "host_chars" },
	{ "from_domain", "x,y", 0, "host_chars" },
	{ "from_domain", "x.example:5060", 0, "host_chars" },
	/* codecs: a comma list of distinct [asterisk] codecs */
	{ "codecs", "", 0, "required" },
	{ "codecs", "opus", 0, "codec" },
	{ "codecs", "ulaw,ulaw", 0, "codec" },
	{ "codecs", "ulaw,,alaw", 0, "codec" },
	{ "codecs", "ulaw,", 0, "codec" },
	{ "codecs", ",ulaw", 0, "codec" },
	{ "codecs", "ulaw, alaw", 0, "codec" },
	{ "codecs", "ulaw;alaw", 0, "codec" },
	{ "codecs", "ULAW", 0, "codec" },
	{ "codecs", "ula", 0, "codec" },
	{ "codecs", "ulaw\nallow=all", 0, "codec" },
	/* callerid: digits, '+' first */
	{ "callerid", "${x}", 0, "number_chars" },
	{ "callerid", "${CALLERID(num)}", 0, "number_chars" },
	{ "callerid", "12a", 0, "number_chars" },
	{ "callerid", "+", 0, "number_chars" },
	{ "callerid", "1+2", 0, "number_chars" },
	{ "callerid", "34 91", 0, "number_chars" },
	{ "callerid", "123)", 0, "number_chars" },
	{ "callerid", "1,n,System(x)", 0, "number_chars" },
	/* max_calls */
	{ "max_calls", NULL, -1, "range" },
	{ "max_calls", NULL, 1000, "range" },
};

START_TEST(check_refuses_each_field)
{
	struct pbx_settings s = settings();
	const struct refusal *r = &refusals[_i];
	struct trunk t = acme();
	set_field(&t, r);
	struct pbx_trunk_problem why;
	ck_assert_msg(!pbx_trunk_check(&s, &t, &why), "%s '%s' %d accepted", r->field, r->value ? r->value : "",
		      r->number);
	ck_assert_msg(strcmp(why.field, r->field) == 0 && strcmp(why.key, r->key) == 0,
		      "%s '%s' %d: got %s/%s, expected %s/%s", r->field, r->value ? r->value : "", r->number, why.field,
		      why.key, r->field, r->key);
}
END_TEST

START_TEST(credentials_required_only_when_used)
{
	struct pbx_settings s = settings();
	struct pbx_trunk_problem why;
	struct trunk t = plain();   /* neither: none needed */
	ck_assert(pbx_trunk_check(&s, &t, &why));

	t.outbound_auth = true;     /* either one needs both */
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "username");
	ck_assert_str_eq(why.key, "required");
	snprintf(t.username, sizeof t.username, "user");
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "secret");
	ck_assert_str_eq(why.key, "required");

	t = plain();
	t.registration = true;
	snprintf(t.username, sizeof t.username, "user");
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "secret");

	t = plain();                /* typed but unused: still checked */
	snprintf(t.secret, sizeof t.secret, "a;b");
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "secret");
	ck_assert_str_eq(why.key, "secret_chars");
}
END_TEST

START_TEST(first_problem_in_field_order)
{
	struct pbx_settings s = settings();
	struct pbx_trunk_problem why;
	struct trunk t = acme();
	snprintf(t.name, sizeof t.name, "a,b");
	snprintf(t.host, sizeof t.host, "x;y");
	t.max_calls = -1;
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "name");
	snprintf(t.name, sizeof t.name, "ok");
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "host");
	snprintf(t.host, sizeof t.host, "ok.example");
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "max_calls");
}
END_TEST

START_TEST(unterminated_fields_are_too_long)
{
	/* A struct filled by hand without a NUL is refused, never read past its end. */
	struct pbx_settings s = settings();
	struct pbx_trunk_problem why;
	struct trunk t = acme();
	memset(t.name, 'a', sizeof t.name);
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "name");
	ck_assert_str_eq(why.key, "too_long");
	t = acme();
	memset(t.secret, 'a', sizeof t.secret);
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.key, "too_long");
	t = acme();
	memset(t.callerid, '1', sizeof t.callerid);
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "callerid");
	ck_assert_str_eq(why.key, "too_long");
	t = acme();
	memset(t.transport, 'u', sizeof t.transport);
	ck_assert(!pbx_trunk_check(&s, &t, &why));
	ck_assert_str_eq(why.field, "transport");
}
END_TEST

START_TEST(dialplan_check_looks_at_what_the_dialplan_uses)
{
	struct pbx_trunk_problem why;
	struct trunk t = plain();
	snprintf(t.codecs, sizeof t.codecs, "opus");   /* not the dialplan's business */
	snprintf(t.host, sizeof t.host, "x;y");
	ck_assert(pbx_trunk_check_dialplan(&t, &why));
	snprintf(t.callerid, sizeof t.callerid, "${x}");
	ck_assert(!pbx_trunk_check_dialplan(&t, &why));
	ck_assert_str_eq(why.field, "callerid");
	t = plain();
	snprintf(t.name, sizeof t.name, "a)");
	ck_assert(!pbx_trunk_check_dialplan(&t, &why));
	ck_assert_str_eq(why.field, "name");
	t = plain();
	t.max_calls = 1000;
	ck_assert(!pbx_trunk_check_dialplan(&t, &why));
	ck_assert_str_eq(why.field, "max_calls");

	ck_assert_ptr_null(pbx_callerid_number_problem("", 21));
	ck_assert_ptr_null(pbx_callerid_number_problem("+34911000111", 21));
	ck_assert_str_eq(pbx_callerid_number_problem("123456789012345678901", 22), "too_long");
	ck_assert_str_eq(pbx_callerid_number_problem("+", 21), "number_chars");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trunk_config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, file_and_endpoint_names);
	tcase_add_test(tc, golden_registration_and_outbound_auth_over_tcp);
	tcase_add_test(tc, golden_without_registration_or_auth);
	tcase_add_test(tc, outbound_auth_alone_and_registration_alone);
	tcase_add_test(tc, same_named_sections_carry_their_type);
	tcase_add_test(tc, removed_trunk_is_an_empty_file);
	tcase_add_test(tc, sections_refuse_what_the_check_refuses);
	tcase_add_test(tc, check_accepts_what_providers_need);
	tcase_add_loop_test(tc, check_refuses_each_field, 0, (int)LEN(refusals));
	tcase_add_test(tc, credentials_required_only_when_used);
	tcase_add_test(tc, first_problem_in_field_order);
	tcase_add_test(tc, unterminated_fields_are_too_long);
	tcase_add_test(tc, dialplan_check_looks_at_what_the_dialplan_uses);
	suite_add_tcase(s, tc);
	return check_run(s);
}
