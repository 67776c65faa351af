/* trunk_state: what Asterisk says of each trunk now (see trunk_state.h). */
#include "pbx/trunk_state.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pbx/trunk_config.h"

/* Registration statuses as res_pjsip_outbound_registration.c names them (sip_outbound_registration_status_str). */
static enum pbx_trunk_reg reg_kind(const char *status)
{
	static const struct {
		const char *word;
		enum pbx_trunk_reg kind;
	} words[] = {
		{ "Registered", PBX_TRUNK_REG_REGISTERED },
		{ "Unregistered", PBX_TRUNK_REG_UNREGISTERED },
		{ "Rejected", PBX_TRUNK_REG_REJECTED },
		{ "Stopped", PBX_TRUNK_REG_STOPPED },
	};
	for (size_t i = 0; status && i < sizeof words / sizeof *words; i++)
		if (strcasecmp(status, words[i].word) == 0)
			return words[i].kind;
	return PBX_TRUNK_REG_UNKNOWN;
}

/* Contact statuses as res_pjsip names them (ast_sip_get_contact_status_label): Reachable, Unreachable,
 * NonQualified, Unknown, Created, Removed. Only the first two say anything about the provider. */
static enum pbx_trunk_reach reach_kind(const char *status)
{
	if (status && strcasecmp(status, "Reachable") == 0)
		return PBX_TRUNK_REACH_OK;
	if (status && strcasecmp(status, "Unreachable") == 0)
		return PBX_TRUNK_REACH_UNREACHABLE;
	return PBX_TRUNK_REACH_UNKNOWN;
}

/* The state whose object name is prefix + name + suffix, or NULL. */
static struct pbx_trunk_state *find(struct pbx_trunk_state *states, size_t n, const char *object, size_t len,
				    const char *suffix)
{
	size_t plen = strlen(PBX_TRUNK_PREFIX), slen = strlen(suffix);
	if (len < plen + slen || strncmp(object, PBX_TRUNK_PREFIX, plen) != 0 ||
	    strncmp(object + len - slen, suffix, slen) != 0)
		return NULL;
	const char *name = object + plen;
	size_t nlen = len - plen - slen;
	for (size_t i = 0; i < n; i++)
		if (strlen(states[i].name) == nlen && strncmp(states[i].name, name, nlen) == 0)
			return &states[i];
	return NULL;
}

static void append_detail(struct pbx_trunk_state *s, const char *what)
{
	size_t used = strlen(s->detail);
	snprintf(s->detail + used, sizeof s->detail - used, "%s%s", used ? "; " : "", what);
}

/* Runs a list action; an empty list ("No ... found", an error answer) is an empty result. */
static enum ami_status list(struct ami_pool *pool, const char *action, struct ami_result *r, char *msg, size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", action);
	enum ami_status st = ami_pool_action(pool, &m, r);
	ami_msg_free(&m);
	if (st == AMI_ERROR && r->refusal == AMI_REFUSAL_EMPTY_LIST)
		return AMI_OK; /* an error answer carries no list events */
	if (st != AMI_OK)
		snprintf(msg, len, "%s: %s", action, r->message);
	return st;
}

enum ami_status pbx_trunk_states(struct ami_pool *pool, struct pbx_trunk_state *states, size_t n, char *msg,
				 size_t len)
{
	for (size_t i = 0; i < n; i++) {
		states[i].reg = PBX_TRUNK_REG_NONE;
		states[i].reach = PBX_TRUNK_REACH_UNKNOWN;
		states[i].detail[0] = '\0';
	}
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = list(pool, "PJSIPShowRegistrationsOutbound", &r, msg, len);
	for (size_t i = 0; st == AMI_OK && i < r.n_events; i++) {
		const struct ami_msg *ev = r.events[i];
		const char *object = ami_msg_get(ev, "ObjectName");
		const char *type = ami_msg_get(ev, "ObjectType");
		if (!object || (type && strcmp(type, "registration") != 0))
			continue;
		struct pbx_trunk_state *s = find(states, n, object, strlen(object), "-reg");
		if (!s)
			continue;
		const char *status = ami_msg_get(ev, "Status");
		s->reg = reg_kind(status);
		append_detail(s, status ? status : "?");
	}
	ami_result_free(&r);
	if (st == AMI_OK) {
		ami_result_init(&r);
		st = list(pool, "PJSIPShowContacts", &r, msg, len);
		for (size_t i = 0; st == AMI_OK && i < r.n_events; i++) {
			const struct ami_msg *ev = r.events[i];
			/* A contact is named "<aor>;@<hash>" (registered) or "<aor>@@<hash>" (from the aor's
			 * configuration, as a trunk's is). */
			const char *object = ami_msg_get(ev, "ObjectName");
			if (!object)
				continue;
			size_t aor_len = strcspn(object, ";@");
			struct pbx_trunk_state *s = find(states, n, object, aor_len, "");
			if (!s)
				continue;
			const char *status = ami_msg_get(ev, "Status");
			enum pbx_trunk_reach kind = reach_kind(status);
			if (kind == PBX_TRUNK_REACH_OK || s->reach == PBX_TRUNK_REACH_UNKNOWN)
				s->reach = kind;
			append_detail(s, status ? status : "?");
		}
		ami_result_free(&r);
	}
	if (st != AMI_OK)
		for (size_t i = 0; i < n; i++) {
			states[i].reg = PBX_TRUNK_REG_UNKNOWN;
			states[i].reach = PBX_TRUNK_REACH_UNKNOWN;
			states[i].detail[0] = '\0';
		}
	return st;
}
