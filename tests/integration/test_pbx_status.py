"""The PBX status page and the drift check (issue 12), through nginx with the test PBX.
Status (both roles): answering with Asterisk's and the manager's versions, uptime, last reload and the pool's
connections; a stopped PBX shows as unreachable and a frozen one (the test PBX's delay) as not answering, the
page answering fast either way; changes made meanwhile are listed as waiting with their last error, and the
integrator's "retry now" gets them applied once the PBX is back. Drift (integrators): a phone's file changed
behind Centralita's back is listed with what differs, and "re-apply" puts Centralita's version back; owners
get 403."""
import os
import re
import sqlite3
import time

from harness import phone_file_names
from test_phones import add, applied, clean_pbx, phone_id, phone_row, pbx, wait_for  # noqa: F401


def audit_rows(stack, action):
    with sqlite3.connect(stack.db, timeout=10) as db:
        return db.execute("SELECT user, outcome FROM audit WHERE action = ?", (action,)).fetchall()


def without_header(conf):
    """A file as Asterisk writes it, without its ";!" header (which says when it was written)."""
    return [line for line in conf.splitlines() if not line.startswith(";!")]


def text(body, elem_id):
    m = re.search(rf'id="{elem_id}"[^>]*>(.*?)</', body, re.S)
    return re.sub(r"<[^>]+>", "", m.group(1)).strip() if m else None


def test_status_answering_with_versions_and_pool(stack, owner):
    r = owner.get("/pbx")
    assert r.status == 200
    assert text(r.body, "pbx-now") == "Answering"
    assert text(r.body, "pbx-version") == "22.10.1"
    assert text(r.body, "pbx-ami-version") == "11.0.0"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text(r.body, "pbx-started")), r.body
    assert int(text(r.body, "pool-size")) >= 1 and int(text(r.body, "pool-open")) >= 1
    assert text(r.body, "pbx-health").startswith("Answering")
    assert 'id="retry-form"' not in r.body and 'id="drift-link"' not in r.body   # owners: no buttons
    assert 'href="/pbx"' in owner.get("/").body                               # linked from the home page


def test_stopped_and_frozen_pbx_and_retry_now(stack, integrator, clean_pbx):
    pbx(stack, "stop_listening", kill=True)
    t0 = time.monotonic()
    assert add(integrator, "731", name="Waits", mac="00:15:65:73:10:01").status == 303
    r = integrator.get("/pbx")
    took = time.monotonic() - t0
    assert r.status == 200
    assert text(r.body, "pbx-now") == "Unreachable", r.body
    assert text(r.body, "pbx-health").startswith("Unreachable")
    assert text(r.body, "pbx-problem")
    assert int(text(r.body, "pending-total")) >= 1
    row = re.search(r'<tr class="pending-phone">(.*?)</tr>', r.body, re.S).group(1)
    assert "731" in row and "Waits" in row
    assert 'id="retry-form"' in r.body
    assert took < 3, took
    # Back, then retry now: applied without waiting for the next round.
    pbx(stack, "start_listening")
    before = len(audit_rows(stack, "pbx.retry"))
    r = integrator.post("/pbx/retry", {"_csrf": r.csrf()})
    assert len(audit_rows(stack, "pbx.retry")) == before + 1
    assert r.status == 303 and r.header("Location").startswith("/pbx?done=retried")
    wait_for(lambda: applied(stack, "731"), timeout=10, what="731 applied after retry now")
    body = integrator.get("/pbx").body
    assert text(body, "pbx-now") == "Answering"
    assert 'class="pending-phone"' not in body or "731" not in body
    # Frozen: connected, no answer. The page says so within its short wait.
    pbx(stack, "delay", ms=4000)
    time.sleep(0.1)
    t0 = time.monotonic()
    r = integrator.get("/pbx")
    took = time.monotonic() - t0
    assert r.status == 200 and took < 1.5, took
    assert text(r.body, "pbx-now") == "Not answering", r.body
    pbx(stack, "delay", ms=0)


def test_owner_gets_403_on_retry_and_drift(stack, owner):
    assert owner.get("/pbx/drift").status == 403
    assert owner.post("/pbx/retry", {"_csrf": owner.csrf()}).status == 403
    assert owner.post("/pbx/drift/repair", {"_csrf": owner.csrf()}).status == 403


def test_a_file_changed_behind_centralitas_back_is_listed_and_repaired(stack, integrator, clean_pbx):
    assert add(integrator, "732", name="Drift", mac="00:15:65:73:20:01").status == 303
    wait_for(lambda: applied(stack, "732"), timeout=10, what="732 applied")
    body = integrator.get("/pbx/drift").body
    assert 'id="drift-none"' in body or "732" not in body, body
    chan = os.path.join(stack.pbx_dir, phone_file_names(phone_id(stack, '732'))[0])
    original = open(chan).read()
    edited = original.replace("[732]\n", "[732]\nallow=gsm\n", 1)
    assert edited != original, original
    for attempt in range(3):
        with open(chan, "w") as f:                # by hand, on the PBX's disk: no reload, no AMI
            f.write(edited)
        r = integrator.get("/pbx/drift")
        assert r.status == 200
        rows = re.findall(r'<tr class="drift-phone"><td>(.*?)</td><td>(.*?)</td></tr>', r.body, re.S)
        if rows or open(chan).read() == edited:
            break
        # A verification of Centralita's own ran in between (one is due after any dropped AMI connection, as
        # under a loaded test machine) and put the file back, as it should: edit it again.
        assert without_header(open(chan).read()) == without_header(original)
    assert any("732" in what and phone_file_names(phone_id(stack, '732'))[0] in detail for what, detail in rows), r.body
    assert phone_row(stack, "732")["drifted"] == 0          # the check changed nothing
    assert open(chan).read() == edited
    r = integrator.post("/pbx/drift/repair", {"_csrf": r.csrf()})
    assert r.status == 303 and r.header("Location") == "/pbx/drift?done=repaired", r.header("Location")
    assert audit_rows(stack, "pbx.repair")[-1][1] == "done"          # the audit trail has it
    assert without_header(open(chan).read()) == without_header(original)
    body = integrator.get("/pbx/drift?done=repaired").body
    assert 'id="drift-none"' in body, body
    assert phone_row(stack, "732")["restored_at"]
