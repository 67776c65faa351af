/* phone_form: the phone form's one validator table and the checks that follow it (extension range and reserved
 * numbers, the calling class), shared by the phone pages and the CSV import (web and command line), so that a
 * row the import accepts is exactly what the form would accept. */
#ifndef CGI_PHONE_FORM_H
#define CGI_PHONE_FORM_H
#include <stdbool.h>

#include "db/phones.h"
#include "pbx/pbx.h"
#include "web/form.h"

extern const struct form_def phone_form;

/* Validates pairs (extension, name, model, mac, calling_class, version) against phone_form, then the extension
 * against [asterisk]'s range and reserved numbers and the class against the configured ones. On success fills
 * ph's extension, name, model, mac (normalised: 12 lower-case hex digits) and, when set_class (only
 * integrators choose a phone's class) and given, calling_class; ph's other fields are left alone. Always call
 * form_result_free(form). */
bool phone_form_read(const struct pbx_settings *pbx, bool set_class, const struct form_pairs *pairs,
		     struct form_result *form, struct phone *ph);

/* "000b82a1b2c3" → "00:0B:82:A1:B2:C3" (as the pages show it and the export writes it). */
void phone_format_mac(const char *mac, char out[18]);

#endif
