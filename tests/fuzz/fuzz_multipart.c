/* libFuzzer target: a multipart/form-data request as a browser (or anyone) might send it: the Content-Type up to
 * the first '\n', the body after it, parsed from an allocation of its exact size. What the parser accepts must
 * hold to its contract: files inside the body, names by form_parse's rules, filenames short and free of control
 * characters, fields that form_validate reads. Must never crash or leak. */
#include "web/multipart.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > FORM_MAX_NAME || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
		abort();
}

static void check(const char *body, size_t len, const struct form_pairs *fields, const struct upload_file *files,
		  size_t file_count)
{
	if (fields->count > FORM_MAX_FIELDS || file_count > UPLOAD_MAX_FILES)
		abort();
	for (size_t i = 0; i < fields->count; i++) {
		check_name(fields->items[i].name);
		if (fields->items[i].value_len > FORM_MAX_VALUE || fields->items[i].value[fields->items[i].value_len])
			abort();
		(void)form_pairs_get(fields, fields->items[i].name);
	}
	for (size_t i = 0; i < file_count; i++) {
		const struct upload_file *f = &files[i];
		check_name(f->name);
		if (f->data < body || f->len > len || f->data + f->len > body + len)
			abort();
		for (const unsigned char *c = (const unsigned char *)f->filename; *c; c++)
			if (*c < 0x20 || *c == 0x7F || *c == '/' || *c == '\\')
				abort();
		if (strlen(f->filename) >= sizeof f->filename || strlen(f->content_type) >= sizeof f->content_type)
			abort();
	}
	static const struct form_field fdef[] = { { "_csrf", form_v_text, true, 1, 64, NULL },
						  { "action", form_v_choice, true, 0, 0, "preview|import" } };
	static const struct form_def def = FORM_DEF("fuzz", fdef);
	struct form_result res;
	(void)form_validate(&def, fields, &res);
	form_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
	if (!nl)
		return 0;
	char ct[256];
	size_t ct_len = (size_t)(nl - data);
	memcpy(ct, data, ct_len);
	ct[ct_len] = '\0';
	size_t len = size - ct_len - 1;
	char *body = malloc(len ? len : 1); /* exact size: a read past the end is an ASan report */
	if (!body)
		abort();
	memcpy(body, nl + 1, len);
	struct form_pairs fields;
	struct upload_file files[UPLOAD_MAX_FILES];
	size_t file_count;
	if (multipart_parse(ct, body, len, &fields, files, &file_count) == MULTIPART_OK) {
		check(body, len, &fields, files, file_count);
		form_pairs_free(&fields);
	} else if (fields.count || fields.storage || file_count) {
		abort();
	}
	free(body);
	return 0;
}
