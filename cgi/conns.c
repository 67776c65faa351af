/* conns: one epoll set, armed one-shot, shared by the workers (see conns.h). */
#include "conns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* Pauses of accepting after accept() failed (out of descriptors): the first, and the longest. */
#define ACCEPT_PAUSE_FIRST_MS 50
#define ACCEPT_PAUSE_MAX_MS 1000

struct conns {
	int listen_fd;
	int epoll_fd;
	int stop_fd;           /* eventfd, level-triggered: once written it wakes every waiting worker */
	int timer_fd;          /* timerfd, one-shot: ends a pause of accepting by re-arming the listening socket */
	atomic_bool stopping;
	/* A pause: accept() failed with something other than "nothing to accept" (EMFILE, ENFILE, ENOBUFS...),
	 * which retrying at once would only repeat, as fast as the CPU goes. The listening socket stays disarmed
	 * until the timer fires; then accepting is tried again, each failure doubling the pause (back to the
	 * shortest after a round that accepted some: descriptors are coming free). The listening
	 * socket and the timer are never armed together, so one worker at a time is here; the mutex makes that
	 * hand-over plain to the compiler too. */
	pthread_mutex_t pause_mu;
	int pause_ms;                  /* 0 = accepting normally */
	unsigned long pause_failures;  /* failed accepts in this episode, reported when it ends */
	struct timespec pause_since;
};

static int arm(struct conns *c, int fd, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.fd = fd };
	return epoll_ctl(c->epoll_fd, op, fd, &ev);
}

struct conns *conns_new(int listen_fd)
{
	struct conns *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->listen_fd = listen_fd;
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* Created now, while descriptors are plenty: it is needed exactly when they have run out. */
	c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	atomic_init(&c->stopping, false);
	if (pthread_mutex_init(&c->pause_mu, NULL) != 0)
		abort();
	int flags = fcntl(listen_fd, F_GETFL);
	struct epoll_event sev = { .events = EPOLLIN, .data.fd = c->stop_fd };
	if (c->epoll_fd < 0 || c->stop_fd < 0 || c->timer_fd < 0 || flags < 0 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0 || arm(c, listen_fd, EPOLL_CTL_ADD) < 0 ||
	    epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->stop_fd, &sev) < 0 ||
	    /* armed one-shot while the timer itself is still disarmed: nothing fires until a pause sets it */
	    arm(c, c->timer_fd, EPOLL_CTL_ADD) < 0) {
		int saved = errno;
		conns_free(c);
		errno = saved;
		return NULL;
	}
	return c;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* accept() failed with err: stop accepting for a while (the listening socket stays disarmed), logging
 * only the first failure of an episode. progressed: this round accepted connections before failing, so
 * descriptors are coming free: the pause restarts short, and a backlog drains quickly. Called with
 * pause_mu held. */
static void pause_accepting(struct conns *c, int err, bool progressed)
{
	if (c->pause_ms == 0) {
		c->pause_ms = ACCEPT_PAUSE_FIRST_MS;
		c->pause_failures = 0;
		clock_gettime(CLOCK_MONOTONIC, &c->pause_since);
		log_warn("accept: %s: new connections wait (retrying every %d ms at most) until descriptors free up",
			 strerror(err), ACCEPT_PAUSE_MAX_MS);
	} else if (progressed) {
		c->pause_ms = ACCEPT_PAUSE_FIRST_MS;
	} else if (c->pause_ms < ACCEPT_PAUSE_MAX_MS) {
		c->pause_ms = c->pause_ms * 2 < ACCEPT_PAUSE_MAX_MS ? c->pause_ms * 2 : ACCEPT_PAUSE_MAX_MS;
	}
	c->pause_failures++;
	struct itimerspec its = { .it_value = { c->pause_ms / 1000, (long)(c->pause_ms % 1000) * 1000000L } };
	if (timerfd_settime(c->timer_fd, 0, &its, NULL) < 0 || arm(c, c->timer_fd, EPOLL_CTL_MOD) < 0) {
		/* Without the timer nothing would ever re-arm the listening socket: retrying at once is the lesser
		 * evil. */
		log_err("accept: cannot pause: %s", strerror(errno));
		arm(c, c->listen_fd, EPOLL_CTL_MOD);
	}
}

/* Accepts every pending connection and arms each; then re-arms the listening socket, or pauses. */
static void accept_all(struct conns *c)
{
	pthread_mutex_lock(&c->pause_mu);
	bool accepted = false;
	for (;;) {
		/* Accepted sockets are blocking, as libfcgi reads them, whatever the listening socket is. */
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue; /* this connection is gone; the next may be fine */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (!atomic_load(&c->stopping))
				pause_accepting(c, errno, accepted);
			pthread_mutex_unlock(&c->pause_mu);
			return;
		}
		accepted = true;
		if (arm(c, fd, EPOLL_CTL_ADD) < 0) {
			log_warn("epoll: %s", strerror(errno));
			close(fd);
		}
	}
	if (c->pause_ms) {
		log_info("accept: accepting connections again (%lu failed attempt%s over %ld ms)", c->pause_failures,
			 c->pause_failures == 1 ? "" : "s", ms_since(&c->pause_since));
		c->pause_ms = 0;
	}
	pthread_mutex_unlock(&c->pause_mu);
	if (!atomic_load(&c->stopping))
		arm(c, c->listen_fd, EPOLL_CTL_MOD);
}

/* The pause is over: try accepting again now. Trying, rather than only re-arming the listening socket, also
 * ends the episode when the connections that were waiting went away meanwhile (nothing would wake us then). */
static void resume_accepting(struct conns *c)
{
	uint64_t expirations;
	if (read(c->timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
		log_warn("accept: timer: %s", strerror(errno));
	if (!atomic_load(&c->stopping))
		accept_all(c);
}

int conns_next(struct conns *c)
{
	for (;;) {
		if (atomic_load(&c->stopping))
			return -1;
		struct epoll_event ev;
		int n = epoll_wait(c->epoll_fd, &ev, 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		if (n == 0 || ev.data.fd == c->stop_fd)
			continue; /* stopping: the check above ends the loop */
		if (ev.data.fd == c->listen_fd) {
			accept_all(c);
			continue;
		}
		if (ev.data.fd == c->timer_fd) {
			resume_accepting(c);
			continue;
		}
		return ev.data.fd; /* a request, or nginx's hang-up: the worker's read tells which */
	}
}

void conns_release(struct conns *c, int fd)
{
	if (atomic_load(&c->stopping) || arm(c, fd, EPOLL_CTL_MOD) < 0)
		close(fd);
}

void conns_stop(struct conns *c)
{
	if (atomic_exchange(&c->stopping, true))
		return;
	uint64_t one = 1;
	if (c->stop_fd >= 0 && write(c->stop_fd, &one, sizeof one) < 0)
		log_warn("conns: cannot wake the workers: %s", strerror(errno));
}

void conns_free(struct conns *c)
{
	if (!c)
		return;
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	pthread_mutex_destroy(&c->pause_mu);
	free(c);
}
