/* auth: scrypt passwords and random tokens on OpenSSL; cookie names; client address keys for throttling. */
#include "web/auth.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* N = 2^15, r = 8, p = 1: OWASP's recommended minimum; ~32 MiB and ~0.1 s per login on the target box. */
#define SCRYPT_LOG2_N 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define HASH_LEN 32
#define SCRYPT_MAXMEM (256ULL * 1024 * 1024)

void auth_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int unhex(const char *in, size_t in_len, unsigned char *out, size_t out_len)
{
	if (in_len != 2 * out_len)
		return -1;
	for (size_t i = 0; i < out_len; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = in[2 * i + j];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

int auth_scrypt(const char *password, size_t password_len, const unsigned char *salt, size_t salt_len,
		uint64_t n, uint64_t r, uint64_t p, unsigned char *out, size_t out_len)
{
	return EVP_PBE_scrypt(password, password_len, salt, salt_len, n, r, p, SCRYPT_MAXMEM, out, out_len) == 1 ? 0
														    : -1;
}

int auth_hash_password(const char *password, char out[AUTH_HASH_MAX])
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
	if (RAND_bytes(salt, sizeof salt) != 1)
		return -1;
	if (auth_scrypt(password, strlen(password), salt, sizeof salt, 1ULL << SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P,
			hash, sizeof hash) != 0)
		return -1;
	auth_hex(salt, sizeof salt, salt_hex);
	auth_hex(hash, sizeof hash, hash_hex);
	snprintf(out, AUTH_HASH_MAX, "scrypt$%d$%d$%d$%s$%s", SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt_hex, hash_hex);
	OPENSSL_cleanse(hash, sizeof hash);
	return 0;
}

bool auth_verify_password(const char *password, const char *stored)
{
	int log2n, r, p, consumed = 0;
	if (sscanf(stored, "scrypt$%d$%d$%d$%n", &log2n, &r, &p, &consumed) != 3 || consumed == 0)
		return false;
	if (log2n < 1 || log2n > 22 || r < 1 || r > 32 || p < 1 || p > 16)
		return false;
	const char *salt_hex = stored + consumed;
	const char *dollar = strchr(salt_hex, '$');
	if (!dollar)
		return false;
	const char *hash_hex = dollar + 1;
	unsigned char salt[64], want[HASH_LEN], got[HASH_LEN];
	size_t salt_len = (size_t)(dollar - salt_hex) / 2;
	if (salt_len == 0 || salt_len > sizeof salt || unhex(salt_hex, (size_t)(dollar - salt_hex), salt, salt_len) ||
	    unhex(hash_hex, strlen(hash_hex), want, sizeof want))
		return false;
	if (auth_scrypt(password, strlen(password), salt, salt_len, 1ULL << log2n, (uint64_t)r, (uint64_t)p, got,
			sizeof got) != 0)
		return false;
	bool ok = CRYPTO_memcmp(want, got, sizeof got) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return ok;
}

const char *auth_dummy_hash(void)
{
	/* Same cost as real hashes; the password behind it is unknowable (random salt, no user). */
	return "scrypt$15$8$1$5d2f0c6c1b7e4a9f8d3c2b1a09f8e7d6$"
	       "0000000000000000000000000000000000000000000000000000000000000000";
}

int auth_random_token(char out[AUTH_TOKEN_HEX + 1])
{
	unsigned char raw[AUTH_TOKEN_HEX / 2];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	auth_hex(raw, sizeof raw, out);
	return 0;
}

int auth_random_password(char *out, size_t len)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	const size_t n = sizeof alphabet - 1; /* 57 */
	size_t i = 0;
	while (i + 1 < len) {
		unsigned char b;
		if (RAND_bytes(&b, 1) != 1)
			return -1;
		if (b >= 256 - 256 % n) /* rejection sampling: no modulo bias */
			continue;
		out[i++] = alphabet[b % n];
	}
	out[i] = '\0';
	return 0;
}

void auth_sha256(const char *data, size_t len, unsigned char out[32])
{
	unsigned int out_len = 32;
	EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL);
}

bool auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

const char *auth_session_cookie(bool https) { return https ? "__Host-centralita_session" : "centralita_session"; }

const char *auth_login_csrf_cookie(bool https)
{
	return https ? "__Host-centralita_login_csrf" : "centralita_login_csrf";
}

void auth_throttle_address(const char *address, char out[AUTH_ADDRESS_KEY_MAX])
{
	unsigned char raw[16];
	char text[INET6_ADDRSTRLEN];
	if (!address)
		address = "";
	if (inet_pton(AF_INET, address, raw) == 1 && inet_ntop(AF_INET, raw, text, sizeof text)) {
		snprintf(out, AUTH_ADDRESS_KEY_MAX, "%s", text);
		return;
	}
	if (inet_pton(AF_INET6, address, raw) == 1) {
		static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(raw, v4_mapped, sizeof v4_mapped) == 0 && inet_ntop(AF_INET, raw + 12, text, sizeof text)) {
			snprintf(out, AUTH_ADDRESS_KEY_MAX, "%s", text);
			return;
		}
		memset(raw + 8, 0, 8);
		if (inet_ntop(AF_INET6, raw, text, sizeof text)) {
			snprintf(out, AUTH_ADDRESS_KEY_MAX, "%s/64", text);
			return;
		}
	}
	snprintf(out, AUTH_ADDRESS_KEY_MAX, "%s", address);
}
