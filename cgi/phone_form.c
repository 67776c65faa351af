/* phone_form: the phone form's validators (see phone_form.h). */
#include "phone_form.h"

#include <stdio.h>
#include <string.h>

#include "provision/provision.h"
#include "util/text.h"

static const char *v_mac(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	char mac[PROVISION_MAC_LEN + 1];
	switch (provision_mac_parse(v, len, mac)) {
	case PROVISION_MAC_OK:
		memcpy(out, mac, sizeof mac);
		return NULL;
	case PROVISION_MAC_EMPTY: return "required";
	case PROVISION_MAC_BAD_CHAR: return "mac_chars";
	case PROVISION_MAC_SEPARATOR: return "mac_separator";
	case PROVISION_MAC_LENGTH: return "mac_length";
	case PROVISION_MAC_ZERO: return "mac_zero";
	case PROVISION_MAC_BROADCAST: return "mac_broadcast";
	case PROVISION_MAC_MULTICAST: return "mac_multicast";
	}
	return "mac_chars";
}

static const char *v_model(const struct form_field *f, const char *v, size_t len, char *out)
{
	(void)f;
	if (strlen(out) != len || !provision_model_find(out))
		return "invalid_choice";
	(void)v;
	return NULL;
}

/* The name: trimmed like any text field, then util/text's phone-name rule, the one the applier and the
 * provisioning renderer check again (so a name accepted here is never refused later). */
static const char *v_name(const struct form_field *f, const char *v, size_t len, char *out)
{
	const char *e = form_v_text(f, v, len, out);
	return e ? e : text_problem_key(text_check(&text_rule_phone_name, out, strlen(out), NULL));
}

static const struct form_field phone_fields[] = {
	{ "extension", form_v_digits, true, 1, 8, NULL },
	{ "name", v_name, true, 0, 0, NULL },
	{ "model", v_model, true, 0, 0, NULL },
	{ "mac", v_mac, true, 0, 0, NULL },
	/* One of [asterisk] classes: configured, so checked after the table (read_phone_form). */
	{ "calling_class", form_v_text, false, 0, PBX_CLASS_NAME_MAX - 1, NULL },
	{ "version", form_v_int, false, 0, 0, NULL },
};
const struct form_def phone_form = FORM_DEF("phone", phone_fields);

bool phone_form_read(const struct pbx_settings *pbx, bool set_class, const struct form_pairs *pairs,
		     struct form_result *form, struct phone *ph)
{
	bool ok = form_validate(&phone_form, pairs, form);
	const char *ext_problem = *form_value(form, "extension") && !form_error(form, "extension")
					  ? pbx_check_extension(pbx, form_value(form, "extension"))
					  : NULL;
	if (ext_problem) {
		form_set_error(form, "extension", ext_problem);
		ok = false;
	}
	const char *calling_class = form_value(form, "calling_class");
	if (*calling_class && !form_error(form, "calling_class") && !pbx_class_known(pbx, calling_class)) {
		form_set_error(form, "calling_class", "invalid_choice");
		ok = false;
	}
	if (!ok)
		return false;
	snprintf(ph->extension, sizeof ph->extension, "%s", form_value(form, "extension"));
	snprintf(ph->name, sizeof ph->name, "%s", form_value(form, "name"));
	snprintf(ph->model, sizeof ph->model, "%s", form_value(form, "model"));
	snprintf(ph->mac, sizeof ph->mac, "%s", form_value(form, "mac"));
	if (set_class && *calling_class)
		snprintf(ph->calling_class, sizeof ph->calling_class, "%s", calling_class);
	return true;
}

void phone_format_mac(const char *mac, char out[18])
{
	size_t n = 0;
	for (size_t i = 0; mac[i] && i < 12; i++) {
		if (i && i % 2 == 0)
			out[n++] = ':';
		char c = mac[i];
		out[n++] = c >= 'a' && c <= 'f' ? (char)(c - 'a' + 'A') : c;
	}
	out[n] = '\0';
}
