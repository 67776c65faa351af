/* Unit tests: GetConfig parsing (fixtures: the real Asterisk 22 answers in the transcripts) and the config
 * diff, checked by applying its actions to an in-memory model of Asterisk's UpdateConfig semantics (ami.md):
 * the result must equal the wanted state and a second diff must be empty. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ami/ami.h"
#include "support/ami_test_support.h"

/* ---------- fixtures ---------- */

/* The n-th message of a transcript whose ActionID is id. */
static struct ami_msg *transcript_answer(const char *name, const char *id)
{
	size_t len, n;
	char *data = amit_transcript_stream(name, &len);
	struct ami_msg **m = amit_parse_all(data, len, len, true, &n);
	struct ami_msg *found = NULL;
	for (size_t i = 0; i < n && !found; i++) {
		const char *aid = ami_msg_get(m[i], "ActionID");
		if (aid && strcmp(aid, id) == 0)
			found = ami_msg_dup(m[i]);
	}
	amit_msgs_free(m);
	free(data);
	ck_assert_msg(found != NULL, "%s: no answer %s", name, id);
	return found;
}

START_TEST(getconfig_parse_transcript)
{
	struct ami_msg *g1 = transcript_answer("05-updateconfig", "g1");
	struct ami_config c;
	char err[200];
	ck_assert_int_eq(ami_config_parse(g1, &c, err, sizeof err), 0);
	ck_assert_uint_eq(c.n_cats, 2);
	ck_assert_str_eq(c.cats[0].name, "alpha");
	ck_assert(!c.cats[0].is_template);
	ck_assert_uint_eq(c.cats[0].n_lines, 3);
	ck_assert_str_eq(c.cats[0].lines[1].name, "allow");
	ck_assert_str_eq(c.cats[0].lines[1].value, "ulaw");
	ck_assert_str_eq(c.cats[0].lines[2].value, "alaw");
	ck_assert_str_eq(c.cats[1].name, "beta");
	ck_assert_uint_eq(c.cats[1].n_templates, 1);
	ck_assert_str_eq(c.cats[1].templates[0], "tpl");
	ck_assert_str_eq(c.cats[1].lines[1].name, "exten");
	ck_assert_str_eq(c.cats[1].lines[1].value, "100,1,NoOp()");   /* split at the first '=' only */
	ck_assert_str_eq(c.cats[1].lines[2].value, "semi;colon");
	ck_assert_str_eq(ami_cfg_cat_get(&c.cats[0], "TYPE"), "endpoint");
	ck_assert_str_eq(ami_cfg_cat_get(&c.cats[0], "allow"), "alaw");   /* the last one, like Asterisk */
	ck_assert_ptr_null(ami_cfg_cat_get(&c.cats[0], "nosuch"));
	ami_config_free(&c);
	ami_msg_destroy(g1);

	struct ami_msg *g4 = transcript_answer("05-updateconfig", "g4");
	ck_assert_int_eq(ami_config_parse(g4, &c, err, sizeof err), 0);
	ck_assert_uint_eq(c.n_cats, 0);
	ami_config_free(&c);
	ami_msg_destroy(g4);

	struct ami_msg *g2 = transcript_answer("05-updateconfig", "g2");
	ck_assert_int_eq(ami_config_parse(g2, &c, err, sizeof err), 0);
	ck_assert_str_eq(c.cats[0].lines[0].name, "disallow");
	ck_assert_str_eq(c.cats[0].lines[2].value, "g722");
	ami_config_free(&c);
	ami_msg_destroy(g2);
}
END_TEST

START_TEST(getconfig_parse_template_flag_and_errors)
{
	const char *s = "Response: Success\r\nActionID: x\r\nCategory-000000: tpl\r\nIsTemplate-000000: 1\r\n"
	                "Templates-000000: a,b\r\nLine-000000-000000: k=v=w\r\nLine-000000-000001: novalue\r\n\r\n";
	size_t n;
	struct ami_msg **m = amit_parse_all(s, strlen(s), strlen(s), false, &n);
	struct ami_config c;
	char err[200];
	ck_assert_int_eq(ami_config_parse(m[0], &c, err, sizeof err), 0);
	ck_assert(c.cats[0].is_template);
	ck_assert_uint_eq(c.cats[0].n_templates, 2);
	ck_assert_str_eq(c.cats[0].templates[1], "b");
	ck_assert_str_eq(c.cats[0].lines[0].value, "v=w");
	ck_assert_str_eq(c.cats[0].lines[1].name, "novalue");
	ck_assert_str_eq(c.cats[0].lines[1].value, "");
	ami_config_free(&c);
	amit_msgs_free(m);

	const char *bad = "Response: Success\r\nLine-000003-000000: k=v\r\n\r\n";
	m = amit_parse_all(bad, strlen(bad), strlen(bad), false, &n);
	ck_assert_int_eq(ami_config_parse(m[0], &c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "before its category"));
	amit_msgs_free(m);
}
END_TEST

/* ---------- a model of Asterisk's UpdateConfig ---------- */

static void cat_init(struct ami_cfg_cat *k, const char *name)
{
	memset(k, 0, sizeof *k);
	k->name = strdup(name);
}

static void cat_add_line(struct ami_cfg_cat *k, size_t at, const char *name, const char *value)
{
	k->lines = realloc(k->lines, (k->n_lines + 1) * sizeof *k->lines);
	memmove(&k->lines[at + 1], &k->lines[at], (k->n_lines - at) * sizeof *k->lines);
	k->lines[at].name = strdup(name);
	k->lines[at].value = strdup(value);
	k->n_lines++;
}

static void cat_del_line(struct ami_cfg_cat *k, size_t at)
{
	free(k->lines[at].name);
	free(k->lines[at].value);
	memmove(&k->lines[at], &k->lines[at + 1], (k->n_lines - at - 1) * sizeof *k->lines);
	k->n_lines--;
}

static void cfg_copy(struct ami_config *dst, const struct ami_config *src)
{
	dst->n_cats = src->n_cats;
	dst->cats = calloc(src->n_cats + 1, sizeof *dst->cats);
	for (size_t i = 0; i < src->n_cats; i++) {
		cat_init(&dst->cats[i], src->cats[i].name);
		for (size_t j = 0; j < src->cats[i].n_lines; j++)
			cat_add_line(&dst->cats[i], j, src->cats[i].lines[j].name, src->cats[i].lines[j].value);
	}
}

static bool cat_matches(const struct ami_cfg_cat *k, const char *name, const char *filter)
{
	if (strcasecmp(k->name, name) != 0)
		return false;
	if (!filter)
		return true;
	char var[64];
	const char *eq = strchr(filter, '=');
	snprintf(var, sizeof var, "%.*s", (int)(eq - filter), filter);
	for (size_t i = 0; i < k->n_lines; i++)
		if (strcasecmp(k->lines[i].name, var) == 0 && strcmp(k->lines[i].value, eq + 1) == 0)
			return true;
	return false;
}

/* Applies u to cfg all-or-nothing. Returns NULL on success or Asterisk's error message. */
static const char *model_apply(struct ami_config *cfg, const struct ami_update *u)
{
	struct ami_config w;
	cfg_copy(&w, cfg);
	const char *fail = NULL;
	for (size_t i = 0; i < u->n && !fail; i++) {
		const struct ami_uc_op *op = &u->ops[i];
		size_t hits = 0;
		if (op->action == AMI_UC_NEWCAT) {
			for (size_t j = 0; j < w.n_cats; j++)
				if (strcasecmp(w.cats[j].name, op->cat) == 0)
					fail = "Create category did not complete successfully";
			if (!fail) {
				w.cats = realloc(w.cats, (w.n_cats + 1) * sizeof *w.cats);
				cat_init(&w.cats[w.n_cats++], op->cat);
			}
			continue;
		}
		for (size_t j = 0; j < w.n_cats && !fail; j++) {
			struct ami_cfg_cat *k = &w.cats[j];
			if (!cat_matches(k, op->cat, op->filter))
				continue;
			hits++;
			switch (op->action) {
			case AMI_UC_RENAMECAT:
				free(k->name);
				k->name = strdup(op->value);
				break;
			case AMI_UC_DELCAT:
				while (k->n_lines)
					cat_del_line(k, 0);
				free(k->lines);
				free(k->name);
				memmove(k, k + 1, (w.n_cats - j - 1) * sizeof *k);
				w.n_cats--;
				j--;
				break;
			case AMI_UC_EMPTYCAT:
				while (k->n_lines)
					cat_del_line(k, 0);
				break;
			case AMI_UC_APPEND:
				cat_add_line(k, k->n_lines, op->var, op->value);
				break;
			case AMI_UC_INSERT:
				cat_add_line(k, (size_t)op->line < k->n_lines ? (size_t)op->line : k->n_lines, op->var, op->value);
				break;
			case AMI_UC_UPDATE: {
				long last = -1;
				for (size_t l = 0; l < k->n_lines; l++)
					if (strcasecmp(k->lines[l].name, op->var) == 0 &&
					    (!op->match || strcmp(k->lines[l].value, op->match) == 0))
						last = (long)l;
				if (last < 0)
					fail = "Update did not complete successfully";
				else {
					free(k->lines[last].value);
					k->lines[last].value = strdup(op->value);
				}
				break;
			}
			case AMI_UC_DELETE: {
				size_t del = 0;
				for (size_t l = 0; l < k->n_lines;)
					if (strcasecmp(k->lines[l].name, op->var) == 0 &&
					    (!op->match || strcmp(k->lines[l].value, op->match) == 0)) {
						cat_del_line(k, l);
						del++;
					} else
						l++;
				if (!del)
					fail = "Update did not complete successfully";
				break;
			}
			case AMI_UC_NEWCAT:
				break;
			}
		}
		if (!fail && hits == 0)
			fail = "Given category does not exist";
	}
	if (fail) {
		ami_config_free(&w);
		return fail;
	}
	ami_config_free(cfg);
	*cfg = w;
	return NULL;
}

/* ---------- diff helpers ---------- */

/* Wanted state in a compact text form: "name[:type] k=v k=v" per entry. Lines are static storage. */
struct want_set {
	struct ami_cfg_want w[16];
	struct ami_cfg_line lines[16][32];
	char buf[16][512];
	size_t n;
};

static void want_parse(struct want_set *ws, const char *const *spec, size_t n)
{
	memset(ws, 0, sizeof *ws);
	for (size_t i = 0; i < n; i++) {
		snprintf(ws->buf[i], sizeof ws->buf[i], "%s", spec[i]);
		char *save = NULL, *tok = strtok_r(ws->buf[i], " ", &save);
		char *colon = strchr(tok, ':');
		if (colon)
			*colon = '\0';
		ws->w[i].name = tok;
		ws->w[i].type = colon ? colon + 1 : NULL;
		size_t l = 0;
		while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
			char *eq = strchr(tok, '=');
			*eq = '\0';
			ws->lines[i][l].name = tok;
			ws->lines[i][l].value = eq + 1;
			l++;
		}
		ws->w[i].lines = ws->lines[i];
		ws->w[i].n_lines = l;
	}
	ws->n = n;
}

/* Checks that cfg's categories named in owned equal want, in wanted order per name. */
static void assert_state(const struct ami_config *cfg, const struct want_set *ws)
{
	size_t seen = 0;
	for (size_t i = 0; i < cfg->n_cats; i++) {
		const struct ami_cfg_cat *k = &cfg->cats[i];
		const struct ami_cfg_want *match = NULL;
		for (size_t j = 0; j < ws->n && !match; j++) {
			const struct ami_cfg_want *w = &ws->w[j];
			if (strcasecmp(w->name, k->name) != 0)
				continue;
			const char *t = ami_cfg_cat_get(k, "type");
			if (!w->type || (t && strcmp(t, w->type) == 0))
				match = w;
		}
		if (!match)
			continue;
		seen++;
		ck_assert_msg(k->n_lines == match->n_lines, "[%s] has %zu lines, want %zu", k->name, k->n_lines,
		              match->n_lines);
		for (size_t l = 0; l < k->n_lines; l++) {
			ck_assert_str_eq(k->lines[l].name, match->lines[l].name);
			ck_assert_str_eq(k->lines[l].value, match->lines[l].value);
		}
	}
	ck_assert_uint_eq(seen, ws->n);
}

/* diff → apply → state == want → diff again is empty. Returns the number of actions of the first diff. */
static size_t converge(struct ami_config *cfg, const char *const *owned, size_t n_owned, const char *const *spec,
                       size_t n_spec, struct ami_update *first)
{
	struct want_set ws;
	want_parse(&ws, spec, n_spec);
	char err[300];
	ami_update_init(first, "pjsip.conf");
	ck_assert_msg(ami_config_diff(cfg, owned, n_owned, ws.w, ws.n, first, err, sizeof err) == 0, "%s", err);
	const char *fail = model_apply(cfg, first);
	ck_assert_msg(fail == NULL, "apply failed: %s", fail);
	assert_state(cfg, &ws);
	struct ami_update again;
	ami_update_init(&again, "pjsip.conf");
	ck_assert_int_eq(ami_config_diff(cfg, owned, n_owned, ws.w, ws.n, &again, err, sizeof err), 0);
	ck_assert_msg(again.n == 0, "second diff not empty: %zu actions, first %s", again.n,
	              again.n ? ami_uc_action_name(again.ops[0].action) : "");
	ami_update_free(&again);
	/* The actions must also make a valid request (or be refused only for their size). */
	struct ami_msg m;
	ami_msg_init(&m);
	if (ami_update_build(first, &m, err, sizeof err) != 0)
		ck_assert_msg(strstr(err, "limit 128") && first->n > 20, "%s", err);
	ami_msg_free(&m);
	return first->n;
}

static void cfg_empty(struct ami_config *c)
{
	c->cats = NULL;
	c->n_cats = 0;
}

/* ---------- diff tests ---------- */

START_TEST(diff_creates_then_is_idempotent)
{
	struct ami_config cfg;
	cfg_empty(&cfg);
	const char *owned[] = { "201", "202" };
	const char *want[] = { "201 type=endpoint context=internal allow=ulaw allow=alaw", "202 type=endpoint" };
	struct ami_update u;
	ck_assert_uint_eq(converge(&cfg, owned, 2, want, 2, &u), 7);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_NEWCAT);
	ck_assert_str_eq(u.ops[0].cat, "201");
	ck_assert_int_eq(u.ops[1].action, AMI_UC_APPEND);
	ck_assert_ptr_null(u.ops[1].filter);
	ami_update_free(&u);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_changed_value_is_one_update)
{
	struct ami_config cfg;
	cfg_empty(&cfg);
	const char *owned[] = { "201" };
	const char *v1[] = { "201 type=auth username=201 password=old" };
	const char *v2[] = { "201 type=auth username=201 password=new" };
	struct ami_update u;
	converge(&cfg, owned, 1, v1, 1, &u);
	ami_update_free(&u);
	ck_assert_uint_eq(converge(&cfg, owned, 1, v2, 1, &u), 1);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_UPDATE);
	ck_assert_str_eq(u.ops[0].var, "password");
	ck_assert_str_eq(u.ops[0].value, "new");
	ami_update_free(&u);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_removed_variable)
{
	struct ami_config cfg;
	cfg_empty(&cfg);
	const char *owned[] = { "201" };
	const char *v1[] = { "201 type=endpoint callerid=Bob context=internal" };
	const char *v2[] = { "201 type=endpoint context=internal" };
	struct ami_update u;
	converge(&cfg, owned, 1, v1, 1, &u);
	ami_update_free(&u);
	ck_assert_uint_eq(converge(&cfg, owned, 1, v2, 1, &u), 1);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_DELETE);
	ck_assert_str_eq(u.ops[0].var, "callerid");
	ami_update_free(&u);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_multi_valued_variables)
{
	struct ami_config cfg;
	cfg_empty(&cfg);
	const char *owned[] = { "201" };
	const char *v1[] = { "201 type=endpoint context=internal allow=ulaw allow=alaw" };
	const char *v2[] = { "201 type=endpoint context=internal allow=ulaw allow=g722" };
	const char *v3[] = { "201 type=endpoint context=internal allow=ulaw allow=g722 allow=opus" };
	const char *v4[] = { "201 type=endpoint disallow=all allow=g722 context=internal" };
	const char *v5[] = { "201 type=endpoint disallow=all allow=g722 allow=ulaw context=internal" };
	struct ami_update u;
	converge(&cfg, owned, 1, v1, 1, &u);
	ami_update_free(&u);
	/* allow list changed at the end: Delete allow + 2 Appends. */
	ck_assert_uint_eq(converge(&cfg, owned, 1, v2, 1, &u), 3);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_DELETE);
	ami_update_free(&u);
	/* one more allow at the end: a single Append. */
	ck_assert_uint_eq(converge(&cfg, owned, 1, v3, 1, &u), 1);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_APPEND);
	ami_update_free(&u);
	/* order matters (disallow before allow): converges whatever edit is chosen. */
	converge(&cfg, owned, 1, v4, 1, &u);
	ami_update_free(&u);
	converge(&cfg, owned, 1, v5, 1, &u);
	ami_update_free(&u);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_same_named_sections)
{
	struct ami_config cfg;
	cfg_empty(&cfg);
	const char *owned[] = { "201" };
	const char *v1[] = { "201:endpoint type=endpoint aors=201 auth=201 allow=ulaw",
	                     "201:aor type=aor max_contacts=1",
	                     "201:auth type=auth username=201 password=a" };
	struct ami_update u;
	converge(&cfg, owned, 1, v1, 3, &u);
	/* The 2nd and 3rd were created under temporary names and renamed in the same request. */
	size_t renames = 0;
	for (size_t i = 0; i < u.n; i++)
		renames += u.ops[i].action == AMI_UC_RENAMECAT;
	ck_assert_uint_eq(renames, 2);
	ami_update_free(&u);
	ck_assert_uint_eq(cfg.n_cats, 3);

	/* Change the aor only: one Update carrying catfilter="type=aor". */
	const char *v2[] = { "201:endpoint type=endpoint aors=201 auth=201 allow=ulaw",
	                     "201:aor type=aor max_contacts=5",
	                     "201:auth type=auth username=201 password=a" };
	ck_assert_uint_eq(converge(&cfg, owned, 1, v2, 3, &u), 1);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_UPDATE);
	ck_assert_str_eq(u.ops[0].filter, "type=aor");
	ami_update_free(&u);

	/* Drop the auth section: DelCat with a filter, the others untouched. */
	const char *v3[] = { "201:endpoint type=endpoint aors=201 allow=ulaw", "201:aor type=aor max_contacts=5" };
	ck_assert_uint_eq(converge(&cfg, owned, 1, v3, 2, &u), 2);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_DELCAT);
	ck_assert_str_eq(u.ops[0].filter, "type=auth");
	ck_assert_int_eq(u.ops[1].action, AMI_UC_DELETE);
	ck_assert_str_eq(u.ops[1].filter, "type=endpoint");
	ami_update_free(&u);

	/* A reshuffle of the endpoint that cannot be done in place with a filter (no EmptyCat: the type line
	 * that the filter needs would vanish): DelCat + re-create. */
	const char *v4[] = { "201:endpoint type=endpoint allow=g722 aors=201", "201:aor type=aor max_contacts=5" };
	converge(&cfg, owned, 1, v4, 2, &u);
	for (size_t i = 0; i < u.n; i++)
		ck_assert_int_ne(u.ops[i].action, AMI_UC_EMPTYCAT);
	ami_update_free(&u);

	/* Back to a single section: the endpoint goes, the aor stays and loses nothing. */
	const char *v5[] = { "201:aor type=aor max_contacts=5" };
	ck_assert_uint_eq(converge(&cfg, owned, 1, v5, 1, &u), 1);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_DELCAT);
	ami_update_free(&u);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_deletes_owned_and_spares_others)
{
	struct ami_config cfg;
	cfg_empty(&cfg);
	const char *owned[] = { "201", "202", "transport-udp" };
	const char *v1[] = { "201 type=endpoint", "202 type=endpoint", "transport-udp type=transport" };
	struct ami_update u;
	converge(&cfg, owned, 3, v1, 3, &u);
	ami_update_free(&u);
	const char *owned2[] = { "201", "202" };   /* the transport is no longer ours: left alone */
	const char *v2[] = { "201 type=endpoint" };
	ck_assert_uint_eq(converge(&cfg, owned2, 2, v2, 1, &u), 1);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_DELCAT);
	ck_assert_str_eq(u.ops[0].cat, "202");
	ck_assert_uint_eq(cfg.n_cats, 2);
	ami_update_free(&u);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_against_transcript_getconfig)
{
	/* GetConfig g2 of the real transcript: alpha has disallow=all, type=endpoint, allow=g722. */
	struct ami_msg *g2 = transcript_answer("05-updateconfig", "g2");
	struct ami_config cfg;
	char err[200];
	ck_assert_int_eq(ami_config_parse(g2, &cfg, err, sizeof err), 0);
	ami_msg_destroy(g2);
	const char *owned[] = { "alpha" };
	const char *same[] = { "alpha disallow=all type=endpoint allow=g722" };
	struct ami_update u;
	ck_assert_uint_eq(converge(&cfg, owned, 1, same, 1, &u), 0);
	ami_update_free(&u);
	const char *more[] = { "alpha disallow=all type=endpoint allow=g722 allow=ulaw" };
	ck_assert_uint_eq(converge(&cfg, owned, 1, more, 1, &u), 1);
	ami_update_free(&u);
	ck_assert_str_eq(cfg.cats[1].name, "beta");   /* not owned: untouched */
	ck_assert_uint_eq(cfg.cats[1].n_lines, 3);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_ambiguous_current_is_rebuilt)
{
	/* Two current [301] sections without type lines cannot be targeted: the whole name is rebuilt. */
	struct ami_config cfg;
	cfg_empty(&cfg);
	cfg.cats = calloc(2, sizeof *cfg.cats);
	cat_init(&cfg.cats[0], "301");
	cat_add_line(&cfg.cats[0], 0, "a", "1");
	cat_init(&cfg.cats[1], "301");
	cat_add_line(&cfg.cats[1], 0, "b", "2");
	cfg.n_cats = 2;
	const char *owned[] = { "301" };
	const char *v[] = { "301 a=1 c=3" };
	struct ami_update u;
	converge(&cfg, owned, 1, v, 1, &u);
	ck_assert_int_eq(u.ops[0].action, AMI_UC_DELCAT);
	ck_assert_ptr_null(u.ops[0].filter);
	ck_assert_uint_eq(cfg.n_cats, 1);
	ami_update_free(&u);
	ami_config_free(&cfg);
}
END_TEST

START_TEST(diff_rejects_bad_input)
{
	struct ami_config cfg;
	cfg_empty(&cfg);
	char err[300];
	struct ami_update u;
	struct want_set ws;
	const char *owned[] = { "201" };

	const char *notowned[] = { "202 type=endpoint" };
	want_parse(&ws, notowned, 1);
	ami_update_init(&u, "pjsip.conf");
	ck_assert_int_eq(ami_config_diff(&cfg, owned, 1, ws.w, ws.n, &u, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not in the owned set"));
	ami_update_free(&u);

	const char *untyped[] = { "201 type=endpoint", "201 type=aor" };
	want_parse(&ws, untyped, 2);
	ami_update_init(&u, "pjsip.conf");
	ck_assert_int_eq(ami_config_diff(&cfg, owned, 1, ws.w, ws.n, &u, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "each needs a type"));
	ami_update_free(&u);

	const char *typeline[] = { "201:aor max_contacts=1" };
	want_parse(&ws, typeline, 1);
	ami_update_init(&u, "pjsip.conf");
	ck_assert_int_eq(ami_config_diff(&cfg, owned, 1, ws.w, ws.n, &u, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no type=aor line"));
	ami_update_free(&u);

	const char *badname[] = { "20]1 type=aor" };
	const char *owned_bad[] = { "20]1" };
	want_parse(&ws, badname, 1);
	ami_update_init(&u, "pjsip.conf");
	ck_assert_int_eq(ami_config_diff(&cfg, owned_bad, 1, ws.w, ws.n, &u, err, sizeof err), -1);
	ami_update_free(&u);

	/* A value with a line break never reaches a request. */
	struct ami_cfg_line l[] = { { "type", "aor" }, { "x", "a\r\nAction: Command" } };
	struct ami_cfg_want w = { "201", NULL, l, 2 };
	ami_update_init(&u, "pjsip.conf");
	ck_assert_int_eq(ami_config_diff(&cfg, owned, 1, &w, 1, &u, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "carriage return"));
	ami_update_free(&u);
}
END_TEST

/* Random wanted states, applied one after another: each must converge in one step. */
START_TEST(diff_random_walk_converges)
{
	unsigned seed = 12345;
	struct ami_config cfg;
	cfg_empty(&cfg);
	const char *owned[] = { "301", "302", "303" };
	static const char *const names[] = { "type", "allow", "disallow", "context", "callerid" };
	static const char *const values[] = { "a", "b", "c", "ulaw" };
	static const char *const types[] = { "endpoint", "aor", "auth" };
	for (int round = 0; round < 300; round++) {
		char specbuf[8][512];
		const char *spec[8];
		size_t n = 0;
		for (size_t c = 0; c < 3; c++) {
			seed = seed * 1103515245u + 12345u;
			unsigned mask = (seed >> 16) % 8;   /* which types this name has */
			bool several = __builtin_popcount(mask) > 1;
			for (size_t t = 0; t < 3; t++) {
				if (!(mask & (1u << t)))
					continue;
				int len = snprintf(specbuf[n], sizeof specbuf[n], "%s%s%s type=%s", owned[c],
				                   several ? ":" : "", several ? types[t] : "", types[t]);
				seed = seed * 1103515245u + 12345u;
				unsigned lines = (seed >> 16) % 5;
				for (unsigned l = 0; l < lines; l++) {
					seed = seed * 1103515245u + 12345u;
					unsigned r = seed >> 16;
					len += snprintf(specbuf[n] + len, sizeof specbuf[n] - (size_t)len, " %s=%s",
					                names[1 + r % 4], values[(r / 4) % 4]);
				}
				spec[n] = specbuf[n];
				n++;
			}
		}
		struct ami_update u;
		converge(&cfg, owned, 3, spec, n, &u);
		ami_update_free(&u);
	}
	ami_config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ami_config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, getconfig_parse_transcript);
	tcase_add_test(tc, getconfig_parse_template_flag_and_errors);
	tcase_add_test(tc, diff_creates_then_is_idempotent);
	tcase_add_test(tc, diff_changed_value_is_one_update);
	tcase_add_test(tc, diff_removed_variable);
	tcase_add_test(tc, diff_multi_valued_variables);
	tcase_add_test(tc, diff_same_named_sections);
	tcase_add_test(tc, diff_deletes_owned_and_spares_others);
	tcase_add_test(tc, diff_against_transcript_getconfig);
	tcase_add_test(tc, diff_ambiguous_current_is_rebuilt);
	tcase_add_test(tc, diff_rejects_bad_input);
	tcase_add_test(tc, diff_random_walk_converges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
