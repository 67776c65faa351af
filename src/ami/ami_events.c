/* ami_events: the event watcher: its own AMI login with "Events: <classes>", read by one thread that hands
 * every event, in arrival order, to the registered callbacks; reconnects by itself with capped exponential
 * back-off and reports connection state changes so the application can resynchronise. */
#include "ami/ami_internal.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct event_handler {
	char *name;                /* NULL: every event */
	ami_event_fn fn;
	void *userdata;
};

struct state_handler {
	ami_state_fn fn;
	void *userdata;
};

struct ami_events {
	struct ami_options opts;
	char *classes;
	SSL_CTX *ctx;
	struct event_handler *handlers;
	size_t n_handlers;
	struct state_handler *states;
	size_t n_states;
	int wake[2];               /* self-pipe: written once by ami_events_destroy to stop the thread */
	pthread_t thread;
	bool started;
};

struct ami_events *ami_events_new(const struct ami_options *o, const char *classes, char *err, size_t errlen)
{
	if (ami_options_check(o, err, errlen) != 0)
		return NULL;
	char e[200];
	if (ami_msg_check_header("Events", classes, classes ? strlen(classes) : 0, e, sizeof e) != 0 || !*classes) {
		ami_seterr(err, errlen, "AMI event classes: %s", classes && *classes ? e : "empty");
		return NULL;
	}
	SSL_CTX *ctx = NULL;
	if (o->tls && !(ctx = ami_tls_ctx_new(o, err, errlen)))
		return NULL;
	struct ami_events *ev = ami_xmalloc(sizeof *ev);
	memset(ev, 0, sizeof *ev);
	ev->opts = *o;
	ev->classes = ami_xstrdup(classes);
	ev->ctx = ctx;
	if (pipe2(ev->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		ami_seterr(err, errlen, "AMI events: pipe: %s", strerror(errno));
		SSL_CTX_free(ctx);
		free(ev->classes);
		free(ev);
		return NULL;
	}
	return ev;
}

int ami_events_on(struct ami_events *e, const char *event_name, ami_event_fn fn, void *userdata)
{
	if (e->started || !fn)
		return -1;
	e->handlers = ami_xrealloc(e->handlers, (e->n_handlers + 1) * sizeof *e->handlers);
	e->handlers[e->n_handlers++] = (struct event_handler){ event_name ? ami_xstrdup(event_name) : NULL, fn, userdata };
	return 0;
}

int ami_events_on_state(struct ami_events *e, ami_state_fn fn, void *userdata)
{
	if (e->started || !fn)
		return -1;
	e->states = ami_xrealloc(e->states, (e->n_states + 1) * sizeof *e->states);
	e->states[e->n_states++] = (struct state_handler){ fn, userdata };
	return 0;
}

static void notify_state(struct ami_events *e, enum ami_events_state st, const char *msg)
{
	for (size_t i = 0; i < e->n_states; i++)
		e->states[i].fn(st, msg, e->states[i].userdata);
}

static void dispatch(struct ami_events *e, const struct ami_msg *m)
{
	const char *name = ami_msg_get(m, "Event");
	if (!name)
		return;   /* our keep-alive Ping's answer, or a stray response */
	for (size_t i = 0; i < e->n_handlers; i++)
		if (!e->handlers[i].name || strcasecmp(e->handlers[i].name, name) == 0)
			e->handlers[i].fn(m, e->handlers[i].userdata);
}

/* Sleeps ms unless stopped first. Returns true when asked to stop. */
static bool sleep_or_stop(struct ami_events *e, int ms)
{
	long long deadline = ami_now_ms() + ms;
	for (;;) {
		long long left = deadline - ami_now_ms();
		if (left <= 0)
			return false;
		struct pollfd pf = { .fd = e->wake[0], .events = POLLIN };
		int n = poll(&pf, 1, (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

static bool stop_requested(struct ami_events *e)
{
	struct pollfd pf = { .fd = e->wake[0], .events = POLLIN };
	return poll(&pf, 1, 0) > 0;
}

/* Reads events until the connection fails or a stop is requested. Returns true when stopped. */
static bool run_connection(struct ami_events *e, struct ami_conn *c, char *err, size_t errlen)
{
	/* Silence longer than keepalive_s triggers a Ping; no answer within io_timeout_ms means the link is dead. */
	int idle_ms = e->opts.keepalive_s > 0 ? e->opts.keepalive_s * 1000 : -1;
	long long ping_deadline = -1;
	for (;;) {
		int wait = idle_ms;
		if (ping_deadline >= 0) {
			long long left = ping_deadline - ami_now_ms();
			wait = left > 0 ? (int)left : 0;
		}
		struct ami_msg *m = NULL;
		int rc = ami_conn_next(c, wait, &m, err, errlen);
		if (rc < 0)
			return stop_requested(e);
		if (rc == 1) {
			ping_deadline = -1;
			dispatch(e, m);
			ami_msg_destroy(m);
			continue;
		}
		if (ping_deadline >= 0) {
			ami_seterr(err, errlen, "event connection: no answer to keep-alive Ping");
			return false;
		}
		struct ami_msg ping;
		ami_msg_init(&ping);
		ami_msg_add(&ping, "Action", "Ping");
		rc = ami_conn_send(c, &ping, err, errlen);
		ami_msg_free(&ping);
		if (rc != 0)
			return false;
		ping_deadline = ami_now_ms() + e->opts.io_timeout_ms;
	}
}

static void *events_thread(void *arg)
{
	struct ami_events *e = arg;
	bool ever_connected = false;
	int failures = 0;
	char err[400];
	for (;;) {
		struct ami_conn *c = ami_conn_open(&e->opts, e->ctx, e->classes, e->wake[0], err, sizeof err, NULL);
		if (stop_requested(e)) {
			ami_conn_close(c);
			break;
		}
		if (!c) {
			failures++;
			notify_state(e, AMI_EVENTS_DISCONNECTED, err);
			log_warn("ami events: %s", err);
			if (sleep_or_stop(e, ami_backoff_ms(&e->opts, failures)))
				break;
			continue;
		}
		failures = 0;
		notify_state(e, ever_connected ? AMI_EVENTS_RECONNECTED : AMI_EVENTS_CONNECTED, "logged in");
		ever_connected = true;
		bool stopped = run_connection(e, c, err, sizeof err);
		ami_conn_close(c);
		if (stopped)
			break;
		notify_state(e, AMI_EVENTS_DISCONNECTED, err);
		log_warn("ami events: %s", err);
		/* The first reconnect is immediate-ish; repeated failures back off. */
		if (sleep_or_stop(e, ami_backoff_ms(&e->opts, 1)))
			break;
	}
	return NULL;
}

int ami_events_start(struct ami_events *e)
{
	if (e->started)
		return -1;
	if (pthread_create(&e->thread, NULL, events_thread, e) != 0)
		return -1;
	e->started = true;
	return 0;
}

void ami_events_destroy(struct ami_events *e)
{
	if (!e)
		return;
	if (e->started) {
		char one = 1;
		while (write(e->wake[1], &one, 1) < 0 && errno == EINTR)
			;
		pthread_join(e->thread, NULL);
	}
	close(e->wake[0]);
	close(e->wake[1]);
	for (size_t i = 0; i < e->n_handlers; i++)
		free(e->handlers[i].name);
	free(e->handlers);
	free(e->states);
	free(e->classes);
	SSL_CTX_free(e->ctx);
	OPENSSL_cleanse(&e->opts, sizeof e->opts);
	free(e);
}
