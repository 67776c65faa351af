/* check_run: runs a check suite and turns its result into the process exit status. */
#ifndef TESTS_CHECK_RUN_H
#define TESTS_CHECK_RUN_H
#include <check.h>

/* Runs every test of s (CK_NORMAL output), frees it, returns EXIT_SUCCESS or EXIT_FAILURE. */
int check_run(Suite *s);

#endif
