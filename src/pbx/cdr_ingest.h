/* cdr_ingest: the daemon's call history intake. Its own AMI login with "Events: cdr" receives cdr_manager's Cdr
 * events; each is parsed on the event thread (pbx/cdr.c) and queued; a writer thread stores the queue in batches
 * (200 records, or whatever arrived within 100 ms of the oldest, whichever comes first), each one transaction
 * of calls_insert, so a replayed record adds nothing. Which side is a phone is decided by the writer against
 * the live phones, read again for every batch.
 *
 * Nothing is dropped silently: a batch whose write fails is kept and written again (after 250 ms, doubling to
 * 5 s), logged once per episode; when the queue is full the event thread waits for the writer rather than
 * drop (Asterisk may then cut the session off for being slow, which is logged by the event watcher). Records
 * Asterisk sent while no session was logged in are lost to the events (AMI keeps no backlog): `centralita
 * import-cdr` of Asterisk's Master.csv fills such a gap, adding only what is missing. A record refused by the
 * parser is logged with its reason. Two threads: the event connection's and the writer's, each with its own
 * database connection (the writer's). */
#ifndef PBX_CDR_INGEST_H
#define PBX_CDR_INGEST_H
#include <stddef.h>

#include "ami/ami.h"

struct cdr_ingest;

struct cdr_ingest *cdr_ingest_new(const struct ami_options *o, const char *db_path, char *err, size_t errlen);
/* Starts both threads (they inherit the caller's signal mask). Returns 0, or -1 if one could not start. */
int cdr_ingest_start(struct cdr_ingest *in);
/* Stops the event thread, then writes what is queued (one last attempt) and stops the writer. NULL is fine. */
void cdr_ingest_free(struct cdr_ingest *in);

#endif
