/* conns: nginx's FastCGI connections, kept alive between requests without tying up a worker thread.
 *
 * libfcgi serves one connection per thread and, with keep-alive, would block that thread on an idle
 * connection, so nginx holding more idle connections than there are threads could stall requests. Here
 * the listening socket and every idle connection sit in one epoll set, each armed one-shot; the workers
 * themselves wait on it (the kernel wakes one per event), accept new connections when the listening
 * socket is ready, and serve one request when a connection is: then give the connection back.
 * When accept() fails for want of descriptors (EMFILE, ENFILE), accepting pauses instead of retrying in a
 * loop (50 ms, doubling to 1 s while nothing can be accepted; one log line when it starts, one when it
 * ends): new connections wait in the listen backlog and are taken as connections close. */
#ifndef CGI_CONNS_H
#define CGI_CONNS_H

struct conns;

/* listen_fd: the FastCGI listening socket (made non-blocking here). NULL on failure (errno set). */
struct conns *conns_new(int listen_fd);
/* Blocks until a connection has a request waiting (accepting new connections meanwhile); returns its fd,
 * or -1 once conns_stop was called. Called by every worker at once. */
int conns_next(struct conns *c);
/* Gives a connection back to be watched for its next request (closed instead once stopping). */
void conns_release(struct conns *c, int fd);
/* Wakes every worker waiting in conns_next, which then returns -1; a worker serving a request finishes
 * it first. Stops accepting. */
void conns_stop(struct conns *c);
/* Frees everything once the workers have ended; idle connections close with the process. */
void conns_free(struct conns *c);

#endif
