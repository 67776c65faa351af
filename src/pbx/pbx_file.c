/* pbx_file: whole files of Centralita's own, cut into UpdateConfigs that fit (see pbx_file.h). */
#include "pbx/pbx_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pbx_file_init(struct pbx_file *f)
{
	memset(f, 0, sizeof *f);
}

void pbx_file_free(struct pbx_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct ami_cfg_want *w = &f->want[i];
		for (size_t l = 0; l < w->n_lines; l++) {
			free(w->lines[l].name);
			free(w->lines[l].value);
		}
		free((void *)w->lines);
		free((void *)w->name);
		free((void *)w->type);
	}
	free(f->want);
	memset(f, 0, sizeof *f);
}

static char *copy(const char *s)
{
	char *c = strdup(s);
	if (!c)
		abort();
	return c;
}

static bool has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

int pbx_file_section(struct pbx_file *f, const char *name, const char *type)
{
	if (*f->err)
		return -1;
	if (!*name || has_line_break(name) || (type && has_line_break(type))) {
		snprintf(f->err, sizeof f->err, "invalid section name [%.60s]", name);
		return -1;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->want = realloc(f->want, f->cap * sizeof *f->want);
		if (!f->want)
			abort();
	}
	struct ami_cfg_want *w = &f->want[f->n++];
	memset(w, 0, sizeof *w);
	w->name = copy(name);
	w->type = type ? copy(type) : NULL;
	return 0;
}

int pbx_file_line(struct pbx_file *f, const char *var, const char *value)
{
	if (*f->err)
		return -1;
	if (f->n == 0 || !*var || has_line_break(var) || has_line_break(value)) {
		/* Never the value: it may be a password, and this message reaches pages and the audit trail. */
		snprintf(f->err, sizeof f->err, "invalid line %.40s (a line break in its name or value)", var);
		return -1;
	}
	struct ami_cfg_want *w = &f->want[f->n - 1];
	/* Lines are kept one allocation per section, grown in place (the array is only read once complete). */
	struct ami_cfg_line *lines = realloc((void *)w->lines, (w->n_lines + 1) * sizeof *lines);
	if (!lines)
		abort();
	lines[w->n_lines].name = copy(var);
	lines[w->n_lines].value = copy(value);
	w->lines = lines;
	w->n_lines++;
	return 0;
}

int pbx_file_linef(struct pbx_file *f, const char *var, const char *fmt, ...)
{
	char value[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof value) {
		snprintf(f->err, sizeof f->err, "a value of %s is too long", var);
		return -1;
	}
	return pbx_file_line(f, var, value);
}

/* Both digests go through this: the sections of a want list or of a file read back, as one text. */
static void digest_of(const struct ami_cfg_want *want, const struct ami_cfg_cat *cats, size_t n,
		      char out[PBX_DIGEST_HEX]);

void pbx_file_digest(const struct pbx_file *f, char out[PBX_DIGEST_HEX])
{
	digest_of(f->want, NULL, f->n, out);
}

void pbx_want_digest(const struct ami_cfg_want *want, size_t n, char out[PBX_DIGEST_HEX])
{
	digest_of(want, NULL, n, out);
}

void pbx_config_digest(const struct ami_config *c, char out[PBX_DIGEST_HEX])
{
	digest_of(NULL, c->cats, c->n_cats, out);
}

static void digest_of(const struct ami_cfg_want *want, const struct ami_cfg_cat *cats, size_t n,
		      char out[PBX_DIGEST_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < n; i++) {
		const char *name = want ? want[i].name : cats[i].name;
		const struct ami_cfg_line *lines = want ? want[i].lines : cats[i].lines;
		size_t n_lines = want ? want[i].n_lines : cats[i].n_lines;
		ok = EVP_DigestUpdate(ctx, "[", 1) && EVP_DigestUpdate(ctx, name, strlen(name)) &&
		     EVP_DigestUpdate(ctx, "]\n", 2);
		for (size_t l = 0; ok && l < n_lines; l++)
			ok = EVP_DigestUpdate(ctx, lines[l].name, strlen(lines[l].name)) && EVP_DigestUpdate(ctx, "=", 1) &&
			     EVP_DigestUpdate(ctx, lines[l].value, strlen(lines[l].value)) &&
			     EVP_DigestUpdate(ctx, "\n", 1);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len);
	EVP_MD_CTX_free(ctx);
	size_t hex_len = 0;
	if (!ok || OPENSSL_buf2hexstr_ex(out, PBX_DIGEST_HEX, &hex_len, md, md_len, '\0') != 1)
		snprintf(out, PBX_DIGEST_HEX, "unavailable");
}

void pbx_want_text(const struct ami_cfg_want *want, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "[%s]\n", want[i].name);
		for (size_t l = 0; l < want[i].n_lines; l++)
			buf_printf(out, "%s=%s\n", want[i].lines[l].name, want[i].lines[l].value);
	}
}

/* The "type" line's value of the section starting at text (its lines up to the next "["), or NULL. */
static char *section_type(const char *text)
{
	for (const char *line = text; *line && *line != '[';) {
		size_t n = strcspn(line, "\n");
		if (n > 5 && strncmp(line, "type=", 5) == 0)
			return strndup(line + 5, n - 5);
		line += n + (line[n] == '\n');
	}
	return NULL;
}

/* Whether the section [name] appears more than once in text. */
static bool name_repeats(const char *text, const char *name, size_t len)
{
	int seen = 0;
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		seen += line[0] == '[' && n == len + 2 && strncmp(line + 1, name, len) == 0;
		line += n + (line[n] == '\n');
	}
	return seen > 1;
}

int pbx_file_add_text(struct pbx_file *f, const char *text)
{
	for (const char *line = text; *line && !*f->err;) {
		size_t n = strcspn(line, "\n");
		char one[1200];
		if (n >= sizeof one) {
			snprintf(f->err, sizeof f->err, "a stored line is too long");
			return -1;
		}
		memcpy(one, line, n);
		one[n] = '\0';
		const char *next = line + n + (line[n] == '\n');
		if (one[0] == '[' && n >= 2 && one[n - 1] == ']') {
			one[n - 1] = '\0';
			const char *name = one + 1;
			char *type = name_repeats(text, name, n - 2) ? section_type(next) : NULL;
			/* Sections of one name without a type (the phones' dialplan context) are merged into one. */
			const struct ami_cfg_want *last = f->n ? &f->want[f->n - 1] : NULL;
			if (!(type == NULL && last && !last->type && strcmp(last->name, name) == 0))
				pbx_file_section(f, name, type);
			free(type);
		} else {
			char *eq = strchr(one, '=');
			if (!eq) {
				snprintf(f->err, sizeof f->err, "a stored line has no \"=\"");
				return -1;
			}
			*eq = '\0';
			pbx_file_line(f, one, eq + 1);
		}
		line = next;
	}
	return *f->err ? -1 : 0;
}

void pbx_file_text(const struct pbx_file *f, struct buf *out)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct ami_cfg_want *w = &f->want[i];
		buf_printf(out, "%s[%s]\n", i ? "\n" : "", w->name);
		for (size_t l = 0; l < w->n_lines; l++) {
			const char *var = w->lines[l].name;
			bool arrow = strcasecmp(var, "exten") == 0 || strcasecmp(var, "include") == 0 ||
				     strcasecmp(var, "same") == 0;
			buf_printf(out, "%s %s %s\n", var, arrow ? "=>" : "=", w->lines[l].value);
		}
	}
}

/* Moves actions [from, to) of all into a new UpdateConfig of dst (source src). */
static void chunk(const struct ami_update *all, size_t from, size_t to, const char *src, const char *dst,
		  struct ami_update *out)
{
	ami_update_init(out, dst);
	ami_update_set_source(out, src);
	for (size_t k = from; k < to; k++) {
		const struct ami_uc_op *op = &all->ops[k];
		ami_update_add(out, op->action, op->cat, op->var, op->value, op->match, op->line, op->options,
			       op->filter);
	}
}

/* Whether u builds into one request Asterisk reads whole. */
static bool fits(const struct ami_update *u)
{
	struct ami_msg m;
	ami_msg_init(&m);
	char err[200];
	bool ok = ami_update_build(u, &m, err, sizeof err) == 0;
	ami_msg_free(&m);
	return ok;
}

int pbx_file_updates(const struct pbx_file *f, const char *dst, struct ami_update **ups, size_t *n_ups, char *err,
		     size_t errlen)
{
	*ups = NULL;
	*n_ups = 0;
	if (*f->err) {
		snprintf(err, errlen, "%s: %s", dst, f->err);
		return -1;
	}
	/* Every section name is owned: the diff against nothing creates them all (same-named ones under a
	 * temporary name, then renamed), in file order. */
	const char **names = calloc(f->n + 1, sizeof *names);
	if (!names)
		abort();
	size_t n_names = 0;
	for (size_t i = 0; i < f->n; i++) {
		bool seen = false;
		for (size_t k = 0; k < n_names && !seen; k++)
			seen = strcmp(names[k], f->want[i].name) == 0;
		if (!seen)
			names[n_names++] = f->want[i].name;
	}
	struct ami_config none = { 0 };
	struct ami_update all;
	ami_update_init(&all, dst);
	int rc = ami_config_diff(&none, names, n_names, f->want, f->n, &all, err, errlen);
	free(names);
	if (rc == 0 && *all.err) {
		snprintf(err, errlen, "%s: %s", dst, all.err);
		rc = -1;
	}
	size_t cap = 0;
	for (size_t from = 0; rc == 0 && (from < all.n || *n_ups == 0);) {
		/* As many actions as fit in one request (counted, then the request built once to check it), at least
		 * one (an action too big alone is an error). */
		const char *src = *n_ups == 0 ? PBX_EMPTY_FILE : dst;
		struct ami_update u;
		chunk(&all, from, from, src, dst, &u);
		size_t to = from, lines = ami_update_lines(&u);
		while (to < all.n && lines + ami_uc_op_lines(&all.ops[to]) <= AMI_MAX_LINES)
			lines += ami_uc_op_lines(&all.ops[to++]);
		ami_update_free(&u);
		chunk(&all, from, to, src, dst, &u);
		if ((to == from && from < all.n) || !fits(&u)) {
			snprintf(err, errlen, "%s: actions %zu to %zu of %zu do not fit in one request", dst, from + 1,
				 to > from ? to : from + 1, all.n);
			ami_update_free(&u);
			rc = -1;
			break;
		}
		if (*n_ups == cap) {
			cap = cap ? 2 * cap : 4;
			*ups = realloc(*ups, cap * sizeof **ups);
			if (!*ups)
				abort();
		}
		(*ups)[(*n_ups)++] = u;
		from = to;
	}
	ami_update_free(&all);
	if (rc != 0) {
		for (size_t i = 0; i < *n_ups; i++)
			ami_update_free(&(*ups)[i]);
		free(*ups);
		*ups = NULL;
		*n_ups = 0;
	}
	return rc;
}
