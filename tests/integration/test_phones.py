"""Phones through a real nginx, the real daemon and the TLS test PBX: form validation, what lands in
pjsip.conf / extensions.conf / the provisioning directory, edits and removals, idempotent applies, the PBX
down or refusing or losing answers, concurrency, roles, registration status and the start-up file check.

Each test uses its own extensions and MAC addresses (the stack is shared by the session), and leaves the
test PBX without faults."""
import base64
import glob
import os
import re
import sqlite3
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from conftest import INTEGRATOR
from harness import Client, Stack, phone_file_names

PROV_USER, PROV_PASSWORD = "phone", "prov-password-123"
CODECS = ["ulaw", "alaw"]          # [asterisk] codecs default
CONTEXT = "internal"
VOICEMAIL_LINE = "exten => 600,1,VoiceMailMain()"

MSG = {
    "required": "This field is required.",
    "control_chars": "Line breaks and control characters are not allowed.",
    "too_long": "Too long.",
    "too_many_bytes": "Too long for the phones' display (at most 128 bytes: fewer characters in scripts such as "
                      "Chinese or Japanese).",
    "forbidden_chars": "Quotes (\"), backslashes and angle brackets (< >) cannot be used here.",
    "ext_not_ours": "The telephone exchange already uses this extension for something configured outside "
                    "Centralita, which Centralita never changes. Choose another extension, or ask your integrator.",
    "invalid_choice": "Choose one of the options.",
    "digits_only": "Digits only.",
    "ext_range": "The extension is outside the range allowed for phones.",
    "ext_reserved": "This number is reserved (e.g. for emergencies).",
    "ext_taken": "Another phone already has this extension.",
    "mac_chars": "Use only the 12 hexadecimal digits (0-9, A-F), optionally separated by : or -.",
    "mac_separator": "Separate the pairs of digits consistently, with : or - (or not at all).",
    "mac_length": "A MAC address has exactly 12 hexadecimal digits.",
    "mac_zero": "00:00:00:00:00:00 is not a phone's address.",
    "mac_broadcast": "FF:FF:FF:FF:FF:FF is not a phone's address.",
    "mac_multicast": "This is a multicast address, not a phone's. Check the label under the phone.",
    "mac_taken": "Another phone already has this MAC address.",
    "conflict": "Someone else changed this phone while you were editing. Your values are below; check them "
                "against the current ones and save again.",
}


# ---------------------------------------------------------------- helpers

def html(text):
    """What ClearSilver's html escaping makes of text."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


def canon(mac):
    return re.sub(r"[:.-]", "", mac).lower()


def pretty(mac):
    m = canon(mac).upper()
    return ":".join(m[i:i + 2] for i in range(0, 12, 2))


def phone_form(ext, name, model, mac, **extra):
    return dict({"extension": ext, "name": name, "model": model, "mac": mac}, **extra)


def add(client, ext, name="Phone", model="yealink-t46u", mac=None, **extra):
    fields = phone_form(ext, name, model, mac or f"00:15:65:00:{int(ext) // 100:02d}:{int(ext) % 100:02d}", **extra)
    fields["_csrf"] = client.csrf()
    return client.post("/phones", fields)


def db_rows(stack, sql, args=()):
    db = sqlite3.connect(stack.db, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def phone_row(stack, ext):
    """The live phone with extension ext as a dict, or None."""
    db = sqlite3.connect(stack.db, timeout=10)
    db.row_factory = sqlite3.Row
    try:
        r = db.execute("SELECT * FROM phones WHERE extension = ? AND deleted = 0", (ext,)).fetchone()
        return dict(r) if r else None
    finally:
        db.close()


def applied(stack, ext):
    p = phone_row(stack, ext)
    return bool(p) and p["applied_version"] == p["version"]


def wait_for(pred, timeout=10.0, step=0.1, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def parse_conf(text):
    """Asterisk config text -> [(name, [(key, value)])]; `exten => x` gives ("exten", "x")."""
    sections = []
    cur = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        if line.startswith("["):
            cur = (line[1:line.index("]")], [])
            sections.append(cur)
            continue
        i = line.index("=")
        key, value = line[:i].strip(), line[i + 1:]
        if value.startswith(">"):
            value = value[1:]
        cur[1].append((key, value.strip()))
    return sections


def merged_text(stack, file):
    """The file as Asterisk loads it: each "#tryinclude pattern" replaced by the files it names (sorted)."""
    out = []
    for line in stack.pbx_file(file).splitlines():
        m = re.match(r"\s*#(?:try)?include\s+\"?([^\"]+?)\"?\s*$", line)
        if not m:
            out.append(line)
            continue
        for path in sorted(glob.glob(os.path.join(stack.pbx_dir, m.group(1)))):
            out.append(merged_text(stack, os.path.relpath(path, stack.pbx_dir)))
    return "\n".join(out)


def conf_sections(stack, name, file="pjsip.conf"):
    """Every section called name in file as Asterisk sees it (Centralita's included files merged in)."""
    return [lines for n, lines in parse_conf(merged_text(stack, file)) if n == name]


def section_text(stack, name, file="pjsip.conf"):
    """The raw text of every section called name (header to next header), for byte comparisons; without the
    ";!" header of the next included file, which says when that other file was written."""
    out = []
    for block in re.split(r"(?m)^(?=\[)", merged_text(stack, file)):
        if block.startswith(f"[{name}]"):
            out.append("".join(line for line in block.splitlines(keepends=True) if not line.startswith(";!")))
    return out


def context_lines(stack, context=CONTEXT):
    """The raw lines of one extensions.conf context (every section of that name, included files merged in),
    stripped, blank lines dropped."""
    lines, inside = [], False
    for raw in merged_text(stack, "extensions.conf").splitlines():
        s = raw.strip()
        if s.startswith("["):
            inside = s.startswith(f"[{context}]")
            continue
        if inside and s and not s.startswith(";"):
            lines.append(s)
    return lines


def expected_pjsip(ext, name, secret, calling_class="national"):
    """The phone calls from its class's context, which includes the phones' context (issue 10)."""
    endpoint = [("type", "endpoint"), ("context", f"centralita-class-{calling_class}"), ("disallow", "all")] + \
               [("allow", c) for c in CODECS] + \
               [("auth", f"{ext}-auth"), ("aors", ext), ("callerid", f'"{name}" <{ext}>')]
    auth = [("type", "auth"), ("auth_type", "userpass"), ("username", ext), ("password", secret)]
    aor = [("type", "aor"), ("max_contacts", "1"), ("remove_existing", "yes")]
    return endpoint, auth, aor


def expected_dialplan(ext, tech="PJSIP"):
    """The phone's lines in [centralita-phones], which the internal context includes."""
    return [f"exten = {ext},hint,{tech}/{ext}", f"exten = {ext},1,Dial({tech}/{ext},30)"]


def phone_dialplan(stack, ext):
    """The lines of [centralita-phones] (merged from every phone's file) that answer ext."""
    return [l for l in context_lines(stack, "centralita-phones") if re.match(rf"exten\s*=>?\s*{ext},", l)]


def live(stack, ext, secret):
    """Asterisk runs with the phone, not just has its files: res_pjsip loaded its endpoint, aor and auth (with
    this password) and pbx_config its two dialplan lines (a lost reload leaves the files right and this false)."""
    got = stack.pbx.control({"cmd": "loaded"})
    ep, auth = got["endpoint"].get(ext), got["auth"].get(f"{ext}-auth")
    lines = [l for l in got["dialplan"].get("centralita-phones", []) if l[0] == ext]
    return (bool(ep) and ep.get("auth") == f"{ext}-auth" and ext in got["aor"] and bool(auth) and
            auth.get("password") == secret and
            lines == [[ext, "hint", f"PJSIP/{ext}", None], [ext, "1", "Dial", f"PJSIP/{ext},30"]])


def assert_phone_on_pbx(stack, ext, name, secret):
    """pjsip.conf holds exactly endpoint + aor [ext] and auth [ext-auth]; the dialplan has its two lines; Asterisk
    has loaded them."""
    endpoint, auth, aor = expected_pjsip(ext, name, secret)
    same_name = conf_sections(stack, ext)
    assert len(same_name) == 2, same_name
    by_type = {dict(s).get("type"): s for s in same_name}
    assert by_type.get("endpoint") == endpoint, by_type
    assert by_type.get("aor") == aor, by_type
    assert conf_sections(stack, f"{ext}-auth") == [auth]
    assert phone_dialplan(stack, ext) == expected_dialplan(ext)
    # Live within a moment: the phone's reloads are coalesced and run off the save's path (issue 13).
    try:
        wait_for(lambda: live(stack, ext, secret), timeout=3, step=0.05, what=f"{ext} live")
    except AssertionError:
        raise AssertionError(stack.pbx.control({"cmd": "loaded"}))
    assert context_lines(stack).count("include = centralita-phones") == 1, context_lines(stack)


def assert_phone_not_on_pbx(stack, ext):
    assert conf_sections(stack, ext) == []
    assert conf_sections(stack, f"{ext}-auth") == []
    assert phone_dialplan(stack, ext) == []


def prov_path(stack, name):
    return os.path.join(stack.prov_dir, name)


def prov_files_of(stack, mac):
    m = canon(mac)
    return sorted(f for f in os.listdir(stack.prov_dir) if m in f.lower())


def counters(stack):
    return stack.pbx.control({"cmd": "counters"})


def pbx(stack, cmd, **kw):
    reply = stack.pbx.control(dict(kw, cmd=cmd))
    assert reply.get("ok"), reply
    return reply


def list_row(client, ext):
    """The <tr> of ext in the phones list (filtered by ext), or None."""
    body = client.get(f"/phones?q={ext}").body
    m = re.search(rf'<tr data-extension="{ext}">(.*?)</tr>', body, re.S)
    return m.group(1) if m else None


def row_status(row):
    m = re.search(r'<td class="status status-(\w+)">(.*?)</td>', row, re.S)
    return m.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(2))).strip()


def field_label(body, field):
    """The <label> block holding the input/select named field."""
    for block in re.findall(r"<label>.*?</label>", body, re.S):
        if re.search(rf'<(?:input|select) name="{field}"', block):
            return block
    raise AssertionError(f"no field {field} in the form")


def field_errors(body):
    errs = {}
    for block in re.findall(r"<label>.*?</label>", body, re.S):
        name = re.search(r'<(?:input|select) name="(\w+)"', block).group(1)
        m = re.search(r'<span class="field-error" role="alert">(.*?)</span>', block, re.S)
        if m:
            errs[name] = m.group(1)
    return errs


def input_value(body, field):
    m = re.search(rf'<input name="{field}"[^>]*\bvalue="([^"]*)"', body)
    return m.group(1) if m else None


def selected(body, field):
    block = re.search(rf'<select name="{field}".*?</select>', body, re.S).group(0)
    m = re.search(r'<option value="([^"]*)" selected>', block)
    return m.group(1) if m else None


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def fetch_prov(stack, name, auth=None):
    return Client(stack.port).get(f"/provisioning/{name}", headers=auth or {})


def phone_id(stack, ext):
    return phone_row(stack, ext)["id"]


def edit(client, stack, ext, **changes):
    """Loads ext's edit form (as a browser would) and posts it back with changes."""
    pid = phone_id(stack, ext)
    form = client.get(f"/phones/{pid}/edit")
    assert form.status == 200
    fields = {"_csrf": form.csrf(), "extension": input_value(form.body, "extension"),
              "name": html_unescape(input_value(form.body, "name")), "model": selected(form.body, "model"),
              "mac": input_value(form.body, "mac"), "version": re.search(r'name="version" value="(\d+)"',
                                                                          form.body).group(1)}
    cls = selected(form.body, "calling_class") if 'name="calling_class"' in form.body else None
    if cls:
        fields["calling_class"] = cls
    fields.update(changes)
    return client.post(f"/phones/{pid}", fields)


def html_unescape(s):
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'")
            .replace("&amp;", "&"))


@pytest.fixture
def clean_pbx(stack):
    """Whatever a test does to the test PBX, it is listening and fault-free afterwards."""
    yield stack
    for cmd in ({"cmd": "cancel_drop"}, {"cmd": "delay", "ms": 0}, {"cmd": "refuse", "on": False},
                {"cmd": "start_listening"}):
        try:
            stack.pbx.control(cmd)
        except Exception:  # noqa: BLE001 - start_listening on a listening server
            pass


# ---------------------------------------------------------------- form validation

BASE = {"extension": "310", "name": "Valid name", "model": "yealink-t46u", "mac": "00:15:65:31:00:01"}
DUP = {"extension": "300", "mac": "00:15:65:30:00:00"}

BAD_INPUTS = [
    # field, bad value, message key
    ("extension", "3\r\n10", "digits_only"),
    ("extension", "31\n", "digits_only"),
    ("extension", "31\x000", "digits_only"),
    ("extension", "../310", "digits_only"),
    ("extension", "31]", "digits_only"),
    ("extension", "310]\r\n[evil]", "digits_only"),
    ("extension", "", "required"),
    ("extension", "99", "ext_range"),
    ("extension", "900", "ext_range"),
    ("extension", "0310", "ext_range"),
    ("extension", "123456789", "too_long"),
    ("extension", "112", "ext_reserved"),
    ("extension", "300", "ext_taken"),
    ("name", "Front\r\ndesk", "control_chars"),
    ("name", "Front\ndesk", "control_chars"),
    ("name", "Front\x00desk", "control_chars"),
    ("name", "x" * 65, "too_long"),
    ("name", "ñ" * 65, "too_long"),
    ("name", "   ", "required"),
    ("model", "nokia-3310", "invalid_choice"),
    ("model", "../yealink", "invalid_choice"),
    ("model", "yealink-t46u\r\n", "invalid_choice"),
    ("model", "yealink-t46u\x00", "invalid_choice"),
    ("model", "yealink-t46u]", "invalid_choice"),
    ("model", "", "required"),
    ("mac", "00:15:65:31:00:01:0", "mac_length"),
    ("mac", "0015653100010", "mac_length"),
    ("mac", "00:15:65:31:00", "mac_length"),
    ("mac", "01:00:5e:00:00:fb", "mac_multicast"),
    ("mac", "ff:ff:ff:ff:ff:ff", "mac_broadcast"),
    ("mac", "FF-FF-FF-FF-FF-FF", "mac_broadcast"),
    ("mac", "00:00:00:00:00:00", "mac_zero"),
    ("mac", "000000000000", "mac_zero"),
    ("mac", "00:15:65:31:00:0g", "mac_chars"),
    ("mac", "../../etc/passwd", "mac_chars"),
    ("mac", "00:15:65:31:00:01]", "mac_chars"),
    ("mac", "00:15:65:31:00:0\r\n", "mac_chars"),
    ("mac", "0015653100\x0001", "mac_chars"),
    ("mac", "00:15-65:31:00:01", "mac_separator"),
    ("mac", "", "required"),
    ("mac", "00:15:65:30:00:00", "mac_taken"),
    ("mac", "00-15-65-30-00-00", "mac_taken"),
    ("mac", "001565300000", "mac_taken"),
    ("mac", "0015.6530.0000", "mac_taken"),
]


@pytest.fixture(scope="module")
def existing_300(stack):
    c = Client(stack.port)
    assert c.login(*INTEGRATOR).status == 303
    r = add(c, DUP["extension"], name="Existing", mac=DUP["mac"])
    assert r.status == 303, r.body
    wait_for(lambda: applied(stack, "300"), what="phone 300 applied")
    return c


def snapshot(stack):
    return {
        "rows": db_rows(stack, "SELECT id, extension, mac, version, deleted FROM phones ORDER BY id"),
        "pjsip": stack.pbx_file("pjsip.conf"),
        "extensions": stack.pbx_file("extensions.conf"),
        "prov": sorted(os.listdir(stack.prov_dir)),
    }


@pytest.mark.parametrize("field,value,key", BAD_INPUTS, ids=[f"{f}-{k}-{i}" for i, (f, v, k) in
                                                              enumerate(BAD_INPUTS)])
def test_bad_input_is_422_with_message_values_kept_and_nothing_changed(stack, existing_300, field, value, key):
    integrator = existing_300
    before = snapshot(stack)
    fields = dict(BASE, _csrf=integrator.csrf())
    fields[field] = value
    r = integrator.post("/phones", fields)
    assert r.status == 422, (r.status, r.header("Location"))
    errors = field_errors(r.body)
    assert errors == {field: html(MSG[key])}, errors
    assert MSG["required"] not in r.body or key == "required"
    # The other fields keep what the user typed.
    for other, typed in BASE.items():
        if other == field:
            continue
        if other == "model":
            assert selected(r.body, "model") == typed
        elif other == "mac":
            assert canon(html_unescape(input_value(r.body, "mac"))) == canon(typed)
        else:
            assert html_unescape(input_value(r.body, other)) == typed, (other, input_value(r.body, other))
    # The bad value itself is shown back (when it is printable), escaped.
    if field != "model" and value.strip() and value.isprintable():
        shown = html_unescape(input_value(r.body, field))
        assert shown == value or (field == "mac" and canon(shown) == canon(value)), shown
    assert snapshot(stack) == before


def test_valid_mac_is_shown_back_as_typed_when_another_field_fails(stack, existing_300):
    """The owner typed 00-15-65-31-00-09; a 12-digit blob coming back would look like a different address."""
    c = existing_300
    r = c.post("/phones", dict(BASE, _csrf=c.csrf(), extension="99", mac="00-15-65-31-00-09"))
    assert r.status == 422
    assert field_errors(r.body) == {"extension": html(MSG["ext_range"])}
    assert input_value(r.body, "mac") in ("00-15-65-31-00-09", "00:15:65:31:00:09"), input_value(r.body, "mac")


def test_markup_in_name_is_refused_and_shown_escaped(stack, integrator):
    """" < > \\ would end the name early in Asterisk's caller ID ("name" <311>), so the form refuses them (the
    rule the applier and the provisioning renderer check again); the refused value comes back escaped."""
    name = "<script>alert(1)</script> & \"quotes\""
    r = add(integrator, "311", name=name, mac="00:15:65:31:01:01")
    assert r.status == 422
    assert field_errors(r.body) == {"name": html(MSG["forbidden_chars"])}
    assert "<script>alert(1)" not in r.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in input_value(r.body, "name")
    assert phone_row(stack, "311") is None
    # What may be typed is shown escaped everywhere, and reaches Asterisk whole.
    name = "R&D 'Lab' & Søn"
    assert add(integrator, "311", name=name, mac="00:15:65:31:01:01").status == 303
    wait_for(lambda: applied(stack, "311"), what="311 applied")
    pid = phone_id(stack, "311")
    for page in ("/phones?q=311", f"/phones/{pid}", f"/phones/{pid}/edit", f"/phones/{pid}/delete"):
        body = integrator.get(page).body
        assert "R&amp;D &#39;Lab&#39; &amp; Søn" in body or "R&amp;D 'Lab' &amp; Søn" in body, page
    endpoint = [s for s in conf_sections(stack, "311") if ("type", "endpoint") in s][0]
    assert ("callerid", f'"{name}" <311>') in endpoint
    # The search box echoes markup escaped.
    body = integrator.get("/phones?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").body
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_name_with_markup_gives_well_formed_xml_provisioning_files(stack, integrator):
    """XML vendors' files must escape the display name (a phone refuses a broken file). The form keeps out
    " < > (see above); & and ' remain, and the renderer's own escaping of all five is pinned by the unit
    tests' golden files."""
    name = "R&D 'lab' & co"
    for ext, model, mac in (("312", "snom-d715", "00:04:13:31:02:01"),
                            ("313", "grandstream-gxp2160", "00:0B:82:31:03:01"),
                            ("314", "polycom-vvx250", "00:04:F2:31:04:01"),
                            ("315", "cisco-spa504g", "00:1D:45:31:05:01"),
                            ("316", "fanvil-x4u", "0C:38:3E:31:06:01")):
        assert add(integrator, ext, name=name, model=model, mac=mac).status == 303
        wait_for(lambda: applied(stack, ext), what=f"{ext} applied")
        for f in prov_files_of(stack, mac):
            if f.endswith(".xml") or model.startswith(("polycom", "cisco", "fanvil")):
                with open(prov_path(stack, f), "rb") as fh:
                    data = fh.read()
                try:
                    root = ET.fromstring(data)
                except ET.ParseError as e:
                    raise AssertionError(f"{f} ({model}) is not well-formed XML: {e}\n{data[:600]!r}")
                if "user" in f or not model.startswith("polycom"):
                    assert name in "".join(root.itertext()) + " ".join(
                        v for el in root.iter() for v in el.attrib.values()), f


# ---------------------------------------------------------------- add, serve, edit, remove

def test_add_phone_writes_pjsip_dialplan_and_provisioning_file(stack, integrator):
    # Counted from an idle reloader: an earlier test's writes (a module run in the same process) would add rounds.
    wait_for(lambda: re.search(r'id="loading-count">0<', integrator.get("/pbx").body), timeout=15,
             what="no reload waiting")
    before = counters(stack)
    r = add(integrator, "201", name="Front desk", model="yealink-t46u", mac="00-15-65-AA-BB-01")
    assert r.status == 303
    assert r.header("Location") == "/phones?done=saved"
    p = phone_row(stack, "201")
    assert p["applied_version"] == p["version"] == 1
    assert p["mac"] == "001565aabb01" and p["calling_class"] == "national"
    secret = p["secret"]
    assert re.fullmatch(r"[A-Za-z0-9]{32}", secret)
    assert_phone_on_pbx(stack, "201", "Front desk", secret)
    # Nothing else in pjsip.conf changed: the integrator's transport is intact.
    assert conf_sections(stack, "transport-udp") == [[("type", "transport"), ("protocol", "udp"),
                                                      ("bind", "0.0.0.0")]]
    # The integrator's own dialplan line is untouched and still first.
    lines = context_lines(stack)
    assert lines[0] == VOICEMAIL_LINE
    assert lines.count(VOICEMAIL_LINE) == 1
    assert conf_sections(stack, "general", "extensions.conf") == [[("static", "yes")]]
    # The provisioning file: Yealink <mac>.cfg, the same secret as the auth section.
    assert prov_files_of(stack, "001565aabb01") == ["001565aabb01.cfg"]
    with open(prov_path(stack, "001565aabb01.cfg")) as f:
        cfg = f.read()
    assert cfg.startswith("#!version:1.0.0.1\n")
    assert f"account.1.password = {secret}\n" in cfg
    assert "account.1.user_name = 201\n" in cfg
    assert "account.1.sip_server.1.address = 192.0.2.10\n" in cfg
    assert oct(os.stat(prov_path(stack, "001565aabb01.cfg")).st_mode & 0o777) == "0o640"
    # Served by nginx only with the provisioning credentials.
    assert fetch_prov(stack, "001565aabb01.cfg").status == 401
    assert fetch_prov(stack, "001565aabb01.cfg", basic(PROV_USER, "wrong-password")).status == 401
    assert fetch_prov(stack, "001565aabb01.cfg", basic("admin", PROV_PASSWORD)).status == 401
    ok = fetch_prov(stack, "001565aabb01.cfg", basic(PROV_USER, PROV_PASSWORD))
    assert ok.status == 200
    assert ok.body == cfg
    assert ok.header("Cache-Control") == "no-store"
    assert fetch_prov(stack, "", basic(PROV_USER, PROV_PASSWORD)).status in (403, 404)  # no listing
    # Reloads: exactly the two modules, and the actions this took.
    after = counters(stack)
    new_reloads = after["reloads"][len(before["reloads"]):]
    # Each by the Reload action, after its file (never UpdateConfig's Reload header, which Asterisk drops
    # when another reload runs), and answered as done.
    assert [(r["module"], r["via"], r["status"]) for r in new_reloads] == [
        ("res_pjsip.so", "Reload", 0), ("pbx_config.so", "Reload", 0)], new_reloads
    pid = phone_id(stack, "201")
    delta = after["actions"].get("UpdateConfig", 0) - before["actions"].get("UpdateConfig", 0)
    # Its group's two files written whole (src/pbx/pbx.h): a request per phone in them at most.
    in_group = sum(phone_file_names(p)[0] == phone_file_names(pid)[0]
                   for (p,) in db_rows(stack, "SELECT id FROM phones"))
    assert 2 <= delta <= in_group + 1, (delta, in_group)
    # The integrator's files were not rewritten: the phone lives in files of Centralita's.
    assert stack.pbx_file("pjsip.conf").startswith("[transport-udp]")
    assert "[201]" in stack.pbx_file(phone_file_names(pid)[0])
    # The list shows it applied, its MAC formatted.
    row = list_row(integrator, "201")
    assert "00:15:65:AA:BB:01" in row
    # Live: the reloader notes its reload a moment after the PBX ran it.
    wait_for(lambda: row_status(list_row(integrator, "201"))[0] == "unregistered", timeout=2, step=0.02,
             what="201 shown live")
    assert "Saved and applied" in integrator.get("/phones?done=saved").body


def test_details_page_shows_provisioning_address_and_files(stack, integrator):
    if not phone_row(stack, "202"):
        assert add(integrator, "202", name="Back office", model="polycom-vvx250", mac="00:04:F2:20:20:02").status \
               == 303
    body = integrator.get(f"/phones/{phone_id(stack, '202')}").body
    # The address a phone must be given: the one this page was reached at, port included.
    assert f'<code id="prov-url">http://127.0.0.1:{stack.port}/provisioning/</code>' in body, \
        re.search(r'id="prov-url">[^<]*', body).group(0)
    files = re.findall(r'<code class="prov-file">([^<]+)</code>', body)
    assert sorted(files) == ["0004f2202002-user.cfg", "0004f2202002.cfg"]
    assert sorted(prov_files_of(stack, "0004f2202002")) == sorted(files)
    assert 'id="secret"' not in body  # hidden until revealed


def test_edit_rename_extension_change_mac_and_model(stack, integrator):
    assert add(integrator, "220", name="Rename me", model="yealink-t46u", mac="00:15:65:22:00:01").status == 303
    secret = phone_row(stack, "220")["secret"]
    assert_phone_on_pbx(stack, "220", "Rename me", secret)

    # 1. A new extension: the old sections and dialplan lines go, the new ones come.
    r = edit(integrator, stack, "220", extension="221")
    assert r.status == 303 and r.header("Location") == "/phones?done=saved"
    assert_phone_not_on_pbx(stack, "220")
    assert_phone_on_pbx(stack, "221", "Rename me", secret)
    assert context_lines(stack)[0] == VOICEMAIL_LINE
    with open(prov_path(stack, "001565220001.cfg")) as f:
        assert "account.1.user_name = 221\n" in f.read()

    # 2. A new MAC: the old file is removed, the new one written.
    r = edit(integrator, stack, "221", mac="00-15-65-22-00-02")
    assert r.status == 303
    assert not os.path.exists(prov_path(stack, "001565220001.cfg"))
    assert prov_files_of(stack, "001565220002") == ["001565220002.cfg"]

    # 3. Another vendor: Grandstream's name pattern cfg<mac>.xml.
    r = edit(integrator, stack, "221", model="grandstream-gxp2160")
    assert r.status == 303
    assert os.listdir(stack.prov_dir).count("cfg001565220002.xml") == 1
    assert not os.path.exists(prov_path(stack, "001565220002.cfg"))
    with open(prov_path(stack, "cfg001565220002.xml")) as f:
        assert secret in f.read()

    # 4. Snom with a new MAC at once: upper-case <MAC>.xml; the Grandstream file goes.
    r = edit(integrator, stack, "221", model="snom-d715", mac="00:04:13:2a:bc:03")
    assert r.status == 303
    assert not os.path.exists(prov_path(stack, "cfg001565220002.xml"))
    assert prov_files_of(stack, "0004132abc03") == ["0004132ABC03.xml"]
    # After all that, the PBX holds one copy of the phone, and the row is applied.
    assert_phone_on_pbx(stack, "221", "Rename me", secret)
    assert applied(stack, "221")
    p = phone_row(stack, "221")
    assert (p["applied_extension"], p["applied_mac"], p["applied_model"]) == ("221", "0004132abc03", "snom-d715")


def test_remove_via_confirmation_page(stack, integrator):
    assert add(integrator, "230", name="Leaving", model="yealink-t31p", mac="00:15:65:23:00:01").status == 303
    pid = phone_id(stack, "230")
    assert_phone_on_pbx(stack, "230", "Leaving", phone_row(stack, "230")["secret"])
    page = integrator.get(f"/phones/{pid}/delete")
    assert page.status == 200
    assert "00:15:65:23:00:01" in page.body
    form = re.search(r'<form method="post" action="(/phones/\d+/delete)" id="remove-form">(.*?)</form>', page.body,
                     re.S)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))
    r = integrator.post(form.group(1), fields)
    assert r.status == 303 and r.header("Location") == "/phones?done=removed"
    assert_phone_not_on_pbx(stack, "230")
    assert context_lines(stack)[0] == VOICEMAIL_LINE
    assert prov_files_of(stack, "001565230001") == []
    assert list_row(integrator, "230") is None
    assert db_rows(stack, "SELECT count(*) FROM phones WHERE id = ?", (pid,)) == [(0,)]
    assert integrator.get(f"/phones/{pid}").status == 404
    # The extension and the MAC are free again.
    assert add(integrator, "230", name="Back", model="yealink-t31p", mac="00:15:65:23:00:01").status == 303
    assert applied(stack, "230")


# ---------------------------------------------------------------- idempotence

def test_applying_an_unchanged_phone_changes_nothing(stack, integrator):
    assert add(integrator, "240", name="Stable", mac="00:15:65:24:00:01").status == 303
    assert add(integrator, "241", name="Other", mac="00:15:65:24:00:02").status == 303
    pjsip, dialplan = stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf")
    cfg = open(prov_path(stack, "001565240001.cfg")).read()
    version = phone_row(stack, "240")["version"]
    time.sleep(0.5)   # the reloads the adds asked for have run
    before = counters(stack)

    r = edit(integrator, stack, "240")  # the same values
    assert r.status == 303 and r.header("Location") == "/phones?done=saved"
    after = counters(stack)
    assert phone_row(stack, "240")["version"] == version + 1
    assert applied(stack, "240")
    assert after["actions"].get("UpdateConfig", 0) == before["actions"].get("UpdateConfig", 0)
    assert after["reloads"] == before["reloads"]
    assert stack.pbx_file("pjsip.conf") == pjsip
    assert stack.pbx_file("extensions.conf") == dialplan
    assert open(prov_path(stack, "001565240001.cfg")).read() == cfg

    # A real change to another phone leaves this one's sections byte-identical.
    sections_240 = section_text(stack, "240") + section_text(stack, "240-auth")
    pid = phone_id(stack, "241")
    ver = phone_row(stack, "241")["version"]
    r = integrator.post(f"/phones/{pid}/secret", {"_csrf": integrator.csrf(), "version": str(ver)})
    assert r.status == 303 and r.header("Location") == f"/phones/{pid}?done=secret"
    assert section_text(stack, "240") + section_text(stack, "240-auth") == sections_240
    assert phone_dialplan(stack, "240") == expected_dialplan("240")
    final = counters(stack)
    # The secret lives in the phone's pjsip file only: one UpdateConfig, no dialplan change.
    assert final["actions"].get("UpdateConfig", 0) - after["actions"].get("UpdateConfig", 0) == 1
    # Its reload is the reloader's, a moment later.
    final = wait_for(lambda: (lambda c: c if len(c["reloads"]) > len(after["reloads"]) else None)(counters(stack)),
                     timeout=3, step=0.05, what="the reload")
    time.sleep(0.5)   # and no other
    final = counters(stack)
    assert [r["module"] for r in final["reloads"][len(after["reloads"]):]] == ["res_pjsip.so"]


# ---------------------------------------------------------------- the PBX down, refusing, losing answers

def test_pbx_down_phones_stay_pending_then_converge(stack, integrator, clean_pbx):
    exts = ["250", "251", "252"]
    pbx(stack, "stop_listening", kill=True)
    try:
        for i, ext in enumerate(exts):
            t0 = time.monotonic()
            r = add(integrator, ext, name=f"Down {i}", mac=f"00:15:65:25:00:0{i}")
            assert r.status == 303
            assert r.header("Location") == "/phones?done=saved_pending"
            assert time.monotonic() - t0 < 10, "a save must not hang while the PBX is down"
        body = integrator.get("/phones?done=saved_pending").body
        assert "Pending: the telephone exchange has not taken the change yet" in body
        assert re.search(r'id="pending-summary">[^<]*:\s*3</p>', body), "the pending summary must count 3"
        for ext in exts:
            state, text = row_status(list_row(integrator, ext))
            assert state == "pending", text
            assert "pending" in text and "cannot be reached" in text, text
            assert not applied(stack, ext)
        assert conf_sections(stack, "250") == []
        before = counters(stack)
    finally:
        pbx(stack, "start_listening")
    wait_for(lambda: all(applied(stack, e) for e in exts), timeout=15, what="pending phones applied")
    for i, ext in enumerate(exts):
        assert_phone_on_pbx(stack, ext, f"Down {i}", phone_row(stack, ext)["secret"])
        assert prov_files_of(stack, f"00156525000{i}") == [f"00156525000{i}.cfg"]
        wait_for(lambda: row_status(list_row(integrator, ext))[0] == "unregistered", timeout=2, step=0.02,
                 what=f"{ext} shown live")
        assert phone_row(stack, ext)["last_error"] in (None, "")
    after = counters(stack)
    # Each group's two files written once for all its pending phones (src/pbx/pbx.h), a request per phone in
    # the channel file at most: fewer than two per phone when two of them share a group.
    groups = {phone_file_names(phone_id(stack, e))[0] for e in exts}
    created = after["actions"].get("CreateConfig", 0) - before["actions"].get("CreateConfig", 0)
    # Each group's two files written once for its pending phones (a file each apart: 2 a phone); a verification
    # after the PBX came back may add its CreateConfig of empty.conf.
    assert 2 * len(groups) <= created <= 2 * len(groups) + 1, (created, groups)
    assert 'id="pending-summary"' not in integrator.get("/phones").body


def _with_fault(stack, integrator, ext, mac, make_fault, undo_fault, message_part):
    make_fault()
    try:
        r = add(integrator, ext, name="Faulty", mac=mac)
        assert r.status == 303
        assert r.header("Location") == "/phones?done=saved_pending"
        assert not applied(stack, ext)
        state, text = row_status(list_row(integrator, ext))
        assert state == "pending"
        assert message_part in text, text
        assert message_part in phone_row(stack, ext)["last_error"]
    finally:
        undo_fault()
    wait_for(lambda: applied(stack, ext), timeout=15, what=f"{ext} applied after the fault")
    assert_phone_on_pbx(stack, ext, "Faulty", phone_row(stack, ext)["secret"])
    assert context_lines(stack)[0] == VOICEMAIL_LINE
    wait_for(lambda: row_status(list_row(integrator, ext))[0] == "unregistered", timeout=2, step=0.02,
             what=f"{ext} shown live")


def test_pbx_refuses_reading_the_empty_source(stack, integrator, clean_pbx):
    """Every phone file is written from centralita/empty.conf: if Asterisk cannot read it, the phone stays
    pending with Asterisk's reason, and is applied once the file is fine again."""
    path = os.path.join(stack.pbx_dir, "centralita", "empty.conf")

    def fault():  # a variable before any section: Asterisk cannot load the file
        with open(path, "w") as f:
            f.write("oops = 1\n")

    def undo():
        open(path, "w").close()
    _with_fault(stack, integrator, "260", "00:15:65:26:00:00", fault, undo, "Config file has invalid format")


def test_pbx_without_centralitas_folder(stack, integrator, clean_pbx):
    """The folder of Centralita's files is gone (a set-up step undone): the phone stays pending and says what to
    do; once the folder is back, it is applied."""
    folder = os.path.join(stack.pbx_dir, "centralita")
    aside = folder + ".aside"

    def fault():
        os.rename(folder, aside)

    def undo():
        os.rename(aside, folder)
    _with_fault(stack, integrator, "261", "00:15:65:26:00:01", fault, undo, "no centralita/ folder")


@pytest.mark.parametrize("mode,ext", [("after", "262"), ("before", "263")])
def test_connection_lost_during_updateconfig_is_applied_exactly_once(stack, integrator, clean_pbx, mode, ext):
    """The answer to the phone's UpdateConfig is lost (executed or not): the phone stays pending, then its file
    is simply written again (a whole file from an empty source is the same however often it is written), and it
    ends up on the PBX once."""
    before = counters(stack)
    pbx(stack, "drop_after", n=0, mode=mode, action="UpdateConfig")
    r = add(integrator, ext, name=f"Lost {mode}", mac=f"00:15:65:26:00:{ext[-1]}{ext[-1]}")
    assert r.status == 303
    assert r.header("Location") == "/phones?done=saved_pending"
    state, text = row_status(list_row(integrator, ext))
    assert state == "pending" and "lost" in text, text
    wait_for(lambda: applied(stack, ext), timeout=15, what=f"{ext} applied")
    assert_phone_on_pbx(stack, ext, f"Lost {mode}", phone_row(stack, ext)["secret"])
    after = counters(stack)
    executed = after["actions"].get("UpdateConfig", 0) - before["actions"].get("UpdateConfig", 0)
    # The group's channel file written whole again after the lost answer (as many requests as it needs, one
    # more executed when the answer was lost after the write), then the dialplan file.
    assert executed >= (3 if mode == "after" else 2), executed


# ---------------------------------------------------------------- concurrency

def test_fifty_phones_from_eight_concurrent_clients(stack):
    exts = [str(400 + i) for i in range(50)]
    clients = []
    for _ in range(8):
        c = Client(stack.port)
        assert c.login(*INTEGRATOR).status == 303
        clients.append(c)
    results, errors = {}, []

    def worker(k):
        try:
            for i in range(k, 50, 8):
                ext = exts[i]
                r = add(clients[k], ext, name=f"Bulk {ext}", model="yealink-t33g", mac=f"00:15:65:40:{i:02x}:01")
                results[ext] = (r.status, r.header("Location"))
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 50
    assert all(r == (303, "/phones?done=saved") for r in results.values()), results
    wait_for(lambda: all(applied(stack, e) for e in exts), timeout=20, what="50 phones applied")
    sections = parse_conf(merged_text(stack, "pjsip.conf"))
    for ext in exts:
        mine = [lines for name, lines in sections if name == ext]
        auth = [lines for name, lines in sections if name == f"{ext}-auth"]
        assert sorted(dict(s)["type"] for s in mine) == ["aor", "endpoint"], (ext, mine)
        assert len(auth) == 1
    endpoints = [n for n, lines in sections if ("type", "endpoint") in lines and n in exts]
    aors = [n for n, lines in sections if ("type", "aor") in lines and n in exts]
    auths = [n for n, lines in sections if ("type", "auth") in lines and n[:-5] in exts]
    assert (len(endpoints), len(aors), len(auths)) == (50, 50, 50)
    lines = context_lines(stack)
    assert lines.count("include = centralita-phones") == 1
    for ext in exts:
        assert phone_dialplan(stack, ext) == expected_dialplan(ext)
    assert lines.count(VOICEMAIL_LINE) == 1 and lines[0] == VOICEMAIL_LINE
    files = [f for f in os.listdir(stack.prov_dir) if f.startswith("00156540")]
    assert len(files) == 50
    assert db_rows(stack, "SELECT count(*) FROM phones WHERE extension BETWEEN '400' AND '449' AND deleted = 0 "
                          "AND applied_version = version") == [(50,)]


def test_concurrent_edit_conflict_is_409_and_first_save_wins(stack, integrator):
    assert add(integrator, "270", name="Original", mac="00:15:65:27:00:01").status == 303
    second = Client(stack.port)
    assert second.login(*INTEGRATOR).status == 303
    pid = phone_id(stack, "270")
    form1, form2 = integrator.get(f"/phones/{pid}/edit"), second.get(f"/phones/{pid}/edit")
    v1 = re.search(r'name="version" value="(\d+)"', form1.body).group(1)
    v2 = re.search(r'name="version" value="(\d+)"', form2.body).group(1)
    assert v1 == v2
    base = {"extension": "270", "model": "yealink-t46u", "mac": "00:15:65:27:00:01", "calling_class": "national"}
    r1 = integrator.post(f"/phones/{pid}", dict(base, _csrf=form1.csrf(), name="First wins", version=v1))
    assert r1.status == 303
    r2 = second.post(f"/phones/{pid}", dict(base, _csrf=form2.csrf(), name="Second loses", version=v2,
                                            mac="00-15-65-27-00-01"))
    assert r2.status == 409
    assert html(MSG["conflict"]) in r2.body
    assert input_value(r2.body, "name") == "Second loses"
    assert phone_row(stack, "270")["name"] == "First wins"
    endpoint = [s for s in conf_sections(stack, "270") if ("type", "endpoint") in s][0]
    assert ("callerid", '"First wins" <270>') in endpoint
    # The stale form's version is not silently refreshed: posting it again is still a conflict.
    assert second.post(f"/phones/{pid}", dict(base, _csrf=form2.csrf(), name="Again", version=v2)).status == 409
    # A removal with a stale version is refused too.
    r = second.post(f"/phones/{pid}/delete", {"_csrf": form2.csrf(), "version": v2})
    assert r.status == 409
    assert phone_row(stack, "270") is not None


# ---------------------------------------------------------------- roles

def test_owner_cannot_set_calling_class_or_see_secret(stack, integrator, owner):
    r = owner.get("/phones/new")
    assert r.status == 200 and 'name="calling_class"' not in r.body
    assert 'name="calling_class"' in integrator.get("/phones/new").body
    r = add(owner, "280", name="Owner's", mac="00:15:65:28:00:01", calling_class="international")
    assert r.status == 303
    assert phone_row(stack, "280")["calling_class"] == "national"
    pid = phone_id(stack, "280")
    r = edit(owner, stack, "280", name="Owner edit", calling_class="international")
    assert r.status == 303
    p = phone_row(stack, "280")
    assert (p["name"], p["calling_class"]) == ("Owner edit", "national")
    # The integrator can set it.
    assert edit(integrator, stack, "280", calling_class="international").status == 303
    assert phone_row(stack, "280")["calling_class"] == "international"
    # An owner edit keeps the integrator's class.
    assert edit(owner, stack, "280", name="Owner again").status == 303
    assert phone_row(stack, "280")["calling_class"] == "international"

    secret = phone_row(stack, "280")["secret"]
    details = owner.get(f"/phones/{pid}").body
    assert secret not in details and 'id="reveal"' not in details and 'id="new-secret"' not in details
    assert owner.post(f"/phones/{pid}/reveal", {"_csrf": owner.csrf()}).status == 403
    ver = str(phone_row(stack, "280")["version"])
    assert owner.post(f"/phones/{pid}/secret", {"_csrf": owner.csrf(), "version": ver}).status == 403
    assert phone_row(stack, "280")["secret"] == secret

    details = integrator.get(f"/phones/{pid}").body
    assert secret not in details and 'id="reveal"' in details
    r = integrator.post(f"/phones/{pid}/reveal", {"_csrf": integrator.csrf()})
    assert r.status == 200
    assert f'<code id="secret">{secret}</code>' in r.body

    r = integrator.post(f"/phones/{pid}/secret", {"_csrf": integrator.csrf(), "version": ver})
    assert r.status == 303 and r.header("Location") == f"/phones/{pid}?done=secret"
    new = phone_row(stack, "280")["secret"]
    assert new != secret and re.fullmatch(r"[A-Za-z0-9]{32}", new)
    assert applied(stack, "280")
    assert conf_sections(stack, "280-auth")[0] == expected_pjsip("280", "", new)[1]
    with open(prov_path(stack, "001565280001.cfg")) as f:
        cfg = f.read()
    assert f"account.1.password = {new}\n" in cfg and secret not in cfg
    assert secret not in stack.pbx_file("pjsip.conf")
    assert "New password applied." in integrator.get(f"/phones/{pid}?done=secret").body
    # A stale version (the page before the renewal) is a conflict, not a second renewal.
    assert integrator.post(f"/phones/{pid}/secret", {"_csrf": integrator.csrf(), "version": ver}).status == 409
    assert phone_row(stack, "280")["secret"] == new


# ---------------------------------------------------------------- registrations

def test_registration_status_follows_contact_events(stack, integrator):
    assert add(integrator, "290", name="Registers", mac="00:15:65:29:00:01").status == 303
    # Saved, then live as soon as the reloader's reload ran (issue 13).
    assert row_status(list_row(integrator, "290"))[0] in ("loading", "unregistered")
    wait_for(lambda: row_status(list_row(integrator, "290"))[0] == "unregistered", timeout=3, what="290 live")
    pbx(stack, "set_contacts", endpoint="290", contacts=["sip:290@192.0.2.55:5062;transport=udp"])
    row = wait_for(lambda: (lambda r: r if row_status(r)[0] == "registered" else None)(list_row(integrator, "290")),
                   timeout=5, what="290 registered")
    state, text = row_status(row)
    assert text == "registered (192.0.2.55:5062)", text
    details = integrator.get(f"/phones/{phone_id(stack, '290')}").body
    assert re.search(r'id="phone-status" class="status-registered">registered \(192\.0\.2\.55:5062\)', details)
    pbx(stack, "set_contacts", endpoint="290", contacts=[])
    wait_for(lambda: row_status(list_row(integrator, "290"))[0] == "unregistered", timeout=5,
             what="290 unregistered")
    assert row_status(list_row(integrator, "290"))[1] == "not registered"


def test_registrations_are_resynchronised_after_the_event_connection_returns(stack, integrator, clean_pbx):
    """Events sent while the event connection is down are lost: the list must be rebuilt on reconnection."""
    assert add(integrator, "291", name="Resync", mac="00:15:65:29:01:01").status == 303
    pbx(stack, "set_contacts", endpoint="291", contacts=["sip:291@192.0.2.56:5060"])
    wait_for(lambda: row_status(list_row(integrator, "291"))[0] == "registered", timeout=5, what="291 registered")
    pbx(stack, "stop_listening", kill=True)
    pbx(stack, "set_contacts", endpoint="291", contacts=[])   # the phone unregistered meanwhile
    pbx(stack, "set_contacts", endpoint="292", contacts=["sip:292@192.0.2.57:5060"])
    pbx(stack, "start_listening")
    try:
        wait_for(lambda: row_status(list_row(integrator, "291"))[0] == "unregistered", timeout=10,
                 what="291 shown unregistered after the reconnection")
    finally:
        pbx(stack, "set_contacts", endpoint="292", contacts=[])


# ---------------------------------------------------------------- provisioning files at start-up

def test_missing_or_damaged_provisioning_files_are_rewritten_at_start(stack, integrator):
    assert add(integrator, "295", name="Lost file", mac="00:15:65:29:05:01").status == 303
    assert add(integrator, "296", name="Damaged file", model="snom-d785", mac="00:04:13:29:06:01").status == 303
    lost, damaged = prov_path(stack, "001565290501.cfg"), prov_path(stack, "000413290601.xml")
    want_lost, want_damaged = open(lost).read(), open(damaged).read()
    assert stack.stop_daemon() == 0
    try:
        os.unlink(lost)
        with open(damaged, "w") as f:
            f.write("garbage\n")
    finally:
        stack.start_daemon()
    wait_for(lambda: os.path.exists(lost) and open(lost).read() == want_lost, timeout=10, what="file rewritten")
    wait_for(lambda: open(damaged).read() == want_damaged, timeout=10, what="damaged file rewritten")
    assert oct(os.stat(lost).st_mode & 0o777) == "0o640"
    assert fetch_prov(stack, "001565290501.cfg", basic(PROV_USER, PROV_PASSWORD)).body == want_lost
    # The restarted daemon still serves and applies.
    c = Client(stack.port)
    assert c.login(*INTEGRATOR).status == 303
    assert add(c, "297", name="After restart", mac="00:15:65:29:07:01").status == 303
    assert applied(stack, "297")


# ---------------------------------------------------------------- harder cases

def test_filter_finds_a_phone_by_its_mac_as_shown(stack, integrator):
    assert add(integrator, "320", name="Findable", mac="00:15:65:32:00:01").status == 303
    for q in ("00:15:65:32:00:01", "00-15-65-32-00-01", "001565320001", "32:00:01", "Findable", "320"):
        body = integrator.get("/phones?q=" + urllib.parse.quote(q)).body
        assert '<tr data-extension="320">' in body, f"q={q} does not find it"
    assert '<tr data-extension="320">' not in integrator.get("/phones?q=%25").body  # % is literal
    assert '<tr data-extension="320">' not in integrator.get("/phones?q=_").body


def test_edit_with_own_mac_in_another_format_is_fine(stack, integrator):
    assert add(integrator, "321", name="Same MAC", mac="00:15:65:32:01:01").status == 303
    r = edit(integrator, stack, "321", mac="00-15-65-32-01-01", name="Same MAC renamed")
    assert r.status == 303, field_errors(r.body)
    assert phone_row(stack, "321")["name"] == "Same MAC renamed"


def test_name_with_asterisk_syntax_characters_is_applied_once(stack, integrator):
    """; starts a comment in Asterisk's files, [ ] and = mean something there: the name must survive and an
    unchanged phone must compare equal to what the PBX hands back."""
    name = "Caja; tienda = 1 [a] =ñ"
    assert add(integrator, "322", name=name, mac="00:15:65:32:02:01").status == 303
    assert applied(stack, "322")
    assert len(conf_sections(stack, "322")) == 2 and len(conf_sections(stack, "322-auth")) == 1
    before = counters(stack)
    pjsip = merged_text(stack, "pjsip.conf")
    assert edit(integrator, stack, "322").status == 303
    after = counters(stack)
    assert after["actions"].get("UpdateConfig", 0) == before["actions"].get("UpdateConfig", 0), \
        "re-applying an unchanged phone sent an UpdateConfig"
    assert merged_text(stack, "pjsip.conf") == pjsip


def test_extension_and_mac_reused_while_a_removal_is_pending(stack, integrator, clean_pbx):
    """A phone is removed while the PBX is down; a new phone (another vendor) takes its extension and MAC.
    When the PBX is back: the new phone's sections, lines and file, and nothing left of the old one."""
    assert add(integrator, "330", name="Old one", model="yealink-t46u", mac="00:04:13:33:00:01").status == 303
    old_secret = phone_row(stack, "330")["secret"]
    pid = phone_id(stack, "330")
    assert os.path.exists(prov_path(stack, "000413330001.cfg"))
    pbx(stack, "stop_listening", kill=True)
    try:
        ver = str(phone_row(stack, "330")["version"])
        r = integrator.post(f"/phones/{pid}/delete", {"_csrf": integrator.csrf(), "version": ver})
        assert r.status == 303 and r.header("Location") == "/phones?done=removed_pending"
        assert list_row(integrator, "330") is None  # removed from the list at once
        r = add(integrator, "330", name="New one", model="snom-d715", mac="00-04-13-33-00-01")
        assert r.status == 303 and r.header("Location") == "/phones?done=saved_pending"
    finally:
        pbx(stack, "start_listening")
    wait_for(lambda: applied(stack, "330") and not db_rows(stack, "SELECT 1 FROM phones WHERE id = ?", (pid,)),
             timeout=15, what="removal and new phone applied")
    new_secret = phone_row(stack, "330")["secret"]
    assert_phone_on_pbx(stack, "330", "New one", new_secret)
    assert old_secret not in stack.pbx_file("pjsip.conf")
    assert prov_files_of(stack, "000413330001") == ["000413330001.xml"], \
        "the removed phone's provisioning file (with its old SIP password) was left behind"


def test_rename_while_pbx_down_and_old_extension_taken(stack, integrator, clean_pbx):
    assert add(integrator, "335", name="Mover", mac="00:15:65:33:05:01").status == 303
    pbx(stack, "stop_listening", kill=True)
    try:
        assert edit(integrator, stack, "335", extension="336").header("Location") == "/phones?done=saved_pending"
        r = add(integrator, "335", name="Newcomer", mac="00:15:65:33:05:02")
        assert r.header("Location") == "/phones?done=saved_pending"
    finally:
        pbx(stack, "start_listening")
    wait_for(lambda: applied(stack, "335") and applied(stack, "336"), timeout=15, what="both applied")
    assert_phone_on_pbx(stack, "336", "Mover", phone_row(stack, "336")["secret"])
    assert_phone_on_pbx(stack, "335", "Newcomer", phone_row(stack, "335")["secret"])


def test_legacy_sip_driver_writes_one_friend_peer():
    """[asterisk] driver = sip (chan_sip, as in the seed; Asterisk 20 and before): one type=friend peer in the
    phone's own sip file (sip.conf includes centralita/sip-*.conf), and SIP/ in the dialplan; the reload names
    chan_sip.so. Asterisk 22 has no chan_sip: there the reload is refused and the phone stays pending."""
    s = Stack(extra_conf="[asterisk]\ndriver = sip\n")
    with open(os.path.join(s.pbx_dir, "sip.conf"), "w") as f:
        f.write("[general]\nudpbindaddr = 0.0.0.0\n\n#tryinclude centralita/sip-*.conf\n")
    s.start()
    try:
        s.add_user("boss", "integrator", "password-123")
        c = Client(s.port)
        assert c.login("boss", "password-123").status == 303
        r = c.post("/phones", {"_csrf": c.csrf(), "extension": "249", "name": "On 22", "model": "snom-d715",
                               "mac": "00:04:13:24:90:01"})
        # Its files are written (saved); the reloader's reload is refused, and the list says so, and that the
        # phone is not live yet, while the reload is asked again.
        assert r.status == 303 and r.header("Location") == "/phones?done=saved", r.header("Location")
        row = wait_for(lambda: (lambda t: t if "No such module" in t else None)(list_row(c, "249")),
                       timeout=5, what="the refused reload shown")
        assert row_status(row)[0] == "loading", row
        s.pbx.control({"cmd": "module", "name": "chan_sip.so", "status": 0})     # an Asterisk 20 with chan_sip
        wait_for(lambda: row_status(list_row(c, "249"))[0] == "unregistered", timeout=10,
                 what="249 live once chan_sip reloads")
        r = c.post("/phones", {"_csrf": c.csrf(), "extension": "250", "name": "Caja", "model": "snom-d715",
                               "mac": "00:04:13:25:00:01"})
        assert r.status == 303 and r.header("Location") == "/phones?done=saved", r.header("Location")
        pid = phone_id(s, "250")
        sip = s.pbx_file(phone_file_names(pid)[0].replace("pjsip-", "sip-"))
        assert "[250]\ntype = friend\nhost = dynamic\nsecret = " in sip
        assert 'context = centralita-class-national\ncallerid = "Caja" <250>\ndisallow = all\nallow = ulaw\nallow = alaw\n' in sip
        assert "[250-auth]" not in sip and "type = endpoint" not in sip
        assert s.pbx_file("sip.conf").startswith("[general]")    # the integrator's file untouched
        dialplan = s.pbx_file(phone_file_names(pid)[1])
        assert "PJSIP" not in dialplan
        assert "[centralita-phones]\n" in dialplan   # shared with the other phones of its group
        assert "\nexten = 250,hint,SIP/250\nexten = 250,1,Dial(SIP/250,30)\n" in dialplan
        wait_for(lambda: row_status(list_row(c, "250"))[0] == "unregistered", timeout=5, what="250 live")
        reloads = {r["module"] for r in s.pbx.control({"cmd": "counters"})["reloads"]}
        assert reloads == {"chan_sip.so", "pbx_config.so"}, reloads
    finally:
        s.stop()
        s.cleanup()


def test_internal_context_includes_the_phones_once(stack, integrator):
    """Centralita adds "include => centralita-phones" to the phones' context once (the one line it writes in
    the integrator's dialplan); every phone's dialplan comes from its own file."""
    assert add(integrator, "271", name="Dup", mac="00:15:65:27:10:01").status == 303
    assert context_lines(stack).count("include = centralita-phones") == 1
    assert "centralita-271" not in stack.pbx_file("extensions.conf")
    assert phone_dialplan(stack, "271") == expected_dialplan("271")