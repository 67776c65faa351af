/* serve: the FastCGI daemon (`centralita serve`): worker threads on a unix socket, graceful shutdown. */
#ifndef CGI_SERVE_H
#define CGI_SERVE_H
#include "ami/ami.h"
#include "app/config.h"
#include "pbx/pbx.h"
#include "provision/provision.h"

/* What the daemon builds from the configuration before it starts anything. */
struct serve_setup {
	struct pbx_settings pbx;
	struct ami_options ami;
	struct ami_pool *pool;              /* no connection yet: they open on first use */
	struct provision_renderer *prov;
};

/* Every check the daemon makes of the configuration, each refusal as "file:line: [section] key: message"
 * (see config_fail); then builds setup. No thread, no network, no database: `check-config` runs exactly
 * this, so a file it accepts is one `serve` starts with. Returns 0, or -1 with err (nothing to free). */
int serve_prepare(const struct config *cfg, struct serve_setup *setup, char *err, size_t errlen);
void serve_setup_free(struct serve_setup *setup);

/* Runs until SIGTERM/SIGINT; in-flight requests finish first. Returns the process exit status. */
int serve_main(const struct config *cfg);

#endif
