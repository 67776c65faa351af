/* render: per-thread cache of parsed ClearSilver templates. */
#include "web/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const render_languages[] = { "en", "es" };

#define MAX_PAGES 64

struct cached_page {
	char name[64];
	CSPARSE *cs;
};

struct renderer {
	char dir[512];
	HDF *parse_config;      /* Config.VarEscapeMode + load path; the parse-time HDF */
	HDF *lang[RENDER_LANGUAGE_COUNT];
	struct cached_page pages[MAX_PAGES];
	int page_count;
};

void render_global_init(void) { nerr_init(); }

int render_language_index(const char *lang)
{
	for (int i = 0; lang && i < RENDER_LANGUAGE_COUNT; i++)
		if (strcmp(lang, render_languages[i]) == 0)
			return i;
	return -1;
}

static void neo_error_text(NEOERR *e, char *err, size_t errlen)
{
	STRING s;
	string_init(&s);
	nerr_error_string(e, &s);
	snprintf(err, errlen, "%s", s.buf ? s.buf : "template error");
	string_clear(&s);
	nerr_ignore(&e);
}

struct renderer *renderer_new(const char *templates_dir, char *err, size_t errlen)
{
	struct renderer *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	snprintf(r->dir, sizeof r->dir, "%s", templates_dir);
	NEOERR *e = hdf_init(&r->parse_config);
	if (e == STATUS_OK)
		e = hdf_set_value(r->parse_config, "Config.VarEscapeMode", "html");
	if (e == STATUS_OK)
		e = hdf_set_value(r->parse_config, "hdf.loadpaths.0", templates_dir);
	for (int i = 0; e == STATUS_OK && i < RENDER_LANGUAGE_COUNT; i++) {
		char path[600];
		snprintf(path, sizeof path, "%s/lang/%s.hdf", templates_dir, render_languages[i]);
		e = hdf_init(&r->lang[i]);
		if (e == STATUS_OK)
			e = hdf_read_file(r->lang[i], path);
	}
	if (e != STATUS_OK) {
		neo_error_text(e, err, errlen);
		renderer_free(r);
		return NULL;
	}
	return r;
}

void renderer_free(struct renderer *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->page_count; i++)
		cs_destroy(&r->pages[i].cs);
	for (int i = 0; i < RENDER_LANGUAGE_COUNT; i++)
		hdf_destroy(&r->lang[i]);
	hdf_destroy(&r->parse_config);
	free(r);
}

static NEOERR *append_output(void *ctx, char *s)
{
	buf_puts(ctx, s);
	return STATUS_OK;
}

static CSPARSE *get_parsed(struct renderer *r, const char *page, char *err, size_t errlen)
{
	for (int i = 0; i < r->page_count; i++)
		if (strcmp(r->pages[i].name, page) == 0)
			return r->pages[i].cs;
	if (r->page_count == MAX_PAGES || strlen(page) >= sizeof r->pages[0].name || strstr(page, "..")) {
		snprintf(err, errlen, "%s: cannot cache template", page);
		return NULL;
	}
	CSPARSE *cs = NULL;
	/* cs_init reads Config.VarEscapeMode from this HDF, once: escaping is fixed into the parse. */
	NEOERR *e = cs_init(&cs, r->parse_config);
	if (e == STATUS_OK)
		e = cgi_register_strfuncs(cs);
	if (e == STATUS_OK)
		e = cs_parse_file(cs, page);
	if (e != STATUS_OK) {
		neo_error_text(e, err, errlen);
		cs_destroy(&cs);
		return NULL;
	}
	r->pages[r->page_count].cs = cs;
	snprintf(r->pages[r->page_count].name, sizeof r->pages[0].name, "%s", page);
	r->page_count++;
	return cs;
}

int render_page(struct renderer *r, const char *page, HDF *data, const char *lang, struct buf *out, char *err,
		size_t errlen)
{
	CSPARSE *cs = get_parsed(r, page, err, errlen);
	if (!cs)
		return -1;
	int li = render_language_index(lang);
	cs->hdf = data;
	cs->global_hdf = r->lang[li < 0 ? 0 : li];
	NEOERR *e = cs_render(cs, out, append_output);
	cs->hdf = r->parse_config;
	cs->global_hdf = NULL;
	if (e != STATUS_OK) {
		neo_error_text(e, err, errlen);
		return -1;
	}
	return 0;
}
