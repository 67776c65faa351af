/* page_console: the integrator's debug console. GET /console shows the last lines of Asterisk's log ([console]
 * log), filtered by level and text, coloured by level; GET /console.txt downloads the same lines (streamed);
 * GET /console/events follows the file as it grows (Server-Sent Events, like /live/events: EventSource only, the
 * same capped slots, flushed through nginx); POST /console/cli runs a CLI command through AMI's Command when it
 * matches [console] cli_allow (pbx/cli.h), and records every attempt, allowed or refused, in the audit trail.
 *
 * The file is read by util/logtail (backwards in blocks, never whole); a log that is missing, unreadable or not
 * a file is explained on the page (200), with the system's words for why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/audit.h"
#include "event_stream.h"
#include "pages.h"
#include "pbx/cli.h"
#include "util/log.h"
#include "util/logtail.h"

#define CONSOLE_LINES_MAX 10000
#define CLI_WAIT_MS 3000           /* longest the CLI box waits for the PBX (the applier's thread runs it) */
#define CLI_TYPED_MAX 1024         /* a longer command is refused as too long (and audited cut to this) */
#define FOLLOW_POLL_MS 200         /* how often the follow stream looks at the file's size */
#define STREAM_LIFETIME_S 300
#define HEARTBEAT_S 15

/* A file offset (the follow stream's start): digits, at most 18 (a log of any size). */
static const char *v_offset(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	(void)out;
	if (len == 0 || len > 18 || strspn(v, "0123456789") != len)
		return "not_a_number";
	return NULL;
}

static const struct form_field filter_fields[] = {
	{ "level", form_v_choice, false, 0, 0, "error|warning|notice|verbose|security|debug|dtmf" },
	{ "q", form_v_text, false, 0, 100, NULL },
	{ "lines", form_v_int, false, 1, CONSOLE_LINES_MAX, NULL },
	{ "from", v_offset, false, 0, 0, NULL },   /* the follow stream's start */
};
static const struct form_def filter_form = FORM_DEF("console", filter_fields);

/* Only NULs and the size here: the allow-list (pbx/cli.h) judges the rest, after the attempt is audited. */
static const char *v_command(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	(void)out;
	if (memchr(v, '\0', len))
		return "control_chars";
	if (len > CLI_TYPED_MAX)
		return "too_long";
	return NULL;
}

static const struct form_field cli_fields[] = {
	{ "command", v_command, true, 0, 0, NULL },
};
static const struct form_def cli_form = FORM_DEF("cli", cli_fields);

/* What the filter form asks for. */
struct console_query {
	struct logtail_filter filter;
	char text[128];
	size_t lines;
	off_t from;                /* -1: the end of the file */
};

/* Validates the query string (bad values fall back to their defaults, and the form shows why). */
static void read_query(struct page *p, struct console_query *q, bool show)
{
	struct form_result form;
	form_validate(&filter_form, &p->req->query_pairs, &form);
	memset(q, 0, sizeof *q);
	q->lines = (size_t)p->w->cfg->console_lines;
	q->from = -1;
	enum ast_log_level level;
	if (!form_error(&form, "level") && log_level_from_name(form_value(&form, "level"), &level))
		q->filter.levels = LOGLVL_BIT(level);
	if (!form_error(&form, "q"))
		snprintf(q->text, sizeof q->text, "%s", form_value(&form, "q"));
	q->filter.text = q->text;
	if (!form_error(&form, "lines") && *form_value(&form, "lines"))
		q->lines = (size_t)atol(form_value(&form, "lines"));
	if (!form_error(&form, "from") && *form_value(&form, "from"))
		q->from = (off_t)atoll(form_value(&form, "from"));
	if (show) {
		page_form_to_hdf(p, &form);
		response_setf(p->res, "Console.Lines", "%zu", q->lines);
	}
	form_result_free(&form);
}

/* Why the log cannot be shown: a key of Lang.console.errors and the system's words. */
static void set_file_error(struct page *p, int err)
{
	const char *key = err == ENOENT || err == ENOTDIR ? "missing"
			  : err == EACCES || err == EPERM ? "permission"
			  : err == EISDIR || err == EINVAL ? "not_file"
			  : "unreadable";
	response_set(p->res, "Console.Error", key);
	response_set(p->res, "Console.ErrorText", strerror(err));
}

struct collect {
	struct page *p;
	int n;
	struct buf text;
};

static int collect_line(void *ctx, const char *line, size_t len, off_t offset, enum ast_log_level level)
{
	(void)offset;
	struct collect *c = ctx;
	char key[48];
	buf_reset(&c->text);
	logtail_sanitize(&c->text, line, len);
	snprintf(key, sizeof key, "Console.Log.%d.Level", c->n);
	response_set(c->p->res, key, log_level_name(level));
	snprintf(key, sizeof key, "Console.Log.%d.Text", c->n);
	response_set(c->p->res, key, buf_cstr(&c->text));
	c->n++;
	return 0;
}

static const char *stop_word(enum logtail_stop s)
{
	switch (s) {
	case LOGTAIL_STOP_START: return "start";
	case LOGTAIL_STOP_ENOUGH: return "enough";
	case LOGTAIL_STOP_SCAN_LIMIT: return "scan_limit";
	case LOGTAIL_STOP_LONG_LINE: return "long_line";
	}
	return "start";
}

/* The page's common part: the filter, the log's last lines (or why not), the allow-list. */
static void console_fill(struct page *p)
{
	const struct config *cfg = p->w->cfg;
	struct console_query q;
	read_query(p, &q, true);
	response_set(p->res, "Console.Path", cfg->console_log);
	response_set(p->res, "Page.Script", "console.js");
	int fd = logtail_open(cfg->console_log);
	if (fd < 0) {
		set_file_error(p, errno);
	} else {
		struct logtail_opts o = { .max_lines = q.lines, .filter = q.filter };
		struct logtail_window w;
		struct collect c = { .p = p };
		buf_init(&c.text);
		if (logtail_window(fd, &o, &w) != 0 ||
		    logtail_forward(fd, w.start, w.end, &q.filter, 0, collect_line, &c) < 0) {
			set_file_error(p, errno);
		} else {
			response_set_int(p->res, "Console.Count", c.n);
			response_set_int(p->res, "Console.End", (long long)w.end);
			response_set(p->res, "Console.Stop", stop_word(w.stop));
		}
		buf_free(&c.text);
		close(fd);
	}
	char (*entries)[CLI_COMMAND_MAX + 1] = malloc(CLI_ALLOW_ENTRIES_MAX * sizeof *entries);
	if (!entries)
		abort();
	size_t n = cli_allow_entries(cfg->console_cli_allow, entries, CLI_ALLOW_ENTRIES_MAX);
	for (size_t i = 0; i < n; i++) {
		char key[48];
		snprintf(key, sizeof key, "Console.Allowed.%zu", i);
		response_set(p->res, key, entries[i]);
	}
	free(entries);
	p->res->template = "console.cs";
}

void page_console(struct page *p)
{
	console_fill(p);
}

/* ---------- the download ---------- */

struct download {
	int fd;
	struct logtail_window w;
	struct console_query q;
	response_write_fn write;
	void *wctx;
	struct buf out;
	int failed;
};

static int download_line(void *ctx, const char *line, size_t len, off_t offset, enum ast_log_level level)
{
	(void)offset;
	(void)level;
	struct download *d = ctx;
	logtail_sanitize(&d->out, line, len);
	buf_putc(&d->out, '\n');
	if (d->out.len >= 32 * 1024) {
		d->failed = d->write(d->wctx, d->out.data, d->out.len) != 0;
		buf_reset(&d->out);
	}
	return d->failed;
}

static int download_run(void *ctx, response_write_fn write, void *wctx)
{
	struct download *d = ctx;
	d->q.filter.text = d->q.text;   /* the context was copied: point at its own copy */
	d->write = write;
	d->wctx = wctx;
	buf_init(&d->out);
	int rc = logtail_forward(d->fd, d->w.start, d->w.end, &d->q.filter, 0, download_line, d);
	if (rc == 0 && d->out.len && write(wctx, d->out.data, d->out.len) != 0)
		rc = -1;
	buf_free(&d->out);
	return rc == 0 ? 0 : -1;
}

static void download_free(void *ctx)
{
	struct download *d = ctx;
	close(d->fd);
	free(d);
}

void page_console_txt(struct page *p)
{
	struct console_query q;
	read_query(p, &q, false);
	int fd = logtail_open(p->w->cfg->console_log);
	struct logtail_opts o = { .max_lines = q.lines, .filter = q.filter };
	struct logtail_window w;
	if (fd < 0 || logtail_window(fd, &o, &w) != 0) {
		/* Nothing to download: the page says why. */
		int err = errno;
		if (fd >= 0)
			close(fd);
		console_fill(p);
		set_file_error(p, err);
		return;
	}
	response_header(p->res, "Content-Disposition", "attachment; filename=\"asterisk-log.txt\"");
	if (strcmp(p->req->method, "HEAD") == 0) {
		close(fd);
		p->res->content_type = "text/plain; charset=utf-8";
		return;
	}
	struct download *d = calloc(1, sizeof *d);
	if (!d)
		abort();
	d->fd = fd;
	d->w = w;
	d->q = q;
	response_stream(p->res, "text/plain; charset=utf-8", download_run, download_free, d);
}

/* ---------- the follow stream ---------- */

/* A JSON string of already sanitized text (no control characters but TAB): quotes, backslashes and TAB escaped. */
static void json_text(struct buf *b, const char *s, size_t len)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)ch);
		} else if (ch < 0x20 || ch == 0x7F) {
			buf_printf(b, "\\u%04x", ch);
		} else {
			buf_putc(b, (char)ch);
		}
	}
	buf_putc(b, '"');
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct follow {
	struct live_calls *live;
	struct console_query q;
	char path[CONFIG_PATH_MAX];
	struct buf out, text;
};

static void follow_free(void *ctx)
{
	struct follow *st = ctx;
	live_calls_stream_release(st->live);
	free(st);
}

/* One "event: line": the level, the text, and where the next line starts (console.js resumes there). */
static int follow_line(void *ctx, const char *line, size_t len, off_t next, enum ast_log_level level)
{
	struct follow *st = ctx;
	buf_reset(&st->text);
	logtail_sanitize(&st->text, line, len);
	buf_printf(&st->out, "event: line\ndata: {\"level\":\"%s\",\"next\":%lld,\"text\":", log_level_name(level),
		   (long long)next);
	json_text(&st->out, buf_cstr(&st->text), st->text.len);
	buf_puts(&st->out, "}\n\n");
	return 0;
}

static int follow_run(void *ctx, response_write_fn write, void *wctx)
{
	struct follow *st = ctx;
	st->q.filter.text = st->q.text;
	buf_init(&st->out);
	buf_init(&st->text);
	struct logtail_follow f;
	logtail_follow_init(&f, st->path, st->q.from);
	int64_t end = mono_ms() + STREAM_LIFETIME_S * 1000LL, last_write = 0;
	int last_errno = -1;
	buf_puts(&st->out, "retry: 1000\n\n");
	for (;;) {
		size_t mark = st->out.len;
		int r = logtail_follow_poll(&f, &st->q.filter, follow_line, st);
		/* The file gone or unreadable (or back): said once per change, before the lines it brought. */
		int now_errno = r < 0 ? f.last_errno : 0;
		if (now_errno != last_errno) {
			struct buf ev;
			buf_init(&ev);
			const char *why = now_errno ? strerror(now_errno) : "";
			buf_puts(&ev, "event: file\ndata: ");
			json_text(&ev, why, strlen(why));
			buf_puts(&ev, "\n\n");
			buf_append(&ev, st->out.data + mark, st->out.len - mark);
			st->out.len = mark;
			buf_append(&st->out, ev.data, ev.len);
			buf_free(&ev);
			last_errno = now_errno;
		}
		int64_t now = mono_ms();
		if (!st->out.len && now - last_write >= HEARTBEAT_S * 1000LL)
			buf_puts(&st->out, ": keep-alive\n\n");
		if (st->out.len) {
			int rc = write(wctx, st->out.data, st->out.len);
			buf_reset(&st->out);
			last_write = now;
			if (rc != 0)
				break;   /* the client went away */
		}
		if (now >= end || live_calls_pause(st->live, FOLLOW_POLL_MS) < 0)
			break;
	}
	logtail_follow_close(&f);
	buf_free(&st->out);
	buf_free(&st->text);
	return 0;
}

void page_console_events(struct page *p)
{
	/* The live calls' slots: every stream holds a worker, whichever page it follows. */
	if (!event_stream_admit(p, "Too many streams; try again later.\n"))
		return;
	struct follow *st = calloc(1, sizeof *st);
	if (!st)
		abort();
	st->live = p->w->live;
	read_query(p, &st->q, false);
	snprintf(st->path, sizeof st->path, "%s", p->w->cfg->console_log);
	event_stream_start(p, follow_run, follow_free, st);
}

/* ---------- the CLI box ---------- */

/* Records the attempt: one row whatever became of it. */
static void audit_cli(struct page *p, const char *typed, const char *outcome, const char *output)
{
	struct buf object;
	buf_init(&object);
	logtail_sanitize(&object, typed, strnlen(typed, CLI_COMMAND_MAX));
	if (strlen(typed) > CLI_COMMAND_MAX)
		buf_puts(&object, "…");
	struct audit_record r = {
		.at = p->now, .user = p->user.name, .address = p->req->remote_addr, .action = "cli.command",
		.object = buf_cstr(&object), .outcome = outcome, .output = output,
	};
	if (audit_add(p->w->db, &r) < 0)
		log_warn("console: the audit row of a CLI command could not be written");
	buf_free(&object);
}

void page_console_cli(struct page *p)
{
	struct form_result form;
	form_validate(&cli_form, &p->req->form, &form);
	const char *typed = form_typed(&form, "command");
	const char *bad = form_error(&form, "command");
	char command[CLI_COMMAND_MAX + 1] = "";
	enum cli_verdict v = bad ? (strcmp(bad, "too_long") == 0 ? CLI_TOO_LONG
				   : strcmp(bad, "required") == 0 ? CLI_EMPTY : CLI_BAD_CHARS)
				 : cli_allow_check(p->w->cfg->console_cli_allow, form_value(&form, "command"),
						   strlen(form_value(&form, "command")), command, sizeof command);
	console_fill(p);
	struct buf shown;
	buf_init(&shown);
	logtail_sanitize(&shown, typed, strlen(typed));
	response_set(p->res, "Cli.Command", buf_cstr(&shown));
	buf_free(&shown);
	if (v != CLI_ALLOWED) {
		char outcome[96];
		snprintf(outcome, sizeof outcome, "refused: %s", cli_verdict_text(v));
		audit_cli(p, typed, outcome, NULL);
		response_set(p->res, "Cli.Result", "refused");
		response_set(p->res, "Cli.Why", v == CLI_EMPTY ? "empty" : v == CLI_TOO_LONG ? "too_long"
					       : v == CLI_BAD_CHARS ? "bad_chars" : "not_allowed");
		p->res->status = 422;
		form_result_free(&form);
		return;
	}
	struct cli_answer a;
	cli_answer_init(&a);
	if (applier_cli_now(p->w->applier, command, CLI_WAIT_MS, &a) != 0) {
		audit_cli(p, typed, "failed: no answer from the PBX in time (it may still run)", NULL);
		response_set(p->res, "Cli.Result", "slow");
	} else if (a.status == AMI_OK) {
		audit_cli(p, typed, "ok", buf_cstr(&a.output));
		response_set(p->res, "Cli.Result", "ok");
	} else {
		char outcome[600];
		snprintf(outcome, sizeof outcome, "failed: %s", a.message);
		audit_cli(p, typed, outcome, buf_cstr(&a.output));
		response_set(p->res, "Cli.Result", a.status == AMI_ERROR ? "refused_by_pbx" : "unreachable");
		response_set(p->res, "Cli.Message", a.message);
	}
	/* Asterisk's output as it is, made safe (the template escapes what remains). */
	struct buf safe;
	buf_init(&safe);
	for (const char *s = buf_cstr(&a.output); *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		logtail_sanitize(&safe, s, n);
		if (nl)
			buf_putc(&safe, '\n');
		s += n + (nl ? 1 : 0);
	}
	response_set(p->res, "Cli.Output", buf_cstr(&safe));
	response_set_int(p->res, "Cli.Truncated", a.truncated);
	buf_free(&safe);
	cli_answer_free(&a);
	form_result_free(&form);
}
