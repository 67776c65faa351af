/* phone_group: one of the two files a group of phones shares (pbx.h), as it is to be written: every phone's part
 * as last written (its row's stored text), or the new part of the phones being applied now. Phones still in files
 * of their own (releases before groups) have no part there unless applied now. Knows db and pbx_file. */
#ifndef PBX_PHONE_GROUP_H
#define PBX_PHONE_GROUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "pbx/pbx_file.h"

/* A phone being applied now, and its new parts (pbx_phone_part; "" for a removed phone). */
struct pbx_new_part {
	int64_t id;
	const char *chan, *dial;
};

/* Fills out (initialised by the caller) with the channel driver's file (chan) or the dialplan's of the group
 * holding phone_id, fresh[0..n) taking the place of what those phones had. Returns 0, or -1 on a database error;
 * a stored text that cannot be read leaves out->err set. */
int pbx_group_file(struct db *db, int64_t phone_id, bool chan, const struct pbx_new_part *fresh, size_t n,
		   struct pbx_file *out);
/* Fills out (initialised by the caller) with phone_id's own part of that file as last written (nothing for a
 * phone whose part was never written, or is still in files of its own). Returns 0, or -1 on a database error. */
int pbx_phone_stored_part(struct db *db, int64_t phone_id, bool chan, struct pbx_file *out);

#endif
