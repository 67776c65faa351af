/* trunk_state: what Asterisk says of each trunk now (see trunk_state.h).
 *
 * Observed on Asterisk 22.10.1 (tests/unit/support/ami-transcripts/12-trunks.txt):
 *   - PJSIPShowRegistrationsOutbound lists one OutboundRegistrationDetail per registration object (ObjectName
 *     "trunk-<name>-reg", Status Unregistered / Registered / Rejected / Stopped), each followed by the AuthDetail
 *     of its outbound_auth (skipped here). A registration starts "Unregistered"; a 403 makes it "Rejected", and
 *     so does a server that never answers, once the first REGISTER timed out (~40 s): "Rejected" says "not
 *     registered, Asterisk retries later", not only "wrong credentials".
 *   - PJSIPShowContacts does NOT list an aor's permanent contacts (contact = ... in pjsip.conf, as a trunk's):
 *     it answers "No Contacts found" while they exist. Their qualify status is in PJSIPShowEndpoint: one
 *     ContactStatusDetail per contact, "Status" Reachable / Unreachable / NonQualified (not qualified yet: a new
 *     contact stays so until its first qualify, up to qualify_frequency seconds) / Unknown. So: one
 *     PJSIPShowEndpoint per trunk; an endpoint Asterisk has not loaded answers an error "Unable to retrieve
 *     endpoint <name>". */
#include "pbx/trunk_state.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pbx/trunk_config.h"

/* Registration statuses as res_pjsip_outbound_registration.c names them (sip_outbound_registration_status_str;
 * observed: Unregistered, Registered, Rejected). */
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
		if (strcmp(status, words[i].word) == 0)
			return words[i].kind;
	return PBX_TRUNK_REG_UNKNOWN;
}

/* Contact statuses as res_pjsip names them (ast_sip_get_contact_status_label): Reachable, Unreachable,
 * NonQualified, Unknown, Created, Removed. Only the first two say anything about the provider. */
static enum pbx_trunk_reach reach_kind(const char *status)
{
	if (status && strcmp(status, "Reachable") == 0)
		return PBX_TRUNK_REACH_OK;
	if (status && strcmp(status, "Unreachable") == 0)
		return PBX_TRUNK_REACH_UNREACHABLE;
	return PBX_TRUNK_REACH_UNKNOWN;
}

/* The state whose registration object is "trunk-<name>-reg", or NULL. */
static struct pbx_trunk_state *find_reg(struct pbx_trunk_state *states, size_t n, const char *object)
{
	static const char suffix[] = "-reg";
	size_t len = strlen(object), plen = strlen(PBX_TRUNK_PREFIX), slen = strlen(suffix);
	if (len < plen + slen || strncmp(object, PBX_TRUNK_PREFIX, plen) != 0 ||
	    strcmp(object + len - slen, suffix) != 0)
		return NULL;
	size_t nlen = len - plen - slen;
	for (size_t i = 0; i < n; i++)
		if (strlen(states[i].name) == nlen && strncmp(states[i].name, object + plen, nlen) == 0)
			return &states[i];
	return NULL;
}

static void append_detail(struct pbx_trunk_state *s, const char *what)
{
	size_t used = strlen(s->detail);
	if (used + 1 >= sizeof s->detail)
		return;
	snprintf(s->detail + used, sizeof s->detail - used, "%s%s", used ? "; " : "", what);
}

static void set_all_unknown(struct pbx_trunk_state *states, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		states[i].reg = PBX_TRUNK_REG_UNKNOWN;
		states[i].reach = PBX_TRUNK_REACH_UNKNOWN;
		states[i].detail[0] = '\0';
	}
}

/* The outbound registrations: an empty list is a Success with no events (10-lists). */
static enum ami_status registrations(struct ami_pool *pool, struct pbx_trunk_state *states, size_t n, char *msg,
				     size_t len)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "PJSIPShowRegistrationsOutbound");
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(pool, &m, &r);
	ami_msg_free(&m);
	if (st == AMI_ERROR && r.refusal == AMI_REFUSAL_EMPTY_LIST)
		st = AMI_OK;
	else if (st != AMI_OK)
		snprintf(msg, len, "PJSIPShowRegistrationsOutbound: %s", r.message);
	for (size_t i = 0; st == AMI_OK && i < r.n_events; i++) {
		const struct ami_msg *ev = r.events[i];
		const char *event = ami_msg_get(ev, "Event");
		const char *object = ami_msg_get(ev, "ObjectName");
		if (!object || (event && strcmp(event, "OutboundRegistrationDetail") != 0))
			continue;   /* the AuthDetail that follows each registration */
		struct pbx_trunk_state *s = find_reg(states, n, object);
		if (!s)
			continue;   /* the integrator's own registrations */
		const char *status = ami_msg_get(ev, "Status");
		s->reg = reg_kind(status);
		append_detail(s, status && *status ? status : "?");
	}
	ami_result_free(&r);
	return st;
}

/* The trunk's aor contact as qualify left it: PJSIPShowEndpoint's ContactStatusDetail events. Reachable if one
 * contact is, else unreachable if one is, else unknown. An endpoint Asterisk has not loaded is unknown. */
static enum ami_status contact_state(struct ami_pool *pool, struct pbx_trunk_state *s, char *msg, size_t len)
{
	char endpoint[PBX_TRUNK_ENDPOINT_MAX];
	pbx_trunk_endpoint(s->name, endpoint);
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "PJSIPShowEndpoint");
	ami_msg_add(&m, "Endpoint", endpoint);
	struct ami_result r;
	ami_result_init(&r);
	enum ami_status st = ami_pool_action(pool, &m, &r);
	ami_msg_free(&m);
	static const char not_loaded[] = "Unable to retrieve endpoint ";
	if (st == AMI_ERROR && strncmp(r.message, not_loaded, sizeof not_loaded - 1) == 0) {
		ami_result_free(&r);
		return AMI_OK;   /* not loaded (yet): unknown */
	}
	if (st != AMI_OK) {
		snprintf(msg, len, "PJSIPShowEndpoint %s: %s", endpoint, r.message);
		ami_result_free(&r);
		return st;
	}
	const char *worded = NULL;   /* the status word of the best contact: reachable, else unreachable, else any */
	int best = -1;
	for (size_t i = 0; i < r.n_events; i++) {
		const struct ami_msg *ev = r.events[i];
		const char *event = ami_msg_get(ev, "Event");
		if (!event || strcmp(event, "ContactStatusDetail") != 0)
			continue;
		const char *status = ami_msg_get(ev, "Status");
		enum pbx_trunk_reach kind = reach_kind(status);
		int rank = kind == PBX_TRUNK_REACH_OK ? 2 : kind == PBX_TRUNK_REACH_UNREACHABLE ? 1 : 0;
		if (rank > best) {
			best = rank;
			s->reach = kind;
			worded = status && *status ? status : "?";
		}
	}
	if (worded)
		append_detail(s, worded);
	ami_result_free(&r);
	return AMI_OK;
}

enum ami_status pbx_trunk_states(struct ami_pool *pool, struct pbx_trunk_state *states, size_t n, char *msg,
				 size_t len)
{
	for (size_t i = 0; i < n; i++) {
		states[i].reg = PBX_TRUNK_REG_NONE;
		states[i].reach = PBX_TRUNK_REACH_UNKNOWN;
		states[i].detail[0] = '\0';
	}
	enum ami_status st = registrations(pool, states, n, msg, len);
	for (size_t i = 0; st == AMI_OK && i < n; i++)
		st = contact_state(pool, &states[i], msg, len);
	if (st != AMI_OK)
		set_all_unknown(states, n);
	return st;
}
