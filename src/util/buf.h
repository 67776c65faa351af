/* buf: a growable byte buffer that always stays NUL-terminated.
 * Allocation failure aborts: a daemon that cannot allocate a few KB has nothing better to do. */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);                 /* len = 0, keeps memory */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
const char *buf_cstr(const struct buf *b);    /* "" when empty */
char *buf_steal(struct buf *b);               /* caller frees; buffer is reset */

#endif
