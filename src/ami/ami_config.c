/* ami_config: the UpdateConfig builder, the GetConfig parser, and the diff that turns a wanted set of owned
 * categories into the UpdateConfig actions reaching it. Pure data: no I/O. */
#include "ami/ami_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------- UpdateConfig builder ---------- */

static const char *const uc_names[] = {
	[AMI_UC_NEWCAT] = "NewCat", [AMI_UC_RENAMECAT] = "RenameCat", [AMI_UC_DELCAT] = "DelCat",
	[AMI_UC_EMPTYCAT] = "EmptyCat", [AMI_UC_UPDATE] = "Update", [AMI_UC_DELETE] = "Delete",
	[AMI_UC_APPEND] = "Append", [AMI_UC_INSERT] = "Insert",
};

const char *ami_uc_action_name(enum ami_uc_action a)
{
	return (unsigned)a < sizeof uc_names / sizeof uc_names[0] ? uc_names[a] : "?";
}

void ami_update_init(struct ami_update *u, const char *filename)
{
	memset(u, 0, sizeof *u);
	char e[160];
	if (ami_filename_check(filename, e, sizeof e) != 0) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig: %s", e);
		filename = "";
	}
	u->src = ami_xstrdup(filename);
	u->dst = ami_xstrdup(filename);
}

static void op_free(struct ami_uc_op *op)
{
	free(op->cat);
	free(op->var);
	free(op->value);
	free(op->match);
	free(op->options);
	free(op->filter);
}

void ami_update_set_source(struct ami_update *u, const char *src)
{
	char e[160];
	if (ami_filename_check(src, e, sizeof e) != 0) {
		if (!u->err[0])
			ami_seterr(u->err, sizeof u->err, "UpdateConfig source: %s", e);
		return;
	}
	free(u->src);
	u->src = ami_xstrdup(src);
}

void ami_update_free(struct ami_update *u)
{
	for (size_t i = 0; i < u->n; i++)
		op_free(&u->ops[i]);
	free(u->ops);
	free(u->src);
	free(u->dst);
	free(u->reload);
	memset(u, 0, sizeof *u);
}

void ami_update_set_reload(struct ami_update *u, const char *reload)
{
	free(u->reload);
	u->reload = reload ? ami_xstrdup(reload) : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? ami_xstrdup(s) : NULL;
}

/* Checks a free-text field for line breaks and NUL-free length; names the field. */
static int text_ok(struct ami_update *u, size_t idx, const char *field, const char *v)
{
	if (!v)
		return 0;
	char key[32], e[200];
	snprintf(key, sizeof key, "%s-%06zu", field, idx);
	if (ami_msg_check_header(key, v, strlen(v), e, sizeof e) != 0) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig %s", e);
		return -1;
	}
	return 0;
}

int ami_update_add(struct ami_update *u, enum ami_uc_action action, const char *cat, const char *var,
                   const char *value, const char *match, long line, const char *options, const char *filter)
{
	if (u->err[0])
		return -1;
	size_t idx = u->n;
	const char *an = ami_uc_action_name(action);
	char e[160];
	if ((unsigned)action > AMI_UC_INSERT) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig action %zu: unknown action", idx);
		return -1;
	}
	if (ami_category_name_check(cat, e, sizeof e) != 0) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig Cat-%06zu (%s): %s", idx, an, e);
		return -1;
	}
	bool needs_var = action == AMI_UC_UPDATE || action == AMI_UC_APPEND || action == AMI_UC_INSERT;
	if (needs_var && (!var || !value)) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig action %zu (%s): Var and Value are required", idx, an);
		return -1;
	}
	if (action == AMI_UC_DELETE && !var && line < 0) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig action %zu (Delete): Var or Line is required", idx);
		return -1;
	}
	if (action == AMI_UC_INSERT && line < 0) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig action %zu (Insert): Line is required", idx);
		return -1;
	}
	if (var && ami_varname_check(var, e, sizeof e) != 0) {
		ami_seterr(u->err, sizeof u->err, "UpdateConfig Var-%06zu: %s", idx, e);
		return -1;
	}
	if (action == AMI_UC_RENAMECAT) {
		if (ami_category_name_check(value, e, sizeof e) != 0) {
			ami_seterr(u->err, sizeof u->err, "UpdateConfig Value-%06zu (RenameCat new name): %s", idx, e);
			return -1;
		}
	}
	if (filter) {
		/* Sent as catfilter="filter": a quote or comma would end it early and retarget the action. */
		const char *eq = strchr(filter, '=');
		if (!eq || eq == filter || strpbrk(filter, "\",\r\n")) {
			ami_seterr(u->err, sizeof u->err,
			           "UpdateConfig Options-%06zu: category filter must be name=value without quotes or commas",
			           idx);
			return -1;
		}
	}
	if (text_ok(u, idx, "Value", value) || text_ok(u, idx, "Match", match) || text_ok(u, idx, "Options", options) ||
	    text_ok(u, idx, "Options", filter))
		return -1;
	if (u->n == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 16;
		u->ops = ami_xrealloc(u->ops, u->cap * sizeof *u->ops);
	}
	struct ami_uc_op *op = &u->ops[u->n++];
	op->action = action;
	op->cat = ami_xstrdup(cat);
	op->var = dup_or_null(var);
	op->value = dup_or_null(value);
	op->match = dup_or_null(match);
	op->options = dup_or_null(options);
	op->filter = dup_or_null(filter);
	op->line = line;
	return 0;
}

static size_t op_lines(const struct ami_uc_op *op)
{
	return 2 + !!op->var + !!op->value + !!op->match + (op->line >= 0) + (op->options || op->filter);
}

size_t ami_update_lines(const struct ami_update *u)
{
	/* Action, ActionID (added at send time), SrcFilename, DstFilename, Reload. */
	size_t lines = 4 + (u->reload ? 1 : 0);
	for (size_t i = 0; i < u->n; i++)
		lines += op_lines(&u->ops[i]);
	return lines;
}

size_t ami_uc_op_lines(const struct ami_uc_op *op)
{
	return op_lines(op);
}

int ami_update_build(const struct ami_update *u, struct ami_msg *out, char *err, size_t errlen)
{
	if (u->err[0]) {
		ami_seterr(err, errlen, "%s", u->err);
		return -1;
	}
	size_t lines = ami_update_lines(u);
	if (lines > AMI_MAX_LINES) {
		ami_seterr(err, errlen,
		           "UpdateConfig of %s needs %zu lines (%zu actions, headers included), limit %d: "
		           "not sent (a split change would not be all-or-nothing)",
		           u->dst, lines, u->n, AMI_MAX_LINES);
		return -1;
	}
	ami_msg_add(out, "Action", "UpdateConfig");
	ami_msg_add(out, "SrcFilename", u->src);
	ami_msg_add(out, "DstFilename", u->dst);
	if (u->reload)
		ami_msg_add(out, "Reload", u->reload);
	char key[32], num[32];
	for (size_t i = 0; i < u->n; i++) {
		const struct ami_uc_op *op = &u->ops[i];
		snprintf(key, sizeof key, "Action-%06zu", i);
		ami_msg_add(out, key, ami_uc_action_name(op->action));
		snprintf(key, sizeof key, "Cat-%06zu", i);
		ami_msg_add(out, key, op->cat);
		if (op->var) {
			snprintf(key, sizeof key, "Var-%06zu", i);
			ami_msg_add(out, key, op->var);
		}
		if (op->value) {
			snprintf(key, sizeof key, "Value-%06zu", i);
			ami_msg_add(out, key, op->value);
		}
		if (op->match) {
			snprintf(key, sizeof key, "Match-%06zu", i);
			ami_msg_add(out, key, op->match);
		}
		if (op->line >= 0) {
			snprintf(key, sizeof key, "Line-%06zu", i);
			snprintf(num, sizeof num, "%ld", op->line);
			ami_msg_add(out, key, num);
		}
		if (op->options || op->filter) {
			snprintf(key, sizeof key, "Options-%06zu", i);
			size_t ol = (op->options ? strlen(op->options) : 0) + (op->filter ? strlen(op->filter) : 0) + 16;
			char *opts = ami_xmalloc(ol);
			snprintf(opts, ol, "%s%s%s%s%s", op->options ? op->options : "",
			         op->options && op->filter ? "," : "", op->filter ? "catfilter=\"" : "",
			         op->filter ? op->filter : "", op->filter ? "\"" : "");
			ami_msg_add(out, key, opts);
			free(opts);
		}
	}
	if (out->err[0]) {
		ami_seterr(err, errlen, "UpdateConfig of %s: %s", u->dst, out->err);
		return -1;
	}
	return 0;
}

/* ---------- GetConfig ---------- */

void ami_config_free(struct ami_config *c)
{
	for (size_t i = 0; i < c->n_cats; i++) {
		struct ami_cfg_cat *k = &c->cats[i];
		free(k->name);
		for (size_t j = 0; j < k->n_templates; j++)
			free(k->templates[j]);
		free(k->templates);
		for (size_t j = 0; j < k->n_lines; j++) {
			free(k->lines[j].name);
			free(k->lines[j].value);
		}
		free(k->lines);
	}
	free(c->cats);
	c->cats = NULL;
	c->n_cats = 0;
}

const char *ami_cfg_cat_get(const struct ami_cfg_cat *c, const char *var)
{
	const char *v = NULL;
	for (size_t i = 0; i < c->n_lines; i++)
		if (strcasecmp(c->lines[i].name, var) == 0)
			v = c->lines[i].value;
	return v;
}

/* Parses "<prefix>NNNNNN" or "<prefix>NNNNNN-MMMMMM" keys. Returns the number of indices read (0 = no match). */
static int parse_indexed(const char *key, const char *prefix, long *a, long *b)
{
	size_t pl = strlen(prefix);
	if (strncasecmp(key, prefix, pl) != 0)
		return 0;
	const char *s = key + pl;
	char *end;
	if (*s < '0' || *s > '9')
		return 0;
	*a = strtol(s, &end, 10);
	if (*end == '\0')
		return 1;
	if (*end != '-' || !b || end[1] < '0' || end[1] > '9')
		return 0;
	*b = strtol(end + 1, &end, 10);
	return *end == '\0' ? 2 : 0;
}

int ami_config_parse(const struct ami_msg *resp, struct ami_config *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	long *nums = NULL;   /* Category-N numbers, parallel to out->cats */
	size_t cap = 0;
	for (size_t i = 0; i < resp->n; i++) {
		const char *key = resp->hdr[i].key, *val = resp->hdr[i].value;
		long a = -1, b = -1;
		if (parse_indexed(key, "Category-", &a, NULL) == 1) {
			if (out->n_cats == cap) {
				cap = cap ? cap * 2 : 16;
				out->cats = ami_xrealloc(out->cats, cap * sizeof *out->cats);
				nums = ami_xrealloc(nums, cap * sizeof *nums);
			}
			struct ami_cfg_cat *k = &out->cats[out->n_cats];
			memset(k, 0, sizeof *k);
			k->name = ami_xstrdup(val);
			nums[out->n_cats++] = a;
			continue;
		}
		int kind = 0;
		if (parse_indexed(key, "IsTemplate-", &a, NULL) == 1)
			kind = 1;
		else if (parse_indexed(key, "Templates-", &a, NULL) == 1)
			kind = 2;
		else if (parse_indexed(key, "Line-", &a, &b) == 2)
			kind = 3;
		if (!kind)
			continue;   /* Response, ActionID, "No categories found", ... */
		struct ami_cfg_cat *k = NULL;
		for (size_t j = out->n_cats; j-- > 0;)
			if (nums[j] == a) {
				k = &out->cats[j];
				break;
			}
		if (!k) {
			ami_seterr(err, errlen, "GetConfig answer: %s before its category", key);
			free(nums);
			ami_config_free(out);
			return -1;
		}
		if (kind == 1) {
			k->is_template = strcmp(val, "1") == 0;
		} else if (kind == 2) {
			const char *s = val;
			while (*s) {
				size_t len = strcspn(s, ",");
				if (len) {
					k->templates = ami_xrealloc(k->templates, (k->n_templates + 1) * sizeof *k->templates);
					k->templates[k->n_templates++] = ami_xstrndup(s, len);
				}
				s += len;
				if (*s == ',')
					s++;
			}
		} else {
			const char *eq = strchr(val, '=');
			size_t nl = eq ? (size_t)(eq - val) : strlen(val);
			k->lines = ami_xrealloc(k->lines, (k->n_lines + 1) * sizeof *k->lines);
			k->lines[k->n_lines].name = ami_xstrndup(val, nl);
			k->lines[k->n_lines].value = ami_xstrdup(eq ? eq + 1 : "");
			k->n_lines++;
		}
	}
	free(nums);
	return 0;
}

/* ---------- diff ---------- */

struct diff_ctx {
	const struct ami_config *cur;
	struct ami_update *u;
	unsigned temp_seq;
	char *err;
	size_t errlen;
};

static const char *type_of_lines(const struct ami_cfg_line *l, size_t n)
{
	const char *v = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(l[i].name, "type") == 0)
			v = l[i].value;
	return v;
}

static bool lines_equal(const struct ami_cfg_line *a, size_t na, const struct ami_cfg_line *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return false;
	return true;
}

static size_t count_name(const struct ami_cfg_line *l, size_t n, const char *name)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(l[i].name, name) == 0)
			c++;
	return c;
}

/* Do the ordered values of variable name differ between a and b? */
static bool values_differ(const struct ami_cfg_line *a, size_t na, const struct ami_cfg_line *b, size_t nb,
                          const char *name)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < na && strcasecmp(a[i].name, name) != 0)
			i++;
		while (j < nb && strcasecmp(b[j].name, name) != 0)
			j++;
		if (i == na || j == nb)
			return !(i == na && j == nb);
		if (strcmp(a[i].value, b[j].value) != 0)
			return true;
		i++;
		j++;
	}
}

static bool in_set(const char *const *set, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(set[i], name) == 0)
			return true;
	return false;
}

static int add(struct diff_ctx *d, enum ami_uc_action a, const char *cat, const char *var, const char *value,
               const char *match, const char *filter_type)
{
	char filter[128];
	if (filter_type)
		snprintf(filter, sizeof filter, "type=%s", filter_type);
	if (ami_update_add(d->u, a, cat, var, value, match, -1, NULL, filter_type ? filter : NULL) != 0) {
		ami_seterr(d->err, d->errlen, "%s", d->u->err);
		return -1;
	}
	return 0;
}

static bool name_exists(const struct ami_config *cur, const char *name)
{
	for (size_t i = 0; i < cur->n_cats; i++)
		if (strcasecmp(cur->cats[i].name, name) == 0)
			return true;
	return false;
}

/* Creates w. If no category named w->name exists at this point, directly; otherwise under a unique temporary
 * name that is filled and then renamed, because a fresh empty duplicate cannot be targeted by catfilter. */
static int create_cat(struct diff_ctx *d, const struct ami_cfg_want *w, bool name_in_use)
{
	char tmp[AMI_MAX_CATEGORY_LEN + 1];
	const char *target = w->name;
	if (name_in_use) {
		do
			snprintf(tmp, sizeof tmp, "centralita-new-%u", ++d->temp_seq);
		while (name_exists(d->cur, tmp));
		target = tmp;
	}
	if (add(d, AMI_UC_NEWCAT, target, NULL, NULL, NULL, NULL))
		return -1;
	for (size_t i = 0; i < w->n_lines; i++)
		if (add(d, AMI_UC_APPEND, target, w->lines[i].name, w->lines[i].value, NULL, NULL))
			return -1;
	if (name_in_use && add(d, AMI_UC_RENAMECAT, target, NULL, w->name, NULL, NULL))
		return -1;
	return 0;
}

enum edit_kind { EDIT_NONE, EDIT_APPEND_TAIL, EDIT_UPDATE, EDIT_VARS, EDIT_EMPTY, EDIT_RECREATE };

/* Picks the cheapest edit turning category c into w. filter_type is non-NULL when same-named categories exist
 * (edits must then keep the type line, which the catfilter needs to find the category). */
static enum edit_kind choose_edit(const struct ami_cfg_cat *c, const struct ami_cfg_want *w, const char *filter_type)
{
	const struct ami_cfg_line *L = c->lines, *W = w->lines;
	size_t nl = c->n_lines, nw = w->n_lines;
	if (lines_equal(L, nl, W, nw))
		return EDIT_NONE;
	enum edit_kind best = filter_type ? EDIT_RECREATE : EDIT_EMPTY;
	size_t best_cost = filter_type ? nw + 3 : nw + 1;

	/* Only new lines at the end. */
	if (nl < nw && lines_equal(L, nl, W, nl) && nw - nl < best_cost) {
		best = EDIT_APPEND_TAIL;
		best_cost = nw - nl;
	}
	/* Same shape; changed values belong to variables that occur once: Update each. */
	if (nl == nw) {
		size_t diffs = 0;
		bool ok = true;
		for (size_t i = 0; i < nl && ok; i++) {
			if (strcmp(L[i].name, W[i].name) != 0)
				ok = false;
			else if (strcmp(L[i].value, W[i].value) != 0) {
				diffs++;
				ok = count_name(L, nl, L[i].name) == 1;
			}
		}
		if (ok && diffs < best_cost) {
			best = EDIT_UPDATE;
			best_cost = diffs;
		}
	}
	/* Delete whole variables whose value lists differ and append their wanted values: valid only when that
	 * leaves exactly the wanted order (the changed variables were last). */
	{
		size_t cost = 0, k = 0;
		bool ok = true;
		for (size_t i = 0; i < nl && ok; i++) {
			bool changed = values_differ(L, nl, W, nw, L[i].name);
			if (changed && count_name(L, i, L[i].name) == 0) {
				cost++;   /* one Delete per variable */
				if (filter_type && strcasecmp(L[i].name, "type") == 0)
					ok = false;
			}
			if (!changed) {   /* kept: must be the next line of the wanted result */
				if (k >= nw || strcmp(W[k].name, L[i].name) != 0 || strcmp(W[k].value, L[i].value) != 0)
					ok = false;
				k++;
			}
		}
		for (; k < nw && ok; k++) {   /* the rest of W must be changed variables only */
			if (!values_differ(L, nl, W, nw, W[k].name))
				ok = false;
			if (filter_type && strcasecmp(W[k].name, "type") == 0)
				ok = false;
			cost++;
		}
		if (ok && cost < best_cost) {
			best = EDIT_VARS;
			best_cost = cost;
		}
	}
	return best;
}

static int apply_edit(struct diff_ctx *d, const struct ami_cfg_cat *c, const struct ami_cfg_want *w,
                      const char *filter_type)
{
	const struct ami_cfg_line *L = c->lines, *W = w->lines;
	size_t nl = c->n_lines, nw = w->n_lines;
	switch (choose_edit(c, w, filter_type)) {
	case EDIT_NONE:
		return 0;
	case EDIT_APPEND_TAIL:
		for (size_t i = nl; i < nw; i++)
			if (add(d, AMI_UC_APPEND, w->name, W[i].name, W[i].value, NULL, filter_type))
				return -1;
		return 0;
	case EDIT_UPDATE:
		for (size_t i = 0; i < nl; i++)
			if (strcmp(L[i].value, W[i].value) != 0 &&
			    add(d, AMI_UC_UPDATE, w->name, W[i].name, W[i].value, NULL, filter_type))
				return -1;
		return 0;
	case EDIT_VARS: {
		size_t k = 0;
		for (size_t i = 0; i < nl; i++) {
			if (!values_differ(L, nl, W, nw, L[i].name))
				k++;
			else if (count_name(L, i, L[i].name) == 0 &&
			         add(d, AMI_UC_DELETE, w->name, L[i].name, NULL, NULL, filter_type))
				return -1;
		}
		for (; k < nw; k++)
			if (add(d, AMI_UC_APPEND, w->name, W[k].name, W[k].value, NULL, filter_type))
				return -1;
		return 0;
	}
	case EDIT_EMPTY:
		if (add(d, AMI_UC_EMPTYCAT, w->name, NULL, NULL, NULL, NULL))
			return -1;
		for (size_t i = 0; i < nw; i++)
			if (add(d, AMI_UC_APPEND, w->name, W[i].name, W[i].value, NULL, NULL))
				return -1;
		return 0;
	case EDIT_RECREATE:
		if (add(d, AMI_UC_DELCAT, w->name, NULL, NULL, NULL, filter_type))
			return -1;
		return create_cat(d, w, true);
	}
	return 0;
}

/* Checks a wanted category and its lines. */
static int check_want(struct diff_ctx *d, const struct ami_cfg_want *w, const char *const *owned, size_t n_owned)
{
	char e[160];
	if (ami_category_name_check(w->name, e, sizeof e) != 0) {
		ami_seterr(d->err, d->errlen, "wanted category: %s", e);
		return -1;
	}
	if (!in_set(owned, n_owned, w->name)) {
		ami_seterr(d->err, d->errlen, "wanted category [%s] is not in the owned set", w->name);
		return -1;
	}
	for (size_t i = 0; i < w->n_lines; i++) {
		if (ami_varname_check(w->lines[i].name, e, sizeof e) != 0 || !w->lines[i].value) {
			ami_seterr(d->err, d->errlen, "wanted category [%s] line %zu: %s", w->name, i + 1,
			           w->lines[i].value ? e : "missing value");
			return -1;
		}
	}
	if (w->type) {
		const char *t = type_of_lines(w->lines, w->n_lines);
		if (!t || strcmp(t, w->type) != 0) {
			ami_seterr(d->err, d->errlen, "wanted category [%s] has type filter %s but no type=%s line", w->name,
			           w->type, w->type);
			return -1;
		}
	}
	return 0;
}

/* Diffs every category named name. */
static int diff_group(struct diff_ctx *d, const char *name, const struct ami_cfg_want *want, size_t n_want)
{
	const struct ami_config *cur = d->cur;
	size_t nc = 0, nw = 0;
	for (size_t i = 0; i < cur->n_cats; i++)
		nc += strcasecmp(cur->cats[i].name, name) == 0;
	for (size_t i = 0; i < n_want; i++)
		nw += strcasecmp(want[i].name, name) == 0;
	const struct ami_cfg_cat **C = ami_xmalloc((nc + 1) * sizeof *C);
	const struct ami_cfg_want **W = ami_xmalloc((nw + 1) * sizeof *W);
	long *match = ami_xmalloc((nw + 1) * sizeof *match);     /* W[i] -> index in C, or -1 */
	bool *kept = ami_xmalloc((nc + 1) * sizeof *kept);
	nc = nw = 0;
	for (size_t i = 0; i < cur->n_cats; i++)
		if (strcasecmp(cur->cats[i].name, name) == 0)
			C[nc++] = &cur->cats[i];
	for (size_t i = 0; i < n_want; i++)
		if (strcasecmp(want[i].name, name) == 0)
			W[nw++] = &want[i];
	int rc = 0;

	/* Several wanted categories of one name must be told apart by distinct types. */
	for (size_t i = 0; i < nw && nw > 1 && rc == 0; i++) {
		if (!W[i]->type) {
			ami_seterr(d->err, d->errlen, "wanted categories [%s] share a name: each needs a type", name);
			rc = -1;
		}
		for (size_t j = 0; j < i && rc == 0; j++)
			if (strcmp(W[i]->type, W[j]->type) == 0) {
				ami_seterr(d->err, d->errlen, "wanted categories [%s] share the type %s", name, W[i]->type);
				rc = -1;
			}
	}
	if (rc)
		goto out;

	/* Match each wanted category to exactly one current one; anything ambiguous rebuilds the whole name. */
	bool rebuild = false;
	size_t n_matched = 0;
	for (size_t j = 0; j < nc; j++)
		kept[j] = false;
	for (size_t i = 0; i < nw; i++) {
		match[i] = -1;
		size_t found = 0;
		for (size_t j = 0; j < nc; j++) {
			const char *t = type_of_lines(C[j]->lines, C[j]->n_lines);
			if (!W[i]->type || (t && strcmp(t, W[i]->type) == 0)) {
				found++;
				match[i] = (long)j;
			}
		}
		if (found > 1)
			rebuild = true;
		else if (found == 1) {
			kept[match[i]] = true;
			n_matched++;
		}
	}
	/* Current categories to delete must be targetable without hitting a kept one. */
	for (size_t j = 0; j < nc && !rebuild && n_matched > 0; j++) {
		if (kept[j])
			continue;
		const char *t = type_of_lines(C[j]->lines, C[j]->n_lines);
		if (!t)
			rebuild = true;
		for (size_t k = 0; k < nc && !rebuild; k++) {
			const char *tk = type_of_lines(C[k]->lines, C[k]->n_lines);
			if (kept[k] && tk && strcmp(tk, t) == 0)
				rebuild = true;
		}
	}
	/* Templates are not listed by GetConfig and their variables show up in children: not manageable here. */
	for (size_t j = 0; j < nc && !rebuild; j++)
		if (C[j]->n_templates || C[j]->is_template)
			rebuild = true;

	if (rebuild) {
		if (nc && add(d, AMI_UC_DELCAT, name, NULL, NULL, NULL, NULL))
			rc = -1;
		for (size_t i = 0; i < nw && rc == 0; i++)
			rc = create_cat(d, W[i], i > 0);
		goto out;
	}

	/* 1. deletions */
	if (n_matched == 0) {
		if (nc && add(d, AMI_UC_DELCAT, name, NULL, NULL, NULL, NULL))
			rc = -1;
	} else {
		for (size_t j = 0; j < nc && rc == 0; j++) {
			if (kept[j])
				continue;
			const char *t = type_of_lines(C[j]->lines, C[j]->n_lines);
			bool done = false;   /* one DelCat per type removes every unkept category of that type */
			for (size_t k = 0; k < j; k++) {
				const char *tk = type_of_lines(C[k]->lines, C[k]->n_lines);
				if (!kept[k] && tk && strcmp(tk, t) == 0)
					done = true;
			}
			if (!done && add(d, AMI_UC_DELCAT, name, NULL, NULL, NULL, t))
				rc = -1;
		}
	}
	/* 2. edits of kept categories (a filter is needed when more than one of this name remains) */
	for (size_t i = 0; i < nw && rc == 0; i++)
		if (match[i] >= 0)
			rc = apply_edit(d, C[match[i]], W[i], n_matched > 1 ? W[i]->type : NULL);
	/* 3. creations */
	size_t present = n_matched;
	for (size_t i = 0; i < nw && rc == 0; i++)
		if (match[i] < 0) {
			rc = create_cat(d, W[i], present > 0);
			present++;
		}
out:
	free(C);
	free(W);
	free(match);
	free(kept);
	return rc;
}

int ami_config_diff(const struct ami_config *cur, const char *const *owned, size_t n_owned,
                    const struct ami_cfg_want *want, size_t n_want, struct ami_update *u, char *err, size_t errlen)
{
	struct diff_ctx d = { .cur = cur, .u = u, .err = err, .errlen = errlen };
	if (u->err[0]) {
		ami_seterr(err, errlen, "%s", u->err);
		return -1;
	}
	for (size_t i = 0; i < n_want; i++)
		if (check_want(&d, &want[i], owned, n_owned) != 0)
			return -1;
	for (size_t i = 0; i < n_owned; i++) {
		char e[160];
		if (ami_category_name_check(owned[i], e, sizeof e) != 0) {
			ami_seterr(err, errlen, "owned category: %s", e);
			return -1;
		}
		if (in_set(owned, i, owned[i]))
			continue;   /* listed twice */
		if (diff_group(&d, owned[i], want, n_want) != 0)
			return -1;
	}
	return 0;
}
