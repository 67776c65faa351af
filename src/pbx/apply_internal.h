/* apply_internal: what the applier's files share (apply.c: phones, jobs and the thread; apply_routes.c:
 * trunks and the routes dialplan). Not for other layers: apply.h is the applier's interface. */
#ifndef PBX_APPLY_INTERNAL_H
#define PBX_APPLY_INTERNAL_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pbx/apply.h"
#include "pbx/cli.h"
#include "pbx/pbx_file.h"
#include "pbx/pbx_info.h"
#include "pbx/reload.h"
#include "pbx/trunk_state.h"
#include "pbx/verify.h"

#define APPLY_WORKERS 2         /* groups written at once (apply.c's apply_groups) */
#define REFUSED_MAX_DELAY 300   /* seconds: the longest wait between attempts of a change Asterisk refused */

/* A piece of work a web request hands to the applier's thread and may wait for (up to save_wait_ms): apply a
 * phone, a trunk or the routes dialplan, check an extension against what Asterisk has, verify, or ask the
 * trunks' state (with the PBX's version and start, for the home page). Shared by the requester and the thread; freed by whichever lets go of it last (refs, under
 * the applier's mutex). */
enum job_kind { JOB_APPLY, JOB_CHECK, JOB_VERIFY, JOB_TRUNK, JOB_DIALPLAN, JOB_TRUNK_STATES, JOB_OVERVIEW, JOB_DRIFT,
	       JOB_REPAIR, JOB_CLI, JOB_CHECK_MANY };
struct apply_job {
	enum job_kind kind;
	int64_t phone_id;                    /* JOB_APPLY; the trunk's id for JOB_TRUNK */
	char extension[PHONE_EXT_MAX];
	int refs;
	bool done;
	struct apply_result result;          /* JOB_APPLY, JOB_TRUNK, JOB_DIALPLAN */
	enum applier_check check;            /* JOB_CHECK */
	char where[200];
	enum ami_status verified;            /* JOB_VERIFY, JOB_TRUNK_STATES */
	struct pbx_trunk_state *states;      /* JOB_TRUNK_STATES: the job's own copy (freed with it) */
	size_t n_states;
	struct pbx_info info;                /* JOB_OVERVIEW */
	enum ami_status info_status;         /* JOB_OVERVIEW: how pbx_info_read went */
	struct pbx_drift *drift;             /* JOB_DRIFT: what differs (handed to the waiter, else freed with it) */
	size_t n_drift;
	struct cli_job *cli;                 /* JOB_CLI: the command and its answer (moves to the requester) */
	struct check_many *many;             /* JOB_CHECK_MANY: extensions and verdicts (move to the requester) */
	struct apply_job *next;
};

/* JOB_CHECK_MANY's own part: an import's extensions, checked against the snapshot in one job. */
struct check_many {
	size_t n;
	char (*extension)[PHONE_EXT_MAX];
	enum applier_check *verdict;
	char (*where)[200];
};

/* JOB_CLI's own part: on the heap so that the requester can take the answer and leave the job. */
struct cli_job {
	char command[CLI_COMMAND_MAX + 1];
	struct cli_answer answer;
};

struct applier {
	struct pbx_settings s;
	struct ami_pool *pool;
	struct provision_renderer *prov;
	char db_path[512];
	/* One apply at a time: each reads the database and then makes the PBX match what it read, so two
	 * interleaved applies could leave an older state behind a newer "applied" mark. */
	pthread_mutex_t apply_lock;
	pthread_mutex_t files_lock;   /* provisioning files: the start-up check runs beside applies */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* wakes the thread: work queued, or stop */
	pthread_cond_t done_cv;       /* wakes requesters: a job finished (CLOCK_MONOTONIC) */
	struct apply_job *queue_head, *queue_tail;
	bool stop, wake;
	/* The applier thread's own (under apply_lock): what the last verification learnt, and how to tell that
	 * the PBX changed since (CoreStatus start and reload times; the pool's reconnections). */
	struct pbx_snapshot snap;
	char started_seen[48], reloaded_seen[48];   /* CoreStatus's start and last reload, as last seen */
	struct pbx_reloader *reloader; /* phones' reloads, coalesced and off the save's path (reload.h) */
	uint64_t own_done_seen;       /* Centralita's reloads done when a reload time was last taken as seen: more
				       sent since says a new reload time is Centralita's own (reload.h) */
	unsigned long losses_seen;    /* the pool's dropped connections + failed connects: a restart shows there */
	int64_t next_verify;
	int booting_seen;             /* verifications in a row that found Asterisk not fully booted (see below) */
	bool more_due;                /* the last round's batch was full: more phones may be due now */
	struct db *worker_db[APPLY_WORKERS - 1];   /* the connections of the workers beside the thread: a batch's
						    * groups are written APPLY_WORKERS at a time (NULL: fewer) */
};

struct apply_ctx {
	struct applier *a;
	struct db *db;
	const struct phone *p;
	int64_t now;
	struct apply_result *r;
};

/* Records why the apply stopped and what kind of failure it is in c->r; returns -1. */
int apply_fail(struct apply_ctx *c, enum apply_outcome kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Maps a failed AMI exchange onto the outcome kinds, with words for the user; returns -1. */
int apply_fail_ami(struct apply_ctx *c, enum ami_status st, const char *what, const char *detail);
/* Makes sure file exists (CreateConfig; "File exists" is fine). Returns 0, or -1 with the failure recorded. */
int apply_create_file(struct apply_ctx *c, const char *file);
/* Sends the n UpdateConfigs of one file in order (creating the file first when it may not exist yet), then
 * reloads module (reload.h). Returns 0, or -1 with the failure recorded; a file written but not reloaded is
 * written again next time (the caller records its digest only on success). */
int apply_send_updates(struct apply_ctx *c, struct ami_update *ups, size_t n, bool may_be_missing, const char *module,
		       const char *what);
/* The writing part of apply_send_updates, without the reload: the caller asks for it (a phone's, through the
 * reloader). Returns 0, or -1 with the failure recorded. */
int apply_write_updates(struct apply_ctx *c, struct ami_update *ups, size_t n, bool may_be_missing, const char *what);
/* apply_send_updates of a whole file (pbx_file_updates into dst). */
int apply_send_file(struct apply_ctx *c, const struct pbx_file *f, const char *dst, bool may_be_missing,
		    const char *module, const char *what);
/* Adds one line (an AMI action sent) to c->r->ami. */
void apply_note_ami(struct apply_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds the thread's own audit row (apply.h) for a pending change a retry round applied. */
void apply_audit_retry(struct db *db, const char *action, const struct apply_result *r);
/* When to try again a change that failed with kind after attempts earlier failures. */
int64_t apply_retry_at(const struct applier *a, int attempts, enum apply_outcome kind, int64_t now);
/* Verifies everything now (verify.h), under apply_lock. */
enum ami_status apply_verify_locked(struct applier *a, struct db *db, char *msg, size_t len);

/* apply_routes.c: one trunk, the routes dialplan, and the trunks' live state; each under apply_lock. */
void apply_trunk_locked(struct applier *a, struct db *db, int64_t trunk_id, int64_t now, struct apply_result *r);
void apply_dialplan_locked(struct applier *a, struct db *db, int64_t now, struct apply_result *r);
/* Applies the due trunks, then the dialplan if due (under apply_lock each). Returns how many were applied. */
int apply_routes_due(struct applier *a, struct db *db, int64_t now);

#endif
