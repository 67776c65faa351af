/* ami_options: turns the [ami] section of the configuration into the AMI library's options. */
#ifndef APP_AMI_OPTIONS_H
#define APP_AMI_OPTIONS_H
#include <stddef.h>

#include "ami/ami.h"
#include "app/config.h"

/* Fills o from cfg. Returns 0, or -1 with err ("file:line: [ami] key: message", see config_fail) when the
 * result is unusable (an empty user name, a malformed fingerprint...). */
int config_ami_options(const struct config *cfg, struct ami_options *o, char *err, size_t errlen);

#endif
