/* request: cookies, Accept-Language, uploaded files by name, and response building helpers. */
#include "web/request.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void request_init(struct request *req)
{
	memset(req, 0, sizeof *req);
	req->method = "GET";
	req->path = "/";
	req->query = "";
	buf_init(&req->body);
}

void request_free(struct request *req)
{
	buf_free(&req->body);
	form_pairs_free(&req->form);
	form_pairs_free(&req->query_pairs);
	req->file_count = 0; /* the files point into the body, freed above */
}

const struct upload_file *request_file(const struct request *req, const char *name)
{
	const struct upload_file *found = NULL;
	for (size_t i = 0; i < req->file_count; i++) {
		if (strcmp(req->files[i].name, name) != 0)
			continue;
		if (found)
			return NULL;
		found = &req->files[i];
	}
	return found;
}

bool request_cookie(const struct request *req, const char *name, char *out, size_t outlen)
{
	const char *p = req->cookie_header;
	size_t nlen = strlen(name);
	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			if (vlen >= outlen)
				return false;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

const char *request_preferred_language(const struct request *req, const char *const *langs, size_t count)
{
	const char *p = req->accept_language;
	const char *best = NULL;
	double best_q = 0;
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[64];
		if (len < sizeof item) {
			memcpy(item, p, len);
			item[len] = '\0';
			double q = 1.0;
			char *semi = strchr(item, ';');
			if (semi) {
				*semi = '\0';
				const char *qs = strstr(semi + 1, "q=");
				if (qs)
					q = strtod(qs + 2, NULL);
			}
			char *dash = strchr(item, '-');
			if (dash)
				*dash = '\0';
			for (char *c = item; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			for (size_t i = 0; i < count; i++) {
				if (strcmp(item, langs[i]) == 0 && q > best_q) {
					best = langs[i];
					best_q = q;
				}
			}
		}
		p = end;
	}
	return best;
}

void response_init(struct response *res)
{
	memset(res, 0, sizeof *res);
	res->status = 200;
	buf_init(&res->headers);
	buf_init(&res->body);
	if (hdf_init(&res->hdf) != STATUS_OK)
		abort();
}

/* A response that becomes a redirect, a text or another stream no longer streams. */
static void drop_stream(struct response *res)
{
	if (res->stream.free)
		res->stream.free(res->stream.ctx);
	memset(&res->stream, 0, sizeof res->stream);
}

void response_free(struct response *res)
{
	drop_stream(res);
	buf_free(&res->headers);
	buf_free(&res->body);
	hdf_destroy(&res->hdf);
}

bool is_local_path(const char *s)
{
	if (!s || s[0] != '/' || s[1] == '/' || s[1] == '\\')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x21 || *p == 0x7F)
			return false;
	return strlen(s) < 1024;
}

void response_redirect(struct response *res, const char *local_path)
{
	res->status = 303;
	res->template = NULL;
	drop_stream(res);
	response_header(res, "Location", is_local_path(local_path) ? local_path : "/");
}

void response_header(struct response *res, const char *name, const char *value)
{
	/* Header values come from code, never raw user input; refuse line breaks all the same. */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return;
	buf_printf(&res->headers, "%s: %s\r\n", name, value);
}

void response_set_cookie(struct response *res, const char *name, const char *value, int max_age, bool secure)
{
	char line[512];
	snprintf(line, sizeof line, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", name, value,
		 secure ? "; Secure" : "", max_age < 0 ? "" : max_age == 0 ? "; Max-Age=0" : "");
	if (max_age > 0) {
		size_t n = strlen(line);
		snprintf(line + n, sizeof line - n, "; Max-Age=%d", max_age);
	}
	response_header(res, "Set-Cookie", line);
}

void response_text(struct response *res, int status, const char *text)
{
	res->status = status;
	res->template = NULL;
	drop_stream(res);
	res->content_type = "text/plain; charset=utf-8";
	buf_reset(&res->body);
	buf_puts(&res->body, text);
}

void response_stream(struct response *res, const char *content_type, int (*run)(void *, response_write_fn, void *),
		     void (*free_ctx)(void *), void *ctx)
{
	drop_stream(res);
	res->template = NULL;
	res->content_type = content_type;
	buf_reset(&res->body);
	res->stream = (struct response_stream){ run, free_ctx, ctx, false };
}

void response_set(struct response *res, const char *key, const char *value)
{
	hdf_set_value(res->hdf, key, value ? value : "");
}

void response_setf(struct response *res, const char *key, const char *fmt, ...)
{
	struct buf b;
	buf_init(&b);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	hdf_set_value(res->hdf, key, buf_cstr(&b));
	buf_free(&b);
}

void response_set_int(struct response *res, const char *key, long long value)
{
	char v[32];
	snprintf(v, sizeof v, "%lld", value);
	hdf_set_value(res->hdf, key, v);
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}
