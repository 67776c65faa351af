/* Unit tests: the TLS records the AMI library writes. Asterisk's manager reads TLS through a 1024-byte line
 * buffer and waits on the raw socket, never on OpenSSL's decrypted bytes (get_input() in main/manager.c), so
 * a request in one record larger than that buffer is never answered. These tests pin the record sizes: the
 * pure splitting rule, and the records a real pool connection sends to an in-process TLS server that reads
 * exactly as get_input() does (a window of 1024 minus what it holds, poll() on the socket only); and the
 * close_notify that ends a session (without one Asterisk logs an ERROR per session); and events that arrive
 * many TLS records in one read, all delivered without waiting for more bytes. */
#include <check.h>

#include "support/check_run.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ami/ami.h"
#include "ami/ami_internal.h"
#include "util/buf.h"

#define INBUF_MAX 1024       /* sizeof(inbuf) - 1 in main/manager.c */
#define MAX_READS 256

/* ---------- the splitting rule ---------- */

/* Splits data with ami_tls_record_len and checks the records: none longer than the bound, each but a
 * shorter last one ending at a line end, together exactly data, and greedy (the next line would not fit).
 * Returns the number of records. */
static size_t check_split(const char *data, size_t len)
{
	size_t off = 0, records = 0;
	while (off < len) {
		size_t n = ami_tls_record_len(data + off, len - off);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_le(n, AMI_TLS_RECORD_MAX);
		ck_assert_uint_le(off + n, len);
		if (off + n < len) {
			ck_assert_msg(data[off + n - 1] == '\n', "record %zu does not end at a line end", records);
			const char *next_end = memchr(data + off + n, '\n', len - off - n);
			size_t next_line = next_end ? (size_t)(next_end - (data + off + n)) + 1 : len - off - n;
			ck_assert_msg(n + next_line > AMI_TLS_RECORD_MAX, "record %zu could have held the next line",
			              records);
		}
		off += n;
		records++;
	}
	ck_assert_uint_eq(off, len);
	return records;
}

START_TEST(record_bound_is_asterisks_buffer)
{
	ck_assert_int_eq(AMI_TLS_RECORD_MAX, INBUF_MAX);
	ck_assert_int_le(AMI_MAX_LINE_BYTES, AMI_TLS_RECORD_MAX);
}
END_TEST

START_TEST(small_request_is_one_record)
{
	const char *req = "Action: Ping\r\nActionID: x-1\r\n\r\n";
	ck_assert_uint_eq(ami_tls_record_len(req, strlen(req)), strlen(req));
	char exact[AMI_TLS_RECORD_MAX + 1];
	memset(exact, 'a', sizeof exact);
	exact[AMI_TLS_RECORD_MAX - 2] = '\r';
	exact[AMI_TLS_RECORD_MAX - 1] = '\n';
	ck_assert_uint_eq(ami_tls_record_len(exact, AMI_TLS_RECORD_MAX), AMI_TLS_RECORD_MAX);
}
END_TEST

START_TEST(long_request_is_cut_at_line_ends)
{
	/* Lines of many lengths, one of them the longest Asterisk accepts (1022 bytes + CRLF). */
	char data[20000];
	size_t len = 0;
	static const size_t lengths[] = { 20, 700, 300, 1024, 5, 1000, 25, 25, 980, 44, 512, 512, 1, 1023, 2 };
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
			size_t l = lengths[i] < 2 ? 2 : lengths[i];
			memset(data + len, 'A' + (char)i, l - 2);
			data[len + l - 2] = '\r';
			data[len + l - 1] = '\n';
			len += l;
		}
	}
	ck_assert_uint_ge(check_split(data, len), len / AMI_TLS_RECORD_MAX);
}
END_TEST

START_TEST(line_longer_than_a_record_is_cut_at_the_bound)
{
	char data[3000];
	memset(data, 'x', sizeof data);
	ck_assert_uint_eq(ami_tls_record_len(data, sizeof data), AMI_TLS_RECORD_MAX);
}
END_TEST

/* ---------- on the wire: an Asterisk-like TLS reader ---------- */

struct tls_server {
	int listen_fd;
	int port;
	SSL_CTX *ctx;
	char fingerprint[96];
	pthread_t thread;
	/* what the reader saw for the request after the login */
	size_t reads[MAX_READS];   /* bytes returned by each SSL_read */
	size_t n_reads;
	size_t request_bytes;
	bool stalled;              /* a line was incomplete and the socket stayed silent */
	bool answered;
	bool close_notify;         /* the client ended the session with a TLS close_notify */
};

/* A self-signed P-256 certificate for CN=localhost, made in memory. */
static void make_cert(struct tls_server *s)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(key);
	X509 *cert = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	ck_assert_int_gt(X509_sign(cert, key, EVP_sha256()), 0);
	unsigned char fp[32];
	unsigned int fp_len = 0;
	X509_digest(cert, EVP_sha256(), fp, &fp_len);
	ck_assert_uint_eq(fp_len, 32);
	ami_format_fingerprint(fp, s->fingerprint);
	s->ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_int_eq(SSL_CTX_use_certificate(s->ctx, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(s->ctx, key), 1);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* get_input(): one line from buf, or a read of at most INBUF_MAX - held bytes after poll() on the socket
 * (SSL_pending deliberately ignored, as Asterisk does). Returns the line length (without CRLF) with the line
 * copied to out, or -1 on a stall (2 s of socket silence while a line is incomplete) or an error. */
static int get_input(struct tls_server *s, SSL *ssl, int fd, char *buf, size_t *held, char *out, bool record)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *held);
		if (nl) {
			size_t used = (size_t)(nl - buf) + 1;
			size_t line = used - 1 - (used >= 2 && buf[used - 2] == '\r');
			memcpy(out, buf, line);
			out[line] = '\0';
			memmove(buf, buf + used, *held - used);
			*held -= used;
			return (int)line;
		}
		ck_assert_uint_lt(*held, INBUF_MAX);
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 2000) <= 0) {
			s->stalled = true;
			return -1;
		}
		int n = SSL_read(ssl, buf + *held, (int)(INBUF_MAX - *held));
		if (n <= 0)
			return -1;
		if (record && s->n_reads < MAX_READS)
			s->reads[s->n_reads++] = (size_t)n;
		if (record)
			s->request_bytes += (size_t)n;
		*held += (size_t)n;
	}
}

/* Reads one message's lines; copies the value of the ActionID and Action headers. Returns 0 or -1. */
static int read_message(struct tls_server *s, SSL *ssl, int fd, char *buf, size_t *held, bool record,
                        char *action, char *id)
{
	char line[INBUF_MAX + 1];
	*action = *id = '\0';
	int n;
	while ((n = get_input(s, ssl, fd, buf, held, line, record)) > 0) {
		if (strncasecmp(line, "Action: ", 8) == 0)
			snprintf(action, 64, "%.63s", line + 8);
		else if (strncasecmp(line, "ActionID: ", 10) == 0)
			snprintf(id, 64, "%.63s", line + 10);
	}
	return n;
}

static void reply(SSL *ssl, const char *id, const char *message)
{
	char out[256];
	int len = snprintf(out, sizeof out, "Response: Success\r\nActionID: %s\r\nMessage: %s\r\n\r\n", id, message);
	SSL_write(ssl, out, len);
}

static void *serve_one(void *arg)
{
	struct tls_server *s = arg;
	int fd = accept(s->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	SSL *ssl = SSL_new(s->ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		const char banner[] = "Asterisk Call Manager/11.0.0\r\n";
		SSL_write(ssl, banner, (int)strlen(banner));
		char buf[INBUF_MAX + 1], action[64], id[64];
		size_t held = 0;
		if (read_message(s, ssl, fd, buf, &held, false, action, id) == 0 && strcmp(action, "Login") == 0) {
			reply(ssl, id, "Authentication accepted");
			if (read_message(s, ssl, fd, buf, &held, true, action, id) == 0) {
				reply(ssl, id, "Updated");
				s->answered = true;
				/* Then the client goes: with a close_notify (Asterisk logs an ERROR without one). */
				char rest[256];
				int n = SSL_read(ssl, rest, sizeof rest);
				s->close_notify = n == 0 && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN;
			}
		}
	}
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void server_start_with(struct tls_server *s, void *(*serve)(void *), void *arg)
{
	memset(s, 0, sizeof *s);
	make_cert(s);
	s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(s->listen_fd, 4), 0);
	socklen_t al = sizeof a;
	getsockname(s->listen_fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	pthread_create(&s->thread, NULL, serve, arg);
}

static void server_start(struct tls_server *s)
{
	server_start_with(s, serve_one, s);
}

static void server_stop(struct tls_server *s)
{
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	SSL_CTX_free(s->ctx);
}

/* Sends, through a TLS pool pinned to the server's certificate, an UpdateConfig of n_appends Append actions
 * with values of value_len bytes; returns the serialized size of that request (ActionID aside). */
static size_t send_update(struct tls_server *s, int n_appends, size_t value_len, struct ami_result *r)
{
	struct ami_options o;
	ami_options_defaults(&o);
	snprintf(o.host, sizeof o.host, "127.0.0.1");
	o.port = s->port;
	o.tls = true;
	snprintf(o.fingerprint, sizeof o.fingerprint, "%s", s->fingerprint);
	snprintf(o.username, sizeof o.username, "admin");
	snprintf(o.secret, sizeof o.secret, "s3cret");
	o.auth = AMI_AUTH_PLAIN;
	o.pool_size = 1;
	o.io_timeout_ms = 5000;
	char err[300];
	struct ami_pool *pool = ami_pool_create(&o, err, sizeof err);
	ck_assert_msg(pool != NULL, "%s", err);
	struct ami_update u;
	ami_update_init(&u, "pjsip.conf");
	ami_update_add(&u, AMI_UC_NEWCAT, "201", NULL, NULL, NULL, -1, NULL, NULL);
	char value[1100];
	memset(value, 'v', value_len);
	value[value_len] = '\0';
	for (int i = 0; i < n_appends; i++)
		ami_update_add(&u, AMI_UC_APPEND, "201", "set_var", value, NULL, -1, NULL, NULL);
	ck_assert_str_eq(u.err, "");
	struct ami_msg m;
	ami_msg_init(&m);
	ck_assert_int_eq(ami_update_build(&u, &m, err, sizeof err), 0);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(ami_msg_serialize(&m, NULL, &out, err, sizeof err), 0);
	size_t size = out.len;
	buf_free(&out);
	enum ami_status st = ami_pool_action(pool, &m, r);
	ck_assert_msg(st == AMI_OK, "%s: %s", ami_status_name(st), r->message);
	ami_msg_free(&m);
	ami_update_free(&u);
	ami_pool_destroy(pool);
	return size;
}

START_TEST(big_update_is_answered_by_an_asterisk_like_reader)
{
	/* ~3.7 KB: 30 values of 100 bytes, well over Asterisk's 1024-byte buffer. */
	struct tls_server s;
	server_start(&s);
	struct ami_result r;
	ami_result_init(&r);
	size_t size = send_update(&s, 30, 100, &r);
	ami_result_free(&r);
	server_stop(&s);
	ck_assert_msg(!s.stalled, "the reader stalled: a record did not fit Asterisk's buffer");
	ck_assert(s.answered);
	ck_assert_uint_gt(size, 3 * INBUF_MAX);
	/* Every SSL_read got a whole record (reads never hit the window) and the records added up. */
	ck_assert_uint_ge(s.n_reads, 4);
	for (size_t i = 0; i < s.n_reads; i++)
		ck_assert_msg(s.reads[i] <= AMI_TLS_RECORD_MAX, "read %zu: %zu bytes", i, s.reads[i]);
	ck_assert_uint_gt(s.request_bytes, size);   /* + the ActionID line */
	ck_assert_msg(s.close_notify, "the pool closed its TLS session without a close_notify");
}
END_TEST

START_TEST(lines_of_the_longest_size_each_fit)
{
	/* Values that make lines of exactly 1024 bytes with CRLF ("Value-000001: " + 1008 bytes + CRLF). */
	struct tls_server s;
	server_start(&s);
	struct ami_result r;
	ami_result_init(&r);
	send_update(&s, 3, 1008, &r);
	ami_result_free(&r);
	server_stop(&s);
	ck_assert(!s.stalled);
	ck_assert(s.answered);
	int full = 0;
	for (size_t i = 0; i < s.n_reads; i++) {
		ck_assert_uint_le(s.reads[i], AMI_TLS_RECORD_MAX);
		full += s.reads[i] == AMI_TLS_RECORD_MAX;
	}
	ck_assert_int_eq(full, 3);   /* each long line alone in a record that fills the buffer exactly */
}
END_TEST

/* ---------- events arriving many records at once ---------- */

enum { BURST = 50 };

struct burst {
	struct tls_server srv;
	pthread_mutex_t mu;
	int seen;
	bool done;   /* the test is over: the server may hang up */
};

/* After the login: BURST events, each its own TLS record as Asterisk writes them, all reaching the client in
 * one send() (gathered in a memory BIO), then silence with the connection open. */
static void *serve_burst(void *arg)
{
	struct burst *b = arg;
	struct tls_server *s = &b->srv;
	int fd = accept(s->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	SSL *ssl = SSL_new(s->ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		const char banner[] = "Asterisk Call Manager/11.0.0\r\n";
		SSL_write(ssl, banner, (int)strlen(banner));
		char buf[INBUF_MAX + 1], action[64], id[64];
		size_t held = 0;
		if (read_message(s, ssl, fd, buf, &held, false, action, id) == 0 && strcmp(action, "Login") == 0) {
			reply(ssl, id, "Authentication accepted");
			BIO *gather = BIO_new(BIO_s_mem());
			SSL_set0_wbio(ssl, gather);
			for (int i = 1; i <= BURST; i++) {
				char ev[128];
				int len = snprintf(ev, sizeof ev, "Event: Cdr\r\nPrivilege: cdr,all\r\nSeq: %d\r\n\r\n", i);
				SSL_write(ssl, ev, len);
			}
			char *bytes;
			long n = BIO_get_mem_data(gather, &bytes);
			ck_assert_int_eq(send(fd, bytes, (size_t)n, 0), n);
			for (int waited = 0; waited < 100; waited++) {
				pthread_mutex_lock(&b->mu);
				bool done = b->done;
				pthread_mutex_unlock(&b->mu);
				if (done)
					break;
				usleep(50 * 1000);
			}
		}
	}
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void count_burst(const struct ami_msg *ev, void *ud)
{
	struct burst *b = ud;
	(void)ev;
	pthread_mutex_lock(&b->mu);
	b->seen++;
	pthread_mutex_unlock(&b->mu);
}

/* With read-ahead, one read() takes all the records; the events wait must ask OpenSSL (SSL_has_pending)
 * before poll(), or the events after the first stay in OpenSSL's buffer until the next byte or keep-alive. */
START_TEST(events_read_ahead_are_delivered_without_more_bytes)
{
	struct burst b;
	memset(&b, 0, sizeof b);
	pthread_mutex_init(&b.mu, NULL);
	server_start_with(&b.srv, serve_burst, &b);
	struct ami_options o;
	ami_options_defaults(&o);
	snprintf(o.host, sizeof o.host, "127.0.0.1");
	o.port = b.srv.port;
	o.tls = true;
	snprintf(o.fingerprint, sizeof o.fingerprint, "%s", b.srv.fingerprint);
	snprintf(o.username, sizeof o.username, "admin");
	snprintf(o.secret, sizeof o.secret, "s3cret");
	o.auth = AMI_AUTH_PLAIN;
	o.keepalive_s = 30;   /* a stall would last until this Ping: far past the wait below */
	char err[300];
	struct ami_events *e = ami_events_new(&o, "cdr", err, sizeof err);
	ck_assert_msg(e != NULL, "%s", err);
	ck_assert_int_eq(ami_events_on(e, "Cdr", count_burst, &b), 0);
	ck_assert_int_eq(ami_events_start(e), 0);
	int seen = 0;
	for (int waited = 0; waited < 40 && seen < BURST; waited++) {
		usleep(50 * 1000);
		pthread_mutex_lock(&b.mu);
		seen = b.seen;
		pthread_mutex_unlock(&b.mu);
	}
	pthread_mutex_lock(&b.mu);
	b.done = true;
	pthread_mutex_unlock(&b.mu);
	ami_events_destroy(e);
	server_stop(&b.srv);
	pthread_mutex_destroy(&b.mu);
	ck_assert_msg(seen == BURST, "%d of %d events delivered within 2 s", seen, BURST);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ami_tls");
	TCase *tc = tcase_create("records");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, record_bound_is_asterisks_buffer);
	tcase_add_test(tc, small_request_is_one_record);
	tcase_add_test(tc, long_request_is_cut_at_line_ends);
	tcase_add_test(tc, line_longer_than_a_record_is_cut_at_the_bound);
	tcase_add_test(tc, big_update_is_answered_by_an_asterisk_like_reader);
	tcase_add_test(tc, lines_of_the_longest_size_each_fit);
	tcase_add_test(tc, events_read_ahead_are_delivered_without_more_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
