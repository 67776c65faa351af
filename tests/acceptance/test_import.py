"""Phones in bulk (issue 13) against the real Asterisk: the dry run of a CSV finds, by line, an extension that the
integrator's own configuration uses (the door phone [250] of setup_asterisk.py: Centralita learns it from its
snapshot of what Asterisk has) and changes nothing; the fixed file is imported whole, every phone is loaded by
Asterisk with the provisioned password, the progress page ends at all live; the export imports back unchanged."""
import csv
import io
import re
import time

import asterisk as ast
from web import NOTES, wait_for

EXTS = [str(700 + i) for i in range(20)]


def upload(client, text, name="phones.csv"):
    return client.post_file("/phones/import", {"_csrf": client.csrf()}, "file", name, text)


def csv_text(exts):
    rows = ["extensión;nombre;modelo;mac"]
    rows += [f"{e};Importado {e};yealink-t46u;00:15:65:AD:{int(e) // 100:02d}:{int(e) % 100:02d}" for e in exts]
    return "\r\n".join(rows) + "\r\n"


def test_import_dry_run_refuses_the_integrators_extension_then_imports_all(stack, integrator):
    # Line 12 of this file takes the integrator's door phone's extension.
    r = upload(integrator, csv_text(EXTS[:10] + ["250"] + EXTS[10:]))
    assert r.status == 422, r.status
    found = re.findall(r'<tr data-line="(\d+)" data-column="([^"]*)" data-key="([^"]*)">\s*<td>.*?</td>\s*<td>.*?</td>'
                       r'\s*<td>.*?</td>\s*<td>(.*?)</td>', r.body, re.S)
    assert [(l, c, k) for l, c, k, d in found] == [("12", "extension", "ext_not_ours")], found
    assert "pjsip.conf" in found[0][3], found
    assert ast.endpoint(EXTS[0]) is None                                  # the dry run changed nothing

    t0 = time.monotonic()
    r = upload(integrator, csv_text(EXTS))
    assert r.status == 200, r.body
    draft = re.search(r'action="/phones/import/(\d+)"', r.body).group(1)
    r = integrator.post(f"/phones/import/{draft}", {"_csrf": integrator.csrf()})
    assert r.status == 303 and r.header("Location") == f"/phones/import/{draft}"
    page = wait_for(lambda: (lambda b: b if re.search(r'id="count-live">20<', b) else None)(
        integrator.get(f"/phones/import/{draft}").body), timeout=30, step=0.2, what="all 20 live")
    took = time.monotonic() - t0
    assert "every phone is live" in page
    for e in EXTS:
        ep = ast.endpoint(e)
        assert ep and ep["callerid"] == [f'"Importado {e}" <{e}>'], (e, ep and ep.get("callerid"))
        assert ast.phone_dialplan(e) == [f"hint: PJSIP/{e}", f"1. Dial(PJSIP/{e},30)"], e
    NOTES.append(f"CSV import: 20 phones (a Spanish header, ';') stored and live on Asterisk {took:.1f} s after the "
                 f"upload; the door phone's 250 refused by the dry run at line 12")

    # The export imports back unchanged: nothing to do, nothing sent.
    exported = integrator.get("/phones.csv?q=Importado").body
    assert len(list(csv.reader(io.StringIO(exported)))) == 21
    r = upload(integrator, exported, name="export.csv")
    assert r.status == 200 and re.search(r'id="count-same">20<', r.body) and 'id="import-nothing"' in r.body
