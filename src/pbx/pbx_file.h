/* pbx_file: a whole configuration file of Centralita's own, as sections of any number and size, and the
 * UpdateConfigs that write it whole.
 *
 * Asterisk takes at most 128 header lines in one request (AMI_MAX_LINES): a phone's file fits in one
 * UpdateConfig, a trunk's or the routes' dialplan may not. pbx_file_updates() therefore cuts the actions that
 * build the file from nothing into as few UpdateConfigs as fit, in order: the first loads the empty source
 * (PBX_EMPTY_FILE), so whatever the file held (even what Asterisk cannot read) is replaced; the others load the
 * file itself and add to it. Not atomic: a file left half-written (a lost connection, a crash between two of
 * them) is written again whole from the first, and its digest is recorded only once all went through and its
 * module was reloaded (reload.h). Knows ami and pbx. */
#ifndef PBX_PBX_FILE_H
#define PBX_PBX_FILE_H
#include <stddef.h>

#include "ami/ami.h"
#include "pbx/pbx.h"
#include "util/buf.h"

struct pbx_file {
	struct ami_cfg_want *want;   /* the sections, in file order (name; type set for same-named pjsip ones) */
	size_t n, cap;
	char err[160];               /* sticky first error (a value with CR/LF, an empty name...) */
};

void pbx_file_init(struct pbx_file *f);
void pbx_file_free(struct pbx_file *f);
/* Starts a section (type: its "type=" value when several sections share the name, else NULL). The strings are
 * copied. Returns 0, or -1 with f->err. */
int pbx_file_section(struct pbx_file *f, const char *name, const char *type);
/* Adds "var = value" to the last section (copied). Returns 0 or -1 with f->err. */
int pbx_file_line(struct pbx_file *f, const char *var, const char *value);
/* pbx_file_line with the value formatted. */
int pbx_file_linef(struct pbx_file *f, const char *var, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* SHA-256 (hex) of the file as "[name]\n" then "var=value\n" per line: what a file written from it holds (the
 * same digest as a phone's file, pbx_phone_updates). */
void pbx_file_digest(const struct pbx_file *f, char out[PBX_DIGEST_HEX]);
/* The same digest of any list of wanted sections (a phone's, pbx_sections). */
void pbx_want_digest(const struct ami_cfg_want *want, size_t n, char out[PBX_DIGEST_HEX]);
/* The same digest of a file as GetConfig read it back (pbx_phone_updates' and pbx_file_digest's format): equal
 * when the file holds exactly what was written. */
void pbx_config_digest(const struct ami_config *c, char out[PBX_DIGEST_HEX]);
/* The file as Asterisk's dialplan or pjsip.conf reader sees it ("[name]" then "var = value" lines, an
 * "exten = ..." shown as "exten => ..."), for previews. */
void pbx_file_text(const struct pbx_file *f, struct buf *out);

/* Sections as text, "[name]" then "var=value" lines, each ending in "\n": what a digest is of, and how a phone's
 * part of its group's files is stored (pbx.h). */
void pbx_want_text(const struct ami_cfg_want *want, size_t n, struct buf *out);
/* Appends the sections of such a text to f: a name repeated in the text gets its "type=" value as type (a pjsip
 * endpoint and aor); a section without one named as the last of f is merged into it (the phones' dialplan
 * context, once per file). Returns 0, or -1 with f->err. */
int pbx_file_add_text(struct pbx_file *f, const char *text);

/* The UpdateConfigs that write f whole into dst (see above), in order, in *ups (n_ups of them; free each with
 * ami_update_free, then free(*ups)). No Reload header: the caller reloads once all went through. An empty
 * file is one UpdateConfig without actions (dst from the empty source). Returns 0, or -1 with err. */
int pbx_file_updates(const struct pbx_file *f, const char *dst, struct ami_update **ups, size_t *n_ups, char *err,
		     size_t errlen);

#endif
