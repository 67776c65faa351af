/* cdr: Cdr events and Master.csv records → struct call (see cdr.h). */
#include "pbx/cdr.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "pbx/trunk_config.h"

/* Master.csv has at most 16 + uniqueid + userfield + 3 newcdrcolumns. */
#define CSV_MAX_COLUMNS 21
#define CSV_BASE_COLUMNS 16

int cdr_parse_time(const char *text, bool utc, int64_t *out)
{
	/* Exactly "YYYY-MM-DD HH:MM:SS" (ast_strftime's "%Y-%m-%d %T"): digits where digits belong. */
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	if (!text || strlen(text) != sizeof shape - 1)
		return -1;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != shape[i])
			return -1;
	int y = atoi(text), mo = atoi(text + 5), d = atoi(text + 8), h = atoi(text + 11), mi = atoi(text + 14),
	    s = atoi(text + 17);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	/* tm_isdst = -1: the zone's rules say whether that wall-clock time is summer time. An hour repeated when
	 * the clocks go back is read one way, the same for both sources, and the key is made of the text anyway. */
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_sec = s, .tm_isdst = -1 };
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

void cdr_channel_endpoint(const char *channel, char *out, size_t size)
{
	out[0] = '\0';
	const char *res = NULL;
	if (strncmp(channel, "PJSIP/", 6) == 0)
		res = channel + 6;
	else if (strncmp(channel, "SIP/", 4) == 0)
		res = channel + 4;
	if (!res)
		return;
	/* The channel's own suffix: "-" and 8 hex digits (a counter Asterisk adds to the endpoint's name). */
	size_t n = strlen(res);
	const char *dash = strrchr(res, '-');
	if (dash && strlen(dash + 1) == 8 && strspn(dash + 1, "0123456789abcdefABCDEF") == 8)
		n = (size_t)(dash - res);
	if (n == 0 || n >= size)
		return;
	memcpy(out, res, n);
	out[n] = '\0';
}

static bool is_trunk_endpoint(const char *endpoint)
{
	return strncmp(endpoint, PBX_TRUNK_PREFIX, sizeof PBX_TRUNK_PREFIX - 1) == 0 &&
	       endpoint[sizeof PBX_TRUNK_PREFIX - 1] != '\0';
}

void cdr_resolve_sides(struct call *c, cdr_is_phone_fn is_phone, void *ctx)
{
	char from[CALL_CHANNEL_MAX], to[CALL_CHANNEL_MAX];
	cdr_channel_endpoint(c->channel, from, sizeof from);
	cdr_channel_endpoint(c->dstchannel, to, sizeof to);
	c->from_ext[0] = c->to_ext[0] = '\0';
	if (is_phone && *from && strlen(from) < CALL_EXT_MAX && is_phone(ctx, from))
		memcpy(c->from_ext, from, strlen(from) + 1);
	if (is_phone && *to && strlen(to) < CALL_EXT_MAX && is_phone(ctx, to))
		memcpy(c->to_ext, to, strlen(to) + 1);
	if (is_trunk_endpoint(from))
		c->direction = CALL_INBOUND;
	else if (is_trunk_endpoint(to))
		c->direction = CALL_OUTBOUND;
	else
		c->direction = CALL_INTERNAL;
}

/* Copies the n bytes at src into dst (size bytes), cutting an over-long value at a UTF-8 character boundary so
 * that what is stored stays valid text. */
static void copy_cut_n(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void copy_cut(char *dst, size_t size, const char *src)
{
	copy_cut_n(dst, size, src, strlen(src));
}

/* Copies a field the key and the filters are made of: refused rather than cut. */
static int copy_whole(char *dst, size_t size, const char *src, const char *name, char *why, size_t whylen)
{
	size_t n = strlen(src);
	if (n >= size) {
		snprintf(why, whylen, "%s: longer than %zu bytes", name, size - 1);
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

static int parse_seconds(const char *text, int *out)
{
	if (!text || !isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	char *end;
	long long v = strtoll(text, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* "ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION": ast_cdr_disp2str()'s words. */
static int parse_disposition(const char *text, enum call_disposition *out)
{
	static const struct {
		const char *word;
		enum call_disposition d;
	} words[] = {
		{ "ANSWERED", CALL_ANSWERED }, { "NO ANSWER", CALL_NO_ANSWER }, { "BUSY", CALL_BUSY },
		{ "FAILED", CALL_FAILED },     { "CONGESTION", CALL_FAILED },
	};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(text, words[i].word) == 0) {
			*out = words[i].d;
			return 0;
		}
	return -1;
}

/* "\"Alice\" <201>" → name Alice, number 201; "<201>" and "201" → number only; "Alice" → name only (what
 * ast_callerid_split makes of them). */
static void split_clid(const char *clid, struct call *c)
{
	c->clid_name[0] = c->clid_num[0] = '\0';
	size_t len = strlen(clid);
	const char *lt = strrchr(clid, '<');
	const char *name = clid;
	size_t name_len = len;
	if (lt && len > 0 && clid[len - 1] == '>') {
		copy_cut_n(c->clid_num, sizeof c->clid_num, lt + 1, (size_t)(clid + len - 1 - (lt + 1)));
		name_len = (size_t)(lt - clid);
	} else if (len > 0 && strspn(clid, "0123456789+*#") == len) {
		copy_cut(c->clid_num, sizeof c->clid_num, clid);
		return;
	}
	while (name_len > 0 && isspace((unsigned char)name[name_len - 1]))
		name_len--;
	while (name_len > 0 && isspace((unsigned char)*name)) {
		name++;
		name_len--;
	}
	if (name_len >= 2 && name[0] == '"' && name[name_len - 1] == '"') {
		name++;
		name_len -= 2;
	}
	copy_cut_n(c->clid_name, sizeof c->clid_name, name, name_len);
}

/* The start time in 16 hex digits (calls.h: inserts in time order), then the first 128 bits of the SHA-256
 * of what both sources say of a call, each part followed by a NUL (no part holds one, so the boundaries
 * cannot shift between parts): the channels, numbers and disposition as Asterisk wrote them, and the times as
 * the instants they name (Unix seconds), so that a Master.csv written in UTC (usegmtime=yes) and the
 * local-time event of the same call agree. */
static int make_key(const struct cdr_fields *f, const struct call *c, char out[CALL_KEY_SIZE])
{
	char start[24], answer[24], end[24];
	snprintf(start, sizeof start, "%lld", (long long)c->start);
	snprintf(answer, sizeof answer, "%lld", (long long)c->answer);
	snprintf(end, sizeof end, "%lld", (long long)c->end);
	const char *parts[] = { f->channel, f->dstchannel, start, answer, end, f->src, f->dst, f->disposition };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < sizeof parts / sizeof *parts; i++) {
		const char *p = parts[i] ? parts[i] : "";
		ok = EVP_DigestUpdate(ctx, p, strlen(p) + 1) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len == 32;
	EVP_MD_CTX_free(ctx);
	enum { TIME_HEX = 16, HASH_BYTES = (CALL_KEY_SIZE - 1 - TIME_HEX) / 2 };
	snprintf(out, CALL_KEY_SIZE, "%016llx", (unsigned long long)c->start);
	size_t hex_len = 0;
	if (!ok || OPENSSL_buf2hexstr_ex(out + TIME_HEX, CALL_KEY_SIZE - TIME_HEX, &hex_len, md, HASH_BYTES,
					 '\0') != 1)
		return -1;
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

int cdr_from_fields(const struct cdr_fields *f, cdr_is_phone_fn is_phone, void *ctx, struct call *out, char *why,
		    size_t whylen)
{
	memset(out, 0, sizeof *out);
	static const struct {
		const char *name;
		size_t offset;
	} required[] = {
		{ "Channel", offsetof(struct cdr_fields, channel) },
		{ "StartTime", offsetof(struct cdr_fields, start) },
		{ "EndTime", offsetof(struct cdr_fields, end) },
		{ "Duration", offsetof(struct cdr_fields, duration) },
		{ "BillableSeconds", offsetof(struct cdr_fields, billsec) },
		{ "Disposition", offsetof(struct cdr_fields, disposition) },
	};
	for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
		const char *v = *(const char *const *)((const char *)f + required[i].offset);
		if (!v || (!*v && i == 0)) {
			snprintf(why, whylen, "%s: missing", required[i].name);
			return -1;
		}
	}
	if (cdr_parse_time(f->start, f->utc, &out->start) != 0) {
		snprintf(why, whylen, "StartTime: not a date (YYYY-MM-DD HH:MM:SS)");
		return -1;
	}
	if (f->answer && *f->answer && cdr_parse_time(f->answer, f->utc, &out->answer) != 0) {
		snprintf(why, whylen, "AnswerTime: not a date (YYYY-MM-DD HH:MM:SS)");
		return -1;
	}
	if (cdr_parse_time(f->end, f->utc, &out->end) != 0) {
		snprintf(why, whylen, "EndTime: not a date (YYYY-MM-DD HH:MM:SS)");
		return -1;
	}
	if (parse_seconds(f->duration, &out->duration) != 0) {
		snprintf(why, whylen, "Duration: not a number of seconds");
		return -1;
	}
	if (parse_seconds(f->billsec, &out->billsec) != 0) {
		snprintf(why, whylen, "BillableSeconds: not a number of seconds");
		return -1;
	}
	if (parse_disposition(f->disposition, &out->disposition) != 0) {
		snprintf(why, whylen, "Disposition: unknown");
		return -1;
	}
	if (copy_whole(out->src, sizeof out->src, f->src ? f->src : "", "Source", why, whylen) != 0 ||
	    copy_whole(out->dst, sizeof out->dst, f->dst ? f->dst : "", "Destination", why, whylen) != 0 ||
	    copy_whole(out->channel, sizeof out->channel, f->channel, "Channel", why, whylen) != 0 ||
	    copy_whole(out->dstchannel, sizeof out->dstchannel, f->dstchannel ? f->dstchannel : "",
		       "DestinationChannel", why, whylen) != 0)
		return -1;
	copy_cut(out->dcontext, sizeof out->dcontext, f->dcontext ? f->dcontext : "");
	copy_cut(out->lastapp, sizeof out->lastapp, f->lastapp ? f->lastapp : "");
	copy_cut(out->uniqueid, sizeof out->uniqueid, f->uniqueid ? f->uniqueid : "");
	split_clid(f->clid ? f->clid : "", out);
	if (make_key(f, out, out->key) != 0) {
		snprintf(why, whylen, "cannot compute the key (SHA-256)");
		return -1;
	}
	time_t start = (time_t)out->start;
	struct tm tm;
	if (!localtime_r(&start, &tm)) {
		snprintf(why, whylen, "StartTime: out of range");
		return -1;
	}
	out->day = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	out->hour = tm.tm_hour;
	out->dow = (tm.tm_wday + 6) % 7;
	cdr_resolve_sides(out, is_phone, ctx);
	return 0;
}

int cdr_from_event(const struct ami_msg *ev, cdr_is_phone_fn is_phone, void *ctx, struct call *out, char *why,
		   size_t whylen)
{
	struct cdr_fields f = {
		.src = ami_msg_get(ev, "Source"),
		.dst = ami_msg_get(ev, "Destination"),
		.dcontext = ami_msg_get(ev, "DestinationContext"),
		.clid = ami_msg_get(ev, "CallerID"),
		.channel = ami_msg_get(ev, "Channel"),
		.dstchannel = ami_msg_get(ev, "DestinationChannel"),
		.lastapp = ami_msg_get(ev, "LastApplication"),
		.start = ami_msg_get(ev, "StartTime"),
		.answer = ami_msg_get(ev, "AnswerTime"),
		.end = ami_msg_get(ev, "EndTime"),
		.duration = ami_msg_get(ev, "Duration"),
		.billsec = ami_msg_get(ev, "BillableSeconds"),
		.disposition = ami_msg_get(ev, "Disposition"),
		.uniqueid = ami_msg_get(ev, "UniqueID"),
	};
	return cdr_from_fields(&f, is_phone, ctx, out, why, whylen);
}

bool cdr_csv_record_complete(const char *text)
{
	size_t quotes = 0;
	for (const char *p = text; *p; p++)
		quotes += *p == '"';
	return quotes % 2 == 0;
}

/* Splits a record in place (buf is a copy the caller owns): a quoted field ends at a lone '"' and its doubled
 * quotes become one; an unquoted field ends at ','. Returns the number of columns, or -1 with why. */
static int split_csv(char *buf, char *cols[CSV_MAX_COLUMNS], char *why, size_t whylen)
{
	int n = 0;
	char *p = buf;
	for (;;) {
		if (n == CSV_MAX_COLUMNS) {
			snprintf(why, whylen, "more than %d columns", CSV_MAX_COLUMNS);
			return -1;
		}
		char *w = p;
		cols[n++] = w;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0') {
					snprintf(why, whylen, "column %d: quote not closed", n);
					return -1;
				}
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			if (*p != ',' && *p != '\0') {
				snprintf(why, whylen, "column %d: text after the closing quote", n);
				return -1;
			}
		} else {
			while (*p && *p != ',') {
				if (*p == '"') {
					snprintf(why, whylen, "column %d: quote inside an unquoted value", n);
					return -1;
				}
				*w++ = *p++;
			}
		}
		bool more = *p == ',';
		*w = '\0';
		if (!more)
			return n;
		p++;
	}
}

static bool looks_like_uniqueid(const char *s)
{
	size_t digits = strspn(s, "0123456789");
	return digits > 0 && s[digits] == '.' && s[digits + 1] != '\0' &&
	       strspn(s + digits + 1, "0123456789") == strlen(s + digits + 1);
}

int cdr_from_csv(const char *record, bool utc, cdr_is_phone_fn is_phone, void *ctx, struct call *out, char *why,
		 size_t whylen)
{
	size_t len = strlen(record);
	while (len > 0 && (record[len - 1] == '\n' || record[len - 1] == '\r'))
		len--;
	char *buf = malloc(len + 1);
	if (!buf)
		abort();
	memcpy(buf, record, len);
	buf[len] = '\0';
	char *cols[CSV_MAX_COLUMNS];
	int n = split_csv(buf, cols, why, whylen);
	int rc = -1;
	if (n < 0)
		goto out;
	if (n < CSV_BASE_COLUMNS) {
		snprintf(why, whylen, "%d columns, Master.csv has at least %d", n, CSV_BASE_COLUMNS);
		goto out;
	}
	/* 17 or 20 columns: one of uniqueid/userfield (ambiguous: told apart by the uniqueid's shape); 18 or 21:
	 * both; 16 or 19: neither. */
	int extra = n - CSV_BASE_COLUMNS >= 3 ? n - CSV_BASE_COLUMNS - 3 : n - CSV_BASE_COLUMNS;
	const char *uniqueid = NULL;
	if (extra == 2 || (extra == 1 && looks_like_uniqueid(cols[CSV_BASE_COLUMNS])))
		uniqueid = cols[CSV_BASE_COLUMNS];
	struct cdr_fields f = {
		.src = cols[1], .dst = cols[2], .dcontext = cols[3], .clid = cols[4], .channel = cols[5],
		.dstchannel = cols[6], .lastapp = cols[7], .start = cols[9], .answer = cols[10], .end = cols[11],
		.duration = cols[12], .billsec = cols[13], .disposition = cols[14], .uniqueid = uniqueid,
		.utc = utc,
	};
	rc = cdr_from_fields(&f, is_phone, ctx, out, why, whylen);
out:
	free(buf);
	return rc;
}
