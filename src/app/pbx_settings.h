/* pbx_settings: the [asterisk] and [provisioning] sections as the domain layer's settings. */
#ifndef APP_PBX_SETTINGS_H
#define APP_PBX_SETTINGS_H
#include <stddef.h>

#include "app/config.h"
#include "pbx/pbx.h"

/* Returns 0, or -1 with err ("file:line: [section] key: message", see config_fail) naming the bad key: a
 * context with a space, a codec list too long, [provisioning] server not set (it is required: see the
 * sample configuration). */
int config_pbx_settings(const struct config *cfg, struct pbx_settings *s, char *err, size_t errlen);

#endif
