/* file: atomic writes and whole-file reads. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fsync_parent_dir(const char *path)
{
	char copy[PATH_MAX];
	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	int rc = fsync(dfd);
	close(dfd);
	return rc;
}

/* The temporary for path ("path.tmpXXXXXX", made and opened); returns its descriptor or -1. */
static int open_temp(const char *path, char tmp[PATH_MAX])
{
	if (snprintf(tmp, PATH_MAX, "%s.tmpXXXXXX", path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkostemp(tmp, O_CLOEXEC);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd = open_temp(path, tmp);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return fsync_parent_dir(path);
fail: {
	int saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}
}

int file_write_atomic_many(const struct file_item *items, size_t n, mode_t mode)
{
	if (n == 0)
		return 0;
	char (*tmp)[PATH_MAX] = calloc(n, sizeof *tmp);
	int *fd = malloc(n * sizeof *fd);
	if (!tmp || !fd) {
		free(tmp);
		free(fd);
		errno = ENOMEM;
		return -1;
	}
	size_t made = 0;
	int rc = 0, saved = 0;
	for (; made < n && rc == 0; made++) {
		fd[made] = open_temp(items[made].path, tmp[made]);
		if (fd[made] < 0)
			*tmp[made] = '\0';   /* nothing made to remove */
		if (fd[made] < 0 || write_all(fd[made], items[made].data ? items[made].data : "", items[made].len) < 0 ||
		    fchmod(fd[made], mode) < 0)
			rc = -1;
	}
	/* One journal commit for all of them, instead of one per file. */
	if (rc == 0 && syncfs(fd[0]) < 0)
		rc = -1;
	saved = errno;
	for (size_t i = 0; i < made; i++)
		if (fd[i] >= 0 && close(fd[i]) < 0 && rc == 0) {
			rc = -1;
			saved = errno;
		}
	size_t renamed = 0;
	for (; rc == 0 && renamed < n; renamed++)
		if (rename(tmp[renamed], items[renamed].path) < 0) {
			rc = -1;
			saved = errno;
			break;
		}
	for (size_t i = renamed; i < made; i++)
		if (*tmp[i])
			unlink(tmp[i]);
	/* Each directory once (they are usually all one). */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			char a[PATH_MAX], b[PATH_MAX];
			snprintf(a, sizeof a, "%s", items[i].path);
			snprintf(b, sizeof b, "%s", items[k].path);
			seen = strcmp(dirname(a), dirname(b)) == 0;
		}
		if (!seen && fsync_parent_dir(items[i].path) < 0) {
			rc = -1;
			saved = errno;
		}
	}
	free(tmp);
	free(fd);
	errno = saved;
	return rc;
}

char *file_read_all(const char *path, size_t max_size, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *data = malloc(cap);
	if (!data) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			char *grown = realloc(data, cap);
			if (!grown) {
				free(data);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			data = grown;
		}
		size_t got = fread(data + n, 1, cap - n - 1, f);
		n += got;
		if (n > max_size) {
			free(data);
			fclose(f);
			errno = EFBIG;
			return NULL;
		}
		if (got == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(data);
		errno = EIO;
		return NULL;
	}
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

int file_mkdirs(const char *path, mode_t mode)
{
	char copy[PATH_MAX];
	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}
