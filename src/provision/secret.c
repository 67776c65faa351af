/* secret: random SIP passwords for provisioned phones.
 *
 * Alphabet: ASCII letters and digits only (62 symbols; 32 of them carry ~190 bits). Every format and
 * channel the secret passes through accepts them unescaped: Yealink key=value lines (no quoting), XML
 * text/attributes (Polycom, Grandstream, Snom, Cisco, Fanvil), Cisco SPA profile values (where '$'
 * starts a macro), Grandstream's legacy '&'-joined format, URL userinfo, Asterisk's pjsip.conf (';' is
 * a comment there) and AMI; and a person can type them on a phone keypad if they must. */
#include "provision/provision.h"

#include <openssl/rand.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
#define ALPHABET_LEN (sizeof alphabet - 1)
/* Largest multiple of 62 that fits a byte: bytes >= 248 are rejected so that b % 62 is uniform. */
#define ACCEPT_BELOW (256 - 256 % ALPHABET_LEN)

int provision_new_secret(char *out, size_t size)
{
	if (!out || size <= PROVISION_SECRET_LEN) {
		if (out && size > 0)
			out[0] = '\0';
		return -1;
	}
	unsigned char pool[64];
	size_t have = 0, used = 0, n = 0;
	while (n < PROVISION_SECRET_LEN) {
		if (used == have) {
			if (RAND_bytes(pool, (int)sizeof pool) != 1) {
				out[0] = '\0';
				OPENSSL_cleanse(pool, sizeof pool);
				return -1;
			}
			have = sizeof pool;
			used = 0;
		}
		unsigned char b = pool[used++];
		if (b < ACCEPT_BELOW)
			out[n++] = alphabet[b % ALPHABET_LEN];
	}
	out[n] = '\0';
	OPENSSL_cleanse(pool, sizeof pool);
	return 0;
}
