"""Phones through the web interface against the real Asterisk (issue 7 section 2): what `pjsip show ...` and
`dialplan show ...` say after each add, edit and removal is what the form said; a name with a semicolon reaches
Asterisk whole; the secrets in the provisioning files let two SIP phones (sipp) register and call each other.

Since issue 9 each phone lives in files of Centralita's own; since issue 13 four phones share a pair of them, by id:
centralita/pjsip-phones-<first>-<last>.conf and centralita/dialplan-phones-<first>-<last>.conf (its lines in the
context centralita-phones, which the phones' context includes once); the integrator's pjsip.conf and extensions.conf
never hold a phone."""
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import asterisk as ast
from web import LIVE_BOUND, NOTES, add_phone, edit_phone, phone_id, provisioning_file, remove_phone, status, wait_for

CONTEXT = ast.PHONES_CONTEXT
CODECS = ["ulaw", "alaw"]             # [asterisk] codecs default
SIPP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")
SAVE_BOUND = 1.0                      # seconds: every save answered well under a second


def assert_saved(r, dt, done="saved"):
    assert r.status == 303, (r.status, r.body[:2000])
    assert r.header("Location") == f"/phones?done={done}", r.header("Location")
    assert dt < SAVE_BOUND, f"the save took {dt:.3f} s (bound {SAVE_BOUND} s)"


def in_phone_files(ext):
    """What Centralita's files (centralita/*.conf) hold for ext: ([(file, type)] of its categories [ext] and
    [ext-auth], [(file, value)] of its exten lines in [centralita-phones])."""
    secs = ast.phones_dir_sections()
    cats = [(f, dict(body).get("type")) for f, name, body in secs if name in (ext, f"{ext}-auth")]
    extens = [(f, v) for f, name, body in secs if name == ast.PHONES_DIALPLAN
              for k, v in body if k == "exten" and v.split(",", 1)[0] == ext]
    return cats, extens


def not_in_integrators_files(ext):
    """Centralita never writes a phone into the integrator's pjsip.conf or extensions.conf."""
    for name, body in ast.conf_file("pjsip.conf"):
        assert name not in (ext, f"{ext}-auth"), f"pjsip.conf has [{name}]"
    for name, body in ast.conf_file("extensions.conf"):
        assert name != f"centralita-{ext}", f"extensions.conf has [{name}]"
        assert ("include", f"centralita-{ext}") not in body, f"[{name}] includes centralita-{ext}"


def assert_once(ext):
    """ext is in Asterisk exactly once: `pjsip show endpoints/aors/auths` list it once, its dialplan lines are in
    centralita-phones once, and Centralita's files hold its endpoint, aor and auth once (in one file) and its two
    exten lines once (in one file)."""
    for kind, name in (("endpoints", ext), ("aors", ext), ("auths", f"{ext}-auth")):
        assert ast.pjsip_ids(kind).count(name) == 1, f"pjsip show {kind}: {name} x {ast.pjsip_ids(kind).count(name)}"
    assert ast.phone_dialplan(ext) == [f"hint: PJSIP/{ext}", f"1. Dial(PJSIP/{ext},30)"], ast.phone_dialplan(ext)
    cats, extens = in_phone_files(ext)
    assert sorted(t for f, t in cats) == ["aor", "auth", "endpoint"], cats
    assert len({f for f, t in cats}) == 1 and cats[0][0].startswith("pjsip-"), cats
    assert sorted(v for f, v in extens) == sorted([f"{ext},hint,PJSIP/{ext}", f"{ext},1,Dial(PJSIP/{ext},30)"]), extens
    assert len({f for f, v in extens}) == 1 and extens[0][0].startswith("dialplan-"), extens


def assert_on_asterisk(ext, name, secret=None):
    """Asterisk has endpoint [ext] (callerid, context, codecs, aor and auth linkage), aor [ext], auth [ext-auth],
    each once, and ext's lines in centralita-phones, which the phones' context includes once. A phone just applied
    is live within LIVE_BOUND (the reloader's reload, issue 13)."""
    wait_for(lambda: (lambda e: e and e.get("callerid") == [f'"{name}" <{ext}>'])(ast.endpoint(ext)) and
             ast.phone_dialplan(ext) == [f"hint: PJSIP/{ext}", f"1. Dial(PJSIP/{ext},30)"], timeout=LIVE_BOUND,
             step=0.05, what=f"{ext} loaded by Asterisk")
    ep = ast.endpoint(ext)
    assert ep, f"pjsip show endpoint {ext}: no such endpoint"
    assert ep["callerid"] == [f'"{name}" <{ext}>'], ep.get("callerid")
    assert ep["context"] == ["centralita-class-national"], ep.get("context")   # its class's (issue 10)
    assert ep["aors"] == [ext], ep.get("aors")
    assert ep["auth"] == [f"{ext}-auth"], ep.get("auth")
    allow = ep["allow"][0]
    assert re.fullmatch(r"\(?" + r"\|".join(CODECS) + r"\)?", allow), allow
    aor = ast.aor(ext)
    assert aor, f"pjsip show aor {ext}: no such aor"
    assert aor["max_contacts"] == ["1"], aor.get("max_contacts")
    assert aor["remove_existing"][0] in ("true", "yes"), aor.get("remove_existing")
    auth = ast.auth(f"{ext}-auth")
    assert auth, f"pjsip show auth {ext}-auth: no such auth"
    assert auth["username"] == [ext], auth.get("username")
    assert auth["auth_type"] == ["userpass"], auth.get("auth_type")
    if secret is not None:
        assert auth["password"] == [secret], "the auth's password is not the provisioning file's"
    assert_once(ext)
    assert ast.includes(CONTEXT).count(ast.PHONES_DIALPLAN) == 1, ast.includes(CONTEXT)
    assert f"Dial(PJSIP/{ext},30)" in ast.cli(f"dialplan show {ext}@{CONTEXT}")
    not_in_integrators_files(ext)


def assert_not_on_asterisk(ext):
    # A removal's files are emptied at once; Asterisk drops the phone at the reloader's reload, a moment later.
    wait_for(lambda: ast.endpoint(ext) is None and not ast.phone_dialplan(ext), timeout=LIVE_BOUND, step=0.05,
             what=f"{ext} gone from Asterisk within {LIVE_BOUND} s")
    assert ast.endpoint(ext) is None, f"endpoint {ext} is still there"
    assert ast.aor(ext) is None, f"aor {ext} is still there"
    assert ast.auth(f"{ext}-auth") is None, f"auth {ext}-auth is still there"
    assert ast.phone_dialplan(ext) == [], f"{ext}@{ast.PHONES_DIALPLAN}: {ast.phone_dialplan(ext)}"
    assert not ast.context_exists(f"centralita-{ext}"), f"context centralita-{ext} is there"
    assert f"centralita-{ext}" not in ast.includes(CONTEXT)
    assert in_phone_files(ext) == ([], []), in_phone_files(ext)
    not_in_integrators_files(ext)


def assert_part_gone(pid, ext):
    """A removed phone's group files stay (AMI cannot delete a file), written again without it."""
    for path in ast.phone_files(pid):
        with open(path) as f:
            text = f.read()
        names = [name for name, body in ast.conf_sections(text)]
        assert ext not in names and f"{ext}-auth" not in names, (path, names)
        assert f"= {ext},hint," not in text and f"= {ext},1," not in text, path


def yealink_secret(stack, mac):
    st, body = provisioning_file(stack, f"{mac}.cfg")
    assert st == 200, (st, body[:500])
    m = re.search(r"^account\.1\.password = (\S+)$", body, re.M)
    assert m, body
    assert re.search(r"^account\.1\.user_name = (\d+)$", body, re.M)
    return m.group(1), body


def grandstream_secret(stack, mac):
    st, body = provisioning_file(stack, f"cfg{mac}.xml")
    assert st == 200, (st, body[:500])
    root = ET.fromstring(body)
    return root.find(".//P34").text, root.find(".//P35").text


# ---------------------------------------------------------------- add, edit, remove

def test_add_edit_remove_phone_asterisk_shows_what_the_form_said(stack, integrator, owner):
    # Add (the integrator's form, with its calling class select).
    r, dt = add_phone(integrator, "210", "Front desk", "yealink-t46u", "00:15:65:AC:02:10")
    assert_saved(r, dt)
    secret, cfg = yealink_secret(stack, "001565ac0210")
    assert "account.1.user_name = 210\n" in cfg
    assert_on_asterisk("210", "Front desk", secret)
    assert status(owner, "210")[0] == "unregistered"

    # Edit the name (the owner's form).
    r, dt = edit_phone(owner, "210", name="Recepción", what="edit 210 name")
    assert_saved(r, dt)
    assert_on_asterisk("210", "Recepción", secret)

    # Edit the extension: 210's categories and dialplan go, 211's come, with the same secret.
    r, dt = edit_phone(owner, "210", extension="211", what="edit 210 -> 211")
    assert_saved(r, dt)
    assert_not_on_asterisk("210")
    assert_on_asterisk("211", "Recepción", secret)
    assert "account.1.user_name = 211\n" in yealink_secret(stack, "001565ac0210")[1]

    # Edit the model and the MAC: Asterisk keeps the phone as it is, the provisioning file moves.
    r, dt = edit_phone(owner, "211", model="grandstream-gxp2160", mac="00:0B:82:AC:02:11", what="edit 211 model+MAC")
    assert_saved(r, dt)
    assert provisioning_file(stack, "001565ac0210.cfg")[0] == 404
    assert grandstream_secret(stack, "000b82ac0211") == (secret, "211")
    assert_on_asterisk("211", "Recepción", secret)

    # Remove: nothing of it is left in Asterisk (its group's two files stay, without it), nor its provisioning file.
    pid = phone_id(owner, "211")
    r, dt = remove_phone(owner, "211")
    assert_saved(r, dt, done="removed")
    assert_not_on_asterisk("211")
    assert_part_gone(pid, "211")
    assert provisioning_file(stack, "cfg000b82ac0211.xml")[0] == 404
    assert status(owner, "211") is None


def test_name_with_semicolon_reaches_asterisk_whole(stack, owner):
    """Asterisk 22 escapes ';' in UpdateConfig values (written \\;, read back as ;)."""
    name = "Ventas; Recepción"
    r, dt = add_phone(owner, "220", name, "yealink-t31p", "00:15:65:AC:02:20")
    assert_saved(r, dt)
    ep = ast.endpoint("220")
    assert ep and ep["callerid"] == [f'"{name}" <220>'], ep and ep.get("callerid")
    with open(ast.phone_files(phone_id(owner, "220"))[0]) as f:     # its group's file
        assert 'callerid = "Ventas\\; Recepción" <220>' in f.read()


# ---------------------------------------------------------------- two phones register and call each other

def allowed(ext):
    """The codecs `pjsip show endpoint` lists for ext ("(ulaw|alaw)"), or None."""
    ep = ast.endpoint(ext)
    return ep["allow"][0] if ep and ep.get("allow") else None


def test_a_codecs_change_rewrites_phones_as_outdated_not_vanished(stack, owner):
    """[asterisk] codecs changes between two runs of the daemon: every phone's file holds what Centralita last
    wrote, but not what it would write now. The verification at start must take them for outdated and write them
    again, never for phones that vanished from the PBX (restored_at); and back again. The file keeps same-named
    sections together (endpoint, aor, then auth, not the order written): the old check compared a digest in the
    order written and called every such phone vanished."""
    ext = "488"
    add_phone(owner, ext, "Codecs", "yealink-t46u", "00:15:65:48:80:00")
    assert_on_asterisk(ext, "Codecs")
    mark = os.path.getsize(stack.log)
    conf = open(stack.conf).read()

    def restart_with(text):
        stack.stop_daemon()
        with open(stack.conf, "w") as f:
            f.write(text)
        stack.start_daemon()
    try:
        restart_with(conf.replace("retry_interval = 1\n", "retry_interval = 1\ncodecs = g722,ulaw\n", 1))
        wait_for(lambda: allowed(ext) in ("(g722|ulaw)", "g722|ulaw"), timeout=15, step=0.1,
                 what=f"{ext} loaded with the new codecs")
    finally:
        restart_with(conf)
    wait_for(lambda: allowed(ext) in ("(ulaw|alaw)", "ulaw|alaw"), timeout=15, step=0.1,
             what=f"{ext} loaded with the codecs back")
    with open(stack.log, errors="replace") as f:
        f.seek(mark)
        text = f.read()
    with sqlite3.connect(stack.db) as db:
        restored = db.execute("SELECT extension FROM phones WHERE restored_at IS NOT NULL").fetchall()
        n = db.execute("SELECT count(*) FROM phones").fetchone()[0]
    outdated = re.findall(r"verification: (\d+) phones, trunks or dialplans were written by an earlier release", text)
    NOTES.append(f"codecs changed and back (two restarts of the daemon, {n} phones): the verifications found "
                 f"{' and '.join(outdated) or 'none'} outdated; 'vanished from the PBX' logged "
                 f"{text.count('vanished from the PBX')} times; restored_at set on {len(restored)}")
    assert "vanished from the PBX" not in text, [l for l in text.splitlines() if "vanished" in l][:5]
    assert not restored, restored
    remove_phone(owner, ext)
    assert_not_on_asterisk(ext)


def sipp(scenario, port, user, *args, password=None, timeout=30, background=False):
    tmp = tempfile.mkdtemp(prefix=f"sipp-{user}-")
    cmd = ["sipp", f"{ast.AMI_HOST}:{ast.SIP_PORT}", "-sf", os.path.join(SIPP_DIR, scenario), "-i", "127.0.0.1",
           "-p", str(port), "-m", "1", "-key", "user", user, "-nostdin", "-timeout", f"{timeout}s",
           "-timeout_error", "-trace_msg", "-message_file", os.path.join(tmp, "messages.log"), "-trace_err",
           "-error_file", os.path.join(tmp, "errors.log"), *args]
    if password is not None:
        cmd += ["-au", user, "-ap", password]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp)
    proc.tmp = tmp
    if background:
        return proc
    return finish(proc, timeout + 10)


def finish(proc, timeout):
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    logs = ""
    for name in ("messages.log", "errors.log"):
        try:
            with open(os.path.join(proc.tmp, name), errors="replace") as f:
                logs += f"--- {name}\n" + f.read()
        except OSError:
            pass
    shutil.rmtree(proc.tmp, ignore_errors=True)   # what matters is in the returned text
    return proc.returncode, logs + (proc.stderr.read() if proc.stderr else "")


def test_phones_register_with_provisioned_secrets_and_call_each_other(stack, owner):
    r, dt = add_phone(owner, "201", "Caller", "yealink-t46u", "00:15:65:AC:02:01")
    assert_saved(r, dt)
    r, dt = add_phone(owner, "202", "Callee", "grandstream-gxp2160", "00:0B:82:AC:02:02")
    assert_saved(r, dt)
    s201, _ = yealink_secret(stack, "001565ac0201")
    s202, user = grandstream_secret(stack, "000b82ac0202")
    assert user == "202" and re.fullmatch(r"[A-Za-z0-9]{32}", s202) and s201 != s202

    assert not [c for c in ast.contacts() if c[0] in ("201", "202")], ast.cli("pjsip show contacts")
    # A wrong password is refused: the secret is what matters.
    rc, log = sipp("register.xml", 5071, "201", password="not-the-secret", timeout=8)
    assert rc != 0, "REGISTER with a wrong password succeeded\n" + log[-6000:]

    for ext, port, secret in (("201", 5071, s201), ("202", 5072, s202)):
        rc, log = sipp("register.xml", port, ext, password=secret)
        assert rc == 0, f"REGISTER of {ext} failed (sipp exit {rc})\n{log[-6000:]}"
    shown = ast.contacts()
    for ext, port in (("201", 5071), ("202", 5072)):
        assert any(a == ext and u.startswith(f"sip:{ext}@127.0.0.1:{port}") for a, u, s in shown), \
            ast.cli("pjsip show contacts")
    # Centralita learns it from Asterisk's events.
    wait_for(lambda: status(owner, "201")[0] == "registered" and status(owner, "202")[0] == "registered",
             timeout=10, what="201 and 202 shown registered")

    # 202 answers (on its registered contact), 201 calls it.
    callee = sipp("answer.xml", 5072, "202", timeout=40, background=True)
    time.sleep(0.5)
    rc, caller_log = sipp("call.xml", 5071, "201", "-s", "202", password=s201, timeout=30)
    crc, callee_log = finish(callee, 45)
    assert rc == 0, f"the call from 201 failed (sipp exit {rc})\n{caller_log[-8000:]}"
    assert crc == 0, f"202 did not answer and hang up normally (sipp exit {crc})\n{callee_log[-8000:]}"
    reinvites = len(re.findall(r"^INVITE sip:", callee_log, re.M)) - 1
    NOTES.append(f"sipp: 201 and 202 registered with the provisioned secrets (a wrong one refused); call 201 -> "
                 f"202 answered and hung up; Asterisk re-INVITEd the callee {reinvites} time(s), the caller "
                 f"{len(re.findall(r'^INVITE sip:201@', caller_log, re.M))} time(s)")
