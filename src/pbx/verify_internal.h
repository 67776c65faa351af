/* verify_internal: what the verification's files share (verify.c: phones, the snapshot, the loaded check;
 * verify_routes.c: trunks and the routes dialplan). Not for other layers: verify.h is the interface. */
#ifndef PBX_VERIFY_INTERNAL_H
#define PBX_VERIFY_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"
#include "db/db.h"
#include "pbx/loaded.h"
#include "pbx/pbx.h"
#include "pbx/verify.h"

/* What reading one file gave. */
enum file_state { FILE_READ, FILE_ABSENT, FILE_UNREADABLE };

/* GetConfig of file (one category, or all when category is NULL) into *out. Returns AMI_OK with *state, or
 * the failing status with msg. */
enum ami_status verify_read_file(struct ami_pool *pool, const char *file, const char *category,
				 struct ami_config *out, enum file_state *state, char *msg, size_t len);
/* Marks used the first unused category of merged equal to cat. Returns whether one was found. */
bool verify_take_category(const struct ami_config *merged, bool *used, const struct ami_cfg_cat *cat);
/* Takes out of the merged view, for a file Asterisk cannot read (whose content GetConfig will not give), the
 * categories of the wanted names and types, whatever their lines: Asterisk loaded the part before the damage
 * into the merged view, and it is Centralita's, not the integrator's. */
void verify_take_damaged(const struct ami_config *merged, bool *used, const struct ami_cfg_want *want, size_t n);
/* Does a file of Centralita's hold exactly the wanted sections (in any order: Asterisk does not care)? If not,
 * what differs, into why (for the reason shown and the log). */
bool verify_file_matches(const struct ami_config *file, const struct ami_cfg_want *want, size_t n, char *why,
			 size_t len);
/* Why a file cannot be compared ("is missing", "cannot be read by Asterisk ..."). */
const char *verify_file_problem(enum file_state st);

/* verify_routes.c. The trunks' files: each read, its categories taken out of the merged pjsip.conf, an
 * applied trunk whose file is wrong marked drifted (rep->drifted), one whose file is Centralita's older
 * content marked to be rewritten; the ids of applied trunks whose files are right appended to *live (realloc'd,
 * *n_live). *unreadable set if a file could not be parsed. */
enum ami_status verify_trunks(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
			      const struct ami_config *merged, bool *used, struct pbx_verify_report *rep, int64_t **live,
			      size_t *n_live, bool *unreadable, char *msg, size_t len);
/* The routes dialplan file: marked drifted if it was applied and is wrong, its version bumped if it holds
 * Centralita's older content (settings changed); *right says whether it holds what it should. */
enum ami_status verify_routes_file(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				   struct pbx_verify_report *rep, bool *right, char *msg, size_t len);
/* Whether trunk trunk_id (applied, file right) is loaded as it should be. */
bool verify_trunk_loaded(const struct pbx_settings *s, const struct pbx_loaded *l, struct db *db, int64_t trunk_id);
/* Whether Asterisk runs with the routes dialplan: every context of the file holds as many priorities as the
 * file gives it (ShowDialPlan, one request a context). */
enum ami_status verify_routes_loaded(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
				     bool *loaded, char *msg, size_t len);
/* Lists what drifted (rep->drift). */
void verify_note_drift(struct pbx_verify_report *rep, const char *kind, int64_t id, const char *label,
		       const char *detail);
/* The reason a drifted change is marked with: "vanished from the PBX: <detail>; it is being restored". */
void verify_reason(char *out, size_t len, const char *detail);
/* Marks the routes dialplan drifted for detail (listed, logged, counted; only listed in a dry run). Returns 0
 * or -1. */
int verify_mark_routes(struct db *db, const char *detail, struct pbx_verify_report *rep);
/* Marks trunk trunk_id drifted for detail, as verify_mark_routes. Returns 0 or -1. */
int verify_mark_trunk(struct db *db, int64_t trunk_id, const char *detail, struct pbx_verify_report *rep);

#endif
