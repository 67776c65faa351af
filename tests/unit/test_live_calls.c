/* Unit tests: the calls in progress (pbx/live_calls.c) driven by event sequences: the answered call of transcript
 * 11 as the real Asterisk 22 sent it, event by event; a call nobody answers; a blind and an attended transfer
 * (Asterisk 12+ shapes: the transferee leaves its bridge and dials the target with the call's Linkedid; the
 * consultation call is a second call until the target is moved into the first bridge); the event login lost and
 * the table rebuilt from a CoreShowChannels list mid-call, and from the one the real Asterisk 22 gave (transcript
 * 11b); a blind transfer as the real Asterisk 22 sent it (transcript 11c); trunk calls in and out; the peak of the day across
 * midnight; waiting for a change, shutdown, and the stream cap. */
#include <check.h>

#include "support/check_run.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ami/ami.h"
#include "pbx/live_calls.h"
#include "util/file.h"

/* An event from "Key", "Value" pairs ending with NULL. */
static struct ami_msg *ev(const char *name, ...)
{
	struct ami_msg *m = ami_msg_new();
	ck_assert_int_eq(ami_msg_add(m, "Event", name), 0);
	va_list ap;
	va_start(ap, name);
	const char *k;
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		ck_assert_int_eq(ami_msg_add(m, k, v), 0);
	}
	va_end(ap);
	return m;
}

static void feed(struct live_calls *lc, struct ami_msg *m)
{
	live_calls_event(lc, m);
	ami_msg_destroy(m);
}

/* A channel event with the channel-state fields (ast_manager_build_channel_state_string's names). */
static void chan_event(struct live_calls *lc, const char *name, const char *channel, const char *uid,
		       const char *linkedid, const char *state, const char *cid, const char *exten, const char *bridge)
{
	struct ami_msg *m = ev(name, "Channel", channel, "ChannelState", state, "CallerIDNum", cid, "CallerIDName",
			       "<unknown>", "Exten", exten, "Uniqueid", uid, "Linkedid", linkedid, NULL);
	if (bridge)
		ck_assert_int_eq(ami_msg_add(m, "BridgeUniqueid", bridge), 0);
	feed(lc, m);
}

static void hangup(struct live_calls *lc, const char *channel, const char *uid, const char *linkedid)
{
	chan_event(lc, "Hangup", channel, uid, linkedid, "6", "", "", NULL);
}

static void dial(struct live_calls *lc, const char *what, const char *ch, const char *uid, const char *link,
		 const char *dch, const char *duid, const char *dcid)
{
	feed(lc, ev(what, "Channel", ch, "ChannelState", "4", "Uniqueid", uid, "Linkedid", link, "DestChannel", dch,
		    "DestChannelState", "5", "DestCallerIDNum", dcid, "DestUniqueid", duid, "DestLinkedid", link, NULL));
}

static void snap(struct live_calls *lc, struct live_snapshot *s)
{
	live_calls_snapshot(lc, s);
}

/* A transcript of the real Asterisk (tests/unit/support/ami-transcripts/name) fed to p from its banner on: its
 * messages come out of ami_parser_next. Returns the text, for the caller to free with ami_parser_free(p). */
static char *feed_transcript(struct ami_parser *p, const char *name)
{
	char path[160];
	size_t len;
	snprintf(path, sizeof path, "tests/unit/support/ami-transcripts/%s", name);
	char *text = file_read_all(path, 1 << 20, &len);
	ck_assert_ptr_nonnull(text);
	char *banner = strstr(text, "Asterisk Call Manager");
	ck_assert_ptr_nonnull(banner);
	ami_parser_init(p, true);
	ck_assert_int_eq(ami_parser_feed(p, banner, strlen(banner)), 0);
	return text;
}

/* Transcript 11: every event the real Asterisk sent while 201 called 202 (answered, 2 s). */
START_TEST(answered_call_from_transcript)
{
	struct ami_parser p;
	char *text = feed_transcript(&p, "11-call-events.txt");
	struct live_calls *lc = live_calls_new();
	live_calls_set_connected(lc, true);
	struct ami_msg *m;
	bool seen_ringing = false, seen_up = false;
	while ((m = ami_parser_next(&p)) != NULL) {
		const char *name = ami_msg_get(m, "Event");
		live_calls_event(lc, m);
		struct live_snapshot s;
		snap(lc, &s);
		if (name && strcmp(name, "DialState") == 0) {
			ck_assert_uint_eq(s.n, 1);
			ck_assert_int_eq(s.calls[0].state, LIVE_RINGING);
			ck_assert_str_eq(s.calls[0].caller.number, "201");
			ck_assert_str_eq(s.calls[0].callee.number, "202");
			ck_assert_str_eq(s.calls[0].callee.endpoint, "202");
			seen_ringing = true;
		}
		if (name && strcmp(name, "BridgeEnter") == 0 && strcmp(ami_msg_get(m, "BridgeNumChannels"), "2") == 0) {
			ck_assert_uint_eq(s.n, 1);
			const struct live_call *c = &s.calls[0];
			ck_assert_int_eq(c->state, LIVE_UP);
			ck_assert_str_eq(c->id, "1795797242.0");
			ck_assert_str_eq(c->caller.endpoint, "201");
			ck_assert_str_eq(c->caller.name, ""); /* "<unknown>" is nothing */
			ck_assert_str_eq(c->callee.number, "202");
			ck_assert_int_eq(c->kind, LIVE_INTERNAL);
			ck_assert_int_eq(c->channels, 2);
			ck_assert_int_eq(c->since, 1795797242);
			seen_up = true;
		}
		live_snapshot_free(&s);
		ami_msg_destroy(m);
	}
	ck_assert(seen_ringing && seen_up);
	struct live_snapshot s;
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(s.peak, 1);
	ck_assert(s.connected);
	live_snapshot_free(&s);
	live_calls_free(lc);
	ami_parser_free(&p);
	free(text);
}
END_TEST

/* Transcript 11c: a blind transfer on the real Asterisk 22 (285 calls 286, who answers; 286 transferred to 287,
 * who answers). Event by event: one call all along, 285-286 up until 286's channel hangs up, then 285-287 up
 * from the same start, never two; then nothing. */
START_TEST(blind_transfer_from_transcript)
{
	struct ami_parser p;
	char *text = feed_transcript(&p, "11c-blind-transfer.txt");
	struct live_calls *lc = live_calls_new();
	live_calls_set_connected(lc, true);
	struct ami_msg *m;
	bool seen_first = false, seen_transferred = false, transfer_event = false, transferer_gone = false;
	bool named = false;   /* 287's name, once its connected line is known */
	int64_t since = 0;
	while ((m = ami_parser_next(&p)) != NULL) {
		const char *name = ami_msg_get(m, "Event");
		transfer_event |= name && strcmp(name, "BlindTransfer") == 0;
		const char *chan = ami_msg_get(m, "Channel");
		transferer_gone |= name && strcmp(name, "Hangup") == 0 && chan && strncmp(chan, "PJSIP/286-", 10) == 0;
		live_calls_event(lc, m);
		struct live_snapshot s;
		snap(lc, &s);
		ck_assert_uint_le(s.n, 1);   /* one call, whatever the moment */
		/* Up between two parties (between the two Hangup events of an ending call one channel is left, shown
		 * for that instant as the call of its own number). */
		if (s.n == 1 && s.calls[0].state == LIVE_UP && s.calls[0].channels == 2) {
			const struct live_call *c = &s.calls[0];
			ck_assert_str_eq(c->caller.number, "285");
			if (strcmp(c->callee.number, "286") == 0) {
				ck_assert(!transferer_gone);   /* shown until 286's channel is gone, not after */
				if (!since)
					since = c->since;
				seen_first = true;
			} else if (strcmp(c->callee.number, "287") == 0) {
				ck_assert(transfer_event);
				named |= strcmp(c->callee.name, "Recibe") == 0;
				ck_assert_int_eq(c->since, since);
				ck_assert_int_eq(c->kind, LIVE_INTERNAL);
				seen_transferred = true;
			} else {
				ck_abort_msg("unexpected callee %s", c->callee.number);
			}
		}
		live_snapshot_free(&s);
		ami_msg_destroy(m);
	}
	ck_assert(seen_first && seen_transferred && named);
	struct live_snapshot s;
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(s.peak, 1);
	live_snapshot_free(&s);
	live_calls_free(lc);
	ami_parser_free(&p);
	free(text);
}
END_TEST

START_TEST(call_never_answered)
{
	struct live_calls *lc = live_calls_new();
	struct live_snapshot s;
	chan_event(lc, "Newchannel", "PJSIP/201-00000002", "100.2", "100.2", "4", "201", "203", NULL);
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 1); /* dialling: the callee is the number asked for */
	ck_assert_int_eq(s.calls[0].state, LIVE_RINGING);
	ck_assert_str_eq(s.calls[0].callee.number, "203");
	live_snapshot_free(&s);
	chan_event(lc, "Newchannel", "PJSIP/203-00000003", "100.3", "100.2", "0", "<unknown>", "s", NULL);
	dial(lc, "DialBegin", "PJSIP/201-00000002", "100.2", "100.2", "PJSIP/203-00000003", "100.3", "203");
	chan_event(lc, "Newstate", "PJSIP/203-00000003", "100.3", "100.2", "5", "203", "203", NULL);
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.calls[0].state, LIVE_RINGING);
	ck_assert_str_eq(s.calls[0].caller.number, "201");
	ck_assert_str_eq(s.calls[0].callee.endpoint, "203");
	ck_assert_int_eq(s.calls[0].channels, 2);
	live_snapshot_free(&s);
	dial(lc, "DialEnd", "PJSIP/201-00000002", "100.2", "100.2", "PJSIP/203-00000003", "100.3", "203");
	hangup(lc, "PJSIP/203-00000003", "100.3", "100.2");
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 1); /* the caller is still there (hearing a message, say) */
	live_snapshot_free(&s);
	hangup(lc, "PJSIP/201-00000002", "100.2", "100.2");
	hangup(lc, "PJSIP/201-00000002", "100.2", "100.2"); /* twice: harmless */
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(s.peak, 1);
	live_snapshot_free(&s);
	live_calls_free(lc);
}
END_TEST

/* 201 calls 202, answered, in bridge X1. */
static void answered(struct live_calls *lc)
{
	chan_event(lc, "Newchannel", "PJSIP/201-00000010", "200.0", "200.0", "4", "201", "202", NULL);
	chan_event(lc, "Newchannel", "PJSIP/202-00000011", "200.1", "200.0", "0", "<unknown>", "s", NULL);
	dial(lc, "DialBegin", "PJSIP/201-00000010", "200.0", "200.0", "PJSIP/202-00000011", "200.1", "202");
	chan_event(lc, "Newstate", "PJSIP/202-00000011", "200.1", "200.0", "6", "202", "202", NULL);
	dial(lc, "DialEnd", "PJSIP/201-00000010", "200.0", "200.0", "PJSIP/202-00000011", "200.1", "202");
	chan_event(lc, "Newstate", "PJSIP/201-00000010", "200.0", "200.0", "6", "201", "202", NULL);
	chan_event(lc, "BridgeEnter", "PJSIP/202-00000011", "200.1", "200.0", "6", "202", "", "X1");
	chan_event(lc, "BridgeEnter", "PJSIP/201-00000010", "200.0", "200.0", "6", "201", "202", "X1");
}

static void expect_one(struct live_calls *lc, enum live_state state, const char *caller, const char *callee)
{
	struct live_snapshot s;
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.calls[0].state, state);
	ck_assert_str_eq(s.calls[0].caller.number, caller);
	ck_assert_str_eq(s.calls[0].callee.number, callee);
	live_snapshot_free(&s);
}

/* 202 blind-transfers 201 to 203: 201 leaves the bridge for the dialplan, which dials 203 with the call's
 * Linkedid; 202 hangs up; 203 answers and enters a new bridge with 201. */
START_TEST(blind_transfer)
{
	struct live_calls *lc = live_calls_new();
	answered(lc);
	expect_one(lc, LIVE_UP, "201", "202");
	feed(lc, ev("BlindTransfer", "TransfererChannel", "PJSIP/202-00000011", "Extension", "203", NULL));
	chan_event(lc, "BridgeLeave", "PJSIP/202-00000011", "200.1", "200.0", "6", "202", "", "X1");
	chan_event(lc, "BridgeLeave", "PJSIP/201-00000010", "200.0", "200.0", "6", "201", "203", "X1");
	hangup(lc, "PJSIP/202-00000011", "200.1", "200.0");
	chan_event(lc, "Newchannel", "PJSIP/203-00000012", "200.2", "200.0", "0", "<unknown>", "s", NULL);
	dial(lc, "DialBegin", "PJSIP/201-00000010", "200.0", "200.0", "PJSIP/203-00000012", "200.2", "203");
	chan_event(lc, "Newstate", "PJSIP/203-00000012", "200.2", "200.0", "5", "203", "203", NULL);
	expect_one(lc, LIVE_RINGING, "201", "203");
	chan_event(lc, "Newstate", "PJSIP/203-00000012", "200.2", "200.0", "6", "203", "203", NULL);
	dial(lc, "DialEnd", "PJSIP/201-00000010", "200.0", "200.0", "PJSIP/203-00000012", "200.2", "203");
	chan_event(lc, "BridgeEnter", "PJSIP/203-00000012", "200.2", "200.0", "6", "203", "", "X2");
	chan_event(lc, "BridgeEnter", "PJSIP/201-00000010", "200.0", "200.0", "6", "201", "203", "X2");
	expect_one(lc, LIVE_UP, "201", "203");
	hangup(lc, "PJSIP/201-00000010", "200.0", "200.0");
	hangup(lc, "PJSIP/203-00000012", "200.2", "200.0");
	struct live_snapshot s;
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(s.peak, 1);
	live_snapshot_free(&s);
	live_calls_free(lc);
}
END_TEST

/* 202 puts 201 on hold and calls 203 from a second line (a call of its own: its own Linkedid), then completes the
 * transfer: 203 is moved into 201's bridge, both of 202's channels hang up. */
START_TEST(attended_transfer)
{
	struct live_calls *lc = live_calls_new();
	answered(lc);
	chan_event(lc, "Newchannel", "PJSIP/202-00000013", "300.0", "300.0", "4", "202", "203", NULL);
	chan_event(lc, "Newchannel", "PJSIP/203-00000014", "300.1", "300.0", "0", "<unknown>", "s", NULL);
	dial(lc, "DialBegin", "PJSIP/202-00000013", "300.0", "300.0", "PJSIP/203-00000014", "300.1", "203");
	struct live_snapshot s;
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.peak, 2);
	ck_assert_int_eq(s.calls[0].state, LIVE_UP);
	live_snapshot_free(&s);
	dial(lc, "DialEnd", "PJSIP/202-00000013", "300.0", "300.0", "PJSIP/203-00000014", "300.1", "203");
	chan_event(lc, "BridgeEnter", "PJSIP/203-00000014", "300.1", "300.0", "6", "203", "", "X2");
	chan_event(lc, "BridgeEnter", "PJSIP/202-00000013", "300.0", "300.0", "6", "202", "203", "X2");
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.calls[1].state, LIVE_UP);
	ck_assert_str_eq(s.calls[1].caller.number, "202");
	ck_assert_str_eq(s.calls[1].callee.number, "203");
	live_snapshot_free(&s);
	feed(lc, ev("AttendedTransfer", "Result", "Success", NULL));
	chan_event(lc, "BridgeLeave", "PJSIP/202-00000011", "200.1", "200.0", "6", "202", "", "X1");
	chan_event(lc, "BridgeLeave", "PJSIP/202-00000013", "300.0", "300.0", "6", "202", "203", "X2");
	chan_event(lc, "BridgeLeave", "PJSIP/203-00000014", "300.1", "300.0", "6", "203", "", "X2");
	chan_event(lc, "BridgeEnter", "PJSIP/203-00000014", "300.1", "300.0", "6", "203", "", "X1");
	hangup(lc, "PJSIP/202-00000011", "200.1", "200.0");
	hangup(lc, "PJSIP/202-00000013", "300.0", "300.0");
	expect_one(lc, LIVE_UP, "201", "203");
	hangup(lc, "PJSIP/201-00000010", "200.0", "200.0");
	hangup(lc, "PJSIP/203-00000014", "300.1", "300.0");
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 0);
	live_snapshot_free(&s);
	live_calls_free(lc);
}
END_TEST

static int64_t fake_now(void *ctx)
{
	return *(int64_t *)ctx;
}

/* A CoreShowChannel event as Asterisk 22 lists it (field names and order of action_coreshowchannels). */
static struct ami_msg *listed(const char *channel, const char *state, const char *cid, const char *exten,
			      const char *uid, const char *link, const char *bridge, const char *app, const char *dur)
{
	return ev("CoreShowChannel", "ActionID", "1", "Channel", channel, "ChannelState", state, "ChannelStateDesc",
		  strcmp(state, "6") == 0 ? "Up" : "Ring", "CallerIDNum", cid, "CallerIDName", "<unknown>",
		  "ConnectedLineNum", "<unknown>", "ConnectedLineName", "<unknown>", "Language", "en", "AccountCode", "",
		  "Context", "from-internal", "Exten", exten, "Priority", "1", "Uniqueid", uid, "Linkedid", link,
		  "Application", app, "ApplicationData", "", "Duration", dur, "BridgeId", bridge, NULL);
}

/* Transcript 11b: what the real Asterisk 22 listed while 283 talked to 284; rebuilt from it, the table holds that
 * one call, up, between the two phones with their names, since the moment Duration counts from. */
START_TEST(rebuilt_from_a_real_coreshowchannels)
{
	struct ami_parser p;
	char *text = feed_transcript(&p, "11b-coreshowchannels.txt");
	struct ami_msg *list[8];
	size_t n = 0;
	struct ami_msg *m;
	while ((m = ami_parser_next(&p)) != NULL) {
		ck_assert_uint_lt(n, 8);
		list[n++] = m;
	}
	ck_assert_uint_eq(n, 4);   /* the answer, two channels, the Complete event */
	int64_t now = 1796193648;
	struct live_calls *lc = live_calls_new();
	live_calls_set_clock(lc, fake_now, &now);
	live_calls_set_connected(lc, true);
	live_calls_rebuild(lc, list, n);
	for (size_t i = 0; i < n; i++)
		ami_msg_destroy(list[i]);
	struct live_snapshot s;
	snap(lc, &s);
	ck_assert(s.synced);
	ck_assert_uint_eq(s.n, 1);
	const struct live_call *c = &s.calls[0];
	ck_assert_int_eq(c->state, LIVE_UP);
	ck_assert_str_eq(c->caller.number, "283");
	ck_assert_str_eq(c->caller.name, "Sigue");
	ck_assert_str_eq(c->caller.endpoint, "283");
	ck_assert_str_eq(c->callee.number, "284");
	ck_assert_str_eq(c->callee.name, "Atiende");
	ck_assert_str_eq(c->callee.endpoint, "284");
	ck_assert_int_eq(c->kind, LIVE_INTERNAL);
	ck_assert_int_eq(c->channels, 2);
	ck_assert_int_eq(c->since, now);   /* Duration: 00:00:00 */
	live_snapshot_free(&s);
	live_calls_free(lc);
	ami_parser_free(&p);
	free(text);
}
END_TEST

/* The login drops mid-call (the table is emptied: calls may end unseen); at the reconnection the table is rebuilt
 * from CoreShowChannels: the call still up, one that began meanwhile and rings; then their events go on. */
START_TEST(reconnect_in_the_middle)
{
	setenv("TZ", "UTC", 1);
	tzset();
	int64_t now = 1795797300;
	struct live_calls *lc = live_calls_new();
	live_calls_set_clock(lc, fake_now, &now);
	live_calls_set_connected(lc, true);
	answered(lc);
	struct live_snapshot s;
	snap(lc, &s);
	uint64_t before = s.version;
	ck_assert(!s.synced);
	live_snapshot_free(&s);
	live_calls_set_connected(lc, false);
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert(!s.connected);
	ck_assert_uint_gt(s.version, before);
	live_snapshot_free(&s);

	live_calls_set_connected(lc, true);
	struct ami_msg *list[5] = {
		listed("PJSIP/201-00000010", "6", "201", "202", "200.0", "200.0", "X1", "Dial", "00:01:05"),
		listed("PJSIP/202-00000011", "6", "202", "", "200.1", "200.0", "X1", "AppDial", "00:01:05"),
		listed("PJSIP/204-00000020", "4", "204", "205", "400.0", "400.0", "", "Dial", "00:00:03"),
		listed("PJSIP/205-00000021", "5", "205", "205", "400.1", "400.0", "", "AppDial", "00:00:03"),
		ev("Other", "X", "y", NULL),
	};
	live_calls_rebuild(lc, list, 5);
	for (int i = 0; i < 5; i++)
		ami_msg_destroy(list[i]);
	snap(lc, &s);
	ck_assert(s.connected && s.synced);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.calls[0].since, now - 65);
	ck_assert_int_eq(s.calls[0].state, LIVE_UP);
	ck_assert_str_eq(s.calls[0].caller.number, "201");
	ck_assert_str_eq(s.calls[0].callee.number, "202");
	ck_assert_int_eq(s.calls[1].state, LIVE_RINGING);
	ck_assert_str_eq(s.calls[1].caller.number, "204");
	ck_assert_str_eq(s.calls[1].callee.endpoint, "205");
	ck_assert_int_eq(s.peak, 2);
	live_snapshot_free(&s);
	/* The events go on from there. */
	chan_event(lc, "BridgeEnter", "PJSIP/205-00000021", "400.1", "400.0", "6", "205", "", "X9");
	chan_event(lc, "BridgeEnter", "PJSIP/204-00000020", "400.0", "400.0", "6", "204", "205", "X9");
	hangup(lc, "PJSIP/201-00000010", "200.0", "200.0");
	hangup(lc, "PJSIP/202-00000011", "200.1", "200.0");
	expect_one(lc, LIVE_UP, "204", "205");
	/* An empty list empties the table. */
	live_calls_rebuild(lc, NULL, 0);
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 0);
	live_snapshot_free(&s);
	live_calls_free(lc);
}
END_TEST

START_TEST(trunk_calls_and_peak_of_the_day)
{
	setenv("TZ", "Europe/Madrid", 1);
	tzset();
	int64_t now = 1795797300; /* 2026-11-27 afternoon in Madrid */
	struct live_calls *lc = live_calls_new();
	live_calls_set_clock(lc, fake_now, &now);
	/* In from the provider to 201. */
	chan_event(lc, "Newchannel", "PJSIP/trunk-acme-00000030", "500.0", "500.0", "4", "600111222", "201", NULL);
	chan_event(lc, "Newchannel", "PJSIP/201-00000031", "500.1", "500.0", "0", "<unknown>", "s", NULL);
	/* Out from 202 through the trunk (the dialled leg shows the number asked for). */
	chan_event(lc, "Newchannel", "PJSIP/202-00000032", "501.0", "501.0", "4", "202", "0034911222333", NULL);
	chan_event(lc, "Newchannel", "PJSIP/trunk-acme-00000033", "501.1", "501.0", "0", "<unknown>", "s", NULL);
	dial(lc, "DialBegin", "PJSIP/202-00000032", "501.0", "501.0", "PJSIP/trunk-acme-00000033", "501.1",
	     "0034911222333");
	struct live_snapshot s;
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.peak, 2);
	for (size_t i = 0; i < s.n; i++) {
		const struct live_call *c = &s.calls[i];
		ck_assert_str_eq(c->trunk, "acme");
		if (strcmp(c->id, "500.0") == 0) {
			ck_assert_int_eq(c->kind, LIVE_INBOUND);
			ck_assert_str_eq(c->caller.number, "600111222");
			ck_assert_str_eq(c->caller.endpoint, "trunk-acme");
		} else {
			ck_assert_int_eq(c->kind, LIVE_OUTBOUND);
			ck_assert_str_eq(c->callee.number, "0034911222333");
		}
	}
	live_snapshot_free(&s);
	hangup(lc, "PJSIP/trunk-acme-00000030", "500.0", "500.0");
	hangup(lc, "PJSIP/201-00000031", "500.1", "500.0");
	snap(lc, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.peak, 2); /* the day's peak stays */
	live_snapshot_free(&s);
	now += 86400; /* the next day: the peak starts from what is in progress */
	snap(lc, &s);
	ck_assert_int_eq(s.peak, 1);
	live_snapshot_free(&s);
	live_calls_free(lc);
	setenv("TZ", "UTC", 1);
	tzset();
}
END_TEST

static void *later_event(void *arg)
{
	usleep(50 * 1000);
	chan_event(arg, "Newchannel", "PJSIP/201-00000040", "600.0", "600.0", "4", "201", "202", NULL);
	return NULL;
}

START_TEST(waiting_shutdown_and_stream_cap)
{
	struct live_calls *lc = live_calls_new();
	struct live_snapshot s;
	snap(lc, &s);
	uint64_t v = s.version;
	live_snapshot_free(&s);
	ck_assert_int_eq(live_calls_wait(lc, v, 30), 0);
	ck_assert_int_eq(live_calls_wait(lc, v + 1, 1000), 1); /* already different: at once */
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, later_event, lc), 0);
	ck_assert_int_eq(live_calls_wait(lc, v, 5000), 1);
	pthread_join(t, NULL);
	/* Events that are not about calls change nothing. */
	snap(lc, &s);
	v = s.version;
	live_snapshot_free(&s);
	feed(lc, ev("DeviceStateChange", "Device", "PJSIP/201", "State", "INUSE", NULL));
	feed(lc, ev("Hangup", "Uniqueid", "nope", NULL));
	ck_assert_int_eq(live_calls_wait(lc, v, 10), 0);

	ck_assert(live_calls_stream_acquire(lc, 2));
	ck_assert(live_calls_stream_acquire(lc, 2));
	ck_assert(!live_calls_stream_acquire(lc, 2));
	live_calls_stream_release(lc);
	ck_assert(live_calls_stream_acquire(lc, 2));
	live_calls_stream_release(lc);
	live_calls_stream_release(lc);
	ck_assert(live_calls_stream_acquire(lc, 0)); /* at least one */
	ck_assert(!live_calls_stream_acquire(lc, 0));
	live_calls_stream_release(lc);

	live_calls_shutdown(lc);
	ck_assert_int_eq(live_calls_wait(lc, v, 5000), -1);
	live_calls_free(lc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("live_calls");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, answered_call_from_transcript);
	tcase_add_test(tc, rebuilt_from_a_real_coreshowchannels);
	tcase_add_test(tc, blind_transfer_from_transcript);
	tcase_add_test(tc, call_never_answered);
	tcase_add_test(tc, blind_transfer);
	tcase_add_test(tc, attended_transfer);
	tcase_add_test(tc, reconnect_in_the_middle);
	tcase_add_test(tc, trunk_calls_and_peak_of_the_day);
	tcase_add_test(tc, waiting_shutdown_and_stream_cap);
	suite_add_tcase(s, tc);
	return check_run(s);
}
