/* loaded: what Asterisk runs with, as opposed to what its files hold.
 *
 * A phone's files can be right and the phone still not live: its module was not reloaded since (a reload lost,
 * see reload.h), or Asterisk started while a file it could not read stopped the #tryinclude glob before them.
 * pbx_loaded_read() lists what res_pjsip and pbx_config have loaded (PJSIPShowEndpoints, PJSIPShowAors,
 * PJSIPShowAuths and ShowDialPlan of the phones' context: four requests whatever the number of phones);
 * pbx_loaded_phone() says whether all of a phone's configuration is among it: its endpoint with its aor and
 * auth, its aor's contact limit, its auth's user name and password, and every line of its dialplan. What the
 * lists do not show (an endpoint's caller id, codecs, context) is not compared. With chan_sip, whose lists are
 * not read, only the dialplan is. Knows ami, db (struct phone) and pbx. */
#ifndef PBX_LOADED_H
#define PBX_LOADED_H
#include <stdbool.h>
#include <stddef.h>

#include "ami/ami.h"
#include "db/phones.h"
#include "pbx/pbx.h"

struct pbx_loaded {
	char **keys;     /* one per loaded object or dialplan line, sorted (see loaded.c) */
	size_t n, cap;
};

/* Lists what is loaded into *out (initialise it to zeros; free with pbx_loaded_free). Returns AMI_OK, or the
 * status that stopped it with msg. */
enum ami_status pbx_loaded_read(const struct pbx_settings *s, struct ami_pool *pool, struct pbx_loaded *out,
				char *msg, size_t len);
void pbx_loaded_free(struct pbx_loaded *l);

/* Whether the endpoints, aors and auths among want[] are loaded as wanted (the same comparison as a phone's;
 * other types are not in the lists and not compared). */
bool pbx_loaded_sections(const struct pbx_loaded *l, const struct ami_cfg_want *want, size_t n);
/* Whether everything phone p should have (see above) is loaded. */
bool pbx_loaded_phone(const struct pbx_settings *s, const struct pbx_loaded *l, const struct phone *p);

#endif
