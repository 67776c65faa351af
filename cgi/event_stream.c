/* event_stream: admitting and starting a Server-Sent Events response (see event_stream.h). */
#include "event_stream.h"

#include <stdio.h>
#include <string.h>

#define STREAM_RETRY_AFTER_S 10

bool event_stream_admit(struct page *p, const char *busy_text)
{
	if (!p->req->accept || !strstr(p->req->accept, "text/event-stream")) {
		response_text(p->res, 406, "This is an event stream (Accept: text/event-stream).\n");
		return false;
	}
	/* A stream holds its worker: keep half of them (at least one beside it, when there are two) for pages. */
	int cap = p->w->cfg->web_threads / 2;
	if (!live_calls_stream_acquire(p->w->live, cap < 1 ? 1 : cap)) {
		char retry[16];
		snprintf(retry, sizeof retry, "%d", STREAM_RETRY_AFTER_S);
		response_header(p->res, "Retry-After", retry);
		response_text(p->res, 503, busy_text);
		return false;
	}
	return true;
}

void event_stream_start(struct page *p, int (*run)(void *, response_write_fn, void *), void (*free_ctx)(void *),
			void *ctx)
{
	response_header(p->res, "X-Accel-Buffering", "no");
	response_stream(p->res, "text/event-stream; charset=utf-8", run, free_ctx, ctx);
	p->res->stream.flush = true;
	/* HEAD: the headers alone (serve.c still runs a stream; an empty one here). */
	if (strcmp(p->req->method, "HEAD") == 0)
		p->res->stream.run = NULL;
}
