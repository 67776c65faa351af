"""Centralita changes only the Asterisk configuration it created (issue 7, section 3), and one set of rules
decides what the phone form accepts (section 4), through the real nginx, daemon and TLS test PBX.

The integrator's own configuration here: a door phone [750] (endpoint with context=doors + aor with a static
contact) in pjsip.conf, its [doors] context, and a hand-written "exten => 760,..." in the phones' context."""
import sqlite3
import time

import pytest

from test_phones import (CONTEXT, MSG, add, applied, clean_pbx, conf_sections, context_lines, counters,  # noqa: F401
                         edit, field_errors, html, phone_id, phone_row, pbx, wait_for)

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
        assert conf_sections(stack, f"centralita-{ext}", "extensions.conf") == []
        assert f"include = centralita-{ext}" not in context_lines(stack)


@pytest.fixture(scope="module", autouse=True)
def integrator_config(stack):
    """The integrator's hand-written configuration, added to the test PBX's files (as an editor would)."""
    pjsip, dialplan = stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf")
    write_pbx_file(stack, "pjsip.conf", pjsip + DOOR_PJSIP)
    lines = dialplan.split("\n")
    at = next(i for i, l in enumerate(lines) if l.strip() == f"[{CONTEXT}]")
    lines.insert(at + 1, HAND_EXTEN)
    write_pbx_file(stack, "extensions.conf", "\n".join(lines) + DOOR_DIALPLAN)
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


def owned_rows(stack, category):
    db = sqlite3.connect(stack.db, timeout=10)
    try:
        return db.execute("SELECT file, type, state FROM pbx_owned WHERE category = ? ORDER BY file, type",
                          (category,)).fetchall()
    finally:
        db.close()


def detail(body):
    import re
    m = re.search(r'<span class="field-detail" id="extension-detail">(.*?)</span>', body)
    return m.group(1) if m else None


# ---------------------------------------------------------------- refused at the form

def test_extension_of_a_hand_written_endpoint_is_refused(stack, integrator):
    """The creation's NewCat is refused by the PBX (nothing written); the applier reads who holds [750], the
    phone is taken back and the form says why."""
    files = stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf")
    r = add(integrator, "750", name="Front door", mac="00:15:65:75:00:01")
    assert r.status == 422
    assert field_errors(r.body) == {"extension": html(MSG["ext_not_ours"])}
    assert detail(r.body) == "pjsip.conf [750] (type=endpoint)"
    assert phone_row(stack, "750") is None
    assert (stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf")) == files
    assert owned_rows(stack, "750") == [] and owned_rows(stack, "750-auth") == []
    integrator_config_intact(stack)


def test_extension_of_a_hand_written_dialplan_line_is_refused(stack, integrator):
    files = stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf")
    r = add(integrator, "760", name="Shop", mac="00:15:65:76:00:01")
    assert (stack.pbx_file("pjsip.conf"), stack.pbx_file("extensions.conf")) == files
    assert r.status == 422
    assert field_errors(r.body) == {"extension": html(MSG["ext_not_ours"])}
    assert detail(r.body) == f"extensions.conf [{CONTEXT}], exten 760"
    assert phone_row(stack, "760") is None
    integrator_config_intact(stack)


def test_refused_after_part_was_created_leaves_nothing_of_it(stack, integrator):
    """A hand-made [centralita-757] context (in Centralita's namespace, but not Centralita's) is found only
    after the phone's pjsip.conf sections were created: the phone is withdrawn and what was created goes,
    the foreign context stays."""
    text = stack.pbx_file("extensions.conf")
    write_pbx_file(stack, "extensions.conf", text + "\n[centralita-757]\nexten => 757,1,Hangup()\n")
    r = add(integrator, "757", name="Odd one", mac="00:15:65:75:07:01")
    assert r.status == 422
    assert detail(r.body) == "extensions.conf [centralita-757]"
    assert phone_row(stack, "757") is None
    wait_for(lambda: not conf_sections(stack, "757"), what="757's sections removed")
    assert conf_sections(stack, "757-auth") == [] and owned_rows(stack, "757") == []
    assert conf_sections(stack, "centralita-757", "extensions.conf") == [[("exten", "757,1,Hangup()")]]
    assert "include = centralita-757" not in context_lines(stack)
    write_pbx_file(stack, "extensions.conf", stack.pbx_file("extensions.conf").replace(
        "[centralita-757]\nexten => 757,1,Hangup()\n", ""))


def test_editing_a_phone_onto_a_hand_written_extension_is_refused(stack, integrator):
    assert add(integrator, "751", name="Desk", mac="00:15:65:75:01:01").status == 303
    assert applied(stack, "751")
    for taken in ("750", "760"):
        r = edit(integrator, stack, "751", extension=taken)
        assert r.status == 422
        assert field_errors(r.body) == {"extension": html(MSG["ext_not_ours"])}
    assert applied(stack, "751") and phone_row(stack, "751")["version"] == 1
    integrator_config_intact(stack)
    # What Centralita created is recorded as its own; nothing of the integrator's is.
    assert owned_rows(stack, "751") == [("pjsip.conf", "aor", "owned"), ("pjsip.conf", "endpoint", "owned")]
    assert owned_rows(stack, "751-auth") == [("pjsip.conf", "auth", "owned")]
    assert owned_rows(stack, "centralita-751") == [("extensions.conf", "", "owned")]
    assert owned_rows(stack, "750") == []


# ---------------------------------------------------------------- found by the applier

def test_taken_while_pbx_down_blocks_the_phone_and_never_touches_it(stack, integrator, clean_pbx):
    """Saved while the PBX is down (the form cannot check), the applier finds [750] is not Centralita's: the
    phone shows why, is not retried in a loop, and the door phone is untouched; removing it is clean."""
    pbx(stack, "stop_listening", kill=True)
    r = add(integrator, "750", name="Front door", mac="00:15:65:75:00:02")
    assert r.status == 303 and r.header("Location") == "/phones?done=saved_pending"
    pbx(stack, "reset_counters")
    pbx(stack, "start_listening")
    wait_for(lambda: (phone_row(stack, "750") or {}).get("blocked") == 1, what="750 blocked")
    p = phone_row(stack, "750")
    assert "outside Centralita" in p["last_error"] and "pjsip.conf [750] (type=endpoint)" in p["last_error"]
    attempts = p["attempts"]
    time.sleep(3.5)   # retry_interval is 1 s: a blocked phone is not retried
    assert phone_row(stack, "750")["attempts"] == attempts
    assert counters(stack)["actions"].get("UpdateConfig", 0) == 0
    integrator_config_intact(stack)
    body = integrator.get("/phones?q=750").body
    assert "status-blocked" in body and "needs attention" in body and "outside Centralita" in body
    # Removing it touches nothing of the integrator's.
    pid = phone_id(stack, "750")
    form = integrator.get(f"/phones/{pid}/delete")
    r = integrator.post(f"/phones/{pid}/delete", {"_csrf": form.csrf(), "version": str(p["version"])})
    assert r.status == 303 and r.header("Location") == "/phones?done=removed"
    assert phone_row(stack, "750") is None
    assert counters(stack)["actions"].get("UpdateConfig", 0) == 0
    integrator_config_intact(stack)


def test_foreign_section_sharing_a_phones_name_stops_every_change(stack, integrator):
    """The integrator adds [752] type=identify next to Centralita's [752]: Centralita will not guess which
    sections it may rewrite or delete, so the phone's edit is blocked and both stay as they are."""
    assert add(integrator, "752", name="Stock room", mac="00:15:65:75:02:01").status == 303
    text = stack.pbx_file("pjsip.conf") + "\n[752]\ntype = identify\nendpoint = 752\nmatch = 192.0.2.52\n"
    write_pbx_file(stack, "pjsip.conf", text)
    r = edit(integrator, stack, "752", name="Stock room 2")
    assert r.status == 303 and r.header("Location") == "/phones?done=saved_blocked"
    p = phone_row(stack, "752")
    assert p["blocked"] == 1 and "pjsip.conf [752] (type=identify)" in p["last_error"]
    assert [("type", "identify"), ("endpoint", "752"), ("match", "192.0.2.52")] in conf_sections(stack, "752")
    # The integrator moves it away: the next save goes through.
    write_pbx_file(stack, "pjsip.conf", text.replace("\n[752]\ntype = identify", "\n[752-ip]\ntype = identify"))
    r = edit(integrator, stack, "752", name="Stock room 3")
    assert r.status == 303 and r.header("Location") == "/phones?done=saved", r.header("Location")
    assert applied(stack, "752") and phone_row(stack, "752")["blocked"] == 0
    assert len(conf_sections(stack, "752")) == 2 and len(conf_sections(stack, "752-ip")) == 1


def test_removal_beside_a_foreign_section_deletes_only_centralitas(stack, integrator):
    """Phone 756 is removed after the integrator added [756] type=identify: Centralita's endpoint and aor go
    (deleted by type), the identify stays."""
    assert add(integrator, "756", name="Back office", mac="00:15:65:75:06:01").status == 303
    identify = "\n[756]\ntype = identify\nendpoint = 756\nmatch = 192.0.2.56\n"
    write_pbx_file(stack, "pjsip.conf", stack.pbx_file("pjsip.conf") + identify)
    p = phone_row(stack, "756")
    pid = phone_id(stack, "756")
    form = integrator.get(f"/phones/{pid}/delete")
    r = integrator.post(f"/phones/{pid}/delete", {"_csrf": form.csrf(), "version": str(p["version"])})
    assert r.status == 303 and r.header("Location") == "/phones?done=removed", r.header("Location")
    assert conf_sections(stack, "756") == [[("type", "identify"), ("endpoint", "756"), ("match", "192.0.2.56")]]
    assert conf_sections(stack, "756-auth") == []
    assert owned_rows(stack, "756") == [] and owned_rows(stack, "756-auth") == []
    assert "include = centralita-756" not in context_lines(stack)
    text = stack.pbx_file("pjsip.conf")
    write_pbx_file(stack, "pjsip.conf", text.replace("[756]\ntype = identify\nendpoint = 756\nmatch = 192.0.2.56\n", ""))


def test_creation_with_a_lost_answer_is_settled_as_ours(stack, integrator, clean_pbx):
    """The creation is executed but its answer never comes: the claim is settled on the next read by comparing
    what Asterisk has with what was sent, so the phone is not mistaken for the integrator's."""
    pbx(stack, "drop_after", n=0, mode="after", action="UpdateConfig")
    r = add(integrator, "753", name="Lost answer", mac="00:15:65:75:03:01")
    assert r.status == 303 and r.header("Location") == "/phones?done=saved_pending"
    assert ("pjsip.conf", "endpoint", "claimed") in owned_rows(stack, "753")
    wait_for(lambda: applied(stack, "753"), what="753 applied after the lost answer")
    assert phone_row(stack, "753")["blocked"] == 0
    assert owned_rows(stack, "753") == [("pjsip.conf", "aor", "owned"), ("pjsip.conf", "endpoint", "owned")]
    assert len(conf_sections(stack, "753")) == 2
    assert context_lines(stack).count("include = centralita-753") == 1


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
