/* mac: parse a MAC address typed by a user into the canonical 12 lowercase hex digits. */
#include "provision/provision.h"

#include <stdbool.h>
#include <string.h>

#include "util/text.h"


/* Accepted layouts: 12 hex digits; 6 groups of 2 joined by ':' or '-'; 3 groups of 4 joined by '.'. */
enum provision_mac_err provision_mac_parse(const char *in, size_t len, char out[PROVISION_MAC_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char octets[6];
	size_t digits = 0;
	char sep = 0;

	out[0] = '\0';
	if (!in || len == 0)
		return PROVISION_MAC_EMPTY;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (hex_digit_value(c) >= 0) {
			digits++;
		} else if (c == ':' || c == '-' || c == '.') {
			if (sep && sep != (char)c)
				return PROVISION_MAC_SEPARATOR;
			sep = (char)c;
		} else {
			return PROVISION_MAC_BAD_CHAR;
		}
	}
	if (digits != PROVISION_MAC_LEN)
		return PROVISION_MAC_LENGTH;

	size_t group = sep == 0 ? PROVISION_MAC_LEN : sep == '.' ? 4 : 2;
	size_t groups = PROVISION_MAC_LEN / group;
	if (len != PROVISION_MAC_LEN + (groups - 1))
		return PROVISION_MAC_SEPARATOR;
	size_t pos = 0, d = 0;
	for (size_t g = 0; g < groups; g++) {
		if (g > 0 && in[pos++] != sep)
			return PROVISION_MAC_SEPARATOR;
		for (size_t k = 0; k < group; k++) {
			int v = hex_digit_value((unsigned char)in[pos++]);
			if (v < 0)
				return PROVISION_MAC_SEPARATOR;
			if (d % 2 == 0)
				octets[d / 2] = (unsigned char)(v << 4);
			else
				octets[d / 2] |= (unsigned char)v;
			d++;
		}
	}

	bool zero = true, ones = true;
	for (size_t i = 0; i < 6; i++) {
		zero = zero && octets[i] == 0x00;
		ones = ones && octets[i] == 0xff;
	}
	if (zero)
		return PROVISION_MAC_ZERO;
	if (ones)
		return PROVISION_MAC_BROADCAST;
	if (octets[0] & 0x01)
		return PROVISION_MAC_MULTICAST;

	for (size_t i = 0; i < 6; i++) {
		out[2 * i] = hex[octets[i] >> 4];
		out[2 * i + 1] = hex[octets[i] & 0x0f];
	}
	out[PROVISION_MAC_LEN] = '\0';
	return PROVISION_MAC_OK;
}

const char *provision_mac_strerror(enum provision_mac_err e)
{
	switch (e) {
	case PROVISION_MAC_OK: return "ok";
	case PROVISION_MAC_EMPTY: return "MAC address is empty";
	case PROVISION_MAC_BAD_CHAR: return "MAC address may hold only hex digits and one kind of separator (: - .)";
	case PROVISION_MAC_SEPARATOR: return "MAC address separators are mixed or misplaced";
	case PROVISION_MAC_LENGTH: return "MAC address must have exactly 12 hex digits";
	case PROVISION_MAC_ZERO: return "MAC address 00:00:00:00:00:00 is not a device";
	case PROVISION_MAC_BROADCAST: return "MAC address ff:ff:ff:ff:ff:ff is the broadcast address";
	case PROVISION_MAC_MULTICAST: return "MAC address is a multicast address (first octet is odd)";
	}
	return "MAC address is invalid";
}
