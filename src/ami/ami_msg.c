/* ami_msg: AMI messages (build, validate, serialise), the incremental parser, results and options.
 * Everything that touches untrusted text on its way in or out of an AMI connection lives here, so the fuzz
 * target can exercise it without sockets. */
#include "ami/ami.h"
#include "ami/ami_internal.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------- small shared helpers ---------- */

void ami_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void *ami_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *ami_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *ami_xstrdup(const char *s)
{
	return ami_xstrndup(s, strlen(s));
}

char *ami_xstrndup(const char *s, size_t n)
{
	char *d = ami_xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* ---------- options ---------- */

void ami_options_defaults(struct ami_options *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	o->port = 5039;
	o->tls = true;
	o->auth = AMI_AUTH_MD5;
	o->pool_size = 4;
	o->connect_timeout_ms = 3000;
	o->io_timeout_ms = 10000;
	o->keepalive_s = 60;
	o->backoff_initial_ms = 250;
	o->backoff_max_ms = 30000;
}

int ami_options_check(const struct ami_options *o, char *err, size_t errlen)
{
	if (!o->host[0] || memchr(o->host, '\0', sizeof o->host) == NULL) {
		ami_seterr(err, errlen, "AMI host is empty");
		return -1;
	}
	if (o->port < 1 || o->port > 65535) {
		ami_seterr(err, errlen, "AMI port %d out of range", o->port);
		return -1;
	}
	if (!o->username[0]) {
		ami_seterr(err, errlen, "AMI username is empty");
		return -1;
	}
	char e[200];
	if (ami_msg_check_header("Username", o->username, strlen(o->username), e, sizeof e) ||
	    ami_msg_check_header("Secret", o->secret, strlen(o->secret), e, sizeof e)) {
		ami_seterr(err, errlen, "AMI credentials: %s", e);
		return -1;
	}
	if (o->pool_size < 1 || o->pool_size > 256) {
		ami_seterr(err, errlen, "AMI pool_size %d out of range 1..256", o->pool_size);
		return -1;
	}
	if (o->connect_timeout_ms < 1 || o->io_timeout_ms < 1) {
		ami_seterr(err, errlen, "AMI timeouts must be positive");
		return -1;
	}
	if (o->keepalive_s < 0 || o->backoff_initial_ms < 1 || o->backoff_max_ms < o->backoff_initial_ms) {
		ami_seterr(err, errlen, "AMI keepalive/backoff settings out of range");
		return -1;
	}
	if (o->auth != AMI_AUTH_PLAIN && o->auth != AMI_AUTH_MD5) {
		ami_seterr(err, errlen, "AMI auth must be plain or md5");
		return -1;
	}
	if (o->tls && o->fingerprint[0]) {
		unsigned char fp[32];
		if (ami_parse_fingerprint(o->fingerprint, fp) != 0) {
			ami_seterr(err, errlen, "AMI fingerprint must be 64 hex digits (SHA-256), colons optional");
			return -1;
		}
	}
	return 0;
}

int ami_parse_fingerprint(const char *text, unsigned char out[32])
{
	size_t n = 0;
	int half = -1;
	for (const char *s = text; *s; s++) {
		if (*s == ':' || *s == ' ')
			continue;
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;
		if (half < 0) {
			half = v;
		} else {
			if (n == 32)
				return -1;
			out[n++] = (unsigned char)(half << 4 | v);
			half = -1;
		}
	}
	return (n == 32 && half < 0) ? 0 : -1;
}

void ami_format_fingerprint(const unsigned char fp[32], char out[96])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < 32; i++) {
		if (i)
			out[o++] = ':';
		out[o++] = hex[fp[i] >> 4];
		out[o++] = hex[fp[i] & 15];
	}
	out[o] = '\0';
}

/* ---------- messages ---------- */

void ami_msg_init(struct ami_msg *m)
{
	m->hdr = NULL;
	m->n = m->cap = 0;
	m->err[0] = '\0';
}

void ami_msg_free(struct ami_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->hdr[i].key);   /* the value lives in the key's block (ami_msg_push) */
	free(m->hdr);
	ami_msg_init(m);
}

struct ami_msg *ami_msg_new(void)
{
	struct ami_msg *m = ami_xmalloc(sizeof *m);
	ami_msg_init(m);
	return m;
}

void ami_msg_destroy(struct ami_msg *m)
{
	if (!m)
		return;
	ami_msg_free(m);
	free(m);
}

static bool key_char_ok(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-';
}

int ami_msg_check_header(const char *key, const char *value, size_t value_len, char *err, size_t errlen)
{
	size_t klen = key ? strlen(key) : 0;
	if (klen == 0) {
		ami_seterr(err, errlen, "AMI header with an empty name");
		return -1;
	}
	for (size_t i = 0; i < klen; i++) {
		if (!key_char_ok((unsigned char)key[i])) {
			/* Quote only the safe prefix: the bad byte may be a line break. */
			ami_seterr(err, errlen, "AMI header name '%.*s...': character %zu is not one of [A-Za-z0-9_-]",
			           (int)(i > 60 ? 60 : i), key, i + 1);
			return -1;
		}
	}
	if (!value) {
		ami_seterr(err, errlen, "AMI header '%.60s': missing value", key);
		return -1;
	}
	for (size_t i = 0; i < value_len; i++) {
		const char *what = NULL;
		if (value[i] == '\r')
			what = "a carriage return (CR)";
		else if (value[i] == '\n')
			what = "a line feed (LF)";
		else if (value[i] == '\0')
			what = "a NUL byte";
		if (what) {
			ami_seterr(err, errlen, "AMI header '%.60s': value contains %s", key, what);
			return -1;
		}
	}
	size_t line = klen + 2 + value_len + 2;
	if (line > AMI_MAX_LINE_BYTES) {
		ami_seterr(err, errlen, "AMI header '%.60s': line is %zu bytes, limit %d", key, line,
		           AMI_MAX_LINE_BYTES);
		return -1;
	}
	return 0;
}

/* Appends copies without validation (the parser's input is what Asterisk sent): key and value in one block,
 * one allocation per header, the value after the key's NUL. */
void ami_msg_push(struct ami_msg *m, const char *key, size_t klen, const char *value, size_t vlen)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;   /* a Cdr event has 20 headers, a Newchannel 18 */
		m->hdr = ami_xrealloc(m->hdr, m->cap * sizeof *m->hdr);
	}
	char *block = ami_xmalloc(klen + vlen + 2);
	memcpy(block, key, klen);
	block[klen] = '\0';
	memcpy(block + klen + 1, value, vlen);
	block[klen + 1 + vlen] = '\0';
	m->hdr[m->n].key = block;
	m->hdr[m->n].value = block + klen + 1;
	m->n++;
}

int ami_msg_add_len(struct ami_msg *m, const char *key, const char *value, size_t value_len)
{
	if (m->err[0])
		return -1;
	if (ami_msg_check_header(key, value, value_len, m->err, sizeof m->err) != 0)
		return -1;
	if (m->n >= AMI_MAX_LINES) {
		ami_seterr(m->err, sizeof m->err, "AMI header '%.60s': message would exceed %d lines", key,
		           AMI_MAX_LINES);
		return -1;
	}
	ami_msg_push(m, key, strlen(key), value ? value : "", value ? value_len : 0);
	return 0;
}

int ami_msg_add(struct ami_msg *m, const char *key, const char *value)
{
	return ami_msg_add_len(m, key, value, value ? strlen(value) : 0);
}

const char *ami_msg_get(const struct ami_msg *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcasecmp(m->hdr[i].key, key) == 0)
			return m->hdr[i].value;
	return NULL;
}

size_t ami_msg_count(const struct ami_msg *m, const char *key)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		if (strcasecmp(m->hdr[i].key, key) == 0)
			n++;
	return n;
}

struct ami_msg *ami_msg_dup(const struct ami_msg *m)
{
	struct ami_msg *d = ami_msg_new();
	for (size_t i = 0; i < m->n; i++)
		ami_msg_push(d, m->hdr[i].key, strlen(m->hdr[i].key), m->hdr[i].value, strlen(m->hdr[i].value));
	memcpy(d->err, m->err, sizeof d->err);
	return d;
}

int ami_msg_serialize(const struct ami_msg *m, const char *action_id, struct buf *out, char *err, size_t errlen)
{
	if (m->err[0]) {
		ami_seterr(err, errlen, "%s", m->err);
		return -1;
	}
	if (m->n == 0) {
		ami_seterr(err, errlen, "AMI message is empty");
		return -1;
	}
	size_t lines = m->n + (action_id ? 1 : 0);
	if (lines > AMI_MAX_LINES) {
		ami_seterr(err, errlen, "AMI message has %zu lines, limit %d", lines, AMI_MAX_LINES);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct ami_header *h = &m->hdr[i];
		if (ami_msg_check_header(h->key, h->value, strlen(h->value), err, errlen) != 0)
			return -1;
		if (action_id && strcasecmp(h->key, "ActionID") == 0) {
			ami_seterr(err, errlen, "AMI header 'ActionID' is set by the library, not by callers");
			return -1;
		}
	}
	if (action_id && ami_msg_check_header("ActionID", action_id, strlen(action_id), err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		buf_puts(out, m->hdr[i].key);
		buf_puts(out, ": ");
		buf_puts(out, m->hdr[i].value);
		buf_puts(out, "\r\n");
	}
	if (action_id) {
		buf_puts(out, "ActionID: ");
		buf_puts(out, action_id);
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "\r\n");
	return 0;
}

/* ---------- name checks ---------- */

int ami_category_name_check(const char *name, char *err, size_t errlen)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0) {
		ami_seterr(err, errlen, "category name is empty");
		return -1;
	}
	if (len > AMI_MAX_CATEGORY_LEN) {
		ami_seterr(err, errlen, "category name is %zu bytes, limit %d", len, AMI_MAX_CATEGORY_LEN);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f) {
			ami_seterr(err, errlen, "category name: character %zu is a space, control or non-ASCII byte",
			           i + 1);
			return -1;
		}
		if (strchr("[];()!+=\"\\,#", c)) {
			ami_seterr(err, errlen, "category name: character %zu '%c' is not allowed", i + 1, c);
			return -1;
		}
	}
	return 0;
}

int ami_filename_check(const char *name, char *err, size_t errlen)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > 128) {
		ami_seterr(err, errlen, "config file name must be 1..128 bytes");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		bool starts_part = i == 0 || name[i - 1] == '/';
		if (starts_part && (c == '.' || c == '/')) {
			ami_seterr(err, errlen, "config file name: a part must not be empty or start with '.'");
			return -1;
		}
		if (!(isalnum(c) || c == '.' || c == '_' || c == '-' || (c == '/' && i + 1 < len))) {
			ami_seterr(err, errlen, "config file name: character %zu is not one of [A-Za-z0-9._-/]", i + 1);
			return -1;
		}
	}
	return 0;
}

int ami_varname_check(const char *name, char *err, size_t errlen)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > 79) {
		ami_seterr(err, errlen, "config variable name must be 1..79 bytes");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!(isalnum(c) || c == '.' || c == '_' || c == '-')) {
			ami_seterr(err, errlen, "config variable name: character %zu is not one of [A-Za-z0-9_.-]",
			           i + 1);
			return -1;
		}
	}
	return 0;
}

/* ---------- parser ---------- */

struct ami_parser_item {
	struct ami_msg *msg;
	struct ami_parser_item *next;
};

void ami_parser_init(struct ami_parser *p, bool want_banner)
{
	memset(p, 0, sizeof *p);
	p->want_banner = want_banner;
}

void ami_parser_free(struct ami_parser *p)
{
	struct ami_msg *m;
	while ((m = ami_parser_next(p)) != NULL)
		ami_msg_destroy(m);
	ami_msg_destroy(p->cur);
	free(p->line);
	free(p->banner);
	memset(p, 0, sizeof *p);
}

struct ami_msg *ami_parser_next(struct ami_parser *p)
{
	struct ami_parser_item *it = p->head;
	if (!it)
		return NULL;
	p->head = it->next;
	if (!p->head)
		p->tail = NULL;
	struct ami_msg *m = it->msg;
	free(it);
	return m;
}

static void parser_finish_msg(struct ami_parser *p)
{
	struct ami_parser_item *it = ami_xmalloc(sizeof *it);
	it->msg = p->cur;
	it->next = NULL;
	if (p->tail)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	p->cur = NULL;
	p->cur_bytes = 0;
	p->follows = 0;
}

static void parser_add(struct ami_parser *p, const char *key, size_t klen, const char *value, size_t vlen)
{
	if (!p->cur)
		p->cur = ami_msg_new();
	ami_msg_push(p->cur, key, klen, value, vlen);
}

static const char END_COMMAND[] = "--END COMMAND--";

/* Handles one complete line (without its line ending). Returns 0 or -1 on a protocol error. */
static int parser_line(struct ami_parser *p, const char *s, size_t len)
{
	if (memchr(s, '\0', len)) {
		ami_seterr(p->err, sizeof p->err, "AMI protocol error: NUL byte in a line");
		return -1;
	}
	if (p->want_banner) {
		p->want_banner = false;
		p->banner = ami_xstrndup(s, len);
		return 0;
	}
	p->cur_bytes += len + 2 + AMI_HEADER_COST;
	if (p->cur_bytes > AMI_PARSER_MAX_MSG_COST) {
		ami_seterr(p->err, sizeof p->err, "AMI protocol error: message larger than %d bytes (headers counted "
		           "at %d bytes each)", AMI_PARSER_MAX_MSG_COST, AMI_HEADER_COST);
		return -1;
	}
	if (p->follows == 2) {
		/* Old Command format: raw output lines until --END COMMAND-- (possibly glued to the last line). */
		size_t el = sizeof END_COMMAND - 1;
		if (len >= el && memcmp(s + len - el, END_COMMAND, el) == 0) {
			if (len > el)
				parser_add(p, "Output", 6, s, len - el);
			p->follows = 3;   /* the empty line that follows ends the message */
			return 0;
		}
		parser_add(p, "Output", 6, s, len);
		return 0;
	}
	const char *colon = memchr(s, ':', len);
	if (p->follows == 1) {
		/* Only Privilege and ActionID are headers of a Follows answer; anything else (an empty line
		 * included) starts the raw output, which only --END COMMAND-- ends. */
		size_t klen = colon ? (size_t)(colon - s) : 0;
		bool hdr = colon && ((klen == 9 && strncasecmp(s, "Privilege", 9) == 0) ||
		                     (klen == 8 && strncasecmp(s, "ActionID", 8) == 0));
		if (!hdr) {
			p->follows = 2;
			p->cur_bytes -= len + 2 + AMI_HEADER_COST;
			return parser_line(p, s, len);
		}
	}
	if (len == 0) {
		/* An empty line outside a message (Asterisk sometimes sends one extra) is ignored. */
		if (p->cur)
			parser_finish_msg(p);
		return 0;
	}
	if (!colon) {
		/* A bare line such as GetConfig's "No categories found": kept as a key with an empty value. */
		parser_add(p, s, len, "", 0);
		return 0;
	}
	size_t klen = (size_t)(colon - s);
	const char *v = colon + 1;
	size_t vlen = len - klen - 1;
	if (vlen && *v == ' ') {   /* exactly one space: Output lines keep their own leading spaces */
		v++;
		vlen--;
	}
	parser_add(p, s, klen, v, vlen);
	if (p->cur->n == 1 && p->follows == 0 && klen == 8 && strncasecmp(s, "Response", 8) == 0 && vlen == 7 &&
	    strncasecmp(v, "Follows", 7) == 0)
		p->follows = 1;
	return 0;
}

int ami_parser_feed(struct ami_parser *p, const char *data, size_t len)
{
	if (p->err[0])
		return -1;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		if (p->line_len + take > AMI_PARSER_MAX_LINE) {
			ami_seterr(p->err, sizeof p->err, "AMI protocol error: line longer than %d bytes",
			           AMI_PARSER_MAX_LINE);
			return -1;
		}
		if (p->line_len + take + 1 > p->line_cap) {
			size_t cap = p->line_cap ? p->line_cap : 256;
			while (cap < p->line_len + take + 1)
				cap *= 2;
			p->line = ami_xrealloc(p->line, cap);
			p->line_cap = cap;
		}
		memcpy(p->line + p->line_len, data, take);
		p->line_len += take;
		data += take;
		len -= take;
		if (!nl)
			break;
		data++;
		len--;
		size_t l = p->line_len;
		if (l && p->line[l - 1] == '\r')
			l--;
		p->line_len = 0;
		if (p->follows == 3) {
			/* After --END COMMAND--: the next line is normally the empty line ending the message. */
			if (l == 0) {
				parser_finish_msg(p);
				continue;
			}
			p->follows = 0;
		}
		if (parser_line(p, p->line, l) != 0)
			return -1;
	}
	return 0;
}

/* ---------- results ---------- */

void ami_result_init(struct ami_result *r)
{
	memset(r, 0, sizeof *r);
}

void ami_result_free(struct ami_result *r)
{
	ami_msg_destroy(r->response);
	for (size_t i = 0; i < r->n_events; i++)
		ami_msg_destroy(r->events[i]);
	free(r->events);
	ami_msg_destroy(r->complete);
	ami_result_init(r);
}

const char *ami_status_name(enum ami_status s)
{
	switch (s) {
	case AMI_OK: return "ok";
	case AMI_ERROR: return "error";
	case AMI_UNREACHABLE: return "unreachable";
	case AMI_UNKNOWN_OUTCOME: return "unknown-outcome";
	case AMI_INVALID: return "invalid";
	}
	return "?";
}

enum ami_refusal ami_refusal_of(const char *message)
{
	static const struct {
		const char *words;
		bool prefix;   /* the words are followed by a name */
		enum ami_refusal kind;
	} known[] = {
		{ "Config file not found", false, AMI_REFUSAL_FILE_NOT_FOUND },
		{ "Config file has invalid format", false, AMI_REFUSAL_FILE_INVALID },
		{ "File requires escalated privileges", false, AMI_REFUSAL_FILE_PRIVILEGES },
		{ "File exists", false, AMI_REFUSAL_FILE_EXISTS },
		{ "No such file or directory", false, AMI_REFUSAL_NO_DIRECTORY },
		{ "A reload is in progress", false, AMI_REFUSAL_RELOAD_IN_PROGRESS },
		{ "Asterisk is shutting down", false, AMI_REFUSAL_SHUTTING_DOWN },
		{ "No Contacts found", false, AMI_REFUSAL_EMPTY_LIST },
		{ "No endpoints found", false, AMI_REFUSAL_EMPTY_LIST },
		{ "No AORs found", false, AMI_REFUSAL_EMPTY_LIST },
		{ "No Auths found", false, AMI_REFUSAL_EMPTY_LIST },
		{ "Did not find context ", true, AMI_REFUSAL_EMPTY_LIST },
	};
	if (!message)
		return AMI_REFUSAL_OTHER;
	/* Some list refusals end in a stray LF (ami.md); the parser may leave trailing white space. */
	size_t len = strlen(message);
	while (len && (message[len - 1] == '\n' || message[len - 1] == '\r' || message[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t n = strlen(known[i].words);
		if (known[i].prefix ? len > n && strncmp(message, known[i].words, n) == 0
				    : len == n && strncmp(message, known[i].words, n) == 0)
			return known[i].kind;
	}
	return AMI_REFUSAL_OTHER;
}

enum ami_status ami_result_set(struct ami_result *r, enum ami_status s, const char *fmt, ...)
{
	r->status = s;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	return s;
}

size_t ami_msg_cost(const struct ami_msg *m)
{
	size_t cost = 2;   /* the empty line */
	for (size_t i = 0; i < m->n; i++)
		cost += strlen(m->hdr[i].key) + strlen(m->hdr[i].value) + 4 + AMI_HEADER_COST;
	return cost;
}
