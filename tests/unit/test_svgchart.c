/* Unit tests: the statistics charts' geometry (web/svgchart.c): a scale's top reads well and holds the tallest
 * bar; stacked segments sit on each other from the baseline, in proportion, with zero-height segments for zero
 * (and negative) values; bars share the plot without overlapping; heat-map buckets at their edges; grid cells tile
 * the plot. And the PBX's start time as CoreStatus words it (pbx/pbx_info.c), malformed words refused. */
#include <check.h>

#include "support/check_run.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pbx/pbx_info.h"
#include "web/svgchart.h"

#define EPS 1e-9

START_TEST(nice_tops)
{
	static const struct { double v, top; } cases[] = {
		{ -3, 1 }, { 0, 1 }, { 0.4, 1 }, { 1, 1 }, { 1.5, 2 }, { 2, 2 }, { 3, 5 }, { 5, 5 }, { 6, 10 },
		{ 10, 10 }, { 11, 20 }, { 20, 20 }, { 21, 50 }, { 99, 100 }, { 100, 100 }, { 101, 200 },
		{ 4999, 5000 }, { 1234567, 2000000 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(fabs(svg_nice_top(cases[i].v) - cases[i].top) < EPS, "top of %g: %g", cases[i].v,
			      svg_nice_top(cases[i].v));
}
END_TEST

START_TEST(stacked_bars_sit_on_each_other_in_proportion)
{
	const struct svg_plot plot = { 40, 10, 700, 200 };
	/* answered, missed, other per day */
	const double v[] = { 3, 1, 0,  0, 0, 0,  10, 5, 2,  -4, 2, 0 };
	struct svg_bar bars[4];
	double top = svg_stacked_bars(&plot, v, 4, 3, 0.2, 0, bars);
	ck_assert(fabs(top - 20) < EPS);   /* tallest 17 → 20 */
	double bottom = plot.y + plot.height;
	for (int i = 0; i < 4; i++) {
		const struct svg_bar *b = &bars[i];
		ck_assert(fabs(b->width - 700.0 / 4 * 0.8) < EPS);
		ck_assert(b->x >= plot.x + 700.0 / 4 * i - EPS);
		ck_assert(b->x + b->width <= plot.x + 700.0 / 4 * (i + 1) + EPS);
		double base = bottom;
		for (int s = 0; s < 3; s++) {
			double want = v[i * 3 + s] > 0 ? v[i * 3 + s] : 0;
			ck_assert_msg(fabs(b->h[s] - want / 20 * 200) < EPS, "bar %d segment %d height %g", i, s, b->h[s]);
			ck_assert_msg(fabs(b->y[s] + b->h[s] - base) < EPS, "bar %d segment %d not on the one below", i, s);
			ck_assert(b->y[s] >= plot.y - EPS);
			base = b->y[s];
		}
	}
	/* A top given by the caller is kept, and values above it are clamped to the plot. */
	top = svg_stacked_bars(&plot, v, 4, 3, 0.2, 10, bars);
	ck_assert(fabs(top - 10) < EPS);
	ck_assert(bars[2].y[2] >= plot.y - EPS);
	ck_assert(fabs(bars[2].h[0] - 200) < EPS && fabs(bars[2].h[1]) < EPS);
	/* No bars at all, or all zero: a scale of 1, nothing drawn. */
	ck_assert(fabs(svg_stacked_bars(&plot, v, 0, 3, 0.2, 0, bars) - 1) < EPS);
	const double zeros[2] = { 0, 0 };
	ck_assert(fabs(svg_stacked_bars(&plot, zeros, 2, 1, 0.2, 0, bars) - 1) < EPS);
	ck_assert(fabs(bars[1].h[0]) < EPS && fabs(bars[1].y[0] - bottom) < EPS);
}
END_TEST

START_TEST(value_y_and_buckets)
{
	const struct svg_plot plot = { 0, 0, 100, 100 };
	ck_assert(fabs(svg_value_y(&plot, 50, 0) - 100) < EPS);
	ck_assert(fabs(svg_value_y(&plot, 50, 25) - 50) < EPS);
	ck_assert(fabs(svg_value_y(&plot, 50, 80) - 0) < EPS);
	ck_assert(fabs(svg_value_y(&plot, 0, 5) - 100) < EPS);
	ck_assert_int_eq(svg_bucket(0, 10), 0);
	ck_assert_int_eq(svg_bucket(-1, 10), 0);
	ck_assert_int_eq(svg_bucket(3, 0), 0);
	ck_assert_int_eq(svg_bucket(0.0001, 10), 1);
	ck_assert_int_eq(svg_bucket(2, 10), 1);
	ck_assert_int_eq(svg_bucket(2.0001, 10), 2);
	ck_assert_int_eq(svg_bucket(9.99, 10), SVG_BUCKETS);
	ck_assert_int_eq(svg_bucket(10, 10), SVG_BUCKETS);
	ck_assert_int_eq(svg_bucket(11, 10), SVG_BUCKETS);
	ck_assert_int_eq(svg_bucket(1, 1), SVG_BUCKETS);   /* one call in the busiest hour: the darkest */
	/* Each bucket its own colour, and nonsense gets "none". */
	for (int a = 0; a <= SVG_BUCKETS; a++) {
		ck_assert_int_eq(strlen(svg_bucket_colour(a)), 7);
		for (int b = a + 1; b <= SVG_BUCKETS; b++)
			ck_assert_str_ne(svg_bucket_colour(a), svg_bucket_colour(b));
	}
	ck_assert_str_eq(svg_bucket_colour(-1), svg_bucket_colour(0));
	ck_assert_str_eq(svg_bucket_colour(SVG_BUCKETS + 1), svg_bucket_colour(0));
}
END_TEST

START_TEST(grid_cells_tile_the_plot)
{
	const struct svg_plot plot = { 40, 18, 696, 168 };
	double x, y, w, h;
	svg_grid_cell(&plot, 7, 24, 0, 0, 2, &x, &y, &w, &h);
	ck_assert(fabs(x - 41) < EPS && fabs(y - 19) < EPS && fabs(w - 27) < EPS && fabs(h - 22) < EPS);
	svg_grid_cell(&plot, 7, 24, 6, 23, 2, &x, &y, &w, &h);
	ck_assert(fabs(x + w + 1 - (plot.x + plot.width)) < EPS);
	ck_assert(fabs(y + h + 1 - (plot.y + plot.height)) < EPS);
	/* A gap wider than a cell leaves nothing to draw rather than a negative size. */
	svg_grid_cell(&plot, 700, 24, 0, 0, 2, &x, &y, &w, &h);
	ck_assert(h >= 0);
}
END_TEST

START_TEST(pbx_start_as_corestatus_words_it)
{
	setenv("TZ", "Europe/Madrid", 1);
	tzset();
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 2, .tm_hour = 5, .tm_min = 4, .tm_sec = 3,
			 .tm_isdst = -1 };
	ck_assert_int_eq(pbx_info_parse_start("2026-12-02", "05:04:03"), (int64_t)mktime(&tm));
	/* In summer time too (the zone's offset is mktime's business). */
	struct tm s = { .tm_year = 126, .tm_mon = 6, .tm_mday = 1, .tm_hour = 12, .tm_isdst = -1 };
	ck_assert_int_eq(pbx_info_parse_start("2026-07-01", "12:00:00"), (int64_t)mktime(&s));
	static const char *const bad[][2] = {
		{ "", "05:04:03" }, { "2026-12-02", "" }, { "2026-13-02", "05:04:03" }, { "2026-12-02", "25:00:00" },
		{ "2026-12-02x", "05:04:03" }, { "2026-12-02", "05:04:03 " }, { "1970-01-01", "00:00:00" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(pbx_info_parse_start(bad[i][0], bad[i][1]) == 0, "%s %s", bad[i][0], bad[i][1]);
	ck_assert_int_eq(pbx_info_parse_start(NULL, "05:04:03"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("svgchart");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, nice_tops);
	tcase_add_test(tc, stacked_bars_sit_on_each_other_in_proportion);
	tcase_add_test(tc, value_y_and_buckets);
	tcase_add_test(tc, grid_cells_tile_the_plot);
	tcase_add_test(tc, pbx_start_as_corestatus_words_it);
	suite_add_tcase(s, tc);
	return check_run(s);
}
