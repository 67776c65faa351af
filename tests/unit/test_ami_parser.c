/* Unit tests: the incremental AMI parser, fed the real Asterisk 22 transcripts whole and one byte at a time,
 * plus the awkward cases: interleaved events, EventList, both Command formats, bare LF, oversized lines. */
#include <check.h>

#include "support/check_run.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ami/ami.h"
#include "support/ami_test_support.h"

static const char *const transcripts[] = {
	"01-login-and-basics", "02-login-failure", "03-login-md5", "04-permission-denied", "05-updateconfig",
	"06-updateconfig-errors", "07-limits", "08-bare-lf-injection", "09-command", "10-lists",
	"10b-lists-registered", "11-call-events",
};

static void assert_same_msgs(struct ami_msg **a, size_t na, struct ami_msg **b, size_t nb, const char *what)
{
	ck_assert_msg(na == nb, "%s: %zu vs %zu messages", what, na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_uint_eq(a[i]->n, b[i]->n);
		for (size_t j = 0; j < a[i]->n; j++) {
			ck_assert_str_eq(a[i]->hdr[j].key, b[i]->hdr[j].key);
			ck_assert_str_eq(a[i]->hdr[j].value, b[i]->hdr[j].value);
		}
	}
}

START_TEST(transcripts_parse_the_same_whole_or_byte_by_byte)
{
	const char *name = transcripts[_i];
	size_t len, n1, n2, n3;
	char *data = amit_transcript_stream(name, &len);
	struct ami_msg **whole = amit_parse_all(data, len, len, true, &n1);
	struct ami_msg **bytes = amit_parse_all(data, len, 1, true, &n2);
	struct ami_msg **sevens = amit_parse_all(data, len, 7, true, &n3);
	ck_assert_msg(n1 > 0, "%s: no message", name);
	assert_same_msgs(whole, n1, bytes, n2, name);
	assert_same_msgs(whole, n1, sevens, n3, name);
	/* Every message is either a response or an event. */
	for (size_t i = 0; i < n1; i++)
		ck_assert_msg(ami_msg_get(whole[i], "Response") || ami_msg_get(whole[i], "Event"), "%s msg %zu", name, i);
	amit_msgs_free(whole);
	amit_msgs_free(bytes);
	amit_msgs_free(sevens);
	free(data);
}
END_TEST

START_TEST(banner_then_login_answer)
{
	struct ami_parser p;
	ami_parser_init(&p, true);
	const char *s = "Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nMessage: Authentication accepted\r\n\r\n";
	ck_assert_int_eq(ami_parser_feed(&p, s, strlen(s)), 0);
	ck_assert_str_eq(p.banner, "Asterisk Call Manager/11.0.0");
	struct ami_msg *m = ami_parser_next(&p);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(ami_msg_get(m, "response"), "Success");
	ck_assert_str_eq(ami_msg_get(m, "Message"), "Authentication accepted");
	ck_assert_ptr_null(ami_parser_next(&p));
	ami_msg_destroy(m);
	ami_parser_free(&p);
}
END_TEST

START_TEST(interleaved_events_and_responses_stay_separate)
{
	const char *s = "Event: FullyBooted\r\nPrivilege: system,all\r\n\r\n"
	                "Response: Success\r\nActionID: a1\r\nPing: Pong\r\n\r\n"
	                "Event: PeerStatus\r\nPeer: PJSIP/201\r\n\r\n";
	size_t n;
	struct ami_msg **m = amit_parse_all(s, strlen(s), 1, false, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ami_msg_get(m[0], "Event"), "FullyBooted");
	ck_assert_str_eq(ami_msg_get(m[1], "ActionID"), "a1");
	ck_assert_ptr_null(ami_msg_get(m[1], "Event"));
	ck_assert_str_eq(ami_msg_get(m[2], "Peer"), "PJSIP/201");
	amit_msgs_free(m);
}
END_TEST

START_TEST(eventlist_from_transcript)
{
	size_t len, n;
	char *data = amit_transcript_stream("10-lists", &len);
	struct ami_msg **m = amit_parse_all(data, len, 3, true, &n);
	/* login, endpoints start + 2 + complete, contacts error, ... */
	ck_assert_str_eq(ami_msg_get(m[1], "EventList"), "start");
	ck_assert_str_eq(ami_msg_get(m[2], "Event"), "EndpointList");
	ck_assert_str_eq(ami_msg_get(m[2], "ObjectName"), "201");
	ck_assert_str_eq(ami_msg_get(m[2], "Transport"), "");   /* "Transport: " is an empty value */
	ck_assert_str_eq(ami_msg_get(m[3], "ObjectName"), "202");
	ck_assert_str_eq(ami_msg_get(m[4], "EventList"), "Complete");
	ck_assert_str_eq(ami_msg_get(m[4], "ListItems"), "2");
	/* The stray empty line after "No Contacts found" does not make an extra message. */
	ck_assert_str_eq(ami_msg_get(m[5], "Message"), "No Contacts found");
	ck_assert_int_eq(ami_refusal_of(ami_msg_get(m[5], "Message")), AMI_REFUSAL_EMPTY_LIST);
	ck_assert_str_eq(ami_msg_get(m[6], "ActionID"), "l3");
	amit_msgs_free(m);
	free(data);
}
END_TEST

/* Asterisk's refusals become kinds: exact words only (a longer message is another refusal). */
START_TEST(refusal_kinds)
{
	ck_assert_int_eq(ami_refusal_of("Config file not found"), AMI_REFUSAL_FILE_NOT_FOUND);
	ck_assert_int_eq(ami_refusal_of("Config file has invalid format"), AMI_REFUSAL_FILE_INVALID);
	ck_assert_int_eq(ami_refusal_of("File requires escalated privileges"), AMI_REFUSAL_FILE_PRIVILEGES);
	ck_assert_int_eq(ami_refusal_of("File exists"), AMI_REFUSAL_FILE_EXISTS);
	ck_assert_int_eq(ami_refusal_of("No such file or directory"), AMI_REFUSAL_NO_DIRECTORY);
	ck_assert_int_eq(ami_refusal_of("A reload is in progress"), AMI_REFUSAL_RELOAD_IN_PROGRESS);
	ck_assert_int_eq(ami_refusal_of("Asterisk is shutting down"), AMI_REFUSAL_SHUTTING_DOWN);
	ck_assert_int_eq(ami_refusal_of("No AORs found\n"), AMI_REFUSAL_EMPTY_LIST);   /* the stray LF */
	ck_assert_int_eq(ami_refusal_of("No Auths found"), AMI_REFUSAL_EMPTY_LIST);
	ck_assert_int_eq(ami_refusal_of("No endpoints found"), AMI_REFUSAL_EMPTY_LIST);
	ck_assert_int_eq(ami_refusal_of("Did not find context centralita-phones"), AMI_REFUSAL_EMPTY_LIST);
	ck_assert_int_eq(ami_refusal_of("Did not find context "), AMI_REFUSAL_OTHER);
	ck_assert_int_eq(ami_refusal_of("File exists, but"), AMI_REFUSAL_OTHER);
	ck_assert_int_eq(ami_refusal_of("Permission denied"), AMI_REFUSAL_OTHER);
	ck_assert_int_eq(ami_refusal_of(""), AMI_REFUSAL_OTHER);
	ck_assert_int_eq(ami_refusal_of(NULL), AMI_REFUSAL_OTHER);
}
END_TEST

START_TEST(command_output_new_format)
{
	size_t len, n;
	char *data = amit_transcript_stream("09-command", &len);
	struct ami_msg **m = amit_parse_all(data, len, 1, true, &n);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(ami_msg_get(m[3], "ActionID"), "c3");
	ck_assert_uint_eq(ami_msg_count(m[3], "Output"), 23);
	/* Leading spaces of output lines are kept: only the one space after the colon goes. */
	ck_assert_str_eq(m[3]->hdr[4].value, " Endpoint:  <Endpoint/CID.....................................>"
	                                     "  <State.....>  <Channels.>");
	ck_assert_str_eq(ami_msg_get(m[6], "Response"), "Error");
	ck_assert_str_eq(ami_msg_get(m[6], "Output"),
	                 "No such command 'no such command' (type 'core show help no such' for other possible commands)");
	amit_msgs_free(m);
	free(data);
}
END_TEST

START_TEST(command_output_old_follows_format)
{
	const char *s = "Response: Follows\r\nPrivilege: Command\r\nActionID: c9\r\n"
	                "Asterisk 1.8.32 built by root\n"
	                "\n"
	                "Key: looks like a header\n"
	                "last line--END COMMAND--\r\n\r\n"
	                "Response: Follows\r\nPrivilege: Command\r\n"
	                "only line\n--END COMMAND--\r\n\r\n"
	                "Response: Success\r\nActionID: after\r\n\r\n";
	for (size_t chunk = 1; chunk <= strlen(s); chunk += 5) {
		size_t n;
		struct ami_msg **m = amit_parse_all(s, strlen(s), chunk, false, &n);
		ck_assert_uint_eq(n, 3);
		ck_assert_str_eq(ami_msg_get(m[0], "ActionID"), "c9");
		ck_assert_uint_eq(ami_msg_count(m[0], "Output"), 4);
		ck_assert_str_eq(m[0]->hdr[3].value, "Asterisk 1.8.32 built by root");
		ck_assert_str_eq(m[0]->hdr[4].value, "");
		ck_assert_str_eq(m[0]->hdr[5].key, "Output");
		ck_assert_str_eq(m[0]->hdr[5].value, "Key: looks like a header");
		ck_assert_str_eq(m[0]->hdr[6].value, "last line");
		ck_assert_uint_eq(ami_msg_count(m[1], "Output"), 1);
		ck_assert_str_eq(ami_msg_get(m[1], "Output"), "only line");
		ck_assert_str_eq(ami_msg_get(m[2], "ActionID"), "after");
		amit_msgs_free(m);
	}
}
END_TEST

START_TEST(bare_lf_and_bare_lines)
{
	const char *s = "Response: Success\nActionID: g4\nNo categories found\n\n";
	size_t n;
	struct ami_msg **m = amit_parse_all(s, strlen(s), 1, false, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(m[0]->n, 3);
	ck_assert_str_eq(m[0]->hdr[2].key, "No categories found");
	ck_assert_str_eq(m[0]->hdr[2].value, "");
	amit_msgs_free(m);
}
END_TEST

START_TEST(oversized_line_is_a_protocol_error)
{
	struct ami_parser p;
	ami_parser_init(&p, false);
	char *big = malloc(AMI_PARSER_MAX_LINE + 10);
	memset(big, 'a', AMI_PARSER_MAX_LINE + 10);
	ck_assert_int_eq(ami_parser_feed(&p, "Response: Success\r\nX: ", 22), 0);
	ck_assert_int_eq(ami_parser_feed(&p, big, AMI_PARSER_MAX_LINE + 10), -1);
	ck_assert_ptr_nonnull(strstr(p.err, "line longer"));
	/* A failed parser stays failed. */
	ck_assert_int_eq(ami_parser_feed(&p, "\r\n\r\n", 4), -1);
	ck_assert_ptr_null(ami_parser_next(&p));
	ami_parser_free(&p);
	free(big);

	/* Just under the limit is fine, even fed byte by byte. */
	ami_parser_init(&p, false);
	size_t ok = AMI_PARSER_MAX_LINE - 10;
	big = malloc(ok);
	memset(big, 'b', ok);
	memcpy(big, "Output: ", 8);
	ck_assert_int_eq(ami_parser_feed(&p, big, ok), 0);
	ck_assert_int_eq(ami_parser_feed(&p, "\r\n\r\n", 4), 0);
	struct ami_msg *m = ami_parser_next(&p);
	ck_assert_uint_eq(strlen(ami_msg_get(m, "Output")), ok - 8);
	ami_msg_destroy(m);
	ami_parser_free(&p);
	free(big);
}
END_TEST

/* A hostile PBX's message of tiny headers: refused once its cost (bytes + AMI_HEADER_COST per header) passes the
 * bound, long before it could take hundreds of MiB (12.6 MB of "a:" lines once took 321 MiB). */
START_TEST(message_of_tiny_headers_is_bounded)
{
	struct ami_parser p;
	ami_parser_init(&p, false);
	ck_assert_int_eq(ami_parser_feed(&p, "Response: Success\r\n", 19), 0);
	char chunk[16384];
	for (size_t i = 0; i + 4 <= sizeof chunk; i += 4)
		memcpy(chunk + i, "a:\r\n", 4);
	size_t fed = 0;
	int rc = 0;
	while (rc == 0 && fed < 12600000) {
		rc = ami_parser_feed(&p, chunk, sizeof chunk);
		fed += sizeof chunk;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_nonnull(strstr(p.err, "message larger"));
	size_t headers = fed / 4;
	ck_assert_uint_le(headers, AMI_PARSER_MAX_MSG_COST / (AMI_HEADER_COST + 4) + sizeof chunk / 4);
	ami_parser_free(&p);

	/* A big real answer fits: a GetConfig of 50,000 lines of 40 bytes. */
	ami_parser_init(&p, false);
	const char *head = "Response: Success\r\nCategory-000000: big\r\n";
	ck_assert_int_eq(ami_parser_feed(&p, head, strlen(head)), 0);
	char line[64];
	for (int i = 0; i < 50000; i++) {
		int n = snprintf(line, sizeof line, "Line-000000-%06d: var=value-%012d\r\n", i, i);
		ck_assert_int_eq(ami_parser_feed(&p, line, (size_t)n), 0);
	}
	ck_assert_int_eq(ami_parser_feed(&p, "\r\n", 2), 0);
	struct ami_msg *m = ami_parser_next(&p);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n, 50002);
	ami_msg_destroy(m);
	ami_parser_free(&p);
}
END_TEST

START_TEST(nul_byte_is_a_protocol_error)
{
	struct ami_parser p;
	ami_parser_init(&p, false);
	ck_assert_int_eq(ami_parser_feed(&p, "Response: Succ\0ess\r\n", 20), -1);
	ami_parser_free(&p);
}
END_TEST

START_TEST(unfinished_message_is_not_returned)
{
	struct ami_parser p;
	ami_parser_init(&p, false);
	ck_assert_int_eq(ami_parser_feed(&p, "Response: Success\r\nActionID: x\r\n", 32), 0);
	ck_assert_ptr_null(ami_parser_next(&p));
	ami_parser_free(&p);   /* and frees the partial message */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ami_parser");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, transcripts_parse_the_same_whole_or_byte_by_byte, 0,
	                    (int)(sizeof transcripts / sizeof transcripts[0]));
	tcase_add_test(tc, banner_then_login_answer);
	tcase_add_test(tc, interleaved_events_and_responses_stay_separate);
	tcase_add_test(tc, eventlist_from_transcript);
	tcase_add_test(tc, refusal_kinds);
	tcase_add_test(tc, command_output_new_format);
	tcase_add_test(tc, command_output_old_follows_format);
	tcase_add_test(tc, bare_lf_and_bare_lines);
	tcase_add_test(tc, oversized_line_is_a_protocol_error);
	tcase_add_test(tc, message_of_tiny_headers_is_bounded);
	tcase_add_test(tc, nul_byte_is_a_protocol_error);
	tcase_add_test(tc, unfinished_message_is_not_returned);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
