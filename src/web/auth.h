/* auth: password hashing (scrypt), random tokens and constant-time comparison, all from OpenSSL; the names
 * of the cookies that carry them; the login throttling policy (the counting is in db/users).
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

/* Cookie names. Over HTTPS they carry the __Host- prefix: a browser keeps such a cookie only if it was set
 * with Secure, Path=/ and no Domain, by this very host over HTTPS, so neither a sibling subdomain nor a
 * man in the middle of a plain-HTTP request can plant one (a planted login CSRF cookie or session id).
 * Over plain HTTP (development on 127.0.0.1) the prefix would make browsers drop the cookie: plain names.
 * Each transport reads only its own names. */
const char *auth_session_cookie(bool https);
const char *auth_login_csrf_cookie(bool https);

/* Login throttling, with N = [web] login_max_failures failures counted inside [web] login_window:
 * - N per (user name, address): a guesser at one address gets N tries at one name;
 * - N * ADDRESS_FACTOR per address, whatever the names: one address cannot spray many names, while a few
 *   people behind one shop's NAT can each mistype;
 * - N * USER_FACTOR per user name, from all addresses together, applied only to addresses the user has not
 *   logged in from in the last AUTH_USUAL_ADDRESS_SECONDS: a guesser spread over many addresses is stopped,
 *   and yet nobody can lock the user out where the user usually works.
 * An IPv6 client is one address per /64 (one machine is often given a whole /64). */
#define AUTH_THROTTLE_ADDRESS_FACTOR 4
#define AUTH_THROTTLE_USER_FACTOR 10
#define AUTH_USUAL_ADDRESS_SECONDS (90 * 86400)
#define AUTH_ADDRESS_KEY_MAX 64

/* The key failures are counted under for a client address: IPv4 as is ("192.0.2.7"), IPv4-mapped IPv6 as
 * IPv4, other IPv6 as its /64 ("2001:db8:1:2::/64"); anything else (a unix socket, "unknown") is kept,
 * cut to fit. Always NUL-terminates out. */
void auth_throttle_address(const char *address, char out[AUTH_ADDRESS_KEY_MAX]);

#endif
