/* ini: a reader for Asterisk-style configuration files.
 *   [section]
 *   key = value        ; comment (a literal ';' is written '\;')
 *   key => value
 * Each assignment is handed to a callback with its section and line number; the callback may refuse it
 * with a message, and parsing stops with "file:line: message". */
#ifndef UTIL_INI_H
#define UTIL_INI_H
#include <stddef.h>

/* Returns 0 to accept; non-zero to stop, after writing a message (no file/line prefix) into err. */
typedef int (*ini_handler)(void *ctx, const char *section, const char *key, const char *value,
			   char *err, size_t errlen);
/* Called once per section header, same contract (may be NULL). */
typedef int (*ini_section_handler)(void *ctx, const char *section, char *err, size_t errlen);

/* Parses text (NUL-terminated); name is used in messages. Returns 0, or -1 with err = "name:line: message". */
int ini_parse_string(const char *name, const char *text, ini_section_handler on_section,
		     ini_handler on_key, void *ctx, char *err, size_t errlen);
int ini_parse_file(const char *path, ini_section_handler on_section, ini_handler on_key, void *ctx,
		   char *err, size_t errlen);

#endif
