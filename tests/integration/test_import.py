"""Phones in bulk through nginx with the test PBX (issue 13): the dry run reports each problem by line and column
and changes nothing; a file with a bad row 57 of 60 stores nothing; 200 phones imported are all applied, loaded by
Asterisk and provisioned, with the PBX going down in the middle (the rest wait, pending with why, then go); a
second import of the same file changes nothing; the export imports back; the templates; the command line."""
import csv
import io
import os
import re
import sqlite3
import time

import pytest

from harness import Client, Stack

INTEGRATOR = ("boss", "password-123")


def wait_for(pred, timeout=10.0, step=0.1, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def rows(stack, sql, args=()):
    with sqlite3.connect(stack.db) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql, args)]


def scalar(stack, sql, args=()):
    with sqlite3.connect(stack.db) as db:
        return db.execute(sql, args).fetchone()[0]


def upload(client, text, name="phones.csv"):
    """POST /phones/import as a browser sends a form with a file."""
    return client.post_file("/phones/import", {"_csrf": client.csrf()}, "file", name, text)


def draft_id(body):
    m = re.search(r'action="/phones/import/(\d+)"', body)
    return m and int(m.group(1))


def problems(body):
    return [(int(l), c, k) for l, c, k in
            re.findall(r'<tr data-line="(\d+)" data-column="([^"]*)" data-key="([^"]*)">', body)]


def count(body, what):
    return int(re.search(rf'id="count-{what}">(\d+)<', body).group(1))


def phones_csv(n, first=400, name="Desk"):
    lines = ["extension,name,model,mac,class"]
    for i in range(n):
        lines.append(f"{first + i},{name} {i},yealink-t46u,00:15:65:0{i // 256}:{i % 256:02x}:01,national")
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    s.add_user(INTEGRATOR[0], "integrator", INTEGRATOR[1])
    yield s
    assert s.stop() == 0
    s.cleanup()


@pytest.fixture(scope="module")
def client(stack):
    c = Client(stack.port)
    assert c.login(*INTEGRATOR).status == 303
    return c


def test_a_bad_row_57_of_60_is_reported_by_line_and_column_and_nothing_is_stored(stack, client):
    text = phones_csv(60, first=700).replace("00:15:65:00:38:01", "00:15:65:00:38")   # row 57 (line 58)
    lines = text.split("\r\n")
    lines[57] = lines[57].replace(",national", ",first-class")        # line 58: a class that does not exist
    lines[3] = lines[3].replace("702,", "7x2,")                        # line 4
    r = upload(client, "\r\n".join(lines))
    assert r.status == 422, r.body
    assert problems(r.body) == [(4, "extension", "digits_only"), (58, "mac", "mac_length"),
                                (58, "calling_class", "invalid_choice")]
    assert "Nothing was imported" in r.body and 'id="import-confirm"' not in r.body
    assert scalar(stack, "SELECT count(*) FROM phones") == 0
    # Confirming that draft anyway (a forged form) is refused the same way: all or none.
    did = scalar(stack, "SELECT max(id) FROM imports")
    r = client.post(f"/phones/import/{did}", {"_csrf": client.csrf()})
    assert r.status == 422 and scalar(stack, "SELECT count(*) FROM phones") == 0


def test_200_phones_with_the_pbx_down_in_the_middle_then_a_second_import_changes_nothing(stack, client):
    text = phones_csv(200)
    r = upload(client, text)
    assert r.status == 200, r.body
    assert (count(r.body, "new"), count(r.body, "update"), count(r.body, "same")) == (200, 0, 0)
    assert scalar(stack, "SELECT count(*) FROM phones") == 0          # the dry run changed nothing
    did = draft_id(r.body)
    r = client.post(f"/phones/import/{did}", {"_csrf": client.csrf()})
    assert r.status == 303 and r.header("Location") == f"/phones/import/{did}"
    assert scalar(stack, "SELECT count(*) FROM phones") == 200         # stored at once, all of them
    applied = lambda: scalar(stack, "SELECT count(*) FROM phones WHERE applied_version = version")
    wait_for(lambda: applied() >= 40, timeout=30, step=0.02, what="40 applied")
    stack.pbx.control({"cmd": "stop_listening", "kill": True})
    try:
        time.sleep(2)
        stalled = applied()
        assert stalled < 200
        time.sleep(1.5)
        assert applied() == stalled                                     # nothing more while it is down
        page = client.get(f"/phones/import/{did}").body
        assert '<meta http-equiv="refresh"' in page
        assert count(page, "pending") == 200 - stalled
        assert "the PBX cannot be reached" in page
        assert re.search(r'<progress id="import-bar" max="200" value="\d+"', page)
    finally:
        stack.pbx.control({"cmd": "start_listening"})
    wait_for(lambda: applied() == 200, timeout=60, what="all 200 applied")
    progress = lambda: client.get(f"/phones/import/{did}").body
    page = wait_for(lambda: (lambda b: b if count(b, "live") == 200 else None)(progress()),
                    timeout=20, what="all 200 live")
    assert '<meta http-equiv="refresh"' not in page and "every phone is live" in page
    loaded = stack.pbx.control({"cmd": "loaded"})
    for i in range(200):
        ext = str(400 + i)
        assert ext in loaded["endpoint"], ext
        mac = f"0015650{i // 256}{i % 256:02x}01"
        assert os.path.exists(os.path.join(stack.prov_dir, mac + ".cfg")), mac
    assert rows(stack, "SELECT action, object, changes FROM audit WHERE action = 'phone.import'")[-1]["changes"] == \
        "file: phones.csv\ncreated: 200\nupdated: 0\nunchanged: 0"

    # The same file again: every row unchanged, nothing to import, nothing sent to the PBX.
    before = stack.pbx.control({"cmd": "counters"})
    versions = scalar(stack, "SELECT sum(version) FROM phones")
    r = upload(client, text)
    assert r.status == 200 and count(r.body, "same") == 200 and count(r.body, "new") == 0
    assert 'id="import-nothing"' in r.body and 'id="import-confirm"' not in r.body
    time.sleep(0.5)
    assert scalar(stack, "SELECT sum(version) FROM phones") == versions
    after = stack.pbx.control({"cmd": "counters"})
    assert after["actions"].get("UpdateConfig", 0) == before["actions"].get("UpdateConfig", 0)


def test_the_export_imports_back_and_changes_are_updates(stack, client):
    r = client.get("/phones.csv")
    assert r.status == 200 and r.header("Content-Type").startswith("text/csv")
    exported = list(csv.reader(io.StringIO(r.body)))
    assert exported[0] == ["extension", "name", "model", "mac", "class"]
    assert len(exported) == 201 and exported[1] == ["400", "Desk 0", "yealink-t46u", "00:15:65:00:00:01", "national"]
    r = upload(client, r.body, name="export.csv")
    assert r.status == 200 and count(r.body, "same") == 200
    # A filtered export; a changed name is an update of that phone, not a new one.
    r = client.get("/phones.csv?q=Desk%2019")
    assert [row[0] for row in csv.reader(io.StringIO(r.body))][1:] == ["419"] + [str(400 + i) for i in range(190, 200)]
    edited = r.body.replace("Desk 19,", "=Desk 19 (boss),")
    r = upload(client, edited)
    assert r.status == 200 and count(r.body, "update") == 1, r.body
    r = client.post(f"/phones/import/{draft_id(r.body)}", {"_csrf": client.csrf()})
    assert r.status == 303
    assert rows(stack, "SELECT name FROM phones WHERE extension = '419'")[0]["name"] == "=Desk 19 (boss)"
    r = client.get("/phones.csv?q=419")
    assert "'=Desk 19 (boss)" in r.body                                  # neutralised for spreadsheets


def test_templates_in_both_languages_and_the_sample_checks_clean(stack, client):
    en = client.get("/phones/import/template.csv?lang=en")
    assert en.status == 200 and en.body == "extension,name,model,mac,class\r\n"
    assert "attachment" in en.header("Content-Disposition")
    es = client.get("/phones/import/template.csv?lang=es&sample=1")
    lines = es.body.split("\r\n")
    assert lines[0] == "extensión,nombre,modelo,mac,clase" and len([l for l in lines if l]) == 4
    r = upload(client, es.body, name="ejemplo.csv")
    assert r.status == 200 and count(r.body, "new") == 3 and not problems(r.body), r.body


def test_the_command_line_checks_and_imports_all_or_nothing(stack, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("extension;name;model;mac\n900;Uno;yealink-t46u;00:15:65:09:00:01\n901;;yealink-t46u;zz\n")
    r = stack.cli("import-phones", str(bad), check=False)
    assert r.returncode == 1
    assert f"{bad}: line 3, name: This field is required." in r.stdout
    assert "line 3, mac: Use only the 12 hexadecimal digits" in r.stdout and "nothing imported" in r.stdout
    # A column's name is quoted in the report: no control character reaches the terminal.
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"extension;name;model;mac;\x1b[2Jcolour\n900;Uno;yealink-t46u;00:15:65:09:00:01;red\n")
    r = stack.cli("import-phones", str(odd), "--dry-run", check=False)
    assert r.returncode == 1 and "line 1: This column is not one Centralita knows" in r.stdout
    assert "\x1b" not in r.stdout and "(?[2Jcolour)" in r.stdout
    good = tmp_path / "good.csv"
    good.write_text("extension;name;model;mac\n880;Uno;yealink-t46u;00:15:65:09:00:01\n")
    r = stack.cli("import-phones", str(good), "--dry-run", check=False)
    assert r.returncode == 0 and "1 new, 0 changed, 0 unchanged, 0 problems" in r.stdout
    assert scalar(stack, "SELECT count(*) FROM phones WHERE extension = '880'") == 0
    r = stack.cli("import-phones", str(good), check=False)
    assert r.returncode == 0 and "imported" in r.stdout
    wait_for(lambda: scalar(stack, "SELECT applied_version = version FROM phones WHERE extension = '880'"),
             timeout=10, what="880 applied by the daemon")
