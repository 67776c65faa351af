/* Unit tests: how a phone maps onto Asterisk configuration (pbx/phone_config.c) and the address shown for
 * a registration (pbx/registrations.c). Pure functions: no PBX, no database file. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbx/pbx.h"
#include "pbx/pbx_file.h"
#include "util/buf.h"
#include "pbx/registrations.h"

static struct pbx_settings settings(enum pbx_driver driver)
{
	struct pbx_settings s;
	memset(&s, 0, sizeof s);
	s.driver = driver;
	snprintf(s.context, sizeof s.context, "internal");
	snprintf(s.codecs[0], sizeof s.codecs[0], "ulaw");
	snprintf(s.codecs[1], sizeof s.codecs[1], "alaw");
	s.n_codecs = 2;
	s.ext_min = 100;
	s.ext_max = 899;
	snprintf(s.reserved[0], sizeof s.reserved[0], "112");
	snprintf(s.reserved[1], sizeof s.reserved[1], "555");
	s.n_reserved = 2;
	s.retry_interval = 1;
	return s;
}

static struct phone phone(const char *ext, const char *name, const char *secret)
{
	struct phone p;
	memset(&p, 0, sizeof p);
	snprintf(p.extension, sizeof p.extension, "%s", ext);
	snprintf(p.name, sizeof p.name, "%s", name);
	snprintf(p.secret, sizeof p.secret, "%s", secret);
	snprintf(p.model, sizeof p.model, "yealink-t46u");
	snprintf(p.mac, sizeof p.mac, "001565aabb01");
	snprintf(p.calling_class, sizeof p.calling_class, "national");
	return p;
}

/* Asserts that section w holds exactly the lines expected[] ("name=value"), in order. */
static void expect_lines(const struct ami_cfg_want *w, const char *const *expected, size_t n)
{
	ck_assert_msg(w->n_lines == n, "[%s] has %zu lines, expected %zu", w->name, w->n_lines, n);
	for (size_t i = 0; i < n; i++) {
		char got[512];
		snprintf(got, sizeof got, "%s=%s", w->lines[i].name, w->lines[i].value);
		ck_assert_msg(strcmp(got, expected[i]) == 0, "[%s] line %zu: got '%s', expected '%s'", w->name, i, got,
			      expected[i]);
	}
}

#define EXPECT_LINES(w, ...)                                                         \
	do {                                                                         \
		static const char *const e_[] = { __VA_ARGS__ };                     \
		expect_lines((w), e_, sizeof e_ / sizeof *e_);                        \
	} while (0)

START_TEST(pjsip_sections_endpoint_auth_aor)
{
	struct pbx_settings s = settings(PBX_PJSIP);
	struct phone p = phone("201", "Front desk", "S3cretS3cretS3cretS3cretS3cret12");
	struct pbx_sections o;
	ck_assert_int_eq(pbx_phone_sections(&s, &p, &o), 0);
	ck_assert_uint_eq(o.n, 3);

	ck_assert_str_eq(o.want[0].name, "201");
	ck_assert_str_eq(o.want[0].type, "endpoint");
	EXPECT_LINES(&o.want[0], "type=endpoint", "context=centralita-class-national", "disallow=all", "allow=ulaw", "allow=alaw",
		     "auth=201-auth", "aors=201", "callerid=\"Front desk\" <201>");

	ck_assert_str_eq(o.want[1].name, "201-auth");
	EXPECT_LINES(&o.want[1], "type=auth", "auth_type=userpass", "username=201",
		     "password=S3cretS3cretS3cretS3cretS3cret12");

	ck_assert_str_eq(o.want[2].name, "201");
	ck_assert_str_eq(o.want[2].type, "aor");
	EXPECT_LINES(&o.want[2], "type=aor", "max_contacts=1", "remove_existing=yes");

	char names[4][32];
	ck_assert_uint_eq(pbx_section_names(&s, "201", names), 2);
	ck_assert_str_eq(names[0], "201");
	ck_assert_str_eq(names[1], "201-auth");
	ck_assert_str_eq(pbx_config_file(PBX_PJSIP), "pjsip.conf");
	ck_assert_str_eq(pbx_reload_module(PBX_PJSIP), "res_pjsip.so");
}
END_TEST

START_TEST(sip_sections_one_friend_peer)
{
	struct pbx_settings s = settings(PBX_SIP);
	snprintf(s.context, sizeof s.context, "office");
	s.n_codecs = 1;
	struct phone p = phone("305", "Almacén", "abcDEF123");
	struct pbx_sections o;
	ck_assert_int_eq(pbx_phone_sections(&s, &p, &o), 0);
	ck_assert_uint_eq(o.n, 1);
	ck_assert_str_eq(o.want[0].name, "305");
	EXPECT_LINES(&o.want[0], "type=friend", "host=dynamic", "secret=abcDEF123", "context=centralita-class-national",
		     "callerid=\"Almacén\" <305>", "disallow=all", "allow=ulaw");

	char names[4][32];
	ck_assert_uint_eq(pbx_section_names(&s, "305", names), 1);
	ck_assert_str_eq(names[0], "305");
	ck_assert_str_eq(pbx_config_file(PBX_SIP), "sip.conf");
	ck_assert_str_eq(pbx_reload_module(PBX_SIP), "chan_sip.so");
}
END_TEST

START_TEST(sections_are_rebuilt_from_scratch)
{
	/* The output struct is reused by callers: a second call must not keep the first phone's lines. */
	struct pbx_settings s = settings(PBX_PJSIP);
	struct phone a = phone("201", "A", "secretA");
	struct phone b = phone("202", "B", "secretB");
	struct pbx_sections o;
	ck_assert_int_eq(pbx_phone_sections(&s, &a, &o), 0);
	ck_assert_int_eq(pbx_phone_sections(&s, &b, &o), 0);
	ck_assert_uint_eq(o.n, 3);
	ck_assert_str_eq(o.want[1].name, "202-auth");
	ck_assert_str_eq(o.want[1].lines[3].value, "secretB");
}
END_TEST

START_TEST(most_codecs_still_fit)
{
	/* The most codecs the settings hold still fit in one section, in order. */
	struct pbx_settings s = settings(PBX_PJSIP);
	for (int i = 0; i < PBX_MAX_CODECS; i++)
		snprintf(s.codecs[i], sizeof s.codecs[i], "codec%c", (char)('a' + i));
	s.n_codecs = PBX_MAX_CODECS;
	struct phone p = phone("201", "A", "x");
	struct pbx_sections o;
	/* 8 codecs + type, context, disallow, auth, aors, callerid = 14 lines: still fits in 16. */
	ck_assert_int_eq(pbx_phone_sections(&s, &p, &o), 0);
	ck_assert_uint_eq(o.want[0].n_lines, 14);
	ck_assert_str_eq(o.want[0].lines[3].value, "codeca");
	ck_assert_str_eq(o.want[0].lines[10].value, "codech");
	ck_assert_str_eq(o.want[0].lines[11].name, "auth");
}
END_TEST

START_TEST(callerid_strips_syntax_characters)
{
	char out[PHONE_NAME_MAX + 40];
	pbx_callerid("Front desk", "201", out, sizeof out);
	ck_assert_str_eq(out, "\"Front desk\" <201>");
	pbx_callerid("Bob \"the boss\" <b@x>", "202", out, sizeof out);
	ck_assert_str_eq(out, "\"Bob the boss b@x\" <202>");
	pbx_callerid("back\\slash", "203", out, sizeof out);
	ck_assert_str_eq(out, "\"backslash\" <203>");
	pbx_callerid("", "204", out, sizeof out);
	ck_assert_str_eq(out, "\"204\" <204>");
	/* Only forbidden characters: nothing left, so the extension stands in. */
	pbx_callerid("<\"\\>", "205", out, sizeof out);
	ck_assert_str_eq(out, "\"205\" <205>");
	pbx_callerid("Recepción ñ", "206", out, sizeof out);
	ck_assert_str_eq(out, "\"Recepción ñ\" <206>");
	/* A 64-character name of 4-byte characters still fits whole. */
	char big[PHONE_NAME_MAX] = "";
	for (int i = 0; i < 64; i++)
		strcat(big, "\xF0\x9F\x93\x9E"); /* U+1F4DE */
	pbx_callerid(big, "207", out, sizeof out);
	ck_assert_uint_eq(strlen(out), 1 + 256 + 1 + 6); /* "name" <207> */
	ck_assert(strncmp(out + 1, big, 256) == 0);
	/* A small buffer truncates but stays terminated. */
	char small[8];
	pbx_callerid("Front desk", "201", small, sizeof small);
	ck_assert_uint_eq(strlen(small), 7);
}
END_TEST

START_TEST(check_extension_rules)
{
	struct pbx_settings s = settings(PBX_PJSIP);
	static const struct {
		const char *ext;
		const char *want; /* NULL = accepted */
	} cases[] = {
		{ "100", NULL },          { "201", NULL },          { "899", NULL },
		{ "99", "ext_range" },    { "900", "ext_range" },   { "1000", "ext_range" },
		{ "0", "ext_range" },     { "0201", "ext_range" },  { "00", "ext_range" },
		{ "112", "ext_reserved" }, { "555", "ext_reserved" }, { "911", "ext_range" },
		{ "", "required" },       { "20a", "digits_only" }, { "-201", "digits_only" },
		{ "+201", "digits_only" }, { " 201", "digits_only" }, { "201 ", "digits_only" },
		{ "2\n01", "digits_only" }, { "20.1", "digits_only" }, { "123456789", "ext_range" },
		{ "99999999999999999999", "ext_range" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *got = pbx_check_extension(&s, cases[i].ext);
		if (!cases[i].want)
			ck_assert_msg(got == NULL, "'%s' refused with %s", cases[i].ext, got);
		else
			ck_assert_msg(got && strcmp(got, cases[i].want) == 0, "'%s': got %s, expected %s", cases[i].ext,
				      got ? got : "(accepted)", cases[i].want);
	}
	/* Another range: four digits, nothing reserved. */
	s.ext_min = 1000;
	s.ext_max = 1999;
	s.n_reserved = 0;
	ck_assert_ptr_null(pbx_check_extension(&s, "1000"));
	ck_assert_ptr_null(pbx_check_extension(&s, "1112"));
	ck_assert_str_eq(pbx_check_extension(&s, "112"), "ext_range");
	ck_assert_str_eq(pbx_check_extension(&s, "2000"), "ext_range");
	/* A single "0" is a number, not a leading zero: allowed when the range includes it. */
	s.ext_min = 0;
	ck_assert_ptr_null(pbx_check_extension(&s, "0"));
}
END_TEST

START_TEST(dialplan_lines_in_the_phones_context)
{
	struct pbx_settings s = settings(PBX_PJSIP);
	struct pbx_sections o;
	memset(&o, 0, sizeof o);
	char name[32];
	pbx_dialplan_context("201", name);
	ck_assert_str_eq(name, "centralita-201");   /* the legacy per-phone context, for its removal */
	ck_assert_int_eq(pbx_dialplan_section(&s, "201", &o), 0);
	s.driver = PBX_SIP;
	ck_assert_int_eq(pbx_dialplan_section(&s, "305", &o), 0);
	ck_assert_uint_eq(o.n, 2);
	ck_assert_str_eq(o.want[0].name, PBX_PHONES_CONTEXT);
	ck_assert_ptr_null(o.want[0].type);
	ck_assert_uint_eq(o.want[0].n_lines, 2);
	ck_assert_str_eq(o.want[0].lines[0].name, "exten");
	ck_assert_str_eq(o.want[0].lines[0].value, "201,hint,PJSIP/201");
	ck_assert_str_eq(o.want[0].lines[1].value, "201,1,Dial(PJSIP/201,30)");
	ck_assert_str_eq(o.want[1].name, PBX_PHONES_CONTEXT);
	ck_assert_str_eq(o.want[1].lines[0].value, "305,hint,SIP/305");
	ck_assert_str_eq(o.want[1].lines[1].value, "305,1,Dial(SIP/305,30)");
	/* Values read back by GetConfig must equal what is wanted, or verification would never agree:
	 * none may start with '>' (Asterisk would write "=>" and read the value back without it). */
	for (size_t k = 0; k < o.n; k++)
		for (size_t l = 0; l < o.want[k].n_lines; l++)
			ck_assert_int_ne(o.want[k].lines[l].value[0], '>');
	/* A full set of sections refuses one more instead of overflowing. */
	ck_assert_int_eq(pbx_dialplan_section(&s, "306", &o), 0);
	ck_assert_int_eq(pbx_dialplan_section(&s, "307", &o), -1);
}
END_TEST

/* Phones share files, PBX_PHONES_PER_FILE to a pair, by id; each phone's part is a text that a group's file is
 * built from (same-named pjsip sections told apart by type, the dialplan context merged once), written whole
 * from the empty source; a removed phone's part is empty. */
START_TEST(phone_parts_and_group_files)
{
	struct pbx_settings s = settings(PBX_PJSIP);
	struct phone p = phone("201", "Front desk", "Abcdefghijklmnopqrstuvwxyz012345");
	p.id = 17;
	char chan_file[PBX_FILE_MAX], dial_file[PBX_FILE_MAX];
	pbx_phone_files(&s, 17, chan_file, dial_file);
	ck_assert_str_eq(chan_file, "centralita/pjsip-phones-17-20.conf");
	ck_assert_str_eq(dial_file, "centralita/dialplan-phones-17-20.conf");
	pbx_phone_files(&s, 20, chan_file, dial_file);
	ck_assert_str_eq(chan_file, "centralita/pjsip-phones-17-20.conf");
	pbx_phone_files(&s, 21, chan_file, dial_file);
	ck_assert_str_eq(chan_file, "centralita/pjsip-phones-21-24.conf");
	int64_t first, last;
	pbx_phone_group(4, &first, &last);
	ck_assert_int_eq(first, 1);
	ck_assert_int_eq(last, 4);
	pbx_phone_own_files(&s, 17, chan_file, dial_file);
	ck_assert_str_eq(chan_file, "centralita/pjsip-17.conf");
	ck_assert_str_eq(dial_file, "centralita/dialplan-17.conf");

	struct buf chan = { 0 }, dial = { 0 };
	char err[200], cd[PBX_DIGEST_HEX], dd[PBX_DIGEST_HEX], cd2[PBX_DIGEST_HEX], dd2[PBX_DIGEST_HEX];
	ck_assert_int_eq(pbx_phone_part(&s, &p, &chan, &dial, cd, dd, err, sizeof err), 0);
	ck_assert_uint_eq(strlen(cd), 64);
	ck_assert_str_ne(cd, dd);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&chan), "[201]\ntype=endpoint\n"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&chan), "[201-auth]\ntype=auth\n"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&chan), "[201]\ntype=aor\n"));
	ck_assert_str_eq(buf_cstr(&dial), "[" PBX_PHONES_CONTEXT "]\nexten=201,hint,PJSIP/201\nexten=201,1,Dial(PJSIP/201,30)\n");

	/* A second phone of the group: its file holds both, each section once, the context once. */
	struct phone q = phone("202", "Back desk", "Zbcdefghijklmnopqrstuvwxyz012345");
	q.id = 18;
	struct buf chan2 = { 0 }, dial2 = { 0 };
	ck_assert_int_eq(pbx_phone_part(&s, &q, &chan2, &dial2, cd2, dd2, err, sizeof err), 0);
	struct pbx_file cf, df;
	pbx_file_init(&cf);
	pbx_file_init(&df);
	ck_assert_int_eq(pbx_file_add_text(&cf, buf_cstr(&chan)), 0);
	ck_assert_int_eq(pbx_file_add_text(&cf, buf_cstr(&chan2)), 0);
	ck_assert_int_eq(pbx_file_add_text(&df, buf_cstr(&dial)), 0);
	ck_assert_int_eq(pbx_file_add_text(&df, buf_cstr(&dial2)), 0);
	ck_assert_uint_eq(cf.n, 6);
	ck_assert_str_eq(cf.want[0].type, "endpoint");
	ck_assert_ptr_null(cf.want[1].type);
	ck_assert_str_eq(cf.want[2].type, "aor");
	ck_assert_str_eq(cf.want[3].name, "202");
	ck_assert_uint_eq(df.n, 1);
	ck_assert_uint_eq(df.want[0].n_lines, 4);
	ck_assert_str_eq(df.want[0].lines[2].value, "202,hint,PJSIP/202");
	/* The file's digest of one phone's sections is that phone's part digest. */
	struct pbx_file one;
	pbx_file_init(&one);
	ck_assert_int_eq(pbx_file_add_text(&one, buf_cstr(&chan)), 0);
	char fd[PBX_DIGEST_HEX];
	pbx_file_digest(&one, fd);
	ck_assert_str_eq(fd, cd);
	pbx_file_free(&one);
	struct ami_update *ups = NULL;
	size_t n_ups = 0;
	ck_assert_int_eq(pbx_file_updates(&cf, chan_file, &ups, &n_ups, err, sizeof err), 0);
	ck_assert_uint_ge(n_ups, 2);   /* two phones' sections need more than one request of 128 lines */
	ck_assert_str_eq(ups[0].src, PBX_EMPTY_FILE);
	/* No Reload header: Asterisk drops that reload silently when another one runs (reload.h). */
	ck_assert_ptr_null(ups[0].reload);
	size_t newcats = 0, renames = 0;
	for (size_t u = 0; u < n_ups; u++) {
		struct ami_msg m;
		ami_msg_init(&m);
		ck_assert_int_eq(ami_update_build(&ups[u], &m, err, sizeof err), 0);   /* each fits one request */
		ami_msg_free(&m);
		for (size_t i = 0; i < ups[u].n; i++) {
			newcats += ups[u].ops[i].action == AMI_UC_NEWCAT;
			renames += ups[u].ops[i].action == AMI_UC_RENAMECAT;
		}
		ami_update_free(&ups[u]);
	}
	free(ups);
	ck_assert_uint_eq(newcats, 6);   /* per phone: the endpoint, the auth, the aor under a temporary name */
	ck_assert_uint_eq(renames, 2);
	pbx_file_free(&cf);
	pbx_file_free(&df);

	/* The same phone gives the same digests; another name changes only the channel part's. */
	struct buf c3 = { 0 }, d3 = { 0 };
	snprintf(p.name, sizeof p.name, "Side desk");
	ck_assert_int_eq(pbx_phone_part(&s, &p, &c3, &d3, cd2, dd2, err, sizeof err), 0);
	ck_assert_str_ne(cd, cd2);
	ck_assert_str_eq(dd, dd2);
	buf_free(&c3);
	buf_free(&d3);
	/* A removed phone has no part. */
	p.deleted = true;
	ck_assert_int_eq(pbx_phone_part(&s, &p, &c3, &d3, cd, dd, err, sizeof err), 0);
	ck_assert_str_eq(buf_cstr(&c3), "");
	ck_assert_str_eq(buf_cstr(&d3), "");
	/* A name with "=", brackets and a semicolon comes back from the stored text as it went in. */
	struct phone odd = phone("203", "A=b [c]; d", "Zbcdefghijklmnopqrstuvwxyz012345");
	odd.id = 19;
	struct buf oc = { 0 }, od = { 0 };
	ck_assert_int_eq(pbx_phone_part(&s, &odd, &oc, &od, cd, dd, err, sizeof err), 0);
	pbx_file_init(&one);
	ck_assert_int_eq(pbx_file_add_text(&one, buf_cstr(&oc)), 0);
	ck_assert_uint_eq(one.n, 3);
	const char *callerid = NULL;
	for (size_t l = 0; l < one.want[0].n_lines; l++)
		if (strcmp(one.want[0].lines[l].name, "callerid") == 0)
			callerid = one.want[0].lines[l].value;
	ck_assert_str_eq(callerid, "\"A=b [c]; d\" <203>");
	pbx_file_digest(&one, fd);
	ck_assert_str_eq(fd, cd);
	pbx_file_free(&one);
	buf_free(&oc);
	buf_free(&od);
	/* A name with a line break is refused before anything is stored or sent. */
	snprintf(odd.name, sizeof odd.name, "A\nB");
	ck_assert_int_eq(pbx_phone_part(&s, &odd, &oc, &od, cd, dd, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "line break"));
	buf_free(&oc);
	buf_free(&od);
	/* A stored text that is not one is refused, not half-read. */
	pbx_file_init(&one);
	ck_assert_int_eq(pbx_file_add_text(&one, "[201]\nno equals sign\n"), -1);
	pbx_file_free(&one);
	buf_free(&chan);
	buf_free(&dial);
	buf_free(&chan2);
	buf_free(&dial2);
	s.driver = PBX_SIP;
	pbx_phone_files(&s, 9, chan_file, dial_file);
	ck_assert_str_eq(chan_file, "centralita/sip-phones-9-12.conf");
}
END_TEST

START_TEST(address_from_uri)
{
	static const struct {
		const char *uri, *want;
	} cases[] = {
		{ "sip:201@192.0.2.5:5062;transport=udp", "192.0.2.5:5062" },
		{ "sip:201@192.0.2.5", "192.0.2.5" },
		{ "sip:192.0.2.5:5060", "192.0.2.5:5060" },
		{ "SIP:192.0.2.5:5060;ob", "192.0.2.5:5060" },
		{ "<sip:201@192.0.2.7:5060>", "192.0.2.7:5060" },
		{ "sips:201@[2001:db8::1]:5061;transport=tls", "[2001:db8::1]:5061" },
		{ "192.0.2.9:5060", "192.0.2.9:5060" },
		{ "", "" },
	};
	char out[64];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		reg_address_from_uri(cases[i].uri, out, sizeof out);
		ck_assert_msg(strcmp(out, cases[i].want) == 0, "%s -> '%s', expected '%s'", cases[i].uri, out,
			      cases[i].want);
	}
	/* Truncated to the buffer, always terminated. */
	char small[6];
	reg_address_from_uri("sip:201@192.0.2.5:5062", small, sizeof small);
	ck_assert_str_eq(small, "192.0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pbx");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, pjsip_sections_endpoint_auth_aor);
	tcase_add_test(tc, sip_sections_one_friend_peer);
	tcase_add_test(tc, sections_are_rebuilt_from_scratch);
	tcase_add_test(tc, most_codecs_still_fit);
	tcase_add_test(tc, callerid_strips_syntax_characters);
	tcase_add_test(tc, check_extension_rules);
	tcase_add_test(tc, dialplan_lines_in_the_phones_context);
	tcase_add_test(tc, phone_parts_and_group_files);
	tcase_add_test(tc, address_from_uri);
	suite_add_tcase(s, tc);
	return check_run(s);
}
