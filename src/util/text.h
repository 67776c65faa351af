/* text: small character helpers shared by the parsers (forms, MAC addresses). */
#ifndef UTIL_TEXT_H
#define UTIL_TEXT_H

/* Value of a hexadecimal digit (either case), or -1. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
