/* trunk_state: what Asterisk says of each trunk right now, for the trunks page: its outbound registration
 * (PJSIPShowRegistrationsOutbound: one OutboundRegistrationDetail per registration object, "Status" among
 * Registered, Unregistered, Rejected, ...) and whether the provider answers (its aor's permanent contact as
 * qualify left it, which only PJSIPShowEndpoint shows: ContactStatusDetail "Status" Reachable / Unreachable /
 * NonQualified; PJSIPShowContacts does not list permanent contacts). One request plus one per trunk; a trunk
 * Asterisk does not list (not loaded yet) is "unknown", and so is a new trunk's contact until Asterisk's first
 * qualify (at a random moment within qualify_frequency). The words Asterisk uses are mapped to kinds here, once
 * (as observed on Asterisk 22.10.1, tests/unit/support/ami-transcripts/12-trunks.txt). Knows ami and pbx. */
#ifndef PBX_TRUNK_STATE_H
#define PBX_TRUNK_STATE_H
#include <stddef.h>

#include "ami/ami.h"
#include "db/trunks.h"

enum pbx_trunk_reg {
	PBX_TRUNK_REG_NONE = 0,       /* the trunk does not register (or Asterisk has no registration for it) */
	PBX_TRUNK_REG_REGISTERED,
	PBX_TRUNK_REG_UNREGISTERED,   /* not (yet, or any more) registered: trying */
	PBX_TRUNK_REG_REJECTED,       /* the provider refused (wrong credentials, forbidden), or never answered
	                                 * (after the 32 s transaction timeout): retried later */
	PBX_TRUNK_REG_STOPPED,        /* Asterisk gave up retrying */
	PBX_TRUNK_REG_UNKNOWN,        /* a status word not known here */
};

enum pbx_trunk_reach {
	PBX_TRUNK_REACH_UNKNOWN = 0,  /* not qualified yet, or not listed */
	PBX_TRUNK_REACH_OK,
	PBX_TRUNK_REACH_UNREACHABLE,
};

struct pbx_trunk_state {
	char name[TRUNK_NAME_MAX];    /* the trunk's name (its endpoint is "trunk-<name>") */
	enum pbx_trunk_reg reg;
	enum pbx_trunk_reach reach;
	char detail[96];              /* Asterisk's own words, e.g. "Rejected" or "Unreachable, RTT n/a" */
};

/* Fills states[i].reg/.reach/.detail for each states[i].name (set by the caller) from what Asterisk lists.
 * Returns AMI_OK, or the status that stopped it with msg (states then all unknown). */
enum ami_status pbx_trunk_states(struct ami_pool *pool, struct pbx_trunk_state *states, size_t n, char *msg,
				 size_t len);

#endif
