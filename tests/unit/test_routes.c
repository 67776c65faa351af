/* Unit tests: route matching (":id", 404 vs 405) and invariants of the route table itself. */
#include <check.h>

#include "support/check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

START_TEST(finds_exact_and_id_routes)
{
	const struct route *r;
	int64_t id;
	char allow[64];
	ck_assert_int_eq(route_find("GET", "/", &r, &id, allow, sizeof allow), ROUTE_FOUND);
	ck_assert_ptr_eq(r->handler, page_home);
	ck_assert_int_eq(route_find("HEAD", "/users", &r, &id, allow, sizeof allow), ROUTE_FOUND);
	ck_assert_int_eq(route_find("POST", "/users/42/disable", &r, &id, allow, sizeof allow), ROUTE_FOUND);
	ck_assert_ptr_eq(r->handler, page_users_disable);
	ck_assert_int_eq(id, 42);
}
END_TEST

START_TEST(rejects_bad_ids_and_unknown_paths)
{
	const struct route *r;
	int64_t id;
	char allow[64];
	static const char *const bad[] = { "/users/0/disable", "/users/007/disable", "/users/-1/disable",
					   "/users/1x/disable", "/users//disable", "/users/1234567890123456789/disable",
					   "/users/1/disable/", "/nope", "/users/", "//users", "/Users" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(route_find("POST", bad[i], &r, &id, allow, sizeof allow) == ROUTE_NOT_FOUND, "%s", bad[i]);
}
END_TEST

START_TEST(wrong_method_lists_allowed)
{
	const struct route *r;
	int64_t id;
	char allow[64];
	ck_assert_int_eq(route_find("PUT", "/users", &r, &id, allow, sizeof allow), ROUTE_WRONG_METHOD);
	ck_assert_str_eq(allow, "GET, POST");
	ck_assert_int_eq(route_find("GET", "/logout", &r, &id, allow, sizeof allow), ROUTE_WRONG_METHOD);
	ck_assert_str_eq(allow, "POST");
}
END_TEST

START_TEST(table_invariants)
{
	for (size_t i = 0; i < route_count; i++) {
		const struct route *a = &routes[i];
		ck_assert_msg(strcmp(a->method, "GET") == 0 || strcmp(a->method, "POST") == 0, "%s", a->pattern);
		/* Every state-changing route checks CSRF; GET routes never change state. */
		ck_assert_msg(strcmp(a->method, "POST") != 0 || a->csrf, "POST %s without CSRF", a->pattern);
		ck_assert_msg(a->pattern[0] == '/', "%s", a->pattern);
		ck_assert_ptr_nonnull(a->handler);
		for (size_t j = i + 1; j < route_count; j++)
			ck_assert_msg(strcmp(a->method, routes[j].method) || strcmp(a->pattern, routes[j].pattern),
				      "duplicate route %s %s", a->method, a->pattern);
	}
}
END_TEST

/* route_takes_upload (which serve.c asks before reading a body) agrees with the table: only a POST route with
 * upload set, and such a route checks CSRF like every POST. */
START_TEST(upload_flag_is_read_from_the_table)
{
	for (size_t i = 0; i < route_count; i++) {
		const struct route *a = &routes[i];
		char path[128];
		const char *id = strstr(a->pattern, ":id");
		if (id)
			snprintf(path, sizeof path, "%.*s7%s", (int)(id - a->pattern), a->pattern, id + 3);
		else
			snprintf(path, sizeof path, "%s", a->pattern);
		bool want = a->upload && strcmp(a->method, "POST") == 0;
		ck_assert_msg(route_takes_upload(a->method, path) == want, "%s %s", a->method, path);
		ck_assert_msg(!a->upload || (strcmp(a->method, "POST") == 0 && a->csrf), "%s %s", a->method, a->pattern);
	}
	ck_assert(!route_takes_upload("POST", "/nope"));
	ck_assert(!route_takes_upload("PUT", "/phones"));
	ck_assert(!route_takes_upload("POST", "/phones"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, finds_exact_and_id_routes);
	tcase_add_test(tc, rejects_bad_ids_and_unknown_paths);
	tcase_add_test(tc, wrong_method_lists_allowed);
	tcase_add_test(tc, table_invariants);
	tcase_add_test(tc, upload_flag_is_read_from_the_table);
	suite_add_tcase(s, tc);
	return check_run(s);
}
