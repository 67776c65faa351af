"""The daemon's robustness (issue 8, "Daemon robustness"): stop signals never kill it mid-way, accept() out of
descriptors does not spin, a failed rebuild of the registrations table is rolled back and retried, check-config
runs exactly serve's checks, and [provisioning] server is never guessed.

Each test starts its own stack (the daemon and, where it needs one, nginx and the test PBX)."""
import os
import re
import resource
import signal
import socket
import sqlite3
import struct
import subprocess
import time

import pytest

from harness import BIN, ROOT, Client, Stack, phone_file_names

INTEGRATOR = ("integra", "integrator-pass-1")


def wait_for(pred, timeout=10.0, step=0.05, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


@pytest.fixture
def stacks():
    """Stacks a test starts; each is stopped (the daemon must exit 0) and removed afterwards."""
    started = []
    yield started
    codes = []
    for s in started:
        try:
            codes.append(s.stop())
        finally:
            s.cleanup()
    assert all(c in (0, None) for c in codes), f"a daemon did not exit cleanly: {codes}"


def proc_status(pid, tid=None):
    path = f"/proc/{pid}/task/{tid}/status" if tid else f"/proc/{pid}/status"
    with open(path) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def has_signal(mask_hex, sig):
    return (int(mask_hex, 16) >> (sig - 1)) & 1 == 1


def cpu_seconds(pid):
    """User + system CPU time of the whole process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pbx(stack, cmd, **kw):
    reply = stack.pbx.control(dict(kw, cmd=cmd))
    assert reply.get("ok"), reply
    return reply


def pbx_actions(stack, name):
    return pbx(stack, "counters")["actions"].get(name, 0)


# ---------------------------------------------------------------- stop signals

def test_every_thread_blocks_the_stop_signals(stacks):
    """SIGTERM and SIGINT are blocked before any thread starts, so every thread has them blocked and only the
    main thread's sigwait takes them. Before: the applier's and the registration watcher's threads started with
    them unblocked (either one would take a signal with its default action: the process killed mid-apply)."""
    s = Stack().start()
    stacks.append(s)
    assert Client(s.port).get("/login").status == 200
    # The event connection is up: the watcher's threads all exist.
    wait_for(lambda: pbx(s, "counters")["authenticated_sessions"] >= 1, what="the event connection")
    pid = s.daemon.pid
    tids = os.listdir(f"/proc/{pid}/task")
    assert len(tids) >= 1 + 4 + 2, tids   # main, the workers, the applier, the watcher (one or two)
    # The main thread is left out: waiting in sigwait, it shows the signals it waits for as unblocked.
    unblocked = [tid for tid in tids
                 if tid != str(pid) and not (has_signal(proc_status(pid, tid)["SigBlk"], signal.SIGTERM) and
                         has_signal(proc_status(pid, tid)["SigBlk"], signal.SIGINT))]
    assert not unblocked, f"threads {unblocked} of {len(tids)} take SIGTERM/SIGINT with the default action"
    assert has_signal(proc_status(pid)["SigIgn"], signal.SIGPIPE)


def send_stop_signals(proc, seconds):
    """SIGTERM, then SIGINT and SIGTERM again and again (an impatient operator) until the process ends."""
    proc.send_signal(signal.SIGTERM)
    end = time.monotonic() + seconds
    while time.monotonic() < end and proc.poll() is None:
        time.sleep(0.01)
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                break


def test_stop_signals_during_start_up_stop_the_daemon_cleanly(stacks):
    """A stop signal that arrives while the daemon is starting waits until it is up, then stops it cleanly;
    more signals while it stops change nothing."""
    s = Stack()
    stacks.append(s)
    s.cli("migrate")
    s.daemon_log = open(s.log, "a")
    s.daemon = proc = subprocess.Popen([BIN, "-c", s.conf, "serve"], stderr=s.daemon_log)
    # As soon as the daemon has blocked the signals (that is, as early as it will ever take them calmly).
    while proc.poll() is None:
        try:
            if has_signal(proc_status(proc.pid)["SigBlk"], signal.SIGTERM):
                break
        except (FileNotFoundError, ProcessLookupError):
            pass
    send_stop_signals(proc, 3)
    code = s.stop_daemon(timeout=15)
    text = s.daemon_log_text()
    assert code == 0, f"exit status {code}\n{text}"
    assert "serving on" in text and text.rstrip().endswith("stopped"), text


def test_signals_while_a_change_is_applied_let_it_finish(stacks):
    """SIGTERM, then Ctrl-C again and again while the applier waits for Asterisk's answer: the apply finishes,
    the daemon exits 0. Before, the second signal went to the applier's thread and killed the process."""
    s = Stack(extra_conf="[asterisk]\nsave_wait = 0\n").start()
    stacks.append(s)
    s.add_user(INTEGRATOR[0], "integrator", INTEGRATOR[1])
    c = Client(s.port)
    assert c.login(*INTEGRATOR).status == 303
    pbx(s, "delay", ms=2000, action="UpdateConfig")
    before = pbx_actions(s, "UpdateConfig")
    r = c.post("/phones", {"_csrf": c.csrf(), "extension": "210", "name": "Mid apply", "model": "yealink-t46u",
                           "mac": "00:15:65:21:00:01"})
    assert r.status == 303, r.body
    wait_for(lambda: pbx_actions(s, "UpdateConfig") > before, what="the change sent to the PBX")
    send_stop_signals(s.daemon, 10)
    code = s.stop_daemon(timeout=15)
    text = s.daemon_log_text()
    assert code == 0, f"exit status {code}\n{text}"
    assert text.rstrip().endswith("stopped"), text
    # The change in flight was completed, not cut: Asterisk has the phone, and the database knows it.
    with sqlite3.connect(s.db) as db:
        pid = db.execute("SELECT id FROM phones WHERE extension = '210'").fetchone()[0]
    assert "[210]" in s.pbx_file(phone_file_names(pid)[0])
    db = sqlite3.connect(s.db)
    try:
        assert db.execute("SELECT applied_version = version FROM phones WHERE extension = '210'").fetchone() == (1,)
    finally:
        db.close()


# ---------------------------------------------------------------- accept() out of descriptors

def fcgi_get(path, sock_path, timeout=5):
    """One FastCGI GET straight to the daemon's socket, on a new connection (nginx's kept ones would hide
    whether the daemon accepts). Returns the CGI response's head and body."""
    def record(rtype, content):
        return struct.pack(">BBHHBB", 1, rtype, 1, len(content), 0, 0) + content

    def pair(k, v):
        return bytes([len(k), len(v)]) + k + v
    params = b"".join(pair(k.encode(), v.encode()) for k, v in
                      (("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", path), ("QUERY_STRING", ""),
                       ("REMOTE_ADDR", "127.0.0.1"), ("HTTP_HOST", "localhost")))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(timeout)
        c.connect(sock_path)
        c.sendall(record(1, struct.pack(">HB5x", 1, 0)) + record(4, params) + record(4, b"") + record(5, b""))
        out, data = b"", b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
            while len(data) >= 8:
                _, rtype, _, length, padding, _ = struct.unpack(">BBHHBB", data[:8])
                if len(data) < 8 + length + padding:
                    break
                if rtype == 6:
                    out += data[8:8 + length]
                data = data[8 + length + padding:]
                if rtype == 3:
                    return out.decode("utf-8", "replace")
    return out.decode("utf-8", "replace")


def test_accept_out_of_descriptors_pauses_instead_of_spinning_and_recovers(stacks):
    """With its descriptors used up, the daemon stops accepting for a while (one log line) instead of retrying
    accept() in a loop (100% CPU, a log line per try), and serves again once connections close."""
    s = Stack().start()
    stacks.append(s)
    assert Client(s.port).get("/login").status == 200
    pid = s.daemon.pid
    used = len(os.listdir(f"/proc/{pid}/fd"))
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    # A few descriptors to spare, as if nginx and the phones' fetches had taken the rest.
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (used + 4, hard))
    try:
        log_before = len(s.daemon_log_text())
        conns = []
        try:
            for _ in range(20):   # the first few are accepted and held; the rest wait in the listen backlog
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(s.socket)
                conns.append(c)
            wait_for(lambda: "accept: " in s.daemon_log_text()[log_before:], timeout=5, what="accept failing")
            cpu0 = cpu_seconds(pid)
            time.sleep(2)
            cpu = cpu_seconds(pid) - cpu0
            accept_lines = [line for line in s.daemon_log_text()[log_before:].splitlines() if "accept" in line]
            assert cpu < 0.3, f"{cpu:.2f} s of CPU in 2 s with descriptors exhausted"
            assert len(accept_lines) == 1, accept_lines[:5] + [f"... {len(accept_lines)} lines"]
            assert "Too many open files" in accept_lines[0], accept_lines[0]
        finally:
            for c in conns:
                c.close()
        # Descriptors free up as the daemon sees those connections close: it takes the waiting ones (closed
        # too), then new ones, and serves them.
        wait_for(lambda: "accepting connections again" in s.daemon_log_text()[log_before:], timeout=10,
                 what="the recovery logged")
        assert fcgi_get("/login", s.socket).startswith("Status: 200")
        assert Client(s.port).get("/login").status == 200
    finally:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------- registrations

def registrations(stack):
    db = sqlite3.connect(stack.db, timeout=10)
    try:
        return dict(db.execute("SELECT endpoint, address FROM registrations"))
    finally:
        db.close()


def test_a_failed_registrations_rebuild_is_rolled_back_and_retried(stacks):
    """When the table cannot be written as the event connection returns, the rebuild changes nothing (before,
    the emptied table was committed without the contacts) and is tried again until it works (before, it was
    forgotten until the next reconnection)."""
    s = Stack().start()
    stacks.append(s)
    # Asterisk lists the contacts of the endpoints it has: two, written by hand.
    with open(os.path.join(s.pbx_dir, "pjsip.conf"), "a") as f:
        f.write("".join(f"\n[{e}]\ntype = endpoint\naors = {e}\n" for e in ("400", "401", "402")))
    pbx(s, "reload", module="res_pjsip.so")                  # and loaded
    pbx(s, "set_contacts", endpoint="400", contacts=["sip:400@192.0.2.40:5060"])
    wait_for(lambda: registrations(s) == {"400": "192.0.2.40:5060"}, what="400 registered")
    db = sqlite3.connect(s.db, timeout=10)
    try:
        # Every write of a registration fails, as on a full disk or a damaged database.
        db.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON registrations "
                   "BEGIN SELECT RAISE(ABORT, 'test: write refused'); END")
        db.commit()
        lists = pbx_actions(s, "PJSIPShowContacts")
        pbx(s, "stop_listening", kill=True)
        pbx(s, "set_contacts", endpoint="401", contacts=["sip:401@192.0.2.41:5060"])  # no one hears the event
        pbx(s, "start_listening")
        wait_for(lambda: pbx_actions(s, "PJSIPShowContacts") > lists, what="the rebuild after reconnecting")
        time.sleep(0.5)
        assert registrations(s) == {"400": "192.0.2.40:5060"}, "a failed rebuild must leave the table as it was"
        wait_for(lambda: "registrations: cannot rebuild the table" in s.daemon_log_text(), timeout=5,
                 what="the failure logged")
        db.execute("DROP TRIGGER test_refuse")
        db.commit()
        want = {"400": "192.0.2.40:5060", "401": "192.0.2.41:5060"}
        wait_for(lambda: registrations(s) == want, timeout=5, what="the rebuild retried without a reconnection")
        assert "registrations: table rebuilt after" in s.daemon_log_text()

        # An event that cannot be written, the connection up: the table is rebuilt (once it can be) rather than
        # left without that phone until its next event.
        db.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON registrations "
                   "BEGIN SELECT RAISE(ABORT, 'test: write refused'); END")
        db.commit()
        pbx(s, "set_contacts", endpoint="402", contacts=["sip:402@192.0.2.42:5060"])
        wait_for(lambda: "registrations: cannot record 402: test: write refused" in s.daemon_log_text(), timeout=5,
                 what="the failed event logged")
        db.execute("DROP TRIGGER test_refuse")
        db.commit()
    finally:
        db.close()
    want["402"] = "192.0.2.42:5060"
    wait_for(lambda: registrations(s) == want, timeout=5, what="the table rebuilt after the failed event")


# ---------------------------------------------------------------- configuration: check-config is serve's check

def conf_variant(stack, replace=(), append=""):
    text = open(stack.conf).read()
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    path = os.path.join(stack.dir, "variant.conf")
    with open(path, "w") as f:
        f.write(text + append)
    return path, len((text + append).splitlines())


def serve_and_check(stack, conf):
    """(check-config's status and message, serve's status and message) for conf."""
    check = subprocess.run([BIN, "-c", conf, "check-config"], capture_output=True, text=True, timeout=30)
    serve = subprocess.run([BIN, "-c", conf, "serve"], capture_output=True, text=True, timeout=30)
    assert not os.path.exists(stack.socket), "serve started"
    for out in (check.stderr, serve.stderr):   # with CENTRALITA_BIN pointing at the sanitizer build
        assert "Sanitizer" not in out and "runtime error:" not in out, out
    check_msg = check.stderr.strip().removeprefix("centralita: ")
    m = re.search(r"configuration: (.*)", serve.stderr)
    return (check.returncode, check_msg), (serve.returncode, m.group(1).strip() if m else serve.stderr)


@pytest.mark.parametrize("name,replace,append,want", [
    ("context", (), "[asterisk]\ncontext = from internal\n",
     "{conf}:{n1}: [asterisk] context: 'from internal': letters, digits, '_' and '-' only"),
    ("codecs", (), "[asterisk]\ncodecs = ulaw,g.729\n", "{conf}:{n1}: [asterisk] codecs: 'g.729' is not a valid item"),
    ("server empty", (), "[provisioning]\nserver =\n", "{conf}:{n1}: [provisioning] server: not set: give the address"),
    ("server missing", (("server = 192.0.2.10\n", ""),), "", "{conf}: [provisioning] server: not set"),
    ("server syntax", (), "[provisioning]\nserver = 192.0.2.10:5060\n",
     "{conf}:{n1}: [provisioning] server: '192.0.2.10:5060': server must be a host name"),
    ("username", (), "[ami]\nusername =\n", "{conf}:{n1}: [ami] username: empty"),
    ("cafile", (), "[ami]\ntls = yes\ncafile = /nonexistent/ca.pem\n",
     "{conf}:{n1}: [ami] cafile: TLS: cannot load CA file"),
])
def test_check_config_refuses_what_serve_refuses_naming_the_line(name, replace, append, want):
    s = Stack(pbx=False)
    try:
        s.cli("migrate")
        conf, lines = conf_variant(s, replace, append)
        # The appended key is on the file's last line (n1); the wanted message says exactly where.
        want = want.format(conf=conf, n1=lines)
        (check_rc, check_msg), (serve_rc, serve_msg) = serve_and_check(s, conf)
        assert check_rc == 1 and check_msg.startswith(want), (check_rc, check_msg, want)
        assert serve_rc == 1 and serve_msg == check_msg, (serve_rc, serve_msg, check_msg)
    finally:
        s.cleanup()


def test_check_config_accepts_what_serve_starts_with(stacks):
    s = Stack(pbx=False)
    stacks.append(s)
    r = s.cli("check-config")
    assert r.stdout == "configuration OK\n"
    s.start()
    assert Client(s.port).get("/login").status == 200


def test_the_shipped_sample_asks_for_the_provisioning_server():
    """The sample, as installed, lacks only the one required key: check-config says which, and where."""
    sample = os.path.join(ROOT, "etc", "centralita.conf.sample")
    r = subprocess.run([BIN, "-c", sample, "check-config"], capture_output=True, text=True)
    line = next(i for i, l in enumerate(open(sample).read().splitlines(), 1) if l.startswith("server ="))
    assert r.returncode == 1 and f"{sample}:{line}: [provisioning] server: not set" in r.stderr, r.stderr
