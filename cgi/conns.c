/* conns: one epoll set, armed one-shot, shared by the workers (see conns.h). */
#include "conns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"

struct conns {
	int listen_fd;
	int epoll_fd;
	int stop_fd;           /* eventfd, level-triggered: once written it wakes every waiting worker */
	atomic_bool stopping;
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
	atomic_init(&c->stopping, false);
	int flags = fcntl(listen_fd, F_GETFL);
	struct epoll_event sev = { .events = EPOLLIN, .data.fd = c->stop_fd };
	if (c->epoll_fd < 0 || c->stop_fd < 0 || flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    arm(c, listen_fd, EPOLL_CTL_ADD) < 0 || epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->stop_fd, &sev) < 0) {
		int saved = errno;
		conns_free(c);
		errno = saved;
		return NULL;
	}
	return c;
}

/* Accepts every pending connection and arms each; then re-arms the listening socket. */
static void accept_all(struct conns *c)
{
	for (;;) {
		/* Accepted sockets are blocking, as libfcgi reads them, whatever the listening socket is. */
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			break;
		}
		if (arm(c, fd, EPOLL_CTL_ADD) < 0) {
			log_warn("epoll: %s", strerror(errno));
			close(fd);
		}
	}
	if (!atomic_load(&c->stopping))
		arm(c, c->listen_fd, EPOLL_CTL_MOD);
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
	free(c);
}
