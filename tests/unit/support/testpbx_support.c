/* testpbx_support: spawn and control the Python test PBX for unit tests (see testpbx_support.h). */
#include "testpbx_support.h"
#include "ami/ami.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char PBX_SCRIPT[] = "tests/pbx/testpbx.py";

bool testpbx_available(void)
{
	return access(PBX_SCRIPT, R_OK) == 0 && access("/usr/bin/python3", X_OK) == 0 &&
	       access("/usr/bin/openssl", X_OK) == 0;
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "testpbx: command failed (%d): %s\n", rc, cmd);
	return rc == 0 ? 0 : -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int cert_fingerprint(const char *path, char out[96])
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return -1;
	unsigned char md[32];
	unsigned int len = 0;
	X509_digest(x, EVP_sha256(), md, &len);
	X509_free(x);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 3 * i, 4, i < 31 ? "%02X:" : "%02X", md[i]);
	return 0;
}

/* A CA, a server certificate it signs (SAN localhost + 127.0.0.1), and an unrelated self-signed CA. */
static int make_certs(struct testpbx *t)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
	         "cd %s && "
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	         "  -subj /CN=centralita-test-ca -keyout ca.key -out ca.pem 2>/dev/null && "
	         "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost "
	         "  -keyout server.key -out server.csr 2>/dev/null && "
	         "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext.cnf && "
	         "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
	         "  -extfile ext.cnf -out server.pem 2>/dev/null && "
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
	         "  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
	         "  -keyout other.key -out other.pem 2>/dev/null",
	         t->dir);
	if (run(cmd) != 0)
		return -1;
	snprintf(t->cafile, sizeof t->cafile, "%s/ca.pem", t->dir);
	snprintf(t->other_cafile, sizeof t->other_cafile, "%s/other.pem", t->dir);
	char path[400];
	snprintf(path, sizeof path, "%s/server.pem", t->dir);
	if (cert_fingerprint(path, t->fingerprint) != 0 || cert_fingerprint(t->other_cafile, t->other_fingerprint))
		return -1;
	return 0;
}

static int connect_control(struct testpbx *t)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t->control_port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	t->ctl_fd = fd;
	return 0;
}

int testpbx_start(struct testpbx *t)
{
	memset(t, 0, sizeof *t);
	t->pid = -1;
	t->ctl_fd = -1;
	snprintf(t->dir, sizeof t->dir, "/tmp/centralita-testpbx-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->confdir, sizeof t->confdir, "%s/conf", t->dir);
	char path[400];
	if (mkdir(t->confdir, 0700) != 0 || make_certs(t) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/manager.conf", t->dir);
	if (write_file(path, "[general]\n"
	                     "[admin]\nsecret = " TESTPBX_ADMIN_SECRET "\nread = all\nwrite = all\n"
	                     "[limited]\nsecret = " TESTPBX_LIMITED_SECRET "\nread = call,reporting\n"
	                     "write = originate\n") != 0)
		return -1;
	int out[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(out[1], 1);
		char cert[400], key[400];
		snprintf(cert, sizeof cert, "%s/server.pem", t->dir);
		snprintf(key, sizeof key, "%s/server.key", t->dir);
		execl("/usr/bin/python3", "python3", PBX_SCRIPT, "--dir", t->confdir, "--users", path, "--port", "0",
		      "--tls-port", "0", "--cert", cert, "--key", key, "--control-port", "0", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	t->pid = pid;
	/* Wait for "READY port=N tls_port=N control_port=N". */
	char line[256];
	size_t len = 0;
	for (;;) {
		struct pollfd pf = { .fd = out[0], .events = POLLIN };
		if (poll(&pf, 1, 15000) <= 0 || len + 1 >= sizeof line) {
			fprintf(stderr, "testpbx: no READY line\n");
			close(out[0]);
			return -1;
		}
		ssize_t n = read(out[0], line + len, 1);
		if (n <= 0) {
			fprintf(stderr, "testpbx: exited before READY\n");
			close(out[0]);
			return -1;
		}
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	close(out[0]);
	if (sscanf(line, "READY port=%d tls_port=%d control_port=%d", &t->port, &t->tls_port, &t->control_port) != 3) {
		fprintf(stderr, "testpbx: unexpected line: %s\n", line);
		return -1;
	}
	return connect_control(t);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void testpbx_stop(struct testpbx *t)
{
	if (t->ctl_fd >= 0)
		close(t->ctl_fd);
	t->ctl_fd = -1;
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		int status;
		for (int i = 0; i < 50; i++) {
			if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
				t->pid = -1;
				break;
			}
			usleep(20 * 1000);
		}
		if (t->pid > 0) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &status, 0);
		}
		t->pid = -1;
	}
	if (t->dir[0])
		nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	t->dir[0] = '\0';
}

int testpbx_control(struct testpbx *t, const char *json, char *reply, size_t replylen)
{
	if (t->ctl_fd < 0 && connect_control(t) != 0)
		return -1;
	size_t len = strlen(json);
	if (write(t->ctl_fd, json, len) != (ssize_t)len || write(t->ctl_fd, "\n", 1) != 1)
		return -1;
	size_t got = 0;
	while (got + 1 < replylen) {
		struct pollfd pf = { .fd = t->ctl_fd, .events = POLLIN };
		if (poll(&pf, 1, 10000) <= 0)
			return -1;
		ssize_t n = read(t->ctl_fd, reply + got, 1);
		if (n <= 0)
			return -1;
		if (reply[got] == '\n')
			break;
		got++;
	}
	reply[got] = '\0';
	return strstr(reply, "\"ok\": true") ? 0 : -1;
}

long testpbx_action_count(struct testpbx *t, const char *action)
{
	char reply[8192], key[128];
	if (testpbx_control(t, "{\"cmd\": \"counters\"}", reply, sizeof reply) != 0)
		return -1;
	snprintf(key, sizeof key, "\"%s\": ", action);
	const char *actions = strstr(reply, "\"actions\": {");
	if (!actions)
		return -1;
	const char *end = strchr(actions, '}');
	const char *p = strstr(actions, key);
	if (!p || p > end)
		return 0;
	return strtol(p + strlen(key), NULL, 10);
}

void testpbx_options(const struct testpbx *t, struct ami_options *o)
{
	ami_options_defaults(o);
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	o->port = t->port;
	o->tls = false;
	snprintf(o->username, sizeof o->username, "admin");
	snprintf(o->secret, sizeof o->secret, "%s", TESTPBX_ADMIN_SECRET);
	o->auth = AMI_AUTH_PLAIN;
	o->pool_size = 4;
	o->connect_timeout_ms = 3000;
	o->io_timeout_ms = 5000;
	o->keepalive_s = 0;
	o->backoff_initial_ms = 50;
	o->backoff_max_ms = 400;
}

char *testpbx_read_conf(const struct testpbx *t, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", t->confdir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	size_t n;
	while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			s = realloc(s, cap);
		}
	}
	s[len] = '\0';
	fclose(f);
	return s;
}
