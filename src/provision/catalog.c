/* catalog: the supported vendors and phone models, the file names each vendor's phones request, and
 * the module's error strings. */
#include "provision/provision_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct provision_vendor_info vendors[PROVISION_VENDOR__MAX] = {
	{ PROVISION_YEALINK, "yealink", "Yealink", "yealink.cs" },
	{ PROVISION_POLYCOM, "polycom", "Polycom", "polycom.cs" },
	{ PROVISION_GRANDSTREAM, "grandstream", "Grandstream", "grandstream.cs" },
	{ PROVISION_SNOM, "snom", "Snom", "snom.cs" },
	{ PROVISION_CISCO_SPA, "cisco-spa", "Cisco SPA", "cisco-spa.cs" },
	{ PROVISION_FANVIL, "fanvil", "Fanvil", "fanvil.cs" },
};

/* Grouped by vendor, in vendor order: a form can print a heading whenever the vendor changes. */
static const struct provision_model models[] = {
	{ "yealink-t31p", "Yealink T31P", PROVISION_YEALINK, "yealink.cs", 2 },
	{ "yealink-t33g", "Yealink T33G", PROVISION_YEALINK, "yealink.cs", 4 },
	{ "yealink-t46u", "Yealink T46U", PROVISION_YEALINK, "yealink.cs", 16 },
	{ "yealink-t54w", "Yealink T54W", PROVISION_YEALINK, "yealink.cs", 16 },
	{ "polycom-vvx250", "Polycom VVX 250", PROVISION_POLYCOM, "polycom.cs", 4 },
	{ "polycom-vvx450", "Polycom VVX 450", PROVISION_POLYCOM, "polycom.cs", 12 },
	{ "grandstream-gxp2160", "Grandstream GXP2160", PROVISION_GRANDSTREAM, "grandstream.cs", 6 },
	{ "grandstream-grp2614", "Grandstream GRP2614", PROVISION_GRANDSTREAM, "grandstream.cs", 4 },
	{ "snom-d715", "Snom D715", PROVISION_SNOM, "snom.cs", 4 },
	{ "snom-d785", "Snom D785", PROVISION_SNOM, "snom.cs", 12 },
	{ "cisco-spa504g", "Cisco SPA504G", PROVISION_CISCO_SPA, "cisco-spa.cs", 4 },
	{ "cisco-spa525g", "Cisco SPA525G", PROVISION_CISCO_SPA, "cisco-spa.cs", 5 },
	{ "fanvil-x4u", "Fanvil X4U", PROVISION_FANVIL, "fanvil.cs", 12 },
	{ "fanvil-x6u", "Fanvil X6U", PROVISION_FANVIL, "fanvil.cs", 20 },
};

/* What each vendor's phones request (templates document how to point the phone at the server):
 * Yealink      <mac>.cfg        key = value, first line "#!version:1.0.0.1"
 * Polycom      <mac>.cfg        per-phone MASTER file (<APPLICATION CONFIG_FILES=...>): the UC Software
 *                               reads settings only from the files it lists, so it lists <mac>-user.cfg,
 *                               which holds the registration (<polycomConfig>); both are per phone.
 * Grandstream  cfg<mac>.xml     <gs_provision> with P-values
 * Snom         <MAC>.xml        upper case, as the {mac} placeholder of the Setting URL expands
 * Cisco SPA    spa<mac>.cfg     <flat-profile>, matching a Profile_Rule of .../spa$MA.cfg
 * Fanvil       <mac>.cfg        XML <sysConf> (firmware 2.x format) */
static const struct provision_vendor_spec specs[PROVISION_VENDOR__MAX] = {
	{ &vendors[PROVISION_YEALINK], false, 1, { { "", ".cfg", false, "yealink.cs", "config" } } },
	{ &vendors[PROVISION_POLYCOM], true, 2,
	  { { "", "-user.cfg", false, "polycom.cs", "config" },
	    { "", ".cfg", false, "polycom-master.cs", "master" } } },
	{ &vendors[PROVISION_GRANDSTREAM], true, 1, { { "cfg", ".xml", false, "grandstream.cs", "config" } } },
	{ &vendors[PROVISION_SNOM], true, 1, { { "", ".xml", true, "snom.cs", "config" } } },
	{ &vendors[PROVISION_CISCO_SPA], true, 1, { { "spa", ".cfg", false, "cisco-spa.cs", "config" } } },
	{ &vendors[PROVISION_FANVIL], true, 1, { { "", ".cfg", false, "fanvil.cs", "config" } } },
};

size_t provision_vendor_count(void)
{
	return PROVISION_VENDOR__MAX;
}

const struct provision_vendor_info *provision_vendor_at(size_t i)
{
	return i < PROVISION_VENDOR__MAX ? &vendors[i] : NULL;
}

const struct provision_vendor_info *provision_vendor_info(enum provision_vendor v)
{
	return (unsigned)v < PROVISION_VENDOR__MAX ? &vendors[v] : NULL;
}

size_t provision_model_count(void)
{
	return sizeof models / sizeof models[0];
}

const struct provision_model *provision_model_at(size_t i)
{
	return i < provision_model_count() ? &models[i] : NULL;
}

const struct provision_model *provision_model_find(const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < provision_model_count(); i++)
		if (strcmp(models[i].id, id) == 0)
			return &models[i];
	return NULL;
}

const struct provision_vendor_spec *provision_vendor_spec(enum provision_vendor v)
{
	return (unsigned)v < PROVISION_VENDOR__MAX ? &specs[v] : NULL;
}

/* A safe name: 1..NAME_MAX-1 bytes of [a-zA-Z0-9.-], not starting with '.'. */
static bool name_is_safe(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= PROVISION_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

bool provision_build_name(const struct provision_file_spec *spec, const char *mac, char out[PROVISION_NAME_MAX])
{
	char m[PROVISION_MAC_LEN + 1];
	out[0] = '\0';
	if (strlen(mac) != PROVISION_MAC_LEN)
		return false;
	for (size_t i = 0; i < PROVISION_MAC_LEN; i++) {
		char c = mac[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		m[i] = (spec->upper && c >= 'a') ? (char)(c - 'a' + 'A') : c;
	}
	m[PROVISION_MAC_LEN] = '\0';
	int n = snprintf(out, PROVISION_NAME_MAX, "%s%s%s", spec->prefix, m, spec->suffix);
	if (n < 0 || n >= PROVISION_NAME_MAX || !name_is_safe(out)) {
		/* Only a broken spec table gets here: the MAC was checked above. */
		assert(!"unsafe provisioning file name");
		out[0] = '\0';
		return false;
	}
	return true;
}

void provision_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *provision_strerror(enum provision_err e)
{
	switch (e) {
	case PROVISION_OK: return "ok";
	case PROVISION_E_MODEL: return "unknown phone model";
	case PROVISION_E_MAC: return "invalid MAC address";
	case PROVISION_E_VALUE: return "invalid phone setting";
	case PROVISION_E_TEMPLATE: return "provisioning template could not be loaded";
	case PROVISION_E_RENDER: return "provisioning template could not be rendered";
	case PROVISION_E_IO: return "provisioning file could not be written or removed";
	}
	return "unknown error";
}
