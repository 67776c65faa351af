/* svgchart: chart geometry for inline SVG (see svgchart.h). */
#include "web/svgchart.h"

#include <math.h>

double svg_nice_top(double v)
{
	if (!(v > 1))
		return 1;
	double p = 1;
	/* Powers of ten by multiplication: exact for the integer counts charts carry (no log10 rounding). */
	while (p * 10 < v)
		p *= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	if (v <= 5 * p)
		return 5 * p;
	return 10 * p;
}

double svg_value_y(const struct svg_plot *plot, double top, double v)
{
	if (!(top > 0))
		return plot->y + plot->height;
	if (!(v > 0))
		v = 0;
	if (v > top)
		v = top;
	return plot->y + plot->height - plot->height * v / top;
}

double svg_stacked_bars(const struct svg_plot *plot, const double *values, int n, int stacks, double gap,
			double top, struct svg_bar *out)
{
	if (stacks < 1)
		stacks = 1;
	if (stacks > SVG_STACK_MAX)
		stacks = SVG_STACK_MAX;
	if (!(gap >= 0))
		gap = 0;
	if (gap > 0.9)
		gap = 0.9;
	if (!(top > 0)) {
		double tallest = 0;
		for (int i = 0; i < n; i++) {
			double sum = 0;
			for (int s = 0; s < stacks; s++)
				sum += values[i * stacks + s] > 0 ? values[i * stacks + s] : 0;
			if (sum > tallest)
				tallest = sum;
		}
		top = svg_nice_top(tallest);
	}
	double slot = n > 0 ? plot->width / n : 0;
	for (int i = 0; i < n; i++) {
		struct svg_bar *b = &out[i];
		b->width = slot * (1 - gap);
		b->x = plot->x + slot * i + (slot - b->width) / 2;
		double below = 0;   /* the stack's height so far, as a value */
		for (int s = 0; s < SVG_STACK_MAX; s++) {
			double v = s < stacks && values[i * stacks + s] > 0 ? values[i * stacks + s] : 0;
			double y0 = svg_value_y(plot, top, below), y1 = svg_value_y(plot, top, below + v);
			b->y[s] = y1;
			b->h[s] = y0 - y1;
			below += v;
		}
	}
	return top;
}

void svg_grid_cell(const struct svg_plot *plot, int rows, int cols, int r, int c, double gap, double *x,
		   double *y, double *w, double *h)
{
	double cw = cols > 0 ? plot->width / cols : 0, ch = rows > 0 ? plot->height / rows : 0;
	*x = plot->x + cw * c + gap / 2;
	*y = plot->y + ch * r + gap / 2;
	*w = cw > gap ? cw - gap : 0;
	*h = ch > gap ? ch - gap : 0;
}

int svg_bucket(double v, double max)
{
	if (!(v > 0) || !(max > 0))
		return 0;
	if (v >= max)
		return SVG_BUCKETS;
	int b = (int)ceil(v / max * SVG_BUCKETS);
	return b < 1 ? 1 : b > SVG_BUCKETS ? SVG_BUCKETS : b;
}

const char *svg_bucket_colour(int bucket)
{
	/* A single-hue ramp (light to dark blue): ordered by lightness, so it reads in grey and for colour-blind
	 * readers; bucket 0 a neutral grey that says "no calls" rather than "few". */
	static const char *const ramp[SVG_BUCKETS + 1] = {
		"#edf0f3", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c",
	};
	return bucket >= 0 && bucket <= SVG_BUCKETS ? ramp[bucket] : ramp[0];
}
