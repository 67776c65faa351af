/* pbx: how Centralita's phones map onto Asterisk configuration (the domain layer).
 *
 * Settings   struct pbx_settings: driver, dialplan context, codecs, extension rules, provisioning.
 * Mapping    pbx_phone_sections(): the categories one phone needs (endpoint + aor named after the
 *            extension, auth named "<ext>-auth", told apart by type=; or one type=friend peer for
 *            chan_sip); pbx_dialplan_section(): its lines in the [centralita-phones] context (a hint, so
 *            status works, and a Dial), which the phones' context includes once.
 * Files      phones share files of Centralita's own, PBX_PHONES_PER_FILE to a pair (see PBX_DIR); each
 *            phone's part of them is pbx_phone_part(), a group's file is written whole (pbx_file.h).
 * Validation pbx_check_extension() applies the configured range and reserved numbers.
 * Knows ami (for the category types), db (struct phone) and provision; nothing of HTTP or templates. */
#ifndef PBX_PBX_H
#define PBX_PBX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"
#include "db/phones.h"
#include "provision/provision.h"

#define PBX_MAX_CODECS 8
#define PBX_MAX_RESERVED 32
#define PBX_MAX_CLASSES 8
#define PBX_CLASS_NAME_MAX 16   /* split_list items: 15 characters */
#define PBX_MAX_EMERGENCY 8

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
	/* Calls out (issue 10): the calling classes a phone may have, in the configured order, and the new
	 * phone's; the numbers every phone may dial whatever its class; where calls from the providers go; how
	 * long a call rings through a trunk before the next is not tried (no answer is not a failure). */
	char classes[PBX_MAX_CLASSES][PBX_CLASS_NAME_MAX];
	int n_classes;
	char default_class[PBX_CLASS_NAME_MAX];
	char emergency[PBX_MAX_EMERGENCY][16];
	int n_emergency;
	char trunk_context[64];
	int dial_timeout;         /* seconds */
};

/* Whether calling_class is one of the configured classes. */
bool pbx_class_known(const struct pbx_settings *s, const char *calling_class);

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

/* Where Centralita's configuration lives in Asterisk: files of its own in a folder of Asterisk's configuration
 * directory, which the integrator's files include once (README: "#tryinclude centralita/pjsip-*.conf" in
 * pjsip.conf, "#tryinclude centralita/dialplan-*.conf" in extensions.conf, "include => centralita-phones" in
 * the phones' context). Phones are kept PBX_PHONES_PER_FILE to a pair of files, by id (stable when an extension
 * changes): phones 1-4 in pjsip-phones-1-4.conf and dialplan-phones-1-4.conf. Asterisk's res_pjsip reload costs
 * about the square of the number of files it reads (3 s for 1,000 files, 0.16 s for 100, docs/BENCHMARKS.md),
 * while a file is written whole in a time that grows with its size: 4 phones a file keeps both small. A file
 * is always written whole from an empty source, each phone's part as it was last written (its stored text,
 * db/phones.h) but for the phones being applied: Asterisk never rewrites the integrator's files for a phone, a
 * crash mid-save damages one group's files at most, and any file can be rebuilt even if a crash left it
 * unreadable. AMI cannot delete files: a file whose phones are all removed stays, empty. */
#define PBX_DIR "centralita"
#define PBX_EMPTY_FILE PBX_DIR "/empty.conf"      /* the empty source every file is written from */
#define PBX_PHONES_CONTEXT "centralita-phones"     /* every phone's dialplan, merged from their files */
#define PBX_FILE_MAX 80
#define PBX_PHONES_PER_FILE 4
/* The ids sharing phone_id's files. */
void pbx_phone_group(int64_t phone_id, int64_t *first, int64_t *last);
/* The two files holding phone_id's part (the channel driver's, the dialplan's). */
void pbx_phone_files(const struct pbx_settings *s, int64_t phone_id, char chan[PBX_FILE_MAX], char dial[PBX_FILE_MAX]);
/* The files of its own a phone had in releases before groups ("pjsip-7.conf", "dialplan-7.conf"): emptied
 * when it is next written. */
void pbx_phone_own_files(const struct pbx_settings *s, int64_t phone_id, char chan[PBX_FILE_MAX],
			 char dial[PBX_FILE_MAX]);

/* Adds to out the phone's dialplan: a [centralita-phones] section with its hint (so status works) and its
 * Dial. Returns 0 or -1. */
int pbx_dialplan_section(const struct pbx_settings *s, const char *extension, struct pbx_sections *out);

/* Phone p's part of its group's two files as text (pbx_file.h's pbx_want_text; empty for a removed phone),
 * appended to chan (the channel driver's) and dial (its dialplan), with their digests: a part whose digest has
 * not changed since it was last written need not be written again. Returns 0, or -1 with err (a value too long
 * or holding a line break). */
#define PBX_DIGEST_HEX 65
struct buf;
int pbx_phone_part(const struct pbx_settings *s, const struct phone *p, struct buf *chan, struct buf *dial,
		   char chan_digest[PBX_DIGEST_HEX], char dial_digest[PBX_DIGEST_HEX], char *err, size_t errlen);

/* Releases before this layout kept phones in the integrator's files: the legacy names, so their remains
 * can be found and removed. "centralita-201" was the phone's own context there. */
void pbx_dialplan_context(const char *extension, char out[32]);

/* The caller id Asterisk shows: "Name" <ext>, with characters that would break its syntax removed. */
void pbx_callerid(const char *name, const char *extension, char *out, size_t size);

#endif
