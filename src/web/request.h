/* request: one HTTP request as the FastCGI layer hands it over, and the response a page handler builds.
 * Handlers never write to the socket: they fill a struct response (status, template + HDF data, or a
 * redirect) and the server writes it. Independent of libfcgi so tests can build requests by hand. */
#ifndef WEB_REQUEST_H
#define WEB_REQUEST_H
#include <ClearSilver.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "web/form.h"
#include "web/multipart.h"

struct request {
	const char *method;          /* "GET", "POST", ... */
	const char *path;            /* without query string; never NULL */
	const char *query;           /* raw query string or "" */
	const char *content_type;
	const char *cookie_header;
	const char *remote_addr;
	const char *accept_language;
	const char *accept;          /* Accept header (may be NULL) */
	const char *host;            /* Host header as nginx passed it, without port (may be NULL) */
	const char *server_port;     /* port the request came in on (SERVER_PORT) */
	bool https;
	long content_length;
	struct buf body;
	struct form_pairs form;      /* parsed body (POST): urlencoded, or a multipart body's ordinary fields */
	struct upload_file files[UPLOAD_MAX_FILES];   /* a multipart body's files (routes with upload only) */
	size_t file_count;
	struct form_pairs query_pairs;
	int64_t path_id;             /* the ":id" segment of the matched route, else 0 */
};

/* A body written while it is produced (an export of any size), instead of one held in memory: after the status
 * and headers, the server calls run(ctx, write, wctx), which hands each piece to write. write returns 0, or -1
 * when the client is gone (run should then stop). run returns 0, or -1 when it had to stop early (the server
 * logs it; the status is already sent). The handler still never sees the socket. */
typedef int (*response_write_fn)(void *wctx, const char *data, size_t len);
struct response_stream {
	int (*run)(void *ctx, response_write_fn write, void *wctx);
	void (*free)(void *ctx);     /* frees ctx; called once by response_free (may be NULL) */
	void *ctx;
	bool flush;                  /* every piece goes out at once (an event stream), not when a buffer fills */
};

struct response {
	int status;
	const char *template;        /* page to render with hdf; NULL for redirects / raw bodies */
	HDF *hdf;                    /* data for the template; created by response_init */
	struct buf headers;          /* extra "Name: value\r\n" lines */
	struct buf body;             /* raw body, used when template is NULL */
	const char *content_type;
	struct response_stream stream;   /* run != NULL: the body is streamed (template and body unused) */
};

void request_init(struct request *req);
void request_free(struct request *req);
/* The only uploaded file sent as field name; NULL if absent or sent more than once (like form_pairs_get). */
const struct upload_file *request_file(const struct request *req, const char *name);
/* Value of a cookie (copied into out, at most outlen-1 bytes). false if absent or too long. */
bool request_cookie(const struct request *req, const char *name, char *out, size_t outlen);
/* First of the given languages ("en|es") that Accept-Language prefers, or NULL. */
const char *request_preferred_language(const struct request *req, const char *const *langs, size_t count);

void response_init(struct response *res);
void response_free(struct response *res);
/* 303 See Other to a local path (must start with '/' and not "//": no open redirects). */
void response_redirect(struct response *res, const char *local_path);
void response_header(struct response *res, const char *name, const char *value);
void response_set_cookie(struct response *res, const char *name, const char *value, int max_age, bool secure);
void response_text(struct response *res, int status, const char *text);   /* plain-text body */
/* Makes the body a stream (see struct response_stream) of content_type; takes ctx (freed with free_ctx). */
void response_stream(struct response *res, const char *content_type, int (*run)(void *, response_write_fn, void *),
		     void (*free_ctx)(void *), void *ctx);
/* Convenience setters on the template data. */
void response_set(struct response *res, const char *key, const char *value);
void response_setf(struct response *res, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void response_set_int(struct response *res, const char *key, long long value);

/* True when s is a safe local redirect target ("/..." but not "//" or "/\", no control characters). */
bool is_local_path(const char *s);
const char *http_status_text(int status);

#endif
