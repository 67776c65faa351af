"""Starts a real Centralita stack for tests and benchmarks: the daemon (build/centralita serve) on a unix
socket and a real nginx in front of it on a free loopback port, each in its own temporary directory.

Also a tiny HTTP client that keeps cookies and never follows redirects, so tests see every 303."""
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CENTRALITA_BIN", os.path.join(ROOT, "build", "centralita"))
sys.path.insert(0, os.path.join(ROOT, "tests", "pbx"))
import testpbx  # noqa: E402

AMI_USER = "centralita"
AMI_SECRET = "ami-secret-for-tests-0123456789"
# The least-privilege manager.conf user the README documents.
AMI_USERS = {AMI_USER: {"secret": AMI_SECRET, "read": "system,call,cdr,reporting", "write": "config,system,command"}}
# The integrator's files, with the one-time set-up the README asks for: Centralita's folder of files included
# (Centralita adds "include => centralita-phones" to the phones' context itself).
PJSIP_CONF = """[transport-udp]
type = transport
protocol = udp
bind = 0.0.0.0

#tryinclude centralita/pjsip-*.conf
"""
EXTENSIONS_CONF = """[general]
static = yes

[internal]
exten => 600,1,VoiceMailMain()

#tryinclude centralita/dialplan-*.conf
"""


PHONES_PER_FILE = 4   # src/pbx/pbx.h PBX_PHONES_PER_FILE


def phone_file_names(pid):
    """Centralita's two files holding phone pid's part, relative to Asterisk's configuration directory
    (src/pbx/pbx.h pbx_phone_files: PHONES_PER_FILE phones a pair, by id)."""
    first = (pid - 1) // PHONES_PER_FILE * PHONES_PER_FILE + 1
    span = f"{first}-{first + PHONES_PER_FILE - 1}"
    return f"centralita/pjsip-phones-{span}.conf", f"centralita/dialplan-phones-{span}.conf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PBXProcess:
    """The test PBX in its own process (for benchmarks: in-process it would share this interpreter's lock
    with the HTTP client). Same .tls_port / .control() / .stop() as testpbx.TestPBX."""

    def __init__(self, confdir, users, cert, key, workdir):
        users_file = os.path.join(workdir, "manager.conf")
        with open(users_file, "w") as f:
            f.write(testpbx.users_text(users))
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "pbx", "testpbx.py"), "--dir",
                                      confdir, "--users", users_file, "--tls-port", "0", "--cert", cert, "--key",
                                      key], stdout=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise RuntimeError("testpbx did not start")
        ports = dict(kv.split("=") for kv in ready[1:])
        self.port, self.tls_port = int(ports["port"]), int(ports["tls_port"])
        self.ctl = testpbx.Control(int(ports["control_port"]))

    def control(self, req):
        req = dict(req)
        return self.ctl.call(req.pop("cmd"), **req)

    def stop(self):
        self.ctl.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # list of (name, value)
        self.body = body                # str

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def csrf(self):
        m = re.search(r'name="_csrf" value="([0-9a-f]*)"', self.body)
        return m.group(1) if m else None


class Client:
    """One browser-like user: cookies kept, redirects not followed."""

    def __init__(self, port, accept_language=None, tls=False):
        self.port = port
        self.tls = tls
        self.cookies = {}
        self.accept_language = accept_language

    def request(self, method, path, body=None, headers=None, content_type="application/x-www-form-urlencoded"):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # the test certificate is self-signed
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.accept_language:
            h["Accept-Language"] = self.accept_language
        if body is not None:
            if isinstance(body, dict) or isinstance(body, list):
                body = urllib.parse.urlencode(body)
            if isinstance(body, str):
                body = body.encode()
            h.setdefault("Content-Type", content_type)
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        headers_list = r.getheaders()
        conn.close()
        for k, v in headers_list:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return Response(r.status, headers_list, data)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields, **kw):
        return self.request("POST", path, body=fields, **kw)

    def post_file(self, path, fields, name, filename, data, file_type="text/csv"):
        """POST path as a browser sends a form with a file (multipart/form-data): the fields, then the file."""
        boundary = "----centralita" + uuid.uuid4().hex
        body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                        for k, v in fields.items())
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: {file_type}\r\n\r\n").encode()
        body += (data.encode() if isinstance(data, str) else data) + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, body=body, content_type=f"multipart/form-data; boundary={boundary}")

    def login(self, user, password):
        token = self.get("/login").csrf()
        return self.post("/login", {"_csrf": token, "username": user, "password": password})

    def csrf(self):
        return self.get("/").csrf()



class EventStream:
    """An EventSource-like reader of a Server-Sent Events URL through nginx: the messages as they arrive."""

    def __init__(self, stack, client, path):
        self.conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        self.conn.request("GET", path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        self.r = self.conn.getresponse()

    def next(self, timeout=10.0):
        """The next message as (event, data), skipping comments and retry lines; None at the stream's end."""
        self.conn.sock.settimeout(timeout)
        event, data = None, []
        while True:
            line = self.r.fp.readline().decode("utf-8")
            if line == "":
                return None
            line = line.rstrip("\n")
            if line == "":
                if event or data:
                    return event, "\n".join(data)
                continue
            if line.startswith(":") or line.startswith("retry:"):
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)

    def close(self):
        self.conn.close()


class Stack:
    """Daemon + nginx. start() returns self; stop() checks the daemon exited cleanly."""

    def __init__(self, threads=4, extra_conf="", pbx=True, pbx_running=True, pbx_process=False, ami=None,
                 asterisk_context=None):
        """ami: an external AMI endpoint instead of the test PBX (make acceptance: a real Asterisk), a dict with
        host, port, tls (bool), fingerprint (when tls), username, secret, and optionally auth (default md5) and
        timeout (ms, default 5000). asterisk_context: [asterisk] context (default: the program's, internal)."""
        self.dir = tempfile.mkdtemp(prefix="centralita-test-")
        os.chmod(self.dir, 0o755)
        self.prov_dir = os.path.join(self.dir, "provisioning")
        self.pbx = None
        ami_conf = "tls = no\nhost = 127.0.0.1\nport = 9\n"
        if ami is not None:
            pbx = False
            ami_conf = (f"host = {ami['host']}\nport = {ami['port']}\ntls = {'yes' if ami['tls'] else 'no'}\n" +
                        (f"fingerprint = {ami['fingerprint']}\n" if ami['tls'] else "") +
                        f"username = {ami['username']}\nsecret = {ami['secret']}\nauth = {ami.get('auth', 'md5')}\n"
                        f"timeout = {ami.get('timeout', 5000)}\n")
        if pbx:
            # A test PBX over TLS, trusted by pinning its certificate's SHA-256 fingerprint.
            self.pbx_dir = os.path.join(self.dir, "asterisk")
            os.makedirs(self.pbx_dir)
            with open(os.path.join(self.pbx_dir, "pjsip.conf"), "w") as f:
                f.write(PJSIP_CONF)
            with open(os.path.join(self.pbx_dir, "extensions.conf"), "w") as f:
                f.write(EXTENSIONS_CONF)
            os.makedirs(os.path.join(self.pbx_dir, "centralita"))
            cert, key = testpbx.make_cert(self.dir)
            fp = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"],
                                capture_output=True, text=True, check=True).stdout.strip().split("=", 1)[1]
            if pbx_process:
                self.pbx = PBXProcess(self.pbx_dir, AMI_USERS, cert, key, self.dir)
            else:
                self.pbx = testpbx.TestPBX(self.pbx_dir, users=AMI_USERS, tls_port=0, cert=cert, key=key)
                self.pbx.start()
            ami_conf = (f"host = 127.0.0.1\nport = {self.pbx.tls_port}\ntls = yes\nfingerprint = {fp}\n"
                        f"username = {AMI_USER}\nsecret = {AMI_SECRET}\nauth = md5\ntimeout = 5000\n")
            if not pbx_running:
                self.pbx.control({"cmd": "stop_listening", "kill": True})
        self.port = free_port()
        self.tls_port = free_port()
        self.socket = os.path.join(self.dir, "run", "centralita.sock")
        self.db = os.path.join(self.dir, "centralita.db")
        self.conf = os.path.join(self.dir, "centralita.conf")
        self.log = os.path.join(self.dir, "daemon.log")
        os.makedirs(os.path.dirname(self.socket))
        os.chmod(os.path.dirname(self.socket), 0o755)
        with open(self.conf, "w") as f:
            f.write(f"""[web]
socket = {self.socket}
socket_mode = 0666
threads = {threads}
templates = {ROOT}/templates
[database]
path = {self.db}
[ami]
{ami_conf}
[asterisk]
retry_interval = 1
{f"context = {asterisk_context}{chr(10)}" if asterisk_context else ""}[provisioning]
dir = {self.prov_dir}
templates = {ROOT}/provisioning
server = 192.0.2.10
user = phone
password = prov-password-123
{extra_conf}
""")
        self.daemon = None
        self.nginx = None
        self.passwords = {}

    def cli(self, *args, stdin=None, check=True):
        return subprocess.run([BIN, "-c", self.conf, *args], input=stdin, capture_output=True, text=True,
                              check=check, timeout=60)

    def add_user(self, name, role, password):
        self.cli("adduser", name, "--role", role, stdin=password + "\n")
        self.passwords[name] = password

    def start(self):
        """Starts everything; if any part fails, what did start is stopped and removed again."""
        try:
            return self._start()
        except BaseException:
            try:
                self.stop()
            finally:
                self.cleanup()
            raise

    def _start(self):
        self.cli("migrate")
        self.start_daemon()
        nginx_dir = os.path.join(self.dir, "nginx")
        os.makedirs(nginx_dir)
        cert, key = os.path.join(nginx_dir, "cert.pem"), os.path.join(nginx_dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-keyout", key, "-out", cert], capture_output=True, check=True)
        env = dict(os.environ, TLS_PORT=str(self.tls_port), TLS_CERT=cert, TLS_KEY=key)
        os.makedirs(self.prov_dir, exist_ok=True)
        subprocess.run(["chgrp", "nogroup", self.prov_dir], check=False)
        os.chmod(self.prov_dir, 0o2750)
        conf = subprocess.run([os.path.join(ROOT, "scripts", "nginx-conf.sh"), str(self.port), self.conf, nginx_dir],
                              capture_output=True, text=True, check=True, env=env)
        with open(os.path.join(nginx_dir, "nginx.conf"), "w") as f:
            f.write(conf.stdout)
        self.nginx = subprocess.Popen(["nginx", "-p", nginx_dir, "-c", "nginx.conf", "-e",
                                       os.path.join(nginx_dir, "logs", "error.log")])
        self.wait_http()
        return self

    def start_daemon(self):
        if os.path.exists(self.socket):  # left by a killed daemon; wait for the new one's
            os.unlink(self.socket)
        self.daemon_log = open(self.log, "a")
        self.daemon = subprocess.Popen([BIN, "-c", self.conf, "serve"], stderr=self.daemon_log)
        for _ in range(100):
            if os.path.exists(self.socket):
                return
            if self.daemon.poll() is not None:
                raise RuntimeError("daemon exited: " + open(self.log).read())
            time.sleep(0.05)
        raise RuntimeError("daemon did not create its socket")

    def wait_http(self):
        for _ in range(100):
            try:
                if Client(self.port).get("/login").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("nginx did not answer")

    def stop_daemon(self, sig=signal.SIGTERM, timeout=15):
        if not self.daemon:
            return None
        self.daemon.send_signal(sig)
        code = self.daemon.wait(timeout=timeout)
        self.daemon_log.close()
        self.daemon = None
        # With CENTRALITA_BIN pointing at the sanitizer build, any report fails the test that caused it.
        log = self.daemon_log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert marker not in log, log[log.index(marker) - 200:][:3000]
        return code

    def stop(self):
        try:
            return self.stop_daemon()
        finally:  # nginx goes too, even when the daemon's stop reports a failure
            if self.nginx:
                self.nginx.send_signal(signal.SIGQUIT)
                self.nginx.wait(timeout=15)
                self.nginx = None

    def cleanup(self):
        if self.pbx:
            self.pbx.stop()
            self.pbx = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def pbx_file(self, name):
        with open(os.path.join(self.pbx_dir, name)) as f:
            return f.read()

    def daemon_log_text(self):
        with open(self.log) as f:
            return f.read()


def route_table():
    """[(method, pattern, role, csrf)] as the binary itself reports it."""
    out = subprocess.run([BIN, "routes"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        method, pattern, role, csrf = line.split()
        rows.append((method, pattern, role, csrf == "csrf"))
    return rows
