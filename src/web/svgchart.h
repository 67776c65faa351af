/* svgchart: the geometry of the statistics page's inline SVG charts, computed in C so that templates only place
 * numbers (no arithmetic in ClearSilver, no JavaScript): a "nice" top for a scale, stacked bars in a plot area,
 * grid cells of a heat map, and the colour of a value's bucket. Pure functions of their arguments; coordinates
 * are SVG user units, y growing downwards as SVG's does. Knows libc only. */
#ifndef WEB_SVGCHART_H
#define WEB_SVGCHART_H

#define SVG_STACK_MAX 4
#define SVG_BUCKETS 5     /* heat map shades for values above zero; bucket 0 is "none" */

/* The plot area inside the SVG's viewBox. */
struct svg_plot {
	double x, y, width, height;
};

/* One bar: its slot (x, width) and each segment's top and height, the first segment at the bottom. */
struct svg_bar {
	double x, width;
	double y[SVG_STACK_MAX], h[SVG_STACK_MAX];
};

/* The smallest 1, 2 or 5 × 10^k (k ≥ 0) at or above v: a scale's top that reads well (1 for v ≤ 1). */
double svg_nice_top(double v);

/* The y of value v on a scale from 0 (the plot's bottom) to top (its top); v is clamped to [0, top]. */
double svg_value_y(const struct svg_plot *plot, double top, double v);

/* Lays out n bars of `stacks` segments (1..SVG_STACK_MAX) each, values[i * stacks + s], side by side across the
 * plot, each bar gap (0..0.9) of its slot narrower, on a scale from 0 to top (svg_nice_top of the tallest bar's
 * sum, when top ≤ 0). Negative values count as 0. Returns the scale's top. */
double svg_stacked_bars(const struct svg_plot *plot, const double *values, int n, int stacks, double gap,
			double top, struct svg_bar *out);

/* The cell of row r, column c of a rows × cols grid filling the plot, gap units between cells. */
void svg_grid_cell(const struct svg_plot *plot, int rows, int cols, int r, int c, double gap, double *x,
		   double *y, double *w, double *h);

/* Which shade a value takes on a scale up to max: 0 for v ≤ 0 (or max ≤ 0), else 1..SVG_BUCKETS, the top
 * bucket holding max. */
int svg_bucket(double v, double max);
/* The fill colour ("#rrggbb") of a bucket, light to dark; out-of-range buckets get bucket 0's. */
const char *svg_bucket_colour(int bucket);

/* Series colours: answered and missed chosen apart for colour-blind readers (blue / orange), other unanswered
 * calls grey, a single series green. */
#define SVG_COLOUR_ANSWERED "#2b6cb0"
#define SVG_COLOUR_MISSED "#dd6b20"
#define SVG_COLOUR_OTHER "#a0aec0"
#define SVG_COLOUR_SINGLE "#4a7f5c"

#endif
