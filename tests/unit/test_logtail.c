/* Unit tests: util/logtail, the debug console's reading of Asterisk's log: the last lines of a 1 GB (sparse) file
 * in well under a second, lines and multi-byte UTF-8 split across read blocks (tiny block sizes), garbage and NUL
 * holes ending the tail, empty files, no trailing newline, CRLF, level parsing and filters, sanitising, and
 * following a file that grows, is truncated and is rotated. */
#include <check.h>

#include "support/check_run.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/logtail.h"

static char dir[] = "/tmp/logtail-test-XXXXXX";

static void make_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/logtail-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *name, const char *data, size_t len)
{
	FILE *f = fopen(path_of(name), "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* What a tail hands over: the lines, joined by '\n' (raw), and their levels. */
struct got {
	struct buf text;
	char levels[64];
	int n;
};

static int got_line(void *ctx, const char *line, size_t len, off_t offset, enum ast_log_level level)
{
	(void)offset;
	struct got *g = ctx;
	if (g->n)
		buf_putc(&g->text, '\n');
	buf_append(&g->text, line, len);
	if (g->n < 63)
		g->levels[g->n] = (char)('0' + level);
	g->n++;
	return 0;
}

/* The last max_lines lines of name matching filter, read with block_size. */
static void tail(const char *name, size_t max_lines, size_t block_size, const struct logtail_filter *filter,
		 struct got *g, struct logtail_window *w)
{
	memset(g, 0, sizeof *g);
	buf_init(&g->text);
	int fd = logtail_open(path_of(name));
	ck_assert_int_ge(fd, 0);
	struct logtail_opts o = { .max_lines = max_lines, .block_size = block_size };
	if (filter)
		o.filter = *filter;
	ck_assert_int_eq(logtail_window(fd, &o, w), 0);
	ck_assert_int_eq(logtail_forward(fd, w->start, w->end, &o.filter, block_size, got_line, g), 0);
	close(fd);
}

START_TEST(last_lines_whatever_the_block_size)
{
	make_dir();
	struct buf b;
	buf_init(&b);
	for (int i = 1; i <= 50; i++)
		buf_printf(&b, "[Dec  2 06:46:%02d] NOTICE[%d] chan.c: line %d\n", i % 60, 1000 + i, i);
	write_file("m", b.data, b.len);
	size_t sizes[] = { 1, 2, 3, 7, 16, 64, 4096, 0 };
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		struct got g;
		struct logtail_window w;
		tail("m", 3, sizes[k], NULL, &g, &w);
		ck_assert_int_eq(g.n, 3);
		ck_assert_msg(strstr(buf_cstr(&g.text), "line 48\n") && strstr(buf_cstr(&g.text), "line 50") &&
				      !strstr(buf_cstr(&g.text), "line 47"),
			      "block %zu: %s", sizes[k], buf_cstr(&g.text));
		ck_assert_int_eq(w.stop, LOGTAIL_STOP_ENOUGH);
		ck_assert_int_eq(w.end, (off_t)b.len);
		buf_free(&g.text);
		/* More lines than the file has: all of them, from its start. */
		tail("m", 500, sizes[k], NULL, &g, &w);
		ck_assert_int_eq(g.n, 50);
		ck_assert_int_eq(w.start, 0);
		ck_assert_int_eq(w.stop, LOGTAIL_STOP_START);
		ck_assert(strncmp(buf_cstr(&g.text), "[Dec  2 06:46:01] NOTICE[1001] chan.c: line 1\n", 46) == 0);
		buf_free(&g.text);
	}
	buf_free(&b);
	remove_dir();
}
END_TEST

START_TEST(utf8_split_across_blocks_stays_whole)
{
	make_dir();
	/* "ñ" (2 bytes), "€" (3) and "😀" (4) at every alignment against blocks of 1 to 5 bytes. */
	const char *text = "a ñ b € c 😀 d\nsecond ñ€😀\nthird: ¿qué tal?\n";
	write_file("u", text, strlen(text));
	for (size_t bs = 1; bs <= 5; bs++) {
		struct got g;
		struct logtail_window w;
		tail("u", 10, bs, NULL, &g, &w);
		ck_assert_int_eq(g.n, 3);
		ck_assert_str_eq(buf_cstr(&g.text), "a ñ b € c 😀 d\nsecond ñ€😀\nthird: ¿qué tal?");
		/* Sanitising keeps every valid character. */
		struct buf s;
		buf_init(&s);
		logtail_sanitize(&s, g.text.data, g.text.len);
		ck_assert(strstr(buf_cstr(&s), "😀 d") && strstr(buf_cstr(&s), "¿qué"));
		buf_free(&s);
		buf_free(&g.text);
	}
	remove_dir();
}
END_TEST

START_TEST(empty_file_no_trailing_newline_and_crlf)
{
	make_dir();
	struct got g;
	struct logtail_window w;
	write_file("empty", "", 0);
	tail("empty", 10, 4, NULL, &g, &w);
	ck_assert_int_eq(g.n, 0);
	ck_assert_int_eq(w.end, 0);
	buf_free(&g.text);

	write_file("nonl", "one\ntwo\nthree", 13);
	for (size_t bs = 1; bs <= 6; bs++) {
		tail("nonl", 2, bs, NULL, &g, &w);
		ck_assert_str_eq(buf_cstr(&g.text), "two\nthree");
		buf_free(&g.text);
	}

	const char *crlf = "[Dec  2 06:46:28] ERROR[1] a.c: x\r\nsecond\r\n";
	write_file("crlf", crlf, strlen(crlf));
	tail("crlf", 5, 3, NULL, &g, &w);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(buf_cstr(&g.text), "[Dec  2 06:46:28] ERROR[1] a.c: x\nsecond");
	ck_assert_int_eq(g.levels[0], '0' + LOGLVL_ERROR);
	ck_assert_int_eq(g.levels[1], '0' + LOGLVL_NONE);
	buf_free(&g.text);

	/* Empty lines are lines. */
	write_file("blank", "a\n\nb\n", 5);
	tail("blank", 5, 2, NULL, &g, &w);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(buf_cstr(&g.text), "a\n\nb");
	buf_free(&g.text);
	remove_dir();
}
END_TEST

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A 1 GB log: a sparse hole (NULs, no disk) with real lines written at its end. The tail reads a few blocks, and
 * a filter that matches nothing stops at the hole instead of reading a gigabyte of NULs. */
START_TEST(one_gigabyte_file_tail_is_fast_and_stops_at_the_hole)
{
	make_dir();
	const off_t size = (off_t)1 << 30;
	int fd = open(path_of("big"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "\n");   /* ends the hole's "line" */
	for (int i = 1; i <= 2000; i++)
		buf_printf(&b, "[Dec  2 06:46:28] %s[%d] pbx.c: big file line %d\n", i % 10 == 0 ? "WARNING" : "VERBOSE",
			   i, i);
	ck_assert_int_eq(ftruncate(fd, size - (off_t)b.len), 0);
	ck_assert_int_eq(pwrite(fd, b.data, b.len, size - (off_t)b.len), (ssize_t)b.len);
	close(fd);
	buf_free(&b);

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct got g;
	struct logtail_window w;
	tail("big", 500, 0, NULL, &g, &w);
	double took = seconds_since(&t0);
	ck_assert_int_eq(g.n, 500);
	ck_assert_int_eq(w.end, size);
	const char *first = "[Dec  2 06:46:28] VERBOSE[1501] pbx.c: big file line 1501\n";
	ck_assert(strncmp(buf_cstr(&g.text), first, strlen(first)) == 0);
	ck_assert(strstr(buf_cstr(&g.text), "big file line 2000"));
	ck_assert_msg(took < 1.0, "tail of 1 GB took %.3f s", took);
	buf_free(&g.text);

	/* A filter that finds 200 warnings, then nothing: it stops where the NULs start, not at the file's start. */
	struct logtail_filter warn = { .levels = LOGLVL_BIT(LOGLVL_WARNING) };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tail("big", 500, 0, &warn, &g, &w);
	took = seconds_since(&t0);
	ck_assert_int_eq(g.n, 200);
	ck_assert_int_eq(w.stop, LOGTAIL_STOP_LONG_LINE);
	ck_assert_msg(took < 1.0, "filtered tail of 1 GB took %.3f s", took);
	buf_free(&g.text);
	remove_dir();
}
END_TEST

START_TEST(garbage_and_scan_limit_end_the_tail)
{
	make_dir();
	/* Binary garbage without a newline for longer than a line may be, then good lines. */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "old good line\n");
	for (int i = 0; i < LOGTAIL_LINE_MAX + 100; i++)
		buf_putc(&b, (char)(0x80 + (i * 7) % 120));
	buf_puts(&b, "\nnew 1\nnew 2\n");
	write_file("garbage", b.data, b.len);
	for (size_t bs = 7; bs <= 70000; bs *= 10) {
		struct got g;
		struct logtail_window w;
		tail("garbage", 100, bs, NULL, &g, &w);
		ck_assert_int_eq(w.stop, LOGTAIL_STOP_LONG_LINE);
		ck_assert_str_eq(buf_cstr(&g.text), "new 1\nnew 2");
		buf_free(&g.text);
	}
	buf_free(&b);

	/* max_scan: a filter that matches nothing in a long file gives up after that many bytes. */
	buf_init(&b);
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "line %d\n", i);
	write_file("long", b.data, b.len);
	int fd = logtail_open(path_of("long"));
	struct logtail_opts o = { .max_lines = 10, .block_size = 1000, .max_scan = 5000,
				  .filter = { .text = "nowhere" } };
	struct logtail_window w;
	ck_assert_int_eq(logtail_window(fd, &o, &w), 0);
	ck_assert_int_eq(w.stop, LOGTAIL_STOP_SCAN_LIMIT);
	ck_assert_int_eq(w.matches, 0);
	ck_assert_int_ge(w.start, (off_t)b.len - 5000);
	close(fd);
	buf_free(&b);
	remove_dir();
}
END_TEST

START_TEST(sanitize_replaces_garbage_and_controls)
{
	struct buf s;
	buf_init(&s);
	const char in[] = "a\x01" "b\x1b[31mc\x7f" "d\xc2\x85" "e\xff" "f\xc0\xaf" "g\xed\xa0\x80" "h\tI\0J\xe2\x82";
	logtail_sanitize(&s, in, sizeof in - 1);
	ck_assert_str_eq(buf_cstr(&s), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD[31mc\xEF\xBF\xBD" "d\xEF\xBF\xBD"
				       "e\xEF\xBF\xBD" "f\xEF\xBF\xBD\xEF\xBF\xBD" "g\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
				       "h\tI\xEF\xBF\xBDJ\xEF\xBF\xBD\xEF\xBF\xBD");
	/* Markup passes as text: escaping is the template's job, and it has well-formed UTF-8 to escape. */
	buf_reset(&s);
	logtail_sanitize(&s, "<script>alert(1)</script>", 25);
	ck_assert_str_eq(buf_cstr(&s), "<script>alert(1)</script>");
	buf_free(&s);
}
END_TEST

START_TEST(levels_are_parsed_and_filtered)
{
	struct {
		const char *line;
		enum ast_log_level level;
	} cases[] = {
		{ "[Dec  2 06:46:28] WARNING[1234] file.c: message", LOGLVL_WARNING },
		{ "[Dec  2 06:46:28] ERROR[1234][C-00000001] chan_pjsip.c: x", LOGLVL_ERROR },
		{ "[2026-12-02 06:46:28.123] NOTICE[99] res_pjsip.c: y", LOGLVL_NOTICE },
		{ "[Dec  2 06:46:28] VERBOSE[1][C-2] pbx.c:   == Spawn", LOGLVL_VERBOSE },
		{ "[Dec  2 06:46:28] SECURITY[7] res_security_log.c: SecurityEvent=\"InvalidPassword\"", LOGLVL_SECURITY },
		{ "[Dec  2 06:46:28] DEBUG[7] a.c: d", LOGLVL_DEBUG },
		{ "[Dec  2 06:46:28] DTMF[7] channel.c: DTMF end '1'", LOGLVL_DTMF },
		{ "[Dec  2 06:46:28] MYLEVEL[7] a.c: custom", LOGLVL_OTHER },
		{ "  continuation of a message", LOGLVL_NONE },
		{ "[Dec  2 06:46:28]WARNING[1] no space", LOGLVL_NONE },
		{ "[Dec  2 06:46:28] warning[1] lower case", LOGLVL_NONE },
		{ "[unterminated WARNING[1]", LOGLVL_NONE },
		{ "", LOGLVL_NONE },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(log_level_parse(cases[i].line, strlen(cases[i].line)) == cases[i].level, "%s",
			      cases[i].line);
	enum ast_log_level l;
	ck_assert(log_level_from_name("warning", &l) && l == LOGLVL_WARNING);
	ck_assert(log_level_from_name("SECURITY", &l) && l == LOGLVL_SECURITY);
	ck_assert(!log_level_from_name("none", &l) && !log_level_from_name("x", &l));
	ck_assert_str_eq(log_level_name(LOGLVL_ERROR), "error");

	struct logtail_filter f = { .levels = LOGLVL_BIT(LOGLVL_ERROR), .text = "PJSIP" };
	const char *e = "[Dec  2 06:46:28] ERROR[1] chan_pjsip.c: Pjsip trouble";
	ck_assert(logtail_match(&f, e, strlen(e), LOGLVL_ERROR));          /* case ignored */
	ck_assert(!logtail_match(&f, e, strlen(e), LOGLVL_WARNING));
	f.text = "sip trouble!";
	ck_assert(!logtail_match(&f, e, strlen(e), LOGLVL_ERROR));
	struct logtail_filter any = { 0 };
	ck_assert(logtail_match(&any, "", 0, LOGLVL_NONE));

	/* Filtered tails count only matching lines. */
	make_dir();
	const char *log = "[Dec  2 06:46:28] ERROR[1] a.c: e1\n[Dec  2 06:46:28] NOTICE[1] a.c: n1\n"
			  "[Dec  2 06:46:28] ERROR[1] a.c: e2\n[Dec  2 06:46:28] NOTICE[1] a.c: n2\n";
	write_file("lv", log, strlen(log));
	struct got g;
	struct logtail_window w;
	struct logtail_filter errors = { .levels = LOGLVL_BIT(LOGLVL_ERROR) };
	tail("lv", 5, 3, &errors, &g, &w);
	ck_assert_int_eq(g.n, 2);
	ck_assert(strstr(buf_cstr(&g.text), "e1") && strstr(buf_cstr(&g.text), "e2") && !strstr(buf_cstr(&g.text), "n"));
	buf_free(&g.text);
	struct logtail_filter text = { .text = "N2" };
	tail("lv", 5, 3, &text, &g, &w);
	ck_assert_int_eq(g.n, 1);
	buf_free(&g.text);
	remove_dir();
}
END_TEST

static void append(const char *name, const char *s)
{
	FILE *f = fopen(path_of(name), "ab");
	ck_assert_ptr_nonnull(f);
	fputs(s, f);
	fclose(f);
}

START_TEST(follow_growth_truncation_rotation)
{
	make_dir();
	write_file("f", "before\n", 7);
	struct logtail_follow f;
	logtail_follow_init(&f, path_of("f"), -1);   /* from the end: "before" is not new */
	struct got g = { 0 };
	buf_init(&g.text);
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), 0);
	append("f", "one\ntw");
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), 1);
	append("f", "o\r\n");   /* the rest of a line written in two pieces */
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), 1);
	ck_assert_str_eq(buf_cstr(&g.text), "one\ntwo");

	/* Truncated (logrotate's copytruncate): read again from the start. */
	write_file("f", "fresh\n", 6);
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), 1);
	ck_assert_str_eq(buf_cstr(&g.text), "one\ntwo\nfresh");

	/* Rotated: the old file is read to its end, then the new one from its start. */
	append("f", "last of old\n");
	char old[256];
	snprintf(old, sizeof old, "%s", path_of("f"));
	ck_assert_int_eq(rename(old, path_of("f.1")), 0);
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), 1);   /* the old one's rest; no new file yet */
	ck_assert_int_eq(f.fd, -1);
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), -1);
	ck_assert_str_eq(buf_cstr(&g.text), "one\ntwo\nfresh\nlast of old");
	write_file("f", "new file\n", 9);
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), 1);
	ck_assert_str_eq(buf_cstr(&g.text), "one\ntwo\nfresh\nlast of old\nnew file");

	/* Filtered. */
	struct logtail_filter only = { .text = "keep" };
	append("f", "drop\nkeep me\n");
	ck_assert_int_eq(logtail_follow_poll(&f, &only, got_line, &g), 1);
	logtail_follow_close(&f);
	buf_free(&g.text);

	/* A missing file: -1 with its errno, then found once it exists. */
	logtail_follow_init(&f, path_of("later"), -1);
	ck_assert_int_eq(f.fd, -1);
	memset(&g, 0, sizeof g);
	buf_init(&g.text);
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), -1);
	ck_assert_int_eq(f.last_errno, ENOENT);
	write_file("later", "hello\n", 6);
	ck_assert_int_eq(logtail_follow_poll(&f, NULL, got_line, &g), 1);
	ck_assert_str_eq(buf_cstr(&g.text), "hello");
	logtail_follow_close(&f);
	buf_free(&g.text);

	/* Not a file. */
	ck_assert_int_eq(logtail_open(dir), -1);
	ck_assert_int_eq(errno, EISDIR);
	remove_dir();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logtail");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, last_lines_whatever_the_block_size);
	tcase_add_test(tc, utf8_split_across_blocks_stays_whole);
	tcase_add_test(tc, empty_file_no_trailing_newline_and_crlf);
	tcase_add_test(tc, one_gigabyte_file_tail_is_fast_and_stops_at_the_hole);
	tcase_add_test(tc, garbage_and_scan_limit_end_the_tail);
	tcase_add_test(tc, sanitize_replaces_garbage_and_controls);
	tcase_add_test(tc, levels_are_parsed_and_filtered);
	tcase_add_test(tc, follow_growth_truncation_rotation);
	suite_add_tcase(s, tc);
	return check_run(s);
}
