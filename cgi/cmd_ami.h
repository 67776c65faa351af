/* cmd_ami: `centralita ami ACTION [Key=Value ...]` and `centralita ami --events [CLASSES]`, the integrator's
 * AMI console: one action through the same library the daemon uses, or a live event watch. */
#ifndef CGI_CMD_AMI_H
#define CGI_CMD_AMI_H

#include "ami/ami.h"

/* argv[0] is the action (or --events / --help). Prints the response (every header, list events, command
 * output) on stdout. Returns 0 on success, 1 on Response: Error or a connection failure, 2 on a usage error or
 * a Command whose CLI command is not in cli_allow ([console] cli_allow, pbx/cli.h: the manager user's "command"
 * class lets Asterisk run any CLI command, so the allow-list guards this door too). */
int cmd_ami(const struct ami_options *opts, const char *cli_allow, int argc, char **argv);

#endif
