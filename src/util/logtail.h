/* logtail: the end of a log file of any size (Asterisk's "messages", many GB), read from its END in blocks, never
 * whole; the level of an Asterisk log line; lines made safe to show; and following the file as it grows.
 *
 * A line is the bytes between two '\n' (a '\r' before the '\n' is dropped); the bytes after the last '\n' are a
 * line too (a file without a trailing newline). The last N lines matching a filter are found in two passes that
 * hold at most a block and one line: logtail_window() scans backwards for where those lines start, then
 * logtail_forward() reads from there to the end, in file order (so a download of any size streams). The backward
 * scan stops at the start of the file, at N matching lines, after max_scan bytes, or at a "line" longer than
 * LOGTAIL_LINE_MAX: a log line is never that long, so that is binary data or a sparse hole full of NULs (a tail
 * of a corrupt file ends there instead of reading gigabytes of garbage).
 *
 * Nothing here knows of HTTP or templates: logtail_sanitize() only guarantees well-formed UTF-8 without control
 * characters, and the page escapes the rest. */
#ifndef UTIL_LOGTAIL_H
#define UTIL_LOGTAIL_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

#define LOGTAIL_LINE_MAX 8192               /* longest line: the backward scan stops at a longer one */
#define LOGTAIL_BLOCK (64 * 1024)           /* bytes per read by default */
#define LOGTAIL_MAX_SCAN (64 * 1024 * 1024) /* bytes the backward scan reads at most by default */

/* Asterisk's levels (logger.c), from "[Dec  2 06:46:28] WARNING[1234] file.c: message". A line of another form
 * (a message's continuation lines, another program's output) is LOGLVL_NONE; an unknown upper-case word in the
 * level's place (a custom level) is LOGLVL_OTHER. */
enum ast_log_level { LOGLVL_NONE = 0, LOGLVL_DEBUG, LOGLVL_TRACE, LOGLVL_NOTICE, LOGLVL_WARNING, LOGLVL_ERROR,
		 LOGLVL_VERBOSE, LOGLVL_DTMF, LOGLVL_SECURITY, LOGLVL_OTHER, LOGLVL_COUNT };
#define LOGLVL_BIT(l) (1u << (l))

/* The level of one line (len bytes, need not be NUL-terminated). */
enum ast_log_level log_level_parse(const char *line, size_t len);
/* "debug", "warning", ... ("none" for LOGLVL_NONE): CSS classes and filter choices. */
const char *log_level_name(enum ast_log_level l);
/* The level named name (as log_level_name spells it, or in capitals); false if none. */
bool log_level_from_name(const char *name, enum ast_log_level *out);

/* Which lines to keep: levels is a mask of LOGLVL_BIT()s (0 = every line); text a substring matched without
 * regard to ASCII case (NULL or "" = any). */
struct logtail_filter {
	unsigned levels;
	const char *text;
};
bool logtail_match(const struct logtail_filter *f, const char *line, size_t len, enum ast_log_level level);

/* Called for each line (raw bytes, not NUL-terminated) with the file offset where it starts. A non-zero return
 * stops the reading. */
typedef int (*logtail_line_fn)(void *ctx, const char *line, size_t len, off_t offset, enum ast_log_level level);

enum logtail_stop {
	LOGTAIL_STOP_START,      /* reached the start of the file: every line is in the window */
	LOGTAIL_STOP_ENOUGH,     /* found the lines asked for */
	LOGTAIL_STOP_SCAN_LIMIT, /* read max_scan bytes first (a filter that matches little in a big file) */
	LOGTAIL_STOP_LONG_LINE,  /* a line longer than LOGTAIL_LINE_MAX: binary data or a hole; the window ends there */
};

struct logtail_opts {
	size_t max_lines;        /* matching lines wanted (at least 1) */
	size_t block_size;       /* bytes per read; 0 = LOGTAIL_BLOCK (tests use tiny ones) */
	size_t max_scan;         /* 0 = LOGTAIL_MAX_SCAN */
	struct logtail_filter filter;
};

struct logtail_window {
	off_t start, end;        /* the window: read [start, end) forwards */
	size_t matches;          /* matching lines in it */
	enum logtail_stop stop;  /* why the window starts where it does */
};

/* Finds where the last o->max_lines matching lines of fd (a regular file) start, reading backwards from its
 * current size. Returns 0, or -1 with errno (a read failed). */
int logtail_window(int fd, const struct logtail_opts *o, struct logtail_window *w);
/* Hands fn every matching line of [start, end) in file order; a line longer than LOGTAIL_LINE_MAX (the file
 * changed since the window was found) is cut there. block_size 0 = LOGTAIL_BLOCK. Returns 0, 1 if fn stopped it,
 * or -1 with errno. */
int logtail_forward(int fd, off_t start, off_t end, const struct logtail_filter *filter, size_t block_size,
		    logtail_line_fn fn, void *ctx);

/* Opens path for the tail: a regular file, read-only, close-on-exec. Returns the descriptor, or -1 with errno
 * (EISDIR/EINVAL for something that is not a regular file). */
int logtail_open(const char *path);

/* Appends line as well-formed UTF-8 with nothing that can break a page, a JSON string or a text download:
 * every invalid byte (bad sequences, overlongs, surrogates), control character but TAB (C0, DEL, C1) becomes
 * U+FFFD. */
void logtail_sanitize(struct buf *out, const char *line, size_t len);

/* Following a file as it grows: each poll hands over the lines completed since the last. When the file shrinks
 * (truncated) it is read again from its start; when path names another file (rotated) the old one is read to
 * its end first, then the new one from its start. A file missing or unreadable now is tried again next poll. */
struct logtail_follow {
	char path[512];
	int fd;                  /* -1 while the file could not be opened */
	dev_t dev;
	ino_t ino;
	off_t pos;               /* next byte to read */
	struct buf partial;      /* a line without its '\n' yet (at most LOGTAIL_LINE_MAX bytes are kept) */
	int last_errno;          /* why fd is -1 (0 if open) */
};
/* Starts at offset from (a page's end of window), or at the end of the file when from < 0 or past it. */
void logtail_follow_init(struct logtail_follow *f, const char *path, off_t from);
/* Reads what was added; calls fn for each complete line that matches filter, with the offset where the next line
 * starts (where to resume: logtail_follow_init's from); fn's return is ignored. Returns the number of lines handed
 * over, or -1 if the file cannot be read now (f->last_errno says why). */
int logtail_follow_poll(struct logtail_follow *f, const struct logtail_filter *filter, logtail_line_fn fn, void *ctx);
void logtail_follow_close(struct logtail_follow *f);

#endif
