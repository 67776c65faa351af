/* registrations: which phones are registered, and from where, kept in the database from AMI events.
 * A separate AMI login ("Events: system") delivers ContactStatus (pjsip) and PeerStatus (chan_sip)
 * events; at every (re)connection the whole table is rebuilt from PJSIPShowContacts, since events sent
 * while disconnected are lost. Pages read the table; they never wait for the PBX. */
#ifndef PBX_REGISTRATIONS_H
#define PBX_REGISTRATIONS_H
#include <stddef.h>

#include "ami/ami.h"
#include "pbx/pbx.h"

struct reg_watcher;

/* pool is used for the resynchronising list action; it must outlive the watcher. */
struct reg_watcher *reg_watcher_new(const struct ami_options *o, struct ami_pool *pool, enum pbx_driver driver,
				    const char *db_path, char *err, size_t errlen);
int reg_watcher_start(struct reg_watcher *w);
void reg_watcher_free(struct reg_watcher *w);   /* stops the thread; NULL is fine */

/* "sip:201@192.0.2.5:5062;transport=udp" → "192.0.2.5:5062" (for tests and for the event handler). */
void reg_address_from_uri(const char *uri, char *out, size_t size);

#endif
