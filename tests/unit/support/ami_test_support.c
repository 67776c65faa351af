/* ami_test_support: transcript streams and a scripted fake AMI server for the AMI unit tests. */
#include "ami_test_support.h"
#include "util/buf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---------- transcripts ---------- */

char *amit_transcript_stream(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "tests/unit/support/ami-transcripts/%s.txt", name);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		abort();
	}
	struct buf out;
	buf_init(&out);
	char line[4096];
	bool raw = strncmp(name, "11-", 3) == 0;   /* raw capture: every line after the comment is Asterisk's */
	bool first = true;
	while (fgets(line, sizeof line, f)) {
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (first) {
			first = false;
			if (line[0] == '#')
				continue;
		}
		const char *payload;
		if (raw) {
			payload = line;
		} else if (strncmp(line, "<<<", 3) == 0) {
			payload = line[3] == ' ' ? line + 4 : line + 3;
			/* 02-login-failure annotates timings: "text    [1.0 s]" */
			char *mark = strstr(line, "    [");
			if (mark && line[l - 1] == ']')
				*mark = '\0';
		} else {
			continue;
		}
		buf_puts(&out, payload);
		buf_puts(&out, "\r\n");
	}
	fclose(f);
	*len = out.len;
	return buf_steal(&out);
}

struct ami_msg **amit_parse_all(const char *data, size_t len, size_t chunk, bool banner, size_t *n)
{
	struct ami_parser p;
	ami_parser_init(&p, banner);
	size_t cap = 16;
	struct ami_msg **msgs = malloc(cap * sizeof *msgs);
	*n = 0;
	for (size_t off = 0; off < len; off += chunk) {
		size_t take = len - off < chunk ? len - off : chunk;
		if (ami_parser_feed(&p, data + off, take) != 0)
			break;
		struct ami_msg *m;
		while ((m = ami_parser_next(&p)) != NULL) {
			if (*n + 2 > cap) {
				cap *= 2;
				msgs = realloc(msgs, cap * sizeof *msgs);
			}
			msgs[(*n)++] = m;
		}
	}
	msgs[*n] = NULL;
	ami_parser_free(&p);
	return msgs;
}

void amit_msgs_free(struct ami_msg **msgs)
{
	for (size_t i = 0; msgs && msgs[i]; i++)
		ami_msg_destroy(msgs[i]);
	free(msgs);
}

/* ---------- fake server ---------- */

struct amit_conn {
	int fd;
	pthread_t thread;
	struct amit_server *srv;
	bool close_after;
	bool logged_in;
	struct amit_conn *next;
};

struct amit_server {
	int listen_fd;
	int port;
	amit_handler handler;
	void *userdata;
	bool auto_login;
	atomic_bool stop;
	pthread_t accept_thread;
	pthread_mutex_t mu;
	struct amit_conn *conns;
	int accepted;
	char banner[128];
};

const char *amit_id(const struct ami_msg *req)
{
	const char *id = ami_msg_get(req, "ActionID");
	return id ? id : "";
}

void amit_send(struct amit_conn *c, const char *data)
{
	size_t len = strlen(data), off = 0;
	while (off < len) {
		ssize_t n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return;
		}
		off += (size_t)n;
	}
}

void amit_sendf(struct amit_conn *c, const char *fmt, ...)
{
	struct buf b;
	buf_init(&b);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	amit_send(c, buf_cstr(&b));
	buf_free(&b);
}

void amit_close(struct amit_conn *c)
{
	c->close_after = true;
}

static void md5hex(const char *a, const char *b, char out[33])
{
	unsigned char md[16];
	unsigned int l = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	EVP_DigestUpdate(ctx, a, strlen(a));
	EVP_DigestUpdate(ctx, b, strlen(b));
	EVP_DigestFinal_ex(ctx, md, &l);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Returns true when the request was a login step it answered. */
static bool auto_login(struct amit_conn *c, const struct ami_msg *req)
{
	const char *action = ami_msg_get(req, "Action");
	if (!action)
		return false;
	if (strcasecmp(action, "Challenge") == 0) {
		amit_sendf(c, "Response: Success\r\nActionID: %s\r\nChallenge: 144790764\r\n\r\n", amit_id(req));
		return true;
	}
	if (strcasecmp(action, "Login") != 0)
		return false;
	const char *user = ami_msg_get(req, "Username");
	const char *secret = ami_msg_get(req, "Secret");
	const char *key = ami_msg_get(req, "Key");
	char want[33];
	md5hex("144790764", "s3cret", want);
	bool ok = user && strcmp(user, "admin") == 0 &&
	          ((secret && strcmp(secret, "s3cret") == 0) || (key && strcmp(key, want) == 0));
	if (ok) {
		c->logged_in = true;
		amit_sendf(c, "Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n", amit_id(req));
	} else {
		amit_sendf(c, "Response: Error\r\nActionID: %s\r\nMessage: Authentication failed\r\n\r\n", amit_id(req));
		c->close_after = true;
	}
	return true;
}

static void *conn_thread(void *arg)
{
	struct amit_conn *c = arg;
	struct amit_server *s = c->srv;
	struct ami_parser p;
	ami_parser_init(&p, false);
	pthread_mutex_lock(&s->mu);
	char banner[sizeof s->banner];
	memcpy(banner, s->banner, sizeof banner);
	pthread_mutex_unlock(&s->mu);
	amit_send(c, banner);
	char chunk[4096];
	while (!c->close_after) {
		ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		if (ami_parser_feed(&p, chunk, (size_t)n) != 0)
			break;
		struct ami_msg *m;
		while (!c->close_after && (m = ami_parser_next(&p)) != NULL) {
			if (!(s->auto_login && auto_login(c, m)) && s->handler)
				s->handler(c, m, s->userdata);
			ami_msg_destroy(m);
		}
	}
	ami_parser_free(&p);
	shutdown(c->fd, SHUT_RDWR);
	return NULL;
}

static void *accept_thread(void *arg)
{
	struct amit_server *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd pf = { .fd = s->listen_fd, .events = POLLIN };
		if (poll(&pf, 1, 20) <= 0)
			continue;
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* several small writes per answer */
		struct amit_conn *c = calloc(1, sizeof *c);
		c->fd = fd;
		c->srv = s;
		pthread_mutex_lock(&s->mu);
		c->next = s->conns;
		s->conns = c;
		s->accepted++;
		pthread_create(&c->thread, NULL, conn_thread, c);
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

struct amit_server *amit_server_start(amit_handler h, void *userdata, bool auto_login_on)
{
	struct amit_server *s = calloc(1, sizeof *s);
	s->handler = h;
	s->userdata = userdata;
	s->auto_login = auto_login_on;
	snprintf(s->banner, sizeof s->banner, "Asterisk Call Manager/11.0.0\r\n");
	atomic_init(&s->stop, false);
	pthread_mutex_init(&s->mu, NULL);
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 64) != 0)
		abort();
	socklen_t al = sizeof a;
	getsockname(s->listen_fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	pthread_create(&s->accept_thread, NULL, accept_thread, s);
	return s;
}

int amit_server_port(const struct amit_server *s)
{
	return s->port;
}

void amit_server_set_banner(struct amit_server *s, const char *banner)
{
	pthread_mutex_lock(&s->mu);
	snprintf(s->banner, sizeof s->banner, "%s", banner);
	pthread_mutex_unlock(&s->mu);
}

int amit_server_accepted(struct amit_server *s)
{
	pthread_mutex_lock(&s->mu);
	int n = s->accepted;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void amit_server_kill_conns(struct amit_server *s)
{
	pthread_mutex_lock(&s->mu);
	for (struct amit_conn *c = s->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->mu);
}

void amit_server_stop(struct amit_server *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->accept_thread, NULL);
	close(s->listen_fd);
	amit_server_kill_conns(s);
	while (s->conns) {
		struct amit_conn *c = s->conns;
		s->conns = c->next;
		pthread_join(c->thread, NULL);
		close(c->fd);
		free(c);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void amit_options(struct ami_options *o, int port)
{
	ami_options_defaults(o);
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	o->port = port;
	o->tls = false;
	snprintf(o->username, sizeof o->username, "admin");
	snprintf(o->secret, sizeof o->secret, "s3cret");
	o->auth = AMI_AUTH_PLAIN;
	o->pool_size = 2;
	o->connect_timeout_ms = 2000;
	o->io_timeout_ms = 2000;
	o->keepalive_s = 0;
	o->backoff_initial_ms = 50;
	o->backoff_max_ms = 400;
}
