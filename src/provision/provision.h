/* provision: phone auto-provisioning files (issue 4). Knows only util, OpenSSL and ClearSilver.
 *
 * Catalogue  provision_vendor_count/_at, provision_model_count/_at (grouped by vendor, table order),
 *            provision_model_find("yealink-t46u") -> NULL when unknown: validate form input against it.
 * MAC        provision_mac_parse(in, len, out) accepts 00:0B:82:A1:B2:C3, 00-0b-82-a1-b2-c3, 000b82a1b2c3,
 *            000b.82a1.b2c3 and writes 12 lowercase hex digits; every rejection has its own code/message.
 * Secrets    provision_new_secret(out, size) -> PROVISION_SECRET_LEN letters/digits from RAND_bytes.
 * Rendering  r = provision_renderer_new("provisioning", err, errlen) once at startup (parses every template
 *            in <dir>/<vendor>.cs); provision_render(r, &phone, &out, err, errlen) any number of times from
 *            any thread (a mutex serialises the ~µs render); provision_output_free(&out); renderer_free(r).
 *            Every string in struct provision_phone must be valid UTF-8 without control characters
 *            (checked again here even though callers validate: defence in depth).
 * Files      provision_write(dir, &out) writes each file atomically with mode 0640.
 *            provision_remove(dir, mac, model) deletes the files of that phone (missing files are fine).
 *            provision_remove_stale(dir, old_mac, old_model, new_mac, new_model) deletes the old phone's
 *            files whose names the new (mac, model) does not produce: call it after provision_write of the
 *            new files when a phone's MAC or model changes.
 *            File names come only from the canonical 12-hex MAC and fixed per-vendor patterns
 *            (see provision_file_names), so no name can contain '/' or "..".
 * Errors     functions return enum provision_err (0 = PROVISION_OK); err/errlen (may be NULL/0) receives a
 *            one-line English message naming the field, for logs.
 */
#ifndef PROVISION_PROVISION_H
#define PROVISION_PROVISION_H
#include <stddef.h>

#include "util/buf.h"

enum provision_vendor {
	PROVISION_YEALINK,
	PROVISION_POLYCOM,
	PROVISION_GRANDSTREAM,
	PROVISION_SNOM,
	PROVISION_CISCO_SPA,
	PROVISION_FANVIL,
	PROVISION_VENDOR__MAX
};

struct provision_vendor_info {
	enum provision_vendor vendor;
	const char *id;       /* stable: "yealink", "polycom", "grandstream", "snom", "cisco-spa", "fanvil" */
	const char *name;     /* display: "Yealink", "Cisco SPA", ... */
	const char *template; /* main template file name inside the template directory, e.g. "yealink.cs" */
};

struct provision_model {
	const char *id;       /* stable, stored in the database: "yealink-t46u" */
	const char *name;     /* display: "Yealink T46U" */
	enum provision_vendor vendor;
	const char *template; /* same as its vendor's template */
	int lines;            /* SIP accounts the model supports (datasheet, informational; line 1 is provisioned) */
};

size_t provision_vendor_count(void);
const struct provision_vendor_info *provision_vendor_at(size_t i); /* NULL past the end */
const struct provision_vendor_info *provision_vendor_info(enum provision_vendor v);
size_t provision_model_count(void);
const struct provision_model *provision_model_at(size_t i);      /* NULL past the end */
const struct provision_model *provision_model_find(const char *id);

/* ---- MAC addresses ---- */
#define PROVISION_MAC_LEN 12 /* canonical form: 12 lowercase hex digits, buffers need PROVISION_MAC_LEN + 1 */

enum provision_mac_err {
	PROVISION_MAC_OK = 0,
	PROVISION_MAC_EMPTY,      /* "" */
	PROVISION_MAC_BAD_CHAR,   /* a character that is neither hex nor a separator (incl. NUL, CR, LF, '/') */
	PROVISION_MAC_SEPARATOR,  /* separators mixed or misplaced ("00:0b-82...", "0:0b:...") */
	PROVISION_MAC_LENGTH,     /* not exactly 12 hex digits */
	PROVISION_MAC_ZERO,       /* 00:00:00:00:00:00 */
	PROVISION_MAC_BROADCAST,  /* ff:ff:ff:ff:ff:ff */
	PROVISION_MAC_MULTICAST   /* low bit of the first octet set: not a device address */
};

/* Parses len bytes of in (embedded NULs are rejected). out gets the canonical form, NUL-terminated;
 * it is left as "" on error. */
enum provision_mac_err provision_mac_parse(const char *in, size_t len, char out[PROVISION_MAC_LEN + 1]);
const char *provision_mac_strerror(enum provision_mac_err e);

/* ---- secrets ---- */
#define PROVISION_SECRET_LEN 32

/* Writes PROVISION_SECRET_LEN characters from [A-Za-z0-9] and a NUL. size must be > PROVISION_SECRET_LEN.
 * Returns 0, or -1 when size is too small or the CSPRNG fails (out is then ""). */
int provision_new_secret(char *out, size_t size);

/* ---- rendering ---- */
enum provision_transport { PROVISION_UDP, PROVISION_TCP, PROVISION_TLS };

struct provision_phone {
	const char *mac;          /* any form provision_mac_parse accepts */
	const char *model;        /* catalogue id */
	const char *extension;    /* SIP user name, also the auth name: printable ASCII, no spaces */
	const char *display_name; /* UTF-8, may be empty (the extension is shown then) */
	const char *secret;       /* SIP password: printable ASCII, no spaces */
	const char *server;       /* SIP server: host name, IPv4, or [IPv6] */
	unsigned port;            /* 1..65535 */
	enum provision_transport transport;
};

enum provision_err {
	PROVISION_OK = 0,
	PROVISION_E_MODEL,    /* unknown model id */
	PROVISION_E_MAC,      /* MAC rejected by provision_mac_parse */
	PROVISION_E_VALUE,    /* a phone field is missing, too long, not UTF-8, or holds a control character */
	PROVISION_E_TEMPLATE, /* a template could not be read or parsed (renderer_new) */
	PROVISION_E_RENDER,   /* ClearSilver failed while rendering */
	PROVISION_E_IO        /* writing or removing a file failed (errno is kept) */
};

#define PROVISION_MAX_FILES 2 /* Polycom needs a per-phone master file plus its settings file */
#define PROVISION_NAME_MAX 32

struct provision_file {
	char name[PROVISION_NAME_MAX]; /* e.g. "000b82a1b2c3.cfg" */
	const char *role;              /* "config", or "master" for Polycom's <mac>.cfg */
	struct buf data;
};

struct provision_output {
	size_t count;
	struct provision_file files[PROVISION_MAX_FILES];
};

struct provision_renderer;

/* Loads and parses every vendor template from dir. Call before starting threads (it calls nerr_init). */
struct provision_renderer *provision_renderer_new(const char *dir, char *err, size_t errlen);
void provision_renderer_free(struct provision_renderer *r);

/* Renders the files of one phone into *out (initialised here; free with provision_output_free even on
 * error). Thread-safe. */
enum provision_err provision_render(struct provision_renderer *r, const struct provision_phone *p,
                                    struct provision_output *out, char *err, size_t errlen);
void provision_output_free(struct provision_output *out);

/* ---- files ---- */
/* The names of the files of (mac, model): mac in any accepted form. */
enum provision_err provision_file_names(const char *mac, const char *model,
                                        char names[PROVISION_MAX_FILES][PROVISION_NAME_MAX], size_t *count);

enum provision_err provision_write(const char *dir, const struct provision_output *out, char *err, size_t errlen);
/* provision_write of n phones' files at once, made durable together (file_write_atomic_many): an import's. */
enum provision_err provision_write_many(const char *dir, const struct provision_output *const *outs, size_t n,
				       char *err, size_t errlen);
enum provision_err provision_remove(const char *dir, const char *mac, const char *model, char *err, size_t errlen);
enum provision_err provision_remove_stale(const char *dir, const char *old_mac, const char *old_model,
                                          const char *new_mac, const char *new_model, char *err, size_t errlen);

const char *provision_strerror(enum provision_err e);

#endif
