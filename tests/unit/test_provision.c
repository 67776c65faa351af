/* test_provision: catalogue, MAC parser, secrets, rendering (golden files), file writing.
 * Golden files live in tests/golden/provision/<model>.expected (and <model>.master.expected for Polycom's
 * master file). UPDATE_GOLDEN=1 rewrites them from the current templates; otherwise a mismatch leaves the
 * actual output in tests/out/provision/ for `diff -u`. XML well-formedness is checked with xmllint
 * (Debian package libxml2-utils). Runs from the repository root. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provision/provision.h"
#include "util/buf.h"
#include "util/file.h"

#define TEMPLATE_DIR "provisioning"
#define GOLDEN_DIR "tests/golden/provision"
#define OUT_DIR "tests/out/provision"

/* The phone of the golden files: a name with every XML special character and accented letters. */
static const char golden_name[] = "Zo\xc3\xab & \"\xc3\x91\x61nd\xc3\xba\" <O'Brien>";

static struct provision_phone golden_phone(const char *model)
{
	struct provision_phone p = {
		.mac = "00:0B:82:A1:B2:C3",
		.model = model,
		.extension = "201",
		.display_name = golden_name,
		.secret = "Xq7vR2mK9pL4sT8wN3bY6cF1",
		.server = "pbx.example.com",
		.port = 5060,
		.transport = PROVISION_UDP,
	};
	return p;
}

static struct provision_renderer *renderer(void)
{
	char err[512] = "";
	struct provision_renderer *r = provision_renderer_new(TEMPLATE_DIR, err, sizeof err);
	ck_assert_msg(r != NULL, "renderer: %s", err);
	return r;
}

/* ---- catalogue ---- */

START_TEST(catalogue_grouped_and_findable)
{
	size_t n = provision_model_count();
	ck_assert_uint_ge(n, 14);
	ck_assert_uint_eq(provision_vendor_count(), PROVISION_VENDOR__MAX);
	ck_assert_ptr_null(provision_model_at(n));
	ck_assert_ptr_null(provision_vendor_at(PROVISION_VENDOR__MAX));
	int last_vendor = -1;
	int seen[PROVISION_VENDOR__MAX] = { 0 };
	for (size_t i = 0; i < n; i++) {
		const struct provision_model *m = provision_model_at(i);
		ck_assert_ptr_nonnull(m);
		ck_assert_int_ge((int)m->vendor, last_vendor); /* grouped by vendor */
		last_vendor = (int)m->vendor;
		seen[m->vendor]++;
		ck_assert_ptr_eq(provision_model_find(m->id), m);
		const struct provision_vendor_info *v = provision_vendor_info(m->vendor);
		ck_assert_str_eq(m->template, v->template);
		ck_assert_int_eq(strncmp(m->id, v->id, strlen(v->id)), 0); /* "yealink-..." */
		ck_assert_int_gt(m->lines, 0);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(provision_model_at(j)->id, m->id);
	}
	for (int v = 0; v < PROVISION_VENDOR__MAX; v++)
		ck_assert_int_ge(seen[v], 2);
	ck_assert_ptr_null(provision_model_find("yealink-t99"));
	ck_assert_ptr_null(provision_model_find(""));
	ck_assert_ptr_null(provision_model_find(NULL));
	ck_assert_str_eq(provision_model_find("yealink-t46u")->name, "Yealink T46U");
	ck_assert_str_eq(provision_vendor_at(PROVISION_CISCO_SPA)->name, "Cisco SPA");
}
END_TEST

/* ---- MAC parser ---- */

struct mac_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	enum provision_mac_err want;
	const char *canon;
};

static const struct mac_case mac_cases[] = {
	{ "00:0B:82:A1:B2:C3", 0, PROVISION_MAC_OK, "000b82a1b2c3" },
	{ "00-0b-82-a1-b2-c3", 0, PROVISION_MAC_OK, "000b82a1b2c3" },
	{ "000b82a1b2c3", 0, PROVISION_MAC_OK, "000b82a1b2c3" },
	{ "000B82A1B2C3", 0, PROVISION_MAC_OK, "000b82a1b2c3" },
	{ "000b.82a1.b2c3", 0, PROVISION_MAC_OK, "000b82a1b2c3" },
	{ "02:00:00:00:00:01", 0, PROVISION_MAC_OK, "020000000001" }, /* locally administered is fine */
	{ "", 0, PROVISION_MAC_EMPTY, NULL },
	{ "000b82a1b2c", 0, PROVISION_MAC_LENGTH, NULL },    /* 11 hex */
	{ "000b82a1b2c3d", 0, PROVISION_MAC_LENGTH, NULL },  /* 13 hex */
	{ "00:0b:82:a1:b2:c3:d4", 0, PROVISION_MAC_LENGTH, NULL },
	{ "00:0b:82:a1:b2", 0, PROVISION_MAC_LENGTH, NULL },
	{ "00:0g:82:a1:b2:c3", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ "00:0b-82:a1:b2:c3", 0, PROVISION_MAC_SEPARATOR, NULL }, /* mixed */
	{ "000:b82:a1:b2:c3", 0, PROVISION_MAC_SEPARATOR, NULL },  /* misplaced */
	{ "00:0b:82:a1:b2c3:", 0, PROVISION_MAC_SEPARATOR, NULL },
	{ "000b82a1:b2c3", 0, PROVISION_MAC_SEPARATOR, NULL },
	{ "00::0b:82:a1:b2c3", 0, PROVISION_MAC_SEPARATOR, NULL },
	{ "00.0b.82.a1.b2.c3", 0, PROVISION_MAC_SEPARATOR, NULL }, /* dots only in Cisco 4-digit groups */
	{ "000b:82a1:b2c3", 0, PROVISION_MAC_SEPARATOR, NULL },
	{ "00:00:00:00:00:00", 0, PROVISION_MAC_ZERO, NULL },
	{ "000000000000", 0, PROVISION_MAC_ZERO, NULL },
	{ "ff:ff:ff:ff:ff:ff", 0, PROVISION_MAC_BROADCAST, NULL },
	{ "FFFFFFFFFFFF", 0, PROVISION_MAC_BROADCAST, NULL },
	{ "01:00:5e:00:00:01", 0, PROVISION_MAC_MULTICAST, NULL },
	{ "33:33:00:00:00:01", 0, PROVISION_MAC_MULTICAST, NULL },
	{ "../000b82a1b2c3", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ "000b82a1b2c3/..", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ "000b82]1b2c3", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ "000b82a1b2c3\r\n", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ "000b82\na1b2c3", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ " 000b82a1b2c3", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ "000b82a1b2c3\0", 13, PROVISION_MAC_BAD_CHAR, NULL },   /* NUL inside the given length */
	{ "000b82\0a1b2c3", 13, PROVISION_MAC_BAD_CHAR, NULL },
	{ "0x0b82a1b2c3", 0, PROVISION_MAC_BAD_CHAR, NULL },
	{ "00:0b:82:a1:b2:c\xc3\xa9", 0, PROVISION_MAC_BAD_CHAR, NULL },
};

START_TEST(mac_parse_table)
{
	for (size_t i = 0; i < sizeof mac_cases / sizeof mac_cases[0]; i++) {
		const struct mac_case *c = &mac_cases[i];
		char out[PROVISION_MAC_LEN + 1];
		memset(out, 'x', sizeof out);
		size_t len = c->len ? c->len : strlen(c->in);
		enum provision_mac_err got = provision_mac_parse(c->in, len, out);
		ck_assert_msg(got == c->want, "case %zu \"%s\": got %d (%s), want %d", i, c->in, got,
		              provision_mac_strerror(got), c->want);
		if (c->canon)
			ck_assert_str_eq(out, c->canon);
		else
			ck_assert_str_eq(out, "");
	}
	/* Every error has its own message. */
	for (int a = PROVISION_MAC_OK; a <= PROVISION_MAC_MULTICAST; a++)
		for (int b = a + 1; b <= PROVISION_MAC_MULTICAST; b++)
			ck_assert_str_ne(provision_mac_strerror(a), provision_mac_strerror(b));
	char out[PROVISION_MAC_LEN + 1];
	ck_assert_int_eq(provision_mac_parse(NULL, 0, out), PROVISION_MAC_EMPTY);
}
END_TEST

/* ---- secrets ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(secret_length_alphabet_unique)
{
	enum { N = 1000 };
	static char all[N][PROVISION_SECRET_LEN + 1];
	int counts[256] = { 0 };
	ck_assert_int_ge(PROVISION_SECRET_LEN, 24);
	for (int i = 0; i < N; i++) {
		char s[PROVISION_SECRET_LEN + 8];
		memset(s, '#', sizeof s);
		ck_assert_int_eq(provision_new_secret(s, sizeof s), 0);
		ck_assert_uint_eq(strlen(s), PROVISION_SECRET_LEN);
		for (size_t k = 0; k < PROVISION_SECRET_LEN; k++) {
			unsigned char c = (unsigned char)s[k];
			ck_assert_msg((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'),
			              "bad char 0x%02x", c);
			counts[c]++;
		}
		memcpy(all[i], s, sizeof all[i]);
	}
	qsort(all, N, sizeof all[0], cmp_str);
	for (int i = 1; i < N; i++)
		ck_assert_str_ne(all[i - 1], all[i]);
	/* 32000 draws over 62 symbols: each appears ~516 times; all must appear, none wildly often. */
	const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (const char *p = alpha; *p; p++)
		ck_assert_msg(counts[(unsigned char)*p] > 300 && counts[(unsigned char)*p] < 750, "'%c': %d", *p,
		              counts[(unsigned char)*p]);

	char small[PROVISION_SECRET_LEN];
	ck_assert_int_eq(provision_new_secret(small, sizeof small), -1);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(provision_new_secret(NULL, 100), -1);
}
END_TEST

/* ---- rendering ---- */

static void write_out(const char *name, const struct buf *b, char *path, size_t size)
{
	ck_assert_int_eq(file_mkdirs(OUT_DIR, 0755), 0);
	snprintf(path, size, "%s/%s", OUT_DIR, name);
	ck_assert_msg(file_write_atomic(path, b->data ? b->data : "", b->len, 0644) == 0, "%s: %s", path,
	              strerror(errno));
}

static void check_golden(const char *golden, const struct buf *actual)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, golden);
	const char *update = getenv("UPDATE_GOLDEN");
	if (update && strcmp(update, "1") == 0) {
		ck_assert_int_eq(file_mkdirs(GOLDEN_DIR, 0755), 0);
		ck_assert_msg(file_write_atomic(path, actual->data, actual->len, 0644) == 0, "%s: %s", path,
		              strerror(errno));
		fprintf(stderr, "updated %s\n", path);
		return;
	}
	size_t len = 0;
	char *want = file_read_all(path, 1 << 20, &len);
	if (want && len == actual->len && memcmp(want, actual->data, len) == 0) {
		free(want);
		return;
	}
	size_t at = 0, line = 1;
	while (want && at < len && at < actual->len && want[at] == actual->data[at])
		line += want[at++] == '\n';
	free(want);
	char out[512], actual_name[160];
	snprintf(actual_name, sizeof actual_name, "%.*s.actual", (int)(strlen(golden) - strlen(".expected")), golden);
	write_out(actual_name, actual, out, sizeof out);
	ck_abort_msg("golden mismatch at byte %zu (line %zu) of %s%s\n  see: diff -u %s %s\n"
	             "  regenerate: UPDATE_GOLDEN=1 make unit-run",
	             at, line, path, want ? "" : " (missing)", path, out);
}

/* xmllint --noout on the content: the exit status says whether it is well-formed XML. */
static void check_xml(const char *name, const struct buf *b)
{
	char path[512], cmd[1200];
	ck_assert_msg(system("command -v xmllint >/dev/null 2>&1") == 0,
	              "xmllint is missing: install the Debian package libxml2-utils");
	write_out(name, b, path, sizeof path);
	snprintf(cmd, sizeof cmd, "xmllint --noout --nonet '%s'", path);
	ck_assert_msg(system(cmd) == 0, "%s is not well-formed XML (kept at %s)", name, path);
	unlink(path);
}

static const char *golden_models[] = {
	"yealink-t46u", "polycom-vvx450", "grandstream-gxp2160", "snom-d785", "cisco-spa504g", "fanvil-x4u",
};

START_TEST(render_golden)
{
	struct provision_renderer *r = renderer();
	const char *model = golden_models[_i];
	struct provision_phone p = golden_phone(model);
	struct provision_output out;
	char err[256] = "";
	ck_assert_msg(provision_render(r, &p, &out, err, sizeof err) == PROVISION_OK, "%s: %s", model, err);
	ck_assert_uint_ge(out.count, 1);
	for (size_t i = 0; i < out.count; i++) {
		char golden[128];
		snprintf(golden, sizeof golden, "%s%s.expected", model,
		         strcmp(out.files[i].role, "master") == 0 ? ".master" : "");
		check_golden(golden, &out.files[i].data);
	}
	provision_output_free(&out);
	provision_renderer_free(r);
}
END_TEST

/* Every model renders; XML formats are well-formed; names escape as their format requires. */
START_TEST(render_every_model)
{
	struct provision_renderer *r = renderer();
	for (size_t m = 0; m < provision_model_count(); m++) {
		const struct provision_model *model = provision_model_at(m);
		struct provision_phone p = golden_phone(model->id);
		struct provision_output out;
		char err[256] = "";
		ck_assert_msg(provision_render(r, &p, &out, err, sizeof err) == PROVISION_OK, "%s: %s", model->id,
		              err);
		for (size_t i = 0; i < out.count; i++) {
			const struct buf *b = &out.files[i].data;
			const char *s = buf_cstr(b);
			ck_assert_uint_eq(strlen(s), b->len); /* no NUL inside */
			ck_assert_ptr_null(strchr(s, '\r'));
			ck_assert_ptr_null(strstr(s, "<?cs"));
			if (model->vendor == PROVISION_YEALINK) {
				ck_assert_int_eq(strncmp(s, "#!version:1.0.0.1\n", 18), 0);
				/* key = value: the name goes out raw, on one line. */
				ck_assert_ptr_nonnull(strstr(s, "\naccount.1.display_name = Zo\xc3\xab & \"\xc3\x91\x61nd"
				                                "\xc3\xba\" <O'Brien>\n"));
				ck_assert_ptr_nonnull(strstr(s, "\naccount.1.password = Xq7vR2mK9pL4sT8wN3bY6cF1\n"));
			} else {
				char name[96];
				snprintf(name, sizeof name, "%s-%zu.xml", model->id, i);
				check_xml(name, b);
				ck_assert_ptr_null(strstr(s, "<O'Brien>"));
				if (strcmp(out.files[i].role, "config") == 0) {
					ck_assert_ptr_nonnull(strstr(s, "Zo\xc3\xab &amp; &quot;\xc3\x91\x61nd\xc3\xba&quot; "
					                                "&lt;O&#39;Brien&gt;"));
					ck_assert_ptr_nonnull(strstr(s, "Xq7vR2mK9pL4sT8wN3bY6cF1"));
					ck_assert_ptr_nonnull(strstr(s, "pbx.example.com"));
				}
			}
		}
		provision_output_free(&out);
	}
	provision_renderer_free(r);
}
END_TEST

START_TEST(render_file_names_per_vendor)
{
	static const struct {
		const char *model;
		const char *names[PROVISION_MAX_FILES];
	} want[] = {
		{ "yealink-t31p", { "000b82a1b2c3.cfg" } },
		{ "polycom-vvx250", { "000b82a1b2c3-user.cfg", "000b82a1b2c3.cfg" } },
		{ "grandstream-grp2614", { "cfg000b82a1b2c3.xml" } },
		{ "snom-d715", { "000B82A1B2C3.xml" } },
		{ "cisco-spa525g", { "spa000b82a1b2c3.cfg" } },
		{ "fanvil-x6u", { "000b82a1b2c3.cfg" } },
	};
	struct provision_renderer *r = renderer();
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		char names[PROVISION_MAX_FILES][PROVISION_NAME_MAX];
		size_t n = 99;
		ck_assert_int_eq(provision_file_names("00-0b-82-a1-b2-c3", want[k].model, names, &n), PROVISION_OK);
		struct provision_phone p = golden_phone(want[k].model);
		struct provision_output out;
		ck_assert_int_eq(provision_render(r, &p, &out, NULL, 0), PROVISION_OK);
		ck_assert_uint_eq(out.count, n);
		for (size_t i = 0; i < PROVISION_MAX_FILES; i++) {
			if (!want[k].names[i]) {
				ck_assert_uint_eq(n, i);
				break;
			}
			ck_assert_str_eq(names[i], want[k].names[i]);
			ck_assert_str_eq(out.files[i].name, want[k].names[i]);
		}
		provision_output_free(&out);
	}
	provision_renderer_free(r);

	char names[PROVISION_MAX_FILES][PROVISION_NAME_MAX];
	size_t n = 99;
	ck_assert_int_eq(provision_file_names("../../etc/passwd", "yealink-t31p", names, &n), PROVISION_E_MAC);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(provision_file_names("000b82a1b2c3", "nokia-3310", names, &n), PROVISION_E_MODEL);
}
END_TEST

START_TEST(render_transports)
{
	static const struct {
		const char *model;
		const char *udp, *tcp, *tls;
	} want[] = {
		{ "yealink-t46u", "transport_type = 0\n", "transport_type = 1\n", "transport_type = 2\n" },
		{ "polycom-vvx250", "\"UDPOnly\"", "\"TCPOnly\"", "transport=\"TLS\"" },
		{ "grandstream-gxp2160", "<P130>0<", "<P130>1<", "<P130>2<" },
		{ "snom-d715", "</user_host>\n  </phone", ";transport=tcp<", ";transport=tls<" },
		{ "cisco-spa504g", ">UDP<", ">TCP<", ">TLS<" },
		{ "fanvil-x4u", "<Transport>0<", "<Transport>1<", "<Transport>3<" },
	};
	struct provision_renderer *r = renderer();
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		const char *expect[] = { want[k].udp, want[k].tcp, want[k].tls };
		for (int t = PROVISION_UDP; t <= PROVISION_TLS; t++) {
			struct provision_phone p = golden_phone(want[k].model);
			p.transport = (enum provision_transport)t;
			p.port = 5080;
			struct provision_output out;
			ck_assert_int_eq(provision_render(r, &p, &out, NULL, 0), PROVISION_OK);
			ck_assert_msg(strstr(buf_cstr(&out.files[0].data), expect[t]), "%s transport %d: no %s",
			              want[k].model, t, expect[t]);
			ck_assert_ptr_nonnull(strstr(buf_cstr(&out.files[0].data), "5080"));
			provision_output_free(&out);
		}
	}
	provision_renderer_free(r);
}
END_TEST

/* Every field refuses control characters and broken UTF-8, for every vendor (the Yealink template
 * does not escape, so this is what keeps a "\naccount.1.password = x" out of its files). */
START_TEST(render_refuses_control_characters)
{
	static const char *bad[] = {
		"a\nb", "a\rb", "a\tb", "a\x01" "b", "a\x1b[0mb", "a\x7f" "b", "a\xc2\x85" "b", /* C1 NEL */
		"a\xff" "b", "a\xc0\xaf" "b", "a\xed\xa0\x80" "b", "a\xef\xbf\xbf" "b", "a\xc3", "\n",
	};
	struct provision_renderer *r = renderer();
	for (size_t m = 0; m < provision_vendor_count(); m++) {
		const char *model = golden_models[m];
		for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
			for (int field = 0; field < 4; field++) {
				struct provision_phone p = golden_phone(model);
				const char **f = field == 0 ? &p.extension : field == 1 ? &p.display_name
				                 : field == 2 ? &p.secret : &p.server;
				*f = bad[b];
				struct provision_output out;
				char err[256] = "";
				enum provision_err rc = provision_render(r, &p, &out, err, sizeof err);
				ck_assert_msg(rc == PROVISION_E_VALUE, "%s field %d value %zu: rc %d", model, field, b, rc);
				ck_assert_uint_eq(out.count, 0);
				ck_assert_str_ne(err, "");
				provision_output_free(&out);
			}
		}
	}
	/* Other refusals. */
	struct provision_phone p = golden_phone("yealink-t46u");
	struct provision_output out;
	char err[256];
	p.mac = "01:00:5e:00:00:01";
	ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_E_MAC);
	ck_assert_ptr_nonnull(strstr(err, "multicast"));
	provision_output_free(&out);
	p = golden_phone("yealink-t46u");
	p.model = "yealink-t99";
	ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_E_MODEL);
	provision_output_free(&out);
	const char *values[] = { "", "two words", "\xc3\xa9t\xc3\xa9" };
	for (size_t i = 0; i < 3; i++) {
		p = golden_phone("yealink-t46u");
		p.extension = values[i];
		ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_E_VALUE);
		provision_output_free(&out);
		p = golden_phone("yealink-t46u");
		p.secret = values[i];
		ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_E_VALUE);
		provision_output_free(&out);
	}
	const char *servers[] = { "pbx.example.com/x", "pbx example", "[::1", "pbx;transport=tcp", "a:5060", "" };
	for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
		p = golden_phone("snom-d715");
		p.server = servers[i];
		ck_assert_msg(provision_render(r, &p, &out, err, sizeof err) == PROVISION_E_VALUE, "%s", servers[i]);
		provision_output_free(&out);
	}
	unsigned ports[] = { 0, 65536 };
	for (size_t i = 0; i < 2; i++) {
		p = golden_phone("snom-d715");
		p.port = ports[i];
		ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_E_VALUE);
		provision_output_free(&out);
	}
	p = golden_phone("snom-d715");
	p.transport = (enum provision_transport)7;
	ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_E_VALUE);
	provision_output_free(&out);
	p = golden_phone("snom-d715");
	p.display_name = NULL;
	ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_E_VALUE);
	provision_output_free(&out);
	/* Accepted: IPv4, [IPv6], empty display name (the extension is shown). */
	p = golden_phone("grandstream-gxp2160");
	p.server = "[2001:db8::1]";
	p.display_name = "";
	ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_OK);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out.files[0].data), "<P47>[2001:db8::1]:5060</P47>"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out.files[0].data), "<P3>201</P3>"));
	provision_output_free(&out);
	provision_renderer_free(r);
}
END_TEST

START_TEST(renderer_missing_templates)
{
	char err[512] = "";
	ck_assert_ptr_null(provision_renderer_new("/nonexistent/centralita", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "yealink.cs"));
	provision_renderer_free(NULL);
}
END_TEST

/* Several threads share one renderer: outputs stay identical (the mutex keeps CSPARSEs single-user). */
struct thread_arg {
	struct provision_renderer *r;
	const char *model;
	int failures;
};

static void *render_many(void *v)
{
	struct thread_arg *a = v;
	struct provision_phone p = golden_phone(a->model);
	struct provision_output first;
	if (provision_render(a->r, &p, &first, NULL, 0) != PROVISION_OK)
		a->failures++;
	for (int i = 0; i < 300; i++) {
		struct provision_output out;
		if (provision_render(a->r, &p, &out, NULL, 0) != PROVISION_OK ||
		    strcmp(buf_cstr(&out.files[0].data), buf_cstr(&first.files[0].data)) != 0)
			a->failures++;
		provision_output_free(&out);
	}
	provision_output_free(&first);
	return NULL;
}

START_TEST(render_from_threads)
{
	struct provision_renderer *r = renderer();
	pthread_t th[6];
	struct thread_arg args[6];
	for (int i = 0; i < 6; i++) {
		args[i] = (struct thread_arg){ r, golden_models[i % 6], 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, render_many, &args[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(args[i].failures, 0);
	}
	provision_renderer_free(r);
}
END_TEST

/* ---- files ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/centralita-prov-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int exists(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return access(path, F_OK) == 0;
}

static int count_entries(void)
{
	DIR *d = opendir(tmpdir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void render_write(struct provision_renderer *r, const char *mac, const char *model)
{
	struct provision_phone p = golden_phone(model);
	p.mac = mac;
	struct provision_output out;
	char err[256] = "";
	ck_assert_int_eq(provision_render(r, &p, &out, err, sizeof err), PROVISION_OK);
	ck_assert_msg(provision_write(tmpdir, &out, err, sizeof err) == PROVISION_OK, "%s", err);
	for (size_t i = 0; i < out.count; i++) {
		char path[256];
		struct stat st;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s", tmpdir, out.files[i].name);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0640);
		char *got = file_read_all(path, 1 << 20, &len);
		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(len, out.files[i].data.len);
		ck_assert_int_eq(memcmp(got, out.files[i].data.data, len), 0);
		free(got);
	}
	provision_output_free(&out);
}

/* Several phones' files written at once (an import's group): each whole with its mode, made durable together,
 * no temporary left; a directory that cannot be written leaves nothing renamed. */
START_TEST(files_written_many_at_once)
{
	struct provision_renderer *r = renderer();
	char err[256] = "";
	make_tmpdir();
	static const char *const macs[] = { "00:15:65:00:00:01", "00:0b:82:00:00:02", "00:15:65:00:00:03" };
	static const char *const models[] = { "yealink-t46u", "polycom-vvx450", "yealink-t46u" };
	struct provision_output outs[3];
	const struct provision_output *ptrs[3];
	size_t files = 0;
	for (int i = 0; i < 3; i++) {
		struct provision_phone p = golden_phone(models[i]);
		p.mac = macs[i];
		ck_assert_int_eq(provision_render(r, &p, &outs[i], err, sizeof err), PROVISION_OK);
		ptrs[i] = &outs[i];
		files += outs[i].count;
	}
	ck_assert_uint_eq(files, 4);   /* the Polycom has two */
	ck_assert_msg(provision_write_many(tmpdir, ptrs, 3, err, sizeof err) == PROVISION_OK, "%s", err);
	ck_assert_int_eq(count_entries(), 4);
	for (int i = 0; i < 3; i++)
		for (size_t f = 0; f < outs[i].count; f++) {
			char path[256];
			struct stat st;
			size_t len = 0;
			snprintf(path, sizeof path, "%s/%s", tmpdir, outs[i].files[f].name);
			ck_assert_int_eq(stat(path, &st), 0);
			ck_assert_int_eq(st.st_mode & 0777, 0640);
			char *got = file_read_all(path, 1 << 20, &len);
			ck_assert_ptr_nonnull(got);
			ck_assert_uint_eq(len, outs[i].files[f].data.len);
			ck_assert_int_eq(memcmp(got, outs[i].files[f].data.data, len), 0);
			free(got);
		}
	/* Again over them: replaced in place. */
	ck_assert_msg(provision_write_many(tmpdir, ptrs, 3, err, sizeof err) == PROVISION_OK, "%s", err);
	ck_assert_int_eq(count_entries(), 4);
	/* A directory that is not there: an error naming it, nothing written. */
	char missing[300];
	snprintf(missing, sizeof missing, "%s/nope", tmpdir);
	ck_assert_int_eq(provision_write_many(missing, ptrs, 3, err, sizeof err), PROVISION_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "nope"));
	ck_assert_int_eq(count_entries(), 4);
	ck_assert_int_eq(provision_write_many(tmpdir, ptrs, 0, err, sizeof err), PROVISION_OK);
	for (int i = 0; i < 3; i++)
		provision_output_free(&outs[i]);
	provision_renderer_free(r);
}
END_TEST

START_TEST(files_write_remove_rename)
{
	struct provision_renderer *r = renderer();
	char err[256] = "";
	make_tmpdir();

	render_write(r, "00:0b:82:a1:b2:c3", "snom-d715");
	ck_assert(exists("000B82A1B2C3.xml"));
	render_write(r, "00:0b:82:a1:b2:c3", "snom-d715"); /* rewrite in place: no temp files left */
	ck_assert_int_eq(count_entries(), 1);

	/* MAC changes: the old file goes, the new one stays. */
	render_write(r, "00:0b:82:a1:b2:c4", "snom-d715");
	ck_assert_int_eq(provision_remove_stale(tmpdir, "00:0b:82:a1:b2:c3", "snom-d715", "000b82a1b2c4",
	                                        "snom-d715", err, sizeof err), PROVISION_OK);
	ck_assert(!exists("000B82A1B2C3.xml"));
	ck_assert(exists("000B82A1B2C4.xml"));
	ck_assert_int_eq(count_entries(), 1);

	/* Model changes within the same MAC, same name (<mac>.cfg): the new file must survive. */
	render_write(r, "000b82a1b2c5", "yealink-t46u");
	render_write(r, "000b82a1b2c5", "fanvil-x4u");
	ck_assert_int_eq(provision_remove_stale(tmpdir, "000b82a1b2c5", "yealink-t46u", "000b82a1b2c5",
	                                        "fanvil-x4u", err, sizeof err), PROVISION_OK);
	ck_assert(exists("000b82a1b2c5.cfg"));
	size_t len = 0;
	char path[256];
	snprintf(path, sizeof path, "%s/000b82a1b2c5.cfg", tmpdir);
	char *got = file_read_all(path, 1 << 20, &len);
	ck_assert_ptr_nonnull(strstr(got, "<sysConf>"));
	free(got);

	/* Fanvil -> Polycom on the same MAC: <mac>.cfg is kept (now Polycom's master), -user.cfg added. */
	render_write(r, "000b82a1b2c5", "polycom-vvx450");
	ck_assert_int_eq(provision_remove_stale(tmpdir, "000b82a1b2c5", "fanvil-x4u", "000b82a1b2c5",
	                                        "polycom-vvx450", err, sizeof err), PROVISION_OK);
	ck_assert(exists("000b82a1b2c5.cfg"));
	ck_assert(exists("000b82a1b2c5-user.cfg"));
	/* Polycom -> Grandstream: both Polycom files go. */
	render_write(r, "000b82a1b2c5", "grandstream-grp2614");
	ck_assert_int_eq(provision_remove_stale(tmpdir, "000b82a1b2c5", "polycom-vvx450", "000b82a1b2c5",
	                                        "grandstream-grp2614", err, sizeof err), PROVISION_OK);
	ck_assert(!exists("000b82a1b2c5.cfg"));
	ck_assert(!exists("000b82a1b2c5-user.cfg"));
	ck_assert(exists("cfg000b82a1b2c5.xml"));

	/* Remove: deletes, and is fine when the file is already gone. */
	ck_assert_int_eq(provision_remove(tmpdir, "000b82a1b2c5", "grandstream-grp2614", err, sizeof err),
	                 PROVISION_OK);
	ck_assert(!exists("cfg000b82a1b2c5.xml"));
	ck_assert_int_eq(provision_remove(tmpdir, "000b82a1b2c5", "grandstream-grp2614", err, sizeof err),
	                 PROVISION_OK);
	ck_assert_int_eq(provision_remove(tmpdir, "000b82a1b2c4", "snom-d715", err, sizeof err), PROVISION_OK);
	ck_assert_int_eq(count_entries(), 0);

	/* Invalid input never reaches the file system. */
	ck_assert_int_eq(provision_remove(tmpdir, "../x", "snom-d715", err, sizeof err), PROVISION_E_MAC);
	ck_assert_int_eq(provision_remove(tmpdir, "000b82a1b2c5", "nope", err, sizeof err), PROVISION_E_MODEL);
	ck_assert_int_eq(provision_remove_stale(tmpdir, "000b82a1b2c5\n", "snom-d715", "000b82a1b2c5",
	                                        "snom-d715", err, sizeof err), PROVISION_E_MAC);

	/* A directory that does not exist: an I/O error with a message. */
	struct provision_phone p = golden_phone("snom-d715");
	struct provision_output out;
	ck_assert_int_eq(provision_render(r, &p, &out, NULL, 0), PROVISION_OK);
	ck_assert_int_eq(provision_write("/nonexistent/centralita", &out, err, sizeof err), PROVISION_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "000B82A1B2C3.xml"));
	provision_output_free(&out);

	ck_assert_int_eq(rmdir(tmpdir), 0);
	provision_renderer_free(r);
}
END_TEST

static Suite *provision_suite(void)
{
	Suite *s = suite_create("provision");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, catalogue_grouped_and_findable);
	tcase_add_test(tc, mac_parse_table);
	tcase_add_test(tc, secret_length_alphabet_unique);
	tcase_add_loop_test(tc, render_golden, 0, (int)(sizeof golden_models / sizeof golden_models[0]));
	tcase_add_test(tc, render_every_model);
	tcase_add_test(tc, render_file_names_per_vendor);
	tcase_add_test(tc, render_transports);
	tcase_add_test(tc, render_refuses_control_characters);
	tcase_add_test(tc, renderer_missing_templates);
	tcase_add_test(tc, render_from_threads);
	tcase_add_test(tc, files_written_many_at_once);
	tcase_add_test(tc, files_write_remove_rename);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(provision_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
