/* form: urlencoded parsing (bounded, allocation-light) and table-driven validation. */
#include "web/form.h"

#include "util/text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Decodes src[0..len) into dst (which has room for len + 1). Returns decoded length or -1. */
static long decode(const char *src, size_t len, char *dst)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '+') {
			dst[o++] = ' ';
		} else if (src[i] == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -1;
			hi = hex_digit_value((unsigned char)src[i + 1]);
			lo = hex_digit_value((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
	return (long)o;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

enum form_parse_status form_parse(const char *data, size_t len, struct form_pairs *pairs)
{
	memset(pairs, 0, sizeof *pairs);
	if (len == 0)
		return FORM_OK;
	/* Decoded text is never longer than the input; +2 per pair for the NULs of name and value. */
	char *storage = malloc(len + 2 * FORM_MAX_FIELDS + 2);
	if (!storage)
		abort();
	char *w = storage;
	enum form_parse_status st = FORM_OK;
	size_t pos = 0;
	while (pos < len) {
		const char *piece = data + pos;
		const char *amp = memchr(piece, '&', len - pos);
		size_t plen = amp ? (size_t)(amp - piece) : len - pos;
		pos += plen + (amp ? 1 : 0);
		if (plen == 0)
			continue;
		if (pairs->count == FORM_MAX_FIELDS) {
			st = FORM_TOO_MANY_FIELDS;
			break;
		}
		const char *eq = memchr(piece, '=', plen);
		size_t nlen = eq ? (size_t)(eq - piece) : plen;
		size_t vlen = eq ? plen - nlen - 1 : 0;
		if (nlen > FORM_MAX_NAME * 3) { /* cheap pre-check before decoding */
			st = FORM_NAME_TOO_LONG;
			break;
		}
		struct form_pair *p = &pairs->items[pairs->count];
		p->name = w;
		long n = decode(piece, nlen, w);
		if (n < 0) {
			st = FORM_BAD_ESCAPE;
			break;
		}
		if (n > FORM_MAX_NAME) {
			st = FORM_NAME_TOO_LONG;
			break;
		}
		if ((size_t)n != strlen(w) || !valid_name(w)) {
			st = FORM_BAD_NAME;
			break;
		}
		w += n + 1;
		p->value = w;
		n = decode(eq ? eq + 1 : "", vlen, w);
		if (n < 0) {
			st = FORM_BAD_ESCAPE;
			break;
		}
		if (n > FORM_MAX_VALUE) {
			st = FORM_VALUE_TOO_LONG;
			break;
		}
		p->value_len = (size_t)n;
		w += n + 1;
		pairs->count++;
	}
	if (st != FORM_OK) {
		free(storage);
		memset(pairs, 0, sizeof *pairs);
		return st;
	}
	pairs->storage = storage;
	return FORM_OK;
}

void form_pairs_free(struct form_pairs *pairs)
{
	free(pairs->storage);
	memset(pairs, 0, sizeof *pairs);
}

const char *form_parse_status_text(enum form_parse_status st)
{
	switch (st) {
	case FORM_OK: return "ok";
	case FORM_TOO_MANY_FIELDS: return "too many fields";
	case FORM_NAME_TOO_LONG: return "field name too long";
	case FORM_VALUE_TOO_LONG: return "field value too long";
	case FORM_BAD_ESCAPE: return "malformed percent-escape";
	case FORM_BAD_NAME: return "invalid field name";
	}
	return "?";
}

/* Index of the only pair named name: -1 absent, -2 duplicated. */
static int find_pair(const struct form_pairs *pairs, const char *name)
{
	int found = -1;
	for (size_t i = 0; i < pairs->count; i++) {
		if (strcmp(pairs->items[i].name, name) == 0) {
			if (found >= 0)
				return -2;
			found = (int)i;
		}
	}
	return found;
}

const char *form_pairs_get(const struct form_pairs *pairs, const char *name)
{
	int i = find_pair(pairs, name);
	return i >= 0 ? pairs->items[i].value : NULL;
}

static char *dup_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

bool form_validate(const struct form_def *def, const struct form_pairs *pairs, struct form_result *res)
{
	memset(res, 0, sizeof *res);
	res->def = def;
	char *scratch = malloc(FORM_MAX_VALUE + 1);
	if (!scratch)
		abort();
	for (size_t i = 0; i < def->count && i < FORM_MAX_FIELDS; i++) {
		const struct form_field *f = &def->fields[i];
		int idx = find_pair(pairs, f->name);
		if (idx == -2) {
			res->values[i] = dup_bytes("", 0);
			res->errors[i] = "duplicate";
			res->error_count++;
			continue;
		}
		const char *v = idx >= 0 ? pairs->items[idx].value : "";
		size_t len = idx >= 0 ? pairs->items[idx].value_len : 0;
		res->typed[i] = dup_bytes(v, strnlen(v, len));
		if (len == 0) {
			res->values[i] = dup_bytes("", 0);
			if (f->required) {
				res->errors[i] = "required";
				res->error_count++;
			}
			continue;
		}
		memcpy(scratch, v, len);
		scratch[len] = '\0';
		const char *err = f->validate ? f->validate(f, v, len, scratch) : NULL;
		if (err) {
			/* Keep what the user typed, minus NULs, so the re-rendered form shows it. */
			res->values[i] = dup_bytes(v, strnlen(v, len));
			res->errors[i] = err;
			res->error_count++;
		} else {
			res->values[i] = dup_bytes(scratch, strlen(scratch));
		}
	}
	free(scratch);
	return res->error_count == 0;
}

void form_result_free(struct form_result *res)
{
	for (size_t i = 0; i < FORM_MAX_FIELDS; i++) {
		free(res->values[i]);
		free(res->typed[i]);
	}
	memset(res, 0, sizeof *res);
}

static int field_index(const struct form_result *res, const char *name)
{
	if (!res->def)
		return -1;
	for (size_t i = 0; i < res->def->count; i++)
		if (strcmp(res->def->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *form_value(const struct form_result *res, const char *name)
{
	int i = field_index(res, name);
	return i >= 0 && res->values[i] ? res->values[i] : "";
}

const char *form_typed(const struct form_result *res, const char *name)
{
	int i = field_index(res, name);
	return i >= 0 && res->typed[i] ? res->typed[i] : "";
}

const char *form_error(const struct form_result *res, const char *name)
{
	int i = field_index(res, name);
	return i >= 0 ? res->errors[i] : NULL;
}

void form_set_error(struct form_result *res, const char *name, const char *message_key)
{
	int i = field_index(res, name);
	if (i < 0)
		return;
	if (!res->errors[i])
		res->error_count++;
	res->errors[i] = message_key;
}

/* Text fields: the one rule check of util/text, with the field's character limits. */
static const char *check_text(const struct form_field *f, const char *v, size_t len)
{
	struct text_rule rule = { (size_t)(f->min > 0 ? f->min : 0), (size_t)(f->max > 0 ? f->max : 0), 0, NULL };
	return text_problem_key(text_check(&rule, v, len, NULL));
}

const char *form_v_text(const struct form_field *f, const char *v, size_t len, char *out)
{
	if (memchr(v, '\0', len))
		return "control_chars";
	/* Surrounding spaces are never meaningful in a one-line field, and would make "bob" and "bob " two names. */
	const char *start = out;
	while (*start == ' ')
		start++;
	size_t n = strlen(start);
	while (n > 0 && start[n - 1] == ' ')
		n--;
	memmove(out, start, n);
	out[n] = '\0';
	if (n == 0)
		return "required";
	return check_text(f, out, n);
}

const char *form_v_password(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)out; /* passwords are taken exactly as typed */
	return check_text(f, v, len);
}

const char *form_v_choice(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)out;
	if (memchr(v, '\0', len) || memchr(v, '|', len))
		return "invalid_choice";
	for (const char *p = f->choices; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && memcmp(p, v, n) == 0)
			return NULL;
		p += n + (bar ? 1 : 0);
	}
	return "invalid_choice";
}

const char *form_v_digits(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)out;
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return "digits_only";
	if (f->min > 0 && (long)len < f->min)
		return "too_short";
	if (f->max > 0 && (long)len > f->max)
		return "too_long";
	return NULL;
}

const char *form_v_int(const struct form_field *f, const char *v, size_t len, char *out)
{
	if (len > 18)
		return "not_a_number";
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return "not_a_number";
	long long n = strtoll(v, NULL, 10);
	if (n < f->min || (f->max > 0 && n > f->max))
		return "out_of_range";
	snprintf(out, FORM_MAX_VALUE + 1, "%lld", n); /* canonical: no leading zeros */
	return NULL;
}

/* A real day of a year from 1971, so that any local midnight is after the epoch (0 means "unbounded" to the
 * filters that use it). */
const char *form_v_date(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	(void)out;
	if (len != 10 || v[4] != '-' || v[7] != '-')
		return "bad_date";
	for (size_t i = 0; i < len; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return "bad_date";
	int y = atoi(v), m = atoi(v + 5), d = atoi(v + 8);
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1971 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return "bad_date";
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return "bad_date";
	return NULL;
}

int64_t form_date_midnight(const char *date, int add_days)
{
	struct tm tm = { 0 };
	tm.tm_year = atoi(date) - 1900;
	tm.tm_mon = atoi(date + 5) - 1;
	tm.tm_mday = atoi(date + 8) + add_days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}
