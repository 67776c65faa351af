/* pbx_info: what the home and status pages say of the PBX itself: its and its manager's versions (CoreSettings
 * "AsteriskVersion", "AMIversion"), when it started and was last reloaded (CoreStatus "CoreStartupDate" + "CoreStartupTime", Asterisk's local time, read in the zone the daemon
 * runs in: [web] timezone, the PBX's own in every installation we know). Two small requests through the pool.
 * Knows ami. */
#ifndef PBX_PBX_INFO_H
#define PBX_PBX_INFO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"

struct pbx_info {
	char version[64];     /* "22.10.1" ("" when not said) */
	char ami_version[32]; /* the manager protocol's, CoreSettings "AMIversion": "11.0.0" */
	int64_t started;      /* Unix seconds of the start (0 when not said or unreadable) */
	int64_t reloaded;     /* of the last reload (CoreStatus "CoreReloadDate"/"CoreReloadTime"; = started if none) */
	int active_channels;  /* CoreStatus "CoreCurrentCalls" */
};

/* Fills *out from the PBX. Returns AMI_OK, or the status of the request that failed, with msg. */
enum ami_status pbx_info_read(struct ami_pool *pool, struct pbx_info *out, char *msg, size_t len);
/* "YYYY-MM-DD" + "HH:MM:SS" in local time → Unix seconds; 0 when either is malformed. For tests too. */
int64_t pbx_info_parse_start(const char *date, const char *time_of_day);

#endif
