/* cmd_import_phones: `centralita import-phones FILE [--dry-run]`, the import page's CSV import from the command
 * line (cgi/phone_import.h: the same checks, the same all-or-nothing store). */
#ifndef CGI_CMD_IMPORT_PHONES_H
#define CGI_CMD_IMPORT_PHONES_H
#include "app/config.h"

/* Checks FILE and prints each problem ("line 57, mac: <message> (<detail>)") and a summary; without --dry-run and
 * with no problem, stores every row in one transaction (the running daemon applies them at its next round, within
 * [asterisk] retry_interval seconds). Exit 0 when the file is good (and stored), 1 when it has problems or the
 * database fails, 2 on wrong arguments. */
int cmd_import_phones(const struct config *cfg, int argc, char **argv);

#endif
