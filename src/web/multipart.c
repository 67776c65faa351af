/* multipart: a strict multipart/form-data parser (RFC 7578, delimiters per RFC 2046 §5.1.1) over a body in
 * memory. One pass: delimiters are found with memmem (linear, so a body of megabytes costs little), part headers
 * are read line by line within bounded lengths, and field values are copied once, into the form_pairs storage,
 * when the whole body has passed; file contents are never copied. */
#include "web/multipart.h"

#include "util/text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FORM_DATA "multipart/form-data"

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 7230 tchar: what a header name, a parameter name and an unquoted parameter value are made of. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 2046 bcharsnospace; bchars adds the space. */
static bool is_bchar_nospace(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("'()+_,-./:=?", c));
}

/* The same name rule as form_parse's, so a name that passes here could have come urlencoded too. */
static enum multipart_status check_name(const char *s, size_t n)
{
	if (n > FORM_MAX_NAME)
		return MULTIPART_NAME_TOO_LONG;
	if (n == 0)
		return MULTIPART_BAD_NAME;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return MULTIPART_BAD_NAME;
	}
	return MULTIPART_OK;
}

static bool equals_ci(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* Where the media type's parameters start (at OWS or ';'), or NULL when it is not multipart/form-data. */
static const char *form_data_params(const char *ct)
{
	if (!ct || strncasecmp(ct, FORM_DATA, sizeof FORM_DATA - 1) != 0)
		return NULL;
	const char *p = ct + sizeof FORM_DATA - 1;
	const char *q = p;
	while (is_ows(*q))
		q++;
	return *q == '\0' || *q == ';' ? p : NULL;
}

bool multipart_is_form_data(const char *content_type)
{
	return form_data_params(content_type) != NULL;
}

/* One parameter value: a quoted-string or a token. Quoted strings end at the next '"' with no backslash
 * escapes, as browsers write them (the HTML standard percent-encodes '"', CR and LF in names and filenames
 * instead; a Windows path's backslashes then stay path separators). Returns the position after the value, or
 * NULL when malformed. */
static const char *param_value(const char *p, const char *end, const char **v, size_t *vlen)
{
	if (p < end && *p == '"') {
		const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (!close)
			return NULL;
		*v = p + 1;
		*vlen = (size_t)(close - p - 1);
		return close + 1;
	}
	const char *s = p;
	while (p < end && is_tchar(*p))
		p++;
	if (p == s)
		return NULL;
	*v = s;
	*vlen = (size_t)(p - s);
	return p;
}

/* One parameter of a header value: [OWS] ";" OWS name "=" value. Returns the position after it; *name is NULL
 * at the end of the value (a trailing ';' is tolerated); NULL return when malformed. */
static const char *next_param(const char *p, const char *end, const char **name, size_t *nlen, const char **v,
			      size_t *vlen)
{
	*name = NULL;
	while (p < end && is_ows(*p))
		p++;
	if (p == end)
		return p;
	if (*p != ';')
		return NULL;
	p++;
	while (p < end && is_ows(*p))
		p++;
	if (p == end)
		return p;
	const char *s = p;
	while (p < end && is_tchar(*p))
		p++;
	if (p == s || p == end || *p != '=')
		return NULL;
	*name = s;
	*nlen = (size_t)(p - s);
	return param_value(p + 1, end, v, vlen);
}

/* The boundary parameter of a multipart/form-data Content-Type into out (NUL-terminated). */
static enum multipart_status find_boundary(const char *ct, char out[MULTIPART_MAX_BOUNDARY + 1], size_t *outlen)
{
	const char *p = form_data_params(ct);
	if (!p)
		return MULTIPART_NOT_FORM_DATA;
	const char *end = p + strlen(p);
	bool found = false;
	for (;;) {
		const char *name, *v;
		size_t nlen, vlen;
		p = next_param(p, end, &name, &nlen, &v, &vlen);
		if (!p)
			return MULTIPART_BAD_BOUNDARY;
		if (!name)
			break;
		if (!equals_ci(name, nlen, "boundary"))
			continue;
		if (found || vlen == 0 || vlen > MULTIPART_MAX_BOUNDARY || v[vlen - 1] == ' ')
			return MULTIPART_BAD_BOUNDARY;
		for (size_t i = 0; i < vlen; i++)
			if (!is_bchar_nospace(v[i]) && v[i] != ' ')
				return MULTIPART_BAD_BOUNDARY;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		*outlen = vlen;
		found = true;
	}
	return found ? MULTIPART_OK : MULTIPART_BAD_BOUNDARY;
}

/* After the boundary of a delimiter at *pos: transport padding then CRLF (a part follows: *pos moves to its
 * first byte), or "--" (the close delimiter), padding, then the end or CRLF and an epilogue (*close set). */
static enum multipart_status after_delimiter(const char *data, size_t len, size_t *pos, bool *close)
{
	size_t p = *pos;
	*close = false;
	if (len - p >= 2 && data[p] == '-' && data[p + 1] == '-') {
		*close = true;
		p += 2;
	} else if (len - p == 1 && data[p] == '-') {
		return MULTIPART_NO_FINAL_DELIMITER; /* cut inside "--" */
	}
	while (p < len && is_ows(data[p]))
		p++;
	if (p == len)
		return *close ? MULTIPART_OK : MULTIPART_NO_FINAL_DELIMITER;
	if (len - p >= 2 && data[p] == '\r' && data[p + 1] == '\n') {
		*pos = p + 2;
		return MULTIPART_OK;
	}
	if (len - p == 1 && data[p] == '\r')
		return *close ? MULTIPART_BAD_DELIMITER : MULTIPART_NO_FINAL_DELIMITER;
	return MULTIPART_BAD_DELIMITER;
}

/* What one part's headers say. Slices point into the body. */
struct part {
	bool has_disposition, form_data, has_type, has_encoding;
	const char *name, *filename, *type;
	size_t name_len, filename_len, type_len;
	bool not_field_or_file;
};

static enum multipart_status parse_disposition(const char *v, size_t n, struct part *pt)
{
	const char *end = v + n, *p = v;
	while (p < end && is_tchar(*p))
		p++;
	if (p == v)
		return MULTIPART_BAD_DISPOSITION;
	pt->form_data = equals_ci(v, (size_t)(p - v), "form-data");
	for (;;) {
		const char *name, *pv;
		size_t nlen, vlen;
		p = next_param(p, end, &name, &nlen, &pv, &vlen);
		if (!p)
			return MULTIPART_BAD_DISPOSITION;
		if (!name)
			return MULTIPART_OK;
		/* filename* (RFC 5987) must not be sent (RFC 7578 §4.2): ignored with any other parameter. */
		if (equals_ci(name, nlen, "name")) {
			if (pt->name)
				return MULTIPART_BAD_DISPOSITION;
			pt->name = pv;
			pt->name_len = vlen;
		} else if (equals_ci(name, nlen, "filename")) {
			if (pt->filename)
				return MULTIPART_BAD_DISPOSITION;
			pt->filename = pv;
			pt->filename_len = vlen;
		}
	}
}

/* One header line (CRLF excluded). Headers other than these three must be ignored (RFC 7578 §4.8). */
static enum multipart_status parse_header(const char *line, size_t n, struct part *pt)
{
	if (n == 0 || is_ows(line[0]))
		return MULTIPART_BAD_HEADER; /* folded lines: no browser sends them */
	size_t i = 0;
	while (i < n && is_tchar(line[i]))
		i++;
	if (i == 0 || i == n || line[i] != ':')
		return MULTIPART_BAD_HEADER;
	for (size_t k = i + 1; k < n; k++) {
		unsigned char c = (unsigned char)line[k];
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return MULTIPART_BAD_HEADER;
	}
	const char *v = line + i + 1, *end = line + n;
	while (v < end && is_ows(*v))
		v++;
	while (end > v && is_ows(end[-1]))
		end--;
	size_t vlen = (size_t)(end - v);
	if (equals_ci(line, i, "Content-Disposition")) {
		if (pt->has_disposition)
			return MULTIPART_BAD_HEADER;
		pt->has_disposition = true;
		return parse_disposition(v, vlen, pt);
	}
	if (equals_ci(line, i, "Content-Type")) {
		if (pt->has_type || vlen >= sizeof ((struct upload_file *)0)->content_type)
			return MULTIPART_BAD_HEADER;
		pt->has_type = true;
		pt->type = v;
		pt->type_len = vlen;
		/* multipart/mixed inside a part is RFC 2388's way to send several files, gone from RFC 7578 (other
		 * multipart/ types, such as multipart/x-zip, are only a file's label). */
		size_t media = 0;
		while (media < vlen && v[media] != ';' && !is_ows(v[media]))
			media++;
		if (equals_ci(v, media, "multipart/mixed"))
			pt->not_field_or_file = true;
		return MULTIPART_OK;
	}
	if (equals_ci(line, i, "Content-Transfer-Encoding")) {
		if (pt->has_encoding)
			return MULTIPART_BAD_HEADER;
		pt->has_encoding = true;
		/* Deprecated (RFC 7578 §4.7); anything that would need decoding is not taken. */
		if (!equals_ci(v, vlen, "binary") && !equals_ci(v, vlen, "8bit") && !equals_ci(v, vlen, "7bit"))
			pt->not_field_or_file = true;
	}
	return MULTIPART_OK;
}

/* Reads the headers of part p[0..n); *content receives where its content starts. A part may end right after
 * its headers (RFC 2046: body-part := MIME-part-headers [CRLF *OCTET]): its content is then empty. */
static enum multipart_status parse_part_headers(const char *p, size_t n, struct part *pt, size_t *content)
{
	size_t i = 0;
	int lines = 0;
	while (i < n) {
		if (n - i >= 2 && p[i] == '\r' && p[i + 1] == '\n') {
			*content = i + 2;
			return MULTIPART_OK;
		}
		/* Look for the CRLF no further than the longest line allowed: a part's content can be megabytes. */
		size_t window = n - i < MULTIPART_MAX_HEADER_LINE + 2 ? n - i : MULTIPART_MAX_HEADER_LINE + 2;
		const char *eol = memmem(p + i, window, "\r\n", 2);
		if (!eol) /* too long to hold, or cut short by the delimiter */
			return n - i > MULTIPART_MAX_HEADER_LINE ? MULTIPART_HEADER_TOO_LONG : MULTIPART_BAD_HEADER;
		size_t line_len = (size_t)(eol - (p + i));
		if (++lines > MULTIPART_MAX_HEADERS)
			return MULTIPART_TOO_MANY_HEADERS;
		enum multipart_status st = parse_header(p + i, line_len, pt);
		if (st != MULTIPART_OK)
			return st;
		i += line_len + 2;
	}
	*content = n;
	return MULTIPART_OK;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t k = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (k == 0 || k > n || text_utf8_chars((const char *)s, k) != 1)
		return 0;
	return k;
}

/* What a page may show of a filename: its last component (either separator: Windows browsers have sent full
 * paths), without control characters (C0, DEL, C1), bytes outside UTF-8 as '?', cut at a character. */
static void sanitise_filename(const char *s, size_t n, char *out, size_t outlen)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '\\')
			start = i + 1;
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = start; i < n;) {
		size_t k = utf8_sequence(u + i, n - i);
		if (k == 0) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		bool control = (k == 1 && (u[i] < 0x20 || u[i] == 0x7F)) || (k == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0);
		if (!control) {
			if (o + k >= outlen)
				break;
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
}

static void copy_slice(char *out, size_t outlen, const char *s, size_t n)
{
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

struct slice {
	const char *name, *value;
	size_t name_len, value_len;
};

/* Files and fields of the parts, which are already checked: fields into one allocation like form_parse's. */
static void store_fields(const struct slice *f, size_t count, struct form_pairs *pairs)
{
	size_t total = 1;
	for (size_t i = 0; i < count; i++)
		total += f[i].name_len + f[i].value_len + 2;
	char *w = malloc(total);
	if (!w)
		abort();
	pairs->storage = w;
	for (size_t i = 0; i < count; i++) {
		struct form_pair *p = &pairs->items[i];
		p->name = w;
		memcpy(w, f[i].name, f[i].name_len);
		w += f[i].name_len;
		*w++ = '\0';
		p->value = w;
		memcpy(w, f[i].value, f[i].value_len);
		w += f[i].value_len;
		*w++ = '\0';
		p->value_len = f[i].value_len;
	}
	pairs->count = count;
}

/* One part, p[0..n): checked, then taken as a field or a file. */
static enum multipart_status take_part(const char *p, size_t n, struct slice *fields, size_t *field_count,
				       struct upload_file *files, size_t *file_count)
{
	struct part pt = { 0 };
	size_t content;
	enum multipart_status st = parse_part_headers(p, n, &pt, &content);
	if (st != MULTIPART_OK)
		return st;
	if (!pt.has_disposition)
		return MULTIPART_NO_DISPOSITION;
	if (!pt.form_data)
		return MULTIPART_NOT_FIELD_OR_FILE;
	if (!pt.name)
		return MULTIPART_NO_NAME;
	st = check_name(pt.name, pt.name_len);
	if (st != MULTIPART_OK)
		return st;
	if (pt.not_field_or_file)
		return MULTIPART_NOT_FIELD_OR_FILE;
	if (pt.filename) {
		if (*file_count == UPLOAD_MAX_FILES)
			return MULTIPART_TOO_MANY_FILES;
		struct upload_file *f = &files[(*file_count)++];
		copy_slice(f->name, sizeof f->name, pt.name, pt.name_len);
		sanitise_filename(pt.filename, pt.filename_len, f->filename, sizeof f->filename);
		copy_slice(f->content_type, sizeof f->content_type, pt.type ? pt.type : "", pt.type_len);
		f->data = p + content;
		f->len = n - content;
		return MULTIPART_OK;
	}
	if (*field_count == FORM_MAX_FIELDS)
		return MULTIPART_TOO_MANY_FIELDS;
	if (n - content > FORM_MAX_VALUE)
		return MULTIPART_VALUE_TOO_LONG;
	fields[(*field_count)++] = (struct slice){ pt.name, p + content, pt.name_len, n - content };
	return MULTIPART_OK;
}

/* Walks the delimiters: "--boundary" at the very start or "CRLF--boundary" (after a preamble) opens; every
 * line starting with CRLF--boundary (RFC 2046: the boundary need only begin the line) ends a part, and must
 * be a delimiter. Data holding a mere prefix of the delimiter, or the boundary without CRLF before it, is
 * content. */
static enum multipart_status walk(const char *data, size_t len, const char *delim, size_t dlen,
				  struct slice *fields, size_t *field_count, struct upload_file *files,
				  size_t *file_count)
{
	size_t pos;
	if (len >= dlen - 2 && memcmp(data, delim + 2, dlen - 2) == 0) {
		pos = dlen - 2;
	} else {
		const char *first = memmem(data, len, delim, dlen);
		if (!first)
			return MULTIPART_NO_DELIMITER;
		pos = (size_t)(first - data) + dlen;
	}
	for (;;) {
		bool close;
		enum multipart_status st = after_delimiter(data, len, &pos, &close);
		if (st != MULTIPART_OK || close)
			return st;
		const char *next = memmem(data + pos, len - pos, delim, dlen);
		if (!next)
			return MULTIPART_NO_FINAL_DELIMITER;
		size_t part_len = (size_t)(next - (data + pos));
		st = take_part(data + pos, part_len, fields, field_count, files, file_count);
		if (st != MULTIPART_OK)
			return st;
		pos += part_len + dlen;
	}
}

enum multipart_status multipart_parse(const char *content_type, const char *data, size_t len,
				      struct form_pairs *fields, struct upload_file files[UPLOAD_MAX_FILES],
				      size_t *file_count)
{
	memset(fields, 0, sizeof *fields);
	*file_count = 0;
	char boundary[MULTIPART_MAX_BOUNDARY + 1];
	size_t blen = 0;
	enum multipart_status st = find_boundary(content_type, boundary, &blen);
	if (st != MULTIPART_OK)
		return st;
	char delim[MULTIPART_MAX_BOUNDARY + 5];
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, blen);
	struct slice slices[FORM_MAX_FIELDS];
	size_t count = 0;
	st = walk(data ? data : "", len, delim, blen + 4, slices, &count, files, file_count);
	if (st != MULTIPART_OK) {
		*file_count = 0;
		return st;
	}
	store_fields(slices, count, fields);
	return MULTIPART_OK;
}

const char *multipart_status_text(enum multipart_status st)
{
	switch (st) {
	case MULTIPART_OK: return "ok";
	case MULTIPART_NOT_FORM_DATA: return "not multipart/form-data";
	case MULTIPART_BAD_BOUNDARY: return "missing or invalid boundary";
	case MULTIPART_NO_DELIMITER: return "no opening boundary delimiter";
	case MULTIPART_BAD_DELIMITER: return "malformed boundary delimiter line";
	case MULTIPART_NO_FINAL_DELIMITER: return "missing final boundary delimiter";
	case MULTIPART_HEADER_TOO_LONG: return "part header line too long";
	case MULTIPART_TOO_MANY_HEADERS: return "too many part header lines";
	case MULTIPART_BAD_HEADER: return "malformed part header";
	case MULTIPART_NO_DISPOSITION: return "part without Content-Disposition";
	case MULTIPART_BAD_DISPOSITION: return "malformed Content-Disposition";
	case MULTIPART_NO_NAME: return "part without a name";
	case MULTIPART_NOT_FIELD_OR_FILE: return "part is neither a form field nor a file";
	case MULTIPART_TOO_MANY_FIELDS: return "too many fields";
	case MULTIPART_TOO_MANY_FILES: return "too many files";
	case MULTIPART_NAME_TOO_LONG: return "field name too long";
	case MULTIPART_BAD_NAME: return "invalid field name";
	case MULTIPART_VALUE_TOO_LONG: return "field value too long";
	}
	return "?";
}
