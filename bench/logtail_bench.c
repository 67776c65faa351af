/* logtail_bench: the debug console's tail of a big log, as the page does it (util/logtail: the window of the last
 * N matching lines found backwards, then read forwards and sanitised), timed in-process. Run by
 * bench/bench_console.py against `tail -n N` of the same file.
 * Usage: logtail_bench FILE LINES [LEVEL] → prints "lines=<n> ms=<milliseconds>" for one tail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/logtail.h"

struct sink {
	struct buf text;
	size_t lines;
};

static int take(void *ctx, const char *line, size_t len, off_t offset, enum ast_log_level level)
{
	(void)offset;
	(void)level;
	struct sink *s = ctx;
	logtail_sanitize(&s->text, line, len);
	buf_putc(&s->text, '\n');
	s->lines++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: logtail_bench FILE LINES [LEVEL]\n");
		return 2;
	}
	struct logtail_opts o = { .max_lines = (size_t)atol(argv[2]) };
	enum ast_log_level level;
	if (argc > 3 && log_level_from_name(argv[3], &level))
		o.filter.levels = LOGLVL_BIT(level);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int fd = logtail_open(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	struct logtail_window w;
	struct sink s = { .lines = 0 };
	buf_init(&s.text);
	if (logtail_window(fd, &o, &w) != 0 || logtail_forward(fd, w.start, w.end, &o.filter, 0, take, &s) < 0) {
		perror("tail");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	printf("lines=%zu ms=%.3f\n", s.lines, (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	buf_free(&s.text);
	return 0;
}
