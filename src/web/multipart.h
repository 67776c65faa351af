/* multipart: multipart/form-data bodies (RFC 7578 over RFC 2046), for the few routes that take file uploads.
 *
 * The whole body is already in memory (serve.c bounds it by [web] max_upload). Ordinary fields come out as a
 * struct form_pairs with form_parse's limits and name rules, so form_validate and the CSRF check read them
 * unchanged; file parts (those whose Content-Disposition has a filename) come out as struct upload_file,
 * pointing into the body, never copied. Anything outside the grammar is refused, each with its own status:
 * a page never sees half a form. */
#ifndef WEB_MULTIPART_H
#define WEB_MULTIPART_H
#include <stdbool.h>
#include <stddef.h>

#include "web/form.h"

#define UPLOAD_MAX_FILES 4            /* file parts accepted in one body */
#define MULTIPART_MAX_BOUNDARY 70     /* RFC 2046 §5.1.1 */
#define MULTIPART_MAX_HEADER_LINE 1024 /* bytes in one part header line, CRLF excluded */
#define MULTIPART_MAX_HEADERS 8       /* header lines in one part (browsers send one or two) */

struct upload_file {
	char name[FORM_MAX_NAME + 1]; /* the form field's name, by form_parse's rules */
	char filename[256];           /* informative only: the last path component, control characters dropped,
				       * bytes that are not UTF-8 made '?'; "" when no file was chosen */
	char content_type[128];       /* the part's Content-Type as sent, "" when it had none */
	const char *data;             /* into the body: valid as long as the request */
	size_t len;
};

enum multipart_status {
	MULTIPART_OK = 0,
	MULTIPART_NOT_FORM_DATA,      /* the Content-Type is not multipart/form-data */
	MULTIPART_BAD_BOUNDARY,       /* boundary parameter missing, repeated, empty, over 70 or not bchars */
	MULTIPART_NO_DELIMITER,       /* no "--boundary" line opens the parts */
	MULTIPART_BAD_DELIMITER,      /* a line starting with the delimiter goes on with something else */
	MULTIPART_NO_FINAL_DELIMITER, /* the body ends without "--boundary--" (truncated) */
	MULTIPART_HEADER_TOO_LONG,    /* a part header line over MULTIPART_MAX_HEADER_LINE */
	MULTIPART_TOO_MANY_HEADERS,   /* more than MULTIPART_MAX_HEADERS lines */
	MULTIPART_BAD_HEADER,         /* not "Name: value" CRLF, folded, repeated, or a value we cannot hold */
	MULTIPART_NO_DISPOSITION,     /* a part without Content-Disposition */
	MULTIPART_BAD_DISPOSITION,    /* unparsable parameters, or a parameter given twice */
	MULTIPART_NO_NAME,            /* Content-Disposition without a name parameter */
	MULTIPART_NOT_FIELD_OR_FILE,  /* disposition other than form-data, a nested multipart, or an encoding */
	MULTIPART_TOO_MANY_FIELDS,    /* more than FORM_MAX_FIELDS ordinary fields */
	MULTIPART_TOO_MANY_FILES,     /* more than UPLOAD_MAX_FILES file parts */
	MULTIPART_NAME_TOO_LONG,      /* a name over FORM_MAX_NAME bytes */
	MULTIPART_BAD_NAME,           /* empty, or characters outside [A-Za-z0-9_-] */
	MULTIPART_VALUE_TOO_LONG,     /* an ordinary field over FORM_MAX_VALUE bytes */
};

/* True when content_type's media type is multipart/form-data (any case), whatever its parameters. */
bool multipart_is_form_data(const char *content_type);

/* Parses data[0..len) as the multipart/form-data body content_type announces. On MULTIPART_OK, fields holds
 * the ordinary fields (form_pairs_free them) and files[0..*file_count) the file parts, which point into data.
 * On any other status, fields is empty (nothing to free) and *file_count is 0. */
enum multipart_status multipart_parse(const char *content_type, const char *data, size_t len,
				      struct form_pairs *fields, struct upload_file files[UPLOAD_MAX_FILES],
				      size_t *file_count);
const char *multipart_status_text(enum multipart_status st);

#endif
