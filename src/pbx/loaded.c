/* loaded: Asterisk's live configuration against a phone's (see loaded.h).
 *
 * Everything becomes one key string per object or line, the same whether it comes from a list event or from
 * the phone's wanted sections; the listed keys are sorted once and each wanted key is looked up:
 *   "endpoint\n<name>\n<aors>\n<auth>"   "aor\n<name>\n<max_contacts>"   "auth\n<name>\n<username>\n<password>"
 *   "exten\n<ext>,<priority>,<application>(<data>)"  or, for a hint, "exten\n<ext>,hint,<device>"
 * (the dialplan lines as Centralita writes them: pbx_dialplan_section). */
#include "pbx/loaded.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pbx/ownership.h"

void pbx_loaded_free(struct pbx_loaded *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->keys[i]);
	free(l->keys);
	memset(l, 0, sizeof *l);
}

__attribute__((format(printf, 2, 3))) static void add_key(struct pbx_loaded *l, const char *fmt, ...)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->keys = realloc(l->keys, l->cap * sizeof *l->keys);
		if (!l->keys)
			abort();
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *k = malloc((size_t)n + 1);
	if (!k)
		abort();
	va_start(ap, fmt);
	vsnprintf(k, (size_t)n + 1, fmt, ap);
	va_end(ap);
	l->keys[l->n++] = k;
}

static const char *field(const struct ami_msg *ev, const char *name)
{
	const char *v = ami_msg_get(ev, name);
	return v ? v : "";
}

/* One list action; an empty list ("No AORs found", "Did not find context ...") is no error. */
static enum ami_status list(struct ami_pool *pool, const char *action, const char *context, struct ami_result *r,
			    char *msg, size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", action);
	if (context)
		ami_msg_add(&m, "Context", context);
	enum ami_status st = ami_pool_action(pool, &m, r);
	ami_msg_free(&m);
	if (st == AMI_ERROR && r->refusal == AMI_REFUSAL_EMPTY_LIST)
		return AMI_OK;   /* r->n_events is 0 */
	if (st != AMI_OK)
		snprintf(msg, len, "%s: %s", action, r->message);
	return st;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum ami_status pbx_loaded_read(const struct pbx_settings *s, struct ami_pool *pool, struct pbx_loaded *out,
				char *msg, size_t len)
{
	pbx_loaded_free(out);
	static const char *const pjsip_lists[] = { "PJSIPShowEndpoints", "PJSIPShowAors", "PJSIPShowAuths" };
	enum ami_status st = AMI_OK;
	for (size_t i = 0; i < 3 && st == AMI_OK && s->driver == PBX_PJSIP; i++) {
		struct ami_result r;
		ami_result_init(&r);
		st = list(pool, pjsip_lists[i], NULL, &r, msg, len);
		for (size_t e = 0; e < r.n_events && st == AMI_OK; e++) {
			const struct ami_msg *ev = r.events[e];
			const char *type = field(ev, "ObjectType"), *name = field(ev, "ObjectName");
			if (strcmp(type, "endpoint") == 0)
				add_key(out, "endpoint\n%s\n%s\n%s", name, field(ev, "Aor"), field(ev, "Auths"));
			else if (strcmp(type, "aor") == 0)
				add_key(out, "aor\n%s\n%s", name, field(ev, "MaxContacts"));
			else if (strcmp(type, "auth") == 0)
				add_key(out, "auth\n%s\n%s\n%s", name, field(ev, "Username"), field(ev, "Password"));
		}
		ami_result_free(&r);
	}
	if (st == AMI_OK) {
		struct ami_result r;
		ami_result_init(&r);
		st = list(pool, "ShowDialPlan", PBX_PHONES_CONTEXT, &r, msg, len);
		for (size_t e = 0; e < r.n_events && st == AMI_OK; e++) {
			const struct ami_msg *ev = r.events[e];
			const char *data = ami_msg_get(ev, "AppData");
			if (strcmp(field(ev, "Context"), PBX_PHONES_CONTEXT) != 0 || !ami_msg_get(ev, "Extension"))
				continue;   /* an include or a switch: not a line of a phone */
			if (data)
				add_key(out, "exten\n%s,%s,%s(%s)", field(ev, "Extension"), field(ev, "Priority"),
					field(ev, "Application"), data);
			else
				add_key(out, "exten\n%s,%s,%s", field(ev, "Extension"), field(ev, "Priority"),
					field(ev, "Application"));
		}
		ami_result_free(&r);
	}
	if (st != AMI_OK) {
		pbx_loaded_free(out);
		return st;
	}
	if (out->n)
		qsort(out->keys, out->n, sizeof *out->keys, by_key);
	return AMI_OK;
}

static bool has(const struct pbx_loaded *l, const char *key)
{
	return l->n && bsearch(&key, l->keys, l->n, sizeof *l->keys, by_key) != NULL;
}

static const char *line(const struct ami_cfg_want *w, const char *name)
{
	for (size_t i = 0; i < w->n_lines; i++)
		if (strcasecmp(w->lines[i].name, name) == 0)
			return w->lines[i].value;
	return "";
}

bool pbx_loaded_sections(const struct pbx_loaded *l, const struct ami_cfg_want *want, size_t n)
{
	char key[1024];
	for (size_t i = 0; i < n; i++) {
		const struct ami_cfg_want *w = &want[i];
		const char *type = pbx_lines_type(w->lines, w->n_lines);
		if (strcmp(type, "endpoint") == 0)
			snprintf(key, sizeof key, "endpoint\n%s\n%s\n%s", w->name, line(w, "aors"), line(w, "auth"));
		else if (strcmp(type, "aor") == 0)   /* res_pjsip's default max_contacts is 0 */
			snprintf(key, sizeof key, "aor\n%s\n%s", w->name, *line(w, "max_contacts") ? line(w, "max_contacts") : "0");
		else if (strcmp(type, "auth") == 0)
			snprintf(key, sizeof key, "auth\n%s\n%s\n%s", w->name, line(w, "username"), line(w, "password"));
		else
			continue;   /* identify, registration: not in these lists */
		if (!has(l, key))
			return false;
	}
	return true;
}

bool pbx_loaded_phone(const struct pbx_settings *s, const struct pbx_loaded *l, const struct phone *p)
{
	struct pbx_sections want;
	memset(&want, 0, sizeof want);
	if (pbx_dialplan_section(s, p->extension, &want) != 0)
		return false;
	char key[1024];
	for (size_t i = 0; i < want.n; i++)
		for (size_t k = 0; k < want.want[i].n_lines; k++) {
			snprintf(key, sizeof key, "exten\n%s", want.want[i].lines[k].value);
			if (!has(l, key))
				return false;
		}
	if (s->driver != PBX_PJSIP)
		return true;
	return pbx_phone_sections(s, p, &want) == 0 && pbx_loaded_sections(l, want.want, want.n);
}
