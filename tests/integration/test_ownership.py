"""Centralita changes only the Asterisk configuration it created (issue 7, section 3): its phones live in files
of their own, and an extension the integrator's own configuration uses is refused; and one set of rules
decides what the phone form accepts (section 4). Through the real nginx, daemon and TLS test PBX.

The integrator's own configuration here: a door phone [750] (endpoint with context=doors + aor with a static
contact) in pjsip.conf, its [doors] context, and a hand-written "exten => 760,..." in the phones' context."""
import os
import re
import sqlite3
import time

import pytest

from conftest import INTEGRATOR
from harness import Client, phone_file_names
from test_phones import (CONTEXT, MSG, add, applied, clean_pbx, conf_sections, context_lines, counters,  # noqa: F401
                         edit, field_errors, html, phone_dialplan, phone_id, phone_row, pbx, wait_for)

DOOR_PJSIP = """
[750]
type = endpoint
context = doors
disallow = all
allow = ulaw
aors = 750

[750]
type = aor
contact = sip:750@127.0.0.1:5099
"""
DOOR_DIALPLAN = """
[doors]
exten => 750,1,Dial(PJSIP/750)
"""
HAND_EXTEN = "exten => 760,1,Playback(hello-world)"
DOOR_ENDPOINT = [("type", "endpoint"), ("context", "doors"), ("disallow", "all"), ("allow", "ulaw"), ("aors", "750")]
DOOR_AOR = [("type", "aor"), ("contact", "sip:750@127.0.0.1:5099")]


def write_pbx_file(stack, name, text):
    with open(f"{stack.pbx_dir}/{name}", "w") as f:
        f.write(text)


def integrator_config_intact(stack):
    by_type = {dict(s).get("type"): s for s in conf_sections(stack, "750")}
    assert len(conf_sections(stack, "750")) == 2
    assert by_type["endpoint"] == DOOR_ENDPOINT, by_type
    assert by_type["aor"] == DOOR_AOR, by_type
    assert conf_sections(stack, "750-auth") == []
    assert conf_sections(stack, "doors", "extensions.conf") == [[("exten", "750,1,Dial(PJSIP/750)")]]
    assert context_lines(stack).count("exten => 760,1,Playback(hello-world)") == 1, context_lines(stack)
    for ext in ("750", "760"):
        assert phone_dialplan(stack, ext) == []


def verify_now(stack):
    """What an integrator's reload makes Centralita do (it watches CoreStatus): check the PBX again, which
    also learns the integrator's configuration. Here through the phones page's button."""
    c = Client(stack.port)
    assert c.login(*INTEGRATOR).status == 303
    # "verify_slow": the check outlasted [asterisk] save_wait (a loaded machine, the sanitized daemon) and goes on
    # in the background; asking again waits behind it, so a "verified" answer means a whole check has run since.
    for _ in range(10):
        r = c.post("/pbx/verify", {"_csrf": c.csrf()})
        assert r.status == 303 and r.header("Location") in ("/phones?done=verified", "/phones?done=verify_slow"), \
            r.header("Location")
        if r.header("Location") == "/phones?done=verified":
            return
    raise AssertionError("the verification never finished within save_wait, ten times in a row")


@pytest.fixture(scope="module", autouse=True)
def integrator_config(stack):
    """The integrator's hand-written configuration, added to the test PBX's files (as an editor would), then
    loaded (a reload: Centralita checks the PBX again)."""
    pjsip, dialplan = stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf")
    write_pbx_file(stack, "pjsip.conf", pjsip + DOOR_PJSIP)
    lines = dialplan.split("\n")
    at = next(i for i, l in enumerate(lines) if l.strip() == f"[{CONTEXT}]")
    lines.insert(at + 1, HAND_EXTEN)
    write_pbx_file(stack, "extensions.conf", "\n".join(lines) + DOOR_DIALPLAN)
    verify_now(stack)
    yield
    # Take it away again (text edits: the phones other tests added stay as they are).
    integrator_config_intact(stack)
    text = stack.pbx_file("pjsip.conf")
    for block in ("[750]\ntype = endpoint", "[750]\ntype = aor"):
        i = text.index(block)
        j = text.find("\n[", i + 1)
        text = text[:i] + (text[j + 1:] if j >= 0 else "")
    write_pbx_file(stack, "pjsip.conf", text)
    text = stack.pbx_file("extensions.conf").replace(HAND_EXTEN + "\n", "")
    write_pbx_file(stack, "extensions.conf", text[:text.index("[doors]")].rstrip("\n") + "\n")
    verify_now(stack)


def detail(body):
    m = re.search(r'<span class="field-detail" id="extension-detail">(.*?)</span>', body)
    return m.group(1) if m else None


def phone_files(stack, ext):
    pid = phone_id(stack, ext)
    return tuple(os.path.join(stack.pbx_dir, f) for f in phone_file_names(pid))


def centralita_files(stack):
    return sorted(os.listdir(os.path.join(stack.pbx_dir, "centralita")))


# ---------------------------------------------------------------- refused at the form

def test_extension_of_a_hand_written_endpoint_is_refused(stack, integrator):
    """Checked against what the last verification learnt of the integrator's files, before anything is
    written: the phone is taken back and the form says why."""
    files = stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf"), centralita_files(stack)
    r = add(integrator, "750", name="Front door", mac="00:15:65:75:00:01")
    assert r.status == 422
    assert field_errors(r.body) == {"extension": html(MSG["ext_not_ours"])}
    assert detail(r.body) == "pjsip.conf [750] (type=endpoint)"
    assert phone_row(stack, "750") is None
    assert (stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf"), centralita_files(stack)) == files
    integrator_config_intact(stack)


def test_extension_of_a_hand_written_dialplan_line_is_refused(stack, integrator):
    files = stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf"), centralita_files(stack)
    r = add(integrator, "760", name="Shop", mac="00:15:65:76:00:01")
    assert (stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf"), centralita_files(stack)) == files
    assert r.status == 422
    assert field_errors(r.body) == {"extension": html(MSG["ext_not_ours"])}
    assert detail(r.body) == f"extensions.conf [{CONTEXT}], exten 760"
    assert phone_row(stack, "760") is None
    integrator_config_intact(stack)


def test_a_hand_written_auth_of_the_phones_name_is_refused_too(stack, integrator):
    """[757-auth] type=auth would collide with the phone's own auth object."""
    text = stack.pbx_file("pjsip.conf")
    write_pbx_file(stack, "pjsip.conf", text + "\n[757-auth]\ntype = auth\nusername = door\npassword = x\n")
    verify_now(stack)
    try:
        r = add(integrator, "757", name="Odd one", mac="00:15:65:75:07:01")
        assert r.status == 422
        assert detail(r.body) == "pjsip.conf [757-auth] (type=auth)"
        assert phone_row(stack, "757") is None
    finally:
        write_pbx_file(stack, "pjsip.conf", text)
        verify_now(stack)
    assert add(integrator, "757", name="Odd one", mac="00:15:65:75:07:01").status == 303
    assert applied(stack, "757")


def test_editing_a_phone_onto_a_hand_written_extension_is_refused(stack, integrator):
    assert add(integrator, "751", name="Desk", mac="00:15:65:75:01:01").status == 303
    assert applied(stack, "751")
    for taken in ("750", "760"):
        r = edit(integrator, stack, "751", extension=taken)
        assert r.status == 422
        assert field_errors(r.body) == {"extension": html(MSG["ext_not_ours"])}
    assert applied(stack, "751") and phone_row(stack, "751")["version"] == 1
    integrator_config_intact(stack)
    # What Centralita wrote lives in the phone's own two files.
    chan, dial = phone_files(stack, "751")
    assert "[751]" in open(chan).read() and "[751-auth]" in open(chan).read()
    assert "751,1,Dial(PJSIP/751,30)" in open(dial).read()


# ---------------------------------------------------------------- found by the applier

def test_extension_known_taken_is_refused_even_while_the_pbx_is_down(stack, integrator, clean_pbx):
    """What the last verification learnt is enough to refuse: no need to reach the PBX."""
    pbx(stack, "stop_listening", kill=True)
    r = add(integrator, "750", name="Front door", mac="00:15:65:75:00:02")
    assert r.status == 422 and detail(r.body) == "pjsip.conf [750] (type=endpoint)"
    assert phone_row(stack, "750") is None


def test_taken_while_pbx_down_blocks_the_phone_and_never_touches_it(stack, integrator, clean_pbx):
    """The integrator writes a second door phone [754] while the PBX is down, and a phone 754 is saved then
    (the form cannot know): once the PBX is back the applier checks it again, finds [754] is not Centralita's,
    and the phone shows why, is not retried in a loop, the door phone is untouched; removing it is clean."""
    pbx(stack, "stop_listening", kill=True)
    text = stack.pbx_file("pjsip.conf")
    door2 = "\n[754]\ntype = endpoint\ncontext = doors\naors = 754\n\n[754]\ntype = aor\nmax_contacts = 1\n"
    write_pbx_file(stack, "pjsip.conf", text + door2)
    try:
        r = add(integrator, "754", name="Back door", mac="00:15:65:75:04:02")
        assert r.status == 303 and r.header("Location") == "/phones?done=saved_pending"
        pbx(stack, "reset_counters")
        pbx(stack, "start_listening")
        wait_for(lambda: (phone_row(stack, "754") or {}).get("blocked") == 1, what="754 blocked")
        p = phone_row(stack, "754")
        assert "outside Centralita" in p["last_error"] and "pjsip.conf [754] (type=endpoint)" in p["last_error"]
        attempts = p["attempts"]
        time.sleep(3.5)   # retry_interval is 1 s: a blocked phone is not retried
        assert phone_row(stack, "754")["attempts"] == attempts
        assert counters(stack)["actions"].get("UpdateConfig", 0) == 0
        assert stack.pbx_file("pjsip.conf") == text + door2
        body = integrator.get("/phones?q=754").body
        assert "status-blocked" in body and "needs attention" in body and "outside Centralita" in body
        # Removing it touches nothing (it never had files).
        pid = phone_id(stack, "754")
        form = integrator.get(f"/phones/{pid}/delete")
        r = integrator.post(f"/phones/{pid}/delete", {"_csrf": form.csrf(), "version": str(p["version"])})
        assert r.status == 303 and r.header("Location") == "/phones?done=removed"
        assert phone_row(stack, "754") is None
        assert counters(stack)["actions"].get("UpdateConfig", 0) == 0
        assert stack.pbx_file("pjsip.conf") == text + door2
    finally:
        write_pbx_file(stack, "pjsip.conf", text)
        verify_now(stack)
    integrator_config_intact(stack)


def test_an_identify_of_the_phones_name_is_no_conflict(stack, integrator):
    """PJSIP keeps one name space per object type: the integrator's [752] type=identify beside Centralita's
    [752] endpoint (in the phone's own file) is fine, and stays as it is through edits and the removal."""
    assert add(integrator, "752", name="Stock room", mac="00:15:65:75:02:01").status == 303
    text = stack.pbx_file("pjsip.conf")
    identify = "\n[752]\ntype = identify\nendpoint = 752\nmatch = 192.0.2.52\n"
    write_pbx_file(stack, "pjsip.conf", text + identify)
    verify_now(stack)
    r = edit(integrator, stack, "752", name="Stock room 2")
    assert r.status == 303 and r.header("Location") == "/phones?done=saved", r.header("Location")
    assert [("type", "identify"), ("endpoint", "752"), ("match", "192.0.2.52")] in conf_sections(stack, "752")
    assert len(conf_sections(stack, "752")) == 3
    p = phone_row(stack, "752")
    r = integrator.post(f"/phones/{p['id']}/delete", {"_csrf": integrator.csrf(), "version": str(p["version"])})
    assert r.status == 303 and r.header("Location") == "/phones?done=removed"
    assert conf_sections(stack, "752") == [[("type", "identify"), ("endpoint", "752"), ("match", "192.0.2.52")]]
    assert conf_sections(stack, "752-auth") == []
    write_pbx_file(stack, "pjsip.conf", text)
    verify_now(stack)


# ---------------------------------------------------------------- one set of rules for names

def test_name_too_long_for_the_phones_is_refused_by_the_form(stack, integrator):
    """22 x "東京" is 44 characters but 132 bytes: more than a phone's display name holds (the provisioning
    renderer's limit). The form says so; before, it was accepted and then stayed pending forever."""
    r = add(integrator, "754", name="東京" * 22, mac="00:15:65:75:04:01")
    assert r.status == 422
    assert field_errors(r.body) == {"name": html(MSG["too_many_bytes"])}
    assert phone_row(stack, "754") is None
    assert add(integrator, "754", name="東京" * 21, mac="00:15:65:75:04:01").status == 303
    assert applied(stack, "754")


def test_a_stored_name_the_rules_refuse_blocks_before_reaching_the_pbx(stack, integrator):
    """A phone stored by an older version with a name today's rules refuse: the applier stops before the PBX
    (nothing half-applied), shows why, and does not retry it in a loop."""
    before = counters(stack)["actions"].get("UpdateConfig", 0)
    db = sqlite3.connect(stack.db, timeout=10)
    now = int(time.time())
    with db:
        db.execute("INSERT INTO phones (extension, name, model, mac, secret, created_at, updated_at) "
                   "VALUES ('755', ?, 'yealink-t46u', '001565750501', 'Abcdefghijklmnopqrstuvwxyz012345', ?, ?)",
                   ("東京" * 22, now, now))
    db.close()
    wait_for(lambda: (phone_row(stack, "755") or {}).get("blocked") == 1, what="755 blocked")
    p = phone_row(stack, "755")
    assert "too long in bytes" in p["last_error"], p["last_error"]
    time.sleep(2.5)
    assert phone_row(stack, "755")["attempts"] == p["attempts"]
    assert counters(stack)["actions"].get("UpdateConfig", 0) == before
    assert conf_sections(stack, "755") == []
    # Fixing the name through the form applies it.
    r = edit(integrator, stack, "755", name="Tokio")
    assert r.status == 303 and r.header("Location") == "/phones?done=saved"
    assert applied(stack, "755")
