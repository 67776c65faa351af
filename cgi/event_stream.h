/* event_stream: what every Server-Sent Events page shares (/live/events, /console/events): the request must be
 * an EventSource's, a stream takes one of the slots kept for streams, and the response goes out unbuffered. */
#ifndef CGI_EVENT_STREAM_H
#define CGI_EVENT_STREAM_H
#include <stdbool.h>

#include "app.h"

/* Admits the request as a stream: 406 unless it accepts text/event-stream (anything else fetching the URL would
 * hold a worker reading a body that never ends), 503 with Retry-After and busy_text when the slots (half the
 * workers, at least one) are taken. True when admitted: the caller then owns a slot, given back by the stream's
 * end (live_calls_stream_release). */
bool event_stream_admit(struct page *p, const char *busy_text);
/* Makes the response the stream run(ctx) writes, each piece sent at once (nginx told not to buffer it); for HEAD,
 * the headers alone. */
void event_stream_start(struct page *p, int (*run)(void *, response_write_fn, void *), void (*free_ctx)(void *),
			void *ctx);

#endif
