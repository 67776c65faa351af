/* registrations: which phones are registered, and from where, kept in the database from AMI events.
 * A separate AMI login ("Events: system") delivers ContactStatus (pjsip) and PeerStatus (chan_sip)
 * events; at every (re)connection the whole table is rebuilt from PJSIPShowContacts (SIPpeers), since
 * events sent while disconnected are lost, and so it is when an event could not be written. A rebuild
 * is one transaction (the table is never left half-written) and, when it fails, is retried every
 * retry_s seconds until it succeeds. Pages read the table; they never wait for the PBX.
 * Two threads: the event connection's, and one that rebuilds the table. */
#ifndef PBX_REGISTRATIONS_H
#define PBX_REGISTRATIONS_H
#include <stddef.h>

#include "ami/ami.h"
#include "pbx/pbx.h"

struct reg_watcher;

/* pool is used for the resynchronising list action; it must outlive the watcher. retry_s: seconds between
 * attempts to rebuild the table while rebuilding fails. */
struct reg_watcher *reg_watcher_new(const struct ami_options *o, struct ami_pool *pool, enum pbx_driver driver,
				    const char *db_path, int retry_s, char *err, size_t errlen);
/* Starts both threads (they inherit the caller's signal mask). Returns 0, or -1 if one could not start. */
int reg_watcher_start(struct reg_watcher *w);
void reg_watcher_free(struct reg_watcher *w);   /* stops the threads; NULL is fine */

/* "sip:201@192.0.2.5:5062;transport=udp" → "192.0.2.5:5062" (for tests and for the event handler). */
void reg_address_from_uri(const char *uri, char *out, size_t size);

#endif
