/* live_calls: the calls in progress now, in memory, for the live calls page and its Server-Sent Events stream.
 *
 * Fed by its own AMI login ("Events: call"): Newchannel, Newstate, NewCallerid, NewConnectedLine, DialBegin,
 * DialEnd, BridgeEnter, BridgeLeave and Hangup keep a table of channels; on every (re)connection the table is
 * replaced by what CoreShowChannels lists (events sent while no session was logged in are lost: AMI keeps no
 * backlog). A rebuild that fails is tried again at the next event, at most every LIVE_RESYNC_S seconds; while it
 * has not worked the snapshot says so (synced = false). Nothing is written to the database: a restart of the
 * daemon starts from CoreShowChannels, and the peak of the day (the most calls at once since local midnight,
 * [web] timezone, via TZ) starts again from what is in progress then.
 *
 * A call is a group of channels: those sharing a bridge, and those sharing a Linkedid (a ringing call's two legs,
 * a blind transfer's new leg). Its caller is the channel that started it (Uniqueid = Linkedid) else the oldest;
 * its callee the other party (in the caller's bridge if any). A party on an endpoint "trunk-<name>" (the naming of
 * pbx/trunk_config.h) makes the call inbound or outbound through that trunk; otherwise it is internal.
 *
 * Thread safety: one mutex guards the table; every change bumps a version and wakes waiters (live_calls_wait),
 * so a stream can block until something changed. Streams are counted here (live_calls_stream_acquire) so that the
 * web workers they hold are capped. live_calls_shutdown wakes every waiter for good (the daemon is stopping). */
#ifndef PBX_LIVE_CALLS_H
#define PBX_LIVE_CALLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"

#define LIVE_FIELD_MAX 80       /* numbers, names, endpoints: longer values are cut */
#define LIVE_MAX_CHANNELS 4096  /* more channels than this are not tracked (logged once) */
#define LIVE_RESYNC_S 5

enum live_state { LIVE_RINGING, LIVE_UP };
enum live_kind { LIVE_INTERNAL, LIVE_INBOUND, LIVE_OUTBOUND };

struct live_party {
	char number[LIVE_FIELD_MAX];    /* caller ID number, or the digits dialled; "" if unknown */
	char name[LIVE_FIELD_MAX];      /* caller ID name; "" if unknown */
	char endpoint[LIVE_FIELD_MAX];  /* "201", "trunk-acme", "" (not yet dialled) */
};

struct live_call {
	char id[LIVE_FIELD_MAX];        /* the caller's Linkedid: stable for the call's life */
	struct live_party caller, callee;
	int channels;                   /* channels in the group (3 or more: a transfer or conference under way) */
	enum live_state state;
	enum live_kind kind;
	char trunk[LIVE_FIELD_MAX];     /* the trunk's name (without "trunk-") when kind is not internal */
	int64_t since;                  /* seconds since the epoch: the oldest channel's creation */
};

struct live_snapshot {
	struct live_call *calls;        /* oldest first */
	size_t n;
	uint64_t version;               /* pass to live_calls_wait */
	bool connected;                 /* the event login is up */
	bool synced;                    /* the table was rebuilt from CoreShowChannels since the last (re)connection */
	int peak;                       /* most calls at once today */
	int64_t now;                    /* when the snapshot was taken */
};

struct live_calls;

/* A table with no AMI behind it (tests feed it with live_calls_event / live_calls_rebuild). */
struct live_calls *live_calls_new(void);
/* Gives it its event login ("Events: call") and the pool for CoreShowChannels (which must outlive it). */
int live_calls_attach(struct live_calls *lc, const struct ami_options *o, struct ami_pool *pool, char *err,
		      size_t errlen);
/* Starts the event thread (it inherits the caller's signal mask). 0, or -1. */
int live_calls_start(struct live_calls *lc);
/* Wakes every waiter, now and later (streams end). The table keeps working. */
void live_calls_shutdown(struct live_calls *lc);
/* Stops the event thread and frees. No waiter may remain. NULL is fine. */
void live_calls_free(struct live_calls *lc);

/* One AMI event (any name: those not about calls are ignored). */
void live_calls_event(struct live_calls *lc, const struct ami_msg *ev);
/* Replaces the table with a CoreShowChannels answer's CoreShowChannel events. */
void live_calls_rebuild(struct live_calls *lc, struct ami_msg *const *events, size_t n);
/* The event login went down (connected = false, table emptied: it can no longer be trusted) or came up. */
void live_calls_set_connected(struct live_calls *lc, bool connected);
/* For tests: the clock used for "now" and the peak's day (NULL: time()). */
void live_calls_set_clock(struct live_calls *lc, int64_t (*now)(void *ctx), void *ctx);

/* The calls now. Free with live_snapshot_free. */
void live_calls_snapshot(struct live_calls *lc, struct live_snapshot *out);
void live_snapshot_free(struct live_snapshot *s);

/* Blocks until the version differs from seen (1), timeout_ms passed (0), or live_calls_shutdown was called (-1). */
int live_calls_wait(struct live_calls *lc, uint64_t seen, int timeout_ms);

/* Sleeps timeout_ms: 0, or -1 at once when live_calls_shutdown was called. For the other streams a worker holds
 * (the debug console's follow mode polls its file with it): they take the same slots and end at shutdown too. */
int live_calls_pause(struct live_calls *lc, int timeout_ms);
/* Takes one of max stream slots: true, or false when max are taken (max < 1 counts as 1). */
bool live_calls_stream_acquire(struct live_calls *lc, int max);
void live_calls_stream_release(struct live_calls *lc);

const char *live_state_name(enum live_state s);   /* "ringing", "up" */
const char *live_kind_name(enum live_kind k);     /* "internal", "inbound", "outbound" */

#endif
