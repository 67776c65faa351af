/* serve: libfcgi multi-threaded responder. Each worker owns an SQLite connection and a template cache;
 * the main thread only waits for a stop signal, then wakes the workers waiting for a connection (conns)
 * and lets those serving a request finish it before they exit. serve_prepare holds every check of the
 * configuration the daemon makes, so that check-config can run the very same. */
#include "serve.h"

#include <errno.h>
#include <fcgiapp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "conns.h"
#include "app/ami_options.h"
#include "app/pbx_settings.h"
#include "pbx/apply.h"
#include "db/db.h"
#include "pbx/cdr_ingest.h"
#include "pbx/cli.h"
#include "pbx/live_calls.h"
#include "pbx/registrations.h"
#include "dispatch.h"
#include "routes.h"
#include "util/file.h"
#include "util/log.h"

struct worker_thread {
	pthread_t tid;
	struct conns *conns;
	struct worker w;
};

static const char *param(FCGX_Request *r, const char *name)
{
	return FCGX_GetParam(name, r->envp);
}

/* Reads the body up to max bytes. Returns 0, or 413 when it is larger (the rest is drained so the
 * connection stays usable), or 400 on a short read. */
static int read_body(FCGX_Request *r, struct request *req, long max)
{
	if (req->content_length <= 0)
		return 0;
	char chunk[8192];
	long left = req->content_length;
	bool too_big = left > max;
	if (!too_big)
		buf_reserve(&req->body, (size_t)left); /* one allocation, not a copy per doubling of an upload */
	while (left > 0) {
		int want = left > (long)sizeof chunk ? (int)sizeof chunk : (int)left;
		int got = FCGX_GetStr(chunk, want, r->in);
		if (got <= 0)
			return too_big ? 413 : 400;
		if (!too_big)
			buf_append(&req->body, chunk, (size_t)got);
		left -= got;
	}
	return too_big ? 413 : 0;
}

/* A streamed body's writer (struct response_stream): pieces go to libfcgi's output buffer, which sends a
 * record whenever it fills, so the body is never held whole. -1 once the client is gone. */
static int write_stream(void *out, const char *data, size_t len)
{
	while (len > 0) {
		int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
		if (FCGX_PutStr(data, n, out) != n)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The same, for a live stream (server-sent events): each piece is sent at once. -1 once the client is gone. */
static int write_stream_flush(void *out, const char *data, size_t len)
{
	if (write_stream(out, data, len) != 0 || FCGX_FFlush(out) != 0)
		return -1;
	return 0;
}

static void write_response(FCGX_Request *r, const struct response *res)
{
	FCGX_FPrintF(r->out, "Status: %d %s\r\nContent-Type: %s\r\n", res->status, http_status_text(res->status),
		     res->content_type ? res->content_type : "text/plain; charset=utf-8");
	FCGX_PutStr(buf_cstr(&res->headers), (int)res->headers.len, r->out);
	FCGX_PutStr("\r\n", 2, r->out);
	if (res->stream.run && !res->template) {
		if (res->stream.flush && FCGX_FFlush(r->out) != 0)
			return; /* the client left before the first event */
		if (res->stream.run(res->stream.ctx, res->stream.flush ? write_stream_flush : write_stream, r->out) != 0)
			log_warn("streamed body cut short (client gone or read error)");
		return;
	}
	FCGX_PutStr(buf_cstr(&res->body), (int)res->body.len, r->out);
}

static void handle(struct worker *w, FCGX_Request *r)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	struct request req;
	struct response res;
	request_init(&req);
	response_init(&res);

	const char *uri = param(r, "DOCUMENT_URI");
	req.method = param(r, "REQUEST_METHOD") ? param(r, "REQUEST_METHOD") : "GET";
	req.path = uri ? uri : "/";
	req.query = param(r, "QUERY_STRING") ? param(r, "QUERY_STRING") : "";
	req.content_type = param(r, "CONTENT_TYPE");
	req.cookie_header = param(r, "HTTP_COOKIE");
	req.remote_addr = param(r, "REMOTE_ADDR") ? param(r, "REMOTE_ADDR") : "unknown";
	req.accept_language = param(r, "HTTP_ACCEPT_LANGUAGE");
	req.accept = param(r, "HTTP_ACCEPT");
	req.host = param(r, "HTTP_HOST");
	req.server_port = param(r, "SERVER_PORT");
	const char *https = param(r, "HTTPS");
	req.https = https && strcmp(https, "on") == 0;
	const char *cl = param(r, "CONTENT_LENGTH");
	req.content_length = cl && *cl ? strtol(cl, NULL, 10) : 0;

	/* The route is known from the request line: a form that uploads files may be larger than any other. */
	long max = route_takes_upload(req.method, req.path) ? w->cfg->web_max_upload : w->cfg->web_max_body;
	int body_status = read_body(r, &req, max);
	if (body_status == 413)
		response_text(&res, 413, "Request body too large.\n");
	else if (body_status)
		response_text(&res, 400, "Incomplete request body.\n");
	else
		dispatch(w, &req, &res);
	if (body_status)
		buf_puts(&res.headers, dispatch_security_headers);
	write_response(r, &res);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	/* The path is logged as received: strip control characters so a request cannot forge log lines. */
	char path[256];
	size_t n = 0;
	for (const char *s = req.path; *s && n + 1 < sizeof path; s++)
		path[n++] = (unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s;
	path[n] = '\0';
	fprintf(stderr, "%s %s %d %ldus\n", req.method, path, res.status, us);

	response_free(&res);
	request_free(&req);
}

static void *worker_main(void *arg)
{
	struct worker_thread *t = arg;
	FCGX_Request r;
	/* No listening socket: connections come from conns, one request at a time. */
	FCGX_InitRequest(&r, -1, 0);
	for (;;) {
		int fd = conns_next(t->conns);
		if (fd < 0)
			break;
		r.ipcFd = fd;
		/* FCGX_Accept_r first "finishes" the previous request, closing the connection unless told to
		 * keep it: this connection is the next one, so keep it. */
		r.keepConnection = 1;
		if (FCGX_Accept_r(&r) < 0)
			continue; /* nginx hung up (or sent garbage): libfcgi has closed the connection */
		handle(&t->w, &r);
		/* Read stdin to its end-of-stream record, so a closed or reused connection has nothing unread. */
		while (FCGX_GetChar(r.in) != EOF)
			;
		bool keep = r.keepConnection;
		/* A connection nginx did not ask to keep is closed at once, without libfcgi's lingering close
		 * (shutdown, then wait up to 2 s for nginx to hang up). */
		if (!keep)
			FCGX_Detach(&r);
		FCGX_Finish_r(&r);
		if (keep && r.ipcFd >= 0) {
			int kept = r.ipcFd;
			r.ipcFd = -1;
			conns_release(t->conns, kept);
		}
	}
	return NULL;
}

int serve_prepare(const struct config *cfg, struct serve_setup *setup, char *err, size_t errlen)
{
	memset(setup, 0, sizeof *setup);
	if (config_pbx_settings(cfg, &setup->pbx, err, errlen) != 0 ||
	    config_ami_options(cfg, &setup->ami, err, errlen) != 0)
		return -1;
	/* Reconnect attempts must not outlast a retry round, or pending phones would wait for the pool. */
	struct ami_options *ami = &setup->ami;
	if (ami->backoff_max_ms > setup->pbx.retry_interval * 500)
		ami->backoff_max_ms = setup->pbx.retry_interval * 500;
	if (ami->backoff_initial_ms > ami->backoff_max_ms)
		ami->backoff_initial_ms = ami->backoff_max_ms;

	char e[512];
	/* The console's CLI allow-list, by the rule the CLI box applies (pbx/cli.h). */
	if (cli_allow_list_check(cfg->console_cli_allow, e, sizeof e) != 0)
		return config_fail(cfg, "console", "cli_allow", err, errlen, "%s", e);
	if (!*cfg->console_log)
		return config_fail(cfg, "console", "log", err, errlen, "empty: name Asterisk's log file");
	/* The pages' templates and languages, as each worker will load them. */
	render_global_init();
	struct renderer *pages = renderer_new(cfg->web_templates, e, sizeof e);
	if (!pages)
		return config_fail(cfg, "web", "templates", err, errlen, "%s", e);
	renderer_free(pages);
	/* The TLS side of the pool: a CA file that cannot be read is found now, not at the first save. */
	setup->pool = ami_pool_create(ami, e, sizeof e);
	if (!setup->pool)
		return config_fail(cfg, "ami", ami->tls && *ami->cafile ? "cafile" : "tls", err, errlen, "%s", e);
	setup->prov = provision_renderer_new(cfg->prov_templates, e, sizeof e);
	if (!setup->prov) {
		serve_setup_free(setup);
		return config_fail(cfg, "provisioning", "templates", err, errlen, "%s", e);
	}
	/* [provisioning] server, port and transport go into every phone's file: render a made-up phone now,
	 * by the renderer's own rules, rather than have every phone refused one by one ("needs attention"). */
	struct provision_phone probe = {
		.mac = "00:15:65:00:00:01", .model = provision_model_at(0)->id, .extension = "100", .display_name = "",
		.secret = "0123456789abcdefghijklmnopqrstuv", .server = setup->pbx.prov_server,
		.port = setup->pbx.prov_port, .transport = setup->pbx.prov_transport,
	};
	struct provision_output out;
	enum provision_err pe = provision_render(setup->prov, &probe, &out, e, sizeof e);
	provision_output_free(&out);
	if (pe != PROVISION_OK) {
		serve_setup_free(setup);
		if (pe == PROVISION_E_VALUE) /* the phone's own values are valid: what the configuration gave is not */
			return config_fail(cfg, "provisioning", "server", err, errlen, "'%s': %s", cfg->prov_server, e);
		return config_fail(cfg, "provisioning", "templates", err, errlen, "%s", e);
	}
	return 0;
}

void serve_setup_free(struct serve_setup *setup)
{
	provision_renderer_free(setup->prov);
	ami_pool_destroy(setup->pool);
	setup->prov = NULL;
	setup->pool = NULL;
}

int serve_main(const struct config *cfg)
{
	/* Before any thread exists, so that every thread inherits the mask: the stop signals are then only
	 * ever taken by the sigwait below. A thread left with them unblocked would take one with its default
	 * action, killing the process mid-apply: during start-up, or on a second Ctrl-C while stopping. A
	 * signal sent during start-up waits, and stops the daemon as soon as it is up. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	if (FCGX_Init() != 0) {
		log_err("FCGX_Init failed");
		return 1;
	}
	/* A peer that hangs up is an error on that connection, not the end of the process. After FCGX_Init,
	 * which installs a SIGPIPE handler of its own. */
	signal(SIGPIPE, SIG_IGN);

	char err[1024];
	struct serve_setup setup;
	if (serve_prepare(cfg, &setup, err, sizeof err) != 0) {
		log_err("configuration: %s", err);
		return 1;
	}
	struct db *db = db_open(cfg->db_path, err, sizeof err);
	if (!db || db_migrate(db, err, sizeof err) != 0) {
		log_err("database: %s", err);
		if (db)
			db_close(db);
		serve_setup_free(&setup);
		return 1;
	}
	db_close(db);

	/* The PBX side: the reconciler's thread, the registration watcher's and the call history's intake. The pool opens connections on
	 * first use, so a PBX that is down does not stop the web interface. */
	struct pbx_settings *pbx = &setup.pbx;
	struct applier *applier = applier_new(pbx, setup.pool, setup.prov, cfg->db_path, err, sizeof err);
	struct reg_watcher *watcher = applier ? reg_watcher_new(&setup.ami, setup.pool, pbx->driver, cfg->db_path,
								pbx->retry_interval, err, sizeof err)
					      : NULL;
	/* The call history's intake: its own event login ("Events: cdr") and its own database connection. */
	struct cdr_ingest *ingest = watcher ? cdr_ingest_new(&setup.ami, cfg->db_path, err, sizeof err) : NULL;
	/* The calls in progress: in memory, its own event login ("Events: call"); the workers' streams wait on it. */
	struct live_calls *live = ingest ? live_calls_new() : NULL;
	if (live && live_calls_attach(live, &setup.ami, setup.pool, err, sizeof err) != 0) {
		live_calls_free(live);
		live = NULL;
	}
	if (!live || file_mkdirs(cfg->prov_dir, 0750) != 0 || applier_start(applier) != 0 ||
	    reg_watcher_start(watcher) != 0 || cdr_ingest_start(ingest) != 0 || live_calls_start(live) != 0) {
		log_err("start-up: %s", live ? strerror(errno) : err);
		live_calls_free(live);
		cdr_ingest_free(ingest);
		reg_watcher_free(watcher);
		applier_free(applier);
		serve_setup_free(&setup);
		return 1;
	}

	int status = 1;
	struct conns *conns = NULL;
	struct worker_thread *threads = NULL;
	int n = cfg->web_threads, started = 0;
	int listen_fd = FCGX_OpenSocket(cfg->web_socket, 128);
	if (listen_fd < 0) {
		log_err("cannot listen on %s: %s", cfg->web_socket, strerror(errno));
		goto stop;
	}
	if (chmod(cfg->web_socket, (mode_t)cfg->web_socket_mode) != 0) {
		log_err("chmod %s: %s", cfg->web_socket, strerror(errno));
		goto stop;
	}
	conns = conns_new(listen_fd);
	if (!conns) {
		log_err("connections: %s", strerror(errno));
		goto stop;
	}

	threads = calloc((size_t)n, sizeof *threads);
	if (!threads)
		abort();
	for (int i = 0; i < n; i++) {
		struct worker_thread *t = &threads[i];
		t->conns = conns;
		t->w.cfg = cfg;
		t->w.pbx = pbx;
		t->w.applier = applier;
		t->w.live = live;
		t->w.db = db_open(cfg->db_path, err, sizeof err);
		t->w.renderer = t->w.db ? renderer_new(cfg->web_templates, err, sizeof err) : NULL;
		if (!t->w.db || !t->w.renderer) {
			log_err("worker %d: %s", i, err);
			break;
		}
		if (pthread_create(&t->tid, NULL, worker_main, t) != 0) {
			log_err("worker %d: cannot start thread", i);
			break;
		}
		started++;
	}
	if (started == n) {
		log_info("serving on %s with %d workers", cfg->web_socket, n);
		int sig = 0;
		sigwait(&stop, &sig);
		log_info("signal %d: finishing in-flight requests", sig);
		status = 0;
	}
	/* Workers waiting for work end; a worker serving a request finishes it first. Signals arriving from
	 * here on stay pending (blocked everywhere): a second Ctrl-C cannot cut the shutdown short. Live calls
	 * streams (up to 5 minutes long) are woken to end now. */
	live_calls_shutdown(live);
	if (conns)
		conns_stop(conns);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i].tid, NULL);
	for (int i = 0; threads && i < n; i++) {
		renderer_free(threads[i].w.renderer);
		db_close(threads[i].w.db);
	}
	free(threads);
stop:
	conns_free(conns);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(cfg->web_socket);
	}
	live_calls_free(live);
	cdr_ingest_free(ingest);
	reg_watcher_free(watcher);
	applier_free(applier);
	serve_setup_free(&setup);
	log_info("stopped");
	return status;
}
