/* provision_int: what the provision sources share and callers do not need: per-vendor file specs. */
#ifndef PROVISION_PROVISION_INT_H
#define PROVISION_PROVISION_INT_H
#include <stdbool.h>
#include <stddef.h>

#include "provision/provision.h"

struct provision_file_spec {
	const char *prefix;   /* fixed text before the MAC, e.g. "cfg" */
	const char *suffix;   /* fixed text after the MAC, e.g. ".xml" */
	bool upper;           /* MAC in upper case (Snom) */
	const char *template; /* template file inside the renderer's directory */
	const char *role;     /* "config" or "master" */
};

struct provision_vendor_spec {
	const struct provision_vendor_info *info;
	bool escape_html; /* Config.VarEscapeMode html (XML formats) or none (Yealink key=value) */
	size_t nfiles;
	struct provision_file_spec files[PROVISION_MAX_FILES];
};

const struct provision_vendor_spec *provision_vendor_spec(enum provision_vendor v);

/* Builds a file name from a canonical MAC; returns false (and "" in out) if the result would not be a
 * plain, safe file name. */
bool provision_build_name(const struct provision_file_spec *spec, const char *mac, char out[PROVISION_NAME_MAX]);

/* snprintf into err when err is not NULL. */
void provision_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
