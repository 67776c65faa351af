/* cmd_import_cdr: `centralita import-cdr FILE`, Asterisk's cdr_csv Master.csv → the call history. */
#ifndef CGI_CMD_IMPORT_CDR_H
#define CGI_CMD_IMPORT_CDR_H
#include "app/config.h"

/* Stores every record of FILE not stored yet, 1,000 per transaction (a second import adds nothing); prints
 * "N lines, M new, K refused" and, on stderr, each refused record's line number and reason. Exit 0 unless the
 * file cannot be read or the database fails (1), or the arguments are wrong (2). */
int cmd_import_cdr(const struct config *cfg, int argc, char **argv);

#endif
