/* Unit tests: cgi/phone_import, the CSV import of phones (issue 13): the header in either language and any order,
 * both separators and a BOM; every row through the phone form's validators, each problem by line and column; an
 * extension or MAC twice in the file; a row against the phones already there (unchanged, changed, a MAC another
 * phone has); an empty file, a header alone, ragged rows; storing all or nothing (a failure in row 57 of 60
 * stores nothing); a second import of the same file changes nothing; what the export writes (formula cells
 * neutralised) imports back unchanged. */
#include <check.h>

#include "support/check_run.h"
#include "support/db_test_support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/imports.h"
#include "db/phones.h"
#include "phone_form.h"
#include "phone_import.h"
#include "util/csv.h"

static struct pbx_settings settings(void)
{
	struct pbx_settings s;
	memset(&s, 0, sizeof s);
	s.driver = PBX_PJSIP;
	s.ext_min = 100;
	s.ext_max = 899;
	snprintf(s.reserved[0], sizeof s.reserved[0], "112");
	s.n_reserved = 1;
	snprintf(s.classes[0], sizeof s.classes[0], "internal");
	snprintf(s.classes[1], sizeof s.classes[1], "national");
	s.n_classes = 2;
	snprintf(s.default_class, sizeof s.default_class, "national");
	s.retry_interval = 1;
	return s;
}

static struct import_plan check_text(struct db *db, const char *text)
{
	struct pbx_settings s = settings();
	struct import_plan plan;
	import_plan_init(&plan);
	ck_assert_int_eq(phone_import_check(db, &s, NULL, text, strlen(text), &plan), 0);
	return plan;
}

/* "line:column:key" of problem i. */
static const char *problem(const struct import_plan *plan, size_t i)
{
	static char out[128];
	ck_assert_uint_lt(i, plan->n_problems);
	snprintf(out, sizeof out, "%d:%s:%s", plan->problems[i].line, plan->problems[i].column, plan->problems[i].key);
	return out;
}

START_TEST(header_in_spanish_with_semicolons_bom_and_quotes)
{
	struct db *db = test_db_open();
	struct import_plan plan = check_text(db, "\xef\xbb\xbf" "MAC;Nombre;Extensión;modelo;clase\r\n"
					       "00-15-65-00-00-01;\"Recepción; planta 1\";201;yealink-t46u;internal\r\n"
					       "\r\n"
					       "001565000002;\"Dice \"\"hola\"\"\nsegunda línea\";202;Yealink T46U;\r\n");
	ck_assert_uint_eq(plan.problem_count, 1);   /* a line break is not a valid phone name */
	ck_assert_str_eq(problem(&plan, 0), "4:name:control_chars");
	ck_assert_uint_eq(plan.n_rows, 1);
	ck_assert_str_eq(plan.rows[0].w.ph.extension, "201");
	ck_assert_str_eq(plan.rows[0].w.ph.name, "Recepción; planta 1");
	ck_assert_str_eq(plan.rows[0].w.ph.mac, "001565000001");
	ck_assert_str_eq(plan.rows[0].w.ph.calling_class, "internal");
	ck_assert_int_eq(plan.rows[0].kind, IMPORT_NEW);
	import_plan_free(&plan);
	db_close(db);
}
END_TEST

START_TEST(each_bad_value_is_reported_by_line_and_column_with_the_forms_key)
{
	struct db *db = test_db_open();
	struct import_plan plan = check_text(db, "extension,name,model,mac,class\n"
					       "201,Ana,yealink-t46u,00:15:65:00:00:01,\n"
					       "abc,Bea,yealink-t46u,00:15:65:00:00:02,\n"
					       "950,Carla,yealink-t46u,00:15:65:00:00:03,\n"
					       "204,,yealink-t46u,00:15:65:00:00:04,\n"
					       "205,Dani,no-such-phone,00:15:65:00:00:05,\n"
					       "206,Eva,yealink-t46u,00:15:65:00:00,\n"
					       "207,Fede,yealink-t46u,00:15:65:00:00:07,vip\n"
					       "112,Gus,yealink-t46u,00:15:65:00:00:08,\n");
	ck_assert_uint_eq(plan.problem_count, 7);
	ck_assert_str_eq(problem(&plan, 0), "3:extension:digits_only");
	ck_assert_str_eq(problem(&plan, 1), "4:extension:ext_range");
	ck_assert_str_eq(problem(&plan, 2), "5:name:required");
	ck_assert_str_eq(problem(&plan, 3), "6:model:invalid_choice");
	ck_assert_str_eq(problem(&plan, 4), "7:mac:mac_length");
	ck_assert_str_eq(problem(&plan, 5), "8:calling_class:invalid_choice");
	ck_assert_str_eq(problem(&plan, 6), "9:extension:ext_reserved");
	ck_assert_uint_eq(plan.n_rows, 1);
	ck_assert_int_eq(plan.rows[0].w.ph.calling_class[0] != '\0', 1);   /* the default class */
	ck_assert_str_eq(plan.rows[0].w.ph.calling_class, "national");
	import_plan_free(&plan);
	db_close(db);
}
END_TEST

START_TEST(file_level_problems)
{
	struct db *db = test_db_open();
	struct import_plan plan = check_text(db, "");
	ck_assert_uint_eq(plan.problem_count, 1);
	ck_assert_str_eq(problem(&plan, 0), "0::empty");
	import_plan_free(&plan);
	plan = check_text(db, "extension,name,model,mac\r\n");
	ck_assert_uint_eq(plan.problem_count, 1);
	ck_assert_str_eq(problem(&plan, 0), "0::no_rows");
	import_plan_free(&plan);
	plan = check_text(db, "201,Ana,yealink-t46u,00:15:65:00:00:01\n");
	ck_assert_uint_eq(plan.problem_count, 1);
	ck_assert_str_eq(problem(&plan, 0), "1::header_missing");
	import_plan_free(&plan);
	plan = check_text(db, "extension,name,colour,mac,name\n");
	ck_assert_uint_eq(plan.problem_count, 3);
	ck_assert_str_eq(problem(&plan, 0), "1::column_unknown");
	ck_assert_str_eq(problem(&plan, 1), "1::column_twice");
	ck_assert_str_eq(problem(&plan, 2), "1::column_missing");
	ck_assert_str_eq(plan.problems[2].detail, "model");
	import_plan_free(&plan);
	/* Ragged rows: fewer values are empty ones; more are refused unless empty; a broken quote is its line's. */
	plan = check_text(db, "extension,name,model,mac,class\n"
			      "201,Ana,yealink-t46u,00:15:65:00:00:01\n"
			      "202,Bea,yealink-t46u,00:15:65:00:00:02,,,\n"
			      "203,Carla,yealink-t46u,00:15:65:00:00:03,national,extra\n"
			      "204,Dani\n"
			      "205,\"Eva,yealink-t46u,00:15:65:00:00:05\n");
	ck_assert_uint_eq(plan.problem_count, 4);
	ck_assert_str_eq(problem(&plan, 0), "4::fields");
	ck_assert_str_eq(problem(&plan, 1), "5:model:required");
	ck_assert_str_eq(problem(&plan, 2), "5:mac:required");
	ck_assert_str_eq(problem(&plan, 3), "6::csv");
	ck_assert_uint_eq(plan.n_rows, 2);
	import_plan_free(&plan);
	db_close(db);
}
END_TEST

START_TEST(twice_in_the_file_and_against_the_phones_there)
{
	struct db *db = test_db_open();
	struct phone there = { 0 };
	snprintf(there.extension, sizeof there.extension, "300");
	snprintf(there.name, sizeof there.name, "Existing");
	snprintf(there.model, sizeof there.model, "yealink-t46u");
	snprintf(there.mac, sizeof there.mac, "001565000300");
	snprintf(there.calling_class, sizeof there.calling_class, "national");
	snprintf(there.secret, sizeof there.secret, "s3cretS3cretS3cret");
	int64_t id;
	ck_assert_int_eq(phones_create(db, &there, 1, &id), PHONES_OK);
	struct import_plan plan = check_text(db, "extension,name,model,mac,class\n"
					       "201,Ana,yealink-t46u,00:15:65:00:02:01,\n"
					       "201,Ana bis,yealink-t46u,00:15:65:00:02:02,\n"
					       "203,Carla,yealink-t46u,00:15:65:00:02:01,\n"
					       "300,Existing,yealink-t46u,00:15:65:00:03:00,national\n"
					       "204,Dani,yealink-t46u,00:15:65:00:03:00,\n");
	ck_assert_uint_eq(plan.problem_count, 3);
	ck_assert_str_eq(problem(&plan, 0), "3:extension:ext_twice");
	ck_assert_str_eq(plan.problems[0].detail, "2");
	ck_assert_str_eq(problem(&plan, 1), "4:mac:mac_twice");
	ck_assert_str_eq(problem(&plan, 2), "6:mac:mac_taken");
	ck_assert_str_eq(plan.problems[2].detail, "300");
	ck_assert_int_eq(plan.n_same, 1);
	import_plan_free(&plan);
	/* The same extension with other values is that phone, changed; an empty class keeps its class. */
	plan = check_text(db, "extension,name,model,mac,class\n300,Reception,snom-d715,00:04:13:00:03:00,\n");
	ck_assert_uint_eq(plan.problem_count, 0);
	ck_assert_int_eq(plan.n_update, 1);
	ck_assert_int_eq(plan.rows[0].w.ph.id, id);
	ck_assert_str_eq(plan.rows[0].w.ph.calling_class, "national");
	ck_assert_str_eq(plan.rows[0].w.ph.secret, "s3cretS3cretS3cret");
	ck_assert_str_eq(plan.rows[0].changes, "name: Existing -> Reception; model: yealink-t46u -> snom-d715; "
					       "mac: 00:15:65:00:03:00 -> 00:04:13:00:03:00");
	import_plan_free(&plan);
	db_close(db);
}
END_TEST

/* 60 phones, 200..259 (MACs 00:15:65:00:01:xx). */
static char *sixty(void)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "extension,name,model,mac\n");
	for (int i = 0; i < 60; i++) {
		char line[128];
		snprintf(line, sizeof line, "%d,Phone %d,yealink-t46u,00:15:65:00:01:%02x\n", 200 + i, i, i);
		buf_puts(&b, line);
	}
	char *s = strdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

START_TEST(a_failure_in_row_57_of_60_stores_nothing)
{
	struct db *db = test_db_open();
	char *text = sixty();
	struct pbx_settings s = settings();
	struct import_plan plan = check_text(db, text);
	ck_assert_uint_eq(plan.problem_count, 0);
	ck_assert_int_eq(plan.n_new, 60);
	int64_t draft;
	ck_assert_int_eq(imports_draft(db, 1, "test", "sixty.csv", text, strlen(text), &draft), 0);
	/* Between the check and the store, someone adds the phone of line 57 (extension 255). */
	struct phone other = plan.rows[55].w.ph;
	snprintf(other.mac, sizeof other.mac, "001565009999");
	snprintf(other.secret, sizeof other.secret, "otherotherotherother");
	int64_t id;
	ck_assert_int_eq(phones_create(db, &other, 2, &id), PHONES_OK);
	int failed_line = 0;
	ck_assert_int_eq(phone_import_store(db, &s, draft, &plan, 3, &failed_line), PHONES_DUP_EXTENSION);
	ck_assert_int_eq(failed_line, 57);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM phones"), 1);   /* only the other one */
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM import_phones"), 0);
	ck_assert_int_eq(test_db_scalar(db, "SELECT imported_at IS NULL FROM imports"), 1);
	import_plan_free(&plan);
	free(text);
	db_close(db);
}
END_TEST

START_TEST(a_second_import_of_the_same_file_changes_nothing)
{
	struct db *db = test_db_open();
	char *text = sixty();
	struct pbx_settings s = settings();
	struct import_plan plan = check_text(db, text);
	int64_t draft;
	int failed_line;
	ck_assert_int_eq(imports_draft(db, 1, "test", "sixty.csv", text, strlen(text), &draft), 0);
	ck_assert_int_eq(phone_import_store(db, &s, draft, &plan, 3, &failed_line), PHONES_OK);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM phones WHERE version = 1"), 60);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM import_phones"), 60);
	ck_assert_int_eq(test_db_scalar(db, "SELECT length(csv) FROM imports"), 0);   /* the bytes go once imported */
	/* The same draft twice (a second click): refused, nothing stored twice. */
	ck_assert_int_eq(phone_import_store(db, &s, draft, &plan, 4, &failed_line), PHONES_CONFLICT);
	ck_assert_int_eq(failed_line, 0);
	import_plan_free(&plan);
	plan = check_text(db, text);
	ck_assert_uint_eq(plan.problem_count, 0);
	ck_assert_int_eq(plan.n_same, 60);
	ck_assert_int_eq(plan.n_new + plan.n_update, 0);
	ck_assert_int_eq(imports_draft(db, 5, "test", "sixty.csv", text, strlen(text), &draft), 0);
	ck_assert_int_eq(phone_import_store(db, &s, draft, &plan, 6, &failed_line), PHONES_OK);
	ck_assert_int_eq(test_db_scalar(db, "SELECT count(*) FROM phones WHERE version = 1"), 60);
	ck_assert_int_eq(test_db_scalar(db, "SELECT unchanged FROM imports WHERE id = 2"), 60);
	import_plan_free(&plan);
	free(text);
	db_close(db);
}
END_TEST

static int export_row(void *ctx, const struct phone *ph)
{
	char mac[18];
	phone_format_mac(ph->mac, mac);
	const char *cells[] = { ph->extension, ph->name, ph->model, mac, ph->calling_class };
	csv_record(ctx, cells, 5);
	return 0;
}

START_TEST(the_export_imports_back_unchanged_with_formula_cells_neutralised)
{
	struct db *db = test_db_open();
	struct pbx_settings s = settings();
	const char *names[] = { "=1+2 desk", "-Reception", "+34 desk", "@home", "'=already quoted",
				"Ana, la jefa", "Zoë" };
	for (int i = 0; i < 7; i++) {
		struct phone p = { 0 };
		snprintf(p.extension, sizeof p.extension, "%d", 300 + i);
		snprintf(p.name, sizeof p.name, "%s", names[i]);
		snprintf(p.model, sizeof p.model, "%s", i % 2 ? "snom-d715" : "yealink-t46u");
		snprintf(p.mac, sizeof p.mac, "0015650003%02x", i);
		snprintf(p.calling_class, sizeof p.calling_class, "%s", i % 2 ? "internal" : "national");
		snprintf(p.secret, sizeof p.secret, "secretsecretsecret%d", i);
		int64_t id;
		ck_assert_int_eq(phones_create(db, &p, 1, &id), PHONES_OK);
	}
	struct buf out;
	buf_init(&out);
	const char *header[] = { "extension", "name", "model", "mac", "class" };
	csv_record(&out, header, 5);
	int total;
	ck_assert_int_eq(phones_list(db, "", 0, 1000, &total, export_row, &out), 0);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out), "'=1+2 desk"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out), ",'-Reception,"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out), ",''=already quoted,"));
	/* Read back against the same phones: every row is unchanged. */
	struct import_plan plan = check_text(db, buf_cstr(&out));
	for (size_t i = 0; i < plan.n_problems; i++)
		fprintf(stderr, "%s %s\n", problem(&plan, i), plan.problems[i].detail);
	ck_assert_uint_eq(plan.problem_count, 0);
	ck_assert_int_eq(plan.n_same, 7);
	import_plan_free(&plan);
	/* On a fresh database it gives the same phones. */
	db_close(db);
	unlink(test_db_path);
	db = test_db_open();
	plan = check_text(db, buf_cstr(&out));
	ck_assert_int_eq(plan.n_new, 7);
	int64_t draft;
	int failed;
	ck_assert_int_eq(imports_draft(db, 1, "t", "x.csv", buf_cstr(&out), out.len, &draft), 0);
	ck_assert_int_eq(phone_import_store(db, &s, draft, &plan, 2, &failed), PHONES_OK);
	for (int i = 0; i < 7; i++) {
		struct phone p;
		char ext[16];
		snprintf(ext, sizeof ext, "%d", 300 + i);
		ck_assert_int_eq(phones_get_live_by_extension(db, ext, &p), PHONES_OK);
		ck_assert_str_eq(p.name, names[i]);
		ck_assert_str_eq(p.model, i % 2 ? "snom-d715" : "yealink-t46u");
		ck_assert_str_eq(p.calling_class, i % 2 ? "internal" : "national");
	}
	import_plan_free(&plan);
	buf_free(&out);
	db_close(db);
}
END_TEST

START_TEST(five_thousand_rows_are_checked)
{
	struct db *db = test_db_open();
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "extension;name;model;mac\r\n");
	for (int i = 0; i < 5000; i++) {
		char line[128];
		snprintf(line, sizeof line, "%d;Phone %d;yealink-t46u;00:15:65:01:%02x:%02x\r\n", 10000 + i, i, i / 256,
			 i % 256);
		buf_puts(&b, line);
	}
	struct pbx_settings s = settings();
	s.ext_min = 10000;
	s.ext_max = 19999;
	struct import_plan plan;
	import_plan_init(&plan);
	ck_assert_int_eq(phone_import_check(db, &s, NULL, buf_cstr(&b), b.len, &plan), 0);
	ck_assert_uint_eq(plan.problem_count, 0);
	ck_assert_int_eq(plan.n_new, 5000);
	import_plan_free(&plan);
	buf_free(&b);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("phone_import");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, test_db_setup, test_db_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, header_in_spanish_with_semicolons_bom_and_quotes);
	tcase_add_test(tc, each_bad_value_is_reported_by_line_and_column_with_the_forms_key);
	tcase_add_test(tc, file_level_problems);
	tcase_add_test(tc, twice_in_the_file_and_against_the_phones_there);
	tcase_add_test(tc, a_failure_in_row_57_of_60_stores_nothing);
	tcase_add_test(tc, a_second_import_of_the_same_file_changes_nothing);
	tcase_add_test(tc, the_export_imports_back_unchanged_with_formula_cells_neutralised);
	tcase_add_test(tc, five_thousand_rows_are_checked);
	suite_add_tcase(s, tc);
	return check_run(s);
}
