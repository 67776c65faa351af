/* ami_conn: one AMI connection: TCP connect, TLS with CA or pinned-fingerprint verification, banner check,
 * plain or MD5 login, and request/answer exchange with poll-based timeouts. Used by the pool and the event
 * watcher; not thread-safe on its own (one thread owns a connection at a time). */
#include "ami/ami_internal.h"
#include "util/buf.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct ami_conn {
	int fd;
	SSL *ssl;
	int wake_fd;
	int io_timeout_ms;
	struct ami_parser parser;
	char id_prefix[20];        /* random per connection: ActionIDs stay unique in Asterisk's logs */
	unsigned long seq;
	bool broken;
	char peer[300];            /* "host:port" for messages */
};

long long ami_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ami_backoff_ms(const struct ami_options *o, int failures)
{
	long long d = o->backoff_initial_ms;
	for (int i = 1; i < failures && d < o->backoff_max_ms; i++)
		d *= 2;
	return (int)(d > o->backoff_max_ms ? o->backoff_max_ms : d);
}

/* ---------- TLS context ---------- */

SSL_CTX *ami_tls_ctx_new(const struct ami_options *o, char *err, size_t errlen)
{
	if (!o->tls)
		return NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		ami_seterr(err, errlen, "TLS: cannot create context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* One read() takes every record the socket holds, not a header and a body per record (a Cdr flood is one
	 * record per event). The bytes it keeps are seen by SSL_has_pending, never by poll(): every wait below
	 * asks it first. */
	SSL_CTX_set_read_ahead(ctx, 1);
	if (o->cafile[0]) {
		if (SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) != 1) {
			ami_seterr(err, errlen, "TLS: cannot load CA file %s", o->cafile);
			SSL_CTX_free(ctx);
			ERR_clear_error();
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else if (o->fingerprint[0]) {
		/* Pinned: the handshake accepts any chain; the leaf's SHA-256 is compared before anything is sent. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_default_verify_paths(ctx);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
}

/* ---------- low-level I/O ---------- */

/* Waits until fd is ready for events or deadline (ms, monotonic; <0 = none) passes. Returns 0 ready,
 * -1 timeout, -2 woken (wake_fd readable), -3 poll error. */
static int wait_fd(const struct ami_conn *c, short events, long long deadline)
{
	for (;;) {
		struct pollfd pf[2] = { { .fd = c->fd, .events = events }, { .fd = c->wake_fd, .events = POLLIN } };
		int timeout = -1;
		if (deadline >= 0) {
			long long left = deadline - ami_now_ms();
			if (left <= 0)
				return -1;
			timeout = left > 1000000 ? 1000000 : (int)left;
		}
		int n = poll(pf, c->wake_fd >= 0 ? 2 : 1, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -3;
		}
		if (n == 0)
			continue;   /* loop re-checks the deadline */
		if (c->wake_fd >= 0 && (pf[1].revents & POLLIN))
			return -2;
		if (pf[0].revents)
			return 0;
	}
}

static const char *wait_error(int w)
{
	return w == -1 ? "timed out" : w == -2 ? "stopped" : "poll failed";
}

static void describe_ssl_error(char *out, size_t outlen)
{
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, out, outlen);
	else
		snprintf(out, outlen, "%s", errno ? strerror(errno) : "connection closed");
	ERR_clear_error();
}

/* SSL_write and SSL_shutdown may raise SIGPIPE through write(2) on a closed socket; the library must not kill
 * the process nor change its signal dispositions, so SIGPIPE is blocked on this thread around the call and any
 * SIGPIPE it raised is consumed before unblocking. */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t pipe_set, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old);
}

static void sigpipe_restore(const struct sigpipe_guard *g)
{
	int saved = errno;
	if (!g->was_pending) {
		sigset_t pipe_set, pending;
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		sigemptyset(&pending);
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE)) {
			const struct timespec zero = { 0, 0 };
			while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
	errno = saved;
}

static int ssl_write_nosigpipe(SSL *ssl, const void *data, int len)
{
	struct sigpipe_guard g;
	sigpipe_block(&g);
	int n = SSL_write(ssl, data, len);
	sigpipe_restore(&g);
	return n;
}

size_t ami_tls_record_len(const char *data, size_t len)
{
	if (len <= AMI_TLS_RECORD_MAX)
		return len;
	/* The last line end within the first AMI_TLS_RECORD_MAX bytes. */
	for (size_t n = AMI_TLS_RECORD_MAX; n > 0; n--)
		if (data[n - 1] == '\n')
			return n;
	return AMI_TLS_RECORD_MAX;   /* a longer line: the serializer never produces one */
}

/* Writes everything before deadline. Returns 0 or -1 with err. Over TLS each SSL_write is one record of
 * ami_tls_record_len() bytes (see AMI_TLS_RECORD_MAX); TCP_NODELAY sends each at once, so splitting adds
 * no wait. A write that must be retried is retried with the same record, as OpenSSL requires. */
static int conn_write(struct ami_conn *c, const char *data, size_t len, long long deadline, char *err,
                      size_t errlen)
{
	size_t off = 0;
	while (off < len) {
		short want = POLLOUT;
		if (c->ssl) {
			ERR_clear_error();
			size_t record = ami_tls_record_len(data + off, len - off);
			int n = ssl_write_nosigpipe(c->ssl, data + off, (int)record);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			int e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ)
				want = POLLIN;
			else if (e != SSL_ERROR_WANT_WRITE) {
				char why[200];
				describe_ssl_error(why, sizeof why);
				ami_seterr(err, errlen, "write to %s failed: %s", c->peer, why);
				return -1;
			}
		} else {
			ssize_t n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				ami_seterr(err, errlen, "write to %s failed: %s", c->peer, strerror(errno));
				return -1;
			}
		}
		int w = wait_fd(c, want, deadline);
		if (w != 0) {
			ami_seterr(err, errlen, "write to %s %s", c->peer, wait_error(w));
			return -1;
		}
	}
	return 0;
}

/* Reads once (waiting until deadline for data) and feeds the parser. Returns 0 after feeding at least one
 * byte, -2 when the deadline passed with nothing to read, -1 on EOF, error, wake-up or protocol error (err says
 * which). */
static int conn_read(struct ami_conn *c, long long deadline, char *err, size_t errlen)
{
	char chunk[16384];
	for (;;) {
		short want = POLLIN;
		ssize_t got;
		if (c->ssl) {
			ERR_clear_error();
			int n = SSL_read(c->ssl, chunk, sizeof chunk);
			if (n > 0) {
				got = n;
			} else {
				int e = SSL_get_error(c->ssl, n);
				if (e == SSL_ERROR_WANT_WRITE) {
					want = POLLOUT;
					got = -1;
				} else if (e == SSL_ERROR_WANT_READ) {
					got = -1;
				} else if (e == SSL_ERROR_ZERO_RETURN) {
					ami_seterr(err, errlen, "connection to %s closed by the server", c->peer);
					return -1;
				} else {
					char why[200];
					describe_ssl_error(why, sizeof why);
					if (e == SSL_ERROR_SYSCALL && strcmp(why, "connection closed") == 0)
						ami_seterr(err, errlen, "connection to %s closed by the server", c->peer);
					else
						ami_seterr(err, errlen, "read from %s failed: %s", c->peer, why);
					return -1;
				}
			}
		} else {
			got = recv(c->fd, chunk, sizeof chunk, 0);
			if (got == 0) {
				ami_seterr(err, errlen, "connection to %s closed by the server", c->peer);
				return -1;
			}
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				ami_seterr(err, errlen, "read from %s failed: %s", c->peer, strerror(errno));
				return -1;
			}
		}
		if (got > 0) {
			if (ami_parser_feed(&c->parser, chunk, (size_t)got) != 0) {
				ami_seterr(err, errlen, "%s (from %s)", c->parser.err, c->peer);
				return -1;
			}
			return 0;
		}
		int w = wait_fd(c, want, deadline);
		if (w != 0) {
			ami_seterr(err, errlen, "read from %s %s", c->peer, wait_error(w));
			return w == -1 ? -2 : -1;
		}
	}
}

/* ---------- connect ---------- */

static int tcp_connect(struct ami_conn *c, const struct ami_options *o, long long deadline, char *err,
                       size_t errlen)
{
	char port[16];
	snprintf(port, sizeof port, "%d", o->port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(o->host, port, &hints, &res);
	if (gai != 0) {
		ami_seterr(err, errlen, "cannot resolve %s: %s", o->host, gai_strerror(gai));
		return -1;
	}
	char why[200] = "no address";
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			continue;
		}
		c->fd = fd;
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc != 0 && errno == EINPROGRESS) {
			int w = wait_fd(c, POLLOUT, deadline);
			if (w != 0) {
				snprintf(why, sizeof why, "connect %s", wait_error(w));
				close(fd);
				c->fd = -1;
				if (w == -2)
					break;
				continue;
			}
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			rc = soerr ? -1 : 0;
			errno = soerr;
		}
		if (rc == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			freeaddrinfo(res);
			return 0;
		}
		snprintf(why, sizeof why, "%s", strerror(errno));
		close(fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	ami_seterr(err, errlen, "cannot connect to %s: %s", c->peer, why);
	return -1;
}

static bool is_ip_literal(const char *host)
{
	unsigned char a[16];
	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static int tls_handshake(struct ami_conn *c, const struct ami_options *o, SSL_CTX *ctx, long long deadline,
                         char *err, size_t errlen)
{
	c->ssl = SSL_new(ctx);
	if (!c->ssl) {
		ami_seterr(err, errlen, "TLS: cannot create session");
		return -1;
	}
	SSL_set_fd(c->ssl, c->fd);
	bool verify_chain = o->cafile[0] || !o->fingerprint[0];
	if (is_ip_literal(o->host)) {
		if (verify_chain)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), o->host);
	} else {
		SSL_set_tlsext_host_name(c->ssl, o->host);   /* SNI only for names (RFC 6066) */
		if (verify_chain)
			SSL_set1_host(c->ssl, o->host);
	}
	for (;;) {
		ERR_clear_error();
		int rc = SSL_connect(c->ssl);
		if (rc == 1)
			break;
		int e = SSL_get_error(c->ssl, rc);
		short want;
		if (e == SSL_ERROR_WANT_READ)
			want = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			want = POLLOUT;
		else {
			long vr = SSL_get_verify_result(c->ssl);
			char why[200];
			if (vr != X509_V_OK) {
				snprintf(why, sizeof why, "certificate verification failed: %s",
				         X509_verify_cert_error_string(vr));
				ERR_clear_error();
			} else {
				describe_ssl_error(why, sizeof why);
			}
			ami_seterr(err, errlen, "TLS handshake with %s failed: %s", c->peer, why);
			return -1;
		}
		int w = wait_fd(c, want, deadline);
		if (w != 0) {
			ami_seterr(err, errlen, "TLS handshake with %s %s", c->peer, wait_error(w));
			return -1;
		}
	}
	if (o->fingerprint[0]) {
		unsigned char want_fp[32], got_fp[32];
		unsigned int got_len = 0;
		if (ami_parse_fingerprint(o->fingerprint, want_fp) != 0) {
			ami_seterr(err, errlen, "TLS: configured fingerprint is not a SHA-256 in hex");
			return -1;
		}
		X509 *cert = SSL_get1_peer_certificate(c->ssl);
		if (!cert) {
			ami_seterr(err, errlen, "TLS: %s sent no certificate", c->peer);
			return -1;
		}
		int ok = X509_digest(cert, EVP_sha256(), got_fp, &got_len);
		X509_free(cert);
		if (!ok || got_len != 32) {
			ami_seterr(err, errlen, "TLS: cannot hash the certificate of %s", c->peer);
			return -1;
		}
		if (CRYPTO_memcmp(want_fp, got_fp, 32) != 0) {
			char a[96], b[96];
			ami_format_fingerprint(want_fp, a);
			ami_format_fingerprint(got_fp, b);
			ami_seterr(err, errlen, "TLS certificate mismatch for %s: expected %s, got %s", c->peer, a, b);
			return -1;
		}
	}
	return 0;
}

/* ---------- request / answer ---------- */

static void next_action_id(struct ami_conn *c, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s-%lu", c->id_prefix, ++c->seq);
}

static bool is_list_complete(const struct ami_msg *ev)
{
	const char *el = ami_msg_get(ev, "EventList");
	return el && strcasecmp(el, "Complete") == 0;
}

/* Fills r from the Response message (status and message). Takes ownership of resp. */
static enum ami_status take_response(struct ami_result *r, struct ami_msg *resp)
{
	r->response = resp;
	const char *kind = ami_msg_get(resp, "Response");
	const char *msg = ami_msg_get(resp, "Message");
	if (strcasecmp(kind, "Success") == 0 || strcasecmp(kind, "Follows") == 0 || strcasecmp(kind, "Goodbye") == 0)
		return ami_result_set(r, AMI_OK, "%s", msg ? msg : "");
	/* Command errors say "Command output follows": the first Output line is the useful text. */
	if (msg && strcasecmp(msg, "Command output follows") == 0 && ami_msg_get(resp, "Output"))
		msg = ami_msg_get(resp, "Output");
	r->refusal = ami_refusal_of(msg);
	/* Refused before anything ran, by a PBX going away: the same as no PBX (ami.h). */
	if (r->refusal == AMI_REFUSAL_SHUTTING_DOWN)
		return ami_result_set(r, AMI_UNREACHABLE, "%s", msg);
	if (msg && *msg)
		return ami_result_set(r, AMI_ERROR, "%s", msg);
	return ami_result_set(r, AMI_ERROR, "Response: %s", kind);
}

/* Waits until deadline for the whole answer to action_id. Returns AMI_OK/AMI_ERROR with r filled, or -1
 * (connection failed, deadline passed, or an answer bigger than the bounds of ami.h; err says which). */
static int await_answer(struct ami_conn *c, const char *action_id, long long deadline, struct ami_result *r,
                        char *err, size_t errlen)
{
	bool in_list = false;
	size_t cost = 0;
	for (;;) {
		struct ami_msg *m = ami_parser_next(&c->parser);
		if (!m) {
			int rc = conn_read(c, deadline, err, errlen);
			if (rc == -2)
				ami_seterr(err, errlen, "no complete answer from %s: timed out after %d ms", c->peer, c->io_timeout_ms);
			if (rc != 0)
				return -1;
			continue;
		}
		const char *id = ami_msg_get(m, "ActionID");
		bool ours = id ? strcmp(id, action_id) == 0 : false;
		if (!in_list && ami_msg_get(m, "Response") && (ours || !id)) {
			/* An answer without ActionID can only be ours: we have one request in flight. */
			const char *el = ami_msg_get(m, "EventList");
			bool list = el && strcasecmp(el, "start") == 0;
			int st = take_response(r, m);
			if (!list)
				return st;
			in_list = true;
			continue;
		}
		if (in_list && ours && ami_msg_get(m, "Event")) {
			if (is_list_complete(m)) {
				r->complete = m;
				return r->status;
			}
			cost += ami_msg_cost(m);
			if (r->n_events >= AMI_MAX_LIST_EVENTS || cost > AMI_MAX_ANSWER_COST) {
				ami_msg_destroy(m);
				ami_seterr(err, errlen, "answer from %s larger than the client accepts (%zu list events)",
				           c->peer, r->n_events);
				return -1;
			}
			if ((r->n_events & (r->n_events - 1)) == 0)   /* grow by doubling */
				r->events = ami_xrealloc(r->events, (r->n_events ? 2 * r->n_events : 1) * sizeof *r->events);
			r->events[r->n_events++] = m;
			continue;
		}
		/* An unsolicited event or a stale answer: set aside, never taken for ours. */
		log_debug("ami: %s: set aside a message (%s)", c->peer,
		          ami_msg_get(m, "Event") ? ami_msg_get(m, "Event") : "not ours");
		ami_msg_destroy(m);
	}
}

int ami_conn_send(struct ami_conn *c, const struct ami_msg *action, char *err, size_t errlen)
{
	char id[48];
	next_action_id(c, id, sizeof id);
	struct buf out;
	buf_init(&out);
	int rc = ami_msg_serialize(action, id, &out, err, errlen);
	if (rc == 0)
		rc = conn_write(c, out.data, out.len, ami_now_ms() + c->io_timeout_ms, err, errlen);
	buf_free(&out);
	if (rc != 0)
		c->broken = true;
	return rc;
}

enum ami_status ami_conn_action(struct ami_conn *c, const struct ami_msg *action, struct ami_result *r)
{
	ami_result_free(r);
	char id[48], err[400];
	next_action_id(c, id, sizeof id);
	struct buf out;
	buf_init(&out);
	if (ami_msg_serialize(action, id, &out, err, sizeof err) != 0) {
		buf_free(&out);
		return ami_result_set(r, AMI_INVALID, "%s", err);
	}
	if (c->broken) {
		buf_free(&out);
		return ami_result_set(r, AMI_UNREACHABLE, "connection to %s is broken", c->peer);
	}
	/* One deadline for the whole exchange. A failed write may still have delivered part or all of the
	 * request: its outcome is unknown. */
	long long deadline = ami_now_ms() + c->io_timeout_ms;
	int rc = conn_write(c, out.data, out.len, deadline, err, sizeof err);
	buf_free(&out);
	if (rc == 0)
		rc = await_answer(c, id, deadline, r, err, sizeof err);
	if (rc < 0) {
		c->broken = true;
		ami_result_free(r);
		return ami_result_set(r, AMI_UNKNOWN_OUTCOME, "request sent, answer lost: %s", err);
	}
	if (r->refusal == AMI_REFUSAL_SHUTTING_DOWN)
		c->broken = true;   /* Asterisk ends the session in a moment: the next request gets a new one */
	return r->status;
}

bool ami_conn_broken(const struct ami_conn *c)
{
	return c->broken;
}

int ami_conn_poll_alive(struct ami_conn *c)
{
	if (c->broken)
		return -1;
	char err[200];
	for (;;) {
		bool buffered = c->ssl && SSL_has_pending(c->ssl);
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };
		if (!buffered && poll(&pf, 1, 0) <= 0)
			break;
		int rc = conn_read(c, ami_now_ms(), err, sizeof err);
		if (rc == -2)
			break;   /* readable but no complete TLS record yet: not dead */
		if (rc != 0) {
			c->broken = true;
			return -1;
		}
	}
	struct ami_msg *m;
	while ((m = ami_parser_next(&c->parser)) != NULL)
		ami_msg_destroy(m);   /* stray events on an Events: off connection */
	return 0;
}

int ami_conn_next(struct ami_conn *c, int timeout_ms, struct ami_msg **msg, char *err, size_t errlen)
{
	long long deadline = timeout_ms < 0 ? -1 : ami_now_ms() + timeout_ms;
	for (;;) {
		struct ami_msg *m = ami_parser_next(&c->parser);
		if (m) {
			*msg = m;
			return 1;
		}
		if (c->ssl && SSL_has_pending(c->ssl)) {
			/* Bytes OpenSSL holds (read ahead): a whole record, or a part whose rest is awaited. */
			int rc = conn_read(c, deadline, err, errlen);
			if (rc == -2)
				return 0;
			if (rc != 0) {
				c->broken = true;
				return -1;
			}
			continue;
		}
		int w = wait_fd(c, POLLIN, deadline);
		if (w == -1)
			return 0;
		if (w != 0) {
			ami_seterr(err, errlen, "event connection to %s %s", c->peer, wait_error(w));
			return -1;
		}
		/* Readable: read with a short grace deadline (a TLS record may arrive in pieces). */
		if (conn_read(c, ami_now_ms() + c->io_timeout_ms, err, errlen) != 0) {
			c->broken = true;
			return -1;
		}
	}
}

int ami_conn_fully_booted(struct ami_conn *c, bool *booted, char *err, size_t errlen)
{
	*booted = false;
	struct ami_msg ping;
	ami_msg_init(&ping);
	ami_msg_add(&ping, "Action", "Ping");
	int rc = ami_conn_send(c, &ping, err, errlen);
	ami_msg_free(&ping);
	/* Asterisk writes FullyBooted right after the login's answer, before it reads the Ping: whatever comes
	 * before the Ping's answer (the only answer awaited) tells. */
	long long deadline = ami_now_ms() + c->io_timeout_ms;
	while (rc == 0) {
		long long left = deadline - ami_now_ms();
		struct ami_msg *m = NULL;
		int got = left > 0 ? ami_conn_next(c, (int)left, &m, err, errlen) : 0;
		if (got <= 0) {
			if (got == 0)
				ami_seterr(err, errlen, "no answer to Ping from %s in %d ms", c->peer, c->io_timeout_ms);
			c->broken = true;
			return -1;
		}
		const char *event = ami_msg_get(m, "Event");
		bool answer = ami_msg_get(m, "Response") != NULL;
		if (event && strcasecmp(event, "FullyBooted") == 0)
			*booted = true;
		ami_msg_destroy(m);
		if (answer)
			break;
	}
	return rc;
}

/* ---------- login ---------- */

static int md5_hex(const char *a, const char *b, char out[33])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) && EVP_DigestUpdate(ctx, a, strlen(a)) &&
	         EVP_DigestUpdate(ctx, b, strlen(b)) && EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	if (!ok || len != 16)
		return -1;
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Sends one login-phase action and waits for its answer. Returns 0 on Success, -1 with err otherwise. */
static int login_step(struct ami_conn *c, struct ami_msg *m, struct ami_result *r, const char *what,
                      long long deadline, char *err, size_t errlen)
{
	char id[48], e[400];
	next_action_id(c, id, sizeof id);
	struct buf out;
	buf_init(&out);
	int rc = ami_msg_serialize(m, id, &out, e, sizeof e);
	if (rc == 0)
		rc = conn_write(c, out.data, out.len, deadline, e, sizeof e);
	buf_free(&out);
	if (rc == 0)
		rc = await_answer(c, id, deadline, r, e, sizeof e) == AMI_OK ? 0 : (r->response ? -2 : -1);
	if (rc == -1)
		ami_seterr(err, errlen, "AMI %s on %s failed: %s", what, c->peer, e);
	else if (rc == -2)
		ami_seterr(err, errlen, "AMI %s on %s refused: %s", what, c->peer, r->message);
	return rc ? -1 : 0;
}

static int login(struct ami_conn *c, const struct ami_options *o, const char *events, long long deadline, char *err,
                 size_t errlen)
{
	struct ami_msg m;
	struct ami_result r;
	ami_msg_init(&m);
	ami_result_init(&r);
	int rc = 0;
	char key[33];
	if (o->auth == AMI_AUTH_MD5) {
		ami_msg_add(&m, "Action", "Challenge");
		ami_msg_add(&m, "AuthType", "MD5");
		rc = login_step(c, &m, &r, "MD5 challenge", deadline, err, errlen);
		const char *challenge = rc == 0 ? ami_msg_get(r.response, "Challenge") : NULL;
		if (rc == 0 && (!challenge || !*challenge)) {
			ami_seterr(err, errlen, "AMI MD5 challenge on %s: no Challenge in the answer", c->peer);
			rc = -1;
		}
		if (rc == 0 && md5_hex(challenge, o->secret, key) != 0) {
			ami_seterr(err, errlen, "AMI MD5: digest unavailable");
			rc = -1;
		}
		ami_msg_free(&m);
		ami_result_free(&r);
	}
	if (rc == 0) {
		ami_msg_add(&m, "Action", "Login");
		ami_msg_add(&m, "Username", o->username);
		if (o->auth == AMI_AUTH_MD5) {
			ami_msg_add(&m, "AuthType", "MD5");
			ami_msg_add(&m, "Key", key);
		} else {
			ami_msg_add(&m, "Secret", o->secret);
		}
		ami_msg_add(&m, "Events", events);
		rc = login_step(c, &m, &r, "login", deadline, err, errlen);
	}
	ami_msg_free(&m);
	ami_result_free(&r);
	return rc;
}

struct ami_conn *ami_conn_open(const struct ami_options *o, SSL_CTX *ctx, const char *events, int wake_fd,
                               char *err, size_t errlen, bool *no_answer)
{
	bool tcp_up = false;
	struct ami_conn *c = ami_xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->wake_fd = wake_fd;
	c->io_timeout_ms = o->io_timeout_ms;
	ami_parser_init(&c->parser, true);
	snprintf(c->peer, sizeof c->peer, strchr(o->host, ':') ? "[%s]:%d" : "%s:%d", o->host, o->port);
	unsigned char rnd[4] = { 0 };
	RAND_bytes(rnd, sizeof rnd);
	snprintf(c->id_prefix, sizeof c->id_prefix, "ctl%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);

	long long deadline = ami_now_ms() + o->connect_timeout_ms;
	if (o->tls && !ctx) {
		ami_seterr(err, errlen, "TLS requested without a TLS context");
		goto fail;
	}
	if (tcp_connect(c, o, deadline, err, errlen) != 0)
		goto fail;
	tcp_up = true;
	if (o->tls && tls_handshake(c, o, ctx, deadline, err, errlen) != 0)
		goto fail;
	/* The banner and the whole login share one deadline. */
	char e[300];
	deadline = ami_now_ms() + o->io_timeout_ms;
	while (!c->parser.banner) {
		if (conn_read(c, deadline, e, sizeof e) != 0) {
			ami_seterr(err, errlen, "no AMI banner from %s: %s", c->peer, e);
			goto fail;
		}
	}
	if (strncmp(c->parser.banner, "Asterisk Call Manager/", 22) != 0) {
		ami_seterr(err, errlen, "%s is not an Asterisk manager (unexpected banner)", c->peer);
		goto fail;
	}
	if (login(c, o, events, deadline, err, errlen) != 0)
		goto fail;
	return c;
fail:
	/* Connected, then silent until the deadline: a PBX that is there but does not answer (frozen, swamped). */
	if (no_answer)
		*no_answer = tcp_up && ami_now_ms() >= deadline;
	ami_conn_close(c);
	return NULL;
}

void ami_conn_close(struct ami_conn *c)
{
	if (!c)
		return;
	/* A healthy TLS session is ended with a close_notify: Asterisk logs "SSL_shutdown() failed" as an ERROR
	 * for every session that just disappears (observed on 22.10.1). One non-blocking attempt, never a wait
	 * for the peer's own close_notify; a broken connection is simply dropped. */
	if (c->ssl && !c->broken && SSL_is_init_finished(c->ssl)) {
		struct sigpipe_guard g;
		sigpipe_block(&g);
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
		sigpipe_restore(&g);
	}
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	ami_parser_free(&c->parser);
	free(c);
}
