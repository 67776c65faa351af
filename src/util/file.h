/* file: whole-file helpers. Writes are atomic: temp file in the same directory, fsync, rename, fsync dir. */
#ifndef UTIL_FILE_H
#define UTIL_FILE_H
#include <stddef.h>
#include <sys/types.h>

/* Atomically replaces path with data (mode applied before rename). Returns 0, or -1 with errno set. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads a whole file (NUL-terminated; *len excludes the NUL). Returns NULL with errno set on failure.
 * Files over max_size fail with EFBIG. */
char *file_read_all(const char *path, size_t max_size, size_t *len);

/* mkdir -p with the given mode for created directories. */
int file_mkdirs(const char *path, mode_t mode);

#endif
