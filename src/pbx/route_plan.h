/* route_plan: the outbound routes, calling classes and emergency numbers → the dialplan Centralita owns (pure
 * functions, no I/O), the rules a route's fields follow, and the route tester that says what Asterisk will do
 * with a number.
 *
 * The dialplan is one file, centralita/dialplan-routes.conf (loaded by the integrator's "#tryinclude
 * centralita/dialplan-*.conf", README), written whole (pbx_file.h). Contexts, all prefixed "centralita-" so they
 * never meet the integrator's:
 *   [centralita-class-<class>]  one per configured class, whatever the routes: a phone of that class has it as
 *                               its endpoint's context. Its lines: each emergency number, exactly (an extension
 *                               of the context itself beats any include), then "include => <[asterisk] context>"
 *                               (the integrator's phones context: internal numbers and features keep working),
 *                               then "include => centralita-route-<id>" for each route the class may use, in route
 *                               priority order: Asterisk tries a context's includes in order and takes the first
 *                               with a match, so the first route whose pattern matches wins.
 *   [centralita-route-<id>]     per pattern one line: "exten = <pattern>,1,Goto(centralita-route-<id>-out,
 *                               <prepend>${FILTER(0123456789*#+,${EXTEN:<strip>})},1)": a '.' or '!' pattern
 *                               matches letters and punctuation too, FILTER() keeps only what a number holds
 *                               before it becomes an extension and a Dial() argument.
 *   [centralita-route-<id>-out] "exten = _[0-9*#+]!,n,..." (${EXTEN} is the number to send): for each trunk in
 *                               order: the caller ID (the route's, else the trunk's, else the caller's own), a
 *                               simultaneous-call count (GROUP) when the trunk has max_calls, Dial(PJSIP/
 *                               ${EXTEN}@trunk-<name>,<timeout>), and on to the next trunk only if DIALSTATUS
 *                               is CHANUNAVAIL or CONGESTION (not BUSY, NOANSWER, CANCEL); the last line a
 *                               Hangup().
 *   [centralita-emergency]      per emergency number "exten = <n>,1,Goto(centralita-emergency-out,<n>,1)", and
 *   [centralita-emergency-out]  as a route's -out context over every live trunk by name, no caller ID change.
 * Nothing a user types reaches the file but patterns (dialpattern_check), digits and names checked here.
 * Knows db (struct route, struct trunk), pbx and dialpattern. */
#ifndef PBX_ROUTE_PLAN_H
#define PBX_ROUTE_PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/routes.h"
#include "db/trunks.h"
#include "pbx/dialpattern.h"
#include "pbx/pbx.h"
#include "pbx/pbx_file.h"

#define PBX_ROUTES_FILE PBX_DIR "/dialplan-routes.conf"
#define PBX_CLASS_CONTEXT_MAX 64

/* "centralita-class-<class>": the context of phones of that class. */
void pbx_class_context(const char *calling_class, char out[PBX_CLASS_CONTEXT_MAX]);

/* What a route is refused for (a message key of templates/lang, "route.err.<key>"). */
struct pbx_route_problem {
	const char *field;   /* "name", "patterns", "strip", "prepend", "classes", "trunks", "callerid"; NULL = fine */
	const char *key;     /* "required", "too_long", "pattern" (see index), "duplicate", "range", "strip_long",
	                        "number_chars", "choice", "too_many"; for the name also text_problem_key()'s
	                        "bad_utf8", "control_chars", "forbidden_chars" */
	int index;           /* which item (0-based) of the field: the pattern for "pattern" / "duplicate" /
	                        "strip_long", the class or trunk for "choice" / "duplicate"; else -1 */
	int pattern_problem; /* enum dialpattern_problem for "pattern" */
};
/* Checks a route's user fields: name 1..48 characters of text_rule_phone_name's kind; 1..ROUTE_MAX_PATTERNS
 * patterns each dialpattern_check-clean, no two equal to Asterisk (dialpattern_cmp == 0); strip 0..20 and
 * shorter than every pattern's shortest match (a number must be left); prepend "" or digits '*' '#' with an
 * optional leading '+' ("+" alone too), up to 20; classes 1..ROUTE_MAX_CLASSES distinct configured ones;
 * 1..ROUTE_MAX_TRUNKS distinct trunk ids > 0 (their existence is the database's check); callerid as a trunk's
 * (pbx_callerid_number_problem). Returns false with *why set on the first problem, in that order. */
bool pbx_route_check(const struct pbx_settings *s, const struct route *r, struct pbx_route_problem *why);

/* Everything the dialplan is made of. */
struct pbx_plan_input {
	const struct route *routes;    /* in priority order */
	size_t n_routes;
	const struct trunk *trunks;    /* the live trunks (not removed), any order */
	size_t n_trunks;
};

/* The whole dialplan file (above) into f (initialised by the caller). A route naming a trunk not in the input
 * is an error. Returns 0, or -1 with f->err. */
int pbx_route_plan(const struct pbx_settings *s, const struct pbx_plan_input *in, struct pbx_file *f);

/* ---------- the route tester ---------- */

enum pbx_route_verdict {
	PBX_ROUTE_EMERGENCY,     /* an emergency number: every trunk in order, number unchanged */
	PBX_ROUTE_MATCHED,       /* the route below takes it */
	PBX_ROUTE_NOT_ALLOWED,   /* no route the class may use matches; the route below would, for other classes */
	PBX_ROUTE_NO_ROUTE,      /* no route matches at all */
	PBX_ROUTE_BAD_NUMBER,    /* not a number a phone can dial (dialpattern's rule for numbers) */
	PBX_ROUTE_BAD_CLASS,     /* not a configured class */
};

struct pbx_route_attempt {
	int64_t trunk_id;
	char trunk[TRUNK_NAME_MAX];
	char number[DIALPATTERN_MAX_LEN + ROUTE_PREPEND_MAX];   /* what the trunk receives */
	char callerid[ROUTE_CALLERID_MAX];                      /* "" = the caller's own */
};

struct pbx_route_answer {
	enum pbx_route_verdict verdict;
	const struct route *route;           /* MATCHED / NOT_ALLOWED: which (points into the input) */
	char pattern[ROUTE_PATTERN_MAX];     /* the route's pattern Asterisk picks (dialpattern_best) */
	struct pbx_route_attempt attempts[ROUTE_MAX_TRUNKS + 64];   /* in order; EMERGENCY: every trunk */
	size_t n_attempts;
};

/* What Asterisk does when a phone of calling_class dials number, by the dialplan pbx_route_plan() writes:
 * emergency numbers first, then the first route by priority the class may use with a matching pattern. The
 * integrator's own context, included before the routes, is not known here (the page says so). */
void pbx_route_test(const struct pbx_settings *s, const struct pbx_plan_input *in, const char *number,
		    const char *calling_class, struct pbx_route_answer *out);

#endif
