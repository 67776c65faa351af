/* verify: makes sure nothing Centralita applied is silently lost, and learns what the integrator has.
 *
 * Asterisk saves a configuration file in place (fopen "w", then every category): a crash, an OOM kill or a
 * power cut during a save leaves the file cut short, and the phones in it gone. So after every (re)start of
 * the PBX, any reload Centralita did not do itself, every few minutes, and on demand, pbx_verify() reads what
 * Asterisk has (each phone's own files, plus the channel driver's and the dialplan's merged view: a number of
 * requests that grows with the phones, each small) and compares it with what every applied phone should have.
 * A phone whose files are missing, cut short, unreadable or different is marked drifted: pending again, with
 * what was found, until the applier has put it back through its usual path. A phone whose files are right
 * must also be loaded (loaded.h): if not, and no file was found damaged, each module is reloaded once, and
 * only phones still not loaded are marked; if files were damaged, their rewriting's reloads load the rest
 * (a damaged file stops the #tryinclude glob, hiding the files after it) and a re-check is asked for.
 *
 * The same reading yields the snapshot: the integrator's own categories in the channel driver's file (those
 * not in Centralita's files) and the extensions its dialplan answers in the phones' context, which a phone
 * must not take. A save checks against it instead of re-reading every file (flat cost). Knows ami and db. */
#ifndef PBX_VERIFY_H
#define PBX_VERIFY_H
#include <stdbool.h>
#include <stddef.h>

#include "ami/ami.h"
#include "db/db.h"
#include "db/phones.h"
#include "pbx/pbx.h"

struct pbx_foreign_cat {
	char name[AMI_MAX_CATEGORY_LEN + 1];
	char type[32];
};

struct pbx_foreign_exten {
	char exten[PHONE_EXT_MAX];
	char context[80];
};

struct pbx_snapshot {
	bool valid;
	const char *file;                   /* the channel driver's file ("pjsip.conf"), for where-messages */
	struct pbx_foreign_cat *cats;       /* the channel driver's categories outside Centralita's files */
	size_t n_cats;
	struct pbx_foreign_exten *extens;   /* extensions the integrator's own lines answer where phones are dialled */
	size_t n_extens;
	bool have_include;                  /* the phones' context includes centralita-phones */
	bool chan_not_loaded, dial_not_loaded; /* Centralita's files hold phones Asterisk's merged view lacks */
};

void pbx_snapshot_free(struct pbx_snapshot *s);

/* Whether the integrator's own configuration has a category name of that type ("" = any) in the channel
 * driver's file: true with where set (e.g. "pjsip.conf [trunk-acme] (type=endpoint)"). */
bool pbx_snapshot_has(const struct pbx_snapshot *snap, const char *name, const char *type, char *where, size_t len);

/* Whether extension is taken by the integrator's own configuration (an endpoint or aor of that name, an auth
 * named "<ext>-auth", a chan_sip peer, or a dialplan line for it): true with where set. */
bool pbx_snapshot_taken(const struct pbx_settings *s, const struct pbx_snapshot *snap, const char *extension,
			char *where, size_t len);

/* One thing on the PBX that is not what Centralita made it (the drift check's list). */
struct pbx_drift {
	char kind[12];                      /* "phone", "trunk", "dialplan", "include" */
	int64_t id;                         /* the phone's or trunk's id (0 for the others) */
	char label[80];                     /* "205", "acme", "" */
	char detail[200];                   /* "its file centralita/pjsip-3.conf has its section [205] with ..." */
};

struct pbx_verify_report {
	bool dry_run;                       /* IN (kept by pbx_verify): find and list only, change nothing */
	struct pbx_drift *drift;            /* what was found not as Centralita made it (repaired unless dry_run) */
	size_t n_drift;
	int phones;                         /* phones whose files were read */
	int pending;                        /* ... of which not applied yet (their own apply writes them) */
	int drifted;                        /* marked drifted by this run */
	int outdated;                       /* holding what Centralita wrote before its settings changed: rewritten */
	int not_loaded;                     /* applied phones with right files Asterisk has not loaded, left to the
					       reloads of the drifted phones' rewriting */
	bool reloaded;                      /* modules reloaded to load phones whose files were right */
	bool recheck;                       /* verify again soon: once the drifted phones are written again, or
					       once Asterisk has booted */
	bool assume_booted;                 /* IN (kept): take Asterisk as booted without its FullyBooted (a
					       manager user that may not read "system" never gets it) */
	bool booting;                       /* some were not loaded and Asterisk has not said it is fully booted:
					       what it lists is not what it will run with, so they are left to a
					       recheck (unless assume_booted) */
};

/* Reads everything (see above), rebuilds *snap, marks drifted phones, and adds "include => centralita-phones"
 * to the phones' context when it is missing. Returns AMI_OK, or the status that stopped it (msg says why);
 * snap is left invalid then. db is the caller's connection. With rep->dry_run set on entry nothing is changed
 * (no mark, no reload, no include, no legacy migration): rep->drift lists what differs. Free rep with
 * pbx_verify_report_free. */
void pbx_verify_report_free(struct pbx_verify_report *rep);
enum ami_status pbx_verify(const struct pbx_settings *s, struct ami_pool *pool, struct db *db,
			   struct pbx_snapshot *snap, struct pbx_verify_report *rep, char *msg, size_t len);

#endif
