/* ami: client library for the Asterisk Manager Interface (AMI). Knows nothing of HTTP, SQL or templates.
 *
 * Overview (see /work/shared/notes/ami.md for the protocol facts this code honours):
 *   struct ami_options   filled by the daemon's config loader; start from ami_options_defaults().
 *                        TLS is the default; plain TCP only with tls = false. TLS verifies the server against
 *                        cafile (chain + host name + SNI), or a pinned SHA-256 leaf fingerprint, or both.
 *   struct ami_msg       an ordered list of "Key: Value" headers: both what we send (built with ami_msg_add,
 *                        which refuses CR/LF/NUL, bad key characters and over-long lines, naming the field) and
 *                        what we receive (from struct ami_parser, an incremental parser that accepts reads split
 *                        anywhere, bare LF, lists, and both Command output formats: old "Response: Follows" raw
 *                        text is turned into "Output" headers, so callers see one format).
 *   struct ami_pool      N persistent logged-in connections ("Events: off") shared by threads. ami_pool_action()
 *                        borrows one, sends, waits for the answer carrying our ActionID (events are set aside),
 *                        collects EventList lists, returns the connection. Keep-alive Ping on borrow after
 *                        keepalive_s idle, plus ami_pool_keepalive() for a periodic timer. Connect failures back
 *                        off exponentially (capped); during a back-off requests fail fast with AMI_UNREACHABLE.
 *   struct ami_result    status + human message + the response, its list events.
 *       AMI_OK              Response: Success / Follows / Goodbye.
 *       AMI_ERROR           Response: Error; message is Asterisk's Message (or first Output line for Command).
 *       AMI_UNREACHABLE     nothing was written (connect, TLS, banner or login failed), or Asterisk answered
 *                           that it is shutting down (it ran nothing): safe to retry later.
 *       AMI_UNKNOWN_OUTCOME the request was written but its answer was lost (EOF, timeout, protocol error): it
 *                           may or may not have taken effect. The connection is replaced; the request is NEVER
 *                           replayed by this library.
 *       AMI_INVALID         refused locally before sending (bad field, too many lines, bad category name...).
 *   struct ami_update    UpdateConfig builder: numbered Action-000000... actions; Reload omitted unless asked.
 *                        ami_pool_update_config() serialises changes per file across the pool and creates a
 *                        missing file with CreateConfig (safe: a refused UpdateConfig writes nothing).
 *   struct ami_config    GetConfig answer parsed into ordered categories; ami_config_diff() turns a wanted state
 *                        of "owned" categories into the UpdateConfig actions that reach it (idempotent).
 *   struct ami_events    a separate login with "Events: <classes>" in its own thread, delivering events in order
 *                        to registered callbacks, reconnecting with back-off and reporting state changes.
 *
 * Threading: everything reachable from a pool or an event watcher is thread-safe; ami_msg / ami_update /
 * ami_config values are plain data owned by one thread at a time. No global mutable state. */
#ifndef AMI_AMI_H
#define AMI_AMI_H

#include <stdbool.h>
#include <stddef.h>

/* Protocol limits Asterisk enforces on what it receives (main/manager.c). */
#define AMI_MAX_LINE_BYTES 1024   /* one line, including its CRLF */
#define AMI_MAX_LINES 128         /* header lines in one message, ActionID included */
#define AMI_MAX_CATEGORY_LEN 79   /* struct ast_category holds name[80] */

/* ---------- options ---------- */

enum ami_auth { AMI_AUTH_PLAIN, AMI_AUTH_MD5 };

struct ami_options {
	char host[256];
	int port;
	bool tls;                 /* false = plain TCP: must be asked for explicitly */
	char cafile[4096];        /* PEM CA bundle: verify chain + host name; "" = system store unless pinned */
	char fingerprint[128];    /* SHA-256 of the leaf certificate (DER), hex, colons optional; "" = no pin */
	char username[128];
	char secret[256];
	enum ami_auth auth;
	int pool_size;            /* persistent connections in a pool */
	int connect_timeout_ms;   /* TCP connect + TLS handshake */
	int io_timeout_ms;        /* longest a request may take, from writing it to its whole answer (login: the
	                           * banner and the whole login); a PBX trickling bytes cannot stretch it */
	int keepalive_s;          /* Ping a pooled connection idle longer than this before use; 0 = never */
	int backoff_initial_ms;   /* first reconnect delay after a failed connect; doubles per failure */
	int backoff_max_ms;       /* cap of that delay */
};

/* Fills o with safe defaults: 127.0.0.1:5039 over TLS (system CA store), MD5 login, pool of 4, 3 s connect,
 * 10 s I/O, keep-alive after 60 s, back-off 250 ms doubling to 30 s. */
void ami_options_defaults(struct ami_options *o);

/* Checks an options struct for usable values. Returns 0, or -1 with a message in err. */
int ami_options_check(const struct ami_options *o, char *err, size_t errlen);

/* ---------- messages ---------- */

struct ami_header {
	char *key;
	char *value;
};

/* An ordered list of headers. Building stops at the first refused header: that error is kept in err (sticky),
 * later adds are ignored, and sending the message fails with it. */
struct ami_msg {
	struct ami_header *hdr;
	size_t n, cap;
	char err[200];            /* "" while every add succeeded */
};

void ami_msg_init(struct ami_msg *m);
void ami_msg_free(struct ami_msg *m);            /* frees contents; m may be re-initialised */
struct ami_msg *ami_msg_new(void);
void ami_msg_destroy(struct ami_msg *m);         /* free + free(m); NULL is fine */

/* Appends "key: value" after validating both (see ami_msg_check_header). Returns 0, or -1 with m->err set. */
int ami_msg_add(struct ami_msg *m, const char *key, const char *value);
/* Same with an explicit value length, so an embedded NUL is detected instead of silently truncating. */
int ami_msg_add_len(struct ami_msg *m, const char *key, const char *value, size_t value_len);

/* Validates one header: key non-empty and only [A-Za-z0-9_-]; value free of CR, LF and NUL; the line
 * "key: value\r\n" at most AMI_MAX_LINE_BYTES. Returns 0, or -1 with a message naming the key (never quoting
 * the value, which may be a secret). */
int ami_msg_check_header(const char *key, const char *value, size_t value_len, char *err, size_t errlen);

/* Value of the first header named key (case-insensitive), or NULL. */
const char *ami_msg_get(const struct ami_msg *m, const char *key);
/* Number of headers named key (case-insensitive), e.g. "Output" lines of a Command answer. */
size_t ami_msg_count(const struct ami_msg *m, const char *key);
/* Deep copy. */
struct ami_msg *ami_msg_dup(const struct ami_msg *m);

/* Serialises m (re-validating every header: defence in depth) plus "ActionID: action_id" when action_id is not
 * NULL, into out (appended), ending with the empty line. Refuses a message that holds its own ActionID, more
 * than AMI_MAX_LINES lines, or any bad header. Returns 0, or -1 with a message naming the field. */
struct buf;
int ami_msg_serialize(const struct ami_msg *m, const char *action_id, struct buf *out, char *err, size_t errlen);

/* Category names Asterisk writes raw as "[name]": non-empty, at most AMI_MAX_CATEGORY_LEN bytes, printable
 * ASCII without space and without any of [ ] ; ( ) ! + = " \ , #. Returns 0, or -1 with a message. */
int ami_category_name_check(const char *name, char *err, size_t errlen);
/* Config file names, relative to Asterisk's config directory: parts of [A-Za-z0-9._-] separated by '/', none
 * empty or starting with '.' (so no "..": no traversal, no absolute path), at most 128 bytes. */
int ami_filename_check(const char *name, char *err, size_t errlen);
/* Config variable names: [A-Za-z0-9_.-], non-empty, at most 79 bytes. */
int ami_varname_check(const char *name, char *err, size_t errlen);

/* ---------- incremental parser ---------- */

/* What a broken or hostile PBX can make the client hold, in "cost": bytes received plus AMI_HEADER_COST per
 * header for the memory each one takes (a 12.6 MB message of tiny headers once took 321 MiB). Exceeding a
 * bound is a protocol error: the answer counts as lost (AMI_UNKNOWN_OUTCOME) and the connection is dropped. */
#define AMI_PARSER_MAX_LINE (64 * 1024)             /* longer incoming lines are a protocol error */
#define AMI_HEADER_COST 64                          /* ~ allocation overhead of one header (key, value, slot) */
#define AMI_PARSER_MAX_MSG_COST (8 * 1024 * 1024)   /* one message (a GetConfig of ~50,000 lines fits) */
#define AMI_MAX_ANSWER_COST (32 * 1024 * 1024)      /* one answer: its response plus every list event */
#define AMI_MAX_LIST_EVENTS 100000                  /* list events collected for one answer */

struct ami_parser_item;
struct ami_parser {
	bool want_banner;          /* the first line is the banner, not a header */
	char *banner;              /* set once the banner line arrived (caller may read, parser frees) */
	char *line;                /* partial line */
	size_t line_len, line_cap;
	struct ami_msg *cur;       /* message being assembled */
	size_t cur_bytes;
	int follows;               /* 0 normal; 1 inside "Response: Follows" headers; 2 inside its raw output */
	struct ami_parser_item *head, *tail;   /* completed messages, oldest first */
	char err[160];             /* "" or the protocol error that stopped the parser */
};

void ami_parser_init(struct ami_parser *p, bool want_banner);
void ami_parser_free(struct ami_parser *p);
/* Feeds received bytes. Returns 0, or -1 on a protocol error (message in p->err; the parser stays failed). */
int ami_parser_feed(struct ami_parser *p, const char *data, size_t len);
/* Takes the oldest complete message (caller owns it, ami_msg_destroy), or NULL. */
struct ami_msg *ami_parser_next(struct ami_parser *p);

/* ---------- results ---------- */

enum ami_status {
	AMI_OK = 0,
	AMI_ERROR,
	AMI_UNREACHABLE,
	AMI_UNKNOWN_OUTCOME,
	AMI_INVALID,
};

/* What an Asterisk refusal (AMI_ERROR) means. Asterisk answers with fixed words only (manager.c, config.c,
 * loader.c, pbx.c, res_pjsip); they are recognised here, once, so that callers decide from a kind, never from
 * the text. */
enum ami_refusal {
	AMI_REFUSAL_OTHER = 0,
	AMI_REFUSAL_FILE_NOT_FOUND,     /* GetConfig/UpdateConfig: "Config file not found" */
	AMI_REFUSAL_FILE_INVALID,       /* "Config file has invalid format": Asterisk cannot parse it */
	AMI_REFUSAL_FILE_PRIVILEGES,    /* "File requires escalated privileges": outside the config dir, or missing */
	AMI_REFUSAL_FILE_EXISTS,        /* CreateConfig: "File exists" */
	AMI_REFUSAL_NO_DIRECTORY,       /* CreateConfig: "No such file or directory" (its folder is missing) */
	AMI_REFUSAL_RELOAD_IN_PROGRESS, /* Reload: "A reload is in progress" (another reload runs; nothing done) */
	AMI_REFUSAL_SHUTTING_DOWN,      /* any action, once Asterisk began to stop: "Asterisk is shutting down" (it
	                                   ran nothing; the session ends a moment later). Reported as
	                                   AMI_UNREACHABLE, the connection dropped (observed on 22.10.1) */
	AMI_REFUSAL_EMPTY_LIST,         /* a list with nothing in it: "No Contacts found", "No endpoints found",
	                                   "No AORs found", "No Auths found", "Did not find context X" */
};

struct ami_result {
	enum ami_status status;
	enum ami_refusal refusal;  /* with AMI_ERROR: what Asterisk's refusal means */
	char message[512];         /* human-readable: Asterisk's Message, or what went wrong locally */
	struct ami_msg *response;  /* the Response message (AMI_OK / AMI_ERROR), else NULL */
	struct ami_msg **events;   /* EventList items in order (the closing ...Complete event excluded) */
	size_t n_events;
	struct ami_msg *complete;  /* the ...Complete event of a list, else NULL */
};

void ami_result_init(struct ami_result *r);
void ami_result_free(struct ami_result *r);     /* frees contents and re-initialises */
const char *ami_status_name(enum ami_status s); /* "ok", "error", "unreachable", "unknown-outcome", "invalid" */
/* The kind of an Asterisk refusal message (AMI_REFUSAL_OTHER if it is none of the known ones). */
enum ami_refusal ami_refusal_of(const char *message);

/* ---------- pool ---------- */

struct ami_pool;

/* Creates a pool (no connection is made yet: they open on first use). Returns NULL with err on bad options or a
 * TLS setup failure (e.g. unreadable cafile). */
struct ami_pool *ami_pool_create(const struct ami_options *o, char *err, size_t errlen);
/* Closes every connection. No request may be running. NULL is fine. */
void ami_pool_destroy(struct ami_pool *p);

/* Sends one action and waits for its answer. r must be initialised (ami_result_init) and is overwritten.
 * Returns r->status. Never replays: see AMI_UNKNOWN_OUTCOME. Thread-safe. */
enum ami_status ami_pool_action(struct ami_pool *p, const struct ami_msg *action, struct ami_result *r);

/* Pings every idle connection unused for keepalive_s or longer; drops the dead ones (they reopen on demand).
 * Meant for a periodic timer in the daemon; thread-safe. */
void ami_pool_keepalive(struct ami_pool *p);

/* Whether Asterisk has fully booted. While it boots, AMI already answers, but its modules load one by one (res_pjsip
 * lists endpoints while pbx_config has no dialplan yet) and a Reload is only queued, answered "Module Reloaded"
 * all the same (observed on 22.10.1): what it lists then says nothing of what it will run with. Logs in on a
 * connection of its own with "Events: system" and looks for the FullyBooted event Asterisk sends at login once
 * booted. A manager user without "read = system" never gets it: *booted stays false. Returns AMI_OK with
 * *booted, or the failure with msg. Thread-safe. */
enum ami_status ami_pool_fully_booted(struct ami_pool *p, bool *booted, char *msg, size_t len);

/* What the pool's requests found of the PBX lately, from the kind of their outcome (never their words). */
enum ami_health {
	AMI_HEALTH_UNKNOWN = 0,      /* no request yet */
	AMI_HEALTH_ANSWERING,        /* the last request got Asterisk's answer (Success or Error) */
	AMI_HEALTH_NOT_ANSWERING,    /* connected, or connecting, but no answer in time (a frozen or overloaded PBX) */
	AMI_HEALTH_UNREACHABLE,      /* no connection could be made (down, refused, TLS or login failure) */
};
const char *ami_health_name(enum ami_health h);   /* "unknown", "answering", "not_answering", "unreachable" */

/* Counters and state for tests and status pages. */
struct ami_pool_stats {
	unsigned long connects;      /* successful logins */
	unsigned long connect_failures;
	unsigned long dropped;       /* connections dropped after a failure */
	unsigned long pings;
	int size, open, busy;        /* connections: the pool's most, open now, lent to a request now */
	enum ami_health health;
	long long health_since;      /* Unix seconds since health has been what it is (0: no request yet) */
	long long last_answer;       /* Unix seconds of Asterisk's last answer (0: none yet) */
	char last_problem[512];      /* the words of the last request that got no answer ("" none yet) */
};
void ami_pool_stats(struct ami_pool *p, struct ami_pool_stats *out);

/* ---------- UpdateConfig ---------- */

/* As Asterisk 22 runs them: Update changes the FIRST variable of that name (case-insensitive) and fails if there
 * is none; Delete by Var removes every match. Insert with a Line past a category's variables crashes Asterisk
 * 22.10.1 (observed): the diff never emits it. */
enum ami_uc_action {
	AMI_UC_NEWCAT, AMI_UC_RENAMECAT, AMI_UC_DELCAT, AMI_UC_EMPTYCAT,
	AMI_UC_UPDATE, AMI_UC_DELETE, AMI_UC_APPEND, AMI_UC_INSERT,
};

/* One numbered action. Strings may be NULL (header left out); line < 0 means no Line header. filter is a
 * "var=value" category filter sent as Options catfilter="var=value" (joined after options by a comma). */
struct ami_uc_op {
	enum ami_uc_action action;
	char *cat, *var, *value, *match, *options, *filter;
	long line;
};

struct ami_update {
	char *src, *dst;           /* config file names (checked by ami_filename_check) */
	char *reload;              /* NULL: no Reload header (see issue #551); "yes" or a module name */
	struct ami_uc_op *ops;
	size_t n, cap;
	char err[200];             /* sticky first error, like struct ami_msg */
};

/* Starts an update of one file (src = dst = filename). */
void ami_update_init(struct ami_update *u, const char *filename);
/* Makes Asterisk load src and save the result into the update's file: with an empty src the file is written
 * whole from the actions alone, whatever it holds now (even a file a crash left unreadable). */
void ami_update_set_source(struct ami_update *u, const char *src);
void ami_update_free(struct ami_update *u);
void ami_update_set_reload(struct ami_update *u, const char *reload);   /* NULL clears */
/* Adds one action after checking it (category name, variable name, required fields per action, no CR/LF).
 * Returns 0, or -1 with u->err set (sticky). */
int ami_update_add(struct ami_update *u, enum ami_uc_action action, const char *cat, const char *var,
                   const char *value, const char *match, long line, const char *options, const char *filter);
/* Builds the UpdateConfig message (without ActionID). Refuses, naming the reason, anything that does not fit
 * one request: more than AMI_MAX_LINES lines counting Action/ActionID/Src/Dst/Reload, or a line too long. Never
 * splits: a split change would not be all-or-nothing. Returns 0 or -1 with err. */
int ami_update_build(const struct ami_update *u, struct ami_msg *out, char *err, size_t errlen);
/* The header lines u's message takes (ActionID included), and those one action adds: what AMI_MAX_LINES
 * bounds, without building it. */
size_t ami_update_lines(const struct ami_update *u);
size_t ami_uc_op_lines(const struct ami_uc_op *op);
const char *ami_uc_action_name(enum ami_uc_action a);

/* Sends u through the pool while holding the pool's lock for u->dst (changes to one file never interleave).
 * If Asterisk answers "File requires escalated privileges" (a file missing) and create_missing is true, sends
 * CreateConfig for the destination (and a separate source) and retries once (safe: the refused UpdateConfig
 * wrote nothing). An update without actions of a file into itself is AMI_OK without a request. */
enum ami_status ami_pool_update_config(struct ami_pool *p, const struct ami_update *u, bool create_missing,
                                       struct ami_result *r);

/* ---------- GetConfig and diff ---------- */

struct ami_cfg_line {
	char *name;
	char *value;
};

struct ami_cfg_cat {
	char *name;
	bool is_template;
	char **templates;          /* names this category inherits from */
	size_t n_templates;
	struct ami_cfg_line *lines; /* in file order (GetConfig includes inherited lines) */
	size_t n_lines;
};

struct ami_config {
	struct ami_cfg_cat *cats;
	size_t n_cats;
};

/* Parses a successful GetConfig answer (Category-N / IsTemplate-N / Templates-N / Line-N-M: var=value;
 * "No categories found" gives an empty config). Returns 0, or -1 with err on a malformed answer. */
int ami_config_parse(const struct ami_msg *resp, struct ami_config *out, char *err, size_t errlen);
void ami_config_free(struct ami_config *c);
/* Value of the last line named var (case-insensitive, as Asterisk does), or NULL. */
const char *ami_cfg_cat_get(const struct ami_cfg_cat *c, const char *var);

/* A category as the caller wants it. type (may be NULL) tells same-named categories apart: the wanted one is
 * the current category of that name whose "type" variable equals it (pjsip [201] endpoint vs [201] aor); the
 * wanted lines must then contain that type line. */
struct ami_cfg_want {
	const char *name;
	const char *type;
	const struct ami_cfg_line *lines;
	size_t n_lines;
};

/* Appends to u the actions that turn cur's categories named in owned[] into exactly want[] (every wanted name
 * must be owned; owned categories not wanted are deleted; other categories are never touched). Per name:
 *  - missing categories are created (NewCat + Append lines); a same-named duplicate is created under a unique
 *    temporary name, filled and then renamed (RenameCat) in the same request, because a fresh empty duplicate
 *    cannot be targeted by catfilter;
 *  - a changed category gets the cheapest edit whose result is exactly the wanted ordered lines: Appends of
 *    new trailing lines, Update of single-occurrence values, Delete+Append of whole variables (multi-valued
 *    "allow" lists), else EmptyCat + Appends (or, for a same-named duplicate, whose catfilter would stop matching
 *    once emptied: DelCat + re-create);
 *  - edits and deletions of same-named categories carry catfilter="type=<type>".
 * Applying the result and diffing again yields no actions. Returns 0 or -1 with err (ambiguous or invalid
 * input). */
int ami_config_diff(const struct ami_config *cur, const char *const *owned, size_t n_owned,
                    const struct ami_cfg_want *want, size_t n_want, struct ami_update *u,
                    char *err, size_t errlen);

/* ---------- event watcher ---------- */

enum ami_events_state {
	AMI_EVENTS_CONNECTED,      /* first successful login */
	AMI_EVENTS_DISCONNECTED,   /* connection lost or login failed; message says why; retrying with back-off */
	AMI_EVENTS_RECONNECTED,    /* logged in again: events in between were missed, resynchronise */
};

typedef void (*ami_event_fn)(const struct ami_msg *event, void *userdata);
typedef void (*ami_state_fn)(enum ami_events_state state, const char *message, void *userdata);

struct ami_events;

/* Creates a watcher that will log in with "Events: <classes>" (e.g. "call,cdr,system" or "on"). */
struct ami_events *ami_events_new(const struct ami_options *o, const char *classes, char *err, size_t errlen);
/* Registers a callback for events named event_name (case-insensitive), or every event when NULL. Only before
 * ami_events_start. Callbacks run on the watcher's thread, one at a time, in arrival order. Returns 0 or -1. */
int ami_events_on(struct ami_events *e, const char *event_name, ami_event_fn fn, void *userdata);
int ami_events_on_state(struct ami_events *e, ami_state_fn fn, void *userdata);
/* Starts the thread. Returns 0, or -1 if it could not be created. */
int ami_events_start(struct ami_events *e);
/* Stops the thread (if started), waits for it, frees everything. NULL is fine. */
void ami_events_destroy(struct ami_events *e);

#endif
