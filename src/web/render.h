/* render: ClearSilver pages, parsed once per thread and rendered many times.
 * Every renderer parses with Config.VarEscapeMode=html, so each `var:` is HTML-escaped.
 * UI strings live in templates/lang/<lang>.hdf and are visible to templates as Lang.* (the language HDF
 * is the parse's global HDF, looked up after the page data). One renderer per thread: a CSPARSE must
 * never be rendered from two threads. */
#ifndef WEB_RENDER_H
#define WEB_RENDER_H
#include <ClearSilver.h>
#include <stddef.h>

#include "util/buf.h"

extern const char *const render_languages[];   /* "en", "es" */
#define RENDER_LANGUAGE_COUNT 2

struct renderer;

/* Loads the language files from templates_dir/lang. NULL with err on failure. */
struct renderer *renderer_new(const char *templates_dir, char *err, size_t errlen);
void renderer_free(struct renderer *r);
/* Renders templates_dir/<page> with data and the language lang ("en"/"es"; unknown → first).
 * Appends to out. Returns 0, or -1 with err (template errors). */
int render_page(struct renderer *r, const char *page, HDF *data, const char *lang, struct buf *out, char *err,
		size_t errlen);
/* True if lang is one of render_languages. */
int render_language_index(const char *lang);

/* Call once in main before threads start (ClearSilver's error system is not thread-safe to init). */
void render_global_init(void);

#endif
