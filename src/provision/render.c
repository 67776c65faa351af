/* render: phone provisioning files from ClearSilver templates, parsed once and rendered many times.
 *
 * Each template gets its own CSPARSE whose escaping mode is fixed at cs_init from a small config HDF
 * (Config.VarEscapeMode). A render points cs->hdf at a fresh per-call HDF holding the phone, renders,
 * and points it back; a mutex keeps two threads off the same CSPARSE (ClearSilver is not safe for that).
 * Measured (-O2, this machine): loading all 7 templates ~190 us; a cached render 2-4.5 us per phone;
 * parsing per call would cost ~13 us per template (~90 us for all): startup pays the parse once. */
#include "provision/provision_int.h"
#include "util/text.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ClearSilver.h>
#include <openssl/crypto.h>

struct template {
	HDF *config;  /* owns Config.VarEscapeMode; cs->hdf points here between renders */
	CSPARSE *cs;
};

struct provision_renderer {
	pthread_mutex_t lock;
	struct template t[PROVISION_VENDOR__MAX][PROVISION_MAX_FILES];
};

static void neoerr_to(NEOERR *e, const char *what, char *err, size_t errlen)
{
	STRING s;
	string_init(&s);
	nerr_error_string(e, &s);
	provision_seterr(err, errlen, "%s: %s", what, s.buf ? s.buf : "unknown ClearSilver error");
	string_clear(&s);
	nerr_ignore(&e);
}

static void template_free(struct template *t)
{
	if (t->cs) {
		t->cs->hdf = t->config;
		cs_destroy(&t->cs);
	}
	if (t->config)
		hdf_destroy(&t->config);
}

static int template_load(struct template *t, const char *dir, const struct provision_file_spec *f,
                         bool escape_html, char *err, size_t errlen)
{
	char path[4096];
	NEOERR *e;
	if (snprintf(path, sizeof path, "%s/%s", dir, f->template) >= (int)sizeof path) {
		provision_seterr(err, errlen, "template path too long: %s/%s", dir, f->template);
		return -1;
	}
	/* Escaping is chosen here, once: cs_init reads Config.VarEscapeMode and never again.
	 * XML formats (Polycom, Grandstream, Snom, Cisco SPA, Fanvil): "html" turns & < > " ' into entities,
	 * which is exactly XML escaping for text and quoted attributes.
	 * Yealink's <mac>.cfg is "key = value" lines, not XML: an entity would reach the phone literally
	 * ("Zo&euml;"), so that template alone uses "none". It is safe because a value ends only at a line
	 * end and render_check() refuses every control character (CR, LF, NUL, ...) in every field before any
	 * template runs; the caller's form validation refuses them too. */
	if ((e = hdf_init(&t->config)) != STATUS_OK ||
	    (e = hdf_set_value(t->config, "Config.VarEscapeMode", escape_html ? "html" : "none")) != STATUS_OK ||
	    (e = cs_init(&t->cs, t->config)) != STATUS_OK) {
		neoerr_to(e, path, err, errlen);
		return -1;
	}
	if ((e = cs_parse_file(t->cs, path)) != STATUS_OK) {
		neoerr_to(e, path, err, errlen);
		return -1;
	}
	return 0;
}

struct provision_renderer *provision_renderer_new(const char *dir, char *err, size_t errlen)
{
	NEOERR *e = nerr_init();
	if (e != STATUS_OK) {
		neoerr_to(e, "nerr_init", err, errlen);
		return NULL;
	}
	struct provision_renderer *r = calloc(1, sizeof *r);
	if (!r) {
		provision_seterr(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	for (int v = 0; v < PROVISION_VENDOR__MAX; v++) {
		const struct provision_vendor_spec *spec = provision_vendor_spec((enum provision_vendor)v);
		for (size_t i = 0; i < spec->nfiles; i++) {
			if (template_load(&r->t[v][i], dir, &spec->files[i], spec->escape_html, err, errlen) < 0) {
				provision_renderer_free(r);
				return NULL;
			}
		}
	}
	return r;
}

void provision_renderer_free(struct provision_renderer *r)
{
	if (!r)
		return;
	for (int v = 0; v < PROVISION_VENDOR__MAX; v++)
		for (size_t i = 0; i < PROVISION_MAX_FILES; i++)
			template_free(&r->t[v][i]);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- input checks (defence in depth: the caller's form validation runs first) ---- */

/* min..max bytes of text by util/text's rules (well-formed UTF-8 that XML 1.0 allows, no control characters). */
static bool check_text(const char *field, const char *s, size_t min, size_t max, char *err, size_t errlen)
{
	if (!s) {
		provision_seterr(err, errlen, "%s is missing", field);
		return false;
	}
	size_t n = strlen(s), at = 0;
	if (n < min || n > max) {
		provision_seterr(err, errlen, "%s must be %zu to %zu bytes long", field, min, max);
		return false;
	}
	const struct text_rule any = { 0, 0, 0, NULL };
	enum text_problem problem = text_check(&any, s, n, &at);
	if (problem) {
		provision_seterr(err, errlen, "%s %s at byte %zu", field, text_problem_text(problem), at);
		return false;
	}
	return true;
}

/* The display name: util/text's display-name rule, the very one the phone form applies; empty means "use
 * the extension". */
static bool check_display_name(const char *s, char *err, size_t errlen)
{
	if (!s) {
		provision_seterr(err, errlen, "display_name is missing");
		return false;
	}
	size_t at = 0;
	enum text_problem problem = *s ? text_check(&text_rule_display_name, s, strlen(s), &at) : TEXT_OK;
	if (problem) {
		provision_seterr(err, errlen, "display_name %s (byte %zu)", text_problem_text(problem), at);
		return false;
	}
	return true;
}

/* Printable ASCII without spaces (SIP user names, passwords). */
static bool check_token(const char *field, const char *s, size_t max, char *err, size_t errlen)
{
	if (!check_text(field, s, 1, max, err, errlen))
		return false;
	for (size_t i = 0; s[i]; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
			provision_seterr(err, errlen, "%s must be printable ASCII without spaces (byte %zu)", field, i);
			return false;
		}
	}
	return true;
}

/* A host name or IPv4 address ([A-Za-z0-9.-]), or an IPv6 address in brackets. */
static bool check_host(const char *s, char *err, size_t errlen)
{
	if (!check_text("server", s, 1, 253, err, errlen))
		return false;
	size_t n = strlen(s);
	bool v6 = s[0] == '[';
	if (v6 && (n < 4 || s[n - 1] != ']'))
		goto bad;
	for (size_t i = v6 ? 1 : 0; i < (v6 ? n - 1 : n); i++) {
		char c = s[i];
		bool ok = v6 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		                c == ':' || c == '.')
		             : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                c == '.' || c == '-');
		if (!ok)
			goto bad;
	}
	return true;
bad:
	provision_seterr(err, errlen, "server must be a host name, an IPv4 address or an [IPv6] address");
	return false;
}

static const char *transport_name(enum provision_transport t)
{
	switch (t) {
	case PROVISION_UDP: return "udp";
	case PROVISION_TCP: return "tcp";
	case PROVISION_TLS: return "tls";
	}
	return NULL;
}

static enum provision_err render_check(const struct provision_phone *p, char mac[PROVISION_MAC_LEN + 1],
                                       const struct provision_model **model, char *err, size_t errlen)
{
	if (!p->mac) {
		provision_seterr(err, errlen, "mac is missing");
		return PROVISION_E_MAC;
	}
	enum provision_mac_err me = provision_mac_parse(p->mac, strlen(p->mac), mac);
	if (me != PROVISION_MAC_OK) {
		provision_seterr(err, errlen, "mac: %s", provision_mac_strerror(me));
		return PROVISION_E_MAC;
	}
	if (!(*model = provision_model_find(p->model))) {
		provision_seterr(err, errlen, "model: unknown phone model");
		return PROVISION_E_MODEL;
	}
	if (!check_token("extension", p->extension, 64, err, errlen) ||
	    !check_display_name(p->display_name, err, errlen) ||
	    !check_token("secret", p->secret, 128, err, errlen) || !check_host(p->server, err, errlen))
		return PROVISION_E_VALUE;
	if (p->port < 1 || p->port > 65535) {
		provision_seterr(err, errlen, "port must be 1 to 65535");
		return PROVISION_E_VALUE;
	}
	if (!transport_name(p->transport)) {
		provision_seterr(err, errlen, "transport must be udp, tcp or tls");
		return PROVISION_E_VALUE;
	}
	return PROVISION_OK;
}

static NEOERR *phone_hdf(HDF *h, const struct provision_phone *p, const char *mac,
                         const struct provision_model *model)
{
	char upper[PROVISION_MAC_LEN + 1];
	for (size_t i = 0; i <= PROVISION_MAC_LEN; i++)
		upper[i] = (mac[i] >= 'a' && mac[i] <= 'f') ? (char)(mac[i] - 'a' + 'A') : mac[i];
	const char *shown = p->display_name[0] ? p->display_name : p->extension;
	NEOERR *e;
	if ((e = hdf_set_value(h, "Phone.Mac", mac)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.MacUpper", upper)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.Model", model->id)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.ModelName", model->name)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.Extension", p->extension)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.DisplayName", shown)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.Secret", p->secret)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.Server", p->server)) != STATUS_OK ||
	    (e = hdf_set_int_value(h, "Phone.Port", (int)p->port)) != STATUS_OK ||
	    (e = hdf_set_value(h, "Phone.Transport", transport_name(p->transport))) != STATUS_OK)
		return e;
	return STATUS_OK;
}

static NEOERR *to_buf(void *ctx, char *s)
{
	buf_puts(ctx, s);
	return STATUS_OK;
}

enum provision_err provision_render(struct provision_renderer *r, const struct provision_phone *p,
                                    struct provision_output *out, char *err, size_t errlen)
{
	char mac[PROVISION_MAC_LEN + 1];
	const struct provision_model *model = NULL;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < PROVISION_MAX_FILES; i++)
		buf_init(&out->files[i].data);

	enum provision_err rc = render_check(p, mac, &model, err, errlen);
	if (rc != PROVISION_OK)
		return rc;

	const struct provision_vendor_spec *spec = provision_vendor_spec(model->vendor);
	HDF *h = NULL;
	NEOERR *e;
	if ((e = hdf_init(&h)) != STATUS_OK || (e = phone_hdf(h, p, mac, model)) != STATUS_OK) {
		neoerr_to(e, "phone data", err, errlen);
		hdf_destroy(&h);
		return PROVISION_E_RENDER;
	}
	for (size_t i = 0; i < spec->nfiles; i++) {
		struct provision_file *f = &out->files[i];
		if (!provision_build_name(&spec->files[i], mac, f->name)) {
			provision_seterr(err, errlen, "unsafe file name for %s", model->id);
			rc = PROVISION_E_RENDER;
			break;
		}
		f->role = spec->files[i].role;
		out->count = i + 1;
		struct template *t = &r->t[model->vendor][i];
		pthread_mutex_lock(&r->lock);
		t->cs->hdf = h;
		e = cs_render(t->cs, &f->data, to_buf);
		t->cs->hdf = t->config;
		pthread_mutex_unlock(&r->lock);
		if (e != STATUS_OK) {
			neoerr_to(e, spec->files[i].template, err, errlen);
			rc = PROVISION_E_RENDER;
			break;
		}
	}
	hdf_destroy(&h);
	return rc;
}

void provision_output_free(struct provision_output *out)
{
	if (!out)
		return;
	for (size_t i = 0; i < PROVISION_MAX_FILES; i++) {
		if (out->files[i].data.data)
			OPENSSL_cleanse(out->files[i].data.data, out->files[i].data.cap);
		buf_free(&out->files[i].data);
	}
	out->count = 0;
}
