"""PBX status and the drift check against the real Asterisk (issue 12): the status page shows Asterisk's version
and uptime, and a frozen Asterisk (kill -STOP) as not answering within the page's short wait; a category changed
by hand, on the PBX's disk, behind Centralita's back, shows up in the drift check and "re-apply" repairs it (the
file holds Centralita's version again and Asterisk runs it)."""
import os
import re
import signal
import time

import asterisk as ast
from test_phones import assert_saved
from web import NOTES, add_phone, phone_id, wait_for


def without_header(conf):
    """A file as Asterisk writes it, without its ";!" header (which says when it was written)."""
    return [line for line in conf.splitlines() if not line.startswith(";!")]


def text(body, elem_id):
    m = re.search(rf'id="{elem_id}"[^>]*>(.*?)</', body, re.S)
    return re.sub(r"<[^>]+>", "", m.group(1)).strip() if m else None


def test_status_shows_version_uptime_and_a_frozen_asterisk(stack, owner):
    r = owner.get("/pbx")
    assert r.status == 200
    assert text(r.body, "pbx-now") == "Answering", r.body
    version = text(r.body, "pbx-version")
    assert re.fullmatch(r"22\.\d+\.\d+", version), version
    assert re.fullmatch(r"\d+\.\d+\.\d+", text(r.body, "pbx-ami-version"))
    started = text(r.body, "pbx-started")
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ d \d+ h \d+ min\)", started), started
    pid = ast.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        frozen = owner.get("/pbx")
        took = time.monotonic() - t0
    finally:
        os.kill(pid, signal.SIGCONT)
    assert frozen.status == 200 and took < 1.5, took
    assert text(frozen.body, "pbx-now") == "Not answering", frozen.body
    back = wait_for(lambda: (lambda b: b if text(b, "pbx-now") == "Answering" else None)(owner.get("/pbx").body),
                    timeout=15, what="answering again after SIGCONT")
    assert text(back, "pbx-version") == version
    NOTES.append(f"status: Asterisk {version} (AMI {text(r.body, 'pbx-ami-version')}), running since {started}; "
                 f"frozen (SIGSTOP): 'Not answering' in {took:.2f} s; answering again after SIGCONT")


def test_a_category_changed_by_hand_is_found_by_the_drift_check_and_repaired(stack, integrator):
    r, dt = add_phone(integrator, "296", "Deriva", "yealink-t46u", "00:15:65:AC:02:96", what="add 296")
    assert_saved(r, dt)
    pid = phone_id(integrator, "296")
    chan = ast.phone_files(pid)[0]
    original = open(chan).read()
    assert "[296]" in original, original
    # By hand, on the PBX's disk, as an integrator with an editor would: the endpoint's codecs changed.
    edited = re.sub(r"(\[296\][^\[]*?)\nallow\s*=\s*[^\n]*", r"\1\nallow = gsm", original, count=1)
    if edited == original:
        edited = original.replace("[296]\n", "[296]\nallow = gsm\n", 1)
    assert edited != original
    with open(chan, "w") as f:
        f.write(edited)
    t0 = time.monotonic()
    r = integrator.get("/pbx/drift")
    check = time.monotonic() - t0
    assert r.status == 200
    rows = re.findall(r'<tr class="drift-phone"><td>(.*?)</td><td>(.*?)</td></tr>', r.body, re.S)
    found = [d for w, d in rows if "296" in w]
    assert found and os.path.basename(chan) in found[0], r.body
    assert open(chan).read() == edited               # the check itself changed nothing
    t0 = time.monotonic()
    r = integrator.post("/pbx/drift/repair", {"_csrf": r.csrf()})
    repair = time.monotonic() - t0
    assert r.status == 303 and r.header("Location") == "/pbx/drift?done=repaired", r.header("Location")
    assert without_header(open(chan).read()) == without_header(original)
    again = integrator.get("/pbx/drift").body
    assert 'id="drift-none"' in again or not re.search(r'drift-phone"><td>[^<]*296', again), again
    NOTES.append(f"drift: phone 296's file edited by hand listed by the drift check ({check:.2f} s: "
                 f"{found[0][:120]!r}); re-applied in {repair:.2f} s, the file is Centralita's again")
