/* logtail: the last lines of a log file read backwards in blocks, Asterisk's log levels, lines made safe to show,
 * and following a growing (truncated, rotated) file. See logtail.h for the contracts. */
#include "util/logtail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------- levels ---------- */

static const char *const level_names[LOGLVL_COUNT] = {
	[LOGLVL_NONE] = "none",       [LOGLVL_DEBUG] = "debug", [LOGLVL_TRACE] = "trace",
	[LOGLVL_NOTICE] = "notice",   [LOGLVL_WARNING] = "warning", [LOGLVL_ERROR] = "error",
	[LOGLVL_VERBOSE] = "verbose", [LOGLVL_DTMF] = "dtmf",   [LOGLVL_SECURITY] = "security",
	[LOGLVL_OTHER] = "other",
};

const char *log_level_name(enum ast_log_level l)
{
	return (unsigned)l < LOGLVL_COUNT ? level_names[l] : "none";
}

bool log_level_from_name(const char *name, enum ast_log_level *out)
{
	for (int i = LOGLVL_DEBUG; i < LOGLVL_OTHER; i++)
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum ast_log_level)i;
			return true;
		}
	return false;
}

/* "[<date>] LEVEL[<thread>]..." or "[<date>] LEVEL: ..." (logger.c's format_log_default; the date's format is
 * logger.conf's dateformat, so only its brackets are relied on). */
enum ast_log_level log_level_parse(const char *line, size_t len)
{
	if (len < 4 || line[0] != '[')
		return LOGLVL_NONE;
	const char *close = memchr(line, ']', len < 64 ? len : 64);
	if (!close)
		return LOGLVL_NONE;
	size_t i = (size_t)(close - line) + 1;
	if (i >= len || line[i] != ' ')
		return LOGLVL_NONE;
	size_t word = ++i;
	while (i < len && i - word < 16 && line[i] >= 'A' && line[i] <= 'Z')
		i++;
	size_t n = i - word;
	if (n == 0 || i >= len || (line[i] != '[' && line[i] != ':'))
		return LOGLVL_NONE;
	for (int l = LOGLVL_DEBUG; l < LOGLVL_OTHER; l++)
		if (strlen(level_names[l]) == n && strncasecmp(line + word, level_names[l], n) == 0)
			return (enum ast_log_level)l;
	return LOGLVL_OTHER;
}

/* ---------- filter ---------- */

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* needle (already folded) in hay, ASCII case ignored. */
static bool contains_folded(const char *hay, size_t len, const char *needle, size_t n)
{
	if (n > len)
		return false;
	for (size_t i = 0; i + n <= len; i++) {
		size_t j = 0;
		while (j < n && fold((unsigned char)hay[i + j]) == (unsigned char)needle[j])
			j++;
		if (j == n)
			return true;
	}
	return false;
}

bool logtail_match(const struct logtail_filter *f, const char *line, size_t len, enum ast_log_level level)
{
	if (!f)
		return true;
	if (f->levels && !(f->levels & LOGLVL_BIT(level)))
		return false;
	if (!f->text || !*f->text)
		return true;
	char needle[256];
	size_t n = strlen(f->text);
	if (n >= sizeof needle)
		n = sizeof needle - 1;
	for (size_t i = 0; i < n; i++)
		needle[i] = (char)fold((unsigned char)f->text[i]);
	return contains_folded(line, len, needle, n);
}

/* ---------- reading ---------- */

static ssize_t pread_full(int fd, char *buf, size_t n, off_t at)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, at + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

struct scan {
	const struct logtail_opts *o;
	struct logtail_window *w;
};

/* One complete line found by the backward scan: [p, p+len) starting at offset. Returns 1 to stop. */
static int scan_line(struct scan *s, const char *p, size_t len, off_t offset)
{
	if (len > LOGTAIL_LINE_MAX) {
		s->w->stop = LOGTAIL_STOP_LONG_LINE;
		return 1;
	}
	s->w->start = offset;
	size_t n = len && p[len - 1] == '\r' ? len - 1 : len;
	if (logtail_match(&s->o->filter, p, n, log_level_parse(p, n)) && ++s->w->matches >= s->o->max_lines) {
		s->w->stop = LOGTAIL_STOP_ENOUGH;
		return 1;
	}
	return 0;
}

int logtail_window(int fd, const struct logtail_opts *o, struct logtail_window *w)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	size_t bs = o->block_size ? o->block_size : LOGTAIL_BLOCK;
	size_t max_scan = o->max_scan ? o->max_scan : LOGTAIL_MAX_SCAN;
	w->end = w->start = st.st_size;
	w->matches = 0;
	w->stop = LOGTAIL_STOP_START;
	if (st.st_size == 0)
		return 0;
	/* buf[0, bs) takes each block; the piece of line carried over from the later blocks (no '\n' seen before it
	 * yet) sits right after it, at buf[bs, bs + carry), so the two join without copying the block. */
	char *buf = malloc(bs + LOGTAIL_LINE_MAX + 1);
	if (!buf)
		abort();
	struct scan s = { o, w };
	off_t pos = st.st_size;
	char last;
	if (pread_full(fd, &last, 1, pos - 1) != 1) {
		free(buf);
		return -1;
	}
	if (last == '\n')
		pos--;   /* the final newline ends the last line; no empty line after it */
	size_t carry = 0, scanned = 0;
	int stop = 0;
	while (!stop) {
		if (pos == 0) {
			/* The file's first line: what is carried. */
			stop = scan_line(&s, buf + bs, carry, 0);
			if (!stop)
				w->stop = LOGTAIL_STOP_START;
			break;
		}
		if (scanned >= max_scan) {
			w->stop = LOGTAIL_STOP_SCAN_LIMIT;
			break;
		}
		size_t n = (size_t)pos < bs ? (size_t)pos : bs;
		pos -= (off_t)n;
		ssize_t got = pread_full(fd, buf + bs - n, n, pos);
		if (got != (ssize_t)n) {
			if (got >= 0)
				errno = EIO;   /* the file shrank under us: a later poll starts again */
			free(buf);
			return -1;
		}
		scanned += n;
		char *region = buf + bs - n, *line_end = buf + bs + carry;
		for (char *q = line_end; q > region;) {
			q--;
			if (*q != '\n')
				continue;
			stop = scan_line(&s, q + 1, (size_t)(line_end - q - 1), pos + (off_t)(q + 1 - region));
			if (stop)
				break;
			line_end = q;
		}
		if (stop)
			break;
		carry = (size_t)(line_end - region);
		if (carry > LOGTAIL_LINE_MAX) {
			w->stop = LOGTAIL_STOP_LONG_LINE;
			break;
		}
		memmove(buf + bs, region, carry);
	}
	free(buf);
	return 0;
}

/* A line assembled forwards: handed to fn (if it matches), cut at LOGTAIL_LINE_MAX. */
struct forward {
	const struct logtail_filter *filter;
	logtail_line_fn fn;
	void *ctx;
	struct buf line;
	off_t line_start;
	bool cut;        /* the line passed LOGTAIL_LINE_MAX: the rest of it is skipped */
};

static int forward_emit(struct forward *f)
{
	size_t n = f->line.len;
	if (n && f->line.data[n - 1] == '\r')
		n--;
	const char *p = buf_cstr(&f->line);
	enum ast_log_level level = log_level_parse(p, n);
	int rc = 0;
	if (logtail_match(f->filter, p, n, level))
		rc = f->fn(f->ctx, p, n, f->line_start, level) ? 1 : 0;
	buf_reset(&f->line);
	f->cut = false;
	return rc;
}

/* Feeds data read at offset at; returns 1 when fn stopped. */
static int forward_feed(struct forward *f, const char *data, size_t len, off_t at)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t piece = nl ? (size_t)(nl - (data + i)) : len - i;
		if (f->line.len == 0 && !f->cut)
			f->line_start = at + (off_t)i;
		size_t room = f->cut ? 0 : LOGTAIL_LINE_MAX - f->line.len;
		if (piece > room) {
			buf_append(&f->line, data + i, room);
			f->cut = true;
		} else {
			buf_append(&f->line, data + i, piece);
		}
		i += piece;
		if (nl) {
			i++;
			if (forward_emit(f))
				return 1;
		}
	}
	return 0;
}

int logtail_forward(int fd, off_t start, off_t end, const struct logtail_filter *filter, size_t block_size,
		    logtail_line_fn fn, void *ctx)
{
	size_t bs = block_size ? block_size : LOGTAIL_BLOCK;
	char *block = malloc(bs);
	if (!block)
		abort();
	struct forward f = { .filter = filter, .fn = fn, .ctx = ctx, .line_start = start };
	buf_init(&f.line);
	int rc = 0;
	off_t pos = start;
	while (pos < end && rc == 0) {
		size_t n = end - pos < (off_t)bs ? (size_t)(end - pos) : bs;
		ssize_t got = pread_full(fd, block, n, pos);
		if (got < 0) {
			rc = -1;
			break;
		}
		if (got == 0)
			break;   /* truncated meanwhile: what was there is all there is */
		rc = forward_feed(&f, block, (size_t)got, pos);
		pos += got;
	}
	if (rc == 0 && (f.line.len || f.cut))
		rc = forward_emit(&f);   /* the last line, without its newline */
	int saved = errno;
	buf_free(&f.line);
	free(block);
	errno = saved;
	return rc;
}

int logtail_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---------- safe text ---------- */

static void put_replacement(struct buf *out)
{
	buf_append(out, "\xEF\xBF\xBD", 3);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), or
 * 0. *cp receives the code point. */
static size_t utf8_sequence(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

void logtail_sanitize(struct buf *out, const char *line, size_t len)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i = 0;
	buf_reserve(out, len + 16);
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_sequence(p + i, len - i, &cp);
		if (n == 0) {
			put_replacement(out);
			i++;
			continue;
		}
		if ((cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp <= 0x9F))
			put_replacement(out);
		else
			buf_append(out, p + i, n);
		i += n;
	}
}

/* ---------- following ---------- */

void logtail_follow_init(struct logtail_follow *f, const char *path, off_t from)
{
	memset(f, 0, sizeof *f);
	snprintf(f->path, sizeof f->path, "%s", path);
	buf_init(&f->partial);
	f->fd = logtail_open(path);
	if (f->fd < 0) {
		f->last_errno = errno;
		return;
	}
	struct stat st;
	if (fstat(f->fd, &st) != 0) {
		f->last_errno = errno;
		close(f->fd);
		f->fd = -1;
		return;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->pos = from >= 0 && from <= st.st_size ? from : st.st_size;
}

struct follow_feed {
	struct logtail_follow *f;
	const struct logtail_filter *filter;
	logtail_line_fn fn;
	void *ctx;
	int lines;
};

static void follow_line(struct follow_feed *ff, const char *p, size_t n, off_t next)
{
	if (n && p[n - 1] == '\r')
		n--;
	enum ast_log_level level = log_level_parse(p, n);
	if (logtail_match(ff->filter, p, n, level)) {
		ff->fn(ff->ctx, p, n, next, level);
		ff->lines++;
	}
}

/* Reads f->fd from f->pos to its end, handing over complete lines; the rest waits in f->partial. */
static int follow_read(struct follow_feed *ff)
{
	struct logtail_follow *f = ff->f;
	char block[16384];
	for (;;) {
		ssize_t got = pread(f->fd, block, sizeof block, f->pos);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
		size_t i = 0;
		while (i < (size_t)got) {
			const char *nl = memchr(block + i, '\n', (size_t)got - i);
			size_t piece = nl ? (size_t)(nl - (block + i)) : (size_t)got - i;
			size_t room = LOGTAIL_LINE_MAX - f->partial.len;
			buf_append(&f->partial, block + i, piece < room ? piece : room);
			i += piece;
			if (nl) {
				i++;
				follow_line(ff, buf_cstr(&f->partial), f->partial.len, f->pos + (off_t)i);
				buf_reset(&f->partial);
			}
		}
		f->pos += got;
	}
}

int logtail_follow_poll(struct logtail_follow *f, const struct logtail_filter *filter, logtail_line_fn fn, void *ctx)
{
	struct follow_feed ff = { f, filter, fn, ctx, 0 };
	struct stat st, named;
	if (f->fd >= 0) {
		if (fstat(f->fd, &st) != 0)
			return -1;
		if (st.st_size < f->pos) {   /* truncated: start again */
			f->pos = 0;
			buf_reset(&f->partial);
		}
		if (follow_read(&ff) != 0) {
			f->last_errno = errno;
			return -1;
		}
		/* Rotated: the name is another file now (the old one was read to its end above). */
		if (stat(f->path, &named) == 0 && (named.st_ino == f->ino && named.st_dev == f->dev))
			return ff.lines;
		close(f->fd);
		f->fd = -1;
		buf_reset(&f->partial);
		f->pos = 0;
	}
	f->fd = logtail_open(f->path);
	if (f->fd < 0 || fstat(f->fd, &st) != 0) {
		f->last_errno = errno;
		if (f->fd >= 0)
			close(f->fd);
		f->fd = -1;
		return ff.lines ? ff.lines : -1;
	}
	f->last_errno = 0;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->pos = 0;
	if (follow_read(&ff) != 0) {
		f->last_errno = errno;
		return -1;
	}
	return ff.lines;
}

void logtail_follow_close(struct logtail_follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	buf_free(&f->partial);
}
