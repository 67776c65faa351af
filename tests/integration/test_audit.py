"""The audit trail (issue 12) through a real nginx, the real daemon and the TLS test PBX: every change made from
the phone, trunk, route and user pages, a revealed SIP password and "check the PBX now" leave exactly one row
with who, from where, what changed, the AMI actions sent and the outcome the page gave ("applied" with the PBX
up, "pending: why" with it down, "still applying" with it slow, then the applier's own row when it applies the
change by itself); refused
forms leave none; no secret or password is ever in the table; /audit lists, filters and pages the rows
(keyset cursors), in English and Spanish, and owners get 403.

The module runs its own stack (with the calling classes the routes use), so its row counts are its own."""
import re
import sqlite3
import time

import pytest

from conftest import INTEGRATOR, OWNER
from harness import Client, Stack, phone_file_names
from test_routes import CLASSES, EXTRA_CONF, add_route, add_trunk, route_fields, trunk_fields

ADDRESS = "127.0.0.1"   # nginx passes the client's address; the tests connect over loopback
TRUNK_SECRET = "Tr-s3cret-(audit)&|x"
USER_PASSWORD = "clerk-password-9876"


@pytest.fixture(scope="module")
def stack():
    s = Stack(extra_conf=EXTRA_CONF).start()
    s.add_user(INTEGRATOR[0], "integrator", INTEGRATOR[1])
    s.add_user(OWNER[0], "owner", OWNER[1])
    yield s
    code = s.stop()
    s.cleanup()
    assert code == 0, "daemon did not exit cleanly on SIGTERM"


@pytest.fixture
def clean_pbx(stack):
    yield stack
    for cmd in ({"cmd": "delay", "ms": 0}, {"cmd": "start_listening"}):
        try:
            stack.pbx.control(cmd)
        except Exception:  # noqa: BLE001 - start_listening on a listening server
            pass


def rows(stack, sql="SELECT * FROM audit ORDER BY id", args=()):
    db = sqlite3.connect(stack.db, timeout=10)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql, args).fetchall()]
    finally:
        db.close()


def scalar(stack, sql, args=()):
    db = sqlite3.connect(stack.db, timeout=10)
    try:
        return db.execute(sql, args).fetchone()[0]
    finally:
        db.close()


def last_id(stack):
    return scalar(stack, "SELECT coalesce(max(id), 0) FROM audit")


def one_new_row(stack, before, by=INTEGRATOR[0]):
    """The one row a change added after id before (rows of the applier's own are not the page's)."""
    new = rows(stack, "SELECT * FROM audit WHERE id > ? AND user != 'centralita' ORDER BY id", (before,))
    assert len(new) == 1, new
    assert new[0]["address"] == ADDRESS and new[0]["user"] == by
    assert abs(new[0]["at"] - time.time()) < 60
    return new[0]


def change(stack, do):
    """Runs do() (a request) and returns (its response, the one audit row it added)."""
    before = last_id(stack)
    r = do()
    return r, one_new_row(stack, before)


def wait_for(pred, timeout=15.0, what="condition"):
    end = time.monotonic() + timeout
    while not (v := pred()):
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
    return v


def phone_row(stack, ext):
    r = rows(stack, "SELECT * FROM phones WHERE extension = ? AND deleted = 0", (ext,))
    return r[0] if r else None


def add_phone(client, ext, name, mac):
    return client.post("/phones", {"_csrf": client.csrf(), "extension": ext, "name": name, "model": "yealink-t46u",
                                   "mac": mac})


def secrets_absent(stack, secrets):
    """No column of any audit row holds any of secrets."""
    for s in secrets:
        assert s
        n = scalar(stack, "SELECT COUNT(*) FROM audit WHERE instr(user || address || action || object || changes ||"
                          " ami || outcome || output, ?) > 0", (s,))
        assert n == 0, s


@pytest.fixture(scope="module")
def integrator(stack):
    c = Client(stack.port)
    assert c.login(*INTEGRATOR).status == 303
    return c


# ---------------------------------------------------------------- phones

def test_each_phone_change_leaves_one_row_with_its_ami_actions_and_no_secret(stack, integrator):
    r, row = change(stack, lambda: add_phone(integrator, "401", "Ana", "00:15:65:40:01:01"))
    assert r.header("Location") == "/phones?done=saved"
    pid = phone_row(stack, "401")["id"]
    first_secret = phone_row(stack, "401")["secret"]
    assert (row["action"], row["object"], row["outcome"]) == ("phone.create", "phone 401", "applied")
    assert row["changes"].splitlines() == ["extension: 401", "name: Ana", "model: yealink-t46u",
                                           "mac: 00:15:65:40:01:01", "calling_class: national", "secret: set"]
    assert row["ami"].splitlines() == [f"CreateConfig {phone_file_names(pid)[0]}",
                                       f"UpdateConfig {phone_file_names(pid)[0]}", "Reload res_pjsip.so (queued)",
                                       f"CreateConfig {phone_file_names(pid)[1]}",
                                       f"UpdateConfig {phone_file_names(pid)[1]}", "Reload pbx_config.so (queued)"]

    ver = phone_row(stack, "401")["version"]
    r, row = change(stack, lambda: integrator.post(f"/phones/{pid}", {
        "_csrf": integrator.csrf(), "extension": "401", "name": "Ana Pérez", "model": "yealink-t46u",
        "mac": "00:15:65:40:01:01", "version": str(ver)}))
    assert r.header("Location") == "/phones?done=saved"
    assert (row["action"], row["object"], row["outcome"]) == ("phone.update", "phone 401", "applied")
    assert row["changes"] == "name: Ana -> Ana Pérez"
    # Only the channel file changed (the dialplan line has no name): one file sent, one module reloaded.
    assert row["ami"].splitlines() == [f"UpdateConfig {phone_file_names(pid)[0]}", "Reload res_pjsip.so (queued)"]

    r, row = change(stack, lambda: integrator.post(f"/phones/{pid}/reveal", {"_csrf": integrator.csrf()}))
    assert r.status == 200 and first_secret in r.body
    assert (row["action"], row["object"], row["changes"], row["ami"], row["outcome"]) == (
        "phone.reveal_secret", "phone 401", "", "", "shown")

    ver = phone_row(stack, "401")["version"]
    r, row = change(stack, lambda: integrator.post(f"/phones/{pid}/secret",
                                                   {"_csrf": integrator.csrf(), "version": str(ver)}))
    assert r.header("Location") == f"/phones/{pid}?done=secret"
    second_secret = phone_row(stack, "401")["secret"]
    assert second_secret != first_secret
    assert (row["action"], row["changes"], row["outcome"]) == ("phone.new_secret", "secret: changed", "applied")
    assert f"UpdateConfig {phone_file_names(pid)[0]}" in row["ami"]

    ver = phone_row(stack, "401")["version"]
    r, row = change(stack, lambda: integrator.post(f"/phones/{pid}/delete",
                                                   {"_csrf": integrator.csrf(), "version": str(ver)}))
    assert r.header("Location") == "/phones?done=removed"
    assert (row["action"], row["object"], row["outcome"]) == ("phone.delete", "phone 401", "applied")
    assert "name: Ana Pérez" in row["changes"] and "secret: removed" in row["changes"]
    assert f"UpdateConfig {phone_file_names(pid)[0]}" in row["ami"]
    secrets_absent(stack, [first_secret, second_secret])


def test_refused_forms_leave_no_row(stack, integrator):
    before = last_id(stack)
    assert add_phone(integrator, "40x", "Bad", "00:15:65:40:02:01").status == 422
    assert add_trunk(integrator, "Bad Name!", "192.0.2.30").status == 422
    r = integrator.post("/users", {"_csrf": integrator.csrf(), "name": "", "role": "owner", "password": "x"})
    assert r.status == 422
    assert last_id(stack) == before


def test_pbx_down_the_row_says_pending_and_the_applier_adds_its_own_when_it_applies(stack, integrator, clean_pbx):
    stack.pbx.control({"cmd": "stop_listening", "kill": True})
    try:
        r, row = change(stack, lambda: add_phone(integrator, "402", "Down", "00:15:65:40:02:02"))
        assert r.header("Location") == "/phones?done=saved_pending"
        assert row["action"] == "phone.create"
        assert row["outcome"].startswith("pending: the PBX cannot be reached"), row["outcome"]
        assert row["ami"] == ""   # nothing could be sent
        before = last_id(stack)
    finally:
        stack.pbx.control({"cmd": "start_listening"})
    own = wait_for(lambda: rows(stack, "SELECT * FROM audit WHERE id > ? AND user = 'centralita'"
                                      " AND object = 'phone 402'", (before,)), what="the applier's row")
    assert len(own) == 1, own
    pid = phone_row(stack, "402")["id"]
    assert (own[0]["action"], own[0]["outcome"], own[0]["address"]) == ("phone.apply", "applied", "")
    assert f"UpdateConfig {phone_file_names(pid)[0]}" in own[0]["ami"]
    assert "Reload res_pjsip.so" in own[0]["ami"]


# ---------------------------------------------------------------- trunks, routes, users, the PBX check

def test_trunk_and_route_changes_each_leave_one_row(stack, integrator):
    r, row = change(stack, lambda: add_trunk(integrator, "aud-a", "192.0.2.40", registration="1",
                                             username="acct-1", secret=TRUNK_SECRET))
    assert r.header("Location") == "/trunks?done=saved", r.body
    tid = scalar(stack, "SELECT id FROM trunks WHERE name = 'aud-a'")
    assert (row["action"], row["object"], row["outcome"]) == ("trunk.create", "trunk aud-a", "applied")
    assert "host: 192.0.2.40" in row["changes"] and "secret: set" in row["changes"]
    ami = row["ami"].splitlines()
    # A trunk's file goes in more than one UpdateConfig (same-named sections): one line says how many.
    assert ami[:3] == [f"CreateConfig centralita/pjsip-trunk-{tid}.conf",
                       f"UpdateConfig centralita/pjsip-trunk-{tid}.conf (2 actions)", "Reload res_pjsip.so"], ami
    assert "UpdateConfig centralita/dialplan-routes.conf" in row["ami"]   # the trunk's name is in the dialplan

    ver = scalar(stack, "SELECT version FROM trunks WHERE id = ?", (tid,))
    fields = dict(trunk_fields("aud-a", "192.0.2.41", registration="1", username="acct-1",
                               secret=TRUNK_SECRET + "-2"), _csrf=integrator.csrf(), version=str(ver))
    r, row = change(stack, lambda: integrator.post(f"/trunks/{tid}", fields))
    assert r.header("Location") == "/trunks?done=saved", r.body
    assert (row["action"], row["outcome"]) == ("trunk.update", "applied")
    assert row["changes"].splitlines() == ["host: 192.0.2.40 -> 192.0.2.41", "secret: changed"]

    r, row = change(stack, lambda: add_route(integrator, "Aud one", ["_6XXX"], ["national"], [tid]))
    assert r.header("Location") == "/routes?done=saved", r.body
    r1 = scalar(stack, "SELECT id FROM routes WHERE name = 'Aud one'")
    assert (row["action"], row["object"], row["outcome"]) == ("route.create", f"route {r1} (Aud one)", "applied")
    assert "patterns: _6XXX" in row["changes"] and "trunks: aud-a" in row["changes"]
    ami = row["ami"].splitlines()
    assert ami[-2].startswith("UpdateConfig centralita/dialplan-routes.conf") and ami[-1] == "Reload pbx_config.so"
    r, row = change(stack, lambda: add_route(integrator, "Aud two", ["_7XXX"], ["national"], [tid]))
    r2 = scalar(stack, "SELECT id FROM routes WHERE name = 'Aud two'")

    ver = scalar(stack, "SELECT version FROM routes WHERE id = ?", (r1,))
    fields = dict(route_fields("Aud one", ["_6XXX", "_66XX"], ["national", "mobile"], [tid]),
                  _csrf=integrator.csrf(), version=str(ver))
    r, row = change(stack, lambda: integrator.post(f"/routes/{r1}", fields))
    assert r.header("Location") == "/routes?done=saved", r.body
    assert row["action"] == "route.update"
    assert row["changes"].splitlines() == ["patterns: _6XXX -> _6XXX _66XX", "classes: national -> national, mobile"]

    p2 = scalar(stack, "SELECT priority FROM routes WHERE id = ?", (r2,))
    ver = scalar(stack, "SELECT version FROM routes WHERE id = ?", (r2,))
    r, row = change(stack, lambda: integrator.post(f"/routes/{r2}/move", {"_csrf": integrator.csrf(), "dir": "up",
                                                                         "version": str(ver)}))
    assert r.header("Location") == "/routes?done=moved", r.body
    assert (row["action"], row["object"], row["changes"], row["outcome"]) == (
        "route.move", f"route {r2} (Aud two)", f"priority: {p2} -> {p2 - 1}", "applied")

    for rid in (r2, r1):
        ver = scalar(stack, "SELECT version FROM routes WHERE id = ?", (rid,))
        r, row = change(stack, lambda: integrator.post(f"/routes/{rid}/delete",
                                                       {"_csrf": integrator.csrf(), "version": str(ver)}))
        assert r.header("Location") == "/routes?done=removed"
        assert row["action"] == "route.delete" and "trunks: aud-a" in row["changes"]
    ver = scalar(stack, "SELECT version FROM trunks WHERE id = ?", (tid,))
    r, row = change(stack, lambda: integrator.post(f"/trunks/{tid}/delete",
                                                   {"_csrf": integrator.csrf(), "version": str(ver)}))
    assert r.header("Location") == "/trunks?done=removed"
    assert (row["action"], row["outcome"]) == ("trunk.delete", "applied")
    assert "secret: removed" in row["changes"]
    secrets_absent(stack, [TRUNK_SECRET, TRUNK_SECRET + "-2"])


def test_user_changes_each_leave_one_row_and_never_a_password(stack, integrator):
    r, row = change(stack, lambda: integrator.post("/users", {"_csrf": integrator.csrf(), "name": "clerk",
                                                              "role": "owner", "password": USER_PASSWORD}))
    assert r.header("Location") == "/users?done=created"
    assert (row["action"], row["object"], row["outcome"], row["ami"]) == ("user.create", "user clerk", "done", "")
    assert row["changes"].splitlines() == ["name: clerk", "role: owner", "password: set"]
    uid = scalar(stack, "SELECT id FROM users WHERE name = 'clerk'")
    _, row = change(stack, lambda: integrator.post(f"/users/{uid}/disable", {"_csrf": integrator.csrf()}))
    assert (row["action"], row["changes"]) == ("user.disable", "disabled: no -> yes")
    _, row = change(stack, lambda: integrator.post(f"/users/{uid}/enable", {"_csrf": integrator.csrf()}))
    assert (row["action"], row["changes"]) == ("user.enable", "disabled: yes -> no")
    r, row = change(stack, lambda: integrator.post(f"/users/{uid}/password", {"_csrf": integrator.csrf()}))
    shown = re.search(r'id="new-password"[^>]*>([^<]+)<', r.body) or re.search(r"<code[^>]*>([^<]{12,})</code>", r.body)
    assert (row["action"], row["changes"]) == ("user.password_reset", "password: changed")
    hashes = [h for (h,) in [(scalar(stack, "SELECT password_hash FROM users WHERE id = ?", (uid,)),)]]
    secrets_absent(stack, [USER_PASSWORD] + hashes + ([shown.group(1).strip()] if shown else []))


def test_check_the_pbx_now_leaves_one_row(stack, integrator):
    r, row = change(stack, lambda: integrator.post("/pbx/verify", {"_csrf": integrator.csrf()}))
    assert r.header("Location") == "/phones?done=verified"
    assert (row["action"], row["object"], row["outcome"]) == ("pbx.verify", "PBX", "verified")


# ---------------------------------------------------------------- the page

def page_ids(body):
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', body)]


def test_the_page_lists_filters_and_pages_newest_first(stack, integrator):
    for i in range(7):   # seven quick changes to page through
        assert integrator.post("/pbx/verify", {"_csrf": integrator.csrf()}).status == 303
    all_ids = [r["id"] for r in rows(stack, "SELECT id FROM audit ORDER BY id DESC")]
    body = integrator.get("/audit").body
    assert page_ids(body) == all_ids[:50]
    assert 'id="older"' not in body or len(all_ids) > 50
    # Filters: text, user, kind, dates.
    ids = page_ids(integrator.get("/audit?q=aud-a").body)
    expect = [r["id"] for r in rows(stack, "SELECT id FROM audit WHERE object LIKE '%aud-a%' OR changes LIKE "
                                           "'%aud-a%' OR outcome LIKE '%aud-a%' OR user LIKE '%aud-a%' ORDER BY id DESC")]
    assert ids == expect and len(ids) >= 6
    assert set(page_ids(integrator.get("/audit?user=centralita").body)) == {
        r["id"] for r in rows(stack, "SELECT id FROM audit WHERE user = 'centralita'")}
    body = integrator.get("/audit?kind=route").body
    assert page_ids(body) and all(a.startswith("route.") for a in re.findall(r'data-action="([^"]+)"', body))
    today = time.strftime("%Y-%m-%d")
    assert page_ids(integrator.get(f"/audit?from={today}&to={today}").body) == all_ids[:50]
    assert page_ids(integrator.get("/audit?from=2001-01-01&to=2001-01-02").body) == []
    assert integrator.get("/audit?from=2001-02-30").status == 422
    assert integrator.get("/audit?kind=everything").status == 422
    # Keyset pages of 5 through the pbx.verify rows: every row once, newest first; back up with "newer".
    walk, cursor = [], None
    expect = [r["id"] for r in rows(stack, "SELECT id FROM audit WHERE action = 'pbx.verify' ORDER BY id DESC")]
    assert len(expect) >= 8
    pages = []
    while True:
        body = integrator.get("/audit?kind=pbx&per=5" + (f"&older={cursor}" if cursor else "")).body
        ids = page_ids(body)
        pages.append(ids)
        walk += ids
        m = re.search(r'name="older" value="(\d+)"', body)
        if not m:
            break
        cursor = m.group(1)
    assert walk == expect
    back = re.search(r'name="newer" value="(\d+)"', body).group(1)
    assert page_ids(integrator.get(f"/audit?kind=pbx&per=5&newer={back}").body) == pages[-2]
    # What a row shows: its words, the user and address, the AMI actions.
    body = integrator.get("/audit?q=aud-a&kind=trunk").body
    assert "Trunk added" in body and ADDRESS in body and "UpdateConfig centralita/pjsip-trunk-" in body


def test_spanish_owners_and_no_way_to_change_the_trail(stack, integrator):
    es = Client(stack.port, accept_language="es")
    assert es.login(*INTEGRATOR).status == 303
    body = es.get("/audit?kind=trunk").body
    assert "Registro de auditoría" in body and "Troncal añadida" in body and "Aplicado" in body
    assert 'href="/audit"' in integrator.get("/").body
    owner = Client(stack.port)
    assert owner.login(*OWNER).status == 303
    assert owner.get("/audit").status == 403
    assert 'href="/audit"' not in owner.get("/").body
    before = rows(stack)
    assert integrator.post("/audit", {"_csrf": integrator.csrf()}).status == 405
    with pytest.raises(sqlite3.DatabaseError):
        db = sqlite3.connect(stack.db, timeout=10)
        try:
            db.execute("DELETE FROM audit")
            db.commit()
        finally:
            db.close()
    assert rows(stack) == before


# Last: the applier may still be finishing the delayed actions when it ends.
def test_a_slow_pbx_the_row_says_still_applying_and_the_applier_records_how_it_ended(stack, integrator, clean_pbx):
    stack.pbx.control({"cmd": "delay", "ms": 2500})   # longer than save_wait (1.5 s), shorter than the AMI timeout
    try:
        r, row = change(stack, lambda: add_phone(integrator, "403", "Slow", "00:15:65:40:03:03"))
        assert r.header("Location") == "/phones?done=saved_slow"
        assert (row["action"], row["outcome"]) == ("phone.create", "still applying")
    finally:
        stack.pbx.control({"cmd": "delay", "ms": 0})   # the apply goes on at full speed
    own = wait_for(lambda: rows(stack, "SELECT * FROM audit WHERE id > ? AND user = 'centralita'"
                                      " AND object = 'phone 403'", (row["id"],)), timeout=30, what="the applier's row")
    assert len(own) == 1, own
    assert (own[0]["action"], own[0]["outcome"]) == ("phone.apply", "applied")
    assert own[0]["changes"] == "applied in the background: a save the page stopped waiting for"
    assert "Reload pbx_config.so" in own[0]["ami"]
