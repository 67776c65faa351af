/* apply_files: provisioning files of an apply (see apply_files.h). */
#include "pbx/apply_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/log.h"

int apply_files_render(const struct pbx_settings *s, struct provision_renderer *prov, const struct phone *p,
		       struct provision_output *out, char *msg, size_t len)
{
	struct provision_phone pp = {
		.mac = p->mac,
		.model = p->model,
		.extension = p->extension,
		.display_name = p->name,
		.secret = p->secret,
		.server = s->prov_server,
		.port = s->prov_port,
		.transport = s->prov_transport,
	};
	char err[200];
	if (provision_render(prov, &pp, out, err, sizeof err) != PROVISION_OK) {
		snprintf(msg, len, "provisioning file: %s", err);
		return -1;
	}
	return 0;
}

/* Removes the files of (mac, model) that phone id no longer needs. When another live phone now has that
 * MAC (a removal or change still pending while the MAC was reused), only the names that phone does not
 * produce go: same-name vendors keep its file, others lose the stale one with the old password. */
static int remove_files_of(struct db *db, const char *dir, int64_t id, const char *mac, const char *model, char *err,
			   size_t errlen)
{
	struct phone other;
	if (phones_get_live_by_mac(db, mac, &other) == PHONES_OK && other.id != id)
		return provision_remove_stale(dir, mac, model, other.mac, other.model, err, errlen) == PROVISION_OK ? 0
														    : -1;
	return provision_remove(dir, mac, model, err, errlen) == PROVISION_OK ? 0 : -1;
}

int apply_files_write_many(const struct pbx_settings *s, const struct provision_output *const *outs, size_t n,
			   char *msg, size_t len)
{
	char err[200];
	if (provision_write_many(s->prov_dir, outs, n, err, sizeof err) != PROVISION_OK) {
		snprintf(msg, len, "writing the provisioning files: %s", err);
		return -1;
	}
	return 0;
}

int apply_files_tidy(const struct pbx_settings *s, struct db *db, const struct phone *p, char *msg, size_t len)
{
	char err[200];
	if (p->deleted) {
		int rc = 0;
		if (*p->applied_mac && *p->applied_model)
			rc = remove_files_of(db, s->prov_dir, p->id, p->applied_mac, p->applied_model, err, sizeof err);
		if (rc == 0)
			rc = remove_files_of(db, s->prov_dir, p->id, p->mac, p->model, err, sizeof err);
		if (rc)
			snprintf(msg, len, "removing the provisioning file: %s", err);
		return rc;
	}
	/* The files of the phone's previous MAC/model, minus the names it still uses. */
	if (*p->applied_mac && *p->applied_model &&
	    (strcmp(p->applied_mac, p->mac) != 0 || strcmp(p->applied_model, p->model) != 0)) {
		struct phone other;
		bool reused = phones_get_live_by_mac(db, p->applied_mac, &other) == PHONES_OK && other.id != p->id;
		if (provision_remove_stale(s->prov_dir, p->applied_mac, p->applied_model, reused ? other.mac : p->mac,
					   reused ? other.model : p->model, err, sizeof err) != PROVISION_OK) {
			snprintf(msg, len, "removing the old provisioning file: %s", err);
			return -1;
		}
	}
	return 0;
}

int apply_files_refresh(const struct pbx_settings *s, struct provision_renderer *prov, const struct phone *p)
{
	struct provision_output out;
	char msg[300];
	int written = 0;
	if (apply_files_render(s, prov, p, &out, msg, sizeof msg) != 0) {
		log_err("phone %s: %s", p->extension, msg);
		provision_output_free(&out);
		return 0;
	}
	for (size_t f = 0; f < out.count; f++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", s->prov_dir, out.files[f].name);
		size_t len = 0;
		char *disk = file_read_all(path, 1 << 20, &len);
		bool same = disk && len == out.files[f].data.len && memcmp(disk, buf_cstr(&out.files[f].data), len) == 0;
		free(disk);
		if (same)
			continue;
		if (file_write_atomic(path, buf_cstr(&out.files[f].data), out.files[f].data.len, 0640) == 0)
			written++;
		else
			log_err("provisioning %s: %s", path, strerror(errno));
	}
	provision_output_free(&out);
	return written;
}
