/* ami_bench: adding N phones to pjsip.conf over AMI/TLS, three ways, in one run (issue 3). Started by
 * bench/bench_ami.py against the test PBX (tests/pbx/testpbx.py); see docs/BENCHMARKS.md.
 *
 * A phone is one category and five variables, as the seed's talk adds an account:
 *   [2000]  type=friend  host=dynamic  secret=<16 random-looking chars>  context=phones  callerid="Phone 2000" <2000>
 *
 *   (a) library    struct ami_pool (size 4), ONE batched UpdateConfig per phone (NewCat + 5 Append, numbered
 *                  Action-000000..000005) through ami_pool_update_config(), from one thread; then the same from
 *                  --threads threads sharing the pool.
 *   (b) seed       per phone: new TCP+TLS connection, banner, Login (plain, Events: off), one UpdateConfig for the
 *                  NewCat and one per variable (1 + 5 = 6), Logoff, close. 8 AMI actions per phone.
 *   (c) raw        one warm, logged-in TLS connection; per phone the same batched UpdateConfig as (a), written
 *                  by hand with SSL_write, the answer read by scanning for the blank line. No library.
 *
 * Before each phase pjsip.conf is truncated to empty (the PBX re-reads it on every request), so the file grows
 * the same way in all of them; after each phase the file must hold exactly N categories and be identical (save
 * for the ";! Creation Date" line) to the other phases' result, and the PBX's own action counters (control
 * channel) must match what the phase claims to have sent. Nothing about speed is asserted: figures are printed.
 *
 * --content centralita (issues 4 and 9, for bench/bench_phones.py and bench/acceptance_bench.py): the phone as
 * Centralita writes it instead, ways (b) and (c) only. Phones share files, PBX_PHONES_PER_FILE (4) to a pair by id:
 * DIR/centralita/pjsip-phones-<first>-<last>.conf and DIR/centralita/dialplan-phones-<first>-<last>.conf. (c) sends
 * what Centralita sends for each phone added one by one: for each of its group's two files, CreateConfig (answered
 * "File exists" but for the group's first phone), the UpdateConfigs that write the file whole with the group's
 * phones so far (the first from the empty centralita/empty.conf, the others into the file itself: Asterisk takes at
 * most 128 header lines a request, so the count grows within a group), then the Reload action of its module
 * (re-sent while "A reload is in progress"); DIR/pjsip.conf and DIR/extensions.conf must hold the integrator's
 * #tryinclude of them and are not written. (b) is the talk's way: the same phone one action per UpdateConfig into
 * DIR/pjsip.conf and DIR/extensions.conf themselves, reloads by UpdateConfig's header. See "--content centralita"
 * below.
 *
 * Against a real Asterisk (issue 7, bench/acceptance_bench.py); all optional, and all but --tls-record-max keep
 * the old behaviour by default:
 *   --control-port 0      no control channel: the PBX's action counters are not checked (the files still are)
 *   --fingerprint HEX     pin the server certificate's SHA-256 instead of --cafile (Asterisk's is self-signed,
 *                         CN=localhost, no IP SAN); --tls no: plain TCP (Asterisk's 5038)
 *   --tls-record-max N    (b) and (c) write each request as TLS records of at most N bytes (default 1024), each
 *                         cut at a line end (one SSL_write each; TCP_NODELAY), as the library does: Asterisk's
 *                         get_input() stalls on a record larger than its 1024-byte buffer (issue 7), and so does
 *                         the test PBX, which reads as Asterisk does. 0 = one record per request (the old way).
 *   --way seed|raw        run only that way (--content centralita), e.g. each from a freshly reset Asterisk
 *   --first-ext N, --context NAME   (--content centralita) extensions N.. (default 200), the phones' context
 *                         (default internal) */
#include "ami/ami.h"
#include "pbx/pbx.h"
#include "pbx/pbx_file.h"
#include "pbx/reload.h"
#include "provision/provision.h"
#include "util/buf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CONF_FILE "pjsip.conf"
#define N_VARS 5
#define MAX_ROUNDS 20

/* ---------- arguments ---------- */

struct args {
	const char *host;
	int port;
	const char *cafile;
	const char *user;
	const char *secret;
	const char *confdir;
	int control_port;
	int phones;
	int threads;
	int rounds;
	bool centralita;           /* --content centralita: Centralita's own phone, ways (b) and (c) only */
	bool tls;                  /* --tls yes (default) | no */
	const char *fingerprint;   /* --fingerprint: pinned SHA-256 of the server certificate, instead of --cafile */
	int tls_record_max;        /* --tls-record-max (default 1024): 0 = each request in one record */
	const char *way;           /* --way seed|raw: only that way (--content centralita); NULL = both */
	int first_ext;             /* --first-ext (--content centralita) */
	const char *context;       /* --context (--content centralita) */
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: ami_bench --port N --cafile F --user U --secret S --confdir DIR --control-port N\n"
	        "                 [--host 127.0.0.1] [--phones 200] [--threads 4] [--rounds 3] [--content seed|centralita]\n"
	        "                 [--fingerprint HEX (instead of --cafile)] [--tls yes|no] [--tls-record-max N]\n"
	        "                 [--way seed|raw] [--first-ext 200] [--context internal]   (--control-port 0: none)\n"
	        "Adds N phones to DIR/" CONF_FILE " through the AMI over TLS three ways; see bench/bench_ami.py.\n"
	        "--content centralita: N phones as Centralita writes them, the seed's way and the raw limit only:\n"
	        "  (c) Centralita's requests a phone: per file of its group in DIR/" PBX_DIR "/ (phones 1-4, 5-8...)\n"
	        "  CreateConfig, the UpdateConfigs writing it whole with the group's phones so far, Reload of its\n"
	        "  module (DIR/" CONF_FILE " and DIR/" PBX_DIALPLAN_FILE " must #tryinclude them);\n"
	        "  (b) the talk's way: one UpdateConfig per action into DIR/" CONF_FILE " and [--context] of DIR/"
	        PBX_DIALPLAN_FILE ".\n"
	        "  Both get back their starting text, and DIR/" PBX_DIR "/ only an empty empty.conf, before each way.\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof *a);
	a->host = "127.0.0.1";
	a->phones = 200;
	a->threads = 4;
	a->rounds = 3;
	a->tls = true;
	a->tls_record_max = 1024;
	a->first_ext = 200;
	a->context = "internal";
	a->control_port = -1;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		const char *k = argv[i], *v = argv[++i];
		if (!strcmp(k, "--host"))
			a->host = v;
		else if (!strcmp(k, "--port"))
			a->port = atoi(v);
		else if (!strcmp(k, "--cafile"))
			a->cafile = v;
		else if (!strcmp(k, "--user"))
			a->user = v;
		else if (!strcmp(k, "--secret"))
			a->secret = v;
		else if (!strcmp(k, "--confdir"))
			a->confdir = v;
		else if (!strcmp(k, "--control-port"))
			a->control_port = atoi(v);
		else if (!strcmp(k, "--phones"))
			a->phones = atoi(v);
		else if (!strcmp(k, "--threads"))
			a->threads = atoi(v);
		else if (!strcmp(k, "--rounds"))
			a->rounds = atoi(v);
		else if (!strcmp(k, "--content") && (!strcmp(v, "seed") || !strcmp(v, "centralita")))
			a->centralita = !strcmp(v, "centralita");
		else if (!strcmp(k, "--fingerprint"))
			a->fingerprint = v;
		else if (!strcmp(k, "--tls") && (!strcmp(v, "yes") || !strcmp(v, "no")))
			a->tls = !strcmp(v, "yes");
		else if (!strcmp(k, "--tls-record-max"))
			a->tls_record_max = atoi(v);
		else if (!strcmp(k, "--way") && (!strcmp(v, "seed") || !strcmp(v, "raw")))
			a->way = v;
		else if (!strcmp(k, "--first-ext"))
			a->first_ext = atoi(v);
		else if (!strcmp(k, "--context"))
			a->context = v;
		else
			usage();
	}
	if (a->port <= 0 || (a->tls && !a->cafile && !a->fingerprint) || !a->user || !a->secret || !a->confdir ||
	    a->control_port < 0 || a->tls_record_max < 0 || (a->tls_record_max > 0 && a->tls_record_max < 64) ||
	    (a->way && !a->centralita) || a->first_ext < 1 || !a->context[0] ||
	    a->phones <= 0 || a->threads < 0 ||
	    a->rounds < 1 || a->rounds > MAX_ROUNDS)
		usage();
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ami_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------- the phones ---------- */

struct seed_phone {
	char ext[16];
	char secret[17];
	char callerid[64];
	const char *var[N_VARS];
	const char *val[N_VARS];
};

static void phone_make(int i, struct seed_phone *p)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	snprintf(p->ext, sizeof p->ext, "%d", 2000 + i);
	unsigned long long x = 0x9E3779B97F4A7C15ULL * (unsigned long long)(i + 1);
	for (int k = 0; k < 16; k++) {
		x ^= x >> 29;
		x *= 0xBF58476D1CE4E5B9ULL;
		x ^= x >> 32;
		p->secret[k] = alphabet[x % (sizeof alphabet - 1)];
	}
	p->secret[16] = '\0';
	snprintf(p->callerid, sizeof p->callerid, "\"Phone %s\" <%s>", p->ext, p->ext);
	static const char *const vars[N_VARS] = { "type", "host", "secret", "context", "callerid" };
	for (int k = 0; k < N_VARS; k++)
		p->var[k] = vars[k];
	p->val[0] = "friend";
	p->val[1] = "dynamic";
	p->val[2] = p->secret;
	p->val[3] = "phones";
	p->val[4] = p->callerid;
}

/* ---------- the config file ---------- */

static void conf_path(const struct args *a, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", a->confdir, CONF_FILE);
}

static void conf_reset(const struct args *a)
{
	char path[4200];
	conf_path(a, path, sizeof path);
	FILE *f = fopen(path, "w");
	if (!f || fclose(f) != 0)
		die("cannot empty %s: %s", path, strerror(errno));
}

/* DIR/file without its ";! Creation Date:" line (the time of the save), counting its categories and (when
 * n_exten is not NULL) its "exten =" / "exten =>" lines. Caller frees. */
static char *conf_read_file(const struct args *a, const char *file, size_t *n_cats, size_t *n_exten)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", a->confdir, file);
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s: %s", path, strerror(errno));
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	char line[4096];
	*n_cats = 0;
	if (n_exten)
		*n_exten = 0;
	while (out && fgets(line, sizeof line, f)) {
		if (!strncmp(line, ";! Creation Date:", 17))
			continue;
		if (line[0] == '[')
			(*n_cats)++;
		if (n_exten && !strncmp(line, "exten", 5) && line[5 + strspn(line + 5, " \t")] == '=')
			(*n_exten)++;
		size_t l = strlen(line);
		if (len + l + 1 > cap) {
			char *bigger = realloc(out, cap * 2 + l);
			if (!bigger) {
				free(out);
				out = NULL;
				break;
			}
			out = bigger;
			cap = cap * 2 + l;
		}
		memcpy(out + len, line, l);
		len += l;
	}
	fclose(f);
	if (!out)
		die("out of memory");
	out[len] = '\0';
	return out;
}

static char *conf_read(const struct args *a, size_t *n_cats)
{
	return conf_read_file(a, CONF_FILE, n_cats, NULL);
}

/* ---------- the PBX's control channel (JSON lines on 127.0.0.1) ---------- */

static int ctl_fd = -1;

static int tcp_connect_blocking(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("--host must be an IPv4 address, got %s", host);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect to %s:%d: %s", host, port, strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

/* Sends one command and returns the reply line (caller frees). */
static char *ctl_call(const char *json)
{
	size_t l = strlen(json);
	if (write(ctl_fd, json, l) != (ssize_t)l || write(ctl_fd, "\n", 1) != 1)
		die("control channel: write failed");
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	for (;;) {
		if (!out)
			die("out of memory");
		if (len + 1024 > cap) {
			char *bigger = realloc(out, cap *= 2);
			if (!bigger)
				free(out);
			out = bigger;
			continue;
		}
		ssize_t n = read(ctl_fd, out + len, cap - len - 1);
		if (n <= 0)
			die("control channel: read failed");
		len += (size_t)n;
		out[len] = '\0';
		if (memchr(out, '\n', len))
			break;
	}
	if (!strstr(out, "\"ok\": true"))
		die("control channel: %s -> %s", json, out);
	return out;
}

/* The PBX's count of executed actions since the last reset: one name, or all of them when name is NULL. */
static long ctl_action_count(const char *reply, const char *name)
{
	const char *p = strstr(reply, "\"actions\": {");
	if (!p)
		die("control channel: no actions in %s", reply);
	p += strlen("\"actions\": {");
	long total = 0;
	while (*p && *p != '}') {
		const char *q = strchr(p, '"');
		if (!q)
			break;
		const char *e = strchr(q + 1, '"');
		if (!e)
			break;
		char *end;
		long n = strtol(e + 2 + strspn(e + 2, " :"), &end, 10);
		if (!name || ((size_t)(e - q - 1) == strlen(name) && !strncmp(q + 1, name, (size_t)(e - q - 1))))
			total += n;
		p = end + strspn(end, ", ");
	}
	return total;
}

/* ---------- raw TLS client for (b) and (c) ---------- */

struct raw {
	int fd;
	SSL *ssl;                  /* NULL over plain TCP (--tls no) */
	int record_max;            /* --tls-record-max */
	char in[16384];
	size_t len;                /* bytes in `in` not yet consumed */
};

static SSL_CTX *raw_ctx(const struct args *a)
{
	if (!a->tls)
		return NULL;
	/* Verification as the library does it: the CA file, and the server's IP address against its certificate;
	 * or (--fingerprint) the pinned SHA-256 of its certificate, checked after the handshake (raw_open). */
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		die("SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (a->cafile) {
		if (SSL_CTX_load_verify_locations(ctx, a->cafile, NULL) != 1)
			die("cannot load CA file %s", a->cafile);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

/* The server certificate's SHA-256 against --fingerprint (hex, colons and case ignored). */
static void check_pin(SSL *ssl, const char *pin)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!cert || X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
		die("raw: no server certificate to check against the pin");
	X509_free(cert);
	char want[2 * EVP_MAX_MD_SIZE + 1];
	size_t w = 0;
	for (const char *p = pin; *p && w + 1 < sizeof want; p++)
		if (*p != ':')
			want[w++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	want[w] = '\0';
	char got[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(got + 2 * i, 3, "%02x", md[i]);
	if (strcmp(want, got) != 0)
		die("raw: the server certificate's SHA-256 %s is not the pinned %s", got, pin);
}

/* Reads until the buffer holds `end`; returns the length of the text up to and including it. */
static size_t raw_read_until(struct raw *r, const char *end)
{
	for (;;) {
		r->in[r->len] = '\0';
		char *hit = strstr(r->in, end);
		if (hit)
			return (size_t)(hit - r->in) + strlen(end);
		if (r->len + 1 >= sizeof r->in)
			die("raw: answer larger than %zu bytes", sizeof r->in);
		if (!r->ssl) {
			ssize_t n = read(r->fd, r->in + r->len, sizeof r->in - 1 - r->len);
			if (n <= 0)
				die("raw: read failed: %s", n ? strerror(errno) : "connection closed");
			r->len += (size_t)n;
			continue;
		}
		int n = SSL_read(r->ssl, r->in + r->len, (int)(sizeof r->in - 1 - r->len));
		if (n <= 0)
			die("raw: read failed (SSL error %d)", SSL_get_error(r->ssl, n));
		r->len += (size_t)n;
	}
}

/* Reads one answer (up to the blank line), checks its first line starts with `want`, consumes it. */
static void raw_expect(struct raw *r, const char *want, const char *what)
{
	size_t n = raw_read_until(r, "\r\n\r\n");
	if (strncmp(r->in, want, strlen(want)) != 0) {
		r->in[n] = '\0';
		die("raw: %s answered:\n%s", what, r->in);
	}
	memmove(r->in, r->in + n, r->len - n);
	r->len -= n;
}

/* Length of the next TLS record from data with records of at most max bytes: all of it if it fits, else the
 * longest prefix that fits and ends with a line end (a single longer line is an error: Asterisk refuses lines
 * over 1024 bytes anyway). Asterisk reads only when its buffer holds no complete line, so a record that ends at
 * a line end leaves it empty, and the next record (<= 1024) fits its 1024-byte buffer whole. */
static size_t record_len(const char *data, size_t len, size_t max)
{
	if (len <= max)
		return len;
	for (size_t n = max; n > 0; n--)
		if (data[n - 1] == '\n')
			return n;
	die("raw: a line longer than --tls-record-max %zu", max);
}

static void raw_write(struct raw *r, const char *data, size_t len)
{
	if (!r->ssl) {
		if (write(r->fd, data, len) != (ssize_t)len)
			die("raw: write failed: %s", strerror(errno));
		return;
	}
	while (len > 0) {   /* one SSL_write per record; TCP_NODELAY (tcp_connect_blocking) sends each at once */
		size_t chunk = r->record_max > 0 ? record_len(data, len, (size_t)r->record_max) : len;
		int n = SSL_write(r->ssl, data, (int)chunk);
		if (n != (int)chunk)
			die("raw: write failed (SSL error %d)", SSL_get_error(r->ssl, n));
		data += chunk;
		len -= chunk;
	}
}

/* TCP connect, TLS handshake (certificate verified), banner, plain Login with Events: off (as the seed). */
static void raw_open(struct raw *r, SSL_CTX *ctx, const struct args *a)
{
	memset(r, 0, sizeof *r);
	r->fd = tcp_connect_blocking(a->host, a->port);
	r->record_max = a->tls_record_max;
	if (ctx) {
		r->ssl = SSL_new(ctx);
		if (!r->ssl)
			die("SSL_new failed");
		if (a->cafile)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(r->ssl), a->host);
		SSL_set_fd(r->ssl, r->fd);
		if (SSL_connect(r->ssl) != 1) {
			unsigned long e = ERR_get_error();
			die("raw: TLS handshake failed: %s", e ? ERR_error_string(e, NULL) : "?");
		}
		if (a->fingerprint)
			check_pin(r->ssl, a->fingerprint);
	}
	size_t n = raw_read_until(r, "\r\n");
	if (strncmp(r->in, "Asterisk Call Manager/", 22) != 0)
		die("raw: unexpected banner");
	memmove(r->in, r->in + n, r->len - n);
	r->len -= n;
	char login[1024];
	int l = snprintf(login, sizeof login,
	                 "Action: Login\r\nUsername: %s\r\nSecret: %s\r\nEvents: off\r\nActionID: login\r\n\r\n",
	                 a->user, a->secret);
	raw_write(r, login, (size_t)l);
	raw_expect(r, "Response: Success", "Login");
}

static void raw_close(struct raw *r)
{
	SSL_free(r->ssl);   /* no close_notify: the server has closed after Goodbye */
	close(r->fd);
}

/* Logoff, then close: a warm connection ended after a way (outside its timing). Asterisk logs "SSL_shutdown()
 * failed" for a TLS session its client closes without either. */
static void raw_logoff_close(struct raw *r)
{
	static const char logoff[] = "Action: Logoff\r\nActionID: bye\r\n\r\n";
	raw_write(r, logoff, sizeof logoff - 1);
	raw_expect(r, "Response: Goodbye", "Logoff");
	raw_close(r);
}

/* Appends the UpdateConfig header lines (as ami_update_build + ami_msg_serialize write them). */
static int uc_head(char *out, size_t cap)
{
	return snprintf(out, cap, "Action: UpdateConfig\r\nSrcFilename: %s\r\nDstFilename: %s\r\n", CONF_FILE,
	                CONF_FILE);
}

/* The whole batched UpdateConfig of one phone, byte for byte what the library sends (ActionID aside). */
static size_t uc_batched(char *out, size_t cap, const struct seed_phone *p, unsigned long id)
{
	int l = uc_head(out, cap);
	l += snprintf(out + l, cap - (size_t)l, "Action-000000: NewCat\r\nCat-000000: %s\r\n", p->ext);
	for (int k = 0; k < N_VARS; k++)
		l += snprintf(out + l, cap - (size_t)l,
		              "Action-%06d: Append\r\nCat-%06d: %s\r\nVar-%06d: %s\r\nValue-%06d: %s\r\n", k + 1, k + 1,
		              p->ext, k + 1, p->var[k], k + 1, p->val[k]);
	l += snprintf(out + l, cap - (size_t)l, "ActionID: raw-%lu\r\n\r\n", id);
	if ((size_t)l >= cap)
		die("request too long");
	return (size_t)l;
}

/* ---------- phases ---------- */

struct figure {
	const char *name;
	long actions;              /* AMI actions written per round (Login, UpdateConfig, Logoff...) */
	long updateconfigs;
	long createconfigs;        /* (--content centralita) */
	long reloads;              /* (--content centralita) Reload actions, not counting those sent again */
	long retries[MAX_ROUNDS];  /* (--content centralita) Reloads sent again after "A reload is in progress" */
	int n;                     /* rounds measured */
	double secs[MAX_ROUNDS];   /* wall time of each round */
	double cpu[MAX_ROUNDS];    /* this process's CPU time (user + system, all threads) of each round */
};

struct stamp {
	double wall, cpu;
};

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static struct stamp stamp_now(void)
{
	return (struct stamp){ now_s(), cpu_s() };
}

static void record(struct figure *f, const struct stamp *t0)
{
	if (f->n < MAX_ROUNDS) {
		f->secs[f->n] = now_s() - t0->wall;
		f->cpu[f->n] = cpu_s() - t0->cpu;
		f->n++;
	}
}

static double best(const struct figure *f)
{
	double b = f->secs[0];
	for (int i = 1; i < f->n; i++)
		b = f->secs[i] < b ? f->secs[i] : b;
	return b;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];
	memcpy(s, v, (size_t)n * sizeof *v);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_figure(const struct figure *f, int phones)
{
	double b = best(f);
	printf("%s  (%ld actions/round: %ld UpdateConfig", f->name, f->actions, f->updateconfigs);
	if (f->createconfigs)
		printf(", %ld CreateConfig", f->createconfigs);
	if (f->reloads) {
		printf(", %ld Reload; Reloads sent again after \"A reload is in progress\", per round:", f->reloads);
		for (int i = 0; i < f->n; i++)
			printf(" %ld", f->retries[i]);
	}
	printf(")\n");
	printf("    best %7.3f s  %8.1f phones/s  %8.1f actions/s   client CPU %6.0f us/phone (median)\n    rounds:", b,
	       phones / b, f->actions / b, 1e6 * median(f->cpu, f->n) / phones);
	for (int i = 0; i < f->n; i++)
		printf(" %.1f", phones / f->secs[i]);
	printf(" phones/s\n");
	fflush(stdout);
}

/* After a phase: the PBX counted what we claim, and the file holds the N phones, identical in every phase
 * (with several threads the phones land in another order: then the same lines, sorted). */
static char *reference;

static int cmp_line(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The lines of text sorted, joined again (caller frees). */
static char *sorted_lines(const char *text)
{
	char *copy = strdup(text);
	size_t n = 0, cap = 1024;
	char **lines = malloc(cap * sizeof *lines);
	if (!copy || !lines)
		die("out of memory");
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n == cap) {
			char **bigger = realloc(lines, (cap *= 2) * sizeof *lines);
			if (!bigger)
				die("out of memory");
			lines = bigger;
		}
		lines[n++] = l;
	}
	qsort(lines, n, sizeof *lines, cmp_line);
	char *out = malloc(strlen(text) + 2), *o = out;
	if (!out)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		memcpy(o, lines[i], l);
		o += l;
		*o++ = '\n';
	}
	*o = '\0';
	free(lines);
	free(copy);
	return out;
}

static void check_phase(const struct args *a, const struct figure *f, long logins, bool ordered)
{
	char *c = ctl_fd >= 0 ? ctl_call("{\"cmd\": \"counters\"}") : NULL;   /* no control channel: no counters */
	long total = c ? ctl_action_count(c, NULL) : 0, uc = c ? ctl_action_count(c, "UpdateConfig") : 0;
	long login = c ? ctl_action_count(c, "Login") : 0;
	if (c && (total != f->actions || uc != f->updateconfigs || login != logins))
		die("%s: the PBX counted %ld actions (%ld UpdateConfig, %ld Login), expected %ld (%ld, %ld): %s", f->name,
		    total, uc, login, f->actions, f->updateconfigs, logins, c);
	free(c);
	size_t cats;
	char *text = conf_read(a, &cats);
	if (cats != (size_t)a->phones)
		die("%s: %s has %zu categories, expected %d", f->name, CONF_FILE, cats, a->phones);
	if (!reference) {
		reference = text;
	} else {
		bool same;
		if (ordered) {
			same = strcmp(reference, text) == 0;
		} else {
			char *x = sorted_lines(reference), *y = sorted_lines(text);
			same = strcmp(x, y) == 0;
			free(x);
			free(y);
		}
		if (!same)
			die("%s: %s differs from the first phase's", f->name, CONF_FILE);
		free(text);
	}
}

static void begin_phase(const struct args *a)
{
	conf_reset(a);
	if (ctl_fd >= 0)
		free(ctl_call("{\"cmd\": \"reset_counters\"}"));
}

static void phase_seed(const struct args *a, SSL_CTX *ctx, struct figure *f)
{
	begin_phase(a);
	char req[4096];
	struct stamp t0 = stamp_now();
	for (int i = 0; i < a->phones; i++) {
		struct seed_phone p;
		phone_make(i, &p);
		struct raw r;
		raw_open(&r, ctx, a);                                      /* connect, TLS, banner, Login */
		int l = uc_head(req, sizeof req);                          /* UpdateConfig 1: the category */
		l += snprintf(req + l, sizeof req - (size_t)l,
		              "Action-000000: NewCat\r\nCat-000000: %s\r\nActionID: seed-%d-0\r\n\r\n", p.ext, i);
		raw_write(&r, req, (size_t)l);
		raw_expect(&r, "Response: Success", "UpdateConfig NewCat");
		for (int k = 0; k < N_VARS; k++) {                         /* UpdateConfig 2..6: one per variable */
			l = uc_head(req, sizeof req);
			l += snprintf(req + l, sizeof req - (size_t)l,
			              "Action-000000: Append\r\nCat-000000: %s\r\nVar-000000: %s\r\nValue-000000: %s\r\n"
			              "ActionID: seed-%d-%d\r\n\r\n",
			              p.ext, p.var[k], p.val[k], i, k + 1);
			raw_write(&r, req, (size_t)l);
			raw_expect(&r, "Response: Success", "UpdateConfig Append");
		}
		static const char logoff[] = "Action: Logoff\r\nActionID: bye\r\n\r\n";
		raw_write(&r, logoff, sizeof logoff - 1);
		raw_expect(&r, "Response: Goodbye", "Logoff");
		raw_close(&r);
	}
	record(f, &t0);
	f->updateconfigs = (long)a->phones * (1 + N_VARS);
	f->actions = (long)a->phones * (1 + (1 + N_VARS) + 1);
	check_phase(a, f, a->phones, true);
}

static void phase_raw(const struct args *a, SSL_CTX *ctx, struct figure *f)
{
	struct raw r;
	raw_open(&r, ctx, a);
	static const char ping[] = "Action: Ping\r\nActionID: warm\r\n\r\n";
	raw_write(&r, ping, sizeof ping - 1);
	raw_expect(&r, "Response: Success", "Ping");
	begin_phase(a);                                                /* warm connection, counters from here */
	char req[4096];
	struct stamp t0 = stamp_now();
	for (int i = 0; i < a->phones; i++) {
		struct seed_phone p;
		phone_make(i, &p);
		size_t l = uc_batched(req, sizeof req, &p, (unsigned long)i);
		raw_write(&r, req, l);
		raw_expect(&r, "Response: Success", "UpdateConfig");
	}
	record(f, &t0);
	f->updateconfigs = f->actions = a->phones;
	check_phase(a, f, 0, true);
	raw_logoff_close(&r);
}

static void pool_options(const struct args *a, struct ami_options *o)
{
	ami_options_defaults(o);
	snprintf(o->host, sizeof o->host, "%s", a->host);
	o->port = a->port;
	o->tls = a->tls;
	snprintf(o->cafile, sizeof o->cafile, "%s", a->cafile ? a->cafile : "");
	snprintf(o->fingerprint, sizeof o->fingerprint, "%s", a->fingerprint ? a->fingerprint : "");
	snprintf(o->username, sizeof o->username, "%s", a->user);
	snprintf(o->secret, sizeof o->secret, "%s", a->secret);
	o->pool_size = 4;
}

static void add_phone_lib(struct ami_pool *pool, int i)
{
	struct seed_phone p;
	phone_make(i, &p);
	struct ami_update u;
	ami_update_init(&u, CONF_FILE);
	ami_update_add(&u, AMI_UC_NEWCAT, p.ext, NULL, NULL, NULL, -1, NULL, NULL);
	for (int k = 0; k < N_VARS; k++)
		ami_update_add(&u, AMI_UC_APPEND, p.ext, p.var[k], p.val[k], NULL, -1, NULL, NULL);
	struct ami_result r;
	ami_result_init(&r);
	if (ami_pool_update_config(pool, &u, true, &r) != AMI_OK)
		die("library: phone %s: %s: %s", p.ext, ami_status_name(r.status), r.message);
	ami_result_free(&r);
	ami_update_free(&u);
}

static void pool_ping(struct ami_pool *pool)
{
	struct ami_msg m;
	struct ami_result r;
	ami_msg_init(&m);
	ami_result_init(&r);
	ami_msg_add(&m, "Action", "Ping");
	if (ami_pool_action(pool, &m, &r) != AMI_OK)
		die("library: Ping: %s: %s", ami_status_name(r.status), r.message);
	ami_msg_free(&m);
	ami_result_free(&r);
}

static void phase_lib(const struct args *a, struct ami_pool *pool, struct figure *f)
{
	pool_ping(pool);                                               /* warm: one logged-in connection */
	begin_phase(a);
	struct stamp t0 = stamp_now();
	for (int i = 0; i < a->phones; i++)
		add_phone_lib(pool, i);
	record(f, &t0);
	f->updateconfigs = f->actions = a->phones;
	check_phase(a, f, 0, true);
}

struct worker {
	struct ami_pool *pool;
	int *next;
	int phones;
	pthread_mutex_t *mu;
	pthread_barrier_t *start;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->start);
	for (;;) {
		pthread_mutex_lock(w->mu);
		int i = (*w->next)++;
		pthread_mutex_unlock(w->mu);
		if (i >= w->phones)
			break;
		add_phone_lib(w->pool, i);
	}
	return NULL;
}

static void *warm_main(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->start);   /* all at once, so the pool opens several connections */
	pool_ping(w->pool);
	return NULL;
}

static void run_threads(struct worker *ws, int n, void *(*fn)(void *), pthread_barrier_t *start)
{
	pthread_t *t = calloc((size_t)n, sizeof *t);
	if (!t)
		die("out of memory");
	for (int k = 0; k < n; k++)
		if (pthread_create(&t[k], NULL, fn, &ws[k]) != 0)
			die("pthread_create failed");
	pthread_barrier_wait(start);
	for (int k = 0; k < n; k++)
		pthread_join(t[k], NULL);
	free(t);
}

static void phase_lib_threads(const struct args *a, struct ami_pool *pool, struct figure *f)
{
	int n = a->threads, next = 0;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_barrier_t start;
	struct worker *ws = calloc((size_t)n, sizeof *ws);
	if (!ws)
		die("out of memory");
	for (int k = 0; k < n; k++)
		ws[k] = (struct worker){ pool, &next, a->phones, &mu, &start };
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	run_threads(ws, n, warm_main, &start);
	pthread_barrier_destroy(&start);
	begin_phase(a);
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	struct stamp t0 = stamp_now();
	run_threads(ws, n, worker_main, &start);
	record(f, &t0);
	pthread_barrier_destroy(&start);
	free(ws);
	f->updateconfigs = f->actions = a->phones;
	check_phase(a, f, 0, false);
}

/* ---------- --content centralita: the phone as Centralita writes it (issues 4 and 9) ----------
 *
 * bench/bench_phones.py and bench/acceptance_bench.py compare Centralita's add-phone end to end with the seed's way
 * and the raw limit; for that comparison to be fair both must write what Centralita writes. Each phone (id i+1 as
 * a fresh database numbers them, extension --first-ext+i, name "Bench i", model yealink-t46u, MAC 0015650xxxxx, a
 * 32-character secret from provision_new_secret(), as bench_phones.py adds them) goes through the product's own
 * code with the default settings (pjsip, context --context, codecs ulaw,alaw): pbx_phone_part(), pbx_file_add_text()
 * and pbx_file_updates(), pbx_dialplan_section(). Every request is built by ami_update_build() / ami_msg_serialize()
 * BEFORE the clock starts (both ways send precomputed bytes).
 *
 *   (c) raw    what src/pbx/apply.c (apply_group_locked, write_group) sends for each new phone saved by itself,
 *              byte for byte (ActionID aside), on one warm logged-in TLS connection, each answer read before the
 *              next; no GetConfig. Phones share files of Centralita's own in centralita/, PBX_PHONES_PER_FILE (4)
 *              to a pair by id (pbx_phone_group(), pbx_phone_files()): ids 1-4 in pjsip-phones-1-4.conf and
 *              dialplan-phones-1-4.conf, 5-8 in ...-5-8.conf. For each of its group's two files, in order:
 *                CreateConfig  of the group's file (the phone's part was never written: it may be missing; the
 *                              group's first phone creates it, the others are answered "File exists", which
 *                              Centralita takes as done, and so does this bench)
 *                UpdateConfig  the group's file written WHOLE with the group's phones so far (ids first..i+1, in
 *                              id order, pbx_file_add_text() of each phone's part): the first from the empty
 *                              centralita/empty.conf, the next ones (if any) into the file itself, as many as
 *                              pbx_file_updates() needs (Asterisk takes at most 128 header lines a request; a
 *                              phone's pjsip part is NewCat [ext] + Appends (endpoint), NewCat [ext-auth] +
 *                              Appends (auth), NewCat [centralita-new-N] + Appends + RenameCat to [ext] (the
 *                              same-named aor), so 2 or 3 phones take 2 requests, 4 take 3; the dialplan file is
 *                              one [centralita-phones] with 2 exten lines a phone (its hint and its Dial): one)
 *                Reload        Module: res_pjsip.so (after the pjsip file), pbx_config.so (after the dialplan
 *                              file): the Reload action, which Asterisk answers only once the reload ran (no
 *                              Reload header: Asterisk drops that reload silently while another one runs, see
 *                              src/pbx/reload.h)
 *              so a phone's requests grow within its group (6, 7, 7, 8: 28 for 4 phones, 7 a phone on average).
 *              A Reload answered "A reload is in progress" did nothing; as pbx_reload() does, it is sent again
 *              PBX_RELOAD_PAUSE_MS later (for up to PBX_RELOAD_PATIENCE_MS), inside the timing, and the re-sends
 *              are counted and printed.
 *   (b) seed   the talk's way, into the integrator's own files, which therefore grow with N (the talk's cost, the
 *              point of this baseline): per phone a new TCP+TLS connection, banner, Login (plain, Events: off),
 *              then every action that writes the phone's pjsip part alone (pbx_file_updates() of it: one request)
 *              as its own UpdateConfig of pjsip.conf into itself (Action-000000 only; the aor too by NewCat of the
 *              temporary name + RenameCat, since NewCat of a name that exists is how a same-named category is
 *              made), the last with "Reload: res_pjsip.so"; then the phone's two dialplan lines
 *              (pbx_dialplan_section()'s hint and Dial), each Appended as "exten" to [--context] of extensions.conf
 *              by its own UpdateConfig, the last with "Reload: pbx_config.so"; Logoff, close. No CreateConfig;
 *              nothing in centralita/.
 *
 * Before each way: pjsip.conf and extensions.conf get back their starting text (whatever DIR held when the program
 * started: bench_ami.py writes tests/integration/harness.py's PJSIP_CONF and EXTENSIONS_CONF, which end with the
 * integrator's "#tryinclude centralita/pjsip-*.conf" / "#tryinclude centralita/dialplan-*.conf"), and DIR/centralita/
 * is emptied but for an empty empty.conf (created, with the folder, if missing). After each way, with a control
 * channel, the PBX's counters match what was sent (actions, UpdateConfigs, CreateConfigs, Reloads, Logins) and its
 * reload log holds exactly N reloads of res_pjsip.so and N of pbx_config.so that ran (via the Reload action for (c),
 * via UpdateConfig's header for (b)), plus (c)'s Reloads refused as in progress. Then the files:
 *   (c) pjsip.conf and extensions.conf are byte for byte their starting text (Centralita never writes the
 *       integrator's files for a phone); centralita/ holds empty.conf (still empty) and exactly 2 files per group
 *       (2 x ceil(N/4)), each pjsip-phones-<first>-<last>.conf with 3 categories per phone of the group, each
 *       dialplan-phones-<first>-<last>.conf with 1 category ([centralita-phones], once) and 2 exten lines per
 *       phone. Once, after the first (c), the library reads every group's files back (GetConfig): each holds
 *       exactly what Centralita writes for its phones (ami_config_diff() finds nothing to change, nothing else in
 *       it); in it each phone's own sections ([ext] endpoint and aor, [ext-auth]) are exactly
 *       pbx_phone_sections(), its exten lines (those starting "<ext>,") exactly pbx_dialplan_section()'s; and the
 *       merged views of pjsip.conf and extensions.conf (which follow the #tryinclude lines) show each phone once:
 *       endpoint [ext], aor [ext], auth [ext-auth], and its two lines in [centralita-phones].
 *   (b) pjsip.conf holds its starting categories + 3N, [--context] of extensions.conf its starting exten lines
 *       + 2N, centralita/ only empty.conf (still empty). Once, after the first (b), the library reads both back:
 *       each phone's endpoint, aor and auth are in pjsip.conf once each with exactly the wanted lines, and its
 *       two lines are in [--context] once each.
 * Every later round of a way must leave the same bytes (minus the Creation Date lines) as its first round: the
 * groups' files for (c), pjsip.conf and extensions.conf for (b). The two ways write different files: they are not
 * compared with each other. */

#define CC_FILES 2   /* a group's files: [0] the channel driver's, [1] the dialplan's */

/* One of (c)'s requests for a phone, built before the clock starts. */
enum creq_kind { CREQ_CREATE, CREQ_UPDATE, CREQ_RELOAD, CREQ_KINDS };

struct creq {
	enum creq_kind kind;
	int file;                          /* which of the group's files (CreateConfig, UpdateConfig) or its module */
	struct buf req;
};

struct cphone {
	struct phone p;
	char file[CC_FILES][PBX_FILE_MAX]; /* its group's: centralita/pjsip-phones-<first>-<last>.conf, dialplan-... */
	int first;                         /* index in ccontent.ph of its group's first phone */
	struct buf part[CC_FILES];         /* its part of each file (pbx_phone_part()) */
	struct creq *raw;                  /* (c) in order: per file CreateConfig, the UpdateConfigs, Reload */
	size_t n_raw;
	size_t n_uc[CC_FILES];             /* of which UpdateConfigs of each file */
	struct buf *seed;                  /* (b): the UpdateConfigs of pjsip.conf, then those of extensions.conf */
	size_t n_seed;
};

struct ccontent {
	struct pbx_settings s;
	struct cphone *ph;
	int n;
	const char *chan_file;             /* the integrator's pjsip.conf */
	const char *module[CC_FILES];      /* what is reloaded after each file: res_pjsip.so, pbx_config.so */
	char *start_chan, *start_dial;     /* starting text of pjsip.conf and extensions.conf */
	size_t start_cats;                 /* categories of pjsip.conf's own text */
	size_t start_exten;                /* exten lines of [--context] in extensions.conf's own text */
	size_t ops[CC_FILES], vars;        /* actions writing one phone's part alone per file, variables per phone */
	size_t seed_uc[CC_FILES];          /* (b)'s UpdateConfigs per phone: of pjsip.conf, of extensions.conf */
	long raw_requests, raw_uc;         /* (c)'s requests, and UpdateConfigs among them, for the N phones */
	int groups;                        /* ceil(N / PBX_PHONES_PER_FILE) */
	char summary[6000];
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot read %s: %s", path, strerror(errno));
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	buf_puts(&b, "");
	return buf_steal(&b);
}

static void put_file(const struct args *a, const char *file, const char *text)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", a->confdir, file);
	FILE *f = fopen(path, "wb");
	size_t l = strlen(text);
	if (!f || fwrite(text, 1, l, f) != l || fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

/* The "exten =" / "exten =>" lines of category cat in a file's own text (includes not followed). */
static size_t exten_in(const char *text, const char *cat)
{
	size_t n = 0, catlen = strlen(cat);
	bool in = false;
	for (const char *l = text; *l;) {
		if (*l == '[')
			in = !strncmp(l + 1, cat, catlen) && l[1 + catlen] == ']';
		else if (in && !strncmp(l, "exten", 5) && l[5 + strspn(l + 5, " \t")] == '=')
			n++;
		l += strcspn(l, "\n");
		l += *l == '\n';
	}
	return n;
}

/* DIR/centralita/ as the integrator's one-time set-up leaves it: the folder with an empty empty.conf, nothing else
 * (every phone's file of a previous way removed). */
static void reset_phones_dir(const struct args *a)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/%s", a->confdir, PBX_DIR);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die("cannot create %s: %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		die("cannot open %s: %s", dir, strerror(errno));
	const char *empty = strrchr(PBX_EMPTY_FILE, '/') + 1;
	for (struct dirent *e = readdir(d); e; e = readdir(d)) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, empty))
			continue;
		char path[4500];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (unlink(path) != 0)
			die("cannot remove %s: %s", path, strerror(errno));
	}
	closedir(d);
	put_file(a, PBX_EMPTY_FILE, "");
}

static void serialize_msg(const struct ami_msg *m, const char *id, struct buf *out, const char *what)
{
	char err[400];
	if (ami_msg_serialize(m, id, out, err, sizeof err) != 0)
		die("building %s: %s", what, err);
}

static void serialize_update(const struct ami_update *u, const char *id, struct buf *out)
{
	struct ami_msg m;
	char err[400];
	ami_msg_init(&m);
	if (ami_update_build(u, &m, err, sizeof err) != 0)
		die("building UpdateConfig of %s: %s", u->dst, err);
	serialize_msg(&m, id, out, u->dst);
	ami_msg_free(&m);
}

/* CreateConfig of file, as src/pbx/apply.c create_file() sends it. */
static void serialize_create(const char *file, const char *id, struct buf *out)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "CreateConfig");
	ami_msg_add(&m, "Filename", file);
	buf_init(out);
	serialize_msg(&m, id, out, "CreateConfig");
	ami_msg_free(&m);
}

/* The Reload action of module, as src/pbx/reload.c pbx_reload() sends it. */
static void serialize_reload(const char *module, const char *id, struct buf *out)
{
	struct ami_msg m;
	ami_msg_init(&m);
	ami_msg_add(&m, "Action", "Reload");
	ami_msg_add(&m, "Module", module);
	buf_init(out);
	serialize_msg(&m, id, out, "Reload");
	ami_msg_free(&m);
}

/* Appends one of the seed's one-action UpdateConfigs to c->seed. */
static void seed_push(struct cphone *c, int phone, const struct ami_update *one)
{
	char id[64];
	snprintf(id, sizeof id, "seed-%d-%zu", phone, c->n_seed);
	buf_init(&c->seed[c->n_seed]);
	serialize_update(one, id, &c->seed[c->n_seed++]);
}

/* "NewCat [200] + 8 Append, ..." for the human-readable header. */
static void describe_ops(const struct ami_update *u, char *out, size_t cap)
{
	size_t l = strlen(out);
	l += (size_t)snprintf(out + l, cap - l, "UpdateConfig %s (SrcFilename %s): ", u->dst, u->src);
	for (size_t k = 0; k < u->n && l < cap; k++) {
		const struct ami_uc_op *op = &u->ops[k];
		const char *sep = k ? ", " : "";
		if (op->action == AMI_UC_APPEND) {
			size_t run = 1;
			while (k + run < u->n && u->ops[k + run].action == AMI_UC_APPEND && !strcmp(u->ops[k + run].cat, op->cat))
				run++;
			if (k && u->ops[k - 1].action == AMI_UC_NEWCAT && !strcmp(u->ops[k - 1].cat, op->cat))
				l += (size_t)snprintf(out + l, cap - l, " + %zu Append", run);
			else
				l += (size_t)snprintf(out + l, cap - l, "%s%zu Append to [%s]", sep, run, op->cat);
			k += run - 1;
		} else if (op->action == AMI_UC_RENAMECAT) {
			l += (size_t)snprintf(out + l, cap - l, " + RenameCat to [%s]", op->value);
		} else {
			l += (size_t)snprintf(out + l, cap - l, "%s%s [%s]", sep, ami_uc_action_name(op->action), op->cat);
		}
	}
}

/* Appends a request of (c) to c->raw (its buffer initialised, empty). */
static struct creq *creq_push(struct cphone *c, size_t *cap, enum creq_kind kind, int file)
{
	if (c->n_raw == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		struct creq *grown = realloc(c->raw, *cap * sizeof *grown);
		if (!grown)
			die("out of memory");
		c->raw = grown;
	}
	struct creq *q = &c->raw[c->n_raw++];
	q->kind = kind;
	q->file = file;
	buf_init(&q->req);
	return q;
}

/* The UpdateConfigs that write file k of phone i's group whole with the group's phones so far (first..i, in id
 * order), as src/pbx/apply.c write_group_file() builds them. */
static void group_updates(const struct ccontent *cc, int i, int k, struct ami_update **ups, size_t *n_ups)
{
	const struct cphone *c = &cc->ph[i];
	struct pbx_file f;
	char err[300];
	pbx_file_init(&f);
	for (int j = c->first; j <= i; j++)
		if (pbx_file_add_text(&f, buf_cstr(&cc->ph[j].part[k])) != 0)
			die("phone %s: pbx_file_add_text: %s", cc->ph[j].p.extension, f.err);
	if (pbx_file_updates(&f, c->file[k], ups, n_ups, err, sizeof err) != 0)
		die("phone %s: pbx_file_updates of %s: %s", c->p.extension, c->file[k], err);
	pbx_file_free(&f);
	if (*n_ups == 0)
		die("phone %s: pbx_file_updates of %s gave no UpdateConfig", c->p.extension, c->file[k]);
	for (size_t u = 0; u < *n_ups; u++) {
		const struct ami_update *up = &(*ups)[u];
		const char *want_src = u ? c->file[k] : PBX_EMPTY_FILE;
		if (strcmp(up->dst, c->file[k]) != 0 || !up->src || strcmp(up->src, want_src) != 0)
			die("phone %s: UpdateConfig %zu of %zu writes %s from %s, expected %s from %s", c->p.extension, u + 1,
			    *n_ups, up->dst, up->src ? up->src : "itself", c->file[k], want_src);
		if (up->reload)   /* Centralita reloads with the Reload action now: the bench would send both */
			die("phone %s: pbx_file_updates asks for \"Reload: %s\", expected no Reload header", c->p.extension,
			    up->reload);
	}
}

static void ccontent_build(const struct args *a, struct ccontent *cc)
{
	memset(cc, 0, sizeof *cc);
	/* The defaults of src/app/config.c as config_pbx_settings() turns them into settings. */
	cc->s.driver = PBX_PJSIP;
	snprintf(cc->s.context, sizeof cc->s.context, "%s", a->context);
	snprintf(cc->s.codecs[0], sizeof cc->s.codecs[0], "ulaw");
	snprintf(cc->s.codecs[1], sizeof cc->s.codecs[1], "alaw");
	cc->s.n_codecs = 2;
	cc->s.ext_min = 100;
	cc->s.ext_max = 99999;
	cc->chan_file = pbx_config_file(cc->s.driver);
	if (strcmp(cc->chan_file, CONF_FILE) != 0)
		die("expected %s", CONF_FILE);
	cc->module[0] = pbx_reload_module(cc->s.driver);   /* what src/pbx/apply.c reloads after each file */
	cc->module[1] = PBX_DIALPLAN_MODULE;

	char path[4200];
	snprintf(path, sizeof path, "%s/%s", a->confdir, cc->chan_file);
	cc->start_chan = slurp(path);
	snprintf(path, sizeof path, "%s/%s", a->confdir, PBX_DIALPLAN_FILE);
	cc->start_dial = slurp(path);
	free(conf_read_file(a, cc->chan_file, &cc->start_cats, NULL));
	cc->start_exten = exten_in(cc->start_dial, a->context);
	char tryinc[2][80], ctxline[300];
	snprintf(tryinc[0], sizeof tryinc[0], "#tryinclude %s/pjsip-*.conf", PBX_DIR);
	snprintf(tryinc[1], sizeof tryinc[1], "#tryinclude %s/dialplan-*.conf", PBX_DIR);
	snprintf(ctxline, sizeof ctxline, "\n[%s]", a->context);
	if (!strstr(cc->start_chan, tryinc[0]) || !strstr(cc->start_dial, tryinc[1]))
		die("%s/%s must hold \"%s\" and %s/%s \"%s\" (the integrator's one-time set-up)", a->confdir,
		    cc->chan_file, tryinc[0], a->confdir, PBX_DIALPLAN_FILE, tryinc[1]);
	if (!strstr(cc->start_dial, ctxline) && strncmp(cc->start_dial, ctxline + 1, strlen(ctxline + 1)) != 0)
		die("%s/%s has no [%s] for the seed's way to append to (--context)", a->confdir, PBX_DIALPLAN_FILE,
		    a->context);

	cc->n = a->phones;
	cc->groups = (cc->n + PBX_PHONES_PER_FILE - 1) / PBX_PHONES_PER_FILE;
	cc->ph = calloc((size_t)cc->n, sizeof *cc->ph);
	if (!cc->ph)
		die("out of memory");
	size_t l;
	for (int i = 0; i < cc->n; i++) {
		struct cphone *c = &cc->ph[i];
		struct phone *p = &c->p;
		p->id = i + 1;   /* as a fresh database numbers them */
		snprintf(p->extension, sizeof p->extension, "%d", a->first_ext + i);
		snprintf(p->name, sizeof p->name, "Bench %d", i);
		snprintf(p->model, sizeof p->model, "yealink-t46u");
		snprintf(p->calling_class, sizeof p->calling_class, "national");   /* [asterisk] default_class */
		snprintf(p->mac, sizeof p->mac, "0015650%05x", (unsigned)i & 0xfffffu);
		p->version = 1;
		if (provision_new_secret(p->secret, sizeof p->secret) != 0)
			die("provision_new_secret failed");
		if (pbx_check_extension(&cc->s, p->extension))
			die("extension %s refused: %s", p->extension, pbx_check_extension(&cc->s, p->extension));
		pbx_phone_files(&cc->s, p->id, c->file[0], c->file[1]);
		int64_t first, last;
		pbx_phone_group(p->id, &first, &last);
		c->first = (int)(first - 1);
		if (c->first < 0 || c->first > i || last < p->id)
			die("phone id %lld: group %lld-%lld", (long long)p->id, (long long)first, (long long)last);
		for (int k = 0; k < CC_FILES; k++)
			if (strcmp(c->file[k], cc->ph[c->first].file[k]) != 0)
				die("phone id %lld: file %s, its group's first phone's is %s", (long long)p->id, c->file[k],
				    cc->ph[c->first].file[k]);
		char digest[CC_FILES][PBX_DIGEST_HEX], err[300], id[64];
		buf_init(&c->part[0]);
		buf_init(&c->part[1]);
		if (pbx_phone_part(&cc->s, p, &c->part[0], &c->part[1], digest[0], digest[1], err, sizeof err) != 0)
			die("pbx_phone_part: %s", err);

		/* (c): what Centralita sends for a new phone saved by itself (src/pbx/apply.c apply_group_locked,
		 * write_group): per file CreateConfig, the UpdateConfigs writing the group's file whole, the Reload action
		 * of its module. */
		size_t cap = 0, ucs[CC_FILES][8], n_ucs[CC_FILES];
		for (int k = 0; k < CC_FILES; k++) {
			struct ami_update *ups = NULL;
			size_t n_ups = 0;
			group_updates(cc, i, k, &ups, &n_ups);
			snprintf(id, sizeof id, "raw-%d-%zu", i, c->n_raw);
			serialize_create(c->file[k], id, &creq_push(c, &cap, CREQ_CREATE, k)->req);
			for (size_t u = 0; u < n_ups; u++) {
				snprintf(id, sizeof id, "raw-%d-%zu", i, c->n_raw);
				serialize_update(&ups[u], id, &creq_push(c, &cap, CREQ_UPDATE, k)->req);
				if (u < sizeof ucs[k] / sizeof ucs[k][0])
					ucs[k][u] = ups[u].n;
			}
			snprintf(id, sizeof id, "raw-%d-%zu", i, c->n_raw);
			serialize_reload(cc->module[k], id, &creq_push(c, &cap, CREQ_RELOAD, k)->req);
			c->n_uc[k] = n_ups;
			n_ucs[k] = n_ups;
			cc->raw_uc += (long)n_ups;
			if (i == 0) {   /* the first phone alone in its files: its requests in full */
				l = strlen(cc->summary);
				snprintf(cc->summary + l, sizeof cc->summary - l, "%s  CreateConfig %s; ", k ? "\n" : "",
				         c->file[k]);
				for (size_t u = 0; u < n_ups; u++) {
					if (u) {
						l = strlen(cc->summary);
						snprintf(cc->summary + l, sizeof cc->summary - l, "; ");
					}
					describe_ops(&ups[u], cc->summary, sizeof cc->summary);
				}
				l = strlen(cc->summary);
				snprintf(cc->summary + l, sizeof cc->summary - l, "; Reload Module: %s", cc->module[k]);
			}
			for (size_t u = 0; u < n_ups; u++)
				ami_update_free(&ups[u]);
			free(ups);
		}
		cc->raw_requests += (long)c->n_raw;

		/* (b): the actions writing the phone's pjsip part alone (one request), one by one into pjsip.conf
		 * itself, then the two dialplan lines appended to [--context] of extensions.conf; the last of each file
		 * with its module's Reload header. */
		struct ami_update *alone = NULL;
		size_t n_alone = 0;
		struct pbx_file f;
		pbx_file_init(&f);
		if (pbx_file_add_text(&f, buf_cstr(&c->part[0])) != 0 ||
		    pbx_file_updates(&f, c->file[0], &alone, &n_alone, err, sizeof err) != 0)
			die("phone %s: its pjsip part alone: %s", p->extension, *f.err ? f.err : err);
		pbx_file_free(&f);
		if (n_alone != 1)
			die("phone %s: its pjsip part alone takes %zu UpdateConfigs, expected 1", p->extension, n_alone);
		struct pbx_sections dialplan;
		memset(&dialplan, 0, sizeof dialplan);
		if (pbx_dialplan_section(&cc->s, p->extension, &dialplan) != 0 || dialplan.n != 1)
			die("pbx_dialplan_section failed for %s", p->extension);
		const struct ami_cfg_want *lines = &dialplan.want[0];
		c->seed = calloc(alone[0].n + lines->n_lines, sizeof *c->seed);
		if (!c->seed)
			die("out of memory");
		for (size_t k = 0; k < alone[0].n; k++) {
			const struct ami_uc_op *op = &alone[0].ops[k];
			struct ami_update one;
			ami_update_init(&one, cc->chan_file);
			ami_update_add(&one, op->action, op->cat, op->var, op->value, op->match, op->line, op->options,
			               op->filter);
			if (k + 1 == alone[0].n)
				ami_update_set_reload(&one, cc->module[0]);
			seed_push(c, i, &one);
			ami_update_free(&one);
		}
		for (size_t m = 0; m < lines->n_lines; m++) {
			struct ami_update one;
			ami_update_init(&one, PBX_DIALPLAN_FILE);
			ami_update_add(&one, AMI_UC_APPEND, a->context, lines->lines[m].name, lines->lines[m].value, NULL, -1,
			               NULL, NULL);
			if (m + 1 == lines->n_lines)
				ami_update_set_reload(&one, cc->module[1]);
			seed_push(c, i, &one);
			ami_update_free(&one);
		}
		size_t ops = alone[0].n;
		ami_update_free(&alone[0]);
		free(alone);

		if (i == 0) {
			cc->ops[0] = ops;
			cc->ops[1] = ucs[1][0];   /* the first phone alone in its dialplan file */
			cc->seed_uc[0] = ops;
			cc->seed_uc[1] = lines->n_lines;
			struct pbx_sections sec;
			memset(&sec, 0, sizeof sec);
			if (pbx_phone_sections(&cc->s, p, &sec) != 0)
				die("pbx_phone_sections failed for %s", p->extension);
			for (size_t k = 0; k < sec.n; k++)
				cc->vars += sec.want[k].n_lines;
		} else if (ops != cc->ops[0] || lines->n_lines != cc->seed_uc[1]) {
			die("phone %s: %zu actions for its pjsip part and %zu dialplan lines, the first phone had %zu and %zu",
			    p->extension, ops, lines->n_lines, cc->ops[0], cc->seed_uc[1]);
		}
		if (i < PBX_PHONES_PER_FILE) {   /* the first group, phone by phone: its files grow */
			size_t bytes = 0;
			for (size_t k = 0; k < c->n_raw; k++)
				bytes += c->raw[k].req.len;
			l = strlen(cc->summary);
			snprintf(cc->summary + l, sizeof cc->summary - l,
			         "\n  phone %d of its group (its files hold ids %lld-%lld): %zu requests, %zu bytes: ", i + 1,
			         (long long)first, (long long)p->id, c->n_raw, bytes);
			for (int k = 0; k < CC_FILES; k++) {
				l = strlen(cc->summary);
				snprintf(cc->summary + l, sizeof cc->summary - l, "%s%zu UpdateConfig%s of %s (", k ? ", " : "",
				         n_ucs[k], n_ucs[k] == 1 ? "" : "s", strrchr(c->file[k], '/') + 1);
				for (size_t u = 0; u < n_ucs[k] && u < sizeof ucs[k] / sizeof ucs[k][0]; u++) {
					l = strlen(cc->summary);
					snprintf(cc->summary + l, sizeof cc->summary - l, "%s%zu", u ? " + " : "", ucs[k][u]);
				}
				l = strlen(cc->summary);
				snprintf(cc->summary + l, sizeof cc->summary - l, " actions)");
			}
		}
	}
	const struct cphone *c0 = &cc->ph[0];
	size_t total = 0;
	for (size_t k = 0; k < c0->n_seed; k++)
		total += c0->seed[k].len;
	struct pbx_sections dialplan;
	memset(&dialplan, 0, sizeof dialplan);
	if (pbx_dialplan_section(&cc->s, c0->p.extension, &dialplan) != 0 || dialplan.n != 1)
		die("pbx_dialplan_section failed for %s", c0->p.extension);
	const struct ami_cfg_want *lines = &dialplan.want[0];
	l = strlen(cc->summary);
	snprintf(cc->summary + l, sizeof cc->summary - l,
	         "\n  (c) sends these for %d phones: %ld requests (%.1f a phone), %ld of them UpdateConfigs"
	         "\n  (b) sends instead %zu UpdateConfigs of %s into itself (the actions writing the phone's part alone, "
	         "one each; the last with Reload: %s) and %zu of %s (Append to [%s]: exten = %s, exten = %s; the last "
	         "with Reload: %s): %zu requests, %zu bytes in all, between its Login and Logoff",
	         cc->n, cc->raw_requests, (double)cc->raw_requests / cc->n, cc->raw_uc, cc->seed_uc[0], cc->chan_file,
	         cc->module[0], cc->seed_uc[1], PBX_DIALPLAN_FILE, a->context, lines->lines[0].value,
	         lines->n_lines > 1 ? lines->lines[1].value : "-", cc->module[1], c0->n_seed, total);
}

static void ccontent_free(struct ccontent *cc)
{
	for (int i = 0; i < cc->n; i++) {
		struct cphone *c = &cc->ph[i];
		for (size_t k = 0; k < c->n_raw; k++)
			buf_free(&c->raw[k].req);
		free(c->raw);
		for (int k = 0; k < CC_FILES; k++)
			buf_free(&c->part[k]);
		for (size_t k = 0; k < c->n_seed; k++)
			buf_free(&c->seed[k]);
		free(c->seed);
	}
	free(cc->ph);
	free(cc->start_chan);
	free(cc->start_dial);
}

static void cbegin(const struct args *a, const struct ccontent *cc)
{
	put_file(a, cc->chan_file, cc->start_chan);
	put_file(a, PBX_DIALPLAN_FILE, cc->start_dial);
	reset_phones_dir(a);
	if (ctl_fd >= 0)
		free(ctl_call("{\"cmd\": \"reset_counters\"}"));
}

/* Entries of the control channel's reload log ("reloads": [{"module": M, "via": V, "file": F, "status": S}, ...])
 * with that module, via and status; NULL / -1: any. */
static long ctl_reloads(const char *reply, const char *module, const char *via, int status)
{
	const char *p = strstr(reply, "\"reloads\": [");
	if (!p)
		die("control channel: no reloads in %s", reply);
	const char *end = strchr(p, ']');
	char m[100], v[100], s[40];
	snprintf(m, sizeof m, "\"module\": \"%s\"", module ? module : "");
	snprintf(v, sizeof v, "\"via\": \"%s\"", via ? via : "");
	snprintf(s, sizeof s, "\"status\": %d}", status);
	long n = 0;
	for (const char *o = strchr(p, '{'); o && end && o < end; o = strchr(o + 1, '{')) {
		const char *c = strchr(o, '}');
		char entry[600];
		if (!c || c > end || (size_t)(c - o) + 2 > sizeof entry)
			die("control channel: unexpected reload entry in %s", reply);
		snprintf(entry, sizeof entry, "%.*s", (int)(c - o + 1), o);
		n += (!module || strstr(entry, m)) && (!via || strstr(entry, v)) && (status < 0 || strstr(entry, s));
	}
	return n;
}

/* Appends to cur the categories of file (only those named category, unless NULL), read with GetConfig through the
 * library. */
static void get_config(struct ami_pool *pool, const char *file, const char *category, struct ami_config *cur)
{
	struct ami_msg m;
	struct ami_result r;
	char err[400];
	ami_msg_init(&m);
	ami_result_init(&r);
	ami_msg_add(&m, "Action", "GetConfig");
	ami_msg_add(&m, "Filename", file);
	if (category)
		ami_msg_add(&m, "Category", category);
	if (ami_pool_action(pool, &m, &r) != AMI_OK)
		die("verify: GetConfig %s [%s]: %s", file, category ? category : "all", r.message);
	struct ami_config one = { 0 };
	if (ami_config_parse(r.response, &one, err, sizeof err) != 0)
		die("verify: GetConfig %s [%s]: %s", file, category ? category : "all", err);
	struct ami_cfg_cat *grown = realloc(cur->cats, (cur->n_cats + one.n_cats) * sizeof *grown);
	if (!grown && one.n_cats)
		die("out of memory");
	if (one.n_cats) {
		memcpy(grown + cur->n_cats, one.cats, one.n_cats * sizeof *grown);
		cur->cats = grown;
		cur->n_cats += one.n_cats;
		one.n_cats = 0;
	}
	ami_config_free(&one);
	ami_result_free(&r);
	ami_msg_free(&m);
}

static const char *cat_value(const struct ami_cfg_cat *c, const char *name)
{
	for (size_t l = 0; l < c->n_lines; l++)
		if (!strcasecmp(c->lines[l].name, name))
			return c->lines[l].value;
	return NULL;
}

/* A category read back is exactly the wanted one: same name, same lines in the same order. */
static bool cat_is(const struct ami_cfg_cat *cat, const struct ami_cfg_want *want)
{
	if (strcmp(cat->name, want->name) != 0 || cat->n_lines != want->n_lines)
		return false;
	for (size_t l = 0; l < want->n_lines; l++)
		if (strcasecmp(cat->lines[l].name, want->lines[l].name) != 0 ||
		    strcmp(cat->lines[l].value, want->lines[l].value) != 0)
			return false;
	return true;
}

/* A group's file read back (into *cur) holds exactly want, what Centralita writes for the group's phones: nothing
 * for ami_config_diff() to change, and no other category. */
static void cverify_file(struct ami_pool *pool, const char *file, const struct pbx_file *want, struct ami_config *cur)
{
	const char **owned = calloc(want->n + 1, sizeof *owned);
	if (!owned)
		die("out of memory");
	size_t n_owned = 0;
	for (size_t i = 0; i < want->n; i++) {
		bool seen = false;
		for (size_t k = 0; k < n_owned; k++)
			seen |= !strcmp(owned[k], want->want[i].name);
		if (!seen)
			owned[n_owned++] = want->want[i].name;
	}
	get_config(pool, file, NULL, cur);
	struct ami_update u;
	char err[400];
	ami_update_init(&u, file);
	if (ami_config_diff(cur, owned, n_owned, want->want, want->n, &u, err, sizeof err) != 0)
		die("verify: ami_config_diff of %s: %s", file, err);
	if (u.n != 0 || cur->n_cats != want->n)
		die("verify: %s holds %zu categories (expected %zu), Centralita would still send %zu actions", file,
		    cur->n_cats, want->n, u.n);
	ami_update_free(&u);
	free(owned);
}

/* In its group's pjsip file read back: the phone's own sections (named [ext] and [ext-auth]) are exactly sec. */
static void cverify_phone_chan(const struct ccontent *cc, const struct ami_config *cur, const char *file,
                               const struct pbx_sections *sec, const char *ext)
{
	char names[2][32];
	size_t n_names = pbx_section_names(&cc->s, ext, names), named = 0;
	for (size_t k = 0; k < cur->n_cats; k++)
		for (size_t j = 0; j < n_names; j++)
			named += !strcmp(cur->cats[k].name, names[j]);
	if (named != sec->n)
		die("verify: %s holds %zu categories named after phone %s, expected %zu", file, named, ext, sec->n);
	for (size_t j = 0; j < sec->n; j++) {
		int same = 0;
		for (size_t k = 0; k < cur->n_cats; k++)
			same += cat_is(&cur->cats[k], &sec->want[j]);
		if (same != 1)
			die("verify: %s holds [%s] (type %s) exactly as Centralita wants it %d times, expected once", file,
			    sec->want[j].name, sec->want[j].type ? sec->want[j].type : "-", same);
	}
}

/* In its group's dialplan file read back: the phone's exten lines (those starting "<ext>,") in [centralita-phones]
 * are exactly ctx's, in order. */
static void cverify_phone_dial(const struct ami_config *cur, const char *file, const struct pbx_sections *ctx,
                               const char *ext)
{
	char prefix[40];
	snprintf(prefix, sizeof prefix, "%s,", ext);
	const struct ami_cfg_want *want = &ctx->want[0];
	size_t found = 0;
	for (size_t k = 0; k < cur->n_cats; k++)
		for (size_t m = 0; m < cur->cats[k].n_lines; m++) {
			const struct ami_cfg_line *line = &cur->cats[k].lines[m];
			if (strcasecmp(line->name, "exten") != 0 || strncmp(line->value, prefix, strlen(prefix)) != 0)
				continue;
			if (strcmp(cur->cats[k].name, want->name) != 0 || found >= want->n_lines ||
			    strcasecmp(line->name, want->lines[found].name) != 0 ||
			    strcmp(line->value, want->lines[found].value) != 0)
				die("verify: %s shows \"%s = %s\" in [%s], not phone %s's line %zu as Centralita wants it", file,
				    line->name, line->value, cur->cats[k].name, ext, found + 1);
			found++;
		}
	if (found != want->n_lines)
		die("verify: %s holds %zu exten lines of phone %s, expected %zu", file, found, ext, want->n_lines);
}

static struct ami_pool *verify_pool(const struct args *a)
{
	struct ami_options o;
	pool_options(a, &o);
	o.pool_size = 1;
	char err[400];
	struct ami_pool *pool = ami_pool_create(&o, err, sizeof err);
	if (!pool)
		die("ami_pool_create: %s", err);
	return pool;
}

/* (c), read back through the library: each group's files hold exactly what Centralita writes for its phones, and
 * in them each phone's own sections and exten lines; Asterisk's merged views (pjsip.conf and extensions.conf with
 * their #tryinclude lines) show each phone once. */
static void cverify_content(const struct args *a, const struct ccontent *cc)
{
	struct ami_pool *pool = verify_pool(a);
	struct ami_config chan = { 0 }, dial = { 0 };
	get_config(pool, cc->chan_file, NULL, &chan);
	get_config(pool, PBX_DIALPLAN_FILE, NULL, &dial);
	if (chan.n_cats != cc->start_cats + 3 * (size_t)cc->n)
		die("verify: GetConfig of %s (merged) shows %zu categories, expected %zu + 3 x %d", cc->chan_file,
		    chan.n_cats, cc->start_cats, cc->n);
	struct ami_config group[CC_FILES] = { { 0 } };
	for (int i = 0; i < cc->n; i++) {
		const struct cphone *c = &cc->ph[i];
		const struct phone *p = &c->p;
		if (i == c->first) {   /* a new group: its two files read back once, each whole */
			int end = i;
			while (end < cc->n && cc->ph[end].first == i)
				end++;
			for (int k = 0; k < CC_FILES; k++) {
				struct pbx_file want;
				pbx_file_init(&want);
				for (int j = i; j < end; j++)
					if (pbx_file_add_text(&want, buf_cstr(&cc->ph[j].part[k])) != 0)
						die("verify: pbx_file_add_text: %s", want.err);
				ami_config_free(&group[k]);
				memset(&group[k], 0, sizeof group[k]);
				cverify_file(pool, c->file[k], &want, &group[k]);
				pbx_file_free(&want);
			}
		}
		struct pbx_sections sec, ctx;
		memset(&sec, 0, sizeof sec);
		if (pbx_phone_sections(&cc->s, p, &sec) != 0)
			die("pbx_phone_sections failed for %s", p->extension);
		memset(&ctx, 0, sizeof ctx);
		if (pbx_dialplan_section(&cc->s, p->extension, &ctx) != 0)
			die("pbx_dialplan_section failed for %s", p->extension);
		cverify_phone_chan(cc, &group[0], c->file[0], &sec, p->extension);
		cverify_phone_dial(&group[1], c->file[1], &ctx, p->extension);

		/* The merged pjsip.conf: endpoint [ext], aor [ext] and auth [ext-auth], each once. */
		char auth[40];
		snprintf(auth, sizeof auth, "%s-auth", p->extension);
		int endpoint = 0, aor = 0, auths = 0, other = 0;
		for (size_t k = 0; k < chan.n_cats; k++) {
			const struct ami_cfg_cat *cat = &chan.cats[k];
			const char *type = cat_value(cat, "type");
			if (!strcmp(cat->name, p->extension) && type && !strcmp(type, "endpoint"))
				endpoint++;
			else if (!strcmp(cat->name, p->extension) && type && !strcmp(type, "aor"))
				aor++;
			else if (!strcmp(cat->name, auth) && type && !strcmp(type, "auth"))
				auths++;
			else if (!strcmp(cat->name, p->extension) || !strcmp(cat->name, auth))
				other++;
		}
		if (endpoint != 1 || aor != 1 || auths != 1 || other != 0)
			die("verify: %s (merged) shows phone %s as %d endpoint(s), %d aor(s), %d auth(s), %d other", cc->chan_file,
			    p->extension, endpoint, aor, auths, other);
		/* The merged extensions.conf: its two lines in [centralita-phones], each once. */
		for (size_t l = 0; l < ctx.want[0].n_lines; l++) {
			const struct ami_cfg_line *want = &ctx.want[0].lines[l];
			int found = 0;
			for (size_t k = 0; k < dial.n_cats; k++) {
				if (strcmp(dial.cats[k].name, PBX_PHONES_CONTEXT) != 0)
					continue;
				for (size_t m = 0; m < dial.cats[k].n_lines; m++)
					found += !strcasecmp(dial.cats[k].lines[m].name, want->name) &&
					         !strcmp(dial.cats[k].lines[m].value, want->value);
			}
			if (found != 1)
				die("verify: %s (merged) shows \"%s = %s\" in [%s] %d times", PBX_DIALPLAN_FILE, want->name,
				    want->value, PBX_PHONES_CONTEXT, found);
		}
	}
	for (int k = 0; k < CC_FILES; k++)
		ami_config_free(&group[k]);
	ami_config_free(&chan);
	ami_config_free(&dial);
	ami_pool_destroy(pool);
}

/* (b), read back through the library: every phone's endpoint, aor and auth in pjsip.conf once each with exactly
 * the wanted lines (and no other category of their names), its two dialplan lines in [--context] once each. */
static void cverify_seed(const struct args *a, const struct ccontent *cc)
{
	struct ami_pool *pool = verify_pool(a);
	struct ami_config chan = { 0 }, dial = { 0 };
	get_config(pool, cc->chan_file, NULL, &chan);
	get_config(pool, PBX_DIALPLAN_FILE, a->context, &dial);
	if (chan.n_cats != cc->start_cats + 3 * (size_t)cc->n)
		die("verify: GetConfig of %s shows %zu categories, expected %zu + 3 x %d", cc->chan_file, chan.n_cats,
		    cc->start_cats, cc->n);
	for (int i = 0; i < cc->n; i++) {
		const struct phone *p = &cc->ph[i].p;
		struct pbx_sections sec, ctx;
		memset(&sec, 0, sizeof sec);
		memset(&ctx, 0, sizeof ctx);
		if (pbx_phone_sections(&cc->s, p, &sec) != 0 || pbx_dialplan_section(&cc->s, p->extension, &ctx) != 0)
			die("pbx_phone_sections or pbx_dialplan_section failed for %s", p->extension);
		size_t named = 0;
		for (size_t k = 0; k < chan.n_cats; k++)
			for (size_t j = 0; j < sec.n; j++)
				if (!strcmp(chan.cats[k].name, sec.want[j].name)) {
					named++;
					break;
				}
		if (named != sec.n)
			die("verify: %s holds %zu categories named after phone %s, expected %zu", cc->chan_file, named,
			    p->extension, sec.n);
		for (size_t j = 0; j < sec.n; j++) {
			int same = 0;
			for (size_t k = 0; k < chan.n_cats; k++)
				same += cat_is(&chan.cats[k], &sec.want[j]);
			if (same != 1)
				die("verify: %s holds [%s] (type %s) exactly as Centralita wants it %d times, expected once",
				    cc->chan_file, sec.want[j].name, sec.want[j].type ? sec.want[j].type : "-", same);
		}
		for (size_t l = 0; l < ctx.want[0].n_lines; l++) {
			const struct ami_cfg_line *want = &ctx.want[0].lines[l];
			int found = 0;
			for (size_t k = 0; k < dial.n_cats; k++)
				for (size_t m = 0; m < dial.cats[k].n_lines; m++)
					found += !strcmp(dial.cats[k].name, a->context) &&
					         !strcasecmp(dial.cats[k].lines[m].name, want->name) &&
					         !strcmp(dial.cats[k].lines[m].value, want->value);
			if (found != 1)
				die("verify: %s shows \"%s = %s\" in [%s] %d times", PBX_DIALPLAN_FILE, want->name, want->value,
				    a->context, found);
		}
	}
	ami_config_free(&chan);
	ami_config_free(&dial);
	ami_pool_destroy(pool);
}

/* After a way, with a control channel: the PBX counted the actions sent (retries: (c)'s re-sent Reloads this
 * round), and of the reloads asked over AMI its log holds N of each module that ran, asked via `via` ("Reload":
 * the action, "UpdateConfig": its header), and besides those only the `retries` refused as in progress. */
static void ccheck_counters(const struct ccontent *cc, const struct figure *f, long logins, const char *via,
                            long retries)
{
	if (ctl_fd < 0)
		return;   /* no control channel (a real Asterisk): the files are checked all the same */
	char *c = ctl_call("{\"cmd\": \"counters\"}");
	long total = ctl_action_count(c, NULL), uc = ctl_action_count(c, "UpdateConfig");
	long ccf = ctl_action_count(c, "CreateConfig"), login = ctl_action_count(c, "Login");
	long reload = ctl_action_count(c, "Reload");
	/* Reloads asked by anyone else (the control channel's "cli") are not the bench's: left out. */
	long ran[CC_FILES], refused = ctl_reloads(c, NULL, via, 4);
	long all = ctl_reloads(c, NULL, "Reload", -1) + ctl_reloads(c, NULL, "UpdateConfig", -1);
	for (int k = 0; k < CC_FILES; k++)
		ran[k] = ctl_reloads(c, cc->module[k], via, 0);
	long want_reload = f->reloads ? f->reloads + retries : 0;
	if (total != f->actions + retries || uc != f->updateconfigs || ccf != f->createconfigs || login != logins ||
	    reload != want_reload || ran[0] != cc->n || ran[1] != cc->n || refused != retries ||
	    all != 2L * cc->n + retries)
		die("%s: the PBX counted %ld actions (%ld UpdateConfig, %ld CreateConfig, %ld Reload, %ld Login) and %ld "
		    "reloads (%ld %s + %ld %s that ran via %s, %ld refused as in progress), expected %ld (%ld, %ld, %ld, "
		    "%ld) and %ld (%d + %d, %ld)%s: %s",
		    f->name, total, uc, ccf, reload, login, all, ran[0], cc->module[0], ran[1], cc->module[1], via, refused,
		    f->actions + retries, f->updateconfigs, f->createconfigs, want_reload, logins, 2L * cc->n + retries,
		    cc->n, cc->n, retries,
		    refused && !f->reloads ? " (a reload asked by UpdateConfig's header while another ran is lost)" : "",
		    c);
	free(c);
}

/* centralita/ holds empty.conf (still empty) and `phones_files` other files. */
static void ccheck_phones_dir(const struct args *a, const struct figure *f, size_t phones_files)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", a->confdir, PBX_DIR);
	DIR *d = opendir(path);
	if (!d)
		die("%s: cannot open %s: %s", f->name, path, strerror(errno));
	size_t entries = 0;
	for (struct dirent *e = readdir(d); e; e = readdir(d))
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	if (entries != 1 + phones_files)
		die("%s: %s holds %zu files, expected %s and %zu", f->name, path, entries, PBX_EMPTY_FILE, phones_files);
	snprintf(path, sizeof path, "%s/%s", a->confdir, PBX_EMPTY_FILE);
	char *empty = slurp(path);
	if (*empty)
		die("%s: %s is no longer empty", f->name, PBX_EMPTY_FILE);
	free(empty);
}

/* The first round's text of a way is kept in *ref; a later round must leave the same text (files separated by
 * "=== name" lines). Returns true the first time (the caller then reads the result back). Takes text. */
static bool ccompare_rounds(char **ref, char *text, const struct figure *f)
{
	if (!*ref) {
		*ref = text;
		return true;
	}
	if (strcmp(*ref, text) != 0) {
		const char *x = *ref, *y = text;
		while (*x && *x == *y)
			x++, y++;
		const char *file = x;
		while (file > *ref && strncmp(file, "=== ", 4) != 0)
			file--;
		die("%s: the files differ from this way's first round's, first in %.*s", f->name,
		    (int)strcspn(file + 4, "\n"), file + 4);
	}
	free(text);
	return false;
}

/* Each way's files after its first round, without their Creation Date lines. */
static char *cref_seed, *cref_raw;

/* After (c): the integrator's files untouched, the phones' files as expected. */
static void ccheck_raw_files(const struct args *a, const struct ccontent *cc, const struct figure *f)
{
	char path[4200];
	const char *files[2] = { cc->chan_file, PBX_DIALPLAN_FILE }, *start[2] = { cc->start_chan, cc->start_dial };
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof path, "%s/%s", a->confdir, files[k]);
		char *now = slurp(path);
		if (strcmp(now, start[k]) != 0)
			die("%s: %s changed (Centralita never writes the integrator's files for a phone)", f->name, files[k]);
		free(now);
	}
	ccheck_phones_dir(a, f, CC_FILES * (size_t)cc->groups);

	/* Each group's files: 3 categories a phone in the pjsip one, [centralita-phones] once with 2 exten lines a
	 * phone in the dialplan one. */
	struct buf all;
	buf_init(&all);
	for (int i = 0; i < cc->n; i++) {
		if (cc->ph[i].first != i)
			continue;
		size_t members = 0;
		while (i + (int)members < cc->n && cc->ph[i + (int)members].first == i)
			members++;
		for (int k = 0; k < CC_FILES; k++) {
			size_t cats, exten;
			char *text = conf_read_file(a, cc->ph[i].file[k], &cats, &exten);
			size_t want_cats = k ? 1 : 3 * members, want_exten = k ? cc->seed_uc[1] * members : 0;
			if (cats != want_cats || exten != want_exten)
				die("%s: %s holds %zu categories and %zu exten lines, expected %zu and %zu (%zu phones)", f->name,
				    cc->ph[i].file[k], cats, exten, want_cats, want_exten, members);
			buf_puts(&all, "=== ");
			buf_puts(&all, cc->ph[i].file[k]);
			buf_puts(&all, "\n");
			buf_puts(&all, text);
			free(text);
		}
	}
	if (ccompare_rounds(&cref_raw, buf_steal(&all), f))
		cverify_content(a, cc);
}

/* After (b): the phones in the integrator's files, nothing in centralita/. */
static void ccheck_seed_files(const struct args *a, const struct ccontent *cc, const struct figure *f)
{
	size_t cats, dial_cats;
	char *chan = conf_read_file(a, cc->chan_file, &cats, NULL);
	char *dial = conf_read_file(a, PBX_DIALPLAN_FILE, &dial_cats, NULL);
	if (cats != cc->start_cats + 3 * (size_t)cc->n)
		die("%s: %s holds %zu categories, expected %zu + 3 x %d", f->name, cc->chan_file, cats, cc->start_cats,
		    cc->n);
	size_t exten = exten_in(dial, a->context);
	if (exten != cc->start_exten + cc->seed_uc[1] * (size_t)cc->n)
		die("%s: [%s] of %s holds %zu exten lines, expected %zu + %zu x %d", f->name, a->context,
		    PBX_DIALPLAN_FILE, exten, cc->start_exten, cc->seed_uc[1], cc->n);
	ccheck_phones_dir(a, f, 0);

	struct buf all;
	buf_init(&all);
	buf_puts(&all, "=== ");
	buf_puts(&all, cc->chan_file);
	buf_puts(&all, "\n");
	buf_puts(&all, chan);
	buf_puts(&all, "=== " PBX_DIALPLAN_FILE "\n");
	buf_puts(&all, dial);
	free(chan);
	free(dial);
	if (ccompare_rounds(&cref_seed, buf_steal(&all), f))
		cverify_seed(a, cc);
}

/* Sends a Reload action and reads its answer. "A reload is in progress" means another reload runs and this one
 * did nothing: as pbx_reload() does, it is sent again PBX_RELOAD_PAUSE_MS later, for up to PBX_RELOAD_PATIENCE_MS.
 * Returns how many times it was sent again. */
static long raw_reload(struct raw *r, const struct buf *req, const char *what)
{
	double give_up = now_s() + PBX_RELOAD_PATIENCE_MS / 1000.0;
	for (long again = 0;; again++) {
		raw_write(r, req->data, req->len);
		size_t n = raw_read_until(r, "\r\n\r\n");
		char answer[1024], msg[300] = "";
		snprintf(answer, sizeof answer, "%.*s", (int)n, r->in);
		memmove(r->in, r->in + n, r->len - n);
		r->len -= n;
		if (!strncmp(answer, "Response: Success", 17))
			return again;
		const char *m = strstr(answer, "\r\nMessage: ");
		if (m)
			snprintf(msg, sizeof msg, "%.*s", (int)strcspn(m + 11, "\r\n"), m + 11);
		if (strncmp(answer, "Response: Error", 15) != 0 || ami_refusal_of(msg) != AMI_REFUSAL_RELOAD_IN_PROGRESS ||
		    now_s() >= give_up)
			die("raw: %s answered:\n%s", what, answer);
		struct timespec pause = { 0, PBX_RELOAD_PAUSE_MS * 1000000L };
		nanosleep(&pause, NULL);
	}
}

/* Reads the answer to a CreateConfig of a file that exists (a group's file, created for its first phone): "File
 * exists", which src/pbx/apply.c apply_create_file() takes as done. */
static void raw_expect_exists(struct raw *r, const char *what)
{
	size_t n = raw_read_until(r, "\r\n\r\n");
	char answer[1024], msg[300] = "";
	snprintf(answer, sizeof answer, "%.*s", (int)n, r->in);
	memmove(r->in, r->in + n, r->len - n);
	r->len -= n;
	const char *m = strstr(answer, "\r\nMessage: ");
	if (m)
		snprintf(msg, sizeof msg, "%.*s", (int)strcspn(m + 11, "\r\n"), m + 11);
	if (strncmp(answer, "Response: Error", 15) != 0 || ami_refusal_of(msg) != AMI_REFUSAL_FILE_EXISTS)
		die("raw: %s answered (expected \"File exists\"):\n%s", what, answer);
}

static void cphase_seed(const struct args *a, SSL_CTX *ctx, const struct ccontent *cc, struct figure *f)
{
	cbegin(a, cc);
	static const char logoff[] = "Action: Logoff\r\nActionID: bye\r\n\r\n";
	struct stamp t0 = stamp_now();
	for (int i = 0; i < cc->n; i++) {
		const struct cphone *c = &cc->ph[i];
		struct raw r;
		raw_open(&r, ctx, a);                                      /* connect, TLS, banner, Login */
		for (size_t k = 0; k < c->n_seed; k++) {                   /* one UpdateConfig per action */
			raw_write(&r, c->seed[k].data, c->seed[k].len);
			raw_expect(&r, "Response: Success",
			           k < cc->seed_uc[0] ? "UpdateConfig of pjsip.conf (one action)"
			                              : "UpdateConfig of extensions.conf (one Append)");
		}
		raw_write(&r, logoff, sizeof logoff - 1);
		raw_expect(&r, "Response: Goodbye", "Logoff");
		raw_close(&r);
	}
	record(f, &t0);
	f->createconfigs = f->reloads = 0;
	f->updateconfigs = (long)cc->n * (long)(cc->seed_uc[0] + cc->seed_uc[1]);
	f->actions = f->updateconfigs + 2L * cc->n;
	ccheck_counters(cc, f, cc->n, "UpdateConfig", 0);
	ccheck_seed_files(a, cc, f);
}

static void cphase_raw(const struct args *a, SSL_CTX *ctx, const struct ccontent *cc, struct figure *f)
{
	struct raw r;
	raw_open(&r, ctx, a);
	static const char ping[] = "Action: Ping\r\nActionID: warm\r\n\r\n";
	raw_write(&r, ping, sizeof ping - 1);
	raw_expect(&r, "Response: Success", "Ping");
	cbegin(a, cc);                                                 /* warm connection, counters from here */
	static const char *const what[CREQ_KINDS][CC_FILES] = {
		{ "CreateConfig of the phone's group pjsip file", "CreateConfig of the phone's group dialplan file" },
		{ "UpdateConfig of the phone's group pjsip file", "UpdateConfig of the phone's group dialplan file" },
		{ "Reload res_pjsip.so", "Reload pbx_config.so" },
	};
	long retries = 0;
	struct stamp t0 = stamp_now();
	for (int i = 0; i < cc->n; i++) {
		const struct cphone *c = &cc->ph[i];
		for (size_t k = 0; k < c->n_raw; k++) {
			const struct creq *q = &c->raw[k];
			const char *w = what[q->kind][q->file];
			if (q->kind == CREQ_RELOAD) {
				retries += raw_reload(&r, &q->req, w);
				continue;
			}
			raw_write(&r, q->req.data, q->req.len);
			if (q->kind == CREQ_CREATE && i != c->first)
				raw_expect_exists(&r, w);   /* the group's first phone created it */
			else
				raw_expect(&r, "Response: Success", w);
		}
	}
	record(f, &t0);
	f->retries[f->n - 1] = retries;
	f->createconfigs = f->reloads = (long)CC_FILES * cc->n;
	f->updateconfigs = cc->raw_uc;
	f->actions = cc->raw_requests;
	ccheck_counters(cc, f, 0, "Reload", retries);
	ccheck_raw_files(a, cc, f);
	raw_logoff_close(&r);
}

static long sum_retries(const struct figure *f)
{
	long n = 0;
	for (int i = 0; i < f->n; i++)
		n += f->retries[i];
	return n;
}

static int run_centralita(const struct args *a, SSL_CTX *ctx)
{
	struct ccontent cc;
	ccontent_build(a, &cc);
	printf("%d phones as Centralita writes them (%zu categories and %zu variables for %s, %zu dialplan lines), AMI "
	       "over %s to %s:%d, %d rounds\n",
	       cc.n, (size_t)PBX_MAX_SECTIONS, cc.vars, cc.chan_file, cc.seed_uc[1],
	       !a->tls ? "plain TCP" : a->tls_record_max ? "TLS (records of <= --tls-record-max bytes)" : "TLS", a->host,
	       a->port, a->rounds);
	printf("per phone, Centralita's requests as src/pbx/apply.c sends them for a new phone saved by itself, %d "
	       "phones to a pair of files (pbx_phone_part(), pbx_file_add_text() of its group's phones so far, "
	       "pbx_file_updates(), pbx_reload(); built with ami_update_build() + ami_msg_serialize()):\n%s\n",
	       PBX_PHONES_PER_FILE, cc.summary);
	char seed_name[300], raw_name[300];
	snprintf(seed_name, sizeof seed_name,
	         "(b) seed: per phone conn+TLS+Login, %zu UpdateConfig of %s + %zu of %s (one action each, into the "
	         "integrator's files), Logoff",
	         cc.seed_uc[0], cc.chan_file, cc.seed_uc[1], PBX_DIALPLAN_FILE);
	snprintf(raw_name, sizeof raw_name,
	         "(c) raw: warm TLS connection, Centralita's %.1f requests per phone on average (per group file "
	         "CreateConfig, the UpdateConfigs writing it whole, Reload), by hand",
	         (double)cc.raw_requests / cc.n);
	struct figure seed = { .name = seed_name }, raw = { .name = raw_name };
	bool do_seed = !a->way || !strcmp(a->way, "seed"), do_raw = !a->way || !strcmp(a->way, "raw");
	for (int round = 0; round < a->rounds; round++) {
		if (do_seed)
			cphase_seed(a, ctx, &cc, &seed);
		if (do_raw)
			cphase_raw(a, ctx, &cc, &raw);
	}
	if (do_seed)
		print_figure(&seed, a->phones);
	if (do_raw)
		print_figure(&raw, a->phones);
	double pb = do_seed ? a->phones / best(&seed) : 0, pc = do_raw ? a->phones / best(&raw) : 0;
	if (do_seed && do_raw)
		printf("ratio (c)/(b) phones/s: %5.2f best, %5.2f median\n", pc / pb,
		       median(seed.secs, seed.n) / median(raw.secs, raw.n));
	printf("client CPU per phone, median:");
	if (do_seed)
		printf(" (b) %.0f us", 1e6 * median(seed.cpu, seed.n) / a->phones);
	if (do_raw)
		printf(" (c) %.0f us", 1e6 * median(raw.cpu, raw.n) / a->phones);
	printf("\n");
	printf("checked after every way:%s\n",
	       ctl_fd >= 0 ? " the PBX's counters as sent, reloads that ran: N res_pjsip.so + N pbx_config.so (via the "
	                     "Reload action for (c), via UpdateConfig's Reload header for (b), none lost);"
	                   : " (no control channel: the files only)");
	if (do_raw)
		printf("  (c): %s and %s untouched, %s/ = empty.conf + 2 files per group of %d phones (%d files; 3 "
		       "categories a phone / 1 category and 2 exten lines a phone); the first (c) read back with GetConfig: "
		       "each group's files hold exactly its phones' sections, each phone's own sections and exten lines in "
		       "them as wanted, and the merged %s (%zu + 3N categories) and %s show each phone once\n",
		       cc.chan_file, PBX_DIALPLAN_FILE, PBX_DIR, PBX_PHONES_PER_FILE, CC_FILES * cc.groups, cc.chan_file,
		       cc.start_cats, PBX_DIALPLAN_FILE);
	if (do_seed)
		printf("  (b): %s %zu + 3N categories, [%s] of %s %zu + 2N exten lines, %s/ = empty.conf alone; the first "
		       "(b) read back with GetConfig: each phone's endpoint, aor and auth once each with the wanted lines, "
		       "its 2 lines in [%s] once each\n",
		       cc.chan_file, cc.start_cats, a->context, PBX_DIALPLAN_FILE, cc.start_exten, PBX_DIR, a->context);
	if (a->rounds > 1)
		printf("  every later round of a way left the same bytes as its first round\n");
	if (do_raw)
		printf("(c)'s Reloads answered \"A reload is in progress\" and sent again %d ms later: %ld in %d "
		       "round(s)\n",
		       PBX_RELOAD_PAUSE_MS, sum_retries(&raw), raw.n);
	if (do_seed)
		printf("seed_phones_per_s=%.1f\nseed_updateconfigs_per_phone=%zu\n", pb, cc.seed_uc[0] + cc.seed_uc[1]);
	if (do_raw)
		printf("raw_phones_per_s=%.1f\nraw_requests_per_phone=%.1f\nraw_reload_retries=%ld\n", pc,
		       (double)cc.raw_requests / cc.n, sum_retries(&raw));
	free(cref_seed);
	free(cref_raw);
	ccontent_free(&cc);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	parse_args(argc, argv, &a);
	signal(SIGPIPE, SIG_IGN);
	ctl_fd = a.control_port > 0 ? tcp_connect_blocking("127.0.0.1", a.control_port) : -1;

	SSL_CTX *ctx = raw_ctx(&a);
	if (a.centralita) {
		int rc = run_centralita(&a, ctx);
		SSL_CTX_free(ctx);
		if (ctl_fd >= 0)
			close(ctl_fd);
		return rc;
	}
	struct ami_options o;
	pool_options(&a, &o);
	char err[400];
	struct ami_pool *pool = ami_pool_create(&o, err, sizeof err);
	if (!pool)
		die("ami_pool_create: %s", err);

	printf("%d phones (1 category + %d variables each) into an empty %s, AMI over TLS to %s:%d, %d rounds\n",
	       a.phones, N_VARS, CONF_FILE, a.host, a.port, a.rounds);
	struct figure seed = { .name = "(b) seed: per phone conn+TLS+Login, 6 UpdateConfig, Logoff" };
	struct figure lib = { .name = "(a) library: pool of 4, 1 batched UpdateConfig per phone, 1 thread" };
	struct figure raw = { .name = "(c) raw: warm TLS connection, 1 batched UpdateConfig per phone, by hand" };
	struct figure lib_mt = { .name = NULL };
	char mt_name[100];
	snprintf(mt_name, sizeof mt_name, "(a') library: pool of 4, 1 batched UpdateConfig per phone, %d threads",
	         a.threads);
	lib_mt.name = mt_name;

	/* Each round runs every way once, each from an empty file; the best round of each is compared (the machine
	 * is shared and noisy: the best round is the one least disturbed). (a) and (c) run back to back. */
	for (int round = 0; round < a.rounds; round++) {
		phase_seed(&a, ctx, &seed);
		phase_lib(&a, pool, &lib);
		phase_raw(&a, ctx, &raw);
		if (a.threads > 0)
			phase_lib_threads(&a, pool, &lib_mt);
	}
	print_figure(&lib, a.phones);
	print_figure(&seed, a.phones);
	print_figure(&raw, a.phones);
	if (a.threads > 0)
		print_figure(&lib_mt, a.phones);

	double pa = a.phones / best(&lib), pb = a.phones / best(&seed), pc = a.phones / best(&raw);
	double ma = median(lib.secs, lib.n), mb = median(seed.secs, seed.n), mc = median(raw.secs, raw.n);
	printf("ratio (a)/(b) phones/s: %5.2f best, %5.2f median   (target >= 3.00)\n", pa / pb, mb / ma);
	printf("ratio (c)/(a) phones/s: %5.2f best, %5.2f median   (target <= 1.20)\n", pc / pa, ma / mc);
	printf("client CPU per phone, median: (a) %.0f us, (c) %.0f us, (b) %.0f us\n",
	       1e6 * median(lib.cpu, lib.n) / a.phones, 1e6 * median(raw.cpu, raw.n) / a.phones,
	       1e6 * median(seed.cpu, seed.n) / a.phones);
	struct ami_pool_stats st;
	ami_pool_stats(pool, &st);
	printf("pool: %lu logins, %lu dropped, %lu connect failures; %s identical after every phase\n", st.connects,
	       st.dropped, st.connect_failures, CONF_FILE);

	ami_pool_destroy(pool);
	SSL_CTX_free(ctx);
	free(reference);
	if (ctl_fd >= 0)
		close(ctl_fd);
	return 0;
}
