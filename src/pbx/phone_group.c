/* phone_group: a group's file from its phones' parts (see phone_group.h). */
#include "pbx/phone_group.h"

#include "db/phones.h"
#include "pbx/pbx.h"

struct building {
	bool chan;
	const struct pbx_new_part *fresh;
	size_t n;
	struct pbx_file *out;
};

static int add_part(void *ctx, int64_t id, bool own_files, const char *chan, const char *dial)
{
	struct building *b = ctx;
	const char *part = b->chan ? chan : dial;
	for (size_t i = 0; i < b->n; i++)
		if (b->fresh[i].id == id) {
			part = b->chan ? b->fresh[i].chan : b->fresh[i].dial;
			own_files = false;
		}
	if (part && !own_files)
		pbx_file_add_text(b->out, part);
	return 0;
}

int pbx_group_file(struct db *db, int64_t phone_id, bool chan, const struct pbx_new_part *fresh, size_t n,
		   struct pbx_file *out)
{
	int64_t first, last;
	pbx_phone_group(phone_id, &first, &last);
	struct building b = { .chan = chan, .fresh = fresh, .n = n, .out = out };
	return phones_group_parts(db, first, last, add_part, &b);
}

int pbx_phone_stored_part(struct db *db, int64_t phone_id, bool chan, struct pbx_file *out)
{
	struct building b = { .chan = chan, .out = out };
	return phones_group_parts(db, phone_id, phone_id, add_part, &b);
}
