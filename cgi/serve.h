/* serve: the FastCGI daemon (`centralita serve`): worker threads on a unix socket, graceful shutdown. */
#ifndef CGI_SERVE_H
#define CGI_SERVE_H
#include "app/config.h"

/* Runs until SIGTERM/SIGINT; in-flight requests finish first. Returns the process exit status. */
int serve_main(const struct config *cfg);

#endif
