/* ami_test_support: helpers for the AMI unit tests: the server side of the real Asterisk transcripts as byte
 * streams, and a scripted in-process fake AMI server (plain TCP on 127.0.0.1) for deterministic connection,
 * pool and event tests without the Python test PBX. Every symbol starts with amit_. */
#ifndef TESTS_AMI_TEST_SUPPORT_H
#define TESTS_AMI_TEST_SUPPORT_H

#include "ami/ami.h"

#include <stdbool.h>
#include <stddef.h>

/* Bytes Asterisk sent in tests/unit/support/ami-transcripts/<name>.txt ("<<<" lines, or every line of a raw
 * transcript such as 11-call-events), CRLF line ends, banner included. Caller frees. Aborts if unreadable. */
char *amit_transcript_stream(const char *name, size_t *len);
/* Feeds a whole stream to a parser and returns the messages in an array (NULL-terminated, caller frees with
 * amit_msgs_free); *n receives the count. chunk = bytes per feed (1 = one byte at a time). */
struct ami_msg **amit_parse_all(const char *data, size_t len, size_t chunk, bool banner, size_t *n);
void amit_msgs_free(struct ami_msg **msgs);

struct amit_conn;
struct amit_server;
/* Called for every complete request the fake server reads on a connection (login included, unless
 * auto_login handled it). Runs on that connection's thread. */
typedef void (*amit_handler)(struct amit_conn *c, const struct ami_msg *req, void *userdata);

/* Starts a fake AMI server on 127.0.0.1 (ephemeral port). auto_login: Challenge/Login are answered for user
 * "admin" with secret "s3cret" (plain or MD5 with challenge 144790764), others fail after no delay. */
struct amit_server *amit_server_start(amit_handler h, void *userdata, bool auto_login);
int amit_server_port(const struct amit_server *s);
/* Replaces the banner line sent to new connections (default "Asterisk Call Manager/11.0.0\r\n"). */
void amit_server_set_banner(struct amit_server *s, const char *banner);
/* Connections accepted so far. */
int amit_server_accepted(struct amit_server *s);
/* Closes every open connection (like a server crash) but keeps listening. */
void amit_server_kill_conns(struct amit_server *s);
void amit_server_stop(struct amit_server *s);

/* Writes raw bytes to the client. */
void amit_send(struct amit_conn *c, const char *data);
/* Writes printf-formatted bytes. */
void amit_sendf(struct amit_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes this connection after the handler returns. */
void amit_close(struct amit_conn *c);
/* The request's ActionID ("" when absent). */
const char *amit_id(const struct ami_msg *req);

/* Options pointing at a fake server: plain TCP, user admin / s3cret, short timeouts. */
void amit_options(struct ami_options *o, int port);

#endif
