/* page_stats: the call statistics (owner and integrator), read from the aggregates only (db/calls.h
 * calls_stats_*: calls_by_hour and calls_by_ext, never the history): calls per day with answered, missed and
 * other unanswered calls stacked; the busiest hours of the week over the last 4 weeks as a 7 × 24 heat map;
 * total and average talk time; each extension's calls; and how many calls start in each hour of the day on
 * average over the period. The period is one of an allow-list (7, 30, 90 days ending today, local days of
 * [web] timezone). Charts are inline SVG whose geometry comes from web/svgchart and is set here as numbers:
 * the template only places them, and gives every chart a title and a table of the same numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/calls.h"
#include "pages.h"
#include "web/svgchart.h"

#define PERIOD_DEFAULT 30
#define PERIOD_MAX 90
#define HEAT_DAYS 28      /* the heat map's 4 whole weeks: each day of the week counted 4 times */

static const struct form_field query_fields[] = {
	{ "days", form_v_choice, false, 0, 0, "7|30|90" },
};
static const struct form_def query_form = FORM_DEF("stats", query_fields);
static const int periods[] = { 7, 30, 90 };

/* ---------- local days ---------- */

/* The local day `back` days before now's, as YYYYMMDD, and its tm (noon: a day's noon exists whatever summer
 * time does to its midnight or its 2 o'clock). */
static int local_day(int64_t now, int back, struct tm *out)
{
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	tm.tm_mday -= back;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	localtime_r(&t, &tm);
	if (out)
		*out = tm;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* ---------- formatting ---------- */

/* Seconds as H:MM:SS (hours unbounded). */
static void format_hms(int64_t s, char *out, size_t size)
{
	if (s < 0)
		s = 0;
	snprintf(out, size, "%lld:%02d:%02d", (long long)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

/* A number with one decimal in the page's language ("2.5" / "2,5"). */
static void format_decimal(const struct page *p, double v, char *out, size_t size)
{
	snprintf(out, size, "%.1f", v);
	if (p->lang && strcmp(p->lang, "es") == 0) {
		char *dot = strchr(out, '.');
		if (dot)
			*dot = ',';
	}
}

/* SVG coordinates: one decimal is finer than a pixel at any size the page draws them. */
static void set_coord(HDF *node, const char *name, double v)
{
	char text[32];
	snprintf(text, sizeof text, "%.1f", v);
	hdf_set_value(node, name, text);
}

static HDF *node_at(struct page *p, const char *fmt, int i)
{
	char key[64];
	HDF *node = NULL;
	snprintf(key, sizeof key, fmt, i);
	return hdf_get_node(p->res->hdf, key, &node) == STATUS_OK ? node : NULL;
}

/* The y-axis: 0, the middle when it is a whole number, and the top, each with its y. */
static void set_ticks(struct page *p, const char *prefix, const struct svg_plot *plot, double top)
{
	double values[3] = { 0, top / 2, top };
	int n = 0;
	char key[64];
	for (int i = 0; i < 3; i++) {
		if (i == 1 && (long long)values[1] * 2 != (long long)top)
			continue;
		snprintf(key, sizeof key, "%s.Ticks.%d", prefix, n++);
		HDF *node = NULL;
		if (hdf_get_node(p->res->hdf, key, &node) != STATUS_OK)
			continue;
		set_coord(node, "Y", svg_value_y(plot, top, values[i]));
		hdf_set_int_value(node, "Value", (int)values[i]);
	}
}

/* ---------- calls per day ---------- */

struct day_row {
	int day;
	struct call_totals t;
};

struct day_fill {
	struct day_row *rows;
	int n;
};

static int put_day(void *ctx, int day, const struct call_totals *t)
{
	struct day_fill *f = ctx;
	for (int i = 0; i < f->n; i++)
		if (f->rows[i].day == day) {
			f->rows[i].t = *t;
			break;
		}
	return 0;
}

/* Bars for the days of the period, oldest first; days without calls are there with zero. */
static int set_days(struct page *p, int days)
{
	struct day_row rows[PERIOD_MAX] = { { 0 } };
	struct tm tms[PERIOD_MAX];
	if (days < 1 || days > PERIOD_MAX)
		return -1;
	for (int i = 0; i < days; i++) {
		rows[i].day = local_day(p->now, days - 1 - i, &tms[i]);
		memset(&rows[i].t, 0, sizeof rows[i].t);
	}
	struct day_fill fill = { rows, days };
	if (calls_stats_days(p->w->db, rows[0].day, rows[days - 1].day, put_day, &fill) < 0)
		return -1;
	/* Stacks: answered, missed, other unanswered (an outbound call nobody answered is not "missed"). */
	double values[PERIOD_MAX * 3];
	for (int i = 0; i < days; i++) {
		const struct call_totals *t = &rows[i].t;
		values[i * 3] = (double)t->answered;
		values[i * 3 + 1] = (double)t->missed;
		values[i * 3 + 2] = (double)(t->calls - t->answered - t->missed);
	}
	const struct svg_plot plot = { 40, 10, 710, 190 };
	struct svg_bar bars[PERIOD_MAX];
	double top = svg_stacked_bars(&plot, values, days, 3, days > 30 ? 0.15 : 0.25, 0, bars);
	response_set_int(p->res, "Stats.DayChart.Top", (long long)top);
	set_ticks(p, "Stats.DayChart", &plot, top);
	/* A date under every bar for a week, every 5th of a month, every 15th of 90 days (the newest always). */
	int every = days <= 7 ? 1 : days <= 30 ? 5 : 15, label = 0;
	for (int i = 0; i < days; i++) {
		HDF *node = node_at(p, "Stats.Days.%d", i);
		if (!node)
			continue;
		char text[32];
		strftime(text, sizeof text, "%Y-%m-%d", &tms[i]);
		hdf_set_value(node, "Date", text);
		hdf_set_int_value(node, "Calls", (int)rows[i].t.calls);
		hdf_set_int_value(node, "Answered", (int)rows[i].t.answered);
		hdf_set_int_value(node, "Missed", (int)rows[i].t.missed);
		hdf_set_int_value(node, "Other", (int)(values[i * 3 + 2]));
		format_hms(rows[i].t.talk_seconds, text, sizeof text);
		hdf_set_value(node, "Talk", text);
		set_coord(node, "X", bars[i].x);
		set_coord(node, "W", bars[i].width);
		static const char *const seg[3][2] = { { "AY", "AH" }, { "MY", "MH" }, { "OY", "OH" } };
		for (int s = 0; s < 3; s++) {
			set_coord(node, seg[s][0], bars[i].y[s]);
			set_coord(node, seg[s][1], bars[i].h[s]);
		}
		if ((days - 1 - i) % every == 0) {
			HDF *l = node_at(p, "Stats.DayChart.Labels.%d", label++);
			if (l) {
				strftime(text, sizeof text, "%d/%m", &tms[i]);
				hdf_set_value(l, "Text", text);
				set_coord(l, "X", bars[i].x + bars[i].width / 2);
			}
		}
	}
	return 0;
}

/* ---------- the week's heat map ---------- */

static int set_heat(struct page *p)
{
	struct call_totals (*week)[24] = calloc(7, sizeof *week);
	if (!week)
		abort();
	struct tm first, last;
	int from = local_day(p->now, HEAT_DAYS - 1, &first), to = local_day(p->now, 0, &last);
	if (calls_stats_week(p->w->db, from, to, week) != 0) {
		free(week);
		return -1;
	}
	char text[32];
	strftime(text, sizeof text, "%Y-%m-%d", &first);
	response_set(p->res, "Stats.Heat.From", text);
	strftime(text, sizeof text, "%Y-%m-%d", &last);
	response_set(p->res, "Stats.Heat.To", text);
	int64_t max = 0;
	for (int d = 0; d < 7; d++)
		for (int h = 0; h < 24; h++)
			if (week[d][h].calls > max)
				max = week[d][h].calls;
	response_set_int(p->res, "Stats.Heat.Max", max);
	const struct svg_plot plot = { 40, 18, 696, 168 };
	for (int d = 0; d < 7; d++) {
		HDF *row = node_at(p, "Stats.Heat.Rows.%d", d);
		if (!row)
			continue;
		hdf_set_int_value(row, "Dow", d);
		double x, y, w, h;
		svg_grid_cell(&plot, 7, 24, d, 0, 2, &x, &y, &w, &h);
		set_coord(row, "LabelY", y + h / 2 + 4);
		for (int hour = 0; hour < 24; hour++) {
			char key[32];
			snprintf(key, sizeof key, "Cells.%d", hour);
			HDF *cell = NULL;
			if (hdf_get_node(row, key, &cell) != STATUS_OK)
				continue;
			svg_grid_cell(&plot, 7, 24, d, hour, 2, &x, &y, &w, &h);
			set_coord(cell, "X", x);
			set_coord(cell, "Y", y);
			set_coord(cell, "W", w);
			set_coord(cell, "H", h);
			hdf_set_int_value(cell, "Hour", hour);
			hdf_set_int_value(cell, "Calls", (int)week[d][hour].calls);
			hdf_set_value(cell, "Fill", svg_bucket_colour(svg_bucket((double)week[d][hour].calls, (double)max)));
		}
	}
	for (int hour = 0; hour < 24; hour += 3) {
		HDF *l = node_at(p, "Stats.Heat.Hours.%d", hour / 3);
		if (!l)
			continue;
		double x, y, w, h;
		svg_grid_cell(&plot, 7, 24, 0, hour, 2, &x, &y, &w, &h);
		set_coord(l, "X", x + w / 2);
		hdf_set_int_value(l, "Hour", hour);
	}
	for (int b = 0; b <= SVG_BUCKETS; b++) {
		HDF *l = node_at(p, "Stats.Heat.Legend.%d", b);
		if (l)
			hdf_set_value(l, "Fill", svg_bucket_colour(b));
	}
	free(week);
	return 0;
}

/* ---------- calls by hour of the day, and the totals ---------- */

/* The period's calls by hour of the day (summing its days of the week), averaged per day. */
static int set_hours(struct page *p, int from, int to, int days)
{
	struct call_totals (*week)[24] = calloc(7, sizeof *week);
	if (!week)
		abort();
	if (calls_stats_week(p->w->db, from, to, week) != 0) {
		free(week);
		return -1;
	}
	double avg[24];
	for (int h = 0; h < 24; h++) {
		int64_t sum = 0;
		for (int d = 0; d < 7; d++)
			sum += week[d][h].calls;
		avg[h] = (double)sum / days;
	}
	free(week);
	const struct svg_plot plot = { 40, 10, 710, 150 };
	struct svg_bar bars[24];
	double top = svg_stacked_bars(&plot, avg, 24, 1, 0.2, 0, bars);
	response_set_int(p->res, "Stats.HourChart.Top", (long long)top);
	set_ticks(p, "Stats.HourChart", &plot, top);
	for (int h = 0; h < 24; h++) {
		HDF *node = node_at(p, "Stats.Hours.%d", h);
		if (!node)
			continue;
		char text[32];
		hdf_set_int_value(node, "Hour", h);
		format_decimal(p, avg[h], text, sizeof text);
		hdf_set_value(node, "Avg", text);
		set_coord(node, "X", bars[h].x);
		set_coord(node, "W", bars[h].width);
		set_coord(node, "Y", bars[h].y[0]);
		set_coord(node, "H", bars[h].h[0]);
		set_coord(node, "LabelX", bars[h].x + bars[h].width / 2);
	}
	return 0;
}

static int set_totals(struct page *p, int from, int to)
{
	struct call_totals t;
	if (calls_stats_totals(p->w->db, from, to, &t) != 0)
		return -1;
	char text[32];
	response_set_int(p->res, "Stats.Total.Calls", t.calls);
	response_set_int(p->res, "Stats.Total.Answered", t.answered);
	response_set_int(p->res, "Stats.Total.Missed", t.missed);
	format_hms(t.talk_seconds, text, sizeof text);
	response_set(p->res, "Stats.Total.Talk", text);
	response_set_int(p->res, "Stats.Total.TalkSeconds", t.talk_seconds);
	/* Average over the calls that were answered: the others have no talk time at all. */
	format_hms(t.answered ? (t.talk_seconds + t.answered / 2) / t.answered : 0, text, sizeof text);
	response_set(p->res, "Stats.Total.AvgTalk", text);
	return 0;
}

static int put_ext(void *ctx, const struct call_ext_totals *t)
{
	struct page *p = ctx;
	int i = hdf_get_int_value(p->res->hdf, "Stats.ExtCount", 0);
	HDF *node = node_at(p, "Stats.Ext.%d", i);
	if (!node)
		return 1;
	char text[32];
	hdf_set_value(node, "Ext", t->ext);
	hdf_set_int_value(node, "Made", (int)t->made);
	hdf_set_int_value(node, "Received", (int)t->received);
	hdf_set_int_value(node, "Missed", (int)t->missed);
	format_hms(t->talk_seconds, text, sizeof text);
	hdf_set_value(node, "Talk", text);
	hdf_set_int_value(p->res->hdf, "Stats.ExtCount", i + 1);
	return 0;
}

void page_stats(struct page *p)
{
	struct form_result form;
	bool ok = form_validate(&query_form, &p->req->query_pairs, &form);
	int days = ok && *form_value(&form, "days") ? atoi(form_value(&form, "days")) : PERIOD_DEFAULT;
	form_result_free(&form);
	if (!ok) {   /* a period outside the allow-list: nothing is read */
		page_error(p, 400, "bad_query");
		return;
	}
	response_set_int(p->res, "Stats.Period", days);
	response_set(p->res, "Stats.Colour.Answered", SVG_COLOUR_ANSWERED);
	response_set(p->res, "Stats.Colour.Missed", SVG_COLOUR_MISSED);
	response_set(p->res, "Stats.Colour.Other", SVG_COLOUR_OTHER);
	response_set(p->res, "Stats.Colour.Single", SVG_COLOUR_SINGLE);
	for (size_t i = 0; i < sizeof periods / sizeof *periods; i++) {
		HDF *node = node_at(p, "Stats.Periods.%d", (int)i);
		if (!node)
			continue;
		hdf_set_int_value(node, "Days", periods[i]);
		if (periods[i] == days)
			hdf_set_value(node, "Current", "1");
	}
	struct tm first, last;
	int from = local_day(p->now, days - 1, &first), to = local_day(p->now, 0, &last);
	char text[32];
	strftime(text, sizeof text, "%Y-%m-%d", &first);
	response_set(p->res, "Stats.From", text);
	strftime(text, sizeof text, "%Y-%m-%d", &last);
	response_set(p->res, "Stats.To", text);
	response_set_int(p->res, "Stats.ExtCount", 0);
	if (set_totals(p, from, to) != 0 || set_days(p, days) != 0 || set_heat(p) != 0 ||
	    set_hours(p, from, to, days) != 0 || calls_stats_by_ext(p->w->db, from, to, put_ext, p) < 0) {
		page_error(p, 500, "internal");
		return;
	}
	p->res->template = "stats.cs";
}
