/* page_live: the calls in progress (owner and integrator), from pbx/live_calls. GET /live renders the table
 * (without JavaScript it reloads every 5 s: a <noscript> refresh); GET /live/events is a Server-Sent Events stream
 * that static/live.js follows to update the table in place: an "event: calls" with the calls as JSON at once, then
 * again on every change, a comment every 15 s so that a vanished client (and nginx's read timeout) is noticed,
 * and the end after 5 minutes (EventSource reconnects by itself, so no stream holds a worker for ever).
 *
 * A stream holds a web worker for its whole life, in the worker's thread (struct response_stream, flushed after
 * every piece): at most max(1, [web] threads / 2) run at once, so that pages stay served; one more is refused
 * with 503 and Retry-After, and the page falls back to reloading itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_stream.h"
#include "pages.h"
#include "util/buf.h"

#define STREAM_LIFETIME_S 300
#define HEARTBEAT_S 15

static void format_clock(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || strftime(out, size, "%H:%M:%S", &tm) == 0)
		snprintf(out, size, "?");
}

static void format_elapsed(int64_t seconds, char *out, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds >= 3600)
		snprintf(out, size, "%lld:%02lld:%02lld", (long long)(seconds / 3600), (long long)(seconds / 60 % 60),
			 (long long)(seconds % 60));
	else
		snprintf(out, size, "%lld:%02lld", (long long)(seconds / 60), (long long)(seconds % 60));
}

static void set_party(struct page *p, int i, const char *side, const struct live_party *party)
{
	char key[64];
	snprintf(key, sizeof key, "Live.Calls.%d.%s.Number", i, side);
	response_set(p->res, key, party->number);
	snprintf(key, sizeof key, "Live.Calls.%d.%s.Name", i, side);
	response_set(p->res, key, party->name);
	snprintf(key, sizeof key, "Live.Calls.%d.%s.Endpoint", i, side);
	response_set(p->res, key, party->endpoint);
}

void page_live(struct page *p)
{
	struct live_snapshot s;
	live_calls_snapshot(p->w->live, &s);
	response_set_int(p->res, "Live.Connected", s.connected);
	response_set_int(p->res, "Live.Synced", s.synced);
	response_set_int(p->res, "Live.Active", (long long)s.n);
	response_set_int(p->res, "Live.Peak", s.peak);
	for (size_t i = 0; i < s.n; i++) {
		const struct live_call *c = &s.calls[i];
		int n = (int)i;
		char key[64], text[32];
		set_party(p, n, "Caller", &c->caller);
		set_party(p, n, "Callee", &c->callee);
		snprintf(key, sizeof key, "Live.Calls.%d.Id", n);
		response_set(p->res, key, c->id);
		snprintf(key, sizeof key, "Live.Calls.%d.State", n);
		response_set(p->res, key, live_state_name(c->state));
		snprintf(key, sizeof key, "Live.Calls.%d.Kind", n);
		response_set(p->res, key, live_kind_name(c->kind));
		snprintf(key, sizeof key, "Live.Calls.%d.Trunk", n);
		response_set(p->res, key, c->trunk);
		snprintf(key, sizeof key, "Live.Calls.%d.Since", n);
		format_clock(c->since, text, sizeof text);
		response_set(p->res, key, text);
		snprintf(key, sizeof key, "Live.Calls.%d.SinceEpoch", n);
		response_set_int(p->res, key, (long long)c->since);
		snprintf(key, sizeof key, "Live.Calls.%d.Elapsed", n);
		format_elapsed(s.now - c->since, text, sizeof text);
		response_set(p->res, key, text);
	}
	response_set_int(p->res, "Live.Now", (long long)s.now);
	/* Without JavaScript the page reloads itself (a <meta refresh> inside <noscript> in inc/head.cs). */
	response_set(p->res, "Page.Refresh", "5");
	response_set(p->res, "Page.Script", "live.js");
	live_snapshot_free(&s);
	p->res->template = "live.cs";
}

/* ---------- the event stream ---------- */

/* A JSON string: quotes, backslashes and every control character escaped, so nothing can end the string, and no
 * raw line break can end the SSE "data:" line early. Bytes of 0x80 and up pass (UTF-8 as Asterisk sent it). */
static void json_str(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
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

static void json_party(struct buf *b, const struct live_party *party)
{
	buf_puts(b, "{\"number\":");
	json_str(b, party->number);
	buf_puts(b, ",\"name\":");
	json_str(b, party->name);
	buf_puts(b, ",\"endpoint\":");
	json_str(b, party->endpoint);
	buf_putc(b, '}');
}

/* One "event: calls" message with the snapshot as JSON on one data line. */
static void sse_calls(struct buf *b, const struct live_snapshot *s)
{
	buf_printf(b, "event: calls\ndata: {\"now\":%lld,\"connected\":%s,\"synced\":%s,\"active\":%zu,\"peak\":%d,"
		      "\"calls\":[",
		   (long long)s->now, s->connected ? "true" : "false", s->synced ? "true" : "false", s->n, s->peak);
	for (size_t i = 0; i < s->n; i++) {
		const struct live_call *c = &s->calls[i];
		char since[32];
		format_clock(c->since, since, sizeof since);
		buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
		json_str(b, c->id);
		buf_printf(b, ",\"state\":\"%s\",\"kind\":\"%s\",\"since\":%lld,\"since_text\":", live_state_name(c->state),
			   live_kind_name(c->kind), (long long)c->since);
		json_str(b, since);
		buf_puts(b, ",\"trunk\":");
		json_str(b, c->trunk);
		buf_printf(b, ",\"channels\":%d,\"caller\":", c->channels);
		json_party(b, &c->caller);
		buf_puts(b, ",\"callee\":");
		json_party(b, &c->callee);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}\n\n");
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct stream {
	struct live_calls *live;
};

static void stream_free(void *ctx)
{
	struct stream *st = ctx;
	live_calls_stream_release(st->live);
	free(st);
}

static int send_buf(response_write_fn write, void *wctx, struct buf *b)
{
	int rc = write(wctx, b->data, b->len);
	buf_reset(b);
	return rc;
}

/* Runs in the worker's thread after the headers. Returns 0 whether it ran its course, the daemon is stopping, or
 * the client went away (the usual end of a stream: a page closed or left, which is not worth a log line). */
static int stream_run(void *ctx, response_write_fn write, void *wctx)
{
	struct stream *st = ctx;
	struct buf b;
	buf_init(&b);
	int64_t end = mono_ms() + STREAM_LIFETIME_S * 1000LL, last_write = mono_ms();
	/* EventSource's reconnection delay after the stream ends (default about 3 s): come back at once. */
	buf_puts(&b, "retry: 1000\n\n");
	struct live_snapshot s;
	live_calls_snapshot(st->live, &s);
	uint64_t seen = s.version;
	sse_calls(&b, &s);
	live_snapshot_free(&s);
	int ok = send_buf(write, wctx, &b) == 0;
	while (ok) {
		int64_t now = mono_ms();
		if (now >= end)
			break;
		int64_t wait = last_write + HEARTBEAT_S * 1000LL - now;
		if (wait > end - now)
			wait = end - now;
		int r = wait > 0 ? live_calls_wait(st->live, seen, (int)wait) : 0;
		if (r < 0)
			break; /* the daemon is stopping */
		if (r > 0) {
			live_calls_snapshot(st->live, &s);
			seen = s.version;
			sse_calls(&b, &s);
			live_snapshot_free(&s);
		} else if (mono_ms() - last_write >= HEARTBEAT_S * 1000LL) {
			buf_puts(&b, ": keep-alive\n\n");
		}
		if (b.len) {
			ok = send_buf(write, wctx, &b) == 0;
			last_write = mono_ms();
		}
	}
	buf_free(&b);
	return 0;
}

void page_live_events(struct page *p)
{
	if (!event_stream_admit(p, "Too many live streams; the page reloads instead.\n"))
		return;
	struct stream *st = calloc(1, sizeof *st);
	if (!st)
		abort();
	st->live = p->w->live;
	event_stream_start(p, stream_run, stream_free, st);
}
