/* libFuzzer target: bytes as Asterisk might send them, fed to the AMI parser in two pieces (split point from the
 * first byte, so reads split anywhere are covered); every message is then queried, parsed as a GetConfig answer,
 * re-validated by the serialiser, and its values run through the name checks. Must never crash or leak. */
#include "ami/ami.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct ami_msg *m)
{
	(void)ami_msg_get(m, "Response");
	(void)ami_msg_get(m, "ActionID");
	(void)ami_msg_count(m, "Output");
	struct ami_config c;
	char err[256];
	if (ami_config_parse(m, &c, err, sizeof err) == 0) {
		for (size_t i = 0; i < c.n_cats; i++)
			(void)ami_cfg_cat_get(&c.cats[i], "type");
		ami_config_free(&c);
	}
	struct buf out;
	buf_init(&out);
	(void)ami_msg_serialize(m, "fuzz-1", &out, err, sizeof err);
	buf_free(&out);
	for (size_t i = 0; i < m->n; i++) {
		(void)ami_category_name_check(m->hdr[i].value, err, sizeof err);
		(void)ami_filename_check(m->hdr[i].value, err, sizeof err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t split = (size_t)data[0] * size / 256;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (split > len)
		split = len;
	struct ami_parser p;
	ami_parser_init(&p, (data[0] & 1) != 0);
	if (ami_parser_feed(&p, text, split) == 0)
		(void)ami_parser_feed(&p, text + split, len - split);
	struct ami_msg *m;
	while ((m = ami_parser_next(&p)) != NULL) {
		exercise(m);
		ami_msg_destroy(m);
	}
	ami_parser_free(&p);
	return 0;
}
