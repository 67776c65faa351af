/* reload: a module reload that is not lost (see reload.h). */
#include "pbx/reload.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum ami_status pbx_reload(struct ami_pool *pool, const char *module, enum ami_refusal *refusal, char *msg,
			   size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Reload");
	ami_msg_add(&m, "Module", module);
	int64_t give_up = monotonic_ms() + PBX_RELOAD_PATIENCE_MS;
	enum ami_status st;
	enum ami_refusal why;
	for (;;) {
		struct ami_result r;
		ami_result_init(&r);
		st = ami_pool_action(pool, &m, &r);
		why = st == AMI_ERROR ? r.refusal : AMI_REFUSAL_OTHER;
		if (st != AMI_OK)
			snprintf(msg, len, "reloading %s: %s", module, r.message);
		ami_result_free(&r);
		if (why != AMI_REFUSAL_RELOAD_IN_PROGRESS || monotonic_ms() >= give_up)
			break;
		struct timespec pause = { 0, PBX_RELOAD_PAUSE_MS * 1000000L };
		nanosleep(&pause, NULL);
	}
	ami_msg_free(&m);
	if (refusal)
		*refusal = why;
	return st;
}
