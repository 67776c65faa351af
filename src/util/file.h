/* file: whole-file helpers. Writes are atomic: temp file in the same directory, fsync, rename, fsync dir. */
#ifndef UTIL_FILE_H
#define UTIL_FILE_H
#include <stddef.h>
#include <sys/types.h>

/* Atomically replaces path with data (mode applied before rename). Returns 0, or -1 with errno set. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* One file of file_write_atomic_many. */
struct file_item {
	const char *path;
	const void *data;
	size_t len;
};

/* file_write_atomic for n files at the cost of about one: each written to a temporary in its directory, then one
 * sync of the filesystem (syncfs) makes them all durable, then each is renamed into place and every directory
 * synced once. What an import's hundreds of provisioning files would otherwise pay in two fsyncs each. Returns 0,
 * or -1 with errno set: then none was renamed (a failed rename or directory sync: those before it were). */
int file_write_atomic_many(const struct file_item *items, size_t n, mode_t mode);

/* Reads a whole file (NUL-terminated; *len excludes the NUL). Returns NULL with errno set on failure.
 * Files over max_size fail with EFBIG. */
char *file_read_all(const char *path, size_t max_size, size_t *len);

/* mkdir -p with the given mode for created directories. */
int file_mkdirs(const char *path, mode_t mode);

#endif
