/* ownership: telling Centralita's categories from everyone else's (see ownership.h). */
#include "pbx/ownership.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pbx_lines_digest(const struct ami_cfg_line *lines, size_t n, char out[OWNED_DIGEST_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, lines[i].name, strlen(lines[i].name)) && EVP_DigestUpdate(ctx, "=", 1) &&
		     EVP_DigestUpdate(ctx, lines[i].value, strlen(lines[i].value)) && EVP_DigestUpdate(ctx, "\n", 1);
	ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len);
	EVP_MD_CTX_free(ctx);
	size_t hex_len = 0;
	if (!ok || OPENSSL_buf2hexstr_ex(out, OWNED_DIGEST_HEX, &hex_len, md, md_len, '\0') != 1)
		snprintf(out, OWNED_DIGEST_HEX, "unavailable");
}

const char *pbx_lines_type(const struct ami_cfg_line *lines, size_t n)
{
	const char *type = "";
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(lines[i].name, "type") == 0)
			type = lines[i].value;   /* the last one counts, as for Asterisk */
	return type;
}

/* Moves the categories of src to the end of dst. */
static void config_append(struct ami_config *dst, struct ami_config *src)
{
	if (src->n_cats == 0)
		return;
	struct ami_cfg_cat *grown = realloc(dst->cats, (dst->n_cats + src->n_cats) * sizeof *grown);
	if (!grown)
		abort();
	memcpy(grown + dst->n_cats, src->cats, src->n_cats * sizeof *grown);
	dst->cats = grown;
	dst->n_cats += src->n_cats;
	src->n_cats = 0;
}

enum ami_status pbx_read_categories(struct ami_pool *pool, const char *file, const char *const *names, size_t n,
				    struct ami_config *cur, char *msg, size_t len)
{
	enum ami_status st = AMI_OK;
	for (size_t i = 0; i < n && st == AMI_OK; i++) {
		struct ami_msg m;
		ami_msg_init(&m);
		ami_msg_add(&m, "Action", "GetConfig");
		ami_msg_add(&m, "Filename", file);
		ami_msg_add(&m, "Category", names[i]);
		struct ami_result r;
		ami_result_init(&r);
		st = ami_pool_action(pool, &m, &r);
		if (st == AMI_OK) {
			struct ami_config one = { 0 };
			char err[200];
			if (ami_config_parse(r.response, &one, err, sizeof err) != 0) {
				snprintf(msg, len, "unreadable GetConfig answer for %s: %s", file, err);
				st = AMI_ERROR;
			} else {
				config_append(cur, &one);
			}
			ami_config_free(&one);
		} else if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_FILE_NOT_FOUND) {
			st = AMI_OK;   /* nothing of it exists yet */
		} else {
			snprintf(msg, len, "%s", r.message);
		}
		ami_result_free(&r);
		ami_msg_free(&m);
	}
	return st;
}

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

int pbx_classify(struct db *db, const char *file, const struct ami_config *cur, const char *const *names, size_t n,
		 int64_t now, struct pbx_ownership *out)
{
	memset(out, 0, sizeof *out);
	for (size_t c = 0; c < cur->n_cats; c++) {
		const struct ami_cfg_cat *cat = &cur->cats[c];
		int i = name_index(names, n, cat->name);
		if (i < 0 || i >= PBX_MAX_NAMES)
			continue;
		const char *type = pbx_lines_type(cat->lines, cat->n_lines);
		char stored[OWNED_DIGEST_HEX], now_digest[OWNED_DIGEST_HEX];
		int state = owned_get(db, file, cat->name, type, stored);
		if (state < 0)
			return -1;
		bool ours = state == OWNED_OWNED;
		if (state == OWNED_CLAIMED) {
			/* A creation whose answer was lost: it took effect iff Asterisk holds exactly what was sent. */
			pbx_lines_digest(cat->lines, cat->n_lines, now_digest);
			ours = strcmp(stored, now_digest) == 0;
			if ((ours ? owned_confirm(db, file, cat->name, type, now_digest, now)
				  : owned_forget(db, file, cat->name, type, true)) != 0)
				return -1;
		}
		if (ours) {
			out->ours[i] = true;
		} else {
			if (!*out->where)
				snprintf(out->where, sizeof out->where, *type ? "%s [%s] (type=%s)" : "%s [%s]%s", file,
					 cat->name, type);
			out->foreign[i] = true;
		}
	}
	return 0;
}
