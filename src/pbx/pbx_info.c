/* pbx_info: the PBX's version and start time for the home page (see pbx_info.h). */
#include "pbx/pbx_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t pbx_info_parse_start(const char *date, const char *time_of_day)
{
	int y, mo, d, h, mi, s;
	char extra;
	if (!date || !time_of_day || sscanf(date, "%4d-%2d-%2d%c", &y, &mo, &d, &extra) != 3 ||
	    sscanf(time_of_day, "%2d:%2d:%2d%c", &h, &mi, &s, &extra) != 3)
		return 0;
	if (y < 1971 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
	    s > 60)
		return 0;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_sec = s, .tm_isdst = -1 };
	time_t t = mktime(&tm);
	return t == (time_t)-1 ? 0 : (int64_t)t;
}

/* One action without arguments; the answer's headers stay in r for the caller. */
static enum ami_status ask(struct ami_pool *pool, const char *action, struct ami_result *r, char *msg, size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", action);
	enum ami_status st = ami_pool_action(pool, &m, r);
	ami_msg_free(&m);
	if (st != AMI_OK)
		snprintf(msg, len, "%s: %s", action, r->message);
	return st;
}

enum ami_status pbx_info_read(struct ami_pool *pool, struct pbx_info *out, char *msg, size_t len)
{
	memset(out, 0, sizeof *out);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ask(pool, "CoreSettings", &r, msg, len);
	if (st == AMI_OK) {
		const char *v = ami_msg_get(r.response, "AsteriskVersion");
		const char *ami = ami_msg_get(r.response, "AMIversion");
		snprintf(out->version, sizeof out->version, "%s", v ? v : "");
		snprintf(out->ami_version, sizeof out->ami_version, "%s", ami ? ami : "");
		ami_result_free(&r);
		st = ask(pool, "CoreStatus", &r, msg, len);
		if (st == AMI_OK) {
			out->started = pbx_info_parse_start(ami_msg_get(r.response, "CoreStartupDate"),
							    ami_msg_get(r.response, "CoreStartupTime"));
			out->reloaded = pbx_info_parse_start(ami_msg_get(r.response, "CoreReloadDate"),
							     ami_msg_get(r.response, "CoreReloadTime"));
			const char *calls = ami_msg_get(r.response, "CoreCurrentCalls");
			out->active_channels = calls ? atoi(calls) : 0;
		}
	}
	ami_result_free(&r);
	return st;
}
