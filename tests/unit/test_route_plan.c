/* Unit tests: pbx/route_plan, the outbound routes → the dialplan Centralita owns (golden text), the rules of a
 * route's fields (nothing typed reaches the dialplan as an application or a function), and the route tester,
 * which must say what Asterisk does with a number by that dialplan. Pure functions: no PBX, no database. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbx/route_plan.h"
#include "pbx/trunk_config.h"
#include "util/buf.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct pbx_settings settings(void)
{
	struct pbx_settings s;
	memset(&s, 0, sizeof s);
	s.driver = PBX_PJSIP;
	snprintf(s.context, sizeof s.context, "from-internal");
	snprintf(s.codecs[0], sizeof s.codecs[0], "ulaw");
	s.n_codecs = 1;
	static const char *const classes[] = { "internal", "national", "international" };
	for (size_t i = 0; i < LEN(classes); i++)
		snprintf(s.classes[i], sizeof s.classes[i], "%s", classes[i]);
	s.n_classes = (int)LEN(classes);
	snprintf(s.default_class, sizeof s.default_class, "national");
	snprintf(s.emergency[0], sizeof s.emergency[0], "112");
	snprintf(s.emergency[1], sizeof s.emergency[1], "091");
	s.n_emergency = 2;
	snprintf(s.trunk_context, sizeof s.trunk_context, "from-trunk");
	s.dial_timeout = 45;
	return s;
}

/* The six classes of the issue, for the tester's table. */
static struct pbx_settings six_classes(void)
{
	struct pbx_settings s = settings();
	static const char *const classes[] = { "internal", "local", "national", "mobile", "international", "premium" };
	for (size_t i = 0; i < LEN(classes); i++)
		snprintf(s.classes[i], sizeof s.classes[i], "%s", classes[i]);
	s.n_classes = (int)LEN(classes);
	return s;
}

static struct trunk trunk(int64_t id, const char *name, const char *callerid, int max_calls)
{
	struct trunk t;
	memset(&t, 0, sizeof t);
	t.id = id;
	snprintf(t.name, sizeof t.name, "%s", name);
	snprintf(t.host, sizeof t.host, "%s.example", name);
	t.port = 5060;
	snprintf(t.transport, sizeof t.transport, "udp");
	t.expiration = 3600;
	snprintf(t.codecs, sizeof t.codecs, "ulaw");
	snprintf(t.callerid, sizeof t.callerid, "%s", callerid);
	t.max_calls = max_calls;
	return t;
}

/* A route from a comma-free description: patterns and classes as NULL-terminated lists, trunks as ids ending
 * with 0. */
static struct route route(int64_t id, const char *name, const char *const *patterns, int strip, const char *prepend,
			  const char *const *classes, const int64_t *trunks, const char *callerid)
{
	struct route r;
	memset(&r, 0, sizeof r);
	r.id = id;
	snprintf(r.name, sizeof r.name, "%s", name);
	for (; patterns[r.n_patterns]; r.n_patterns++)
		snprintf(r.patterns[r.n_patterns], sizeof r.patterns[0], "%s", patterns[r.n_patterns]);
	r.strip = strip;
	snprintf(r.prepend, sizeof r.prepend, "%s", prepend);
	for (; classes[r.n_classes]; r.n_classes++)
		snprintf(r.classes[r.n_classes], sizeof r.classes[0], "%s", classes[r.n_classes]);
	for (; trunks[r.n_trunks]; r.n_trunks++)
		r.trunks[r.n_trunks] = trunks[r.n_trunks];
	snprintf(r.callerid, sizeof r.callerid, "%s", callerid);
	return r;
}

#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define IDS(...) ((const int64_t[]){ __VA_ARGS__, 0 })

/* ---------- the golden dialplan ---------- */

/* Two trunks in no particular order (the emergency context sorts them by name): acme presents its own number
 * and takes 2 calls at most; zeta has neither. */
static void golden_trunks(struct trunk out[2])
{
	out[0] = trunk(4, "zeta", "", 0);
	out[1] = trunk(7, "acme", "34911000111", 2);
}

static void golden_routes(struct route out[2])
{
	out[0] = route(3, "Móviles y fijos", LIST("_[6-9]XXXXXXXX", "_1XXX"), 0, "", LIST("national", "international"),
		       IDS(7, 4), "");
	out[1] = route(9, "Internacional", LIST("_00X."), 2, "+", LIST("international"), IDS(4, 7), "+34910000000");
}

static const char golden_text[] =
	"[centralita-class-internal]\n"
	"exten => 112,1,Goto(centralita-emergency-out,112,1)\n"
	"exten => 091,1,Goto(centralita-emergency-out,091,1)\n"
	"include => from-internal\n"
	"\n"
	"[centralita-class-national]\n"
	"exten => 112,1,Goto(centralita-emergency-out,112,1)\n"
	"exten => 091,1,Goto(centralita-emergency-out,091,1)\n"
	"include => from-internal\n"
	"include => centralita-route-3\n"
	"\n"
	"[centralita-class-international]\n"
	"exten => 112,1,Goto(centralita-emergency-out,112,1)\n"
	"exten => 091,1,Goto(centralita-emergency-out,091,1)\n"
	"include => from-internal\n"
	"include => centralita-route-3\n"
	"include => centralita-route-9\n"
	"\n"
	"[centralita-route-3]\n"
	"exten => _[6-9]XXXXXXXX,1,Goto(centralita-route-3-out,${FILTER(0123456789*#+,${EXTEN})},1)\n"
	"exten => _1XXX,1,Goto(centralita-route-3-out,${FILTER(0123456789*#+,${EXTEN})},1)\n"
	"\n"
	"[centralita-route-3-out]\n"
	"exten => _[0-9*#+]!,1,Set(CENTRALITA_CALLER=${CALLERID(num)})\n"
	"exten => _[0-9*#+]!,n,Set(GROUP(centralita-trunk)=trunk-acme)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[${GROUP_COUNT(trunk-acme@centralita-trunk)} > 2]?trunk2)\n"
	"exten => _[0-9*#+]!,n,Set(CALLERID(num)=34911000111)\n"
	"exten => _[0-9*#+]!,n,Dial(PJSIP/${EXTEN}@trunk-acme,45)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[\"${DIALSTATUS}\" = \"CHANUNAVAIL\"]?trunk2)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[\"${DIALSTATUS}\" = \"CONGESTION\"]?trunk2)\n"
	"exten => _[0-9*#+]!,n,Hangup()\n"
	"exten => _[0-9*#+]!,n(trunk2),Set(GROUP(centralita-trunk)=)\n"
	"exten => _[0-9*#+]!,n,Set(CALLERID(num)=${CENTRALITA_CALLER})\n"
	"exten => _[0-9*#+]!,n,Dial(PJSIP/${EXTEN}@trunk-zeta,45)\n"
	"exten => _[0-9*#+]!,n,Hangup()\n"
	"\n"
	"[centralita-route-9]\n"
	"exten => _00X.,1,Goto(centralita-route-9-out,+${FILTER(0123456789*#+,${EXTEN:2})},1)\n"
	"\n"
	"[centralita-route-9-out]\n"
	"exten => _[0-9*#+]!,1,Set(CALLERID(num)=+34910000000)\n"
	"exten => _[0-9*#+]!,n,Dial(PJSIP/${EXTEN}@trunk-zeta,45)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[\"${DIALSTATUS}\" = \"CHANUNAVAIL\"]?trunk2)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[\"${DIALSTATUS}\" = \"CONGESTION\"]?trunk2)\n"
	"exten => _[0-9*#+]!,n,Hangup()\n"
	"exten => _[0-9*#+]!,n(trunk2),Set(GROUP(centralita-trunk)=trunk-acme)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[${GROUP_COUNT(trunk-acme@centralita-trunk)} > 2]?end)\n"
	"exten => _[0-9*#+]!,n,Dial(PJSIP/${EXTEN}@trunk-acme,45)\n"
	"exten => _[0-9*#+]!,n(end),Hangup()\n"
	"\n"
	"[centralita-emergency]\n"
	"exten => 112,1,Goto(centralita-emergency-out,112,1)\n"
	"exten => 091,1,Goto(centralita-emergency-out,091,1)\n"
	"\n"
	"[centralita-emergency-out]\n"
	"exten => _[0-9*#+]!,1,Set(GROUP(centralita-trunk)=trunk-acme)\n"
	"exten => _[0-9*#+]!,n,Dial(PJSIP/${EXTEN}@trunk-acme,45)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[\"${DIALSTATUS}\" = \"CHANUNAVAIL\"]?trunk2)\n"
	"exten => _[0-9*#+]!,n,GotoIf($[\"${DIALSTATUS}\" = \"CONGESTION\"]?trunk2)\n"
	"exten => _[0-9*#+]!,n,Hangup()\n"
	"exten => _[0-9*#+]!,n(trunk2),Set(GROUP(centralita-trunk)=)\n"
	"exten => _[0-9*#+]!,n,Dial(PJSIP/${EXTEN}@trunk-zeta,45)\n"
	"exten => _[0-9*#+]!,n,Hangup()\n";

START_TEST(golden_dialplan)
{
	struct pbx_settings s = settings();
	struct trunk trunks[2];
	struct route routes[2];
	golden_trunks(trunks);
	golden_routes(routes);
	struct pbx_plan_input in = { routes, 2, trunks, 2 };
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_msg(pbx_route_plan(&s, &in, &f) == 0, "%s", f.err);
	struct buf text;
	buf_init(&text);
	pbx_file_text(&f, &text);
	ck_assert_str_eq(buf_cstr(&text), golden_text);
	buf_free(&text);

	/* Every line is written "exten = ..." / "include = ..." (what GetConfig reads back), no type needed. */
	for (size_t i = 0; i < f.n; i++) {
		ck_assert_ptr_null(f.want[i].type);
		for (size_t l = 0; l < f.want[i].n_lines; l++)
			ck_assert(strcmp(f.want[i].lines[l].name, "exten") == 0 ||
				  strcmp(f.want[i].lines[l].name, "include") == 0);
	}
	/* And it becomes UpdateConfigs Asterisk reads whole. */
	struct ami_update *ups = NULL;
	size_t n_ups = 0;
	char err[200] = "";
	ck_assert_msg(pbx_file_updates(&f, PBX_ROUTES_FILE, &ups, &n_ups, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_ge(n_ups, 1);
	for (size_t i = 0; i < n_ups; i++)
		ami_update_free(&ups[i]);
	free(ups);
	pbx_file_free(&f);
}
END_TEST

START_TEST(context_names)
{
	char ctx[PBX_CLASS_CONTEXT_MAX];
	pbx_class_context("international", ctx);
	ck_assert_str_eq(ctx, "centralita-class-international");
	pbx_class_context("abcdefghijklmno", ctx);   /* the longest class name */
	ck_assert_str_eq(ctx, "centralita-class-abcdefghijklmno");
	ck_assert_str_eq(PBX_ROUTES_FILE, "centralita/dialplan-routes.conf");
}
END_TEST

START_TEST(nothing_configured_but_classes)
{
	/* No routes, no trunks, no emergency numbers: each class context still exists (phones point at it) and
	 * reaches the integrator's own context. */
	struct pbx_settings s = settings();
	s.n_emergency = 0;
	struct pbx_plan_input in = { NULL, 0, NULL, 0 };
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_msg(pbx_route_plan(&s, &in, &f) == 0, "%s", f.err);
	struct buf text;
	buf_init(&text);
	pbx_file_text(&f, &text);
	ck_assert_str_eq(buf_cstr(&text), "[centralita-class-internal]\n"
					  "include => from-internal\n"
					  "\n"
					  "[centralita-class-national]\n"
					  "include => from-internal\n"
					  "\n"
					  "[centralita-class-international]\n"
					  "include => from-internal\n");
	buf_free(&text);
	pbx_file_free(&f);

	/* Emergency numbers without any trunk: the call ends at once rather than going nowhere. */
	s = settings();
	s.n_emergency = 1;
	pbx_file_init(&f);
	ck_assert_msg(pbx_route_plan(&s, &in, &f) == 0, "%s", f.err);
	buf_init(&text);
	pbx_file_text(&f, &text);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "[centralita-emergency-out]\nexten => _[0-9*#+]!,1,Hangup()\n"));
	buf_free(&text);
	pbx_file_free(&f);
}
END_TEST

START_TEST(caller_id_only_where_needed)
{
	/* Neither the route nor its trunks present a number: no CALLERID() at all, the caller's own goes out. */
	struct pbx_settings s = settings();
	struct trunk trunks[2] = { trunk(1, "one", "", 0), trunk(2, "two", "", 0) };
	struct route r = route(5, "R", LIST("_X."), 0, "", LIST("national"), IDS(1, 2), "");
	struct pbx_plan_input in = { &r, 1, trunks, 2 };
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_msg(pbx_route_plan(&s, &in, &f) == 0, "%s", f.err);
	struct buf text;
	buf_init(&text);
	pbx_file_text(&f, &text);
	ck_assert_ptr_null(strstr(buf_cstr(&text), "CALLERID"));
	ck_assert_ptr_null(strstr(buf_cstr(&text), "GROUP"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "[centralita-route-5-out]\n"
						     "exten => _[0-9*#+]!,1,Dial(PJSIP/${EXTEN}@trunk-one,45)\n"));
	buf_free(&text);
	pbx_file_free(&f);

	/* Only the second trunk presents one: nothing to put back, so nothing saved. */
	trunks[1] = trunk(2, "two", "+3491", 0);
	pbx_file_init(&f);
	ck_assert_msg(pbx_route_plan(&s, &in, &f) == 0, "%s", f.err);
	buf_init(&text);
	pbx_file_text(&f, &text);
	ck_assert_ptr_null(strstr(buf_cstr(&text), "CENTRALITA_CALLER"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "exten => _[0-9*#+]!,n(trunk2),Set(CALLERID(num)=+3491)\n"
						     "exten => _[0-9*#+]!,n,Dial(PJSIP/${EXTEN}@trunk-two,45)\n"));
	buf_free(&text);
	pbx_file_free(&f);
}
END_TEST

START_TEST(route_order_is_include_order)
{
	/* Moving a route changes only the order of the includes (Asterisk tries them in that order). */
	struct pbx_settings s = settings();
	struct trunk trunks[2];
	struct route routes[2];
	golden_trunks(trunks);
	golden_routes(routes);
	struct route swapped[2] = { routes[1], routes[0] };
	struct pbx_plan_input in = { swapped, 2, trunks, 2 };
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_msg(pbx_route_plan(&s, &in, &f) == 0, "%s", f.err);
	struct buf text;
	buf_init(&text);
	pbx_file_text(&f, &text);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&text), "[centralita-class-international]\n"
						     "exten => 112,1,Goto(centralita-emergency-out,112,1)\n"
						     "exten => 091,1,Goto(centralita-emergency-out,091,1)\n"
						     "include => from-internal\n"
						     "include => centralita-route-9\n"
						     "include => centralita-route-3\n"));
	buf_free(&text);
	pbx_file_free(&f);
}
END_TEST

START_TEST(many_routes_split_into_several_requests)
{
	/* 40 routes of 16 patterns: far beyond one UpdateConfig's 128 lines; pbx_file cuts it. */
	struct pbx_settings s = settings();
	struct trunk t = trunk(1, "one", "", 3);
	struct route *routes = calloc(40, sizeof *routes);
	ck_assert_ptr_nonnull(routes);
	for (int i = 0; i < 40; i++) {
		routes[i] = route(100 + i, "R", LIST("_1X"), 0, "", LIST("national"), IDS(1), "");
		routes[i].n_patterns = ROUTE_MAX_PATTERNS;
		for (int k = 0; k < ROUTE_MAX_PATTERNS; k++)
			snprintf(routes[i].patterns[k], ROUTE_PATTERN_MAX, "_%02d%02dXXXXXXXXXXXXXXX.", i, k);
	}
	struct pbx_plan_input in = { routes, 40, &t, 1 };
	struct pbx_file f;
	pbx_file_init(&f);
	ck_assert_msg(pbx_route_plan(&s, &in, &f) == 0, "%s", f.err);
	struct ami_update *ups = NULL;
	size_t n_ups = 0;
	char err[200] = "";
	ck_assert_msg(pbx_file_updates(&f, PBX_ROUTES_FILE, &ups, &n_ups, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_gt(n_ups, 1);
	for (size_t i = 0; i < n_ups; i++)
		ami_update_free(&ups[i]);
	free(ups);
	pbx_file_free(&f);
	free(routes);
}
END_TEST

/* ---------- nothing typed becomes dialplan syntax ---------- */

/* pbx_route_plan() on the golden input with one change; returns its f.err ("" = written), and asserts that a
 * refused plan wrote nothing. */
static void plan_error(void (*change)(struct pbx_settings *, struct trunk *, struct route *), char *err, size_t len)
{
	struct pbx_settings s = settings();
	struct trunk trunks[2];
	struct route routes[2];
	golden_trunks(trunks);
	golden_routes(routes);
	change(&s, trunks, routes);
	struct pbx_plan_input in = { routes, 2, trunks, 2 };
	struct pbx_file f;
	pbx_file_init(&f);
	int rc = pbx_route_plan(&s, &in, &f);
	snprintf(err, len, "%s", f.err);
	ck_assert_int_eq(rc, *err ? -1 : 0);
	if (rc)
		ck_assert_uint_eq(f.n, 0);
	pbx_file_free(&f);
}

static void pattern_with_app(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(r[0].patterns[1], ROUTE_PATTERN_MAX, "_X.,1,System(x)");
}
static void prepend_paren(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(r[1].prepend, ROUTE_PREPEND_MAX, "1)");
}
static void prepend_variable(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(r[1].prepend, ROUTE_PREPEND_MAX, "${x}");
}
static void route_callerid_variable(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(r[1].callerid, ROUTE_CALLERID_MAX, "${x}");
}
static void trunk_callerid_variable(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(t[1].callerid, TRUNK_CALLERID_MAX, "1)");
}
static void trunk_name_comma(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(t[0].name, TRUNK_NAME_MAX, "a,b");
}
static void missing_trunk(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	r[1].trunks[1] = 99;
}
static void unknown_class(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(r[0].classes[0], ROUTE_CLASS_MAX, "vip");
}
static void long_strip(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	r[0].strip = 4;   /* "_1XXX" would leave nothing */
}
static void bad_emergency(struct pbx_settings *s, struct trunk *t, struct route *r)
{
	snprintf(s->emergency[1], sizeof s->emergency[1], "1,1");
}
static void no_change(struct pbx_settings *s, struct trunk *t, struct route *r)
{
}

START_TEST(plan_refuses_what_was_not_checked)
{
	/* The applier writes what the database holds: every value is checked again, and a bad one writes
	 * nothing at all. */
	static const struct {
		void (*change)(struct pbx_settings *, struct trunk *, struct route *);
		const char *err;
	} cases[] = {
		{ no_change, "" },
		{ pattern_with_app, "route 3: patterns: pattern" },
		{ prepend_paren, "route 9: prepend: number_chars" },
		{ prepend_variable, "route 9: prepend: number_chars" },
		{ route_callerid_variable, "route 9: callerid: number_chars" },
		{ trunk_callerid_variable, "trunk 7: callerid: number_chars" },
		{ trunk_name_comma, "trunk 4: name: name_chars" },
		{ missing_trunk, "route 9: trunk 99 is not a live trunk" },
		{ unknown_class, "route 3: classes: choice" },
		{ long_strip, "route 3: strip: strip_long" },
		{ bad_emergency, "emergency number 2 is not a number" },
	};
	for (size_t i = 0; i < LEN(cases); i++) {
		char err[200];
		plan_error(cases[i].change, err, sizeof err);
		ck_assert_msg(strcmp(err, cases[i].err) == 0, "case %zu: '%s', expected '%s'", i, err, cases[i].err);
	}
}
END_TEST

/* ---------- pbx_route_check ---------- */

static struct route valid_route(void)
{
	return route(1, "Nacional", LIST("_[89]XXXXXXXX", "_6XXXXXXXX"), 0, "", LIST("national"), IDS(1), "");
}

/* One refused change to valid_route() and what the check says. */
struct route_refusal {
	const char *what;
	void (*change)(struct route *);
	const char *field, *key;
	int index;
	enum dialpattern_problem pattern_problem;
};

static void set_pattern(struct route *r, int i, const char *p)
{
	snprintf(r->patterns[i], ROUTE_PATTERN_MAX, "%s", p);
	if (r->n_patterns <= i)
		r->n_patterns = i + 1;
}

static void name_empty(struct route *r) { r->name[0] = '\0'; }
static void name_49(struct route *r) { snprintf(r->name, sizeof r->name, "%049d", 0); }
static void name_quote(struct route *r) { snprintf(r->name, sizeof r->name, "a\"b"); }
static void name_angle(struct route *r) { snprintf(r->name, sizeof r->name, "<b>"); }
static void name_newline(struct route *r) { snprintf(r->name, sizeof r->name, "a\nb"); }
static void name_bad_utf8(struct route *r) { snprintf(r->name, sizeof r->name, "a\xc3"); }
static void patterns_none(struct route *r) { r->n_patterns = 0; }
static void patterns_17(struct route *r)
{
	for (int i = 0; i < ROUTE_MAX_PATTERNS; i++)
		snprintf(r->patterns[i], ROUTE_PATTERN_MAX, "_%02dX", i);
	r->n_patterns = ROUTE_MAX_PATTERNS + 1;
}
static void pattern_system(struct route *r) { set_pattern(r, 1, "_X.,1,System(x)"); }
static void pattern_semicolon(struct route *r) { set_pattern(r, 0, "_X.;comment"); }
static void pattern_variable(struct route *r) { set_pattern(r, 1, "_${x}"); }
static void pattern_space(struct route *r) { set_pattern(r, 1, "_9 XX"); }
static void pattern_unclosed(struct route *r) { set_pattern(r, 1, "_["); }
static void pattern_stray(struct route *r) { set_pattern(r, 1, "_9]"); }
static void pattern_empty(struct route *r) { set_pattern(r, 1, ""); }
static void pattern_callerid(struct route *r) { set_pattern(r, 1, "_9XX/201"); }
static void duplicate_n(struct route *r)
{
	set_pattern(r, 0, "_N");
	set_pattern(r, 1, "_[2-9]");
}
static void duplicate_case(struct route *r)
{
	set_pattern(r, 0, "_9x");
	set_pattern(r, 1, "_X.");
	set_pattern(r, 2, "_9X");
}
static void duplicate_literal(struct route *r)
{
	set_pattern(r, 1, "_[89]XXXXXXXX");
}
static void strip_negative(struct route *r) { r->strip = -1; }
static void strip_21(struct route *r) { r->strip = 21; }
static void strip_all(struct route *r) { r->strip = 9; }   /* the first pattern's 9 characters */
static void strip_bang(struct route *r)
{
	set_pattern(r, 1, "_9!");   /* matches "9": one character */
	r->strip = 1;
}
static void strip_dot(struct route *r)
{
	set_pattern(r, 1, "_90.");  /* at least three */
	r->strip = 3;
}
static void prepend_paren1(struct route *r) { snprintf(r->prepend, sizeof r->prepend, "1)"); }
static void prepend_plus_late(struct route *r) { snprintf(r->prepend, sizeof r->prepend, "1+"); }
static void prepend_comma(struct route *r) { snprintf(r->prepend, sizeof r->prepend, "1,n"); }
static void prepend_unterminated(struct route *r) { memset(r->prepend, '1', sizeof r->prepend); }
static void classes_none(struct route *r) { r->n_classes = 0; }
static void classes_unknown(struct route *r)
{
	snprintf(r->classes[1], ROUTE_CLASS_MAX, "gold");
	r->n_classes = 2;
}
static void classes_duplicate(struct route *r)
{
	snprintf(r->classes[1], ROUTE_CLASS_MAX, "national");
	r->n_classes = 2;
}
static void classes_9(struct route *r) { r->n_classes = ROUTE_MAX_CLASSES + 1; }
static void trunks_none(struct route *r) { r->n_trunks = 0; }
static void trunks_zero(struct route *r)
{
	r->trunks[1] = 0;
	r->n_trunks = 2;
}
static void trunks_duplicate(struct route *r)
{
	r->trunks[1] = 1;
	r->n_trunks = 2;
}
static void trunks_9(struct route *r) { r->n_trunks = ROUTE_MAX_TRUNKS + 1; }
static void callerid_variable(struct route *r) { snprintf(r->callerid, sizeof r->callerid, "${x}"); }
static void callerid_plus(struct route *r) { snprintf(r->callerid, sizeof r->callerid, "+"); }
static void callerid_paren(struct route *r) { snprintf(r->callerid, sizeof r->callerid, "911)"); }

static const struct route_refusal route_refusals[] = {
	{ "empty name", name_empty, "name", "required", -1, 0 },
	{ "49 characters", name_49, "name", "too_long", -1, 0 },
	{ "quote in name", name_quote, "name", "forbidden_chars", -1, 0 },
	{ "angle in name", name_angle, "name", "forbidden_chars", -1, 0 },
	{ "newline in name", name_newline, "name", "control_chars", -1, 0 },
	{ "bad UTF-8 name", name_bad_utf8, "name", "bad_utf8", -1, 0 },
	{ "no pattern", patterns_none, "patterns", "required", -1, 0 },
	{ "17 patterns", patterns_17, "patterns", "too_many", -1, 0 },
	{ "application", pattern_system, "patterns", "pattern", 1, DIALPATTERN_BAD_CHAR },
	{ "comment", pattern_semicolon, "patterns", "pattern", 0, DIALPATTERN_BAD_CHAR },
	{ "variable", pattern_variable, "patterns", "pattern", 1, DIALPATTERN_BAD_CHAR },
	{ "space", pattern_space, "patterns", "pattern", 1, DIALPATTERN_BAD_CHAR },
	{ "unclosed set", pattern_unclosed, "patterns", "pattern", 1, DIALPATTERN_UNCLOSED_SET },
	{ "stray bracket", pattern_stray, "patterns", "pattern", 1, DIALPATTERN_STRAY_BRACKET },
	{ "empty pattern", pattern_empty, "patterns", "pattern", 1, DIALPATTERN_EMPTY },
	{ "caller ID match", pattern_callerid, "patterns", "pattern", 1, DIALPATTERN_BAD_CHAR },
	{ "_N = _[2-9]", duplicate_n, "patterns", "duplicate", 1, 0 },
	{ "_9x = _9X", duplicate_case, "patterns", "duplicate", 2, 0 },
	{ "same pattern twice", duplicate_literal, "patterns", "duplicate", 1, 0 },
	{ "strip -1", strip_negative, "strip", "range", -1, 0 },
	{ "strip 21", strip_21, "strip", "range", -1, 0 },
	{ "strip the whole number", strip_all, "strip", "strip_long", 0, 0 },
	{ "strip past '!'", strip_bang, "strip", "strip_long", 1, 0 },
	{ "strip past '.'", strip_dot, "strip", "strip_long", 1, 0 },
	{ "prepend 1)", prepend_paren1, "prepend", "number_chars", -1, 0 },
	{ "prepend 1+", prepend_plus_late, "prepend", "number_chars", -1, 0 },
	{ "prepend 1,n", prepend_comma, "prepend", "number_chars", -1, 0 },
	{ "prepend unterminated", prepend_unterminated, "prepend", "too_long", -1, 0 },
	{ "no class", classes_none, "classes", "required", -1, 0 },
	{ "unknown class", classes_unknown, "classes", "choice", 1, 0 },
	{ "class twice", classes_duplicate, "classes", "duplicate", 1, 0 },
	{ "9 classes", classes_9, "classes", "too_many", -1, 0 },
	{ "no trunk", trunks_none, "trunks", "required", -1, 0 },
	{ "trunk 0", trunks_zero, "trunks", "choice", 1, 0 },
	{ "trunk twice", trunks_duplicate, "trunks", "duplicate", 1, 0 },
	{ "9 trunks", trunks_9, "trunks", "too_many", -1, 0 },
	{ "callerid ${x}", callerid_variable, "callerid", "number_chars", -1, 0 },
	{ "callerid +", callerid_plus, "callerid", "number_chars", -1, 0 },
	{ "callerid 911)", callerid_paren, "callerid", "number_chars", -1, 0 },
};

START_TEST(route_check_refuses)
{
	const struct route_refusal *c = &route_refusals[_i];
	struct pbx_settings s = settings();
	struct route r = valid_route();
	c->change(&r);
	struct pbx_route_problem why;
	ck_assert_msg(!pbx_route_check(&s, &r, &why), "%s: accepted", c->what);
	ck_assert_msg(strcmp(why.field, c->field) == 0 && strcmp(why.key, c->key) == 0 && why.index == c->index,
		      "%s: got %s/%s/%d, expected %s/%s/%d", c->what, why.field, why.key, why.index, c->field, c->key,
		      c->index);
	if (strcmp(c->key, "pattern") == 0)
		ck_assert_int_eq(why.pattern_problem, c->pattern_problem);
}
END_TEST

START_TEST(route_check_accepts)
{
	struct pbx_settings s = settings();
	struct pbx_route_problem why;
	struct route r = valid_route();
	ck_assert(pbx_route_check(&s, &r, &why));
	ck_assert_ptr_null(why.field);
	ck_assert_int_eq(why.index, -1);

	r = route(2, "Internacional (00 → +)", LIST("_00X.", "_+X."), 2, "+", LIST("international", "national"),
		  IDS(3, 1, 2), "+34910000000");
	ck_assert_msg(pbx_route_check(&s, &r, &why), "%s/%s", why.field, why.key);
	r.strip = 1;   /* "_+X." matches 2 characters at least: 1 left */
	snprintf(r.prepend, sizeof r.prepend, "*#0123456789*#012345");   /* 20 */
	ck_assert_msg(pbx_route_check(&s, &r, &why), "%s/%s", why.field, why.key);

	/* 48 characters of two bytes each; the literal "911" and the pattern "_911" are two extensions. */
	r = valid_route();
	r.name[0] = '\0';
	for (int i = 0; i < 48; i++)
		strcat(r.name, "\xc3\xb1");
	set_pattern(&r, 0, "911");
	set_pattern(&r, 1, "_911");
	ck_assert_msg(pbx_route_check(&s, &r, &why), "%s/%s", why.field, why.key);

	/* The limits themselves. */
	r = valid_route();
	r.n_patterns = ROUTE_MAX_PATTERNS;
	for (int i = 0; i < ROUTE_MAX_PATTERNS; i++)
		snprintf(r.patterns[i], ROUTE_PATTERN_MAX, "_%02dXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", i);
	r.strip = 20;
	r.n_trunks = ROUTE_MAX_TRUNKS;
	for (int i = 0; i < ROUTE_MAX_TRUNKS; i++)
		r.trunks[i] = 10 + i;
	ck_assert_msg(pbx_route_check(&s, &r, &why), "%s/%s", why.field, why.key);
}
END_TEST

/* ---------- the route tester ---------- */

/* Priority order: mobile, international, fixed + catch-all, an exact number, premium. */
static void tester_routes(struct route out[5])
{
	out[0] = route(11, "Móviles", LIST("_[67]XXXXXXXX"), 0, "0034", LIST("mobile", "international"), IDS(7, 4), "");
	out[1] = route(14, "Internacional", LIST("_00X."), 2, "+", LIST("international"), IDS(7, 4), "+34910000000");
	out[2] = route(12, "Fijos", LIST("_[89]XXXXXXXX", "_X."), 0, "", LIST("national", "international"), IDS(4), "");
	out[3] = route(13, "Exacto", LIST("912345678"), 3, "0", LIST("national", "local"), IDS(7), "");
	out[4] = route(15, "Tarificación adicional", LIST("_80[36]XXXXXX"), 0, "", LIST("premium"), IDS(4), "");
}

struct tester_case {
	const char *number, *calling_class;
	enum pbx_route_verdict verdict;
	int64_t route_id;        /* MATCHED / NOT_ALLOWED */
	const char *pattern;
	size_t n_attempts;
	const char *trunk0, *number0, *callerid0;   /* the first attempt */
	const char *trunk1, *number1, *callerid1;   /* the second, if any */
	const char *why;
};

static const struct tester_case tester_cases[] = {
	{ "112", "internal", PBX_ROUTE_EMERGENCY, 0, "", 2, "acme", "112", "", "zeta", "112", "",
	  "emergency from the most restricted class, every trunk by name, number unchanged" },
	{ "091", "premium", PBX_ROUTE_EMERGENCY, 0, "", 2, "acme", "091", "", "zeta", "091", "",
	  "every emergency number, from every class" },
	{ "112", "gold", PBX_ROUTE_BAD_CLASS, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL, "unknown class" },
	{ "612345678", "", PBX_ROUTE_BAD_CLASS, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL, "no class" },
	{ "12a", "national", PBX_ROUTE_BAD_NUMBER, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL, "a letter" },
	{ "", "national", PBX_ROUTE_BAD_NUMBER, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL, "empty" },
	{ "612 345 678", "national", PBX_ROUTE_BAD_NUMBER, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL, "spaces" },
	{ "6123&PJSIP/x", "national", PBX_ROUTE_BAD_NUMBER, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL, "injection" },
	{ "34+6", "national", PBX_ROUTE_BAD_NUMBER, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL, "'+' not first" },
	{ "612345678", "mobile", PBX_ROUTE_MATCHED, 11, "_[67]XXXXXXXX", 2, "acme", "0034612345678", "34911000111",
	  "zeta", "0034612345678", "", "prepend; caller ID: the trunk's, else the caller's own" },
	{ "612345678", "national", PBX_ROUTE_MATCHED, 12, "_X.", 1, "zeta", "612345678", "", NULL, NULL, NULL,
	  "the first route is not for national: the next matching one the class may use" },
	{ "612345678", "internal", PBX_ROUTE_NOT_ALLOWED, 11, "_[67]XXXXXXXX", 0, NULL, NULL, NULL, NULL, NULL, NULL,
	  "no route for internal: names the first route that matches" },
	{ "0044123456", "international", PBX_ROUTE_MATCHED, 14, "_00X.", 2, "acme", "+44123456", "+34910000000",
	  "zeta", "+44123456", "+34910000000", "strip 2, prepend +; the route's caller ID beats the trunk's" },
	{ "0044123456", "mobile", PBX_ROUTE_NOT_ALLOWED, 14, "_00X.", 0, NULL, NULL, NULL, NULL, NULL, NULL,
	  "international and the catch-all match, neither for mobile: the first is named" },
	{ "0044123456", "national", PBX_ROUTE_MATCHED, 12, "_X.", 1, "zeta", "0044123456", "", NULL, NULL, NULL,
	  "a later catch-all the class may use" },
	{ "912345678", "national", PBX_ROUTE_MATCHED, 12, "_[89]XXXXXXXX", 1, "zeta", "912345678", "", NULL, NULL, NULL,
	  "an earlier route wins over a later exact number; within a route, the more specific pattern" },
	{ "912345678", "local", PBX_ROUTE_MATCHED, 13, "912345678", 1, "acme", "0345678", "34911000111", NULL, NULL,
	  NULL, "the exact route when the earlier ones are not for the class; strip 3, prepend 0" },
	{ "803123456", "premium", PBX_ROUTE_MATCHED, 15, "_80[36]XXXXXX", 1, "zeta", "803123456", "", NULL, NULL, NULL,
	  "premium: past the catch-all it may not use" },
	{ "803123456", "mobile", PBX_ROUTE_NOT_ALLOWED, 12, "_[89]XXXXXXXX", 0, NULL, NULL, NULL, NULL, NULL, NULL,
	  "the catch-all route is the first that matches; its best pattern is named" },
	{ "5", "national", PBX_ROUTE_NO_ROUTE, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL,
	  "'_X.' needs two characters at least" },
	{ "*21", "international", PBX_ROUTE_NO_ROUTE, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL,
	  "X is a digit, not '*'" },
	{ "+4412345", "international", PBX_ROUTE_NO_ROUTE, 0, "", 0, NULL, NULL, NULL, NULL, NULL, NULL,
	  "nor '+'" },
	{ "1120", "national", PBX_ROUTE_MATCHED, 12, "_X.", 1, "zeta", "1120", "", NULL, NULL, NULL,
	  "emergency numbers are exact, not prefixes" },
};

static void expect_attempt(const struct tester_case *c, const struct pbx_route_attempt *a, const char *trunk_name,
			   const char *number, const char *callerid)
{
	ck_assert_msg(strcmp(a->trunk, trunk_name) == 0 && strcmp(a->number, number) == 0 &&
			      strcmp(a->callerid, callerid) == 0,
		      "%s (%s): got %s/%s/%s, expected %s/%s/%s", c->number, c->why, a->trunk, a->number, a->callerid,
		      trunk_name, number, callerid);
}

START_TEST(route_tester_table)
{
	const struct tester_case *c = &tester_cases[_i];
	struct pbx_settings s = six_classes();
	struct trunk trunks[2];
	struct route routes[5];
	golden_trunks(trunks);
	tester_routes(routes);
	struct pbx_plan_input in = { routes, 5, trunks, 2 };
	struct pbx_route_answer *a = malloc(sizeof *a);
	ck_assert_ptr_nonnull(a);
	pbx_route_test(&s, &in, c->number, c->calling_class, a);
	ck_assert_msg(a->verdict == c->verdict, "%s %s (%s): verdict %d, expected %d", c->number, c->calling_class,
		      c->why, a->verdict, c->verdict);
	if (c->verdict == PBX_ROUTE_MATCHED || c->verdict == PBX_ROUTE_NOT_ALLOWED) {
		ck_assert_ptr_nonnull(a->route);
		ck_assert_msg(a->route->id == c->route_id, "%s (%s): route %lld", c->number, c->why,
			      (long long)a->route->id);
		ck_assert_msg(a->route >= routes && a->route < routes + 5, "points into the input");
		ck_assert_str_eq(a->pattern, c->pattern);
	} else {
		ck_assert_ptr_null(a->route);
	}
	ck_assert_msg(a->n_attempts == c->n_attempts, "%s (%s): %zu attempts", c->number, c->why, a->n_attempts);
	if (c->n_attempts > 0)
		expect_attempt(c, &a->attempts[0], c->trunk0, c->number0, c->callerid0);
	if (c->n_attempts > 1)
		expect_attempt(c, &a->attempts[1], c->trunk1, c->number1, c->callerid1);
	free(a);
}
END_TEST

START_TEST(route_tester_follows_route_order)
{
	/* Moving the exact route above the catch-all changes who takes 912345678 (and attempts carry ids). */
	struct pbx_settings s = six_classes();
	struct trunk trunks[2];
	struct route routes[5];
	golden_trunks(trunks);
	tester_routes(routes);
	struct route moved = routes[2];
	routes[2] = routes[3];
	routes[3] = moved;
	struct pbx_plan_input in = { routes, 5, trunks, 2 };
	struct pbx_route_answer *a = malloc(sizeof *a);
	ck_assert_ptr_nonnull(a);
	pbx_route_test(&s, &in, "912345678", "national", a);
	ck_assert_int_eq(a->verdict, PBX_ROUTE_MATCHED);
	ck_assert_int_eq(a->route->id, 13);
	ck_assert_uint_eq(a->n_attempts, 1);
	ck_assert_int_eq(a->attempts[0].trunk_id, 7);
	ck_assert_str_eq(a->attempts[0].number, "0345678");

	/* No trunks at all: an emergency number is still recognised, with nothing to try. */
	in.n_trunks = 0;
	pbx_route_test(&s, &in, "112", "national", a);
	ck_assert_int_eq(a->verdict, PBX_ROUTE_EMERGENCY);
	ck_assert_uint_eq(a->n_attempts, 0);

	/* No routes: nothing matches. */
	in.n_routes = 0;
	pbx_route_test(&s, &in, "912345678", "national", a);
	ck_assert_int_eq(a->verdict, PBX_ROUTE_NO_ROUTE);
	free(a);
}
END_TEST

START_TEST(route_tester_agrees_with_the_dialplan)
{
	/* What the tester says a number becomes is what the route's Goto() line computes: the prepend, then
	 * ${EXTEN:strip}. Checked on the golden routes' lines. */
	struct pbx_settings s = settings();
	struct trunk trunks[2];
	struct route routes[2];
	golden_trunks(trunks);
	golden_routes(routes);
	struct pbx_plan_input in = { routes, 2, trunks, 2 };
	struct pbx_route_answer *a = malloc(sizeof *a);
	ck_assert_ptr_nonnull(a);
	pbx_route_test(&s, &in, "00351211234567", "international", a);
	ck_assert_int_eq(a->verdict, PBX_ROUTE_MATCHED);
	ck_assert_str_eq(a->attempts[0].number, "+351211234567");
	ck_assert_str_eq(a->attempts[0].trunk, "zeta");
	ck_assert_str_eq(a->attempts[1].trunk, "acme");
	ck_assert_ptr_nonnull(strstr(golden_text, "_00X.,1,Goto(centralita-route-9-out,+${FILTER(0123456789*#+,${EXTEN:2})},1)"));
	free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("route_plan");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, golden_dialplan);
	tcase_add_test(tc, context_names);
	tcase_add_test(tc, nothing_configured_but_classes);
	tcase_add_test(tc, caller_id_only_where_needed);
	tcase_add_test(tc, route_order_is_include_order);
	tcase_add_test(tc, many_routes_split_into_several_requests);
	tcase_add_test(tc, plan_refuses_what_was_not_checked);
	tcase_add_loop_test(tc, route_check_refuses, 0, (int)LEN(route_refusals));
	tcase_add_test(tc, route_check_accepts);
	tcase_add_loop_test(tc, route_tester_table, 0, (int)LEN(tester_cases));
	tcase_add_test(tc, route_tester_follows_route_order);
	tcase_add_test(tc, route_tester_agrees_with_the_dialplan);
	suite_add_tcase(s, tc);
	return check_run(s);
}
