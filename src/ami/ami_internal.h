/* ami_internal: declarations shared by the src/ami files and not part of the public API (one connection, TLS
 * context, allocation and error helpers). */
#ifndef AMI_AMI_INTERNAL_H
#define AMI_AMI_INTERNAL_H

#include "ami/ami.h"

#include <openssl/ssl.h>
#include <stdarg.h>

/* Allocation failure aborts, like util/buf. */
void *ami_xmalloc(size_t n);
void *ami_xrealloc(void *p, size_t n);
char *ami_xstrdup(const char *s);
char *ami_xstrndup(const char *s, size_t n);
/* snprintf into err when err is not NULL. */
void ami_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets r->status and r->message; returns the status. */
enum ami_status ami_result_set(struct ami_result *r, enum ami_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* What holding m costs, counted as the parser does (bytes + AMI_HEADER_COST per header). */
size_t ami_msg_cost(const struct ami_msg *m);
/* Appends a copy of a header without validation (parser and deep copies only). */
void ami_msg_push(struct ami_msg *m, const char *key, size_t klen, const char *value, size_t vlen);

/* "AA:BB:..." (hex, colons and spaces optional) -> 32 bytes. Returns 0 or -1. */
int ami_parse_fingerprint(const char *text, unsigned char out[32]);
/* 32 bytes -> "AA:BB:..." (95 characters + NUL). */
void ami_format_fingerprint(const unsigned char fp[32], char out[96]);

/* Monotonic clock in milliseconds. */
long long ami_now_ms(void);
/* Next reconnect delay: initial * 2^(failures-1), capped at max. */
int ami_backoff_ms(const struct ami_options *o, int failures);

/* TLS client context for o (verification mode, CA file, TLS >= 1.2). NULL with err on failure; also NULL
 * without error when o->tls is false. */
SSL_CTX *ami_tls_ctx_new(const struct ami_options *o, char *err, size_t errlen);

/* The largest TLS record a request is written in. Asterisk's manager reads a TLS connection into a 1024-byte
 * line buffer (get_input() in main/manager.c: inbuf[1025], maxlen 1024): one SSL_read of at most the buffer's
 * free part, and, whenever the buffer holds no complete line, a poll() on the socket that never asks OpenSSL
 * for bytes it has already decrypted. A record larger than the free part leaves its tail inside OpenSSL and
 * Asterisk waits for socket data that never comes (observed on 22.10.1: a 2,045-byte request in one record
 * went unanswered). Why records of at most 1024 bytes, each ending at a line end, are always read whole:
 * Asterisk reads only when its buffer holds no complete line; if every record so far ended at a line end and
 * was read whole, the buffer then holds no byte of ours at all, so its free part is the full 1024 bytes and
 * the next record fits; by induction no record is ever split, whatever came before. A line is at most
 * AMI_MAX_LINE_BYTES (= 1024, enforced by ami_msg_serialize), so one always fits a record.
 * Small records matter once more: Asterisk's socket is non-blocking, and an SSL_read that finds only part of
 * a record ends the session (iostream_read() returns EAGAIN, get_input() takes it as an input error); a record
 * of 1024 bytes plus TLS overhead (~1.05 KB) fits one TCP segment on any usual path (MSS >= 1360). */
#define AMI_TLS_RECORD_MAX 1024
_Static_assert(AMI_MAX_LINE_BYTES <= AMI_TLS_RECORD_MAX, "a whole line must fit one TLS record");

/* Length of the next record to write from data: all of it if it fits AMI_TLS_RECORD_MAX, else the longest
 * prefix that fits and ends with '\n' (a single longer line, which the serializer never makes, is cut). */
size_t ami_tls_record_len(const char *data, size_t len);

struct ami_conn;

/* Connects (TCP, then TLS with ctx when o->tls), checks the banner and logs in with "Events: events".
 * wake_fd (or -1): when it becomes readable every wait is abandoned (used to stop the event thread).
 * Returns the connection, or NULL with a human message in err (nothing of any request was written) and, when
 * no_answer is not NULL, whether the failure was a silence: connected, then nothing until the deadline. */
struct ami_conn *ami_conn_open(const struct ami_options *o, SSL_CTX *ctx, const char *events, int wake_fd,
                               char *err, size_t errlen, bool *no_answer);
void ami_conn_close(struct ami_conn *c);   /* NULL is fine */

/* Sends action with a fresh ActionID and waits for its answer (list events collected). Events and foreign
 * answers arriving meanwhile are set aside (discarded: pooled connections log in with Events: off). Returns
 * r->status; AMI_UNKNOWN_OUTCOME leaves the connection broken (ami_conn_broken). */
enum ami_status ami_conn_action(struct ami_conn *c, const struct ami_msg *action, struct ami_result *r);
bool ami_conn_broken(const struct ami_conn *c);
/* Reads whatever is already waiting without blocking (stray events are discarded). Returns 0 if the
 * connection still looks usable, -1 if the peer closed it or it failed. */
int ami_conn_poll_alive(struct ami_conn *c);
/* Event watcher: waits up to timeout_ms (-1 forever) for the next message. Returns 1 with *msg (caller frees),
 * 0 on timeout, -1 on failure or wake-up with err. */
int ami_conn_next(struct ami_conn *c, int timeout_ms, struct ami_msg **msg, char *err, size_t errlen);
/* On a connection just logged in with "Events: system" (or more): sends a Ping and reads up to its answer,
 * setting *booted when Asterisk said FullyBooted first (it does so at login only once fully booted, and only to a
 * user that may read "system"). Returns 0, or -1 with err (the connection is then broken). */
int ami_conn_fully_booted(struct ami_conn *c, bool *booted, char *err, size_t errlen);
/* Writes an action (fresh ActionID) without waiting for its answer. Returns 0 or -1 with err. */
int ami_conn_send(struct ami_conn *c, const struct ami_msg *action, char *err, size_t errlen);

#endif
