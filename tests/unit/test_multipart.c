/* Unit tests: the multipart/form-data parser (well-formed bodies as browsers send them, binary files holding
 * delimiter look-alikes, filename sanitising, every refusal and limit, every truncation) and request_file. */
#include <check.h>

#include "support/check_run.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "web/multipart.h"
#include "web/request.h"

#define BND "----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define CT "multipart/form-data; boundary=" BND
#define DELIM "--" BND "\r\n"
#define CLOSE "--" BND "--\r\n"

/* Appends one part: its header lines (each ending CRLF, given whole), the blank line, the content, the CRLF that
 * belongs to the next delimiter. */
static void part(struct buf *b, const char *headers, const void *content, size_t len)
{
	buf_puts(b, DELIM);
	buf_puts(b, headers);
	buf_puts(b, "\r\n");
	buf_append(b, content, len);
	buf_puts(b, "\r\n");
}

static void field(struct buf *b, const char *name, const char *value)
{
	char h[256];
	snprintf(h, sizeof h, "Content-Disposition: form-data; name=\"%s\"\r\n", name);
	part(b, h, value, strlen(value));
}

struct parsed {
	enum multipart_status st;
	struct form_pairs fields;
	struct upload_file files[UPLOAD_MAX_FILES];
	size_t file_count;
};

/* Parses a copy of exactly len bytes, so that a read past the end is caught by ASan and valgrind. */
static char *copy_of(const char *data, size_t len)
{
	char *c = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(c);
	memcpy(c, data, len);
	return c;
}

static enum multipart_status status_of(const char *ct, const char *data, size_t len)
{
	struct parsed p;
	char *c = copy_of(data, len);
	p.st = multipart_parse(ct, c, len, &p.fields, p.files, &p.file_count);
	if (p.st != MULTIPART_OK) {
		ck_assert_uint_eq(p.fields.count, 0);
		ck_assert_ptr_null(p.fields.storage);
		ck_assert_uint_eq(p.file_count, 0);
	}
	form_pairs_free(&p.fields);
	free(c);
	return p.st;
}

static enum multipart_status status_of_buf(const struct buf *b)
{
	return status_of(CT, buf_cstr(b), b->len);
}

START_TEST(fields_and_a_file)
{
	static const char csv[] = "mac;extension;name\r\n00:15:65:00:00:01;201;Ana\r\n";
	struct buf b;
	buf_init(&b);
	field(&b, "_csrf", "0123abcd");
	part(&b, "Content-Disposition: form-data; name=\"csv\"; filename=\"phones.csv\"\r\nContent-Type: text/csv\r\n",
	     csv, sizeof csv - 1);
	field(&b, "action", "preview");
	buf_puts(&b, CLOSE);
	struct parsed p;
	ck_assert_int_eq(multipart_parse(CT, buf_cstr(&b), b.len, &p.fields, p.files, &p.file_count), MULTIPART_OK);
	ck_assert_uint_eq(p.fields.count, 2);
	ck_assert_str_eq(form_pairs_get(&p.fields, "_csrf"), "0123abcd");
	ck_assert_str_eq(form_pairs_get(&p.fields, "action"), "preview");
	ck_assert_uint_eq(p.fields.items[1].value_len, 7);
	ck_assert_uint_eq(p.file_count, 1);
	ck_assert_str_eq(p.files[0].name, "csv");
	ck_assert_str_eq(p.files[0].filename, "phones.csv");
	ck_assert_str_eq(p.files[0].content_type, "text/csv");
	ck_assert_uint_eq(p.files[0].len, sizeof csv - 1);
	ck_assert(memcmp(p.files[0].data, csv, sizeof csv - 1) == 0);
	/* Not copied: the file is a window on the body. */
	ck_assert(p.files[0].data > buf_cstr(&b) && p.files[0].data < buf_cstr(&b) + b.len);

	/* What the pages do next works unchanged on the fields. */
	static const struct form_field fdef[] = { { "action", form_v_choice, true, 0, 0, "preview|import" } };
	static const struct form_def def = FORM_DEF("import", fdef);
	struct form_result res;
	ck_assert(form_validate(&def, &p.fields, &res));
	ck_assert_str_eq(form_value(&res, "action"), "preview");
	form_result_free(&res);
	form_pairs_free(&p.fields);
	buf_free(&b);
}
END_TEST

START_TEST(content_type_forms_and_quoted_boundaries)
{
	static const struct {
		const char *ct, *boundary;
	} ok[] = {
		{ "multipart/form-data; boundary=abc", "abc" },
		{ "Multipart/Form-Data;BOUNDARY=abc", "abc" },
		{ "multipart/form-data ; charset=utf-8; boundary=\"gc0pJq0M:08jU534c0p\"", "gc0pJq0M:08jU534c0p" },
		{ "multipart/form-data; boundary=\"with space and (parens)/=?\";", "with space and (parens)/=?" },
		{ "multipart/form-data; boundary=\"" "0123456789012345678901234567890123456789012345678901234567890123456789"
		  "\"", "0123456789012345678901234567890123456789012345678901234567890123456789" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		ck_assert(multipart_is_form_data(ok[i].ct));
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "--%s\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--%s--", ok[i].boundary,
			   ok[i].boundary);
		struct parsed p;
		ck_assert_msg(multipart_parse(ok[i].ct, buf_cstr(&b), b.len, &p.fields, p.files, &p.file_count) ==
				      MULTIPART_OK, "%s", ok[i].ct);
		ck_assert_str_eq(form_pairs_get(&p.fields, "a"), "1");
		form_pairs_free(&p.fields);
		buf_free(&b);
	}
	ck_assert(!multipart_is_form_data(NULL));
	ck_assert(!multipart_is_form_data("application/x-www-form-urlencoded"));
	ck_assert(!multipart_is_form_data("multipart/form-dataX; boundary=a"));
	ck_assert(!multipart_is_form_data("multipart/mixed; boundary=a"));
}
END_TEST

START_TEST(preamble_padding_and_epilogue)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "This is the preamble; --" BND " inside it is no delimiter.\r\n");
	buf_puts(&b, "--" BND " \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n");
	buf_puts(&b, "--" BND "-- \t\r\nepilogue\r\n--" BND "\r\nContent-Disposition: form-data; name=b\r\n\r\ny\r\n");
	struct parsed p;
	ck_assert_int_eq(multipart_parse(CT, buf_cstr(&b), b.len, &p.fields, p.files, &p.file_count), MULTIPART_OK);
	ck_assert_uint_eq(p.fields.count, 1);
	ck_assert_str_eq(form_pairs_get(&p.fields, "a"), "x");
	form_pairs_free(&p.fields);
	buf_free(&b);

	/* No CRLF after the close delimiter; a body with no part at all. */
	static const char bare[] = "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--" BND "--";
	ck_assert_int_eq(status_of(CT, bare, sizeof bare - 1), MULTIPART_OK);
	static const char none[] = "--" BND "--\r\n";
	ck_assert_int_eq(status_of(CT, none, sizeof none - 1), MULTIPART_OK);
}
END_TEST

/* File content holding what a careless parser would take for a delimiter. */
START_TEST(binary_file_with_delimiter_look_alikes)
{
	struct buf content;
	buf_init(&content);
	for (int i = 0; i < 256; i++)
		buf_putc(&content, (char)i);
	buf_puts(&content, "--\r\n\r\n--\r\n");
	buf_puts(&content, "\r\n--" BND);
	content.len--; /* the delimiter but its last character */
	buf_puts(&content, "!\r\n-" BND "\r\n\n--" BND "\r\nx--" BND "--\r\r\n--");
	buf_append(&content, "\0\r\n\0", 4);
	buf_puts(&content, "\r\n--" BND);
	content.len -= 5;
	buf_puts(&content, "\r\n");
	struct buf b;
	buf_init(&b);
	part(&b, "Content-Disposition: form-data; name=\"f\"; filename=\"blob.bin\"\r\n"
		 "Content-Type: application/octet-stream\r\n", content.data, content.len);
	field(&b, "_csrf", "t");
	buf_puts(&b, CLOSE);
	struct parsed p;
	ck_assert_int_eq(multipart_parse(CT, buf_cstr(&b), b.len, &p.fields, p.files, &p.file_count), MULTIPART_OK);
	ck_assert_uint_eq(p.file_count, 1);
	ck_assert_uint_eq(p.files[0].len, content.len);
	ck_assert(memcmp(p.files[0].data, content.data, content.len) == 0);
	ck_assert_str_eq(form_pairs_get(&p.fields, "_csrf"), "t");
	form_pairs_free(&p.fields);
	buf_free(&b);
	buf_free(&content);
}
END_TEST

/* A few megabytes of pseudo-random bytes, dense in CR, LF and '-', come back byte for byte. */
START_TEST(large_random_file)
{
	/* Under valgrind (scripts/test.sh sets CENTRALITA_TEST_QUICK) 512 KiB: the same code, far slower. */
	size_t n = getenv("CENTRALITA_TEST_QUICK") ? 512u << 10 : 5u << 20;
	char *content = malloc(n);
	ck_assert_ptr_nonnull(content);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		static const char dense[] = "\r\n-\r\n--";
		content[i] = (x & 3) ? dense[x % 7] : (char)(x >> 8);
	}
	struct buf b;
	buf_init(&b);
	field(&b, "_csrf", "t");
	part(&b, "Content-Disposition: form-data; name=\"csv\"; filename=\"big.csv\"\r\n", content, n);
	buf_puts(&b, CLOSE);
	struct parsed p;
	ck_assert_int_eq(multipart_parse(CT, buf_cstr(&b), b.len, &p.fields, p.files, &p.file_count), MULTIPART_OK);
	ck_assert_uint_eq(p.files[0].len, n);
	ck_assert(memcmp(p.files[0].data, content, n) == 0);
	form_pairs_free(&p.fields);
	buf_free(&b);
	free(content);
}
END_TEST

START_TEST(empty_files_and_values)
{
	struct buf b;
	buf_init(&b);
	/* A file input left empty: browsers send filename="" and no content. */
	part(&b, "Content-Disposition: form-data; name=\"csv\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n",
	     "", 0);
	part(&b, "Content-Disposition: form-data; name=\"other\"; filename=\"empty.csv\"\r\n", "", 0);
	field(&b, "empty", "");
	/* Headers only, no blank line (RFC 2046: the content is optional). */
	buf_puts(&b, DELIM "Content-Disposition: form-data; name=\"bare\"\r\n\r\n");
	/* A field may carry a Content-Type, a harmless Content-Transfer-Encoding and headers to be ignored. */
	part(&b, "content-disposition: form-data; name=typed\r\nContent-Type: text/plain; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: 8bit\r\nX-Whatever: yes\r\n", "v", 1);
	part(&b, "Content-Disposition: form-data; name=\"nul\"\r\n", "a\0b", 3);
	/* Only multipart/mixed is a nested form; another multipart/ type merely labels a file. */
	part(&b, "Content-Disposition: form-data; name=\"zip\"; filename=\"a.zip\"\r\nContent-Type: multipart/x-zip\r\n",
	     "PK", 2);
	buf_puts(&b, CLOSE);
	struct parsed p;
	ck_assert_int_eq(multipart_parse(CT, buf_cstr(&b), b.len, &p.fields, p.files, &p.file_count), MULTIPART_OK);
	ck_assert_uint_eq(p.file_count, 3);
	ck_assert_str_eq(p.files[2].content_type, "multipart/x-zip");
	ck_assert_str_eq(p.files[0].filename, "");
	ck_assert_uint_eq(p.files[0].len, 0);
	ck_assert_str_eq(p.files[1].filename, "empty.csv");
	ck_assert_str_eq(p.files[1].content_type, "");
	ck_assert_uint_eq(p.files[1].len, 0);
	ck_assert_str_eq(form_pairs_get(&p.fields, "empty"), "");
	ck_assert_str_eq(form_pairs_get(&p.fields, "bare"), "");
	ck_assert_str_eq(form_pairs_get(&p.fields, "typed"), "v");
	ck_assert_uint_eq(p.fields.items[3].value_len, 3);
	ck_assert_int_eq(p.fields.items[3].value[1], '\0');
	form_pairs_free(&p.fields);
	buf_free(&b);
}
END_TEST

static void filename_is(const char *sent, const char *want)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, DELIM "Content-Disposition: form-data; name=f; filename=\"");
	buf_puts(&b, sent);
	buf_puts(&b, "\"\r\n\r\ndata\r\n" CLOSE);
	struct parsed p;
	ck_assert_int_eq(multipart_parse(CT, buf_cstr(&b), b.len, &p.fields, p.files, &p.file_count), MULTIPART_OK);
	ck_assert_str_eq(p.files[0].filename, want);
	ck_assert_uint_eq(p.files[0].len, 4);
	form_pairs_free(&p.fields);
	buf_free(&b);
}

START_TEST(filenames_are_sanitised)
{
	filename_is("phones.csv", "phones.csv");
	filename_is("C:\\Users\\ana\\Desktop\\phones.csv", "phones.csv");
	filename_is("../../etc/passwd", "passwd");
	filename_is("dir/", "");
	filename_is("a\tb\xc2\x85" "c.csv", "abc.csv");                /* TAB and NEL (C1) dropped */
	filename_is("Tel\xc3\xa9" "fonos \xe2\x82\xac.csv", "Tel\xc3\xa9" "fonos \xe2\x82\xac.csv");
	filename_is("bad\xff\xc0\xaf.csv", "bad???.csv");             /* not UTF-8, overlong */
	filename_is("a%22b.csv", "a%22b.csv");                         /* the browsers' escape is kept as sent */
	filename_is("back\\slash", "slash");
	/* Over 255 bytes: cut, and never inside a character. */
	char longname[400] = "";
	for (int i = 0; i < 127; i++)
		strcat(longname, "\xc3\xa9");
	strcat(longname, "xyz");
	char want[256] = "";
	for (int i = 0; i < 127; i++)
		strcat(want, "\xc3\xa9");
	strcat(want, "x");
	filename_is(longname, want);
	char odd[400] = "xy";
	for (int i = 0; i < 127; i++)
		strcat(odd, "\xc3\xa9");
	char want_odd[256] = "xy"; /* 2 + 126*2 = 254 bytes: the next character would need 256 */
	for (int i = 0; i < 126; i++)
		strcat(want_odd, "\xc3\xa9");
	filename_is(odd, want_odd);
}
END_TEST

START_TEST(csrf_after_the_file_and_duplicates)
{
	struct buf b;
	buf_init(&b);
	part(&b, "Content-Disposition: form-data; name=\"csv\"; filename=\"a.csv\"\r\n", "1", 1);
	part(&b, "Content-Disposition: form-data; name=\"csv\"; filename=\"b.csv\"\r\n", "2", 1);
	part(&b, "Content-Disposition: form-data; name=\"one\"; filename=\"c.csv\"\r\n", "3", 1);
	field(&b, "dup", "1");
	field(&b, "dup", "2");
	field(&b, "_csrf", "tok");
	buf_puts(&b, CLOSE);
	struct request req;
	request_init(&req);
	buf_append(&req.body, b.data, b.len);
	req.content_type = CT;
	ck_assert_int_eq(multipart_parse(req.content_type, buf_cstr(&req.body), req.body.len, &req.form, req.files,
					 &req.file_count),
			 MULTIPART_OK);
	ck_assert_str_eq(form_pairs_get(&req.form, "_csrf"), "tok");
	ck_assert_ptr_null(form_pairs_get(&req.form, "dup"));
	ck_assert_ptr_null(form_pairs_get(&req.form, "csv"));       /* files are not fields */
	ck_assert_uint_eq(req.file_count, 3);
	ck_assert_ptr_null(request_file(&req, "csv"));               /* sent twice */
	ck_assert_ptr_null(request_file(&req, "missing"));
	ck_assert_ptr_null(request_file(&req, "_csrf"));             /* fields are not files */
	const struct upload_file *f = request_file(&req, "one");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->filename, "c.csv");
	ck_assert_uint_eq(f->len, 1);
	ck_assert_int_eq(f->data[0], '3');
	request_free(&req);
	ck_assert_uint_eq(req.file_count, 0);
	buf_free(&b);
}
END_TEST

/* Each malformed piece, in a body that is otherwise fine. */
START_TEST(refuses_malformed_bodies)
{
	static const struct {
		const char *body;
		enum multipart_status st;
	} bad[] = {
		{ "", MULTIPART_NO_DELIMITER },
		{ "just text", MULTIPART_NO_DELIMITER },
		{ "x--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1", MULTIPART_NO_DELIMITER },
		{ "\n--" BND "\nContent-Disposition: form-data; name=a\n\n1\n--" BND "--", MULTIPART_NO_DELIMITER },
		{ "--" BND "x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DELIMITER },
		{ "--" BND "\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "junk\r\n", MULTIPART_BAD_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "--x", MULTIPART_BAD_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "- \r\n", MULTIPART_BAD_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1", MULTIPART_NO_FINAL_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND, MULTIPART_NO_FINAL_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "-", MULTIPART_NO_FINAL_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "\r\n", MULTIPART_NO_FINAL_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND " ", MULTIPART_NO_FINAL_DELIMITER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" BND "\r", MULTIPART_NO_FINAL_DELIMITER },
		{ "--" BND "\r\n\r\n1\r\n--" BND "--", MULTIPART_NO_DISPOSITION },
		{ "--" BND "\r\n\r\n--" BND "--", MULTIPART_NO_DISPOSITION },
		{ "--" BND "\r\nContent-Type: text/plain\r\n\r\n1\r\n--" BND "--", MULTIPART_NO_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition form-data; name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition : form-data; name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_HEADER },
		{ "--" BND "\r\n: form-data; name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\n--" BND "--", MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n"
		  "\r\n1\r\n--" BND "--",
		  MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a/b\r\nContent-Type: a/b\r\n"
		  "\r\n1\r\n--" BND "--",
		  MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\nX: \x7f\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_HEADER },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a; filename=x; filename=y\r\n\r\n1\r\n--" BND "--",
		  MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data; =a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data; name\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data; name = a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: ; name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\"a\"x\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition:\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_DISPOSITION },
		{ "--" BND "\r\nContent-Disposition: form-data\r\n\r\n1\r\n--" BND "--", MULTIPART_NO_NAME },
		{ "--" BND "\r\nContent-Disposition: form-data; filename=\"a.csv\"\r\n\r\n1\r\n--" BND "--", MULTIPART_NO_NAME },
		{ "--" BND "\r\nContent-Disposition: form-data; name*=UTF-8''a\r\n\r\n1\r\n--" BND "--", MULTIPART_NO_NAME },
		{ "--" BND "\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--" BND "--", MULTIPART_NOT_FIELD_OR_FILE },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
		  "--x\r\n\r\n1\r\n--x--\r\n--" BND "--", MULTIPART_NOT_FIELD_OR_FILE },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a\r\nContent-Type: Multipart/Mixed\r\n\r\n1\r\n--" BND "--",
		  MULTIPART_NOT_FIELD_OR_FILE },
		{ "--" BND "\r\nContent-Disposition: form-data; name=a; filename=a\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		  "MQ==\r\n--" BND "--", MULTIPART_NOT_FIELD_OR_FILE },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\"a.b\"\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_NAME },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_NAME },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\"a b\"\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_NAME },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\"caf\xc3\xa9\"\r\n\r\n1\r\n--" BND "--", MULTIPART_BAD_NAME },
		{ "--" BND "\r\nContent-Disposition: form-data; name=\"a%22\"; filename=x\r\n\r\n1\r\n--" BND "--",
		  MULTIPART_BAD_NAME },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		enum multipart_status st = status_of(CT, bad[i].body, strlen(bad[i].body));
		ck_assert_msg(st == bad[i].st, "case %zu: got %s, want %s", i, multipart_status_text(st),
			      multipart_status_text(bad[i].st));
	}
}
END_TEST

START_TEST(refuses_bad_content_types)
{
	static const char body[] = "--abc\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--abc--";
	static const struct {
		const char *ct;
		enum multipart_status st;
	} bad[] = {
		{ NULL, MULTIPART_NOT_FORM_DATA },
		{ "application/x-www-form-urlencoded", MULTIPART_NOT_FORM_DATA },
		{ "multipart/mixed; boundary=abc", MULTIPART_NOT_FORM_DATA },
		{ "multipart/form-data", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; charset=utf-8", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=\"\"", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=\"abc", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=\"abc \"", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=\"a{c\"", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=\"a\\\"c\"", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=a\\c", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary=abc; boundary=abc", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data boundary=abc", MULTIPART_NOT_FORM_DATA },
		{ "multipart/form-data; boundary abc", MULTIPART_BAD_BOUNDARY },
		{ "multipart/form-data; boundary="
		  "01234567890123456789012345678901234567890123456789012345678901234567890", MULTIPART_BAD_BOUNDARY },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		enum multipart_status st = status_of(bad[i].ct, body, sizeof body - 1);
		ck_assert_msg(st == bad[i].st, "%s: got %s", bad[i].ct ? bad[i].ct : "(null)", multipart_status_text(st));
	}
	ck_assert_int_eq(status_of("multipart/form-data; boundary=abc", body, sizeof body - 1), MULTIPART_OK);
}
END_TEST

START_TEST(header_limits)
{
	struct buf b;
	buf_init(&b);
	/* A line of exactly MULTIPART_MAX_HEADER_LINE bytes passes; one more does not. */
	char h[MULTIPART_MAX_HEADER_LINE + 8];
	size_t fixed = strlen("X-Pad: ");
	memset(h, 'p', sizeof h);
	memcpy(h, "X-Pad: ", fixed);
	for (int extra = 0; extra <= 1; extra++) {
		buf_reset(&b);
		buf_puts(&b, DELIM);
		buf_append(&b, h, MULTIPART_MAX_HEADER_LINE + (size_t)extra);
		buf_puts(&b, "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n" CLOSE);
		ck_assert_int_eq(status_of_buf(&b), extra ? MULTIPART_HEADER_TOO_LONG : MULTIPART_OK);
	}
	/* A line with no end in sight, in front of a large content. */
	buf_reset(&b);
	buf_puts(&b, DELIM "Content-Disposition: form-data; name=a; filename=b");
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, 'z');
	buf_puts(&b, "\r\n" CLOSE);
	ck_assert_int_eq(status_of_buf(&b), MULTIPART_HEADER_TOO_LONG);
	/* MULTIPART_MAX_HEADERS lines pass, one more does not. */
	for (int extra = 0; extra <= 1; extra++) {
		buf_reset(&b);
		buf_puts(&b, DELIM "Content-Disposition: form-data; name=a\r\n");
		for (int i = 1; i < MULTIPART_MAX_HEADERS + extra; i++)
			buf_printf(&b, "X-Extra-%d: %d\r\n", i, i);
		buf_puts(&b, "\r\n1\r\n" CLOSE);
		ck_assert_int_eq(status_of_buf(&b), extra ? MULTIPART_TOO_MANY_HEADERS : MULTIPART_OK);
	}
	/* A file's Content-Type must fit struct upload_file. */
	for (int extra = 0; extra <= 1; extra++) {
		buf_reset(&b);
		buf_puts(&b, DELIM "Content-Disposition: form-data; name=a; filename=b\r\nContent-Type: text/");
		for (size_t i = strlen("text/"); i < 127 + (size_t)extra; i++)
			buf_putc(&b, 'x');
		buf_puts(&b, "\r\n\r\n1\r\n" CLOSE);
		ck_assert_int_eq(status_of_buf(&b), extra ? MULTIPART_BAD_HEADER : MULTIPART_OK);
	}
	buf_free(&b);
}
END_TEST

START_TEST(field_and_file_limits)
{
	struct buf b;
	buf_init(&b);
	/* FORM_MAX_FIELDS fields pass, plus UPLOAD_MAX_FILES files; one more of either does not. */
	for (int extra = 0; extra <= 1; extra++) {
		buf_reset(&b);
		for (int i = 0; i < FORM_MAX_FIELDS + extra; i++) {
			char name[16];
			snprintf(name, sizeof name, "f%d", i);
			field(&b, name, "v");
		}
		for (int i = 0; i < UPLOAD_MAX_FILES; i++)
			part(&b, "Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n", "d", 1);
		buf_puts(&b, CLOSE);
		ck_assert_int_eq(status_of_buf(&b), extra ? MULTIPART_TOO_MANY_FIELDS : MULTIPART_OK);
	}
	buf_reset(&b);
	for (int i = 0; i < UPLOAD_MAX_FILES + 1; i++)
		part(&b, "Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n", "d", 1);
	buf_puts(&b, CLOSE);
	ck_assert_int_eq(status_of_buf(&b), MULTIPART_TOO_MANY_FILES);
	/* Names of FORM_MAX_NAME bytes pass, longer do not (for files too). */
	char name[FORM_MAX_NAME + 2];
	for (int extra = 0; extra <= 1; extra++) {
		memset(name, 'n', sizeof name);
		name[FORM_MAX_NAME + extra] = '\0';
		buf_reset(&b);
		field(&b, name, "v");
		buf_puts(&b, CLOSE);
		ck_assert_int_eq(status_of_buf(&b), extra ? MULTIPART_NAME_TOO_LONG : MULTIPART_OK);
		buf_reset(&b);
		buf_printf(&b, DELIM "Content-Disposition: form-data; name=%s; filename=x\r\n\r\n1\r\n" CLOSE, name);
		ck_assert_int_eq(status_of_buf(&b), extra ? MULTIPART_NAME_TOO_LONG : MULTIPART_OK);
	}
	/* Values of FORM_MAX_VALUE bytes pass, longer do not; a file has no such limit. */
	char *value = malloc(FORM_MAX_VALUE + 2);
	ck_assert_ptr_nonnull(value);
	memset(value, 'v', FORM_MAX_VALUE + 1);
	for (int extra = 0; extra <= 1; extra++) {
		value[FORM_MAX_VALUE] = 'v';
		value[FORM_MAX_VALUE + extra] = '\0';
		buf_reset(&b);
		field(&b, "v", value);
		buf_puts(&b, CLOSE);
		ck_assert_int_eq(status_of_buf(&b), extra ? MULTIPART_VALUE_TOO_LONG : MULTIPART_OK);
		buf_reset(&b);
		part(&b, "Content-Disposition: form-data; name=v; filename=x\r\n", value, strlen(value));
		buf_puts(&b, CLOSE);
		ck_assert_int_eq(status_of_buf(&b), MULTIPART_OK);
	}
	free(value);
	buf_free(&b);
}
END_TEST

/* Every proper prefix of a body is refused (a body cut short never yields a form), and none reads past its end
 * (each is parsed from an allocation of its exact size). */
START_TEST(every_truncation_is_refused)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "preamble\r\n");
	field(&b, "_csrf", "tok");
	part(&b, "Content-Disposition: form-data; name=\"csv\"; filename=\"p.csv\"\r\nContent-Type: text/csv\r\n",
	     "a;b\r\n--\r\n", 10);
	buf_puts(&b, "--" BND "--");
	for (size_t n = 0; n < b.len; n++)
		ck_assert_msg(status_of(CT, b.data, n) != MULTIPART_OK, "prefix of %zu bytes accepted", n);
	ck_assert_int_eq(status_of(CT, b.data, b.len), MULTIPART_OK);
	buf_free(&b);
}
END_TEST

START_TEST(status_texts_are_distinct)
{
	for (int i = MULTIPART_OK; i <= MULTIPART_VALUE_TOO_LONG; i++) {
		const char *t = multipart_status_text((enum multipart_status)i);
		ck_assert_str_ne(t, "?");
		for (int j = MULTIPART_OK; j < i; j++)
			ck_assert_str_ne(t, multipart_status_text((enum multipart_status)j));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("multipart");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fields_and_a_file);
	tcase_add_test(tc, content_type_forms_and_quoted_boundaries);
	tcase_add_test(tc, preamble_padding_and_epilogue);
	tcase_add_test(tc, binary_file_with_delimiter_look_alikes);
	tcase_add_test(tc, large_random_file);
	tcase_add_test(tc, empty_files_and_values);
	tcase_add_test(tc, filenames_are_sanitised);
	tcase_add_test(tc, csrf_after_the_file_and_duplicates);
	tcase_add_test(tc, refuses_malformed_bodies);
	tcase_add_test(tc, refuses_bad_content_types);
	tcase_add_test(tc, header_limits);
	tcase_add_test(tc, field_and_file_limits);
	tcase_add_test(tc, every_truncation_is_refused);
	tcase_add_test(tc, status_texts_are_distinct);
	suite_add_tcase(s, tc);
	return check_run(s);
}
