/* page_language: stores the user's language choice and returns to the page they were on. */
#include "routes.h"

static const struct form_field language_fields[] = {
	{ "lang", form_v_choice, true, 0, 0, "en|es" },
	{ "back", form_v_text, false, 0, 1000, NULL },
};
static const struct form_def language_form = FORM_DEF("language", language_fields);

void page_language(struct page *p)
{
	struct form_result form;
	if (!form_validate(&language_form, &p->req->form, &form)) {
		page_error(p, 422, "bad_language");
		form_result_free(&form);
		return;
	}
	if (users_set_language(p->w->db, p->user.id, form_value(&form, "lang"), p->now) != 0) {
		page_error(p, 500, "internal");
		form_result_free(&form);
		return;
	}
	const char *back = form_value(&form, "back");
	response_redirect(p->res, is_local_path(back) ? back : "/");
	form_result_free(&form);
}
