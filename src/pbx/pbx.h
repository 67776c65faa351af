/* pbx: how Centralita's phones map onto Asterisk configuration (the domain layer).
 *
 * Settings   struct pbx_settings: driver, dialplan context, codecs, extension rules, provisioning.
 * Mapping    pbx_phone_sections(): the categories one phone needs in pjsip.conf (endpoint + aor named
 *            after the extension, auth named "<ext>-auth", told apart by type=) or sip.conf (one
 *            type=friend peer); pbx_dialplan_section(): its own context in extensions.conf,
 *            "[centralita-<ext>]" with a hint (so status works) and a Dial, which the internal context
 *            includes ("include = centralita-<ext>"). Owning whole categories lets every change start
 *            with a NewCat that Asterisk refuses if the category exists: creation needs no read first.
 * Validation pbx_check_extension() applies the configured range and reserved numbers.
 * Knows ami (for the category types), db (struct phone) and provision; nothing of HTTP or templates. */
#ifndef PBX_PBX_H
#define PBX_PBX_H
#include <stdbool.h>
#include <stddef.h>

#include "ami/ami.h"
#include "db/phones.h"
#include "provision/provision.h"

#define PBX_MAX_CODECS 8
#define PBX_MAX_RESERVED 32

enum pbx_driver { PBX_PJSIP, PBX_SIP };

struct pbx_settings {
	enum pbx_driver driver;
	char context[64];
	char codecs[PBX_MAX_CODECS][16];
	int n_codecs;
	long ext_min, ext_max;
	char reserved[PBX_MAX_RESERVED][16];
	int n_reserved;
	char prov_dir[512];
	char prov_server[256];
	unsigned prov_port;
	enum provision_transport prov_transport;
	int retry_interval;       /* seconds */
	int save_wait_ms;         /* a web request waits at most this long for the PBX (the apply goes on) */
};

const char *pbx_config_file(enum pbx_driver d);      /* "pjsip.conf" / "sip.conf" */
const char *pbx_reload_module(enum pbx_driver d);    /* "res_pjsip.so" / "chan_sip.so" */
#define PBX_DIALPLAN_FILE "extensions.conf"
#define PBX_DIALPLAN_MODULE "pbx_config.so"

/* Why an extension is refused: NULL if fine, else a message key ("ext_range", "ext_reserved", ...). */
const char *pbx_check_extension(const struct pbx_settings *s, const char *extension);

/* Wanted categories of one phone, with the storage for their lines. */
#define PBX_MAX_SECTIONS 3
#define PBX_MAX_LINES 16
struct pbx_sections {
	struct ami_cfg_want want[PBX_MAX_SECTIONS];
	size_t n;
	struct ami_cfg_line lines[PBX_MAX_SECTIONS][PBX_MAX_LINES];
	char strings[4096];
	size_t used;
};

/* The category names an extension owns in the channel driver's file (2 for pjsip, 1 for sip). */
size_t pbx_section_names(const struct pbx_settings *s, const char *extension, char names[][32]);
/* Fills out with the categories phone p needs. Returns 0, or -1 if a value does not fit. */
int pbx_phone_sections(const struct pbx_settings *s, const struct phone *p, struct pbx_sections *out);

/* The name of extension e's own dialplan context: "centralita-201". */
void pbx_dialplan_context(const char *extension, char out[32]);
/* Adds to out the context extension e needs in extensions.conf (hint + Dial). Returns 0 or -1. */
int pbx_dialplan_section(const struct pbx_settings *s, const char *extension, struct pbx_sections *out);

/* The two UpdateConfigs (initialised here; free them) that create phone p where nothing of it exists:
 * its sections in the channel driver's file, and its dialplan context plus the include in the internal
 * context, each with its module's reload. Every category they create starts with a NewCat, which
 * Asterisk refuses when the category exists, and a refused UpdateConfig writes nothing: so they are safe
 * to send without reading first. Returns 0, or -1 with err. */
int pbx_creation_updates(const struct pbx_settings *s, const struct phone *p, struct ami_update *chan,
			 struct ami_update *dial, char *err, size_t errlen);

/* The caller id Asterisk shows: "Name" <ext>, with characters that would break its syntax removed. */
void pbx_callerid(const char *name, const char *extension, char *out, size_t size);

#endif
