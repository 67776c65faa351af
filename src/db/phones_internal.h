/* phones_internal: the phones' writes without their transaction, for src/db files that write phones inside a
 * transaction of their own (db/imports.c: a whole CSV import in one). Not for other layers. */
#ifndef DB_PHONES_INTERNAL_H
#define DB_PHONES_INTERNAL_H
#include "db/phones.h"

/* phones_create and phones_update inside the caller's BEGIN IMMEDIATE: same checks, same results. */
enum phones_result phones_insert_locked(struct db *db, const struct phone *p, int64_t now, int64_t *id);
enum phones_result phones_update_locked(struct db *db, const struct phone *p, int64_t expected_version, int64_t now);

#endif
