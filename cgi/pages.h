/* pages: every page handler, one file each (page_<name>.c), as the route table (routes.h) names them. Apart
 * from routes.h so that a page may include the domain's headers: db/routes.h has a struct route of its own
 * (an outbound route), which the route table's struct route would clash with. */
#ifndef CGI_PAGES_H
#define CGI_PAGES_H

#include "app.h"

void page_home(struct page *p);
void page_login_form(struct page *p);
void page_login_submit(struct page *p);
void page_logout(struct page *p);
void page_language(struct page *p);
void page_phones_list(struct page *p);
void page_phones_import_form(struct page *p);
void page_phones_import_template(struct page *p);
void page_phones_import_post(struct page *p);
void page_phones_import_show(struct page *p);
void page_phones_import_apply(struct page *p);
void page_phones_export(struct page *p);
void page_phones_new(struct page *p);
void page_phones_create(struct page *p);
void page_phones_show(struct page *p);
void page_phones_edit(struct page *p);
void page_phones_update(struct page *p);
void page_phones_delete_confirm(struct page *p);
void page_phones_delete(struct page *p);
void page_phones_reveal(struct page *p);
void page_phones_new_secret(struct page *p);
void page_pbx_verify(struct page *p);
void page_pbx_status(struct page *p);
void page_pbx_retry(struct page *p);
void page_pbx_drift(struct page *p);
void page_pbx_drift_repair(struct page *p);
void page_users_list(struct page *p);
void page_users_create(struct page *p);
void page_users_disable(struct page *p);
void page_users_enable(struct page *p);
void page_users_reset_password(struct page *p);

void page_trunks_list(struct page *p);
void page_trunks_new(struct page *p);
void page_trunks_create(struct page *p);
void page_trunks_edit(struct page *p);
void page_trunks_update(struct page *p);
void page_trunks_delete_confirm(struct page *p);
void page_trunks_delete(struct page *p);
void page_routes_list(struct page *p);
void page_routes_new(struct page *p);
void page_routes_create(struct page *p);
void page_routes_edit(struct page *p);
void page_routes_update(struct page *p);
void page_routes_delete_confirm(struct page *p);
void page_routes_delete(struct page *p);
void page_routes_move(struct page *p);
void page_routes_test(struct page *p);
void page_routes_dialplan(struct page *p);
void page_calls(struct page *p);
void page_calls_csv(struct page *p);
void page_live(struct page *p);
void page_live_events(struct page *p);
void page_stats(struct page *p);
void page_audit(struct page *p);
void page_console(struct page *p);
void page_console_txt(struct page *p);
void page_console_events(struct page *p);
void page_console_cli(struct page *p);

#endif
