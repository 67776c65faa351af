/* form: application/x-www-form-urlencoded parsing with limits, and declarative validation.
 *
 * Like kcgi's kvalid: every form declares its fields once, in a table of {name, validator, limits}.
 * form_validate() runs the table; a handler reads only validated values (form_value) and, when the form
 * failed, re-renders it with the user's values and the per-field message keys (form_error). Fields not
 * in the table are ignored; a declared field sent twice is an error, never "first wins". */
#ifndef WEB_FORM_H
#define WEB_FORM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORM_MAX_FIELDS 64       /* pairs accepted in one body or query string */
#define FORM_MAX_NAME 64         /* bytes in a field name */
#define FORM_MAX_VALUE 8192      /* decoded bytes in one value */

enum form_parse_status {
	FORM_OK = 0,
	FORM_TOO_MANY_FIELDS,
	FORM_NAME_TOO_LONG,
	FORM_VALUE_TOO_LONG,
	FORM_BAD_ESCAPE,         /* '%' not followed by two hex digits */
	FORM_BAD_NAME,           /* empty, or characters outside [A-Za-z0-9_-] */
};

struct form_pair {
	char *name;
	char *value;             /* decoded; NUL-terminated; may contain NUL bytes (value_len tells) */
	size_t value_len;
};

struct form_pairs {
	struct form_pair items[FORM_MAX_FIELDS];
	size_t count;
	char *storage;           /* one allocation holding every decoded name and value */
};

/* Parses data[0..len). "+" is a space, %XX a byte. Empty pieces ("a=1&&b=2") are skipped.
 * On error, pairs is left empty (nothing to free); on success call form_pairs_free. */
enum form_parse_status form_parse(const char *data, size_t len, struct form_pairs *pairs);
void form_pairs_free(struct form_pairs *pairs);
const char *form_parse_status_text(enum form_parse_status st);
/* The value of the only pair with that name; NULL if absent or sent more than once. */
const char *form_pairs_get(const struct form_pairs *pairs, const char *name);

struct form_field;
/* A validator returns NULL when value is acceptable, else a message key under Lang.err (e.g. "too_long").
 * It may normalise the value in place (out, up to FORM_MAX_VALUE+1 bytes). */
typedef const char *(*form_validator)(const struct form_field *field, const char *value, size_t len, char *out);

struct form_field {
	const char *name;
	form_validator validate;
	bool required;           /* absent or empty → "required" */
	int min, max;            /* characters for text, value range for numbers */
	const char *choices;     /* for form_v_choice: "a|b|c" */
};

struct form_def {
	const char *name;        /* used in HDF as Form.<name> */
	const struct form_field *fields;
	size_t count;
};
#define FORM_DEF(id, table) { id, table, sizeof table / sizeof *table }

struct form_result {
	const struct form_def *def;
	char *values[FORM_MAX_FIELDS];     /* normalised value, or the raw one when it failed ("" if absent) */
	char *typed[FORM_MAX_FIELDS];      /* exactly what the user sent, minus NULs: what a re-shown form shows */
	const char *errors[FORM_MAX_FIELDS];
	size_t error_count;
};

/* Validates pairs against def. Returns true when every field passed. Always call form_result_free. */
bool form_validate(const struct form_def *def, const struct form_pairs *pairs, struct form_result *res);
void form_result_free(struct form_result *res);
const char *form_value(const struct form_result *res, const char *name);   /* "" if unknown */
const char *form_error(const struct form_result *res, const char *name);   /* NULL if none */
const char *form_typed(const struct form_result *res, const char *name);   /* "" if unknown */
/* Marks a field failed after validation (e.g. "name already taken" from the database). */
void form_set_error(struct form_result *res, const char *name, const char *message_key);

/* Validators. */
const char *form_v_text(const struct form_field *f, const char *v, size_t len, char *out);     /* one line */
const char *form_v_password(const struct form_field *f, const char *v, size_t len, char *out);
const char *form_v_choice(const struct form_field *f, const char *v, size_t len, char *out);
const char *form_v_int(const struct form_field *f, const char *v, size_t len, char *out);
const char *form_v_digits(const struct form_field *f, const char *v, size_t len, char *out);
const char *form_v_date(const struct form_field *f, const char *v, size_t len, char *out);   /* YYYY-MM-DD */
/* The local midnight (the process's zone: TZ is set at start) starting a date form_v_date accepted, plus
 * add_days. */
int64_t form_date_midnight(const char *date, int add_days);

#endif
