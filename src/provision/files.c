/* files: write and remove provisioning files in the directory the phones download from. */
#include "provision/provision_int.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"

#define PROVISION_FILE_MODE 0640 /* holds a SIP password: owner writes, the web server's group reads */

enum provision_err provision_file_names(const char *mac, const char *model,
                                        char names[PROVISION_MAX_FILES][PROVISION_NAME_MAX], size_t *count)
{
	char canon[PROVISION_MAC_LEN + 1];
	*count = 0;
	if (!mac || provision_mac_parse(mac, strlen(mac), canon) != PROVISION_MAC_OK)
		return PROVISION_E_MAC;
	const struct provision_model *m = provision_model_find(model);
	if (!m)
		return PROVISION_E_MODEL;
	const struct provision_vendor_spec *spec = provision_vendor_spec(m->vendor);
	for (size_t i = 0; i < spec->nfiles; i++)
		if (!provision_build_name(&spec->files[i], canon, names[i]))
			return PROVISION_E_MAC;
	*count = spec->nfiles;
	return PROVISION_OK;
}

/* dir + "/" + name, where name has been checked by provision_build_name (no '/', no leading '.'). */
static int join(char *path, size_t size, const char *dir, const char *name)
{
	if (!dir || !dir[0] || !name[0] || strchr(name, '/') || name[0] == '.') {
		errno = EINVAL;
		return -1;
	}
	if (snprintf(path, size, "%s/%s", dir, name) >= (int)size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

enum provision_err provision_write(const char *dir, const struct provision_output *out, char *err, size_t errlen)
{
	char path[4096];
	for (size_t i = 0; i < out->count; i++) {
		const struct provision_file *f = &out->files[i];
		if (join(path, sizeof path, dir, f->name) < 0 ||
		    file_write_atomic(path, f->data.data ? f->data.data : "", f->data.len, PROVISION_FILE_MODE) < 0) {
			int saved = errno;
			provision_seterr(err, errlen, "write %s/%s: %s", dir ? dir : "", f->name, strerror(saved));
			errno = saved;
			return PROVISION_E_IO;
		}
	}
	return PROVISION_OK;
}

enum provision_err provision_write_many(const char *dir, const struct provision_output *const *outs, size_t n,
				       char *err, size_t errlen)
{
	size_t total = 0;
	for (size_t k = 0; k < n; k++)
		total += outs[k]->count;
	struct file_item *items = calloc(total + 1, sizeof *items);
	char (*paths)[4096] = calloc(total + 1, sizeof *paths);
	enum provision_err rc = items && paths ? PROVISION_OK : PROVISION_E_IO;
	size_t m = 0;
	for (size_t k = 0; k < n && rc == PROVISION_OK; k++)
		for (size_t i = 0; i < outs[k]->count && rc == PROVISION_OK; i++, m++) {
			const struct provision_file *f = &outs[k]->files[i];
			if (join(paths[m], sizeof paths[m], dir, f->name) < 0)
				rc = PROVISION_E_IO;
			items[m] = (struct file_item){ .path = paths[m], .data = f->data.data, .len = f->data.len };
		}
	if (rc == PROVISION_OK && file_write_atomic_many(items, m, PROVISION_FILE_MODE) < 0)
		rc = PROVISION_E_IO;
	if (rc != PROVISION_OK)
		provision_seterr(err, errlen, "write %zu files in %s: %s", total, dir ? dir : "", strerror(errno));
	free(items);
	free(paths);
	return rc;
}

static enum provision_err remove_name(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096];
	if (join(path, sizeof path, dir, name) < 0 || (unlink(path) < 0 && errno != ENOENT)) {
		int saved = errno;
		provision_seterr(err, errlen, "remove %s/%s: %s", dir ? dir : "", name, strerror(saved));
		errno = saved;
		return PROVISION_E_IO;
	}
	return PROVISION_OK;
}

enum provision_err provision_remove(const char *dir, const char *mac, const char *model, char *err, size_t errlen)
{
	char names[PROVISION_MAX_FILES][PROVISION_NAME_MAX];
	size_t n;
	enum provision_err rc = provision_file_names(mac, model, names, &n);
	if (rc != PROVISION_OK) {
		provision_seterr(err, errlen, "remove: %s", provision_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = remove_name(dir, names[i], err, errlen)) != PROVISION_OK)
			return rc;
	return PROVISION_OK;
}

enum provision_err provision_remove_stale(const char *dir, const char *old_mac, const char *old_model,
                                          const char *new_mac, const char *new_model, char *err, size_t errlen)
{
	char old_names[PROVISION_MAX_FILES][PROVISION_NAME_MAX], new_names[PROVISION_MAX_FILES][PROVISION_NAME_MAX];
	size_t n_old, n_new;
	enum provision_err rc;
	if ((rc = provision_file_names(old_mac, old_model, old_names, &n_old)) != PROVISION_OK ||
	    (rc = provision_file_names(new_mac, new_model, new_names, &n_new)) != PROVISION_OK) {
		provision_seterr(err, errlen, "remove stale: %s", provision_strerror(rc));
		return rc;
	}
	/* Yealink, Polycom and Fanvil all use <mac>.cfg: a model change within the same MAC may keep a
	 * name, whose file now holds the new phone's contents and must stay. */
	for (size_t i = 0; i < n_old; i++) {
		int keep = 0;
		for (size_t j = 0; j < n_new; j++)
			keep |= strcmp(old_names[i], new_names[j]) == 0;
		if (!keep && (rc = remove_name(dir, old_names[i], err, errlen)) != PROVISION_OK)
			return rc;
	}
	return PROVISION_OK;
}
