/* cmd_users: `centralita adduser` and `centralita passwd`, for scripts and the first login. */
#ifndef CGI_CMD_USERS_H
#define CGI_CMD_USERS_H
#include "app/config.h"

int cmd_adduser(const struct config *cfg, int argc, char **argv);
int cmd_passwd(const struct config *cfg, int argc, char **argv);
int cmd_migrate(const struct config *cfg, int argc, char **argv);
/* Creates the first integrator with a random password if the database has no user; prints it. */
int cmd_firstuser(const struct config *cfg, int argc, char **argv);

#endif
