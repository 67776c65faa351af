"""Tests of the test PBX (tests/pbx/testpbx.py).

The core: every transcript of a real Asterisk 22.10.1 in shared/notes/ami-transcripts/ is replayed against the test
PBX and the answers are compared line by line.  Values that legitimately vary are compared by shape only; each
such tolerance is listed in TOLERANCES below (and in README.md).  Then focused tests: files on disk, the
control channel, concurrency, TLS, the command line.

Run: /usr/bin/python3 -m pytest -q tests/pbx
"""

import ast
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import testpbx  # noqa: E402

# The repository's copy of shared/notes/ami-transcripts (tests must not depend on files outside the clone).
TRANSCRIPTS = os.environ.get("AMI_TRANSCRIPTS") or os.path.normpath(
    os.path.join(HERE, "..", "unit", "support", "ami-transcripts"))

USERS = {
    "admin": {"secret": "admin-secret-123", "read": "all", "write": "all"},
    # 04-permission-denied: a user without config, command and system classes
    "limited": {"secret": "limited-secret-123", "read": "call", "write": "call"},
    "caller": {"secret": "caller-secret-123", "read": "call", "write": "all"},
}

# Values that legitimately differ between the capture and this run: compared by shape only.
TOLERANCES = [
    # Ping answer and every event: the time of the answer
    (r"Timestamp: ", r"\d+\.\d{6}"),
    # Challenge: random, up to 9 digits (action_challenge: char challenge[10])
    (r"Challenge: ", r"\d{1,9}"),
    # CoreStatus: start and last reload of the server
    (r"CoreStartupDate: ", r"\d{4}-\d\d-\d\d"), (r"CoreStartupTime: ", r"\d\d:\d\d:\d\d"),
    (r"CoreReloadDate: ", r"\d{4}-\d\d-\d\d"), (r"CoreReloadTime: ", r"\d\d:\d\d:\d\d"),
    # FullyBooted after Login: seconds since start / last reload
    (r"Uptime: ", r"\d+"), (r"LastReload: ", r"\d+"),
    # core show uptime
    (r"Output: System uptime: ", r"[0-9a-z, ]+"), (r"Output: Last reload: ", r"[0-9a-z, ]+"),
]


def tolerant_equal(expected, got):
    if expected == got:
        return True
    for prefix, shape in TOLERANCES:
        if expected.startswith(prefix) and got.startswith(prefix):
            if re.fullmatch(shape, got[len(prefix):]):
                return True
    return False


# --- a minimal AMI client that keeps lines exactly as sent (split on CRLF only) ----------------------------------

class Conn:
    def __init__(self, port, tls=False, timeout=5):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def action(self, *headers, **kw):
        lines = list(headers) + ["%s: %s" % (k.replace("_", "-"), v) for k, v in kw.items()]
        self.send("".join(l + "\r\n" for l in lines) + "\r\n")

    def line(self):
        """One CRLF-terminated line (an embedded bare LF stays in it), or None at EOF."""
        while b"\r\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                data = b""
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "surrogateescape")

    def message(self):
        out = []
        while True:
            l = self.line()
            if l is None:
                return out if out else None
            if l == "":
                return out
            out.append(l)

    def response(self):
        """The next message that is not an event."""
        while True:
            m = self.message()
            if m is None or not m[0].startswith("Event:"):
                return m

    def eof(self, timeout=3):
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def login(port, user="admin", events="off", tls=False):
    c = Conn(port, tls=tls)
    assert c.line() == "Asterisk Call Manager/11.0.0"
    c.action("Action: Login", "Username: %s" % user, "Secret: %s" % USERS[user]["secret"], "Events: %s" % events)
    assert c.message() == ["Response: Success", "Message: Authentication accepted"]
    return c


@pytest.fixture
def confdir():
    """/tmp/testpbx-XXXX/asterisk: shallow like /etc/asterisk, so that 06's "../../../../etc/passwd" reaches the
    real /etc/passwd (is_restricted_file answers "escalated privileges" only for a file that exists)."""
    top = tempfile.mkdtemp(prefix="testpbx-", dir="/tmp")
    d = pathlib.Path(top) / "asterisk"
    d.mkdir()
    yield d
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def pbx(confdir):
    p = testpbx.TestPBX(str(confdir), users=USERS).start()
    yield p
    p.stop()


@pytest.fixture
def ctl(pbx):
    c = testpbx.Control(pbx.control_port)
    yield c
    c.close()


PJSIP_CONF = """[201]
type = endpoint
aors = 201
auth = 201-auth
[201-auth]
type = auth
auth_type = userpass
username = 201
password = secret201
[201]
type = aor
max_contacts = 1
[202]
type = endpoint
aors = 202
auth = 202-auth
[202-auth]
type = auth
auth_type = userpass
username = 202
password = secret202
[202]
type = aor
max_contacts = 1
"""

# /opt/asterisk/etc/asterisk.pristine of the shared build (12-trunks was captured with it)
PRISTINE_PJSIP_CONF = """[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:5060

; --- added by Centralita's tests/acceptance/setup_asterisk.py ---
; The integrator's own door phone, written by hand: not Centralita's.
[250]
type = endpoint
context = doors
aors = 250
disallow = all
allow = ulaw

[250]
type = aor
contact = sip:250@127.0.0.1:5099

; --- added by Centralita's tests/acceptance/setup_asterisk.py ---
; Centralita's phones, each in files of its own (README: the one-time set-up)
#tryinclude centralita/pjsip-*.conf
"""

PRISTINE_EXTENSIONS_CONF = """[general]
static = yes
writeprotect = no

[from-internal]
exten => 999,1,Answer()
exten => 999,n,Hangup()
; --- added by Centralita's tests/acceptance/setup_asterisk.py ---
; the integrator's own line in the phones' context
exten => 260,1,Playback(hello-world)

; --- added by Centralita's tests/acceptance/setup_asterisk.py ---
; the integrator's own context for the door phone
[doors]
exten => 250,1,Dial(PJSIP/250,20)
exten => 250,n,Hangup()
exten => 100,1,Playback(hello-world)

; --- added by Centralita's tests/acceptance/setup_asterisk.py ---
; Centralita's phones, each in files of its own (README: the one-time set-up)
#tryinclude centralita/dialplan-*.conf
"""

TEST_CONF_AFTER_05 = """[alpha]
type = endpoint
allow = ulaw
allow = alaw
[tpl](!)
context = internal
[beta](tpl)
exten => 100,1,NoOp()
note = semi\\;colon
"""


# --- transcript replay -------------------------------------------------------------------------------------------

def parse_transcript(path):
    """Steps of a transcript: ("send", bytes), ("expect", [(line, seconds-or-None)]), ("closed",)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    steps = []
    pending = []
    expect = None

    def flush_expect():
        nonlocal expect
        if expect:
            steps.append(("expect", expect))
        expect = None

    for i, raw in enumerate(lines):
        if raw.startswith("#! control "):
            # 12-trunks: what changed on the SIP side between two requests, told to the test PBX
            flush_expect()
            steps.append(("control", json.loads(raw[len("#! control "):])))
            continue
        if raw.startswith("#"):
            continue
        if raw.startswith(">>>"):
            flush_expect()
            body = raw[4:] if raw.startswith(">>> ") else raw[3:]
            if body.startswith("(raw) "):
                steps.append(("send", ast.literal_eval(body[len("(raw) "):])))
            elif body == "":
                steps.append(("send", ("".join(l + "\r\n" for l in pending) + "\r\n").encode()))
                pending = []
            else:
                pending.append(body)
        elif raw.startswith("<<<"):
            body = raw[4:] if raw.startswith("<<< ") else raw[3:].lstrip(" ")
            when = None
            mt = re.search(r"\s*\[(\d+(?:\.\d+)?) s\]$", body)
            if mt:
                when = float(mt.group(1))
                body = body[:mt.start()]
            if expect is None:
                expect = []
            expect.append([body, when])
        elif raw.startswith("(connection closed"):
            flush_expect()
            steps.append(("closed",))
        elif raw == "":
            # An unprefixed empty line between two <<< lines, right after a non-empty one, is a bare LF that ended
            # the previous line inside Asterisk's CRLF-delimited answer (10-lists: "No Contacts found\n").
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if expect and expect[-1][0] != "" and nxt.startswith("<<<"):
                expect[-1][0] += "\n"
            else:
                flush_expect()
    flush_expect()
    return steps


def replay(path, port, tls=False, pbx=None):
    """Send the >>> messages, compare every <<< line (tolerances above); "#! control" lines go to pbx."""
    steps = parse_transcript(path)
    c = Conn(port, tls=tls)
    sent_at = time.time()
    challenge = None
    try:
        for step in steps:
            if step[0] == "send":
                data = step[1]
                if challenge is not None and b"Key: " in data:
                    # 03-login-md5: the Key is md5(challenge + secret) of OUR challenge
                    key = testpbx.md5_key(challenge, USERS["admin"]["secret"]).encode()
                    data = re.sub(rb"Key: [0-9a-f]+", b"Key: " + key, data)
                c.send(data)
                sent_at = time.time()
            elif step[0] == "expect":
                for exp, when in step[1]:
                    got = c.line()
                    assert got is not None, "%s: connection closed, expected %r" % (os.path.basename(path), exp)
                    assert tolerant_equal(exp, got), "%s: expected %r, got %r" % (os.path.basename(path), exp, got)
                    if got.startswith("Challenge: "):
                        challenge = got[len("Challenge: "):]
                    if when is not None:
                        # 02-login-failure: the answer comes after Asterisk's 1 s sleep
                        assert time.time() - sent_at >= when - 0.1
            elif step[0] == "closed":
                assert c.eof(), "%s: connection not closed" % os.path.basename(path)
            elif step[0] == "control":
                reply = pbx.control(step[1])
                assert reply.get("ok"), reply
        # nothing unexpected left over
        c.sock.settimeout(0.2)
        try:
            extra = c.sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            extra = b""
        assert c.buf + extra == b"", "%s: unexpected extra output %r" % (os.path.basename(path), c.buf + extra)
    finally:
        c.close()


def prepare(name, confdir, pbx):
    """Put the config dir / PBX state each transcript was captured in."""
    if name.startswith(("06", "07")):
        (confdir / "centralita_test.conf").write_text(TEST_CONF_AFTER_05)
    if name.startswith(("09", "10")):
        (confdir / "pjsip.conf").write_text(PJSIP_CONF)
        pbx.load_pjsip()                       # Asterisk had loaded it at boot
    if name.startswith("12"):
        # the shared Asterisk's pristine configuration (ctl.sh reset), where 12-trunks was captured
        (confdir / "pjsip.conf").write_text(PRISTINE_PJSIP_CONF)
        (confdir / "extensions.conf").write_text(PRISTINE_EXTENSIONS_CONF)
        (confdir / "centralita").mkdir(exist_ok=True)
        (confdir / "centralita" / "empty.conf").write_text("")
        pbx.load_pjsip()
        pbx.load_dialplan()
    if name.startswith("10b"):
        for ep, port, callid in (("201", 5071, "1-19379@127.0.0.1"), ("202", 5072, "1-19374@127.0.0.1")):
            pbx.control({"cmd": "set_contacts", "endpoint": ep, "contacts": [
                {"uri": "sip:%s@127.0.0.1:%d" % (ep, port), "call_id": callid, "expiration_time": 1795800842,
                 "user_agent": "SIPp"}]})


REPLAYED = sorted(f for f in os.listdir(TRANSCRIPTS) if f.endswith(".txt") and not f.startswith("11"))


def test_transcripts_present():
    assert len(REPLAYED) >= 11, REPLAYED
    assert os.path.exists(os.path.join(TRANSCRIPTS, "11-call-events.txt"))


@pytest.mark.parametrize("name", REPLAYED)
def test_replay_transcript(name, confdir, pbx):
    prepare(name, confdir, pbx)
    replay(os.path.join(TRANSCRIPTS, name), pbx.port, pbx=pbx)


def test_replay_over_tls(tmp_path, confdir):
    cert, key = testpbx.make_cert(str(tmp_path / "tls"))
    p = testpbx.TestPBX(str(confdir), users=USERS, tls_port=0, cert=cert, key=key).start()
    try:
        for name in ("01-login-and-basics.txt", "05-updateconfig.txt", "08-bare-lf-injection.txt"):
            replay(os.path.join(TRANSCRIPTS, name), p.tls_port, tls=True)
    finally:
        p.stop()


def parse_events_transcript():
    """11-call-events: raw messages (no prefixes): banner, Login answer, events."""
    with open(os.path.join(TRANSCRIPTS, "11-call-events.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")[1:]
    msgs, cur = [], []
    for l in lines[1:]:
        if l == "":
            if cur:
                msgs.append(cur)
            cur = []
        else:
            cur.append(l)
    if cur:
        msgs.append(cur)
    return lines[0], msgs


def test_replay_call_events(pbx, ctl):
    """11-call-events: every event re-emitted through the control channel comes out byte for byte in Asterisk's
    field order and with its Privilege; fields are given to the control channel in reverse order on purpose."""
    banner, msgs = parse_events_transcript()
    c = Conn(pbx.port)
    assert c.line() == banner
    c.action("Action: Login", "Username: admin", "Secret: admin-secret-123", "Events: call,cdr,system")
    assert c.message() == msgs[0]
    fully = c.message()
    assert len(fully) == len(msgs[1]) and all(tolerant_equal(e, g) for e, g in zip(msgs[1], fully))
    for ev in msgs[2:]:
        name = ev[0].split(": ", 1)[1]
        fields = [l.split(": ", 1) for l in ev if not l.startswith(("Event:", "Privilege:", "Timestamp:"))]
        fields = [[k, v] for k, v in reversed(fields)]
        assert ctl.event(event=name, fields=dict(fields))["delivered"] == 1
        got = c.message()
        assert len(got) == len(ev), (ev, got)
        for e, g in zip(ev, got):
            assert tolerant_equal(e, g), (e, g)
    c.close()


# --- AMI behaviour not covered by a transcript ------------------------------------------------------------------

def test_before_login(pbx):
    c = Conn(pbx.port)
    c.line()
    c.action("Action: Ping", "ActionID: a")
    assert c.message() == ["Response: Error", "ActionID: a", "Message: Permission denied"]   # process_message
    c.send("ActionID: b\r\n\r\n")
    assert c.message() == ["Response: Error", "ActionID: b", "Message: Missing action in request"]
    c.action("Action: Challenge", "AuthType: plain")
    assert c.message() == ["Response: Error", "Message: Must specify AuthType"]
    c.action("Action: Logoff")
    assert c.message() == ["Response: Goodbye", "Message: Thanks for all the fish."]
    assert c.eof()


def test_login_events_fullybooted_and_masks(pbx, ctl):
    on = login(pbx.port, events="on")
    fb = on.message()
    assert fb[0] == "Event: FullyBooted" and fb[1] == "Privilege: system,all" and fb[-1] == "Status: Fully Booted"
    off = login(pbx.port, events="off")
    cdr_only = login(pbx.port, events="cdr")
    limited = login(pbx.port, user="limited", events="on")       # read = call: no FullyBooted, no Cdr
    assert ctl.event(event="Cdr", fields={"Source": "201"})["delivered"] == 2
    assert ctl.event(event="Newchannel", fields={"Channel": "PJSIP/201-00000001"})["delivered"] == 2
    m = on.message()
    assert m[:2] == ["Event: Cdr", "Privilege: cdr,all"] and "Source: 201" in m
    assert on.message()[0] == "Event: Newchannel"
    assert cdr_only.message()[0] == "Event: Cdr"
    assert limited.message()[0] == "Event: Newchannel"
    for c in (off, cdr_only, limited):
        c.action("Action: Ping", "ActionID: z")
        assert c.message()[:2] == ["Response: Success", "ActionID: z"]
    # Events action changes the mask of a live session
    off.action("Action: Events", "EventMask: call", "ActionID: e")
    assert off.message() == ["Response: Success", "ActionID: e", "Events: On"]
    ctl.event(event="Hangup", fields={"Channel": "PJSIP/201-00000001"})
    assert off.message()[0] == "Event: Hangup"


def test_unknown_user_and_md5_failure(pbx):
    c = Conn(pbx.port)
    c.line()
    c.action("Action: Login", "AuthType: MD5", "Username: admin", "Key: 00")   # no Challenge asked
    t = time.time()
    assert c.message() == ["Response: Error", "Message: Authentication failed"]
    assert time.time() - t >= 0.9
    assert c.eof()


def test_permissions_by_class(pbx):
    c = login(pbx.port, user="caller")      # read call, write all: may write anything
    c.action("Action: CoreStatus", "ActionID: s")
    assert c.message()[0] == "Response: Success"
    lim = login(pbx.port, user="limited")
    for act in ("CoreStatus", "ListCategories", "CreateConfig", "Command", "PJSIPShowEndpoints", "Reload"):
        lim.action("Action: %s" % act, "ActionID: x")
        assert lim.message() == ["Response: Error", "ActionID: x", "Message: Permission denied"], act
    lim.action("Action: Ping", "ActionID: p")
    assert lim.message()[0] == "Response: Success"


def get_config(c, fn, **kw):
    c.action("Action: GetConfig", "Filename: %s" % fn, *["%s: %s" % kv for kv in kw.items()])
    return c.message()


def update(c, fn, actions, **headers):
    """actions: list of dicts {Action, Cat, Var, Value, Match, Line, Options}."""
    lines = ["Action: UpdateConfig", "SrcFilename: %s" % fn, "DstFilename: %s" % fn]
    lines += ["%s: %s" % kv for kv in headers.items()]
    for i, a in enumerate(actions):
        for k, v in a.items():
            lines.append("%s-%06d: %s" % (k, i, v))
    c.action(*lines)
    return c.message()


def body(path):
    """A saved file without its header; checks the header is Asterisk's (gen_header) on the way."""
    text = path.read_text()
    head = text.split("\n")[:6]
    assert head[0] == ";!" and head[1] == ";! Automatically generated configuration file"
    assert head[2] == ";! Filename: %s (%s)" % (path.name, os.path.realpath(str(path)))
    assert head[3] == ";! Generator: Manager"
    assert re.fullmatch(r";! Creation Date: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", head[4])   # ctime()
    assert head[5] == ";!"
    return "\n".join(text.split("\n")[6:])


def test_file_after_transcript_05(confdir, pbx):
    """The file Asterisk writes: name = value, [tpl](!), [child](tpl), \\;, =>, no blank line between sections,
    a Delete leaves a blank line, inherited values are not written into the child (ami.md)."""
    replay(os.path.join(TRANSCRIPTS, "05-updateconfig.txt"), pbx.port)
    assert body(confdir / "centralita_test.conf") == (
        "[alpha]\ndisallow = all\ntype = endpoint\n\nallow = g722\n[tpl](!)\ncontext = internal\n"
        "[beta](tpl)\nexten => 100,1,NoOp()\nnote = semi\\;colon\n")


def test_same_named_sections_and_catfilter(confdir, pbx):
    (confdir / "pjsip.conf").write_text(PJSIP_CONF)
    c = login(pbx.port)
    # without a filter: both [201] sections
    assert update(c, "pjsip.conf", [{"Action": "Append", "Cat": "201", "Var": "x", "Value": "1"}]) == \
        ["Response: Success"]
    txt = body(confdir / "pjsip.conf")
    assert txt.count("x = 1") == 2
    # quoted catfilter: only the aor
    assert update(c, "pjsip.conf", [{"Action": "Update", "Cat": "201", "Var": "max_contacts", "Value": "2",
                                     "Options": 'catfilter="type=aor"'}]) == ["Response: Success"]
    # unquoted: cut at the second '=', matches nothing
    assert update(c, "pjsip.conf", [{"Action": "Delete", "Cat": "201", "Var": "x",
                                     "Options": "catfilter=type=aor"}]) == \
        ["Response: Error", "Message: Given category does not exist"]
    assert update(c, "pjsip.conf", [{"Action": "Delete", "Cat": "201", "Var": "x",
                                     "Options": 'catfilter="type=endpoint"'}]) == ["Response: Success"]
    m = get_config(c, "pjsip.conf", Category="201")
    assert "Line-000000-000002: auth=201-auth" in m and "x=1" not in "".join(m[:5])
    assert "Line-000001-000001: max_contacts=2" in m and "Line-000001-000002: x=1" in m
    # GetConfig Filter narrows same-named sections
    m = get_config(c, "pjsip.conf", Category="201", Filter="type=aor")
    assert m[1] == "Category-000000: 201" and m[2] == "Line-000000-000000: type=aor"
    # RenameCat / DelCat without filter act on all same-named sections
    assert update(c, "pjsip.conf", [{"Action": "RenameCat", "Cat": "202", "Value": "302"}]) == ["Response: Success"]
    c.action("Action: ListCategories", "Filename: pjsip.conf")
    assert c.message() == ["Response: Success", "Category-000000: 201", "Category-000001: 201-auth",
                           "Category-000002: 201", "Category-000003: 302", "Category-000004: 202-auth",
                           "Category-000005: 302"]
    assert update(c, "pjsip.conf", [{"Action": "DelCat", "Cat": "302"}]) == ["Response: Success"]
    c.action("Action: ListCategories", "Filename: pjsip.conf", "Match: type=auth")
    assert c.message() == ["Response: Success", "Category-000000: 201-auth", "Category-000001: 202-auth"]
    # allowdups, then a temporary name renamed in the same request (ami.md)
    assert update(c, "pjsip.conf", [
        {"Action": "NewCat", "Cat": "tmp-203"}, {"Action": "Append", "Cat": "tmp-203", "Var": "type",
                                                 "Value": "aor"},
        {"Action": "NewCat", "Cat": "203"}, {"Action": "Append", "Cat": "203", "Var": "type", "Value": "endpoint"},
        {"Action": "RenameCat", "Cat": "tmp-203", "Value": "203"},
        {"Action": "NewCat", "Cat": "203", "Options": "allowdups"}]) == ["Response: Success"]
    assert body(confdir / "pjsip.conf").endswith("[203]\ntype = aor\n[203]\ntype = endpoint\n[203]\n")


def test_templates_inherit_and_actions(confdir, pbx):
    (confdir / "t.conf").write_text("")
    c = login(pbx.port)
    assert update(c, "t.conf", [
        {"Action": "NewCat", "Cat": "a", "Options": "template"},
        {"Action": "Append", "Cat": "a", "Var": "va", "Value": "1", "Options": 'catfilter="TEMPLATES=include"'},
        {"Action": "NewCat", "Cat": "b", "Options": "template"},
        {"Action": "Append", "Cat": "b", "Var": "vb", "Value": "2", "Options": 'catfilter="TEMPLATES=restrict"'},
        {"Action": "NewCat", "Cat": "both", "Options": 'inherit="a,b"'},
        {"Action": "NewCat", "Cat": "onlya", "Options": "inherit=a,b"},     # unquoted: ',' ends the option
        {"Action": "NewCat", "Cat": "first", "Match": "both"},              # NewCat + Match: inserted before
    ]) == ["Response: Success"]
    assert body(confdir / "t.conf") == "[a](!)\nva = 1\n[b](!)\nvb = 2\n[first]\n[both](a,b)\n[onlya](a)\n"
    m = get_config(c, "t.conf")
    assert m == ["Response: Success", "Category-000000: first", "Category-000001: both", "Templates-000001: a,b",
                 "Line-000001-000000: va=1", "Line-000001-000001: vb=2", "Category-000002: onlya",
                 "Templates-000002: a", "Line-000002-000000: va=1"]
    m = get_config(c, "t.conf", Filter="TEMPLATES=restrict")
    assert m[:3] == ["Response: Success", "Category-000000: a", "IsTemplate-000000: 1"]
    c.action("Action: GetConfigJSON", "Filename: t.conf", "Filter: TEMPLATES=include", "Category: a")
    assert c.message() == ["Response: Success", 'JSON: {"a":{"istemplate":1,"va":"1"}}']
    # Update changes the FIRST match only (ast_variable_update); Delete by Var removes all; Delete by Line; Insert
    assert update(c, "t.conf", [
        {"Action": "Append", "Cat": "first", "Var": "k", "Value": "1"},
        {"Action": "Append", "Cat": "first", "Var": "k", "Value": "2"},
        {"Action": "Append", "Cat": "first", "Var": "k", "Value": "3"},
        {"Action": "Update", "Cat": "first", "Var": "k", "Value": "9"},
        {"Action": "Insert", "Cat": "first", "Var": "i", "Value": "x", "Line": "1"},
        {"Action": "Delete", "Cat": "first", "Line": "0"},
    ]) == ["Response: Success"]
    m = get_config(c, "t.conf", Category="first")
    assert m[2:] == ["Line-000000-000000: i=x", "Line-000000-000001: k=2", "Line-000000-000002: k=3"]
    assert update(c, "t.conf", [{"Action": "Delete", "Cat": "first", "Var": "k"},
                                {"Action": "EmptyCat", "Cat": "both"}]) == ["Response: Success"]
    assert get_config(c, "t.conf", Category="first")[2:] == ["Line-000000-000000: i=x"]
    # EmptyCat keeps the template list, so the child inherits again when the file is read back
    assert get_config(c, "t.conf", Category="both")[1:] == ["Category-000000: both", "Templates-000000: a,b",
                                                            "Line-000000-000000: va=1", "Line-000000-000001: vb=2"]
    assert "[both](a,b)\n[onlya](a)\n" in body(confdir / "t.conf")
    # the first missing number ends the list: Action-000002 is never seen
    c.action("Action: UpdateConfig", "SrcFilename: t.conf", "DstFilename: t.conf",
             "Action-000000: Append", "Cat-000000: first", "Var-000000: n", "Value-000000: 0",
             "Action-000002: Frob", "Cat-000002: first")
    assert c.message() == ["Response: Success"]
    # errors not in the transcripts
    assert update(c, "t.conf", [{"Action": "RenameCat", "Cat": "first"}]) == \
        ["Response: Error", "Message: Problem with category, value, or line (if required)"]
    assert update(c, "t.conf", [{"Action": "NewCat", "Cat": "z", "Match": "nosuch"}]) == \
        ["Response: Error", "Message: Create category did not complete successfully"]
    c.action("Action: UpdateConfig", "SrcFilename: t.conf")
    assert c.message() == ["Response: Error", "Message: Filename not specified"]


def test_parse_existing_file_round_trip(confdir, pbx):
    """Files written by tests in Asterisk's format: comments, blank lines, exten =>, \\; survive an update."""
    src = ("; dialplan written by a test\n[general]\nstatic = yes\n\n[from-internal]\n"
           "exten => 100,1,NoOp(a\\;b) ; say hi\nsame => n,Hangup()\n\n\n; phones\n[phones](+)\nx = 1\n")
    (confdir / "extensions.conf").write_text(src.replace("[phones](+)\nx = 1\n", "[phones]\nx = 1\n"))
    c = login(pbx.port)
    m = get_config(c, "extensions.conf", Category="from-internal")
    assert m[2:] == ["Line-000000-000000: exten=100,1,NoOp(a;b)", "Line-000000-000001: same=n,Hangup()"]
    assert update(c, "extensions.conf", [{"Action": "Append", "Cat": "general", "Var": "writeprotect",
                                          "Value": "no"}], Reload="pbx_config.so") == ["Response: Success"]
    assert body(confdir / "extensions.conf") == (
        "; dialplan written by a test\n[general]\nstatic = yes\nwriteprotect = no\n\n[from-internal]\n"
        "exten => 100,1,NoOp(a\\;b)   ; say hi\nsame => n,Hangup()\n\n\n; phones\n[phones]\nx = 1\n")
    # ^ three spaces: the reader keeps the blank before ";" with the comment (22.x "retain leading whitespace
    #   before comments") and the writer puts two more ("%s %s %s  %s")
    (confdir / "bad.conf").write_text("novar = here\n")
    assert get_config(c, "bad.conf") == ["Response: Error", "Message: Config file has invalid format"]
    c.action("Action: CreateConfig", "Filename: bad.conf")
    assert c.message() == ["Response: Error", "Message: File exists"]
    c.action("Action: CreateConfig", "Filename: ../outside.conf")
    assert c.message() == ["Response: Error", "Message: File requires escalated privileges"]
    c.action("Action: ListCategories", "Filename: ../../../../etc/passwd")
    assert c.message() == ["Response: Error", "Message: File requires escalated privileges"]


def test_command_outputs(confdir, pbx, ctl):
    (confdir / "pjsip.conf").write_text(PJSIP_CONF)
    ctl.reload(module="res_pjsip.so")
    ctl.set_contacts(endpoint="201", contacts=["sip:201@127.0.0.1:5071"])
    c = login(pbx.port)
    c.action("Action: Command", "Command: pjsip show endpoints")
    m = c.message()
    assert " Endpoint:  %-51s  %-12s  0 of inf" % ("201", "Not in use") in [l[len("Output: "):] for l in m]
    assert any(l.startswith("Output:       Contact:  201/sip:201@127.0.0.1:5071") for l in m)
    c.action("Action: Command", "Command: pjsip show contacts")
    assert "Output: Objects found: 1" in c.message()
    c.action("Action: Command", "Command: module load chan_sip.so")
    assert c.message() == ["Response: Error", "Message: Command blacklisted"]
    ctl.set_command(command="core show hints", output=["-= Registered Asterisk Dial Plan Hints =-", ""])
    c.action("Action: Command", "Command: core show hints")
    assert c.message() == ["Response: Success", "Message: Command output follows",
                           "Output: -= Registered Asterisk Dial Plan Hints =-", "Output: "]


# --- the control channel --------------------------------------------------------------------------------------------

def test_control_drop_after_before(confdir, pbx, ctl):
    (confdir / "t.conf").write_text("[a]\n")
    c = login(pbx.port)
    ctl.drop_after(n=1, mode="before", action="UpdateConfig")
    c.action("Action: Ping", "ActionID: 1")                                 # not counted: other action
    assert c.message()[0] == "Response: Success"
    assert update(c, "t.conf", [{"Action": "Append", "Cat": "a", "Var": "v", "Value": "1"}]) == \
        ["Response: Success"]                                              # the 1 action let through
    c.action("Action: UpdateConfig", "SrcFilename: t.conf", "DstFilename: t.conf", "Action-000000: Append",
             "Cat-000000: a", "Var-000000: v", "Value-000000: 2")
    assert c.message() is None                                             # dropped, no answer
    assert "v = 2" not in (confdir / "t.conf").read_text()                 # ... and not executed
    assert ctl.counters()["actions"]["UpdateConfig"] == 1


def test_control_drop_after_after(confdir, pbx, ctl):
    (confdir / "t.conf").write_text("[a]\n")
    c = login(pbx.port)
    other = login(pbx.port)
    ctl.drop_after(n=0, mode="after", all=True)
    c.action("Action: UpdateConfig", "SrcFilename: t.conf", "DstFilename: t.conf", "Action-000000: Append",
             "Cat-000000: a", "Var-000000: v", "Value-000000: 2")
    assert c.message() is None                                             # no answer ...
    assert "v = 2" in (confdir / "t.conf").read_text()                     # ... but it was executed
    assert other.eof()                                                     # all: every session dropped
    c2 = login(pbx.port)                                                   # one-shot
    c2.action("Action: Ping")
    assert c2.message()[0] == "Response: Success"


def test_control_delay(pbx, ctl):
    c = login(pbx.port)
    ctl.delay(ms=600)
    t = time.time()
    c.action("Action: Ping")
    assert c.message()[0] == "Response: Success"
    assert time.time() - t >= 0.59
    ctl.delay(ms=0)
    t = time.time()
    c.action("Action: Ping")
    c.message()
    assert time.time() - t < 0.5


def test_control_refuse(pbx, ctl):
    ctl.refuse(on=True)
    c = Conn(pbx.port)
    assert c.line() is None                                                # closed before the banner
    ctl.refuse(on=False)
    login(pbx.port).close()


def test_control_stop_start_listening(pbx, ctl):
    c = login(pbx.port)
    port = pbx.port
    assert ctl.stop_listening(kill=True)["killed"] >= 1
    assert c.eof()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    r = ctl.start_listening()
    assert r["port"] == port
    c = login(port)
    c.action("Action: Ping")
    assert c.message()[0] == "Response: Success"


def test_control_kill_sessions(pbx, ctl):
    a, b = login(pbx.port), login(pbx.port)
    assert ctl.kill_sessions()["killed"] >= 2
    assert a.eof() and b.eof()
    login(pbx.port).close()                                                # still listening


def test_control_set_contacts_lists(confdir, pbx, ctl):
    (confdir / "pjsip.conf").write_text(PJSIP_CONF)
    ctl.reload(module="res_pjsip.so")
    c = login(pbx.port)
    c.action("Action: PJSIPShowContacts")
    assert c.message()[:2] == ["Response: Error", "Message: No Contacts found\n"]
    ctl.set_contacts(endpoint="202", contacts=[{"uri": "sip:202@10.0.0.5:5062", "user_agent": "Yealink"}])
    c.action("Action: PJSIPShowEndpoints", "ActionID: e")
    msgs = [c.message() for _ in range(4)]
    assert "Contacts: " in msgs[1] and "DeviceState: Unavailable" in msgs[1]
    assert "Contacts: 202/sip:202@10.0.0.5:5062," in msgs[2] and "DeviceState: Not in use" in msgs[2]
    c.action("Action: PJSIPShowContacts", "ActionID: c")
    m = c.message()
    assert m == ["Response: Success", "ActionID: c", "EventList: start",
                 "Message: A listing of Contacts follows, presented as ContactList events"]
    ev = c.message()
    assert "Endpoint: 202" in ev and "ViaAddr: 10.0.0.5" in ev and "ViaPort: 5062" in ev and "UserAgent: Yealink" in ev
    assert c.message()[-1] == "ListItems: 1"
    ctl.set_contacts(endpoint="202", contacts=[])
    c.action("Action: PJSIPShowContacts")
    assert c.message()[:2] == ["Response: Error", "Message: No Contacts found\n"]


def test_control_counters_and_reloads(confdir, pbx, ctl):
    (confdir / "t.conf").write_text("[a]\n")
    ctl.reset_counters()
    c = login(pbx.port)
    ok = [{"Action": "Append", "Cat": "a", "Var": "v", "Value": "1"}]
    update(c, "t.conf", ok, Reload="res_pjsip.so")
    update(c, "t.conf", ok, Reload="yes")
    update(c, "t.conf", ok, Reload="no")
    update(c, "t.conf", [{"Action": "Append", "Cat": "nosuch", "Var": "v"}], Reload="yes")   # failed: no reload
    c.action("Action: Command", "Command: dialplan reload")
    c.message()
    r = ctl.counters()
    assert r["actions"] == {"Login": 1, "UpdateConfig": 4, "Command": 1}
    assert r["logins"] == 1 and r["authenticated_sessions"] == 1
    assert [x["module"] for x in r["reloads"]] == ["res_pjsip.so", "all", "pbx_config.so"]
    assert r["reloads"][0]["file"] == "t.conf"
    ctl.reset_counters()
    r = ctl.counters()
    assert r["actions"] == {} and r["reloads"] == [] and r["logins"] == 0


def test_control_emit_call_and_raw(pbx, ctl):
    c = login(pbx.port, events="call,cdr")
    n = ctl.emit_call(caller="201", callee="202", duration=5)["events"]
    names = [c.message()[0] for _ in range(n)]
    assert names[0] == "Event: Newchannel" and names[-1] == "Event: Cdr"
    assert "Event: BridgeEnter" in names and "Event: Hangup" in names
    ctl.raw(data="Event: Weird\r\nX: y\r\n\r\n")
    assert c.message() == ["Event: Weird", "X: y"]


def test_control_emit_call_hold_and_coreshowchannels(pbx, ctl):
    """A held call: its events up to the answer, CoreShowChannels lists its two channels (fields in the order of
    action_coreshowchannels, bridged, Dial/AppDial), end_call sends the rest and the list is empty again (10-lists)."""
    c = login(pbx.port, events="call,cdr")
    r = ctl.emit_call(caller="201", callee="202", hold=True)
    names = [c.message()[0] for _ in range(r["events"])]
    assert names[0] == "Event: Newchannel" and names[-1] == "Event: BridgeEnter" and "Event: Hangup" not in names
    c.action("Action: CoreShowChannels", "ActionID: l")
    assert c.message() == ["Response: Success", "ActionID: l", "EventList: start", "Message: Channels will follow"]
    chans = [c.message(), c.message()]
    assert c.message() == ["Event: CoreShowChannelsComplete", "ActionID: l", "EventList: Complete", "ListItems: 2"]
    keys = [[h.split(":", 1)[0] for h in m] for m in chans]
    assert keys[0] == ["Event", "ActionID", "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum",
                       "CallerIDName", "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context",
                       "Exten", "Priority", "Uniqueid", "Linkedid", "Application", "ApplicationData", "Duration",
                       "BridgeId"]   # as Asterisk 22.10.1 sent them (13-coreshowchannels.txt)
    by = [dict(h.split(": ", 1) if ": " in h else (h.rstrip(":"), "") for h in m) for m in chans]
    caller = next(m for m in by if m["CallerIDNum"] == "201")
    callee = next(m for m in by if m["CallerIDNum"] == "202")
    assert caller["Channel"].startswith("PJSIP/201-") and caller["ChannelState"] == "6"
    assert caller["Application"] == "Dial" and caller["ApplicationData"] == "PJSIP/202,20"
    assert callee["Application"] == "AppDial" and callee["ApplicationData"] == "(Outgoing Line)"
    assert caller["BridgeId"] and caller["BridgeId"] == callee["BridgeId"]
    assert caller["Linkedid"] == callee["Linkedid"] == caller["Uniqueid"]
    assert re.fullmatch(r"\d\d:\d\d:\d\d", caller["Duration"])
    n = ctl.end_call(call=r["call"])["events"]
    rest = [c.message()[0] for _ in range(n)]
    assert rest[0] == "Event: HangupRequest" and rest.count("Event: Hangup") == 2 and rest[-1] == "Event: Cdr"
    c.action("Action: CoreShowChannels", "ActionID: m")
    c.message()
    assert c.message() == ["Event: CoreShowChannelsComplete", "ActionID: m", "EventList: Complete", "ListItems: 0"]
    # Never answered: held while ringing.
    r = ctl.emit_call(caller="203", callee="204", answered=False, hold=True)
    names = [c.message()[0] for _ in range(r["events"])]
    assert "Event: DialEnd" not in names and "Event: BridgeEnter" not in names
    ctl.end_call(call=r["call"])


def test_control_over_tcp_errors(pbx):
    ctl = testpbx.Control(pbx.control_port)
    with pytest.raises(RuntimeError):
        ctl.call("nosuchcmd")
    assert ctl.ping()["ok"]
    ctl.close()


# --- concurrency, limits, TLS, command line ---------------------------------------------------------------------

def test_concurrent_appends_one_file(confdir, pbx):
    (confdir / "conc.conf").write_text("[c]\n")
    errors = []

    def worker(t):
        try:
            c = login(pbx.port)
            for i in range(50):
                r = update(c, "conc.conf", [{"Action": "Append", "Cat": "c", "Var": "v", "Value": "%d-%d" % (t, i)}])
                if r != ["Response: Success"]:
                    errors.append(r)
            c.close()
        except Exception as e:      # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    c = login(pbx.port)
    lines = get_config(c, "conc.conf")[2:]
    values = {l.split("=", 1)[1] for l in lines}
    assert len(lines) == 400 and values == {"%d-%d" % (t, i) for t in range(8) for i in range(50)}


def test_authlimit_and_line_limits(pbx):
    c = login(pbx.port)
    # exactly 128 header lines pass, 129 do not (do_message: AST_MAX_MANHEADERS)
    c.action("Action: Ping", "ActionID: ok", *["X-%d: y" % i for i in range(126)])
    assert c.message()[:2] == ["Response: Success", "ActionID: ok"]
    c.action("Action: Ping", "ActionID: no", *["X-%d: y" % i for i in range(127)])
    assert c.message() == ["Response: Error", "ActionID: no",
                           "Message: Too many lines in message or allocation failure"]
    # a 1022-byte line + CRLF fits the 1024-byte buffer, a 1023-byte one does not (get_input)
    c.action("Action: Ping", "ActionID: fits", "X: " + "a" * 1019)
    assert c.message()[:2] == ["Response: Success", "ActionID: fits"]
    c.action("Action: Ping", "ActionID: long", "X: " + "a" * 1020)
    assert c.message() == ["Response: Error", "ActionID: long", "Message: Failed to parse message: line too long"]


def test_tls_events_and_concurrency(tmp_path, confdir):
    cert, key = testpbx.make_cert(str(tmp_path / "tls"))
    assert os.path.exists(cert) and os.path.exists(key)
    p = testpbx.TestPBX(str(confdir), users=USERS, tls_port=0, cert=cert, key=key).start()
    try:
        c = login(p.tls_port, events="on", tls=True)
        assert c.message()[0] == "Event: FullyBooted"
        for i in range(20):
            p.emit("Newchannel", {"Channel": "PJSIP/201-%08d" % i})
            c.action("Action: Ping", "ActionID: %d" % i)
        got = [c.message() for _ in range(40)]
        assert sum(1 for m in got if m[0] == "Event: Newchannel") == 20
        assert sum(1 for m in got if m[0] == "Response: Success") == 20
        plain = login(p.port)          # the TCP listener still works beside TLS
        plain.close()
    finally:
        p.stop()


def test_command_line_ready_and_sigterm(tmp_path, confdir):
    users = tmp_path / "manager.conf"
    users.write_text(testpbx.users_text(USERS))
    cert, key = testpbx.make_cert(str(tmp_path / "tls"))
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "testpbx.py"), "--dir", str(confdir), "--users",
                             str(users), "--port", "0", "--tls-port", "0", "--cert", cert, "--key", key,
                             "--control-port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        mt = re.fullmatch(r"READY port=(\d+) tls_port=(\d+) control_port=(\d+)\n", line)
        assert mt, line
        port, tls_port, control_port = map(int, mt.groups())
        login(port).close()
        login(tls_port, tls=True).close()
        assert testpbx.Control(control_port).ping()["ok"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_authtimeout(confdir):
    p = testpbx.TestPBX(str(confdir), users=testpbx.users_text(USERS, {"authtimeout": "1"})).start()
    try:
        c = Conn(p.port)
        c.line()
        t = time.time()
        assert c.eof(5) and 0.8 <= time.time() - t < 3
    finally:
        p.stop()


def test_control_events_cancel_drop_reset(confdir, pbx, ctl):
    (confdir / "pjsip.conf").write_text(PJSIP_CONF)
    c = login(pbx.port, events="on")
    c.message()                                                            # FullyBooted
    r = ctl.events(events=[{"event": "PeerStatus", "fields": {"Peer": "PJSIP/201", "PeerStatus": "Reachable"}},
                           {"event": "MyEvent", "fields": [["B", "2"], ["A", "1"]], "class": "call"}])
    assert r["delivered"] == 2
    m = c.message()
    assert m[0:2] == ["Event: PeerStatus", "Privilege: system,all"]
    assert m[3:] == ["ChannelType: PJSIP", "Peer: PJSIP/201", "PeerStatus: Reachable"]
    m = c.message()
    assert m[0:2] == ["Event: MyEvent", "Privilege: call,all"] and m[3:] == ["B: 2", "A: 1"]
    ctl.drop_after(n=0)
    ctl.cancel_drop()
    c.action("Action: Ping")
    assert c.message()[0] == "Response: Success"
    ctl.set_contacts(endpoint="201", contacts=["sip:201@127.0.0.1:5071"], state="In use")
    ev = c.message()                                   # res_pjsip announces the new contact to listeners
    assert ev[0] == "Event: ContactStatus" and "ContactStatus: Created" in ev and "AOR: 201" in ev
    ctl.delay(ms=1000)
    ctl.refuse(on=True)
    ctl.reset()
    login(pbx.port).close()                                                # refuse is off again
    t = time.time()
    c.action("Action: PJSIPShowContacts")                                  # contacts gone, no delay
    assert c.message()[:2] == ["Response: Error", "Message: No Contacts found\n"]
    assert time.time() - t < 0.9
    assert ctl.counters()["actions"] == {"Login": 1, "PJSIPShowContacts": 1}


# --- get_input() over TLS: a 1024-byte window, SSL_read() and poll() on the raw socket (ami.md) -----------------

@pytest.fixture(scope="module")
def cert_pair(tmp_path_factory):
    return testpbx.make_cert(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def tls_pbx(confdir, cert_pair):
    p = testpbx.TestPBX(str(confdir), users=USERS, tls_port=0, cert=cert_pair[0], key=cert_pair[1]).start()
    yield p
    p.stop()


def big_updateconfig(size=2045, fn="tls.conf"):
    """A valid UpdateConfig of exactly `size` bytes (ami.md's observation used 2,045): NewCat + Appends."""
    lines = ["Action: UpdateConfig", "SrcFilename: %s" % fn, "DstFilename: %s" % fn, "ActionID: big",
             "Action-000000: NewCat", "Cat-000000: big"]
    i = 1
    while True:
        act = ["Action-%06d: Append" % i, "Cat-%06d: big" % i, "Var-%06d: v%d" % (i, i), "Value-%06d: " % i]
        if len("".join(l + "\r\n" for l in lines + act)) + 2 + 60 > size:
            break
        act[-1] += "x" * 40
        lines += act
        i += 1
    lines[-1] += "y" * (size - len("".join(l + "\r\n" for l in lines)) - 2)
    data = "".join(l + "\r\n" for l in lines) + "\r\n"
    assert len(data) == size and max(len(l) for l in lines) < 1000
    return data.encode(), i - 1


def line_chunks(data, limit=1000):
    """data cut at line ends into pieces of at most `limit` bytes (what Centralita must write over TLS)."""
    chunks, cur = [], b""
    for line in data.splitlines(keepends=True):
        if cur and len(cur) + len(line) > limit:
            chunks.append(cur)
            cur = b""
        cur += line
    chunks.append(cur)
    assert all(len(c) <= limit for c in chunks)
    return chunks


def test_tls_request_in_one_big_record_stalls(confdir, tls_pbx):
    """get_input() reads at most 1024 - inlen bytes with SSL_read() and then poll()s the raw socket without asking
    SSL_pending(): the tail of a 2 KB request written as ONE TLS record stays decrypted inside OpenSSL and nothing
    answers (observed on a real 22.10.1: no answer in 3 s).  More bytes on the socket (here a Ping's record)
    release it, and both are answered in order."""
    (confdir / "tls.conf").write_text("")
    data, n = big_updateconfig()
    c = login(tls_pbx.tls_port, tls=True)
    c.sock.sendall(data)                          # one SSL_write(): one TLS record of 2,045 bytes
    c.sock.settimeout(2)
    with pytest.raises(socket.timeout):
        c.sock.recv(65536)
    assert (confdir / "tls.conf").read_text() == ""          # not executed either
    c.sock.settimeout(5)
    c.action("Action: Ping", "ActionID: p")
    assert c.message() == ["Response: Success", "ActionID: big"]
    assert c.message()[:3] == ["Response: Success", "ActionID: p", "Ping: Pong"]
    assert body(confdir / "tls.conf").count(" = x") == n
    c.close()


def test_tls_request_in_records_of_1000_bytes_is_answered(confdir, tls_pbx):
    """The same bytes written as records of at most 1,000 bytes, each cut at a line end, are answered at once."""
    (confdir / "tls.conf").write_text("")
    data, n = big_updateconfig()
    c = login(tls_pbx.tls_port, tls=True)
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t = time.time()
    chunks = line_chunks(data)
    assert len(chunks) >= 3
    for chunk in chunks:
        c.sock.sendall(chunk)                     # one record each
    c.sock.settimeout(2)
    assert c.message() == ["Response: Success", "ActionID: big"]
    assert time.time() - t < 1
    assert body(confdir / "tls.conf").count(" = x") == n
    c.close()


def test_tcp_big_request_in_one_write_is_answered(confdir, pbx):
    """Plain TCP is immune: poll() sees what the kernel still holds."""
    (confdir / "tls.conf").write_text("")
    data, n = big_updateconfig()
    c = login(pbx.port)
    c.sock.sendall(data)
    c.sock.settimeout(2)
    assert c.message() == ["Response: Success", "ActionID: big"]
    assert body(confdir / "tls.conf").count(" = x") == n


class BioTLS:
    """A TLS client over a raw socket through ssl.MemoryBIO, to write TLS records byte by byte and to see whether
    the server's close was a clean close_notify."""

    def __init__(self, port):
        self.raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = self.raw.recv(65536)
                if not data:
                    raise ConnectionError("closed during the TLS handshake")
                self.inc.write(data)
        self._flush()
        self.plain = b""

    def _flush(self):
        data = self.out.read()
        if data:
            self.raw.sendall(data)

    def record(self, data):
        """The bytes of one TLS record carrying data (not sent)."""
        self.obj.write(data)
        return self.out.read()

    def read_until(self, marker):
        while marker not in self.plain:
            try:
                data = self.obj.read(65536)
                if not data:                     # SSL_ERROR_ZERO_RETURN: the peer's close_notify
                    raise EOFError(self.plain)
                self.plain += data
                continue
            except ssl.SSLWantReadError:
                pass
            data = self.raw.recv(65536)
            if not data:
                raise EOFError(self.plain)
            self.inc.write(data)
        return self.plain

    def closed_how(self):
        """"close_notify" if the server ended TLS cleanly, "eof" if it just closed the socket."""
        while True:
            try:
                data = self.obj.read(65536)
                if not data:                     # SSL_ERROR_ZERO_RETURN: the peer's close_notify
                    return "close_notify"
                self.plain += data
                continue
            except ssl.SSLZeroReturnError:
                return "close_notify"
            except ssl.SSLWantReadError:
                pass
            data = self.raw.recv(65536)
            if not data:
                return "eof"
            self.inc.write(data)


def test_tls_record_split_across_segments_ends_the_session(tls_pbx):
    """The session's stream is non-blocking and not exclusive_input: when poll() wakes for the first bytes of a
    record whose rest has not arrived yet, SSL_read() wants more, iostream_read() returns -1 (EAGAIN), get_input()
    -1, and Asterisk ends the session (iostream.c / manager.c)."""
    c = BioTLS(tls_pbx.tls_port)
    c.read_until(b"\r\n")                                       # banner
    c.raw.sendall(c.record(b"Action: Login\r\nUsername: admin\r\nSecret: admin-secret-123\r\nEvents: off\r\n\r\n"))
    c.read_until(b"Authentication accepted\r\n\r\n")
    rec = c.record(b"Action: Ping\r\nActionID: split\r\n\r\n")
    c.raw.sendall(rec[:10])
    time.sleep(0.3)
    try:
        c.raw.sendall(rec[10:])
    except OSError:
        pass
    assert c.closed_how() == "close_notify"
    assert b"split" not in c.plain


def test_tls_logoff_sends_close_notify(tls_pbx):
    """ast_iostream_close() calls SSL_shutdown(): a TLS client sees a clean end, not a truncated stream."""
    c = BioTLS(tls_pbx.tls_port)
    c.read_until(b"\r\n")
    c.raw.sendall(c.record(b"Action: Logoff\r\n\r\n"))
    assert c.closed_how() == "close_notify"
    assert c.plain.endswith(b"Response: Goodbye\r\nMessage: Thanks for all the fish.\r\n\r\n")


# --- Asterisk 22.10.1 quirks (source read, and checked against a real 22.10.1 on 2026-12-02: "observed") ---------

def test_update_changes_the_first_match(confdir, pbx):
    """ast_variable_update() replaces the FIRST variable of that name (not the last), under the name as given."""
    (confdir / "u.conf").write_text("[a]\nk=1\nk=2\nk=3\n")
    c = login(pbx.port)
    assert update(c, "u.conf", [{"Action": "Update", "Cat": "a", "Var": "K", "Value": "9"}]) == ["Response: Success"]
    assert body(confdir / "u.conf") == "[a]\nK = 9\nk = 2\nk = 3\n"                   # observed


def test_comments_blank_lines_round_trip(confdir, pbx):
    """The reader keeps the blanks before a ";" with the comment (22.x), keeps blank lines as comments (so 6 blank
    lines stay 6, and trailing ones stay), and the writer adds "  " before a same-line comment."""
    (confdir / "c.conf").write_text(
        "; head\n[a] ; cat comment\nx = 1 ; one space\ny=2;none\nz = 3  ; two\nw = 4\t; tab\n   ; indented\nv = 5\n"
        "\n\n\n\n\n\n[b]\nq = 1\n\n\n")
    c = login(pbx.port)
    assert update(c, "c.conf", [{"Action": "Append", "Cat": "b", "Var": "n", "Value": "new"}]) == ["Response: Success"]
    assert body(confdir / "c.conf") == (                                                # observed
        "; head\n[a] ; cat comment\nx = 1   ; one space\ny = 2  ;none\nz = 3  ; two\nw = 4  \t; tab\n   ; indented\n"
        "v = 5\n\n\n\n\n\n\n[b]\nq = 1\n\n\nn = new\n")


def test_file_reader_limits(confdir, pbx):
    """config_text_file_load(): a UTF-8 BOM is skipped; a line that does not fit fgets()'s 8192-byte buffer is
    dropped whole; a NUL ends its line; ;-- --; comments (a stray "--;" makes the rest a comment); "\\=" escapes."""
    c = login(pbx.port)
    (confdir / "bom.conf").write_bytes(b"\xef\xbb\xbf[a]\nx=1\n")
    assert get_config(c, "bom.conf") == ["Response: Success", "Category-000000: a", "Line-000000-000000: x=1"]
    (confdir / "long.conf").write_bytes(b"[a]\nx=1\ny=" + b"z" * 9000 + b"\nw=2\nv=" + b"q" * 8189 + b"\nu=" +
                                        b"q" * 8188 + b"\nt=3\n")
    m = get_config(c, "long.conf")
    assert [l[:21] for l in m] == ["Response: Success", "Category-000000: a", "Line-000000-000000: x",
                                   "Line-000000-000001: w", "Line-000000-000002: u", "Line-000000-000003: t"]
    (confdir / "nul.conf").write_bytes(b"[a]\nx=1\x00junk\ny=2\n\x00[b]\nz=3\n")
    assert get_config(c, "nul.conf")[1:] == ["Category-000000: a", "Line-000000-000000: x=1",
                                             "Line-000000-000001: y=2", "Line-000000-000002: z=3"]
    (confdir / "blk.conf").write_text("[a]\nx=1 ;-- start\nstill comment\n--; y=2\nz=3\nv=a--;b\nw=4\n[b]\nq=1\n")
    assert get_config(c, "blk.conf")[1:] == ["Category-000000: a", "Line-000000-000000: x=1", "Line-000000-000001: y=2",
                                             "Line-000000-000002: z=3", "Line-000000-000003: v=a--;b"]
    assert update(c, "blk.conf", [{"Action": "Append", "Cat": "a", "Var": "n", "Value": "1"}]) == ["Response: Success"]
    assert body(confdir / "blk.conf") == \
        "[a]\nx = 1\nstill comment\ny = 2\nz = 3\nv = a--\\;b\nw=4\n[b]\nq=1\nn = 1\n"       # observed
    (confdir / "esc.conf").write_text("[a]\n\\=x=1\n\\;y=2\nnoeq\n=val\nx => y\nx2 =>y\nx3 = >y\n")
    assert get_config(c, "esc.conf")[2:] == ["Line-000000-000000: =x=1", "Line-000000-000001: ;y=2",
                                             "Line-000000-000002: x=y", "Line-000000-000003: x2=y",
                                             "Line-000000-000004: x3=>y"]


def test_plus_equals_and_empty_inheritance(confdir, pbx):
    """"name += more" extends the value of the LAST variable of that name, but ast_variable_update() then writes it
    into the FIRST one with that name and (case-insensitively) that value; "[a]()" inherits from the first
    category."""
    (confdir / "p.conf").write_text("[a]\nallow=ulaw\nallow=ULAW\nallow += ,alaw\nx=1\nx += 2\n[first2]\n[b]()\n")
    c = login(pbx.port)
    assert get_config(c, "p.conf") == [
        "Response: Success", "Category-000000: a", "Line-000000-000000: allow=ULAW ,alaw",
        "Line-000000-000001: allow=ULAW", "Line-000000-000002: x=1 2", "Category-000001: first2",
        "Category-000002: b", "Templates-000002: a", "Line-000002-000000: allow=ULAW ,alaw",
        "Line-000002-000001: allow=ULAW", "Line-000002-000002: x=1 2"]


def test_category_names_are_cut_to_79_bytes(confdir, pbx):
    """struct ast_category { char name[80]; }: NewCat keeps 79 bytes; the full name then matches nothing."""
    (confdir / "n.conf").write_text("")
    c = login(pbx.port)
    name = "c" * 100
    assert update(c, "n.conf", [{"Action": "NewCat", "Cat": name}]) == ["Response: Success"]
    assert update(c, "n.conf", [{"Action": "Append", "Cat": name, "Var": "a", "Value": "1"}]) == \
        ["Response: Error", "Message: Given category does not exist"]
    assert update(c, "n.conf", [{"Action": "Append", "Cat": name[:79], "Var": "a", "Value": "1"}]) == \
        ["Response: Success"]
    assert body(confdir / "n.conf") == "[%s]\na = 1\n" % name[:79]


def test_insert_quirks(confdir, pbx):
    """ast_variable_insert(): Line < 1 goes after the first variable; past the end it appends but leaves
    category->last behind, so an Append in the same request drops the inserted variable; a ">" value is not an
    object for Insert; a Line that is not a number inserts nothing and succeeds."""
    (confdir / "i.conf").write_text("[a]\nx=1\ny=2\n[b]\nx=1\ny=2\n[c]\nx=1\ny=2\n")
    c = login(pbx.port)
    assert update(c, "i.conf", [{"Action": "Insert", "Cat": "a", "Var": "neg", "Value": "1", "Line": "-3"}]) == \
        ["Response: Success"]
    assert update(c, "i.conf", [{"Action": "Insert", "Cat": "b", "Var": "end", "Value": "1", "Line": "9"},
                                {"Action": "Append", "Cat": "b", "Var": "app", "Value": "2"}]) == ["Response: Success"]
    assert update(c, "i.conf", [{"Action": "Insert", "Cat": "c", "Var": "ins", "Value": ">obj", "Line": "1"},
                                {"Action": "Insert", "Cat": "c", "Var": "bad", "Value": "1", "Line": "abc"}]) == \
        ["Response: Success"]
    assert body(confdir / "i.conf") == \
        "[a]\nx = 1\nneg = 1\ny = 2\n[b]\nx = 1\ny = 2\napp = 2\n[c]\nx = 1\nins = obj\ny = 2\n"   # observed


def test_insert_that_crashes_asterisk_drops_every_session(confdir, pbx, ctl):
    """Insert with Line >= 2 into a category holding one variable (or any Line but 0 into an empty one) makes
    ast_variable_insert() dereference NULL: the real Asterisk dies (observed: no answer, every session closed)."""
    (confdir / "crash.conf").write_text("[one]\nx=1\n")
    c, other = login(pbx.port), login(pbx.port)
    c.action("Action: UpdateConfig", "SrcFilename: crash.conf", "DstFilename: crash.conf", "Action-000000: Insert",
             "Cat-000000: one", "Var-000000: v", "Value-000000: 1", "Line-000000: 2")
    assert c.message() is None and other.eof()
    assert (confdir / "crash.conf").read_text() == "[one]\nx=1\n"
    assert ctl.counters()["crashes"] == 1


def test_includes_are_read_and_written_back(confdir, pbx):
    """#include / #tryinclude: the other file's objects are part of the configuration, the save rewrites every
    included file (with its own header) and keeps the directives; new variables go to the DstFilename even in a
    category that came from an included file."""
    (confdir / "main.conf").write_text("; top\n[a]\nx=1\n#include inc1.conf\ny=2\n[b]\nz=3\n#tryinclude try*.conf\n")
    (confdir / "inc1.conf").write_text("w=0\n[c]\nq=1\n; inc comment\n")
    (confdir / "try1.conf").write_text("[d]\nr=1\n")
    (confdir / "try2.conf").write_text("[e]\ns=1\n")
    c = login(pbx.port)
    assert get_config(c, "main.conf") == [
        "Response: Success", "Category-000000: a", "Line-000000-000000: x=1", "Line-000000-000001: w=0",
        "Line-000000-000002: y=2", "Category-000001: c", "Line-000001-000000: q=1", "Category-000002: b",
        "Line-000002-000000: z=3", "Category-000003: d", "Line-000003-000000: r=1", "Category-000004: e",
        "Line-000004-000000: s=1"]
    assert update(c, "main.conf", [{"Action": "Append", "Cat": "c", "Var": "new", "Value": "1"},
                                   {"Action": "Append", "Cat": "a", "Var": "new", "Value": "2"},
                                   {"Action": "NewCat", "Cat": "f"}]) == ["Response: Success"]
    # observed:
    assert body(confdir / "main.conf") == ('; top\n[a]\nx = 1\n#include "inc1.conf"\ny = 2\nnew = 2\nnew = 1\n'
                                          '[b]\nz = 3\n[f]\n#tryinclude "try*.conf"\n')
    head = (confdir / "inc1.conf").read_text().split("\n")
    assert head[2] == ";! Filename: main.conf (%s/inc1.conf)" % os.path.realpath(str(confdir))
    assert "\n".join(head[6:]) == "w = 0\n[c]\nq = 1\n"
    assert "\n".join((confdir / "try2.conf").read_text().split("\n")[6:]) == "\n\n\n[e]\ns = 1\n"
    (confdir / "bad.conf").write_text("[a]\n#include nosuch.conf\n")
    assert get_config(c, "bad.conf") == ["Response: Error", "Message: Config file has invalid format"]


def test_regex_filters_are_posix(confdir, pbx):
    """does_category_match() uses regcomp(REG_EXTENDED): [[:alpha:]] works, "\\d" is a plain "d"."""
    (confdir / "f.conf").write_text("[201]\ntype=endpoint\n[201]\ntype=aor\n[x1]\ntype=auth\nuser=A1\n")
    c = login(pbx.port)
    c.action("Action: ListCategories", "Filename: f.conf", "Match: type=[[:alpha:]]+,user=[[:digit:]]")
    assert c.message() == ["Response: Success", "Category-000000: x1"]
    c.action("Action: ListCategories", "Filename: f.conf", "Match: type=\\d")
    assert c.message() == ["Response: Success", "Category-000000: 201"]          # observed: "endpoint" has a d


def test_no_trimming_in_ast_true(confdir, pbx, ctl):
    """ast_true()/ast_false() compare without trimming: "on " is neither (Events: Off, no class matches either);
    "Reload: yes " asks for a module called "yes "."""
    c = login(pbx.port)
    c.action("Action: Events", "EventMask: on ", "ActionID: e")
    assert c.message() == ["Response: Success", "ActionID: e", "Events: Off"]      # observed
    (confdir / "t.conf").write_text("[a]\n")
    update(c, "t.conf", [{"Action": "Append", "Cat": "a", "Var": "x", "Value": "1"}], Reload="yes ")
    assert [(r["module"], r["status"]) for r in ctl.counters()["reloads"]] == [("yes ", 2)]


def test_fixed_size_buffers_cut_long_values(pbx):
    """idText[256] in Events, idText[150] in CoreSettings/CoreStatus, buf[512] for an unknown action: snprintf()
    cuts the text, CRLF included, so the next line is glued on (observed)."""
    c = login(pbx.port)
    aid = "A" * 200
    c.action("Action: Events", "EventMask: off", "ActionID: " + aid + "Z" * 100)
    assert c.message() == ["Response: Success", "ActionID: " + aid + "Z" * 45 + "Events: Off"]
    c.action("Action: CoreSettings", "ActionID: " + aid)
    assert c.message()[:3] == ["Response: Success", "ActionID: " + aid[:139] + "AMIversion: 11.0.0",
                               "AsteriskVersion: 22.10.1"]
    c.action("Action: " + "X" * 600)
    m = c.message()
    assert m[1] == "Message: Invalid/unknown command: " + "X" * 486 and len(m) == 2
    c.action("Action: Ping", "ActionID: " + aid)                                   # astman_append(): no limit
    assert c.message()[1] == "ActionID: " + aid


def test_reload_answers_and_events(confdir, pbx, ctl):
    """ast_module_reload(): "No such module" (chan_sip is gone in 22), "Module does not support reload", or
    success; each publishes a "Reload" event (class system) with Module and Status (observed)."""
    c = login(pbx.port, events="system")
    assert c.message()[0] == "Event: FullyBooted"
    (confdir / "r.conf").write_text("[a]\n")
    assert update(c, "r.conf", [{"Action": "Append", "Cat": "a", "Var": "x", "Value": "1"}],
                  Reload="chan_sip.so") == ["Response: Success"]
    ev = c.message()
    assert ev[0] == "Event: Reload" and ev[1] == "Privilege: system,all" and ev[-2:] == ["Module: chan_sip.so",
                                                                                         "Status: 2"]
    for module, answer, status in (("nosuch.so", "Message: No such module", "2"),
                                   ("chan_pjsip.so", "Message: Module does not support reload", "6"),
                                   ("pbx_config", "Message: Module Reloaded", "0")):
        c.action("Action: Reload", "Module: " + module, "ActionID: r")
        assert c.message() == ["Response: %s" % ("Success" if status == "0" else "Error"), "ActionID: r", answer]
        assert c.message()[-2:] == ["Module: " + module, "Status: " + status]
    assert [r["status"] for r in ctl.counters()["reloads"]] == [2, 2, 6, 0]


def test_answers_are_written_one_astman_append_at_a_time(confdir, tls_pbx):
    """Every astman_append() is its own write, so over TLS its own record (observed record by record)."""
    (confdir / "g.conf").write_text("[a](!)\nx=1\n[b](a)\ny=2\n")
    b = BioTLS(tls_pbx.tls_port)
    b.read_until(b"\r\n")
    b.raw.sendall(b.record(b"Action: Login\r\nUsername: admin\r\nSecret: admin-secret-123\r\nEvents: off\r\n\r\n"))
    b.read_until(b"accepted\r\n\r\n")

    def records(request, end):
        b.plain = b""
        b.raw.sendall(b.record(request))
        recs = []
        while end not in b"".join(recs):
            try:
                recs.append(b.obj.read(65536))                 # SSL_read(): one record at most
                continue
            except ssl.SSLWantReadError:
                pass
            data = b.raw.recv(65536)
            assert data, "closed"
            b.inc.write(data)
        return [r.decode() for r in recs]

    assert records(b"Action: GetConfig\r\nFilename: g.conf\r\nActionID: g\r\n\r\n", b"\r\n\r\n") == [
        "Response: Success\r\nActionID: g\r\n", "Category-000000: b\r\n", "Templates-000000: a\r\n",
        "Line-000000-000000: x=1\r\n", "Line-000000-000001: y=2\r\n", "\r\n"]
    assert records(b"Action: GetConfigJSON\r\nFilename: g.conf\r\n\r\n", b"}\r\n\r\n") == [
        "Response: Success\r\n", "JSON: {", '"', "b", '":{', '"templates":"a"', ',"', "x", '":"', "1", '"', ',"',
        "y", '":"', "2", '"', "}", "}\r\n\r\n"]
    ping = records(b"Action: Ping\r\nActionID: 1\r\n\r\n", b"\r\n\r\n")
    assert ping[:2] == ["Response: Success\r\n", "ActionID: 1\r\n"] and ping[2].startswith("Ping: Pong\r\n")


def test_createconfig_through_a_file(confdir, pbx):
    """realpath() of "file.conf" succeeds, then open("file.conf/x.conf") fails: strerror(ENOTDIR) (observed)."""
    (confdir / "file.conf").write_text("")
    c = login(pbx.port)
    c.action("Action: CreateConfig", "Filename: file.conf/x.conf")
    assert c.message() == ["Response: Error", "Message: Not a directory"]
    c.action("Action: CreateConfig", "Filename: nosuchdir/x.conf")
    assert c.message() == ["Response: Error", "Message: No such file or directory"]


def test_authtimeout_ends_on_a_whole_second(confdir):
    """get_input()/do_message() count time() seconds: an unauthenticated session ends once time() - authstart >
    authtimeout, i.e. at the start of wall-clock second authstart + authtimeout + 1 (observed 2.1-2.9 s for 2)."""
    p = testpbx.TestPBX(str(confdir), users=testpbx.users_text(USERS, {"authtimeout": "1"})).start()
    try:
        c = Conn(p.port)
        t0 = time.time()
        c.line()
        assert c.eof(5)
        t = time.time()
        assert int(t0) + 2 - 0.05 <= t < int(t0) + 2.5, (t0, t)
        assert t - t0 > 1
    finally:
        p.stop()


def test_authlimit_over_tls_completes_the_handshake(confdir, cert_pair):
    """handle_tcptls_connection() does the TLS handshake before session_do() counts unauthenticated sessions: the
    connection over the limit gets a handshake, then a close_notify, and no banner (observed)."""
    p = testpbx.TestPBX(str(confdir), users=testpbx.users_text(USERS, {"authlimit": "1"}), tls_port=0,
                        cert=cert_pair[0], key=cert_pair[1]).start()
    try:
        first = Conn(p.port)
        assert first.line() == "Asterisk Call Manager/11.0.0"
        b = BioTLS(p.tls_port)                                 # handshake succeeds
        assert b.closed_how() == "close_notify" and b.plain == b""
        first.close()
    finally:
        p.stop()


def test_user_acl(confdir):
    """permit/deny lines (ast_apply_ha(): the last matching line wins); a denied user gets "Authentication
    failed" after the usual second (observed)."""
    users = dict(USERS)
    users["lan"] = {"secret": "lan-secret-123", "read": "all", "write": "all", "deny": "0.0.0.0/0.0.0.0",
                    "permit": "10.0.0.0/8"}
    users["local"] = {"secret": "local-secret-123", "read": "all", "write": "all", "deny": "0.0.0.0/0.0.0.0",
                      "permit": "127.0.0.1/255.255.255.255"}
    p = testpbx.TestPBX(str(confdir), users=users).start()
    try:
        for user, ok in (("lan", False), ("local", True)):
            c = Conn(p.port)
            c.line()
            c.action("Action: Login", "Username: " + user, "Secret: " + users[user]["secret"])
            assert c.message()[1] == ("Message: Authentication accepted" if ok else
                                      "Message: Authentication failed")
    finally:
        p.stop()


# ---------------------------------------------------------------- crashes and restarts (issue 9)

def core_status(c):
    c.action("Action: CoreStatus")
    return dict(l.split(": ", 1) for l in c.message()[1:])


def test_control_restart_drops_sessions_and_changes_start_time(pbx, ctl):
    a = login(pbx.port)
    before = core_status(a)
    time.sleep(1.05)                        # CoreStatus counts whole seconds, as Asterisk does
    assert ctl.restart()["killed"] >= 1
    assert a.eof()
    b = login(pbx.port)
    after = core_status(b)
    assert (after["CoreStartupDate"], after["CoreStartupTime"]) != (before["CoreStartupDate"],
                                                                    before["CoreStartupTime"])
    assert after["CoreReloadTime"] == after["CoreStartupTime"]
    assert ctl.counters()["restarts"] == 1
    b.close()


def test_control_truncate_cuts_a_file_in_place(confdir, pbx, ctl):
    (confdir / "pjsip.conf").write_text("[201]\ntype = endpoint\n\n[201-auth]\ntype = auth\npassword = secret\n")
    text = (confdir / "pjsip.conf").read_text()
    keep = text.index("password")
    ctl.truncate(file="pjsip.conf", keep=keep)
    assert (confdir / "pjsip.conf").read_text() == text[:keep]
    c = login(pbx.port)
    m = get_config(c, "pjsip.conf")
    assert "Line-000001-000000: type=auth" in m and not any("password" in l for l in m)   # half a category
    c.close()


def test_crash_on_save_leaves_part_of_the_file_and_restarts(confdir, pbx, ctl):
    (confdir / "pjsip.conf").write_text("".join("[%d]\ntype = aor\nmax_contacts = 1\n\n" % n for n in range(100, 140)))
    c = login(pbx.port)
    ctl.crash_on_save(file="pjsip.conf", fraction=0.3)
    c.action("Action: UpdateConfig", "SrcFilename: pjsip.conf", "DstFilename: pjsip.conf",
             "Action-000000: NewCat", "Cat-000000: 999")
    assert c.eof()                            # no answer: killed mid-save
    text = (confdir / "pjsip.conf").read_text()
    assert text.startswith(";!\n") and "[999]" not in text and "[139]" not in text and "[100]" in text
    assert ctl.counters()["restarts"] == 1
    c = login(pbx.port)                       # "started again"; the crash was one-shot
    assert update(c, "pjsip.conf", [{"Action": "NewCat", "Cat": "999"}]) == ["Response: Success"]
    assert "[999]" in (confdir / "pjsip.conf").read_text()
    c.close()


# --- what is loaded: a file is live only after its module reloaded (observed on 22.10.1) --------------------------

def test_files_are_live_only_after_a_reload(confdir, pbx, ctl):
    c = login(pbx.port)
    c.action("Action: PJSIPShowAors", "ActionID: a")
    assert c.message() == ["Response: Error", "ActionID: a", "Message: No AORs found\n"]
    (confdir / "pjsip.conf").write_text(PJSIP_CONF)
    c.action("Action: PJSIPShowAuths", "ActionID: a")
    assert c.message() == ["Response: Error", "ActionID: a", "Message: No Auths found\n"]   # written, not loaded
    c.action("Action: Reload", "Module: res_pjsip.so")
    assert c.message() == ["Response: Success", "Message: Module Reloaded"]
    c.action("Action: PJSIPShowAuths", "ActionID: a")
    assert c.message()[:3] == ["Response: Success", "ActionID: a", "EventList: start"]
    first = c.message()
    assert first[:4] == ["Event: AuthList", "ActionID: a", "ObjectType: auth", "ObjectName: 201-auth"]
    assert "Username: 201" in first and "Password: secret201" in first
    assert "ObjectName: 202-auth" in c.message()
    assert c.message() == ["Event: AuthListComplete", "ActionID: a", "EventList: Complete", "ListItems: 2"]
    c.action("Action: PJSIPShowAors")
    c.message()
    assert "MaxContacts: 1" in c.message() and "ObjectName: 202" in c.message()
    assert c.message()[-1] == "ListItems: 2"
    ctl.unload(names=["201"])                  # as if that reload had been lost for 201
    c.action("Action: PJSIPShowEndpoints")
    c.message()
    assert "ObjectName: 202" in c.message() and c.message()[-1] == "ListItems: 1"
    c.close()


def test_showdialplan_lists_what_pbx_config_loaded(confdir, pbx, ctl):
    (confdir / "extensions.conf").write_text(
        "[general]\nstatic = yes\n[internal]\ninclude => centralita-phones\nexten => 260,1,Playback(hello)\n"
        "#tryinclude centralita/dialplan-*.conf\n")
    (confdir / "centralita").mkdir()
    (confdir / "centralita" / "dialplan-1.conf").write_text(
        "[centralita-phones]\nexten => 201,hint,PJSIP/201\nexten => 201,1,Dial(PJSIP/201,30)\nexten => 201,n,Hangup()\n")
    c = login(pbx.port)
    c.action("Action: ShowDialPlan", "Context: centralita-phones", "ActionID: d")
    assert c.message() == ["Response: Error", "ActionID: d", "Message: Did not find context centralita-phones"]
    c.action("Action: Command", "Command: dialplan reload")
    c.message()
    c.action("Action: ShowDialPlan", "Context: centralita-phones", "ActionID: d")
    assert c.message() == ["Response: Success", "ActionID: d", "EventList: start",
                           "Message: DialPlan list will follow"]
    assert c.message() == ["Event: ListDialplan", "ActionID: d", "Context: centralita-phones", "Extension: 201",
                           "Priority: hint", "Application: PJSIP/201", "Registrar: pbx_config"]
    assert c.message() == ["Event: ListDialplan", "ActionID: d", "Context: centralita-phones", "Extension: 201",
                           "Priority: 1", "Application: Dial", "AppData: PJSIP/201,30", "Registrar: pbx_config"]
    assert c.message()[4:7] == ["Priority: 2", "Application: Hangup", "AppData: "]
    assert c.message() == ["Event: ShowDialPlanComplete", "ActionID: d", "EventList: Complete", "ListItems: 3",
                           "ListExtensions: 1", "ListPriorities: 3", "ListContexts: 1"]
    c.action("Action: ShowDialPlan", "Context: centralita-phones", "Extension: 999")
    assert c.message() == ["Response: Error", "Message: Did not find extension 999@centralita-phones"]
    c.close()


def test_a_booting_pbx_lists_pjsip_before_the_dialplan_and_queues_reloads(confdir, pbx, ctl):
    """While Asterisk boots, AMI already answers and its modules load one by one (observed on 22.10.1 by polling
    from the first accepted login): res_pjsip lists the endpoints while ShowDialPlan still says "Did not find
    context"; a Reload then answers "Module Reloaded" though it is only queued (loader.c: AST_MODULE_RELOAD_QUEUED,
    its Reload event says Status 1); a login gets no FullyBooted. When the boot ends the dialplan is there, and
    the FullyBooted event reaches the sessions that read system events; a login then gets it at once."""
    (confdir / "pjsip.conf").write_text(PJSIP_CONF)
    (confdir / "extensions.conf").write_text("[general]\nstatic = yes\n[internal]\nexten => 260,1,Playback(hello)\n")
    ctl.restart(boot_ms=1500)
    c = login(pbx.port, events="system")
    c.action("Action: Ping", "ActionID: p")
    first = c.message()
    assert first[0] == "Response: Success"       # no FullyBooted before the Ping's answer: not booted
    c.action("Action: PJSIPShowEndpoints", "ActionID: e")
    assert c.response()[:3] == ["Response: Success", "ActionID: e", "EventList: start"]
    assert "ObjectName: 201" in c.message()
    c.action("Action: ShowDialPlan", "Context: internal", "ActionID: d")
    assert c.response() == ["Response: Error", "ActionID: d", "Message: Did not find context internal"]
    c.action("Action: Reload", "Module: pbx_config.so", "ActionID: r")
    assert c.response() == ["Response: Success", "ActionID: r", "Message: Module Reloaded"]
    ev = c.message()
    assert ev[0] == "Event: Reload" and "Status: 1" in ev
    c.action("Action: ShowDialPlan", "Context: internal", "ActionID: d")
    assert c.response() == ["Response: Error", "ActionID: d", "Message: Did not find context internal"]
    c.sock.settimeout(5)
    booted = None
    for _ in range(20):                           # the boot's end: the queued reload's event, then FullyBooted
        m = c.message()
        if m and m[0] == "Event: FullyBooted":
            booted = m
            break
    assert booted and "Status: Fully Booted" in booted
    c.action("Action: ShowDialPlan", "Context: internal", "ActionID: d")
    assert c.response()[:3] == ["Response: Success", "ActionID: d", "EventList: start"]
    reloads = [r for r in ctl.counters()["reloads"] if r["module"] == "pbx_config.so"]
    assert [(r["via"], r["status"]) for r in reloads] == [("Reload", 1), ("boot", 0)], reloads
    c.close()
    d = login(pbx.port, events="system")
    assert d.message()[0] == "Event: FullyBooted"
    d.close()


def test_a_pbx_shutting_down_refuses_everything_then_goes(pbx, ctl):
    """"core stop now" as observed on 22.10.1: the Shutdown event, then every action of a session, and a new
    Login, answered "Asterisk is shutting down" (manager.c process_message: ast_shutting_down()), then the
    sessions end and the port closes."""
    c = login(pbx.port, events="system")
    assert c.message()[0] == "Event: FullyBooted"
    ctl.shutdown(ms=400)
    ev = c.message()
    assert ev[:2] == ["Event: Shutdown", "Privilege: system,all"] and "Shutdown: Cleanly" in ev
    c.action("Action: Ping", "ActionID: p")
    assert c.message() == ["Response: Error", "ActionID: p", "Message: Asterisk is shutting down"]
    d = Conn(pbx.port)
    assert d.line() == "Asterisk Call Manager/11.0.0"
    d.action("Action: Login", "Username: admin", "Secret: admin-secret-123")
    assert d.message() == ["Response: Error", "Message: Asterisk is shutting down"]
    assert c.eof() and d.eof()
    with pytest.raises(OSError):
        Conn(pbx.port, timeout=1)
    ctl.start_listening()
    login(pbx.port).close()


def test_a_reload_during_another_is_lost(confdir, pbx, ctl):
    """ast_module_reload() only trylocks its reloadlock: "A reload is in progress" to the Reload action, nothing
    at all to UpdateConfig's Reload header (the save succeeded, the reload did not happen); the Reload event goes
    out with Status 4 either way (observed on 22.10.1 with a 130 ms res_pjsip reload)."""
    (confdir / "pjsip.conf").write_text(PJSIP_CONF)
    ctl.reload_ms(ms=600)
    slow = login(pbx.port)
    slow.action("Action: Reload", "Module: res_pjsip.so", "ActionID: s")
    time.sleep(0.15)
    c = login(pbx.port, events="system")
    assert c.message()[0] == "Event: FullyBooted"
    c.action("Action: Reload", "Module: pbx_config.so", "ActionID: b")
    assert c.message() == ["Response: Error", "ActionID: b", "Message: A reload is in progress"]
    assert c.message()[-2:] == ["Module: pbx_config.so", "Status: 4"]
    (confdir / "extensions.conf").write_text("[general]\n[internal]\n")
    assert update(c, "extensions.conf", [{"Action": "Append", "Cat": "internal", "Var": "exten",
                                          "Value": "300,1,Answer()"}], Reload="pbx_config.so") == ["Response: Success"]
    assert c.message()[-2:] == ["Module: pbx_config.so", "Status: 4"]
    assert slow.message() == ["Response: Success", "ActionID: s", "Message: Module Reloaded"]
    assert c.message()[-2:] == ["Module: res_pjsip.so", "Status: 0"]
    c.action("Action: ShowDialPlan", "Context: internal")
    assert c.message()[:2] == ["Response: Error", "Message: Did not find context internal"]   # lost
    assert [r["status"] for r in ctl.counters()["reloads"]] == [0, 4, 4]
    c.close()
    slow.close()


# --- trunks: outbound registrations, permanent contacts, PJSIPShowEndpoint, ShowDialPlan includes (12-trunks) ------

TRUNK_CONF = """[trunk-acme]
type = endpoint
context = from-trunk
disallow = all
allow = ulaw
allow = alaw
outbound_auth = trunk-acme-auth
aors = trunk-acme
direct_media = no
[trunk-acme]
type = aor
contact = sip:127.0.0.1:5092
qualify_frequency = 60
[trunk-acme-auth]
type = auth
auth_type = userpass
username = acmeuser
password = acme-secret-1
[trunk-acme-identify]
type = identify
endpoint = trunk-acme
match = 127.0.0.1
[trunk-acme-reg]
type = registration
server_uri = sip:127.0.0.1:5092
client_uri = sip:acmeuser@127.0.0.1
contact_user = acmeuser
outbound_auth = trunk-acme-auth
expiration = 3600
retry_interval = 60
forbidden_retry_interval = 600
max_retries = 10000
line = yes
endpoint = trunk-acme
"""


def messages_until(c, last_event):
    out = []
    while True:
        m = c.message()
        out.append(m)
        if m and (m[0] == "Event: " + last_event or m[0] == "Response: Error"):
            return out


def trunk_pbx_files(confdir):
    (confdir / "pjsip.conf").write_text(PRISTINE_PJSIP_CONF)
    (confdir / "extensions.conf").write_text(PRISTINE_EXTENSIONS_CONF)
    (confdir / "centralita").mkdir(exist_ok=True)
    (confdir / "centralita" / "pjsip-trunk-1.conf").write_text(TRUNK_CONF)


def registrations(c):
    c.action("Action: PJSIPShowRegistrationsOutbound")
    ms = messages_until(c, "OutboundRegistrationDetailComplete")
    regs = {}
    for m in ms:
        if m and m[0] == "Event: OutboundRegistrationDetail":
            d = dict(l.split(": ", 1) for l in m[1:])
            regs[d["ObjectName"]] = d["Status"]
    return regs, ms[-1]


def test_registrations_are_those_of_the_last_res_pjsip_reload(confdir, pbx, ctl):
    trunk_pbx_files(confdir)
    c = login(pbx.port)
    regs, complete = registrations(c)
    assert regs == {} and complete[-2:] == ["Registered: 0", "NotRegistered: 0"]      # files not loaded yet
    c.action("Action: Reload", "Module: res_pjsip.so")
    assert c.message()[-1] == "Message: Module Reloaded"
    regs, complete = registrations(c)
    assert regs == {"trunk-acme-reg": "Unregistered"}                                   # observed: the start
    assert complete[-3:] == ["ListItems: 1", "Registered: 0", "NotRegistered: 1"]
    ctl.set_registration(name="trunk-acme-reg", status="Registered")
    regs, complete = registrations(c)
    assert regs == {"trunk-acme-reg": "Registered"} and complete[-2:] == ["Registered: 1", "NotRegistered: 0"]
    with pytest.raises(RuntimeError):
        ctl.set_registration(name="trunk-acme-reg", status="Registred")
    # a reload that changes nothing keeps the state; a changed registration starts again
    c.action("Action: Reload", "Module: res_pjsip.so")
    c.message()
    assert registrations(c)[0] == {"trunk-acme-reg": "Registered"}
    (confdir / "centralita" / "pjsip-trunk-1.conf").write_text(TRUNK_CONF.replace("expiration = 3600",
                                                                                  "expiration = 600"))
    c.action("Action: Reload", "Module: res_pjsip.so")
    c.message()
    assert registrations(c)[0] == {"trunk-acme-reg": "Unregistered"}
    ctl.set_registration(name="trunk-acme-reg", status="Rejected")
    assert registrations(c)[0] == {"trunk-acme-reg": "Rejected"}
    assert pbx.control({"cmd": "loaded"})["registrations"] == {"trunk-acme-reg": "Rejected"}
    # removed: no longer listed; a restart forgets every state
    ctl.restart()
    c = login(pbx.port)
    assert registrations(c)[0] == {"trunk-acme-reg": "Unregistered"}
    (confdir / "centralita" / "pjsip-trunk-1.conf").write_text("")
    c.action("Action: Reload", "Module: res_pjsip.so")
    c.message()
    assert registrations(c)[0] == {}
    c.close()


def endpoint_detail(c, name):
    c.action("Action: PJSIPShowEndpoint", "Endpoint: %s" % name)
    return messages_until(c, "EndpointDetailComplete")


def test_permanent_contacts_and_their_qualify_status(confdir, pbx, ctl):
    trunk_pbx_files(confdir)
    pbx.load_pjsip()
    c = login(pbx.port)
    # PJSIPShowContacts lists registered contacts only (observed: "No Contacts found" with permanent ones)
    c.action("Action: PJSIPShowContacts")
    assert c.message() == ["Response: Error", "Message: No Contacts found\n"]
    c.action("Action: PJSIPShowEndpoints")
    eps = {}
    for m in messages_until(c, "EndpointListComplete")[1:-1]:
        d = dict(l.split(": ", 1) for l in m[1:])
        eps[d["ObjectName"]] = (d["Contacts"], d["DeviceState"])
    assert eps == {"250": ("250/sip:250@127.0.0.1:5099,", "Not in use"),      # no qualify: available at once
                   "trunk-acme": ("trunk-acme/sip:127.0.0.1:5092,", "Unavailable")}   # not qualified yet
    ms = endpoint_detail(c, "trunk-acme")
    kinds = [m[0] for m in ms]
    assert kinds == ["Response: Success", "Event: EndpointDetail", "Event: AuthDetail", "Event: AorDetail",
                     "Event: ContactStatusDetail", "Event: IdentifyDetail", "Event: EndpointDetailComplete"]
    detail = dict(l.split(": ", 1) for l in ms[1][1:])
    assert (detail["Context"], detail["Allow"], detail["DirectMedia"], detail["OutboundAuth"],
            detail["DeviceState"]) == ("from-trunk", "(ulaw|alaw)", "false", "trunk-acme-auth", "Unavailable")
    contact = dict(l.split(": ", 1) for l in ms[4][1:])
    assert (contact["Status"], contact["RoundtripUsec"], contact["ID"]) == (
        "NonQualified", "N/A", "trunk-acme@@c6c3ba93fc9d9a59530e5f445f1e5aff")
    assert ms[-1][-1] == "ListItems: 5"
    ctl.set_contact_status(aor="trunk-acme", status="Reachable", rtt_usec=945)
    contact = dict(l.split(": ", 1) for l in endpoint_detail(c, "trunk-acme")[4][1:])
    assert (contact["Status"], contact["RoundtripUsec"]) == ("Reachable", "945")
    c.action("Action: PJSIPShowEndpoints")
    assert "DeviceState: Not in use" in messages_until(c, "EndpointListComplete")[2]
    ctl.set_contact_status(aor="trunk-acme", status="Unreachable")
    ms = endpoint_detail(c, "trunk-acme")
    assert "Status: Unreachable" in ms[4] and "RoundtripUsec: N/A" in ms[4] and "DeviceState: Unavailable" in ms[1]
    with pytest.raises(RuntimeError):
        ctl.set_contact_status(aor="nosuch", status="Reachable")
    with pytest.raises(RuntimeError):
        ctl.set_contact_status(aor="trunk-acme", status="Avail")
    # the status survives a reload; a contact that changes starts again NonQualified
    c.action("Action: Reload", "Module: res_pjsip.so")
    c.message()
    assert "Status: Unreachable" in endpoint_detail(c, "trunk-acme")[4]
    (confdir / "centralita" / "pjsip-trunk-1.conf").write_text(TRUNK_CONF.replace("5092", "5093"))
    c.action("Action: Reload", "Module: res_pjsip.so")
    c.message()
    assert "Status: NonQualified" in endpoint_detail(c, "trunk-acme")[4]
    # unknown endpoint: observed, with its stray LF; no name at all
    c.action("Action: PJSIPShowEndpoint", "Endpoint: trunk-nosuch", "ActionID: x")
    assert c.message() == ["Response: Error", "ActionID: x", "Message: Unable to retrieve endpoint trunk-nosuch\n"]
    c.action("Action: PJSIPShowEndpoint")
    assert c.message() == ["Response: Error", "Message: PJSIPShowEndpoint requires an endpoint name\n"]
    c.close()


def test_pjsip_show_contacts_cli_as_observed(confdir, pbx, ctl):
    """The commented CLI capture at the end of 12-trunks, byte for byte once the same RTTs are set."""
    prepare("12-trunks.txt", confdir, pbx)
    replay(os.path.join(TRANSCRIPTS, "12-trunks.txt"), pbx.port, pbx=pbx)
    ctl.set_contact_status(aor="trunk-acme", status="Reachable", rtt_usec=915)
    with open(os.path.join(TRANSCRIPTS, "12-trunks.txt"), encoding="utf-8") as f:
        text = f.read()
    block = text[text.index("#   >>> Command: pjsip show contacts"):]
    want = [l[len("#   <<< "):] for l in block.split("\n") if l.startswith("#   <<< Output: ")]
    want = want[:[w.startswith("Output: Objects found") for w in want].index(True) + 2]   # the first command
    c = login(pbx.port)
    c.action("Action: Command", "Command: pjsip show contacts")
    got = c.message()
    assert got[:2] == ["Response: Success", "Message: Command output follows"]
    assert got[2:] == want
    c.close()


def test_showdialplan_includes_and_extension_search(confdir, pbx):
    trunk_pbx_files(confdir)
    (confdir / "centralita" / "dialplan-routes.conf").write_text(
        "[centralita-class-national]\nexten => 112,1,Goto(centralita-emergency-out,112,1)\n"
        "include = from-internal\ninclude => centralita-route-1\n"
        "[centralita-route-1]\nexten = _00.,1,Goto(out,${EXTEN},1)\nexten => _0ZXXXXXXXX,1,Goto(out,${EXTEN:1},1)\n"
        "include => centralita-class-national\n[centralita-empty]\n")
    pbx.load_dialplan()
    c = login(pbx.port)
    c.action("Action: ShowDialPlan", "Context: centralita-class-national")
    ms = messages_until(c, "ShowDialPlanComplete")
    assert ms[2] == ["Event: ListDialplan", "Context: centralita-class-national", "IncludeContext: from-internal",
                     "Registrar: pbx_config"]
    assert ms[-1][-4:] == ["ListItems: 3", "ListExtensions: 1", "ListPriorities: 1", "ListContexts: 1"]
    # a number: matching extensions of the context and of what it includes (patterns too), loops cut
    c.action("Action: ShowDialPlan", "Context: centralita-class-national", "Extension: 0612345678")
    ms = messages_until(c, "ShowDialPlanComplete")
    assert [m[1:3] for m in ms[1:-1]] == [["Context: centralita-route-1", "Extension: _0ZXXXXXXXX"]]
    # ListContexts counts each visit: national, from-internal, route-1, then national again (the starting context
    # is not on manager_show_dialplan's include stack) and its from-internal; route-1 is, so the loop ends there
    assert ms[-1][-4:] == ["ListItems: 1", "ListExtensions: 1", "ListPriorities: 1", "ListContexts: 5"]
    c.action("Action: ShowDialPlan", "Extension: 0099")
    ms = messages_until(c, "ShowDialPlanComplete")
    assert ["Context: centralita-route-1", "Extension: _00."] in [m[1:3] for m in ms[1:-1]]
    c.action("Action: ShowDialPlan", "Extension: 55555")
    assert c.message() == ["Response: Error", "Message: Did not find extension 55555 in any context"]
    # an empty context is a Success with nothing in it; an unknown one an error (observed)
    c.action("Action: ShowDialPlan", "Context: centralita-empty")
    assert c.message() == ["Response: Success", "EventList: start", "Message: DialPlan list will follow"]
    assert c.message() == ["Event: ShowDialPlanComplete", "EventList: Complete", "ListItems: 0",
                           "ListExtensions: 0", "ListPriorities: 0", "ListContexts: 1"]
    c.action("Action: ShowDialPlan", "Context: centralita-nosuch", "Extension: 112")
    assert c.message() == ["Response: Error", "Message: Did not find context centralita-nosuch"]
    c.close()


def test_extension_order_and_match_follow_pbx_c():
    """ext_cmp(): plain extensions first, then patterns position by position, the narrower set first; equal sets
    are one extension (_N and _[2-9]).  ast_extension_match(): N X Z [..] . !"""
    exts = ["_X.", "_0ZXXXXXXXX", "_00.", "100", "_!", "_N", "1-01", "_[2-9]", "_1X", "_[13]X", "_.", "2"]
    got = sorted(exts, key=testpbx.ext_sort_key)
    assert got[:3] == ["100", "1-01", "2"] or got[:3] == ["1-01", "100", "2"]
    assert got.index("_00.") < got.index("_0ZXXXXXXXX") < got.index("_1X") < got.index("_[13]X")
    assert got.index("_[13]X") < got.index("_N") < got.index("_X.") < got.index("_.") < got.index("_!")
    assert testpbx.ext_sort_key("_N") == testpbx.ext_sort_key("_[2-9]")
    assert testpbx.ext_sort_key("1-01") == testpbx.ext_sort_key("101")
    m = testpbx.ext_match
    assert m("_0ZXXXXXXXX", "0612345678") and not m("_0ZXXXXXXXX", "0012345678")
    assert m("_00.", "0034") and not m("_00.", "00") and m("_00!", "00")
    assert m("_[0-9*#+]!", "+34911") and m("_N", "5") and not m("_N", "1") and m("_n", "5")
    assert m("1-01", "101") and not m("101", "1010")
