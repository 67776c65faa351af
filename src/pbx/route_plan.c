/* route_plan: outbound routes, calling classes and emergency numbers → the dialplan Centralita owns, the rules
 * a route's fields follow, and the route tester (route_plan.h). Pure functions, no I/O.
 *
 * The dialplan written here was checked against Asterisk 22.10.1's source:
 *   - pbx/pbx_config.c reads "exten = <ext>,<pri>(<label>),<App>(<data>)": the extension ends at the first ','
 *     (pbx_strsep, which skips commas inside [...]), the priority at the next, a label is what stands in
 *     "(...)" after it, "n" is the previous priority + 1 (never allowed first), the data runs to the LAST ')'.
 *     A '/' in the extension would start a caller ID match and ${...} in it is substituted: nothing of the
 *     kind is written (patterns are dialpattern_check-clean, the rest is ours).
 *   - GotoIf(cond?label) jumps to a priority label of the same extension (main/pbx_builtins.c); labels here
 *     are letters and digits only (pbx_parseable_goto() reads a leading '+' or '-' as a relative jump).
 *   - FILTER(allowed,string) keeps the characters of allowed (funcs/func_strings.c; '-' would make a range,
 *     none is used); README-SERIOUSLY.bestpractices.md ("Filtering Data") is why: a '.' or '!' pattern also
 *     matches "500&PJSIP/evil", which must never reach Dial().
 *   - Dial(PJSIP/<user>@<endpoint>,<timeout>) sends to <user> at the endpoint's aor contact
 *     (channels/chan_pjsip.c); DIALSTATUS is CHANUNAVAIL for an unreachable peer and CONGESTION for no or a
 *     slow response (apps/app_dial.c): the only two statuses on which another trunk is tried.
 *   - Set(GROUP(<category>)=<group>) puts the channel in one group of that category, replacing the one it
 *     had, and an empty group takes it out (ast_app_group_set_channel(), main/app.c); GROUP_COUNT(<group>@
 *     <category>) counts the channels in it (funcs/func_groupcount.c).
 *   - Set(CALLERID(num)=...) changes the number a call presents (funcs/func_callerid.c).
 * "exten = ..." rather than "exten => ...": the same to Asterisk, and what GetConfig reads back unchanged
 * (../shared/notes/ami.md). */
#include "pbx/route_plan.h"

#include "pbx/trunk_config.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT_PREFIX "centralita-"
#define CLASS_CONTEXT CONTEXT_PREFIX "class-"
#define ROUTE_CONTEXT CONTEXT_PREFIX "route-"
#define EMERGENCY_CONTEXT CONTEXT_PREFIX "emergency"
#define CONTEXT_MAX 64
#define LABEL_MAX 32

#define ROUTE_NAME_CHARS 48
#define STRIP_MAX 20
#define PREPEND_LEN (ROUTE_PREPEND_MAX - 1)

/* What a number keeps of ${EXTEN} (FILTER's allowed characters), and the extension of every -out context:
 * whatever FILTER() left, starting with one of them. */
#define NUMBER_CHARS "0123456789*#+"
#define OUT_EXTEN "_[0-9*#+]!"
/* The GROUP() category of the calls through trunks with a limit, one group per trunk ("trunk-<name>"). */
#define GROUP_CATEGORY "centralita-trunk"
/* Where the caller's own number is kept while a trunk presents another. */
#define CALLER_VAR "CENTRALITA_CALLER"

void pbx_class_context(const char *calling_class, char out[PBX_CLASS_CONTEXT_MAX])
{
	snprintf(out, PBX_CLASS_CONTEXT_MAX, CLASS_CONTEXT "%s", calling_class);
}

static void route_context(const struct route *r, char out[CONTEXT_MAX])
{
	snprintf(out, CONTEXT_MAX, ROUTE_CONTEXT "%lld", (long long)r->id);
}

static void route_out_context(const struct route *r, char out[CONTEXT_MAX])
{
	snprintf(out, CONTEXT_MAX, ROUTE_CONTEXT "%lld-out", (long long)r->id);
}

/* ---------- the rules of a route ---------- */

static bool refuse(struct pbx_route_problem *why, const char *field, const char *key, int index)
{
	why->field = field;
	why->key = key;
	why->index = index;
	return false;
}

/* The phone name's rule (the same characters: the name is shown beside phones' names), 48 characters. */
static bool check_name(const struct route *r, struct pbx_route_problem *why)
{
	struct text_rule rule = text_rule_phone_name;
	rule.max_chars = ROUTE_NAME_CHARS;
	rule.max_bytes = ROUTE_NAME_MAX - 1;
	size_t len = strnlen(r->name, sizeof r->name);
	enum text_problem p = len == sizeof r->name ? TEXT_TOO_MANY_BYTES : text_check(&rule, r->name, len, NULL);
	switch (p) {
	case TEXT_OK:
		return true;
	case TEXT_TOO_SHORT:
		return refuse(why, "name", "required", -1);
	case TEXT_TOO_LONG:
	case TEXT_TOO_MANY_BYTES:
		return refuse(why, "name", "too_long", -1);
	default:
		return refuse(why, "name", text_problem_key(p), -1);
	}
}

static int pattern_count(const struct route *r)
{
	return r->n_patterns < 0 ? 0 : r->n_patterns > ROUTE_MAX_PATTERNS ? ROUTE_MAX_PATTERNS : r->n_patterns;
}

static bool check_patterns(const struct route *r, struct pbx_route_problem *why)
{
	if (r->n_patterns < 1)
		return refuse(why, "patterns", "required", -1);
	if (r->n_patterns > ROUTE_MAX_PATTERNS)
		return refuse(why, "patterns", "too_many", -1);
	for (int i = 0; i < r->n_patterns; i++) {
		enum dialpattern_problem p = strnlen(r->patterns[i], ROUTE_PATTERN_MAX) == ROUTE_PATTERN_MAX
						     ? DIALPATTERN_TOO_LONG
						     : dialpattern_check(r->patterns[i], NULL, 0);
		if (p != DIALPATTERN_OK) {
			why->pattern_problem = p;
			return refuse(why, "patterns", "pattern", i);
		}
		/* Asterisk takes equal patterns ("_N" and "_[2-9]") for one extension and refuses the second line
		 * as a duplicate priority. */
		for (int j = 0; j < i; j++)
			if (dialpattern_cmp(r->patterns[j], r->patterns[i]) == 0)
				return refuse(why, "patterns", "duplicate", i);
	}
	return true;
}

/* The fewest characters a checked pattern matches: one per position ([...] is one), one for '.', none for
 * '!'. A literal matches only itself. */
static size_t shortest_match(const char *pattern)
{
	if (pattern[0] != '_')
		return strlen(pattern);
	size_t n = 0;
	for (const char *c = pattern + 1; *c; c++) {
		if (*c == '[')
			c = strchr(c, ']');   /* checked: there is one */
		if (*c != '!')
			n++;
	}
	return n;
}

/* A number must be left after the strip, whatever pattern matched (Dial() with no number fails oddly). */
static bool check_strip(const struct route *r, struct pbx_route_problem *why)
{
	if (r->strip < 0 || r->strip > STRIP_MAX)
		return refuse(why, "strip", "range", -1);
	for (int i = 0; i < r->n_patterns; i++)
		if ((size_t)r->strip >= shortest_match(r->patterns[i]))
			return refuse(why, "strip", "strip_long", i);
	return true;
}

/* "" or digits, '*', '#', with an optional leading '+' ("+" alone too: strip "00", prepend "+"). */
static bool check_prepend(const struct route *r, struct pbx_route_problem *why)
{
	size_t n = strnlen(r->prepend, sizeof r->prepend);
	if (n > PREPEND_LEN)
		return refuse(why, "prepend", "too_long", -1);
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789*#", r->prepend[i]) && !(r->prepend[i] == '+' && i == 0))
			return refuse(why, "prepend", "number_chars", -1);
	return true;
}

static bool check_classes(const struct pbx_settings *s, const struct route *r, struct pbx_route_problem *why)
{
	if (r->n_classes < 1)
		return refuse(why, "classes", "required", -1);
	if (r->n_classes > ROUTE_MAX_CLASSES)
		return refuse(why, "classes", "too_many", -1);
	for (int i = 0; i < r->n_classes; i++) {
		if (strnlen(r->classes[i], ROUTE_CLASS_MAX) == ROUTE_CLASS_MAX || !pbx_class_known(s, r->classes[i]))
			return refuse(why, "classes", "choice", i);
		for (int j = 0; j < i; j++)
			if (strcmp(r->classes[j], r->classes[i]) == 0)
				return refuse(why, "classes", "duplicate", i);
	}
	return true;
}

static bool check_trunks(const struct route *r, struct pbx_route_problem *why)
{
	if (r->n_trunks < 1)
		return refuse(why, "trunks", "required", -1);
	if (r->n_trunks > ROUTE_MAX_TRUNKS)
		return refuse(why, "trunks", "too_many", -1);
	for (int i = 0; i < r->n_trunks; i++) {
		if (r->trunks[i] <= 0)
			return refuse(why, "trunks", "choice", i);
		for (int j = 0; j < i; j++)
			if (r->trunks[j] == r->trunks[i])
				return refuse(why, "trunks", "duplicate", i);
	}
	return true;
}

bool pbx_route_check(const struct pbx_settings *s, const struct route *r, struct pbx_route_problem *why)
{
	why->field = why->key = NULL;
	why->index = -1;
	why->pattern_problem = DIALPATTERN_OK;
	if (!check_name(r, why) || !check_patterns(r, why) || !check_strip(r, why) || !check_prepend(r, why) ||
	    !check_classes(s, r, why) || !check_trunks(r, why))
		return false;
	const char *key = pbx_callerid_number_problem(r->callerid, sizeof r->callerid);
	return key ? refuse(why, "callerid", key, -1) : true;
}

/* ---------- what the dialplan is made of ---------- */

static const struct trunk *find_trunk(const struct pbx_plan_input *in, int64_t id)
{
	for (size_t i = 0; i < in->n_trunks; i++)
		if (in->trunks[i].id == id)
			return &in->trunks[i];
	return NULL;
}

static bool route_allows(const struct route *r, const char *calling_class)
{
	for (int i = 0; i < r->n_classes && i < ROUTE_MAX_CLASSES; i++)
		if (strcmp(r->classes[i], calling_class) == 0)
			return true;
	return false;
}

static int by_name(const void *a, const void *b)
{
	const struct trunk *x = *(const struct trunk *const *)a, *y = *(const struct trunk *const *)b;
	int cmp = strcmp(x->name, y->name);
	return cmp ? cmp : (x->id > y->id) - (x->id < y->id);
}

/* Every live trunk by name: the emergency numbers' failover order. The array is the caller's to free. */
static const struct trunk **trunks_by_name(const struct pbx_plan_input *in)
{
	const struct trunk **sorted = malloc((in->n_trunks ? in->n_trunks : 1) * sizeof *sorted);
	if (!sorted)
		abort();
	for (size_t i = 0; i < in->n_trunks; i++)
		sorted[i] = &in->trunks[i];
	qsort(sorted, in->n_trunks, sizeof *sorted, by_name);
	return sorted;
}

/* Everything that reaches the file is checked again here, whatever the forms did. */
static int check_input(const struct pbx_settings *s, const struct pbx_plan_input *in, struct pbx_file *f)
{
	for (int i = 0; i < s->n_emergency; i++)
		if (dialpattern_check_number(s->emergency[i], NULL, 0) != DIALPATTERN_OK) {
			snprintf(f->err, sizeof f->err, "emergency number %d is not a number", i + 1);
			return -1;
		}
	for (size_t i = 0; i < in->n_trunks; i++) {
		struct pbx_trunk_problem tp;
		if (!pbx_trunk_check_dialplan(&in->trunks[i], &tp)) {
			snprintf(f->err, sizeof f->err, "trunk %lld: %s: %s", (long long)in->trunks[i].id, tp.field, tp.key);
			return -1;
		}
	}
	for (size_t i = 0; i < in->n_routes; i++) {
		const struct route *r = &in->routes[i];
		struct pbx_route_problem rp;
		if (!pbx_route_check(s, r, &rp)) {
			snprintf(f->err, sizeof f->err, "route %lld: %s: %s", (long long)r->id, rp.field, rp.key);
			return -1;
		}
		for (int k = 0; k < r->n_trunks; k++)
			if (!find_trunk(in, r->trunks[k])) {
				snprintf(f->err, sizeof f->err, "route %lld: trunk %lld is not a live trunk", (long long)r->id,
					 (long long)r->trunks[k]);
				return -1;
			}
	}
	return 0;
}

/* ---------- writing the dialplan ---------- */

/* [centralita-class-<class>]: emergency numbers (the context's own extensions, which Asterisk tries before
 * any include), then the integrator's phones context, then the routes the class may use in priority order:
 * Asterisk tries includes in the order written and takes the first with a match. */
static void write_class_context(const struct pbx_settings *s, const struct pbx_plan_input *in,
				const char *calling_class, struct pbx_file *f)
{
	char name[PBX_CLASS_CONTEXT_MAX], ctx[CONTEXT_MAX];
	pbx_class_context(calling_class, name);
	pbx_file_section(f, name, NULL);
	for (int i = 0; i < s->n_emergency; i++)
		pbx_file_linef(f, "exten", "%s,1,Goto(" EMERGENCY_CONTEXT "-out,%s,1)", s->emergency[i], s->emergency[i]);
	pbx_file_line(f, "include", s->context);
	for (size_t i = 0; i < in->n_routes; i++)
		if (route_allows(&in->routes[i], calling_class)) {
			route_context(&in->routes[i], ctx);
			pbx_file_line(f, "include", ctx);
		}
}

/* [centralita-route-<id>]: each pattern sends what is left of the number after the strip, FILTER()ed to the
 * characters of a number, with the prepend before it, to the route's -out context. */
static void write_route_context(const struct route *r, struct pbx_file *f)
{
	char name[CONTEXT_MAX], out[CONTEXT_MAX], exten[24];
	route_context(r, name);
	route_out_context(r, out);
	if (r->strip > 0)
		snprintf(exten, sizeof exten, "${EXTEN:%d}", r->strip);
	else
		snprintf(exten, sizeof exten, "${EXTEN}");
	pbx_file_section(f, name, NULL);
	for (int i = 0; i < r->n_patterns; i++)
		pbx_file_linef(f, "exten", "%s,1,Goto(%s,%s${FILTER(" NUMBER_CHARS ",%s)},1)", r->patterns[i], out,
			       r->prepend, exten);
}

/* The trunks an -out context tries, in order, and how. */
struct out_plan {
	const struct trunk *const *trunks;
	size_t n;
	const char *route_callerid;   /* "" = each trunk's, else the caller's own */
	bool emergency;               /* no caller ID change, and a trunk's limit does not hold the call back */
	int timeout;
};

/* Writes the priorities of the -out extension one by one: the first is 1, the others "n". */
struct out_writer {
	struct pbx_file *f;
	int steps;
	char label[LABEL_MAX];   /* put on the next priority (a GotoIf jumps there), "" = none */
	bool grouped;     /* the channel is in a trunk's GROUP() */
	bool cid_changed; /* CALLERID(num) is not the caller's own */
};

static void step(struct out_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(struct out_writer *w, const char *fmt, ...)
{
	char app[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(app, sizeof app, fmt, ap);
	va_end(ap);
	if (*w->f->err)
		return;
	if (n < 0 || (size_t)n >= sizeof app) {
		snprintf(w->f->err, sizeof w->f->err, "a dialplan line is too long");
		return;
	}
	const char *priority = w->steps++ ? "n" : "1";
	if (*w->label)
		pbx_file_linef(w->f, "exten", OUT_EXTEN ",%s(%s),%s", priority, w->label, app);
	else
		pbx_file_linef(w->f, "exten", OUT_EXTEN ",%s,%s", priority, app);
	*w->label = '\0';
}

/* The label of trunk i's first priority ("trunk2" ...), or of the final Hangup() after the last trunk. */
static void trunk_label(const struct out_plan *p, size_t i, char out[LABEL_MAX])
{
	if (i < p->n)
		snprintf(out, LABEL_MAX, "trunk%zu", i + 1);
	else
		snprintf(out, LABEL_MAX, "end");
}

/* Whether a trunk without a caller ID follows one with: the caller's own number must be put back. */
static bool restores_caller(const struct out_plan *p)
{
	bool changed = false;
	for (size_t i = 0; i < p->n; i++) {
		if (*p->trunks[i]->callerid)
			changed = true;
		else if (changed)
			return true;
	}
	return false;
}

/* Caller ID precedence: the route's (set once before the first trunk), else the trunk's, else the caller's. */
static void present_callerid(struct out_writer *w, const struct out_plan *p, const struct trunk *t)
{
	if (p->emergency || *p->route_callerid)
		return;
	if (*t->callerid) {
		step(w, "Set(CALLERID(num)=%s)", t->callerid);
		w->cid_changed = true;
	} else if (w->cid_changed) {
		step(w, "Set(CALLERID(num)=${" CALLER_VAR "})");
		w->cid_changed = false;
	}
}

/* A trunk's limit of simultaneous calls: the caller's channel joins the trunk's group and, with more
 * channels in it than allowed, goes on to the next trunk (Asterisk's own GROUP/GROUP_COUNT idiom). An
 * emergency call joins it, so it counts, but is never held back. The group is left when a trunk without a
 * limit comes next, so it does not count there. */
static void limit_calls(struct out_writer *w, const struct out_plan *p, size_t i, const char *endpoint)
{
	const struct trunk *t = p->trunks[i];
	if (t->max_calls > 0) {
		char next[LABEL_MAX];
		trunk_label(p, i + 1, next);
		step(w, "Set(GROUP(" GROUP_CATEGORY ")=%s)", endpoint);
		if (!p->emergency)
			step(w, "GotoIf($[${GROUP_COUNT(%s@" GROUP_CATEGORY ")} > %d]?%s)", endpoint, t->max_calls, next);
		w->grouped = true;
	} else if (w->grouped) {
		step(w, "Set(GROUP(" GROUP_CATEGORY ")=)");
		w->grouped = false;
	}
}

/* One trunk's attempt; only CHANUNAVAIL and CONGESTION go on to the next trunk (BUSY, NOANSWER, CANCEL and an
 * answered call end here). */
static void dial_trunk(struct out_writer *w, const struct out_plan *p, size_t i)
{
	const struct trunk *t = p->trunks[i];
	char endpoint[PBX_TRUNK_ENDPOINT_MAX], next[LABEL_MAX];
	pbx_trunk_endpoint(t->name, endpoint);
	trunk_label(p, i + 1, next);
	if (i > 0)
		trunk_label(p, i, w->label);
	limit_calls(w, p, i, endpoint);
	present_callerid(w, p, t);
	step(w, "Dial(PJSIP/${EXTEN}@%s,%d)", endpoint, p->timeout);
	if (i + 1 < p->n) {
		step(w, "GotoIf($[\"${DIALSTATUS}\" = \"CHANUNAVAIL\"]?%s)", next);
		step(w, "GotoIf($[\"${DIALSTATUS}\" = \"CONGESTION\"]?%s)", next);
		step(w, "Hangup()");
	}
}

/* [<name>]: "exten = _[0-9*#+]!,..." trying each trunk in order, ending with a Hangup(), so that Asterisk
 * never falls through to another extension. */
static void write_out_context(const char *name, const struct out_plan *p, struct pbx_file *f)
{
	struct out_writer w = { .f = f };
	pbx_file_section(f, name, NULL);
	if (!p->emergency && *p->route_callerid)
		step(&w, "Set(CALLERID(num)=%s)", p->route_callerid);
	else if (!p->emergency && restores_caller(p))
		step(&w, "Set(" CALLER_VAR "=${CALLERID(num)})");
	for (size_t i = 0; i < p->n; i++)
		dial_trunk(&w, p, i);
	if (p->n && p->trunks[p->n - 1]->max_calls > 0 && !p->emergency)
		trunk_label(p, p->n, w.label);   /* the last trunk's limit jumps here */
	step(&w, "Hangup()");
}

static void write_route(const struct pbx_settings *s, const struct pbx_plan_input *in, const struct route *r,
			struct pbx_file *f)
{
	const struct trunk *trunks[ROUTE_MAX_TRUNKS];
	for (int i = 0; i < r->n_trunks; i++)
		trunks[i] = find_trunk(in, r->trunks[i]);   /* all there: check_input() */
	char out[CONTEXT_MAX];
	route_out_context(r, out);
	struct out_plan plan = { trunks, (size_t)r->n_trunks, r->callerid, false, s->dial_timeout };
	write_route_context(r, f);
	write_out_context(out, &plan, f);
}

/* [centralita-emergency] (for the integrator's own contexts, if wanted) and its -out context over every live
 * trunk by name, the number as dialed. */
static void write_emergency(const struct pbx_settings *s, const struct pbx_plan_input *in, struct pbx_file *f)
{
	pbx_file_section(f, EMERGENCY_CONTEXT, NULL);
	for (int i = 0; i < s->n_emergency; i++)
		pbx_file_linef(f, "exten", "%s,1,Goto(" EMERGENCY_CONTEXT "-out,%s,1)", s->emergency[i], s->emergency[i]);
	const struct trunk **sorted = trunks_by_name(in);
	struct out_plan plan = { sorted, in->n_trunks, "", true, s->dial_timeout };
	write_out_context(EMERGENCY_CONTEXT "-out", &plan, f);
	free(sorted);
}

int pbx_route_plan(const struct pbx_settings *s, const struct pbx_plan_input *in, struct pbx_file *f)
{
	if (*f->err || check_input(s, in, f) != 0)
		return -1;
	for (int i = 0; i < s->n_classes; i++)
		write_class_context(s, in, s->classes[i], f);
	for (size_t i = 0; i < in->n_routes; i++)
		write_route(s, in, &in->routes[i], f);
	if (s->n_emergency > 0)
		write_emergency(s, in, f);
	return *f->err ? -1 : 0;
}

/* ---------- the route tester ---------- */

static bool is_emergency(const struct pbx_settings *s, const char *number)
{
	for (int i = 0; i < s->n_emergency; i++)
		if (strcmp(s->emergency[i], number) == 0)
			return true;
	return false;
}

/* The index of the route's pattern Asterisk runs for number, or -1 (a route's patterns share one context). */
static int best_pattern(const struct route *r, const char *number)
{
	const char *patterns[ROUTE_MAX_PATTERNS];
	int n = pattern_count(r);
	for (int i = 0; i < n; i++)
		patterns[i] = r->patterns[i];
	return dialpattern_best(patterns, (size_t)n, number);
}

/* What the route's Goto() makes of number: ${EXTEN:strip} (nothing when the number is shorter), FILTER()ed,
 * after the prepend. */
static void number_sent(const struct route *r, const char *number, char *out, size_t size)
{
	size_t len = strlen(number), n = 0;
	char kept[DIALPATTERN_MAX_LEN + 1];
	for (const char *c = (size_t)r->strip < len ? number + r->strip : ""; *c && n + 1 < sizeof kept; c++)
		if (strchr(NUMBER_CHARS, *c))
			kept[n++] = *c;
	kept[n] = '\0';
	snprintf(out, size, "%s%s", r->prepend, kept);
}

static void add_attempt(struct pbx_route_answer *out, const struct trunk *t, int64_t id, const char *number,
			const char *callerid)
{
	if (out->n_attempts == sizeof out->attempts / sizeof *out->attempts)
		return;
	struct pbx_route_attempt *a = &out->attempts[out->n_attempts++];
	a->trunk_id = id;
	snprintf(a->trunk, sizeof a->trunk, "%s", t ? t->name : "");
	snprintf(a->number, sizeof a->number, "%s", number);
	snprintf(a->callerid, sizeof a->callerid, "%s", callerid);
}

static void answer_emergency(const struct pbx_plan_input *in, const char *number, struct pbx_route_answer *out)
{
	out->verdict = PBX_ROUTE_EMERGENCY;
	const struct trunk **sorted = trunks_by_name(in);
	for (size_t i = 0; i < in->n_trunks; i++)
		add_attempt(out, sorted[i], sorted[i]->id, number, "");
	free(sorted);
}

static void answer_route(const struct pbx_plan_input *in, const struct route *r, int pattern, const char *number,
			 bool allowed, struct pbx_route_answer *out)
{
	out->verdict = allowed ? PBX_ROUTE_MATCHED : PBX_ROUTE_NOT_ALLOWED;
	out->route = r;
	snprintf(out->pattern, sizeof out->pattern, "%s", r->patterns[pattern]);
	if (!allowed)
		return;
	char sent[sizeof out->attempts[0].number];
	number_sent(r, number, sent, sizeof sent);
	for (int i = 0; i < r->n_trunks && i < ROUTE_MAX_TRUNKS; i++) {
		const struct trunk *t = find_trunk(in, r->trunks[i]);
		const char *callerid = *r->callerid ? r->callerid : t ? t->callerid : "";
		add_attempt(out, t, r->trunks[i], sent, callerid);
	}
}

void pbx_route_test(const struct pbx_settings *s, const struct pbx_plan_input *in, const char *number,
		    const char *calling_class, struct pbx_route_answer *out)
{
	memset(out, 0, sizeof *out);
	if (dialpattern_check_number(number, NULL, 0) != DIALPATTERN_OK) {
		out->verdict = PBX_ROUTE_BAD_NUMBER;
		return;
	}
	if (!calling_class || !pbx_class_known(s, calling_class)) {
		out->verdict = PBX_ROUTE_BAD_CLASS;
		return;
	}
	if (is_emergency(s, number)) {   /* the class context's own extensions: before any include */
		answer_emergency(in, number, out);
		return;
	}
	/* The class context includes only the routes it may use, in priority order, and Asterisk takes the first
	 * with a match; a route the class may not use is remembered to say why a number is refused. */
	const struct route *refused = NULL;
	int refused_pattern = -1;
	for (size_t i = 0; i < in->n_routes; i++) {
		const struct route *r = &in->routes[i];
		int k = best_pattern(r, number);
		if (k < 0)
			continue;
		if (route_allows(r, calling_class)) {
			answer_route(in, r, k, number, true, out);
			return;
		}
		if (!refused) {
			refused = r;
			refused_pattern = k;
		}
	}
	if (refused)
		answer_route(in, refused, refused_pattern, number, false, out);
	else
		out->verdict = PBX_ROUTE_NO_ROUTE;
}
