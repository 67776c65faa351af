/* auth: password hashing (scrypt), random tokens and constant-time comparison, all from OpenSSL.
 * Stored hash format: "scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>", so parameters can be raised later
 * without invalidating existing passwords. */
#ifndef WEB_AUTH_H
#define WEB_AUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_MAX 256
#define AUTH_TOKEN_HEX 64   /* 32 random bytes, hex */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 256

/* Raw scrypt (RFC 7914). Returns 0 on success. */
int auth_scrypt(const char *password, size_t password_len, const unsigned char *salt, size_t salt_len,
		uint64_t n, uint64_t r, uint64_t p, unsigned char *out, size_t out_len);

/* Hashes password with a fresh 16-byte salt and the default cost. Returns 0, -1 on failure. */
int auth_hash_password(const char *password, char out[AUTH_HASH_MAX]);
/* True when password matches stored (any supported parameters). Constant-time on the hash. */
bool auth_verify_password(const char *password, const char *stored);
/* A hash of a random password: compared against when the user does not exist, so timing does not tell. */
const char *auth_dummy_hash(void);

/* 32 random bytes as 64 lowercase hex characters + NUL. Returns 0, -1 if the RNG failed. */
int auth_random_token(char out[AUTH_TOKEN_HEX + 1]);
/* A random password for generated accounts: 20 characters of [A-Za-z0-9]. */
int auth_random_password(char *out, size_t len);
/* SHA-256 of a string. */
void auth_sha256(const char *data, size_t len, unsigned char out[32]);
/* Constant-time equality for two NUL-terminated strings (length leaks; content does not). */
bool auth_equal(const char *a, const char *b);

void auth_hex(const unsigned char *in, size_t len, char *out); /* out: 2*len+1 */

#endif
