"""The debug console (issue 12) through nginx with the test PBX: the end of a log file ([console] log) filtered by
level and text and coloured by level, its download (filtered, attachment), follow mode over Server-Sent Events (a
line appended to the file arrives within 1 s), a missing or unreadable log explained with HTTP 200, integrators
only (owners get 403 everywhere), and the CLI box: an allowed command answers with the test PBX's output, refused
ones never reach the PBX (its action counters), and every use leaves exactly one audit row."""
import html
import json
import os
import sqlite3
import time
import urllib.parse

import pytest

from harness import Client, EventStream, Stack

LINES = [
    "[Dec  2 06:46:01] NOTICE[1001] chan_pjsip.c: notice one",
    "[Dec  2 06:46:02] WARNING[1002][C-00000001] res_pjsip.c: warning <b>bold</b> one",
    "[Dec  2 06:46:03] ERROR[1003] pbx.c: error one",
    "  a continuation line",
    "[Dec  2 06:46:04] VERBOSE[1004] pbx.c:   == Spawn extension ñandú €",
    "[Dec  2 06:46:05] SECURITY[1005] res_security_log.c: SecurityEvent=\"InvalidPassword\"",
    "[Dec  2 06:46:06] WARNING[1006] chan_pjsip.c: warning two",
]


CONTENT = (b"[Dec  2 06:00:00] NOTICE[1] old.c: old line 0\n" + ("\n".join(LINES) + "\n").encode() +
           b"[Dec  2 06:46:07] ERROR[1007] bad.c: garbage \xff\xfe\x01\x1b[31m end\n")


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    return tmp_path_factory.mktemp("console") / "messages"


@pytest.fixture
def log(log_path):
    """The log as every test starts with it (tests append, remove or replace it)."""
    if log_path.is_dir():
        log_path.rmdir()
    log_path.write_bytes(CONTENT)
    return log_path


# One stack for the module (starting one costs seconds): tests count audit rows and PBX actions as differences.
@pytest.fixture(scope="module")
def stack(log_path):
    # 8 threads: at most 4 streams. A stream the client closed holds its slot until the daemon next writes to it
    # (a line, or the heartbeat): the follow test's two would fill the 2 slots of 4 threads.
    s = Stack(threads=8, extra_conf=f"[console]\nlog = {log_path}\nlines = 5\n").start()
    s.add_user("owner", "owner", "owner-password-1")
    s.add_user("inte", "integrator", "inte-password-1")
    yield s
    try:
        assert s.stop() in (0, None)
    finally:
        s.cleanup()


def logged_in(stack, user):
    c = Client(stack.port)
    assert c.login(user, stack.passwords[user]).status == 303
    return c


def shown_lines(body):
    """(class, text) of each line of the log list, unescaped."""
    out = []
    start = body.index('id="log-lines"')
    end = body.index("</ol>", start)
    for part in body[start:end].split("<li class=\"")[1:]:
        cls, _, rest = part.partition('">')
        out.append((cls, html.unescape(rest.split("</li>")[0])))
    return out


def test_page_shows_the_tail_filtered_and_coloured(stack, log):
    inte = logged_in(stack, "inte")
    r = inte.get("/console")
    assert r.status == 200
    assert "style-src 'self'" in r.header("Content-Security-Policy") and "'unsafe-inline'" not in r.body
    assert '<script src="/static/console.js" defer></script>' in r.body
    assert str(log) in html.unescape(r.body)
    lines = shown_lines(r.body)
    assert len(lines) == 5  # [console] lines
    assert lines[-1][0] == "log-error" and lines[-1][1].endswith("garbage \ufffd\ufffd\ufffd\ufffd[31m end")
    assert ("log-security", LINES[5]) in lines and ("log-verbose", LINES[4]) in lines
    assert ("log-none", LINES[3]) in lines
    # Markup in a line is text.
    r = inte.get("/console?lines=10")
    assert "<b>bold</b>" not in r.body and "&lt;b&gt;bold&lt;/b&gt;" in r.body
    assert len(shown_lines(r.body)) == 9
    assert ("log-warning", LINES[1]) in shown_lines(r.body)
    # By level.
    lines = shown_lines(inte.get("/console?level=warning").body)
    assert [t for _, t in lines] == [LINES[1], LINES[6]]
    # By text, case ignored, with the level.
    lines = shown_lines(inte.get("/console?level=warning&q=CHAN_PJSIP").body)
    assert [t for _, t in lines] == [LINES[6]]
    lines = shown_lines(inte.get("/console?q=" + urllib.parse.quote("ñandú")).body)
    assert [t for _, t in lines] == [LINES[4]]
    # Bad filter values are refused with a message, never used.
    r = inte.get("/console?level=bogus&lines=0")
    assert r.status == 200 and 'class="field-error"' in r.body


def test_download_is_filtered_text(stack, log):
    inte = logged_in(stack, "inte")
    r = inte.get("/console.txt?level=error&lines=10")
    assert r.status == 200
    assert r.header("Content-Type").startswith("text/plain")
    assert r.header("Content-Disposition").startswith("attachment;")
    assert r.body.splitlines() == [LINES[2], "[Dec  2 06:46:07] ERROR[1007] bad.c: garbage \ufffd\ufffd\ufffd\ufffd[31m end"]
    r = inte.get("/console.txt?lines=100")
    assert r.body.count("\n") == 9 and r.body.startswith("[Dec  2 06:00:00] NOTICE[1] old.c: old line 0\n")


class Events(EventStream):
    """/console/events, with its filters."""

    def __init__(self, stack, client, query=""):
        super().__init__(stack, client, "/console/events" + query)


def test_follow_streams_appended_lines_within_a_second(stack, log):
    inte = logged_in(stack, "inte")
    assert inte.get("/console/events").status == 406  # not an EventSource
    s = Events(stack, inte, "?level=warning")
    assert s.r.status == 200 and s.r.getheader("Content-Type").startswith("text/event-stream")
    assert s.next() == ("file", '""')  # the file is there
    time.sleep(0.3)  # the stream has looked at the file's size at least once
    t0 = time.monotonic()
    with open(log, "ab") as f:
        f.write(b"[Dec  2 06:47:00] NOTICE[2000] x.c: not a warning\n")
        f.write("[Dec  2 06:47:01] WARNING[2001] x.c: appended <i>ñ</i>\n".encode())
        f.flush()
    ev, data = s.next(timeout=1.0)
    took = time.monotonic() - t0
    assert ev == "line" and took < 1.0, took
    line = json.loads(data)
    assert line["level"] == "warning" and line["text"] == "[Dec  2 06:47:01] WARNING[2001] x.c: appended <i>ñ</i>"
    assert line["next"] == os.path.getsize(log)
    s.close()
    # From a page's end of window: lines written since the page was read come first.
    page = inte.get("/console").body
    end = int(page.split('data-end="')[1].split('"')[0])
    with open(log, "ab") as f:
        f.write(b"[Dec  2 06:48:00] ERROR[3] y.c: between page and stream\n")
    s = Events(stack, inte, f"?from={end}")
    assert s.next()[0] == "file"
    ev, data = s.next(timeout=1.0)
    assert json.loads(data)["text"].endswith("between page and stream")
    s.close()


def test_missing_or_unreadable_log_is_explained(stack, log):
    missing = log
    os.remove(missing)
    inte = logged_in(stack, "inte")
    r = inte.get("/console")
    assert r.status == 200
    assert 'data-error="missing"' in r.body and "No such file or directory" in r.body
    assert 'id="log-lines"' not in r.body
    r = inte.get("/console.txt")
    assert r.status == 200 and 'data-error="missing"' in r.body
    # The follow stream says so too, and keeps looking: the file appears, its lines come.
    ev = Events(stack, inte)
    assert ev.next() == ("file", json.dumps("No such file or directory"))
    missing.write_text("[Dec  2 06:46:01] NOTICE[1] a.c: now here\n")
    assert ev.next(timeout=2.0) == ("file", '""')
    assert json.loads(ev.next(timeout=2.0)[1])["text"].endswith("now here")
    ev.close()
    # Not a file.
    os.remove(missing)
    os.makedirs(missing)
    r = inte.get("/console")
    assert r.status == 200 and 'data-error="not_file"' in r.body


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: no permission to refuse")
def test_unreadable_log_says_permission(stack, log):
    os.chmod(log, 0)
    r = logged_in(stack, "inte").get("/console")
    assert r.status == 200 and 'data-error="permission"' in r.body and "Permission denied" in r.body


def test_owner_gets_403_everywhere(stack):
    rows = len(audit_rows(stack))
    owner = logged_in(stack, "owner")
    for path in ("/console", "/console.txt", "/console/events"):
        assert owner.get(path, headers={"Accept": "text/event-stream"}).status == 403, path
    token = owner.csrf()
    assert owner.post("/console/cli", {"_csrf": token, "command": "core show uptime"}).status == 403
    assert len(audit_rows(stack)) == rows  # refused before the page: nothing run, nothing to record
    assert 'href="/console"' not in owner.get("/").body
    assert 'href="/console"' in logged_in(stack, "inte").get("/").body


def audit_rows(stack):
    with sqlite3.connect(stack.db) as db:
        return db.execute("SELECT user, address, action, object, outcome, output FROM audit ORDER BY id").fetchall()


def commands_sent(stack):
    return stack.pbx.control({"cmd": "counters"})["actions"].get("Command", 0)


def run_cli(client, command):
    token = client.get("/console").csrf()
    return client.post("/console/cli", {"_csrf": token, "command": command})


def test_cli_allowed_command_returns_the_pbx_output(stack):
    inte = logged_in(stack, "inte")
    before, seen = commands_sent(stack), len(audit_rows(stack))
    stack.pbx.control({"cmd": "set_command", "command": "pjsip show endpoint 201",
                       "output": ["Endpoint:  201/201  Unavailable", "<script>x</script>"]})
    r = run_cli(inte, "core show uptime")
    assert r.status == 200 and 'data-result="ok"' in r.body
    out = html.unescape(r.body.split('id="cli-output">')[1].split("</pre>")[0])
    assert out.startswith("System uptime: ") and "Last reload: " in out
    r = run_cli(inte, "pjsip show endpoint 201")
    assert "&lt;script&gt;x&lt;/script&gt;" in r.body and "<script>x" not in r.body
    assert commands_sent(stack) == before + 2
    rows = audit_rows(stack)[seen:]
    assert len(rows) == 2
    user, address, action, obj, outcome, output = rows[0]
    assert (user, address, action, obj, outcome) == ("inte", "127.0.0.1", "cli.command", "core show uptime", "ok")
    assert output.startswith("System uptime: ")
    assert rows[1][3:5] == ("pjsip show endpoint 201", "ok")
    # A command Asterisk does not know: its refusal shown, and audited as failed.
    stack.pbx.control({"cmd": "set_command", "command": "pjsip show endpoint 201", "output": None})
    r = run_cli(inte, "pjsip show endpoint 201")
    assert 'data-result="refused_by_pbx"' in r.body and "No such command" in html.unescape(r.body)
    assert audit_rows(stack)[-1][4].startswith("failed: No such command")


def test_cli_refused_commands_never_reach_the_pbx(stack):
    inte = logged_in(stack, "inte")
    before, seen = commands_sent(stack), len(audit_rows(stack))
    attacks = ["core stop now", "core show channels; core stop now", "CORE STOP NOW", "  core stop now",
               "core  stop now", "!shell", "core show uptime\r\nAction: Command\r\nCommand: core stop now",
               "core show uptime\ncore stop now", "x" * 300, "pjsip show endpoint ñ", "core show uptime\x00"]
    for cmd in attacks:
        r = run_cli(inte, cmd)
        assert r.status == 422, cmd
        assert 'id="cli-refused"' in r.body and 'id="cli-allow-list" open' in r.body
        assert "<code>core show uptime</code>" in r.body  # the allowed list is shown
    assert commands_sent(stack) == before
    rows = audit_rows(stack)[seen:]
    assert len(rows) == len(attacks)
    assert all(row[2] == "cli.command" and row[4].startswith("refused: ") for row in rows)
    assert rows[0][3:5] == ("core stop now", "refused: not in the allow-list")
    assert rows[6][4] == "refused: control or non-ASCII characters" and "\r" not in rows[6][3]
    assert rows[8][4] == "refused: too long" and len(rows[8][3]) <= 210
    # An empty command is refused too, and audited.
    assert run_cli(inte, "").status == 422
    assert len(audit_rows(stack)) == seen + len(attacks) + 1
    assert commands_sent(stack) == before
