/* ini: Asterisk-style configuration reader (see ini.h). */
#include "util/ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#define INI_MAX_FILE (1024 * 1024)
#define INI_MAX_LINE 4096

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Cuts the line at the first unescaped ';' and turns "\;" into ";". */
static void strip_comment(char *line)
{
	char *out = line;
	for (char *in = line; *in; in++) {
		if (in[0] == '\\' && in[1] == ';') {
			*out++ = ';';
			in++;
		} else if (*in == ';') {
			break;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

static int fail(char *err, size_t errlen, const char *name, int lineno, const char *msg)
{
	snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
	return -1;
}

int ini_parse_string(const char *name, const char *text, ini_section_handler on_section,
		     ini_handler on_key, void *ctx, char *err, size_t errlen)
{
	char section[256] = "";
	char line[INI_MAX_LINE];
	char msg[512];
	int lineno = 0;
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		lineno++;
		if (n >= sizeof line)
			return fail(err, errlen, name, lineno, "line too long");
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (eol ? 1 : 0);
		if (memchr(line, '\0', n) != NULL && strlen(line) != n)
			return fail(err, errlen, name, lineno, "NUL byte in line");

		strip_comment(line);
		char *s = trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || trim(close + 1)[0] != '\0')
				return fail(err, errlen, name, lineno, "malformed section header (expected [name])");
			*close = '\0';
			char *sec = trim(s + 1);
			if (*sec == '\0' || strlen(sec) >= sizeof section)
				return fail(err, errlen, name, lineno, "empty or overlong section name");
			snprintf(section, sizeof section, "%s", sec);
			msg[0] = '\0';
			if (on_section && on_section(ctx, section, msg, sizeof msg) != 0)
				return fail(err, errlen, name, lineno, msg);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq)
			return fail(err, errlen, name, lineno, "expected 'key = value'");
		*eq = '\0';
		char *value = eq + 1;
		if (*value == '>')
			value++;
		char *key = trim(s);
		value = trim(value);
		if (*key == '\0')
			return fail(err, errlen, name, lineno, "missing key before '='");
		if (section[0] == '\0')
			return fail(err, errlen, name, lineno, "key outside of any [section]");
		msg[0] = '\0';
		if (on_key(ctx, section, key, value, msg, sizeof msg) != 0)
			return fail(err, errlen, name, lineno, msg);
	}
	return 0;
}

int ini_parse_file(const char *path, ini_section_handler on_section, ini_handler on_key, void *ctx,
		   char *err, size_t errlen)
{
	size_t len;
	char *text = file_read_all(path, INI_MAX_FILE, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (strlen(text) != len) {
		free(text);
		snprintf(err, errlen, "%s: NUL byte in file", path);
		return -1;
	}
	int rc = ini_parse_string(path, text, on_section, on_key, ctx, err, errlen);
	free(text);
	return rc;
}
