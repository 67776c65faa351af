/* Unit tests: call records → struct call (pbx/cdr.c): the Cdr event a real Asterisk 22 sent (transcript 11),
 * missing fields and odd values refused with their reason or normalised, Master.csv records as cdr_csv writes
 * them (quotes and commas inside the caller ID, empty answer times, with and without uniqueid/userfield, a
 * quoted newline), the same call from the event and from the file getting the same key, the sides and the
 * direction from the channels, and local times read in a time zone with summer time (Europe/Madrid). */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami.h"
#include "pbx/cdr.h"
#include "util/file.h"

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static bool phones_201_202(void *ctx, const char *endpoint)
{
	(void)ctx;
	return strcmp(endpoint, "201") == 0 || strcmp(endpoint, "202") == 0;
}

/* The Cdr event of transcript 11, parsed as the client parses what Asterisk sends. */
static struct ami_msg *transcript_cdr(void)
{
	size_t len;
	char *text = file_read_all("tests/unit/support/ami-transcripts/11-call-events.txt", 1 << 20, &len);
	ck_assert_ptr_nonnull(text);
	char *banner = strstr(text, "Asterisk Call Manager");
	ck_assert_ptr_nonnull(banner);
	struct ami_parser p;
	ami_parser_init(&p, true);
	ck_assert_int_eq(ami_parser_feed(&p, banner, strlen(banner)), 0);
	struct ami_msg *cdr = NULL, *m;
	while ((m = ami_parser_next(&p)) != NULL) {
		const char *ev = ami_msg_get(m, "Event");
		if (!cdr && ev && strcmp(ev, "Cdr") == 0)
			cdr = m;
		else
			ami_msg_destroy(m);
	}
	ami_parser_free(&p);
	free(text);
	ck_assert_ptr_nonnull(cdr);
	return cdr;
}

/* Replaces (or with value NULL removes) one header of an event. */
static void set_header(struct ami_msg *m, const char *key, const char *value)
{
	struct ami_msg *copy = ami_msg_new();
	bool done = false;
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->hdr[i].key, key) == 0) {
			if (value)
				ck_assert_int_eq(ami_msg_add(copy, key, value), 0);
			done = true;
		} else {
			ck_assert_int_eq(ami_msg_add(copy, m->hdr[i].key, m->hdr[i].value), 0);
		}
	}
	if (!done && value)
		ck_assert_int_eq(ami_msg_add(copy, key, value), 0);
	ami_msg_free(m);
	*m = *copy;
	free(copy);
}

START_TEST(real_event_from_asterisk_22)
{
	use_tz("UTC"); /* the transcript's Asterisk ran in UTC: Timestamp 1795797242 is 16:34:02 */
	struct ami_msg *ev = transcript_cdr();
	struct call c;
	char why[200] = "";
	ck_assert_msg(cdr_from_event(ev, phones_201_202, NULL, &c, why, sizeof why) == 0, "%s", why);
	ck_assert_int_eq(c.start, 1795797242);
	ck_assert_int_eq(c.answer, 1795797242);
	ck_assert_int_eq(c.end, 1795797244);
	ck_assert_int_eq(c.duration, 2);
	ck_assert_int_eq(c.billsec, 2);
	ck_assert_str_eq(c.src, "201");
	ck_assert_str_eq(c.dst, "202");
	ck_assert_str_eq(c.clid_name, "");
	ck_assert_str_eq(c.clid_num, "201");
	ck_assert_str_eq(c.dcontext, "from-internal");
	ck_assert_str_eq(c.channel, "PJSIP/201-00000000");
	ck_assert_str_eq(c.dstchannel, "PJSIP/202-00000001");
	ck_assert_str_eq(c.lastapp, "Dial");
	ck_assert_str_eq(c.uniqueid, "1795797242.0");
	ck_assert_int_eq(c.disposition, CALL_ANSWERED);
	ck_assert_int_eq(c.direction, CALL_INTERNAL);
	ck_assert_str_eq(c.from_ext, "201");
	ck_assert_str_eq(c.to_ext, "202");
	ck_assert_int_eq(c.day, 20261127);
	ck_assert_int_eq(c.hour, 16);
	ck_assert_int_eq(c.dow, 4); /* a Friday */
	ck_assert_uint_eq(strlen(c.key), 48);
	ck_assert_uint_eq(strspn(c.key, "0123456789abcdef"), 48);
	char start_hex[17];
	snprintf(start_hex, sizeof start_hex, "%016llx", (unsigned long long)c.start);
	ck_assert_int_eq(strncmp(c.key, start_hex, 16), 0);
	/* Without the phones, nobody's extension. */
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	ck_assert_str_eq(c.from_ext, "");
	ck_assert_str_eq(c.to_ext, "");
	ami_msg_destroy(ev);
}
END_TEST

/* Each case: a header changed (NULL = removed) and whether the record must be refused, with the word its
 * reason must name. */
START_TEST(missing_fields_and_odd_values)
{
	use_tz("UTC");
	static const struct {
		const char *key, *value;
		const char *refused_for; /* NULL = accepted */
	} cases[] = {
		{ "StartTime", NULL, "StartTime" },
		{ "EndTime", NULL, "EndTime" },
		{ "Channel", NULL, "Channel" },
		{ "Channel", "", "Channel" },
		{ "Duration", NULL, "Duration" },
		{ "BillableSeconds", NULL, "BillableSeconds" },
		{ "Disposition", NULL, "Disposition" },
		{ "StartTime", "2026-11-27T16:34:02", "StartTime" },
		{ "StartTime", "2026-13-27 16:34:02", "StartTime" },
		{ "StartTime", "2026-11-27 16:34", "StartTime" },
		{ "StartTime", "2026-11-27 16:34:02 ", "StartTime" },
		{ "EndTime", "yesterday", "EndTime" },
		{ "AnswerTime", "soon", "AnswerTime" },
		{ "Duration", "2s", "Duration" },
		{ "Duration", "-1", "Duration" },
		{ "Duration", "", "Duration" },
		{ "Duration", "99999999999", "Duration" },
		{ "BillableSeconds", " 2", "BillableSeconds" },
		{ "Disposition", "MAYBE", "Disposition" },
		{ "Disposition", "answered", "Disposition" },
		{ "Source", "12345678901234567890123456789012345678901234567890123456789012345678901234567890X",
		  "Source" },
		/* accepted */
		{ "AnswerTime", "", NULL },
		{ "AnswerTime", NULL, NULL },
		{ "DestinationChannel", NULL, NULL },
		{ "Source", NULL, NULL },
		{ "UniqueID", NULL, NULL },
		{ "CallerID", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct ami_msg *ev = transcript_cdr();
		set_header(ev, cases[i].key, cases[i].value);
		struct call c;
		char why[200] = "";
		int rc = cdr_from_event(ev, NULL, NULL, &c, why, sizeof why);
		if (cases[i].refused_for) {
			ck_assert_msg(rc == -1, "case %zu (%s='%s') accepted", i, cases[i].key,
				      cases[i].value ? cases[i].value : "(none)");
			ck_assert_msg(strstr(why, cases[i].refused_for) != NULL, "case %zu: reason '%s'", i, why);
		} else {
			ck_assert_msg(rc == 0, "case %zu (%s) refused: %s", i, cases[i].key, why);
		}
		ami_msg_destroy(ev);
	}
}
END_TEST

START_TEST(dispositions_and_normalisations)
{
	use_tz("UTC");
	struct ami_msg *ev = transcript_cdr();
	struct call c;
	char why[200];
	static const struct {
		const char *word;
		enum call_disposition d;
	} words[] = { { "ANSWERED", CALL_ANSWERED }, { "NO ANSWER", CALL_NO_ANSWER }, { "BUSY", CALL_BUSY },
		      { "FAILED", CALL_FAILED }, { "CONGESTION", CALL_FAILED } };
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		set_header(ev, "Disposition", words[i].word);
		ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
		ck_assert_int_eq(c.disposition, words[i].d);
	}
	/* FAILED and CONGESTION are one disposition but two records: the key keeps Asterisk's word. */
	char failed_key[CALL_KEY_SIZE];
	set_header(ev, "Disposition", "FAILED");
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	memcpy(failed_key, c.key, sizeof failed_key);
	set_header(ev, "Disposition", "CONGESTION");
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	ck_assert_str_ne(c.key, failed_key);
	/* An empty answer time: never answered. */
	set_header(ev, "AnswerTime", "");
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	ck_assert_int_eq(c.answer, 0);
	/* A long caller name is cut at a character boundary: 80 bytes hold 26 three-byte signs, not 26.7. */
	char name[200] = "\"";
	for (int i = 0; i < 60; i++)
		strcat(name, "\xe2\x82\xac"); /* € */
	strcat(name, "\" <201>");
	set_header(ev, "CallerID", name);
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	ck_assert_uint_eq(strlen(c.clid_name), 78);
	ck_assert_str_eq(c.clid_num, "201");
	/* Caller ID shapes. */
	set_header(ev, "CallerID", "\"Alice\" <201>");
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	ck_assert_str_eq(c.clid_name, "Alice");
	ck_assert_str_eq(c.clid_num, "201");
	set_header(ev, "CallerID", "612345678");
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	ck_assert_str_eq(c.clid_name, "");
	ck_assert_str_eq(c.clid_num, "612345678");
	set_header(ev, "CallerID", "Reception");
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &c, why, sizeof why), 0);
	ck_assert_str_eq(c.clid_name, "Reception");
	ck_assert_str_eq(c.clid_num, "");
	ami_msg_destroy(ev);
}
END_TEST

/* The transcript's call as cdr_csv writes it (build_csv_record), without and with uniqueid and userfield. */
#define CSV_CALL                                                                                               \
	"\"\",\"201\",\"202\",\"from-internal\",\"\"\"\"\" <201>\",\"PJSIP/201-00000000\",\"PJSIP/202-00000001\","   \
	"\"Dial\",\"PJSIP/202,20\",\"2026-11-27 16:34:02\",\"2026-11-27 16:34:02\",\"2026-11-27 16:34:04\",2,2,"     \
	"\"ANSWERED\",\"DOCUMENTATION\""

/* Asterisk in Madrid writes the event in local time (16:34 in November is 15:34 UTC); a Master.csv written
 * with usegmtime=yes says 15:34. Read with utc, it is the same call: the key is made of instants. Read without,
 * it is another (an hour earlier) and gets another key. */
START_TEST(utc_csv_and_local_event_give_the_same_key)
{
	use_tz("Europe/Madrid");
	struct ami_msg *ev = transcript_cdr();
	struct call from_event, from_csv;
	char why[200] = "";
	ck_assert_int_eq(cdr_from_event(ev, phones_201_202, NULL, &from_event, why, sizeof why), 0);
	static const char utc_line[] =
		"\"\",\"201\",\"202\",\"from-internal\",\"\"\"\"\" <201>\",\"PJSIP/201-00000000\",\"PJSIP/202-00000001\","
		"\"Dial\",\"PJSIP/202,20\",\"2026-11-27 15:34:02\",\"2026-11-27 15:34:02\",\"2026-11-27 15:34:04\",2,2,"
		"\"ANSWERED\",\"DOCUMENTATION\"";
	ck_assert_msg(cdr_from_csv(utc_line, true, phones_201_202, NULL, &from_csv, why, sizeof why) == 0, "%s", why);
	ck_assert_int_eq(from_csv.start, from_event.start);
	ck_assert_str_eq(from_csv.key, from_event.key);
	ck_assert_int_eq(from_csv.hour, 16);   /* shown and counted in the office's time */
	ck_assert_msg(cdr_from_csv(utc_line, false, phones_201_202, NULL, &from_csv, why, sizeof why) == 0, "%s", why);
	ck_assert_int_eq(from_csv.start, from_event.start - 3600);
	ck_assert_str_ne(from_csv.key, from_event.key);
	ami_msg_destroy(ev);
}
END_TEST

START_TEST(event_and_csv_give_the_same_key)
{
	use_tz("UTC");
	struct ami_msg *ev = transcript_cdr();
	struct call from_event, from_csv;
	char why[200] = "";
	ck_assert_int_eq(cdr_from_event(ev, phones_201_202, NULL, &from_event, why, sizeof why), 0);
	static const char *const lines[] = {
		CSV_CALL,
		CSV_CALL "\n",
		CSV_CALL "\r\n",
		CSV_CALL ",\"1795797242.0\"",
		CSV_CALL ",\"1795797242.0\",\"\"",
		CSV_CALL ",\"some user field\"",
		CSV_CALL ",\"1795797242.0\",\"x\",\"\",\"1795797242.0\",1",
	};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		ck_assert_msg(cdr_from_csv(lines[i], false, phones_201_202, NULL, &from_csv, why, sizeof why) == 0, "%zu: %s",
			      i, why);
		ck_assert_str_eq(from_csv.key, from_event.key);
		ck_assert_int_eq(from_csv.start, from_event.start);
		ck_assert_int_eq(from_csv.end, from_event.end);
		ck_assert_str_eq(from_csv.from_ext, "201");
		ck_assert_str_eq(from_csv.to_ext, "202");
		ck_assert_str_eq(from_csv.clid_num, "201");
		ck_assert_str_eq(from_csv.uniqueid, i == 3 || i == 4 || i == 6 ? "1795797242.0" : "");
	}
	/* Any field of the key changed: another record. */
	set_header(ev, "EndTime", "2026-11-27 16:34:05");
	ck_assert_int_eq(cdr_from_event(ev, NULL, NULL, &from_event, why, sizeof why), 0);
	ck_assert_str_ne(from_event.key, from_csv.key);
	ami_msg_destroy(ev);
}
END_TEST

START_TEST(csv_quotes_commas_and_empty_times)
{
	use_tz("UTC");
	struct call c;
	char why[200] = "";
	const char *line = "\"acct\",\"612345678\",\"202\",\"from-trunk\",\"\"\"Smith, John \"\"JJ\"\"\"\" "
			   "<612345678>\",\"PJSIP/trunk-acme-0000002a\",\"PJSIP/202-0000002b\",\"Dial\","
			   "\"PJSIP/202,20,tT\",\"2026-11-27 16:35:02\",,\"2026-11-27 16:35:22\",20,0,\"NO ANSWER\","
			   "\"DOCUMENTATION\"";
	ck_assert_msg(cdr_from_csv(line, false, phones_201_202, NULL, &c, why, sizeof why) == 0, "%s", why);
	ck_assert_str_eq(c.clid_name, "Smith, John \"JJ\"");
	ck_assert_str_eq(c.clid_num, "612345678");
	ck_assert_int_eq(c.answer, 0);
	ck_assert_int_eq(c.duration, 20);
	ck_assert_int_eq(c.billsec, 0);
	ck_assert_int_eq(c.disposition, CALL_NO_ANSWER);
	ck_assert_int_eq(c.direction, CALL_INBOUND);
	ck_assert_str_eq(c.from_ext, "");
	ck_assert_str_eq(c.to_ext, "202");
	/* A quoted newline belongs to its record. */
	const char *two_lines = "\"\",\"201\",\"202\",\"c\",\"\"\"Line\none\"\" <201>\",\"PJSIP/201-00000000\","
				"\"PJSIP/202-00000001\",\"Dial\",\"\",\"2026-11-27 16:34:02\",,"
				"\"2026-11-27 16:34:04\",2,0,\"BUSY\",\"DOCUMENTATION\"";
	ck_assert(!cdr_csv_record_complete("\"\",\"201\",\"202\",\"c\",\"\"\"Line\n"));
	ck_assert(cdr_csv_record_complete(two_lines));
	ck_assert_msg(cdr_from_csv(two_lines, false, NULL, NULL, &c, why, sizeof why) == 0, "%s", why);
	ck_assert_str_eq(c.clid_name, "Line\none");
	ck_assert_int_eq(c.disposition, CALL_BUSY);
}
END_TEST

START_TEST(malformed_csv_is_refused)
{
	static const struct {
		const char *line, *reason;
	} cases[] = {
		{ "", "columns" },
		{ "bad line", "columns" },
		{ "\"a\",\"b\"", "columns" },
		{ "\"unclosed,\"b\"", "quote" },
		{ "\"a\"x,\"b\"", "closing quote" },
		{ "a\"b,c", "quote" },
		{ CSV_CALL ",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"", "columns" },
		{ "\"\",\"201\",\"202\",\"c\",\"x\",\"PJSIP/201-1\",\"\",\"Dial\",\"\",\"2026-11-27 16:34:02\",,"
		  "\"2026-11-27 16:34:04\",two,0,\"BUSY\",\"DOCUMENTATION\"",
		  "Duration" },
		{ "\"\",\"201\",\"202\",\"c\",\"x\",\"PJSIP/201-1\",\"\",\"Dial\",\"\",\"27/11/2026 16:34\",,"
		  "\"2026-11-27 16:34:04\",2,0,\"BUSY\",\"DOCUMENTATION\"",
		  "StartTime" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct call c;
		char why[200] = "";
		ck_assert_msg(cdr_from_csv(cases[i].line, false, NULL, NULL, &c, why, sizeof why) == -1, "case %zu accepted",
			      i);
		ck_assert_msg(strstr(why, cases[i].reason) != NULL, "case %zu: '%s'", i, why);
	}
}
END_TEST

START_TEST(sides_and_direction_from_the_channels)
{
	char ep[64];
	cdr_channel_endpoint("PJSIP/201-0000002a", ep, sizeof ep);
	ck_assert_str_eq(ep, "201");
	cdr_channel_endpoint("SIP/202-0000000a", ep, sizeof ep);
	ck_assert_str_eq(ep, "202");
	cdr_channel_endpoint("PJSIP/trunk-acme-0000002a", ep, sizeof ep);
	ck_assert_str_eq(ep, "trunk-acme");
	cdr_channel_endpoint("Local/202@from-internal-00000001;1", ep, sizeof ep);
	ck_assert_str_eq(ep, "");
	cdr_channel_endpoint("", ep, sizeof ep);
	ck_assert_str_eq(ep, "");

	static const struct {
		const char *channel, *dstchannel;
		enum call_direction dir;
		const char *from, *to;
	} cases[] = {
		{ "PJSIP/201-00000001", "PJSIP/202-00000002", CALL_INTERNAL, "201", "202" },
		{ "PJSIP/trunk-acme-00000001", "PJSIP/201-00000002", CALL_INBOUND, "", "201" },
		{ "PJSIP/202-00000001", "PJSIP/trunk-acme-00000002", CALL_OUTBOUND, "202", "" },
		{ "PJSIP/trunk-a-00000001", "PJSIP/trunk-b-00000002", CALL_INBOUND, "", "" },
		{ "PJSIP/201-00000001", "", CALL_INTERNAL, "201", "" },           /* voicemail, no callee channel */
		{ "PJSIP/999-00000001", "PJSIP/201-00000002", CALL_INTERNAL, "", "201" }, /* 999: not a phone */
		{ "SIP/201-00000001", "SIP/202-00000002", CALL_INTERNAL, "201", "202" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct call c = { 0 };
		snprintf(c.channel, sizeof c.channel, "%s", cases[i].channel);
		snprintf(c.dstchannel, sizeof c.dstchannel, "%s", cases[i].dstchannel);
		cdr_resolve_sides(&c, phones_201_202, NULL);
		ck_assert_msg(c.direction == cases[i].dir, "case %zu", i);
		ck_assert_str_eq(c.from_ext, cases[i].from);
		ck_assert_str_eq(c.to_ext, cases[i].to);
	}
}
END_TEST

static struct call madrid_call(const char *start)
{
	struct cdr_fields f = { .src = "201", .dst = "202", .channel = "PJSIP/201-00000001", .dstchannel = "",
				.start = start, .answer = "", .end = start, .duration = "0", .billsec = "0",
				.disposition = "NO ANSWER" };
	struct call c;
	char why[200] = "";
	ck_assert_msg(cdr_from_fields(&f, NULL, NULL, &c, why, sizeof why) == 0, "%s", why);
	return c;
}

START_TEST(local_days_and_hours_in_a_zone_with_summer_time)
{
	use_tz("Europe/Madrid");
	/* Midnight: one second apart, two days. */
	struct call a = madrid_call("2026-03-28 23:59:59"), b = madrid_call("2026-03-29 00:00:00");
	ck_assert_int_eq(b.start - a.start, 1);
	ck_assert_int_eq(a.day, 20260328);
	ck_assert_int_eq(a.hour, 23);
	ck_assert_int_eq(a.dow, 5); /* Saturday */
	ck_assert_int_eq(b.day, 20260329);
	ck_assert_int_eq(b.hour, 0);
	ck_assert_int_eq(b.dow, 6); /* Sunday */
	ck_assert_int_eq(b.start, 1774738800); /* 2026-03-28 23:00:00 UTC (CET, +1) */
	/* Clocks go forward at 02:00 (CET → CEST): 01:59:59 and 03:00:00 are one second apart. */
	struct call c = madrid_call("2026-03-29 01:59:59"), d = madrid_call("2026-03-29 03:00:00");
	ck_assert_int_eq(d.start - c.start, 1);
	ck_assert_int_eq(d.hour, 3);
	/* Summer: +2. */
	ck_assert_int_eq(madrid_call("2026-07-01 12:00:00").start, 1782900000);
	/* Back at 03:00 (CEST → CET) on 2026-10-25: that local day lasts 25 hours. */
	struct call e = madrid_call("2026-10-25 00:00:00"), f = madrid_call("2026-10-26 00:00:00");
	ck_assert_int_eq(f.start - e.start, 25 * 3600);
	ck_assert_int_eq(e.day, 20261025);
	ck_assert_int_eq(f.day, 20261026);
	/* The same text in another zone is another instant, the same local day and hour. */
	use_tz("UTC");
	struct call u = madrid_call("2026-03-29 00:00:00");
	ck_assert_int_eq(u.start - b.start, 3600);
	ck_assert_int_eq(u.day, b.day);
	ck_assert_int_eq(u.hour, b.hour);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cdr");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, real_event_from_asterisk_22);
	tcase_add_test(tc, missing_fields_and_odd_values);
	tcase_add_test(tc, dispositions_and_normalisations);
	tcase_add_test(tc, event_and_csv_give_the_same_key);
	tcase_add_test(tc, utc_csv_and_local_event_give_the_same_key);
	tcase_add_test(tc, csv_quotes_commas_and_empty_times);
	tcase_add_test(tc, malformed_csv_is_refused);
	tcase_add_test(tc, sides_and_direction_from_the_channels);
	tcase_add_test(tc, local_days_and_hours_in_a_zone_with_summer_time);
	suite_add_tcase(s, tc);
	return check_run(s);
}
