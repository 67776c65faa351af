/* phone_config: a phone → the Asterisk configuration it needs. Pure functions, no I/O. */
#include "pbx/pbx.h"
#include "pbx/pbx_file.h"
#include "pbx/route_plan.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *pbx_config_file(enum pbx_driver d) { return d == PBX_SIP ? "sip.conf" : "pjsip.conf"; }

const char *pbx_reload_module(enum pbx_driver d) { return d == PBX_SIP ? "chan_sip.so" : "res_pjsip.so"; }

const char *pbx_check_extension(const struct pbx_settings *s, const char *extension)
{
	size_t n = strlen(extension);
	if (n == 0)
		return "required";
	if (strspn(extension, "0123456789") != n)
		return "digits_only";
	if (n > 8 || (n > 1 && extension[0] == '0'))
		return "ext_range";
	long v = strtol(extension, NULL, 10);
	if (v < s->ext_min || v > s->ext_max)
		return "ext_range";
	for (int i = 0; i < s->n_reserved; i++)
		if (strcmp(s->reserved[i], extension) == 0)
			return "ext_reserved";
	for (int i = 0; i < s->n_emergency; i++)   /* every phone dials them: no phone may be reached there */
		if (strcmp(s->emergency[i], extension) == 0)
			return "ext_reserved";
	return NULL;
}

bool pbx_class_known(const struct pbx_settings *s, const char *calling_class)
{
	for (int i = 0; i < s->n_classes; i++)
		if (strcmp(s->classes[i], calling_class) == 0)
			return true;
	return false;
}

void pbx_callerid(const char *name, const char *extension, char *out, size_t size)
{
	/* ast_callerid_split() reads "name" <number>: a quote, backslash or angle bracket inside the name
	 * would end it early. The name was validated (no control characters); drop those four. */
	char clean[PHONE_NAME_MAX];
	size_t n = 0;
	for (const char *c = name; *c && n + 1 < sizeof clean; c++)
		if (*c != '"' && *c != '\\' && *c != '<' && *c != '>')
			clean[n++] = *c;
	clean[n] = '\0';
	snprintf(out, size, "\"%s\" <%s>", n ? clean : extension, extension);
}

static const char *store(struct pbx_sections *o, const char *s)
{
	size_t len = strlen(s) + 1;
	if (o->used + len > sizeof o->strings)
		return NULL;
	char *p = o->strings + o->used;
	memcpy(p, s, len);
	o->used += len;
	return p;
}

static struct ami_cfg_want *begin_section(struct pbx_sections *o, const char *name, const char *type)
{
	struct ami_cfg_want *w = &o->want[o->n];
	w->name = store(o, name);
	w->type = type;
	w->lines = o->lines[o->n];
	w->n_lines = 0;
	o->n++;
	return w;
}

static int add_line(struct pbx_sections *o, struct ami_cfg_want *w, const char *name, const char *value)
{
	size_t idx = (size_t)(w - o->want);
	if (w->n_lines == PBX_MAX_LINES)
		return -1;
	struct ami_cfg_line *l = &o->lines[idx][w->n_lines];
	l->name = (char *)store(o, name);
	l->value = (char *)store(o, value);
	if (!l->name || !l->value || !w->name)
		return -1;
	w->n_lines++;
	return 0;
}

static int add_codecs(const struct pbx_settings *s, struct pbx_sections *o, struct ami_cfg_want *w)
{
	int rc = add_line(o, w, "disallow", "all");
	for (int i = 0; i < s->n_codecs; i++)
		rc |= add_line(o, w, "allow", s->codecs[i]);
	return rc;
}

size_t pbx_section_names(const struct pbx_settings *s, const char *extension, char names[][32])
{
	snprintf(names[0], 32, "%s", extension);
	if (s->driver == PBX_SIP)
		return 1;
	snprintf(names[1], 32, "%s-auth", extension);
	return 2;
}

int pbx_phone_sections(const struct pbx_settings *s, const struct phone *p, struct pbx_sections *o)
{
	memset(o, 0, sizeof *o);
	char callerid[PHONE_NAME_MAX + 40], auth[32], context[PBX_CLASS_CONTEXT_MAX];
	pbx_callerid(p->name, p->extension, callerid, sizeof callerid);
	/* The phone calls from its class's context (route_plan.h), which includes the integrator's own. */
	pbx_class_context(p->calling_class, context);
	snprintf(auth, sizeof auth, "%s-auth", p->extension);
	int rc = 0;
	if (s->driver == PBX_SIP) {
		/* chan_sip (the seed's driver): one peer does it all. */
		struct ami_cfg_want *peer = begin_section(o, p->extension, NULL);
		rc |= add_line(o, peer, "type", "friend");
		rc |= add_line(o, peer, "host", "dynamic");
		rc |= add_line(o, peer, "secret", p->secret);
		rc |= add_line(o, peer, "context", context);
		rc |= add_line(o, peer, "callerid", callerid);
		rc |= add_codecs(s, o, peer);
		return rc ? -1 : 0;
	}
	/* Order matters for same-named sections: the endpoint is looked up by type, so each carries its type. */
	struct ami_cfg_want *ep = begin_section(o, p->extension, "endpoint");
	rc |= add_line(o, ep, "type", "endpoint");
	rc |= add_line(o, ep, "context", context);
	rc |= add_codecs(s, o, ep);
	rc |= add_line(o, ep, "auth", auth);
	rc |= add_line(o, ep, "aors", p->extension);
	rc |= add_line(o, ep, "callerid", callerid);
	struct ami_cfg_want *au = begin_section(o, auth, NULL);
	rc |= add_line(o, au, "type", "auth");
	rc |= add_line(o, au, "auth_type", "userpass");
	rc |= add_line(o, au, "username", p->extension);
	rc |= add_line(o, au, "password", p->secret);
	struct ami_cfg_want *aor = begin_section(o, p->extension, "aor");
	rc |= add_line(o, aor, "type", "aor");
	rc |= add_line(o, aor, "max_contacts", "1");
	rc |= add_line(o, aor, "remove_existing", "yes");
	return rc ? -1 : 0;
}

void pbx_dialplan_context(const char *extension, char out[32])
{
	snprintf(out, 32, "centralita-%s", extension);
}

void pbx_phone_group(int64_t phone_id, int64_t *first, int64_t *last)
{
	*first = (phone_id - 1) / PBX_PHONES_PER_FILE * PBX_PHONES_PER_FILE + 1;
	*last = *first + PBX_PHONES_PER_FILE - 1;
}

void pbx_phone_files(const struct pbx_settings *s, int64_t phone_id, char chan[PBX_FILE_MAX], char dial[PBX_FILE_MAX])
{
	int64_t first, last;
	pbx_phone_group(phone_id, &first, &last);
	snprintf(chan, PBX_FILE_MAX, PBX_DIR "/%s-phones-%lld-%lld.conf", s->driver == PBX_SIP ? "sip" : "pjsip",
		 (long long)first, (long long)last);
	snprintf(dial, PBX_FILE_MAX, PBX_DIR "/dialplan-phones-%lld-%lld.conf", (long long)first, (long long)last);
}

void pbx_phone_own_files(const struct pbx_settings *s, int64_t phone_id, char chan[PBX_FILE_MAX],
			 char dial[PBX_FILE_MAX])
{
	snprintf(chan, PBX_FILE_MAX, PBX_DIR "/%s-%lld.conf", s->driver == PBX_SIP ? "sip" : "pjsip", (long long)phone_id);
	snprintf(dial, PBX_FILE_MAX, PBX_DIR "/dialplan-%lld.conf", (long long)phone_id);
}

int pbx_dialplan_section(const struct pbx_settings *s, const char *extension, struct pbx_sections *o)
{
	const char *tech = s->driver == PBX_SIP ? "SIP" : "PJSIP";
	char hint[128], dial[128];
	snprintf(hint, sizeof hint, "%s,hint,%s/%s", extension, tech, extension);
	snprintf(dial, sizeof dial, "%s,1,Dial(%s/%s,30)", extension, tech, extension);
	if (o->n == PBX_MAX_SECTIONS)
		return -1;
	/* "exten = ..." rather than "exten => ...": the same to Asterisk, and a value GetConfig reads back
	 * unchanged, so comparing wanted and current lines works. */
	struct ami_cfg_want *ctx = begin_section(o, PBX_PHONES_CONTEXT, NULL);
	int rc = add_line(o, ctx, "exten", hint);
	rc |= add_line(o, ctx, "exten", dial);
	return rc ? -1 : 0;
}

int pbx_phone_part(const struct pbx_settings *s, const struct phone *p, struct buf *chan, struct buf *dial,
		   char chan_digest[PBX_DIGEST_HEX], char dial_digest[PBX_DIGEST_HEX], char *err, size_t errlen)
{
	struct pbx_sections sections, context;
	memset(&sections, 0, sizeof sections);
	memset(&context, 0, sizeof context);
	if (!p->deleted &&   /* a removed phone has no part */
	    (pbx_phone_sections(s, p, &sections) != 0 || pbx_dialplan_section(s, p->extension, &context) != 0)) {
		snprintf(err, errlen, "phone %s: a value is too long for the PBX", p->extension);
		return -1;
	}
	/* A line break would end a line of the stored text (and of the file) early. */
	const struct pbx_sections *both[2] = { &sections, &context };
	for (int b = 0; b < 2; b++)
		for (size_t i = 0; i < both[b]->n; i++)
			for (size_t l = 0; l < both[b]->want[i].n_lines; l++)
				if (strpbrk(both[b]->want[i].lines[l].value, "\r\n")) {
					snprintf(err, errlen, "phone %s: a line break in %s", p->extension,
						 both[b]->want[i].lines[l].name);
					return -1;
				}
	pbx_want_text(sections.want, sections.n, chan);
	pbx_want_text(context.want, context.n, dial);
	pbx_want_digest(sections.want, sections.n, chan_digest);
	pbx_want_digest(context.want, context.n, dial_digest);
	return 0;
}
