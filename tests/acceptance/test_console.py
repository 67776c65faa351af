"""The debug console against the real Asterisk: /console shows the last lines of Asterisk's own messages log
([console] log = PREFIX/var/log/asterisk/messages, conftest's stack), follow mode delivers the NOTICE Asterisk logs
for a REGISTER with a wrong password within a second of Asterisk writing it, and the CLI box answers
`core show uptime` and `pjsip show endpoints` from Asterisk, refuses `core stop now` and its disguises before
sending anything, and Asterisk is still up (same pid) afterwards; every CLI use leaves one audit row."""
import html
import http.client
import json
import os
import re
import sqlite3
import threading
import time

import asterisk as ast
from test_phones import assert_saved, sipp
from web import NOTES, add_phone, remove_phone, wait_for

EXT = "291"   # no other acceptance test uses it
SIPP_PORT = 5095


def shown_lines(body):
    start = body.index('id="log-lines"')
    items = body[start:body.index("</ol>", start)].split('<li class="')[1:]
    return [(i.partition('">')[0], html.unescape(i.partition('">')[2].split("</li>")[0])) for i in items]


def test_console_shows_the_end_of_asterisks_log(stack, integrator):
    r = integrator.get("/console?lines=50")
    assert r.status == 200 and 'data-error' not in r.body, r.body[-2000:]
    lines = shown_lines(r.body)
    assert len(lines) == 50
    # The file's own last lines (it may have grown since the page read it: the page's are among the last ones).
    with open(ast.LOG, "rb") as f:
        f.seek(max(0, os.path.getsize(ast.LOG) - 256 * 1024))
        tail = f.read().decode("utf-8", "replace").splitlines()
    assert lines[-1][1] in tail[-200:] and lines[0][1] in tail
    assert {c for c, _ in lines} <= {"log-notice", "log-warning", "log-error", "log-verbose", "log-none",
                                     "log-security", "log-debug", "log-dtmf", "log-other"}
    # Each line's colour is its level's (which levels the last 50 hold depends on what ran before).
    for c, t in lines:
        level = re.search(r"^\[[^\]]+\] ([A-Z]+)\[", t)
        if level and level.group(1) in ("NOTICE", "WARNING", "ERROR", "VERBOSE", "SECURITY", "DEBUG", "DTMF"):
            assert c == "log-" + level.group(1).lower(), (c, t)
    assert any(c != "log-none" for c, _ in lines), lines
    errors = shown_lines(integrator.get("/console?level=error&lines=5").body)
    assert errors and all(c == "log-error" and "] ERROR[" in t for c, t in errors)
    d = integrator.get("/console.txt?level=notice&lines=20")
    assert d.status == 200 and d.header("Content-Disposition").startswith("attachment")
    assert all("] NOTICE[" in l for l in d.body.splitlines()) and len(d.body.splitlines()) <= 20
    NOTES.append(f"console: {os.path.getsize(ast.LOG)} bytes of {ast.LOG}; last 50 lines shown, filters and download "
                 f"work")


class Events:
    def __init__(self, stack, client, query):
        self.conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=15)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        self.conn.request("GET", "/console/events" + query, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        self.r = self.conn.getresponse()
        assert self.r.status == 200

    def next(self, timeout):
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


def test_follow_shows_a_failed_register_within_a_second(stack, integrator, owner):
    r, dt = add_phone(owner, EXT, "Console test", "yealink-t46u", "00:15:65:AC:02:91")
    assert_saved(r, dt)
    marker = f"'REGISTER' from '<sip:{EXT}@"
    events = Events(stack, integrator, f"?level=notice&q={EXT}")
    assert events.next(5) == ("file", '""')
    # When the line reaches the file, seen by polling the file itself every 10 ms.
    written = {}
    start_size = os.path.getsize(ast.LOG)

    def watch():
        end = time.monotonic() + 20
        while time.monotonic() < end and "at" not in written:
            with open(ast.LOG, "rb") as f:
                f.seek(start_size)
                if marker.encode() in f.read():
                    written["at"] = time.monotonic()
                    return
            time.sleep(0.01)
    watcher = threading.Thread(target=watch)
    watcher.start()
    rc, log = sipp("register.xml", SIPP_PORT, EXT, password="not-the-secret", timeout=8)
    assert rc != 0, "REGISTER with a wrong password succeeded\n" + log[-4000:]
    ev = events.next(10)
    arrived = time.monotonic()
    watcher.join()
    assert ev and ev[0] == "line", ev
    line = json.loads(ev[1])
    assert line["level"] == "notice" and marker in line["text"] and "Failed to authenticate" in line["text"], line
    assert "at" in written, "the line never reached the file"
    delay = arrived - written["at"]
    assert delay < 1.0, f"{delay:.3f} s from the file to the page"
    NOTES.append(f"console follow: Asterisk's NOTICE for {EXT}'s failed REGISTER reached the stream "
                 f"{max(delay, 0) * 1000:.0f} ms after it reached the file")
    events.conn.close()
    r, dt = remove_phone(owner, EXT)
    assert_saved(r, dt, done="removed")


def run_cli(client, command):
    token = client.get("/console").csrf()
    return client.post("/console/cli", {"_csrf": token, "command": command})


def audit_rows(stack):
    with sqlite3.connect(stack.db) as db:
        return db.execute("SELECT object, outcome, output FROM audit WHERE action = 'cli.command' ORDER BY id").fetchall()


def test_cli_box_answers_from_asterisk_and_refuses_the_rest(stack, integrator):
    seen = len(audit_rows(stack))
    r = run_cli(integrator, "core show uptime")
    assert r.status == 200 and 'data-result="ok"' in r.body, r.body[-3000:]
    out = html.unescape(r.body.split('id="cli-output">')[1].split("</pre>")[0])
    assert out.startswith("System uptime:"), out
    r = run_cli(integrator, "pjsip show endpoints")
    out = html.unescape(r.body.split('id="cli-output">')[1].split("</pre>")[0])
    assert "Endpoint:" in out and "250" in out, out   # the integrator's door phone
    started = ast.pid()
    disguises = ["core stop now", "CORE STOP NOW", "  core stop now", "core  stop now", "core show uptime; core stop now",
                 "core show uptime\r\ncore stop now", "!kill 1", "core restart now"]
    for cmd in disguises:
        r = run_cli(integrator, cmd)
        assert r.status == 422 and 'id="cli-refused"' in r.body, cmd
    time.sleep(0.5)
    assert ast.running() and ast.pid() == started, "Asterisk stopped or restarted"
    rows = audit_rows(stack)[seen:]
    assert len(rows) == 2 + len(disguises)
    assert rows[0][:2] == ("core show uptime", "ok") and rows[0][2].startswith("System uptime:")
    assert all(o.startswith("refused: ") for _, o, _ in rows[2:])
    NOTES.append(f"console CLI box: core show uptime and pjsip show endpoints answered by Asterisk; {len(disguises)} "
                 f"disguises of core stop now refused before sending; Asterisk still up (pid {started})")
