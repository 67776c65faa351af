/* cdr: Asterisk's call detail records → struct call (db/calls.h). Pure functions, no I/O: the two places
 * Asterisk writes a record, a Cdr event of cdr_manager and a line of cdr_csv's Master.csv, become the same row.
 *
 * The key (what makes storing a record twice change nothing) is the SHA-256, in hex, of what both sources say of
 * a call: channel, dstchannel, src, dst and disposition as Asterisk wrote them, and the start, answer and end
 * times as instants (Unix seconds), so that a Master.csv written in UTC (cdr_csv's usegmtime=yes, read with
 * utc) and the event, in local time, agree. Not the uniqueid: Master.csv has it only with loguniqueid=yes.
 *
 * Times "YYYY-MM-DD HH:MM:SS" are Asterisk's local time, read in the process's time zone ([web] timezone, set
 * once at start: config_apply_timezone); day, hour and day of the week come from localtime_r of the start.
 *
 * Which side is a phone needs the phones table: parsing leaves from_ext/to_ext empty and the direction
 * internal unless is_phone is given, and cdr_resolve_sides() does it later (the daemon parses on the event
 * thread and resolves on the writer's, against the phones as they are when the batch is written).
 * Knows ami (struct ami_msg), db (struct call) and pbx (the trunks' endpoint names). */
#ifndef PBX_CDR_H
#define PBX_CDR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"
#include "db/calls.h"

/* True if endpoint (the "201" of "PJSIP/201-0000002a") is one of Centralita's phones. */
typedef bool (*cdr_is_phone_fn)(void *ctx, const char *endpoint);

/* The raw text of a record, as either source gives it; NULL = the source did not carry that field. */
struct cdr_fields {
	const char *src, *dst, *dcontext, *clid, *channel, *dstchannel, *lastapp;
	const char *start, *answer, *end, *duration, *billsec, *disposition, *uniqueid;
	bool utc;   /* the times are UTC (cdr_csv's usegmtime=yes), not Asterisk's local time */
};

/* Each returns 0 with *out filled, or -1 with why ("StartTime: not a date", ...) and *out unspecified.
 * Refused: a missing Channel, StartTime, EndTime, Duration, BillableSeconds or Disposition; a time that is not
 * "YYYY-MM-DD HH:MM:SS" (an empty AnswerTime is "never answered"); a duration that is not a whole number of
 * seconds in 0..INT_MAX; an unknown disposition; src or dst longer than CALL_FIELD_MAX - 1 bytes, a channel
 * longer than CALL_CHANNEL_MAX - 1 (they are what the history filters and the key are made of). Longer
 * descriptive fields (caller ID, context, application, uniqueid) are cut at a UTF-8 character boundary.
 * is_phone may be NULL (sides left for cdr_resolve_sides). */
int cdr_from_fields(const struct cdr_fields *f, cdr_is_phone_fn is_phone, void *ctx, struct call *out, char *why,
		    size_t whylen);
/* An "Event: Cdr" message of cdr_manager. */
int cdr_from_event(const struct ami_msg *ev, cdr_is_phone_fn is_phone, void *ctx, struct call *out, char *why,
		   size_t whylen);
/* One record of Master.csv (without its line end), as cdr_csv's build_csv_record writes it: strings quoted with
 * '"' and inner quotes doubled, numbers and empty times unquoted; 16 columns (accountcode, src, dst, dcontext,
 * clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags),
 * then uniqueid (loguniqueid=yes), userfield (loguserfield=yes), and peeraccount, linkedid, sequence
 * (newcdrcolumns=yes). A lone 17th column is the uniqueid when it looks like one ("1795797242.0"), else the
 * userfield. utc: the file was written with usegmtime=yes. A record may span lines (a quoted newline): the caller joins them (cdr_csv_record_complete). */
int cdr_from_csv(const char *record, bool utc, cdr_is_phone_fn is_phone, void *ctx, struct call *out, char *why,
		 size_t whylen);
/* True when text holds a whole CSV record: its quotes are balanced (else a quoted field goes on next line). */
bool cdr_csv_record_complete(const char *text);

/* Sets direction, from_ext and to_ext from the channels: a trunk's channel ("PJSIP/trunk-<name>-xxxxxxxx")
 * makes the call inbound (calling side) or outbound (called side); a phone's channel names its extension. */
void cdr_resolve_sides(struct call *c, cdr_is_phone_fn is_phone, void *ctx);

/* "PJSIP/201-0000002a" or "SIP/201-0000000a" → "201"; "" for other technologies (Local/, DAHDI/...) or an
 * empty channel. */
void cdr_channel_endpoint(const char *channel, char *out, size_t size);

/* "YYYY-MM-DD HH:MM:SS" in local time (UTC when utc) → Unix seconds. Returns 0, or -1 if text is not such a
 * date. */
int cdr_parse_time(const char *text, bool utc, int64_t *out);

#endif
